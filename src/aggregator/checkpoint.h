// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "aws/dynamodb_client.h"
#include "dynamodb/keys.h"

// Stream checkpoints in the shared table: PK "_/AGGREGATOR#" (the reserved namespace "_", so no
// Python reader and no namespace listing ever sees them), SK "#SHARD#{shardId}", attribute `seq`
// = the sequence number of the last record whose snapshot increments are applied. Written only
// inside the transaction that applies those increments, so a checkpoint and its increments
// commit together or not at all.
namespace zae::aggregator {

inline constexpr std::string_view kCheckpointPk = "_/AGGREGATOR#";
inline constexpr std::string_view kCheckpointSkPrefix = "#SHARD#";

dynamodb::ItemKey checkpoint_key(std::string_view shard_id);

// The shard's checkpoint (strongly consistent read), nullopt when none was written.
std::optional<std::string> read_checkpoint(aws::DynamoDbClient& client, std::string_view table,
                                           std::string_view shard_id);

// The transaction action that moves the checkpoint from `previous` (nullopt: none yet) to
// `sequence_number`, conditioned on it still being `previous`: a replay after a crash, or a
// second aggregator that got there first, fails the condition and cancels the transaction.
aws::TransactPut checkpoint_put(std::string_view table, std::string_view stream_arn,
                                std::string_view shard_id,
                                const std::optional<std::string>& previous,
                                std::string_view sequence_number, std::int64_t now_epoch_s);

}  // namespace zae::aggregator
