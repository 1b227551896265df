// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/dynamodb_client.h"
#include "dynamodb/items.h"

// What one stream record says about a bucket item (spec/behavior.md §12.1-12.2). Pure.
namespace zae::aggregator {

// One limit's net consumption in one record: new tc − old tc, millitokens (AG-5: from the tc
// counter, never from token differences).
struct LimitDelta {
  std::string name{};
  std::int64_t milli = 0;
  friend bool operator==(const LimitDelta&, const LimitDelta&) = default;
};

// A bucket record the aggregator uses.
struct BucketRecord {
  std::string namespace_id{};
  std::string entity_id{};
  std::string resource{};
  int shard = 0;
  // The stream sequence number (for checkpoints).
  std::string sequence_number{};
  // When the change happened: the record's ApproximateCreationDateTime, epoch ms (OQ-23b: the
  // original uses the bucket's rf, which fast-path writes never move, so their usage landed in
  // the window of the last refill).
  std::int64_t event_ms = 0;
  // The new image, decoded (wcu kept apart in `state.wcu`).
  dynamodb::BucketItem state{};
  // Non-zero deltas of application limits, in item order, and of wcu (kept apart: wcu never
  // reaches snapshots, but the refill decision sums it, AG-10).
  std::vector<LimitDelta> deltas{};
  std::int64_t wcu_delta_milli = 0;
};

enum class SkipReason {
  kNone,
  kRemove,         // REMOVE events are ignored
  kNoImage,        // no new image (a KEYS_ONLY or NEW_IMAGE-less stream)
  kPreNamespace,   // AG-2: no '/' in the partition key
  kNotBucket,      // AG-2: not {ns}/BUCKET#{e}#{r}#{s} with SK #STATE
  kMissingEntity,  // AG-2: the new image has no (or an empty) entity_id
  kMalformed,      // the new image does not decode as a bucket
};
std::string_view skip_reason_name(SkipReason reason);

struct ParsedRecord {
  std::optional<BucketRecord> record{};
  SkipReason skipped = SkipReason::kNone;
  // For kMalformed: why.
  std::string detail{};
};

// Parses one record. INSERT records count (OQ-23a: their new image's tc is the creating
// request's consumption, the delta from an absent old item); MODIFY records give new − old per
// limit. A limit with no tc in the new image is skipped; in the old image an absent tc counts
// as 0 only when the limit itself is new to the item (a refill write that added it), otherwise
// the delta is unknown and skipped (AG-3). `fallback_event_ms` is used when the record carries no
// ApproximateCreationDateTime.
ParsedRecord parse_bucket_record(const aws::StreamRecord& record, std::int64_t fallback_event_ms);

}  // namespace zae::aggregator
