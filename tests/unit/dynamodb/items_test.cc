// SPDX-License-Identifier: MIT
// Item codecs of spec/data-model.md §6. Expected items are written out literally from the spec,
// never produced by the codec under test.
#include "dynamodb/items.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace zae::dynamodb {
namespace {

using aws::AttributeMap;
using aws::AttributeValue;
using ::testing::HasSubstr;

AttributeValue S(std::string v) { return AttributeValue::of_string(std::move(v)); }
AttributeValue N(std::string_view v) { return AttributeValue::of_number(aws::Number::parse(v)); }
AttributeValue B(bool v) { return AttributeValue::of_bool(v); }
AttributeValue Null() { return AttributeValue::null(); }
AttributeValue M(AttributeMap m) { return AttributeValue::of_map(std::move(m)); }

constexpr std::string_view kNs = "aB3_x-9Zq0w";

TEST(NamespaceRecordCodecTest, ForwardRecordMatchesSpec) {
  const NamespaceRecord record{.namespace_id = "aB3_x-9Zq0w",
                               .namespace_name = "default",
                               .status = "active",
                               .created_at = "2026-02-21T19:43:32Z"};
  const AttributeMap expected{{"PK", S("_/SYSTEM#")},
                              {"SK", S("#NAMESPACE#default")},
                              {"namespace_id", S("aB3_x-9Zq0w")},
                              {"namespace_name", S("default")},
                              {"status", S("active")},
                              {"created_at", S("2026-02-21T19:43:32Z")},
                              {"GSI4PK", S("_")},
                              {"GSI4SK", S("_/SYSTEM#")}};
  EXPECT_EQ(encode_namespace_forward(record), expected);
  EXPECT_EQ(decode_namespace_record(expected), record);
}

TEST(NamespaceRecordCodecTest, ReverseRecordCarriesDeletedAt) {
  const NamespaceRecord record{.namespace_id = "aB3_x-9Zq0w",
                               .namespace_name = "tenant-a",
                               .status = "deleted",
                               .created_at = "2026-02-21T19:43:32Z",
                               .deleted_at = "2026-02-22T00:00:00Z"};
  const AttributeMap expected{{"PK", S("_/SYSTEM#")},
                              {"SK", S("#NSID#aB3_x-9Zq0w")},
                              {"namespace_id", S("aB3_x-9Zq0w")},
                              {"namespace_name", S("tenant-a")},
                              {"status", S("deleted")},
                              {"created_at", S("2026-02-21T19:43:32Z")},
                              {"deleted_at", S("2026-02-22T00:00:00Z")},
                              {"GSI4PK", S("_")},
                              {"GSI4SK", S("_/SYSTEM#")}};
  EXPECT_EQ(encode_namespace_reverse(record), expected);
  EXPECT_EQ(decode_namespace_record(expected), record);
}

TEST(VersionRecordCodecTest, MatchesSpecWithNullLambdaVersion) {
  const VersionRecord record{.schema_version = "0.10.0",
                             .client_min_version = "0.0.0",
                             .updated_at = "2026-02-21T19:43:32Z",
                             .lambda_version = std::nullopt,
                             .updated_by = "cpp:0.1.0"};
  const AttributeMap expected{{"PK", S("_/SYSTEM#")},
                              {"SK", S("#VERSION")},
                              {"schema_version", S("0.10.0")},
                              {"client_min_version", S("0.0.0")},
                              {"updated_at", S("2026-02-21T19:43:32Z")},
                              {"lambda_version", Null()},
                              {"updated_by", S("cpp:0.1.0")},
                              {"GSI4PK", S("_")},
                              {"GSI4SK", S("_/SYSTEM#")}};
  EXPECT_EQ(encode_version_record(record), expected);
  EXPECT_EQ(decode_version_record(expected), record);
  EXPECT_EQ(VersionRecord{}.schema_version, "0.10.0");
}

TEST(VersionRecordCodecTest, MissingFieldsTakeSpecDefaults) {
  const VersionRecord record =
      decode_version_record({{"PK", S("_/SYSTEM#")}, {"SK", S("#VERSION")}});
  EXPECT_EQ(record.schema_version, "1.0.0");
  EXPECT_EQ(record.client_min_version, "0.0.0");
  EXPECT_EQ(record.lambda_version, std::nullopt);
}

TEST(SystemConfigCodecTest, MatchesSpec) {
  const SystemConfigItem config{
      .defaults = {.limits = {Limit("rpm", 100, 100, 60), Limit("tokens_per_min", 10000, 5000, 60)},
                   .on_unavailable = OnUnavailable::kAllow}};
  const AttributeMap expected{{"PK", S("aB3_x-9Zq0w/SYSTEM#")},
                              {"SK", S("#CONFIG")},
                              {"config_version", N("1")},
                              {"on_unavailable", S("allow")},
                              {"l_rpm_cp", N("100")},
                              {"l_rpm_ra", N("100")},
                              {"l_rpm_rp", N("60")},
                              {"l_tokens_per_min_cp", N("10000")},
                              {"l_tokens_per_min_ra", N("5000")},
                              {"l_tokens_per_min_rp", N("60")},
                              {"GSI4PK", S("aB3_x-9Zq0w")},
                              {"GSI4SK", S("aB3_x-9Zq0w/SYSTEM#")}};
  EXPECT_EQ(encode_system_config(kNs, config), expected);
  EXPECT_EQ(decode_system_config(expected), config);
}

TEST(SystemConfigCodecTest, ReadsProvisionerShapeAndRetention) {
  // spec/data-model.md §6.13, Q13: no config_version, GSI4PK only; bx ignored (§6.14).
  const AttributeMap item{{"PK", S("aB3_x-9Zq0w/SYSTEM#")},
                          {"SK", S("#CONFIG")},
                          {"GSI4PK", S("aB3_x-9Zq0w")},
                          {"l_rpm_cp", N("10")},
                          {"l_rpm_bx", N("20")},
                          {"l_rpm_ra", N("10")},
                          {"l_rpm_rp", N("1")},
                          {"audit_retention_days", N("30")}};
  const SystemConfigItem config = decode_system_config(item);
  EXPECT_EQ(config.defaults.limits, (std::vector<Limit>{Limit("rpm", 10, 10, 1)}));
  EXPECT_EQ(config.defaults.on_unavailable, std::nullopt);
  EXPECT_EQ(config.audit_retention_days, 30);
}

TEST(SystemConfigCodecTest, EmptyConfigHasNoLimits) {
  const SystemConfigItem config = decode_system_config(
      {{"PK", S("ns/SYSTEM#")}, {"SK", S("#CONFIG")}, {"on_unavailable", S("block")}});
  EXPECT_TRUE(config.defaults.limits.empty());
  EXPECT_EQ(config.defaults.on_unavailable, OnUnavailable::kBlock);
}

TEST(ConfigCodecTest, MissingRefillFieldIsMalformedAndNamesTheItem) {
  const AttributeMap item{{"PK", S("ns/RESOURCE#gpt-4")},
                          {"SK", S("#CONFIG")},
                          {"resource", S("gpt-4")},
                          {"l_rpm_cp", N("10")},
                          {"l_rpm_ra", N("10")}};
  try {
    (void)decode_resource_config(item);
    FAIL() << "expected MalformedItemError";
  } catch (const MalformedItemError& e) {
    EXPECT_THAT(e.what(), HasSubstr("PK=ns/RESOURCE#gpt-4 SK=#CONFIG"));
    EXPECT_THAT(e.what(), HasSubstr("l_rpm_rp"));
  }
}

TEST(ConfigCodecTest, NonIntegerNumberIsMalformed) {
  const AttributeMap item{{"PK", S("ns/RESOURCE#r")}, {"SK", S("#CONFIG")}, {"resource", S("r")},
                          {"l_rpm_cp", N("1.0")},     {"l_rpm_ra", N("1")}, {"l_rpm_rp", N("1")}};
  EXPECT_THROW((void)decode_resource_config(item), MalformedItemError);
}

TEST(ConfigCodecTest, StoredReservedLimitNameFailsToLoad) {
  // spec/data-model.md §3: loading config items validates limit names.
  const AttributeMap item{{"PK", S("ns/RESOURCE#r")}, {"SK", S("#CONFIG")}, {"resource", S("r")},
                          {"l_wcu_cp", N("1")},       {"l_wcu_ra", N("1")}, {"l_wcu_rp", N("1")}};
  EXPECT_THROW((void)decode_resource_config(item), ValidationError);
}

TEST(ResourceConfigCodecTest, MatchesSpec) {
  const ResourceConfigItem config{.resource = "openai/gpt-4",
                                  .limits = {Limit("tpm", 100000, 100000, 60)}};
  const AttributeMap expected{{"PK", S("aB3_x-9Zq0w/RESOURCE#openai/gpt-4")},
                              {"SK", S("#CONFIG")},
                              {"resource", S("openai/gpt-4")},
                              {"config_version", N("1")},
                              {"l_tpm_cp", N("100000")},
                              {"l_tpm_ra", N("100000")},
                              {"l_tpm_rp", N("60")},
                              {"GSI4PK", S("aB3_x-9Zq0w")},
                              {"GSI4SK", S("aB3_x-9Zq0w/RESOURCE#openai/gpt-4")}};
  EXPECT_EQ(encode_resource_config(kNs, config), expected);
  EXPECT_EQ(decode_resource_config(expected), config);
}

TEST(EntityConfigCodecTest, MatchesSpec) {
  const EntityConfigItem config{
      .entity_id = "user-1", .resource = "_default_", .limits = {Limit("rpm", 5, 5, 1)}};
  const AttributeMap expected{{"PK", S("aB3_x-9Zq0w/ENTITY#user-1")},
                              {"SK", S("#CONFIG#_default_")},
                              {"entity_id", S("user-1")},
                              {"resource", S("_default_")},
                              {"config_version", N("1")},
                              {"l_rpm_cp", N("5")},
                              {"l_rpm_ra", N("5")},
                              {"l_rpm_rp", N("1")},
                              {"GSI3PK", S("aB3_x-9Zq0w/ENTITY_CONFIG#_default_")},
                              {"GSI3SK", S("user-1")},
                              {"GSI4PK", S("aB3_x-9Zq0w")},
                              {"GSI4SK", S("aB3_x-9Zq0w/ENTITY#user-1")}};
  EXPECT_EQ(encode_entity_config(kNs, config), expected);
  EXPECT_EQ(decode_entity_config(expected), config);
}

TEST(EntityMetaCodecTest, ChildMatchesSpec) {
  const Entity entity{.id = "key-1",
                      .name = "Key One",
                      .parent_id = "proj",
                      .cascade = true,
                      .metadata = {{"team", "ml"}},
                      .created_at = "2026-02-21T19:43:32Z"};
  const AttributeMap expected{{"PK", S("aB3_x-9Zq0w/ENTITY#key-1")},
                              {"SK", S("#META")},
                              {"entity_id", S("key-1")},
                              {"name", S("Key One")},
                              {"parent_id", S("proj")},
                              {"cascade", B(true)},
                              {"metadata", M({{"team", S("ml")}})},
                              {"created_at", S("2026-02-21T19:43:32Z")},
                              {"GSI1PK", S("aB3_x-9Zq0w/PARENT#proj")},
                              {"GSI1SK", S("CHILD#key-1")},
                              {"GSI4PK", S("aB3_x-9Zq0w")},
                              {"GSI4SK", S("aB3_x-9Zq0w/ENTITY#key-1")}};
  EXPECT_EQ(encode_entity_meta(kNs, entity), expected);
  EXPECT_EQ(decode_entity_meta(expected), entity);
}

TEST(EntityMetaCodecTest, RootHasNullParentAndNoGsi1) {
  const Entity entity{.id = "proj", .name = "proj", .created_at = "2026-02-21T19:43:32Z"};
  const AttributeMap expected{{"PK", S("aB3_x-9Zq0w/ENTITY#proj")},
                              {"SK", S("#META")},
                              {"entity_id", S("proj")},
                              {"name", S("proj")},
                              {"parent_id", Null()},
                              {"cascade", B(false)},
                              {"metadata", M({})},
                              {"created_at", S("2026-02-21T19:43:32Z")},
                              {"GSI4PK", S("aB3_x-9Zq0w")},
                              {"GSI4SK", S("aB3_x-9Zq0w/ENTITY#proj")}};
  EXPECT_EQ(encode_entity_meta(kNs, entity), expected);
  EXPECT_EQ(decode_entity_meta(expected), entity);
}

TEST(EntityMetaCodecTest, ToleratesAbsentOptionalFields) {
  const Entity entity =
      decode_entity_meta({{"PK", S("ns/ENTITY#e")}, {"SK", S("#META")}, {"entity_id", S("e")}});
  EXPECT_EQ(entity.name, "e");
  EXPECT_EQ(entity.parent_id, std::nullopt);
  EXPECT_FALSE(entity.cascade);
  EXPECT_TRUE(entity.metadata.empty());
}

TEST(RegistryCodecTest, EntityConfigRegistryCountsResources) {
  const AttributeMap item{{"PK", S("aB3_x-9Zq0w/SYSTEM#")},
                          {"SK", S("#ENTITY_CONFIG_RESOURCES")},
                          {"gpt-4", N("2")},
                          {"_default_", N("1")},
                          {"old", N("0")},
                          {"GSI4PK", S("aB3_x-9Zq0w")},
                          {"GSI4SK", S("aB3_x-9Zq0w/SYSTEM#")}};
  const EntityConfigRegistry registry = decode_entity_config_registry(item);
  EXPECT_EQ(registry.counts,
            (std::map<std::string, std::int64_t>{{"gpt-4", 2}, {"_default_", 1}, {"old", 0}}));
  EXPECT_EQ(registry.resources(), (std::vector<std::string>{"_default_", "gpt-4"}));
  EXPECT_EQ(encode_entity_config_registry(kNs, registry), item);
}

TEST(RegistryCodecTest, ResourceRegistryIsAStringSet) {
  const AttributeMap item{{"PK", S("aB3_x-9Zq0w/SYSTEM#")},
                          {"SK", S("#RESOURCES")},
                          {"resources", AttributeValue::of_string_set({"b", "a/x"})},
                          {"GSI4PK", S("aB3_x-9Zq0w")},
                          {"GSI4SK", S("aB3_x-9Zq0w/SYSTEM#")}};
  EXPECT_EQ(decode_resource_registry(item).resources, (std::vector<std::string>{"a/x", "b"}));
  const AttributeMap empty{{"PK", S("aB3_x-9Zq0w/SYSTEM#")},
                           {"SK", S("#RESOURCES")},
                           {"GSI4PK", S("aB3_x-9Zq0w")},
                           {"GSI4SK", S("aB3_x-9Zq0w/SYSTEM#")}};
  EXPECT_EQ(encode_resource_registry(kNs, {}), empty);
  EXPECT_TRUE(decode_resource_registry(empty).resources.empty());
  EXPECT_EQ(encode_resource_registry(kNs, {.resources = {"a/x", "b"}}).at("resources"),
            AttributeValue::of_string_set({"a/x", "b"}));
}

BucketItem child_bucket() {
  return BucketItem{.entity_id = "key-1",
                    .resource = "openai/gpt-4",
                    .shard = 0,
                    .refill_ms = 1771703012123,
                    .limits = {{.name = "rpm",
                                .tokens_milli = 99000,
                                .capacity_milli = 100000,
                                .refill_amount_milli = 100000,
                                .refill_period_ms = 60000,
                                .total_consumed_milli = 1000},
                               {.name = "tokens_per_min",
                                .tokens_milli = -500,
                                .capacity_milli = 10000000,
                                .refill_amount_milli = 10000000,
                                .refill_period_ms = 60000,
                                .total_consumed_milli = 10000500}},
                    .wcu = full_wcu_fields(),
                    .cascade = true,
                    .parent_id = "proj",
                    .shard_count = 1,
                    .ttl = 1771707212};
}

TEST(BucketCodecTest, CreatedBucketMatchesSpec) {
  // spec/data-model.md §6.10 and §7.1 row 1.
  const AttributeMap expected{{"PK", S("aB3_x-9Zq0w/BUCKET#key-1#openai/gpt-4#0")},
                              {"SK", S("#STATE")},
                              {"entity_id", S("key-1")},
                              {"resource", S("openai/gpt-4")},
                              {"rf", N("1771703012123")},
                              {"b_rpm_tk", N("99000")},
                              {"b_rpm_cp", N("100000")},
                              {"b_rpm_ra", N("100000")},
                              {"b_rpm_rp", N("60000")},
                              {"b_rpm_tc", N("1000")},
                              {"b_tokens_per_min_tk", N("-500")},
                              {"b_tokens_per_min_cp", N("10000000")},
                              {"b_tokens_per_min_ra", N("10000000")},
                              {"b_tokens_per_min_rp", N("60000")},
                              {"b_tokens_per_min_tc", N("10000500")},
                              {"b_wcu_tk", N("1000000")},
                              {"b_wcu_cp", N("1000000")},
                              {"b_wcu_ra", N("1000000")},
                              {"b_wcu_rp", N("1000")},
                              {"b_wcu_tc", N("0")},
                              {"cascade", B(true)},
                              {"parent_id", S("proj")},
                              {"shard_count", N("1")},
                              {"ttl", N("1771707212")},
                              {"GSI2PK", S("aB3_x-9Zq0w/RESOURCE#openai/gpt-4")},
                              {"GSI2SK", S("BUCKET#key-1#0")},
                              {"GSI3PK", S("aB3_x-9Zq0w/ENTITY#key-1")},
                              {"GSI3SK", S("BUCKET#openai/gpt-4#0")},
                              {"GSI4PK", S("aB3_x-9Zq0w")},
                              {"GSI4SK", S("BUCKET#key-1#openai/gpt-4#0")}};
  EXPECT_EQ(encode_bucket(kNs, child_bucket()), expected);
  EXPECT_EQ(decode_bucket(expected), child_bucket());
}

TEST(BucketCodecTest, RootBucketOmitsParentIdAndTtl) {
  BucketItem bucket = child_bucket();
  bucket.parent_id.reset();
  bucket.cascade = false;
  bucket.ttl.reset();
  bucket.shard = 3;
  bucket.shard_count = 4;
  const AttributeMap item = encode_bucket(kNs, bucket);
  EXPECT_FALSE(item.contains("parent_id"));
  EXPECT_FALSE(item.contains("ttl"));
  EXPECT_EQ(item.at("PK"), S("aB3_x-9Zq0w/BUCKET#key-1#openai/gpt-4#3"));
  EXPECT_EQ(item.at("GSI2SK"), S("BUCKET#key-1#3"));
  EXPECT_EQ(item.at("GSI3SK"), S("BUCKET#openai/gpt-4#3"));
  EXPECT_EQ(item.at("GSI4SK"), S("BUCKET#key-1#openai/gpt-4#3"));
  EXPECT_EQ(item.at("shard_count"), N("4"));
  EXPECT_EQ(item.at("cascade"), B(false));
  EXPECT_EQ(decode_bucket(item), bucket);
}

TEST(BucketCodecTest, ToleratesMinimalAndLegacyFields) {
  // spec/data-model.md §6.10 reader tolerance, §6.14 (bx), NULL parent_id (§4).
  const AttributeMap item{{"PK", S("ns/BUCKET#my_entity#a/b_c#0")},
                          {"SK", S("#STATE")},
                          {"b_req_per_min_tk", N("5000")},
                          {"b_req_per_min_bx", N("9000")},
                          {"parent_id", Null()},
                          {"unknown_attr", S("x")}};
  const BucketItem bucket = decode_bucket(item);
  EXPECT_EQ(bucket.entity_id, "my_entity");
  EXPECT_EQ(bucket.resource, "a/b_c");
  EXPECT_EQ(bucket.refill_ms, 0);
  EXPECT_EQ(bucket.shard_count, 1);
  EXPECT_FALSE(bucket.cascade);
  EXPECT_EQ(bucket.parent_id, std::nullopt);
  EXPECT_EQ(bucket.ttl, std::nullopt);
  EXPECT_EQ(bucket.wcu, std::nullopt);
  ASSERT_EQ(bucket.limits.size(), 1u);
  EXPECT_EQ(bucket.limits[0], (BucketLimitFields{.name = "req_per_min",
                                                 .tokens_milli = 5000,
                                                 .capacity_milli = 0,
                                                 .refill_amount_milli = 0,
                                                 .refill_period_ms = 0,
                                                 .total_consumed_milli = std::nullopt}));
}

TEST(BucketCodecTest, WcuIsKeptApartFromApplicationLimits) {
  const AttributeMap item{{"PK", S("ns/BUCKET#e#r#0")}, {"SK", S("#STATE")},
                          {"b_wcu_tk", N("998000")},    {"b_wcu_cp", N("1000000")},
                          {"b_wcu_ra", N("1000000")},   {"b_wcu_rp", N("1000")},
                          {"b_wcu_tc", N("2000")},      {"rf", N("5")}};
  const BucketItem bucket = decode_bucket(item);
  EXPECT_TRUE(bucket.limits.empty());
  ASSERT_TRUE(bucket.wcu.has_value());
  EXPECT_EQ(bucket.wcu->tokens_milli, 998000);
  EXPECT_EQ(bucket.wcu->total_consumed_milli, 2000);
  // Preserved on re-encode.
  EXPECT_EQ(encode_bucket("ns", bucket).at("b_wcu_tk"), N("998000"));
}

TEST(BucketCodecTest, ForeignKeyIsMalformed) {
  EXPECT_THROW((void)decode_bucket({{"PK", S("ns/ENTITY#e")}, {"SK", S("#STATE")}}),
               MalformedItemError);
  EXPECT_THROW((void)decode_bucket(
                   {{"PK", S("ns/BUCKET#e#r#0")}, {"SK", S("#STATE")}, {"b_rpm_tk", S("oops")}}),
               MalformedItemError);
}

TEST(AuditCodecTest, LimitsSetEventMatchesSpec) {
  const AuditEvent event{.event_id = "01ARZ3NDEKTSV4RRFFQ69G5FAV",
                         .timestamp = "2026-02-21T19:43:32Z",
                         .action = "limits_set",
                         .entity_id = "user-1",
                         .principal = std::nullopt,
                         .resource = "gpt-4",
                         .details_json =
                             R"({"limits":[{"name":"rpm","capacity":100,"refill_amount":100,)"
                             R"("refill_period_seconds":60}]})"};
  const AttributeMap expected{
      {"PK", S("aB3_x-9Zq0w/AUDIT#user-1")},
      {"SK", S("#AUDIT#01ARZ3NDEKTSV4RRFFQ69G5FAV")},
      {"entity_id", S("user-1")},
      {"event_id", S("01ARZ3NDEKTSV4RRFFQ69G5FAV")},
      {"timestamp", S("2026-02-21T19:43:32Z")},
      {"action", S("limits_set")},
      {"principal", Null()},
      {"resource", S("gpt-4")},
      {"details",
       M({{"limits", AttributeValue::of_list({M({{"name", S("rpm")},
                                                 {"capacity", N("100")},
                                                 {"refill_amount", N("100")},
                                                 {"refill_period_seconds", N("60")}})})}})},
      {"ttl", N("1779479012")},
      {"GSI4PK", S("aB3_x-9Zq0w")},
      {"GSI4SK", S("aB3_x-9Zq0w/AUDIT#user-1")}};
  EXPECT_EQ(encode_audit_event(kNs, event, 1779479012), expected);
  const AuditItem decoded = decode_audit_event(expected);
  EXPECT_EQ(decoded.event.event_id, event.event_id);
  EXPECT_EQ(decoded.event.principal, std::nullopt);
  EXPECT_EQ(decoded.event.resource, "gpt-4");
  EXPECT_EQ(decoded.event.details_json, event.details_json);
  EXPECT_EQ(decoded.ttl, 1779479012);
}

TEST(AuditCodecTest, DetailsValueMapping) {
  // spec/data-model.md §4: str S, bool BOOL, int/float N, dict M, list L, None NULL.
  const AttributeMap details = details_from_json(
      R"({"name":"n","cascade":true,"parent_id":null,"records_deleted":3,"f":1.5,)"
      R"("metadata":{"k":"v"},"limits":["rpm"]})");
  const AttributeMap expected{{"name", S("n")},
                              {"cascade", B(true)},
                              {"parent_id", Null()},
                              {"records_deleted", N("3")},
                              {"f", N("1.5")},
                              {"metadata", M({{"k", S("v")}})},
                              {"limits", AttributeValue::of_list({S("rpm")})}};
  EXPECT_EQ(details, expected);
  EXPECT_EQ(details_to_json(expected),
            R"({"name":"n","cascade":true,"parent_id":null,"records_deleted":3,"f":1.5,)"
            R"("metadata":{"k":"v"},"limits":["rpm"]})");
  EXPECT_EQ(details_from_json(""), AttributeMap{});
  EXPECT_THROW((void)details_from_json("[1]"), MalformedItemError);
  EXPECT_THROW((void)details_from_json("{"), MalformedItemError);
}

TEST(AuditCodecTest, AbsentDetailsReadAsEmptyObject) {
  const AuditItem decoded = decode_audit_event({{"PK", S("ns/AUDIT#e")},
                                                {"SK", S("#AUDIT#01ARZ3NDEKTSV4RRFFQ69G5FAV")},
                                                {"event_id", S("01ARZ3NDEKTSV4RRFFQ69G5FAV")},
                                                {"entity_id", S("e")},
                                                {"action", S("entity_deleted")}});
  EXPECT_EQ(decoded.event.details_json, "{}");
  EXPECT_EQ(decoded.event.principal, std::nullopt);
  EXPECT_EQ(decoded.ttl, std::nullopt);
}

}  // namespace
}  // namespace zae::dynamodb
