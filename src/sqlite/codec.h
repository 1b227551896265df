// SPDX-License-Identifier: MIT
#pragma once

// Text encodings of the SQLite columns that hold lists (src/sqlite/schema.h describes the
// tables). Buckets are read and written on every consume, so their encoding is a compact,
// delimiter-separated list parsed with std::from_chars rather than JSON:
//
//   bucket limits  "name:tk:cp:ra:rp:tc;..."   millitokens / ms, tc empty when not tracked
//   config limits  "name:capacity:refill_amount:refill_period_seconds;..."   tokens / seconds
//
// Limit names cannot contain ':' or ';' (spec/behavior.md §2.3), so no escaping is needed.
// Entity metadata is a JSON object of strings, as the original stores a map.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zae/limit.h"

#include "core/bucket.h"

namespace zae::sqlite {

// One limit of a stored bucket row.
struct StoredLimit {
  std::string name;
  core::BucketParams params;
  std::int64_t tokens_milli = 0;
  std::optional<std::int64_t> total_consumed_milli;
};

void append_bucket_limits(std::string& out, std::span<const StoredLimit> limits);
// Replaces `out` with the decoded limits; false when `text` is malformed.
bool decode_bucket_limits(std::string_view text, std::vector<StoredLimit>& out);

std::string encode_limits(std::span<const Limit> limits);
// Throws InfrastructureError when `text` is malformed (a corrupt row), and the Limit
// constructor's errors when a stored value is out of range.
std::vector<Limit> decode_limits(std::string_view text);

// The Limit a bucket stores, from its parameters (spec/behavior.md §1.8 "Limit from bucket").
Limit limit_from_params(const std::string& name, const core::BucketParams& params);

std::string encode_metadata(const std::map<std::string, std::string>& metadata);
// Parses what encode_metadata writes (any JSON object of string values); nullopt otherwise.
std::optional<std::map<std::string, std::string>> decode_metadata(std::string_view json);

}  // namespace zae::sqlite
