// SPDX-License-Identifier: MIT
#include "dynamodb/provisioning.h"

#include <chrono>
#include <string>
#include <thread>
#include <utility>

#include "zae/errors.h"

#include "aws/dynamodb_errors.h"
#include "aws/json.h"
#include "core/time_format.h"

namespace zae::dynamodb {
namespace {

using aws::KeyType;

// spec/data-model.md §1.1.
constexpr std::size_t kMaxTableNameLength = 55;

aws::SecondaryIndex index(std::string name, std::string_view hash, std::string_view range,
                          std::string projection) {
  return aws::SecondaryIndex{
      .name = std::move(name),
      .key_schema = {{std::string(hash), KeyType::kHash}, {std::string(range), KeyType::kRange}},
      .projection = {.type = std::move(projection)}};
}

bool is_resource_in_use(const aws::ServiceError& e) { return e.code() == "ResourceInUseException"; }

std::int64_t system_now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void set_deletion_protection(aws::DynamoDbClient& client, std::string_view table_name,
                             DeletionProtection protection) {
  // The typed UpdateTableRequest does not model DeletionProtectionEnabled.
  std::string body;
  aws::JsonWriter w(body);
  w.begin_object();
  w.key("TableName");
  w.string(table_name);
  w.key("DeletionProtectionEnabled");
  w.boolean(protection == DeletionProtection::kEnabled);
  w.end_object();
  (void)client.invoke(aws::DynamoDbClient::Api::kDynamoDb, "UpdateTable", std::move(body),
                      aws::Idempotency::kIdempotent);
}

void validate_table_name(std::string_view name) {
  if (name.empty()) {
    throw ValidationError("name", name, "must not be empty");
  }
  if (name.size() > kMaxTableNameLength) {
    throw ValidationError("name", name, "must be at most 55 characters");
  }
  const auto is_letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  if (!is_letter(name.front())) {
    throw ValidationError("name", name, "must start with a letter");
  }
  for (char c : name) {
    if (c == '_') {
      throw ValidationError("name", name, "underscores are not allowed (use hyphens)");
    }
    if (c == '.') {
      throw ValidationError("name", name, "periods are not allowed (use hyphens)");
    }
    if (c == ' ') {
      throw ValidationError("name", name, "spaces are not allowed");
    }
    if (!is_letter(c) && !(c >= '0' && c <= '9') && c != '-') {
      throw ValidationError("name", name, "only letters, digits and hyphens are allowed");
    }
  }
}

aws::CreateTableRequest table_definition(std::string_view table_name, std::vector<aws::Tag> tags) {
  aws::CreateTableRequest request;
  request.table_name = std::string(table_name);
  // spec/data-model.md §1.2: exactly these 15 definitions, in this order, all S.
  for (std::string_view name :
       {kPk, kSk, kGsi1Pk, kGsi1Sk, kGsi2Pk, kGsi2Sk, kGsi3Pk, kGsi3Sk, kGsi4Pk, kGsi4Sk}) {
    request.attribute_definitions.push_back({std::string(name), "S"});
  }
  for (int i = 1; i <= 5; ++i) {
    request.attribute_definitions.push_back({"LSI" + std::to_string(i) + "SK", "S"});
  }
  request.key_schema = {{std::string(kPk), KeyType::kHash}, {std::string(kSk), KeyType::kRange}};
  request.billing_mode = aws::BillingMode::kPayPerRequest;
  // spec/data-model.md §1.3.
  request.global_secondary_indexes = {
      index("GSI1", kGsi1Pk, kGsi1Sk, "ALL"), index("GSI2", kGsi2Pk, kGsi2Sk, "ALL"),
      index("GSI3", kGsi3Pk, kGsi3Sk, "KEYS_ONLY"), index("GSI4", kGsi4Pk, kGsi4Sk, "KEYS_ONLY")};
  // spec/data-model.md §1.4 (ADR-123): odd slots ALL, even slots KEYS_ONLY.
  for (int i = 1; i <= 5; ++i) {
    const std::string n = std::to_string(i);
    request.local_secondary_indexes.push_back(
        index("LSI" + n, kPk, "LSI" + n + "SK", i % 2 == 1 ? "ALL" : "KEYS_ONLY"));
  }
  request.stream_specification =
      aws::StreamSpecification{.enabled = true, .view_type = aws::StreamViewType::kNewAndOldImages};
  request.tags = std::move(tags);
  return request;
}

aws::TableDescription wait_until_active(aws::DynamoDbClient& client, std::string_view table_name,
                                        std::chrono::milliseconds timeout,
                                        std::chrono::milliseconds poll_interval) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    aws::TableDescription table = client.describe_table(table_name);
    bool active = table.table_status == "ACTIVE";
    for (const aws::IndexDescription& gsi : table.global_secondary_indexes) {
      active = active && (gsi.status.empty() || gsi.status == "ACTIVE");
    }
    if (active) {
      return table;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw StackOperationError("table " + std::string(table_name) + " is still " +
                                table.table_status + " after " + std::to_string(timeout.count()) +
                                " ms");
    }
    std::this_thread::sleep_for(poll_interval);
  }
}

void ensure_time_to_live(aws::DynamoDbClient& client, std::string_view table_name) {
  const aws::TimeToLiveDescription ttl = client.describe_time_to_live(table_name);
  if ((ttl.status == "ENABLED" || ttl.status == "ENABLING") &&
      ttl.attribute_name == kTtlAttribute) {
    return;
  }
  (void)client.update_time_to_live(table_name, kTtlAttribute, true);
}

