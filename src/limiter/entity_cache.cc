// SPDX-License-Identifier: MIT
#include "limiter/entity_cache.h"

#include <mutex>
#include <utility>

namespace zae::detail {

std::optional<std::optional<std::string>> EntityCache::find(const std::string& entity_id,
                                                            TimePoint now) const {
  std::shared_lock lock(mutex_);
  const auto it = entries_.find(entity_id);
  if (it == entries_.end() || now > it->second.inserted + ttl_) {
    return std::nullopt;
  }
  return it->second.cascade_parent;
}

void EntityCache::put(const std::string& entity_id, std::optional<std::string> cascade_parent,
                      TimePoint now) {
  if (ttl_.count() <= 0) {
    return;
  }
  std::unique_lock lock(mutex_);
  entries_.insert_or_assign(entity_id, Entry{std::move(cascade_parent), now});
}

void EntityCache::evict(const std::string& entity_id) {
  std::unique_lock lock(mutex_);
  entries_.erase(entity_id);
}

void EntityCache::clear() {
  std::unique_lock lock(mutex_);
  entries_.clear();
}

}  // namespace zae::detail
