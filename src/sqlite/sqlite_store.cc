// SPDX-License-Identifier: MIT
#include "sqlite/sqlite_store.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "zae/errors.h"
#include "zae/validation.h"

#include "core/bucket.h"
#include "core/json.h"
#include "core/limit_json.h"
#include "core/time_format.h"
#include "core/ulid.h"
#include "sqlite/codec.h"
#include "sqlite/connection.h"
#include "sqlite/schema.h"
#include "sqlite/usage.h"
#include "store/request_checks.h"
#include "store/usage_query.h"

namespace zae::sqlite {
namespace {

using core::kMilli;

// Steps `select` to the end and returns its first column.
std::vector<std::string> first_column(Statement& select) {
  std::vector<std::string> values;
  while (select.step()) {
    values.emplace_back(select.text(0));
  }
  return values;
}

// ---- SQL --------------------------------------------------------------------------------------
// Statements are cached per connection by the address of these constants.

constexpr char kSelectSchemaVersion[] = "SELECT version FROM zae_schema WHERE id = 1";
constexpr char kInsertSchemaVersion[] =
    "INSERT INTO zae_schema (id, version, created_at) VALUES (1, ?1, ?2)";
constexpr char kSelectNamespace[] = "SELECT id, status FROM namespaces WHERE name = ?1";
constexpr char kInsertNamespace[] =
    "INSERT OR IGNORE INTO namespaces (name, id, status, created_at) "
    "VALUES (?1, ?2, 'active', ?3)";
constexpr char kPurgeExpiredBuckets[] =
    "DELETE FROM buckets WHERE ns = ?1 AND ttl IS NOT NULL AND ttl <= ?2";
constexpr char kPurgeExpiredAudit[] = "DELETE FROM audit_events WHERE ns = ?1 AND ttl <= ?2";
constexpr char kSelectOne[] = "SELECT 1";

constexpr char kSelectEntity[] =
    "SELECT entity_id, name, parent_id, cascades, metadata, created_at FROM entities "
    "WHERE ns = ?1 AND entity_id = ?2";
constexpr char kSelectHierarchy[] =
    "SELECT cascades, parent_id FROM entities WHERE ns = ?1 AND entity_id = ?2";
constexpr char kInsertEntity[] =
    "INSERT INTO entities (ns, entity_id, name, parent_id, cascades, metadata, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING";
constexpr char kDeleteEntity[] = "DELETE FROM entities WHERE ns = ?1 AND entity_id = ?2";
constexpr char kDeleteEntityConfigs[] =
    "DELETE FROM entity_configs WHERE ns = ?1 AND entity_id = ?2";
constexpr char kDeleteEntityBuckets[] = "DELETE FROM buckets WHERE ns = ?1 AND entity_id = ?2";
constexpr char kSelectChildren[] =
    "SELECT entity_id, name, parent_id, cascades, metadata, created_at FROM entities "
    "WHERE ns = ?1 AND parent_id = ?2 ORDER BY entity_id";

constexpr char kSelectBucket[] =
    "SELECT limits, rf, shard_count, ttl, usage_hour, usage_counters, usage_events FROM buckets "
    "WHERE ns = ?1 AND entity_id = ?2 AND resource = ?3 AND shard = ?4";
constexpr char kSelectEntityBuckets[] =
    "SELECT resource, shard, limits, rf, shard_count, ttl FROM buckets "
    "WHERE ns = ?1 AND entity_id = ?2 ORDER BY resource, shard";
constexpr char kInsertBucket[] =
    "INSERT OR REPLACE INTO buckets "
    "(ns, entity_id, resource, shard, limits, rf, cascades, parent_id, shard_count, ttl, "
    "usage_hour, usage_counters, usage_events) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?10, ?11, ?12)";
constexpr char kUpdateBucketSetTtl[] =
    "UPDATE buckets SET limits = ?5, rf = ?6, cascades = ?7, parent_id = ?8, ttl = ?9, "
    "usage_hour = ?10, usage_counters = ?11, usage_events = ?12 "
    "WHERE ns = ?1 AND entity_id = ?2 AND resource = ?3 AND shard = ?4";
constexpr char kUpdateBucketKeepTtl[] =
    "UPDATE buckets SET limits = ?5, rf = ?6, cascades = ?7, parent_id = ?8, "
    "usage_hour = ?10, usage_counters = ?11, usage_events = ?12 "
    "WHERE ns = ?1 AND entity_id = ?2 AND resource = ?3 AND shard = ?4";
constexpr char kUpdateBucketTokens[] =
    "UPDATE buckets SET limits = ?5, rf = ?6, "
    "usage_hour = ?7, usage_counters = ?8, usage_events = ?9 "
    "WHERE ns = ?1 AND entity_id = ?2 AND resource = ?3 AND shard = ?4";
constexpr char kUpdateBucketTokensClearTtl[] =
    "UPDATE buckets SET limits = ?5, rf = ?6, ttl = NULL, "
    "usage_hour = ?7, usage_counters = ?8, usage_events = ?9 "
    "WHERE ns = ?1 AND entity_id = ?2 AND resource = ?3 AND shard = ?4";
// Buckets of files created before usage recording get the pending-usage columns
// (src/sqlite/usage.h); older builds never name them.
constexpr char kSelectBucketUsageColumn[] =
    "SELECT 1 FROM pragma_table_info('buckets') WHERE name = 'usage_hour'";
constexpr char kAddBucketUsageColumns[] =
    "ALTER TABLE buckets ADD COLUMN usage_hour INTEGER; "
    "ALTER TABLE buckets ADD COLUMN usage_counters TEXT; "
    "ALTER TABLE buckets ADD COLUMN usage_events INTEGER;";

constexpr char kSelectEntityConfig[] =
    "SELECT limits FROM entity_configs WHERE ns = ?1 AND entity_id = ?2 AND resource = ?3";
constexpr char kUpsertEntityConfig[] =
    "INSERT INTO entity_configs (ns, entity_id, resource, limits) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (ns, entity_id, resource) DO UPDATE SET limits = excluded.limits";
constexpr char kDeleteEntityConfig[] =
    "DELETE FROM entity_configs WHERE ns = ?1 AND entity_id = ?2 AND resource = ?3";
constexpr char kListEntityConfigResources[] =
    "SELECT DISTINCT resource FROM entity_configs WHERE ns = ?1 ORDER BY resource";
constexpr char kListEntitiesWithConfig[] =
    "SELECT entity_id FROM entity_configs WHERE ns = ?1 AND resource = ?2 ORDER BY entity_id";

constexpr char kSelectResourceConfig[] =
    "SELECT limits FROM resource_configs WHERE ns = ?1 AND resource = ?2";
constexpr char kUpsertResourceConfig[] =
    "INSERT INTO resource_configs (ns, resource, limits) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (ns, resource) DO UPDATE SET limits = excluded.limits";
constexpr char kDeleteResourceConfig[] =
    "DELETE FROM resource_configs WHERE ns = ?1 AND resource = ?2";
constexpr char kListResourceConfigs[] =
    "SELECT resource FROM resource_configs WHERE ns = ?1 ORDER BY resource";

constexpr char kSelectSystemConfig[] =
    "SELECT limits, on_unavailable FROM system_configs WHERE ns = ?1";
constexpr char kSelectAuditRetention[] =
    "SELECT audit_retention_days FROM system_configs WHERE ns = ?1";
// Updates only the two columns it owns, so other system settings survive (OQ-15).
constexpr char kUpsertSystemConfig[] =
    "INSERT INTO system_configs (ns, limits, on_unavailable) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (ns) DO UPDATE SET limits = excluded.limits, "
    "on_unavailable = excluded.on_unavailable";
constexpr char kClearSystemConfig[] =
    "UPDATE system_configs SET limits = NULL, on_unavailable = NULL WHERE ns = ?1";

constexpr char kInsertAudit[] =
    "INSERT INTO audit_events "
    "(ns, entity_id, event_id, timestamp, action, principal, resource, details, ttl) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
constexpr char kSelectAudit[] =
    "SELECT event_id, timestamp, action, principal, resource, details FROM audit_events "
    "WHERE ns = ?1 AND entity_id = ?2 ORDER BY event_id DESC LIMIT ?3";
constexpr char kSelectAuditBefore[] =
    "SELECT event_id, timestamp, action, principal, resource, details FROM audit_events "
    "WHERE ns = ?1 AND entity_id = ?2 AND event_id < ?4 ORDER BY event_id DESC LIMIT ?3";

// ---- constants ----------------------------------------------------------------------------------

constexpr std::string_view kSystemAuditId = "$SYSTEM";
constexpr std::string_view kResourceAuditPrefix = "$RESOURCE:";
constexpr std::int64_t kDefaultAuditRetentionDays = 90;  // AU-4
constexpr std::int64_t kSecondsPerDay = 86'400;

std::int64_t epoch_seconds(std::int64_t now_ms) { return core::floor_div(now_ms, kMilli); }

std::string utc_timestamp(TimePoint now) {
  return core::format_utc_seconds(epoch_seconds(epoch_ms(now)));
}

// ---- validation (before any I/O; OQ-11, OQ-27) --------------------------------------------------

void check_resource(const std::string& resource, bool allow_default) {
  if (allow_default && resource == kDefaultResource) {
    return;
  }
  validate_resource(resource, "resource");
}

void check_audit_entity(const std::string& entity_id) {
  if (entity_id == kSystemAuditId) {
    return;
  }
  if (entity_id.starts_with(kResourceAuditPrefix)) {
    validate_resource(std::string_view(entity_id).substr(kResourceAuditPrefix.size()), "entity_id");
    return;
  }
  validate_identifier(entity_id, "entity_id");
}

// ---- JSON details (spec/data-model.md §6.11) ----------------------------------------------------

std::string limits_details(std::span<const Limit> limits) {
  core::JsonWriter writer;
  writer.begin_object().key("limits");
  core::write_limits_json(writer, limits);
  writer.end_object();
  return std::move(writer).str();
}

void write_on_unavailable(core::JsonWriter& writer, const std::optional<OnUnavailable>& value) {
  writer.key("on_unavailable");
  if (value) {
    writer.value(to_string(*value));
  } else {
    writer.null();
  }
}

// ---- buckets ----------------------------------------------------------------------------------

// A bucket row loaded inside a write transaction and brought to `now`.
struct WorkingBucket {
  std::string entity_id;
  std::string resource;
  int shard = 0;
  // False when no row exists or it has expired (ttl <= now_s): the write then creates it.
  bool exists = false;
  std::vector<StoredLimit> limits;
  // The refill time every limit has been brought to; written back as `rf`. Never earlier than
  // the stored rf, so a caller with an older `now` cannot make the next refill count the same
  // interval twice (B-1).
  std::int64_t rf = 0;
  // The row's usage not yet in usage_snapshots; kept across expiry (src/sqlite/usage.h).
  PendingUsage usage{};
  // The row's ttl as stored (also of an expired row), which a write that keeps the TTL keeps.
  std::optional<std::int64_t> stored_ttl{};
};

StoredLimit* find_limit(WorkingBucket& bucket, std::string_view name) {
  for (StoredLimit& limit : bucket.limits) {
    if (limit.name == name) {
      return &limit;
    }
  }
  return nullptr;
}

[[noreturn]] void corrupt_bucket(const Connection& connection, const WorkingBucket& bucket) {
  throw InfrastructureError("corrupt bucket row for entity '" + bucket.entity_id +
                            "' and resource '" + bucket.resource + "' in '" + connection.path() +
                            "'");
}

// Brings a stored row to `now_ms`: `bucket.limits` hold the balances at `stored_rf`, and EVERY
// stored limit is refilled to `now_ms` with its stored parameters (core::refill). All of them
// must be refilled because they share `rf`, which the write moves (OQ-43). The drift-compensated
// remainder is dropped, as the original does at every write. An expired row (ttl <= now_s;
// data-model §9, even before it is removed) counts as absent and keeps only its pending usage.
void restore_bucket(WorkingBucket& bucket, std::int64_t stored_rf, std::int64_t now_ms) {
  if (bucket.stored_ttl && *bucket.stored_ttl <= epoch_seconds(now_ms)) {
    bucket.limits.clear();
    return;
  }
  bucket.exists = true;
  bucket.rf = std::max(stored_rf, now_ms);
  for (StoredLimit& limit : bucket.limits) {
    limit.tokens_milli =
        core::refill({limit.tokens_milli, stored_rf}, now_ms, limit.params).tokens_milli;
  }
}

// Reads the bucket row inside the caller's transaction and restores it (restore_bucket).
WorkingBucket load_bucket(Connection& connection, const std::string& ns,
                          const std::string& entity_id, const std::string& resource, int shard,
                          std::int64_t now_ms) {
  WorkingBucket bucket{.entity_id = entity_id, .resource = resource, .shard = shard, .limits = {}};
  bucket.rf = now_ms;
  Statement select(connection, kSelectBucket);
  select.bind_view(1, ns)
      .bind_view(2, entity_id)
      .bind_view(3, resource)
      .bind(4, std::int64_t{shard});
  if (!select.step()) {
    return bucket;
  }
  bucket.usage = PendingUsage{.hour = select.optional_int64(4),
                              .counters = select.optional_text(5).value_or(""),
                              .events = select.optional_int64(6).value_or(0)};
  bucket.stored_ttl = select.optional_int64(3);
  if (bucket.stored_ttl && *bucket.stored_ttl <= epoch_seconds(now_ms)) {
    return bucket;  // expired: nothing to decode
  }
  if (!decode_bucket_limits(select.text(0), bucket.limits)) {
    corrupt_bucket(connection, bucket);
  }
  restore_bucket(bucket, select.int64(1), now_ms);
  return bucket;
}

// OQ-3, OQ-10, OQ-44: the resolved limits are the truth. A limit the row lacks is added full;
// a stored limit whose parameters differ takes the new ones with its balance clamped to the new
// capacity (its counter is kept). Stored limits that are not resolved stay as they are.
void reconcile(WorkingBucket& bucket, std::span<const Limit> limits) {
  for (const Limit& limit : limits) {
    const core::BucketParams params = core::BucketParams::from(limit);
    if (StoredLimit* stored = find_limit(bucket, limit.name())) {
      if (stored->params != params) {
        stored->params = params;
        stored->tokens_milli = std::min(stored->tokens_milli, params.capacity_milli);
      }
      continue;
    }
    bucket.limits.push_back(
        StoredLimit{.name = limit.name(),
                    .params = params,
                    .tokens_milli = core::full_bucket(params, bucket.rf).tokens_milli,
                    .total_consumed_milli = 0});
  }
}

// The TTL a consume write applies (spec/data-model.md §9, behavior.md §3.9 "Normal"/"Create").
struct TtlPolicy {
  enum class Action { kKeep, kClear, kSet } action = Action::kKeep;
  std::int64_t value = 0;
};

TtlPolicy consume_ttl(const ConsumeTarget& target, int multiplier, std::int64_t now_ms) {
  if (target.source == LimitSource::kEntity) {
    return {TtlPolicy::Action::kClear};  // custom config persists (RES-6)
  }
  if (multiplier <= 0) {
    return {TtlPolicy::Action::kKeep};  // none on create
  }
  const std::int64_t ttl_s = core::ttl_seconds(target.limits, multiplier);
  if (ttl_s == 0) {
    return {TtlPolicy::Action::kClear};  // OQ-24: a zero TTL means "no TTL"
  }
  return {TtlPolicy::Action::kSet, epoch_seconds(now_ms) + ttl_s};
}

// The entity's cascade settings as stored (no row: no cascade).
struct Hierarchy {
  bool cascade = false;
  std::optional<std::string> parent_id;
};

Hierarchy read_hierarchy(Connection& connection, const std::string& ns,
                         const std::string& entity_id) {
  Statement select(connection, kSelectHierarchy);
  select.bind_view(1, ns).bind_view(2, entity_id);
  if (!select.step()) {
    return {};
  }
  return {select.int64(0) != 0, select.optional_text(1)};
}

void bind_key(Statement& statement, const std::string& ns, const WorkingBucket& bucket) {
  statement.bind_view(1, ns)
      .bind_view(2, bucket.entity_id)
      .bind_view(3, bucket.resource)
      .bind(4, std::int64_t{bucket.shard});
}

// Binds the pending-usage columns at `first`, `first` + 1, `first` + 2.
void bind_usage(Statement& statement, int first, const PendingUsage& usage) {
  statement.bind(first, usage.hour);
  if (usage.hour) {
    statement.bind_view(first + 1, usage.counters).bind(first + 2, usage.events);
  } else {
    statement.bind_null(first + 1).bind_null(first + 2);
  }
}

// Writes a consumed bucket: a new row (replacing an expired one) or an update of rf, the
// limits, the denormalized hierarchy (refreshed on every write; OQ-8) and the TTL.
void write_consumed_bucket(Connection& connection, const std::string& ns,
                           const WorkingBucket& bucket, const Hierarchy& hierarchy,
                           const TtlPolicy& ttl, std::string& scratch) {
  scratch.clear();
  append_bucket_limits(scratch, bucket.limits);
  const char* sql = !bucket.exists                           ? kInsertBucket
                    : ttl.action == TtlPolicy::Action::kKeep ? kUpdateBucketKeepTtl
                                                             : kUpdateBucketSetTtl;
  Statement write(connection, sql);
  bind_key(write, ns, bucket);
  write.bind_view(5, scratch)
      .bind(6, bucket.rf)
      .bind(7, std::int64_t{hierarchy.cascade})
      .bind_view(8, hierarchy.parent_id);
  bind_usage(write, 10, bucket.usage);
  if (sql != kUpdateBucketKeepTtl) {
    if (ttl.action == TtlPolicy::Action::kSet) {
      write.bind(9, ttl.value);
    } else {
      write.bind_null(9);
    }
  }
  write.run();
}

void write_bucket_tokens(Connection& connection, const std::string& ns, const WorkingBucket& bucket,
                         const char* sql) {
  std::string limits;
  append_bucket_limits(limits, bucket.limits);
  Statement write(connection, sql);
  bind_key(write, ns, bucket);
  write.bind_view(5, limits).bind(6, bucket.rf);
  bind_usage(write, 7, bucket.usage);
  write.run();
}

// The ttl a consume write leaves in the row (write_consumed_bucket).
std::optional<std::int64_t> written_ttl(const WorkingBucket& bucket, const TtlPolicy& ttl) {
  switch (ttl.action) {
    case TtlPolicy::Action::kSet:
      return ttl.value;
    case TtlPolicy::Action::kClear:
      return std::nullopt;
    case TtlPolicy::Action::kKeep:
      break;
  }
  return bucket.exists ? bucket.stored_ttl : std::nullopt;
}

// What this connection's own consume commits wrote: the bucket rows (balances at their rf, ttl,
// pending usage) and the stored hierarchy of each row's entity. The rows are the database's
// truth while the connection's data version is still the one read right after the last of
// those commits: no other connection or process has committed since, and neither has this one
// through any other call. consume then skips reading them, two of the five statements of a warm
// consume. The check runs inside the write transaction, whose lock keeps the database as it is.
// Any commit by anyone makes every row a miss, so this pays off for one writer (a process on
// its own file, locking=exclusive, a single busy thread) and costs one file-control call else.
class ConsumeCache final : public Connection::Cache {
 public:
  struct Row {
    std::string entity_id;
    std::string resource;
    Hierarchy hierarchy;
    std::vector<StoredLimit> limits;  // balances at rf
    std::int64_t rf = 0;
    std::optional<std::int64_t> ttl;
    PendingUsage usage;
  };

