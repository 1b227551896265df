// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/errors.h"
#include "aws/sigv4.h"

// Credentials for signing requests: where they come from (a CredentialsSource: environment,
// shared files, STS web identity, container endpoint, instance metadata) and how they are kept
// (CachedCredentialsProvider: cached, refreshed ahead of expiry, single-flight). The sources
// themselves are in credential_providers.h, with the SDKs' default chain.
namespace zae::aws {

// Why a source yielded no credentials.
enum class CredentialsErrorKind {
  // The source is not set up here (no variables, no file, no metadata service): a chain moves on
  // to its next source.
  kNotConfigured,
  // The source is set up but failed (a malformed file, a missing key, an HTTP error, a bad
  // response): a chain stops and reports it, rather than silently using another identity.
  kFailed,
};

// No credentials from `source()` ("environment", "shared files", "web identity", "container",
// "instance metadata", "chain"); what() is "<source>: <problem>".
class CredentialsError : public AwsError {
 public:
  CredentialsError(CredentialsErrorKind kind, std::string source, const std::string& problem);

  CredentialsErrorKind kind() const noexcept { return kind_; }
  const std::string& source() const noexcept { return source_; }
  const std::string& problem() const noexcept { return problem_; }

 private:
  CredentialsErrorKind kind_;
  std::string source_;
  std::string problem_;
};

// The wall clock that expiry times are compared with. Empty means std::chrono::system_clock.
using WallClock = std::function<std::chrono::system_clock::time_point()>;

// Credentials with the time they stop being valid; no expiration means they do not expire.
struct TimedCredentials {
  Credentials credentials;
  std::optional<std::chrono::system_clock::time_point> expiration = std::nullopt;
};

// Hands out credentials for signing. Implementations are thread-safe.
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider();
  // Credentials valid now. Throws CredentialsError when there are none.
  virtual Credentials credentials() = 0;
};

// Always the same credentials.
class StaticCredentialsProvider final : public CredentialsProvider {
 public:
  explicit StaticCredentialsProvider(Credentials credentials)
      : credentials_(std::move(credentials)) {}
  Credentials credentials() override { return credentials_; }

 private:
  const Credentials credentials_;
};

// One place credentials come from. fetch() does the work each time it is called (reads the
// variables or files, makes the HTTP requests); caching is CachedCredentialsProvider's job.
// Implementations are thread-safe.
class CredentialsSource {
 public:
  virtual ~CredentialsSource();
  // Short name for messages: "environment", "shared files", ...
  virtual std::string name() const = 0;
  // Fresh credentials. Throws CredentialsError: kNotConfigured when the source is not set up,
  // kFailed when it is but did not work (the message names the file and line, the missing key,
  // the HTTP status, or the malformed response).
  virtual TimedCredentials fetch() = 0;
};

// Tries sources in order and returns the first that yields credentials, skipping those that are
// not configured; a source that is configured but fails stops the chain with its error. Once a
// source has worked, later fetches (refreshes) go to it alone, as the SDKs do. When no source
// is configured, throws CredentialsError (kNotConfigured, source "chain") listing every source
// tried and why it did not apply. Thread-safe.
class ChainCredentialsSource final : public CredentialsSource {
 public:
  explicit ChainCredentialsSource(std::vector<std::unique_ptr<CredentialsSource>> sources);

  std::string name() const override;
  TimedCredentials fetch() override;
  // The name of the source that worked, or empty before one has.
  std::string chosen_source() const;

 private:
  const std::vector<std::unique_ptr<CredentialsSource>> sources_;
  mutable std::mutex mutex_;
  std::optional<std::size_t> chosen_;
};

struct CacheOptions {
  // Refresh credentials this long before they expire. Until they actually expire, callers keep
  // getting the old ones if the refresh fails.
  std::chrono::seconds refresh_ahead{300};
  // After a refresh attempt, do not start another ahead-of-expiry refresh for this long (so a
  // failing source, or one handing out short-lived credentials, is not called on every request).
  // Credentials that have expired are always refreshed.
  std::chrono::seconds retry_interval{10};
};

// Caches a source's credentials: fetches on first use, again when the cached ones are within
// `refresh_ahead` of expiring, and never for credentials without an expiration. Refresh is
// single-flight: one caller fetches while the others return the still-valid copy or, when there
// is none, wait for that fetch and share its result or its error. If a refresh fails while the
// cached credentials are still valid, they are returned and the error is dropped; once they have
// expired, the error is thrown. Thread-safe; `clock` must be callable from any thread.
class CachedCredentialsProvider final : public CredentialsProvider {
 public:
  explicit CachedCredentialsProvider(std::unique_ptr<CredentialsSource> source,
                                     WallClock clock = {}, CacheOptions options = {});

  Credentials credentials() override;
  // The cached credentials with their expiration (fetching as credentials() does).
  TimedCredentials timed_credentials();
  CredentialsSource& source() const noexcept { return *source_; }

 private:
  std::chrono::system_clock::time_point now() const;
  bool is_fresh(std::chrono::system_clock::time_point now) const;
  bool is_valid(std::chrono::system_clock::time_point now) const;

  const std::unique_ptr<CredentialsSource> source_;
  const WallClock clock_;
  const CacheOptions options_;

  std::mutex mutex_;
  std::condition_variable refreshed_;
  std::optional<TimedCredentials> cached_;
  bool refreshing_ = false;
  std::uint64_t refresh_count_ = 0;  // completed refresh attempts
  std::exception_ptr last_error_;    // of the last attempt, if it failed
  std::chrono::system_clock::time_point next_attempt_{};
};

// Parses an ISO 8601 UTC timestamp as AWS sends expirations: "2024-05-01T12:34:56Z", with
// optional fractional seconds and "Z", "+HH:MM" or "-HH:MM" offsets. Nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view text);

}  // namespace zae::aws
