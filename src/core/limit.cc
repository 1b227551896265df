// SPDX-License-Identifier: MIT
#include "zae/limit.h"

#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "zae/errors.h"
#include "zae/validation.h"

namespace zae {
namespace {

// Digits grouped by thousands, as Python's "{n:,}".
std::string with_thousands(std::int64_t value) {
  const bool negative = value < 0;
  // Through uint64 so that INT64_MIN has a magnitude.
  const std::uint64_t magnitude =
      negative ? ~static_cast<std::uint64_t>(value) + 1 : static_cast<std::uint64_t>(value);
  const std::string digits = std::to_string(magnitude);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3 + 1);
  if (negative) {
    out.push_back('-');
  }
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) {
      out.push_back(',');
    }
    out.push_back(digits[i]);
  }
  return out;
}

// L-2..L-4 plus the port's upper bounds (which keep millitokens and refill products in range).
void check_range(std::string_view field, std::int64_t value, std::int64_t max) {
  if (value <= 0) {
    throw ValidationError(std::string(field), std::to_string(value), "must be positive");
  }
  if (value > max) {
    throw ValidationError(std::string(field), std::to_string(value),
                          "must be at most " + with_thousands(max));
  }
}

[[noreturn]] void fail_parse(std::string_view spec, std::string reason) {
  throw ValidationError("limit", spec, std::move(reason));
}

enum class IntParse { kOk, kInvalid, kOutOfRange };

// A plain decimal integer with an optional sign: what Python's int() accepts minus its
// whitespace stripping and '_' separators (port decision; cli.md §13.1 step 4). A sign is kept
// so that "rpm:-5" reaches the Limit constructor's "must be positive", as in the original.
IntParse parse_int64(std::string_view text, std::int64_t& out) {
  std::size_t i = 0;
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    i = 1;
  }
  if (i == text.size()) {
    return IntParse::kInvalid;
  }
  // Accumulate negatively: |INT64_MIN| > INT64_MAX.
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  std::int64_t acc = 0;
  bool overflow = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') {
      return IntParse::kInvalid;
    }
    const int digit = c - '0';
    if (acc < (kMin + digit) / 10) {
      overflow = true;  // keep scanning: a later non-digit makes it "invalid" instead
    } else {
      acc = acc * 10 - digit;
    }
  }
  if (overflow || (!negative && acc == kMin)) {
    return IntParse::kOutOfRange;
  }
  out = negative ? acc : -acc;
  return IntParse::kOk;
}

std::int64_t parse_value(std::string_view spec, std::string_view text) {
  std::int64_t value = 0;
  switch (parse_int64(text, value)) {
    case IntParse::kOk:
      return value;
    case IntParse::kInvalid:
      // The original's message is Python's own int() error text.
      fail_parse(spec, "Invalid limit values in '" + std::string(spec) +
                           "': invalid literal for int() with base 10: '" + std::string(text) +
                           "'");
    case IntParse::kOutOfRange:
      fail_parse(spec, "Invalid limit values in '" + std::string(spec) +
                           "': integer out of range: '" + std::string(text) + "'");
  }
  return 0;
}

// `^(\d+)?(sec|min|hour|day)$` on the whole text; nullopt when it does not match. A multiplier
// too large for the period range saturates so the constructor reports the maximum.
std::optional<std::int64_t> parse_period(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  const std::string_view unit = text.substr(digits);
  std::int64_t unit_seconds = 0;
  if (unit == "sec") {
    unit_seconds = 1;
  } else if (unit == "min") {
    unit_seconds = 60;
  } else if (unit == "hour") {
    unit_seconds = 3600;
  } else if (unit == "day") {
    unit_seconds = 86400;
  } else {
    return std::nullopt;
  }
  if (digits == 0) {
    return unit_seconds;
  }
  std::int64_t multiple = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    multiple = multiple * 10 + (text[i] - '0');
    if (multiple > kMaxRefillPeriodSeconds) {
      return std::numeric_limits<std::int64_t>::max();
    }
  }
  const std::int64_t seconds = multiple * unit_seconds;  // <= 3.2e8 × 86400: no overflow
  return seconds;
}

}  // namespace

