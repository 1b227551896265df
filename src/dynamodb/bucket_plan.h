// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zae/store.h"

#include "aws/dynamodb_client.h"
#include "core/bucket.h"
#include "dynamodb/items.h"

// How a consume (or an adjustment) changes one bucket item, and the DynamoDB writes that make
// the change (spec/data-model.md §7.1). Pure: no I/O, every time is a parameter.
//
// The stored form is lazy: an item holds (tk, rf) and the balance at `now` is
// min(cp, tk + add(now − rf)). The original's speculative write (row 2) ADDs −a without moving
// rf, which silently charges the consumption at rf instead of now: when the bucket would have
// been capped at now (an idle, full bucket), the refill the cap should have thrown away is
// credited later, so right after an idle period up to twice the capacity is admitted at once.
// The writes here never do that:
//
// - kConsume (the warm path, one UpdateItem): ADD −a without moving rf, guarded by rf being
//   exactly as planned and, for every consumed limit, by tk + add <= the cap (the refill is not
//   capped, so charging at rf or at now is the same). Refill credit is used, exactly:
//   tk >= a − add. Writers of this kind never conflict with each other, so a hot bucket takes
//   one round trip per decision under any concurrency.
// - kRefill (row 3, extended): SET rf = now with the refill credited per limit, either as ADD
//   (uncapped, guarded by tk <= cap − add) or as SET tk = cap − a (capped, guarded by
//   tk >= cap − add), so concurrent ADDs of other writers are never lost and the cap is applied
//   whatever they did. Also reconciles parameters, adds missing limits full and refreshes the
//   denormalized hierarchy (OQ-3, OQ-8, OQ-10).
// - kCreate (row 1): the full item, conditional on absence (or expiry).
// Every write asks for ALL_OLD on a failed condition, so the next attempt plans from fresh state
// without another read.
//
// Write sharding (spec/data-model.md §8.4): a bucket may be spread over `shard_count` items.
// Every shard stores the undivided cp/ra (the original's layout), but here each shard enforces
// its share, cp // n and ra // n, so the sum over shards never exceeds the limit (the original's
// client uses the full limit on every shard; OQ-2). The reserved wcu limit is a per-item write
// budget and is never divided. Every conditional write is guarded by the shard count it planned
// with, so a writer that missed a doubling never applies the old shares.
namespace zae::dynamodb {

inline constexpr std::int64_t kNoCeiling = std::numeric_limits<std::int64_t>::max();

// One limit of one item as a consume or an adjustment sees it. Millitokens, milliseconds.
struct PlannedLimit {
  std::string name{};
  bool present = false;   // stored on the item
  bool hidden = false;    // the reserved wcu limit
  bool enforced = false;  // a resolved limit of a side writing this item
  bool params_changed = false;
  core::BucketParams stored{};  // as stored (present only)
  core::BucketParams params{};  // after reconciliation
  std::int64_t tokens_read = 0;
  std::optional<std::int64_t> tc_read{};
  // Refill owed for now − rf by the stored parameters (0 when none or unknown).
  std::int64_t add = 0;
  // The cap the refill and reconciliation apply; kNoCeiling when neither applies.
  std::int64_t ceiling = kNoCeiling;
  // The balance the write must leave: refilled, clamped, consumed.
  std::int64_t tokens = 0;
  // Consumed by this request (kConsume/kRefill/kCreate), or the delta (rewrites).
  std::int64_t consumed = 0;
  // The shard count whose share this limit enforces (1 for the hidden wcu limit).
  std::int64_t shares = 1;

