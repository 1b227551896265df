// SPDX-License-Identifier: MIT
// Entities, stored limits, registries and audit events against DynamoDB Local
// (ZAE_TEST_DYNAMODB_ENDPOINT; skipped when unset): compatibility evidence for
// spec/data-model.md §6.4-§6.9 and §6.11. Each test acts through EntityConfigOps and compares the
// raw items attribute by attribute with literal maps written from the spec, or writes literal
// items the way the spec says the Python original does and reads them back. One table for the
// whole file; every test uses its own namespace id in it.
#include "dynamodb/entity_config_ops.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zae/errors.h"

#include "aws/curl_transport.h"
#include "core/ulid.h"
#include "dynamodb/keys.h"
#include "dynamodb/provisioning.h"

namespace zae::dynamodb {
namespace {

using aws::AttributeMap;
using aws::AttributeValue;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Property;
using ::testing::Throws;

AttributeValue S(std::string text) { return AttributeValue::of_string(std::move(text)); }
AttributeValue N(std::int64_t value) { return AttributeValue::of_int64(value); }
AttributeValue B(bool value) { return AttributeValue::of_bool(value); }
AttributeValue M(AttributeMap map) { return AttributeValue::of_map(std::move(map)); }
AttributeValue L(aws::AttributeList list) { return AttributeValue::of_list(std::move(list)); }
AttributeValue Null() { return AttributeValue::null(); }

// 2026-02-21T19:43:32.345Z.
constexpr std::int64_t kNowMs = 1771703012345;
constexpr std::string_view kNowText = "2026-02-21T19:43:32Z";
constexpr std::int64_t kNowS = 1771703012;

std::array<std::uint8_t, 10> randomness(std::uint8_t n) {
  std::array<std::uint8_t, 10> bytes{};
  bytes[9] = n;
  return bytes;
}

class EntityConfigOpsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* endpoint = std::getenv("ZAE_TEST_DYNAMODB_ENDPOINT");
    if (endpoint == nullptr || *endpoint == '\0') {
      return;
    }
    client_ = new aws::DynamoDbClient(aws::DynamoDbClientConfig{
        .endpoint = endpoint,
        .region = "us-east-1",
        .credentials = aws::static_credentials({"local", "local", ""}),
        .transport = std::make_shared<aws::CurlTransport>(),
    });
    table_ = new std::string("zae-it-ops-" + std::to_string(std::random_device{}() % 1000000));
    // DynamoDB Local 2.6 does not implement UpdateContinuousBackups.
    (void)provision_table(*client_, *table_,
                          ProvisionOptions{.table = {.point_in_time_recovery = false},
                                           .updated_by = "cpp:test",
                                           .now_seconds = [] { return kNowS; }});
  }

  static void TearDownTestSuite() {
    if (client_ != nullptr) {
      try {
        (void)delete_table(*client_, *table_);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "cleanup of " << *table_ << ": " << e.what();
      }
    }
    delete client_;
    delete table_;
    client_ = nullptr;
    table_ = nullptr;
  }

  void SetUp() override {
    if (client_ == nullptr) {
      GTEST_SKIP() << "ZAE_TEST_DYNAMODB_ENDPOINT is not set (run under scripts/dynamodb-local.sh "
                      "run -- ...)";
    }
  }

  // Audit ids are make_ulid(now, 0...0 n) with n counting from 1.
  EntityConfigOps ops(const std::string& ns) {
    return EntityConfigOps(*client_, *table_, ns,
                           {.ulid_randomness = [this] { return randomness(++ulid_counter_); }});
  }

  AttributeMap raw(const ItemKey& key) {
    auto item = client_
                    ->get_item({.table_name = *table_,
                                .key = key.to_attributes(),
                                .consistency = aws::ReadConsistency::kStrong})
                    .item;
    return item ? *item : AttributeMap{};
  }

  bool exists(const ItemKey& key) { return !raw(key).empty(); }

