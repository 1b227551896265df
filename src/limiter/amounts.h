// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>

#include "zae/store.h"

namespace zae::detail {

// Checks caller-supplied token amounts before any I/O (OQ-11, OQ-12): every name passes the
// limit-name rules, appears once, and its amount is in [0, kMaxLimitTokens]. Throws
// ValidationError naming `field` ("consume", "needed") and the offending limit.
void validate_amounts(const Amounts& amounts, std::string_view field);

// Saturating arithmetic for lease bookkeeping: adjust() takes unchecked caller values, and an
// overflow there must not be undefined behaviour.
constexpr std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  std::int64_t result = 0;
  if (__builtin_add_overflow(a, b, &result)) {
    return b > 0 ? std::numeric_limits<std::int64_t>::max()
                 : std::numeric_limits<std::int64_t>::min();
  }
  return result;
}

constexpr std::int64_t saturating_sub(std::int64_t a, std::int64_t b) {
  std::int64_t result = 0;
  if (__builtin_sub_overflow(a, b, &result)) {
    return b < 0 ? std::numeric_limits<std::int64_t>::max()
                 : std::numeric_limits<std::int64_t>::min();
  }
  return result;
}

constexpr std::int64_t saturating_mul(std::int64_t a, std::int64_t b) {
  std::int64_t result = 0;
  if (__builtin_mul_overflow(a, b, &result)) {
    return (a < 0) != (b < 0) ? std::numeric_limits<std::int64_t>::min()
                              : std::numeric_limits<std::int64_t>::max();
  }
  return result;
}

}  // namespace zae::detail