  // `params` as this shard enforces them: cp // shares, ra // shares.
  core::BucketParams effective() const { return shard_share(params, shares); }
  static core::BucketParams shard_share(const core::BucketParams& params, std::int64_t shares);
};

// What the other live shards of a bucket hold of one limit, for a shard 0 created among them
// (join_live_shards).
struct HeldElsewhere {
  std::string name{};
  // Sum over the live shards storing the limit of their balance refilled to now (a debt counts
  // as nothing: it cannot be spent).
  std::int64_t tokens = 0;
  // How many live shards store the limit (the others will add it full, at their share).
  std::int64_t shards = 0;
};

// One bucket item (one shard) of a plan.
struct ItemPlan {
  std::string entity_id{};
  std::string resource{};
  int shard = 0;
  // The item's shard count (1 for an item to create); every write is guarded by it.
  std::int64_t shard_count = 1;
  // A rewrite that doubles the shards sets shard_count to this.
  std::optional<std::int64_t> new_shard_count{};
  // Present and not expired. When false the write creates the item.
  bool exists = false;
  // The state planned from (when exists, or an expired item a create replaces).
  std::optional<BucketItem> read{};
  std::int64_t now_ms = 0;
  // rf the write sets when it moves rf: never earlier than the stored one (B-1).
  std::int64_t new_rf = 0;
  // Stored limits (item order, wcu included), then limits new to the item.
  std::vector<PlannedLimit> limits{};
  // A shard 0 to create while other shards of its bucket are alive (join_live_shards): how many
  // there are and what they hold. A limit new to the item then starts at its share, but never
  // above the capacity less what the live shards hold.
  std::int64_t live_elsewhere = 0;
  std::vector<HeldElsewhere> held_elsewhere{};