  void put_raw(AttributeMap item) {
    (void)client_->put_item({.table_name = *table_, .item = std::move(item)});
  }

  static inline aws::DynamoDbClient* client_ = nullptr;
  static inline std::string* table_ = nullptr;
  std::atomic<std::uint8_t> ulid_counter_{0};
};

const TimePoint kNow = from_epoch_ms(kNowMs);

TEST_F(EntityConfigOpsTest, CreateEntityWritesMetaAndAuditAsTheSpecSays) {
  const std::string ns = "nsCreate001";
  EntityConfigOps o = ops(ns);
  const Entity child = o.create_entity({.entity_id = "key-1",
                                        .parent_id = "proj-1",
                                        .cascade = true,
                                        .metadata = {{"tier", "gold"}},
                                        .principal = "alice"},
                                       kNow);
  EXPECT_EQ(child.name, "key-1");
  EXPECT_EQ(child.created_at, kNowText);

  // spec/data-model.md §6.7, with a parent: GSI1 keys present.
  EXPECT_EQ(raw(entity_meta_key(ns, "key-1")),
            (AttributeMap{{"PK", S("nsCreate001/ENTITY#key-1")},
                          {"SK", S("#META")},
                          {"entity_id", S("key-1")},
                          {"name", S("key-1")},
                          {"parent_id", S("proj-1")},
                          {"cascade", B(true)},
                          {"metadata", M({{"tier", S("gold")}})},
                          {"created_at", S(std::string(kNowText))},
                          {"GSI1PK", S("nsCreate001/PARENT#proj-1")},
                          {"GSI1SK", S("CHILD#key-1")},
                          {"GSI4PK", S("nsCreate001")},
                          {"GSI4SK", S("nsCreate001/ENTITY#key-1")}}));

  // spec/data-model.md §6.11: entity_created, default retention 90 days.
  const std::string event_id = core::make_ulid(kNowMs, randomness(1));
  EXPECT_EQ(raw(audit_key(ns, "key-1", event_id)),
            (AttributeMap{{"PK", S("nsCreate001/AUDIT#key-1")},
                          {"SK", S("#AUDIT#" + event_id)},
                          {"entity_id", S("key-1")},
                          {"event_id", S(event_id)},
                          {"timestamp", S(std::string(kNowText))},
                          {"action", S("entity_created")},
                          {"principal", S("alice")},
                          {"resource", Null()},
                          {"details", M({{"name", S("key-1")},
                                         {"parent_id", S("proj-1")},
                                         {"cascade", B(true)},
                                         {"metadata", M({{"tier", S("gold")}})}})},
                          {"ttl", N(kNowS + 90 * 86400)},
                          {"GSI4PK", S("nsCreate001")},
                          {"GSI4SK", S("nsCreate001/AUDIT#key-1")}}));

  // A root: parent_id NULL, no GSI1 keys; the audit principal NULL.
  (void)o.create_entity({.entity_id = "proj-1", .name = "Project"}, kNow);
  const AttributeMap root = raw(entity_meta_key(ns, "proj-1"));
  EXPECT_EQ(root.at("parent_id"), Null());
  EXPECT_EQ(root.at("metadata"), M({}));
  EXPECT_EQ(root.at("name"), S("Project"));
  EXPECT_FALSE(root.contains("GSI1PK"));
  EXPECT_FALSE(root.contains("GSI1SK"));

  EXPECT_THAT([&] { (void)o.create_entity({.entity_id = "key-1"}, kNow); },
              Throws<EntityExistsError>());
  // Validation before any I/O, principal included (OQ-27).
  EXPECT_THAT([&] { (void)o.create_entity({.entity_id = "a#b"}, kNow); },
              Throws<InvalidIdentifierError>());
  EXPECT_THAT([&] { (void)o.create_entity({.entity_id = "new", .principal = "bad#p"}, kNow); },
              Throws<InvalidIdentifierError>(Property(&ValidationError::field, "principal")));
  EXPECT_FALSE(exists(entity_meta_key(ns, "new")));

  EXPECT_EQ(o.get_entity("key-1"), child);
  EXPECT_EQ(o.get_entity("nobody"), std::nullopt);
}

