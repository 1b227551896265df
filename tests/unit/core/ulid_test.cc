// SPDX-License-Identifier: MIT
#include "core/ulid.h"

#include <array>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace zae::core {
namespace {

using Randomness = std::array<std::uint8_t, 10>;

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

std::int64_t decode_time(std::string_view ulid) {
  std::int64_t ms = 0;
  for (const char c : ulid.substr(0, 10)) {
    ms = ms * 32 + static_cast<std::int64_t>(kAlphabet.find(c));
  }
  return ms;
}

TEST(UlidTest, ZeroAndMaximum) {
  EXPECT_EQ(make_ulid(0, Randomness{}), "00000000000000000000000000");
  Randomness ones;
  ones.fill(0xFF);
  EXPECT_EQ(make_ulid((std::int64_t{1} << 48) - 1, ones), "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
}

TEST(UlidTest, TimestampMatchesUlidSpecExample) {
  // The ULID specification's example timestamp prefix.
  EXPECT_EQ(make_ulid(1469918176385, Randomness{}).substr(0, 10), "01ARYZ6S41");
}

TEST(UlidTest, RandomnessIsBigEndianBase32) {
  Randomness last{};
  last[9] = 1;
  EXPECT_EQ(make_ulid(0, last), "00000000000000000000000001");
  Randomness first{};
  first[0] = 0x80;  // the top bit of 80 → first randomness character carries 5 bits: 10000
  EXPECT_EQ(make_ulid(0, first), "0000000000G000000000000000");
  Randomness middle{};
  middle[4] = 0x1F;  // low 5 bits of the first 40-bit half
  middle[5] = 0xF8;  // top 5 bits of the second half
  EXPECT_EQ(make_ulid(0, middle), "00000000000000000ZZ0000000");
}

TEST(UlidTest, TimestampIsTakenModulo48Bits) {
  EXPECT_EQ(make_ulid(std::int64_t{1} << 48, Randomness{}), make_ulid(0, Randomness{}));
}

TEST(UlidTest, IsUlid) {
  EXPECT_TRUE(is_ulid("01ARYZ6S41TSV4RRFFQ69G5FAV"));
  EXPECT_FALSE(is_ulid("01ARYZ6S41TSV4RRFFQ69G5FA"));    // 25
  EXPECT_FALSE(is_ulid("01ARYZ6S41TSV4RRFFQ69G5FAVV"));  // 27
  EXPECT_FALSE(is_ulid("01ARYZ6S41TSV4RRFFQ69G5FAI"));   // I is not Crockford
  EXPECT_FALSE(is_ulid("01arYZ6S41TSV4RRFFQ69G5FAV"));   // lower case
  EXPECT_FALSE(is_ulid("81ARYZ6S41TSV4RRFFQ69G5FAV"));   // more than 128 bits
}

Randomness random_bytes() {
  Randomness r;
  for (auto& b : r) {
    b = *rc::gen::arbitrary<std::uint8_t>();
  }
  return r;
}

RC_GTEST_PROP(UlidProperty, FormatAndTimestamp, ()) {
  const auto ms = *rc::gen::inRange<std::int64_t>(0, std::int64_t{1} << 48);
  const std::string id = make_ulid(ms, random_bytes());
  RC_ASSERT(id.size() == kUlidLength);
  RC_ASSERT(is_ulid(id));
  RC_ASSERT(decode_time(id) == ms);
}

// AU-2: lexicographic order is time order, whatever the randomness.
RC_GTEST_PROP(UlidProperty, OrderFollowsTime, ()) {
  const auto t1 = *rc::gen::inRange<std::int64_t>(0, (std::int64_t{1} << 48) - 1);
  const auto t2 = *rc::gen::inRange<std::int64_t>(t1 + 1, std::int64_t{1} << 48);
  RC_ASSERT(make_ulid(t1, random_bytes()) < make_ulid(t2, random_bytes()));
}

RC_GTEST_PROP(UlidProperty, SameTimeOrdersByRandomness, ()) {
  const auto ms = *rc::gen::inRange<std::int64_t>(0, std::int64_t{1} << 48);
  const Randomness a = random_bytes();
  const Randomness b = random_bytes();
  RC_ASSERT((make_ulid(ms, a) < make_ulid(ms, b)) == (a < b));
}

}  // namespace
}  // namespace zae::core
