// SPDX-License-Identifier: MIT
#pragma once

// Usage snapshots on SQLite (src/sqlite/schema.h, table usage_snapshots). SQLite has no change
// stream and no aggregator, so SqliteStore records usage itself, inside the transaction of each
// consume and apply_deltas. Departures from the aggregator (spec/behavior.md OQ-23), by design:
// the window is part of the key (hourly, daily and monthly records are distinct), usage is
// attributed to the request's `now` (event time, not the bucket's rf), counters are exact
// millitokens (reported floor(milli / 1000) tokens, so sub-token usage is never lost per event),
// total_events counts admitted operations per bucket and window (one consume = 1 however many
// limits it names; every applied delta of adjust, rollback or compensation = 1), and the
// creating request counts too. Records live 90 days after their hour (the aggregator's
// SNAPSHOT_TTL_DAYS): expired rows are never returned and are deleted when a store opens.
//
// Cost: the warm consume is a measured hot path, so the current hour's usage of a bucket is
// accumulated in its own row (columns usage_hour, usage_counters, usage_events, written by the
// UPDATE the consume does anyway) and moved into usage_snapshots (hourly, daily and monthly
// records at once) when a later hour begins, before a query reads, before the bucket row is
// deleted and when an expired row is replaced. An event older than the pending hour (a caller
// with a late clock) goes to usage_snapshots directly.
//
// Counters are text "name:milli;..." sorted by name, merged by merge_counters (also as the SQL
// function zae_usage_add(stored, delta)), so one statement upserts the three windows.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zae/store.h"

struct sqlite3;

namespace zae::sqlite {

class Connection;

// Registers zae_usage_add on `db` (every connection, at open).
void register_usage_functions(sqlite3* db);

// Builds the delta text of one bucket write: add(name, milli) in any order, then text().
class UsageDelta {
 public:
  void clear() { entries_.clear(); }
  // Adds `milli` to `name` (zero amounts are kept out of the counters).
  void add(std::string_view name, std::int64_t milli);
  // "name:milli;..." sorted by name.
  const std::string& text();

 private:
  std::vector<std::pair<std::string_view, std::int64_t>> entries_;
  std::string text_;
};

// Writes `a` + `b` (counter texts) to `out`; false when either is malformed.
bool merge_counters(std::string_view a, std::string_view b, std::string& out);

// A bucket row's not yet recorded usage: the hour (epoch seconds) it belongs to, its counters
// and its event count.
struct PendingUsage {
  std::optional<std::int64_t> hour{};
  std::string counters{};
  std::int64_t events = 0;
};

// Adds one operation (`delta`, one event) at `now_ms` to `pending` of bucket (entity, resource),
// first moving an older pending hour into usage_snapshots. Runs inside the caller's write
// transaction; the caller writes `pending` back into the bucket row.
void accumulate_usage(Connection& connection, const std::string& ns, const std::string& entity_id,
                      const std::string& resource, PendingUsage& pending, std::string_view delta,
                      std::int64_t now_ms);

// Which bucket rows flush_pending_usage moves.
enum class PendingScope { kEntity, kResource, kExpired };
// Moves the pending usage of the namespace's bucket rows of `scope` (entity `key`, resource
// `key`, or rows whose ttl <= now_s) into usage_snapshots and clears it in the rows.
void flush_pending_usage(Connection& connection, const std::string& ns, PendingScope scope,
                         const std::string& key, std::int64_t now_s);

// Deletes this namespace's records whose ttl has passed.
void purge_expired_usage(Connection& connection, const std::string& ns, std::int64_t now_s);

// One page of `query` (validated by the caller) against the records of namespace `ns` that have
// not expired at `now_s`.
UsagePage query_usage(Connection& connection, const std::string& ns, const UsageQuery& query,
                      std::int64_t now_s);

}  // namespace zae::sqlite