TEST_F(EntityConfigOpsTest, ReadsEntitiesAndChildrenWrittenAsThePythonOriginalDoes) {
  const std::string ns = "nsPyEntity1";
  for (const char* id : {"c-2", "c-1"}) {
    put_raw({{"PK", S(ns + "/ENTITY#" + id)},
             {"SK", S("#META")},
             {"entity_id", S(id)},
             {"name", S(std::string("Child ") + id)},
             {"parent_id", S("p")},
             {"cascade", B(false)},
             {"metadata", M({{"k", S("v")}})},
             {"created_at", S("2025-01-02T03:04:05Z")},
             {"GSI1PK", S(ns + "/PARENT#p")},
             {"GSI1SK", S(std::string("CHILD#") + id)},
             {"GSI4PK", S(ns)},
             {"GSI4SK", S(ns + "/ENTITY#" + id)}});
  }
  EntityConfigOps o = ops(ns);
  const std::vector<Entity> children = o.get_children("p");
  ASSERT_EQ(children.size(), 2U);
  EXPECT_EQ(children[0], (Entity{.id = "c-1",
                                 .name = "Child c-1",
                                 .parent_id = "p",
                                 .cascade = false,
                                 .metadata = {{"k", "v"}},
                                 .created_at = "2025-01-02T03:04:05Z"}));
  EXPECT_EQ(children[1].id, "c-2");
  EXPECT_THAT(o.get_children("other"), IsEmpty());
}

