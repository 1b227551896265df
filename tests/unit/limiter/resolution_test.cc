// SPDX-License-Identifier: MIT
// Limit resolution (spec/behavior.md §3.4) and the config cache (§8).
#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zae/rate_limiter.h"

#include "unit/limiter/limiter_fixture.h"

namespace zae::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Property;
using ::testing::Throws;

const std::vector<Limit> entity_limits = {Limit::per_minute("rpm", 10)};
const std::vector<Limit> entity_default_limits = {Limit::per_minute("rpm", 20)};
const std::vector<Limit> resource_limits = {Limit::per_minute("rpm", 30)};
const std::vector<Limit> system_limits = {Limit::per_minute("rpm", 40)};

class ResolutionTest : public LimiterTest {
 protected:
  void configure_every_level() {
    limiter().set_system_defaults(SystemDefaults{.limits = system_limits, .on_unavailable = {}});
    limiter().set_resource_defaults("gpt", resource_limits);
    limiter().set_limits("key", entity_default_limits);  // resource _default_
    limiter().set_limits("key", entity_limits, "gpt");
  }
};

TEST_F(ResolutionTest, EntityResourceLevelWinsOverEveryOtherLevel) {
  configure_every_level();
  const ResolvedLimits resolved = limiter().resolve_limits("key", "gpt");
  EXPECT_EQ(resolved.limits, entity_limits);
  EXPECT_EQ(resolved.source, LimitSource::kEntity);
}

TEST_F(ResolutionTest, EntityDefaultWinsOverResourceAndSystem) {
  configure_every_level();
  const ResolvedLimits resolved = limiter().resolve_limits("key", "claude");
  EXPECT_EQ(resolved.limits, entity_default_limits);
  EXPECT_EQ(resolved.source, LimitSource::kEntityDefault);
}

TEST_F(ResolutionTest, ResourceWinsOverSystem) {
  configure_every_level();
  const ResolvedLimits resolved = limiter().resolve_limits("other", "gpt");
  EXPECT_EQ(resolved.limits, resource_limits);
  EXPECT_EQ(resolved.source, LimitSource::kResource);
}

TEST_F(ResolutionTest, SystemIsTheLastLevel) {
  configure_every_level();
  const ResolvedLimits resolved = limiter().resolve_limits("other", "claude");
  EXPECT_EQ(resolved.limits, system_limits);
  EXPECT_EQ(resolved.source, LimitSource::kSystem);
}

TEST_F(ResolutionTest, EmptyStoredListsCountAsAbsent) {
  limiter().set_system_defaults(SystemDefaults{.limits = system_limits, .on_unavailable = {}});
  limiter().set_resource_defaults("gpt", {});
  limiter().set_limits("key", {});
  limiter().set_limits("key", {}, "gpt");
  const ResolvedLimits resolved = limiter().resolve_limits("key", "gpt");
  EXPECT_EQ(resolved.limits, system_limits);
  EXPECT_EQ(resolved.source, LimitSource::kSystem);
}

TEST_F(ResolutionTest, DefaultResourceIsTheEntityLevelAndSkipsEntityDefault) {
  configure_every_level();
  store().reset_counts();
  const ResolvedLimits resolved = limiter().resolve_limits("key", "_default_");
  EXPECT_EQ(resolved.limits, entity_default_limits);
  EXPECT_EQ(resolved.source, LimitSource::kEntity);
  // entity(_default_) is consulted once, as the entity level; then resource and system.
  EXPECT_EQ(limiter().config_cache_stats().misses, 3U);
}

TEST_F(ResolutionTest, NothingConfiguredIsAValidationErrorNamingEntityAndResource) {
  EXPECT_THAT([&] { limiter().resolve_limits("key", "gpt"); },
              Throws<ValidationError>(
                  AllOf(Property(&ValidationError::field, "limits"),
                        Property(&ValidationError::value, "entity=key, resource=gpt"),
                        Property(&ValidationError::reason, HasSubstr("No limits configured")))));
  EXPECT_THAT(
      [&] {
        limiter().acquire(request("key", "gpt", {{"rpm", 1}}));
      },
      Throws<ValidationError>(Property(&ValidationError::field, "limits")));
}

