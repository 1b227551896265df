// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zae/store.h"

// Usage snapshot helpers every backend shares (spec/behavior.md §12.3, §12.4): query validation,
// the client-side filters, window arithmetic and the opaque page-token codec.
namespace zae::detail {

inline constexpr std::size_t kMaxUsagePageSize = 10'000;
// Snapshot retention (spec/data-model.md §6.12: SNAPSHOT_TTL_DAYS, default 90).
inline constexpr std::int64_t kUsageRetentionSeconds = 90 * 86'400;

// Throws ValidationError: field "entity_id,resource" when both are absent; "entity_id",
// "resource" for invalid names; "window" unless hourly/daily/monthly; "start"/"end" unless
// "YYYY-MM-DDTHH:MM:SSZ" (and start <= end); "limit" outside 1..kMaxUsagePageSize.
void validate_usage_query(const UsageQuery& query);

// AG-9: the last second of the window starting at `window_start` (second precision);
// `window_start` itself for an unknown window type or an unparsable start.
std::string usage_window_end(std::string_view window, std::string_view window_start);

// The client-side filters of US-1: window equality and start <= window_start <= end, compared
// as strings (ISO-8601 at one precision sorts like time).
bool matches_usage_filters(const UsageQuery& query, const UsageSnapshot& snapshot);

// Window starts (epoch seconds, UTC) containing `epoch_seconds` (AG-6).
struct UsageWindowStarts {
  std::int64_t hourly = 0;
  std::int64_t daily = 0;
  std::int64_t monthly = 0;
};
UsageWindowStarts usage_window_starts(std::int64_t epoch_seconds);

// An opaque, URL-safe token holding `parts` (any bytes), and back. decode throws
// ValidationError (field "next_key") for a token that encode did not produce.
std::string encode_page_token(std::span<const std::string> parts);
std::vector<std::string> decode_page_token(std::string_view token);

}  // namespace zae::detail
