// SPDX-License-Identifier: MIT
#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zae/errors.h"
#include "zae/limit.h"

#include "sqlite/codec.h"

namespace zae::sqlite {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

StoredLimit stored(std::string name, std::int64_t tokens, std::int64_t capacity,
                   std::int64_t refill, std::int64_t period_ms,
                   std::optional<std::int64_t> consumed) {
  return StoredLimit{.name = std::move(name),
                     .params = {capacity, refill, period_ms},
                     .tokens_milli = tokens,
                     .total_consumed_milli = consumed};
}

bool same(const StoredLimit& a, const StoredLimit& b) {
  return a.name == b.name && a.params == b.params && a.tokens_milli == b.tokens_milli &&
         a.total_consumed_milli == b.total_consumed_milli;
}

TEST(SqliteCodecTest, BucketLimitsRoundTrip) {
  const std::vector<StoredLimit> limits{
      stored("rpm", 99'000, 100'000, 100'000, 60'000, 1000),
      stored("tpm.v2", -1'500'000, 10'000'000, 10'000'000, 60'000, std::nullopt),
      stored("huge", 9'000'000'000'000'000'000, 1'000'000'000'000'000'000, 1, 1,
             -9'000'000'000'000'000'000)};
  std::string text;
  append_bucket_limits(text, limits);
  EXPECT_EQ(text.substr(0, 34), "rpm:99000:100000:100000:60000:1000");
  std::vector<StoredLimit> decoded;
  ASSERT_TRUE(decode_bucket_limits(text, decoded));
  ASSERT_EQ(decoded.size(), limits.size());
  for (std::size_t i = 0; i < limits.size(); ++i) {
    EXPECT_TRUE(same(decoded[i], limits[i])) << i;
  }
  ASSERT_TRUE(decode_bucket_limits("", decoded));
  EXPECT_TRUE(decoded.empty());
}

TEST(SqliteCodecTest, RejectsMalformedBucketLimits) {
  std::vector<StoredLimit> decoded;
  for (const char* text : {"rpm", "rpm:1:2:3", "rpm:1:2:3:4:5", "rpm:1:2:3:4:", "rpm:1:2:3:4:x;",
                           ":1:2:3:4:5;", "rpm:1:2:0:4:5;", "rpm:1:2:3:0:5;", "rpm:1.5:2:3:4:5;",
                           "rpm:99999999999999999999:2:3:4:;"}) {
    EXPECT_FALSE(decode_bucket_limits(text, decoded)) << text;
  }
}

TEST(SqliteCodecTest, ConfigLimitsRoundTrip) {
  const std::vector<Limit> limits{Limit::per_minute("rpm", 100),
                                  Limit::per_minute("tpm", 10'000, 15'000),
                                  Limit::custom("daily-v1", 5, 1, 86'400)};
  const std::string text = encode_limits(limits);
  EXPECT_EQ(text, "rpm:100:100:60;tpm:15000:10000:60;daily-v1:5:1:86400;");
  EXPECT_EQ(decode_limits(text), limits);
  EXPECT_TRUE(decode_limits("").empty());
  EXPECT_THROW(decode_limits("rpm:100"), InfrastructureError);
  EXPECT_THROW(decode_limits("rpm:0:1:1;"), ValidationError);  // out of range for a Limit
}

TEST(SqliteCodecTest, LimitFromParamsFloorsToTokensAndSeconds) {
  EXPECT_EQ(limit_from_params("rpm", {100'000, 100'000, 60'000}), Limit::per_minute("rpm", 100));
}

TEST(SqliteCodecTest, MetadataRoundTripsThroughJson) {
  const std::map<std::string, std::string> metadata{
      {"tier", "gold"}, {"note", "say \"hi\"\\\n\t\x01"}, {"name", "Caf\xc3\xa9"}, {"", ""}};
  const std::string json = encode_metadata(metadata);
  EXPECT_EQ(encode_metadata({}), "{}");
  EXPECT_THAT(decode_metadata(json), Optional(metadata));
}

TEST(SqliteCodecTest, ParsesJsonEscapes) {
  EXPECT_THAT(
      decode_metadata(R"( { "a" : "\u00e9\ud83d\ude00\/" , "b":"" } )"),
      Optional(std::map<std::string, std::string>{{"a", "\xc3\xa9\xf0\x9f\x98\x80/"}, {"b", ""}}));
}

TEST(SqliteCodecTest, RejectsMalformedMetadata) {
  for (const char* json :
       {"", "[]", "{", "{\"a\"}", "{\"a\":1}", "{\"a\":\"b\",}", "{\"a\":\"b\"} x",
        "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"b\""}) {
    EXPECT_EQ(decode_metadata(json), std::nullopt) << json;
  }
}

}  // namespace
}  // namespace zae::sqlite
