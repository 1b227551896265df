// SPDX-License-Identifier: MIT
#include "dynamodb/bucket_plan.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "dynamodb/keys.h"
#include "store/request_checks.h"

namespace zae::dynamodb {
namespace {

using aws::AttributeValue;
using core::kMilli;

__extension__ typedef __int128 Int128;

// Refill owed so far is bounded far below this, yet the sums below must not overflow.
constexpr std::int64_t kMaxAdd = std::int64_t{1} << 61;

std::int64_t epoch_seconds(std::int64_t now_ms) { return core::floor_div(now_ms, kMilli); }

// floor(elapsed·ra/rp) in 128 bits (spec/data-model.md §8.2); 0 for parameters that cannot
// refill (a foreign item may lack ra/rp, which then read as 0).
std::int64_t refill_add(std::int64_t rf, std::int64_t now_ms, const core::BucketParams& params) {
  const Int128 elapsed = static_cast<Int128>(now_ms) - rf;
  if (elapsed <= 0 || params.refill_amount_milli <= 0 || params.refill_period_ms <= 0) {
    return 0;
  }
  const Int128 add = elapsed * params.refill_amount_milli / params.refill_period_ms;
  return static_cast<std::int64_t>(std::min<Int128>(add, kMaxAdd));
}

core::BucketParams params_of(const BucketLimitFields& fields) {
  return {fields.capacity_milli, fields.refill_amount_milli, fields.refill_period_ms};
}

// An expression alias ("#a12", ":v3") held inline: the builders below make dozens per write.
class Alias {
 public:
  Alias(char sigil, char letter, std::size_t index) {
    text_[0] = sigil;
    text_[1] = letter;
    const auto result = std::to_chars(text_.data() + 2, text_.data() + text_.size(), index);
    size_ = static_cast<std::uint8_t>(result.ptr - text_.data());
  }
  operator std::string_view() const { return {text_.data(), size_}; }  // NOLINT: reads as text

 private:
  std::array<char, 24> text_{};
  std::uint8_t size_ = 0;
};

// Expression aliases: "#aN" per attribute name (reused), ":vN" per value.
class Aliases {
 public:
  Aliases() {
    names_.reserve(16);
    values_.reserve(32);
  }
  Alias name(std::string_view attribute) {
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == attribute) {
        return Alias('#', 'a', i);
      }
    }
    names_.emplace_back(attribute);
    return Alias('#', 'a', names_.size() - 1);
  }
  Alias value(AttributeValue value) {
    const Alias alias(':', 'v', values_.size());
    values_.append_new(std::string(std::string_view(alias)), std::move(value));  // always new
    return alias;
  }
  Alias number(std::int64_t value) { return this->value(AttributeValue::of_int64(value)); }

  aws::ExpressionNames take_names() {
    aws::ExpressionNames names;
    names.reserve(names_.size());
    for (std::size_t i = 0; i < names_.size(); ++i) {
      names.emplace_back(std::string(std::string_view(Alias('#', 'a', i))), std::move(names_[i]));
    }
    return names;
  }
  aws::ExpressionValues take_values() { return std::move(values_); }

 private:
  std::vector<std::string> names_;  // attribute names; the alias is the index
  aws::ExpressionValues values_;
};

// The terms of one clause, joined by `separator` as they are added.
class Terms {
 public:
  explicit Terms(std::string_view separator) : separator_(separator) {}
  template <typename... Parts>
  void add(const Parts&... parts) {
    if (!text_.empty()) {
      text_ += separator_;
    }
    (text_.append(std::string_view(parts)), ...);
  }
  bool empty() const { return text_.empty(); }
  const std::string& text() const { return text_; }

 private:
  std::string_view separator_;
  std::string text_;
};

// Clauses of an UpdateExpression and the terms of a ConditionExpression.
struct Clauses {
  Terms set{", "};
  Terms add{", "};
  Terms remove{", "};
  Terms conditions{" AND "};

