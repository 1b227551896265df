// SPDX-License-Identifier: MIT
// Properties of the bucket math (spec/behavior.md §1) over realistic and extreme ranges:
// capacities up to 10^9 tokens, periods up to a day, timestamps years apart, so that the
// 128-bit intermediate paths are exercised.
#include <algorithm>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "zae/limit.h"

#include "core/bucket.h"

namespace zae::core {
namespace {

__extension__ typedef __int128 Int128;

constexpr std::int64_t kYearMs = 366LL * 86'400'000;
constexpr std::int64_t kNow = 1'700'000'000'000;  // a realistic epoch-ms origin

rc::Gen<Limit> gen_limit() {
  return rc::gen::apply([](std::int64_t capacity, std::int64_t refill,
                           std::int64_t period) { return Limit("x", capacity, refill, period); },
                        rc::gen::inRange<std::int64_t>(1, 1'000'000'001),
                        rc::gen::inRange<std::int64_t>(1, 1'000'000'001),
                        rc::gen::inRange<std::int64_t>(1, 86401));
}

// A debt deep enough that hours or years of refill at up to 10^9 tokens per second stay below
// capacity, so that `add` is observed uncapped.
constexpr std::int64_t kDeepDebt = -9'000'000'000'000'000'000;

// The longest elapsed time (capped at `limit_ms`) whose refill from kDeepDebt stays below zero,
// with room for `steps` per-step drift credits.
std::int64_t max_uncapped_elapsed(const BucketParams& p, std::int64_t limit_ms) {
  const Int128 ms = Int128{8'000'000'000'000'000'000} * p.refill_period_ms / p.refill_amount_milli;
  return static_cast<std::int64_t>(std::min<Int128>(ms, limit_ms));
}

// Balances between a deep debt and capacity.
std::int64_t gen_tokens_upto_capacity(const BucketParams& p) {
  return *rc::gen::inRange<std::int64_t>(-p.capacity_milli * 4, p.capacity_milli + 1);
}

RC_GTEST_PROP(BucketProperty, RefillNeverExceedsCapacityAndNeverRewinds, ()) {
  const BucketParams p = BucketParams::from(*gen_limit());
  const TokenState s{gen_tokens_upto_capacity(p), kNow};
  const std::int64_t now = kNow + *rc::gen::inRange<std::int64_t>(-kYearMs, 10 * kYearMs);
  const TokenState r = refill(s, now, p);
  RC_ASSERT(r.tokens_milli <= p.capacity_milli);
  RC_ASSERT(r.tokens_milli >= s.tokens_milli);
  RC_ASSERT(r.last_refill_ms >= s.last_refill_ms);
  RC_ASSERT(r.last_refill_ms <= std::max(now, s.last_refill_ms));
}

// B-2, B-3 per step, against exact 128-bit reference arithmetic: `add` is the floor of the
// accrued amount and `used` the floor of the time that pays for it.
RC_GTEST_PROP(BucketProperty, RefillStepMatchesFloorFormulas, ()) {
  const BucketParams p = BucketParams::from(*gen_limit());
  const TokenState s{kDeepDebt, kNow};
  const std::int64_t elapsed =
      *rc::gen::inRange<std::int64_t>(1, max_uncapped_elapsed(p, 10 * kYearMs) + 1);
  const TokenState r = refill(s, kNow + elapsed, p);
  const Int128 add = r.tokens_milli - s.tokens_milli;
  const Int128 used = r.last_refill_ms - s.last_refill_ms;
  RC_ASSERT(add * p.refill_period_ms <= Int128{elapsed} * p.refill_amount_milli);
  RC_ASSERT((add + 1) * p.refill_period_ms > Int128{elapsed} * p.refill_amount_milli);
  if (add > 0) {
    RC_ASSERT(used * p.refill_amount_milli <= add * p.refill_period_ms);
    RC_ASSERT((used + 1) * p.refill_amount_milli > add * p.refill_period_ms);
  } else {
    RC_ASSERT(used == 0);
  }
}

// Splitting a refill into many steps, below capacity. What is exactly true:
//  - the split path never yields fewer tokens than one step (drift compensation carries the
//    unpaid time forward, so nothing is lost);
//  - it can yield more: B-3 floors the time paid, so each step that adds tokens may credit up
//    to `ra/rp` millitokens (under 1 ms of refill) ahead of the time it consumed (E1: 24 vs 23).
//    The excess is bounded by one millitoken plus that per step;
//  - when the rate is an integer number of millitokens per ms (rp | ra) or an integer number of
//    ms per millitoken (ra | rp), B-3 never rounds and both paths end in the same state.
RC_GTEST_PROP(BucketProperty, SplitRefillMatchesOneStepWithinDriftBound, ()) {
  const BucketParams p = BucketParams::from(*gen_limit());
  const TokenState start{kDeepDebt, kNow};
  // At most 100 steps of at most 1/100 of the uncapped time each.
  const auto steps = *rc::gen::resize(
      100, rc::gen::container<std::vector<std::int64_t>>(
               rc::gen::inRange<std::int64_t>(0, max_uncapped_elapsed(p, kYearMs) / 100 + 1)));
  std::int64_t now = kNow;
  TokenState split = start;
  std::int64_t adding_steps = 0;
  for (const std::int64_t step : steps) {
    now += step;
    const TokenState next = refill(split, now, p);
    adding_steps += next.tokens_milli != split.tokens_milli ? 1 : 0;
    split = next;
  }
  const TokenState one = refill(start, now, p);
  RC_ASSERT(split.tokens_milli < 0);  // never capped: the comparison below is meaningful
  RC_ASSERT(split.tokens_milli >= one.tokens_milli);
  const Int128 excess = split.tokens_milli - one.tokens_milli;
  RC_ASSERT((excess - 1) * p.refill_period_ms <= Int128{adding_steps} * p.refill_amount_milli);
  RC_ASSERT(split.last_refill_ms <= now);
  if (p.refill_amount_milli % p.refill_period_ms == 0 ||
      p.refill_period_ms % p.refill_amount_milli == 0) {
    RC_ASSERT(split == one);
  }
}

// The exact case on its own, so it is exercised on every run: per_second(n) is n millitokens
// per ms; per_day(1) with 86,400 ms per millitoken.
RC_GTEST_PROP(BucketProperty, SplitRefillIsExactForIntegralRates, ()) {
  const bool per_second = *rc::gen::arbitrary<bool>();
  const Limit limit =
      per_second ? Limit::per_second("x", *rc::gen::inRange<std::int64_t>(1, 1'000'000'001))
                 : Limit::custom("x", 1'000'000'000, 1, 86400);
  const BucketParams p = BucketParams::from(limit);
  const TokenState start{-p.capacity_milli * 1000, kNow};
  const auto steps =
      *rc::gen::container<std::vector<std::int64_t>>(rc::gen::inRange<std::int64_t>(0, 100'000));
  std::int64_t now = kNow;
  TokenState split = start;
  for (const std::int64_t step : steps) {
    now += step;
    split = refill(split, now, p);
  }
  RC_ASSERT(split == refill(start, now, p));
}

// B-13: waiting the reported retry-after is always enough for a request that fits capacity,
// from the refilled state and from the original one.
RC_GTEST_PROP(BucketProperty, WaitingRetryAfterAdmitsTheSameRequest, ()) {
  const Limit limit = *gen_limit();
  const BucketParams p = BucketParams::from(limit);
  const TokenState s{gen_tokens_upto_capacity(p),
                     kNow - *rc::gen::inRange<std::int64_t>(0, 86'400'000)};
  const std::int64_t amount = *rc::gen::inRange<std::int64_t>(0, limit.capacity() + 1) * kMilli +
                              *rc::gen::inRange<std::int64_t>(0, 1000);
  RC_PRE(amount <= p.capacity_milli);
  const ConsumeDecision first = try_consume(s, amount, kNow, p);
  if (first.admitted) {
    RC_ASSERT(first.retry_after_ms == 0);
    RC_ASSERT(first.state.tokens_milli == refill(s, kNow, p).tokens_milli - amount);
    return;
  }
  RC_ASSERT(first.retry_after_ms > 0);
  RC_ASSERT(first.retry_after_ms ==
            time_until_available_ms(s, amount, kNow, p));  // B-16 agrees with B-10
  const std::int64_t later = kNow + first.retry_after_ms;
  RC_ASSERT(try_consume(first.state, amount, later, p).admitted);
  RC_ASSERT(try_consume(s, amount, later, p).admitted);
}

// B-14 then B-4: after a forced debt, tokens rise monotonically with time, never pass
// capacity, and are back at capacity once time_until_available says so.
RC_GTEST_PROP(BucketProperty, ForceConsumeThenRefillRestoresMonotonically, ()) {
  const Limit limit = *gen_limit();
  const BucketParams p = BucketParams::from(limit);
  const TokenState s{gen_tokens_upto_capacity(p), kNow};
  const std::int64_t amount = *rc::gen::inRange<std::int64_t>(0, p.capacity_milli * 3 + 1);
  TokenState state = force_consume(s, amount, kNow, p);
  RC_ASSERT(state.tokens_milli == s.tokens_milli - amount);
  const std::int64_t full_at = kNow + time_until_available_ms(state, p.capacity_milli, kNow, p);
  const auto steps =
      *rc::gen::container<std::vector<std::int64_t>>(rc::gen::inRange<std::int64_t>(0, 86'400'000));
  std::int64_t now = kNow;
  for (const std::int64_t step : steps) {
    now += step;
    const TokenState next = refill(state, now, p);
    RC_ASSERT(next.tokens_milli >= state.tokens_milli);
    RC_ASSERT(next.tokens_milli <= p.capacity_milli);
    state = next;
  }
  RC_ASSERT(refill(state, std::max(now, full_at), p).tokens_milli == p.capacity_milli);
  // In one step from the forced state as well.
  RC_ASSERT(refill(force_consume(s, amount, kNow, p), full_at, p).tokens_milli == p.capacity_milli);
}

// B-8: available is the floor of millitokens for every balance.
RC_GTEST_PROP(BucketProperty, AvailableIsFloorOfMillitokens, ()) {
  const auto milli =
      *rc::gen::inRange<std::int64_t>(-1'000'000'000'000'000'000, 1'000'000'000'000'000'000);
  const BucketParams p = BucketParams::from(Limit::per_second("x", kMaxLimitTokens));
  const std::int64_t available = try_consume({milli, kNow}, 0, kNow, p).available;
  RC_ASSERT(available * kMilli <= milli);
  RC_ASSERT((available + 1) * kMilli > milli);
}

}  // namespace
}  // namespace zae::core