  PlannedLimit* find(std::string_view name);
  const PlannedLimit* find(std::string_view name) const;
};

// Starts a plan from `state` (nullopt: no item), for the shard the state is of (shard 0 without
// one). An item whose ttl <= now_s counts as absent (spec/data-model.md §9); a shard 0 created
// in its place has one shard unless join_live_shards makes it join the others.
ItemPlan plan_item(std::string entity_id, std::string resource,
                   const std::optional<BucketItem>& state, std::int64_t now_ms);

// A shard 0 that is absent (expired, or removed by DynamoDB's TTL sweeper) while shards k > 0 of
// its bucket are still alive must not start a bucket of its own: created with one shard and the
// full capacity, it would add cp to what the live shards still hold and let writers that know
// the old count spend both (up to (n − 1)/n · cp over the limit). So a shard 0 to create joins
// the live shards instead: `shards` are the other shards of the bucket as read (shard 0, other
// buckets and expired items are ignored). The plan takes shard count m = the largest of their
// counts and of their indices + 1, so every shard enforces the same share cp // m and every
// write stays guarded by `shard_count = m`; and every limit starts at most at
//   min(cp // m, cp − Σ live balances − (live shards lacking the limit) · (cp // m)),
// never below 0, so the balances of all shards never add up to more than the capacity (the
// invariant of plan_split). Nothing changes when `item` exists, is not shard 0, or no other
// shard is alive. Call before plan_side. Pure.
void join_live_shards(ItemPlan& item, const std::vector<BucketItem>& shards);

// Reconciles `side.limits` into `item` (the resolved limits are the truth: a missing limit is
// added full, changed parameters clamp the balance; OQ-3, OQ-10, OQ-44) and tries to take every
// amount. Appends one status per limit of the side, and one entry per limit when admitted.
// Returns whether every limit of the side had enough.
bool plan_side(ItemPlan& item, const ConsumeTarget& side, const Amounts& amounts,
               std::vector<LimitStatus>& statuses, std::vector<ConsumedEntry>& entries);

// Applies whole-token-free deltas (millitokens; positive consumes) refill-first, with refunds
// never lifting a balance above capacity (OQ-36). Limits the item lacks are skipped. Returns
// whether anything changes.
bool plan_deltas(ItemPlan& item,
                 const std::vector<std::pair<std::string, std::int64_t>>& deltas_milli);

// Reconciles the item to `limits` (SL-3): parameters set, balances clamped, new limits full.
void plan_sync(ItemPlan& item, const std::vector<Limit>& limits);

enum class WriteKind { kCreate, kConsume, kRefill };
// kCreate without an item; kConsume when nothing needs rf to move; otherwise kRefill.
WriteKind choose_write(const ItemPlan& item);

// What a write does to the ttl attribute (spec/data-model.md §9).
struct TtlPolicy {
  enum class Action { kKeep, kClear, kSet };
  Action action = Action::kKeep;
  std::int64_t value = 0;
};
TtlPolicy consume_ttl(const ConsumeTarget& target, int multiplier, std::int64_t now_ms);

// The hierarchy copy on a bucket item (spec/data-model.md §6.10, OQ-8).
struct BucketHierarchy {
  bool cascade = false;
  std::optional<std::string> parent_id{};
  friend bool operator==(const BucketHierarchy&, const BucketHierarchy&) = default;
};
// How a write treats the item's hierarchy copy.
struct HierarchyRule {
  enum class Mode {
    kIgnore,   // a parent's own item: not this request's business
    kRequire,  // condition: the copy says the request's parent (none: no cascade)
    kSet,      // the entity record was read and agrees: write the copy from it
  };
  Mode mode = Mode::kIgnore;
  // kRequire: the parent the request cascades to. kSet: the values to write.
  BucketHierarchy hierarchy{};
};
// True when `item` says what `rule` requires (always for kIgnore and kSet).
bool hierarchy_matches(const BucketItem& item, const HierarchyRule& rule);

struct WriteContext {
  std::string_view table{};
  std::string_view ns{};
  TtlPolicy ttl{};
  HierarchyRule hierarchy{};
};

// The full item of a create (row 1), and its PutItem (attribute_not_exists(PK), or an expired
// item). `hierarchy` is the entity's record.
BucketItem created_item(const ItemPlan& item, const TtlPolicy& ttl,
                        const BucketHierarchy& hierarchy);
aws::PutItemRequest create_request(const WriteContext& context, const ItemPlan& item,
                                   const BucketHierarchy& hierarchy);
// The warm-path write (kConsume): ReturnValues ALL_NEW.
aws::UpdateItemRequest consume_request(const WriteContext& context, const ItemPlan& item);
// The refilling write (kRefill): ReturnValues ALL_NEW.
aws::UpdateItemRequest refill_request(const WriteContext& context, const ItemPlan& item);
// An exact rewrite for adjustments and parameter sync: SET rf and every balance, guarded by rf
// and every balance being as read, so it applies only to the state it was computed from.
aws::UpdateItemRequest rewrite_request(const WriteContext& context, const ItemPlan& item);
// For a plan of plan_deltas: true when every change is exact as an ADD that leaves rf alone (no
// refill of a changed limit is capped, no refund meets the cap), so an adjustment takes one
// write that never conflicts with the warm writes of other clients.
bool deltas_apply_in_place(const ItemPlan& item);
// That write: ADD −d / +d per changed limit, guarded by rf as planned and those bounds.
aws::UpdateItemRequest deltas_request(const WriteContext& context, const ItemPlan& item);
// Doubling the shards of a bucket (spec/data-model.md §7.1 rows 7 and 11, made conservative).
// The original doubles with a bare `SET shard_count` and later clones shard 0 into new shards
// with cp // n tokens each, which creates tokens out of nothing (and leaves shard 0 with its
// whole balance). Here the balance is conserved: shard 0 keeps at most its new share, and what
// it held above it is dealt out to the new shards, each at most its share. So the sum over
// shards after a doubling never exceeds shard 0's balance before it.
struct ShardSplit {
  // Shard 0's exact rewrite: rf, every balance, shard_count := new, guarded by rf, every
  // balance and shard_count as read (pass it to rewrite_request).
  ItemPlan shard0{};
  // The new shards old .. new−1, to put when absent (or expired).
  std::vector<BucketItem> created{};
};
// `shard0` is a plan of shard 0 without consumption; nullopt when it does not exist.
std::optional<ShardSplit> plan_split(const ItemPlan& shard0, std::int64_t new_count);
// The PutItem of a shard a split creates: conditional on absence or expiry.
aws::PutItemRequest shard_create_request(std::string_view table, std::string_view ns,
                                         const BucketItem& shard, std::int64_t now_ms);
// Tells shard `shard` of the bucket that there are now `new_count` shards, unless it already
// knows more (the aggregator's propagation, row 11's update half).
aws::UpdateItemRequest shard_count_request(std::string_view table, std::string_view ns,
                                           const std::string& entity_id,
                                           const std::string& resource, int shard,
                                           std::int64_t new_count);

// Row 5: gives back what `item`'s write consumed (unconditional ADDs; nullopt when nothing).
std::optional<aws::UpdateItemRequest> compensation_request(std::string_view table,
                                                           std::string_view ns,
                                                           const ItemPlan& item);
// Row 5 as the original sends it: ADD −d / +d for each present limit, guarded only by the item
// existing unexpired. The fallback of an adjustment that keeps losing its optimistic lock.
std::optional<aws::UpdateItemRequest> adjust_request(
    std::string_view table, std::string_view ns, const ItemPlan& item,
    const std::vector<std::pair<std::string, std::int64_t>>& deltas_milli);

}  // namespace zae::dynamodb
