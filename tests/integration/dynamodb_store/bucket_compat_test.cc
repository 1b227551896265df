// SPDX-License-Identifier: MIT
// Bucket items of the DynamoDB Store against DynamoDB Local (ZAE_TEST_DYNAMODB_ENDPOINT; skipped
// when unset): compatibility evidence for spec/data-model.md §6.10 and §7.1 in both directions.
// Tests write literal items the way the spec says the Python original does and acquire through
// the C++ store, or act through the store and compare the raw items attribute by attribute with
// the spec. HTTP requests are counted, so "one round trip on the warm path" is checked here.
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zae/errors.h"
#include "zae/lease.h"
#include "zae/limit.h"
#include "zae/rate_limiter.h"
#include "zae/store.h"

#include "aws/curl_transport.h"
#include "dynamodb/dynamodb_connection.h"
#include "dynamodb/dynamodb_store.h"
#include "dynamodb/items.h"
#include "dynamodb/keys.h"
#include "dynamodb/provisioning.h"
#include "dynamodb/sharding.h"
#include "support/fake_clock.h"

namespace zae::dynamodb {
namespace {

using aws::AttributeMap;
using aws::AttributeValue;
using namespace std::chrono_literals;

AttributeValue S(std::string text) { return AttributeValue::of_string(std::move(text)); }
AttributeValue N(std::int64_t value) { return AttributeValue::of_int64(value); }
AttributeValue B(bool value) { return AttributeValue::of_bool(value); }

// 2100-01-01T00:00:00Z: in the future, so that DynamoDB Local's TTL sweeper never removes a
// bucket these tests expect to find.
constexpr std::int64_t kStartMs = 4'102'444'800'000;
constexpr std::int64_t kStartS = kStartMs / 1000;

// Counts the HTTP requests the store sends.
class CountingTransport final : public aws::HttpTransport {
 public:
  explicit CountingTransport(std::shared_ptr<aws::HttpTransport> inner)
      : inner_(std::move(inner)) {}
  aws::HttpResponse send(const aws::HttpRequest& request) override {
    ++requests_;
    ++round_trips_;
    if (down_) {
      throw aws::NetworkError(aws::NetworkErrorKind::kConnect, "connection refused (test)");
    }
    return inner_->send(request);
  }
  // Sends its requests concurrently: one round trip.
  std::vector<aws::HttpOutcome> send_all(std::span<const aws::HttpRequest> requests) override {
    requests_ += static_cast<int>(requests.size());
    ++round_trips_;
    if (down_) {
      std::vector<aws::HttpOutcome> outcomes;
      for (std::size_t i = 0; i < requests.size(); ++i) {
        outcomes.push_back(aws::HttpOutcome{
            .response = std::nullopt,
            .error =
                aws::NetworkError(aws::NetworkErrorKind::kConnect, "connection refused (test)")});
      }
      return outcomes;
    }
    return inner_->send_all(requests);
  }
  // While down, every request fails as if DynamoDB were unreachable.
  void set_down(bool down) { down_ = down; }
  int requests() const { return requests_.load(); }
  int round_trips() const { return round_trips_.load(); }
  void reset() {
    requests_ = 0;
    round_trips_ = 0;
    down_ = false;
  }

 private:
  std::shared_ptr<aws::HttpTransport> inner_;
  std::atomic<int> requests_{0};
  std::atomic<int> round_trips_{0};
  std::atomic<bool> down_{false};
};

// Attribute by attribute, in any order (DynamoDB keeps none).
void expect_same_item(const AttributeMap& actual, const AttributeMap& expected) {
  for (const auto& [name, value] : expected) {
    const AttributeValue* found = actual.find(name);
    if (found == nullptr) {
      ADD_FAILURE() << "missing attribute " << name;
    } else {
      EXPECT_TRUE(*found == value) << "attribute " << name << " differs";
    }
  }
  for (const auto& [name, value] : actual) {
    EXPECT_TRUE(expected.contains(name)) << "unexpected attribute " << name;
  }
}

class BucketCompatTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* endpoint = std::getenv("ZAE_TEST_DYNAMODB_ENDPOINT");
    if (endpoint == nullptr || *endpoint == '\0') {
      return;
    }
    transport_ = new std::shared_ptr<CountingTransport>(
        std::make_shared<CountingTransport>(std::make_shared<aws::CurlTransport>()));
    client_ = new std::shared_ptr<aws::DynamoDbClient>(
        std::make_shared<aws::DynamoDbClient>(aws::DynamoDbClientConfig{
            .endpoint = endpoint,
            .region = "us-east-1",
            .credentials = aws::static_credentials({"local", "local", ""}),
            .transport = *transport_,
        }));
    table_ = new std::string("zae-it-buckets-" + std::to_string(std::random_device{}() % 1000000));
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
    delete transport_;
    delete table_;
    client_ = nullptr;
    transport_ = nullptr;
    table_ = nullptr;
  }

  void SetUp() override {
    if (client_ == nullptr) {
      GTEST_SKIP() << "ZAE_TEST_DYNAMODB_ENDPOINT is not set (DynamoDB Local)";
    }
    store_ = open_store_named("ns-" + std::to_string(counter_++));
  }