  static ConsumeCache& of(Connection& connection) {
    if (connection.cache() == nullptr) {
      connection.set_cache(std::make_unique<ConsumeCache>());
    }
    return static_cast<ConsumeCache&>(*connection.cache());
  }

  // True when the rows are still the truth; otherwise forgets them. Inside the transaction.
  bool validate(Connection& connection) {
    if (valid_ && version_ == connection.data_version()) {
      return true;
    }
    rows_.clear();
    valid_ = false;
    return false;
  }

  const Row* find(std::string_view entity_id, std::string_view resource) const {
    for (const Row& row : rows_) {
      if (row.entity_id == entity_id && row.resource == resource) {
        return &row;
      }
    }
    return nullptr;
  }

  // The cached row as load_bucket would have read it, brought to `now_ms`.
  static WorkingBucket restore(const Row& row, std::int64_t now_ms) {
    WorkingBucket bucket{.entity_id = row.entity_id,
                         .resource = row.resource,
                         .shard = 0,
                         .exists = false,
                         .limits = row.limits,
                         .rf = now_ms,
                         .usage = row.usage,
                         .stored_ttl = row.ttl};
    restore_bucket(bucket, row.rf, now_ms);
    return bucket;
  }

  // Before the transaction writes: from here until committed() the rows may not be the truth.
  void invalidate() { valid_ = false; }

