// SPDX-License-Identifier: MIT
#include "dynamodb/namespaces.h"

#include <chrono>
#include <string>
#include <utility>

#include "zae/errors.h"

#include "aws/aws_config.h"
#include "aws/credentials.h"
#include "aws/dynamodb_errors.h"
#include "aws/http.h"
#include "core/time_format.h"
#include "dynamodb/provisioning.h"

namespace zae::dynamodb {
namespace {

using aws::AttributeMap;
using aws::AttributeValue;

constexpr std::string_view kActive = "active";
constexpr std::string_view kDeleted = "deleted";
constexpr std::string_view kPurging = "purging";
// DynamoDB's BatchWriteItem limit (spec/behavior.md NS-9: chunks of 25).
constexpr std::size_t kBatchSize = 25;
// How many times one chunk's unprocessed items are re-sent before purge gives up (the client
// already backs off between its own re-sends); a transient error, so the purge can be resumed.
constexpr int kMaxUnprocessedRounds = 20;
// Register attempts when the transaction was cancelled by a conflict or an id collision (OQ-28).
constexpr int kRegisterAttempts = 3;

AttributeValue s(std::string_view text) { return AttributeValue::of_string(std::string(text)); }

const aws::ExpressionNames& status_name() {
  static const aws::ExpressionNames kNames = {{"#status", "status"}};
  return kNames;
}

std::int64_t system_now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool failed_on(const std::vector<aws::CancellationReason>& reasons, std::size_t index,
               std::string_view code) {
  return index < reasons.size() && reasons[index].code == code;
}

// OQ-28: a cancellation worth retrying with a fresh id: a conflicting transaction, or the
// reverse record of the random id already existing while the name is free.
bool is_retryable_registration(const aws::TransactionCanceledError& e) {
  for (const auto& reason : e.reasons()) {
    if (reason.code == "TransactionConflict") {
      return true;
    }
  }
  return !failed_on(e.reasons(), 0, "ConditionalCheckFailed") &&
         failed_on(e.reasons(), 1, "ConditionalCheckFailed");
}

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

}  // namespace

void validate_namespace_name(std::string_view name) {
  if (name.empty()) {
    throw ValidationError("namespace", name, "must not be empty");
  }
  if (name == kReservedNamespace) {
    throw ValidationError("namespace", name, "the namespace '_' is reserved");
  }
}

void check_recoverable(std::string_view namespace_id,
                       const std::optional<NamespaceRecord>& reverse) {
  if (!reverse) {
    throw EntityNotFoundError(std::string(namespace_id));
  }
  if (reverse->namespace_name == kReservedNamespace || namespace_id == kReservedNamespace) {
    throw ValidationError("namespace", reverse->namespace_name, "the namespace '_' is reserved");
  }
  if (reverse->status == kPurging || reverse->status == kActive) {
    throw NamespaceStateError(reverse->namespace_name, reverse->status);
  }
}

PurgeStep purge_step(std::string_view namespace_id, const std::optional<NamespaceRecord>& reverse) {
  if (namespace_id.empty() || namespace_id == kReservedNamespace) {
    throw ValidationError("namespace_id", namespace_id, "the namespace '_' cannot be purged");
  }
  if (!reverse) {
    return PurgeStep::kNothing;
  }
  if (reverse->namespace_name == kReservedNamespace) {
    throw ValidationError("namespace", reverse->namespace_name, "the namespace '_' is reserved");
  }
  if (reverse->status == kPurging) {
    return PurgeStep::kResumePurge;
  }
  if (reverse->status == kDeleted) {
    return PurgeStep::kMarkPurging;
  }
  // "active", or a status this version does not know: never purge what may be live.
  throw NamespaceStateError(reverse->namespace_name, reverse->status);
}

void throw_translated_aws_error(const std::exception& error, std::string_view context) {
  const std::string message = std::string(context) + ": " + error.what();
  if (dynamic_cast<const aws::ResourceNotFoundError*>(&error) != nullptr) {
    throw InfrastructureNotFoundError(message);
  }
  if (const auto* service = dynamic_cast<const aws::ServiceError*>(&error)) {
    // ServiceError::what() carries the operation, AWS code, HTTP status and request id.
    throw InfrastructureError(message, service->is_retryable());
  }
  if (const auto* network = dynamic_cast<const aws::NetworkError*>(&error)) {
    throw InfrastructureError(message, network->is_transient());
  }
  if (dynamic_cast<const aws::ConfigError*>(&error) != nullptr) {
    throw ValidationError("aws config", "", message);
  }
  throw InfrastructureError(message, false);
}

NamespaceRegistry::NamespaceRegistry(aws::DynamoDbClient& client, std::string table_name,
                                     NamespaceRegistryOptions options)
    : client_(client), table_name_(std::move(table_name)), options_(std::move(options)) {}

std::string NamespaceRegistry::now_text() const {
  return core::format_utc_seconds(options_.now_seconds ? options_.now_seconds()
                                                       : system_now_seconds());
}

std::string NamespaceRegistry::register_namespace(std::string_view name) {
  validate_namespace_name(name);
  {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(name); it != cache_.end()) {
      return it->second;
    }
  }
  std::string id = with_zae_errors("register namespace " + quoted(name), [&] {
    for (int attempt = 1;; ++attempt) {
      try {
        return dynamodb::register_namespace(
            client_, table_name_, name, now_text(),
            options_.random ? options_.random : system_random_namespace_bytes);
      } catch (const aws::TransactionCanceledError& e) {
        if (attempt >= kRegisterAttempts || !is_retryable_registration(e)) {
          throw;
        }
      }
    }
  });
  std::lock_guard lock(mutex_);
  cache_.insert_or_assign(std::string(name), id);
  return id;
}

