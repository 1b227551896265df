// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "zae/clock.h"

namespace zae::detail {

// Per-RateLimiter cache of the cascade hierarchy: entity id → the parent an acquire on it must
// also consume from (nullopt: none, including "no such entity", EN-15).
//
// A hint only: the store checks the parent named in every ConsumeRequest against the entity
// record and answers kCascadeMismatch when they differ, so a stale entry costs one extra round
// trip, never a skipped or invented parent (OQ-8, OQ-38). Entries expire after `ttl` (0 stores
// nothing). Thread-safe; lookups take a shared lock.
class EntityCache {
 public:
  explicit EntityCache(std::chrono::milliseconds ttl) : ttl_(ttl) {}

  // The cached cascade parent, or nullopt when nothing fresh is cached.
  std::optional<std::optional<std::string>> find(const std::string& entity_id, TimePoint now) const;
  void put(const std::string& entity_id, std::optional<std::string> cascade_parent, TimePoint now);
  void evict(const std::string& entity_id);
  void clear();

 private:
  struct Entry {
    std::optional<std::string> cascade_parent;
    TimePoint inserted;
  };

  const std::chrono::milliseconds ttl_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace zae::detail
