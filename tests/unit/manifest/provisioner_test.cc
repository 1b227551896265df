// SPDX-License-Identifier: MIT
#include "manifest/provisioner.h"

#include <chrono>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zae/limit.h"
#include "zae/validation.h"

#include "manifest/manifest.h"
#include "sqlite/sqlite_store.h"

namespace zae::manifest {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

const TimePoint kNow{std::chrono::sys_days{std::chrono::year{2026} / 2 / 19} + 12h};

std::unique_ptr<sqlite::SqliteStore> memory_store(const std::string& ns = "default") {
  return sqlite::SqliteStore::open({.path = ":memory:", .namespace_name = ns});
}

Change create(ChangeLevel level, std::optional<std::string> target = std::nullopt) {
  return {ChangeAction::kCreate, level, std::move(target)};
}
Change update(ChangeLevel level, std::optional<std::string> target = std::nullopt) {
  return {ChangeAction::kUpdate, level, std::move(target)};
}
Change remove(ChangeLevel level, std::optional<std::string> target = std::nullopt) {
  return {ChangeAction::kDelete, level, std::move(target)};
}

constexpr const char* kManifest = R"(namespace: default
system: {on_unavailable: block, limits: {rpm: {capacity: 1000}}}
resources:
  gpt-4: {limits: {rpm: {capacity: 500}}}
  claude: {limits: {tpm: {capacity: 9000}}}
entities:
  user-1:
    resources:
      gpt-4: {limits: {rpm: {capacity: 50}}}
      _default_: {limits: {rpm: {capacity: 20}}}
)";

TEST(ProvisionerTest, FirstPlanCreatesEverythingInSpecOrder) {
  auto store = memory_store();
  const Manifest m = parse_manifest(kManifest, "m.yaml");
  EXPECT_THAT(plan_changes(m, previous_state(*store), *store),
              ElementsAre(create(ChangeLevel::kSystem), create(ChangeLevel::kResource, "claude"),
                          create(ChangeLevel::kResource, "gpt-4"),
                          create(ChangeLevel::kEntity, "user-1/_default_"),
                          create(ChangeLevel::kEntity, "user-1/gpt-4")));
}

TEST(ProvisionerTest, ApplyWritesConfigsAndTheStateRecord) {
  auto store = memory_store();
  const Manifest m = parse_manifest(kManifest, "m.yaml");
  const ApplyResult r = apply_manifest(m, *store, kNow);
  EXPECT_EQ(r.created, 5);
  EXPECT_THAT(r.errors, IsEmpty());
  EXPECT_TRUE(r.state_written);
  EXPECT_EQ(store->get_system_defaults(),
            (SystemDefaults{{Limit("rpm", 1000, 1000, 60)}, OnUnavailable::kBlock}));
  EXPECT_THAT(store->get_resource_defaults("claude"), ElementsAre(Limit("tpm", 9000, 9000, 60)));
  EXPECT_THAT(store->get_limits("user-1", std::string(kDefaultResource)),
              ElementsAre(Limit("rpm", 20, 20, 60)));
  const auto state = store->get_provisioner_state();
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->managed_system);
  EXPECT_THAT(state->managed_resources, ElementsAre("claude", "gpt-4"));
  EXPECT_THAT(state->managed_entities.at("user-1"), ElementsAre("_default_", "gpt-4"));
  EXPECT_EQ(state->last_applied, "2026-02-19T12:00:00+00:00");
  EXPECT_EQ(state->applied_hash, applied_hash(m));
}

TEST(ProvisionerTest, ReapplyingIsANoOp) {
  auto store = memory_store();
  const Manifest m = parse_manifest(kManifest, "m.yaml");
  (void)apply_manifest(m, *store, kNow);
  const ApplyResult again = apply_manifest(m, *store, kNow + 1h);
  EXPECT_THAT(again.changes, IsEmpty());
  EXPECT_FALSE(again.state_written);
  EXPECT_EQ(store->get_provisioner_state()->last_applied, "2026-02-19T12:00:00+00:00");
}

TEST(ProvisionerTest, OutOfBandChangeIsAnUpdate) {
  auto store = memory_store();
  const Manifest m = parse_manifest(kManifest, "m.yaml");
  (void)apply_manifest(m, *store, kNow);
  store->set_resource_defaults("gpt-4", {Limit("rpm", 7, 7, 60)}, std::nullopt, kNow);
  store->set_limits("user-1", "gpt-4", {Limit("rpm", 1, 1, 60)}, std::nullopt, kNow);
  EXPECT_THAT(plan_changes(m, previous_state(*store), *store),
              ElementsAre(update(ChangeLevel::kResource, "gpt-4"),
                          update(ChangeLevel::kEntity, "user-1/gpt-4")));
  const ApplyResult r = apply_manifest(m, *store, kNow);
  EXPECT_EQ(r.updated, 2);
  EXPECT_THAT(store->get_resource_defaults("gpt-4"), ElementsAre(Limit("rpm", 500, 500, 60)));
}

TEST(ProvisionerTest, RemovedEntriesAreDeletedAndUnmanagedOnesKept) {
  auto store = memory_store();
  store->set_resource_defaults("unmanaged", {Limit("rpm", 3, 3, 60)}, std::nullopt, kNow);
  (void)apply_manifest(parse_manifest(kManifest, "m.yaml"), *store, kNow);
  const Manifest smaller = parse_manifest(
      "namespace: default\nresources:\n  gpt-4: {limits: {rpm: {capacity: 500}}}\n", "m.yaml");
  const ApplyResult r = apply_manifest(smaller, *store, kNow);
  EXPECT_THAT(r.changes, ElementsAre(remove(ChangeLevel::kSystem),
                                     remove(ChangeLevel::kResource, "claude"),
                                     remove(ChangeLevel::kEntity, "user-1/_default_"),
                                     remove(ChangeLevel::kEntity, "user-1/gpt-4")));
  EXPECT_EQ(r.deleted, 4);
  EXPECT_EQ(store->get_system_defaults(), SystemDefaults{});
  EXPECT_THAT(store->get_resource_defaults("claude"), IsEmpty());
  EXPECT_THAT(store->get_limits("user-1", "gpt-4"), IsEmpty());
  EXPECT_THAT(store->get_resource_defaults("unmanaged"), ElementsAre(Limit("rpm", 3, 3, 60)));
  const auto state = store->get_provisioner_state();
  EXPECT_FALSE(state->managed_system);
  EXPECT_THAT(state->managed_resources, ElementsAre("gpt-4"));
  EXPECT_THAT(state->managed_entities, IsEmpty());
}

TEST(ProvisionerTest, EmptyManifestOnEmptyStoreChangesNothing) {
  auto store = memory_store();
  const ApplyResult r = apply_manifest(parse_manifest("namespace: default\n", "m.yaml"), *store,
                                       kNow);
  EXPECT_THAT(r.changes, IsEmpty());
  // No record existed: the first apply records that the manifest manages nothing.
  EXPECT_TRUE(r.state_written);
}

TEST(ProvisionerTest, RefusesAStoreOfAnotherNamespace) {
  auto store = memory_store("other");
  EXPECT_THROW((void)apply_manifest(parse_manifest(kManifest, "m.yaml"), *store, kNow),
               std::invalid_argument);
}

}  // namespace
}  // namespace zae::manifest
