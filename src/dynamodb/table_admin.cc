// SPDX-License-Identifier: MIT
#include "dynamodb/table_admin.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <utility>

#include "aws/dynamodb_errors.h"
#include "aws/json.h"
#include "dynamodb/items.h"
#include "dynamodb/provisioning.h"

namespace zae::dynamodb {
namespace {

using aws::JsonReader;
using aws::JsonType;

// CreationDateTime is epoch seconds with a fraction ("1700000000.123").
std::optional<std::int64_t> epoch_seconds(std::string_view number) {
  std::int64_t seconds = 0;
  const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), seconds);
  if (ec != std::errc() || ptr == number.data()) {
    return std::nullopt;
  }
  return seconds;
}

// Reads the members of the "Table" object of a DescribeTable response.
TableSummary read_table(JsonReader& r) {
  TableSummary t;
  r.enter_object();
  while (auto key = r.next_key()) {
    if (r.peek() == JsonType::kNull) {
      r.read_null();
    } else if (*key == "TableName") {
      t.table_name = std::string(r.read_string());
    } else if (*key == "TableArn") {
      t.table_arn = std::string(r.read_string());
    } else if (*key == "TableStatus") {
      t.table_status = std::string(r.read_string());
    } else if (*key == "CreationDateTime" && r.peek() == JsonType::kNumber) {
      t.created_at = epoch_seconds(r.read_number());
    } else if (*key == "DeletionProtectionEnabled") {
      t.deletion_protection = r.read_bool();
    } else if (*key == "ItemCount" && r.peek() == JsonType::kNumber) {
      t.item_count = epoch_seconds(r.read_number()).value_or(0);
    } else if (*key == "TableSizeBytes" && r.peek() == JsonType::kNumber) {
      t.table_size_bytes = epoch_seconds(r.read_number()).value_or(0);
    } else if (*key == "StreamSpecification") {
      r.enter_object();
      while (auto inner = r.next_key()) {
        if (*inner == "StreamEnabled" && r.peek() == JsonType::kBool) {
          t.stream_enabled = r.read_bool();
        } else {
          r.skip_value();
        }
      }
    } else {
      r.skip_value();
    }
  }
  return t;
}

std::string table_name_body(std::string_view table_name) {
  std::string body;
  aws::JsonWriter w(body);
  w.begin_object();
  w.key("TableName");
  w.string(table_name);
  w.end_object();
  return body;
}

// Whether `table` holds the version record; false for a table of another key schema.
bool has_version_record(aws::DynamoDbClient& client, const std::string& table) {
  try {
    return read_version_record(client, table).has_value();
  } catch (const aws::ServiceError&) {
    return false;  // ValidationException: not keyed by PK/SK; ResourceNotFound: deleted meanwhile
  }
}

}  // namespace

std::optional<TableSummary> describe_table_summary(aws::DynamoDbClient& client,
                                                   std::string_view table_name) {
  std::string response;
  try {
    response = client.invoke(aws::DynamoDbClient::Api::kDynamoDb, "DescribeTable",
                             table_name_body(table_name), aws::Idempotency::kIdempotent);
  } catch (const aws::ResourceNotFoundError&) {
    return std::nullopt;
  }
  TableSummary summary;
  JsonReader r(response);
  r.enter_object();
  while (auto key = r.next_key()) {
    if (*key == "Table") {
      summary = read_table(r);
    } else {
      r.skip_value();
    }
  }
  r.finish();
  return summary;
}

std::vector<aws::Tag> list_tags(aws::DynamoDbClient& client, std::string_view resource_arn) {
  std::vector<aws::Tag> tags;
  std::string next_token;
  do {
    std::string body;
    aws::JsonWriter w(body);
    w.begin_object();
    w.key("ResourceArn");
    w.string(resource_arn);
    if (!next_token.empty()) {
      w.key("NextToken");
      w.string(next_token);
    }
    w.end_object();
    const std::string response =
        client.invoke(aws::DynamoDbClient::Api::kDynamoDb, "ListTagsOfResource", std::move(body),
                      aws::Idempotency::kIdempotent);
    next_token.clear();
    JsonReader r(response);
    r.enter_object();
    while (auto key = r.next_key()) {
      if (*key == "Tags" && r.peek() == JsonType::kArray) {
        r.enter_array();
        while (r.next_element()) {
          aws::Tag tag;
          r.enter_object();
          while (auto field = r.next_key()) {
            if (*field == "Key") {
              tag.key = std::string(r.read_string());
            } else if (*field == "Value") {
              tag.value = std::string(r.read_string());
            } else {
              r.skip_value();
            }
          }
          tags.push_back(std::move(tag));
        }
      } else if (*key == "NextToken" && r.peek() == JsonType::kString) {
        next_token = std::string(r.read_string());
      } else {
        r.skip_value();
      }
    }
    r.finish();
  } while (!next_token.empty());
  return tags;
}

