// SPDX-License-Identifier: MIT
#include "aggregator/checkpoint.h"

#include "core/time_format.h"

namespace zae::aggregator {

using aws::AttributeValue;

dynamodb::ItemKey checkpoint_key(std::string_view shard_id) {
  return {std::string(kCheckpointPk), std::string(kCheckpointSkPrefix) + std::string(shard_id)};
}

std::optional<std::string> read_checkpoint(aws::DynamoDbClient& client, std::string_view table,
                                           std::string_view shard_id) {
  const aws::GetItemResult result =
      client.get_item(aws::GetItemRequest{.table_name = std::string(table),
                                          .key = checkpoint_key(shard_id).to_attributes(),
                                          .consistency = aws::ReadConsistency::kStrong});
  if (!result.item) {
    return std::nullopt;
  }
  const AttributeValue* seq = result.item->find("seq");
  if (seq == nullptr || seq->type() != aws::AttributeType::kString) {
    return std::nullopt;
  }
  return seq->as_string();
}

aws::TransactPut checkpoint_put(std::string_view table, std::string_view stream_arn,
                                std::string_view shard_id,
                                const std::optional<std::string>& previous,
                                std::string_view sequence_number, std::int64_t now_epoch_s) {
  const dynamodb::ItemKey key = checkpoint_key(shard_id);
  aws::AttributeMap item;
  item.set("PK", AttributeValue::of_string(key.pk));
  item.set("SK", AttributeValue::of_string(key.sk));
  item.set("seq", AttributeValue::of_string(std::string(sequence_number)));
  item.set("stream_arn", AttributeValue::of_string(std::string(stream_arn)));
  item.set("updated_at", AttributeValue::of_string(core::format_utc_seconds(now_epoch_s)));
  aws::TransactPut put{.table_name = std::string(table), .item = std::move(item)};
  if (previous) {
    put.condition_expression = "#seq = :prev";
    put.expression_attribute_names = {{"#seq", "seq"}};
    put.expression_attribute_values.set(":prev", AttributeValue::of_string(*previous));
  } else {
    put.condition_expression = "attribute_not_exists(PK)";
  }
  return put;
}

}  // namespace zae::aggregator
