// SPDX-License-Identifier: MIT
#include "aggregator/usage_snapshot.h"

#include <algorithm>
#include <array>
#include <set>
#include <utility>

#include <fmt/core.h>

#include "zae/errors.h"

#include "aws/http.h"
#include "core/bucket.h"
#include "core/time_format.h"
#include "dynamodb/keys.h"

namespace zae::aggregator {
namespace {

using aws::AttributeValue;

constexpr std::int64_t kMsPerDay = 86'400'000;
constexpr std::int64_t kMsPerHour = 3'600'000;

std::string_view trim(std::string_view s) { return aws::trim(s, " \t"); }

}  // namespace

std::string_view window_name(WindowType window) {
  switch (window) {
    case WindowType::kHourly:
      return "hourly";
    case WindowType::kDaily:
      return "daily";
    case WindowType::kMonthly:
      return "monthly";
  }
  return "hourly";
}

std::vector<WindowType> parse_windows(std::string_view text) {
  std::vector<WindowType> out;
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    const std::string_view name = trim(text.substr(at, comma - at));
    at = comma + 1;
    if (name.empty()) {
      continue;
    }
    WindowType window = WindowType::kHourly;
    if (name == "hourly") {
      window = WindowType::kHourly;
    } else if (name == "daily") {
      window = WindowType::kDaily;
    } else if (name == "monthly") {
      window = WindowType::kMonthly;
    } else {
      throw ValidationError(
          "snapshot windows", name,
          fmt::format("unknown window '{}' (expected hourly, daily or monthly)", name));
    }
    if (std::find(out.begin(), out.end(), window) == out.end()) {
      out.push_back(window);
    }
  }
  if (out.empty()) {
    throw ValidationError("snapshot windows", text,
                          "at least one of hourly, daily, monthly is required");
  }
  return out;
}

