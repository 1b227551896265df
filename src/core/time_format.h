// SPDX-License-Identifier: MIT
#pragma once

// UTC timestamps at second precision, "YYYY-MM-DDTHH:MM:SSZ", as written to entities and audit
// events (spec/data-model.md §6.11). Pure arithmetic on the proleptic Gregorian calendar, so no
// gmtime/timegm and no dependence on the process time zone.

#include <cstdint>
#include <string>
#include <string_view>

namespace zae::core {

// Formats `epoch_seconds` (may be negative) as "YYYY-MM-DDTHH:MM:SSZ". Years outside 0..9999
// are printed with as many digits as needed (and a '-' sign), so they do not parse back.
std::string format_utc_seconds(std::int64_t epoch_seconds);

// Parses exactly "YYYY-MM-DDTHH:MM:SSZ" (four-digit year, every field range-checked, leap days
// honoured; no fractional seconds, offsets or lower-case letters). Throws ValidationError with
// field `field` on anything else.
std::int64_t parse_utc_seconds(std::string_view text, std::string_view field = "timestamp");

// Days since 1970-01-01 of a proleptic Gregorian date; `month` 1..12, `day` 1..31.
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day);

struct CivilDate {
  std::int64_t year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};
// Inverse of days_from_civil.
CivilDate civil_from_days(std::int64_t days);

}  // namespace zae::core