  std::string update() const {
    std::string out;
    const auto clause = [&out](std::string_view keyword, const Terms& terms) {
      if (terms.empty()) {
        return;
      }
      if (!out.empty()) {
        out += ' ';
      }
      out += keyword;
      out += ' ';
      out += terms.text();
    };
    clause("SET", set);
    clause("ADD", add);
    clause("REMOVE", remove);
    return out;
  }
  std::string condition() const { return conditions.text(); }
};

Alias attr(Aliases& p, std::string_view limit, std::string_view field) {
  return p.name(bucket_attribute(limit, field));
}

void add_params(Clauses& c, Aliases& p, const PlannedLimit& limit) {
  c.set.add(attr(p, limit.name, "cp"), " = ", p.number(limit.params.capacity_milli));
  c.set.add(attr(p, limit.name, "ra"), " = ", p.number(limit.params.refill_amount_milli));
  c.set.add(attr(p, limit.name, "rp"), " = ", p.number(limit.params.refill_period_ms));
}

// "(attribute_not_exists(A) OR A <op> V)"
void add_absent_or(Terms& terms, const Alias& attribute, std::string_view op, const Alias& value) {
  terms.add("(attribute_not_exists(", attribute, ") OR ", attribute, op, value, ")");
}

void add_ttl(Clauses& c, Aliases& p, const TtlPolicy& ttl) {
  switch (ttl.action) {
    case TtlPolicy::Action::kKeep:
      return;
    case TtlPolicy::Action::kSet: {
      const Alias name = p.name("ttl");
      c.set.add(name, " = ", p.number(ttl.value));
      return;
    }
    case TtlPolicy::Action::kClear:
      c.remove.add(p.name("ttl"));
      return;
  }
}

// The item must be there unexpired: no ttl, or one after `now_ms`.
void add_unexpired(Clauses& c, Aliases& p, std::int64_t now_ms) {
  const Alias ttl = p.name("ttl");
  add_absent_or(c.conditions, ttl, " > ", p.number(epoch_seconds(now_ms)));
}

// The item must exist unexpired with rf exactly as planned (spec/data-model.md §7.1 row 3).
void add_lock(Clauses& c, Aliases& p, const ItemPlan& item) {
  const Alias rf = p.name("rf");
  const std::int64_t read_rf = item.read ? item.read->refill_ms : 0;
  if (read_rf == 0) {
    // A partial item (Q19) has no rf at all; it decodes as 0.
    c.conditions.add("(attribute_not_exists(", rf, ") OR ", rf, " = ", p.number(0),
                     ") AND attribute_exists(PK)");
  } else {
    c.conditions.add(rf, " = ", p.number(read_rf));
  }
  add_unexpired(c, p, item.now_ms);
}

// The shares planned with: a writer that missed a doubling must not apply the old ones. An item
// without the attribute (older layouts) has one shard. Last, so a sharded bucket's writes differ
// from the others only at their end.
void add_shard_guard(Clauses& c, Aliases& p, const ItemPlan& item) {
  const Alias shards = p.name("shard_count");
  if (item.shard_count <= 1) {
    add_absent_or(c.conditions, shards, " = ", p.number(1));
  } else {
    c.conditions.add(shards, " = ", p.number(item.shard_count));
  }
  if (item.new_shard_count) {
    c.set.add(shards, " = ", p.number(*item.new_shard_count));
  }
}

void add_hierarchy(Clauses& c, Aliases& p, const HierarchyRule& rule) {
  if (rule.mode == HierarchyRule::Mode::kIgnore) {
    return;  // DynamoDB refuses aliases an expression does not use
  }
  const Alias cascade = p.name("cascade");
  const Alias parent = p.name("parent_id");
  switch (rule.mode) {
    case HierarchyRule::Mode::kIgnore:
      return;
    case HierarchyRule::Mode::kRequire:
      if (rule.hierarchy.cascade && rule.hierarchy.parent_id) {
        const Alias yes = p.value(AttributeValue::of_bool(true));
        const Alias parent_id = p.value(AttributeValue::of_string(*rule.hierarchy.parent_id));
        c.conditions.add(cascade, " = ", yes, " AND ", parent, " = ", parent_id);
      } else {
        c.conditions.add("(attribute_not_exists(", cascade, ") OR ", cascade, " = ",
                         p.value(AttributeValue::of_bool(false)), " OR attribute_not_exists(",
                         parent, "))");
      }
      return;
    case HierarchyRule::Mode::kSet:
      c.set.add(cascade, " = ", p.value(AttributeValue::of_bool(rule.hierarchy.cascade)));
      if (rule.hierarchy.parent_id) {
        c.set.add(parent, " = ", p.value(AttributeValue::of_string(*rule.hierarchy.parent_id)));
      } else {
        c.remove.add(parent);  // spec/data-model.md §6.10: omitted, not NULL
      }
      return;
  }
}