std::string window_start(WindowType window, std::int64_t epoch_ms) {
  const std::int64_t days = core::floor_div(epoch_ms, kMsPerDay);
  switch (window) {
    case WindowType::kHourly:
      return core::format_utc_seconds(core::floor_div(epoch_ms, kMsPerHour) * 3600);
    case WindowType::kDaily:
      return core::format_utc_seconds(days * 86'400);
    case WindowType::kMonthly: {
      const core::CivilDate date = core::civil_from_days(days);
      return core::format_utc_seconds(core::days_from_civil(date.year, date.month, 1) * 86'400);
    }
  }
  return {};
}

bool is_bookkeeping_attribute(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kNames = {
      "PK",     "SK",     "entity_id", "resource", "window", "window_start",
      "GSI2PK", "GSI2SK", "GSI4PK",    "GSI4SK",   "ttl",    "total_events"};
  return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

namespace {

bool counts(const LimitDelta& delta) { return !is_bookkeeping_attribute(delta.name); }

}  // namespace

std::vector<SnapshotKey> snapshot_keys(const BucketRecord& record,
                                       const std::vector<WindowType>& windows) {
  std::vector<SnapshotKey> keys;
  if (std::none_of(record.deltas.begin(), record.deltas.end(), counts)) {
    return keys;
  }
  for (WindowType window : windows) {
    keys.push_back(SnapshotKey{.namespace_id = record.namespace_id,
                               .entity_id = record.entity_id,
                               .resource = record.resource,
                               .window = window,
                               .window_start = window_start(window, record.event_ms)});
  }
  return keys;
}

void SnapshotAccumulator::add(const BucketRecord& record) {
  for (SnapshotKey& key : snapshot_keys(record, windows_)) {
    auto [it, inserted] = items_.try_emplace(key);
    SnapshotIncrement& item = it->second;
    if (inserted) {
      item.key = std::move(key);
    }
    item.events += 1;
    for (const LimitDelta& delta : record.deltas) {
      if (!counts(delta)) {
        continue;
      }
      auto found = std::find_if(item.milli.begin(), item.milli.end(),
                                [&](const LimitDelta& d) { return d.name == delta.name; });
      if (found == item.milli.end()) {
        item.milli.push_back(delta);
      } else {
        found->milli += delta.milli;
      }
    }
  }
}

std::vector<SnapshotIncrement> SnapshotAccumulator::increments() const {
  std::vector<SnapshotIncrement> out;
  out.reserve(items_.size());
  for (const auto& [key, item] : items_) {
    out.push_back(item);
  }
  return out;
}

std::int64_t snapshot_tokens(std::int64_t milli) { return core::floor_div(milli, 1000); }

aws::TransactUpdate snapshot_update(std::string_view table, const SnapshotIncrement& increment,
                                    std::int64_t ttl_epoch_s) {
  const SnapshotKey& k = increment.key;
  const std::string window = std::string(window_name(k.window));
  const std::string window_key = dynamodb::usage_window_key(window, k.window_start);
  aws::ExpressionNames names = {{"#resource", "resource"},
                                {"#window", "window"},
                                {"#window_start", "window_start"},
                                {"#ttl", "ttl"},
                                {"#total_events", "total_events"}};
  aws::ExpressionValues values;
  values.set(":entity_id", AttributeValue::of_string(k.entity_id));
  values.set(":resource", AttributeValue::of_string(k.resource));
  values.set(":window", AttributeValue::of_string(window));
  values.set(":window_start", AttributeValue::of_string(k.window_start));
  values.set(":gsi2pk",
             AttributeValue::of_string(dynamodb::resource_pk(k.namespace_id, k.resource)));
  values.set(":gsi2sk", AttributeValue::of_string(dynamodb::usage_gsi2sk(window_key, k.entity_id)));
  values.set(":gsi4pk", AttributeValue::of_string(k.namespace_id));
  values.set(":gsi4sk",
             AttributeValue::of_string(dynamodb::entity_pk(k.namespace_id, k.entity_id)));
  values.set(":ttl", AttributeValue::of_int64(ttl_epoch_s));
  values.set(":one", AttributeValue::of_int64(increment.events));
  std::string add;
  for (std::size_t i = 0; i < increment.milli.size(); ++i) {
    const std::string name = fmt::format("#l{}", i);
    const std::string value = fmt::format(":d{}", i);
    names.emplace_back(name, increment.milli[i].name);
    values.set(value, AttributeValue::of_int64(snapshot_tokens(increment.milli[i].milli)));
    add += name + " " + value + ", ";
  }
  add += "#total_events :one";
  return aws::TransactUpdate{
      .table_name = std::string(table),
      .key =
          dynamodb::usage_key(k.namespace_id, k.entity_id, k.resource, window_key).to_attributes(),
      .update_expression =
          "SET entity_id = :entity_id, #resource = if_not_exists(#resource, :resource), "
          "#window = if_not_exists(#window, :window), "
          "#window_start = if_not_exists(#window_start, :window_start), GSI2PK = :gsi2pk, "
          "GSI2SK = :gsi2sk, GSI4PK = if_not_exists(GSI4PK, :gsi4pk), "
          "GSI4SK = if_not_exists(GSI4SK, :gsi4sk), #ttl = if_not_exists(#ttl, :ttl) ADD " +
          add,
      .condition_expression = {},
      .expression_attribute_names = std::move(names),
      .expression_attribute_values = std::move(values),
      .return_values_on_condition_check_failure = aws::ReturnValuesOnConditionCheckFailure::kNone,
  };
}

std::vector<std::size_t> chunk_ends(const std::vector<std::vector<SnapshotKey>>& keys_per_record,
                                    std::size_t max_items) {
  std::vector<std::size_t> ends;
  std::set<SnapshotKey> open;
  for (std::size_t i = 0; i < keys_per_record.size(); ++i) {
    std::size_t fresh = 0;
    for (const SnapshotKey& key : keys_per_record[i]) {
      fresh += open.count(key) == 0 ? 1 : 0;
    }
    if (!open.empty() && open.size() + fresh > max_items) {
      ends.push_back(i);
      open.clear();
    }
    open.insert(keys_per_record[i].begin(), keys_per_record[i].end());
  }
  if (!keys_per_record.empty()) {
    ends.push_back(keys_per_record.size());
  }
  return ends;
}

}  // namespace zae::aggregator
