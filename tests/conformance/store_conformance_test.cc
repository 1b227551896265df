// SPDX-License-Identifier: MIT
// The behavioural contract of zae::Store (include/zae/store.h), written once and run against
// every backend of all_backends(). Time is a FakeClock; every call gets an explicit `now`.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zae/errors.h"
#include "zae/limit.h"
#include "zae/open_store.h"
#include "zae/store.h"
#include "zae/validation.h"

#include "aws/json.h"
#include "conformance/backends.h"
#include "core/bucket.h"
#include "core/json.h"
#include "core/ulid.h"
#include "support/fake_clock.h"

namespace zae::test {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Property;
using ::testing::SizeIs;
using ::testing::Throws;
using namespace std::chrono_literals;

// 2100-01-01T00:00:00Z. In the future so that no bucket's ttl is in the real past: DynamoDB
// (Local too) deletes such items in the background, whatever the store's clock says.
constexpr std::int64_t kStartMs = 4'102'444'800'000;
constexpr std::int64_t kStartSeconds = kStartMs / 1000;
constexpr const char* kStartTimestamp = "2100-01-01T00:00:00Z";

ConsumeTarget target(std::string entity_id, std::string resource, std::vector<Limit> limits,
                     LimitSource source = LimitSource::kOverride) {
  return ConsumeTarget{.entity_id = std::move(entity_id),
                       .resource = std::move(resource),
                       .limits = std::move(limits),
                       .source = source};
}

ConsumeRequest request(ConsumeTarget target, Amounts amounts, TimePoint now,
                       std::optional<ConsumeTarget> parent = std::nullopt) {
  return ConsumeRequest{.target = std::move(target),
                        .parent = std::move(parent),
                        .amounts = std::move(amounts),
                        .now = now};
}

// CreateEntityRequest spelled with every field, so call sites stay short and -Wextra quiet.
CreateEntityRequest entity(std::string id, std::optional<std::string> parent = std::nullopt,
                           bool cascade = false, std::string name = "",
                           std::map<std::string, std::string> metadata = {},
                           std::optional<std::string> principal = std::nullopt) {
  return CreateEntityRequest{.entity_id = std::move(id),
                             .name = std::move(name),
                             .parent_id = std::move(parent),
                             .cascade = cascade,
                             .metadata = std::move(metadata),
                             .principal = std::move(principal)};
}

const BucketLimitState* find_limit(const BucketState& bucket, std::string_view name) {
  for (const BucketLimitState& limit : bucket.limits) {
    if (limit.limit.name() == name) {
      return &limit;
    }
  }
  return nullptr;
}

std::int64_t tokens_of(const BucketState& bucket, std::string_view name) {
  const BucketLimitState* limit = find_limit(bucket, name);
  return limit != nullptr ? limit->tokens_milli : -1;
}

// A JSON text with every object's keys sorted, so details compare whatever order a backend
// keeps (a DynamoDB map keeps none).
std::string canonical_json(aws::JsonReader& reader) {
  const auto quoted = [](std::string_view text) {
    core::JsonWriter writer;
    writer.value(text);
    return std::move(writer).str();
  };
  switch (reader.peek()) {
    case aws::JsonType::kObject: {
      std::map<std::string, std::string> members;
      reader.enter_object();
      while (const auto key = reader.next_key()) {
        std::string name(*key);
        members[name] = canonical_json(reader);
      }
      std::string out = "{";
      for (const auto& [name, value] : members) {
        out += (out.size() > 1 ? "," : "") + quoted(name) + ":" + value;
      }
      return out + "}";
    }
    case aws::JsonType::kArray: {
      std::string out = "[";
      reader.enter_array();
      while (reader.next_element()) {
        out += (out.size() > 1 ? "," : "") + canonical_json(reader);
      }
      return out + "]";
    }
    case aws::JsonType::kString:
      return quoted(reader.read_string());
    case aws::JsonType::kNumber:
      return std::string(reader.read_number());
    case aws::JsonType::kBool:
      return reader.read_bool() ? "true" : "false";
    case aws::JsonType::kNull:
      reader.read_null();
      return "null";
  }
  return "";
}

std::string canonical_json(std::string_view text) {
  aws::JsonReader reader(text);
  std::string out = canonical_json(reader);
  reader.finish();
  return out;
}

// The balance of a stored limit at `at`: stored tokens plus the lazy refill since last_refill.
std::int64_t effective_tokens(const BucketState& bucket, std::string_view name, TimePoint at) {
  const BucketLimitState* limit = find_limit(bucket, name);
  if (limit == nullptr) {
    return -1;
  }
  return core::refill({limit->tokens_milli, epoch_ms(bucket.last_refill)}, epoch_ms(at),
                      core::BucketParams::from(limit->limit))
      .tokens_milli;
}

std::string label(const ::testing::TestParamInfo<BackendFactory>& info) { return info.param.name; }

template <typename Error>
auto ThrowsWithField(const std::string& field) {
  return Throws<Error>(Property(&ValidationError::field, field));
}

class StoreConformanceTest : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override {
    const std::string reason = GetParam().skip_reason();
    if (!reason.empty()) {
      GTEST_SKIP() << reason;
    }
    try {
      store_ = open();
    } catch (const InfrastructureError& error) {
      // The factory exists before its backend does; say so instead of failing every test.
      if (std::string_view(error.what()).find("not available in this build") !=
          std::string_view::npos) {
        GTEST_SKIP() << error.what();
      }
      throw;
    }
  }

  std::unique_ptr<Store> open(StoreOptions options = {}) {
    options.clock = &clock_;
    return GetParam().make(options);
  }

  // A store on the same storage as store_, or nullptr when the backend cannot share storage.
  std::unique_ptr<Store> open_beside(StoreOptions options) {
    if (!GetParam().open_beside) {
      return nullptr;
    }
    options.clock = &clock_;
    return GetParam().open_beside(*store_, options);
  }

  TimePoint now() const { return clock_.now(); }
  void advance(std::chrono::milliseconds by) { clock_.advance(by); }

  ConsumeResult consume(const ConsumeTarget& t, const Amounts& amounts,
                        std::optional<ConsumeTarget> parent = std::nullopt) {
    return store_->consume(request(t, amounts, now(), std::move(parent)));
  }

  BucketState bucket(const std::string& entity_id, const std::string& resource) {
    std::optional<BucketState> state = store_->get_bucket(entity_id, resource);
    EXPECT_TRUE(state.has_value()) << entity_id << "/" << resource;
    return state.value_or(BucketState{});
  }

  Entity create(const std::string& id, std::optional<std::string> parent = std::nullopt,
                bool cascade = false) {
    return store_->create_entity(entity(id, std::move(parent), cascade), now());
  }

  FakeClock clock_{kStartMs};
  std::unique_ptr<Store> store_;

  const Limit rpm10_ = Limit::per_minute("rpm", 10);
  const Limit tpm1000_ = Limit::per_minute("tpm", 1000);
};

// ---- basics ---------------------------------------------------------------------------------

TEST_P(StoreConformanceTest, DescribesItself) {
  EXPECT_EQ(store_->namespace_name(), "default");
  EXPECT_TRUE(store_->is_available());
  EXPECT_TRUE(store_->capabilities().supports_audit_logging);
  EXPECT_FALSE(store_->describe().empty());
}

// ---- consume --------------------------------------------------------------------------------