aws::UpdateItemRequest update_request(const WriteContext& context, const ItemPlan& item, Clauses& c,
                                      Aliases& p) {
  return aws::UpdateItemRequest{
      .table_name = std::string(context.table),
      .key = bucket_key(context.ns, item.entity_id, item.resource, item.shard).to_attributes(),
      .update_expression = c.update(),
      .condition_expression = c.condition(),
      .expression_attribute_names = p.take_names(),
      .expression_attribute_values = p.take_values(),
      .return_values = aws::ReturnValues::kAllNew,
      .return_values_on_condition_check_failure = aws::ReturnValuesOnConditionCheckFailure::kAllOld,
  };
}

}  // namespace

core::BucketParams PlannedLimit::shard_share(const core::BucketParams& params,
                                             std::int64_t shares) {
  if (shares <= 1) {
    return params;
  }
  return {params.capacity_milli / shares, params.refill_amount_milli / shares,
          params.refill_period_ms};
}

PlannedLimit* ItemPlan::find(std::string_view name) {
  for (PlannedLimit& limit : limits) {
    if (limit.name == name) {
      return &limit;
    }
  }
  return nullptr;
}

const PlannedLimit* ItemPlan::find(std::string_view name) const {
  return const_cast<ItemPlan*>(this)->find(name);
}

ItemPlan plan_item(std::string entity_id, std::string resource,
                   const std::optional<BucketItem>& state, std::int64_t now_ms) {
  ItemPlan item{.entity_id = std::move(entity_id),
                .resource = std::move(resource),
                .shard = state ? state->shard : 0,
                .read = state,
                .now_ms = now_ms,
                .new_rf = now_ms,
                .limits = {}};
  if (!state || (state->ttl && *state->ttl <= epoch_seconds(now_ms))) {
    return item;  // spec/data-model.md §9: an expired item counts as absent
  }
  item.exists = true;
  item.shard_count = std::max<std::int64_t>(state->shard_count, 1);
  item.new_rf = std::max(state->refill_ms, now_ms);
  const auto add = [&](const BucketLimitFields& fields, bool hidden) {
    PlannedLimit limit{.name = fields.name,
                       .present = true,
                       .hidden = hidden,
                       .stored = params_of(fields),
                       .params = params_of(fields),
                       .tokens_read = fields.tokens_milli,
                       .tc_read = fields.total_consumed_milli,
                       .shares = hidden ? 1 : item.shard_count};
    const core::BucketParams share = limit.effective();
    limit.add = refill_add(state->refill_ms, now_ms, share);
    limit.tokens = limit.tokens_read;
    if (limit.add > 0) {
      // B-4, B-5: the cap applies only when something is added, and may lower a balance.
      limit.ceiling = share.capacity_milli;
      limit.tokens = std::min(limit.ceiling, limit.tokens_read + limit.add);
    }
    item.limits.push_back(std::move(limit));
  };
  item.limits.reserve(state->limits.size() + 2);
  for (const BucketLimitFields& fields : state->limits) {
    add(fields, false);
  }
  if (state->wcu) {
    add(*state->wcu, true);
  }
  return item;
}

