// SPDX-License-Identifier: MIT
// Store selection (spec/cli.md §1.2, §16.2 item 10): --store, or the original's --name, --region
// and --endpoint-url, or ZAEL_STORE.

#include <string>
#include <variant>

#include <fmt/core.h>

#include "cli/commands.h"
#include "store/store_uri.h"

namespace zae::cli {
namespace {

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == ':' || c == '/';
}

std::string percent_encode(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (is_unreserved(c)) {
      out += c;
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

}  // namespace

std::string dynamodb_store_uri(const std::string& table, const std::string& region,
                               const std::string& endpoint) {
  std::string uri = "dynamodb://" + percent_encode(table);
  const char* separator = "?";
  if (!region.empty()) {
    uri += std::string(separator) + "region=" + percent_encode(region);
    separator = "&";
  }
  if (!endpoint.empty()) {
    uri += std::string(separator) + "endpoint=" + percent_encode(endpoint);
  }
  return uri;
}

StoreChoice resolve_store(const StoreSelection& s) {
  if (!s.store_flag.empty()) {
    const StoreUri parsed = parse_store_uri(s.store_flag);
    const auto* table = std::get_if<DynamoDbStoreUri>(&parsed);
    if (table == nullptr) {
      if (s.names_dynamodb_table()) {
        throw UsageError(fmt::format(
            "--store {} names an SQLite store, but --name/--region/--endpoint-url name a DynamoDB "
            "table; give one or the other",
            s.store_flag));
      }
      return s.store_flag;
    }
    DynamoDbStoreUri merged = *table;
    if (!s.name.empty() && s.name != merged.table_name) {
      throw UsageError(
          fmt::format("--store names table '{}' but --name names '{}'", merged.table_name, s.name));
    }
    if (!s.region.empty()) {
      if (merged.region && *merged.region != s.region) {
        throw UsageError(fmt::format("--store names region '{}' but --region names '{}'",
                                     *merged.region, s.region));
      }
      merged.region = s.region;
    }
    if (!s.endpoint_url.empty()) {
      if (merged.endpoint && *merged.endpoint != s.endpoint_url) {
        throw UsageError(fmt::format("--store names endpoint '{}' but --endpoint-url names '{}'",
                                     *merged.endpoint, s.endpoint_url));
      }
      merged.endpoint = s.endpoint_url;
    }
    return merged;
  }
  if (s.names_dynamodb_table()) {
    DynamoDbStoreUri uri{.table_name = s.name};
    if (!s.region.empty()) {
      uri.region = s.region;
    }
    if (!s.endpoint_url.empty()) {
      uri.endpoint = s.endpoint_url;
    }
    return uri;
  }
  if (!s.env_store.empty()) {
    const StoreUri parsed = parse_store_uri(s.env_store);
    if (const auto* table = std::get_if<DynamoDbStoreUri>(&parsed)) {
      return *table;
    }
    return s.env_store;
  }
  return std::monostate{};
}

std::string data_store_uri(const StoreSelection& selection) {
  const StoreChoice choice = resolve_store(selection);
  if (const auto* uri = std::get_if<std::string>(&choice)) {
    return *uri;
  }
  if (const auto* table = std::get_if<DynamoDbStoreUri>(&choice)) {
    return dynamodb_store_uri(
        table->table_name.empty() ? std::string(kDefaultTableName) : table->table_name,
        table->region.value_or(""), table->endpoint.value_or(""));
  }
  return "";
}

}  // namespace zae::cli
