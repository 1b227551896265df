// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "zae/clock.h"
#include "zae/errors.h"
#include "zae/lease.h"
#include "zae/limit.h"
#include "zae/store.h"
#include "zae/validation.h"

namespace zae {

struct RateLimiterOptions {
  // How long stored limits are cached per level; zero disables the cache (CC-1).
  std::chrono::milliseconds config_cache_ttl = std::chrono::seconds(60);
  // Seeds the on_unavailable fallback used when the system level cannot be read (OU-5).
  std::optional<OnUnavailable> on_unavailable{};
  // Time source; nullptr means SystemClock. Must outlive the limiter.
  const Clock* clock = nullptr;
  // Receives warnings the library cannot throw (failed writes in Lease destructors); nullptr
  // writes them to stderr. Called from any thread.
  std::function<void(std::string_view)> warning_sink;
};

struct AcquireRequest {
  std::string entity_id{};
  std::string resource{};
  // Tokens to take now, per limit name; every amount must be >= 0 and name a resolved limit.
  Amounts consume{};
  // Explicit limits: used instead of stored ones, without reading them (RES-1).
  std::optional<std::vector<Limit>> limits{};
  // Overrides the stored on_unavailable for this call (OU-1).
  std::optional<OnUnavailable> on_unavailable{};
};

struct ResolvedLimits {
  std::vector<Limit> limits{};
  LimitSource source = LimitSource::kOverride;
};

struct ConfigCacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::size_t size = 0;
  std::chrono::milliseconds ttl{0};
};

// Distributed token-bucket rate limiting over a Store (spec/behavior.md §3).
//
// Thread-safe: one RateLimiter serves every thread of a process. It owns a config cache (limits
// per level, TTL config_cache_ttl) and shares the Store. Leases it returns must not outlive it.
class RateLimiter {
 public:
  explicit RateLimiter(std::shared_ptr<Store> store, RateLimiterOptions options = {});
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Consumes request.consume from every resolved limit of the entity (and of its parent when
  // the entity cascades), atomically, and returns the lease. Throws RateLimitExceeded with every
  // limit's status when any limit lacks tokens (nothing is consumed); ValidationError for bad
  // input or when no limits are configured; RateLimiterUnavailable when the store fails and
  // on_unavailable is BLOCK. With ALLOW a store failure returns a no-op lease.
  Lease acquire(AcquireRequest request);

  // Runs fn(lease) under an acquired lease: commits when fn returns, rolls back and rethrows
  // when it throws. Returns what fn returns.
  template <class Fn>
  std::invoke_result_t<Fn, Lease&> with_lease(AcquireRequest request, Fn&& fn) {
    using Result = std::invoke_result_t<Fn, Lease&>;
    Lease lease = acquire(std::move(request));
    if constexpr (std::is_void_v<Result>) {
      run_guarded(lease, [&] { std::invoke(std::forward<Fn>(fn), lease); });
      lease.commit();
    } else {
      static_assert(!std::is_reference_v<Result>, "with_lease: fn must return by value");
      std::optional<Result> result;
      run_guarded(lease, [&] { result.emplace(std::invoke(std::forward<Fn>(fn), lease)); });
      lease.commit();
      return std::move(*result);
    }
  }

  // Whole tokens available now per resolved limit (capacity when the bucket does not exist yet;
  // negative when in debt). Not cascade-aware, like the original (CQ-1).
  std::map<std::string, std::int64_t> available(
      const std::string& entity_id, const std::string& resource,
      const std::optional<std::vector<Limit>>& limits = std::nullopt);
  // How long until `needed` could be consumed (zero when it can be now) (CQ-2).
  std::chrono::milliseconds time_until_available(
      const std::string& entity_id, const std::string& resource, const Amounts& needed,
      const std::optional<std::vector<Limit>>& limits = std::nullopt);

  // The limits an acquire on (entity, resource) would enforce: Entity(resource) >
  // Entity(_default_) > Resource > System (RES-2), through the config cache. Throws
  // ValidationError when none are configured.
  ResolvedLimits resolve_limits(const std::string& entity_id, const std::string& resource);

  // ---- entities ------------------------------------------------------------------------------
  Entity create_entity(const CreateEntityRequest& request);
  std::optional<Entity> get_entity(const std::string& entity_id);
  std::size_t delete_entity(const std::string& entity_id,
                            const std::optional<std::string>& principal = std::nullopt);
  std::vector<Entity> get_children(const std::string& parent_id);

  // ---- stored limits (validated before any I/O; OQ-11) --------------------------------------
  void set_limits(const std::string& entity_id, const std::vector<Limit>& limits,
                  const std::string& resource = std::string(kDefaultResource),
                  const std::optional<std::string>& principal = std::nullopt);
  std::vector<Limit> get_limits(const std::string& entity_id,
                                const std::string& resource = std::string(kDefaultResource));
  bool delete_limits(const std::string& entity_id,
                     const std::string& resource = std::string(kDefaultResource),
                     const std::optional<std::string>& principal = std::nullopt);
  void set_resource_defaults(const std::string& resource, const std::vector<Limit>& limits,
                             const std::optional<std::string>& principal = std::nullopt);
  std::vector<Limit> get_resource_defaults(const std::string& resource);
  void delete_resource_defaults(const std::string& resource,
                                const std::optional<std::string>& principal = std::nullopt);
  std::vector<std::string> list_resources_with_defaults();
  void set_system_defaults(const SystemDefaults& defaults,
                           const std::optional<std::string>& principal = std::nullopt);
  SystemDefaults get_system_defaults();
  void delete_system_defaults(const std::optional<std::string>& principal = std::nullopt);

  // ---- usage snapshots (spec/behavior.md §12.4) ---------------------------------------------
  // One page of snapshots; see Store::get_usage_snapshots for order, paging and errors.
  UsagePage get_usage_snapshots(const UsageQuery& query);
  // Totals and averages over every snapshot the query matches, reading all pages (no cap;
  // query.limit is ignored). Throws as get_usage_snapshots.
  UsageSummary get_usage_summary(const UsageQuery& query);

  // ---- config cache --------------------------------------------------------------------------
  ConfigCacheStats config_cache_stats() const;
  // Clears every cached level and the on_unavailable fallback (CC-8).
  void invalidate_config_cache();

  Store& store() const;
  const Clock& clock() const;

 private:
  // Runs body; on an exception rolls the lease back (reporting rollback failures) and rethrows.
  template <class Body>
  static void run_guarded(Lease& lease, Body&& body) {
    try {
      body();
    } catch (...) {
      lease.finish_quietly();
      throw;
    }
  }

  std::unique_ptr<detail::LimiterContext> context_;
};

}  // namespace zae