namespace {

// Reconciles one resolved limit into the plan; returns it.
PlannedLimit& reconcile(ItemPlan& item, const Limit& limit) {
  const core::BucketParams params = core::BucketParams::from(limit);
  if (PlannedLimit* existing = item.find(limit.name())) {
    if (existing->params != params) {
      existing->params = params;
      existing->params_changed = true;
      const std::int64_t cap = existing->effective().capacity_milli;
      existing->ceiling = std::min(existing->ceiling, cap);
      existing->tokens = std::min(existing->tokens, cap);
    }
    return *existing;
  }
  PlannedLimit added{.name = limit.name(), .params = params, .shares = item.shard_count};
  added.tokens = core::full_bucket(added.effective(), item.now_ms).tokens_milli;
  if (!item.exists && item.live_elsewhere > 0) {
    // join_live_shards: the capacity less what the live shards hold or will add.
    const std::int64_t share = added.effective().capacity_milli;
    Int128 room = static_cast<Int128>(params.capacity_milli) -
                  static_cast<Int128>(share) * item.live_elsewhere;
    for (const HeldElsewhere& held : item.held_elsewhere) {
      if (held.name == added.name) {
        room += static_cast<Int128>(share) * held.shards;
        room -= held.tokens;
      }
    }
    added.tokens = static_cast<std::int64_t>(
        std::clamp<Int128>(room, 0, std::max<std::int64_t>(added.tokens, 0)));
  }
  item.limits.push_back(std::move(added));
  return item.limits.back();
}

}  // namespace

void join_live_shards(ItemPlan& item, const std::vector<BucketItem>& shards) {
  if (item.exists || item.shard != 0) {
    return;
  }
  for (const BucketItem& shard : shards) {
    if (shard.shard <= 0 || shard.entity_id != item.entity_id || shard.resource != item.resource) {
      continue;
    }
    const ItemPlan live = plan_item(item.entity_id, item.resource, shard, item.now_ms);
    if (!live.exists) {
      continue;  // expired: its balance is gone
    }
    ++item.live_elsewhere;
    item.shard_count =
        std::max({item.shard_count, live.shard_count, std::int64_t{shard.shard} + 1});
    for (const PlannedLimit& limit : live.limits) {
      if (limit.hidden) {
        continue;  // a per-item write budget, never shared
      }
      auto held = std::find_if(item.held_elsewhere.begin(), item.held_elsewhere.end(),
                               [&](const HeldElsewhere& h) { return h.name == limit.name; });
      if (held == item.held_elsewhere.end()) {
        item.held_elsewhere.push_back(HeldElsewhere{.name = limit.name});
        held = item.held_elsewhere.end() - 1;
      }
      held->tokens = static_cast<std::int64_t>(std::min<Int128>(
          static_cast<Int128>(held->tokens) + std::max<std::int64_t>(limit.tokens, 0), INT64_MAX));
      ++held->shards;
    }
  }
}

bool plan_side(ItemPlan& item, const ConsumeTarget& side, const Amounts& amounts,
               std::vector<LimitStatus>& statuses, std::vector<ConsumedEntry>& entries) {
  bool admitted = true;
  for (const Limit& limit : side.limits) {
    PlannedLimit& planned = reconcile(item, limit);
    planned.enforced = true;
    const std::int64_t amount = detail::amount_of(amounts, limit.name());
    const std::int64_t need = amount * kMilli;
    const bool enough = planned.tokens >= need;
    statuses.push_back(LimitStatus{
        .entity_id = side.entity_id,
        .resource = side.resource,
        .limit_name = limit.name(),
        .limit = limit,
        .available = core::floor_div(planned.tokens, kMilli),
        .requested = amount,
        .exceeded = !enough,
        .retry_after = std::chrono::milliseconds(
            enough ? 0 : core::retry_after_ms(need - planned.tokens, planned.effective())),
    });
    if (!enough) {
      admitted = false;
      continue;
    }
    planned.tokens -= need;
    planned.consumed += need;
    entries.push_back(ConsumedEntry{.entity_id = side.entity_id,
                                    .resource = side.resource,
                                    .shard = item.shard,
                                    .limit = limit,
                                    .consumed = amount,
                                    .tokens_milli = planned.tokens});
  }
  return admitted;
}