Limit::Limit(std::string name, std::int64_t capacity, std::int64_t refill_amount,
             std::int64_t refill_period_seconds)
    : name_(std::move(name)),
      capacity_(capacity),
      refill_amount_(refill_amount),
      refill_period_seconds_(refill_period_seconds) {
  // L-1..L-4, first failure wins.
  validate_limit_name(name_, "name");
  check_range("capacity", capacity_, kMaxLimitTokens);
  check_range("refill_amount", refill_amount_, kMaxLimitTokens);
  check_range("refill_period_seconds", refill_period_seconds_, kMaxRefillPeriodSeconds);
}

Limit Limit::per_second(std::string name, std::int64_t rate, std::optional<std::int64_t> burst) {
  return Limit(std::move(name), burst.value_or(rate), rate, 1);
}

Limit Limit::per_minute(std::string name, std::int64_t rate, std::optional<std::int64_t> burst) {
  return Limit(std::move(name), burst.value_or(rate), rate, 60);
}

Limit Limit::per_hour(std::string name, std::int64_t rate, std::optional<std::int64_t> burst) {
  return Limit(std::move(name), burst.value_or(rate), rate, 3600);
}

Limit Limit::per_day(std::string name, std::int64_t rate, std::optional<std::int64_t> burst) {
  return Limit(std::move(name), burst.value_or(rate), rate, 86400);
}

Limit Limit::custom(std::string name, std::int64_t capacity, std::int64_t refill_amount,
                    std::int64_t refill_period_seconds) {
  return Limit(std::move(name), capacity, refill_amount, refill_period_seconds);
}

// spec/cli.md §13.1; the step numbers below are the spec's, and their order decides which error
// a malformed spec reports.
Limit Limit::parse(std::string_view spec) {
  // 1. Split on every ':'.
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t colon = spec.find(':', start);
    parts.push_back(spec.substr(start, colon - start));
    if (colon == std::string_view::npos) {
      break;
    }
    start = colon + 1;
  }
  if (parts.size() < 2) {
    fail_parse(spec, "Invalid limit format: " + std::string(spec) +
                         ". Expected 'name:rate[/period]' or 'name:rate[/period]:burst'");
  }
  // 2. Parts after the burst are ignored, as in the original ("a:1:2:3" ≡ "a:1:2").
  const std::string_view name = parts[0];
  std::string_view rate_text = parts[1];
  // 3. The period follows the first '/'.
  std::optional<std::string_view> period_text;
  if (const std::size_t slash = rate_text.find('/'); slash != std::string_view::npos) {
    period_text = rate_text.substr(slash + 1);
    rate_text = rate_text.substr(0, slash);
  }
  // 4. Rate, then burst.
  const std::int64_t rate = parse_value(spec, rate_text);
  std::optional<std::int64_t> burst;
  if (parts.size() >= 3) {
    burst = parse_value(spec, parts[2]);
  }
  // 5. Period; 60 s when absent.
  std::int64_t period_seconds = 60;
  if (period_text) {
    const std::optional<std::int64_t> seconds = parse_period(*period_text);
    if (!seconds) {
      fail_parse(spec, "Invalid period: '/" + std::string(*period_text) +
                           "'. Use /[N]sec, /[N]min, /[N]hour, or /[N]day");
    }
    period_seconds = *seconds;
  }
  // 6. Model validation (name, positivity) is the constructor's.
  return Limit(std::string(name), burst.value_or(rate), rate, period_seconds);
}

std::string Limit::to_string() const {
  // spec/cli.md §13.3: the largest unit dividing the period exactly; bare when the multiple is 1.
  static constexpr std::pair<std::int64_t, std::string_view> kUnits[] = {
      {86400, "day"}, {3600, "hour"}, {60, "min"}, {1, "sec"}};
  std::string out = name_ + ": " + with_thousands(refill_amount_) + "/";
  for (const auto& [seconds, unit] : kUnits) {
    if (refill_period_seconds_ % seconds == 0) {
      const std::int64_t multiple = refill_period_seconds_ / seconds;
      if (multiple != 1) {
        out += std::to_string(multiple);
      }
      out += unit;
      break;
    }
  }
  if (capacity_ != refill_amount_) {
    out += " (burst: " + with_thousands(capacity_) + ")";
  }
  return out;
}

}  // namespace zae
