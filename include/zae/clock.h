// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>

namespace zae {

// Wall-clock instant with millisecond resolution, the unit of every persisted timestamp
// (`rf` is epoch milliseconds in spec/data-model.md).
using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;

// Milliseconds since the Unix epoch of `t`.
inline std::int64_t epoch_ms(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint from_epoch_ms(std::int64_t ms) { return TimePoint{std::chrono::milliseconds{ms}}; }

// Source of the current time. Injected into RateLimiter and the stores so tests can control
// refill and retry-after deterministically. Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

// The system wall clock (std::chrono::system_clock truncated to milliseconds).
class SystemClock final : public Clock {
 public:
  TimePoint now() const override {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
  }
  // A process-wide instance; never destroyed.
  static const Clock& instance() {
    static const SystemClock* clock = new SystemClock();
    return *clock;
  }
};

}  // namespace zae
