// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <functional>

#include "aws/dynamodb_errors.h"
#include "aws/http.h"

// Retries, as three separate policies (the google-cloud-cpp split):
//
//  - RetryPolicy: how many attempts, and which failures are transient (AWS "standard" mode:
//    throttling, 5xx and transient network errors; never a failed condition, a cancelled
//    transaction, a validation error or another 4xx).
//  - BackoffPolicy: how long to wait before the next attempt (exponential, full jitter).
//  - Idempotency: whether retrying is safe at all after a given failure.
//
// The idempotency rule. An UpdateItem with `ADD` (or `SET a = a + :d`) is not idempotent: if the
// request reached DynamoDB and only the response was lost (a timeout, a reset), a retry applies
// the delta twice. The client therefore retries a non-idempotent request only after failures
// that prove it was not applied:
//   - the connection could not be made (NetworkErrorKind::kConnect: nothing was sent);
//   - DynamoDB answered that it refused the request (throttling, TransactionConflictException).
// After a timeout, a reset or a 5xx the outcome is unknown, and the error is surfaced to the
// caller, who knows whether re-reading or re-applying is right. Idempotent requests (reads,
// PutItem, DeleteItem, BatchWriteItem, control plane) retry on every transient failure.
// TransactWriteItems is idempotent by ClientRequestToken: the client sends one token for every
// attempt (generated when the caller sets none), and DynamoDB applies a token at most once within
// 10 minutes.
namespace zae::aws {

// Idempotency (kIdempotent, kNonIdempotent) is declared in http.h, for the transports.

// How many attempts and which failures are transient. A value type; thread-safe to share.
class RetryPolicy {
 public:
  static constexpr int kStandardMaxAttempts = 3;

  // `max_attempts` counts the first attempt; values below 1 are treated as 1 (no retries).
  explicit RetryPolicy(int max_attempts = kStandardMaxAttempts)
      : max_attempts_(max_attempts < 1 ? 1 : max_attempts) {}

  int max_attempts() const noexcept { return max_attempts_; }

  // Transient network failures: everything but TLS failures.
  bool is_retryable(const NetworkError& error) const noexcept { return error.is_transient(); }
  // ServiceError::is_retryable(): throttling, conflicts with transactions, 5xx.
  bool is_retryable(const ServiceError& error) const noexcept { return error.is_retryable(); }

 private:
  int max_attempts_;
};

// Whether a request of `idempotency` may be sent again after `error` (see the rule above).
bool is_safe_to_retry(Idempotency idempotency, const NetworkError& error) noexcept;
bool is_safe_to_retry(Idempotency idempotency, const ServiceError& error) noexcept;

struct BackoffOptions {
  // The ceiling of the first retry's delay; each further retry doubles it.
  std::chrono::microseconds base = std::chrono::milliseconds(100);
  // No delay exceeds this.
  std::chrono::microseconds cap = std::chrono::seconds(20);
};

// Exponential backoff with full jitter: the delay before retry n (1 = the first retry) is uniform
// in [0, min(cap, base * 2^(n-1))]. Thread-safe when the injected random source is.
class BackoffPolicy {
 public:
  // Returns a uniformly distributed value in [0, 1). Must be thread-safe when the policy is
  // shared by threads (the default is: one engine per thread).
  using UniformRandom = std::function<double()>;

  explicit BackoffPolicy(BackoffOptions options = {}, UniformRandom random = {});

  // The jittered delay before retry `retry` (>= 1).
  std::chrono::microseconds delay(int retry) const;
  // The upper bound of delay(retry).
  std::chrono::microseconds max_delay(int retry) const noexcept;

 private:
  BackoffOptions options_;
  UniformRandom random_;
};

// Blocks the calling thread for a duration. Tests inject one that records instead.
using Sleeper = std::function<void(std::chrono::microseconds)>;

// std::this_thread::sleep_for.
Sleeper thread_sleeper();

// What a client retries with.
struct RetryOptions {
  RetryPolicy retry = RetryPolicy();
  BackoffPolicy backoff = BackoffPolicy();
  // Empty means thread_sleeper().
  Sleeper sleep = {};
};

}  // namespace zae::aws
