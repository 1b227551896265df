// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/dynamodb_client.h"
#include "aws/errors.h"
#include "dynamodb/items.h"
#include "dynamodb/keys.h"

// The namespace registry of one table (spec/behavior.md §9, spec/data-model.md §6.1-§6.2): the
// forward (name -> id) and reverse (id -> name) records under the reserved namespace `_`.
//
// Every public method throws the public zae hierarchy only: AWS errors are translated once, here
// (translate_aws_error), into InfrastructureError carrying the AWS code and request id.
//
// Departures from the original, all for OQ-25 and OQ-28 and invisible to a Python reader of the
// table (the items are the same):
// - register refuses the empty name as well as "_";
// - delete and recover each write both records in one TransactWriteItems whose conditions pin
//   the expected state, so a crash or a concurrent delete/recover/purge cannot leave a namespace
//   invisible-but-active or active-but-deleted;
// - purge moves deleted -> purging conditionally (a recovery that won the race makes the purge
//   fail with state "active", never delete live data), deletes the reverse record only while it
//   is still purging, and after the GSI4 pass also deletes by key prefix: a Scan for `{ns}/`
//   finds what the index misses (the provisioner state has no GSI4SK; a system config created by
//   the retention update, or an item of a foreign writer, may have no GSI4 attributes at all).
namespace zae::dynamodb {

struct NamespaceRegistryOptions {
  // Epoch seconds for created_at / deleted_at. Empty: the system clock.
  std::function<std::int64_t()> now_seconds{};
  // Namespace id randomness (spec/data-model.md §2.2). Empty: system_random_namespace_bytes.
  std::function<NamespaceIdBytes()> random{};
};

// An orphaned (soft-deleted) namespace (NS-8).
struct OrphanNamespace {
  std::string namespace_id{};
  std::string namespace_name{};
  std::string deleted_at{};
  friend bool operator==(const OrphanNamespace&, const OrphanNamespace&) = default;
};

// What purge_namespace did.
struct PurgeResult {
  // False when there was no reverse record (purge of an unknown id is a no-op, NS-9).
  bool purged = false;
  // Delete requests sent for data items (an item both in GSI4 and in the {ns}/SYSTEM# partition
  // counts twice; the reverse record is not counted).
  std::int64_t items_deleted = 0;
};

// Thread-safe: the name -> id cache is guarded by a mutex; `client` must outlive the registry.
class NamespaceRegistry {
 public:
  NamespaceRegistry(aws::DynamoDbClient& client, std::string table_name,
                    NamespaceRegistryOptions options = {});

  const std::string& table_name() const { return table_name_; }

  // NS-2: the namespace's id, creating it when absent (idempotent). Throws ValidationError for
  // "_" and the empty name (OQ-25).
  std::string register_namespace(std::string_view name);

  // NS-3: the id of the active namespace `name`, or nullopt. Cached (never expires, as the
  // original); delete_namespace drops the entry.
  std::optional<std::string> resolve(std::string_view name);

  // NS-4: the forward record, or nullopt (deleted namespaces have none).
  std::optional<NamespaceRecord> get(std::string_view name);

  // NS-5: every forward record (all pages), `default` included.
  std::vector<NamespaceRecord> list();

  // NS-6: soft delete. Returns false when there was no active namespace `name` (a no-op).
  // Throws ValidationError for "_".
  bool delete_namespace(std::string_view name);

  // NS-7: recovers a soft-deleted namespace and returns its name. Throws EntityNotFoundError(id)
  // without a reverse record, ValidationError when it names "_", NamespaceStateError with state
  // "active", "purging" or "re-registered" (the name was registered again meanwhile).
  std::string recover_namespace(std::string_view namespace_id);

  // NS-8: reverse records with status deleted (purging ones excluded).
  std::vector<OrphanNamespace> list_orphans();

  // NS-9: hard delete of every item of a deleted namespace: its GSI4 partition, then a
  // strongly consistent Scan by key prefix (one read of the whole table per purge). Throws
  // NamespaceStateError(active) for an active namespace, ValidationError for "_".
  PurgeResult purge_namespace(std::string_view namespace_id);

 private:
  std::optional<NamespaceRecord> read_reverse(std::string_view namespace_id);
  std::int64_t delete_keys(std::vector<aws::AttributeMap> keys);
  std::string now_text() const;

  aws::DynamoDbClient& client_;
  const std::string table_name_;
  const NamespaceRegistryOptions options_;
  std::mutex mutex_;
  std::map<std::string, std::string, std::less<>> cache_;
};

// ---- pure rules, exposed for tests ----------------------------------------------------------

// OQ-25: throws ValidationError(field "namespace") for "_" and for the empty name.
void validate_namespace_name(std::string_view name);

// NS-7: throws for a reverse record that cannot be recovered (see recover_namespace).
void check_recoverable(std::string_view namespace_id,
                       const std::optional<NamespaceRecord>& reverse);

enum class PurgeStep {
  kNothing,      // no reverse record
  kMarkPurging,  // deleted: move to purging, then delete
  kResumePurge,  // already purging (an earlier purge stopped midway)
};
// NS-9: what purge does for `reverse`; throws NamespaceStateError(active) for an active one and
// ValidationError for the reserved namespace.
PurgeStep purge_step(std::string_view namespace_id, const std::optional<NamespaceRecord>& reverse);

// Converts an aws-layer error into the public hierarchy (house style: exactly once, at the
// backend boundary). `context` names the operation ("register namespace 'a'"). ServiceError ->
// InfrastructureError whose message has the AWS code, HTTP status and request id, transient for
// throttling, conflicts and 5xx (ServiceError::is_retryable); ResourceNotFoundError ->
// InfrastructureNotFoundError; NetworkError -> InfrastructureError, transient unless TLS;
// ConfigError -> ValidationError(field "aws config"); anything else -> InfrastructureError.
[[noreturn]] void throw_translated_aws_error(const std::exception& error, std::string_view context);

// Runs `f`, translating aws-layer errors thrown by it; zae errors pass through unchanged.
template <typename F>
auto with_zae_errors(std::string_view context, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const aws::AwsError& e) {
    throw_translated_aws_error(e, context);
  }
}

}  // namespace zae::dynamodb
