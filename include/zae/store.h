// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "zae/clock.h"
#include "zae/errors.h"
#include "zae/limit.h"

namespace zae {

// Consumption amounts by limit name, in whole tokens, in caller order.
using Amounts = std::vector<std::pair<std::string, std::int64_t>>;

// What acquire() does when the store cannot be reached (spec/behavior.md §3.3).
enum class OnUnavailable { kAllow, kBlock };
std::string_view to_string(OnUnavailable value);
// Parses "allow" / "block"; throws ValidationError(field "on_unavailable") otherwise.
OnUnavailable parse_on_unavailable(std::string_view text);

// Which stored level supplied the limits of a decision (RES-2). kEntity means "custom config":
// the bucket persists without TTL; every other source gets a TTL (RES-6).
enum class LimitSource { kEntity, kEntityDefault, kResource, kSystem, kOverride };
std::string_view to_string(LimitSource value);

// An entity: an API key, a project, a tenant. Parents and children form a two-level hierarchy
// (spec/behavior.md §6).
struct Entity {
  std::string id{};
  std::string name{};
  std::optional<std::string> parent_id{};
  bool cascade = false;
  std::map<std::string, std::string> metadata{};
  // UTC, "YYYY-MM-DDTHH:MM:SSZ".
  std::string created_at{};

