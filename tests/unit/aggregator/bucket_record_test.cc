// SPDX-License-Identifier: MIT
#include "aggregator/bucket_record.h"

#include <gtest/gtest.h>

namespace zae::aggregator {
namespace {

using aws::AttributeMap;
using aws::AttributeValue;

AttributeValue S(std::string text) { return AttributeValue::of_string(std::move(text)); }
AttributeValue N(std::int64_t value) { return AttributeValue::of_int64(value); }

// A bucket image of ns "ns1", entity "e1", resource "gpt-4", shard `shard`.
AttributeMap bucket(std::int64_t rpm_tc, std::int64_t tpm_tc, std::int64_t wcu_tc = 0,
                    int shard = 0) {
  AttributeMap item{
      {"PK", S("ns1/BUCKET#e1#gpt-4#" + std::to_string(shard))},
      {"SK", S("#STATE")},
      {"entity_id", S("e1")},
      {"resource", S("gpt-4")},
      {"rf", N(1'000)},
      {"shard_count", N(1)},
      {"b_rpm_tk", N(5'000)},
      {"b_rpm_cp", N(10'000)},
      {"b_rpm_ra", N(10'000)},
      {"b_rpm_rp", N(60'000)},
      {"b_rpm_tc", N(rpm_tc)},
      {"b_tpm-v1.2_tk", N(90'000)},
      {"b_tpm-v1.2_cp", N(100'000)},
      {"b_tpm-v1.2_ra", N(100'000)},
      {"b_tpm-v1.2_rp", N(60'000)},
      {"b_tpm-v1.2_tc", N(tpm_tc)},
      {"b_wcu_tk", N(1'000'000 - wcu_tc)},
      {"b_wcu_cp", N(1'000'000)},
      {"b_wcu_ra", N(1'000'000)},
      {"b_wcu_rp", N(1'000)},
      {"b_wcu_tc", N(wcu_tc)},
  };
  return item;
}

aws::StreamRecord record(std::string event, std::optional<AttributeMap> new_image,
                         std::optional<AttributeMap> old_image) {
  return aws::StreamRecord{.event_id = "id",
                           .event_name = std::move(event),
                           .sequence_number = "100",
                           .approximate_creation_ms = 1'772'000'000'000,
                           .size_bytes = 0,
                           .stream_view_type = "NEW_AND_OLD_IMAGES",
                           .keys = {},
                           .new_image = std::move(new_image),
                           .old_image = std::move(old_image)};
}

TEST(BucketRecordTest, ModifyGivesNewMinusOldPerLimitAndWcuApart) {
  const ParsedRecord parsed = parse_bucket_record(
      record("MODIFY", bucket(3'000, 1'500, 2'000), bucket(2'000, 1'000, 1'000)), 0);
  ASSERT_TRUE(parsed.record);
  const BucketRecord& r = *parsed.record;
  EXPECT_EQ(r.namespace_id, "ns1");
  EXPECT_EQ(r.entity_id, "e1");
  EXPECT_EQ(r.resource, "gpt-4");
  EXPECT_EQ(r.shard, 0);
  EXPECT_EQ(r.sequence_number, "100");
  EXPECT_EQ(r.event_ms, 1'772'000'000'000);
  ASSERT_EQ(r.deltas.size(), 2u);
  EXPECT_EQ(r.deltas[0], (LimitDelta{"rpm", 1'000}));
  EXPECT_EQ(r.deltas[1], (LimitDelta{"tpm-v1.2", 500}));
  EXPECT_EQ(r.wcu_delta_milli, 1'000);
}

TEST(BucketRecordTest, InsertCountsTheCreatingConsumption) {
  const ParsedRecord parsed =
      parse_bucket_record(record("INSERT", bucket(1'000, 0), std::nullopt), 0);
  ASSERT_TRUE(parsed.record);
  ASSERT_EQ(parsed.record->deltas.size(), 1u);  // tpm consumed nothing: no delta
  EXPECT_EQ(parsed.record->deltas[0], (LimitDelta{"rpm", 1'000}));
}

TEST(BucketRecordTest, UnchangedCountersGiveNoDeltas) {
  const ParsedRecord parsed =
      parse_bucket_record(record("MODIFY", bucket(1'000, 1'000), bucket(1'000, 1'000)), 0);
  ASSERT_TRUE(parsed.record);
  EXPECT_TRUE(parsed.record->deltas.empty());
}

TEST(BucketRecordTest, NegativeDeltaOfARelease) {
  const ParsedRecord parsed =
      parse_bucket_record(record("MODIFY", bucket(1'000, 500), bucket(1'000, 1'000)), 0);
  ASSERT_TRUE(parsed.record);
  ASSERT_EQ(parsed.record->deltas.size(), 1u);
  EXPECT_EQ(parsed.record->deltas[0], (LimitDelta{"tpm-v1.2", -500}));
}

TEST(BucketRecordTest, OldImageWithoutTcMakesThatDeltaUnknown) {
  AttributeMap old = bucket(0, 1'000);
  old.erase("b_rpm_tc");
  const ParsedRecord parsed = parse_bucket_record(record("MODIFY", bucket(4'000, 2'000), old), 0);
  ASSERT_TRUE(parsed.record);
  ASSERT_EQ(parsed.record->deltas.size(), 1u);
  EXPECT_EQ(parsed.record->deltas[0].name, "tpm-v1.2");
}

TEST(BucketRecordTest, LimitNewToTheItemCountsFromZero) {
  AttributeMap old = bucket(0, 1'000);
  for (const char* f : {"b_rpm_tk", "b_rpm_cp", "b_rpm_ra", "b_rpm_rp", "b_rpm_tc"}) {
    old.erase(f);
  }
  const ParsedRecord parsed = parse_bucket_record(record("MODIFY", bucket(2'000, 1'000), old), 0);
  ASSERT_TRUE(parsed.record);
  ASSERT_EQ(parsed.record->deltas.size(), 1u);
  EXPECT_EQ(parsed.record->deltas[0], (LimitDelta{"rpm", 2'000}));
}

TEST(BucketRecordTest, ShardComesFromTheKey) {
  const ParsedRecord parsed =
      parse_bucket_record(record("MODIFY", bucket(2'000, 0, 0, 3), bucket(1'000, 0, 0, 3)), 0);
  ASSERT_TRUE(parsed.record);
  EXPECT_EQ(parsed.record->shard, 3);
}

TEST(BucketRecordTest, EventTimeFallsBackWhenTheRecordHasNone) {
  aws::StreamRecord r = record("MODIFY", bucket(2'000, 0), bucket(1'000, 0));
  r.approximate_creation_ms.reset();
  EXPECT_EQ(parse_bucket_record(r, 42).record->event_ms, 42);
}

TEST(BucketRecordTest, SkipsWhatIsNotAUsableBucketRecord) {
  EXPECT_EQ(parse_bucket_record(record("REMOVE", std::nullopt, bucket(0, 0)), 0).skipped,
            SkipReason::kRemove);
  EXPECT_EQ(parse_bucket_record(record("MODIFY", std::nullopt, bucket(0, 0)), 0).skipped,
            SkipReason::kNoImage);

  AttributeMap legacy = bucket(1'000, 0);
  legacy.set("PK", S("BUCKET#e1#gpt-4#0"));
  EXPECT_EQ(parse_bucket_record(record("MODIFY", legacy, std::nullopt), 0).skipped,
            SkipReason::kPreNamespace);

  AttributeMap meta{{"PK", S("ns1/ENTITY#e1")}, {"SK", S("#META")}, {"entity_id", S("e1")}};
  EXPECT_EQ(parse_bucket_record(record("INSERT", meta, std::nullopt), 0).skipped,
            SkipReason::kNotBucket);

  AttributeMap wrong_sk = bucket(1'000, 0);
  wrong_sk.set("SK", S("#OTHER"));
  EXPECT_EQ(parse_bucket_record(record("INSERT", wrong_sk, std::nullopt), 0).skipped,
            SkipReason::kNotBucket);

  AttributeMap ghost = bucket(1'000, 0);
  ghost.erase("entity_id");
  EXPECT_EQ(parse_bucket_record(record("MODIFY", ghost, bucket(0, 0)), 0).skipped,
            SkipReason::kMissingEntity);
  ghost.set("entity_id", S(""));
  EXPECT_EQ(parse_bucket_record(record("MODIFY", ghost, bucket(0, 0)), 0).skipped,
            SkipReason::kMissingEntity);

  AttributeMap malformed = bucket(1'000, 0);
  malformed.set("b_rpm_tk", S("not a number"));
  const ParsedRecord bad = parse_bucket_record(record("MODIFY", malformed, bucket(0, 0)), 0);
  EXPECT_EQ(bad.skipped, SkipReason::kMalformed);
  EXPECT_FALSE(bad.detail.empty());
}

}  // namespace
}  // namespace zae::aggregator