bool plan_deltas(ItemPlan& item,
                 const std::vector<std::pair<std::string, std::int64_t>>& deltas_milli) {
  bool changed = false;
  for (const auto& [name, delta] : deltas_milli) {
    PlannedLimit* limit = item.find(name);
    if (limit == nullptr || !limit->present || limit->hidden || delta == 0) {
      continue;  // OQ-22: never a partial limit
    }
    const std::int64_t before = limit->tokens;
    std::int64_t after = static_cast<std::int64_t>(
        std::clamp<Int128>(static_cast<Int128>(before) - delta, INT64_MIN, INT64_MAX));
    if (delta < 0) {
      // OQ-36: a refund never lifts a balance above capacity (nor one already above it).
      after = std::min(after, std::max(before, limit->effective().capacity_milli));
    }
    limit->tokens = after;
    limit->consumed += delta;
    changed = true;
  }
  return changed;
}

void plan_sync(ItemPlan& item, const std::vector<Limit>& limits) {
  for (const Limit& limit : limits) {
    reconcile(item, limit);
  }
}

WriteKind choose_write(const ItemPlan& item) {
  if (!item.exists) {
    return WriteKind::kCreate;
  }
  bool wcu_ok = false;
  for (const PlannedLimit& limit : item.limits) {
    if (!limit.present || limit.params_changed) {
      return WriteKind::kRefill;
    }
    if (limit.hidden) {
      wcu_ok = limit.tokens_read >= kWcuPerWriteMilli;
      continue;
    }
    // Charging at rf instead of now is exact only while the refill is not capped.
    if (limit.consumed > 0 && limit.ceiling != kNoCeiling &&
        limit.tokens_read > limit.ceiling - limit.add) {
      return WriteKind::kRefill;
    }
  }
  return wcu_ok ? WriteKind::kConsume : WriteKind::kRefill;
}

TtlPolicy consume_ttl(const ConsumeTarget& target, int multiplier, std::int64_t now_ms) {
  if (target.source == LimitSource::kEntity) {
    return {TtlPolicy::Action::kClear};  // custom config persists (RES-6)
  }
  if (multiplier <= 0) {
    return {TtlPolicy::Action::kKeep};
  }
  const std::int64_t ttl_s = core::ttl_seconds(target.limits, multiplier);
  if (ttl_s == 0) {
    return {TtlPolicy::Action::kClear};  // OQ-24: a zero TTL means "no TTL"
  }
  return {TtlPolicy::Action::kSet, epoch_seconds(now_ms) + ttl_s};
}

bool hierarchy_matches(const BucketItem& item, const HierarchyRule& rule) {
  if (rule.mode != HierarchyRule::Mode::kRequire) {
    return true;
  }
  const bool cascades = item.cascade && item.parent_id.has_value();
  if (!rule.hierarchy.cascade || !rule.hierarchy.parent_id) {
    return !cascades;
  }
  return cascades && item.parent_id == rule.hierarchy.parent_id;
}

BucketItem created_item(const ItemPlan& item, const TtlPolicy& ttl,
                        const BucketHierarchy& hierarchy) {
  BucketItem created{.entity_id = item.entity_id,
                     .resource = item.resource,
                     .shard = item.shard,
                     .refill_ms = item.now_ms,
                     .limits = {},
                     .wcu = full_wcu_fields(),
                     .cascade = hierarchy.cascade,
                     .parent_id = hierarchy.parent_id,
                     .shard_count = item.shard_count,
                     .ttl = std::nullopt};
  for (const PlannedLimit& limit : item.limits) {
    if (limit.hidden) {
      continue;
    }
    created.limits.push_back(
        BucketLimitFields{.name = limit.name,
                          .tokens_milli = limit.tokens,
                          .capacity_milli = limit.params.capacity_milli,
                          .refill_amount_milli = limit.params.refill_amount_milli,
                          .refill_period_ms = limit.params.refill_period_ms,
                          .total_consumed_milli = limit.consumed});
  }
  if (ttl.action == TtlPolicy::Action::kSet) {
    created.ttl = ttl.value;
  }
  return created;
}