std::optional<std::string> tag_value(const std::vector<aws::Tag>& tags, std::string_view key) {
  for (const auto& tag : tags) {
    if (tag.key == key) {
      return tag.value;
    }
  }
  return std::nullopt;
}

std::vector<aws::Tag> discovery_tags(std::string_view name, std::string_view client_version) {
  return {
      {"Application", "zae-limiter"},
      {"ManagedBy", "zae-limiter"},
      {"zae-limiter:name", std::string(name)},
      {"zae-limiter:type", "limiter"},
      {"zae-limiter:version", std::string(client_version)},
      {"zae-limiter:schema-version", std::string(kSchemaVersion)},
  };
}

std::vector<aws::Tag> merge_tags(const std::vector<aws::Tag>& user,
                                 const std::vector<aws::Tag>& discovery) {
  std::vector<aws::Tag> merged;
  for (const auto& tag : user) {
    if (!tag_value(discovery, tag.key)) {
      merged.push_back(tag);
    }
  }
  merged.insert(merged.end(), discovery.begin(), discovery.end());
  return merged;
}

bool is_limiter_table(const std::vector<aws::Tag>& tags) {
  const bool deployed = tag_value(tags, "ManagedBy") == "zae-limiter" ||
                        tag_value(tags, "Application") == "zae-limiter";
  const auto type = tag_value(tags, "zae-limiter:type");
  return deployed && (!type || *type == "limiter");
}

std::vector<LimiterTable> list_limiter_tables(aws::DynamoDbClient& client) {
  std::vector<LimiterTable> out;
  aws::ListTablesRequest request;
  for (;;) {
    const aws::ListTablesResult page = client.list_tables(request);
    for (const auto& name : page.table_names) {
      std::optional<TableSummary> table = describe_table_summary(client, name);
      if (!table || table->table_arn.empty()) {
        continue;
      }
      std::vector<aws::Tag> tags;
      try {
        tags = list_tags(client, table->table_arn);
      } catch (const aws::ResourceNotFoundError&) {
        continue;  // deleted meanwhile
      } catch (const aws::ServiceError& e) {
        if (e.code() != "UnknownOperationException") {
          throw;
        }
        // DynamoDB Local has no tagging: a table with a version record is a limiter table.
        if (!has_version_record(client, name)) {
          continue;
        }
        tags = {{"Application", "zae-limiter"}};
      }
      if (!is_limiter_table(tags)) {
        continue;
      }
      out.push_back(LimiterTable{.name = tag_value(tags, "zae-limiter:name").value_or(name),
                                 .table = std::move(*table),
                                 .version = tag_value(tags, "zae-limiter:version")});
    }
    if (page.last_evaluated_table_name.empty()) {
      break;
    }
    request.exclusive_start_table_name = page.last_evaluated_table_name;
  }
  std::sort(out.begin(), out.end(),
            [](const LimiterTable& a, const LimiterTable& b) { return a.name < b.name; });
  return out;
}

void set_point_in_time_recovery(aws::DynamoDbClient& client, std::string_view table_name,
                                bool enabled, std::optional<int> recovery_period_days) {
  // The typed update_continuous_backups does not model RecoveryPeriodInDays.
  std::string body;
  aws::JsonWriter w(body);
  w.begin_object();
  w.key("TableName");
  w.string(table_name);
  w.key("PointInTimeRecoverySpecification");
  w.begin_object();
  w.key("PointInTimeRecoveryEnabled");
  w.boolean(enabled);
  if (recovery_period_days) {
    w.key("RecoveryPeriodInDays");
    w.number(*recovery_period_days);
  }
  w.end_object();
  w.end_object();
  (void)client.invoke(aws::DynamoDbClient::Api::kDynamoDb, "UpdateContinuousBackups",
                      std::move(body), aws::Idempotency::kIdempotent);
}

}  // namespace zae::dynamodb