TEST_F(ResolutionTest, OverrideWinsWithoutReadingStorage) {
  configure_every_level();
  store().reset_counts();
  const std::vector<Limit> override_limits = {Limit::per_minute("rpm", 2)};
  Lease lease = limiter().acquire(request("key", "gpt", {{"rpm", 1}}, override_limits));
  EXPECT_EQ(store().calls("read_config_levels"), 0U);
  EXPECT_EQ(store().calls("get_system_defaults"), 0U);
  EXPECT_EQ(limiter().config_cache_stats().hits + limiter().config_cache_stats().misses, 0U);
  ASSERT_EQ(lease.entries().size(), 1U);
  EXPECT_EQ(lease.entries()[0].limit, override_limits[0]);
}

TEST_F(ResolutionTest, EmptyOverrideChecksNothingAndDoesNoIo) {
  store().reset_counts();
  Lease lease = limiter().acquire(request("key", "gpt", {}, std::vector<Limit>{}));
  EXPECT_EQ(store().total_calls(), 0U);
  EXPECT_FALSE(lease.is_noop());
  EXPECT_TRUE(lease.entries().empty());
  lease.commit();
  EXPECT_EQ(store().total_calls(), 0U);
}

TEST_F(ResolutionTest, OverrideIsUsedForTheParentToo) {
  limiter().create_entity(entity("proj"));
  limiter().create_entity(child("key", "proj", Cascade::kYes));
  store().reset_counts();
  const std::vector<Limit> override_limits = {Limit::per_minute("rpm", 5)};
  Lease lease = limiter().acquire(request("key", "gpt", {{"rpm", 1}}, override_limits));
  EXPECT_EQ(store().calls("read_config_levels"), 0U);
  ASSERT_EQ(lease.entries().size(), 2U);
  EXPECT_EQ(lease.entries()[1].entity_id, "proj");
  EXPECT_EQ(lease.entries()[1].limit, override_limits[0]);
}

// ---- config cache ----------------------------------------------------------------------------

TEST_F(ResolutionTest, ColdResolutionReadsEveryMissedLevelInOneBatch) {
  configure_every_level();
  store().reset_counts();
  limiter().resolve_limits("other", "claude");
  EXPECT_EQ(store().calls("read_config_levels"), 1U);
  const ConfigCacheStats stats = limiter().config_cache_stats();
  EXPECT_EQ(stats.misses, 4U);
  EXPECT_EQ(stats.hits, 0U);
  // entity(other, claude), entity(other, _default_), resource(claude), system.
  EXPECT_EQ(stats.size, 4U);
  EXPECT_EQ(stats.ttl, kTtl);
}

TEST_F(ResolutionTest, WarmResolutionReadsNothing) {
  configure_every_level();
  limiter().resolve_limits("other", "claude");
  store().reset_counts();
  EXPECT_EQ(limiter().resolve_limits("other", "claude").source, LimitSource::kSystem);
  EXPECT_EQ(store().total_calls(), 0U);
  const ConfigCacheStats stats = limiter().config_cache_stats();
  EXPECT_EQ(stats.hits, 4U);
  EXPECT_EQ(stats.misses, 4U);
}

TEST_F(ResolutionTest, CachedHigherLevelStopsTheWalk) {
  configure_every_level();
  limiter().resolve_limits("key", "gpt");
  limiter().resolve_limits("key", "gpt");
  const ConfigCacheStats stats = limiter().config_cache_stats();
  EXPECT_EQ(stats.misses, 4U);
  EXPECT_EQ(stats.hits, 1U);  // only entity(key, gpt) is consulted when warm
}