  // After the commit, for each row it wrote.
  void put(Row row) {
    for (Row& existing : rows_) {
      if (existing.entity_id == row.entity_id && existing.resource == row.resource) {
        existing = std::move(row);
        return;
      }
    }
    if (rows_.size() < kCapacity) {
      rows_.push_back(std::move(row));
      return;
    }
    rows_[next_victim_] = std::move(row);
    next_victim_ = (next_victim_ + 1) % kCapacity;
  }

  // After the commit and the put() of its rows.
  void committed(Connection& connection) {
    version_ = connection.data_version();
    valid_ = true;
  }

 private:
  static constexpr std::size_t kCapacity = 16;
  std::vector<Row> rows_;
  std::size_t next_victim_ = 0;
  std::uint32_t version_ = 0;
  bool valid_ = false;
};

BucketState to_bucket_state(const Connection& connection, std::string entity_id,
                            std::string resource, int shard, std::string_view limits,
                            std::int64_t rf, std::int64_t shard_count,
                            std::optional<std::int64_t> ttl) {
  BucketState state{.entity_id = std::move(entity_id),
                    .resource = std::move(resource),
                    .shard = shard,
                    .shard_count = static_cast<int>(shard_count),
                    .last_refill = from_epoch_ms(rf),
                    .limits = {},
                    .ttl_epoch_seconds = ttl};
  std::vector<StoredLimit> stored;
  if (!decode_bucket_limits(limits, stored)) {
    corrupt_bucket(
        connection,
        WorkingBucket{.entity_id = state.entity_id, .resource = state.resource, .limits = {}});
  }
  state.limits.reserve(stored.size());
  for (const StoredLimit& limit : stored) {
    state.limits.push_back(BucketLimitState{.limit = limit_from_params(limit.name, limit.params),
                                            .tokens_milli = limit.tokens_milli,
                                            .total_consumed_milli = limit.total_consumed_milli});
  }
  // The Store contract orders limits by name, whatever the storage order.
  std::sort(state.limits.begin(), state.limits.end(),
            [](const BucketLimitState& a, const BucketLimitState& b) {
              return a.limit.name() < b.limit.name();
            });
  return state;
}

// ---- entities ---------------------------------------------------------------------------------

Entity read_entity_row(const Statement& select) {
  Entity entity;
  entity.id = std::string(select.text(0));
  entity.name = std::string(select.text(1));
  entity.parent_id = select.optional_text(2);
  entity.cascade = select.int64(3) != 0;
  std::optional<std::map<std::string, std::string>> metadata = decode_metadata(select.text(4));
  if (!metadata) {
    throw InfrastructureError("corrupt metadata of entity '" + entity.id + "'");
  }
  entity.metadata = std::move(*metadata);
  entity.created_at = std::string(select.text(5));
  return entity;
}

// ---- namespaces -------------------------------------------------------------------------------

// NS-1: 8 random bytes, base64url without padding (11 characters), regenerated while the
// first character is '-'.
std::string make_namespace_id() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::random_device entropy;
  while (true) {
    std::array<std::uint8_t, 8> bytes;
    for (std::uint8_t& byte : bytes) {
      byte = static_cast<std::uint8_t>(entropy());
    }
    std::string id;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const std::uint8_t byte : bytes) {
      buffer = (buffer << 8) | byte;
      bits += 8;
      while (bits >= 6) {
        bits -= 6;
        id.push_back(kAlphabet[(buffer >> bits) & 0x3F]);
      }
    }
    if (bits > 0) {
      id.push_back(kAlphabet[(buffer << (6 - bits)) & 0x3F]);
    }
    if (id.front() != '-') {
      return id;
    }
  }
}

}  // namespace

