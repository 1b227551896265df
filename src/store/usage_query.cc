// SPDX-License-Identifier: MIT
#include "store/usage_query.h"

#include <array>
#include <charconv>
#include <string>

#include "zae/errors.h"
#include "zae/validation.h"

#include "core/bucket.h"
#include "core/time_format.h"

namespace zae::detail {
namespace {

constexpr std::int64_t kSecondsPerHour = 3'600;
constexpr std::int64_t kSecondsPerDay = 86'400;
constexpr std::string_view kTokenVersion = "u1";
constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

bool is_window_type(std::string_view window) {
  return window == "hourly" || window == "daily" || window == "monthly";
}

std::string base64url(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                   (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                   static_cast<unsigned char>(bytes[i + 2]);
    out += kBase64Url[(n >> 18) & 63];
    out += kBase64Url[(n >> 12) & 63];
    out += kBase64Url[(n >> 6) & 63];
    out += kBase64Url[n & 63];
  }
  if (i < bytes.size()) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size()) {
      n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    }
    out += kBase64Url[(n >> 18) & 63];
    out += kBase64Url[(n >> 12) & 63];
    if (i + 1 < bytes.size()) {
      out += kBase64Url[(n >> 6) & 63];
    }
  }
  return out;
}

int base64url_digit(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '-') {
    return 62;
  }
  if (c == '_') {
    return 63;
  }
  return -1;
}

[[noreturn]] void bad_token(std::string_view token) {
  throw ValidationError("next_key", token,
                        "is not a next_key returned by a previous page of this query");
}

std::string unbase64url(std::string_view text) {
  if (text.size() % 4 == 1) {
    bad_token(text);
  }
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int digit = base64url_digit(c);
    if (digit < 0) {
      bad_token(text);
    }
    buffer = (buffer << 6) | static_cast<std::uint32_t>(digit);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

void check_time(const std::optional<std::string>& value, std::string_view field) {
  if (value) {
    (void)core::parse_utc_seconds(*value, field);
  }
}

}  // namespace

void validate_usage_query(const UsageQuery& query) {
  if (!query.entity_id && !query.resource) {
    throw ValidationError("entity_id,resource", "",
                          "either entity_id or resource must be provided");
  }
  if (query.entity_id) {
    validate_identifier(*query.entity_id, "entity_id");
  }
  if (query.resource) {
    validate_resource(*query.resource, "resource");
  }
  if (query.window && !is_window_type(*query.window)) {
    throw ValidationError("window", *query.window, "must be one of hourly, daily, monthly");
  }
  check_time(query.start, "start");
  check_time(query.end, "end");
  if (query.start && query.end && *query.start > *query.end) {
    throw ValidationError("start", *query.start, "must not be later than end " + *query.end);
  }
  if (query.limit == 0 || query.limit > kMaxUsagePageSize) {
    throw ValidationError("limit", std::to_string(query.limit),
                          "must be between 1 and " + std::to_string(kMaxUsagePageSize));
  }
}

std::string usage_window_end(std::string_view window, std::string_view window_start) {
  std::int64_t start = 0;
  try {
    start = core::parse_utc_seconds(window_start, "window_start");
  } catch (const ValidationError&) {
    return std::string(window_start);
  }
  std::int64_t end = start;
  if (window == "hourly") {
    end = core::floor_div(start, kSecondsPerHour) * kSecondsPerHour + kSecondsPerHour - 1;
  } else if (window == "daily") {
    end = core::floor_div(start, kSecondsPerDay) * kSecondsPerDay + kSecondsPerDay - 1;
  } else if (window == "monthly") {
    const core::CivilDate date = core::civil_from_days(core::floor_div(start, kSecondsPerDay));
    const std::int64_t year = date.month == 12 ? date.year + 1 : date.year;
    const unsigned month = date.month == 12 ? 1 : date.month + 1;
    end = core::days_from_civil(year, month, 1) * kSecondsPerDay - 1;
  }
  return core::format_utc_seconds(end);
}

bool matches_usage_filters(const UsageQuery& query, const UsageSnapshot& snapshot) {
  if (query.window && snapshot.window != *query.window) {
    return false;
  }
  if (query.start && snapshot.window_start < *query.start) {
    return false;
  }
  if (query.end && snapshot.window_start > *query.end) {
    return false;
  }
  return true;
}

UsageWindowStarts usage_window_starts(std::int64_t epoch_seconds) {
  const std::int64_t days = core::floor_div(epoch_seconds, kSecondsPerDay);
  const core::CivilDate date = core::civil_from_days(days);
  return UsageWindowStarts{
      .hourly = core::floor_div(epoch_seconds, kSecondsPerHour) * kSecondsPerHour,
      .daily = days * kSecondsPerDay,
      .monthly = core::days_from_civil(date.year, date.month, 1) * kSecondsPerDay};
}

// Layout before base64url: "u1" then, per part, its decimal length, ':' and its bytes.
std::string encode_page_token(std::span<const std::string> parts) {
  std::string raw(kTokenVersion);
  for (const std::string& part : parts) {
    raw += std::to_string(part.size());
    raw += ':';
    raw += part;
  }
  return base64url(raw);
}

std::vector<std::string> decode_page_token(std::string_view token) {
  const std::string raw = unbase64url(token);
  if (raw.compare(0, kTokenVersion.size(), kTokenVersion) != 0) {
    bad_token(token);
  }
  std::vector<std::string> parts;
  std::size_t pos = kTokenVersion.size();
  while (pos < raw.size()) {
    std::size_t length = 0;
    const char* first = raw.data() + pos;
    const char* last = raw.data() + raw.size();
    const auto [ptr, ec] = std::from_chars(first, last, length);
    if (ec != std::errc() || ptr == last || *ptr != ':') {
      bad_token(token);
    }
    pos = static_cast<std::size_t>(ptr - raw.data()) + 1;
    if (length > raw.size() - pos) {
      bad_token(token);
    }
    parts.push_back(raw.substr(pos, length));
    pos += length;
  }
  return parts;
}

}  // namespace zae::detail

namespace zae {

UsageSummary summarize_usage(Store& store, UsageQuery query) {
  // Pages of 1000 like the original (US-3), but to the end: nothing is silently dropped.
  query.limit = 1000;
  UsageSummary summary;
  std::map<std::string, std::int64_t> holders;
  for (;;) {
    UsagePage page = store.get_usage_snapshots(query);
    for (const UsageSnapshot& snapshot : page.snapshots) {
      ++summary.snapshot_count;
      for (const auto& [name, value] : snapshot.counters) {
        summary.total[name] += value;
        ++holders[name];
      }
      if (!summary.min_window_start || snapshot.window_start < *summary.min_window_start) {
        summary.min_window_start = snapshot.window_start;
      }
      if (!summary.max_window_start || snapshot.window_start > *summary.max_window_start) {
        summary.max_window_start = snapshot.window_start;
      }
    }
    if (!page.next_key) {
      break;
    }
    query.next_key = std::move(page.next_key);
  }
  for (const auto& [name, total] : summary.total) {
    summary.average[name] = static_cast<double>(total) / static_cast<double>(holders[name]);
  }
  return summary;
}

}  // namespace zae
