// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "zae/clock.h"
#include "zae/limit.h"
#include "zae/rate_limiter.h"
#include "zae/store.h"

namespace zae::detail {

// The outcome of resolving the stored limits of (entity, resource) (RES-2).
struct ConfigResolution {
  // nullopt: no level holds a non-empty list (RES-3).
  std::optional<ResolvedLimits> limits;
  // The system level's on_unavailable when the system slot was consulted and holds one; the
  // limiter remembers it as the outage fallback (OU-2).
  std::optional<OnUnavailable> system_on_unavailable;
};

// Per-RateLimiter cache of stored limits by level (spec/behavior.md §8).
//
// Slots: system, resource[r], entity[(e, r)], where the entity-default level is entity[(e,
// "_default_")]. Absent levels are cached as absent (CC-3). An entry expires when now > inserted
// + ttl on the injected clock (CC-2); ttl 0 stores nothing (CC-1).
//
// Thread-safe. Hits take only a shared lock and bump relaxed atomic counters, so concurrent
// acquires on a warm cache do not serialize. No lock is held across a store read (unlike the
// original's CC-5); a generation counter keeps a read that raced with an eviction from
// re-inserting what was just evicted.
class ConfigCache {
 public:
  explicit ConfigCache(std::chrono::milliseconds ttl) : ttl_(ttl) {}

  // Resolves (entity, resource) by precedence: slots are consulted in order entity(resource),
  // entity(_default_) (skipped when resource is _default_), resource, system, counting one hit
  // or miss per slot consulted; consulting stops at the first cached non-empty level. Every
  // missed slot is fetched with one Store::read_config_levels call (CC-4). Store errors
  // propagate.
  ConfigResolution resolve(Store& store, const std::string& entity_id, const std::string& resource,
                           TimePoint now);

  // The system slot alone (read with Store::get_system_defaults on a miss). Counts one hit or
  // miss. Store errors propagate.
  SystemDefaults system(Store& store, TimePoint now);

  void evict_entity(const std::string& entity_id, const std::string& resource);
  // Every slot of the entity (all resources), after the entity was deleted.
  void evict_entity(const std::string& entity_id);
  void evict_resource(const std::string& resource);
  void evict_system();
  void clear();

  ConfigCacheStats stats() const;
  std::chrono::milliseconds ttl() const { return ttl_; }

 private:
  template <class V>
  struct Slot {
    V value;
    TimePoint inserted;
  };
  using LimitsSlot = Slot<std::vector<Limit>>;

  bool is_fresh(TimePoint inserted, TimePoint now) const { return now <= inserted + ttl_; }
  bool enabled() const { return ttl_.count() > 0; }

  const std::chrono::milliseconds ttl_;
  mutable std::shared_mutex mutex_;
  std::optional<Slot<SystemDefaults>> system_;
  std::unordered_map<std::string, LimitsSlot> resources_;
  // entity id → resource → limits; nested so that deleting an entity evicts all its slots.
  std::unordered_map<std::string, std::unordered_map<std::string, LimitsSlot>> entities_;
  // Bumped (under the exclusive lock) by every eviction.
  std::uint64_t generation_ = 0;
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
};

}  // namespace zae::detail
