// SPDX-License-Identifier: MIT
// What SqliteStore records as usage (src/sqlite/usage.h): exact counters for a known workload,
// event-time windows across an hour boundary, adjustments and rollbacks as net usage, cascade,
// late clocks, retention, and files created before usage recording.

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include "zae/limit.h"
#include "zae/store.h"

#include "core/time_format.h"
#include "sqlite/sqlite_store.h"
#include "support/fake_clock.h"

namespace zae::sqlite {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

// 2100-01-01T10:15:00Z.
constexpr std::int64_t kStartMs = 4'102'481'700'000;

struct Row {
  std::string window;
  std::string window_start;
  std::map<std::string, std::int64_t> counters;
  std::int64_t total_events = 0;
  friend bool operator==(const Row&, const Row&) = default;
  friend std::ostream& operator<<(std::ostream& out, const Row& row) {
    out << row.window << "@" << row.window_start << " events=" << row.total_events;
    for (const auto& [name, value] : row.counters) {
      out << " " << name << "=" << value;
    }
    return out;
  }
};

class SqliteUsageTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = SqliteStore::open({.path = ":memory:", .clock = &clock_}); }

  TimePoint at(std::int64_t ms) const { return from_epoch_ms(ms); }

  void consume(const std::string& entity, const std::string& resource, Amounts amounts,
               std::int64_t now_ms) {
    ConsumeRequest request{.target = {.entity_id = entity,
                                      .resource = resource,
                                      .limits = limits_,
                                      .source = LimitSource::kOverride},
                           .parent = std::nullopt,
                           .amounts = std::move(amounts),
                           .now = at(now_ms)};
    ASSERT_EQ(store_->consume(request).kind, ConsumeResult::Kind::kAdmitted);
  }

  void apply(const std::string& entity, const std::string& resource,
             std::vector<std::pair<std::string, std::int64_t>> milli, std::int64_t now_ms) {
    const BucketDelta delta{
        .entity_id = entity, .resource = resource, .shard = 0, .tokens_milli = std::move(milli)};
    store_->apply_deltas({&delta, 1}, at(now_ms));
  }

  std::vector<Row> rows(const std::string& entity) {
    UsageQuery query{.entity_id = entity,
                     .resource = std::nullopt,
                     .window = std::nullopt,
                     .start = std::nullopt,
                     .end = std::nullopt,
                     .limit = 1000,
                     .next_key = std::nullopt};
    std::vector<Row> out;
    for (const UsageSnapshot& s : store_->get_usage_snapshots(query).snapshots) {
      out.push_back({s.window, s.window_start, s.counters, s.total_events});
    }
    return out;
  }

  test::FakeClock clock_{kStartMs};
  std::unique_ptr<SqliteStore> store_;
  const std::vector<Limit> limits_ = {Limit::per_minute("rpm", 1'000),
                                      Limit::per_minute("tpm", 1'000'000)};
};

