// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "zae/clock.h"
#include "zae/store.h"

#include "limiter/config_cache.h"
#include "limiter/entity_cache.h"

namespace zae::detail {

// Everything a RateLimiter shares with the leases it issues. Owned by the RateLimiter; leases
// hold a const pointer (the limiter outlives them). The caches and the fallback cell are
// internally synchronized, hence mutable: a lease's consume may refresh the hierarchy.
struct LimiterContext {
  LimiterContext(std::shared_ptr<Store> store_in, const Clock& clock_in,
                 std::function<void(std::string_view)> sink, std::chrono::milliseconds ttl,
                 std::optional<OnUnavailable> fallback_seed)
      : store(std::move(store_in)),
        clock(clock_in),
        warning_sink(std::move(sink)),
        config_cache(ttl),
        entity_cache(ttl),
        on_unavailable_seed(fallback_seed) {
    reset_fallback();
  }

  // Reports a failure that cannot be thrown (lease destructors); never throws.
  void warn(std::string_view message) const noexcept;

  // The on_unavailable fallback cell (OU-2..OU-5): the last on_unavailable read from the
  // system level, seeded from RateLimiterOptions::on_unavailable.
  std::optional<OnUnavailable> fallback() const;
  void remember_fallback(OnUnavailable value) const;
  // Back to the seed (invalidate_config_cache, and local system-default writes; OQ-48).
  void reset_fallback() const;

  std::shared_ptr<Store> store;
  const Clock& clock;
  std::function<void(std::string_view)> warning_sink;
  mutable ConfigCache config_cache;
  mutable EntityCache entity_cache;
  const std::optional<OnUnavailable> on_unavailable_seed;
  // 0: unset, 1 + static_cast<int>(OnUnavailable) otherwise; atomic so the acquire path can
  // refresh it without a lock.
  mutable std::atomic<int> fallback_cell{0};
};

}  // namespace zae::detail
