// SPDX-License-Identifier: MIT
// The bucket write planner (src/dynamodb/bucket_plan.h): decisions and the exact expressions of
// spec/data-model.md §7.1, hermetic. Property: the planned balance always equals the SQLite
// store's arithmetic (refill, clamp, consume), and every write form's guard admits exactly the
// stored states for which its result is that balance.
#include "dynamodb/bucket_plan.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "core/bucket.h"
#include "dynamodb/items.h"

namespace zae::dynamodb {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::int64_t kNow = 4'102'444'800'000;  // 2100-01-01T00:00:00Z

BucketItem item_with(std::int64_t tokens, std::int64_t rf, std::int64_t wcu_tokens = 1'000'000) {
  BucketItem item;
  item.entity_id = "key-1";
  item.resource = "gpt-4";
  item.refill_ms = rf;
  item.limits.push_back(BucketLimitFields{.name = "rpm",
                                          .tokens_milli = tokens,
                                          .capacity_milli = 10'000,
                                          .refill_amount_milli = 10'000,
                                          .refill_period_ms = 60'000,
                                          .total_consumed_milli = 0});
  item.wcu = full_wcu_fields();
  item.wcu->tokens_milli = wcu_tokens;
  return item;
}

ConsumeTarget target(std::vector<Limit> limits) {
  return ConsumeTarget{.entity_id = "key-1",
                       .resource = "gpt-4",
                       .limits = std::move(limits),
                       .source = LimitSource::kEntity};
}

ItemPlan planned(const std::optional<BucketItem>& state, std::int64_t amount,
                 std::vector<Limit> limits = {Limit::per_minute("rpm", 10)},
                 bool* admitted = nullptr) {
  ItemPlan plan = plan_item("key-1", "gpt-4", state, kNow);
  std::vector<LimitStatus> statuses;
  std::vector<ConsumedEntry> entries;
  const bool ok = plan_side(plan, target(std::move(limits)), {{"rpm", amount}}, statuses, entries);
  if (admitted != nullptr) {
    *admitted = ok;
  }
  return plan;
}

const WriteContext kContext{.table = "t", .ns = "ns", .ttl = {}, .hierarchy = {}};

TEST(BucketPlanTest, MissingOrExpiredItemIsCreated) {
  EXPECT_EQ(choose_write(planned(std::nullopt, 1)), WriteKind::kCreate);
  BucketItem expired = item_with(10'000, kNow - 1000);
  expired.ttl = kNow / 1000;  // ttl <= now_s
  EXPECT_EQ(choose_write(planned(expired, 1)), WriteKind::kCreate);
  const aws::PutItemRequest put = create_request(kContext, planned(std::nullopt, 3), {});
  EXPECT_EQ(put.condition_expression, "attribute_not_exists(PK) OR #ttl <= :now");
  EXPECT_EQ(put.item.at("b_rpm_tk").as_int64(), 7000);
  EXPECT_EQ(put.item.at("b_rpm_tc").as_int64(), 3000);
  EXPECT_EQ(put.item.at("b_wcu_tk").as_int64(), 1'000'000);
  EXPECT_EQ(put.item.at("rf").as_int64(), kNow);
}

TEST(BucketPlanTest, UncappedConsumptionIsTheWarmWrite) {
  // 4 tokens, 1 s since rf: 166 milli owed; nowhere near the cap.
  const ItemPlan plan = planned(item_with(4000, kNow - 1000), 2);
  ASSERT_EQ(choose_write(plan), WriteKind::kConsume);
  const aws::UpdateItemRequest update = consume_request(kContext, plan);
  // Row 2's ADDs (rf does not move) ...
  EXPECT_EQ(update.update_expression, "ADD #a2 :v2, #a3 :v3, #a7 :v9, #a8 :v10");
  // ... guarded by: rf as planned, not expired, enough with the refill owed, that refill not
  // capped, parameters unchanged, one WCU left, still one shard.
  EXPECT_EQ(update.condition_expression,
            "#a0 = :v0 AND (attribute_not_exists(#a1) OR #a1 > :v1) AND #a2 >= :v4 AND "
            "#a2 <= :v5 AND #a4 = :v6 AND #a5 = :v7 AND #a6 = :v8 AND #a7 >= :v11 AND "
            "(attribute_not_exists(#a9) OR #a9 = :v12)");
  const aws::ExpressionNames names{
      {"#a0", "rf"},       {"#a1", "ttl"},      {"#a2", "b_rpm_tk"}, {"#a3", "b_rpm_tc"},
      {"#a4", "b_rpm_cp"}, {"#a5", "b_rpm_ra"}, {"#a6", "b_rpm_rp"}, {"#a7", "b_wcu_tk"},
      {"#a8", "b_wcu_tc"}, {"#a9", "shard_count"}};
  EXPECT_EQ(update.expression_attribute_names, names);
  const auto value = [&](const char* name) {
    return update.expression_attribute_values.at(name).as_int64();
  };
  EXPECT_EQ(value(":v0"), kNow - 1000);
  EXPECT_EQ(value(":v1"), kNow / 1000);
  EXPECT_EQ(value(":v2"), -2000);
  EXPECT_EQ(value(":v3"), 2000);
  EXPECT_EQ(value(":v4"), 2000 - 166);
  EXPECT_EQ(value(":v5"), 10'000 - 166);
  EXPECT_EQ(value(":v6"), 10'000);
  EXPECT_EQ(value(":v7"), 10'000);
  EXPECT_EQ(value(":v8"), 60'000);
  EXPECT_EQ(value(":v9"), -1000);
  EXPECT_EQ(value(":v10"), 1000);
  EXPECT_EQ(value(":v11"), 1000);
  EXPECT_EQ(update.return_values, aws::ReturnValues::kAllNew);
  EXPECT_EQ(update.return_values_on_condition_check_failure,
            aws::ReturnValuesOnConditionCheckFailure::kAllOld);
}

TEST(BucketPlanTest, CappedRefillIsMaterializedAtNow) {
  // Full and idle for an hour: charging at rf would credit the capped refill a second time.
  const ItemPlan plan = planned(item_with(10'000, kNow - 3'600'000), 1);
  ASSERT_EQ(choose_write(plan), WriteKind::kRefill);
  const aws::UpdateItemRequest update = refill_request(kContext, plan);
  // rf moves to now; rpm and wcu are set to their caps (minus what is taken), guarded by
  // "still capped", so concurrent ADDs cannot be lost; rf locked as read.
  EXPECT_EQ(update.update_expression, "SET #a0 = :v0, #a2 = :v3, #a4 = :v6 ADD #a3 :v5");
  EXPECT_EQ(update.condition_expression,
            "#a0 = :v1 AND (attribute_not_exists(#a1) OR #a1 > :v2) AND #a2 >= :v4 AND "
            "#a4 >= :v7 AND (attribute_not_exists(#a5) OR #a5 = :v8)");
  const auto value = [&](const char* name) {
    return update.expression_attribute_values.at(name).as_int64();
  };
  EXPECT_EQ(value(":v0"), kNow);
  EXPECT_EQ(value(":v1"), kNow - 3'600'000);
  EXPECT_EQ(value(":v3"), 9000);
  EXPECT_EQ(value(":v4"), 10'000 - 600'000);
  EXPECT_EQ(value(":v5"), 1000);
  EXPECT_EQ(value(":v6"), 1'000'000);
}

TEST(BucketPlanTest, ChangedParametersAndNewLimitsNeedTheRefillingWrite) {
  EXPECT_EQ(choose_write(planned(item_with(4000, kNow), 1, {Limit::per_minute("rpm", 5)})),
            WriteKind::kRefill);
  EXPECT_EQ(choose_write(planned(item_with(4000, kNow), 1,
                                 {Limit::per_minute("rpm", 10), Limit::per_minute("tpm", 100)})),
            WriteKind::kRefill);
  EXPECT_EQ(choose_write(planned(item_with(4000, kNow, /*wcu_tokens=*/500), 1)),
            WriteKind::kRefill);
}

TEST(BucketPlanTest, RejectionReportsTheRefilledBalance) {
  bool admitted = true;
  const ItemPlan plan =
      planned(item_with(0, kNow - 500), 1, {Limit::per_minute("rpm", 60)}, &admitted);
  EXPECT_FALSE(admitted);
  EXPECT_EQ(plan.find("rpm")->consumed, 0);
}

TEST(BucketPlanTest, HierarchyRuleOfTheTargetItem) {
  BucketItem item = item_with(4000, kNow);
  const HierarchyRule to_project{.mode = HierarchyRule::Mode::kRequire,
                                 .hierarchy = {.cascade = true, .parent_id = "project"}};
  const HierarchyRule no_parent{.mode = HierarchyRule::Mode::kRequire, .hierarchy = {}};
  EXPECT_FALSE(hierarchy_matches(item, to_project));
  EXPECT_TRUE(hierarchy_matches(item, no_parent));
  item.cascade = true;
  item.parent_id = "project";
  EXPECT_TRUE(hierarchy_matches(item, to_project));
  EXPECT_FALSE(hierarchy_matches(item, no_parent));
  item.cascade = false;  // a parent without cascade is no cascade
  EXPECT_TRUE(hierarchy_matches(item, no_parent));

  const aws::UpdateItemRequest update =
      consume_request(WriteContext{.table = "t", .ns = "ns", .ttl = {}, .hierarchy = to_project},
                      planned(item_with(4000, kNow), 1));
  EXPECT_THAT(update.condition_expression, HasSubstr(" = :v"));
  bool names_cascade = false;
  for (const auto& [placeholder, name] : update.expression_attribute_names) {
    names_cascade = names_cascade || name == "cascade";
  }
  EXPECT_TRUE(names_cascade);
}

TEST(BucketPlanTest, DeltasRefillFirstAndCapRefunds) {
  ItemPlan plan = plan_item("key-1", "gpt-4", item_with(9000, kNow - 3000), kNow);
  ASSERT_TRUE(plan_deltas(plan, {{"rpm", 1000}}));
  EXPECT_EQ(plan.find("rpm")->tokens, 8500);  // 9000 + 500 refilled − 1000
  ItemPlan refund = plan_item("key-1", "gpt-4", item_with(9000, kNow), kNow);
  ASSERT_TRUE(plan_deltas(refund, {{"rpm", -5000}}));
  EXPECT_EQ(refund.find("rpm")->tokens, 10'000);  // capped (OQ-36)
  EXPECT_EQ(refund.find("rpm")->consumed, -5000);
  ItemPlan unknown = plan_item("key-1", "gpt-4", item_with(9000, kNow), kNow);
  EXPECT_FALSE(plan_deltas(unknown, {{"tpm", 1000}}));  // OQ-22
}

TEST(BucketPlanTest, AdjustmentsThatAnAddMakesExactLeaveRfAlone) {
  // 4 tokens, 1 s since rf (166 milli owed): 2 more taken is exact as ADD −2000 at rf.
  ItemPlan debt = plan_item("key-1", "gpt-4", item_with(4000, kNow - 1000), kNow);
  ASSERT_TRUE(plan_deltas(debt, {{"rpm", 2000}}));
  ASSERT_TRUE(deltas_apply_in_place(debt));
  const aws::UpdateItemRequest update = deltas_request(kContext, debt);
  EXPECT_EQ(update.update_expression, "ADD #a2 :v2, #a3 :v3");
  EXPECT_EQ(update.condition_expression,
            "#a0 = :v0 AND (attribute_not_exists(#a1) OR #a1 > :v1) AND #a2 <= :v4 AND "
            "(attribute_not_exists(#a4) OR #a4 = :v5)");
  EXPECT_EQ(update.expression_attribute_values.at(":v2").as_int64(), -2000);
  EXPECT_EQ(update.expression_attribute_values.at(":v3").as_int64(), 2000);
  EXPECT_EQ(update.expression_attribute_values.at(":v4").as_int64(), 10'000 - 166);

  // A refund that would meet the cap (OQ-36) needs the exact rewrite.
  ItemPlan refund = plan_item("key-1", "gpt-4", item_with(9000, kNow - 1000), kNow);
  ASSERT_TRUE(plan_deltas(refund, {{"rpm", -1000}}));
  EXPECT_FALSE(deltas_apply_in_place(refund));
  // So does a debt on a bucket whose refill is capped (refill first, then the debt).
  ItemPlan capped = plan_item("key-1", "gpt-4", item_with(10'000, kNow - 60'000), kNow);
  ASSERT_TRUE(plan_deltas(capped, {{"rpm", 1000}}));
  EXPECT_FALSE(deltas_apply_in_place(capped));
  EXPECT_EQ(capped.find("rpm")->tokens, 9000);
}

// The kConsume guard is exactly "uncapped and enough": for every stored balance it admits, the
// lazy balance after ADD −a equals the refill-first arithmetic; kRefill's chosen form likewise.
std::string alias_name(const aws::ExpressionNames& names, std::string_view alias) {
  for (const auto& [key, name] : names) {
    if (key == alias) {
      return name;
    }
  }
  return {};
}

BucketItem shard_of(BucketItem item, int shard, std::int64_t shard_count) {
  item.shard = shard;
  item.shard_count = shard_count;
  return item;
}

TEST(BucketPlanTest, AShardEnforcesItsShareOfTheLimitAndIsGuardedByTheShardCount) {
  // rpm 10 per minute over 2 shards: each shard holds at most 5 and refills 5 per minute.
  const BucketItem item = shard_of(item_with(5000, kNow - 6000), 1, 2);
  bool admitted = true;
  const ItemPlan six = planned(item, 6, {Limit::per_minute("rpm", 10)}, &admitted);
  EXPECT_FALSE(admitted);  // 5 + 0.5 refilled, capped at the share of 5
  const ItemPlan five = planned(item, 5, {Limit::per_minute("rpm", 10)}, &admitted);
  ASSERT_TRUE(admitted);
  EXPECT_EQ(five.shard, 1);
  EXPECT_EQ(five.find("rpm")->ceiling, 5000);
  EXPECT_EQ(five.find("rpm")->tokens, 0);
  const aws::UpdateItemRequest update = refill_request(kContext, five);
  EXPECT_EQ(update.key.at("PK").as_string(), "ns/BUCKET#key-1#gpt-4#1");
  EXPECT_THAT(update.condition_expression, HasSubstr(" AND #a5 = :v"));
  EXPECT_EQ(alias_name(update.expression_attribute_names, "#a5"), "shard_count");
  // The stored parameters stay undivided (the original's layout).
  EXPECT_EQ(five.find("rpm")->params.capacity_milli, 10'000);
}

TEST(BucketPlanTest, ASplitConservesShardZerosBalance) {
  // One shard, full (10 tokens): two shards of 5.
  const ItemPlan full = plan_item("key-1", "gpt-4", item_with(10'000, kNow), kNow);
  const std::optional<ShardSplit> two = plan_split(full, 2);
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(two->shard0.find("rpm")->tokens, 5000);
  ASSERT_EQ(two->created.size(), 1u);
  EXPECT_EQ(two->created[0].shard, 1);
  EXPECT_EQ(two->created[0].shard_count, 2);
  EXPECT_EQ(two->created[0].limits.at(0).tokens_milli, 5000);
  EXPECT_EQ(two->created[0].limits.at(0).total_consumed_milli, 0);
  EXPECT_EQ(two->created[0].limits.at(0).capacity_milli, 10'000);
  EXPECT_EQ(two->created[0].wcu, full_wcu_fields());
  const aws::UpdateItemRequest rewrite = rewrite_request(kContext, two->shard0);
  EXPECT_THAT(rewrite.update_expression, HasSubstr("#a4 = :v"));
  EXPECT_EQ(alias_name(rewrite.expression_attribute_names, "#a4"), "shard_count");

  // Two shards, shard 0 holding 3 of its 5: four shards; shard 0 keeps 2.5, shard 2 gets 0.5.
  const ItemPlan part = plan_item("key-1", "gpt-4", shard_of(item_with(3000, kNow), 0, 2), kNow);
  const std::optional<ShardSplit> four = plan_split(part, 4);
  ASSERT_TRUE(four.has_value());
  EXPECT_EQ(four->shard0.find("rpm")->tokens, 2500);
  ASSERT_EQ(four->created.size(), 2u);
  EXPECT_EQ(four->created[0].shard, 2);
  EXPECT_EQ(four->created[0].limits.at(0).tokens_milli, 500);
  EXPECT_EQ(four->created[1].shard, 3);
  EXPECT_EQ(four->created[1].limits.at(0).tokens_milli, 0);
  // Guarded by the count it split from, setting the new one.
  const aws::UpdateItemRequest split_write = rewrite_request(kContext, four->shard0);
  std::string shards_alias;
  for (const auto& [alias, name] : split_write.expression_attribute_names) {
    if (name == "shard_count") {
      shards_alias = alias;
    }
  }
  ASSERT_FALSE(shards_alias.empty());
  const auto alias_value = [&](std::string_view text, std::string_view prefix) {
    const std::size_t at = text.find(prefix);
    EXPECT_NE(at, std::string_view::npos) << text;
    const std::string_view rest = text.substr(at + prefix.size());
    const std::string alias(rest.substr(0, rest.find_first_of(" ,)")));
    return split_write.expression_attribute_values.at(alias).as_int64();
  };
  EXPECT_EQ(alias_value(split_write.condition_expression, shards_alias + " = "), 2);
  EXPECT_EQ(alias_value(split_write.update_expression, shards_alias + " = "), 4);

  // A balance in debt stays on shard 0; the new shards start empty.
  const ItemPlan debt = plan_item("key-1", "gpt-4", item_with(-4000, kNow), kNow);
  const std::optional<ShardSplit> split = plan_split(debt, 2);
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->shard0.find("rpm")->tokens, -4000);
  EXPECT_EQ(split->created.at(0).limits.at(0).tokens_milli, 0);

  // Only shard 0, only upwards, only an existing item.
  EXPECT_FALSE(plan_split(part, 2).has_value());
  EXPECT_FALSE(plan_split(plan_item("key-1", "gpt-4", std::nullopt, kNow), 2).has_value());
  EXPECT_FALSE(
      plan_split(plan_item("key-1", "gpt-4", shard_of(item_with(1, kNow), 1, 2), kNow), 4));
}

RC_GTEST_PROP(BucketPlanProperty, ASplitNeverCreatesTokens,
              (std::int64_t tokens, std::uint8_t exponent)) {
  const std::int64_t old_count = std::int64_t{1} << (exponent % 5);
  const std::int64_t balance = tokens % 20'000;
  const ItemPlan plan =
      plan_item("key-1", "gpt-4", shard_of(item_with(balance, kNow), 0, old_count), kNow);
  const std::optional<ShardSplit> split = plan_split(plan, old_count * 2);
  RC_ASSERT(split.has_value());
  const std::int64_t share = 10'000 / (old_count * 2);
  const std::int64_t kept = split->shard0.find("rpm")->tokens;
  RC_ASSERT(kept <= std::max(share, balance < 0 ? balance : share));
  std::int64_t sum = kept;
  for (const BucketItem& created : split->created) {
    RC_ASSERT(created.limits.at(0).tokens_milli >= 0);
    RC_ASSERT(created.limits.at(0).tokens_milli <= share);
    sum += created.limits.at(0).tokens_milli;
  }
  // Conserved or dropped, never created: a debt stays whole on shard 0.
  if (balance < 0) {
    RC_ASSERT(sum == balance);
  } else {
    RC_ASSERT(sum <= balance);
    RC_ASSERT(sum == std::min<std::int64_t>(balance, share * (old_count + 1)));
  }
}

// Shard 0 expired while shards 1..3 of a 4-shard bucket (rpm 10: shares of 2.5) live on.
std::vector<BucketItem> live_shards(std::vector<std::int64_t> balances, std::int64_t count) {
  std::vector<BucketItem> shards;
  for (std::size_t i = 0; i < balances.size(); ++i) {
    shards.push_back(shard_of(item_with(balances[i], kNow), static_cast<int>(i) + 1, count));
  }
  return shards;
}

ItemPlan joined(const std::vector<BucketItem>& shards, std::int64_t amount, bool* admitted,
                std::vector<Limit> limits = {Limit::per_minute("rpm", 10)},
                const std::optional<BucketItem>& state = std::nullopt) {
  ItemPlan plan = plan_item("key-1", "gpt-4", state, kNow);
  join_live_shards(plan, shards);
  std::vector<LimitStatus> statuses;
  std::vector<ConsumedEntry> entries;
  Amounts amounts;
  for (const Limit& limit : limits) {
    amounts.emplace_back(limit.name(), amount);
  }
  *admitted = plan_side(plan, target(std::move(limits)), amounts, statuses, entries);
  return plan;
}

TEST(BucketPlanTest, ACreatedShardZeroJoinsTheLiveShardsOfItsBucket) {
  // Shard 1 holds 4.9 (more than its share: a split dealt it out), shards 2 and 3 2.5 and 0:
  // 7.4 of 10 live elsewhere, so shard 0 starts at its share of 2.5 (room: 2.6).
  bool admitted = false;
  const ItemPlan plan = joined(live_shards({4900, 2500, 0}, 4), 1, &admitted);
  ASSERT_TRUE(admitted);
  EXPECT_EQ(plan.shard_count, 4);
  EXPECT_EQ(plan.live_elsewhere, 3);
  EXPECT_EQ(plan.find("rpm")->tokens, 1500);
  EXPECT_EQ(plan.find("rpm")->effective().capacity_milli, 2500);
  EXPECT_EQ(choose_write(plan), WriteKind::kCreate);
  const aws::PutItemRequest put = create_request(kContext, plan, {});
  EXPECT_EQ(put.item.at("shard_count").as_int64(), 4);
  EXPECT_EQ(put.item.at("b_rpm_tk").as_int64(), 1500);
  EXPECT_EQ(put.item.at("b_rpm_cp").as_int64(), 10'000);  // undivided, as always
  EXPECT_EQ(put.item.at("b_wcu_tk").as_int64(), 1'000'000);
  EXPECT_EQ(put.item.at("PK").as_string(), "ns/BUCKET#key-1#gpt-4#0");

  // The live shards hold 9.5: shard 0 starts with the 0.5 left.
  const ItemPlan tight = joined(live_shards({4500, 2500, 2500}, 4), 1, &admitted);
  EXPECT_FALSE(admitted);
  EXPECT_EQ(tight.find("rpm")->tokens, 500);
  // They hold it all (or more): nothing, never a debt.
  const ItemPlan none = joined(live_shards({5000, 5000, 2500}, 4), 0, &admitted);
  EXPECT_EQ(none.find("rpm")->tokens, 0);
  // Debts count as nothing held.
  const ItemPlan debt = joined(live_shards({-9000, 2500, 2500}, 4), 0, &admitted);
  EXPECT_EQ(debt.find("rpm")->tokens, 2500);
}

TEST(BucketPlanTest, AJoinTakesTheLargestCountAndIgnoresWhatIsNotALiveShard) {
  bool admitted = false;
  std::vector<BucketItem> shards = live_shards({0, 0}, 2);
  shards.push_back(shard_of(item_with(2500, kNow), 5, 4));  // an index beyond its count
  BucketItem expired = shard_of(item_with(2500, kNow), 6, 8);
  expired.ttl = kNow / 1000;
  shards.push_back(expired);
  BucketItem other = shard_of(item_with(2500, kNow), 7, 8);
  other.resource = "claude";
  shards.push_back(other);
  shards.push_back(shard_of(item_with(2500, kNow), 0, 8));  // shard 0 itself: not a sibling
  const ItemPlan plan = joined(shards, 0, &admitted);
  EXPECT_EQ(plan.shard_count, 6);
  EXPECT_EQ(plan.live_elsewhere, 3);
  EXPECT_EQ(plan.find("rpm")->tokens, 10'000 / 6);  // 10 − 2.5 held leaves more than a share

  // Nothing alive: a bucket of its own, full, as before.
  const ItemPlan alone = joined({expired, other}, 0, &admitted);
  EXPECT_EQ(alone.shard_count, 1);
  EXPECT_EQ(alone.find("rpm")->tokens, 10'000);
  // An existing shard 0 (or another shard) is planned from its own state.
  const ItemPlan existing =
      joined(live_shards({0, 0, 0}, 4), 0, &admitted, {Limit::per_minute("rpm", 10)},
             shard_of(item_with(7000, kNow), 0, 1));
  EXPECT_EQ(existing.shard_count, 1);
  EXPECT_EQ(existing.live_elsewhere, 0);
  EXPECT_EQ(existing.find("rpm")->tokens, 7000);
}

TEST(BucketPlanTest, ALimitTheLiveShardsLackCountsAsTheShareTheyWillAdd) {
  // Shards 1..3 store rpm only; tpm (100 per minute, shares of 25) is new to the bucket: each
  // will add it full at its share, so shard 0 may start tpm with what is left: 25.
  bool admitted = false;
  const ItemPlan plan =
      joined(live_shards({0, 0, 0}, 4), 0, &admitted,
             {Limit::per_minute("rpm", 10), Limit::per_minute("tpm", 100)});
  EXPECT_EQ(plan.find("rpm")->tokens, 2500);
  EXPECT_EQ(plan.find("tpm")->tokens, 25'000);
  // A resolved capacity below what the shards stored: the room shrinks with it.
  const ItemPlan lower = joined(live_shards({2500, 2500, 2500}, 4), 0, &admitted,
                                {Limit::per_minute("rpm", 8)});
  EXPECT_EQ(lower.find("rpm")->tokens, 500);
}

// For any live shards (any balances, refill owed, counts up to the largest), a shard 0 created
// among them never brings the sum of the spendable balances above the capacity, starts within
// [0, its share], and takes a count no shard exceeds.
RC_GTEST_PROP(BucketPlanProperty, AJoiningShardZeroNeverCreatesTokens, ()) {
  const std::int64_t count = std::int64_t{1} << *rc::gen::inRange(1, 5);
  const std::int64_t capacity = *rc::gen::inRange<std::int64_t>(1, 200) * 2000;
  const std::int64_t resolved = *rc::gen::element(capacity, capacity / 2, capacity * 2);
  std::vector<BucketItem> shards;
  std::int64_t held = 0;
  std::int64_t largest = 1;
  for (int shard = 1; shard < count; ++shard) {
    if (*rc::gen::inRange(0, 4) == 0) {
      continue;  // gone
    }
    const std::int64_t shard_count =
        *rc::gen::element(count, count / 2 > shard ? count / 2 : count);  // some missed one
    const std::int64_t elapsed = *rc::gen::inRange<std::int64_t>(0, 120'000);
    const std::int64_t tokens = *rc::gen::inRange<std::int64_t>(-capacity, capacity + 1);
    BucketItem item = shard_of(item_with(tokens, kNow - elapsed), shard, shard_count);
    item.limits[0].capacity_milli = capacity;
    item.limits[0].refill_amount_milli = capacity;
    shards.push_back(item);
    largest = std::max({largest, shard_count, std::int64_t{shard} + 1});
    // The spendable balance at now, by the lazy arithmetic: refilled at the shard's share.
    const std::int64_t share = capacity / shard_count;
    const std::int64_t add = elapsed * (capacity / shard_count) / 60'000;
    const std::int64_t now_tokens = add > 0 ? std::min(share, tokens + add) : tokens;
    held += std::max<std::int64_t>(now_tokens, 0);
  }
  bool admitted = false;
  const ItemPlan plan =
      joined(shards, 0, &admitted, {Limit("rpm", resolved / 1000, resolved / 1000, 60)});
  RC_ASSERT(plan.shard_count == largest);
  const std::int64_t share = shards.empty() ? resolved : resolved / largest;
  const std::int64_t start = plan.find("rpm")->tokens;
  RC_ASSERT(start >= 0);
  RC_ASSERT(start <= share);
  RC_ASSERT(start == 0 || start + held <= resolved);
  // As much as the invariant allows: the share, or all the room there is.
  RC_ASSERT(start == std::clamp<std::int64_t>(resolved - held, 0, share));
}

RC_GTEST_PROP(BucketPlanProperty, PlannedBalanceMatchesRefillFirstArithmetic, ()) {
  const std::int64_t capacity = *rc::gen::inRange<std::int64_t>(1, 1000) * 1000;
  const std::int64_t tokens = *rc::gen::inRange<std::int64_t>(-capacity, capacity + 1);
  const std::int64_t elapsed = *rc::gen::inRange<std::int64_t>(0, 400'000);
  const std::int64_t amount = *rc::gen::inRange<std::int64_t>(0, capacity / 1000 + 2);
  BucketItem item = item_with(tokens, kNow - elapsed);
  item.limits[0].capacity_milli = capacity;
  item.limits[0].refill_amount_milli = capacity;
  const Limit limit("rpm", capacity / 1000, capacity / 1000, 60);
  bool admitted = false;
  const ItemPlan plan = planned(item, amount, {limit}, &admitted);
  const core::BucketParams params = core::BucketParams::from(limit);
  const core::ConsumeDecision expected =
      core::try_consume({tokens, kNow - elapsed}, amount * 1000, kNow, params);
  RC_ASSERT(admitted == expected.admitted);
  if (!admitted) {
    return;
  }
  const PlannedLimit& rpm = *plan.find("rpm");
  RC_ASSERT(rpm.tokens == expected.state.tokens_milli);
  if (choose_write(plan) == WriteKind::kConsume) {
    // Stored tk − a, refilled lazily at now, is the same balance.
    const core::TokenState lazy =
        core::refill({tokens - amount * 1000, kNow - elapsed}, kNow, params);
    RC_ASSERT(lazy.tokens_milli == expected.state.tokens_milli);
  }
}

}  // namespace
}  // namespace zae::dynamodb
