// SPDX-License-Identifier: MIT
#include "aggregator/usage_snapshot.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zae/errors.h"

namespace zae::aggregator {
namespace {

// 2026-02-21T19:42:05.250Z
constexpr std::int64_t kT = 1'771'702'925'250;

BucketRecord rec(std::string entity, std::vector<LimitDelta> deltas, std::int64_t event_ms = kT) {
  BucketRecord r;
  r.namespace_id = "ns1";
  r.entity_id = std::move(entity);
  r.resource = "gpt-4";
  r.event_ms = event_ms;
  r.deltas = std::move(deltas);
  return r;
}

const aws::AttributeValue& value(const aws::TransactUpdate& u, const std::string& name) {
  return u.expression_attribute_values.at(name);
}

TEST(WindowTest, WindowStartsInUtc) {
  EXPECT_EQ(window_start(WindowType::kHourly, kT), "2026-02-21T19:00:00Z");
  EXPECT_EQ(window_start(WindowType::kDaily, kT), "2026-02-21T00:00:00Z");
  EXPECT_EQ(window_start(WindowType::kMonthly, kT), "2026-02-01T00:00:00Z");
  // 2024-02-29T23:59:59.999Z: a leap day's last millisecond.
  EXPECT_EQ(window_start(WindowType::kHourly, 1'709'251'199'999), "2024-02-29T23:00:00Z");
  EXPECT_EQ(window_start(WindowType::kMonthly, 1'709'251'199'999), "2024-02-01T00:00:00Z");
  EXPECT_EQ(window_start(WindowType::kMonthly, 1'709'251'200'000), "2024-03-01T00:00:00Z");
}

TEST(WindowTest, ParsesWindowLists) {
  EXPECT_EQ(parse_windows("hourly,daily"),
            (std::vector<WindowType>{WindowType::kHourly, WindowType::kDaily}));
  EXPECT_EQ(parse_windows(" monthly , hourly,monthly"),
            (std::vector<WindowType>{WindowType::kMonthly, WindowType::kHourly}));
}

TEST(WindowTest, UnknownWindowIsAClearError) {
  try {
    (void)parse_windows("hourly,weekly");
    FAIL() << "expected ValidationError";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), "snapshot windows");
    EXPECT_THAT(e.what(), ::testing::HasSubstr("unknown window 'weekly'"));
  }
  EXPECT_THROW((void)parse_windows(" , "), ValidationError);
}

