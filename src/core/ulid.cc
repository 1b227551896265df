// SPDX-License-Identifier: MIT
#include "core/ulid.h"

#include <string_view>

namespace zae::core {
namespace {

constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

}  // namespace

std::string make_ulid(std::int64_t epoch_ms, const std::array<std::uint8_t, 10>& randomness) {
  std::string out(kUlidLength, '0');
  // 48 bits of time in 10 characters (50 bits: the top two are zero).
  std::uint64_t time = static_cast<std::uint64_t>(epoch_ms) & ((std::uint64_t{1} << 48) - 1);
  for (int i = 9; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kCrockford[time & 0x1F];
    time >>= 5;
  }
  // 80 bits of randomness in 16 characters: two 40-bit halves of 8 characters each.
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = 0;
    for (int b = 0; b < 5; ++b) {
      bits = (bits << 8) | randomness[static_cast<std::size_t>(half * 5 + b)];
    }
    for (int i = 7; i >= 0; --i) {
      out[static_cast<std::size_t>(10 + half * 8 + i)] = kCrockford[bits & 0x1F];
      bits >>= 5;
    }
  }
  return out;
}

bool is_ulid(std::string_view text) {
  if (text.size() != kUlidLength || text[0] > '7') {
    return false;
  }
  for (const char c : text) {
    if (kCrockford.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

}  // namespace zae::core