std::optional<std::string> NamespaceRegistry::resolve(std::string_view name) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(name); it != cache_.end()) {
      return it->second;
    }
  }
  std::optional<NamespaceRecord> record = get(name);
  if (!record) {
    return std::nullopt;
  }
  std::lock_guard lock(mutex_);
  cache_.insert_or_assign(std::string(name), record->namespace_id);
  return record->namespace_id;
}

std::optional<NamespaceRecord> NamespaceRegistry::get(std::string_view name) {
  return with_zae_errors("read namespace " + quoted(name),
                         [&] { return read_namespace(client_, table_name_, name); });
}

std::vector<NamespaceRecord> NamespaceRegistry::list() {
  return with_zae_errors("list namespaces", [&] {
    aws::QueryResult result = client_.query_all(
        {.table_name = table_name_,
         .key_condition_expression = "PK = :pk AND begins_with(SK, :prefix)",
         .expression_attribute_values = {{":pk", s(system_pk(kReservedNamespace))},
                                         {":prefix", s(kSkNamespacePrefix)}},
         .consistency = aws::ReadConsistency::kStrong});
    std::vector<NamespaceRecord> records;
    records.reserve(result.items.size());
    for (const AttributeMap& item : result.items) {
      records.push_back(decode_namespace_record(item));
    }
    return records;
  });
}

std::vector<OrphanNamespace> NamespaceRegistry::list_orphans() {
  return with_zae_errors("list orphan namespaces", [&] {
    aws::QueryResult result = client_.query_all(
        {.table_name = table_name_,
         .key_condition_expression = "PK = :pk AND begins_with(SK, :prefix)",
         .expression_attribute_values = {{":pk", s(system_pk(kReservedNamespace))},
                                         {":prefix", s(kSkNsidPrefix)}},
         .consistency = aws::ReadConsistency::kStrong});
    std::vector<OrphanNamespace> orphans;
    for (const AttributeMap& item : result.items) {
      NamespaceRecord record = decode_namespace_record(item);
      // spec/data-model.md §6.2: filtered client-side; purging ones are excluded (NS-8).
      if (record.status == kDeleted) {
        orphans.push_back({.namespace_id = std::move(record.namespace_id),
                           .namespace_name = std::move(record.namespace_name),
                           .deleted_at = record.deleted_at.value_or("")});
      }
    }
    return orphans;
  });
}

std::optional<NamespaceRecord> NamespaceRegistry::read_reverse(std::string_view namespace_id) {
  aws::GetItemResult result =
      client_.get_item({.table_name = table_name_,
                        .key = namespace_reverse_key(namespace_id).to_attributes(),
                        .consistency = aws::ReadConsistency::kStrong});
  if (!result.item) {
    return std::nullopt;
  }
  return decode_namespace_record(*result.item);
}

