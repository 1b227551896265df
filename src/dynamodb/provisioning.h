// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/dynamodb_client.h"
#include "dynamodb/items.h"
#include "dynamodb/keys.h"

// Provisioning of the shared table (spec/data-model.md §1, §6.3; spec/behavior.md NS-2):
// CreateTable exactly as the original defines it, TTL, PITR, deletion protection, tags, the
// version record and the `default` namespace. AWS errors propagate unchanged (the store converts
// them to the public hierarchy once); a table that stays inactive past the timeout throws
// StackOperationError.
namespace zae::dynamodb {

// spec/data-model.md §1.5: the attribute DynamoDB's time to live reads (epoch seconds).
inline constexpr std::string_view kTtlAttribute = "ttl";

// spec/data-model.md §1.1: ^[A-Za-z][A-Za-z0-9-]*$, at most 55 characters. Throws
// ValidationError (field "name") naming what is wrong.
void validate_table_name(std::string_view name);

// The CreateTable request of spec/data-model.md §1.2-§1.5: 15 S attribute definitions, PK/SK,
// GSI1-GSI4, LSI1-LSI5 with their projections, NEW_AND_OLD_IMAGES stream, on-demand billing.
aws::CreateTableRequest table_definition(std::string_view table_name, std::vector<aws::Tag> tags);

struct TableOptions {
  // spec/data-model.md §1.5: a CloudFormation deployment enables PITR.
  bool point_in_time_recovery = true;
  bool deletion_protection = false;
  // The CloudFormation template's table tag; applied when the table is created.
  std::vector<aws::Tag> tags = {{"Application", "zae-limiter"}};
  // How long to wait for the table (and its indexes) to become ACTIVE, and how often to look.
  std::chrono::milliseconds active_timeout = std::chrono::seconds(120);
  std::chrono::milliseconds poll_interval = std::chrono::milliseconds(100);
};

struct ProvisionOptions {
  TableOptions table{};
  // Written to the version record's updated_by (free text, Q27).
  std::string updated_by = "cpp:0.1.0";
  // Epoch seconds, for created_at / updated_at. Empty: the system clock.
  std::function<std::int64_t()> now_seconds{};
  // Namespace id randomness (spec/data-model.md §2.2). Empty: system_random_namespace_bytes.
  std::function<NamespaceIdBytes()> random{};
};

struct ProvisionResult {
  aws::TableDescription table{};
  // False when the table already existed (provisioning is idempotent).
  bool table_created = false;
  // False when a version record was already there (it is never overwritten, Q27).
  bool version_record_written = false;
  std::string default_namespace_id{};
};

// Creates the table when missing (an existing table is accepted as is), waits until it and its
// indexes are ACTIVE, enables TTL on `ttl` when not enabled, enables PITR and deletion
// protection as asked, writes the version record when absent and registers `default`.
ProvisionResult provision_table(aws::DynamoDbClient& client, std::string_view table_name,
                                const ProvisionOptions& options = {});

// Polls DescribeTable until the table and every global index are ACTIVE. Throws
// StackOperationError after `timeout`, ResourceNotFoundError when the table does not exist.
aws::TableDescription wait_until_active(aws::DynamoDbClient& client, std::string_view table_name,
                                        std::chrono::milliseconds timeout,
                                        std::chrono::milliseconds poll_interval);

// spec/data-model.md §1.5, Q28: TTL on kTtlAttribute. A no-op when already enabled (DynamoDB
// refuses to enable it twice).
void ensure_time_to_live(aws::DynamoDbClient& client, std::string_view table_name);

// Puts `record` under attribute_not_exists(PK); returns whether it was written (Q27: the C++
// client creates the record when absent and never overwrites it).
bool write_version_record_if_absent(aws::DynamoDbClient& client, std::string_view table_name,
                                    const VersionRecord& record);

// The version record, or nullopt when absent. Strongly consistent.
std::optional<VersionRecord> read_version_record(aws::DynamoDbClient& client,
                                                 std::string_view table_name);

// spec/behavior.md NS-2: creates the forward and reverse records of `name` in one
// TransactWriteItems, each conditional on absence; when cancelled, returns the id of the
// existing active forward record (idempotent) and rethrows the cancellation when there is none.
// Throws ValidationError for the reserved name "_". Returns the namespace id.
std::string register_namespace(aws::DynamoDbClient& client, std::string_view table_name,
                               std::string_view name, std::string_view created_at,
                               const std::function<NamespaceIdBytes()>& random);

// The active forward record of `name`, or nullopt (absent, deleted or purging; NS-3).
std::optional<NamespaceRecord> read_namespace(aws::DynamoDbClient& client,
                                              std::string_view table_name, std::string_view name);

enum class DeletionProtection { kEnabled, kDisabled };
// UpdateTable DeletionProtectionEnabled (spec/data-model.md §1.5). A protected table cannot be
// deleted until protection is disabled.
void set_deletion_protection(aws::DynamoDbClient& client, std::string_view table_name,
                             DeletionProtection protection);

// DescribeTable, or nullopt when the table does not exist.
std::optional<aws::TableDescription> describe_table(aws::DynamoDbClient& client,
                                                    std::string_view table_name);

// Deletes the table and waits until DescribeTable no longer finds it. Returns false when there
// was no table. Throws StackOperationError after `timeout`.
bool delete_table(aws::DynamoDbClient& client, std::string_view table_name,
                  std::chrono::milliseconds timeout = std::chrono::seconds(120),
                  std::chrono::milliseconds poll_interval = std::chrono::milliseconds(100));

}  // namespace zae::dynamodb
