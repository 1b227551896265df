// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "zae/clock.h"
#include "zae/limit.h"
#include "zae/store.h"

#include "aws/dynamodb_client.h"

// Entities, stored limits, registries and audit events of one namespace on the shared table
// (spec/data-model.md §6.4-§6.9, §6.11; spec/behavior.md §6, §7, §11), written exactly as the
// Python original writes them. The building blocks of the DynamoDB Store; bucket parameter sync
// (SL-3, SL-12) is not here.
//
// Every method validates its inputs before any I/O (zae/validation.h) and throws the public zae
// hierarchy only (AWS errors translated by with_zae_errors). Departures from the original,
// invisible to a Python reader of the table:
// - identifiers, resources and principals are validated up front, so a bad principal never
//   raises after the audited write (OQ-11, OQ-27);
// - set_system_defaults is a partial update that keeps audit_retention_days (OQ-15), and
//   delete_system_defaults keeps it too (it removes the other attributes instead);
// - get_children reads every page of GSI1 (the original reads one).
namespace zae::dynamodb {

struct EntityConfigOpsOptions {
  // 80 random bits of each audit event id (spec/data-model.md §6.11). Empty: std::random_device.
  std::function<std::array<std::uint8_t, 10>()> ulid_randomness{};
  // Audit retention when the system config has no audit_retention_days (AU-4: the stack
  // option, else 90 days).
  std::int64_t default_audit_retention_days = 90;
};

// Thread-safe; `client` must outlive the object.
class EntityConfigOps {
 public:
  EntityConfigOps(aws::DynamoDbClient& client, std::string table_name, std::string namespace_id,
                  EntityConfigOpsOptions options = {});

  const std::string& table_name() const { return table_; }
  const std::string& namespace_id() const { return ns_; }

  // ---- entities (spec/behavior.md §6) ---------------------------------------------------------

  // EN-1..EN-6: conditional put of META (§6.7), GSI1 keys only with a parent; throws
  // EntityExistsError when the id is taken; then audit entity_created.
  Entity create_entity(const CreateEntityRequest& request, TimePoint now);
  // EN-8: eventually consistent read of META.
  std::optional<Entity> get_entity(const std::string& entity_id);
  // EN-9..EN-13: deletes META, every config, usage snapshot and bucket of the entity (every
  // page, unprocessed items resent), decrements the entity-config registry for each deleted
  // config (the original does not; OQ-17), then audits entity_deleted. Returns the number of
  // items deleted (0: nothing existed, no audit event).
  std::size_t delete_entity(const std::string& entity_id,
                            const std::optional<std::string>& principal, TimePoint now);
  // EN-14: children of `parent_id` through GSI1, ascending by id, every page.
  std::vector<Entity> get_children(const std::string& parent_id);

  // ---- entity-level limits (spec/behavior.md §7.1-§7.3, spec/data-model.md §6.6) -------------

  // `resource` is a resource name or kDefaultResource. Config put conditional on absence plus
  // registry ADD 1 in one transaction; on ConditionalCheckFailed a plain overwrite. Audit
  // limits_set. No bucket sync (the Store does it).
  void set_limits(const std::string& entity_id, const std::string& resource,
                  const std::vector<Limit>& limits, const std::optional<std::string>& principal,
                  TimePoint now);
  // SL-6: [] when absent.
  std::vector<Limit> get_limits(const std::string& entity_id, const std::string& resource);
  // SL-8, SL-9: returns false (no audit) when nothing was stored.
  bool delete_limits(const std::string& entity_id, const std::string& resource,
                     const std::optional<std::string>& principal, TimePoint now);

  // ---- resource defaults (spec/behavior.md §7.4, spec/data-model.md §6.5, §6.9) ---------------

  void set_resource_defaults(const std::string& resource, const std::vector<Limit>& limits,
                             const std::optional<std::string>& principal, TimePoint now);
  std::vector<Limit> get_resource_defaults(const std::string& resource);
  void delete_resource_defaults(const std::string& resource,
                                const std::optional<std::string>& principal, TimePoint now);
  // SL-16: sorted.
  std::vector<std::string> list_resources_with_defaults();

  // ---- system defaults (spec/behavior.md §7.5, spec/data-model.md §6.4) -----------------------

  void set_system_defaults(const SystemDefaults& defaults,
                           const std::optional<std::string>& principal, TimePoint now);
  SystemDefaults get_system_defaults();
  void delete_system_defaults(const std::optional<std::string>& principal, TimePoint now);

  // ---- registries (spec/behavior.md §7.6, spec/data-model.md §6.8) ----------------------------

  // SL-20: sorted resource names with a count > 0.
  std::vector<std::string> list_resources_with_entity_configs();
  // SL-21: entity ids with a config for `resource` (GSI3), ascending, every page.
  std::vector<std::string> list_entities_with_custom_limits(const std::string& resource);

  // ---- audit (spec/behavior.md §11, spec/data-model.md §6.11) ---------------------------------

  // AU-5: newest first, one page of at most `limit`, after `start_event_id` (exclusive).
  // `entity_id` may be "$SYSTEM" or "$RESOURCE:<resource>".
  std::vector<AuditEvent> get_audit_events(const std::string& entity_id, std::size_t limit,
                                           const std::optional<std::string>& start_event_id);

 private:
  void write_audit(std::string entity_id, std::string action,
                   const std::optional<std::string>& resource, std::string details_json,
                   const std::optional<std::string>& principal, TimePoint now);
  std::int64_t audit_retention_days();
  std::optional<aws::AttributeMap> read(
      const aws::AttributeMap& key,
      aws::ReadConsistency consistency = aws::ReadConsistency::kEventual);

  aws::DynamoDbClient& client_;
  const std::string table_;
  const std::string ns_;
  const EntityConfigOpsOptions options_;
  std::mutex mutex_;
  std::optional<std::int64_t> retention_days_;
  // Audit ids: monotonic within a millisecond.
  std::string next_event_id(std::int64_t now_ms);
  std::mutex ulid_mutex_;
  std::optional<std::int64_t> last_ulid_ms_;
  std::array<std::uint8_t, 10> last_ulid_randomness_{};
};

// ---- pure rules, exposed for tests ----------------------------------------------------------

// AU-3: a principal not starting with "arn:" must be a valid identifier
// (InvalidIdentifierError, field "principal").
void validate_principal(const std::optional<std::string>& principal);
// A resource name, or kDefaultResource (entity level only).
void validate_entity_resource(const std::string& resource);
// An audit entity id: an identifier, "$SYSTEM" or "$RESOURCE:<resource>".
void validate_audit_entity(const std::string& entity_id);
// {"limits":[{"name":..,"capacity":..,"refill_amount":..,"refill_period_seconds":..}]}, plus
// "on_unavailable" (a string or null) when `on_unavailable` is set (spec/data-model.md §6.11).
std::string limits_details_json(const std::vector<Limit>& limits,
                                std::optional<std::optional<OnUnavailable>> on_unavailable = {});

}  // namespace zae::dynamodb
