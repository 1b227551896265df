// SPDX-License-Identifier: MIT
#include "aggregator/refill.h"

#include <algorithm>
#include <utility>

#include "core/bucket.h"
#include "dynamodb/bucket_plan.h"
#include "dynamodb/keys.h"

namespace zae::aggregator {
namespace {

using dynamodb::BucketLimitFields;

std::int64_t shard_divisor(const BucketBatchState& state) {
  return std::max<std::int64_t>(1, state.first_shard_count);
}

// The limit as one shard owns it (AG-10).
BucketLimitFields effective(const BucketLimitFields& limit, std::int64_t shard_count, bool is_wcu) {
  BucketLimitFields out = limit;
  if (!is_wcu && shard_count > 1) {
    // Clients read and write shard 0 with undivided values (spec/data-model.md Q4), so its
    // balance may exceed cp / n: the cap then stays at that balance (never above cp), so the
    // refill never lowers what a client already holds.
    out.capacity_milli = std::max(core::floor_div(limit.capacity_milli, shard_count),
                                  std::min(limit.tokens_milli, limit.capacity_milli));
    out.refill_amount_milli = core::floor_div(limit.refill_amount_milli, shard_count);
  }
  return out;
}

dynamodb::BucketItem effective_item(const BucketBatchState& state) {
  dynamodb::BucketItem item = state.last;
  const std::int64_t n = shard_divisor(state);
  for (BucketLimitFields& limit : item.limits) {
    limit = effective(limit, n, false);
  }
  if (item.wcu) {
    item.wcu = effective(*item.wcu, n, true);
  }
  return item;
}

bool limit_needs_refill(const BucketLimitFields& limit, std::int64_t rf, std::int64_t now_ms,
                        std::int64_t consumed_milli, RefillTrigger trigger) {
  if (limit.refill_period_ms <= 0 || limit.refill_amount_milli <= 0) {
    return false;
  }
  const core::BucketParams params{limit.capacity_milli, limit.refill_amount_milli,
                                  limit.refill_period_ms};
  const core::TokenState refilled =
      core::refill(core::TokenState{limit.tokens_milli, rf}, now_ms, params);
  if (refilled.tokens_milli - limit.tokens_milli <= 0) {
    return false;
  }
  const std::int64_t compared =
      trigger == RefillTrigger::kProjectedBelowBatch ? refilled.tokens_milli : limit.tokens_milli;
  return compared < std::max<std::int64_t>(0, consumed_milli);
}

}  // namespace

void BucketBatches::add(const BucketRecord& record) {
  auto key = std::make_tuple(record.namespace_id, record.entity_id, record.resource, record.shard);
  auto [it, inserted] = index_.try_emplace(std::move(key), states_.size());
  if (inserted) {
    states_.push_back(BucketBatchState{.namespace_id = record.namespace_id,
                                       .entity_id = record.entity_id,
                                       .resource = record.resource,
                                       .shard = record.shard,
                                       .first_shard_count = record.state.shard_count,
                                       .last = {},
                                       .consumed_milli = {},
                                       .records = 0});
  }
  BucketBatchState& state = states_[it->second];
  state.last = record.state;
  state.records += 1;
  for (const LimitDelta& delta : record.deltas) {
    state.consumed_milli[delta.name] += delta.milli;
  }
  if (record.wcu_delta_milli != 0) {
    state.consumed_milli[std::string(dynamodb::kWcuLimit)] += record.wcu_delta_milli;
  }
}

bool needs_refill(const BucketBatchState& state, std::int64_t now_ms, RefillTrigger trigger) {
  const dynamodb::BucketItem item = effective_item(state);
  const auto consumed = [&](std::string_view name) {
    auto it = state.consumed_milli.find(name);
    return it == state.consumed_milli.end() ? std::int64_t{0} : it->second;
  };
  for (const BucketLimitFields& limit : item.limits) {
    if (limit_needs_refill(limit, item.refill_ms, now_ms, consumed(limit.name), trigger)) {
      return true;
    }
  }
  return item.wcu && limit_needs_refill(*item.wcu, item.refill_ms, now_ms,
                                        consumed(dynamodb::kWcuLimit), trigger);
}

std::optional<aws::UpdateItemRequest> refill_request(std::string_view table,
                                                     const BucketBatchState& state,
                                                     std::int64_t now_ms) {
  // The planner applies the shard's share of every limit itself (bucket_plan.h) and guards the
  // write by the shard count it read, so a refill planned before a split never applies.
  const dynamodb::ItemPlan plan =
      dynamodb::plan_item(state.entity_id, state.resource, state.last, now_ms);
  if (!plan.exists) {
    return std::nullopt;  // expired (spec/data-model.md §9): never revive it
  }
  const bool credits = std::any_of(plan.limits.begin(), plan.limits.end(),
                                   [](const dynamodb::PlannedLimit& l) { return l.add > 0; });
  if (!credits) {
    return std::nullopt;
  }
  // Nothing is consumed, no parameter changes (the stored cp/ra stay undivided: only the plan
  // sees the effective ones), ttl and hierarchy untouched.
  aws::UpdateItemRequest request = dynamodb::refill_request(
      dynamodb::WriteContext{.table = table, .ns = state.namespace_id, .ttl = {}, .hierarchy = {}},
      plan);
  request.return_values = aws::ReturnValues::kNone;
  request.return_values_on_condition_check_failure =
      aws::ReturnValuesOnConditionCheckFailure::kNone;
  return request;
}

}  // namespace zae::aggregator
