// SPDX-License-Identifier: MIT
// The aggregator against DynamoDB Local (ZAE_TEST_DYNAMODB_ENDPOINT; skipped when unset). Bucket
// items are written raw, exactly as spec/data-model.md §6.10/§7.1 say the clients write them, so
// every expected snapshot figure is known. Each test has its own table (and so its own stream).
#include "aggregator/aggregator.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zae/lease.h"
#include "zae/limit.h"
#include "zae/rate_limiter.h"

#include "aggregator/checkpoint.h"
#include "aws/curl_transport.h"
#include "dynamodb/dynamodb_connection.h"
#include "dynamodb/dynamodb_store.h"
#include "dynamodb/items.h"
#include "dynamodb/keys.h"
#include "dynamodb/provisioning.h"
#include "support/fake_clock.h"

namespace zae::aggregator {
namespace {

using aws::AttributeMap;
using aws::AttributeValue;
using namespace std::chrono_literals;

constexpr std::string_view kNs = "aggTestNs01";
constexpr int kHotWrites = 40;

AttributeValue S(std::string text) { return AttributeValue::of_string(std::move(text)); }
AttributeValue N(std::int64_t value) { return AttributeValue::of_int64(value); }

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Sums of one window type over an entity's snapshot items.
struct WindowTotals {
  std::map<std::string, std::int64_t> limits{};
  std::int64_t events = 0;
  std::vector<std::string> starts{};
  std::vector<std::string> sort_keys{};
};

// What a steady fast-path writer achieved on one bucket while an aggregator ran beside it.
struct HotBucketRun {
  int admitted = 0;
  std::int64_t highest_after_take = 0;
  AttributeMap item{};
  AggregatorMetrics metrics{};
};

class AggregatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* endpoint = std::getenv("ZAE_TEST_DYNAMODB_ENDPOINT");
    if (endpoint == nullptr || *endpoint == '\0') {
      GTEST_SKIP() << "ZAE_TEST_DYNAMODB_ENDPOINT is not set (scripts/dynamodb-local.sh run)";
    }
    client_ = std::make_shared<aws::DynamoDbClient>(aws::DynamoDbClientConfig{
        .endpoint = endpoint,
        .region = "us-east-1",
        .credentials = aws::static_credentials({"local", "local", ""}),
        .transport = std::make_shared<aws::CurlTransport>(),
    });
    table_ = "zae-it-agg-" + std::to_string(std::random_device{}() % 1000000);
    (void)dynamodb::provision_table(
        *client_, table_,
        dynamodb::ProvisionOptions{.table = {.point_in_time_recovery = false},
                                   .updated_by = "cpp:test"});
  }

  void TearDown() override {
    if (client_) {
      try {
        (void)client_->delete_table(table_);
      } catch (const std::exception&) {
      }
    }
  }

  AggregatorOptions options() {
    return AggregatorOptions{.table_name = table_,
                             .poll_interval = 100ms,
                             .log = [this](std::string_view line) { log_.emplace_back(line); }};
  }

  // A bucket as the create path writes it (§7.1 row 1): rpm 100/min, tpm 10 000/min.
  void put_bucket(const std::string& entity, std::int64_t rpm_tc, std::int64_t tpm_tc) {
    dynamodb::BucketItem b{.entity_id = entity,
                           .resource = "gpt-4",
                           .shard = 0,
                           .refill_ms = wall_ms(),
                           .limits = {{.name = "rpm",
                                       .tokens_milli = 100'000 - rpm_tc,
                                       .capacity_milli = 100'000,
                                       .refill_amount_milli = 100'000,
                                       .refill_period_ms = 60'000,
                                       .total_consumed_milli = rpm_tc},
                                      {.name = "tpm",
                                       .tokens_milli = 10'000'000 - tpm_tc,
                                       .capacity_milli = 10'000'000,
                                       .refill_amount_milli = 10'000'000,
                                       .refill_period_ms = 60'000,
                                       .total_consumed_milli = tpm_tc}},
                           .wcu = dynamodb::full_wcu_fields(),
                           .cascade = false,
                           .parent_id = std::nullopt,
                           .shard_count = 1,
                           .ttl = std::nullopt};
    (void)client_->put_item({.table_name = table_, .item = dynamodb::encode_bucket(kNs, b)});
  }