  bool is_parent() const { return !parent_id.has_value(); }
  bool is_child() const { return parent_id.has_value(); }
  friend bool operator==(const Entity&, const Entity&) = default;
};

struct CreateEntityRequest {
  std::string entity_id{};
  // Defaults to entity_id when empty (EN-2).
  std::string name{};
  std::optional<std::string> parent_id{};
  // Every acquire on this entity also consumes from its parent.
  bool cascade = false;
  std::map<std::string, std::string> metadata{};
  // Recorded in the audit event; validated as an identifier unless it starts with "arn:".
  std::optional<std::string> principal{};
};

// System-level defaults of a namespace (spec/behavior.md §7.5).
struct SystemDefaults {
  std::vector<Limit> limits{};
  std::optional<OnUnavailable> on_unavailable{};
  friend bool operator==(const SystemDefaults&, const SystemDefaults&) = default;
};

// Which stored configuration levels to read in one batch (CC-4).
struct ConfigQuery {
  std::string entity_id{};
  std::string resource{};
  bool read_entity = true;          // (entity_id, resource)
  bool read_entity_default = true;  // (entity_id, "_default_")
  bool read_resource = true;        // resource defaults
  bool read_system = true;          // system defaults
};

// The levels a ConfigQuery asked for; nullopt means "absent" (or not asked for). An empty list
// is returned as stored; resolution treats it as absent (RES-2).
struct ConfigLevels {
  std::optional<std::vector<Limit>> entity{};
  std::optional<std::vector<Limit>> entity_default{};
  std::optional<std::vector<Limit>> resource{};
  std::optional<SystemDefaults> system{};
};

// One limit inside a stored bucket (spec/behavior.md §1.1). Token values are millitokens.
struct BucketLimitState {
  Limit limit;
  std::int64_t tokens_milli = 0;
  // Net consumption counter; nullopt for legacy buckets that do not track it.
  std::optional<std::int64_t> total_consumed_milli;
};

// A stored bucket: every limit of one (entity, resource, shard), with one shared refill
// timestamp. The internal `wcu` limit is never included.
struct BucketState {
  std::string entity_id{};
  std::string resource{};
  int shard = 0;
  int shard_count = 1;
  TimePoint last_refill{};
  // Ordered by limit name.
  std::vector<BucketLimitState> limits{};
  // Epoch seconds after which the bucket expires; nullopt when it never expires.
  std::optional<std::int64_t> ttl_epoch_seconds;
};

// One side of an atomic consumption: an entity and resource with the limits resolved for it.
struct ConsumeTarget {
  std::string entity_id{};
  std::string resource{};
  // The limits to enforce. A bucket that lacks one of them gets it, full; a stored limit whose
  // parameters differ is reconciled to these (the original never does this; OQ-3, OQ-10).
  std::vector<Limit> limits{};
  // Decides the TTL policy of the bucket (spec/data-model.md §9).
  LimitSource source = LimitSource::kOverride;
};

// Consume `amounts` from `target` and, with cascade, from `parent`, atomically: either every
// limit of every target has enough tokens and all are consumed, or nothing changes.
struct ConsumeRequest {
  ConsumeTarget target{};
  // The parent the caller believes it must cascade to (nullopt: no cascade). The store checks
  // this against the entity record it reads in the same atomic operation; when they disagree it
  // returns kCascadeMismatch without writing, so a caller's cached view of the hierarchy can
  // never skip or invent a parent's limits.
  std::optional<ConsumeTarget> parent{};
  // Whole tokens per limit name; every amount is >= 0 (the limiter validates).
  Amounts amounts{};
  TimePoint now{};
};

// One limit of one target after an admitted consumption.
struct ConsumedEntry {
  std::string entity_id{};
  std::string resource{};
  int shard = 0;
  Limit limit;
  // Tokens taken from this limit by the request (0 for limits the request did not name).
  std::int64_t consumed = 0;
  // Stored balance after the write, millitokens.
  std::int64_t tokens_milli = 0;
};

struct ConsumeResult {
  enum class Kind {
    kAdmitted,         // every limit had enough tokens; all were consumed
    kRejected,         // at least one limit is exceeded; nothing was written
    kCascadeMismatch,  // the entity's hierarchy differs from the request; nothing was written
  };
  Kind kind = Kind::kRejected;
  // kAdmitted: one entry per limit of the target, then of the parent.
  std::vector<ConsumedEntry> entries{};
  // Every limit's status, target first, then parent (RLE-6). Filled for kAdmitted and kRejected.
  std::vector<LimitStatus> statuses{};
  // kCascadeMismatch: the entity's current parent to cascade to (nullopt: none, or no entity).
  std::optional<std::string> actual_parent{};
};

// Unconditional token changes to one bucket (lease adjustments and rollbacks).
struct BucketDelta {
  std::string entity_id{};
  std::string resource{};
  int shard = 0;
  // Millitokens per limit name: positive consumes more (may drive the balance negative),
  // negative returns tokens. Returned tokens never lift a balance above the limit's capacity
  // (OQ-36). Total-consumed counters move by the same amount, uncapped.
  std::vector<std::pair<std::string, std::int64_t>> tokens_milli;
};

struct AuditEvent {
  // ULID: 26 characters, lexicographic order is time order (AU-2).
  std::string event_id{};
  // UTC, second precision, "YYYY-MM-DDTHH:MM:SSZ".
  std::string timestamp{};
  // entity_created | entity_deleted | limits_set | limits_deleted
  std::string action{};
  // The entity, or "$SYSTEM", or "$RESOURCE:<name>" for configuration levels.
  std::string entity_id{};
  std::optional<std::string> principal{};
  std::optional<std::string> resource{};
  // The action's details as a JSON object (spec/data-model.md §6.11).
  std::string details_json{};
};

// What the declarative limits provisioner manages in a namespace (spec/data-model.md §6.13,
// spec/cli.md §14.4): the items it wrote at its last apply, so the next one can delete what the
// manifest no longer declares. The Python provisioner reads and writes the same record.
struct ProvisionerState {
  // Whether the manifest had a `system` section.
  bool managed_system = false;
  // Resource names with managed resource defaults, ascending.
  std::vector<std::string> managed_resources{};
  // Entity id -> its resources (or "_default_") with managed limits, ascending.
  std::map<std::string, std::vector<std::string>> managed_entities{};
  // UTC, Python isoformat: "2026-02-19T12:34:56.789012+00:00" (the fraction omitted when zero);
  // may be empty in a record written by the original's Lambda.
  std::string last_applied{};
  // "sha256:" + hex SHA-256 of the normalised manifest's JSON (spec/cli.md §14.4).
  std::string applied_hash{};
  friend bool operator==(const ProvisionerState&, const ProvisionerState&) = default;
};

// ---- usage snapshots (spec/behavior.md §12.4, spec/data-model.md §6.12) --------------------

// Net consumption of one entity on one resource in one time window.
struct UsageSnapshot {
  std::string entity_id{};
  std::string resource{};
  // "hourly", "daily" or "monthly" (a stored item may carry another value; it is kept).
  std::string window{};
  // UTC, "YYYY-MM-DDTHH:MM:SSZ": the window's first second (AG-6).
  std::string window_start{};
  // UTC, the window's last second: hourly HH:59:59, daily 23:59:59, monthly the last second of
  // the month; equal to window_start for an unknown window type (AG-9).
  std::string window_end{};
  // Net tokens per limit name in the window (consumption minus returned tokens; may be < 0).
  std::map<std::string, std::int64_t> counters{};
  // Admitted operations counted into the window (what counts depends on the writer: see
  // SqliteStore and the aggregator).
  std::int64_t total_events = 0;
  friend bool operator==(const UsageSnapshot&, const UsageSnapshot&) = default;
};

// Which snapshots to read (US-1). At least one of entity_id and resource is required: with an
// entity the entity's snapshots are read (narrowed to `resource` when given), with only a
// resource every entity's snapshots of that resource.
struct UsageQuery {
  std::optional<std::string> entity_id{};
  std::optional<std::string> resource{};
  // Keep only this window type: "hourly", "daily" or "monthly".
  std::optional<std::string> window{};
  // Keep only snapshots with start <= window_start <= end; "YYYY-MM-DDTHH:MM:SSZ".
  std::optional<std::string> start{};
  std::optional<std::string> end{};
  // Storage page size: records read per page before the filters above (so a page may hold
  // fewer snapshots than `limit`, even none, while more pages follow). 1..10000.
  std::size_t limit = 100;
  // Where to continue: the next_key of the previous page of the same query.
  std::optional<std::string> next_key{};
};

// One page of snapshots, in descending storage order: entity mode by resource, then window
// start (for one start: monthly, daily, hourly); resource mode by window start, then entity.
struct UsagePage {
  std::vector<UsageSnapshot> snapshots{};
  // Present when more records may follow; an opaque token for UsageQuery::next_key.
  std::optional<std::string> next_key{};
};

// Aggregates over every snapshot a query matches (US-3).
struct UsageSummary {
  std::size_t snapshot_count = 0;
  // Sum per limit name.
  std::map<std::string, std::int64_t> total{};
  // Sum / number of snapshots that have the limit, per limit name.
  std::map<std::string, double> average{};
  // Smallest and largest window_start; nullopt when nothing matched.
  std::optional<std::string> min_window_start{};
  std::optional<std::string> max_window_start{};
};

struct StoreCapabilities {
  bool supports_audit_logging = false;
  bool supports_usage_snapshots = false;
  bool supports_infrastructure_management = false;
  bool supports_change_streams = false;
  bool supports_batch_operations = false;
};

// The storage behind a RateLimiter, scoped to one namespace (the original's Repository).
//
// Backend-neutral and high level: how atomicity is achieved is the backend's business. Every
// method is thread-safe. Storage failures throw InfrastructureError (is_transient() tells whether
// a retry may help); bad input throws ValidationError; expected outcomes (a rejected
// consumption) are values. Implement this to plug in a custom backend or a test double.
class Store {
 public:
  virtual ~Store() = default;