aws::PutItemRequest create_request(const WriteContext& context, const ItemPlan& item,
                                   const BucketHierarchy& hierarchy) {
  // An expired item that DynamoDB has not removed yet is replaced like a missing one.
  aws::ExpressionValues values;
  values.set(":now", AttributeValue::of_int64(epoch_seconds(item.now_ms)));
  return aws::PutItemRequest{
      .table_name = std::string(context.table),
      .item = encode_bucket(context.ns, created_item(item, context.ttl, hierarchy)),
      .condition_expression = "attribute_not_exists(PK) OR #ttl <= :now",
      .expression_attribute_names = {{"#ttl", "ttl"}},
      .expression_attribute_values = std::move(values),
      .return_values_on_condition_check_failure = aws::ReturnValuesOnConditionCheckFailure::kAllOld,
  };
}

aws::UpdateItemRequest consume_request(const WriteContext& context, const ItemPlan& item) {
  Clauses c;
  Aliases p;
  add_ttl(c, p, context.ttl);
  add_lock(c, p, item);
  for (const PlannedLimit& limit : item.limits) {
    if (limit.hidden) {
      // spec/data-model.md §6.10: every speculative write takes one WCU.
      const Alias tk = attr(p, limit.name, "tk");
      c.add.add(tk, " ", p.number(-kWcuPerWriteMilli));
      c.add.add(attr(p, limit.name, "tc"), " ", p.number(kWcuPerWriteMilli));
      c.conditions.add(tk, " >= ", p.number(kWcuPerWriteMilli));
      continue;
    }
    if (!limit.enforced) {
      continue;
    }
    const Alias tk = attr(p, limit.name, "tk");
    if (limit.consumed > 0) {
      c.add.add(tk, " ", p.number(-limit.consumed));
      c.add.add(attr(p, limit.name, "tc"), " ", p.number(limit.consumed));
    }
    // Enough with the refill owed (a limit in debt blocks even when nothing is asked of it)...
    c.conditions.add(tk, " >= ", p.number(limit.consumed - limit.add));
    // ... and that refill not capped, so charging at rf is charging at now.
    if (limit.consumed > 0 && limit.ceiling != kNoCeiling) {
      c.conditions.add(tk, " <= ", p.number(limit.ceiling - limit.add));
    }
    c.conditions.add(attr(p, limit.name, "cp"), " = ", p.number(limit.params.capacity_milli));
    c.conditions.add(attr(p, limit.name, "ra"), " = ", p.number(limit.params.refill_amount_milli));
    c.conditions.add(attr(p, limit.name, "rp"), " = ", p.number(limit.params.refill_period_ms));
  }
  add_hierarchy(c, p, context.hierarchy);
  add_shard_guard(c, p, item);
  return update_request(context, item, c, p);
}

aws::UpdateItemRequest refill_request(const WriteContext& context, const ItemPlan& item) {
  Clauses c;
  Aliases p;
  c.set.add(p.name("rf"), " = ", p.number(item.new_rf));
  add_ttl(c, p, context.ttl);
  add_lock(c, p, item);
  for (const PlannedLimit& limit : item.limits) {
    const auto tk = [&] { return attr(p, limit.name, "tk"); };  // only where used
    if (!limit.present) {
      // New to the item: full, minus what this request takes (OQ-10).
      c.set.add(tk(), " = ", p.number(limit.tokens));
      add_params(c, p, limit);
      c.add.add(attr(p, limit.name, "tc"), " ", p.number(limit.consumed));
      continue;
    }
    if (limit.params_changed) {
      add_params(c, p, limit);
    }
    const bool capped =
        limit.ceiling != kNoCeiling && limit.tokens_read > limit.ceiling - limit.add;
    if (capped) {
      // Whatever others added meanwhile, the balance is at the cap: set it.
      c.set.add(tk(), " = ", p.number(limit.ceiling - limit.consumed));
      c.conditions.add(tk(), " >= ", p.number(limit.ceiling - limit.add));
    } else {
      const std::int64_t delta = limit.add - limit.consumed;
      if (delta != 0) {
        c.add.add(tk(), " ", p.number(delta));
      }
      if (limit.ceiling != kNoCeiling) {
        c.conditions.add(tk(), " <= ", p.number(limit.ceiling - limit.add));
      }
      if (limit.enforced) {
        c.conditions.add(tk(), " >= ", p.number(limit.consumed - limit.add));
      }
    }
    if (limit.consumed > 0) {
      c.add.add(attr(p, limit.name, "tc"), " ", p.number(limit.consumed));
    }
  }
  add_hierarchy(c, p, context.hierarchy);
  add_shard_guard(c, p, item);
  return update_request(context, item, c, p);
}