// ---- audit ------------------------------------------------------------------------------------

struct SqliteStore::AuditRecord {
  std::string_view entity_id;
  std::string_view action;
  const std::optional<std::string>& principal;
  std::optional<std::string_view> resource;
  std::string details_json;
};

// ULID event ids (AU-2) from a random source seeded once from std::random_device. Within one
// millisecond the ids of this store increase (the random part is incremented), so the events of
// one process list in the order they were written.
class SqliteStore::EventIds {
 public:
  std::string next(std::int64_t now_ms) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (now_ms == last_ms_ && increment()) {
      return core::make_ulid(now_ms, last_random_);
    }
    for (std::uint8_t& byte : last_random_) {
      byte = static_cast<std::uint8_t>(engine_());
    }
    // Leave headroom so that increments within the same millisecond cannot overflow.
    last_random_[0] &= 0x7F;
    last_ms_ = now_ms;
    return core::make_ulid(now_ms, last_random_);
  }

 private:
  bool increment() {
    for (std::size_t i = last_random_.size(); i-- > 0;) {
      if (++last_random_[i] != 0) {
        return true;
      }
    }
    return false;
  }

  std::mutex mutex_;
  std::mt19937_64 engine_{std::random_device{}()};
  std::int64_t last_ms_ = std::numeric_limits<std::int64_t>::min();
  std::array<std::uint8_t, 10> last_random_{};
};

void SqliteStore::write_audit(Connection& connection, const AuditRecord& record, TimePoint now) {
  // AU-4: retention from the namespace's system settings, else 90 days.
  std::int64_t retention_days = kDefaultAuditRetentionDays;
  {
    Statement select(connection, kSelectAuditRetention);
    select.bind(1, namespace_id_);
    if (select.step() && !select.is_null(0) && select.int64(0) > 0) {
      retention_days = select.int64(0);
    }
  }
  const std::int64_t now_ms = epoch_ms(now);
  Statement insert(connection, kInsertAudit);
  insert.bind(1, namespace_id_)
      .bind(2, record.entity_id)
      .bind(3, event_ids_->next(now_ms))
      .bind(4, utc_timestamp(now))
      .bind(5, record.action)
      .bind(6, record.principal);
  if (record.resource) {
    insert.bind(7, *record.resource);
  } else {
    insert.bind_null(7);
  }
  insert.bind(8, record.details_json)
      .bind(9, epoch_seconds(now_ms) + retention_days * kSecondsPerDay)
      .run();
}

// ---- lifecycle --------------------------------------------------------------------------------

std::unique_ptr<SqliteStore> SqliteStore::open(const SqliteOptions& options) {
  // NS-2, OQ-25: "_" is the registry's reserved namespace.
  if (options.namespace_name.empty()) {
    throw ValidationError("namespace", options.namespace_name, "cannot be empty");
  }
  if (options.namespace_name == "_") {
    throw ValidationError("namespace", options.namespace_name, "'_' is a reserved namespace");
  }
  if (options.path.empty()) {
    throw ValidationError("store", options.path, "missing path");
  }
  if (options.path != ":memory:") {
    const std::filesystem::path parent = std::filesystem::path(options.path).parent_path();
    std::error_code error;
    if (!parent.empty()) {
      std::filesystem::create_directories(parent, error);
    }
    if (error) {
      throw InfrastructureError("cannot create the directory '" + parent.string() +
                                "' of SQLite database '" + options.path + "': " + error.message());
    }
  }
  auto pool = std::make_unique<ConnectionPool>(ConnectionSettings{
      .path = options.path,
      .busy_timeout = options.busy_timeout,
      .synchronous_full = options.synchronous == SqliteOptions::Synchronous::kFull,
      .wal_autocheckpoint = options.wal_autocheckpoint,
      .exclusive_locking = options.exclusive_locking});
  std::unique_ptr<SqliteStore> store(new SqliteStore(options, std::move(pool)));
  store->initialize();
  return store;
}

SqliteStore::SqliteStore(SqliteOptions options, std::unique_ptr<ConnectionPool> pool)
    : options_(std::move(options)),
      pool_(std::move(pool)),
      event_ids_(std::make_unique<EventIds>()) {}

SqliteStore::~SqliteStore() = default;

TimePoint SqliteStore::clock_now() const {
  return (options_.clock != nullptr ? *options_.clock : SystemClock::instance()).now();
}

void SqliteStore::initialize() {
  const TimePoint now = clock_now();
  auto connection = pool_->acquire();
  connection->exec(kCreateSchemaTable);
  Transaction transaction(*connection, Transaction::Mode::kWrite);
  {
    Statement select(*connection, kSelectSchemaVersion);
    if (select.step()) {
      const std::int64_t version = select.int64(0);
      if (version > kSchemaVersion) {
        throw IncompatibleSchemaError(
            std::to_string(kSchemaVersion), std::to_string(version),
            "The SQLite database '" + options_.path + "' was written by a newer zae-limiter " +
                "(schema version " + std::to_string(version) + "); this build reads schema " +
                "version " + std::to_string(kSchemaVersion) + " only. Upgrade zae-limiter.");
      }
    } else {
      Statement(*connection, kInsertSchemaVersion)
          .bind(1, std::int64_t{kSchemaVersion})
          .bind(2, utc_timestamp(now))
          .run();
    }
  }
  connection->exec(kCreateTables);
  if (!Statement(*connection, kSelectBucketUsageColumn).step()) {
    connection->exec(kAddBucketUsageColumns);
  }

  // Register the namespace when missing (NS-2). INSERT OR IGNORE also absorbs the rare id
  // collision, after which a fresh id is tried.
  for (int attempt = 0; namespace_id_.empty(); ++attempt) {
    Statement select(*connection, kSelectNamespace);
    select.bind(1, options_.namespace_name);
    if (select.step()) {
      if (select.text(1) != "active") {
        throw NamespaceStateError(options_.namespace_name, std::string(select.text(1)));
      }
      namespace_id_ = std::string(select.text(0));
      break;
    }
    if (attempt == 8) {
      throw InfrastructureError("cannot register namespace '" + options_.namespace_name + "' in '" +
                                options_.path + "'");
    }
    Statement(*connection, kInsertNamespace)
        .bind(1, options_.namespace_name)
        .bind(2, make_namespace_id())
        .bind(3, utc_timestamp(now))
        .run();
  }

  // SQLite has no TTL daemon: expired rows of this namespace are removed when a store opens.
  // Readers treat expired buckets as absent in the meantime.
  const std::int64_t now_s = epoch_seconds(epoch_ms(now));
  flush_pending_usage(*connection, namespace_id_, PendingScope::kExpired, {}, now_s);
  Statement(*connection, kPurgeExpiredBuckets).bind(1, namespace_id_).bind(2, now_s).run();
  Statement(*connection, kPurgeExpiredAudit).bind(1, namespace_id_).bind(2, now_s).run();
  purge_expired_usage(*connection, namespace_id_, now_s);
  transaction.commit();
}

StoreCapabilities SqliteStore::capabilities() const {
  return StoreCapabilities{.supports_audit_logging = true, .supports_usage_snapshots = true};
}

std::string SqliteStore::describe() const { return options_.path; }

bool SqliteStore::is_available() noexcept {
  try {
    auto connection = pool_->acquire();
    Statement select(*connection, kSelectOne);
    return select.step();
  } catch (...) {
    return false;
  }
}

// ---- buckets ----------------------------------------------------------------------------------

