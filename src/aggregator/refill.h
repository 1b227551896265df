// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "aggregator/bucket_record.h"
#include "aws/dynamodb_client.h"
#include "dynamodb/items.h"

// Proactive refill (spec/behavior.md AG-10/AG-11, spec/data-model.md §8.5): keeps the stored
// balance of busy buckets up so that clients sharing the table (the Python original checks the
// stored tk on its fast path) stay on one write per decision. Pure.
namespace zae::aggregator {

// One bucket item (namespace, entity, resource, shard) over one batch.
struct BucketBatchState {
  std::string namespace_id{};
  std::string entity_id{};
  std::string resource{};
  int shard = 0;
  // From the first image of the batch (AG-10 as the original reads it).
  std::int64_t first_shard_count = 1;
  // The last image of the batch.
  dynamodb::BucketItem last{};
  // Σ tc delta per limit over the batch, millitokens, wcu included.
  std::map<std::string, std::int64_t, std::less<>> consumed_milli{};
  // Records of this item in the batch.
  std::int64_t records = 0;
};

// Groups records per bucket item, in first-seen order.
class BucketBatches {
 public:
  void add(const BucketRecord& record);
  const std::vector<BucketBatchState>& states() const { return states_; }

 private:
  std::map<std::tuple<std::string, std::string, std::string, int>, std::size_t> index_;
  std::vector<BucketBatchState> states_;
};

// Which balance AG-10 compares with the batch's consumption.
enum class RefillTrigger {
  // The stored balance (what a Python client's fast path checks): refill when a batch like this
  // one would exhaust it. Our default. The original compares the projected (refilled) balance,
  // but a bucket written only on the fast path keeps an old rf, so its projection is capped at
  // cp and the refill never fires while consumption stays at or below the refill rate: the
  // stored balance drains and Python clients fall to their slow path.
  kStoredBelowBatch,
  // spec/behavior.md AG-10 exactly: the refilled balance at now.
  kProjectedBelowBatch,
};

// AG-10: true when some limit (wcu included) with ra > 0 and rp > 0 would gain tokens from a
// refill to `now_ms` with effective parameters while the compared balance (see RefillTrigger)
// is below what the batch consumed (max(0, Σ tc delta)). Effective parameters: application
// limits cp / shard_count and ra / shard_count (floor); wcu undivided, because every shard is
// its own partition with its own write budget (the original divides it too, spec/data-model.md
// Q5).
bool needs_refill(const BucketBatchState& state, std::int64_t now_ms, RefillTrigger trigger);

// AG-11, never over-crediting: the refilling write of dynamodb::refill_request planned with zero
// consumption from the last image, with effective parameters, on the state's shard. It sets
// rf = now and credits every limit (Q30: the original credits only the limits that "need" it
// and forfeits the others' accrued refill), each capped in its condition (uncapped: ADD add,
// guarded by tk <= cap − add; capped: SET tk = cap, guarded by tk >= cap − add), all under the
// rf lock: a lost lock or a balance that moved since the image fails the condition, and the
// caller skips silently. nullopt when nothing would be credited.
std::optional<aws::UpdateItemRequest> refill_request(std::string_view table,
                                                     const BucketBatchState& state,
                                                     std::int64_t now_ms);

}  // namespace zae::aggregator