TEST_F(EntityConfigOpsTest, EntityLimitsFollowTheTransactionProtocol) {
  const std::string ns = "nsLimits001";
  EntityConfigOps o = ops(ns);
  o.set_limits("e1", "gpt-4", {Limit::per_minute("rpm", 100)}, "arn:aws:iam::1:user/x", kNow);
  // Second set: the transaction's condition fails, plain overwrite, registry stays at 1.
  const std::vector<Limit> limits{Limit::custom("rpm", 50, 10, 60), Limit::per_minute("tpm", 9)};
  o.set_limits("e1", "gpt-4", limits, std::nullopt, kNow);

  // spec/data-model.md §6.6.
  EXPECT_EQ(raw(entity_config_key(ns, "e1", "gpt-4")),
            (AttributeMap{{"PK", S("nsLimits001/ENTITY#e1")},
                          {"SK", S("#CONFIG#gpt-4")},
                          {"entity_id", S("e1")},
                          {"resource", S("gpt-4")},
                          {"config_version", N(1)},
                          {"l_rpm_cp", N(50)},
                          {"l_rpm_ra", N(10)},
                          {"l_rpm_rp", N(60)},
                          {"l_tpm_cp", N(9)},
                          {"l_tpm_ra", N(9)},
                          {"l_tpm_rp", N(60)},
                          {"GSI3PK", S("nsLimits001/ENTITY_CONFIG#gpt-4")},
                          {"GSI3SK", S("e1")},
                          {"GSI4PK", S("nsLimits001")},
                          {"GSI4SK", S("nsLimits001/ENTITY#e1")}}));
  // spec/data-model.md §6.8.
  EXPECT_EQ(raw(entity_config_registry_key(ns)),
            (AttributeMap{{"PK", S("nsLimits001/SYSTEM#")},
                          {"SK", S("#ENTITY_CONFIG_RESOURCES")},
                          {"gpt-4", N(1)},
                          {"GSI4PK", S("nsLimits001")},
                          {"GSI4SK", S("nsLimits001/SYSTEM#")}}));
  // limits_set audit details (spec/data-model.md §6.11): the second event.
  const std::string second = core::make_ulid(kNowMs, randomness(2));
  const AttributeMap audit = raw(audit_key(ns, "e1", second));
  EXPECT_EQ(audit.at("action"), S("limits_set"));
  EXPECT_EQ(audit.at("resource"), S("gpt-4"));
  EXPECT_EQ(audit.at("principal"), Null());
  EXPECT_EQ(audit.at("details"), M({{"limits", L({M({{"name", S("rpm")},
                                                     {"capacity", N(50)},
                                                     {"refill_amount", N(10)},
                                                     {"refill_period_seconds", N(60)}}),
                                                  M({{"name", S("tpm")},
                                                     {"capacity", N(9)},
                                                     {"refill_amount", N(9)},
                                                     {"refill_period_seconds", N(60)}})})}}));

  EXPECT_EQ(o.get_limits("e1", "gpt-4"), limits);
  EXPECT_THAT(o.list_resources_with_entity_configs(), ElementsAre("gpt-4"));
  EXPECT_THAT(o.list_entities_with_custom_limits("gpt-4"), ElementsAre("e1"));

  // Delete: conditional delete + ADD -1, then the conditional REMOVE of the emptied counter.
  EXPECT_TRUE(o.delete_limits("e1", "gpt-4", std::nullopt, kNow));
  EXPECT_FALSE(exists(entity_config_key(ns, "e1", "gpt-4")));
  EXPECT_EQ(raw(entity_config_registry_key(ns)),
            (AttributeMap{{"PK", S("nsLimits001/SYSTEM#")},
                          {"SK", S("#ENTITY_CONFIG_RESOURCES")},
                          {"GSI4PK", S("nsLimits001")},
                          {"GSI4SK", S("nsLimits001/SYSTEM#")}}));
  const AttributeMap deleted = raw(audit_key(ns, "e1", core::make_ulid(kNowMs, randomness(3))));
  EXPECT_EQ(deleted.at("action"), S("limits_deleted"));
  EXPECT_EQ(deleted.at("details"), M({}));
  // Nothing stored: false, no audit event.
  EXPECT_FALSE(o.delete_limits("e1", "gpt-4", std::nullopt, kNow));
  EXPECT_EQ(o.get_audit_events("e1", 10, std::nullopt).size(), 3U);
  EXPECT_THAT(o.get_limits("e1", "gpt-4"), IsEmpty());
  EXPECT_THAT([&] { o.set_limits("e1", "bad#r", limits, std::nullopt, kNow); },
              Throws<InvalidNameError>());
}