  // The fast path's shape (§7.1 row 2, placeholders by index): ADD −a to tk, +a to tc, one wcu.
  aws::Outcome<aws::WriteItemResult> consume(const std::string& entity, std::int64_t rpm,
                                             std::int64_t tpm) {
    aws::ExpressionValues values;
    values.set(":r", N(rpm));
    values.set(":nr", N(-rpm));
    values.set(":t", N(tpm));
    values.set(":nt", N(-tpm));
    values.set(":w", N(1'000));
    values.set(":nw", N(-1'000));
    return client_->try_update_item(aws::UpdateItemRequest{
        .table_name = table_,
        .key = dynamodb::bucket_key(kNs, entity, "gpt-4", 0).to_attributes(),
        .update_expression = "ADD #a0 :nr, #a1 :r, #a2 :nt, #a3 :t, #a4 :nw, #a5 :w",
        .condition_expression = "attribute_exists(PK) AND #a0 >= :r",
        .expression_attribute_names = {{"#a0", "b_rpm_tk"},
                                       {"#a1", "b_rpm_tc"},
                                       {"#a2", "b_tpm_tk"},
                                       {"#a3", "b_tpm_tc"},
                                       {"#a4", "b_wcu_tk"},
                                       {"#a5", "b_wcu_tc"}},
        .expression_attribute_values = std::move(values),
        .return_values = aws::ReturnValues::kAllNew,
    });
  }

  // Writes a marker item and waits (bounded) until the stream shows it, so every earlier write
  // is readable from the stream too.
  void wait_for_stream(const std::string& marker) {
    (void)client_->put_item(
        {.table_name = table_, .item = {{"PK", S("marker/" + marker)}, {"SK", S("#X")}}});
    const std::string arn = client_->describe_table(table_).latest_stream_arn;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      for (const aws::Shard& shard : client_->describe_stream({.stream_arn = arn}).shards) {
        std::optional<std::string> it =
            client_->get_shard_iterator({.stream_arn = arn, .shard_id = shard.shard_id});
        for (int page = 0; it && page < 20; ++page) {
          aws::GetRecordsResult r = client_->get_records({.shard_iterator = *it});
          for (const aws::StreamRecord& record : r.records) {
            const AttributeValue* pk = record.keys.find("PK");
            if (pk != nullptr && pk->as_string() == "marker/" + marker) {
              return;
            }
          }
          if (r.records.empty()) {
            break;
          }
          it = r.next_shard_iterator;
        }
      }
      std::this_thread::sleep_for(200ms);
    }
    FAIL() << "the stream never showed marker " << marker;
  }

  // Polls until `done` holds or 30 s pass.
  template <typename F>
  bool poll_until(Aggregator& aggregator, F done) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) {
        return true;
      }
      if (aggregator.poll_once() == 0) {
        std::this_thread::sleep_for(100ms);
      }
    }
    return done();
  }

  std::map<std::string, WindowTotals> snapshots(const std::string& entity,
                                                std::string_view ns = kNs) {
    aws::ExpressionValues values;
    values.set(":pk", S(dynamodb::entity_pk(ns, entity)));
    values.set(":prefix", S("#USAGE#"));
    const aws::QueryResult result = client_->query_all(
        aws::QueryRequest{.table_name = table_,
                          .key_condition_expression = "PK = :pk AND begins_with(SK, :prefix)",
                          .expression_attribute_values = std::move(values),
                          .consistency = aws::ReadConsistency::kStrong});
    std::map<std::string, WindowTotals> out;
    for (const AttributeMap& item : result.items) {
      WindowTotals& totals = out[item.at("window").as_string()];
      totals.events += item.at("total_events").as_int64();
      totals.starts.push_back(item.at("window_start").as_string());
      totals.sort_keys.push_back(item.at("SK").as_string());
      for (const auto& [name, value] : item) {
        static const std::vector<std::string> kBookkeeping = {
            "PK",           "SK",     "entity_id", "resource", "window", "window_start",
            "total_events", "GSI2PK", "GSI2SK",    "GSI4PK",   "GSI4SK", "ttl"};
        if (std::find(kBookkeeping.begin(), kBookkeeping.end(), name) == kBookkeeping.end()) {
          totals.limits[name] += value.as_int64();
        }
      }
    }
    return out;
  }

  std::int64_t hourly_events(const std::string& entity) {
    auto all = snapshots(entity);
    return all.count("hourly") ? all["hourly"].events : 0;
  }