ConsumeResult SqliteStore::consume(const ConsumeRequest& request) {
  detail::validate_consume_request(request);
  const std::int64_t now_ms = epoch_ms(request.now);
  ConsumeResult result;

  auto connection = pool_->acquire();
  // One IMMEDIATE transaction: the database write lock is held from the first read, so the
  // check and the write are atomic against every thread and process (CG-1, CG-4).
  Transaction transaction(*connection, Transaction::Mode::kWrite);

  // Rows this connection wrote itself and nobody changed since come from its cache.
  ConsumeCache& cache = ConsumeCache::of(*connection);
  const bool cache_valid = cache.validate(*connection);
  const ConsumeCache::Row* target_row =
      cache_valid ? cache.find(request.target.entity_id, request.target.resource) : nullptr;

  // The store, not the caller's cache, decides whether a parent is consumed.
  const Hierarchy hierarchy =
      target_row != nullptr ? target_row->hierarchy
                            : read_hierarchy(*connection, namespace_id_, request.target.entity_id);
  const std::optional<std::string> actual_parent =
      hierarchy.cascade ? hierarchy.parent_id : std::nullopt;
  const std::optional<std::string> expected_parent =
      request.parent ? std::optional<std::string>(request.parent->entity_id) : std::nullopt;
  if (actual_parent != expected_parent) {
    result.kind = ConsumeResult::Kind::kCascadeMismatch;
    result.actual_parent = actual_parent;
    return result;  // nothing written; the transaction rolls back
  }

  // Target and parent buckets. A parent equal to the target (OQ-26) shares one row, so both
  // sides consume from the same state in sequence instead of overwriting each other.
  std::array<WorkingBucket, 2> buckets;
  std::array<const ConsumeTarget*, 2> sides{&request.target, nullptr};
  std::array<std::size_t, 2> bucket_of{0, 0};
  std::size_t bucket_count = 1;
  const ConsumeCache::Row* parent_row = nullptr;
  buckets[0] = target_row != nullptr
                   ? ConsumeCache::restore(*target_row, now_ms)
                   : load_bucket(*connection, namespace_id_, request.target.entity_id,
                                 request.target.resource, 0, now_ms);
  if (request.parent) {
    sides[1] = &*request.parent;
    if (request.parent->entity_id != request.target.entity_id ||
        request.parent->resource != request.target.resource) {
      parent_row =
          cache_valid ? cache.find(request.parent->entity_id, request.parent->resource) : nullptr;
      buckets[1] = parent_row != nullptr
                       ? ConsumeCache::restore(*parent_row, now_ms)
                       : load_bucket(*connection, namespace_id_, request.parent->entity_id,
                                     request.parent->resource, 0, now_ms);
      bucket_of[1] = 1;
      bucket_count = 2;
    }
  }

  bool admitted = true;
  std::size_t status_count = request.target.limits.size();
  if (request.parent) {
    status_count += request.parent->limits.size();
  }
  result.statuses.reserve(status_count);
  result.entries.reserve(status_count);
  for (std::size_t side = 0; side < sides.size() && sides[side] != nullptr; ++side) {
    const ConsumeTarget& target = *sides[side];
    WorkingBucket& bucket = buckets[bucket_of[side]];
    reconcile(bucket, target.limits);
    for (const Limit& limit : target.limits) {
      StoredLimit& stored = *find_limit(bucket, limit.name());
      const std::int64_t amount = detail::amount_of(request.amounts, limit.name());
      // Every stored limit is already refilled to bucket.rf >= now, so try_consume adds
      // nothing more: one refill per decision.
      const core::ConsumeDecision decision = core::try_consume(
          {stored.tokens_milli, bucket.rf}, amount * kMilli, now_ms, stored.params);
      result.statuses.push_back(LimitStatus{
          .entity_id = target.entity_id,
          .resource = target.resource,
          .limit_name = limit.name(),
          .limit = limit,
          .available = decision.available,
          .requested = amount,
          .exceeded = !decision.admitted,
          .retry_after = std::chrono::milliseconds(decision.retry_after_ms),
      });
      if (!decision.admitted) {
        admitted = false;
        continue;
      }
      stored.tokens_milli = decision.state.tokens_milli;
      if (stored.total_consumed_milli) {
        *stored.total_consumed_milli += amount * kMilli;
      }
      result.entries.push_back(ConsumedEntry{.entity_id = target.entity_id,
                                             .resource = target.resource,
                                             .shard = 0,
                                             .limit = limit,
                                             .consumed = amount,
                                             .tokens_milli = stored.tokens_milli});
    }
  }
  if (!admitted) {
    result.kind = ConsumeResult::Kind::kRejected;
    result.entries.clear();
    return result;  // nothing written (RES-3 of the slow path: reject before any write)
  }

  // A shared row keeps the balances of its last consumer; earlier entries report them too.
  if (bucket_count == 1 && request.parent) {
    for (ConsumedEntry& entry : result.entries) {
      entry.tokens_milli = find_limit(buckets[0], entry.limit.name())->tokens_milli;
    }
  }

  // Per-thread buffers: the warm path allocates nothing for the encoding and the usage text.
  thread_local std::string scratch;
  thread_local UsageDelta usage;
  std::array<std::optional<ConsumeCache::Row>, 2> written;
  cache.invalidate();
  for (std::size_t index = 0; index < bucket_count; ++index) {
    // The first side with limits owns the row's TTL and hierarchy; a side without limits
    // checks nothing and writes nothing (RES-1).
    const ConsumeTarget* owner = nullptr;
    for (std::size_t side = 0; side < sides.size() && owner == nullptr; ++side) {
      if (sides[side] != nullptr && bucket_of[side] == index && !sides[side]->limits.empty()) {
        owner = sides[side];
      }
    }
    if (owner == nullptr) {
      continue;
    }
    const Hierarchy row_hierarchy =
        owner == &request.target ? hierarchy
        : parent_row != nullptr  ? parent_row->hierarchy
                                 : read_hierarchy(*connection, namespace_id_, owner->entity_id);
    // Usage in the same transaction: one event per written bucket, both sides' amounts when
    // they share the row (src/sqlite/usage.h).
    usage.clear();
    for (std::size_t side = 0; side < sides.size() && sides[side] != nullptr; ++side) {
      if (bucket_of[side] == index) {
        for (const Limit& limit : sides[side]->limits) {
          usage.add(limit.name(), detail::amount_of(request.amounts, limit.name()) * kMilli);
        }
      }
    }
    WorkingBucket& bucket = buckets[index];
    accumulate_usage(*connection, namespace_id_, bucket.entity_id, bucket.resource, bucket.usage,
                     usage.text(), now_ms);
    const TtlPolicy ttl = consume_ttl(*owner, options_.bucket_ttl_multiplier, now_ms);
    write_consumed_bucket(*connection, namespace_id_, bucket, row_hierarchy, ttl, scratch);
    written[index] = ConsumeCache::Row{.entity_id = bucket.entity_id,
                                       .resource = bucket.resource,
                                       .hierarchy = row_hierarchy,
                                       .limits = std::move(bucket.limits),
                                       .rf = bucket.rf,
                                       .ttl = written_ttl(bucket, ttl),
                                       .usage = std::move(bucket.usage)};
  }
  transaction.commit();
  for (std::optional<ConsumeCache::Row>& row : written) {
    if (row) {
      cache.put(std::move(*row));
    }
  }
  cache.committed(*connection);
  result.kind = ConsumeResult::Kind::kAdmitted;
  return result;
}

