// SPDX-License-Identifier: MIT
#include "dynamodb/usage_query.h"

#include <array>
#include <string_view>
#include <vector>

#include "zae/errors.h"

#include "aws/errors.h"
#include "dynamodb/keys.h"
#include "store/usage_query.h"

namespace zae::dynamodb {
namespace {

using aws::AttributeMap;
using aws::AttributeType;
using aws::AttributeValue;

// US-2: attributes that are never counters (GSI4PK/GSI4SK are strings, so never counted).
constexpr std::array<std::string_view, 10> kBookkeeping = {
    "PK",           "SK",           "entity_id", "resource", "window",
    "window_start", "total_events", "GSI2PK",    "GSI2SK",   "ttl"};

bool is_bookkeeping(std::string_view name) {
  for (std::string_view b : kBookkeeping) {
    if (b == name) {
      return true;
    }
  }
  return false;
}

const std::string* string_attribute(const AttributeMap& item, std::string_view name) {
  const AttributeValue* value = item.find(name);
  if (value == nullptr || value->type() != AttributeType::kString) {
    return nullptr;
  }
  return &value->as_string();
}

std::optional<std::int64_t> integer(const AttributeValue& value) {
  try {
    return value.as_int64();
  } catch (const aws::AwsError&) {
    return std::nullopt;
  }
}

// The key attributes a page token carries, per mode (the table key, plus the index key).
constexpr std::array<std::string_view, 2> kEntityKey = {"PK", "SK"};
constexpr std::array<std::string_view, 4> kResourceKey = {"PK", "SK", "GSI2PK", "GSI2SK"};

[[noreturn]] void foreign_token(const std::string& token) {
  throw ValidationError("next_key", token, "was returned by a different query");
}

}  // namespace

std::optional<UsageSnapshot> parse_usage_item(const AttributeMap& item) {
  const std::string* entity_id = string_attribute(item, "entity_id");
  const std::string* resource = string_attribute(item, "resource");
  const std::string* window_start = string_attribute(item, "window_start");
  if (entity_id == nullptr || resource == nullptr || window_start == nullptr) {
    return std::nullopt;
  }
  const std::string* window = string_attribute(item, "window");
  UsageSnapshot snapshot{.entity_id = *entity_id,
                         .resource = *resource,
                         .window = window != nullptr ? *window : std::string(),
                         .window_start = *window_start,
                         .window_end = {},
                         .counters = {},
                         .total_events = 0};
  snapshot.window_end = detail::usage_window_end(snapshot.window, snapshot.window_start);
  for (const auto& [name, value] : item) {
    if (value.type() != AttributeType::kNumber) {
      continue;
    }
    if (name == "total_events") {
      snapshot.total_events = integer(value).value_or(0);
    } else if (!is_bookkeeping(name)) {
      if (const auto n = integer(value)) {
        snapshot.counters.emplace(name, *n);
      }
    }
  }
  return snapshot;
}

UsagePage query_usage_snapshots(aws::DynamoDbClient& client, const std::string& table,
                                const std::string& ns, const UsageQuery& query) {
  const bool entity_mode = query.entity_id.has_value();
  const std::string partition =
      entity_mode ? entity_pk(ns, *query.entity_id) : resource_pk(ns, *query.resource);
  const std::string prefix = !entity_mode     ? std::string("USAGE#")
                             : query.resource ? std::string(kSkUsagePrefix) + *query.resource + "#"
                                              : std::string(kSkUsagePrefix);
  const std::string_view tag = entity_mode ? "de" : "dr";
  aws::QueryRequest request{
      .table_name = table,
      .index_name = entity_mode ? std::string() : std::string("GSI2"),
      .key_condition_expression = entity_mode ? "PK = :pk AND begins_with(SK, :prefix)"
                                              : "GSI2PK = :pk AND begins_with(GSI2SK, :prefix)",
      .expression_attribute_values = {{":pk", AttributeValue::of_string(partition)},
                                      {":prefix", AttributeValue::of_string(prefix)}},
      .scan_index_forward = false,
      .limit = static_cast<std::int32_t>(query.limit)};
  const std::span<const std::string_view> key_names =
      entity_mode ? std::span<const std::string_view>(kEntityKey)
                  : std::span<const std::string_view>(kResourceKey);
  if (query.next_key) {
    const std::vector<std::string> parts = detail::decode_page_token(*query.next_key);
    if (parts.size() != key_names.size() + 1 || parts[0] != tag) {
      foreign_token(*query.next_key);
    }
    // The partition and the sort-key range must be this query's, or DynamoDB would answer with
    // another entity's page or an error that does not name next_key.
    const std::string& key_pk = entity_mode ? parts[1] : parts[3];
    const std::string& key_sk = entity_mode ? parts[2] : parts[4];
    if (key_pk != partition || key_sk.compare(0, prefix.size(), prefix) != 0) {
      foreign_token(*query.next_key);
    }
    AttributeMap start;
    for (std::size_t i = 0; i < key_names.size(); ++i) {
      start.set(std::string(key_names[i]), AttributeValue::of_string(parts[i + 1]));
    }
    request.exclusive_start_key = std::move(start);
  }
  const aws::QueryResult result = client.query(request);
  UsagePage page;
  for (const AttributeMap& item : result.items) {
    std::optional<UsageSnapshot> snapshot = parse_usage_item(item);
    if (snapshot && detail::matches_usage_filters(query, *snapshot)) {
      page.snapshots.push_back(std::move(*snapshot));
    }
  }
  if (result.last_evaluated_key) {
    std::vector<std::string> parts{std::string(tag)};
    for (std::string_view name : key_names) {
      const std::string* value = string_attribute(*result.last_evaluated_key, name);
      if (value == nullptr) {
        throw InfrastructureError("DynamoDB returned a LastEvaluatedKey without " +
                                  std::string(name) + " for a usage query on '" + table + "'");
      }
      parts.push_back(*value);
    }
    page.next_key = detail::encode_page_token(parts);
  }
  return page;
}

}  // namespace zae::dynamodb
