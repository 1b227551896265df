// SPDX-License-Identifier: MIT
// Lease semantics (spec/behavior.md §4) with the port's fixes: conditional Lease::consume
// (OQ-37), entries for every limit (OQ-14), a failed commit keeps the initial consumption
// (OQ-36).
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zae/rate_limiter.h"

#include "unit/limiter/limiter_fixture.h"

namespace zae::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::Property;
using ::testing::Throws;
using ::testing::ThrowsMessage;

class LeaseTest : public LimiterTest {
 protected:
  LeaseTest() {
    limiter().set_limits("key", {Limit::per_minute("rpm", 10), Limit::per_minute("tpm", 1000)},
                         "gpt");
  }
  Lease acquire(Amounts consume) {
    return limiter().acquire(request("key", "gpt", std::move(consume)));
  }
  std::int64_t tpm() { return available("key", "gpt", "tpm"); }
  std::int64_t rpm() { return available("key", "gpt", "rpm"); }
};

TEST_F(LeaseTest, PositiveAdjustmentIsWrittenAtCommitAndMayCreateDebt) {
  Lease lease = acquire({{"rpm", 1}, {"tpm", 500}});
  lease.adjust({{"tpm", 700}});  // used 1200 after estimating 500
  EXPECT_EQ(tpm(), 500);         // local until commit
  EXPECT_THAT(lease.consumed(), ElementsAre(Pair("rpm", 1), Pair("tpm", 1200)));
  lease.commit();
  EXPECT_EQ(tpm(), -200);
  EXPECT_FALSE(lease.is_active());
}

TEST_F(LeaseTest, NegativeAdjustmentRefunds) {
  Lease lease = acquire({{"rpm", 1}, {"tpm", 500}});
  lease.adjust({{"tpm", -300}});
  lease.commit();
  EXPECT_EQ(tpm(), 800);
}

TEST_F(LeaseTest, ReleaseIsANegatedAdjustment) {
  Lease lease = acquire({{"tpm", 500}});
  lease.release({{"tpm", 200}, {"unknown", 5}});
  EXPECT_THAT(lease.consumed(), ElementsAre(Pair("rpm", 0), Pair("tpm", 300)));
  lease.commit();
  EXPECT_EQ(tpm(), 700);
}

TEST_F(LeaseTest, CommitWithoutChangesWritesNothing) {
  Lease lease = acquire({{"rpm", 1}});
  lease.adjust({{"tpm", 5}, {"tpm", -5}});
  store().reset_counts();
  lease.commit();
  EXPECT_EQ(store().total_calls(), 0U);
  EXPECT_FALSE(lease.is_active());
}

TEST_F(LeaseTest, ConsumeIsDurableAtOnceAndCountsAsInitial) {
  Lease lease = acquire({{"rpm", 1}});
  lease.consume({{"tpm", 400}});  // a limit not named at acquire (OQ-14)
  EXPECT_EQ(tpm(), 600);
  EXPECT_THAT(lease.consumed(), ElementsAre(Pair("rpm", 1), Pair("tpm", 400)));
  lease.rollback();
  EXPECT_EQ(tpm(), 1000);
  EXPECT_EQ(rpm(), 10);
}

TEST_F(LeaseTest, ConsumeIsConditionalOnCurrentState) {
  Lease first = acquire({{"tpm", 100}});
  Lease second = acquire({{"tpm", 100}});
  first.consume({{"tpm", 700}});
  // Only 100 left in storage; the second lease's snapshot is irrelevant (OQ-37).
  try {
    second.consume({{"tpm", 200}});
    FAIL() << "expected RateLimitExceeded";
  } catch (const RateLimitExceeded& e) {
    EXPECT_EQ(e.primary_violation().limit_name, "tpm");
    EXPECT_EQ(e.primary_violation().available, 100);
  }
  EXPECT_THAT(second.consumed(), ElementsAre(Pair("rpm", 0), Pair("tpm", 100)));
  EXPECT_EQ(tpm(), 100);
  EXPECT_TRUE(second.is_active());
}

TEST_F(LeaseTest, ConsumeValidatesAndIgnoresUnknownOrZeroAmounts) {
  Lease lease = acquire({{"rpm", 1}});
  EXPECT_THAT(
      [&] {
        lease.consume({{"tpm", -1}});
      },
      Throws<ValidationError>(Property(&ValidationError::field, "consume")));
  store().reset_counts();
  lease.consume({{"unknown", 5}, {"tpm", 0}});
  EXPECT_EQ(store().total_calls(), 0U);
}

