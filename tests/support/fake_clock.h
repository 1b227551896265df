// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "zae/clock.h"

namespace zae::test {

// A clock that only moves when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}
  TimePoint now() const override { return from_epoch_ms(now_ms_.load()); }
  void advance(std::chrono::milliseconds by) { now_ms_ += by.count(); }
  void set(std::int64_t epoch_ms) { now_ms_ = epoch_ms; }
  std::int64_t now_ms() const { return now_ms_.load(); }

 private:
  std::atomic<std::int64_t> now_ms_;
};

}  // namespace zae::test
