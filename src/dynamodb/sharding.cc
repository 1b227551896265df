// SPDX-License-Identifier: MIT
#include "dynamodb/sharding.h"

#include <vector>

#include "dynamodb/bucket_plan.h"
#include "dynamodb/keys.h"

namespace zae::dynamodb {

std::optional<BucketItem> split_shards(aws::DynamoDbClient& client, const ShardSplitTarget& target,
                                       std::int64_t now_ms) {
  const std::int64_t doubled = target.observed * 2;
  if (doubled > target.max_shard_count) {
    return std::nullopt;
  }
  const aws::GetItemResult read = client.get_item(
      {.table_name = std::string(target.table),
       .key = bucket_key(target.ns, target.entity_id, target.resource, 0).to_attributes(),
       .consistency = aws::ReadConsistency::kStrong});
  if (!read.item) {
    return std::nullopt;
  }
  const BucketItem state = decode_bucket(*read.item);
  if (state.shard_count != target.observed) {
    return std::nullopt;
  }
  // The existing shards learn the new count first, so their shares shrink before shard 0's
  // balance is dealt out (at no moment do the shares add up to more than the limit).
  std::vector<aws::UpdateItemRequest> updates;
  for (int shard = 1; shard < target.observed; ++shard) {
    updates.push_back(shard_count_request(target.table, target.ns, target.entity_id,
                                          target.resource, shard, doubled));
  }
  if (!updates.empty()) {
    (void)client.try_update_items(updates);  // a shard that is gone or knows more: fine
  }
  const std::optional<ShardSplit> split =
      plan_split(plan_item(target.entity_id, target.resource, state, now_ms), doubled);
  if (!split) {
    return std::nullopt;  // expired
  }
  const WriteContext context{.table = target.table, .ns = target.ns};
  auto outcome = client.try_update_item(rewrite_request(context, split->shard0));
  if (!outcome.ok()) {
    if (!outcome.is_condition_failure()) {
      (void)outcome.value();  // throws
    }
    return std::nullopt;  // lost the race: the balance stays where it was
  }
  std::vector<aws::UpdateItemRequest> behind;
  for (const BucketItem& created : split->created) {
    // Absent: created with its part of shard 0's balance. Present (another writer was faster,
    // or a shard of an earlier, larger count outlived shard 0): that part is dropped, which
    // only makes the bucket stricter, and the shard learns the count, so that its share is
    // never larger than the others'.
    auto put = client.try_put_item(shard_create_request(target.table, target.ns, created, now_ms));
    if (!put.ok() && put.is_condition_failure()) {
      behind.push_back(shard_count_request(target.table, target.ns, target.entity_id,
                                           target.resource, created.shard, doubled));
    }
  }
  if (!behind.empty()) {
    (void)client.try_update_items(behind);
  }
  if (outcome.value().attributes) {
    return decode_bucket(*outcome.value().attributes);
  }
  return std::nullopt;
}

}  // namespace zae::dynamodb