TEST_F(ResolutionTest, SharedLevelsAreHitsForAnotherEntity) {
  configure_every_level();
  limiter().resolve_limits("a", "claude");
  store().reset_counts();
  limiter().resolve_limits("b", "claude");
  EXPECT_EQ(store().calls("read_config_levels"), 1U);
  const ConfigCacheStats stats = limiter().config_cache_stats();
  EXPECT_EQ(stats.misses, 4U + 2U);  // b's two entity levels
  EXPECT_EQ(stats.hits, 2U);         // resource(claude) and system
}

TEST_F(ResolutionTest, AbsentLevelsAreCachedAsAbsentUntilTtlExpires) {
  limiter().set_system_defaults(SystemDefaults{.limits = system_limits, .on_unavailable = {}});
  EXPECT_EQ(limiter().resolve_limits("key", "gpt").source, LimitSource::kSystem);
  // Written behind the limiter's back: invisible until the negative entry expires.
  store().inner().set_limits("key", "gpt", entity_limits, std::nullopt, clock_.now());
  clock_.advance(kTtl);
  EXPECT_EQ(limiter().resolve_limits("key", "gpt").source, LimitSource::kSystem);
  clock_.advance(std::chrono::milliseconds(1));
  EXPECT_EQ(limiter().resolve_limits("key", "gpt").source, LimitSource::kEntity);
}

TEST_F(ResolutionTest, SetAndDeleteLimitsEvictTheEntitySlot) {
  limiter().set_system_defaults(SystemDefaults{.limits = system_limits, .on_unavailable = {}});
  EXPECT_EQ(limiter().resolve_limits("key", "gpt").source, LimitSource::kSystem);
  limiter().set_limits("key", entity_limits, "gpt");
  EXPECT_EQ(limiter().resolve_limits("key", "gpt").source, LimitSource::kEntity);
  EXPECT_TRUE(limiter().delete_limits("key", "gpt"));
  EXPECT_EQ(limiter().resolve_limits("key", "gpt").source, LimitSource::kSystem);
}

TEST_F(ResolutionTest, EntityDefaultWritesEvictTheEntityDefaultSlot) {
  limiter().set_system_defaults(SystemDefaults{.limits = system_limits, .on_unavailable = {}});
  EXPECT_EQ(limiter().resolve_limits("key", "gpt").source, LimitSource::kSystem);
  limiter().set_limits("key", entity_default_limits);
  EXPECT_EQ(limiter().resolve_limits("key", "gpt").source, LimitSource::kEntityDefault);
}

TEST_F(ResolutionTest, ResourceDefaultWritesEvictTheResourceSlot) {
  limiter().set_system_defaults(SystemDefaults{.limits = system_limits, .on_unavailable = {}});
  EXPECT_EQ(limiter().resolve_limits("key", "gpt").source, LimitSource::kSystem);
  limiter().set_resource_defaults("gpt", resource_limits);  // OQ-13
  EXPECT_EQ(limiter().resolve_limits("key", "gpt").source, LimitSource::kResource);
  limiter().delete_resource_defaults("gpt");
  EXPECT_EQ(limiter().resolve_limits("key", "gpt").source, LimitSource::kSystem);
}

TEST_F(ResolutionTest, SystemDefaultWritesEvictTheSystemSlot) {
  limiter().set_system_defaults(SystemDefaults{.limits = system_limits, .on_unavailable = {}});
  EXPECT_EQ(limiter().resolve_limits("key", "gpt").limits, system_limits);
  const std::vector<Limit> changed = {Limit::per_minute("rpm", 41)};
  limiter().set_system_defaults(SystemDefaults{.limits = changed, .on_unavailable = {}});
  EXPECT_EQ(limiter().resolve_limits("key", "gpt").limits, changed);
  limiter().delete_system_defaults();
  EXPECT_THROW(limiter().resolve_limits("key", "gpt"), ValidationError);
}

TEST_F(ResolutionTest, DeleteEntityEvictsEveryEntitySlot) {
  limiter().create_entity(entity("key"));
  limiter().set_system_defaults(SystemDefaults{.limits = system_limits, .on_unavailable = {}});
  store().inner().set_limits("key", "gpt", entity_limits, std::nullopt, clock_.now());
  EXPECT_EQ(limiter().resolve_limits("key", "gpt").source, LimitSource::kEntity);
  limiter().delete_entity("key");
  EXPECT_EQ(limiter().resolve_limits("key", "gpt").source, LimitSource::kSystem);
}