  std::unique_ptr<DynamoDbStore> open_store_named(const std::string& name,
                                                  int max_write_attempts = 6) {
    auto connection = std::make_shared<DynamoDbConnection>(
        *client_,
        DynamoDbConnectionOptions{.auto_provision = AutoProvision::kDisabled, .provision = {}});
    OpenedNamespace opened = connection->open(*table_, name);
    return std::make_unique<DynamoDbStore>(
        std::move(connection), std::move(opened),
        DynamoDbStoreOptions{.clock = &clock_, .max_write_attempts = max_write_attempts});
  }

  const std::string& ns() const { return store_->namespace_id(); }
  aws::DynamoDbClient& client() { return **client_; }
  CountingTransport& transport() { return **transport_; }
  std::int64_t now_ms() const { return clock_.now_ms(); }

  AttributeMap raw_bucket(const std::string& entity, const std::string& resource) {
    auto result = client().get_item({.table_name = *table_,
                                     .key = bucket_key(ns(), entity, resource, 0).to_attributes(),
                                     .consistency = aws::ReadConsistency::kStrong});
    EXPECT_TRUE(result.item.has_value()) << entity << "/" << resource;
    return result.item.value_or(AttributeMap{});
  }
  std::int64_t number(const AttributeMap& item, std::string_view name) {
    const AttributeValue* value = item.find(name);
    EXPECT_NE(value, nullptr) << name;
    return value != nullptr ? value->as_int64() : -1;
  }

