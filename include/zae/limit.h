// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zae {

// The largest capacity or refill amount a Limit accepts, in tokens. Buckets store millitokens
// in 64-bit integers, so 10^15 tokens (10^18 millitokens) leaves headroom for debt and counters.
inline constexpr std::int64_t kMaxLimitTokens = 1'000'000'000'000'000;
// The longest refill period a Limit accepts: 10 years, in seconds.
inline constexpr std::int64_t kMaxRefillPeriodSeconds = 10LL * 366 * 86400;

// A token-bucket limit: the bucket holds at most `capacity` tokens and gains `refill_amount`
// tokens every `refill_period_seconds`, continuously (spec/behavior.md §2).
//
// Immutable value type; equality is field-wise. Construction validates (L-1..L-4): the name must
// pass the limit-name rules (InvalidNameError, field "name"); capacity, refill_amount and
// refill_period_seconds must be positive and within the maxima above (ValidationError with the
// field's name). Thread-compatible.
class Limit {
 public:
  Limit(std::string name, std::int64_t capacity, std::int64_t refill_amount,
        std::int64_t refill_period_seconds);

  // `rate` tokens per second/minute/hour/day; the bucket ceiling is `burst` when given, else
  // `rate`. A burst below the rate is accepted (L-8).
  static Limit per_second(std::string name, std::int64_t rate,
                          std::optional<std::int64_t> burst = std::nullopt);
  static Limit per_minute(std::string name, std::int64_t rate,
                          std::optional<std::int64_t> burst = std::nullopt);
  static Limit per_hour(std::string name, std::int64_t rate,
                        std::optional<std::int64_t> burst = std::nullopt);
  static Limit per_day(std::string name, std::int64_t rate,
                       std::optional<std::int64_t> burst = std::nullopt);
  static Limit custom(std::string name, std::int64_t capacity, std::int64_t refill_amount,
                      std::int64_t refill_period_seconds);

  // Parses the CLI's `-l/--limit` grammar `name:rate[/[N]sec|min|hour|day][:burst]`
  // (spec/cli.md §13.1): "tpm:10000:15000", "rps:50/sec", "rpm:100/5min". Throws
  // ValidationError (field "limit") whose reason says which part is wrong, or the errors of the
  // constructor for an invalid name or non-positive value.
  static Limit parse(std::string_view spec);

  const std::string& name() const { return name_; }
  std::int64_t capacity() const { return capacity_; }
  std::int64_t refill_amount() const { return refill_amount_; }
  std::int64_t refill_period_seconds() const { return refill_period_seconds_; }
  // Tokens per second, for display only (L-5).
  double refill_rate() const {
    return static_cast<double>(refill_amount_) / static_cast<double>(refill_period_seconds_);
  }

  // Human form used by the CLI: "tpm: 10,000/min (burst: 15,000)" (spec/cli.md §13.3).
  std::string to_string() const;

  friend bool operator==(const Limit&, const Limit&) = default;

 private:
  std::string name_;
  std::int64_t capacity_;
  std::int64_t refill_amount_;
  std::int64_t refill_period_seconds_;
};

// Common limit names (L-9).
inline constexpr std::string_view kRequestsPerMinute = "rpm";
inline constexpr std::string_view kRequestsPerHour = "rph";
inline constexpr std::string_view kRequestsPerDay = "rpd";
inline constexpr std::string_view kTokensPerMinute = "tpm";
inline constexpr std::string_view kTokensPerHour = "tph";
inline constexpr std::string_view kTokensPerDay = "tpd";

}  // namespace zae
