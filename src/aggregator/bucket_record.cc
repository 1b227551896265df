// SPDX-License-Identifier: MIT
#include "aggregator/bucket_record.h"

#include <exception>
#include <utility>

#include "dynamodb/keys.h"

namespace zae::aggregator {
namespace {

using dynamodb::BucketLimitFields;

const BucketLimitFields* find_limit(const dynamodb::BucketItem& item, std::string_view name) {
  if (name == dynamodb::kWcuLimit) {
    return item.wcu ? &*item.wcu : nullptr;
  }
  for (const BucketLimitFields& limit : item.limits) {
    if (limit.name == name) {
      return &limit;
    }
  }
  return nullptr;
}

// The delta of one limit, or nullopt when it is unknown (AG-3).
std::optional<std::int64_t> delta_of(const BucketLimitFields& now,
                                     const std::optional<dynamodb::BucketItem>& old) {
  if (!now.total_consumed_milli) {
    return std::nullopt;
  }
  std::int64_t before = 0;
  if (old) {
    const BucketLimitFields* was = find_limit(*old, now.name);
    if (was != nullptr) {
      if (!was->total_consumed_milli) {
        return std::nullopt;  // a tc-less limit (written by a reader that never counts)
      }
      before = *was->total_consumed_milli;
    }
  }
  return *now.total_consumed_milli - before;
}

ParsedRecord skip(SkipReason reason, std::string detail = {}) {
  return ParsedRecord{.record = std::nullopt, .skipped = reason, .detail = std::move(detail)};
}

}  // namespace

std::string_view skip_reason_name(SkipReason reason) {
  switch (reason) {
    case SkipReason::kNone:
      return "none";
    case SkipReason::kRemove:
      return "remove";
    case SkipReason::kNoImage:
      return "no new image";
    case SkipReason::kPreNamespace:
      return "pre-namespace key";
    case SkipReason::kNotBucket:
      return "not a bucket";
    case SkipReason::kMissingEntity:
      return "missing entity_id";
    case SkipReason::kMalformed:
      return "malformed bucket";
  }
  return "unknown";
}

ParsedRecord parse_bucket_record(const aws::StreamRecord& record, std::int64_t fallback_event_ms) {
  if (record.event_name == "REMOVE") {
    return skip(SkipReason::kRemove);
  }
  if (!record.new_image) {
    return skip(SkipReason::kNoImage);
  }
  const aws::AttributeMap& image = *record.new_image;
  const aws::AttributeValue* pk = image.find(dynamodb::kPk);
  const aws::AttributeValue* sk = image.find(dynamodb::kSk);
  if (pk == nullptr || pk->type() != aws::AttributeType::kString) {
    return skip(SkipReason::kNotBucket);
  }
  if (!dynamodb::namespace_of(pk->as_string())) {
    return skip(SkipReason::kPreNamespace);
  }
  const auto key = dynamodb::parse_bucket_pk(pk->as_string());
  if (!key || sk == nullptr || sk->type() != aws::AttributeType::kString ||
      sk->as_string() != dynamodb::kSkState) {
    return skip(SkipReason::kNotBucket);
  }
  const aws::AttributeValue* entity = image.find("entity_id");
  if (entity == nullptr || entity->type() != aws::AttributeType::kString ||
      entity->as_string().empty()) {
    return skip(SkipReason::kMissingEntity);
  }
  BucketRecord out;
  std::optional<dynamodb::BucketItem> old;
  try {
    out.state = dynamodb::decode_bucket(image);
    if (record.event_name != "INSERT" && record.old_image) {
      old = dynamodb::decode_bucket(*record.old_image);
    }
  } catch (const std::exception& e) {
    return skip(SkipReason::kMalformed, e.what());
  }
  // INSERT counts from 0 (OQ-23a). A MODIFY without an old image (a NEW_IMAGE stream) has no
  // known delta at all; the aggregator refuses such streams at startup.
  const bool deltas_known = record.event_name == "INSERT" || old.has_value();
  out.namespace_id = key->namespace_id;
  out.entity_id = entity->as_string();
  out.resource = out.state.resource;
  out.shard = key->shard;
  out.sequence_number = record.sequence_number;
  out.event_ms = record.approximate_creation_ms.value_or(fallback_event_ms);
  if (!deltas_known) {
    return ParsedRecord{.record = std::move(out), .skipped = SkipReason::kNone, .detail = {}};
  }
  for (const BucketLimitFields& limit : out.state.limits) {
    const auto delta = delta_of(limit, old);
    if (delta && *delta != 0) {
      out.deltas.push_back(LimitDelta{.name = limit.name, .milli = *delta});
    }
  }
  if (out.state.wcu) {
    out.wcu_delta_milli = delta_of(*out.state.wcu, old).value_or(0);
  }
  return ParsedRecord{.record = std::move(out), .skipped = SkipReason::kNone, .detail = {}};
}

}  // namespace zae::aggregator