TEST(SnapshotTest, SubTokenDeltasAreSummedBeforeFlooring) {
  SnapshotAccumulator acc({WindowType::kHourly});
  for (int i = 0; i < 3; ++i) {
    acc.add(rec("e1", {{"tpm", 500}}));  // the original floors each: 0 + 0 + 0
  }
  acc.add(rec("e1", {{"rpm", -500}}));
  const auto increments = acc.increments();
  ASSERT_EQ(increments.size(), 1u);
  EXPECT_EQ(increments[0].events, 4);
  ASSERT_EQ(increments[0].milli.size(), 2u);
  EXPECT_EQ(increments[0].milli[0], (LimitDelta{"tpm", 1'500}));
  EXPECT_EQ(snapshot_tokens(increments[0].milli[0].milli), 1);
  EXPECT_EQ(snapshot_tokens(increments[0].milli[1].milli), -1);  // floor, not truncation
}

TEST(SnapshotTest, TotalEventsCountsRecordsNotLimits) {
  SnapshotAccumulator acc({WindowType::kHourly, WindowType::kDaily});
  acc.add(rec("e1", {{"rpm", 1'000}, {"tpm", 250'000}}));
  const auto increments = acc.increments();
  ASSERT_EQ(increments.size(), 2u);  // one per window, separate items
  for (const SnapshotIncrement& inc : increments) {
    EXPECT_EQ(inc.events, 1);
  }
}

TEST(SnapshotTest, RecordsWithoutDeltasAndBookkeepingNamesAddNothing) {
  SnapshotAccumulator acc({WindowType::kHourly});
  acc.add(rec("e1", {}));
  acc.add(rec("e2", {{"ttl", 1'000}, {"total_events", 2'000}}));  // OQ-30
  EXPECT_EQ(acc.size(), 0u);
  acc.add(rec("e3", {{"ttl", 1'000}, {"rpm", 1'000}}));
  const auto increments = acc.increments();
  ASSERT_EQ(increments.size(), 1u);
  ASSERT_EQ(increments[0].milli.size(), 1u);
  EXPECT_EQ(increments[0].milli[0].name, "rpm");
}

TEST(SnapshotTest, EventTimePicksTheWindow) {
  SnapshotAccumulator acc({WindowType::kHourly});
  acc.add(rec("e1", {{"rpm", 1'000}}, kT));
  acc.add(rec("e1", {{"rpm", 1'000}}, kT + 3'600'000));
  const auto increments = acc.increments();
  ASSERT_EQ(increments.size(), 2u);
  EXPECT_EQ(increments[0].key.window_start, "2026-02-21T19:00:00Z");
  EXPECT_EQ(increments[1].key.window_start, "2026-02-21T20:00:00Z");
}

TEST(SnapshotTest, UpdateHasTheOriginalShapeWithIndexedPlaceholders) {
  SnapshotIncrement inc{.key = {.namespace_id = "ns1",
                                .entity_id = "e1",
                                .resource = "gpt-4",
                                .window = WindowType::kDaily,
                                .window_start = "2026-02-21T00:00:00Z"},
                        .milli = {{"rpm", 3'000}, {"tpm-v1.2", 1'999}},
                        .events = 3};
  const aws::TransactUpdate u = snapshot_update("tbl", inc, 1'780'000'000);
  EXPECT_EQ(u.table_name, "tbl");
  EXPECT_EQ(u.key.at("PK").as_string(), "ns1/ENTITY#e1");
  EXPECT_EQ(u.key.at("SK").as_string(), "#USAGE#gpt-4#2026-02-21T00:00:00Z#daily");
  EXPECT_EQ(u.update_expression,
            "SET entity_id = :entity_id, #resource = if_not_exists(#resource, :resource), "
            "#window = if_not_exists(#window, :window), "
            "#window_start = if_not_exists(#window_start, :window_start), GSI2PK = :gsi2pk, "
            "GSI2SK = :gsi2sk, GSI4PK = if_not_exists(GSI4PK, :gsi4pk), "
            "GSI4SK = if_not_exists(GSI4SK, :gsi4sk), #ttl = if_not_exists(#ttl, :ttl) "
            "ADD #l0 :d0, #l1 :d1, #total_events :one");
  EXPECT_TRUE(u.condition_expression.empty());
  EXPECT_THAT(u.expression_attribute_names,
              ::testing::Contains(std::pair<std::string, std::string>("#l1", "tpm-v1.2")));
  EXPECT_EQ(value(u, ":d0").as_int64(), 3);
  EXPECT_EQ(value(u, ":d1").as_int64(), 1);
  EXPECT_EQ(value(u, ":one").as_int64(), 3);
  EXPECT_EQ(value(u, ":window").as_string(), "daily");
  EXPECT_EQ(value(u, ":window_start").as_string(), "2026-02-21T00:00:00Z");
  EXPECT_EQ(value(u, ":gsi2pk").as_string(), "ns1/RESOURCE#gpt-4");
  EXPECT_EQ(value(u, ":gsi2sk").as_string(), "USAGE#2026-02-21T00:00:00Z#daily#e1");
  EXPECT_EQ(value(u, ":gsi4pk").as_string(), "ns1");
  EXPECT_EQ(value(u, ":gsi4sk").as_string(), "ns1/ENTITY#e1");
  EXPECT_EQ(value(u, ":ttl").as_int64(), 1'780'000'000);
}

TEST(SnapshotTest, HourlyItemKeepsTheOriginalKey) {
  SnapshotIncrement inc{.key = {.namespace_id = "ns1",
                                .entity_id = "e1",
                                .resource = "gpt-4",
                                .window = WindowType::kHourly,
                                .window_start = "2026-02-21T00:00:00Z"},
                        .milli = {{"rpm", 1'000}},
                        .events = 1};
  EXPECT_EQ(snapshot_update("tbl", inc, 0).key.at("SK").as_string(),
            "#USAGE#gpt-4#2026-02-21T00:00:00Z");
}

TEST(ChunkTest, ChunksHoldAtMostTheItemBudget) {
  std::vector<std::vector<SnapshotKey>> keys;
  for (int i = 0; i < 60; ++i) {
    keys.push_back(snapshot_keys(rec("e" + std::to_string(i), {{"rpm", 1'000}}),
                                 {WindowType::kHourly, WindowType::kDaily}));
  }
  EXPECT_EQ(chunk_ends(keys, 99), (std::vector<std::size_t>{49, 60}));
}

TEST(ChunkTest, RepeatedItemsCountOnce) {
  std::vector<std::vector<SnapshotKey>> keys(
      500, snapshot_keys(rec("e1", {{"rpm", 1'000}}), {WindowType::kHourly}));
  keys.push_back({});  // a skipped record rides along
  EXPECT_EQ(chunk_ends(keys, 99), (std::vector<std::size_t>{501}));
  EXPECT_TRUE(chunk_ends({}, 99).empty());
  EXPECT_EQ(chunk_ends({{}, {}}, 99), (std::vector<std::size_t>{2}));
}

}  // namespace
}  // namespace zae::aggregator
