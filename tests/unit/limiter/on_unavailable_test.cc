// SPDX-License-Identifier: MIT
// The acquire guard and on_unavailable resolution (spec/behavior.md §3.2 ACQ-5, §3.3, §3.10),
// with the initial write inside the guard (OQ-7).
#include <chrono>
#include <stdexcept>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zae/rate_limiter.h"

#include "unit/limiter/limiter_fixture.h"

namespace zae::test {
namespace {

using ::testing::AllOf;
using ::testing::IsEmpty;
using ::testing::Property;
using ::testing::Throws;

class OnUnavailableTest : public LimiterTest {
 protected:
  OnUnavailableTest() { limiter().set_limits("key", {Limit::per_minute("rpm", 1)}, "gpt"); }
  static AcquireRequest with_mode(std::optional<OnUnavailable> mode) {
    AcquireRequest acquire = request("key", "gpt", {{"rpm", 1}});
    acquire.on_unavailable = mode;
    return acquire;
  }
  void set_stored(std::optional<OnUnavailable> mode) {
    limiter().set_system_defaults(SystemDefaults{.limits = {}, .on_unavailable = mode});
  }
  bool admitted_as_noop(std::optional<OnUnavailable> mode = std::nullopt) {
    return limiter().acquire(with_mode(mode)).is_noop();
  }
};

TEST_F(OnUnavailableTest, PerCallAllowReturnsANoopLease) {
  store().fail_all();
  Lease lease = limiter().acquire(with_mode(OnUnavailable::kAllow));
  EXPECT_TRUE(lease.is_noop());
  EXPECT_THAT(lease.entries(), IsEmpty());
  EXPECT_THAT(lease.consumed(), IsEmpty());
  // LS-8: does nothing and never expires.
  lease.consume({{"rpm", 5}});
  lease.adjust({{"rpm", 5}});
  lease.commit();
  EXPECT_TRUE(lease.is_active());
  EXPECT_NO_THROW(lease.adjust({{"rpm", 1}}));
  lease.rollback();
}

TEST_F(OnUnavailableTest, PerCallBlockThrowsRateLimiterUnavailable) {
  limiter().acquire(request("key", "gpt", {{"rpm", 0}})).commit();  // warm the caches
  store().fail("consume");
  try {
    limiter().acquire(with_mode(OnUnavailable::kBlock));
    FAIL() << "expected RateLimiterUnavailable";
  } catch (const RateLimiterUnavailable& e) {
    EXPECT_EQ(e.cause(), "injected failure: consume");
    EXPECT_EQ(e.stack_name(), store().describe());
    EXPECT_EQ(e.entity_id(), "key");
    EXPECT_EQ(e.resource(), "gpt");
    // EX-1.
    EXPECT_EQ(std::string(e.what()), "injected failure: consume [stack=" + store().describe() +
                                         ", entity=key, resource=gpt]");
  }
}

TEST_F(OnUnavailableTest, PerCallValueWinsOverTheStoredOne) {
  set_stored(OnUnavailable::kBlock);
  store().fail("consume");
  EXPECT_TRUE(admitted_as_noop(OnUnavailable::kAllow));
  set_stored(OnUnavailable::kAllow);
  EXPECT_THROW(admitted_as_noop(OnUnavailable::kBlock), RateLimiterUnavailable);
}

TEST_F(OnUnavailableTest, StoredValueIsReadWhenTheStoreFails) {
  set_stored(OnUnavailable::kAllow);
  store().fail("consume");
  EXPECT_TRUE(admitted_as_noop());
  set_stored(OnUnavailable::kBlock);
  EXPECT_THROW(admitted_as_noop(), RateLimiterUnavailable);
}

TEST_F(OnUnavailableTest, StoredValueWinsOverTheSeed) {
  make_limiter(with_fallback(OnUnavailable::kAllow));
  set_stored(OnUnavailable::kBlock);
  store().fail("consume");
  EXPECT_THROW(admitted_as_noop(), RateLimiterUnavailable);
}

TEST_F(OnUnavailableTest, SeedIsTheFallbackWhenNothingCanBeRead) {
  make_limiter(with_fallback(OnUnavailable::kAllow));
  store().fail_all();
  EXPECT_TRUE(admitted_as_noop());
}

TEST_F(OnUnavailableTest, SeedIsTheFallbackWhenTheSystemLevelHasNoValue) {
  make_limiter(with_fallback(OnUnavailable::kAllow));
  store().fail("consume");
  EXPECT_TRUE(admitted_as_noop());  // OU-3
}

TEST_F(OnUnavailableTest, DefaultIsBlock) {
  store().fail_all();
  EXPECT_THROW(admitted_as_noop(), RateLimiterUnavailable);
}

TEST_F(OnUnavailableTest, LastReadValueIsRememberedForAFullOutage) {
  set_stored(OnUnavailable::kAllow);
  limiter().acquire(request("key", "gpt", {{"rpm", 0}})).commit();   // reads the system level
  clock_.advance(LimiterTest::kTtl + std::chrono::milliseconds(1));  // cache expired
  store().fail_all();
  EXPECT_TRUE(admitted_as_noop());  // OU-2, OU-4
}

TEST_F(OnUnavailableTest, InvalidateForgetsTheRememberedValueButKeepsTheSeed) {
  set_stored(OnUnavailable::kAllow);
  limiter().acquire(request("key", "gpt", {{"rpm", 0}})).commit();
  limiter().invalidate_config_cache();
  store().fail_all();
  EXPECT_THROW(admitted_as_noop(), RateLimiterUnavailable);

  store().heal();
  make_limiter(with_fallback(OnUnavailable::kAllow));
  set_stored(OnUnavailable::kBlock);
  limiter().acquire(request("key", "gpt", {{"rpm", 0}})).commit();
  limiter().invalidate_config_cache();
  store().fail_all();
  EXPECT_TRUE(admitted_as_noop());
}

TEST_F(OnUnavailableTest, LocalSystemWriteResetsTheRememberedValue) {
  set_stored(OnUnavailable::kAllow);
  limiter().acquire(request("key", "gpt", {{"rpm", 0}})).commit();
  limiter().delete_system_defaults();  // OQ-48: no stale fallback
  store().fail_all();
  EXPECT_THROW(admitted_as_noop(), RateLimiterUnavailable);
}

TEST_F(OnUnavailableTest, ResolutionFailuresAreGuardedToo) {
  store().fail("read_config_levels");
  EXPECT_TRUE(admitted_as_noop(OnUnavailable::kAllow));
  store().heal();
  store().fail("get_entity");
  EXPECT_TRUE(admitted_as_noop(OnUnavailable::kAllow));
}

TEST_F(OnUnavailableTest, NonLibraryExceptionsAreGuardedToo) {
  store().fail("consume", -1, FaultyStore::Fault::kOther);
  EXPECT_TRUE(admitted_as_noop(OnUnavailable::kAllow));
  EXPECT_THAT([&] { admitted_as_noop(OnUnavailable::kBlock); },
              Throws<RateLimiterUnavailable>(
                  Property(&RateLimiterUnavailable::cause, "injected failure: consume")));
}

TEST_F(OnUnavailableTest, RateLimitExceededAndValidationErrorsAreNotGuarded) {
  limiter().acquire(with_mode(OnUnavailable::kAllow));
  EXPECT_THROW(limiter().acquire(with_mode(OnUnavailable::kAllow)), RateLimitExceeded);
  AcquireRequest unknown = with_mode(OnUnavailable::kAllow);
  unknown.consume = {{"tpm", 1}};
  EXPECT_THROW(limiter().acquire(unknown), ValidationError);
  AcquireRequest unconfigured = with_mode(OnUnavailable::kAllow);
  unconfigured.entity_id = "nobody";
  EXPECT_THAT([&] { limiter().acquire(unconfigured); },
              Throws<ValidationError>(AllOf(Property(&ValidationError::field, "limits"))));
}

TEST_F(OnUnavailableTest, RecoversOnceTheStoreIsBack) {
  store().fail_all();
  EXPECT_TRUE(admitted_as_noop(OnUnavailable::kAllow));
  store().heal();
  EXPECT_FALSE(admitted_as_noop(OnUnavailable::kAllow));
  EXPECT_EQ(available("key", "gpt", "rpm"), 0);
}

}  // namespace
}  // namespace zae::test