bool write_version_record_if_absent(aws::DynamoDbClient& client, std::string_view table_name,
                                    const VersionRecord& record) {
  auto outcome = client.try_put_item({.table_name = std::string(table_name),
                                      .item = encode_version_record(record),
                                      .condition_expression = "attribute_not_exists(PK)"});
  if (outcome.is_condition_failure()) {
    return false;
  }
  (void)outcome.value();
  return true;
}

std::optional<VersionRecord> read_version_record(aws::DynamoDbClient& client,
                                                 std::string_view table_name) {
  aws::GetItemResult result = client.get_item({.table_name = std::string(table_name),
                                               .key = version_key().to_attributes(),
                                               .consistency = aws::ReadConsistency::kStrong});
  if (!result.item) {
    return std::nullopt;
  }
  return decode_version_record(*result.item);
}

std::optional<NamespaceRecord> read_namespace(aws::DynamoDbClient& client,
                                              std::string_view table_name, std::string_view name) {
  aws::GetItemResult result = client.get_item({.table_name = std::string(table_name),
                                               .key = namespace_forward_key(name).to_attributes(),
                                               .consistency = aws::ReadConsistency::kStrong});
  if (!result.item) {
    return std::nullopt;
  }
  NamespaceRecord record = decode_namespace_record(*result.item);
  // spec/data-model.md §6.1: deleted or purging forward records read as "not found".
  if (record.status == "deleted" || record.status == "purging") {
    return std::nullopt;
  }
  return record;
}

std::string register_namespace(aws::DynamoDbClient& client, std::string_view table_name,
                               std::string_view name, std::string_view created_at,
                               const std::function<NamespaceIdBytes()>& random) {
  if (name == kReservedNamespace) {
    throw ValidationError("namespace", name, "the namespace '_' is reserved");
  }
  const NamespaceRecord record{.namespace_id = generate_namespace_id(random),
                               .namespace_name = std::string(name),
                               .status = "active",
                               .created_at = std::string(created_at)};
  const std::string table(table_name);
  aws::TransactWriteItemsRequest request{
      .items = {aws::TransactPut{.table_name = table,
                                 .item = encode_namespace_forward(record),
                                 .condition_expression = "attribute_not_exists(PK)"},
                aws::TransactPut{.table_name = table,
                                 .item = encode_namespace_reverse(record),
                                 .condition_expression = "attribute_not_exists(PK)"}}};
  auto outcome = client.try_transact_write_items(request);
  if (outcome.is_transaction_cancellation()) {
    // spec/behavior.md NS-2: already registered -> its id; nothing to resolve -> propagate.
    if (auto existing = read_namespace(client, table_name, name)) {
      return existing->namespace_id;
    }
  }
  (void)outcome.value();
  return record.namespace_id;
}

std::optional<aws::TableDescription> describe_table(aws::DynamoDbClient& client,
                                                    std::string_view table_name) {
  try {
    return client.describe_table(table_name);
  } catch (const aws::ResourceNotFoundError&) {
    return std::nullopt;
  }
}

ProvisionResult provision_table(aws::DynamoDbClient& client, std::string_view table_name,
                                const ProvisionOptions& options) {
  validate_table_name(table_name);
  ProvisionResult result;
  try {
    (void)client.create_table(table_definition(table_name, options.table.tags));
    result.table_created = true;
  } catch (const aws::ServiceError& e) {
    if (!is_resource_in_use(e)) {
      throw;
    }
  }
  result.table = wait_until_active(client, table_name, options.table.active_timeout,
                                   options.table.poll_interval);
  // spec/data-model.md §1.5, Q28: what CloudFormation sets and CreateTable cannot.
  ensure_time_to_live(client, table_name);
  if (options.table.point_in_time_recovery) {
    try {
      (void)client.update_continuous_backups(table_name, true);
    } catch (const aws::ServiceError& e) {
      // DynamoDB Local has no backups at all; a real endpoint never answers this.
      if (e.code() != "UnknownOperationException") {
        throw;
      }
    }
  }
  if (options.table.deletion_protection) {
    set_deletion_protection(client, table_name, DeletionProtection::kEnabled);
  }

  const std::int64_t now = options.now_seconds ? options.now_seconds() : system_now_seconds();
  const std::string now_text = core::format_utc_seconds(now);
  // spec/data-model.md Q27: schema 0.10.0, min 0.0.0, no Lambda deployed by this client.
  result.version_record_written =
      write_version_record_if_absent(client, table_name,
                                     VersionRecord{.schema_version = std::string(kSchemaVersion),
                                                   .client_min_version = "0.0.0",
                                                   .updated_at = now_text,
                                                   .lambda_version = std::nullopt,
                                                   .updated_by = options.updated_by});
  result.default_namespace_id =
      register_namespace(client, table_name, kDefaultNamespaceName, now_text,
                         options.random ? options.random : system_random_namespace_bytes);
  return result;
}

bool delete_table(aws::DynamoDbClient& client, std::string_view table_name,
                  std::chrono::milliseconds timeout, std::chrono::milliseconds poll_interval) {
  try {
    (void)client.delete_table(table_name);
  } catch (const aws::ResourceNotFoundError&) {
    return false;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (describe_table(client, table_name)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      throw StackOperationError("table " + std::string(table_name) + " still exists after " +
                                std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(poll_interval);
  }
  return true;
}

}  // namespace zae::dynamodb