TEST_F(SqliteUsageTest, KnownWorkloadGivesExactCountersInEveryWindow) {
  consume("key-1", "gpt-4", {{"rpm", 1}, {"tpm", 500}}, kStartMs);
  consume("key-1", "gpt-4", {{"rpm", 1}, {"tpm", 300}}, kStartMs + 1'000);
  consume("key-1", "gpt-4", {{"rpm", 1}}, kStartMs + 2'000);
  // Two half-token adjustments are one token: nothing is floored per event (OQ-23d).
  apply("key-1", "gpt-4", {{"tpm", 500}}, kStartMs + 3'000);
  apply("key-1", "gpt-4", {{"tpm", 500}}, kStartMs + 4'000);
  const std::map<std::string, std::int64_t> counters = {{"rpm", 3}, {"tpm", 801}};
  // Three consumes and two adjustments: 5 events, whatever the number of limits (OQ-23e).
  EXPECT_THAT(rows("key-1"), ElementsAre(Row{"hourly", "2100-01-01T10:00:00Z", counters, 5},
                                         Row{"monthly", "2100-01-01T00:00:00Z", counters, 5},
                                         Row{"daily", "2100-01-01T00:00:00Z", counters, 5}));
}

TEST_F(SqliteUsageTest, WindowsFollowEventTimeAcrossAnHourBoundary) {
  const std::int64_t before = kStartMs + 44 * 60'000 + 59'500;  // 10:59:59.5
  consume("key-1", "gpt-4", {{"rpm", 1}, {"tpm", 100}}, before);
  // A query between the two moves the pending hour out of the bucket first.
  EXPECT_EQ(rows("key-1").size(), 3u);
  consume("key-1", "gpt-4", {{"rpm", 2}, {"tpm", 200}}, before + 500);  // 11:00:00
  consume("key-1", "gpt-4", {{"tpm", 50}}, before + 3'600'000);         // 11:59:59.5 same hour
  consume("key-1", "gpt-4", {{"rpm", 4}}, before + 3'600'500);          // 12:00:00
  EXPECT_THAT(rows("key-1"),
              ElementsAre(Row{"hourly", "2100-01-01T12:00:00Z", {{"rpm", 4}}, 1},
                          Row{"hourly", "2100-01-01T11:00:00Z", {{"rpm", 2}, {"tpm", 250}}, 2},
                          Row{"hourly", "2100-01-01T10:00:00Z", {{"rpm", 1}, {"tpm", 100}}, 1},
                          Row{"monthly", "2100-01-01T00:00:00Z", {{"rpm", 7}, {"tpm", 350}}, 4},
                          Row{"daily", "2100-01-01T00:00:00Z", {{"rpm", 7}, {"tpm", 350}}, 4}));
}

TEST_F(SqliteUsageTest, AdjustmentsAndRollbacksReduceUsage) {
  consume("key-1", "gpt-4", {{"rpm", 1}, {"tpm", 1'000}}, kStartMs);
  apply("key-1", "gpt-4", {{"tpm", -400'000}}, kStartMs + 1);  // adjust down by 400 tokens
  apply("key-1", "gpt-4", {{"rpm", -1'000}, {"tpm", -600'000}}, kStartMs + 2);  // rollback
  apply("key-1", "gpt-4", {{"tpm", -500}}, kStartMs + 3);  // half a token back: floor to -1
  const std::vector<Row> got = rows("key-1");
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], (Row{"hourly", "2100-01-01T10:00:00Z", {{"rpm", 0}, {"tpm", -1}}, 4}));
  // A delta for a bucket that does not exist writes nothing, usage included.
  apply("key-2", "gpt-4", {{"tpm", 5'000}}, kStartMs + 4);
  EXPECT_THAT(rows("key-2"), IsEmpty());
}

TEST_F(SqliteUsageTest, CascadeRecordsTheParentsUsageToo) {
  store_->create_entity({.entity_id = "proj-1",
                         .name = {},
                         .parent_id = std::nullopt,
                         .cascade = false,
                         .metadata = {},
                         .principal = std::nullopt},
                        at(kStartMs));
  store_->create_entity({.entity_id = "key-1",
                         .name = {},
                         .parent_id = "proj-1",
                         .cascade = true,
                         .metadata = {},
                         .principal = std::nullopt},
                        at(kStartMs));
  const ConsumeTarget child{.entity_id = "key-1",
                            .resource = "gpt-4",
                            .limits = limits_,
                            .source = LimitSource::kOverride};
  ConsumeTarget parent = child;
  parent.entity_id = "proj-1";
  ASSERT_EQ(store_
                ->consume({.target = child,
                           .parent = parent,
                           .amounts = {{"rpm", 1}, {"tpm", 70}},
                           .now = at(kStartMs)})
                .kind,
            ConsumeResult::Kind::kAdmitted);
  const Row expected{"hourly", "2100-01-01T10:00:00Z", {{"rpm", 1}, {"tpm", 70}}, 1};
  EXPECT_EQ(rows("key-1").at(0), expected);
  EXPECT_EQ(rows("proj-1").at(0), expected);
}

TEST_F(SqliteUsageTest, ALateClockCountsInItsOwnHour) {
  consume("key-1", "gpt-4", {{"rpm", 1}}, kStartMs + 3'600'000);  // 11:15
  consume("key-1", "gpt-4", {{"rpm", 2}}, kStartMs);              // 10:15, another host's clock
  const std::vector<Row> got = rows("key-1");
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0], (Row{"hourly", "2100-01-01T11:00:00Z", {{"rpm", 1}}, 1}));
  EXPECT_EQ(got[1], (Row{"hourly", "2100-01-01T10:00:00Z", {{"rpm", 2}}, 1}));
  EXPECT_EQ(got[2], (Row{"monthly", "2100-01-01T00:00:00Z", {{"rpm", 3}}, 2}));
}

TEST_F(SqliteUsageTest, SnapshotsExpireAfterNinetyDaysAndSurviveEntityDeletion) {
  consume("key-1", "gpt-4", {{"rpm", 1}}, kStartMs);
  EXPECT_EQ(store_->delete_entity("key-1", std::nullopt, at(kStartMs)), 1u);
  EXPECT_EQ(rows("key-1").size(), 3u);
  clock_.advance(std::chrono::hours(24 * 90));
  EXPECT_EQ(rows("key-1").size(), 3u);
  clock_.advance(2h);
  EXPECT_THAT(rows("key-1"), IsEmpty());
}

TEST_F(SqliteUsageTest, OpensFilesCreatedBeforeUsageRecording) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("zae-usage-" + std::to_string(::getpid()) + ".db"))
          .string();
  std::filesystem::remove(path);
  SqliteStore::open({.path = path, .clock = &clock_}).reset();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    for (const char* sql :
         {"DROP TABLE usage_snapshots", "ALTER TABLE buckets DROP COLUMN usage_hour",
          "ALTER TABLE buckets DROP COLUMN usage_counters",
          "ALTER TABLE buckets DROP COLUMN usage_events"}) {
      EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sql;
    }
    sqlite3_close(db);
  }
  store_ = SqliteStore::open({.path = path, .clock = &clock_});
  consume("key-1", "gpt-4", {{"tpm", 9}}, kStartMs);
  EXPECT_EQ(rows("key-1").at(0), (Row{"hourly", "2100-01-01T10:00:00Z", {{"tpm", 9}}, 1}));
  store_.reset();
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}

}  // namespace
}  // namespace zae::sqlite
