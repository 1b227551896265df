// SPDX-License-Identifier: MIT
// Key formats of spec/data-model.md §2, written out literally from the spec.
#include "dynamodb/keys.h"

#include <set>

#include <gtest/gtest.h>

namespace zae::dynamodb {
namespace {

TEST(KeysTest, PrefixConstantsAreExact) {
  // spec/data-model.md §2.3.
  EXPECT_EQ(kEntityPrefix, "ENTITY#");
  EXPECT_EQ(kParentPrefix, "PARENT#");
  EXPECT_EQ(kChildPrefix, "CHILD#");
  EXPECT_EQ(kResourcePrefix, "RESOURCE#");
  EXPECT_EQ(kSystemPrefix, "SYSTEM#");
  EXPECT_EQ(kEntityConfigPrefix, "ENTITY_CONFIG#");
  EXPECT_EQ(kBucketPrefix, "BUCKET#");
  EXPECT_EQ(kAuditPrefix, "AUDIT#");
  EXPECT_EQ(kSkMeta, "#META");
  EXPECT_EQ(kSkState, "#STATE");
  EXPECT_EQ(kSkConfig, "#CONFIG");
  EXPECT_EQ(kSkResources, "#RESOURCES");
  EXPECT_EQ(kSkEntityConfigResources, "#ENTITY_CONFIG_RESOURCES");
  EXPECT_EQ(kSkVersion, "#VERSION");
  EXPECT_EQ(kSkProvisioner, "#PROVISIONER");
  EXPECT_EQ(kSkAuditPrefix, "#AUDIT#");
  EXPECT_EQ(kSkUsagePrefix, "#USAGE#");
  EXPECT_EQ(kSkNamespacePrefix, "#NAMESPACE#");
  EXPECT_EQ(kSkNsidPrefix, "#NSID#");
}

TEST(KeysTest, ItemKeysOfEveryItemType) {
  const std::string ns = "aB3_x-9Zq0w";
  EXPECT_EQ(namespace_forward_key("default"), (ItemKey{"_/SYSTEM#", "#NAMESPACE#default"}));
  EXPECT_EQ(namespace_reverse_key(ns), (ItemKey{"_/SYSTEM#", "#NSID#aB3_x-9Zq0w"}));
  EXPECT_EQ(version_key(), (ItemKey{"_/SYSTEM#", "#VERSION"}));
  EXPECT_EQ(system_config_key(ns), (ItemKey{"aB3_x-9Zq0w/SYSTEM#", "#CONFIG"}));
  EXPECT_EQ(resource_config_key(ns, "openai/gpt-4"),
            (ItemKey{"aB3_x-9Zq0w/RESOURCE#openai/gpt-4", "#CONFIG"}));
  EXPECT_EQ(entity_config_key(ns, "user-1", "gpt-4"),
            (ItemKey{"aB3_x-9Zq0w/ENTITY#user-1", "#CONFIG#gpt-4"}));
  EXPECT_EQ(entity_config_key(ns, "user-1", kDefaultResource),
            (ItemKey{"aB3_x-9Zq0w/ENTITY#user-1", "#CONFIG#_default_"}));
  EXPECT_EQ(entity_meta_key(ns, "user-1"), (ItemKey{"aB3_x-9Zq0w/ENTITY#user-1", "#META"}));
  EXPECT_EQ(entity_config_registry_key(ns),
            (ItemKey{"aB3_x-9Zq0w/SYSTEM#", "#ENTITY_CONFIG_RESOURCES"}));
  EXPECT_EQ(resource_registry_key(ns), (ItemKey{"aB3_x-9Zq0w/SYSTEM#", "#RESOURCES"}));
  EXPECT_EQ(provisioner_key(ns), (ItemKey{"aB3_x-9Zq0w/SYSTEM#", "#PROVISIONER"}));
  EXPECT_EQ(bucket_key(ns, "user-1", "gpt-4", 0),
            (ItemKey{"aB3_x-9Zq0w/BUCKET#user-1#gpt-4#0", "#STATE"}));
  EXPECT_EQ(bucket_key(ns, "user-1", "gpt-4", 12),
            (ItemKey{"aB3_x-9Zq0w/BUCKET#user-1#gpt-4#12", "#STATE"}));
  EXPECT_EQ(audit_key(ns, "$RESOURCE:gpt-4", "01ARZ3NDEKTSV4RRFFQ69G5FAV"),
            (ItemKey{"aB3_x-9Zq0w/AUDIT#$RESOURCE:gpt-4", "#AUDIT#01ARZ3NDEKTSV4RRFFQ69G5FAV"}));
  EXPECT_EQ(usage_key(ns, "user-1", "gpt-4", "2026-02-21T19:00:00Z"),
            (ItemKey{"aB3_x-9Zq0w/ENTITY#user-1", "#USAGE#gpt-4#2026-02-21T19:00:00Z"}));
}

TEST(KeysTest, UsageWindowKeysKeepHourlyAsTheOriginalAndSeparateOtherWindows) {
  EXPECT_EQ(usage_window_key("hourly", "2026-02-21T00:00:00Z"), "2026-02-21T00:00:00Z");
  EXPECT_EQ(usage_window_key("daily", "2026-02-21T00:00:00Z"), "2026-02-21T00:00:00Z#daily");
  EXPECT_EQ(usage_window_key("monthly", "2026-02-01T00:00:00Z"), "2026-02-01T00:00:00Z#monthly");
  EXPECT_EQ(usage_sk("gpt-4", usage_window_key("daily", "2026-02-21T00:00:00Z")),
            "#USAGE#gpt-4#2026-02-21T00:00:00Z#daily");
  EXPECT_EQ(usage_gsi2sk(usage_window_key("daily", "2026-02-21T00:00:00Z"), "user-1"),
            "USAGE#2026-02-21T00:00:00Z#daily#user-1");
}

TEST(KeysTest, SecondaryIndexKeys) {
  const std::string ns = "aB3_x-9Zq0w";
  EXPECT_EQ(parent_gsi1pk(ns, "proj"), "aB3_x-9Zq0w/PARENT#proj");
  EXPECT_EQ(child_gsi1sk("key-1"), "CHILD#key-1");
  EXPECT_EQ(bucket_gsi2sk("user-1", 3), "BUCKET#user-1#3");
  EXPECT_EQ(usage_gsi2sk("2026-02-21T00:00:00Z", "user-1"), "USAGE#2026-02-21T00:00:00Z#user-1");
  EXPECT_EQ(entity_config_gsi3pk(ns, "gpt-4"), "aB3_x-9Zq0w/ENTITY_CONFIG#gpt-4");
  EXPECT_EQ(bucket_gsi3sk("openai/gpt-4", 0), "BUCKET#openai/gpt-4#0");
  EXPECT_EQ(bucket_gsi4sk("user-1", "openai/gpt-4", 2), "BUCKET#user-1#openai/gpt-4#2");
  EXPECT_EQ(resource_pk(ns, "gpt-4"), "aB3_x-9Zq0w/RESOURCE#gpt-4");
  EXPECT_EQ(entity_pk(ns, "e"), "aB3_x-9Zq0w/ENTITY#e");
  EXPECT_EQ(system_pk("_"), "_/SYSTEM#");
}

TEST(KeysTest, ItemKeyToAttributes) {
  const aws::AttributeMap expected{{"PK", aws::AttributeValue::of_string("_/SYSTEM#")},
                                   {"SK", aws::AttributeValue::of_string("#VERSION")}};
  EXPECT_EQ(version_key().to_attributes(), expected);
}

TEST(KeysTest, NamespaceOfSplitsAtFirstSlash) {
  EXPECT_EQ(namespace_of("abc/RESOURCE#openai/gpt-4"), "abc");
  EXPECT_EQ(namespace_of("_/SYSTEM#"), "_");
  EXPECT_EQ(namespace_of("ENTITY#legacy"), std::nullopt);
}

TEST(KeysTest, ParsesBucketPk) {
  EXPECT_EQ(parse_bucket_pk("ns1/BUCKET#user-1#gpt-4#0"), (BucketPk{"ns1", "user-1", "gpt-4", 0}));
  // Resource names may contain '/'; only the first '/' separates the namespace.
  EXPECT_EQ(parse_bucket_pk("ns1/BUCKET#user-1#openai/gpt-4#17"),
            (BucketPk{"ns1", "user-1", "openai/gpt-4", 17}));
  // Entity ids may contain ':' '@' '.' '_'.
  EXPECT_EQ(parse_bucket_pk("a_-b/BUCKET#u:1@x.y_z#r#2"), (BucketPk{"a_-b", "u:1@x.y_z", "r", 2}));
}

TEST(KeysTest, RejectsMalformedBucketPk) {
  for (const char* pk : {"BUCKET#e#r#0", "ns/ENTITY#e", "ns/BUCKET#e#r", "ns/BUCKET#e#r#",
                         "ns/BUCKET#e#r#x", "ns/BUCKET#e#r#-1", "ns/BUCKET##r#0", "ns/BUCKET#e##0",
                         "ns/BUCKET#e#r#1x", "/BUCKET#e#r#0", "ns/BUCKET#e#r#99999999999"}) {
    EXPECT_EQ(parse_bucket_pk(pk), std::nullopt) << pk;
  }
}

TEST(KeysTest, CompositeAttributeNames) {
  EXPECT_EQ(bucket_attribute("rpm", "tk"), "b_rpm_tk");
  EXPECT_EQ(config_attribute("tpm", "cp"), "l_tpm_cp");
  EXPECT_EQ(bucket_attribute("tokens_per_min", "tc"), "b_tokens_per_min_tc");
}

TEST(KeysTest, ParsesCompositeNamesAtLastUnderscore) {
  EXPECT_EQ(parse_composite_attribute(AttributeFamily::kBucket, "b_rpm_tk"),
            (CompositeName{"rpm", "tk"}));
  EXPECT_EQ(parse_composite_attribute(AttributeFamily::kBucket, "b_tokens_per_min_cp"),
            (CompositeName{"tokens_per_min", "cp"}));
  EXPECT_EQ(parse_composite_attribute(AttributeFamily::kConfig, "l_a.b-c_rp"),
            (CompositeName{"a.b-c", "rp"}));
  EXPECT_EQ(parse_composite_attribute(AttributeFamily::kBucket, "b_rpm_bx"),
            (CompositeName{"rpm", "bx"}));
  EXPECT_EQ(parse_composite_attribute(AttributeFamily::kBucket, "l_rpm_tk"), std::nullopt);
  EXPECT_EQ(parse_composite_attribute(AttributeFamily::kConfig, "b_rpm_cp"), std::nullopt);
  EXPECT_EQ(parse_composite_attribute(AttributeFamily::kBucket, "b_rpm"), std::nullopt);
  EXPECT_EQ(parse_composite_attribute(AttributeFamily::kBucket, "b__tk"), std::nullopt);
  EXPECT_EQ(parse_composite_attribute(AttributeFamily::kBucket, "b_rpm_"), std::nullopt);
  EXPECT_EQ(parse_composite_attribute(AttributeFamily::kBucket, "rf"), std::nullopt);
}

TEST(KeysTest, NamespaceIdIsBase64UrlWithoutPadding) {
  // 8 bytes -> 11 characters; 0xfb 0xff maps to '-' and '_' in the URL-safe alphabet.
  EXPECT_EQ(encode_namespace_id({0, 0, 0, 0, 0, 0, 0, 0}), "AAAAAAAAAAA");
  EXPECT_EQ(encode_namespace_id({0xfb, 0xff, 0xbf, 0x01, 0x02, 0x03, 0x04, 0x05}), "-_-_AQIDBAU");
  EXPECT_EQ(encode_namespace_id({'h', 'e', 'l', 'l', 'o', '!', '!', '?'}), "aGVsbG8hIT8");
}

TEST(KeysTest, GenerateRedrawsWhileIdStartsWithDash) {
  int calls = 0;
  const std::string id = generate_namespace_id([&calls]() -> NamespaceIdBytes {
    ++calls;
    if (calls < 3) {
      return {0xfb, 0, 0, 0, 0, 0, 0, 0};  // "-wAAAAAAAAA"
    }
    return {0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92};
  });
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(id, "ABCDEFGHIJI");
  EXPECT_TRUE(is_namespace_id(id));
}

TEST(KeysTest, SystemRandomIdsAreValidAndDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    const std::string id = generate_namespace_id(system_random_namespace_bytes);
    EXPECT_TRUE(is_namespace_id(id)) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 50u);
}

TEST(KeysTest, IsNamespaceId) {
  EXPECT_TRUE(is_namespace_id("aB3_x-9Zq0w"));
  EXPECT_FALSE(is_namespace_id("-B3_x-9Zq0w"));
  EXPECT_FALSE(is_namespace_id("aB3_x-9Zq0"));
  EXPECT_FALSE(is_namespace_id("aB3_x/9Zq0w"));
  EXPECT_FALSE(is_namespace_id("_"));
}

}  // namespace
}  // namespace zae::dynamodb
