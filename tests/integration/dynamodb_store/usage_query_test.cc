// SPDX-License-Identifier: MIT
// Reading usage snapshot items on DynamoDB Local (ZAE_TEST_DYNAMODB_ENDPOINT; skipped when
// unset): literal items in the Python aggregator's key form and in ours (keys.h
// usage_window_key), parsed per spec/data-model.md §6.12, filtered, ordered and paged per
// spec/behavior.md US-1, entity mode on the table and resource mode on GSI2.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zae/errors.h"
#include "zae/rate_limiter.h"
#include "zae/store.h"

#include "aws/curl_transport.h"
#include "dynamodb/dynamodb_connection.h"
#include "dynamodb/dynamodb_store.h"
#include "dynamodb/keys.h"
#include "dynamodb/provisioning.h"
#include "support/fake_clock.h"

namespace zae::dynamodb {
namespace {

using aws::AttributeMap;
using aws::AttributeValue;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Property;
using ::testing::Throws;

AttributeValue S(std::string text) { return AttributeValue::of_string(std::move(text)); }
AttributeValue N(std::int64_t value) { return AttributeValue::of_int64(value); }

constexpr std::int64_t kStartMs = 4'102'444'800'000;  // 2100-01-01T00:00:00Z
constexpr std::int64_t kStartS = kStartMs / 1000;

class UsageQueryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* endpoint = std::getenv("ZAE_TEST_DYNAMODB_ENDPOINT");
    if (endpoint == nullptr || *endpoint == '\0') {
      return;
    }
    client_ = new std::shared_ptr<aws::DynamoDbClient>(
        std::make_shared<aws::DynamoDbClient>(aws::DynamoDbClientConfig{
            .endpoint = endpoint,
            .region = "us-east-1",
            .credentials = aws::static_credentials({"local", "local", ""}),
            .transport = std::make_shared<aws::CurlTransport>(),
        }));
    table_ = new std::string("zae-it-usage-" + std::to_string(std::random_device{}() % 1000000));
    (void)provision_table(**client_, *table_,
                          ProvisionOptions{.table = {.point_in_time_recovery = false},
                                           .updated_by = "cpp:test",
                                           .now_seconds = [] { return kStartS; }});
  }

  static void TearDownTestSuite() {
    if (client_ != nullptr) {
      try {
        (void)(*client_)->delete_table(*table_);
      } catch (const std::exception&) {
      }
    }
    delete client_;
    delete table_;
    client_ = nullptr;
    table_ = nullptr;
  }

  void SetUp() override {
    if (client_ == nullptr) {
      GTEST_SKIP() << "ZAE_TEST_DYNAMODB_ENDPOINT is not set (DynamoDB Local)";
    }
    auto connection = std::make_shared<DynamoDbConnection>(
        *client_,
        DynamoDbConnectionOptions{.auto_provision = AutoProvision::kDisabled, .provision = {}});
    static int counter = 0;
    OpenedNamespace opened = connection->open(*table_, "usage-" + std::to_string(counter++));
    store_ = std::make_unique<DynamoDbStore>(std::move(connection), std::move(opened),
                                             DynamoDbStoreOptions{.clock = &clock_});
  }

  const std::string& ns() const { return store_->namespace_id(); }

