// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "aws/dynamodb_client.h"
#include "dynamodb/items.h"

// Doubling the shards of a bucket (spec/data-model.md §8.4, §7.1 rows 7 and 11), shared by the
// store (reactive: a shard's wcu budget ran out) and the aggregator (proactive). See plan_split
// in bucket_plan.h for why no tokens are created.
namespace zae::dynamodb {

struct ShardSplitTarget {
  std::string_view table{};
  std::string_view ns{};
  std::string entity_id{};
  std::string resource{};
  // The shard count the caller saw; nothing happens when shard 0 says otherwise (someone else
  // split it first: row 7's condition).
  std::int64_t observed = 1;
  // The split is refused beyond this many shards.
  std::int64_t max_shard_count = 32;
};

// Reads shard 0; tells shards 1 .. observed−1 the new count (so their shares shrink first);
// rewrites shard 0 exactly (its share kept, the rest dealt out) with shard_count := 2 × observed,
// guarded by what it read; creates the new shards with their part when absent (a shard already
// there keeps its balance, loses the part, and is told the new count). Returns shard 0
// as written, or nullopt when no split happened (lost race, gone, at the maximum). Throws
// aws::AwsError on a failed request; a failure after shard 0's rewrite only drops tokens.
std::optional<BucketItem> split_shards(aws::DynamoDbClient& client, const ShardSplitTarget& target,
                                       std::int64_t now_ms);

}  // namespace zae::dynamodb
