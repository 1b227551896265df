// SPDX-License-Identifier: MIT
#include "limiter/limiter_context.h"

#include <cstdio>
#include <exception>
#include <string>

namespace zae::detail {
namespace {

constexpr int encode(OnUnavailable value) { return 1 + static_cast<int>(value); }

}  // namespace

void LimiterContext::warn(std::string_view message) const noexcept {
  try {
    if (warning_sink) {
      warning_sink(message);
      return;
    }
  } catch (...) {
    // A throwing sink must not turn a destructor into std::terminate; fall through to stderr.
  }
  std::fprintf(stderr, "zae-limiter warning: %.*s\n", static_cast<int>(message.size()),
               message.data());
}

std::optional<OnUnavailable> LimiterContext::fallback() const {
  const int cell = fallback_cell.load(std::memory_order_acquire);
  if (cell == 0) {
    return std::nullopt;
  }
  return static_cast<OnUnavailable>(cell - 1);
}

void LimiterContext::remember_fallback(OnUnavailable value) const {
  // Load first: every warm acquire lands here, and an unconditional store would bounce the
  // cache line between cores.
  if (fallback_cell.load(std::memory_order_relaxed) != encode(value)) {
    fallback_cell.store(encode(value), std::memory_order_release);
  }
}

void LimiterContext::reset_fallback() const {
  fallback_cell.store(on_unavailable_seed ? encode(*on_unavailable_seed) : 0,
                      std::memory_order_release);
}

}  // namespace zae::detail