  // A bucket item exactly as spec/data-model.md §6.10 says the original creates it, with one
  // limit rpm (capacity/refill per minute) at `tokens` millitokens.
  AttributeMap python_bucket(const std::string& entity, const std::string& resource,
                             std::int64_t capacity, std::int64_t tokens, std::int64_t rf,
                             bool cascade, const std::string& parent) {
    AttributeMap item;
    item.set("PK", S(bucket_pk(ns(), entity, resource, 0)));
    item.set("SK", S("#STATE"));
    item.set("entity_id", S(entity));
    item.set("resource", S(resource));
    item.set("rf", N(rf));
    item.set("b_rpm_tk", N(tokens));
    item.set("b_rpm_cp", N(capacity * 1000));
    item.set("b_rpm_ra", N(capacity * 1000));
    item.set("b_rpm_rp", N(60'000));
    item.set("b_rpm_tc", N(capacity * 1000 - tokens));
    item.set("b_wcu_tk", N(1'000'000));
    item.set("b_wcu_cp", N(1'000'000));
    item.set("b_wcu_ra", N(1'000'000));
    item.set("b_wcu_rp", N(1000));
    item.set("b_wcu_tc", N(0));
    item.set("cascade", B(cascade));
    if (!parent.empty()) {
      item.set("parent_id", S(parent));
    }
    item.set("shard_count", N(1));
    item.set("GSI2PK", S(ns() + "/RESOURCE#" + resource));
    item.set("GSI2SK", S("BUCKET#" + entity + "#0"));
    item.set("GSI3PK", S(ns() + "/ENTITY#" + entity));
    item.set("GSI3SK", S("BUCKET#" + resource + "#0"));
    item.set("GSI4PK", S(ns()));
    item.set("GSI4SK", S("BUCKET#" + entity + "#" + resource + "#0"));
    return item;
  }
  void put(AttributeMap item) { (void)client().put_item({.table_name = *table_, .item = item}); }

  // Shard `shard` of a bucket of `count` shards, as python_bucket otherwise.
  AttributeMap python_shard(const std::string& entity, std::int64_t capacity, std::int64_t tokens,
                            int shard, std::int64_t count) {
    AttributeMap item = python_bucket(entity, "gpt-4", capacity, tokens, kStartMs, false, "");
    const std::string s = std::to_string(shard);
    item.set("PK", S(bucket_pk(ns(), entity, "gpt-4", shard)));
    item.set("GSI2SK", S("BUCKET#" + entity + "#" + s));
    item.set("GSI3SK", S("BUCKET#gpt-4#" + s));
    item.set("GSI4SK", S("BUCKET#" + entity + "#gpt-4#" + s));
    item.set("shard_count", N(count));
    item.set("b_rpm_tc", N(0));
    return item;
  }
  std::optional<AttributeMap> raw_shard(const std::string& entity, int shard) {
    return client()
        .get_item({.table_name = *table_,
                   .key = bucket_key(ns(), entity, "gpt-4", shard).to_attributes(),
                   .consistency = aws::ReadConsistency::kStrong})
        .item;
  }

  ConsumeResult consume(const std::string& entity, std::vector<Limit> limits, Amounts amounts,
                        std::optional<ConsumeTarget> parent = std::nullopt,
                        LimitSource source = LimitSource::kEntity) {
    return store_->consume(ConsumeRequest{.target = ConsumeTarget{.entity_id = entity,
                                                                  .resource = "gpt-4",
                                                                  .limits = std::move(limits),
                                                                  .source = source},
                                          .parent = std::move(parent),
                                          .amounts = std::move(amounts),
                                          .now = clock_.now()});
  }

  static std::shared_ptr<aws::DynamoDbClient>* client_;
  static std::shared_ptr<CountingTransport>* transport_;
  static std::string* table_;
  static std::atomic<int> counter_;
  test::FakeClock clock_{kStartMs};
  std::shared_ptr<DynamoDbStore> store_;
  const Limit rpm10_ = Limit::per_minute("rpm", 10);
};

std::shared_ptr<aws::DynamoDbClient>* BucketCompatTest::client_ = nullptr;
std::shared_ptr<CountingTransport>* BucketCompatTest::transport_ = nullptr;
std::string* BucketCompatTest::table_ = nullptr;
std::atomic<int> BucketCompatTest::counter_{0};

TEST_F(BucketCompatTest, CreatedBucketIsTheSpecItemAttributeByAttribute) {
  store_->create_entity({.entity_id = "project"}, clock_.now());
  store_->create_entity({.entity_id = "key-1", .parent_id = "project", .cascade = true},
                        clock_.now());
  const ConsumeResult result =
      consume("key-1", {rpm10_}, {{"rpm", 3}},
              ConsumeTarget{.entity_id = "project", .resource = "gpt-4", .limits = {rpm10_}},
              LimitSource::kResource);
  ASSERT_EQ(result.kind, ConsumeResult::Kind::kAdmitted);

  AttributeMap expected = python_bucket("key-1", "gpt-4", 10, 7000, now_ms(), true, "project");
  expected.set("b_rpm_tc", N(3000));
  expected.set("ttl", N(kStartS + 420));  // resource defaults: 60 s to fill × 7 (§9)
  expect_same_item(raw_bucket("key-1", "gpt-4"), expected);
  // The parent's item carries the parent's own hierarchy (none), not the child's (OQ-8).
  AttributeMap parent = python_bucket("project", "gpt-4", 10, 7000, now_ms(), false, "");
  parent.set("b_rpm_tc", N(3000));
  parent.set("ttl", N(kStartS + 420));  // its limits are not the parent's own config
  expect_same_item(raw_bucket("project", "gpt-4"), parent);
}

TEST_F(BucketCompatTest, PythonBucketIsReadAndConsumedInOneRequest) {
  put(python_bucket("key-1", "gpt-4", 10, 6000, kStartMs - 1000, false, ""));
  const std::optional<BucketState> state = store_->get_bucket("key-1", "gpt-4");
  ASSERT_TRUE(state.has_value());
  ASSERT_EQ(state->limits.size(), 1u);  // wcu is hidden
  EXPECT_EQ(state->limits[0].limit, rpm10_);
  EXPECT_EQ(state->limits[0].tokens_milli, 6000);
  EXPECT_EQ(state->limits[0].total_consumed_milli, 4000);
  EXPECT_EQ(state->last_refill, from_epoch_ms(kStartMs - 1000));

  transport().reset();
  const ConsumeResult result = consume("key-1", {rpm10_}, {{"rpm", 2}});
  ASSERT_EQ(result.kind, ConsumeResult::Kind::kAdmitted);
  EXPECT_EQ(transport().requests(), 1);  // the warm path: one conditional UpdateItem
  EXPECT_EQ(result.entries[0].tokens_milli, 6000 + 166 - 2000);  // 1 s of 10/min refill owed

  // Row 2's shape: ADDs on tk/tc and wcu, rf untouched.
  const AttributeMap item = raw_bucket("key-1", "gpt-4");
  EXPECT_EQ(number(item, "b_rpm_tk"), 4000);
  EXPECT_EQ(number(item, "b_rpm_tc"), 6000);
  EXPECT_EQ(number(item, "b_wcu_tk"), 999'000);
  EXPECT_EQ(number(item, "b_wcu_tc"), 1000);
  EXPECT_EQ(number(item, "rf"), kStartMs - 1000);
}

TEST_F(BucketCompatTest, FastRejectionTakesOneRequestAndWritesNothing) {
  put(python_bucket("key-1", "gpt-4", 10, 500, kStartMs, false, ""));
  ASSERT_TRUE(store_->get_bucket("key-1", "gpt-4").has_value());     // remembered
  put(python_bucket("key-1", "gpt-4", 10, 0, kStartMs, false, ""));  // another writer
  transport().reset();
  const ConsumeResult result = consume("key-1", {rpm10_}, {{"rpm", 1}});
  EXPECT_EQ(result.kind, ConsumeResult::Kind::kRejected);
  EXPECT_EQ(transport().requests(), 1);  // the failed write's old item decided it
  EXPECT_EQ(result.statuses[0].available, 0);
  EXPECT_EQ(result.statuses[0].retry_after, 6001ms);
  EXPECT_EQ(number(raw_bucket("key-1", "gpt-4"), "b_rpm_tk"), 0);
}

TEST_F(BucketCompatTest, StaleStateCostsOneMoreRequestNotARead) {
  put(python_bucket("key-1", "gpt-4", 10, 10'000, kStartMs, false, ""));
  ASSERT_TRUE(store_->get_bucket("key-1", "gpt-4").has_value());
  // A Python client refilled meanwhile (row 3: rf moves), so the remembered rf is stale.
  put(python_bucket("key-1", "gpt-4", 10, 5000, kStartMs + 10, false, ""));
  clock_.advance(20ms);
  transport().reset();
  ASSERT_EQ(consume("key-1", {rpm10_}, {{"rpm", 1}}).kind, ConsumeResult::Kind::kAdmitted);
  EXPECT_EQ(transport().requests(), 2);  // the failed write returned the item; no GetItem
  EXPECT_EQ(number(raw_bucket("key-1", "gpt-4"), "b_rpm_tk"), 4000);
}

// Found by the over-admission checker: a consume that runs out of write attempts under
// contention is rejected (CG-3) and must say which limit, or the limiter cannot raise
// RateLimitExceeded and reports an outage instead (with ALLOW: a free no-op lease).
TEST_F(BucketCompatTest, ContentionRejectionNamesAnExceededLimit) {
  store_ = open_store_named("ns-" + std::to_string(counter_++), /*max_write_attempts=*/1);
  put(python_bucket("key-1", "gpt-4", 10, 10'000, kStartMs, false, ""));
  ASSERT_TRUE(store_->get_bucket("key-1", "gpt-4").has_value());
  put(python_bucket("key-1", "gpt-4", 10, 5000, kStartMs + 10, false, ""));  // rf moved
  clock_.advance(20ms);
  const ConsumeResult result = consume("key-1", {rpm10_}, {{"rpm", 1}});
  ASSERT_EQ(result.kind, ConsumeResult::Kind::kRejected);  // its one write lost the race
  ASSERT_EQ(result.statuses.size(), 1u);
  EXPECT_TRUE(result.statuses[0].exceeded);
  EXPECT_GE(result.statuses[0].retry_after, 1ms);
  EXPECT_NO_THROW(RateLimitExceeded{result.statuses});
  EXPECT_EQ(number(raw_bucket("key-1", "gpt-4"), "b_rpm_tk"), 5000);  // nothing written
}

// The original's speculative write charges a consumption at rf: after an idle period a full
// bucket admits its capacity on the fast path and then, on the slow path, the refill of the
// whole idle period again. Here the capacity is the burst, whatever the path.
TEST_F(BucketCompatTest, IdleFullBucketAdmitsItsCapacityOnceNotTwice) {
  put(python_bucket("key-1", "gpt-4", 10, 10'000, kStartMs, false, ""));
  ASSERT_TRUE(store_->get_bucket("key-1", "gpt-4").has_value());
  clock_.advance(1h);
  int admitted = 0;
  for (int i = 0; i < 25; ++i) {
    admitted += consume("key-1", {rpm10_}, {{"rpm", 1}}).kind == ConsumeResult::Kind::kAdmitted;
  }
  EXPECT_EQ(admitted, 10);
  const AttributeMap item = raw_bucket("key-1", "gpt-4");
  EXPECT_EQ(number(item, "b_rpm_tk"), 0);
  EXPECT_EQ(number(item, "b_rpm_tc"), 10'000);  // 0 consumed before + 10 now
  EXPECT_EQ(number(item, "rf"), now_ms());      // the capped refill was materialized at now
}

TEST_F(BucketCompatTest, WarmCascadeSendsChildAndParentInOneRoundTrip) {
  store_->create_entity({.entity_id = "project"}, clock_.now());
  store_->create_entity({.entity_id = "key-1", .parent_id = "project", .cascade = true},
                        clock_.now());
  const ConsumeTarget parent{.entity_id = "project", .resource = "gpt-4", .limits = {rpm10_}};
  const Limit rpm100 = Limit::per_minute("rpm", 100);
  ASSERT_EQ(consume("key-1", {rpm100}, {{"rpm", 1}}, parent).kind, ConsumeResult::Kind::kAdmitted);
  transport().reset();
  ASSERT_EQ(consume("key-1", {rpm100}, {{"rpm", 1}}, parent).kind, ConsumeResult::Kind::kAdmitted);
  EXPECT_EQ(transport().requests(), 2);
  EXPECT_EQ(transport().round_trips(), 1);
  EXPECT_EQ(number(raw_bucket("key-1", "gpt-4"), "b_rpm_tk"), 98'000);
  EXPECT_EQ(number(raw_bucket("project", "gpt-4"), "b_rpm_tk"), 8000);
}

TEST_F(BucketCompatTest, ParentShortCompensatesTheChild) {
  store_->create_entity({.entity_id = "project"}, clock_.now());
  store_->create_entity({.entity_id = "key-1", .parent_id = "project", .cascade = true},
                        clock_.now());
  const ConsumeTarget parent{
      .entity_id = "project", .resource = "gpt-4", .limits = {Limit::per_minute("rpm", 2)}};
  ASSERT_EQ(consume("key-1", {rpm10_}, {{"rpm", 2}}, parent).kind, ConsumeResult::Kind::kAdmitted);
  const ConsumeResult rejected = consume("key-1", {rpm10_}, {{"rpm", 1}}, parent);
  EXPECT_EQ(rejected.kind, ConsumeResult::Kind::kRejected);
  const AttributeMap child = raw_bucket("key-1", "gpt-4");
  EXPECT_EQ(number(child, "b_rpm_tk"), 8000);  // taken in parallel, then given back (row 5)
  EXPECT_EQ(number(child, "b_rpm_tc"), 2000);
}

// OQ-8: a bucket created before its entity (cascade false on the item) must not make the
// store skip the parent once the entity cascades.
TEST_F(BucketCompatTest, StaleHierarchyCopyIsCheckedAgainstTheEntityAndRefreshed) {
  put(python_bucket("key-1", "gpt-4", 10, 10'000, kStartMs, false, ""));
  store_->create_entity({.entity_id = "project"}, clock_.now());
  store_->create_entity({.entity_id = "key-1", .parent_id = "project", .cascade = true},
                        clock_.now());
  const ConsumeTarget parent{.entity_id = "project", .resource = "gpt-4", .limits = {rpm10_}};
  // The caller knows the parent; the item's copy disagrees, the entity record decides.
  ASSERT_EQ(consume("key-1", {rpm10_}, {{"rpm", 1}}, parent).kind, ConsumeResult::Kind::kAdmitted);
  const AttributeMap child = raw_bucket("key-1", "gpt-4");
  EXPECT_EQ(child.at("cascade"), B(true));
  EXPECT_EQ(child.at("parent_id"), S("project"));
  EXPECT_EQ(number(raw_bucket("project", "gpt-4"), "b_rpm_tk"), 9000);
  // A caller that misses the parent is told, and nothing is consumed.
  const ConsumeResult missed = consume("key-1", {rpm10_}, {{"rpm", 1}});
  EXPECT_EQ(missed.kind, ConsumeResult::Kind::kCascadeMismatch);
  EXPECT_EQ(missed.actual_parent, "project");
  EXPECT_EQ(number(raw_bucket("key-1", "gpt-4"), "b_rpm_tk"), 9000);
}

TEST_F(BucketCompatTest, MalformedBucketItemIsAClearErrorNamingTheItem) {
  AttributeMap item = python_bucket("key-1", "gpt-4", 10, 10'000, kStartMs, false, "");
  item.set("b_rpm_tk", S("lots"));
  put(item);
  try {
    (void)store_->get_bucket("key-1", "gpt-4");
    FAIL() << "expected MalformedItemError";
  } catch (const MalformedItemError& error) {
    EXPECT_THAT(error.what(), ::testing::HasSubstr("BUCKET#key-1#gpt-4#0"));
  }
  EXPECT_THROW(consume("key-1", {rpm10_}, {{"rpm", 1}}), InfrastructureError);
}

TEST_F(BucketCompatTest, KeyInjectionIsRejectedBeforeAnyRequest) {
  transport().reset();
  EXPECT_THROW(consume("key#1", {rpm10_}, {{"rpm", 1}}), ValidationError);
  EXPECT_THROW(store_->get_bucket("key-1", "gpt#4"), ValidationError);
  EXPECT_EQ(transport().requests(), 0);
}

// OQ-26: an entity may name itself as its cascade parent; its item is then consumed side by
// side, and the entity record is read once even when the parent side names another resource.
TEST_F(BucketCompatTest, SelfCascadeConsumesTheSameItemTwice) {
  store_->create_entity({.entity_id = "solo", .parent_id = "solo", .cascade = true}, clock_.now());
  const ConsumeTarget self{.entity_id = "solo", .resource = "gpt-4", .limits = {rpm10_}};
  ASSERT_EQ(consume("solo", {rpm10_}, {{"rpm", 2}}, self).kind, ConsumeResult::Kind::kAdmitted);
  EXPECT_EQ(number(raw_bucket("solo", "gpt-4"), "b_rpm_tk"), 6000);  // 2 for each side
  const ConsumeTarget other{.entity_id = "solo", .resource = "claude", .limits = {rpm10_}};
  ASSERT_EQ(consume("solo", {rpm10_}, {{"rpm", 1}}, other).kind, ConsumeResult::Kind::kAdmitted);
  EXPECT_EQ(number(raw_bucket("solo", "claude"), "b_rpm_tk"), 9000);
}

TEST_F(BucketCompatTest, AdjustmentOfAWarmBucketIsOneAddThatLeavesRfAlone) {
  put(python_bucket("key-1", "gpt-4", 10, 4000, kStartMs - 1000, false, ""));
  ASSERT_EQ(consume("key-1", {rpm10_}, {{"rpm", 1}}).kind, ConsumeResult::Kind::kAdmitted);
  transport().reset();
  const BucketDelta debt{
      .entity_id = "key-1", .resource = "gpt-4", .tokens_milli = {{"rpm", 2000}}};
  store_->apply_deltas({&debt, 1}, clock_.now());
  EXPECT_EQ(transport().requests(), 1);
  const AttributeMap item = raw_bucket("key-1", "gpt-4");
  EXPECT_EQ(number(item, "b_rpm_tk"), 1000);  // row 5's ADD: 4000 − 1000 − 2000
  EXPECT_EQ(number(item, "b_rpm_tc"), 6000 + 3000);
  EXPECT_EQ(number(item, "rf"), kStartMs - 1000);
}

// spec/data-model.md §8.4, with the original's defects fixed: a shard whose write budget (wcu,
// 1000 per second, refilled lazily here; the original never refills it, OQ-33) runs out doubles
// the shards, and shard 0's balance is dealt out, never created (the original gives each new
// shard cp / n on top of shard 0's balance).
TEST_F(BucketCompatTest, WcuExhaustionDoublesTheShardsAndConservesTheBalance) {
  const Limit rpm100 = Limit::per_minute("rpm", 100);
  AttributeMap item = python_bucket("hot", "gpt-4", 100, 60'000, kStartMs, false, "");
  item.set("b_wcu_tk", N(0));  // a thousand writes in the last second
  put(item);
  ASSERT_EQ(consume("hot", {rpm100}, {{"rpm", 1}}).kind, ConsumeResult::Kind::kAdmitted);

  const AttributeMap shard0 = raw_bucket("hot", "gpt-4");
  const std::optional<AttributeMap> shard1 = raw_shard("hot", 1);
  ASSERT_TRUE(shard1.has_value());
  EXPECT_EQ(number(shard0, "shard_count"), 2);
  EXPECT_EQ(number(*shard1, "shard_count"), 2);
  // 59 tokens left: shard 0 keeps its share of 50, shard 1 gets the other 9.
  EXPECT_EQ(number(shard0, "b_rpm_tk"), 50'000);
  EXPECT_EQ(number(*shard1, "b_rpm_tk"), 9'000);
  // The stored limit stays undivided (the original's layout); the new shard starts its own
  // counters and write budget.
  EXPECT_EQ(number(*shard1, "b_rpm_cp"), 100'000);
  EXPECT_EQ(number(*shard1, "b_rpm_tc"), 0);
  EXPECT_EQ(number(*shard1, "b_wcu_tk"), 1'000'000);
  EXPECT_EQ((*shard1).at("GSI4SK").as_string(), "BUCKET#hot#gpt-4#1");
}

TEST_F(BucketCompatTest, ShardedBucketNeverAdmitsMoreThanItsLimit) {
  // 100 per minute over four shards of 25, no time passing: at most 100 admitted in all.
  const Limit rpm100 = Limit::per_minute("rpm", 100);
  for (int shard = 0; shard < 4; ++shard) {
    put(python_shard("wide", 100, 25'000, shard, 4));
  }
  int admitted = 0;
  std::vector<int> shards_used(4, 0);
  for (int i = 0; i < 140; ++i) {
    const ConsumeResult result = consume("wide", {rpm100}, {{"rpm", 1}});
    if (result.kind == ConsumeResult::Kind::kAdmitted) {
      ++admitted;
      ++shards_used.at(static_cast<std::size_t>(result.entries.at(0).shard));
    }
  }
  EXPECT_LE(admitted, 100);
  EXPECT_GE(admitted, 90);  // random choice with two retries finds nearly all of it
  std::int64_t tokens = 0;
  std::int64_t consumed = 0;
  for (int shard = 0; shard < 4; ++shard) {
    const std::optional<AttributeMap> item = raw_shard("wide", shard);
    ASSERT_TRUE(item.has_value());
    EXPECT_GE(number(*item, "b_rpm_tk"), 0) << "shard " << shard;
    EXPECT_EQ(number(*item, "b_rpm_tc"), shards_used[static_cast<std::size_t>(shard)] * 1000)
        << "shard " << shard;
    tokens += number(*item, "b_rpm_tk");
    consumed += number(*item, "b_rpm_tc");
    EXPECT_GT(shards_used[static_cast<std::size_t>(shard)], 0) << "shard " << shard;
  }
  EXPECT_EQ(consumed, admitted * 1000);
  EXPECT_EQ(tokens, 100'000 - admitted * 1000);

  // An adjustment goes to the shard the consumption came from (the original: always shard 0).
  clock_.advance(1ms);
  for (int shard = 0; shard < 4; ++shard) {
    put(python_shard("wide", 100, 25'000, shard, 4));  // any shard the choice lands on admits
  }
  const ConsumeResult more = consume("wide", {rpm100}, {{"rpm", 1}});
  ASSERT_EQ(more.kind, ConsumeResult::Kind::kAdmitted);
  const int used = more.entries.at(0).shard;
  const std::int64_t tc_before = number(*raw_shard("wide", used), "b_rpm_tc");
  const BucketDelta refund{.entity_id = "wide",
                           .resource = "gpt-4",
                           .shard = used,
                           .tokens_milli = {{"rpm", -1000}}};
  store_->apply_deltas({&refund, 1}, clock_.now());
  EXPECT_EQ(number(*raw_shard("wide", used), "b_rpm_tc"), tc_before - 1000);
}

TEST_F(BucketCompatTest, ConcurrentWritersOnShardsNeverAdmitMoreThanTheLimit) {
  // Four shards of 12.5 (rpm 50), four threads of two stores, one of which still believes in one
  // shard; no time passes, so the limit is the whole budget.
  const Limit rpm50 = Limit::per_minute("rpm", 50);
  put(python_bucket("busy", "gpt-4", 50, 50'000, kStartMs, false, ""));
  const std::shared_ptr<DynamoDbStore> stale = open_store_named(store_->namespace_name());
  ASSERT_TRUE(stale->get_bucket("busy", "gpt-4").has_value());  // remembers one shard, 50 tokens
  for (int shard = 0; shard < 4; ++shard) {
    put(python_shard("busy", 50, 12'500, shard, 4));
  }
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      DynamoDbStore& store = t % 2 == 0 ? *store_ : *stale;
      std::mt19937 rng(static_cast<unsigned>(t));
      for (int i = 0; i < 20; ++i) {
        const std::int64_t amount = 1 + static_cast<std::int64_t>(rng() % 3);
        const ConsumeResult result = store.consume(
            ConsumeRequest{.target = ConsumeTarget{.entity_id = "busy",
                                                   .resource = "gpt-4",
                                                   .limits = {rpm50},
                                                   .source = LimitSource::kEntity},
                           .amounts = {{"rpm", amount}},
                           .now = clock_.now()});
        if (result.kind == ConsumeResult::Kind::kAdmitted) {
          admitted += static_cast<int>(amount);
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  std::int64_t consumed = 0;
  for (int shard = 0; shard < 4; ++shard) {
    const std::optional<AttributeMap> item = raw_shard("busy", shard);
    ASSERT_TRUE(item.has_value());
    EXPECT_GE(number(*item, "b_rpm_tk"), 0) << "shard " << shard;
    EXPECT_EQ(number(*item, "shard_count"), 4);
    consumed += number(*item, "b_rpm_tc");
  }
  EXPECT_LE(admitted.load(), 50);
  EXPECT_EQ(consumed, admitted.load() * 1000);
}

TEST_F(BucketCompatTest, WriterThatMissedADoublingReplansWithTheNewShares) {
  const Limit rpm100 = Limit::per_minute("rpm", 100);
  put(python_bucket("split", "gpt-4", 100, 100'000, kStartMs, false, ""));
  ASSERT_TRUE(store_->get_bucket("split", "gpt-4").has_value());  // remembers one shard
  // Another writer split it meanwhile: shard 0 holds its share of 50, shard 1 nothing yet.
  put(python_shard("split", 100, 50'000, 0, 2));
  put(python_shard("split", 100, 0, 1, 2));
  transport().reset();
  // 60 would fit the bucket this store remembers, but not a shard of the split one.
  const ConsumeResult result = consume("split", {rpm100}, {{"rpm", 60}});
  EXPECT_EQ(result.kind, ConsumeResult::Kind::kRejected);
  EXPECT_EQ(number(raw_bucket("split", "gpt-4"), "b_rpm_tk"), 50'000);
  EXPECT_EQ(number(*raw_shard("split", 1), "b_rpm_tk"), 0);
  ASSERT_EQ(consume("split", {rpm100}, {{"rpm", 50}}).kind, ConsumeResult::Kind::kAdmitted);
}

// Issue 7: shard 0 of a sharded bucket expired (DynamoDB's TTL sweeper removed it) while its
// other shards live on. Recreated as a bucket of its own (one shard, full), it would add the
// whole capacity to what the live shards still hold, and writers that still know the old count
// would spend both. Recreated as a member of the live shards, the sum never exceeds the limit.
TEST_F(BucketCompatTest, ShardZeroRecreatedAfterExpiryJoinsTheLiveShards) {
  const Limit rpm100 = Limit::per_minute("rpm", 100);  // no time passes: 100 in all
  int admitted = 0;
  const auto take = [&](DynamoDbStore& store) {
    const ConsumeResult result = store.consume(
        ConsumeRequest{.target = ConsumeTarget{.entity_id = "lapse",
                                               .resource = "gpt-4",
                                               .limits = {rpm100},
                                               .source = LimitSource::kEntity},
                       .amounts = {{"rpm", 1}},
                       .now = clock_.now()});
    if (result.kind == ConsumeResult::Kind::kAdmitted) {
      ++admitted;
    }
    return result;
  };
  ASSERT_EQ(take(*store_).kind, ConsumeResult::Kind::kAdmitted);  // 99 left
  // Split to 2, then 4 shards (conserving): shard 0 25, shard 1 49, shard 2 25, shard 3 0.
  for (const std::int64_t observed : {1, 2}) {
    ASSERT_TRUE(split_shards(client(),
                             ShardSplitTarget{.table = *table_,
                                              .ns = ns(),
                                              .entity_id = "lapse",
                                              .resource = "gpt-4",
                                              .observed = observed},
                             now_ms())
                    .has_value());
  }
  // Writers that know the four shards (store_ still remembers one).
  std::vector<std::shared_ptr<DynamoDbStore>> stale;
  for (int i = 0; i < 3; ++i) {
    stale.push_back(open_store_named(store_->namespace_name()));
    ASSERT_EQ(stale.back()->get_bucket("lapse", "gpt-4")->shard_count, 4);
  }
  (void)client().delete_item(
      {.table_name = *table_, .key = bucket_key(ns(), "lapse", "gpt-4", 0).to_attributes()});

  // A writer that never saw the bucket recreates shard 0: as the fourth shard, with its share.
  const std::shared_ptr<DynamoDbStore> fresh = open_store_named(store_->namespace_name());
  ASSERT_EQ(take(*fresh).kind, ConsumeResult::Kind::kAdmitted);
  const AttributeMap shard0 = raw_bucket("lapse", "gpt-4");
  EXPECT_EQ(number(shard0, "shard_count"), 4);
  EXPECT_EQ(number(shard0, "b_rpm_tk"), 24'000);
  EXPECT_EQ(number(shard0, "b_rpm_cp"), 100'000);  // the layout is the original's
  const auto stored_tokens = [&] {
    std::int64_t tokens = 0;
    for (int shard = 0; shard < 4; ++shard) {
      if (const std::optional<AttributeMap> item = raw_shard("lapse", shard)) {
        tokens += number(*item, "b_rpm_tk");
      }
    }
    return tokens;
  };
  EXPECT_LE(stored_tokens(), 100'000 - admitted * 1000);

  // Everyone spends what is left: the stale writers on every shard, the others from shard 0 on.
  std::vector<DynamoDbStore*> writers{store_.get(), fresh.get()};
  for (const auto& store : stale) {
    writers.push_back(store.get());
  }
  for (int i = 0; i < 130; ++i) {
    (void)take(*writers[static_cast<std::size_t>(i) % writers.size()]);
  }
  EXPECT_LE(admitted, 100);
  EXPECT_GE(admitted, 80);  // random choice with two retries finds most of it
  std::int64_t consumed = 0;
  for (int shard = 0; shard < 4; ++shard) {
    const std::optional<AttributeMap> item = raw_shard("lapse", shard);
    ASSERT_TRUE(item.has_value()) << "shard " << shard;
    EXPECT_EQ(number(*item, "shard_count"), 4) << "shard " << shard;
    EXPECT_GE(number(*item, "b_rpm_tk"), 0) << "shard " << shard;
    consumed += number(*item, "b_rpm_tc");
  }
  // tc of the deleted shard 0 (the first consume) went with it.
  EXPECT_EQ(consumed, (admitted - 1) * 1000);
  EXPECT_LE(stored_tokens(), 100'000 - admitted * 1000);
}

// The recreated shard 0 joins the largest count among the live shards, and a live shard that
// missed a doubling learns it first (its share of the old count would be larger).
TEST_F(BucketCompatTest, RecreatedShardZeroAlignsTheCountOfEveryLiveShard) {
  const Limit rpm100 = Limit::per_minute("rpm", 100);
  put(python_shard("drift", 100, 30'000, 1, 2));  // missed the doubling to 4
  put(python_shard("drift", 100, 25'000, 3, 4));
  ASSERT_EQ(consume("drift", {rpm100}, {{"rpm", 1}}).kind, ConsumeResult::Kind::kAdmitted);
  const AttributeMap shard0 = raw_bucket("drift", "gpt-4");
  EXPECT_EQ(number(shard0, "shard_count"), 4);
  // 100 − 30 − 25 = 45 left, more than the share of 25.
  EXPECT_EQ(number(shard0, "b_rpm_tk"), 24'000);
  EXPECT_EQ(number(*raw_shard("drift", 1), "shard_count"), 4);
  EXPECT_EQ(number(*raw_shard("drift", 1), "b_rpm_tk"), 30'000);  // spendable, never refilled
  EXPECT_FALSE(raw_shard("drift", 2).has_value());  // never created by a client (SH-5)

  // No live shard: a bucket of its own, as before, at the cost of one Query.
  transport().reset();
  ASSERT_EQ(consume("alone", {rpm100}, {{"rpm", 1}}).kind, ConsumeResult::Kind::kAdmitted);
  EXPECT_EQ(transport().requests(), 3);  // read, GSI3 query, create
  const AttributeMap alone = raw_bucket("alone", "gpt-4");
  EXPECT_EQ(number(alone, "shard_count"), 1);
  EXPECT_EQ(number(alone, "b_rpm_tk"), 99'000);
}

// A split that finds a shard it would create already there (one that outlived an earlier count)
// drops that shard's part and tells it the new count.
TEST_F(BucketCompatTest, SplitTellsAShardItCouldNotCreateTheNewCount) {
  put(python_shard("left", 100, 50'000, 0, 2));
  put(python_shard("left", 100, 50'000, 1, 2));
  put(python_shard("left", 100, 20'000, 2, 3));
  ASSERT_TRUE(split_shards(client(),
                           ShardSplitTarget{.table = *table_,
                                            .ns = ns(),
                                            .entity_id = "left",
                                            .resource = "gpt-4",
                                            .observed = 2},
                           now_ms())
                  .has_value());
  EXPECT_EQ(number(*raw_shard("left", 2), "shard_count"), 4);
  EXPECT_EQ(number(*raw_shard("left", 2), "b_rpm_tk"), 20'000);  // not topped up
  // Shard 0 keeps its share of 25; the other 25 were shard 2's part (dropped), none is left.
  EXPECT_EQ(number(raw_bucket("left", "gpt-4"), "b_rpm_tk"), 25'000);
  EXPECT_EQ(number(*raw_shard("left", 3), "b_rpm_tk"), 0);
  EXPECT_EQ(number(*raw_shard("left", 1), "shard_count"), 4);
}

TEST_F(BucketCompatTest, UnreachableDynamoDbFollowsOnUnavailable) {
  std::shared_ptr<Store> store = store_;
  RateLimiterOptions options;
  options.clock = &clock_;
  RateLimiter limiter(store, std::move(options));
  const AcquireRequest request{.entity_id = "key-1",
                               .resource = "gpt-4",
                               .consume = {{"rpm", 1}},
                               .limits = std::vector<Limit>{rpm10_}};
  limiter.acquire(request).commit();  // warm
  transport().set_down(true);
  AcquireRequest blocking = request;
  blocking.on_unavailable = OnUnavailable::kBlock;
  EXPECT_THROW(limiter.acquire(blocking), RateLimiterUnavailable);
  AcquireRequest allowing = request;
  allowing.on_unavailable = OnUnavailable::kAllow;
  Lease lease = limiter.acquire(allowing);
  EXPECT_TRUE(lease.is_noop());
  lease.commit();
  EXPECT_FALSE(store->is_available());
  transport().set_down(false);
  EXPECT_TRUE(store->is_available());
  limiter.acquire(request).commit();
  EXPECT_EQ(number(raw_bucket("key-1", "gpt-4"), "b_rpm_tc"), 2000);
}

}  // namespace
}  // namespace zae::dynamodb
