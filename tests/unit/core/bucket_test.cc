// SPDX-License-Identifier: MIT
#include "core/bucket.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "zae/limit.h"

namespace zae::core {
namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

const BucketParams kRpm100 = BucketParams::from(Limit::per_minute("rpm", 100));
const BucketParams kTpm10k = BucketParams::from(Limit::per_minute("tpm", 10000));
const BucketParams kTpm10kBurst15k = BucketParams::from(Limit::per_minute("tpm", 10000, 15000));
const BucketParams kRps3 = BucketParams::from(Limit::per_second("rps", 3));
const BucketParams kRps1 = BucketParams::from(Limit::per_second("rps", 1));

TEST(BucketParamsTest, ConvertsLimitToStorageUnits) {
  EXPECT_EQ(kRpm100, (BucketParams{100000, 100000, 60000}));
  EXPECT_EQ(kTpm10kBurst15k, (BucketParams{15'000'000, 10'000'000, 60000}));
}

TEST(BucketTest, NewBucketStartsFull) {
  EXPECT_EQ(full_bucket(kRpm100, 1234), (TokenState{100000, 1234}));
}

// spec/behavior.md §1.9: every refill step of the worked examples, as (params, state, now) →
// state.
struct RefillCase {
  std::string name;
  BucketParams params;
  TokenState before;
  std::int64_t now_ms;
  TokenState after;
};

class RefillExampleTest : public testing::TestWithParam<RefillCase> {};

TEST_P(RefillExampleTest, MatchesReference) {
  const RefillCase& c = GetParam();
  EXPECT_EQ(refill(c.before, c.now_ms, c.params), c.after);
}

INSTANTIATE_TEST_SUITE_P(
    WorkedExamples, RefillExampleTest,
    testing::Values(
        // E1: 11 milli added, 6 ms used, 1 ms carried forward; then 8 ms elapse.
        RefillCase{"E1_first", kRpm100, {0, 0}, 7, {11, 6}},
        RefillCase{"E1_second", kRpm100, {11, 6}, 14, {24, 13}},
        // E2: the refill part of the failed request.
        RefillCase{"E2_refill", kRpm100, {0, 0}, 3, {5, 3}},
        // E5: burst 15k, rate 10k/min, drained at rf=0.
        RefillCase{"E5_one_minute", kTpm10kBurst15k, {0, 0}, 60000, {10'000'000, 60000}},
        RefillCase{"E5_full", kTpm10kBurst15k, {10'000'000, 60000}, 90000, {15'000'000, 90000}},
        RefillCase{"E5_full_in_one_step", kTpm10kBurst15k, {0, 0}, 90000, {15'000'000, 90000}},
        // E6: per_second(3).
        RefillCase{"E6_1ms", kRps3, {0, 0}, 1, {3, 1}},
        RefillCase{"E6_333ms", kRps3, {3, 1}, 333, {999, 333}},
        RefillCase{"E6_334ms", kRps3, {999, 333}, 334, {1002, 334}},
        // E8: a full bucket is clamped but its refill time still advances.
        RefillCase{"E8_full_bucket_time_advances", kRpm100, {100000, 0}, 5, {100000, 4}}),
    [](const testing::TestParamInfo<RefillCase>& info) { return info.param.name; });

TEST(BucketTest, E2FailedRequestReportsRetryAfter) {
  const ConsumeDecision d = try_consume({0, 0}, 1000, 3, kRpm100);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.state, (TokenState{5, 3}));  // B-10: refilled, not consumed
  EXPECT_EQ(d.available, 0);
  // deficit 995 → ⌊995·60000/100000⌋ = 597 → +1 ms.
  EXPECT_EQ(d.retry_after_ms, 598);
}

TEST(BucketTest, E3RequestAboveCapacityReportsFiniteRetryAfter) {
  const ConsumeDecision d = try_consume(full_bucket(kTpm10k, 0), 20'000'000, 0, kTpm10k);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.available, 10000);
  EXPECT_EQ(d.retry_after_ms, 60001);
}