void SqliteStore::apply_deltas(std::span<const BucketDelta> deltas, TimePoint now) {
  for (const BucketDelta& delta : deltas) {
    validate_identifier(delta.entity_id, "entity_id");
    validate_resource(delta.resource, "resource");
    if (delta.shard < 0) {
      throw ValidationError("shard", std::to_string(delta.shard), "must be >= 0");
    }
  }
  if (deltas.empty()) {
    return;
  }
  const std::int64_t now_ms = epoch_ms(now);
  auto connection = pool_->acquire();
  Transaction transaction(*connection, Transaction::Mode::kWrite);
  // The adjust of an estimate-then-adjust lease usually follows this connection's own consume:
  // its row comes from the consume cache, and goes back there once committed.
  ConsumeCache& cache = ConsumeCache::of(*connection);
  const bool cache_valid = cache.validate(*connection);
  cache.invalidate();
  std::vector<ConsumeCache::Row> written;  // rows from the cache this call rewrote, in order
  for (const BucketDelta& delta : deltas) {
    // A bucket rewritten earlier in this call continues from that state, not from the cache.
    const auto rewritten =
        std::find_if(written.rbegin(), written.rend(), [&](const ConsumeCache::Row& row) {
          return row.entity_id == delta.entity_id && row.resource == delta.resource;
        });
    const ConsumeCache::Row* row = rewritten != written.rend() ? &*rewritten
                                   : cache_valid && delta.shard == 0
                                       ? cache.find(delta.entity_id, delta.resource)
                                       : nullptr;
    WorkingBucket bucket = row != nullptr ? ConsumeCache::restore(*row, now_ms)
                                          : load_bucket(*connection, namespace_id_, delta.entity_id,
                                                        delta.resource, delta.shard, now_ms);
    // OQ-22: never create a partial bucket; a missing (or expired) one is skipped.
    if (!bucket.exists) {
      continue;
    }
    bool changed = false;
    UsageDelta usage;
    for (const auto& [name, tokens_milli] : delta.tokens_milli) {
      StoredLimit* stored = find_limit(bucket, name);
      if (stored == nullptr || tokens_milli == 0) {
        continue;
      }
      const std::int64_t before = stored->tokens_milli;
      std::int64_t after =
          core::force_consume({before, bucket.rf}, tokens_milli, now_ms, stored->params)
              .tokens_milli;
      // OQ-36: returned tokens never lift the balance above capacity (nor raise one that is
      // already above it).
      if (tokens_milli < 0) {
        after = std::min(after, std::max(before, stored->params.capacity_milli));
      }
      stored->tokens_milli = after;
      if (stored->total_consumed_milli) {
        *stored->total_consumed_milli += tokens_milli;
      }
      usage.add(stored->name, tokens_milli);
      changed = true;
    }
    if (changed) {
      // Adjustments, rollbacks and compensations are net usage at the time they are applied.
      accumulate_usage(*connection, namespace_id_, bucket.entity_id, bucket.resource, bucket.usage,
                       usage.text(), now_ms);
      // TTL unchanged (data-model §9, "adjust").
      write_bucket_tokens(*connection, namespace_id_, bucket, kUpdateBucketTokens);
      if (row != nullptr) {
        written.push_back(ConsumeCache::Row{.entity_id = bucket.entity_id,
                                            .resource = bucket.resource,
                                            .hierarchy = row->hierarchy,
                                            .limits = std::move(bucket.limits),
                                            .rf = bucket.rf,
                                            .ttl = bucket.stored_ttl,
                                            .usage = std::move(bucket.usage)});
      }
    }
  }
  transaction.commit();
  for (ConsumeCache::Row& row : written) {
    cache.put(std::move(row));  // in order: the last state of a bucket wins
  }
  cache.committed(*connection);
}

std::optional<BucketState> SqliteStore::get_bucket(const std::string& entity_id,
                                                   const std::string& resource) {
  validate_identifier(entity_id, "entity_id");
  validate_resource(resource, "resource");
  const std::int64_t now_s = epoch_seconds(epoch_ms(clock_now()));
  auto connection = pool_->acquire();
  Statement select(*connection, kSelectBucket);
  select.bind(1, namespace_id_).bind(2, entity_id).bind(3, resource).bind(4, std::int64_t{0});
  if (!select.step()) {
    return std::nullopt;
  }
  const std::optional<std::int64_t> ttl = select.optional_int64(3);
  if (ttl && *ttl <= now_s) {
    return std::nullopt;  // expired: consume would recreate it full
  }
  return to_bucket_state(*connection, entity_id, resource, 0, select.text(0), select.int64(1),
                         select.int64(2), ttl);
}

std::vector<BucketState> SqliteStore::get_buckets(const std::string& entity_id) {
  validate_identifier(entity_id, "entity_id");
  const std::int64_t now_s = epoch_seconds(epoch_ms(clock_now()));
  auto connection = pool_->acquire();
  Statement select(*connection, kSelectEntityBuckets);
  select.bind(1, namespace_id_).bind(2, entity_id);
  std::vector<BucketState> buckets;
  while (select.step()) {
    const std::optional<std::int64_t> ttl = select.optional_int64(5);
    if (ttl && *ttl <= now_s) {
      continue;
    }
    buckets.push_back(to_bucket_state(*connection, entity_id, std::string(select.text(0)),
                                      static_cast<int>(select.int64(1)), select.text(2),
                                      select.int64(3), select.int64(4), ttl));
  }
  return buckets;
}

// ---- entities ---------------------------------------------------------------------------------

Entity SqliteStore::create_entity(const CreateEntityRequest& request, TimePoint now) {
  // EN-1, and the principal before the write (OQ-27).
  validate_identifier(request.entity_id, "entity_id");
  if (request.parent_id) {
    validate_identifier(*request.parent_id, "parent_id");
  }
  detail::check_principal(request.principal);

  Entity entity{.id = request.entity_id,
                .name = request.name.empty() ? request.entity_id : request.name,  // EN-2
                .parent_id = request.parent_id,
                .cascade = request.cascade,
                .metadata = request.metadata,
                .created_at = utc_timestamp(now)};
  const std::string metadata = encode_metadata(entity.metadata);

  auto connection = pool_->acquire();
  Transaction transaction(*connection, Transaction::Mode::kWrite);
  Statement(*connection, kInsertEntity)
      .bind(1, namespace_id_)
      .bind(2, entity.id)
      .bind(3, entity.name)
      .bind(4, entity.parent_id)
      .bind(5, std::int64_t{entity.cascade})
      .bind(6, metadata)
      .bind(7, entity.created_at)
      .run();
  if (connection->changes() == 0) {
    throw EntityExistsError(entity.id);  // EN-4
  }

  core::JsonWriter details;  // EN-5
  details.begin_object().key("name").value(entity.name).key("parent_id");
  if (entity.parent_id) {
    details.value(*entity.parent_id);
  } else {
    details.null();
  }
  details.key("cascade").value(entity.cascade).key("metadata").raw(metadata).end_object();
  write_audit(*connection,
              AuditRecord{.entity_id = entity.id,
                          .action = "entity_created",
                          .principal = request.principal,
                          .resource = std::nullopt,
                          .details_json = std::move(details).str()},
              now);
  transaction.commit();
  return entity;
}

std::optional<Entity> SqliteStore::get_entity(const std::string& entity_id) {
  validate_identifier(entity_id, "entity_id");
  auto connection = pool_->acquire();
  Statement select(*connection, kSelectEntity);
  select.bind(1, namespace_id_).bind(2, entity_id);
  if (!select.step()) {
    return std::nullopt;
  }
  return read_entity_row(select);
}

std::size_t SqliteStore::delete_entity(const std::string& entity_id,
                                       const std::optional<std::string>& principal, TimePoint now) {
  validate_identifier(entity_id, "entity_id");
  detail::check_principal(principal);
  auto connection = pool_->acquire();
  Transaction transaction(*connection, Transaction::Mode::kWrite);
  // EN-9, OQ-17: the entity, every configuration and every bucket, all in one transaction.
  // Children and audit events are kept (EN-12), and so is usage (moved out of the buckets first).
  flush_pending_usage(*connection, namespace_id_, PendingScope::kEntity, entity_id,
                      epoch_seconds(epoch_ms(now)));
  std::int64_t deleted = 0;
  for (const char* sql : {kDeleteEntity, kDeleteEntityConfigs, kDeleteEntityBuckets}) {
    Statement(*connection, sql).bind(1, namespace_id_).bind(2, entity_id).run();
    deleted += connection->changes();
  }
  if (deleted == 0) {
    return 0;  // EN-10: no audit event
  }
  core::JsonWriter details;
  details.begin_object().key("records_deleted").value(deleted).end_object();
  write_audit(*connection,
              AuditRecord{.entity_id = entity_id,
                          .action = "entity_deleted",
                          .principal = principal,
                          .resource = std::nullopt,
                          .details_json = std::move(details).str()},
              now);
  transaction.commit();
  return static_cast<std::size_t>(deleted);
}

