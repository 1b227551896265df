// SPDX-License-Identifier: MIT
#include "core/bucket.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace zae::core {
namespace {

// __extension__ keeps -Wpedantic quiet about the GCC/Clang 128-bit integer (OQ-50).
__extension__ typedef __int128 Int128;

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();

std::int64_t saturate(Int128 v) {
  if (v > kInt64Max) {
    return kInt64Max;
  }
  if (v < kInt64Min) {
    return kInt64Min;
  }
  return static_cast<std::int64_t>(v);
}

// ⌊a·b/c⌋ for a >= 0, b > 0, c > 0. The product is formed in 64 bits when it fits (the common
// case, and a 64-bit divide is several times cheaper than a 128-bit one), else in 128 bits;
// callers keep a·b below 2^127.
Int128 mul_div(Int128 a, std::int64_t b, std::int64_t c) {
  std::int64_t product = 0;
  if (a <= kInt64Max && !__builtin_mul_overflow(static_cast<std::int64_t>(a), b, &product)) {
    return product / c;
  }
  return a * b / c;
}

// B-12, B-13 on a 128-bit deficit: callers form `requested - current` without overflow.
std::int64_t retry_after_wide(Int128 deficit_milli, const BucketParams& params) {
  if (deficit_milli <= 0) {
    return 0;
  }
  // deficit < 2^65 and rp <= ~3.2e11, so the product stays far inside 127 bits.
  const Int128 t = mul_div(deficit_milli, params.refill_period_ms, params.refill_amount_milli);
  return saturate(t + 1);
}

}  // namespace

TokenState full_bucket(const BucketParams& params, std::int64_t now_ms) {
  return {params.capacity_milli, now_ms};
}

TokenState refill(TokenState state, std::int64_t now_ms, const BucketParams& params) {
  // B-1: a clock going backwards (or standing still) changes nothing. Computed in 128 bits so
  // that extreme timestamps cannot overflow the subtraction.
  const Int128 elapsed = static_cast<Int128>(now_ms) - state.last_refill_ms;
  if (elapsed <= 0) {
    return state;
  }
  // B-2. elapsed < 2^64 and ra <= 10^18 < 2^60, so the product is < 2^124: no overflow. All
  // operands are positive, so C++ truncation equals floor here.
  const Int128 add = mul_div(elapsed, params.refill_amount_milli, params.refill_period_ms);
  if (add == 0) {
    return state;
  }
  // B-3: add·rp <= elapsed·ra, so this product is bounded by the one above; used <= elapsed.
  const Int128 used = mul_div(add, params.refill_period_ms, params.refill_amount_milli);
  // B-4, B-5: min() also clamps a balance that was above capacity.
  const Int128 tokens = std::min<Int128>(params.capacity_milli, state.tokens_milli + add);
  return {static_cast<std::int64_t>(tokens),
          static_cast<std::int64_t>(state.last_refill_ms + used)};
}

std::int64_t retry_after_ms(std::int64_t deficit_milli, const BucketParams& params) {
  return retry_after_wide(deficit_milli, params);
}

ConsumeDecision try_consume(TokenState state, std::int64_t amount_milli, std::int64_t now_ms,
                            const BucketParams& params) {
  ConsumeDecision decision;
  decision.state = refill(state, now_ms, params);
  const std::int64_t current = decision.state.tokens_milli;
  decision.available = floor_div(current, kMilli);  // B-8: -1500 milli → -2
  if (current >= amount_milli) {
    // B-9. amount >= 0 and current >= amount, so the difference cannot overflow.
    decision.admitted = true;
    decision.state.tokens_milli = current - amount_milli;
    return decision;
  }
  // B-10: the refilled state is kept, nothing is consumed.
  decision.retry_after_ms = retry_after_wide(static_cast<Int128>(amount_milli) - current, params);
  return decision;
}

TokenState force_consume(TokenState state, std::int64_t amount_milli, std::int64_t now_ms,
                         const BucketParams& params) {
  TokenState refilled = refill(state, now_ms, params);
  // B-14 is unbounded in the original (Python integers); int64 saturates instead of wrapping.
  // Balances are bounded by kMaxLimitTokens·1000 = 10^18, so saturation needs ~9 full-capacity
  // debts in a row and never happens for validated amounts.
  refilled.tokens_milli = saturate(static_cast<Int128>(refilled.tokens_milli) - amount_milli);
  return refilled;
}

std::int64_t available_tokens(TokenState state, std::int64_t now_ms, const BucketParams& params) {
  return floor_div(refill(state, now_ms, params).tokens_milli, kMilli);  // B-15
}

std::int64_t time_until_available_ms(TokenState state, std::int64_t needed_milli,
                                     std::int64_t now_ms, const BucketParams& params) {
  const std::int64_t current = refill(state, now_ms, params).tokens_milli;  // B-16
  if (current >= needed_milli) {
    return 0;
  }
  return retry_after_wide(static_cast<Int128>(needed_milli) - current, params);
}

std::int64_t ttl_seconds(std::span<const Limit> limits, int multiplier) {
  if (multiplier <= 0 || limits.empty()) {
    return 0;
  }
  // spec/data-model.md §9: doubles, in exactly this order, so results match the original.
  double longest_fill = 0.0;
  for (const Limit& limit : limits) {
    const double fill = static_cast<double>(limit.capacity()) /
                        static_cast<double>(limit.refill_amount()) *
                        static_cast<double>(limit.refill_period_seconds());
    longest_fill = std::max(longest_fill, fill);
  }
  const double ttl = std::trunc(longest_fill * multiplier);
  // Validated limits reach ~3·10^23 s × multiplier; saturate rather than overflow the cast.
  if (ttl >= 9.2e18) {
    return kInt64Max;
  }
  return static_cast<std::int64_t>(ttl);
}

}  // namespace zae::core
