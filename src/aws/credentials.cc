// SPDX-License-Identifier: MIT
#include "aws/credentials.h"

#include <utility>

namespace zae::aws {

CredentialsError::CredentialsError(CredentialsErrorKind kind, std::string source,
                                   const std::string& problem)
    : AwsError(source + ": " + problem),
      kind_(kind),
      source_(std::move(source)),
      problem_(problem) {}

CredentialsProvider::~CredentialsProvider() = default;
CredentialsSource::~CredentialsSource() = default;

ChainCredentialsSource::ChainCredentialsSource(
    std::vector<std::unique_ptr<CredentialsSource>> sources)
    : sources_(std::move(sources)) {}

std::string ChainCredentialsSource::name() const { return "chain"; }

std::string ChainCredentialsSource::chosen_source() const {
  std::lock_guard lock(mutex_);
  return chosen_ ? sources_[*chosen_]->name() : std::string();
}

TimedCredentials ChainCredentialsSource::fetch() {
  CredentialsSource* chosen = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (chosen_) {
      chosen = sources_[*chosen_].get();
    }
  }
  if (chosen != nullptr) {
    return chosen->fetch();  // not under the lock: a source may block on the network
  }
  std::string tried;
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    try {
      TimedCredentials result = sources_[i]->fetch();
      std::lock_guard lock(mutex_);
      chosen_ = i;
      return result;
    } catch (const CredentialsError& error) {
      if (error.kind() != CredentialsErrorKind::kNotConfigured) {
        throw;
      }
      tried += tried.empty() ? "" : "; ";
      tried += error.what();
    }
  }
  throw CredentialsError(CredentialsErrorKind::kNotConfigured, "chain",
                         "no credentials found; tried " + (tried.empty() ? "no sources" : tried));
}

CachedCredentialsProvider::CachedCredentialsProvider(std::unique_ptr<CredentialsSource> source,
                                                     WallClock clock, CacheOptions options)
    : source_(std::move(source)), clock_(std::move(clock)), options_(options) {}

std::chrono::system_clock::time_point CachedCredentialsProvider::now() const {
  return clock_ ? clock_() : std::chrono::system_clock::now();
}

bool CachedCredentialsProvider::is_valid(std::chrono::system_clock::time_point t) const {
  return cached_ && (!cached_->expiration || t < *cached_->expiration);
}

bool CachedCredentialsProvider::is_fresh(std::chrono::system_clock::time_point t) const {
  if (!is_valid(t)) {
    return false;
  }
  if (!cached_->expiration) {
    return true;
  }
  return t < *cached_->expiration - options_.refresh_ahead || t < next_attempt_;
}

Credentials CachedCredentialsProvider::credentials() { return timed_credentials().credentials; }

TimedCredentials CachedCredentialsProvider::timed_credentials() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (is_fresh(now())) {
      return *cached_;
    }
    if (!refreshing_) {
      break;
    }
    if (is_valid(now())) {
      return *cached_;  // someone else is refreshing; the old copy still works
    }
    const std::uint64_t seen = refresh_count_;
    refreshed_.wait(lock, [&] { return refresh_count_ != seen; });
    if (last_error_ && !is_valid(now())) {
      std::rethrow_exception(last_error_);
    }
  }
  refreshing_ = true;
  lock.unlock();
  std::optional<TimedCredentials> fresh;
  std::exception_ptr error;
  try {
    fresh = source_->fetch();
  } catch (...) {
    error = std::current_exception();
  }
  lock.lock();
  refreshing_ = false;
  ++refresh_count_;
  const auto t = now();
  next_attempt_ = t + options_.retry_interval;
  last_error_ = error;
  if (fresh) {
    cached_ = std::move(fresh);
  }
  refreshed_.notify_all();
  if (!error || is_valid(t)) {
    return *cached_;
  }
  std::rethrow_exception(error);
}

std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view text) {
  std::size_t pos = 0;
  const auto digits = [&](std::size_t count) -> std::optional<int> {
    if (pos + count > text.size()) {
      return std::nullopt;
    }
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = text[pos + i];
      if (c < '0' || c > '9') {
        return std::nullopt;
      }
      value = value * 10 + (c - '0');
    }
    pos += count;
    return value;
  };
  const auto expect = [&](char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  };
  const auto year = digits(4);
  if (!year || !expect('-')) {
    return std::nullopt;
  }
  const auto month = digits(2);
  if (!month || !expect('-')) {
    return std::nullopt;
  }
  const auto day = digits(2);
  if (!day || !(expect('T') || expect('t'))) {
    return std::nullopt;
  }
  const auto hour = digits(2);
  if (!hour || !expect(':')) {
    return std::nullopt;
  }
  const auto minute = digits(2);
  if (!minute || !expect(':')) {
    return std::nullopt;
  }
  const auto second = digits(2);
  if (!second) {
    return std::nullopt;
  }
  std::chrono::nanoseconds fraction{0};
  if (expect('.')) {
    std::int64_t scale = 100'000'000;
    const std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      fraction += std::chrono::nanoseconds((text[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start) {
      return std::nullopt;
    }
  }
  std::chrono::minutes offset{0};
  if (expect('Z') || expect('z')) {
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    const auto oh = digits(2);
    if (!oh || !expect(':')) {
      return std::nullopt;
    }
    const auto om = digits(2);
    if (!om || *oh > 23 || *om > 59) {
      return std::nullopt;
    }
    offset = std::chrono::minutes(sign * (*oh * 60 + *om));
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  const auto since_epoch = std::chrono::sys_days(date).time_since_epoch() +
                           std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
                           std::chrono::seconds(*second) - offset;
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch + fraction));
}

}  // namespace zae::aws