  // Namespace this store reads and writes.
  virtual const std::string& namespace_name() const = 0;
  virtual StoreCapabilities capabilities() const = 0;
  // A label for error messages (the table name, the database path).
  virtual std::string describe() const = 0;
  // True iff a lightweight read completes; never throws (RO-9).
  virtual bool is_available() noexcept = 0;

  // ---- buckets -------------------------------------------------------------------------------

  // Atomically consumes request.amounts from every target, or reports every limit's status.
  // Never admits more than a bucket holds at request.now, under any concurrency.
  virtual ConsumeResult consume(const ConsumeRequest& request) = 0;
  // Applies every delta unconditionally (each bucket independently). A delta for a bucket that
  // does not exist is skipped (it never creates a partial bucket; OQ-22). Throws
  // InfrastructureError when a write fails (the deltas before it are applied), and
  // WriteOutcomeUnknownError when a write may have been applied without an answer arriving.
  virtual void apply_deltas(std::span<const BucketDelta> deltas, TimePoint now) = 0;
  // The stored bucket (shard 0) of (entity, resource), or nullopt.
  virtual std::optional<BucketState> get_bucket(const std::string& entity_id,
                                                const std::string& resource) = 0;
  // Every stored bucket of the entity (all resources and shards).
  virtual std::vector<BucketState> get_buckets(const std::string& entity_id) = 0;