TEST_F(EntityConfigOpsTest, ReadsConfigsAndRegistriesWrittenAsThePythonOriginalDoes) {
  const std::string ns = "nsPyConfig1";
  put_raw({{"PK", S(ns + "/ENTITY#e")},
           {"SK", S("#CONFIG#_default_")},
           {"entity_id", S("e")},
           {"resource", S("_default_")},
           {"config_version", N(1)},
           {"l_rpm_cp", N(100)},
           {"l_rpm_ra", N(100)},
           {"l_rpm_rp", N(60)},
           {"GSI3PK", S(ns + "/ENTITY_CONFIG#_default_")},
           {"GSI3SK", S("e")},
           {"GSI4PK", S(ns)},
           {"GSI4SK", S(ns + "/ENTITY#e")}});
  // A count left at 0 by a racing delete is not listed (spec/data-model.md §6.8).
  put_raw({{"PK", S(ns + "/SYSTEM#")},
           {"SK", S("#ENTITY_CONFIG_RESOURCES")},
           {"_default_", N(1)},
           {"gpt-4", N(0)},
           {"GSI4PK", S(ns)},
           {"GSI4SK", S(ns + "/SYSTEM#")}});
  // Provisioner-written resource config: no config_version, GSI4PK only.
  put_raw({{"PK", S(ns + "/RESOURCE#gpt-4")},
           {"SK", S("#CONFIG")},
           {"resource", S("gpt-4")},
           {"l_tpm_cp", N(1000)},
           {"l_tpm_ra", N(500)},
           {"l_tpm_rp", N(60)},
           {"GSI4PK", S(ns)}});
  put_raw({{"PK", S(ns + "/SYSTEM#")},
           {"SK", S("#RESOURCES")},
           {"resources", AttributeValue::of_string_set({"gpt-4", "claude"})},
           {"GSI4PK", S(ns)},
           {"GSI4SK", S(ns + "/SYSTEM#")}});
  put_raw({{"PK", S(ns + "/SYSTEM#")},
           {"SK", S("#CONFIG")},
           {"config_version", N(1)},
           {"on_unavailable", S("allow")},
           {"l_rps_cp", N(5)},
           {"l_rps_ra", N(5)},
           {"l_rps_rp", N(1)},
           {"GSI4PK", S(ns)},
           {"GSI4SK", S(ns + "/SYSTEM#")}});

  EntityConfigOps o = ops(ns);
  EXPECT_EQ(o.get_limits("e", "_default_"), (std::vector<Limit>{Limit::per_minute("rpm", 100)}));
  EXPECT_THAT(o.list_resources_with_entity_configs(), ElementsAre("_default_"));
  EXPECT_THAT(o.list_entities_with_custom_limits("_default_"), ElementsAre("e"));
  EXPECT_EQ(o.get_resource_defaults("gpt-4"),
            (std::vector<Limit>{Limit::custom("tpm", 1000, 500, 60)}));
  EXPECT_THAT(o.list_resources_with_defaults(), ElementsAre("claude", "gpt-4"));
  EXPECT_EQ(o.get_system_defaults(), (SystemDefaults{.limits = {Limit::per_second("rps", 5)},
                                                     .on_unavailable = OnUnavailable::kAllow}));
  EXPECT_THAT(o.get_resource_defaults("none"), IsEmpty());
}

TEST_F(EntityConfigOpsTest, ResourceDefaultsAndTheirRegistry) {
  const std::string ns = "nsResource1";
  EntityConfigOps o = ops(ns);
  o.set_resource_defaults("openai/gpt-4", {Limit::per_minute("rpm", 60)}, std::nullopt, kNow);
  // spec/data-model.md §6.5, §6.9.
  EXPECT_EQ(raw(resource_config_key(ns, "openai/gpt-4")),
            (AttributeMap{{"PK", S("nsResource1/RESOURCE#openai/gpt-4")},
                          {"SK", S("#CONFIG")},
                          {"resource", S("openai/gpt-4")},
                          {"config_version", N(1)},
                          {"l_rpm_cp", N(60)},
                          {"l_rpm_ra", N(60)},
                          {"l_rpm_rp", N(60)},
                          {"GSI4PK", S("nsResource1")},
                          {"GSI4SK", S("nsResource1/RESOURCE#openai/gpt-4")}}));
  EXPECT_EQ(raw(resource_registry_key(ns)),
            (AttributeMap{{"PK", S("nsResource1/SYSTEM#")},
                          {"SK", S("#RESOURCES")},
                          {"resources", AttributeValue::of_string_set({"openai/gpt-4"})},
                          {"GSI4PK", S("nsResource1")},
                          {"GSI4SK", S("nsResource1/SYSTEM#")}}));
  const auto events = o.get_audit_events("$RESOURCE:openai/gpt-4", 10, std::nullopt);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].action, "limits_set");
  EXPECT_EQ(events[0].resource, "openai/gpt-4");

  o.delete_resource_defaults("openai/gpt-4", std::nullopt, kNow);
  EXPECT_FALSE(exists(resource_config_key(ns, "openai/gpt-4")));
  // The emptied set is dropped by DynamoDB.
  EXPECT_EQ(raw(resource_registry_key(ns)), (AttributeMap{{"PK", S("nsResource1/SYSTEM#")},
                                                          {"SK", S("#RESOURCES")},
                                                          {"GSI4PK", S("nsResource1")},
                                                          {"GSI4SK", S("nsResource1/SYSTEM#")}}));
  EXPECT_THAT(o.list_resources_with_defaults(), IsEmpty());
  EXPECT_THAT([&] { o.set_resource_defaults("_default_", {}, std::nullopt, kNow); },
              Throws<InvalidNameError>());
}

