// SPDX-License-Identifier: MIT
#pragma once

// ULIDs for audit event ids (spec/data-model.md §6.11, AU-2): 26 characters of Crockford base32
// (0-9A-HJKMNP-TV-Z, upper case); the first 10 encode the 48-bit millisecond timestamp, the last
// 16 encode 80 bits of randomness, so lexicographic order is time order. The caller supplies
// both the time and the randomness: core reads neither a clock nor an entropy source.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace zae::core {

inline constexpr std::size_t kUlidLength = 26;

// `epoch_ms` is taken modulo 2^48 (ULIDs overflow in the year 10889); a negative value encodes
// as its 48-bit two's complement.
std::string make_ulid(std::int64_t epoch_ms, const std::array<std::uint8_t, 10>& randomness);

// True iff `text` is 26 Crockford base32 upper-case characters whose first is 0-7 (a ULID can
// encode at most 128 bits).
bool is_ulid(std::string_view text);

}  // namespace zae::core
