// SPDX-License-Identifier: MIT
#include "limiter/config_cache.h"

#include <array>
#include <mutex>
#include <utility>

#include "zae/validation.h"

namespace zae::detail {
namespace {

// Precedence order of the stored levels (RES-2).
enum Level : std::size_t { kEntityLevel, kEntityDefaultLevel, kResourceLevel, kSystemLevel };
constexpr std::size_t kLevelCount = 4;

constexpr std::array<LimitSource, kLevelCount> kSourceOf = {
    LimitSource::kEntity, LimitSource::kEntityDefault, LimitSource::kResource,
    LimitSource::kSystem};

struct LevelView {
  bool consulted = false;
  bool missed = false;
  std::vector<Limit> limits;
};

}  // namespace

ConfigResolution ConfigCache::resolve(Store& store, const std::string& entity_id,
                                      const std::string& resource, TimePoint now) {
  const bool has_entity_default = resource != kDefaultResource;
  std::array<LevelView, kLevelCount> levels;
  std::optional<SystemDefaults> system_value;
  std::uint64_t generation = 0;
  bool any_missed = false;

  {
    std::shared_lock lock(mutex_);
    generation = generation_;

    // Returns true when consulting can stop: a cached non-empty level decides, whatever the
    // lower levels hold (a missed higher level is still fetched and may win).
    const auto consult = [&](Level level, const std::vector<Limit>* cached) {
      LevelView& view = levels[level];
      view.consulted = true;
      if (cached == nullptr) {
        view.missed = true;
        any_missed = true;
        return false;
      }
      view.limits = *cached;
      return !view.limits.empty();
    };
    const auto find_entity = [&](const std::string& res) -> const std::vector<Limit>* {
      if (const auto by_entity = entities_.find(entity_id); by_entity != entities_.end()) {
        if (const auto it = by_entity->second.find(res);
            it != by_entity->second.end() && is_fresh(it->second.inserted, now)) {
          return &it->second.value;
        }
      }
      return nullptr;
    };

    bool decided = consult(kEntityLevel, find_entity(resource));
    if (!decided && has_entity_default) {
      decided = consult(kEntityDefaultLevel, find_entity(std::string(kDefaultResource)));
    }
    if (!decided) {
      const auto it = resources_.find(resource);
      decided = consult(kResourceLevel, it != resources_.end() && is_fresh(it->second.inserted, now)
                                            ? &it->second.value
                                            : nullptr);
    }
    if (!decided) {
      const bool fresh = system_.has_value() && is_fresh(system_->inserted, now);
      if (fresh) {
        system_value = system_->value;
      }
      consult(kSystemLevel, fresh ? &system_->value.limits : nullptr);
    }
  }

  std::uint64_t consulted = 0;
  std::uint64_t missed = 0;
  for (const LevelView& view : levels) {
    consulted += view.consulted ? 1 : 0;
    missed += view.missed ? 1 : 0;
  }
  hits_.fetch_add(consulted - missed, std::memory_order_relaxed);
  misses_.fetch_add(missed, std::memory_order_relaxed);

  if (any_missed) {
    // One batched read for every missed slot (CC-4): the warm path costs no round trip and a
    // cold one costs exactly one.
    ConfigQuery query{.entity_id = entity_id,
                      .resource = resource,
                      .read_entity = levels[kEntityLevel].missed,
                      .read_entity_default = levels[kEntityDefaultLevel].missed,
                      .read_resource = levels[kResourceLevel].missed,
                      .read_system = levels[kSystemLevel].missed};
    ConfigLevels fetched = store.read_config_levels(query);
    // Absent levels are cached as empty lists (negative caching, CC-3); resolution treats an
    // empty list as absent either way.
    if (levels[kEntityLevel].missed) {
      levels[kEntityLevel].limits = std::move(fetched.entity).value_or(std::vector<Limit>{});
    }
    if (levels[kEntityDefaultLevel].missed) {
      levels[kEntityDefaultLevel].limits =
          std::move(fetched.entity_default).value_or(std::vector<Limit>{});
    }
    if (levels[kResourceLevel].missed) {
      levels[kResourceLevel].limits = std::move(fetched.resource).value_or(std::vector<Limit>{});
    }
    if (levels[kSystemLevel].missed) {
      system_value = std::move(fetched.system).value_or(SystemDefaults{});
      levels[kSystemLevel].limits = system_value->limits;
    }

    if (enabled()) {
      std::unique_lock lock(mutex_);
      if (generation == generation_) {
        if (levels[kEntityLevel].missed) {
          entities_[entity_id].insert_or_assign(resource,
                                                LimitsSlot{levels[kEntityLevel].limits, now});
        }
        if (levels[kEntityDefaultLevel].missed) {
          entities_[entity_id].insert_or_assign(
              std::string(kDefaultResource), LimitsSlot{levels[kEntityDefaultLevel].limits, now});
        }
        if (levels[kResourceLevel].missed) {
          resources_.insert_or_assign(resource, LimitsSlot{levels[kResourceLevel].limits, now});
        }
        if (levels[kSystemLevel].missed) {
          system_ = Slot<SystemDefaults>{*system_value, now};
        }
      }
    }
  }

  ConfigResolution resolution;
  if (system_value.has_value()) {
    resolution.system_on_unavailable = system_value->on_unavailable;
  }
  for (std::size_t level = 0; level < kLevelCount; ++level) {
    if (levels[level].consulted && !levels[level].limits.empty()) {
      resolution.limits =
          ResolvedLimits{.limits = std::move(levels[level].limits), .source = kSourceOf[level]};
      break;
    }
  }
  return resolution;
}

SystemDefaults ConfigCache::system(Store& store, TimePoint now) {
  std::uint64_t generation = 0;
  {
    std::shared_lock lock(mutex_);
    generation = generation_;
    if (system_.has_value() && is_fresh(system_->inserted, now)) {
      hits_.fetch_add(1, std::memory_order_relaxed);
      return system_->value;
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  SystemDefaults value = store.get_system_defaults();
  if (enabled()) {
    std::unique_lock lock(mutex_);
    if (generation == generation_) {
      system_ = Slot<SystemDefaults>{value, now};
    }
  }
  return value;
}

void ConfigCache::evict_entity(const std::string& entity_id, const std::string& resource) {
  std::unique_lock lock(mutex_);
  ++generation_;
  if (const auto it = entities_.find(entity_id); it != entities_.end()) {
    it->second.erase(resource);
    if (it->second.empty()) {
      entities_.erase(it);
    }
  }
}

void ConfigCache::evict_entity(const std::string& entity_id) {
  std::unique_lock lock(mutex_);
  ++generation_;
  entities_.erase(entity_id);
}

void ConfigCache::evict_resource(const std::string& resource) {
  std::unique_lock lock(mutex_);
  ++generation_;
  resources_.erase(resource);
}

void ConfigCache::evict_system() {
  std::unique_lock lock(mutex_);
  ++generation_;
  system_.reset();
}

void ConfigCache::clear() {
  std::unique_lock lock(mutex_);
  ++generation_;
  system_.reset();
  resources_.clear();
  entities_.clear();
}

ConfigCacheStats ConfigCache::stats() const {
  std::shared_lock lock(mutex_);
  // CC-7: expired entries count until they are replaced.
  std::size_t size = (system_.has_value() ? 1 : 0) + resources_.size();
  for (const auto& [entity, by_resource] : entities_) {
    size += by_resource.size();
  }
  return ConfigCacheStats{.hits = hits_.load(std::memory_order_relaxed),
                          .misses = misses_.load(std::memory_order_relaxed),
                          .size = size,
                          .ttl = ttl_};
}

}  // namespace zae::detail