TEST_F(EntityConfigOpsTest, SystemDefaultsKeepAuditRetentionDays) {
  const std::string ns = "nsSystem001";
  // As the Python original leaves it: PutItem of the config, then SET audit_retention_days.
  put_raw({{"PK", S("nsSystem001/SYSTEM#")},
           {"SK", S("#CONFIG")},
           {"config_version", N(1)},
           {"on_unavailable", S("block")},
           {"l_rpm_cp", N(10)},
           {"l_rpm_ra", N(10)},
           {"l_rpm_rp", N(60)},
           {"audit_retention_days", N(30)},
           {"GSI4PK", S("nsSystem001")},
           {"GSI4SK", S("nsSystem001/SYSTEM#")}});
  EntityConfigOps o = ops(ns);
  o.set_system_defaults({.limits = {Limit::per_minute("tpm", 500)}}, std::nullopt, kNow);
  // The original's PutItem result plus audit_retention_days (OQ-15): rpm and on_unavailable
  // gone.
  EXPECT_EQ(raw(system_config_key(ns)), (AttributeMap{{"PK", S("nsSystem001/SYSTEM#")},
                                                      {"SK", S("#CONFIG")},
                                                      {"config_version", N(1)},
                                                      {"l_tpm_cp", N(500)},
                                                      {"l_tpm_ra", N(500)},
                                                      {"l_tpm_rp", N(60)},
                                                      {"audit_retention_days", N(30)},
                                                      {"GSI4PK", S("nsSystem001")},
                                                      {"GSI4SK", S("nsSystem001/SYSTEM#")}}));
  // The audit ttl uses the stored retention (AU-4); details carry on_unavailable null.
  const std::string id = core::make_ulid(kNowMs, randomness(1));
  const AttributeMap audit = raw(audit_key(ns, "$SYSTEM", id));
  EXPECT_EQ(audit.at("ttl"), N(kNowS + 30 * 86400));
  EXPECT_EQ(audit.at("entity_id"), S("$SYSTEM"));
  EXPECT_EQ(audit.at("resource"), Null());
  EXPECT_EQ(audit.at("details"), M({{"limits", L({M({{"name", S("tpm")},
                                                     {"capacity", N(500)},
                                                     {"refill_amount", N(500)},
                                                     {"refill_period_seconds", N(60)}})})},
                                    {"on_unavailable", Null()}}));
  EXPECT_EQ(o.get_system_defaults(), (SystemDefaults{.limits = {Limit::per_minute("tpm", 500)}}));

  o.delete_system_defaults(std::nullopt, kNow);
  EXPECT_EQ(raw(system_config_key(ns)), (AttributeMap{{"PK", S("nsSystem001/SYSTEM#")},
                                                      {"SK", S("#CONFIG")},
                                                      {"audit_retention_days", N(30)},
                                                      {"GSI4PK", S("nsSystem001")},
                                                      {"GSI4SK", S("nsSystem001/SYSTEM#")}}));
  const AttributeMap deleted =
      raw(audit_key(ns, "$SYSTEM", core::make_ulid(kNowMs, randomness(2))));
  EXPECT_EQ(deleted.at("action"), S("limits_deleted"));
  EXPECT_EQ(deleted.at("details"), M({{"limits", L({S("tpm")})}, {"on_unavailable", Null()}}));
  EXPECT_EQ(o.get_system_defaults(), SystemDefaults{});
}

