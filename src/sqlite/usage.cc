// SPDX-License-Identifier: MIT
#include "sqlite/usage.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <string>

#include <sqlite3.h>

#include "zae/errors.h"

#include "core/bucket.h"
#include "core/time_format.h"
#include "sqlite/connection.h"
#include "store/usage_query.h"

namespace zae::sqlite {
namespace {

// window_kind values: the order of the window types' keys in DynamoDB at one window start
// (hourly "#USAGE#{r}#{w}" < daily "...#daily" < monthly "...#monthly"), so that both backends
// page in the same order.
constexpr std::array<std::string_view, 3> kWindowNames = {"hourly", "daily", "monthly"};

constexpr char kUpsertUsage[] =
    "INSERT INTO usage_snapshots "
    "(ns, entity_id, resource, window_start, window_kind, counters, total_events, ttl) "
    "VALUES (?1, ?2, ?3, ?4, 0, ?7, ?9, ?8), (?1, ?2, ?3, ?5, 1, ?7, ?9, ?8), "
    "(?1, ?2, ?3, ?6, 2, ?7, ?9, ?8) "
    "ON CONFLICT (ns, entity_id, resource, window_start, window_kind) DO UPDATE SET "
    "counters = zae_usage_add(counters, excluded.counters), "
    "total_events = total_events + excluded.total_events";
constexpr char kSelectPendingOfEntity[] =
    "SELECT entity_id, resource, shard, usage_hour, usage_counters, usage_events FROM buckets "
    "WHERE ns = ?1 AND entity_id = ?2 AND usage_hour IS NOT NULL";
constexpr char kSelectPendingOfResource[] =
    "SELECT entity_id, resource, shard, usage_hour, usage_counters, usage_events FROM buckets "
    "WHERE ns = ?1 AND resource = ?2 AND usage_hour IS NOT NULL";
constexpr char kSelectPendingExpired[] =
    "SELECT entity_id, resource, shard, usage_hour, usage_counters, usage_events FROM buckets "
    "WHERE ns = ?1 AND ttl IS NOT NULL AND ttl <= ?3 AND usage_hour IS NOT NULL";
constexpr char kClearPending[] =
    "UPDATE buckets SET usage_hour = NULL, usage_counters = NULL, usage_events = NULL "
    "WHERE ns = ?1 AND entity_id = ?2 AND resource = ?3 AND shard = ?4";
constexpr char kPurgeExpiredUsage[] = "DELETE FROM usage_snapshots WHERE ns = ?1 AND ttl <= ?2";

// Entity mode: descending (resource, window_start, window_kind), after the cursor ?4..?6.
constexpr char kSelectUsageByEntity[] =
    "SELECT entity_id, resource, window_start, window_kind, counters, total_events "
    "FROM usage_snapshots WHERE ns = ?1 AND entity_id = ?2 AND ttl > ?3 "
    "AND (resource, window_start, window_kind) < (?4, ?5, ?6) "
    "ORDER BY resource DESC, window_start DESC, window_kind DESC LIMIT ?7";
constexpr char kSelectUsageByEntityResource[] =
    "SELECT entity_id, resource, window_start, window_kind, counters, total_events "
    "FROM usage_snapshots WHERE ns = ?1 AND entity_id = ?2 AND resource = ?8 AND ttl > ?3 "
    "AND (resource, window_start, window_kind) < (?4, ?5, ?6) "
    "ORDER BY resource DESC, window_start DESC, window_kind DESC LIMIT ?7";
// Resource mode: descending GSI2SK order, "USAGE#{w}#{e}" / "USAGE#{w}#daily#{e}" /
// "USAGE#{w}#monthly#{e}": by window start, then by this tail.
constexpr char kSelectUsageByResource[] =
    "SELECT entity_id, resource, window_start, window_kind, counters, total_events, "
    "CASE window_kind WHEN 0 THEN entity_id WHEN 1 THEN 'daily#' || entity_id "
    "ELSE 'monthly#' || entity_id END AS tail "
    "FROM usage_snapshots WHERE ns = ?1 AND resource = ?2 AND ttl > ?3 "
    "AND (window_start, tail) < (?4, ?5) "
    "ORDER BY window_start DESC, tail DESC LIMIT ?6";

// Greater than every resource name (they are ASCII without DEL; spec/behavior.md §2.3).
constexpr std::string_view kAfterEveryResource = "\x7f";

struct CounterEntry {
  std::string_view name;
  std::int64_t milli = 0;
};

// Reads the next "name:milli" of `text` from `pos`; false at the end, throws when malformed.
bool next_counter(std::string_view text, std::size_t& pos, CounterEntry& entry, bool& ok) {
  if (pos >= text.size()) {
    return false;
  }
  const std::size_t colon = text.find(':', pos);
  if (colon == std::string_view::npos || colon == pos) {
    ok = false;
    return false;
  }
  std::size_t end = text.find(';', colon + 1);
  if (end == std::string_view::npos) {
    end = text.size();
  }
  entry.name = text.substr(pos, colon - pos);
  const auto [ptr, ec] = std::from_chars(text.data() + colon + 1, text.data() + end, entry.milli);
  if (ec != std::errc() || ptr != text.data() + end) {
    ok = false;
    return false;
  }
  pos = end + 1;
  return true;
}

void append_counter(std::string& out, std::string_view name, std::int64_t milli) {
  if (!out.empty()) {
    out += ';';
  }
  out += name;
  out += ':';
  std::array<char, 24> digits{};
  const auto result = std::to_chars(digits.data(), digits.data() + digits.size(), milli);
  out.append(digits.data(), result.ptr);
}

std::string_view value_text(sqlite3_value* value) {
  const auto* bytes = sqlite3_value_text(value);
  return bytes == nullptr ? std::string_view()
                          : std::string_view(reinterpret_cast<const char*>(bytes),
                                             static_cast<std::size_t>(sqlite3_value_bytes(value)));
}

// zae_usage_add(a, b) in SQL.
void usage_add(sqlite3_context* context, int /*argc*/, sqlite3_value** argv) {
  thread_local std::string out;
  if (!merge_counters(value_text(argv[0]), value_text(argv[1]), out)) {
    sqlite3_result_error(context, "zae_usage_add: malformed usage counters", -1);
    return;
  }
  sqlite3_result_text(context, out.data(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
}

// Adds counters and events of the hour starting at `hour_s` to its three window records.
void record_usage(Connection& connection, const std::string& ns, const std::string& entity_id,
                  const std::string& resource, std::int64_t hour_s, std::string_view counters,
                  std::int64_t events) {
  const detail::UsageWindowStarts starts = detail::usage_window_starts(hour_s);
  Statement(connection, kUpsertUsage)
      .bind(1, ns)
      .bind(2, entity_id)
      .bind(3, resource)
      .bind(4, starts.hourly)
      .bind(5, starts.daily)
      .bind(6, starts.monthly)
      .bind(7, counters)
      .bind(8, starts.hourly + 3'600 + detail::kUsageRetentionSeconds)
      .bind(9, events)
      .run();
}

UsageSnapshot read_snapshot(const Connection& connection, const Statement& row) {
  const std::int64_t kind = row.int64(3);
  if (kind < 0 || kind >= static_cast<std::int64_t>(kWindowNames.size())) {
    throw InfrastructureError("corrupt usage row in '" + connection.path() + "'");
  }
  UsageSnapshot snapshot{.entity_id = std::string(row.text(0)),
                         .resource = std::string(row.text(1)),
                         .window = std::string(kWindowNames[static_cast<std::size_t>(kind)]),
                         .window_start = core::format_utc_seconds(row.int64(2)),
                         .window_end = {},
                         .counters = {},
                         .total_events = row.int64(5)};
  snapshot.window_end = detail::usage_window_end(snapshot.window, snapshot.window_start);
  const std::string_view counters = row.text(4);
  std::size_t pos = 0;
  bool ok = true;
  CounterEntry entry;
  while (next_counter(counters, pos, entry, ok)) {
    snapshot.counters.emplace(std::string(entry.name), core::floor_div(entry.milli, 1000));
  }
  if (!ok) {
    throw InfrastructureError("corrupt usage counters in '" + connection.path() + "'");
  }
  return snapshot;
}

std::int64_t parse_int(const std::string& text) {
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    throw ValidationError("next_key", text, "is not a next_key returned by this query");
  }
  return value;
}

[[noreturn]] void foreign_token(const std::string& token) {
  throw ValidationError("next_key", token, "was returned by a different query");
}

}  // namespace

void register_usage_functions(sqlite3* db) {
  sqlite3_create_function(db, "zae_usage_add", 2,
                          SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                          &usage_add, nullptr, nullptr);
}

void UsageDelta::add(std::string_view name, std::int64_t milli) {
  if (milli != 0) {
    entries_.emplace_back(name, milli);
  }
}

const std::string& UsageDelta::text() {
  std::sort(entries_.begin(), entries_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  text_.clear();
  for (std::size_t i = 0; i < entries_.size();) {
    std::int64_t milli = 0;
    std::size_t j = i;
    for (; j < entries_.size() && entries_[j].first == entries_[i].first; ++j) {
      milli += entries_[j].second;
    }
    append_counter(text_, entries_[i].first, milli);
    i = j;
  }
  return text_;
}

bool merge_counters(std::string_view a, std::string_view b, std::string& out) {
  out.clear();
  bool ok = true;
  std::size_t pa = 0;
  std::size_t pb = 0;
  CounterEntry ea;
  CounterEntry eb;
  bool has_a = next_counter(a, pa, ea, ok);
  bool has_b = next_counter(b, pb, eb, ok);
  while (ok && (has_a || has_b)) {
    if (has_a && (!has_b || ea.name < eb.name)) {
      append_counter(out, ea.name, ea.milli);
      has_a = next_counter(a, pa, ea, ok);
    } else if (has_b && (!has_a || eb.name < ea.name)) {
      append_counter(out, eb.name, eb.milli);
      has_b = next_counter(b, pb, eb, ok);
    } else {
      append_counter(out, ea.name, ea.milli + eb.milli);
      has_a = next_counter(a, pa, ea, ok);
      has_b = next_counter(b, pb, eb, ok);
    }
  }
  return ok;
}

void accumulate_usage(Connection& connection, const std::string& ns, const std::string& entity_id,
                      const std::string& resource, PendingUsage& pending, std::string_view delta,
                      std::int64_t now_ms) {
  const std::int64_t hour = detail::usage_window_starts(core::floor_div(now_ms, 1000)).hourly;
  if (pending.hour && *pending.hour == hour) {
    thread_local std::string merged;
    if (!merge_counters(pending.counters, delta, merged)) {
      throw InfrastructureError("corrupt pending usage of entity '" + entity_id +
                                "' and resource '" + resource + "' in '" + connection.path() + "'");
    }
    pending.counters.swap(merged);
    ++pending.events;
    return;
  }
  if (pending.hour && hour < *pending.hour) {
    record_usage(connection, ns, entity_id, resource, hour, delta, 1);  // a late clock
    return;
  }
  if (pending.hour) {
    record_usage(connection, ns, entity_id, resource, *pending.hour, pending.counters,
                 pending.events);
  }
  pending.hour = hour;
  pending.counters.assign(delta);
  pending.events = 1;
}

void flush_pending_usage(Connection& connection, const std::string& ns, PendingScope scope,
                         const std::string& key, std::int64_t now_s) {
  struct Row {
    std::string entity_id;
    std::string resource;
    std::int64_t shard = 0;
    std::int64_t hour = 0;
    std::string counters;
    std::int64_t events = 0;
  };
  std::vector<Row> rows;
  {
    const char* sql = scope == PendingScope::kEntity     ? kSelectPendingOfEntity
                      : scope == PendingScope::kResource ? kSelectPendingOfResource
                                                         : kSelectPendingExpired;
    Statement select(connection, sql);
    select.bind(1, ns);
    if (scope == PendingScope::kExpired) {
      select.bind(3, now_s);
    } else {
      select.bind(2, key);
    }
    while (select.step()) {
      rows.push_back(Row{.entity_id = std::string(select.text(0)),
                         .resource = std::string(select.text(1)),
                         .shard = select.int64(2),
                         .hour = select.int64(3),
                         .counters = select.optional_text(4).value_or(""),
                         .events = select.optional_int64(5).value_or(0)});
    }
  }
  for (const Row& row : rows) {
    record_usage(connection, ns, row.entity_id, row.resource, row.hour, row.counters, row.events);
    Statement(connection, kClearPending)
        .bind(1, ns)
        .bind(2, row.entity_id)
        .bind(3, row.resource)
        .bind(4, row.shard)
        .run();
  }
}

void purge_expired_usage(Connection& connection, const std::string& ns, std::int64_t now_s) {
  Statement(connection, kPurgeExpiredUsage).bind(1, ns).bind(2, now_s).run();
}

UsagePage query_usage(Connection& connection, const std::string& ns, const UsageQuery& query,
                      std::int64_t now_s) {
  const bool entity_mode = query.entity_id.has_value();
  // Tokens name their query, so a token of another entity or resource is refused.
  const std::string tag = entity_mode ? "se:" + *query.entity_id : "sr:" + *query.resource;
  std::vector<std::string> cursor;
  if (query.next_key) {
    cursor = detail::decode_page_token(*query.next_key);
    if (cursor.empty() || cursor[0] != tag || cursor.size() != (entity_mode ? 4u : 3u)) {
      foreign_token(*query.next_key);
    }
  }
  // One row more than the page, to know whether another page follows.
  const auto fetch = static_cast<std::int64_t>(query.limit) + 1;
  const char* sql = !entity_mode     ? kSelectUsageByResource
                    : query.resource ? kSelectUsageByEntityResource
                                     : kSelectUsageByEntity;
  Statement select(connection, sql);
  select.bind(1, ns).bind(3, now_s);
  if (entity_mode) {
    select.bind(2, *query.entity_id).bind(7, fetch);
    if (query.resource) {
      select.bind(8, *query.resource);
    }
    if (cursor.empty()) {
      select.bind(4, kAfterEveryResource)
          .bind(5, std::numeric_limits<std::int64_t>::max())
          .bind(6, std::int64_t{0});
    } else {
      select.bind(4, cursor[1]).bind(5, parse_int(cursor[2])).bind(6, parse_int(cursor[3]));
    }
  } else {
    select.bind(2, *query.resource).bind(6, fetch);
    if (cursor.empty()) {
      select.bind(4, std::numeric_limits<std::int64_t>::max()).bind(5, std::string_view());
    } else {
      select.bind(4, parse_int(cursor[1])).bind(5, cursor[2]);
    }
  }
  UsagePage page;
  std::size_t rows = 0;
  std::vector<std::string> last;
  while (select.step()) {
    if (++rows > query.limit) {
      page.next_key = detail::encode_page_token(last);
      break;
    }
    if (entity_mode) {
      last = {tag, std::string(select.text(1)), std::to_string(select.int64(2)),
              std::to_string(select.int64(3))};
    } else {
      last = {tag, std::to_string(select.int64(2)), std::string(select.text(6))};
    }
    UsageSnapshot snapshot = read_snapshot(connection, select);
    if (detail::matches_usage_filters(query, snapshot)) {
      page.snapshots.push_back(std::move(snapshot));
    }
  }
  return page;
}

}  // namespace zae::sqlite
