// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "zae/open_store.h"
#include "zae/rate_limiter.h"

#include "support/fake_clock.h"
#include "support/faulty_store.h"

namespace zae::test {

// A RateLimiter over a private in-memory SQLite store behind a FaultyStore, on a FakeClock
// shared by store and limiter. Warnings are collected.
class LimiterTest : public ::testing::Test {
 protected:
  static constexpr std::chrono::milliseconds kTtl = std::chrono::seconds(60);

  LimiterTest() {
    std::shared_ptr<Store> inner = open_store("sqlite::memory:", StoreOptions{.clock = &clock_});
    store_ = std::make_shared<FaultyStore>(std::move(inner));
    make_limiter();
  }

  // Replaces the limiter (same store and clock).
  void make_limiter(RateLimiterOptions options = {}) {
    options.clock = &clock_;
    options.warning_sink = [this](std::string_view message) {
      std::lock_guard lock(warnings_mutex_);
      warnings_.emplace_back(message);
    };
    limiter_.reset();
    limiter_ = std::make_unique<RateLimiter>(store_, std::move(options));
  }

  RateLimiter& limiter() { return *limiter_; }
  FaultyStore& store() { return *store_; }

  std::vector<std::string> warnings() {
    std::lock_guard lock(warnings_mutex_);
    return warnings_;
  }

  static AcquireRequest request(std::string entity, std::string resource, Amounts consume,
                                std::optional<std::vector<Limit>> limits = std::nullopt) {
    return AcquireRequest{.entity_id = std::move(entity),
                          .resource = std::move(resource),
                          .consume = std::move(consume),
                          .limits = std::move(limits),
                          .on_unavailable = std::nullopt};
  }

  // Designated initializers would leave fields unnamed, which -Wextra reports.
  static CreateEntityRequest entity(std::string id) {
    CreateEntityRequest create;
    create.entity_id = std::move(id);
    return create;
  }
  enum class Cascade { kNo, kYes };
  static CreateEntityRequest child(std::string id, std::string parent, Cascade cascade) {
    CreateEntityRequest create = entity(std::move(id));
    create.parent_id = std::move(parent);
    create.cascade = cascade == Cascade::kYes;
    return create;
  }
  static RateLimiterOptions with_ttl(std::chrono::milliseconds ttl) {
    RateLimiterOptions options;
    options.config_cache_ttl = ttl;
    return options;
  }
  static RateLimiterOptions with_fallback(OnUnavailable fallback) {
    RateLimiterOptions options;
    options.on_unavailable = fallback;
    return options;
  }

  std::int64_t available(const std::string& entity, const std::string& resource,
                         const std::string& limit,
                         const std::optional<std::vector<Limit>>& limits = std::nullopt) {
    return limiter().available(entity, resource, limits).at(limit);
  }

  FakeClock clock_;
  std::shared_ptr<FaultyStore> store_;

 private:
  std::mutex warnings_mutex_;
  std::vector<std::string> warnings_;
  std::unique_ptr<RateLimiter> limiter_;
};

}  // namespace zae::test