TEST_F(EntityConfigOpsTest, AuditEventsNewestFirstWithExclusiveStartFromPythonItems) {
  const std::string ns = "nsAudit0001";
  const std::vector<std::string> ids = {core::make_ulid(kNowMs, randomness(7)),
                                        core::make_ulid(kNowMs + 1000, randomness(7)),
                                        core::make_ulid(kNowMs + 2000, randomness(7))};
  for (const std::string& id : ids) {
    put_raw({{"PK", S("nsAudit0001/AUDIT#e")},
             {"SK", S("#AUDIT#" + id)},
             {"entity_id", S("e")},
             {"event_id", S(id)},
             {"timestamp", S("2026-02-21T19:43:32Z")},
             {"action", S("limits_deleted")},
             {"principal", S("arn:aws:sts::1:assumed-role/r/s")},
             {"resource", S("gpt-4")},
             {"details", M({})},
             {"ttl", N(kNowS + 90 * 86400)},
             {"GSI4PK", S("nsAudit0001")},
             {"GSI4SK", S("nsAudit0001/AUDIT#e")}});
  }
  EntityConfigOps o = ops(ns);
  const auto first = o.get_audit_events("e", 2, std::nullopt);
  ASSERT_EQ(first.size(), 2U);
  EXPECT_EQ(first[0].event_id, ids[2]);
  EXPECT_EQ(first[0].timestamp, "2026-02-21T19:43:32Z");
  EXPECT_EQ(first[0].action, "limits_deleted");
  EXPECT_EQ(first[0].entity_id, "e");
  EXPECT_EQ(first[0].principal, "arn:aws:sts::1:assumed-role/r/s");
  EXPECT_EQ(first[0].resource, "gpt-4");
  EXPECT_EQ(first[0].details_json, "{}");
  EXPECT_EQ(first[1].event_id, ids[1]);
  const auto rest = o.get_audit_events("e", 2, first[1].event_id);
  ASSERT_EQ(rest.size(), 1U);
  EXPECT_EQ(rest[0].event_id, ids[0]);
  EXPECT_THAT([&] { (void)o.get_audit_events("e#x", 2, std::nullopt); },
              Throws<InvalidIdentifierError>());
}

// Pure rules: these run without DynamoDB Local.
TEST(EntityConfigOpsRulesTest, LimitsDetailsHaveTheAuditShape) {
  // spec/data-model.md §6.11: tokens and seconds, on_unavailable only for the system level.
  EXPECT_EQ(limits_details_json({Limit::custom("rpm", 50, 10, 60)}),
            R"({"limits":[{"name":"rpm","capacity":50,"refill_amount":10,)"
            R"("refill_period_seconds":60}]})");
  EXPECT_EQ(limits_details_json({}, std::optional<OnUnavailable>{}),
            R"({"limits":[],"on_unavailable":null})");
  EXPECT_EQ(limits_details_json({}, std::optional<OnUnavailable>{OnUnavailable::kAllow}),
            R"({"limits":[],"on_unavailable":"allow"})");
}

TEST(EntityConfigOpsRulesTest, AuditEntitiesPrincipalsAndResourcesAreValidated) {
  EXPECT_NO_THROW(validate_audit_entity("$SYSTEM"));
  EXPECT_NO_THROW(validate_audit_entity("$RESOURCE:openai/gpt-4"));
  EXPECT_NO_THROW(validate_audit_entity("key-1"));
  EXPECT_THAT([] { validate_audit_entity("$RESOURCE:a#b"); }, Throws<InvalidNameError>());
  EXPECT_THAT([] { validate_audit_entity("$OTHER"); }, Throws<InvalidIdentifierError>());
  EXPECT_NO_THROW(validate_principal("arn:aws:iam::123:user/a b"));
  EXPECT_NO_THROW(validate_principal(std::nullopt));
  EXPECT_THAT([] { validate_principal("a b"); },
              Throws<InvalidIdentifierError>(Property(&ValidationError::field, "principal")));
  EXPECT_NO_THROW(validate_entity_resource("_default_"));
  EXPECT_THAT([] { validate_entity_resource("_other_"); }, Throws<InvalidNameError>());
}

}  // namespace
}  // namespace zae::dynamodb