  // rpm: 10 tokens, 10 per second; 1 token every 100 ms is exactly the refill rate. Writes on
  // the fast path never move rf, so without the aggregator the stored balance is gone after 10.
  HotBucketRun run_hot_bucket(const std::string& entity, const AggregatorOptions& o) {
    dynamodb::BucketItem b{.entity_id = entity,
                           .resource = "gpt-4",
                           .shard = 0,
                           .refill_ms = wall_ms(),
                           .limits = {{.name = "rpm",
                                       .tokens_milli = 10'000,
                                       .capacity_milli = 10'000,
                                       .refill_amount_milli = 10'000,
                                       .refill_period_ms = 1'000,
                                       .total_consumed_milli = 0},
                                      {.name = "tpm",
                                       .tokens_milli = 1'000'000,
                                       .capacity_milli = 1'000'000,
                                       .refill_amount_milli = 1'000'000,
                                       .refill_period_ms = 1'000,
                                       .total_consumed_milli = 0}},
                           .wcu = dynamodb::full_wcu_fields(),
                           .cascade = false,
                           .parent_id = std::nullopt,
                           .shard_count = 1,
                           .ttl = std::nullopt};
    (void)client_->put_item({.table_name = table_, .item = dynamodb::encode_bucket(kNs, b)});
    auto aggregator = Aggregator::open(client_, o);
    std::atomic<bool> stop{false};
    std::thread runner([&] { aggregator->run(stop); });
    HotBucketRun run;
    for (int i = 0; i < kHotWrites; ++i) {
      auto outcome = consume(entity, 1'000, 0);
      if (outcome.ok()) {
        ++run.admitted;
        run.highest_after_take =
            std::max(run.highest_after_take, outcome.value().attributes->at("b_rpm_tk").as_int64());
      }
      std::this_thread::sleep_for(100ms);
    }
    stop = true;
    runner.join();
    run.item =
        *client_
             ->get_item({.table_name = table_,
                         .key = dynamodb::bucket_key(kNs, entity, "gpt-4", 0).to_attributes(),
                         .consistency = aws::ReadConsistency::kStrong})
             .item;
    run.metrics = aggregator->metrics();
    return run;
  }

  std::shared_ptr<aws::DynamoDbClient> client_;
  std::string table_;
  std::vector<std::string> log_;
};

TEST_F(AggregatorTest, SnapshotsMatchAKnownWorkloadExactly) {
  const std::int64_t start_ms = wall_ms();
  put_bucket("e1", 1'000, 500);  // INSERT: the creating request's consumption counts (OQ-23a)
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(consume("e1", 1'000, 250).ok());  // 0.25 token each: lost by per-event floors
  }
  ASSERT_TRUE(consume("e1", 0, -1'000).ok());  // a release
  put_bucket("e2", 0, 0);                      // consumed nothing: no snapshot
  (void)client_->delete_item(
      {.table_name = table_, .key = dynamodb::bucket_key(kNs, "e2", "gpt-4", 0).to_attributes()});
  (void)client_->put_item(
      {.table_name = table_,
       .item = {
           {"PK", S(dynamodb::entity_pk(kNs, "e1"))}, {"SK", S("#META")}, {"entity_id", S("e1")}}});
  wait_for_stream("workload");
  const std::int64_t end_ms = wall_ms();

  AggregatorOptions o = options();
  o.windows = {WindowType::kHourly, WindowType::kDaily, WindowType::kMonthly};
  auto aggregator = Aggregator::open(client_, o);
  ASSERT_TRUE(poll_until(*aggregator, [&] { return hourly_events("e1") >= 12; }));
  for (int i = 0; i < 3; ++i) {
    (void)aggregator->poll_once();  // nothing more arrives
  }

  const auto totals = snapshots("e1");
  ASSERT_EQ(totals.size(), 3u);
  for (const char* window : {"hourly", "daily", "monthly"}) {
    SCOPED_TRACE(window);
    const WindowTotals& t = totals.at(window);
    EXPECT_EQ(t.events, 12);  // 1 INSERT + 11 MODIFY records, not 2 per record (OQ-23e)
    EXPECT_EQ(t.limits, (std::map<std::string, std::int64_t>{{"rpm", 11}, {"tpm", 2}}))
        << "tpm: 0.5 + 10 x 0.25 - 1 = 2 tokens; wcu never appears";
  }
  // Windows by event time (OQ-23b), each window type its own item (OQ-23c).
  const auto hour = [](std::int64_t ms) { return window_start(WindowType::kHourly, ms); };
  for (const std::string& s : totals.at("hourly").starts) {
    EXPECT_TRUE(s == hour(start_ms) || s == hour(end_ms)) << s;
  }
  EXPECT_THAT(totals.at("daily").sort_keys, ::testing::Each(::testing::EndsWith("#daily")));
  EXPECT_THAT(totals.at("monthly").sort_keys, ::testing::Each(::testing::EndsWith("#monthly")));
  EXPECT_THAT(totals.at("hourly").sort_keys,
              ::testing::Each(::testing::StartsWith("#USAGE#gpt-4#")));
  EXPECT_TRUE(snapshots("e2").empty());

  const AggregatorMetrics m = aggregator->metrics();
  EXPECT_GE(m.records_skipped, 3);     // REMOVE, META, the marker (and provisioning's items)
  EXPECT_EQ(m.records_processed, 13);  // e1: 1 INSERT + 11 MODIFY; e2: 1 INSERT
  EXPECT_EQ(m.snapshot_updates, 3);    // one transaction: the increments were summed
  EXPECT_EQ(m.errors, 0);
  EXPECT_TRUE(read_checkpoint(*client_, table_,
                              client_->describe_stream({.stream_arn = aggregator->stream_arn()})
                                  .shards.front()
                                  .shard_id)
                  .has_value());
  EXPECT_TRUE(log_.empty()) << log_.front();
}

TEST_F(AggregatorTest, RateLimiterWorkloadIsCountedExactly) {
  auto connection = std::make_shared<dynamodb::DynamoDbConnection>(client_);
  const dynamodb::OpenedNamespace opened = connection->open(table_, "default");
  RateLimiter limiter(std::make_shared<dynamodb::DynamoDbStore>(connection, opened));
  const std::vector<Limit> limits = {Limit::per_minute("rpm", 1'000),
                                     Limit::per_minute("tpm", 100'000)};
  std::int64_t tokens = 0;
  for (int i = 0; i < 15; ++i) {
    Lease lease = limiter.acquire({.entity_id = "api-key-1",
                                   .resource = "gpt-4",
                                   .consume = {{"rpm", 1}, {"tpm", 100 + i}},
                                   .limits = limits});
    tokens += 100 + i;
    if (i == 7) {
      lease.adjust({{"tpm", 50}});  // the call used more than estimated
      tokens += 50;
    }
    lease.commit();
  }
  wait_for_stream("limiter");

  auto aggregator = Aggregator::open(client_, options());
  const auto rpm = [&] {
    auto all = snapshots("api-key-1", opened.namespace_id);
    return all.count("hourly") ? all["hourly"].limits["rpm"] : 0;
  };
  ASSERT_TRUE(poll_until(*aggregator, [&] { return rpm() >= 15; }));
  (void)aggregator->poll_once();
  const auto totals = snapshots("api-key-1", opened.namespace_id);
  for (const char* window : {"hourly", "daily"}) {
    SCOPED_TRACE(window);
    EXPECT_EQ(totals.at(window).limits,
              (std::map<std::string, std::int64_t>{{"rpm", 15}, {"tpm", tokens}}));
    EXPECT_GE(totals.at(window).events, 15);  // one per bucket write: 15 acquires, 1 adjust
    EXPECT_LE(totals.at(window).events, 16);
  }
  EXPECT_EQ(aggregator->metrics().errors, 0);
}

TEST_F(AggregatorTest, RestartInTheMiddleOfABatchNeitherLosesNorDoubleCounts) {
  // 60 entities x 2 windows = 120 snapshot items: two transactions (99 items at most each).
  constexpr int kEntities = 60;
  for (int i = 0; i < kEntities; ++i) {
    put_bucket("u" + std::to_string(i), 1'000, 0);
  }
  wait_for_stream("inserts");

  AggregatorOptions first = options();
  first.halt_after_transactions = 1;
  auto a = Aggregator::open(client_, first);
  ASSERT_TRUE(poll_until(*a, [&] { return a->halted(); }));
  EXPECT_EQ(a->metrics().transactions, 1);
  a.reset();  // "killed" after its first transaction, the rest of the batch unapplied

  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(consume("u" + std::to_string(i), 1'000, 0).ok());
  }
  wait_for_stream("more");

  auto b = Aggregator::open(client_, options());
  const auto all_counted = [&] {
    return hourly_events("u0") == 2 && hourly_events("u19") == 2 &&
           hourly_events("u" + std::to_string(kEntities - 1)) == 1;
  };
  ASSERT_TRUE(poll_until(*b, all_counted));
  for (int i = 0; i < 3; ++i) {
    (void)b->poll_once();
  }
  for (int i = 0; i < kEntities; ++i) {
    const std::string e = "u" + std::to_string(i);
    SCOPED_TRACE(e);
    const std::int64_t expected = i < 20 ? 2 : 1;
    const auto totals = snapshots(e);
    ASSERT_EQ(totals.size(), 2u);
    for (const char* window : {"hourly", "daily"}) {
      EXPECT_EQ(totals.at(window).events, expected) << window;
      EXPECT_EQ(totals.at(window).limits.at("rpm"), expected) << window;
    }
  }

  // A third start finds everything applied: no transaction at all.
  auto c = Aggregator::open(client_, options());
  for (int i = 0; i < 3; ++i) {
    (void)c->poll_once();
  }
  EXPECT_EQ(c->metrics().transactions, 0);
  EXPECT_EQ(c->metrics().errors, 0);
}

TEST_F(AggregatorTest, RefillKeepsASteadilyUsedBucketUpAndNeverAboveCapacity) {
  const HotBucketRun run = run_hot_bucket("hot", options());
  std::printf("refill on: admitted %d of %d fast-path writes; refills written %lld, skipped %lld\n",
              run.admitted, kHotWrites, static_cast<long long>(run.metrics.refills_written),
              static_cast<long long>(run.metrics.refills_skipped));
  EXPECT_GT(run.admitted, 20) << "without refill only 10 are admitted";
  EXPECT_GE(run.metrics.refills_written, 1);
  EXPECT_LE(run.highest_after_take, 9'000);  // took 1 token from at most the capacity
  EXPECT_LE(run.item.at("b_rpm_tk").as_int64(), 10'000);
  EXPECT_LE(run.item.at("b_wcu_tk").as_int64(), 1'000'000);
  EXPECT_EQ(run.metrics.errors, 0);
}

TEST_F(AggregatorTest, WithoutRefillOrWithTheOriginalTriggerTheStoredBalanceDrains) {
  AggregatorOptions off = options();
  off.refill = RefillMode::kDisabled;
  const HotBucketRun without = run_hot_bucket("cold-off", off);
  AggregatorOptions original = options();
  original.refill_trigger = RefillTrigger::kProjectedBelowBatch;
  const HotBucketRun projected = run_hot_bucket("cold-orig", original);
  std::printf("refill off: admitted %d of %d; original AG-10 trigger: admitted %d (refills %lld)\n",
              without.admitted, kHotWrites, projected.admitted,
              static_cast<long long>(projected.metrics.refills_written));
  EXPECT_EQ(without.admitted, 10);
  EXPECT_EQ(without.metrics.refills_written, 0);
  EXPECT_LE(projected.admitted, 12);
}

TEST_F(AggregatorTest, ABucketWritingFasterThanItsBudgetIsSplitWithoutCreatingTokens) {
  // A thousand writes within the last second: wcu at 10 %, nothing refilled yet at the
  // aggregator's time. rpm holds 90 of 100.
  put_bucket("busy", 10'000, 0);
  const std::int64_t rf = wall_ms();
  aws::ExpressionValues values;
  values.set(":w", N(100'000));
  values.set(":rf", N(rf));
  (void)client_->update_item(aws::UpdateItemRequest{
      .table_name = table_,
      .key = dynamodb::bucket_key(kNs, "busy", "gpt-4", 0).to_attributes(),
      .update_expression = "SET b_wcu_tk = :w, rf = :rf",
      .expression_attribute_values = std::move(values)});
  put_bucket("calm", 0, 0);  // a full write budget: never split
  (void)consume("calm", 1'000, 0);
  test::FakeClock clock(rf);
  AggregatorOptions o = options();
  o.clock = &clock;
  o.refill = RefillMode::kDisabled;
  auto aggregator = Aggregator::open(client_, o);
  const auto shard = [&](const std::string& entity, int number) {
    return client_
        ->get_item({.table_name = table_,
                    .key = dynamodb::bucket_key(kNs, entity, "gpt-4", number).to_attributes(),
                    .consistency = aws::ReadConsistency::kStrong})
        .item;
  };
  ASSERT_TRUE(poll_until(*aggregator, [&] { return shard("busy", 1).has_value(); }));
  const AttributeMap zero = *shard("busy", 0);
  const AttributeMap one = *shard("busy", 1);
  EXPECT_EQ(zero.at("shard_count").as_int64(), 2);
  EXPECT_EQ(one.at("shard_count").as_int64(), 2);
  // 90 tokens: shard 0 keeps its share of 50, shard 1 gets the other 40 (the original would
  // give shard 1 another 50 and leave shard 0 with 90).
  EXPECT_EQ(zero.at("b_rpm_tk").as_int64(), 50'000);
  EXPECT_EQ(one.at("b_rpm_tk").as_int64(), 40'000);
  EXPECT_EQ(one.at("b_rpm_tc").as_int64(), 0);
  EXPECT_EQ(aggregator->metrics().bucket_splits, 1);
  EXPECT_FALSE(shard("calm", 1).has_value());
  EXPECT_EQ(shard("calm", 0)->at("shard_count").as_int64(), 1);
}

}  // namespace
}  // namespace zae::aggregator