  // ---- entities ------------------------------------------------------------------------------

  // Throws EntityExistsError when the id is taken; writes audit event entity_created.
  virtual Entity create_entity(const CreateEntityRequest& request, TimePoint now) = 0;
  virtual std::optional<Entity> get_entity(const std::string& entity_id) = 0;
  // Deletes the entity, its configurations and its buckets; returns the number of records
  // deleted (0: nothing existed, no audit event). Audit events are kept.
  virtual std::size_t delete_entity(const std::string& entity_id,
                                    const std::optional<std::string>& principal,
                                    TimePoint now) = 0;
  // Children of `parent_id`, ascending by id.
  virtual std::vector<Entity> get_children(const std::string& parent_id) = 0;

  // ---- stored limits -------------------------------------------------------------------------

  // Replaces the entity's limits for `resource` (kDefaultResource for all resources) and syncs
  // the parameters of the existing bucket (SL-3).
  virtual void set_limits(const std::string& entity_id, const std::string& resource,
                          const std::vector<Limit>& limits,
                          const std::optional<std::string>& principal, TimePoint now) = 0;
  virtual std::vector<Limit> get_limits(const std::string& entity_id,
                                        const std::string& resource) = 0;
  // Returns false when nothing was stored (no audit event then).
  virtual bool delete_limits(const std::string& entity_id, const std::string& resource,
                             const std::optional<std::string>& principal, TimePoint now) = 0;

  virtual void set_resource_defaults(const std::string& resource, const std::vector<Limit>& limits,
                                     const std::optional<std::string>& principal,
                                     TimePoint now) = 0;
  virtual std::vector<Limit> get_resource_defaults(const std::string& resource) = 0;
  virtual void delete_resource_defaults(const std::string& resource,
                                        const std::optional<std::string>& principal,
                                        TimePoint now) = 0;
  // Sorted resource names with resource-level defaults.
  virtual std::vector<std::string> list_resources_with_defaults() = 0;

  // Replaces the limits and on_unavailable of the system level. Other system settings (audit
  // retention) are kept (the original erases them; OQ-15).
  virtual void set_system_defaults(const SystemDefaults& defaults,
                                   const std::optional<std::string>& principal,
                                   TimePoint now) = 0;
  virtual SystemDefaults get_system_defaults() = 0;
  virtual void delete_system_defaults(const std::optional<std::string>& principal,
                                      TimePoint now) = 0;

  // Sorted resource names that have at least one entity-level configuration.
  virtual std::vector<std::string> list_resources_with_entity_configs() = 0;
  // Entity ids with an entity-level configuration for `resource`, ascending.
  virtual std::vector<std::string> list_entities_with_custom_limits(
      const std::string& resource) = 0;

  // Reads the requested configuration levels in one round trip where the backend can.
  virtual ConfigLevels read_config_levels(const ConfigQuery& query) = 0;

  // ---- audit ---------------------------------------------------------------------------------

  // Newest first, at most `limit`; continue after `start_event_id` (exclusive) when given.
  virtual std::vector<AuditEvent> get_audit_events(
      const std::string& entity_id, std::size_t limit,
      const std::optional<std::string>& start_event_id) = 0;

  // ---- usage snapshots -----------------------------------------------------------------------

  // One page of usage snapshots (US-1). Throws ValidationError (naming the field) when neither
  // entity_id nor resource is given, for an invalid id, window type, time or limit, and for a
  // next_key that this query did not return.
  virtual UsagePage get_usage_snapshots(const UsageQuery& query) = 0;

  // ---- declarative limits --------------------------------------------------------------------

  // The provisioner state record of this namespace, or nullopt when none was written.
  virtual std::optional<ProvisionerState> get_provisioner_state() = 0;
  // Replaces the provisioner state record of this namespace (a whole-record write).
  virtual void put_provisioner_state(const ProvisionerState& state) = 0;
};

// Reads every page of `query` (from query.next_key when given; query.limit is ignored) and
// aggregates them (US-3). Never truncates: the summary covers every matching snapshot, in memory
// proportional to the number of limit names. Throws what Store::get_usage_snapshots throws.
UsageSummary summarize_usage(Store& store, UsageQuery query);

}  // namespace zae