std::vector<Entity> SqliteStore::get_children(const std::string& parent_id) {
  validate_identifier(parent_id, "parent_id");
  auto connection = pool_->acquire();
  Statement select(*connection, kSelectChildren);
  select.bind(1, namespace_id_).bind(2, parent_id);
  std::vector<Entity> children;
  while (select.step()) {
    children.push_back(read_entity_row(select));
  }
  return children;
}

// ---- stored limits ------------------------------------------------------------------------------

void SqliteStore::set_limits(const std::string& entity_id, const std::string& resource,
                             const std::vector<Limit>& limits,
                             const std::optional<std::string>& principal, TimePoint now) {
  validate_identifier(entity_id, "entity_id");
  check_resource(resource, /*allow_default=*/true);
  detail::check_unique_limit_names(limits);
  detail::check_principal(principal);
  const std::int64_t now_ms = epoch_ms(now);

  auto connection = pool_->acquire();
  Transaction transaction(*connection, Transaction::Mode::kWrite);
  Statement(*connection, kUpsertEntityConfig)
      .bind(1, namespace_id_)
      .bind(2, entity_id)
      .bind(3, resource)
      .bind(4, encode_limits(limits))
      .run();
  // SL-3: sync the existing bucket to the new parameters (balances clamped, new limits added
  // full; OQ-10, OQ-44) and drop its TTL, since a custom config persists.
  if (!limits.empty()) {
    WorkingBucket bucket = load_bucket(*connection, namespace_id_, entity_id, resource, 0, now_ms);
    if (bucket.exists) {
      reconcile(bucket, limits);
      write_bucket_tokens(*connection, namespace_id_, bucket, kUpdateBucketTokensClearTtl);
    }
  }
  write_audit(*connection,
              AuditRecord{.entity_id = entity_id,
                          .action = "limits_set",
                          .principal = principal,
                          .resource = resource,
                          .details_json = limits_details(limits)},
              now);
  transaction.commit();
}

std::vector<Limit> SqliteStore::get_limits(const std::string& entity_id,
                                           const std::string& resource) {
  validate_identifier(entity_id, "entity_id");
  check_resource(resource, /*allow_default=*/true);
  auto connection = pool_->acquire();
  Statement select(*connection, kSelectEntityConfig);
  select.bind(1, namespace_id_).bind(2, entity_id).bind(3, resource);
  return select.step() ? decode_limits(select.text(0)) : std::vector<Limit>{};
}

bool SqliteStore::delete_limits(const std::string& entity_id, const std::string& resource,
                                const std::optional<std::string>& principal, TimePoint now) {
  validate_identifier(entity_id, "entity_id");
  check_resource(resource, /*allow_default=*/true);
  detail::check_principal(principal);
  auto connection = pool_->acquire();
  Transaction transaction(*connection, Transaction::Mode::kWrite);
  Statement(*connection, kDeleteEntityConfig)
      .bind(1, namespace_id_)
      .bind(2, entity_id)
      .bind(3, resource)
      .run();
  if (connection->changes() == 0) {
    return false;  // SL-8: nothing stored, no audit event
  }
  write_audit(*connection,
              AuditRecord{.entity_id = entity_id,
                          .action = "limits_deleted",
                          .principal = principal,
                          .resource = resource,
                          .details_json = "{}"},
              now);
  transaction.commit();
  return true;
}

void SqliteStore::set_resource_defaults(const std::string& resource,
                                        const std::vector<Limit>& limits,
                                        const std::optional<std::string>& principal,
                                        TimePoint now) {
  validate_resource(resource, "resource");
  detail::check_unique_limit_names(limits);
  detail::check_principal(principal);
  auto connection = pool_->acquire();
  Transaction transaction(*connection, Transaction::Mode::kWrite);
  Statement(*connection, kUpsertResourceConfig)
      .bind(1, namespace_id_)
      .bind(2, resource)
      .bind(3, encode_limits(limits))
      .run();
  write_audit(*connection,
              AuditRecord{.entity_id = std::string(kResourceAuditPrefix) + resource,
                          .action = "limits_set",
                          .principal = principal,
                          .resource = resource,
                          .details_json = limits_details(limits)},
              now);
  transaction.commit();
}

std::vector<Limit> SqliteStore::get_resource_defaults(const std::string& resource) {
  validate_resource(resource, "resource");
  auto connection = pool_->acquire();
  Statement select(*connection, kSelectResourceConfig);
  select.bind(1, namespace_id_).bind(2, resource);
  return select.step() ? decode_limits(select.text(0)) : std::vector<Limit>{};
}

void SqliteStore::delete_resource_defaults(const std::string& resource,
                                           const std::optional<std::string>& principal,
                                           TimePoint now) {
  validate_resource(resource, "resource");
  detail::check_principal(principal);
  auto connection = pool_->acquire();
  Transaction transaction(*connection, Transaction::Mode::kWrite);
  Statement(*connection, kDeleteResourceConfig).bind(1, namespace_id_).bind(2, resource).run();
  // SL-15: audited whether or not anything was stored.
  write_audit(*connection,
              AuditRecord{.entity_id = std::string(kResourceAuditPrefix) + resource,
                          .action = "limits_deleted",
                          .principal = principal,
                          .resource = resource,
                          .details_json = "{}"},
              now);
  transaction.commit();
}

std::vector<std::string> SqliteStore::list_resources_with_defaults() {
  auto connection = pool_->acquire();
  Statement select(*connection, kListResourceConfigs);
  select.bind(1, namespace_id_);
  return first_column(select);
}

void SqliteStore::set_system_defaults(const SystemDefaults& defaults,
                                      const std::optional<std::string>& principal, TimePoint now) {
  detail::check_unique_limit_names(defaults.limits);
  detail::check_principal(principal);
  auto connection = pool_->acquire();
  Transaction transaction(*connection, Transaction::Mode::kWrite);
  Statement upsert(*connection, kUpsertSystemConfig);
  upsert.bind(1, namespace_id_).bind(2, encode_limits(defaults.limits));
  if (defaults.on_unavailable) {
    upsert.bind(3, to_string(*defaults.on_unavailable));
  } else {
    upsert.bind_null(3);
  }
  upsert.run();
  core::JsonWriter details;  // SL-17
  details.begin_object().key("limits");
  core::write_limits_json(details, defaults.limits);
  write_on_unavailable(details, defaults.on_unavailable);
  details.end_object();
  write_audit(*connection,
              AuditRecord{.entity_id = kSystemAuditId,
                          .action = "limits_set",
                          .principal = principal,
                          .resource = std::nullopt,
                          .details_json = std::move(details).str()},
              now);
  transaction.commit();
}

namespace {

std::optional<SystemDefaults> read_system_defaults(Connection& connection, const std::string& ns) {
  Statement select(connection, kSelectSystemConfig);
  select.bind(1, ns);
  if (!select.step() || (select.is_null(0) && select.is_null(1))) {
    return std::nullopt;
  }
  SystemDefaults defaults;
  if (!select.is_null(0)) {
    defaults.limits = decode_limits(select.text(0));
  }
  if (!select.is_null(1)) {
    defaults.on_unavailable = parse_on_unavailable(select.text(1));
  }
  return defaults;
}

std::optional<std::vector<Limit>> read_limits(Connection& connection, const char* sql,
                                              const std::string& ns, const std::string& first,
                                              const std::string* second) {
  Statement select(connection, sql);
  select.bind(1, ns).bind(2, first);
  if (second != nullptr) {
    select.bind(3, *second);
  }
  if (!select.step()) {
    return std::nullopt;
  }
  return decode_limits(select.text(0));
}

}  // namespace

SystemDefaults SqliteStore::get_system_defaults() {
  auto connection = pool_->acquire();
  return read_system_defaults(*connection, namespace_id_).value_or(SystemDefaults{});
}

