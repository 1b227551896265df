// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/dynamodb_client.h"

// Control-plane reads and writes the operator's CLI needs beyond provisioning.h, for a table
// created directly through the DynamoDB API rather than by a CloudFormation stack
// (spec/cli.md §16.1): discovery tags, listing the limiter tables of a region, the PITR recovery
// period and the fields of DescribeTable the typed client does not model. AWS errors propagate
// unchanged, as in provisioning.h.
namespace zae::dynamodb {

// What DescribeTable says about a table, beyond aws::TableDescription.
struct TableSummary {
  std::string table_name{};
  std::string table_arn{};
  std::string table_status{};
  // Epoch seconds of CreationDateTime, when DynamoDB sent it.
  std::optional<std::int64_t> created_at{};
  bool deletion_protection = false;
  std::int64_t item_count = 0;
  std::int64_t table_size_bytes = 0;
  bool stream_enabled = false;
};

// DescribeTable, or nullopt when the table does not exist.
std::optional<TableSummary> describe_table_summary(aws::DynamoDbClient& client,
                                                   std::string_view table_name);

// Every tag of the resource (all pages of ListTagsOfResource).
std::vector<aws::Tag> list_tags(aws::DynamoDbClient& client, std::string_view resource_arn);

// The value of `key` among `tags`, or nullopt.
std::optional<std::string> tag_value(const std::vector<aws::Tag>& tags, std::string_view key);

// spec/cli.md §3.1: the discovery and version tags a deployment puts on the table
// (ManagedBy=zae-limiter, zae-limiter:name, zae-limiter:type=limiter, zae-limiter:version,
// zae-limiter:schema-version) plus the template's Application=zae-limiter. No
// zae-limiter:lambda-version: this client deploys no Lambda (spec/cli.md §16.1).
std::vector<aws::Tag> discovery_tags(std::string_view name, std::string_view client_version);

// `user` with `discovery` applied on top (a discovery tag overrides a user tag of the same key),
// user tags first in their order, then the discovery tags.
std::vector<aws::Tag> merge_tags(const std::vector<aws::Tag>& user,
                                 const std::vector<aws::Tag>& discovery);

// A table deployed by zae-limiter: tagged ManagedBy=zae-limiter (a deployment) or
// Application=zae-limiter (a table the library provisioned on first open), whose
// zae-limiter:type tag is "limiter" or absent (spec/cli.md §3.4).
bool is_limiter_table(const std::vector<aws::Tag>& tags);

struct LimiterTable {
  // The zae-limiter:name tag, else the table name.
  std::string name{};
  TableSummary table{};
  // The zae-limiter:version tag, when present.
  std::optional<std::string> version{};
};

// spec/cli.md §16.1 `list`: ListTables, then DescribeTable and ListTagsOfResource per table;
// the limiter tables, sorted by name. Tables that disappear while listing are skipped. Where the
// endpoint has no tagging (DynamoDB Local: UnknownOperationException), a table counts when it
// holds the version record (spec/data-model.md §6.3).
std::vector<LimiterTable> list_limiter_tables(aws::DynamoDbClient& client);

// UpdateContinuousBackups with PointInTimeRecoveryEnabled and, when given, RecoveryPeriodInDays
// (1-35; spec/cli.md §3.1 --pitr-recovery-days).
void set_point_in_time_recovery(aws::DynamoDbClient& client, std::string_view table_name,
                                bool enabled, std::optional<int> recovery_period_days);

}  // namespace zae::dynamodb
