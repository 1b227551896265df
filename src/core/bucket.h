// SPDX-License-Identifier: MIT
#pragma once

// Pure token-bucket arithmetic in millitokens (spec/behavior.md §1). No I/O, no clock reads:
// `now_ms` is always a parameter. Products are evaluated in 128 bits and divisions floor (⚠ in
// the spec), so results equal the original's unbounded Python integers.

#include <cstdint>
#include <span>

#include "zae/limit.h"

namespace zae::core {

inline constexpr std::int64_t kMilli = 1000;

// Floor division (rounds toward −∞, as Python's //). b > 0.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// A limit's parameters in storage units.
struct BucketParams {
  std::int64_t capacity_milli = 0;
  std::int64_t refill_amount_milli = 0;
  std::int64_t refill_period_ms = 0;

  static BucketParams from(const Limit& limit) {
    return {limit.capacity() * kMilli, limit.refill_amount() * kMilli,
            limit.refill_period_seconds() * kMilli};
  }
  friend bool operator==(const BucketParams&, const BucketParams&) = default;
};

// The mutable part of one limit in a bucket.
struct TokenState {
  std::int64_t tokens_milli = 0;
  std::int64_t last_refill_ms = 0;
  friend bool operator==(const TokenState&, const TokenState&) = default;
};

// A new bucket starts full at `now_ms` (§1.1).
TokenState full_bucket(const BucketParams& params, std::int64_t now_ms);

// Lazy refill with drift compensation (B-1..B-6): adds floor(elapsed·ra/rp) capped at capacity
// and advances last_refill by exactly the time that paid for the added millitokens.
TokenState refill(TokenState state, std::int64_t now_ms, const BucketParams& params);

// Time in ms until a deficit of `deficit_milli` refills: floor(deficit·rp/ra) + 1, or 0 when the
// deficit is <= 0 (B-12, B-13). Saturates at INT64_MAX.
std::int64_t retry_after_ms(std::int64_t deficit_milli, const BucketParams& params);

struct ConsumeDecision {
  bool admitted = false;
  // Refilled state; consumed when admitted (B-9, B-10).
  TokenState state;
  // Whole tokens available before consuming (floor; may be negative) (B-8).
  std::int64_t available = 0;
  // 0 when admitted.
  std::int64_t retry_after_ms = 0;
};

// Refill, then take `amount_milli` (>= 0) if the bucket holds it (B-7..B-10).
ConsumeDecision try_consume(TokenState state, std::int64_t amount_milli, std::int64_t now_ms,
                            const BucketParams& params);

// Refill, then subtract `amount_milli` without bound (negative returns tokens) (B-14).
TokenState force_consume(TokenState state, std::int64_t amount_milli, std::int64_t now_ms,
                         const BucketParams& params);

// Whole tokens after refill, floored (B-15).
std::int64_t available_tokens(TokenState state, std::int64_t now_ms, const BucketParams& params);

// 0 when `needed_milli` is available after refill, else retry_after_ms of the deficit (B-16).
std::int64_t time_until_available_ms(TokenState state, std::int64_t needed_milli,
                                     std::int64_t now_ms, const BucketParams& params);

// Bucket TTL in seconds: trunc(max(capacity/refill_amount·period) × multiplier) in doubles, in
// that order (spec/data-model.md §9). 0 when multiplier <= 0 or limits is empty.
std::int64_t ttl_seconds(std::span<const Limit> limits, int multiplier);

}  // namespace zae::core