void SqliteStore::delete_system_defaults(const std::optional<std::string>& principal,
                                         TimePoint now) {
  detail::check_principal(principal);
  auto connection = pool_->acquire();
  Transaction transaction(*connection, Transaction::Mode::kWrite);
  // SL-19: the audit event names what was deleted. Other system settings are kept (OQ-15).
  const SystemDefaults old =
      read_system_defaults(*connection, namespace_id_).value_or(SystemDefaults{});
  Statement(*connection, kClearSystemConfig).bind(1, namespace_id_).run();
  core::JsonWriter details;
  details.begin_object().key("limits").begin_array();
  for (const Limit& limit : old.limits) {
    details.value(limit.name());
  }
  details.end_array();
  write_on_unavailable(details, old.on_unavailable);
  details.end_object();
  write_audit(*connection,
              AuditRecord{.entity_id = kSystemAuditId,
                          .action = "limits_deleted",
                          .principal = principal,
                          .resource = std::nullopt,
                          .details_json = std::move(details).str()},
              now);
  transaction.commit();
}

std::vector<std::string> SqliteStore::list_resources_with_entity_configs() {
  auto connection = pool_->acquire();
  Statement select(*connection, kListEntityConfigResources);
  select.bind(1, namespace_id_);
  return first_column(select);
}

std::vector<std::string> SqliteStore::list_entities_with_custom_limits(
    const std::string& resource) {
  check_resource(resource, /*allow_default=*/true);
  auto connection = pool_->acquire();
  Statement select(*connection, kListEntitiesWithConfig);
  select.bind(1, namespace_id_).bind(2, resource);
  return first_column(select);
}

ConfigLevels SqliteStore::read_config_levels(const ConfigQuery& query) {
  validate_identifier(query.entity_id, "entity_id");
  check_resource(query.resource, /*allow_default=*/true);
  static const std::string kDefault(kDefaultResource);
  ConfigLevels levels;
  auto connection = pool_->acquire();
  // One read transaction: every level comes from the same snapshot (CC-4).
  Transaction transaction(*connection, Transaction::Mode::kRead);
  if (query.read_entity) {
    levels.entity = read_limits(*connection, kSelectEntityConfig, namespace_id_, query.entity_id,
                                &query.resource);
  }
  if (query.read_entity_default) {
    levels.entity_default =
        read_limits(*connection, kSelectEntityConfig, namespace_id_, query.entity_id, &kDefault);
  }
  if (query.read_resource) {
    levels.resource =
        read_limits(*connection, kSelectResourceConfig, namespace_id_, query.resource, nullptr);
  }
  if (query.read_system) {
    levels.system = read_system_defaults(*connection, namespace_id_);
  }
  transaction.commit();
  return levels;
}

// ---- audit ------------------------------------------------------------------------------------

std::vector<AuditEvent> SqliteStore::get_audit_events(
    const std::string& entity_id, std::size_t limit,
    const std::optional<std::string>& start_event_id) {
  check_audit_entity(entity_id);
  if (start_event_id && !core::is_ulid(*start_event_id)) {
    throw ValidationError("start_event_id", *start_event_id, "must be a ULID event id");
  }
  std::vector<AuditEvent> events;
  if (limit == 0) {
    return events;
  }
  const auto page = static_cast<std::int64_t>(
      std::min<std::size_t>(limit, static_cast<std::size_t>(std::numeric_limits<int>::max())));
  auto connection = pool_->acquire();
  Statement select(*connection, start_event_id ? kSelectAuditBefore : kSelectAudit);
  select.bind(1, namespace_id_).bind(2, entity_id).bind(3, page);
  if (start_event_id) {
    select.bind(4, *start_event_id);
  }
  while (select.step()) {
    events.push_back(AuditEvent{.event_id = std::string(select.text(0)),
                                .timestamp = std::string(select.text(1)),
                                .action = std::string(select.text(2)),
                                .entity_id = entity_id,
                                .principal = select.optional_text(3),
                                .resource = select.optional_text(4),
                                .details_json = std::string(select.text(5))});
  }
  return events;
}

// ---- declarative limits ---------------------------------------------------------------------

namespace {

constexpr char kSelectProvisionerState[] =
    "SELECT managed_system, last_applied, applied_hash FROM provisioner_state WHERE ns = ?1";
constexpr char kSelectProvisionerManaged[] =
    "SELECT kind, entity_id, resource FROM provisioner_managed WHERE ns = ?1 "
    "ORDER BY kind, entity_id, resource";
constexpr char kUpsertProvisionerState[] =
    "INSERT INTO provisioner_state (ns, managed_system, last_applied, applied_hash) "
    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (ns) DO UPDATE SET "
    "managed_system = excluded.managed_system, last_applied = excluded.last_applied, "
    "applied_hash = excluded.applied_hash";
constexpr char kClearProvisionerManaged[] = "DELETE FROM provisioner_managed WHERE ns = ?1";
constexpr char kInsertProvisionerManaged[] =
    "INSERT OR IGNORE INTO provisioner_managed (ns, kind, entity_id, resource) "
    "VALUES (?1, ?2, ?3, ?4)";
constexpr std::string_view kManagedResource = "resource";
constexpr std::string_view kManagedEntity = "entity";

}  // namespace

std::optional<ProvisionerState> SqliteStore::get_provisioner_state() {
  auto connection = pool_->acquire();
  Transaction transaction(*connection, Transaction::Mode::kRead);
  Statement select(*connection, kSelectProvisionerState);
  select.bind(1, namespace_id_);
  if (!select.step()) {
    return std::nullopt;
  }
  ProvisionerState state{.managed_system = select.int64(0) != 0,
                         .managed_resources = {},
                         .managed_entities = {},
                         .last_applied = std::string(select.text(1)),
                         .applied_hash = std::string(select.text(2))};
  Statement items(*connection, kSelectProvisionerManaged);
  items.bind(1, namespace_id_);
  while (items.step()) {
    const std::string_view kind = items.text(0);
    if (kind == kManagedResource) {
      state.managed_resources.emplace_back(items.text(2));
    } else if (kind == kManagedEntity) {
      auto& resources = state.managed_entities[std::string(items.text(1))];
      if (!items.text(2).empty()) {
        resources.emplace_back(items.text(2));
      }
    }
  }
  return state;
}

void SqliteStore::put_provisioner_state(const ProvisionerState& state) {
  auto connection = pool_->acquire();
  Transaction transaction(*connection, Transaction::Mode::kWrite);
  Statement(*connection, kUpsertProvisionerState)
      .bind(1, namespace_id_)
      .bind(2, std::int64_t{state.managed_system ? 1 : 0})
      .bind(3, state.last_applied)
      .bind(4, state.applied_hash)
      .run();
  Statement(*connection, kClearProvisionerManaged).bind(1, namespace_id_).run();
  const auto insert = [&](std::string_view kind, const std::string& entity_id,
                          const std::string& resource) {
    Statement(*connection, kInsertProvisionerManaged)
        .bind(1, namespace_id_)
        .bind(2, std::string(kind))
        .bind(3, entity_id)
        .bind(4, resource)
        .run();
  };
  for (const std::string& resource : state.managed_resources) {
    insert(kManagedResource, "", resource);
  }
  for (const auto& [entity_id, resources] : state.managed_entities) {
    insert(kManagedEntity, entity_id, "");
    for (const std::string& resource : resources) {
      insert(kManagedEntity, entity_id, resource);
    }
  }
  transaction.commit();
}

// ---- usage snapshots --------------------------------------------------------------------------

UsagePage SqliteStore::get_usage_snapshots(const UsageQuery& query) {
  detail::validate_usage_query(query);
  const std::int64_t now_s = epoch_seconds(epoch_ms(clock_now()));
  auto connection = pool_->acquire();
  // A write transaction: the buckets' pending hours of this query move into usage_snapshots
  // first, so the page sees every recorded operation.
  Transaction transaction(*connection, Transaction::Mode::kWrite);
  if (query.entity_id) {
    flush_pending_usage(*connection, namespace_id_, PendingScope::kEntity, *query.entity_id, now_s);
  } else {
    flush_pending_usage(*connection, namespace_id_, PendingScope::kResource, *query.resource,
                        now_s);
  }
  UsagePage page = query_usage(*connection, namespace_id_, query, now_s);
  transaction.commit();
  return page;
}

}  // namespace zae::sqlite