TEST_F(ResolutionTest, AReadRacingAnEvictionDoesNotCacheWhatItRead) {
  limiter().set_system_defaults(SystemDefaults{.limits = system_limits, .on_unavailable = {}});
  bool raced = false;
  store().after_call([&](std::string_view method) {
    if (method == "read_config_levels" && !raced) {
      raced = true;
      // Lands after the read returned "no entity config" and before the cache is filled.
      limiter().set_limits("key", entity_limits, "gpt");
    }
  });
  EXPECT_EQ(limiter().resolve_limits("key", "gpt").source, LimitSource::kSystem);
  store().after_call(nullptr);
  EXPECT_EQ(limiter().resolve_limits("key", "gpt").source, LimitSource::kEntity);
}

TEST_F(ResolutionTest, ConcurrentResolutionsAndEvictionsAgree) {
  limiter().set_system_defaults(SystemDefaults{.limits = system_limits, .on_unavailable = {}});
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; i < 50; ++i) {
      limiter().set_limits("key", entity_limits, "gpt");
      limiter().delete_limits("key", "gpt");
      limiter().invalidate_config_cache();
    }
    limiter().set_limits("key", entity_limits, "gpt");
    stop = true;
  });
  std::vector<std::thread> readers;
  readers.reserve(3);
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        const LimitSource source = limiter().resolve_limits("key", "gpt").source;
        EXPECT_TRUE(source == LimitSource::kEntity || source == LimitSource::kSystem);
      }
    });
  }
  writer.join();
  for (std::thread& reader : readers) {
    reader.join();
  }
  // The last write evicted whatever a racing read fetched before it.
  EXPECT_EQ(limiter().resolve_limits("key", "gpt").source, LimitSource::kEntity);
}

TEST_F(ResolutionTest, InvalidateClearsEverySlot) {
  configure_every_level();
  limiter().resolve_limits("key", "gpt");
  EXPECT_GT(limiter().config_cache_stats().size, 0U);
  limiter().invalidate_config_cache();
  EXPECT_EQ(limiter().config_cache_stats().size, 0U);
  store().reset_counts();
  limiter().resolve_limits("key", "gpt");
  EXPECT_EQ(store().calls("read_config_levels"), 1U);
}

TEST_F(ResolutionTest, ZeroTtlReadsOnEveryResolution) {
  make_limiter(with_ttl(std::chrono::milliseconds(0)));
  configure_every_level();
  store().reset_counts();
  limiter().resolve_limits("key", "gpt");
  limiter().resolve_limits("key", "gpt");
  EXPECT_EQ(store().calls("read_config_levels"), 2U);
  const ConfigCacheStats stats = limiter().config_cache_stats();
  EXPECT_EQ(stats.size, 0U);
  EXPECT_EQ(stats.hits, 0U);
  EXPECT_EQ(stats.misses, 8U);
  EXPECT_EQ(stats.ttl, std::chrono::milliseconds(0));
}

TEST_F(ResolutionTest, NegativeTtlIsRejected) {
  EXPECT_THAT([&] { make_limiter(with_ttl(std::chrono::milliseconds(-1))); },
              Throws<ValidationError>(Property(&ValidationError::field, "config_cache_ttl")));
}

TEST_F(ResolutionTest, WarmAcquireIsOneRoundTrip) {
  limiter().set_system_defaults(SystemDefaults{.limits = system_limits, .on_unavailable = {}});
  limiter().acquire(request("key", "gpt", {{"rpm", 1}})).commit();
  store().reset_counts();
  limiter().acquire(request("key", "gpt", {{"rpm", 1}})).commit();
  EXPECT_EQ(store().total_calls(), 1U);
  EXPECT_EQ(store().calls("consume"), 1U);
}

}  // namespace
}  // namespace zae::test