aws::UpdateItemRequest rewrite_request(const WriteContext& context, const ItemPlan& item) {
  Clauses c;
  Aliases p;
  c.set.add(p.name("rf"), " = ", p.number(item.new_rf));
  add_ttl(c, p, context.ttl);
  add_lock(c, p, item);
  for (const PlannedLimit& limit : item.limits) {
    const Alias tk = attr(p, limit.name, "tk");
    c.set.add(tk, " = ", p.number(limit.tokens));
    if (!limit.present) {
      add_params(c, p, limit);
      c.add.add(attr(p, limit.name, "tc"), " ", p.number(0));
      continue;
    }
    c.conditions.add(tk, " = ", p.number(limit.tokens_read));
    if (limit.params_changed) {
      add_params(c, p, limit);
    }
    if (limit.consumed != 0) {
      c.add.add(attr(p, limit.name, "tc"), " ", p.number(limit.consumed));
    }
  }
  add_hierarchy(c, p, context.hierarchy);
  add_shard_guard(c, p, item);
  return update_request(context, item, c, p);
}

namespace {

// The highest stored balance for which a delta of `limit` (consumed: the delta, positive takes)
// is exact as an ADD at rf; kNoCeiling when any is.
std::int64_t in_place_bound(const PlannedLimit& limit) {
  if (limit.consumed > 0) {
    return limit.ceiling == kNoCeiling ? kNoCeiling : limit.ceiling - limit.add;
  }
  // A refund must stay below the cap (OQ-36) as well as keep the refill uncapped.
  const std::int64_t cap =
      limit.ceiling == kNoCeiling ? limit.effective().capacity_milli : limit.ceiling;
  return cap - limit.add + limit.consumed;
}

}  // namespace

bool deltas_apply_in_place(const ItemPlan& item) {
  if (!item.exists) {
    return false;
  }
  for (const PlannedLimit& limit : item.limits) {
    if (!limit.present || limit.params_changed) {
      return false;  // only the exact rewrite sets parameters and adds limits
    }
    if (limit.consumed != 0 && limit.tokens_read > in_place_bound(limit)) {
      return false;
    }
  }
  return true;
}

aws::UpdateItemRequest deltas_request(const WriteContext& context, const ItemPlan& item) {
  Clauses c;
  Aliases p;
  add_lock(c, p, item);
  for (const PlannedLimit& limit : item.limits) {
    if (limit.consumed == 0) {
      continue;
    }
    const Alias tk = attr(p, limit.name, "tk");
    c.add.add(tk, " ", p.number(-limit.consumed));
    c.add.add(attr(p, limit.name, "tc"), " ", p.number(limit.consumed));
    if (const std::int64_t bound = in_place_bound(limit); bound != kNoCeiling) {
      c.conditions.add(tk, " <= ", p.number(bound));
    }
  }
  add_shard_guard(c, p, item);
  return update_request(context, item, c, p);
}

std::optional<ShardSplit> plan_split(const ItemPlan& shard0, std::int64_t new_count) {
  if (!shard0.exists || shard0.shard != 0 || new_count <= shard0.shard_count) {
    return std::nullopt;
  }
  ShardSplit split{.shard0 = shard0, .created = {}};
  split.shard0.new_shard_count = new_count;
  BucketItem clone = *shard0.read;
  clone.shard_count = new_count;
  clone.refill_ms = shard0.new_rf;
  clone.wcu = full_wcu_fields();
  clone.limits.clear();
  const std::int64_t old_count = shard0.shard_count;
  for (std::int64_t k = old_count; k < new_count; ++k) {
    clone.shard = static_cast<int>(k);
    split.created.push_back(clone);
  }
  for (PlannedLimit& limit : split.shard0.limits) {
    if (limit.hidden || !limit.present) {
      continue;
    }
    const std::int64_t share = PlannedLimit::shard_share(limit.params, new_count).capacity_milli;
    std::int64_t surplus = limit.tokens > share ? limit.tokens - share : 0;
    limit.tokens -= surplus;
    limit.shares = new_count;
    for (BucketItem& created : split.created) {
      const std::int64_t give = std::min(surplus, share);
      surplus -= give;
      created.limits.push_back(
          BucketLimitFields{.name = limit.name,
                            .tokens_milli = give,
                            .capacity_milli = limit.params.capacity_milli,
                            .refill_amount_milli = limit.params.refill_amount_milli,
                            .refill_period_ms = limit.params.refill_period_ms,
                            .total_consumed_milli = 0});
    }
  }
  return split;
}