TEST_F(LeaseTest, ConsumeInCascadeTakesFromBoth) {
  limiter().create_entity(entity("proj"));
  limiter().create_entity(child("child", "proj", Cascade::kYes));
  limiter().set_limits("proj", {Limit::per_minute("tpm", 1000)}, "gpt");
  limiter().set_limits("child", {Limit::per_minute("tpm", 1000)}, "gpt");
  Lease lease = limiter().acquire(request("child", "gpt", {{"tpm", 100}}));
  lease.consume({{"tpm", 50}});
  EXPECT_THAT(lease.consumed(), ElementsAre(Pair("tpm", 300)));
  EXPECT_EQ(available("proj", "gpt", "tpm"), 850);
  lease.rollback();
  EXPECT_EQ(available("proj", "gpt", "tpm"), 1000);
  EXPECT_EQ(available("child", "gpt", "tpm"), 1000);
}

TEST_F(LeaseTest, RollbackReturnsTheInitialConsumptionAndDiscardsAdjustments) {
  Lease lease = acquire({{"rpm", 1}, {"tpm", 500}});
  lease.adjust({{"tpm", 300}});
  lease.rollback();
  EXPECT_EQ(tpm(), 1000);
  EXPECT_EQ(rpm(), 10);
  EXPECT_FALSE(lease.is_active());
}

TEST_F(LeaseTest, RollbackNeverLiftsABalanceAboveCapacity) {
  Lease lease = acquire({{"tpm", 500}});
  clock_.advance(std::chrono::minutes(5));  // refilled to capacity meanwhile
  lease.rollback();
  EXPECT_EQ(tpm(), 1000);
}

