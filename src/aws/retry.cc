// SPDX-License-Identifier: MIT
#include "aws/retry.h"

#include <algorithm>
#include <random>
#include <thread>

namespace zae::aws {
namespace {

double thread_uniform() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace

bool is_safe_to_retry(Idempotency idempotency, const NetworkError& error) noexcept {
  // A connect failure sent nothing; any other failure may have delivered the request.
  return idempotency == Idempotency::kIdempotent || error.kind() == NetworkErrorKind::kConnect;
}

bool is_safe_to_retry(Idempotency idempotency, const ServiceError& error) noexcept {
  // Throttling and transaction conflicts are refusals: DynamoDB did not apply the request.
  return idempotency == Idempotency::kIdempotent || error.is_throttling() ||
         error.code() == "TransactionConflictException";
}

BackoffPolicy::BackoffPolicy(BackoffOptions options, UniformRandom random)
    : options_(options), random_(random ? std::move(random) : UniformRandom(thread_uniform)) {}

std::chrono::microseconds BackoffPolicy::max_delay(int retry) const noexcept {
  auto ceiling = options_.base;
  for (int i = 1; i < retry && ceiling < options_.cap; ++i) {
    ceiling *= 2;
  }
  return std::min(ceiling, options_.cap);
}

std::chrono::microseconds BackoffPolicy::delay(int retry) const {
  const double fraction = std::clamp(random_(), 0.0, 1.0);
  return std::chrono::microseconds(
      static_cast<std::int64_t>(fraction * static_cast<double>(max_delay(retry).count())));
}

Sleeper thread_sleeper() {
  return [](std::chrono::microseconds d) { std::this_thread::sleep_for(d); };
}

}  // namespace zae::aws
