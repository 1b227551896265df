// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <unordered_set>

#include "zae/store.h"

namespace zae::detail {

// Checks caller-supplied token amounts before any I/O (OQ-11, OQ-12): every name passes the
// limit-name rules, appears once, and its amount is in [0, kMaxLimitTokens]. Throws
// ValidationError naming `field` ("consume", "needed") and the offending limit.
void validate_amounts(const Amounts& amounts, std::string_view field);

// Index of the first item whose name_of(item) occurred earlier in `items`, or items.size().
template <class Items, class NameOf>
std::size_t find_duplicate(const Items& items, NameOf name_of) {
  // Requests name a handful of limits: a quadratic scan allocates nothing and beats hashing
  // there. Long lists (only a misuse) get the hash set.
  constexpr std::size_t kShortList = 16;
  if (items.size() <= kShortList) {
    for (std::size_t i = 1; i < items.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (name_of(items[i]) == name_of(items[j])) {
          return i;
        }
      }
    }
    return items.size();
  }
  std::unordered_set<std::string_view> seen;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!seen.insert(name_of(items[i])).second) {
      return i;
    }
  }
  return items.size();
}

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
