// SPDX-License-Identifier: MIT
#include "aggregator/refill.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace zae::aggregator {
namespace {

using dynamodb::BucketLimitFields;

constexpr std::int64_t kNow = 1'800'000'000'000;

// rpm: 10 tokens, refill 10 per second; wcu as created.
BucketBatchState state(std::int64_t rpm_tk, std::int64_t rf, std::int64_t consumed,
                       std::int64_t shard_count = 1, int shard = 0,
                       std::int64_t wcu_tk = 1'000'000) {
  BucketBatchState s;
  s.namespace_id = "ns1";
  s.entity_id = "e1";
  s.resource = "gpt-4";
  s.shard = shard;
  s.first_shard_count = shard_count;
  s.last.entity_id = "e1";
  s.last.resource = "gpt-4";
  s.last.shard = shard;
  s.last.refill_ms = rf;
  s.last.shard_count = shard_count;
  s.last.limits = {BucketLimitFields{.name = "rpm",
                                     .tokens_milli = rpm_tk,
                                     .capacity_milli = 10'000,
                                     .refill_amount_milli = 10'000,
                                     .refill_period_ms = 1'000,
                                     .total_consumed_milli = 0}};
  s.last.wcu = BucketLimitFields{.name = "wcu",
                                 .tokens_milli = wcu_tk,
                                 .capacity_milli = 1'000'000,
                                 .refill_amount_milli = 1'000'000,
                                 .refill_period_ms = 1'000,
                                 .total_consumed_milli = 0};
  s.consumed_milli["rpm"] = consumed;
  s.records = 1;
  return s;
}

std::string alias_of(const aws::UpdateItemRequest& r, const std::string& attribute) {
  for (const auto& [alias, name] : r.expression_attribute_names) {
    if (name == attribute) {
      return alias;
    }
  }
  return "<none>";
}

// The ":vN" placeholder holding `value` (the first one).
std::string value_alias(const aws::UpdateItemRequest& r, std::int64_t value) {
  for (const auto& [alias, v] : r.expression_attribute_values) {
    if (v.type() == aws::AttributeType::kNumber && v.as_int64() == value) {
      return alias;
    }
  }
  return "<none>";
}

TEST(RefillDecisionTest, NoRefillWhileTheStoredBalanceCoversABatch) {
  EXPECT_FALSE(
      needs_refill(state(8'000, kNow - 500, 2'000), kNow, RefillTrigger::kStoredBelowBatch));
}

TEST(RefillDecisionTest, RefillWhenTheStoredBalanceIsBelowABatch) {
  const BucketBatchState s = state(1'000, kNow - 10'000, 3'000);
  EXPECT_TRUE(needs_refill(s, kNow, RefillTrigger::kStoredBelowBatch));
  // The original compares the projection, capped at cp after an old rf: it never fires here.
  EXPECT_FALSE(needs_refill(s, kNow, RefillTrigger::kProjectedBelowBatch));
}

TEST(RefillDecisionTest, OriginalTriggerFiresWhenEvenTheRefillFallsShort) {
  // 100 ms since rf: +1 token; 5 consumed in the batch, 1 stored.
  EXPECT_TRUE(
      needs_refill(state(1'000, kNow - 100, 5'000), kNow, RefillTrigger::kProjectedBelowBatch));
}

TEST(RefillDecisionTest, NothingToGainNoRefill) {
  EXPECT_FALSE(needs_refill(state(0, kNow, 5'000), kNow, RefillTrigger::kStoredBelowBatch));
  EXPECT_FALSE(needs_refill(state(10'000, kNow - 10'000, 50'000), kNow,
                            RefillTrigger::kStoredBelowBatch));  // already full
}

TEST(RefillRequestTest, CreditsUncappedLimitsByAddUnderTheRfLockOnTheShard) {
  // 200 ms: rpm +2 tokens (1 -> 3, below the cap); wcu +200 000 capped at 1 000 000.
  const auto request = refill_request("tbl", state(1'000, kNow - 200, 3'000, 1, 0, 900'000), kNow);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->key.at("PK").as_string(), "ns1/BUCKET#e1#gpt-4#0");
  EXPECT_EQ(request->return_values, aws::ReturnValues::kNone);
  const std::string rf = alias_of(*request, "rf");
  const std::string tk = alias_of(*request, "b_rpm_tk");
  const std::string wcu = alias_of(*request, "b_wcu_tk");
  EXPECT_THAT(request->update_expression,
              ::testing::HasSubstr(rf + " = " + value_alias(*request, kNow)));
  EXPECT_THAT(request->update_expression,
              ::testing::HasSubstr(tk + " " + value_alias(*request, 2'000)));
  EXPECT_THAT(request->condition_expression,
              ::testing::HasSubstr(rf + " = " + value_alias(*request, kNow - 200)));
  // Never above capacity: the ADD only applies while tk <= cp - add.
  EXPECT_THAT(request->condition_expression,
              ::testing::HasSubstr(tk + " <= " + value_alias(*request, 8'000)));
  // wcu is capped: set to the cap only while tk + add still reaches it.
  EXPECT_THAT(request->update_expression,
              ::testing::HasSubstr(wcu + " = " + value_alias(*request, 1'000'000)));
  EXPECT_THAT(request->condition_expression,
              ::testing::HasSubstr(wcu + " >= " + value_alias(*request, 800'000)));
  EXPECT_THAT(request->update_expression, ::testing::Not(::testing::HasSubstr("_tc")));
}

TEST(RefillRequestTest, ShardedBucketRefillsWithEffectiveParametersButWholeWcu) {
  // 2 shards: rpm cp 5 tokens, 5 per second per shard; 100 ms: +0.5 token. wcu +100 000.
  const auto request = refill_request("tbl", state(1'000, kNow - 100, 3'000, 2, 1, 800'000), kNow);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->key.at("PK").as_string(), "ns1/BUCKET#e1#gpt-4#1");
  const std::string tk = alias_of(*request, "b_rpm_tk");
  const std::string wcu = alias_of(*request, "b_wcu_tk");
  EXPECT_THAT(request->update_expression,
              ::testing::HasSubstr(tk + " " + value_alias(*request, 500)));
  EXPECT_THAT(request->condition_expression,
              ::testing::HasSubstr(tk + " <= " + value_alias(*request, 4'500)));
  EXPECT_THAT(request->update_expression,
              ::testing::HasSubstr(wcu + " " + value_alias(*request, 100'000)));
  // Stored parameters stay undivided.
  EXPECT_THAT(request->update_expression, ::testing::Not(::testing::HasSubstr("_cp")));
}

TEST(RefillRequestTest, AShardAboveItsShareIsClampedToIt) {
  // Shard 0 of 2 holds 8 tokens (a Python client writes it undivided): the refill caps it at
  // its share of 5, as the C++ store's own writes do, so the shards never add up to more.
  const auto request = refill_request("tbl", state(8'000, kNow - 1'000, 3'000, 2, 0), kNow);
  ASSERT_TRUE(request);
  const std::string tk = alias_of(*request, "b_rpm_tk");
  EXPECT_THAT(request->update_expression,
              ::testing::HasSubstr(tk + " = " + value_alias(*request, 5'000)));
  // Planned for two shards: a split meanwhile makes the write fail.
  EXPECT_THAT(request->condition_expression,
              ::testing::HasSubstr(alias_of(*request, "shard_count") + " = " +
                                   value_alias(*request, 2)));
}

TEST(RefillRequestTest, NothingToCreditNoWrite) {
  EXPECT_FALSE(refill_request("tbl", state(1'000, kNow, 3'000), kNow));
}

TEST(BucketBatchesTest, GroupsPerShardSumsConsumptionKeepsLastImage) {
  BucketBatches batches;
  BucketRecord r;
  r.namespace_id = "ns1";
  r.entity_id = "e1";
  r.resource = "gpt-4";
  r.shard = 0;
  r.state.shard_count = 1;
  r.state.refill_ms = 1;
  r.deltas = {{"rpm", 1'000}};
  r.wcu_delta_milli = 1'000;
  batches.add(r);
  r.state.shard_count = 2;
  r.state.refill_ms = 2;
  batches.add(r);
  r.shard = 1;
  batches.add(r);
  ASSERT_EQ(batches.states().size(), 2u);
  const BucketBatchState& s0 = batches.states()[0];
  EXPECT_EQ(s0.first_shard_count, 1);
  EXPECT_EQ(s0.last.refill_ms, 2);
  EXPECT_EQ(s0.records, 2);
  EXPECT_EQ(s0.consumed_milli.at("rpm"), 2'000);
  EXPECT_EQ(s0.consumed_milli.at("wcu"), 2'000);
  EXPECT_EQ(batches.states()[1].shard, 1);
}

}  // namespace
}  // namespace zae::aggregator