TEST_P(StoreConformanceTest, ConsumeAdmitsExactlyCapacityThenRejectsWithEveryStatus) {
  const ConsumeTarget key = target("key-1", "gpt-4", {rpm10_, tpm1000_});
  for (int i = 1; i <= 10; ++i) {
    const ConsumeResult result = consume(key, {{"rpm", 1}, {"tpm", 10}});
    ASSERT_EQ(result.kind, ConsumeResult::Kind::kAdmitted) << "request " << i;
    ASSERT_THAT(result.entries, SizeIs(2));
    EXPECT_EQ(result.entries[0].entity_id, "key-1");
    EXPECT_EQ(result.entries[0].resource, "gpt-4");
    EXPECT_EQ(result.entries[0].shard, 0);
    EXPECT_EQ(result.entries[0].limit, rpm10_);
    EXPECT_EQ(result.entries[0].consumed, 1);
    EXPECT_EQ(result.entries[0].tokens_milli, (10 - i) * 1000);
    EXPECT_EQ(result.entries[1].limit, tpm1000_);
    EXPECT_EQ(result.entries[1].consumed, 10);
    EXPECT_EQ(result.entries[1].tokens_milli, (1000 - 10 * i) * 1000);
    ASSERT_THAT(result.statuses, SizeIs(2));
    EXPECT_FALSE(result.statuses[0].exceeded);
    EXPECT_EQ(result.statuses[0].available, 11 - i);
  }

  const ConsumeResult rejected = consume(key, {{"rpm", 1}, {"tpm", 10}});
  EXPECT_EQ(rejected.kind, ConsumeResult::Kind::kRejected);
  EXPECT_THAT(rejected.entries, IsEmpty());
  ASSERT_THAT(rejected.statuses, SizeIs(2));
  const LimitStatus& rpm = rejected.statuses[0];
  EXPECT_EQ(rpm.entity_id, "key-1");
  EXPECT_EQ(rpm.resource, "gpt-4");
  EXPECT_EQ(rpm.limit_name, "rpm");
  EXPECT_EQ(rpm.limit, rpm10_);
  EXPECT_EQ(rpm.available, 0);
  EXPECT_EQ(rpm.requested, 1);
  EXPECT_TRUE(rpm.exceeded);
  // B-13: floor(1000 milli · 60000 ms / 10000 milli) + 1 ms.
  EXPECT_EQ(rpm.retry_after, 6001ms);
  const LimitStatus& tpm = rejected.statuses[1];
  EXPECT_EQ(tpm.limit_name, "tpm");
  EXPECT_EQ(tpm.available, 900);
  EXPECT_EQ(tpm.requested, 10);
  EXPECT_FALSE(tpm.exceeded);
  EXPECT_EQ(tpm.retry_after, 0ms);

  // The rejection wrote nothing.
  const BucketState state = bucket("key-1", "gpt-4");
  EXPECT_EQ(tokens_of(state, "rpm"), 0);
  EXPECT_EQ(tokens_of(state, "tpm"), 900'000);
}

TEST_P(StoreConformanceTest, RejectedFirstRequestCreatesNoBucket) {
  const ConsumeResult result = consume(target("key-1", "gpt-4", {rpm10_}), {{"rpm", 11}});
  EXPECT_EQ(result.kind, ConsumeResult::Kind::kRejected);
  ASSERT_THAT(result.statuses, SizeIs(1));
  EXPECT_EQ(result.statuses[0].available, 10);
  EXPECT_EQ(result.statuses[0].requested, 11);
  EXPECT_EQ(store_->get_bucket("key-1", "gpt-4"), std::nullopt);
}

TEST_P(StoreConformanceTest, NewBucketStartsFullAndRecordsState) {
  const ConsumeResult result =
      consume(target("key-1", "gpt-4", {rpm10_, tpm1000_}), {{"tpm", 250}});
  ASSERT_EQ(result.kind, ConsumeResult::Kind::kAdmitted);
  // Limits the request did not name are checked with 0 and reported (consumed 0).
  EXPECT_EQ(result.entries[0].consumed, 0);
  EXPECT_EQ(result.entries[0].tokens_milli, 10'000);

  const BucketState state = bucket("key-1", "gpt-4");
  EXPECT_EQ(state.entity_id, "key-1");
  EXPECT_EQ(state.resource, "gpt-4");
  EXPECT_EQ(state.shard, 0);
  EXPECT_EQ(state.shard_count, 1);
  EXPECT_EQ(state.last_refill, now());
  ASSERT_THAT(state.limits, SizeIs(2));
  EXPECT_EQ(state.limits[0].limit, rpm10_);
  EXPECT_EQ(state.limits[0].tokens_milli, 10'000);
  EXPECT_EQ(state.limits[0].total_consumed_milli, 0);
  EXPECT_EQ(state.limits[1].limit, tpm1000_);
  EXPECT_EQ(state.limits[1].tokens_milli, 750'000);
  EXPECT_EQ(state.limits[1].total_consumed_milli, 250'000);
}

TEST_P(StoreConformanceTest, RefillsOverTime) {
  const ConsumeTarget key = target("key-1", "api", {Limit::per_minute("rpm", 60)});
  ASSERT_EQ(consume(key, {{"rpm", 60}}).kind, ConsumeResult::Kind::kAdmitted);

  advance(500ms);  // half a token
  const ConsumeResult early = consume(key, {{"rpm", 1}});
  EXPECT_EQ(early.kind, ConsumeResult::Kind::kRejected);
  EXPECT_EQ(early.statuses[0].available, 0);
  // Deficit 500 milli at 1 milli/ms: 500 ms + 1.
  EXPECT_EQ(early.statuses[0].retry_after, 501ms);

  advance(500ms);
  const ConsumeResult on_time = consume(key, {{"rpm", 1}});
  ASSERT_EQ(on_time.kind, ConsumeResult::Kind::kAdmitted);
  EXPECT_EQ(on_time.entries[0].tokens_milli, 0);

  advance(1h);  // refill stops at capacity
  const ConsumeResult too_many = consume(key, {{"rpm", 61}});
  EXPECT_EQ(too_many.kind, ConsumeResult::Kind::kRejected);
  EXPECT_EQ(too_many.statuses[0].available, 60);
  EXPECT_EQ(consume(key, {{"rpm", 60}}).kind, ConsumeResult::Kind::kAdmitted);
}

TEST_P(StoreConformanceTest, ConcurrentConsumersNeverOverAdmit) {
  const ConsumeTarget key = target("shared", "api", {Limit::per_minute("rpm", 100)});
  const TimePoint at = now();  // frozen: no refill during the race
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 30; ++i) {
        if (store_->consume(request(key, {{"rpm", 1}}, at)).kind ==
            ConsumeResult::Kind::kAdmitted) {
          ++admitted;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(admitted.load(), 100);
  const BucketState state = bucket("shared", "api");
  EXPECT_EQ(tokens_of(state, "rpm"), 0);
  EXPECT_EQ(state.limits[0].total_consumed_milli, 100'000);
}

// ---- cascade --------------------------------------------------------------------------------

TEST_P(StoreConformanceTest, CascadeConsumesChildAndParentAtomically) {
  create("project");
  create("key-1", "project", /*cascade=*/true);
  const ConsumeTarget child = target("key-1", "gpt-4", {rpm10_});
  const ConsumeTarget parent = target("project", "gpt-4", {Limit::per_minute("rpm", 3)});

  for (int i = 1; i <= 3; ++i) {
    const ConsumeResult result = consume(child, {{"rpm", 1}}, parent);
    ASSERT_EQ(result.kind, ConsumeResult::Kind::kAdmitted);
    ASSERT_THAT(result.entries, SizeIs(2));
    EXPECT_EQ(result.entries[0].entity_id, "key-1");
    EXPECT_EQ(result.entries[0].tokens_milli, (10 - i) * 1000);
    EXPECT_EQ(result.entries[1].entity_id, "project");
    EXPECT_EQ(result.entries[1].consumed, 1);
    EXPECT_EQ(result.entries[1].tokens_milli, (3 - i) * 1000);
  }

  // The parent is short: nothing is consumed on the child either.
  const ConsumeResult rejected = consume(child, {{"rpm", 1}}, parent);
  EXPECT_EQ(rejected.kind, ConsumeResult::Kind::kRejected);
  ASSERT_THAT(rejected.statuses, SizeIs(2));
  EXPECT_EQ(rejected.statuses[0].entity_id, "key-1");
  EXPECT_FALSE(rejected.statuses[0].exceeded);
  EXPECT_EQ(rejected.statuses[0].available, 7);
  EXPECT_EQ(rejected.statuses[1].entity_id, "project");
  EXPECT_TRUE(rejected.statuses[1].exceeded);
  EXPECT_EQ(rejected.statuses[1].available, 0);
  EXPECT_EQ(rejected.statuses[1].retry_after, 20001ms);  // 1000 · 60000 / 3000 + 1
  EXPECT_EQ(tokens_of(bucket("key-1", "gpt-4"), "rpm"), 7000);
  EXPECT_EQ(tokens_of(bucket("project", "gpt-4"), "rpm"), 0);
}

TEST_P(StoreConformanceTest, CascadeAmountsMayNameLimitsOfEitherSide) {
  create("project");
  create("key-1", "project", /*cascade=*/true);
  const ConsumeResult result =
      consume(target("key-1", "gpt-4", {rpm10_}), {{"rpm", 1}, {"tpm", 40}},
              target("project", "gpt-4", {tpm1000_}));
  ASSERT_EQ(result.kind, ConsumeResult::Kind::kAdmitted);
  ASSERT_THAT(result.entries, SizeIs(2));
  EXPECT_EQ(result.entries[0].consumed, 1);
  EXPECT_EQ(result.entries[1].limit, tpm1000_);
  EXPECT_EQ(result.entries[1].consumed, 40);
}

TEST_P(StoreConformanceTest, CascadeMismatchWhenCallerMissesTheParent) {
  create("project");
  create("key-1", "project", /*cascade=*/true);
  const ConsumeResult result = consume(target("key-1", "gpt-4", {rpm10_}), {{"rpm", 1}});
  EXPECT_EQ(result.kind, ConsumeResult::Kind::kCascadeMismatch);
  EXPECT_EQ(result.actual_parent, "project");
  EXPECT_THAT(result.entries, IsEmpty());
  EXPECT_EQ(store_->get_bucket("key-1", "gpt-4"), std::nullopt);

  const ConsumeResult wrong =
      consume(target("key-1", "gpt-4", {rpm10_}), {{"rpm", 1}}, target("other", "gpt-4", {rpm10_}));
  EXPECT_EQ(wrong.kind, ConsumeResult::Kind::kCascadeMismatch);
  EXPECT_EQ(wrong.actual_parent, "project");
  EXPECT_EQ(store_->get_bucket("other", "gpt-4"), std::nullopt);
}

TEST_P(StoreConformanceTest, CascadeMismatchWhenCallerInventsAParent) {
  create("project");
  create("key-1", "project", /*cascade=*/false);  // has a parent, does not cascade
  const ConsumeTarget parent = target("project", "gpt-4", {rpm10_});
  for (const char* id : {"key-1", "project", "unknown-entity"}) {
    const ConsumeResult result = consume(target(id, "gpt-4", {rpm10_}), {{"rpm", 1}}, parent);
    EXPECT_EQ(result.kind, ConsumeResult::Kind::kCascadeMismatch) << id;
    EXPECT_EQ(result.actual_parent, std::nullopt) << id;
  }
  EXPECT_EQ(store_->get_bucket("project", "gpt-4"), std::nullopt);
  EXPECT_EQ(consume(target("key-1", "gpt-4", {rpm10_}), {{"rpm", 1}}).kind,
            ConsumeResult::Kind::kAdmitted);
}

// ---- reconciling stored parameters (OQ-3, OQ-10, OQ-44) -------------------------------------

TEST_P(StoreConformanceTest, ReconcilesChangedParametersOfAnExistingBucket) {
  ASSERT_EQ(consume(target("key-1", "api", {rpm10_}), {{"rpm", 2}}).kind,
            ConsumeResult::Kind::kAdmitted);  // 8 left

  const Limit rpm5 = Limit::per_minute("rpm", 5);
  const ConsumeResult lowered = consume(target("key-1", "api", {rpm5}), {{"rpm", 1}});
  ASSERT_EQ(lowered.kind, ConsumeResult::Kind::kAdmitted);
  EXPECT_EQ(lowered.entries[0].limit, rpm5);
  EXPECT_EQ(lowered.entries[0].tokens_milli, 4000);  // clamped to 5, then 1 consumed
  BucketState state = bucket("key-1", "api");
  EXPECT_EQ(state.limits[0].limit, rpm5);
  EXPECT_EQ(state.limits[0].total_consumed_milli, 3000);

  // A raised capacity does not add tokens; the new rate refills them.
  const Limit rpm20 = Limit::per_minute("rpm", 20);
  ASSERT_EQ(consume(target("key-1", "api", {rpm20}), {{"rpm", 0}}).entries[0].tokens_milli, 4000);
  advance(3s);  // 20/min: one token per 3 s
  const ConsumeResult refilled = consume(target("key-1", "api", {rpm20}), {{"rpm", 0}});
  EXPECT_EQ(refilled.entries[0].tokens_milli, 5000);
  EXPECT_EQ(bucket("key-1", "api").limits[0].limit, rpm20);
}

TEST_P(StoreConformanceTest, AddsANewLimitToAnExistingBucketFull) {
  ASSERT_EQ(consume(target("key-1", "api", {rpm10_}), {{"rpm", 1}}).kind,
            ConsumeResult::Kind::kAdmitted);
  const ConsumeResult result =
      consume(target("key-1", "api", {rpm10_, tpm1000_}), {{"rpm", 1}, {"tpm", 100}});
  ASSERT_EQ(result.kind, ConsumeResult::Kind::kAdmitted);
  EXPECT_EQ(result.entries[0].tokens_milli, 8000);
  EXPECT_EQ(result.entries[1].tokens_milli, 900'000);
  const BucketState state = bucket("key-1", "api");
  ASSERT_THAT(state.limits, SizeIs(2));
  EXPECT_EQ(state.limits[1].limit, tpm1000_);
  EXPECT_EQ(state.limits[1].total_consumed_milli, 100'000);
}

TEST_P(StoreConformanceTest, KeepsStoredLimitsThatAreNotResolvedAndRefillsThem) {
  ASSERT_EQ(consume(target("key-1", "api", {rpm10_, tpm1000_}), {{"tpm", 1000}}).kind,
            ConsumeResult::Kind::kAdmitted);
  // tpm is empty but not enforced when the resolved limits leave it out.
  const ConsumeResult result = consume(target("key-1", "api", {rpm10_}), {{"rpm", 1}});
  ASSERT_EQ(result.kind, ConsumeResult::Kind::kAdmitted);
  ASSERT_THAT(result.entries, SizeIs(1));
  advance(6s);  // tpm refills 100 tokens while the shared refill time moves
  ASSERT_EQ(consume(target("key-1", "api", {rpm10_}), {{"rpm", 1}}).kind,
            ConsumeResult::Kind::kAdmitted);
  // Balances as of now: a backend may keep the refill owed lazily (rf unmoved) or credited.
  const BucketState state = bucket("key-1", "api");
  EXPECT_EQ(effective_tokens(state, "tpm", now()), 100'000);
  EXPECT_EQ(effective_tokens(state, "rpm", now()), 9000);  // 9, +1 refilled in 6 s at 10/min, -1
}

// ---- TTL (spec/data-model.md §9) ------------------------------------------------------------

TEST_P(StoreConformanceTest, BucketTtlFollowsTheLimitSource) {
  const Limit rpm100 = Limit::per_minute("rpm", 100);  // fills in 60 s → ttl 420 s
  consume(target("custom", "api", {rpm100}, LimitSource::kEntity), {{"rpm", 1}});
  EXPECT_EQ(bucket("custom", "api").ttl_epoch_seconds, std::nullopt);
  for (const LimitSource source : {LimitSource::kEntityDefault, LimitSource::kResource,
                                   LimitSource::kSystem, LimitSource::kOverride}) {
    std::string id = "key-" + std::string(to_string(source));
    std::replace(id.begin(), id.end(), '_', '-');
    consume(target(id, "api", {rpm100}, source), {{"rpm", 1}});
    EXPECT_EQ(bucket(id, "api").ttl_epoch_seconds, kStartSeconds + 420) << id;
  }
  // The slowest limit decides: max(150/100·60, 5/5·1) · 7.
  consume(target("mixed", "api", {Limit::per_minute("tpm", 100, 150), Limit::per_second("rps", 5)},
                 LimitSource::kResource),
          {{"rps", 1}});
  EXPECT_EQ(bucket("mixed", "api").ttl_epoch_seconds, kStartSeconds + 630);
  // OQ-24: a TTL that truncates to 0 means none.
  consume(target("fast", "api", {Limit::custom("burst", 1, 1000, 1)}, LimitSource::kResource),
          {{"burst", 1}});
  EXPECT_EQ(bucket("fast", "api").ttl_epoch_seconds, std::nullopt);
}

TEST_P(StoreConformanceTest, BucketTtlIsRefreshedAndRemovedOnWrites) {
  const Limit rpm100 = Limit::per_minute("rpm", 100);
  consume(target("key-1", "api", {rpm100}, LimitSource::kResource), {{"rpm", 1}});
  advance(100s);
  consume(target("key-1", "api", {rpm100}, LimitSource::kResource), {{"rpm", 1}});
  EXPECT_EQ(bucket("key-1", "api").ttl_epoch_seconds, kStartSeconds + 100 + 420);
  // A custom config now applies: the bucket persists.
  consume(target("key-1", "api", {rpm100}, LimitSource::kEntity), {{"rpm", 1}});
  EXPECT_EQ(bucket("key-1", "api").ttl_epoch_seconds, std::nullopt);
  // apply_deltas leaves the TTL alone.
  consume(target("key-1", "api", {rpm100}, LimitSource::kResource), {{"rpm", 1}});
  advance(10s);
  const BucketDelta delta{.entity_id = "key-1", .resource = "api", .tokens_milli = {{"rpm", 500}}};
  store_->apply_deltas({&delta, 1}, now());
  EXPECT_EQ(bucket("key-1", "api").ttl_epoch_seconds, kStartSeconds + 100 + 420);
}

TEST_P(StoreConformanceTest, ZeroTtlMultiplierDisablesTtl) {
  std::unique_ptr<Store> no_ttl = open(StoreOptions{.bucket_ttl_multiplier = 0});
  no_ttl->consume(
      request(target("key-1", "api", {rpm10_}, LimitSource::kResource), {{"rpm", 1}}, now()));
  ASSERT_TRUE(no_ttl->get_bucket("key-1", "api").has_value());
  EXPECT_EQ(no_ttl->get_bucket("key-1", "api")->ttl_epoch_seconds, std::nullopt);
}

TEST_P(StoreConformanceTest, ZeroTtlMultiplierLeavesAnExistingTtlUnchanged) {
  consume(target("key-1", "api", {rpm10_}, LimitSource::kResource), {{"rpm", 1}});
  std::unique_ptr<Store> no_ttl = open_beside(StoreOptions{.bucket_ttl_multiplier = 0});
  if (!no_ttl) {
    GTEST_SKIP() << GetParam().name << " cannot open a second store on the same storage";
  }
  advance(60s);
  no_ttl->consume(
      request(target("key-1", "api", {rpm10_}, LimitSource::kResource), {{"rpm", 1}}, now()));
  EXPECT_EQ(no_ttl->get_bucket("key-1", "api")->ttl_epoch_seconds, kStartSeconds + 420);
}

TEST_P(StoreConformanceTest, ExpiredBucketIsTreatedAsAbsent) {
  const ConsumeTarget key = target("key-1", "api", {rpm10_}, LimitSource::kResource);  // 420 s
  ASSERT_EQ(consume(key, {{"rpm", 10}}).kind, ConsumeResult::Kind::kAdmitted);
  const BucketDelta debt{.entity_id = "key-1", .resource = "api", .tokens_milli = {{"rpm", 5000}}};
  store_->apply_deltas({&debt, 1}, now());

  advance(419s);
  EXPECT_TRUE(store_->get_bucket("key-1", "api").has_value());
  advance(1s);  // ttl <= now_s: expired
  EXPECT_EQ(store_->get_bucket("key-1", "api"), std::nullopt);
  EXPECT_THAT(store_->get_buckets("key-1"), IsEmpty());
  // A delta for an expired bucket is skipped like one for a missing bucket.
  store_->apply_deltas({&debt, 1}, now());

  const ConsumeResult fresh = consume(key, {{"rpm", 1}});
  ASSERT_EQ(fresh.kind, ConsumeResult::Kind::kAdmitted);
  EXPECT_EQ(fresh.entries[0].tokens_milli, 9000);
  const BucketState state = bucket("key-1", "api");
  EXPECT_EQ(state.limits[0].total_consumed_milli, 1000);  // a new bucket, not the old counter
  EXPECT_EQ(state.ttl_epoch_seconds, kStartSeconds + 420 + 420);
}

// ---- apply_deltas -----------------------------------------------------------------------------

TEST_P(StoreConformanceTest, ApplyDeltasDrivesDebtAndCapsRefunds) {
  ASSERT_EQ(consume(target("key-1", "api", {rpm10_, tpm1000_}), {{"rpm", 1}, {"tpm", 100}}).kind,
            ConsumeResult::Kind::kAdmitted);
  const BucketDelta debt{
      .entity_id = "key-1", .resource = "api", .tokens_milli = {{"tpm", 1'500'000}}};
  store_->apply_deltas({&debt, 1}, now());
  BucketState state = bucket("key-1", "api");
  EXPECT_EQ(tokens_of(state, "tpm"), -600'000);
  EXPECT_EQ(find_limit(state, "tpm")->total_consumed_milli, 1'600'000);

  // A limit in debt blocks even requests that do not consume it.
  const ConsumeResult blocked = consume(target("key-1", "api", {rpm10_, tpm1000_}), {{"rpm", 1}});
  EXPECT_EQ(blocked.kind, ConsumeResult::Kind::kRejected);
  EXPECT_TRUE(blocked.statuses[1].exceeded);
  EXPECT_EQ(blocked.statuses[1].available, -600);
  EXPECT_EQ(blocked.statuses[1].requested, 0);
  EXPECT_EQ(blocked.statuses[1].retry_after, 36001ms);  // 600000 · 60000 / 10^6 + 1

  // A refund never lifts the balance above capacity; the counter moves by the full delta.
  const BucketDelta refund{
      .entity_id = "key-1", .resource = "api", .tokens_milli = {{"tpm", -2'000'000}}};
  store_->apply_deltas({&refund, 1}, now());
  state = bucket("key-1", "api");
  EXPECT_EQ(tokens_of(state, "tpm"), 1'000'000);
  EXPECT_EQ(find_limit(state, "tpm")->total_consumed_milli, -400'000);
  EXPECT_EQ(tokens_of(state, "rpm"), 9000);
}

TEST_P(StoreConformanceTest, ApplyDeltasRefillsFirst) {
  ASSERT_EQ(consume(target("key-1", "api", {rpm10_}), {{"rpm", 1}}).kind,
            ConsumeResult::Kind::kAdmitted);
  advance(3s);  // + 500 milli at 10/min
  const BucketDelta delta{.entity_id = "key-1", .resource = "api", .tokens_milli = {{"rpm", 1000}}};
  store_->apply_deltas({&delta, 1}, now());
  // Balances as of now (a backend may keep the refill owed lazily).
  EXPECT_EQ(effective_tokens(bucket("key-1", "api"), "rpm", now()), 8500);
  // Refill first, then the delta: a bucket that has refilled to its cap loses the excess
  // refill before the debt is charged (charging first would keep 500 more).
  advance(60s);
  store_->apply_deltas({&delta, 1}, now());
  EXPECT_EQ(effective_tokens(bucket("key-1", "api"), "rpm", now()), 9000);
  advance(6s);  // and refills from there: + 1000
  EXPECT_EQ(effective_tokens(bucket("key-1", "api"), "rpm", now()), 10'000);
}

TEST_P(StoreConformanceTest, ApplyDeltasSkipsMissingBucketsAndLimits) {
  ASSERT_EQ(consume(target("key-1", "api", {rpm10_}), {{"rpm", 1}}).kind,
            ConsumeResult::Kind::kAdmitted);
  const std::vector<BucketDelta> deltas{
      {.entity_id = "ghost", .resource = "api", .tokens_milli = {{"rpm", -1000}}},
      {.entity_id = "key-1", .resource = "other", .tokens_milli = {{"rpm", 1000}}},
      {.entity_id = "key-1", .resource = "api", .tokens_milli = {{"tpm", 1000}, {"rpm", 2000}}},
  };
  store_->apply_deltas(deltas, now());
  EXPECT_EQ(store_->get_bucket("ghost", "api"), std::nullopt);
  EXPECT_EQ(store_->get_bucket("key-1", "other"), std::nullopt);
  const BucketState state = bucket("key-1", "api");
  ASSERT_THAT(state.limits, SizeIs(1));  // no partial tpm limit (OQ-22)
  EXPECT_EQ(tokens_of(state, "rpm"), 7000);
  store_->apply_deltas({}, now());
}

TEST_P(StoreConformanceTest, GetBucketsListsEveryResource) {
  consume(target("key-1", "gpt-4", {rpm10_}), {{"rpm", 1}});
  consume(target("key-1", "claude", {tpm1000_}), {{"tpm", 1}});
  consume(target("key-2", "claude", {tpm1000_}), {{"tpm", 1}});
  std::vector<BucketState> buckets = store_->get_buckets("key-1");
  std::sort(buckets.begin(), buckets.end(),
            [](const BucketState& a, const BucketState& b) { return a.resource < b.resource; });
  ASSERT_THAT(buckets, SizeIs(2));
  EXPECT_EQ(buckets[0].resource, "claude");
  EXPECT_EQ(buckets[0].limits[0].limit, tpm1000_);
  EXPECT_EQ(buckets[1].resource, "gpt-4");
  EXPECT_THAT(store_->get_buckets("nobody"), IsEmpty());
}

// ---- entities -------------------------------------------------------------------------------

TEST_P(StoreConformanceTest, CreatesAndReadsEntities) {
  const Entity created = store_->create_entity(
      entity("acme", std::nullopt, false, "", {{"tier", "gold"}, {"note", "say \"hi\" \u00e9\n"}}),
      now());
  EXPECT_EQ(created.id, "acme");
  EXPECT_EQ(created.name, "acme");  // EN-2
  EXPECT_EQ(created.parent_id, std::nullopt);
  EXPECT_FALSE(created.cascade);
  EXPECT_EQ(created.created_at, kStartTimestamp);
  EXPECT_EQ(store_->get_entity("acme"), created);
  EXPECT_EQ(store_->get_entity("nobody"), std::nullopt);

  const Entity child =
      store_->create_entity(entity("key-1", "acme", /*cascade=*/true, "Key One"), now());
  EXPECT_EQ(child.name, "Key One");
  EXPECT_TRUE(child.is_child());
  EXPECT_EQ(store_->get_entity("key-1"), child);
}

TEST_P(StoreConformanceTest, CreateRejectsAnExistingEntity) {
  create("acme");
  EXPECT_THAT([&] { create("acme"); },
              Throws<EntityExistsError>(Property(&EntityExistsError::entity_id, "acme")));
  EXPECT_THAT(store_->get_audit_events("acme", 10, std::nullopt), SizeIs(1));
}

TEST_P(StoreConformanceTest, ListsChildrenInIdOrder) {
  create("acme");
  const Entity b = create("key-b", "acme");
  const Entity a = create("key-a", "acme", /*cascade=*/true);
  create("stranger", "other");
  EXPECT_THAT(store_->get_children("acme"), ElementsAre(a, b));
  EXPECT_THAT(store_->get_children("key-a"), IsEmpty());
}

TEST_P(StoreConformanceTest, DeleteEntityRemovesItsConfigsAndBuckets) {
  create("acme");
  create("key-1", "acme");
  store_->set_limits("acme", "gpt-4", {rpm10_}, std::nullopt, now());
  store_->set_limits("acme", std::string(kDefaultResource), {tpm1000_}, std::nullopt, now());
  consume(target("acme", "gpt-4", {rpm10_}), {{"rpm", 1}});
  consume(target("acme", "claude", {rpm10_}), {{"rpm", 1}});

  EXPECT_EQ(store_->delete_entity("acme", "admin", now()), 5u);  // entity + 2 configs + 2 buckets
  EXPECT_EQ(store_->get_entity("acme"), std::nullopt);
  EXPECT_THAT(store_->get_limits("acme", "gpt-4"), IsEmpty());
  EXPECT_THAT(store_->get_buckets("acme"), IsEmpty());
  EXPECT_THAT(store_->list_resources_with_entity_configs(), IsEmpty());
  EXPECT_TRUE(store_->get_entity("key-1").has_value());  // children are kept (EN-12)

  const std::size_t events = store_->get_audit_events("acme", 100, std::nullopt).size();
  EXPECT_EQ(store_->delete_entity("acme", std::nullopt, now()), 0u);
  EXPECT_THAT(store_->get_audit_events("acme", 100, std::nullopt), SizeIs(events));  // EN-10
}

// ---- stored limits --------------------------------------------------------------------------

TEST_P(StoreConformanceTest, StoresEntityLimitsPerResourceAndDefault) {
  store_->set_limits("key-1", "gpt-4", {rpm10_, tpm1000_}, std::nullopt, now());
  store_->set_limits("key-1", std::string(kDefaultResource), {rpm10_}, std::nullopt, now());
  EXPECT_THAT(store_->get_limits("key-1", "gpt-4"), ElementsAre(rpm10_, tpm1000_));
  EXPECT_THAT(store_->get_limits("key-1", std::string(kDefaultResource)), ElementsAre(rpm10_));
  EXPECT_THAT(store_->get_limits("key-1", "claude"), IsEmpty());

  // Replacement semantics.
  store_->set_limits("key-1", "gpt-4", {tpm1000_}, std::nullopt, now());
  EXPECT_THAT(store_->get_limits("key-1", "gpt-4"), ElementsAre(tpm1000_));

  EXPECT_TRUE(store_->delete_limits("key-1", "gpt-4", std::nullopt, now()));
  EXPECT_FALSE(store_->delete_limits("key-1", "gpt-4", std::nullopt, now()));
  EXPECT_THAT(store_->get_limits("key-1", "gpt-4"), IsEmpty());
}

TEST_P(StoreConformanceTest, SetLimitsSyncsTheExistingBucket) {
  consume(target("key-1", "api", {rpm10_}, LimitSource::kResource), {{"rpm", 2}});
  ASSERT_TRUE(bucket("key-1", "api").ttl_epoch_seconds.has_value());
  advance(1s);
  const Limit rpm5 = Limit::per_minute("rpm", 5);
  store_->set_limits("key-1", "api", {rpm5, tpm1000_}, std::nullopt, now());
  const BucketState state = bucket("key-1", "api");
  EXPECT_EQ(find_limit(state, "rpm")->limit, rpm5);
  EXPECT_EQ(tokens_of(state, "rpm"), 5000);  // clamped to the new capacity
  EXPECT_EQ(tokens_of(state, "tpm"), 1'000'000);
  EXPECT_EQ(state.ttl_epoch_seconds, std::nullopt);  // a custom config persists
  // No bucket, nothing to sync.
  store_->set_limits("key-2", "api", {rpm5}, std::nullopt, now());
  EXPECT_EQ(store_->get_bucket("key-2", "api"), std::nullopt);
}

TEST_P(StoreConformanceTest, StoresResourceDefaults) {
  store_->set_resource_defaults("gpt-4", {rpm10_}, std::nullopt, now());
  store_->set_resource_defaults("claude", {tpm1000_}, std::nullopt, now());
  EXPECT_THAT(store_->get_resource_defaults("gpt-4"), ElementsAre(rpm10_));
  EXPECT_THAT(store_->list_resources_with_defaults(), ElementsAre("claude", "gpt-4"));
  store_->delete_resource_defaults("gpt-4", std::nullopt, now());
  EXPECT_THAT(store_->get_resource_defaults("gpt-4"), IsEmpty());
  EXPECT_THAT(store_->list_resources_with_defaults(), ElementsAre("claude"));
}

TEST_P(StoreConformanceTest, StoresSystemDefaults) {
  EXPECT_EQ(store_->get_system_defaults(), SystemDefaults{});
  const SystemDefaults defaults{.limits = {rpm10_}, .on_unavailable = OnUnavailable::kAllow};
  store_->set_system_defaults(defaults, std::nullopt, now());
  EXPECT_EQ(store_->get_system_defaults(), defaults);
  // The whole level is replaced, on_unavailable included.
  const SystemDefaults limits_only{.limits = {tpm1000_}, .on_unavailable = std::nullopt};
  store_->set_system_defaults(limits_only, std::nullopt, now());
  EXPECT_EQ(store_->get_system_defaults(), limits_only);
  store_->delete_system_defaults(std::nullopt, now());
  EXPECT_EQ(store_->get_system_defaults(), SystemDefaults{});
}

TEST_P(StoreConformanceTest, ListsEntityConfigurations) {
  store_->set_limits("key-b", "gpt-4", {rpm10_}, std::nullopt, now());
  store_->set_limits("key-a", "gpt-4", {rpm10_}, std::nullopt, now());
  store_->set_limits("key-a", "claude", {rpm10_}, std::nullopt, now());
  store_->set_limits("key-c", std::string(kDefaultResource), {rpm10_}, std::nullopt, now());
  EXPECT_THAT(store_->list_resources_with_entity_configs(),
              ElementsAre("_default_", "claude", "gpt-4"));
  EXPECT_THAT(store_->list_entities_with_custom_limits("gpt-4"), ElementsAre("key-a", "key-b"));
  EXPECT_THAT(store_->list_entities_with_custom_limits("mistral"), IsEmpty());
  store_->delete_limits("key-a", "claude", std::nullopt, now());
  EXPECT_THAT(store_->list_resources_with_entity_configs(), ElementsAre("_default_", "gpt-4"));
}

TEST_P(StoreConformanceTest, ReadsTheRequestedConfigLevels) {
  store_->set_limits("key-1", "gpt-4", {rpm10_}, std::nullopt, now());
  store_->set_limits("key-1", std::string(kDefaultResource), {tpm1000_}, std::nullopt, now());
  store_->set_resource_defaults("gpt-4", {Limit::per_minute("rpm", 50)}, std::nullopt, now());
  const SystemDefaults system{.limits = {Limit::per_hour("rph", 1000)},
                              .on_unavailable = OnUnavailable::kBlock};
  store_->set_system_defaults(system, std::nullopt, now());

  const ConfigLevels all = store_->read_config_levels({.entity_id = "key-1", .resource = "gpt-4"});
  EXPECT_THAT(all.entity, ::testing::Optional(ElementsAre(rpm10_)));
  EXPECT_THAT(all.entity_default, ::testing::Optional(ElementsAre(tpm1000_)));
  EXPECT_THAT(all.resource, ::testing::Optional(ElementsAre(Limit::per_minute("rpm", 50))));
  EXPECT_EQ(all.system, system);

  const ConfigLevels some = store_->read_config_levels({.entity_id = "key-1",
                                                        .resource = "gpt-4",
                                                        .read_entity = false,
                                                        .read_entity_default = false,
                                                        .read_resource = true,
                                                        .read_system = false});
  EXPECT_EQ(some.entity, std::nullopt);
  EXPECT_EQ(some.entity_default, std::nullopt);
  EXPECT_TRUE(some.resource.has_value());
  EXPECT_EQ(some.system, std::nullopt);

  const ConfigLevels absent =
      store_->read_config_levels({.entity_id = "key-2", .resource = "claude"});
  EXPECT_EQ(absent.entity, std::nullopt);
  EXPECT_EQ(absent.entity_default, std::nullopt);
  EXPECT_EQ(absent.resource, std::nullopt);
  EXPECT_EQ(absent.system, system);
}

TEST_P(StoreConformanceTest, KeepsAnEmptyLimitListAsStored) {
  store_->set_limits("key-1", "gpt-4", {}, std::nullopt, now());
  EXPECT_THAT(store_->get_limits("key-1", "gpt-4"), IsEmpty());
  const ConfigLevels levels =
      store_->read_config_levels({.entity_id = "key-1", .resource = "gpt-4"});
  ASSERT_TRUE(levels.entity.has_value());
  EXPECT_THAT(*levels.entity, IsEmpty());
}

// ---- audit (spec/behavior.md §11, spec/data-model.md §6.11) ----------------------------------

TEST_P(StoreConformanceTest, AuditsEntityChanges) {
  store_->create_entity(
      entity("acme", std::nullopt, false, "Acme", {{"tier", "gold"}}, "admin@example.com"), now());
  advance(1s);
  store_->create_entity(entity("key-1", "acme", true, "", {}, "arn:aws:iam::123456789012:user/ops"),
                        now());
  advance(1s);
  store_->delete_entity("acme", std::nullopt, now());

  const std::vector<AuditEvent> events = store_->get_audit_events("acme", 10, std::nullopt);
  ASSERT_THAT(events, SizeIs(2));
  const AuditEvent& deleted = events[0];
  EXPECT_EQ(deleted.action, "entity_deleted");
  EXPECT_EQ(deleted.entity_id, "acme");
  EXPECT_EQ(deleted.principal, std::nullopt);
  EXPECT_EQ(deleted.resource, std::nullopt);
  EXPECT_EQ(canonical_json(deleted.details_json), canonical_json(R"({"records_deleted":1})"));
  EXPECT_EQ(deleted.timestamp, "2100-01-01T00:00:02Z");
  const AuditEvent& created = events[1];
  EXPECT_EQ(created.action, "entity_created");
  EXPECT_EQ(created.principal, "admin@example.com");
  EXPECT_EQ(created.timestamp, kStartTimestamp);
  EXPECT_EQ(canonical_json(created.details_json),
            canonical_json(
                R"({"name":"Acme","parent_id":null,"cascade":false,"metadata":{"tier":"gold"}})"));
  EXPECT_TRUE(core::is_ulid(created.event_id)) << created.event_id;
  EXPECT_LT(created.event_id, deleted.event_id);

  const std::vector<AuditEvent> child = store_->get_audit_events("key-1", 10, std::nullopt);
  ASSERT_THAT(child, SizeIs(1));
  EXPECT_EQ(child[0].principal, "arn:aws:iam::123456789012:user/ops");
  EXPECT_EQ(canonical_json(child[0].details_json),
            canonical_json(R"({"name":"key-1","parent_id":"acme","cascade":true,"metadata":{}})"));
}

TEST_P(StoreConformanceTest, AuditsLimitChangesAtEveryLevel) {
  const Limit rpm100 = Limit::per_minute("rpm", 100);
  const std::string limits_json =
      R"({"limits":[{"name":"rpm","capacity":100,"refill_amount":100,"refill_period_seconds":60}]})";
  store_->set_limits("key-1", "gpt-4", {rpm100}, "admin", now());
  store_->delete_limits("key-1", "gpt-4", "admin", now());
  store_->delete_limits("key-1", "gpt-4", "admin", now());  // nothing stored: no event
  std::vector<AuditEvent> events = store_->get_audit_events("key-1", 10, std::nullopt);
  ASSERT_THAT(events, SizeIs(2));
  EXPECT_EQ(events[1].action, "limits_set");
  EXPECT_EQ(events[1].resource, "gpt-4");
  EXPECT_EQ(events[1].principal, "admin");
  EXPECT_EQ(canonical_json(events[1].details_json), canonical_json(limits_json));
  EXPECT_EQ(events[0].action, "limits_deleted");
  EXPECT_EQ(events[0].resource, "gpt-4");
  EXPECT_EQ(canonical_json(events[0].details_json), canonical_json("{}"));

  store_->set_resource_defaults("gpt-4", {rpm100}, std::nullopt, now());
  store_->delete_resource_defaults("gpt-4", std::nullopt, now());
  store_->delete_resource_defaults("claude", std::nullopt, now());  // audited even when absent
  events = store_->get_audit_events("$RESOURCE:gpt-4", 10, std::nullopt);
  ASSERT_THAT(events, SizeIs(2));
  EXPECT_EQ(events[1].action, "limits_set");
  EXPECT_EQ(events[1].entity_id, "$RESOURCE:gpt-4");
  EXPECT_EQ(events[1].resource, "gpt-4");
  EXPECT_EQ(canonical_json(events[1].details_json), canonical_json(limits_json));
  EXPECT_EQ(events[0].action, "limits_deleted");
  EXPECT_EQ(canonical_json(events[0].details_json), canonical_json("{}"));
  EXPECT_THAT(store_->get_audit_events("$RESOURCE:claude", 10, std::nullopt), SizeIs(1));

  store_->set_system_defaults({.limits = {rpm100}, .on_unavailable = OnUnavailable::kAllow},
                              std::nullopt, now());
  store_->delete_system_defaults(std::nullopt, now());
  events = store_->get_audit_events("$SYSTEM", 10, std::nullopt);
  ASSERT_THAT(events, SizeIs(2));
  EXPECT_EQ(events[1].action, "limits_set");
  EXPECT_EQ(events[1].resource, std::nullopt);
  EXPECT_EQ(canonical_json(events[1].details_json),
            canonical_json(R"({"limits":[{"name":"rpm","capacity":100,"refill_amount":100,)"
                           R"("refill_period_seconds":60}],"on_unavailable":"allow"})"));
  EXPECT_EQ(events[0].action, "limits_deleted");
  EXPECT_EQ(canonical_json(events[0].details_json),
            canonical_json(R"({"limits":["rpm"],"on_unavailable":"allow"})"));
}

TEST_P(StoreConformanceTest, PagesAuditEventsNewestFirst) {
  for (int i = 0; i < 5; ++i) {
    store_->set_limits("key-1", "r" + std::to_string(i), {rpm10_}, std::nullopt, now());
    advance(1ms);
  }
  const auto resources = [](const std::vector<AuditEvent>& events) {
    std::vector<std::string> out;
    for (const AuditEvent& event : events) {
      out.push_back(event.resource.value_or("?"));
    }
    return out;
  };
  const std::vector<AuditEvent> first = store_->get_audit_events("key-1", 2, std::nullopt);
  EXPECT_THAT(resources(first), ElementsAre("r4", "r3"));
  const std::vector<AuditEvent> second =
      store_->get_audit_events("key-1", 2, first.back().event_id);
  EXPECT_THAT(resources(second), ElementsAre("r2", "r1"));
  const std::vector<AuditEvent> third =
      store_->get_audit_events("key-1", 2, second.back().event_id);
  EXPECT_THAT(resources(third), ElementsAre("r0"));
  EXPECT_THAT(store_->get_audit_events("key-1", 2, third.back().event_id), IsEmpty());
  EXPECT_THAT(store_->get_audit_events("key-1", 0, std::nullopt), IsEmpty());
  EXPECT_THAT(store_->get_audit_events("key-2", 10, std::nullopt), IsEmpty());
}

TEST_P(StoreConformanceTest, ValidatesThePrincipalBeforeWriting) {
  EXPECT_THAT(
      [&] {
        store_->create_entity(entity("acme", std::nullopt, false, "", {}, "not a principal"),
                              now());
      },
      ThrowsWithField<InvalidIdentifierError>("principal"));
  EXPECT_EQ(store_->get_entity("acme"), std::nullopt);  // OQ-27
  EXPECT_THAT([&] { store_->set_limits("acme", "gpt-4", {rpm10_}, "bad principal", now()); },
              ThrowsWithField<InvalidIdentifierError>("principal"));
  EXPECT_THAT(store_->get_limits("acme", "gpt-4"), IsEmpty());
}

// ---- namespaces ---------------------------------------------------------------------------

TEST_P(StoreConformanceTest, NamespacesNeverSeeEachOther) {
  std::unique_ptr<Store> alpha = open_beside({.namespace_name = "alpha"});
  std::unique_ptr<Store> beta = open_beside({.namespace_name = "beta"});
  if (!alpha) {
    GTEST_SKIP() << GetParam().name << " cannot open a second store on the same storage";
  }
  EXPECT_EQ(alpha->namespace_name(), "alpha");
  EXPECT_EQ(beta->namespace_name(), "beta");

  alpha->create_entity(entity("acme"), now());
  alpha->set_limits("acme", "gpt-4", {rpm10_}, std::nullopt, now());
  alpha->set_resource_defaults("gpt-4", {rpm10_}, std::nullopt, now());
  alpha->set_system_defaults({.limits = {rpm10_}, .on_unavailable = OnUnavailable::kAllow},
                             std::nullopt, now());
  ASSERT_EQ(alpha->consume(request(target("acme", "gpt-4", {rpm10_}), {{"rpm", 10}}, now())).kind,
            ConsumeResult::Kind::kAdmitted);

  EXPECT_EQ(beta->get_entity("acme"), std::nullopt);
  EXPECT_THAT(beta->get_limits("acme", "gpt-4"), IsEmpty());
  EXPECT_THAT(beta->get_resource_defaults("gpt-4"), IsEmpty());
  EXPECT_EQ(beta->get_system_defaults(), SystemDefaults{});
  EXPECT_THAT(beta->list_resources_with_defaults(), IsEmpty());
  EXPECT_THAT(beta->list_resources_with_entity_configs(), IsEmpty());
  EXPECT_THAT(beta->get_audit_events("acme", 10, std::nullopt), IsEmpty());
  EXPECT_EQ(beta->get_bucket("acme", "gpt-4"), std::nullopt);
  EXPECT_EQ(store_->get_entity("acme"), std::nullopt);  // "default" is a namespace too

  // Same ids, separate state.
  const ConsumeResult fresh =
      beta->consume(request(target("acme", "gpt-4", {rpm10_}), {{"rpm", 1}}, now()));
  ASSERT_EQ(fresh.kind, ConsumeResult::Kind::kAdmitted);
  EXPECT_EQ(fresh.entries[0].tokens_milli, 9000);
  EXPECT_EQ(beta->delete_entity("acme", std::nullopt, now()), 1u);  // only beta's bucket
  EXPECT_EQ(tokens_of(alpha->get_bucket("acme", "gpt-4").value(), "rpm"), 0);

  // The namespace keeps its data across opens.
  alpha.reset();
  std::unique_ptr<Store> reopened = open_beside({.namespace_name = "alpha"});
  EXPECT_TRUE(reopened->get_entity("acme").has_value());
  EXPECT_THAT(reopened->get_limits("acme", "gpt-4"), ElementsAre(rpm10_));
}

// ---- provisioner state (spec/data-model.md §6.13) -------------------------------------------

TEST_P(StoreConformanceTest, ProvisionerStateIsAbsentUntilWritten) {
  EXPECT_EQ(store_->get_provisioner_state(), std::nullopt);
}

TEST_P(StoreConformanceTest, ProvisionerStateRoundTripsAndIsReplacedWhole) {
  const ProvisionerState first{
      .managed_system = true,
      .managed_resources = {"claude", "gpt-4"},
      .managed_entities = {{"user-1", {"_default_", "gpt-4"}}, {"user-2", {}}},
      .last_applied = "2026-02-19T12:34:56.789012+00:00",
      .applied_hash = "sha256:f177f2ceabe84734120748f283732cffa028c70e9b9c798567590272d6be6a42"};
  store_->put_provisioner_state(first);
  EXPECT_EQ(store_->get_provisioner_state(), first);

  const ProvisionerState second{.managed_system = false,
                                .managed_resources = {"gpt-4"},
                                .managed_entities = {},
                                .last_applied = "",
                                .applied_hash = "sha256:00"};
  store_->put_provisioner_state(second);
  EXPECT_EQ(store_->get_provisioner_state(), second);
}

TEST_P(StoreConformanceTest, ProvisionerStateIsPerNamespaceAndPersists) {
  std::unique_ptr<Store> alpha = open_beside({.namespace_name = "alpha"});
  if (!alpha) {
    GTEST_SKIP() << GetParam().name << " cannot open a second store on the same storage";
  }
  const ProvisionerState state{.managed_system = true,
                               .managed_resources = {"gpt-4"},
                               .managed_entities = {{"acme", {"gpt-4"}}},
                               .last_applied = "2026-02-19T12:34:56+00:00",
                               .applied_hash = "sha256:ab"};
  alpha->put_provisioner_state(state);
  EXPECT_EQ(store_->get_provisioner_state(), std::nullopt);
  alpha.reset();
  EXPECT_EQ(open_beside({.namespace_name = "alpha"})->get_provisioner_state(), state);
}

// ---- validation (OQ-11, OQ-12) -------------------------------------------------------------

TEST_P(StoreConformanceTest, ConsumeValidatesItsInput) {
  EXPECT_THAT(
      [&] {
        consume(target("", "gpt-4", {rpm10_}), {{"rpm", 1}});
      },
      ThrowsWithField<InvalidIdentifierError>("entity_id"));
  EXPECT_THAT(
      [&] {
        consume(target("key#1", "gpt-4", {rpm10_}), {{"rpm", 1}});
      },
      ThrowsWithField<InvalidIdentifierError>("entity_id"));
  EXPECT_THAT(
      [&] {
        consume(target("key-1", "_default_", {rpm10_}), {{"rpm", 1}});
      },
      ThrowsWithField<InvalidNameError>("resource"));
  EXPECT_THAT(
      [&] {
        consume(target("key-1", "gpt-4", {rpm10_}), {{"rpm", 1}},
                target("bad parent", "gpt-4", {rpm10_}));
      },
      ThrowsWithField<InvalidIdentifierError>("parent_id"));
  EXPECT_THAT(
      [&] {
        consume(target("key-1", "gpt-4", {rpm10_}), {{"rpm", -1}});
      },
      ThrowsWithField<ValidationError>("consume"));
  EXPECT_THAT(
      [&] {
        consume(target("key-1", "gpt-4", {rpm10_}), {{"rpm", 1}, {"rpm", 1}});
      },
      ThrowsWithField<ValidationError>("consume"));
  EXPECT_THAT(
      [&] {
        consume(target("key-1", "gpt-4", {rpm10_, rpm10_}), {{"rpm", 1}});
      },
      ThrowsWithField<ValidationError>("limits"));
  EXPECT_THAT(
      [&] {
        consume(target("key-1", "gpt-4", {rpm10_}), {{"tpm", 5}});
      },
      Throws<ValidationError>(AllOf(Property(&ValidationError::field, "consume"),
                                    Property(&ValidationError::value, "tpm"),
                                    Property(&ValidationError::reason, HasSubstr("tpm")))));
  EXPECT_EQ(store_->get_bucket("key-1", "gpt-4"), std::nullopt);
}

TEST_P(StoreConformanceTest, OtherCallsValidateIdsAndResources) {
  EXPECT_THAT([&] { store_->get_entity("bad id"); },
              ThrowsWithField<InvalidIdentifierError>("entity_id"));
  EXPECT_THAT([&] { store_->create_entity(entity("ok", "-bad"), now()); },
              ThrowsWithField<InvalidIdentifierError>("parent_id"));
  EXPECT_THAT([&] { store_->get_children(""); },
              ThrowsWithField<InvalidIdentifierError>("parent_id"));
  EXPECT_THAT([&] { store_->delete_entity("a#b", std::nullopt, now()); },
              ThrowsWithField<InvalidIdentifierError>("entity_id"));
  EXPECT_THAT([&] { store_->set_limits("key-1", "9lives", {rpm10_}, std::nullopt, now()); },
              ThrowsWithField<InvalidNameError>("resource"));
  EXPECT_THAT([&] { store_->get_limits("bad id", "gpt-4"); },
              ThrowsWithField<InvalidIdentifierError>("entity_id"));
  EXPECT_THAT([&] { store_->set_resource_defaults("_default_", {rpm10_}, std::nullopt, now()); },
              ThrowsWithField<InvalidNameError>("resource"));
  EXPECT_THAT([&] { store_->get_bucket("key-1", ""); },
              ThrowsWithField<InvalidNameError>("resource"));
  EXPECT_THAT([&] { store_->read_config_levels({.entity_id = "key 1", .resource = "gpt-4"}); },
              ThrowsWithField<InvalidIdentifierError>("entity_id"));
  EXPECT_THAT([&] { store_->get_audit_events("key-1", 10, "not-a-ulid"); },
              ThrowsWithField<ValidationError>("start_event_id"));
  const BucketDelta bad{.entity_id = "key 1", .resource = "api", .tokens_milli = {{"rpm", 1}}};
  EXPECT_THAT(
      [&] {
        store_->apply_deltas({&bad, 1}, now());
      },
      ThrowsWithField<InvalidIdentifierError>("entity_id"));
}

// ---- usage snapshots (US-1..US-3) -------------------------------------------------------------
// The query contract every backend shares. SQLite records usage itself; DynamoDB only reads
// what an aggregator wrote (tests/integration/dynamodb_store/usage_query_test.cc), so the
// data-dependent tests here state invariants that hold with and without snapshots.

UsageQuery usage_query(std::optional<std::string> entity_id, std::optional<std::string> resource,
                       std::size_t limit = 100) {
  return UsageQuery{.entity_id = std::move(entity_id),
                    .resource = std::move(resource),
                    .window = std::nullopt,
                    .start = std::nullopt,
                    .end = std::nullopt,
                    .limit = limit,
                    .next_key = std::nullopt};
}

TEST_P(StoreConformanceTest, UsageQueryNeedsEntityOrResource) {
  EXPECT_THAT([&] { store_->get_usage_snapshots(usage_query(std::nullopt, std::nullopt)); },
              ThrowsWithField<ValidationError>("entity_id,resource"));
  EXPECT_THAT([&] { summarize_usage(*store_, usage_query(std::nullopt, std::nullopt)); },
              ThrowsWithField<ValidationError>("entity_id,resource"));
}

TEST_P(StoreConformanceTest, UsageQueryRejectsInvalidInput) {
  const auto with = [](auto change) {
    UsageQuery query = usage_query("key-1", std::nullopt);
    change(query);
    return query;
  };
  EXPECT_THAT([&] { store_->get_usage_snapshots(usage_query("key 1", std::nullopt)); },
              ThrowsWithField<InvalidIdentifierError>("entity_id"));
  EXPECT_THAT([&] { store_->get_usage_snapshots(usage_query(std::nullopt, "9bad")); },
              ThrowsWithField<InvalidNameError>("resource"));
  EXPECT_THAT([&] { store_->get_usage_snapshots(with([](auto& q) { q.window = "weekly"; })); },
              ThrowsWithField<ValidationError>("window"));
  EXPECT_THAT([&] { store_->get_usage_snapshots(with([](auto& q) { q.start = "yesterday"; })); },
              ThrowsWithField<ValidationError>("start"));
  EXPECT_THAT(
      [&] { store_->get_usage_snapshots(with([](auto& q) { q.end = "2100-01-01T00:00:00"; })); },
      ThrowsWithField<ValidationError>("end"));
  EXPECT_THAT(
      [&] {
        store_->get_usage_snapshots(with([](auto& q) {
          q.start = "2100-01-02T00:00:00Z";
          q.end = "2100-01-01T00:00:00Z";
        }));
      },
      ThrowsWithField<ValidationError>("start"));
  EXPECT_THAT([&] { store_->get_usage_snapshots(with([](auto& q) { q.limit = 0; })); },
              ThrowsWithField<ValidationError>("limit"));
  EXPECT_THAT([&] { store_->get_usage_snapshots(with([](auto& q) { q.limit = 10'001; })); },
              ThrowsWithField<ValidationError>("limit"));
  for (const char* token : {"not a token", "AAAA", "dTE", "x"}) {
    EXPECT_THAT([&] { store_->get_usage_snapshots(with([&](auto& q) { q.next_key = token; })); },
                ThrowsWithField<ValidationError>("next_key"))
        << token;
  }
}

TEST_P(StoreConformanceTest, UsageQueryOfUnknownEntityOrResourceIsEmpty) {
  for (const UsageQuery& query :
       {usage_query("nobody", std::nullopt), usage_query("nobody", "gpt-4"),
        usage_query(std::nullopt, "nothing")}) {
    const UsagePage page = store_->get_usage_snapshots(query);
    EXPECT_THAT(page.snapshots, IsEmpty());
    EXPECT_FALSE(page.next_key.has_value());
    const UsageSummary summary = summarize_usage(*store_, query);
    EXPECT_EQ(summary.snapshot_count, 0u);
    EXPECT_THAT(summary.total, IsEmpty());
    EXPECT_FALSE(summary.min_window_start.has_value());
  }
}

// Pages of every size visit the same snapshots as one large page, in the same (descending)
// order, and a page's next_key does not continue another query.
TEST_P(StoreConformanceTest, UsagePagesVisitEverySnapshotOnceInDescendingOrder) {
  for (const char* resource : {"gpt-4", "gpt-4o", "embed"}) {
    ASSERT_EQ(
        consume(target("key-1", resource, {rpm10_, tpm1000_}), {{"rpm", 1}, {"tpm", 100}}).kind,
        ConsumeResult::Kind::kAdmitted);
    ASSERT_EQ(consume(target("key-2", resource, {rpm10_}), {{"rpm", 2}}).kind,
              ConsumeResult::Kind::kAdmitted);
  }
  advance(1h);
  ASSERT_EQ(consume(target("key-1", "gpt-4", {rpm10_, tpm1000_}), {{"rpm", 1}, {"tpm", 5}}).kind,
            ConsumeResult::Kind::kAdmitted);

  const auto key_of = [](const UsageSnapshot& s) {
    return s.entity_id + "|" + s.resource + "|" + s.window + "|" + s.window_start;
  };
  for (const UsageQuery& base : {usage_query("key-1", std::nullopt), usage_query("key-1", "gpt-4"),
                                 usage_query(std::nullopt, "gpt-4")}) {
    UsageQuery all = base;
    all.limit = 1000;
    const UsagePage whole = store_->get_usage_snapshots(all);
    ASSERT_FALSE(whole.next_key.has_value());
    std::vector<std::string> expected;
    for (const UsageSnapshot& s : whole.snapshots) {
      expected.push_back(key_of(s));
      EXPECT_FALSE(s.window_end.empty());
      EXPECT_GE(s.window_end, s.window_start);
    }
    // Entity mode descends by resource, then window start; resource mode by window start.
    for (std::size_t i = 1; i < whole.snapshots.size(); ++i) {
      const UsageSnapshot& a = whole.snapshots[i - 1];
      const UsageSnapshot& b = whole.snapshots[i];
      if (base.entity_id) {
        EXPECT_GE(a.resource, b.resource);
        if (a.resource == b.resource) {
          EXPECT_GE(a.window_start, b.window_start);
        }
      } else {
        EXPECT_GE(a.window_start, b.window_start);
      }
    }
    for (std::size_t size : {1u, 2u, 5u}) {
      UsageQuery query = base;
      query.limit = size;
      std::vector<std::string> seen;
      for (int pages = 0; pages < 100; ++pages) {
        const UsagePage page = store_->get_usage_snapshots(query);
        EXPECT_LE(page.snapshots.size(), size);
        for (const UsageSnapshot& s : page.snapshots) {
          seen.push_back(key_of(s));
        }
        if (!page.next_key) {
          break;
        }
        // Another entity's or resource's query refuses this page's key.
        UsageQuery other = base.entity_id ? usage_query("key-2", base.resource, size)
                                          : usage_query(std::nullopt, "embed", size);
        other.next_key = page.next_key;
        EXPECT_THAT([&] { store_->get_usage_snapshots(other); },
                    ThrowsWithField<ValidationError>("next_key"));
        query.next_key = page.next_key;
      }
      EXPECT_EQ(seen, expected) << "page size " << size;
    }
    EXPECT_EQ(summarize_usage(*store_, base).snapshot_count, whole.snapshots.size());
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest, ::testing::ValuesIn(all_backends()),
                         label);

}  // namespace
}  // namespace zae::test