bool NamespaceRegistry::delete_namespace(std::string_view name) {
  validate_namespace_name(name);
  const bool deleted = with_zae_errors("delete namespace " + quoted(name), [&] {
    std::optional<NamespaceRecord> forward = read_namespace(client_, table_name_, name);
    if (!forward) {
      return false;
    }
    // OQ-28: both records in one transaction, each pinned to the state it is expected in, so
    // the namespace is never invisible-but-active nor deleted-but-resolvable.
    aws::TransactWriteItemsRequest request{
        .items = {
            aws::TransactDelete{.table_name = table_name_,
                                .key = namespace_forward_key(name).to_attributes(),
                                .condition_expression = "namespace_id = :id",
                                .expression_attribute_values = {{":id", s(forward->namespace_id)}}},
            aws::TransactUpdate{
                .table_name = table_name_,
                .key = namespace_reverse_key(forward->namespace_id).to_attributes(),
                .update_expression = "SET #status = :deleted, deleted_at = :now",
                .condition_expression = "#status = :active",
                .expression_attribute_names = status_name(),
                .expression_attribute_values = {
                    {":deleted", s(kDeleted)}, {":active", s(kActive)}, {":now", s(now_text())}}}}};
    auto outcome = client_.try_transact_write_items(request);
    if (outcome.is_transaction_cancellation()) {
      const auto& reasons = outcome.transaction_cancellation().reasons;
      std::optional<NamespaceRecord> now = read_namespace(client_, table_name_, name);
      if (!now || now->namespace_id != forward->namespace_id) {
        return false;  // a concurrent delete won (and the name may be registered again)
      }
      if (failed_on(reasons, 1, "ConditionalCheckFailed")) {
        const auto reverse = read_reverse(forward->namespace_id);
        throw NamespaceStateError(std::string(name),
                                  reverse ? reverse->status : "missing its reverse record");
      }
    }
    (void)outcome.value();
    return true;
  });
  std::lock_guard lock(mutex_);
  if (auto it = cache_.find(name); it != cache_.end()) {
    cache_.erase(it);
  }
  return deleted;
}

std::string NamespaceRegistry::recover_namespace(std::string_view namespace_id) {
  NamespaceRecord record = with_zae_errors("recover namespace " + quoted(namespace_id), [&] {
    std::optional<NamespaceRecord> reverse = read_reverse(namespace_id);
    check_recoverable(namespace_id, reverse);
    NamespaceRecord forward = *reverse;
    forward.status = std::string(kActive);
    forward.deleted_at.reset();
    // OQ-28: the forward record only if the name is free, the reverse one only while deleted
    // (not purging, not recovered by someone else), atomically.
    aws::TransactWriteItemsRequest request{
        .items = {
            aws::TransactPut{.table_name = table_name_,
                             .item = encode_namespace_forward(forward),
                             .condition_expression = "attribute_not_exists(PK)"},
            aws::TransactUpdate{.table_name = table_name_,
                                .key = namespace_reverse_key(namespace_id).to_attributes(),
                                .update_expression = "SET #status = :active REMOVE deleted_at",
                                .condition_expression = "#status = :deleted",
                                .expression_attribute_names = status_name(),
                                .expression_attribute_values = {{":deleted", s(kDeleted)},
                                                                {":active", s(kActive)}}}}};
    auto outcome = client_.try_transact_write_items(request);
    if (outcome.is_transaction_cancellation()) {
      const auto& reasons = outcome.transaction_cancellation().reasons;
      if (failed_on(reasons, 0, "ConditionalCheckFailed")) {
        throw NamespaceStateError(forward.namespace_name, "re-registered");
      }
      if (failed_on(reasons, 1, "ConditionalCheckFailed")) {
        const auto now = read_reverse(namespace_id);
        check_recoverable(namespace_id, now);
        throw NamespaceStateError(forward.namespace_name, now->status);
      }
    }
    (void)outcome.value();
    return forward;
  });
  std::lock_guard lock(mutex_);
  cache_.insert_or_assign(record.namespace_name, record.namespace_id);
  return record.namespace_name;
}

std::int64_t NamespaceRegistry::delete_keys(std::vector<AttributeMap> keys) {
  std::int64_t deleted = 0;
  for (std::size_t begin = 0; begin < keys.size(); begin += kBatchSize) {
    std::vector<aws::WriteRequest> pending;
    for (std::size_t i = begin; i < keys.size() && i < begin + kBatchSize; ++i) {
      pending.push_back(aws::WriteRequest::erase(std::move(keys[i])));
    }
    const auto chunk = static_cast<std::int64_t>(pending.size());
    // spec/behavior.md NS-9: re-send unprocessed items until none remain.
    for (int round = 0; !pending.empty(); ++round) {
      if (round == kMaxUnprocessedRounds) {
        throw InfrastructureError("purge of table " + table_name_ + ": " +
                                      std::to_string(pending.size()) +
                                      " deletes stayed unprocessed; purge again to resume",
                                  true);
      }
      aws::BatchWriteItemResult result =
          client_.batch_write_item({.request_items = {{table_name_, std::move(pending)}}});
      auto it = result.unprocessed_items.find(table_name_);
      pending = it == result.unprocessed_items.end() ? std::vector<aws::WriteRequest>{}
                                                     : std::move(it->second);
    }
    deleted += chunk;
  }
  return deleted;
}