TEST_F(LeaseTest, DestructorRollsBackWhenAnExceptionLeavesTheScope) {
  try {
    Lease lease = acquire({{"rpm", 1}, {"tpm", 500}});
    lease.adjust({{"tpm", 100}});
    throw std::runtime_error("request failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(tpm(), 1000);
  EXPECT_EQ(rpm(), 10);
}

TEST_F(LeaseTest, DestructorCommitsOnNormalExit) {
  {
    Lease lease = acquire({{"rpm", 1}, {"tpm", 500}});
    lease.adjust({{"tpm", 100}});
  }
  EXPECT_EQ(tpm(), 400);
}

TEST_F(LeaseTest, LeaseCreatedDuringUnwindingCommitsWhenItsOwnScopeEndsNormally) {
  struct Guard {
    RateLimiter& limiter;
    ~Guard() {
      Lease lease = limiter.acquire(request("key", "gpt", {{"tpm", 10}}));
      lease.adjust({{"tpm", 5}});
    }
  };
  try {
    Guard guard{limiter()};
    throw std::runtime_error("unwinding");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(tpm(), 985);
}

TEST_F(LeaseTest, ExpiredAfterCommitOrRollback) {
  Lease committed = acquire({{"rpm", 1}});
  committed.commit();
  EXPECT_THROW(committed.consume({{"rpm", 1}}), LeaseExpiredError);
  EXPECT_THROW(committed.adjust({{"rpm", 1}}), LeaseExpiredError);
  EXPECT_THROW(committed.release({{"rpm", 1}}), LeaseExpiredError);
  EXPECT_NO_THROW(committed.commit());  // no-op
  EXPECT_NO_THROW(committed.rollback());
  EXPECT_EQ(rpm(), 9);

  Lease rolled_back = acquire({{"rpm", 1}});
  rolled_back.rollback();
  EXPECT_THROW(rolled_back.consume({{"rpm", 1}}), LeaseExpiredError);
  EXPECT_THROW(rolled_back.adjust({{"rpm", 1}}), LeaseExpiredError);
  EXPECT_NO_THROW(rolled_back.commit());
  EXPECT_EQ(rpm(), 9);
}

TEST_F(LeaseTest, MoveLeavesTheSourceInert) {
  Lease target = [&] {
    Lease source = acquire({{"tpm", 100}});
    source.adjust({{"tpm", 50}});
    Lease moved(std::move(source));
    EXPECT_FALSE(source.is_active());  // NOLINT(bugprone-use-after-move): testing it
    EXPECT_THAT(source.entries(), IsEmpty());
    return moved;
  }();
  EXPECT_EQ(tpm(), 900);  // neither the source's destructor nor the return wrote
  target.commit();
  EXPECT_EQ(tpm(), 850);
}

TEST_F(LeaseTest, MoveAssignmentEndsTheReplacedLease) {
  Lease lease = acquire({{"tpm", 100}});
  lease.adjust({{"tpm", 50}});
  lease = acquire({{"tpm", 10}});  // the first lease commits here
  EXPECT_EQ(tpm(), 840);
  lease.rollback();
  EXPECT_EQ(tpm(), 850);
}

// ---- with_lease ------------------------------------------------------------------------------

TEST_F(LeaseTest, WithLeaseReturnsTheValueAndCommits) {
  const int value = limiter().with_lease(request("key", "gpt", {{"tpm", 100}}), [](Lease& lease) {
    lease.adjust({{"tpm", 20}});
    return 42;
  });
  EXPECT_EQ(value, 42);
  EXPECT_EQ(tpm(), 880);
}

TEST_F(LeaseTest, WithLeaseVoidCommits) {
  limiter().with_lease(request("key", "gpt", {{"tpm", 100}}), [](Lease& lease) {
    lease.release({{"tpm", 40}});
  });
  EXPECT_EQ(tpm(), 940);
}

TEST_F(LeaseTest, WithLeaseRollsBackAndRethrows) {
  EXPECT_THAT(
      [&] {
        limiter().with_lease(request("key", "gpt", {{"tpm", 100}}), [](Lease& lease) -> int {
          lease.adjust({{"tpm", 20}});
          throw std::logic_error("model call failed");
        });
      },
      Throws<std::logic_error>());
  EXPECT_EQ(tpm(), 1000);
}

TEST_F(LeaseTest, WithLeaseAcceptsAnExplicitCommitInside) {
  limiter().with_lease(request("key", "gpt", {{"tpm", 100}}), [](Lease& lease) { lease.commit(); });
  EXPECT_EQ(tpm(), 900);
}

// ---- write failures --------------------------------------------------------------------------

TEST_F(LeaseTest, FailedCommitThrowsKeepsTheLeaseActiveAndCanBeRetried) {
  Lease lease = acquire({{"tpm", 500}});
  lease.adjust({{"tpm", 100}});
  store().fail("apply_deltas", 1);
  EXPECT_THROW(lease.commit(), InfrastructureError);
  EXPECT_TRUE(lease.is_active());
  EXPECT_EQ(tpm(), 500);  // OQ-36: the initial consumption stays
  lease.commit();
  EXPECT_EQ(tpm(), 400);
  EXPECT_FALSE(lease.is_active());
}

TEST_F(LeaseTest, CommitNeverResendsAnAdjustmentWhoseOutcomeIsUnknown) {
  Lease lease = acquire({{"tpm", 500}});
  lease.adjust({{"tpm", 100}});
  store().fail("apply_deltas", 1, FaultyStore::Fault::kOutcomeUnknown);
  EXPECT_THROW(lease.commit(), WriteOutcomeUnknownError);
  const std::size_t writes = store().calls("apply_deltas");
  // It may have been applied: a second commit (the destructor's) must not write it again.
  lease.commit();
  EXPECT_EQ(store().calls("apply_deltas"), writes);
  EXPECT_FALSE(lease.is_active());
  EXPECT_EQ(tpm(), 500);  // this fake applied nothing; a real store may have applied 100
}

TEST_F(LeaseTest, FailedCommitInWithLeaseKeepsTheInitialConsumption) {
  store().fail("apply_deltas");
  EXPECT_THROW(limiter().with_lease(request("key", "gpt", {{"tpm", 500}}),
                                    [](Lease& lease) {
                                      lease.adjust({{"tpm", 100}});
                                    }),
               InfrastructureError);
  store().heal();
  EXPECT_EQ(tpm(), 500);  // not rolled back, although the commit error unwound the lease
  ASSERT_EQ(warnings().size(), 1U);
  EXPECT_THAT(warnings()[0], HasSubstr("commit failed"));
}

TEST_F(LeaseTest, FailedRollbackThrowsAndEndsTheLease) {
  Lease lease = acquire({{"tpm", 500}});
  store().fail("apply_deltas", 1);
  EXPECT_THAT([&] { lease.rollback(); },
              ThrowsMessage<InfrastructureError>(HasSubstr("injected failure")));
  EXPECT_FALSE(lease.is_active());
  EXPECT_EQ(tpm(), 500);
}

TEST_F(LeaseTest, DestructorReportsWriteFailuresToTheWarningSink) {
  store().fail("apply_deltas");
  {
    Lease lease = acquire({{"tpm", 500}});
    lease.adjust({{"tpm", 1}});
  }
  try {
    Lease lease = acquire({{"tpm", 100}});
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  const std::vector<std::string> reported = warnings();
  ASSERT_EQ(reported.size(), 2U);
  EXPECT_THAT(reported[0], HasSubstr("commit failed"));
  EXPECT_THAT(reported[1], HasSubstr("rollback failed"));
}

TEST_F(LeaseTest, NonLibraryStoreErrorsAreReportedAsInfrastructureErrors) {
  Lease lease = acquire({{"tpm", 500}});
  lease.adjust({{"tpm", 1}});
  store().fail("apply_deltas", 1, FaultyStore::Fault::kOther);
  EXPECT_THROW(lease.commit(), InfrastructureError);
}

}  // namespace
}  // namespace zae::test