  // A snapshot item as the aggregator writes it (spec/data-model.md §6.12); `ours` selects the
  // C++ key form for daily and monthly records, otherwise the original's (window start only).
  void put_snapshot(const std::string& entity, const std::string& resource,
                    const std::string& window, const std::string& start,
                    std::map<std::string, std::int64_t> counters, std::int64_t events, bool ours) {
    const std::string w = ours ? usage_window_key(window, start) : start;
    AttributeMap item{{"PK", S(entity_pk(ns(), entity))},
                      {"SK", S(usage_sk(resource, w))},
                      {"entity_id", S(entity)},
                      {"resource", S(resource)},
                      {"window", S(window)},
                      {"window_start", S(start)},
                      {"total_events", N(events)},
                      {"GSI2PK", S(resource_pk(ns(), resource))},
                      {"GSI2SK", S(usage_gsi2sk(w, entity))},
                      {"GSI4PK", S(ns())},
                      {"GSI4SK", S(ns() + "/ENTITY#" + entity)},
                      {"ttl", N(kStartS + 90 * 86'400)}};
    for (const auto& [name, value] : counters) {
      item.set(name, N(value));
    }
    (void)(*client_)->put_item({.table_name = *table_, .item = item});
  }

  UsagePage page(std::optional<std::string> entity, std::optional<std::string> resource,
                 std::size_t limit = 100, std::optional<std::string> next_key = std::nullopt) {
    return store_->get_usage_snapshots({.entity_id = std::move(entity),
                                        .resource = std::move(resource),
                                        .window = std::nullopt,
                                        .start = std::nullopt,
                                        .end = std::nullopt,
                                        .limit = limit,
                                        .next_key = std::move(next_key)});
  }

  static UsageQuery page_query(std::optional<std::string> entity,
                               std::optional<std::string> resource) {
    return UsageQuery{.entity_id = std::move(entity),
                      .resource = std::move(resource),
                      .window = std::nullopt,
                      .start = std::nullopt,
                      .end = std::nullopt,
                      .limit = 100,
                      .next_key = std::nullopt};
  }

  static std::vector<std::string> labels(const UsagePage& page) {
    std::vector<std::string> out;
    for (const UsageSnapshot& s : page.snapshots) {
      out.push_back(s.entity_id + " " + s.resource + " " + s.window + " " + s.window_start);
    }
    return out;
  }

  // Two entities, two resources, both key forms.
  void put_fixture() {
    put_snapshot("key-1", "gpt-4", "hourly", "2100-01-01T10:00:00Z", {{"rpm", 3}, {"tpm", 900}}, 6,
                 false);
    put_snapshot("key-1", "gpt-4", "hourly", "2100-01-01T00:00:00Z", {{"rpm", 1}}, 1, false);
    put_snapshot("key-1", "gpt-4", "daily", "2100-01-01T00:00:00Z", {{"rpm", 4}, {"tpm", 900}}, 7,
                 true);
    put_snapshot("key-1", "gpt-4", "daily", "2100-01-02T00:00:00Z", {{"rpm", 2}}, 2, false);
    put_snapshot("key-1", "gpt-4o", "hourly", "2100-01-01T11:00:00Z", {{"tpm", -5}}, 1, false);
    put_snapshot("key-2", "gpt-4", "hourly", "2100-01-01T10:00:00Z", {{"rpm", 8}}, 8, false);
  }

  static std::shared_ptr<aws::DynamoDbClient>* client_;
  static std::string* table_;
  test::FakeClock clock_{kStartMs};
  std::unique_ptr<DynamoDbStore> store_;
};

std::shared_ptr<aws::DynamoDbClient>* UsageQueryTest::client_ = nullptr;
std::string* UsageQueryTest::table_ = nullptr;

TEST_F(UsageQueryTest, ParsesBothKeyFormsCountingOnlyNumericNonBookkeepingAttributes) {
  put_snapshot("key-1", "gpt-4", "daily", "2100-01-01T00:00:00Z", {{"rpm", 4}, {"tpm", 900}}, 7,
               true);
  put_snapshot("key-1", "gpt-4", "hourly", "2100-01-01T00:00:00Z", {{"rpm", 1}}, 1, false);
  put_snapshot("key-1", "gpt-4", "monthly", "2100-02-01T00:00:00Z", {{"rpm", 40}}, 9, false);
  // A non-numeric extra attribute is not a counter; an item without entity_id is skipped.
  (void)(*client_)->update_item(
      {.table_name = *table_,
       .key = usage_key(ns(), "key-1", "gpt-4", "2100-01-01T00:00:00Z").to_attributes(),
       .update_expression = "SET note = :n",
       .expression_attribute_values = {{":n", S("x")}}});
  (void)(*client_)->put_item({.table_name = *table_,
                              .item = {{"PK", S(entity_pk(ns(), "key-1"))},
                                       {"SK", S(usage_sk("gpt-4", "2100-01-03T00:00:00Z"))},
                                       {"resource", S("gpt-4")},
                                       {"window_start", S("2100-01-03T00:00:00Z")},
                                       {"rpm", N(1)}}});
  const UsagePage got = page("key-1", std::nullopt);
  ASSERT_EQ(got.snapshots.size(), 3u) << ::testing::PrintToString(labels(got));
  const UsageSnapshot& monthly = got.snapshots[0];
  EXPECT_EQ(monthly.window, "monthly");
  EXPECT_EQ(monthly.window_end, "2100-02-28T23:59:59Z");
  EXPECT_EQ(monthly.total_events, 9);
  // Descending SK: "...T00:00:00Z#daily" after "...T00:00:00Z".
  const UsageSnapshot& daily = got.snapshots[1];
  EXPECT_EQ(daily.window, "daily");
  EXPECT_EQ(daily.window_end, "2100-01-01T23:59:59Z");
  EXPECT_EQ(daily.counters, (std::map<std::string, std::int64_t>{{"rpm", 4}, {"tpm", 900}}));
  EXPECT_EQ(daily.total_events, 7);
  const UsageSnapshot& hourly = got.snapshots[2];
  EXPECT_EQ(hourly.window, "hourly");
  EXPECT_EQ(hourly.window_end, "2100-01-01T00:59:59Z");
  EXPECT_EQ(hourly.counters, (std::map<std::string, std::int64_t>{{"rpm", 1}}));
  EXPECT_EQ(hourly.entity_id, "key-1");
  EXPECT_EQ(hourly.resource, "gpt-4");
  EXPECT_FALSE(got.next_key.has_value());
}

TEST_F(UsageQueryTest, EntityModeNarrowsToOneResourceAndFiltersClientSide) {
  put_fixture();
  EXPECT_THAT(labels(page("key-1", std::nullopt)),
              ElementsAre("key-1 gpt-4o hourly 2100-01-01T11:00:00Z",
                          "key-1 gpt-4 daily 2100-01-02T00:00:00Z",
                          "key-1 gpt-4 hourly 2100-01-01T10:00:00Z",
                          "key-1 gpt-4 daily 2100-01-01T00:00:00Z",
                          "key-1 gpt-4 hourly 2100-01-01T00:00:00Z"));
  // "#USAGE#gpt-4#" does not match gpt-4o.
  EXPECT_EQ(page("key-1", "gpt-4").snapshots.size(), 4u);
  UsageQuery query{.entity_id = "key-1",
                   .resource = "gpt-4",
                   .window = "hourly",
                   .start = "2100-01-01T05:00:00Z",
                   .end = "2100-01-01T10:00:00Z",
                   .limit = 100,
                   .next_key = std::nullopt};
  EXPECT_THAT(labels(store_->get_usage_snapshots(query)),
              ElementsAre("key-1 gpt-4 hourly 2100-01-01T10:00:00Z"));
  // The limit is the storage page size: filters run after it.
  query.limit = 1;
  query.start = std::nullopt;
  query.end = std::nullopt;
  query.window = "hourly";
  const UsagePage first = store_->get_usage_snapshots(query);
  EXPECT_THAT(first.snapshots, IsEmpty());  // the newest record is the 01-02 daily one
  EXPECT_TRUE(first.next_key.has_value());
}

TEST_F(UsageQueryTest, ResourceModeReadsGsi2AcrossEntitiesNewestFirst) {
  put_fixture();
  const UsagePage got = page(std::nullopt, "gpt-4");
  EXPECT_THAT(labels(got), ElementsAre("key-1 gpt-4 daily 2100-01-02T00:00:00Z",
                                       "key-2 gpt-4 hourly 2100-01-01T10:00:00Z",
                                       "key-1 gpt-4 hourly 2100-01-01T10:00:00Z",
                                       // GSI2SK "USAGE#{w}#key-1" > "USAGE#{w}#daily#key-1"
                                       "key-1 gpt-4 hourly 2100-01-01T00:00:00Z",
                                       "key-1 gpt-4 daily 2100-01-01T00:00:00Z"));
  const UsageSummary summary = summarize_usage(*store_, page_query(std::nullopt, "gpt-4"));
  EXPECT_EQ(summary.snapshot_count, 5u);
  EXPECT_EQ(summary.total.at("rpm"), 3 + 1 + 4 + 2 + 8);
  EXPECT_EQ(summary.total.at("tpm"), 1800);
  EXPECT_DOUBLE_EQ(summary.average.at("tpm"), 900.0);
  EXPECT_EQ(summary.min_window_start, "2100-01-01T00:00:00Z");
  EXPECT_EQ(summary.max_window_start, "2100-01-02T00:00:00Z");
}

TEST_F(UsageQueryTest, PagesWithNextKeyInBothModes) {
  put_fixture();
  for (const auto& [entity, resource] :
       std::vector<std::pair<std::optional<std::string>, std::optional<std::string>>>{
           {"key-1", std::nullopt}, {std::nullopt, "gpt-4"}}) {
    const std::vector<std::string> all = labels(page(entity, resource));
    std::vector<std::string> seen;
    std::optional<std::string> next;
    int pages = 0;
    do {
      const UsagePage p = page(entity, resource, 2, next);
      const auto l = labels(p);
      seen.insert(seen.end(), l.begin(), l.end());
      next = p.next_key;
    } while (next && ++pages < 20);
    EXPECT_EQ(seen, all);
  }
  const UsagePage first = page("key-1", std::nullopt, 1);
  ASSERT_TRUE(first.next_key.has_value());
  EXPECT_THAT([&] { page("key-2", std::nullopt, 1, first.next_key); },
              Throws<ValidationError>(Property(&ValidationError::field, "next_key")));
  EXPECT_THAT([&] { page(std::nullopt, "gpt-4", 1, first.next_key); },
              Throws<ValidationError>(Property(&ValidationError::field, "next_key")));
}

}  // namespace
}  // namespace zae::dynamodb