TEST(BucketTest, E4ForceConsumeGoesIntoDebt) {
  EXPECT_EQ(force_consume({500'000, 0}, 2000 * kMilli, 0, kTpm10k), (TokenState{-1'500'000, 0}));
}

TEST(BucketTest, E4NegativeBalanceFloorsAndWaitsForDeficit) {
  EXPECT_EQ(available_tokens({-1500, 0}, 0, kTpm10k), -2);
  // deficit 2500 → ⌊2500·60000/10^7⌋ = 15 → 16 ms.
  EXPECT_EQ(time_until_available_ms({-1500, 0}, 1000, 0, kTpm10k), 16);
}

TEST(BucketTest, E6RetryForOneTokenFromEmpty) { EXPECT_EQ(retry_after_ms(1000, kRps3), 334); }

TEST(BucketTest, E7OneTokenPerSecond) {
  const ConsumeDecision d = try_consume({0, 0}, 1000, 0, kRps1);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.retry_after_ms, 1001);
}

// B-8, B-15: floor, not truncation, for negative balances.
struct FloorCase {
  std::int64_t milli;
  std::int64_t tokens;
};

class AvailableFloorTest : public testing::TestWithParam<FloorCase> {};

TEST_P(AvailableFloorTest, FloorsTowardNegativeInfinity) {
  const FloorCase& c = GetParam();
  EXPECT_EQ(available_tokens({c.milli, 0}, 0, kRpm100), c.tokens);
  EXPECT_EQ(try_consume({c.milli, 0}, 0, 0, kRpm100).available, c.tokens);
}

INSTANTIATE_TEST_SUITE_P(Examples, AvailableFloorTest,
                         testing::Values(FloorCase{-1500, -2}, FloorCase{999, 0},
                                         FloorCase{1000, 1}, FloorCase{-1, -1},
                                         FloorCase{-1000, -1}, FloorCase{-1001, -2},
                                         FloorCase{0, 0}, FloorCase{100000, 100}));

TEST(FloorDivTest, RoundsTowardNegativeInfinity) {
  EXPECT_EQ(floor_div(7, 2), 3);
  EXPECT_EQ(floor_div(-7, 2), -4);
  EXPECT_EQ(floor_div(-8, 2), -4);
  EXPECT_EQ(floor_div(0, 3), 0);
  static_assert(floor_div(-1500, 1000) == -2);
}

TEST(BucketTest, B1ClockGoingBackwardsChangesNothing) {
  const TokenState s{5000, 100};
  EXPECT_EQ(refill(s, 50, kRpm100), s);
  EXPECT_EQ(refill(s, 100, kRpm100), s);
  const ConsumeDecision d = try_consume(s, 1000, 50, kRpm100);
  EXPECT_TRUE(d.admitted);
  EXPECT_EQ(d.state, (TokenState{4000, 100}));  // rf never moves backwards
}

TEST(BucketTest, B2TimeIsBankedUntilOneMillitokenAccrues) {
  const BucketParams one_per_day = BucketParams::from(Limit::per_day("rpd", 1));
  // 1000 milli per 86,400,000 ms: one millitoken every 86,400 ms.
  EXPECT_EQ(refill({0, 0}, 86399, one_per_day), (TokenState{0, 0}));
  EXPECT_EQ(refill({0, 0}, 86400, one_per_day), (TokenState{1, 86400}));
  EXPECT_EQ(refill({0, 0}, 86400 * 2 + 5, one_per_day), (TokenState{2, 86400 * 2}));
}

TEST(BucketTest, B5ExcessAboveCapacityUsableUntilRefillClamps) {
  const TokenState over{150'000, 0};
  // No elapsed time: the excess stays and can be consumed.
  const ConsumeDecision d = try_consume(over, 150'000, 0, kRpm100);
  EXPECT_TRUE(d.admitted);
  EXPECT_EQ(d.state.tokens_milli, 0);
  // First refill with add ≥ 1 clamps to capacity and still advances rf.
  EXPECT_EQ(refill(over, 6, kRpm100), (TokenState{100'000, 6}));
  // 1 ms adds 1 milli (⌊1·100000/60000⌋) but pays for 0 ms: clamped, rf unchanged.
  EXPECT_EQ(refill(over, 1, kRpm100), (TokenState{100'000, 0}));
}

TEST(BucketTest, B6NegativeBucketsRefillPastZero) {
  EXPECT_EQ(refill({-3000, 0}, 2000, kRps3), (TokenState{3000, 2000}));
}

TEST(BucketTest, B9AdmittedRequestConsumes) {
  const ConsumeDecision d = try_consume(full_bucket(kRpm100, 0), 30'000, 0, kRpm100);
  EXPECT_TRUE(d.admitted);
  EXPECT_EQ(d.available, 100);
  EXPECT_EQ(d.retry_after_ms, 0);
  EXPECT_EQ(d.state, (TokenState{70'000, 0}));
}

TEST(BucketTest, B9ExactBalanceIsEnough) {
  EXPECT_TRUE(try_consume({1000, 0}, 1000, 0, kRpm100).admitted);
  EXPECT_FALSE(try_consume({999, 0}, 1000, 0, kRpm100).admitted);
}

TEST(BucketTest, B9ZeroAmountNeedsANonNegativeBalance) {
  // B-9 literally: success iff cur >= req. A zero request passes on any balance >= 0, but a
  // bucket in debt rejects it (the reference's fast path behaves the same way; OQ-12). Whether
  // a zero amount consults the bucket at all is the limiter's decision.
  EXPECT_TRUE(try_consume({0, 0}, 0, 0, kRpm100).admitted);
  const ConsumeDecision d = try_consume({-5000, 0}, 0, 0, kRpm100);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.retry_after_ms, 3001);  // deficit 5000 → ⌊5000·0.6⌋ + 1
}

TEST(BucketTest, B13RetryAfterAddsOneMillisecond) {
  // Exactly divisible: 1000 milli at 1 milli/ms would be 1000 ms; +1.
  EXPECT_EQ(retry_after_ms(1000, kRps1), 1001);
  EXPECT_EQ(retry_after_ms(1, kRps1), 2);
  EXPECT_EQ(retry_after_ms(1, kRpm100), 1);  // ⌊0.6⌋ + 1
}

TEST(BucketTest, B12NoDeficitNoWait) {
  EXPECT_EQ(retry_after_ms(0, kRpm100), 0);
  EXPECT_EQ(retry_after_ms(-5, kRpm100), 0);
  EXPECT_EQ(time_until_available_ms({1000, 0}, 1000, 0, kRpm100), 0);
}

TEST(BucketTest, RetryAfterSaturatesAtInt64Max) {
  const BucketParams slow =
      BucketParams::from(Limit::custom("slow", kMaxLimitTokens, 1, kMaxRefillPeriodSeconds));
  EXPECT_EQ(retry_after_ms(kInt64Max, slow), kInt64Max);
  // A deficit formed from an extreme debt does not overflow either.
  const ConsumeDecision d =
      try_consume({std::numeric_limits<std::int64_t>::min(), 0}, kInt64Max, 0, slow);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.retry_after_ms, kInt64Max);
}

TEST(BucketTest, ProductsBeyondInt64UseWideArithmetic) {
  // spec/behavior.md §0: per_day(1,000,000) idle for a year gives elapsed·ra ≈ 3.2e19.
  const BucketParams daily = BucketParams::from(Limit::per_day("tpd", 1'000'000));
  constexpr std::int64_t kYearMs = 365LL * 86'400'000;
  EXPECT_EQ(refill({0, 0}, kYearMs, daily), (TokenState{1'000'000'000, kYearMs}));
  // The same from deep debt: 365 days of refill exactly, no cap reached.
  const TokenState debt{-400'000'000'000, 0};
  EXPECT_EQ(refill(debt, kYearMs, daily), (TokenState{-35'000'000'000, kYearMs}));
}

TEST(BucketTest, LargestLimitsDoNotOverflow) {
  const BucketParams huge = BucketParams::from(Limit::per_second("x", kMaxLimitTokens));
  // 10^18 milli per second, empty, ten years later.
  const std::int64_t ten_years = 10LL * 366 * 86'400'000;
  EXPECT_EQ(refill({0, 0}, ten_years, huge), (TokenState{huge.capacity_milli, ten_years}));
  EXPECT_EQ(retry_after_ms(huge.capacity_milli, huge), 1001);
}

TEST(BucketTest, ForceConsumeNegativeReturnsTokensAboveCapacity) {
  EXPECT_EQ(force_consume({100'000, 0}, -50'000, 0, kRpm100), (TokenState{150'000, 0}));
}

TEST(BucketTest, ForceConsumeRefillsFirst) {
  EXPECT_EQ(force_consume({0, 0}, 5, 7, kRpm100), (TokenState{6, 6}));
}

TEST(BucketTest, ForceConsumeSaturatesInsteadOfWrapping) {
  const TokenState s{std::numeric_limits<std::int64_t>::min() + 10, 0};
  EXPECT_EQ(force_consume(s, 1000, 0, kRpm100).tokens_milli,
            std::numeric_limits<std::int64_t>::min());
}

TEST(BucketTest, TimeUntilAvailableRefillsFirst) {
  // At now=3 the empty rpm-100 bucket holds 5 milli; 995 are missing.
  EXPECT_EQ(time_until_available_ms({0, 0}, 1000, 3, kRpm100), 598);
}

// spec/behavior.md §1.9 TTL examples, multiplier 7.
struct TtlCase {
  std::string name;
  std::vector<Limit> limits;
  int multiplier;
  std::int64_t seconds;
};

class TtlTest : public testing::TestWithParam<TtlCase> {};

TEST_P(TtlTest, MatchesReference) {
  const TtlCase& c = GetParam();
  EXPECT_EQ(ttl_seconds(c.limits, c.multiplier), c.seconds);
}

INSTANTIATE_TEST_SUITE_P(
    Examples, TtlTest,
    testing::Values(TtlCase{"PerMinute100", {Limit::per_minute("rpm", 100)}, 7, 420},
                    TtlCase{"Custom1000Per10Per60s", {Limit::custom("x", 1000, 10, 60)}, 7, 42000},
                    TtlCase{"MaxOfBurstAndPerSecond",
                            {Limit::per_minute("rpm", 100, 150), Limit::per_second("rps", 5)},
                            7,
                            630},
                    // OQ-24: a very fast limit truncates to 0 (no TTL).
                    TtlCase{"FastLimitTruncatesToZero", {Limit::custom("x", 1, 1000, 1)}, 7, 0},
                    TtlCase{"MultiplierZeroDisables", {Limit::per_minute("rpm", 100)}, 0, 0},
                    TtlCase{"NegativeMultiplierDisables", {Limit::per_minute("rpm", 100)}, -1, 0},
                    TtlCase{"NoLimits", {}, 7, 0},
                    TtlCase{"SaturatesHugeFill",
                            {Limit::custom("x", kMaxLimitTokens, 1, kMaxRefillPeriodSeconds)},
                            7,
                            kInt64Max}),
    [](const testing::TestParamInfo<TtlCase>& info) { return info.param.name; });

}  // namespace
}  // namespace zae::core