PurgeResult NamespaceRegistry::purge_namespace(std::string_view namespace_id) {
  PurgeResult result =
      with_zae_errors("purge namespace " + quoted(namespace_id), [&]() -> PurgeResult {
        std::optional<NamespaceRecord> reverse = read_reverse(namespace_id);
        PurgeStep step = purge_step(namespace_id, reverse);
        if (step == PurgeStep::kNothing) {
          return {};
        }
        if (step == PurgeStep::kMarkPurging) {
          // OQ-28: conditional, so a recovery that got in first is not purged.
          auto outcome =
              client_.try_update_item({.table_name = table_name_,
                                       .key = namespace_reverse_key(namespace_id).to_attributes(),
                                       .update_expression = "SET #status = :purging",
                                       .condition_expression = "#status = :deleted",
                                       .expression_attribute_names = status_name(),
                                       .expression_attribute_values = {{":purging", s(kPurging)},
                                                                       {":deleted", s(kDeleted)}},
                                       .idempotency = aws::Idempotency::kIdempotent});
          if (outcome.is_condition_failure()) {
            step = purge_step(namespace_id, read_reverse(namespace_id));
            if (step == PurgeStep::kNothing) {
              return {};
            }
          } else {
            (void)outcome.value();
          }
        }

        PurgeResult purged{.purged = true};
        const std::string prefix = std::string(namespace_id) + "/";
        // Pages through `fetch(start)` and deletes the keys of this namespace's items on each
        // page: only keys under `{ns}/`, whatever a foreign writer put into GSI4PK.
        const auto delete_pages = [&](const auto& fetch) {
          std::optional<AttributeMap> start;
          do {
            aws::QueryResult page = fetch(start);
            std::vector<AttributeMap> keys;
            for (const AttributeMap& item : page.items) {
              const AttributeValue* pk = item.find(kPk);
              const AttributeValue* sk = item.find(kSk);
              if (pk != nullptr && sk != nullptr && pk->as_string().starts_with(prefix)) {
                keys.push_back(AttributeMap{{std::string(kPk), *pk}, {std::string(kSk), *sk}});
              }
            }
            purged.items_deleted += delete_keys(std::move(keys));
            start = std::move(page.last_evaluated_key);
          } while (start);
        };
        // spec/behavior.md NS-9: page through GSI4 by the bare id (eventually consistent).
        delete_pages([&](const std::optional<AttributeMap>& start) {
          return client_.query({.table_name = table_name_,
                                .index_name = "GSI4",
                                .key_condition_expression = "GSI4PK = :ns",
                                .expression_attribute_values = {{":ns", s(namespace_id)}},
                                .exclusive_start_key = start});
        });
        // OQ-28: then by key prefix, for what GSI4 does not hold: the provisioner state (no
        // GSI4SK), a system config the retention update created without GSI4 attributes, and
        // any item written by a client that left them out. A strongly consistent Scan of the
        // whole table, paged: it costs the table's size in read capacity once per purge, which
        // is why the cheap GSI4 pass goes first and this one usually finds little.
        delete_pages([&](const std::optional<AttributeMap>& start) {
          return client_.scan({.table_name = table_name_,
                               .filter_expression = "begins_with(PK, :prefix)",
                               .projection_expression = "PK, SK",
                               .expression_attribute_values = {{":prefix", s(prefix)}},
                               .consistency = aws::ReadConsistency::kStrong,
                               .exclusive_start_key = start});
        });

        auto outcome =
            client_.try_delete_item({.table_name = table_name_,
                                     .key = namespace_reverse_key(namespace_id).to_attributes(),
                                     .condition_expression = "#status = :purging",
                                     .expression_attribute_names = status_name(),
                                     .expression_attribute_values = {{":purging", s(kPurging)}}});
        // A condition failure means a concurrent purge already removed it.
        if (!outcome.is_condition_failure()) {
          (void)outcome.value();
        }
        return purged;
      });
  std::lock_guard lock(mutex_);
  for (auto it = cache_.begin(); it != cache_.end();) {
    it = it->second == namespace_id ? cache_.erase(it) : std::next(it);
  }
  return result;
}

}  // namespace zae::dynamodb