aws::PutItemRequest shard_create_request(std::string_view table, std::string_view ns,
                                         const BucketItem& shard, std::int64_t now_ms) {
  aws::ExpressionValues values;
  values.set(":now", AttributeValue::of_int64(epoch_seconds(now_ms)));
  return aws::PutItemRequest{
      .table_name = std::string(table),
      .item = encode_bucket(ns, shard),
      .condition_expression = "attribute_not_exists(PK) OR #ttl <= :now",
      .expression_attribute_names = {{"#ttl", "ttl"}},
      .expression_attribute_values = std::move(values),
  };
}

aws::UpdateItemRequest shard_count_request(std::string_view table, std::string_view ns,
                                           const std::string& entity_id,
                                           const std::string& resource, int shard,
                                           std::int64_t new_count) {
  aws::ExpressionValues values;
  values.set(":n", AttributeValue::of_int64(new_count));
  return aws::UpdateItemRequest{
      .table_name = std::string(table),
      .key = bucket_key(ns, entity_id, resource, shard).to_attributes(),
      .update_expression = "SET #sc = :n",
      .condition_expression = "attribute_exists(PK) AND #sc < :n",
      .expression_attribute_names = {{"#sc", "shard_count"}},
      .expression_attribute_values = std::move(values),
      .return_values = aws::ReturnValues::kNone,
      .idempotency = aws::Idempotency::kIdempotent,  // SETs a constant
  };
}

std::optional<aws::UpdateItemRequest> compensation_request(std::string_view table,
                                                           std::string_view ns,
                                                           const ItemPlan& item) {
  Clauses c;
  Aliases p;
  for (const PlannedLimit& limit : item.limits) {
    if (limit.hidden || limit.consumed <= 0) {
      continue;
    }
    c.add.add(attr(p, limit.name, "tk"), " ", p.number(limit.consumed));
    c.add.add(attr(p, limit.name, "tc"), " ", p.number(-limit.consumed));
  }
  if (c.add.empty()) {
    return std::nullopt;
  }
  // Never upsert a partial item (Q19) when the bucket vanished meanwhile.
  c.conditions.add("attribute_exists(PK)");
  const WriteContext context{.table = table, .ns = ns};
  aws::UpdateItemRequest request = update_request(context, item, c, p);
  request.return_values = aws::ReturnValues::kNone;
  request.return_values_on_condition_check_failure =
      aws::ReturnValuesOnConditionCheckFailure::kNone;
  return request;
}

std::optional<aws::UpdateItemRequest> adjust_request(
    std::string_view table, std::string_view ns, const ItemPlan& item,
    const std::vector<std::pair<std::string, std::int64_t>>& deltas_milli) {
  Clauses c;
  Aliases p;
  for (const auto& [name, delta] : deltas_milli) {
    const PlannedLimit* limit = item.find(name);
    if (limit == nullptr || !limit->present || limit->hidden || delta == 0) {
      continue;
    }
    c.add.add(attr(p, name, "tk"), " ", p.number(-delta));
    c.add.add(attr(p, name, "tc"), " ", p.number(delta));
  }
  if (c.add.empty()) {
    return std::nullopt;
  }
  c.conditions.add("attribute_exists(PK)");
  add_unexpired(c, p, item.now_ms);
  const WriteContext context{.table = table, .ns = ns};
  aws::UpdateItemRequest request = update_request(context, item, c, p);
  request.return_values = aws::ReturnValues::kNone;
  return request;
}

}  // namespace zae::dynamodb
