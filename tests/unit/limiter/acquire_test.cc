// SPDX-License-Identifier: MIT
// RateLimiter::acquire (spec/behavior.md §3), cascade (§6), capacity queries (§14) and the
// validation of every public input before I/O (OQ-11, OQ-12).
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zae/rate_limiter.h"

#include "unit/limiter/limiter_fixture.h"

namespace zae::test {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::Property;
using ::testing::Throws;

using std::chrono::milliseconds;

class AcquireTest : public LimiterTest {};

TEST_F(AcquireTest, AdmitsUpToCapacityThenRejectsWithEveryStatus) {
  limiter().set_limits("key", {Limit::per_minute("rpm", 3), Limit::per_minute("tpm", 1000)}, "gpt");
  for (int i = 0; i < 3; ++i) {
    limiter().acquire(request("key", "gpt", {{"rpm", 1}, {"tpm", 100}})).commit();
  }
  try {
    limiter().acquire(request("key", "gpt", {{"rpm", 1}, {"tpm", 100}}));
    FAIL() << "expected RateLimitExceeded";
  } catch (const RateLimitExceeded& e) {
    ASSERT_EQ(e.statuses().size(), 2U);
    EXPECT_EQ(e.statuses()[0].limit_name, "rpm");
    EXPECT_TRUE(e.statuses()[0].exceeded);
    EXPECT_EQ(e.statuses()[0].available, 0);
    EXPECT_EQ(e.statuses()[0].requested, 1);
    EXPECT_EQ(e.statuses()[1].limit_name, "tpm");
    EXPECT_FALSE(e.statuses()[1].exceeded);
    EXPECT_EQ(e.statuses()[1].available, 700);
    ASSERT_EQ(e.violations().size(), 1U);
    // One token of a 3/min limit refills in floor(1000·60000/3000) + 1 ms (B-13).
    EXPECT_EQ(e.retry_after(), milliseconds(20001));
  }
  // Nothing was consumed by the rejected request.
  EXPECT_EQ(available("key", "gpt", "tpm"), 700);
}

TEST_F(AcquireTest, SucceedsAgainAfterRetryAfter) {
  limiter().set_limits("key", {Limit::per_minute("rpm", 3)}, "gpt");
  for (int i = 0; i < 3; ++i) {
    limiter().acquire(request("key", "gpt", {{"rpm", 1}}));
  }
  milliseconds retry_after{0};
  try {
    limiter().acquire(request("key", "gpt", {{"rpm", 1}}));
  } catch (const RateLimitExceeded& e) {
    retry_after = e.retry_after();
  }
  ASSERT_GT(retry_after.count(), 0);
  // retry_after is floor(...) + 1 ms, so the token is complete 1 ms before it (B-13).
  clock_.advance(retry_after - milliseconds(2));
  EXPECT_THROW(limiter().acquire(request("key", "gpt", {{"rpm", 1}})), RateLimitExceeded);
  clock_.advance(milliseconds(2));
  EXPECT_NO_THROW(limiter().acquire(request("key", "gpt", {{"rpm", 1}})));
}

TEST_F(AcquireTest, EnforcesEveryLimitOfARequest) {
  limiter().set_limits("key", {Limit::per_minute("rpm", 100), Limit::per_minute("tpm", 1000)},
                       "gpt");
  limiter().acquire(request("key", "gpt", {{"rpm", 1}, {"tpm", 500}}));
  limiter().acquire(request("key", "gpt", {{"rpm", 1}, {"tpm", 500}}));
  try {
    limiter().acquire(request("key", "gpt", {{"rpm", 1}, {"tpm", 1}}));
    FAIL() << "expected RateLimitExceeded";
  } catch (const RateLimitExceeded& e) {
    ASSERT_EQ(e.violations().size(), 1U);
    EXPECT_EQ(e.primary_violation().limit_name, "tpm");
  }
  EXPECT_EQ(available("key", "gpt", "rpm"), 98);
}

TEST_F(AcquireTest, LeaseHoldsEveryLimitIncludingThoseNotConsumed) {
  limiter().set_limits("key", {Limit::per_minute("rpm", 10), Limit::per_minute("tpm", 1000)},
                       "gpt");
  Lease lease = limiter().acquire(request("key", "gpt", {{"rpm", 1}}));
  ASSERT_EQ(lease.entries().size(), 2U);  // OQ-14
  EXPECT_THAT(lease.consumed(), ElementsAre(Pair("rpm", 1), Pair("tpm", 0)));
  for (const LeaseEntry& entry : lease.entries()) {
    EXPECT_EQ(entry.initial, entry.consumed);
  }
}

TEST_F(AcquireTest, WorksWithoutAnEntityRecord) {
  limiter().set_resource_defaults("gpt", {Limit::per_minute("rpm", 2)});
  Lease lease = limiter().acquire(request("nobody", "gpt", {{"rpm", 1}}));
  EXPECT_EQ(lease.entries().size(), 1U);
  EXPECT_EQ(available("nobody", "gpt", "rpm"), 1);
}

TEST_F(AcquireTest, EmptyConsumeCreatesALeaseForLaterUse) {
  limiter().set_limits("key", {Limit::per_minute("tpm", 100)}, "gpt");
  Lease lease = limiter().acquire(request("key", "gpt", {}));
  lease.consume({{"tpm", 40}});
  lease.commit();
  EXPECT_EQ(available("key", "gpt", "tpm"), 60);
}

TEST_F(AcquireTest, ConcurrentAcquiresNeverOverAdmit) {
  limiter().set_limits("key", {Limit::per_day("rpd", 100)}, "gpt");
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 40; ++i) {
        try {
          limiter().acquire(request("key", "gpt", {{"rpd", 1}})).commit();
          ++admitted;
        } catch (const RateLimitExceeded&) {
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(admitted.load(), 100);
  EXPECT_EQ(available("key", "gpt", "rpd"), 0);
}

// ---- cascade ---------------------------------------------------------------------------------

class CascadeTest : public LimiterTest {
 protected:
  CascadeTest() {
    limiter().create_entity(entity("proj"));
    limiter().create_entity(child("key", "proj", Cascade::kYes));
  }
};

TEST_F(CascadeTest, ConsumesFromChildAndParent) {
  limiter().set_limits("proj", {Limit::per_minute("rpm", 100)}, "gpt");
  limiter().set_limits("key", {Limit::per_minute("rpm", 10)}, "gpt");
  Lease lease = limiter().acquire(request("key", "gpt", {{"rpm", 1}}));
  ASSERT_EQ(lease.entries().size(), 2U);
  EXPECT_EQ(lease.entries()[0].entity_id, "key");
  EXPECT_EQ(lease.entries()[1].entity_id, "proj");
  EXPECT_THAT(lease.consumed(), ElementsAre(Pair("rpm", 2)));  // LS-2
  lease.commit();
  EXPECT_EQ(available("key", "gpt", "rpm"), 9);
  EXPECT_EQ(available("proj", "gpt", "rpm"), 99);
}

TEST_F(CascadeTest, RejectsWhenTheParentIsShortAndConsumesNothing) {
  limiter().set_limits("proj", {Limit::per_minute("rpm", 1)}, "gpt");
  limiter().set_limits("key", {Limit::per_minute("rpm", 10)}, "gpt");
  limiter().acquire(request("key", "gpt", {{"rpm", 1}}));
  try {
    limiter().acquire(request("key", "gpt", {{"rpm", 1}}));
    FAIL() << "expected RateLimitExceeded";
  } catch (const RateLimitExceeded& e) {
    ASSERT_EQ(e.statuses().size(), 2U);  // child first, then parent (RLE-6)
    EXPECT_EQ(e.statuses()[0].entity_id, "key");
    EXPECT_FALSE(e.statuses()[0].exceeded);
    EXPECT_EQ(e.primary_violation().entity_id, "proj");
  }
  EXPECT_EQ(available("key", "gpt", "rpm"), 9);
}

TEST_F(CascadeTest, NameKnownOnlyToTheParentIsAccepted) {
  limiter().set_limits("proj", {Limit::per_minute("rpm", 10), Limit::per_minute("tpm", 100)},
                       "gpt");
  limiter().set_limits("key", {Limit::per_minute("rpm", 10)}, "gpt");
  limiter().acquire(request("key", "gpt", {{"rpm", 1}, {"tpm", 30}})).commit();
  EXPECT_EQ(available("proj", "gpt", "tpm"), 70);
}

TEST_F(CascadeTest, RefreshesAStaleHierarchyWhenTheStoreDisagrees) {
  limiter().set_limits("proj", {Limit::per_minute("rpm", 100)}, "gpt");
  limiter().set_limits("other", {Limit::per_minute("rpm", 10)}, "gpt");
  // The limiter learns "no such entity, no cascade" ...
  limiter().acquire(request("other", "gpt", {{"rpm", 1}})).commit();
  EXPECT_EQ(available("proj", "gpt", "rpm"), 100);
  // ... then the entity is created with cascade behind its back.
  store().inner().create_entity(child("other", "proj", Cascade::kYes), clock_.now());
  store().reset_counts();
  Lease lease = limiter().acquire(request("other", "gpt", {{"rpm", 1}}));
  EXPECT_EQ(store().calls("consume"), 2U);  // kCascadeMismatch, then the corrected request
  EXPECT_EQ(store().calls("get_entity"), 0U);
  EXPECT_EQ(lease.entries().size(), 2U);
  lease.commit();
  EXPECT_EQ(available("proj", "gpt", "rpm"), 99);
  // The refreshed hierarchy is cached: one round trip again.
  store().reset_counts();
  limiter().acquire(request("other", "gpt", {{"rpm", 1}})).commit();
  EXPECT_EQ(store().calls("consume"), 1U);
}

TEST_F(CascadeTest, GivesUpAfterTwoHierarchyRetries) {
  limiter().set_limits("key", {Limit::per_minute("rpm", 10)}, "gpt");
  limiter().set_limits("proj", {Limit::per_minute("rpm", 10)}, "gpt");
  store().intercept_consume([](const ConsumeRequest& request) {
    ConsumeResult result;
    result.kind = ConsumeResult::Kind::kCascadeMismatch;
    // Always claim the opposite of what was asked.
    if (!request.parent.has_value()) {
      result.actual_parent = "proj";
    }
    return std::optional<ConsumeResult>(result);
  });
  store().reset_counts();
  EXPECT_THAT(
      [&] {
        limiter().acquire(request("key", "gpt", {{"rpm", 1}}));
      },
      Throws<RateLimiterUnavailable>(
          Property(&RateLimiterUnavailable::cause, HasSubstr("kept changing"))));
  EXPECT_EQ(store().calls("consume"), 3U);
}

TEST_F(CascadeTest, GetEntityRefreshesTheHierarchy) {
  limiter().set_limits("proj", {Limit::per_minute("rpm", 100)}, "gpt");
  limiter().set_limits("other", {Limit::per_minute("rpm", 10)}, "gpt");
  limiter().acquire(request("other", "gpt", {{"rpm", 1}})).commit();
  store().inner().create_entity(child("other", "proj", Cascade::kYes), clock_.now());
  ASSERT_TRUE(limiter().get_entity("other").has_value());  // EN-8
  store().reset_counts();
  limiter().acquire(request("other", "gpt", {{"rpm", 1}})).commit();
  EXPECT_EQ(store().calls("consume"), 1U);
  EXPECT_EQ(available("proj", "gpt", "rpm"), 99);
}

TEST_F(CascadeTest, ChildWithoutCascadeDoesNotTouchTheParent) {
  limiter().create_entity(child("plain", "proj", Cascade::kNo));
  limiter().set_limits("proj", {Limit::per_minute("rpm", 100)}, "gpt");
  limiter().set_limits("plain", {Limit::per_minute("rpm", 10)}, "gpt");
  Lease lease = limiter().acquire(request("plain", "gpt", {{"rpm", 1}}));
  EXPECT_EQ(lease.entries().size(), 1U);
  EXPECT_EQ(available("proj", "gpt", "rpm"), 100);
}

// ---- validation before I/O -------------------------------------------------------------------

class AcquireValidationTest : public LimiterTest {
 protected:
  AcquireValidationTest() {
    limiter().set_limits("key", {Limit::per_minute("rpm", 10)}, "gpt");
    store().reset_counts();
  }
  void expect_no_io() { EXPECT_EQ(store().total_calls(), 0U); }
};

TEST_F(AcquireValidationTest, InvalidEntityId) {
  EXPECT_THAT(
      [&] {
        limiter().acquire(request("bad#id", "gpt", {{"rpm", 1}}));
      },
      Throws<InvalidIdentifierError>(Property(&ValidationError::field, "entity_id")));
  EXPECT_THAT(
      [&] {
        limiter().acquire(request("", "gpt", {{"rpm", 1}}));
      },
      Throws<InvalidIdentifierError>(Property(&ValidationError::field, "entity_id")));
  expect_no_io();
}

TEST_F(AcquireValidationTest, InvalidResource) {
  EXPECT_THAT(
      [&] {
        limiter().acquire(request("key", "9gpt", {{"rpm", 1}}));
      },
      Throws<InvalidNameError>(Property(&ValidationError::field, "resource")));
  expect_no_io();
}

TEST_F(AcquireValidationTest, NegativeAmountNamesTheLimit) {
  EXPECT_THAT(
      [&] {
        limiter().acquire(request("key", "gpt", {{"rpm", -1}}));
      },
      Throws<ValidationError>(
          AllOf(Property(&ValidationError::field, "consume"),
                Property(&ValidationError::reason, HasSubstr("'rpm'")),
                Property(&ValidationError::reason, HasSubstr("must not be negative")))));
  expect_no_io();
}

TEST_F(AcquireValidationTest, DuplicateAndOversizedAmounts) {
  EXPECT_THAT(
      [&] {
        limiter().acquire(request("key", "gpt", {{"rpm", 1}, {"rpm", 1}}));
      },
      Throws<ValidationError>(Property(&ValidationError::field, "consume")));
  EXPECT_THAT(
      [&] {
        limiter().acquire(request("key", "gpt", {{"rpm", kMaxLimitTokens + 1}}));
      },
      Throws<ValidationError>(Property(&ValidationError::field, "consume")));
  EXPECT_THAT(
      [&] {
        limiter().acquire(request("key", "gpt", {{"wcu", 1}}));
      },
      Throws<InvalidNameError>(Property(&ValidationError::field, "consume")));
  expect_no_io();
}

TEST_F(AcquireValidationTest, DuplicateInALongList) {
  Amounts amounts;
  for (int i = 0; i < 20; ++i) {
    amounts.emplace_back("l" + std::to_string(i), 1);
  }
  amounts.emplace_back("l7", 1);
  EXPECT_THAT([&] { limiter().acquire(request("key", "gpt", amounts)); },
              Throws<ValidationError>(AllOf(Property(&ValidationError::field, "consume"),
                                            Property(&ValidationError::value, "l7"))));
  expect_no_io();
}

TEST_F(AcquireValidationTest, DuplicateOverrideLimits) {
  const std::vector<Limit> twice = {Limit::per_minute("rpm", 1), Limit::per_minute("rpm", 2)};
  EXPECT_THAT(
      [&] {
        limiter().acquire(request("key", "gpt", {{"rpm", 1}}, twice));
      },
      Throws<ValidationError>(Property(&ValidationError::field, "limits")));
  expect_no_io();
}

TEST_F(AcquireValidationTest, UnknownLimitNameIsRejectedAndNothingIsConsumed) {
  EXPECT_THAT(
      [&] {
        limiter().acquire(request("key", "gpt", {{"rpm", 1}, {"tpm", 5}}));
      },
      Throws<ValidationError>(AllOf(Property(&ValidationError::field, "consume"),
                                    Property(&ValidationError::value, "tpm"))));
  EXPECT_EQ(store().calls("consume"), 0U);
  EXPECT_EQ(available("key", "gpt", "rpm"), 10);
}

TEST_F(AcquireValidationTest, ManagementInputsAreValidatedBeforeIo) {
  EXPECT_THAT([&] { limiter().set_limits("bad id", {Limit::per_minute("rpm", 1)}); },
              Throws<InvalidIdentifierError>(Property(&ValidationError::field, "entity_id")));
  EXPECT_THAT([&] { limiter().set_limits("key", {Limit::per_minute("rpm", 1)}, "bad resource"); },
              Throws<InvalidNameError>(Property(&ValidationError::field, "resource")));
  EXPECT_THAT(
      [&] {
        limiter().set_limits("key", {Limit::per_minute("rpm", 1), Limit::per_minute("rpm", 2)});
      },
      Throws<ValidationError>(Property(&ValidationError::field, "limits")));
  EXPECT_THROW(limiter().get_limits("bad id"), InvalidIdentifierError);
  EXPECT_THROW(limiter().delete_limits("bad id"), InvalidIdentifierError);
  EXPECT_THROW(limiter().get_entity("bad id"), InvalidIdentifierError);
  EXPECT_THROW(limiter().delete_entity("bad id"), InvalidIdentifierError);
  EXPECT_THROW(limiter().get_children("bad id"), InvalidIdentifierError);
  EXPECT_THROW(limiter().create_entity(entity("bad id")), InvalidIdentifierError);
  EXPECT_THAT([&] { limiter().create_entity(child("ok", "bad id", Cascade::kNo)); },
              Throws<InvalidIdentifierError>(Property(&ValidationError::field, "parent_id")));
  EXPECT_THROW(limiter().set_resource_defaults("_default_", {Limit::per_minute("rpm", 1)}),
               InvalidNameError);
  EXPECT_THROW(limiter().available("bad id", "gpt"), InvalidIdentifierError);
  EXPECT_THROW(limiter().time_until_available("key", "gpt", {{"rpm", -1}}), ValidationError);
  expect_no_io();
}

// ---- management pass-through -----------------------------------------------------------------

TEST_F(AcquireTest, StoredLimitsRoundTripThroughTheLimiter) {
  const std::vector<Limit> limits = {Limit::per_minute("rpm", 10), Limit::per_hour("tph", 500)};
  limiter().set_limits("key", limits, "gpt", "alice");
  EXPECT_EQ(limiter().get_limits("key", "gpt"), limits);
  EXPECT_TRUE(limiter().get_limits("key").empty());
  limiter().set_resource_defaults("gpt", limits);
  EXPECT_EQ(limiter().get_resource_defaults("gpt"), limits);
  EXPECT_THAT(limiter().list_resources_with_defaults(), ElementsAre("gpt"));
  const SystemDefaults system{.limits = limits, .on_unavailable = OnUnavailable::kAllow};
  limiter().set_system_defaults(system);
  EXPECT_EQ(limiter().get_system_defaults(), system);
  const std::vector<AuditEvent> events = store().inner().get_audit_events("key", 10, std::nullopt);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().principal, "alice");
}

TEST_F(AcquireTest, EntitiesRoundTripThroughTheLimiter) {
  const Entity proj = limiter().create_entity(entity("proj"));
  EXPECT_EQ(proj.name, "proj");
  limiter().create_entity(child("key", "proj", Cascade::kYes));
  EXPECT_THAT(limiter().get_children("proj"), ElementsAre(Field(&Entity::id, "key")));
  EXPECT_THROW(limiter().create_entity(entity("proj")), EntityExistsError);
  EXPECT_GT(limiter().delete_entity("key"), 0U);
  EXPECT_FALSE(limiter().get_entity("key").has_value());
}

// ---- capacity queries ------------------------------------------------------------------------

TEST_F(AcquireTest, AvailableIsCapacityBeforeTheBucketExists) {
  limiter().set_limits("key", {Limit::per_minute("rpm", 10), Limit::per_minute("tpm", 500)}, "gpt");
  EXPECT_THAT(limiter().available("key", "gpt"), ElementsAre(Pair("rpm", 10), Pair("tpm", 500)));
  EXPECT_EQ(limiter().time_until_available("key", "gpt", {{"tpm", 5000}}), milliseconds(0));
}

TEST_F(AcquireTest, AvailableFollowsConsumptionRefillAndDebt) {
  limiter().set_limits("key", {Limit::per_minute("tpm", 600)}, "gpt");
  Lease lease = limiter().acquire(request("key", "gpt", {{"tpm", 600}}));
  EXPECT_EQ(available("key", "gpt", "tpm"), 0);
  clock_.advance(std::chrono::seconds(1));  // 10 tokens per second
  EXPECT_EQ(available("key", "gpt", "tpm"), 10);
  lease.adjust({{"tpm", 100}});
  lease.commit();
  EXPECT_EQ(available("key", "gpt", "tpm"), -90);
}

TEST_F(AcquireTest, TimeUntilAvailableIsTheLongestWait) {
  limiter().set_limits("key", {Limit::per_minute("rpm", 6), Limit::per_minute("tpm", 600)}, "gpt");
  limiter().acquire(request("key", "gpt", {{"rpm", 6}, {"tpm", 600}}));
  // rpm: 1 token at 6/min takes 10000 ms (+1); tpm: 100 tokens at 10/s takes 10000 ms (+1).
  EXPECT_EQ(limiter().time_until_available("key", "gpt", {{"rpm", 1}}), milliseconds(10001));
  EXPECT_EQ(limiter().time_until_available("key", "gpt", {{"rpm", 1}, {"tpm", 200}}),
            milliseconds(20001));
  store().reset_counts();
  EXPECT_EQ(limiter().time_until_available("key", "gpt", {{"rpm", 0}}), milliseconds(0));
  EXPECT_EQ(store().calls("get_bucket"), 0U);
  EXPECT_THAT(
      [&] {
        limiter().time_until_available("key", "gpt", {{"xyz", 1}});
      },
      Throws<ValidationError>(Property(&ValidationError::field, "needed")));
}

TEST_F(AcquireTest, CapacityQueriesUseStoredParametersOfAnExistingBucket) {
  limiter().acquire(request("key", "gpt", {{"rpm", 5}}, std::vector{Limit::per_minute("rpm", 10)}));
  // RES-4: the override decides which limits are shown, the bucket how they refill.
  EXPECT_EQ(available("key", "gpt", "rpm", std::vector{Limit::per_minute("rpm", 100)}), 5);
  EXPECT_EQ(available("key", "gpt", "tpm", std::vector{Limit::per_minute("tpm", 100)}), 100);
}

}  // namespace
}  // namespace zae::test
