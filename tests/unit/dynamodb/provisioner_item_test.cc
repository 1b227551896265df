// SPDX-License-Identifier: MIT
#include "dynamodb/provisioner_item.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dynamodb/items.h"

namespace zae::dynamodb {
namespace {

using aws::AttributeMap;
using aws::AttributeValue;

AttributeValue s(const char* v) { return AttributeValue::of_string(v); }

// spec/data-model.md §6.13, written out literally.
const AttributeMap kItem{
    {"PK", s("ns1/SYSTEM#")},
    {"SK", s("#PROVISIONER")},
    {"GSI4PK", s("ns1")},
    {"managed_system", AttributeValue::of_bool(true)},
    {"managed_resources", AttributeValue::of_list({s("claude"), s("gpt-4")})},
    {"managed_entities",
     AttributeValue::of_map({{"user-1", AttributeValue::of_list({s("_default_"), s("gpt-4")})},
                             {"user-2", AttributeValue::of_list({})}})},
    {"last_applied", s("2026-02-19T12:34:56.789012+00:00")},
    {"applied_hash", s("sha256:ab")},
};

const ProvisionerState kState{.managed_system = true,
                              .managed_resources = {"claude", "gpt-4"},
                              .managed_entities = {{"user-1", {"_default_", "gpt-4"}},
                                                   {"user-2", {}}},
                              .last_applied = "2026-02-19T12:34:56.789012+00:00",
                              .applied_hash = "sha256:ab"};

TEST(ProvisionerItemTest, EncodesTheOriginalsShape) {
  EXPECT_EQ(encode_provisioner_state("ns1", kState), kItem);
}

TEST(ProvisionerItemTest, DecodesTheOriginalsShape) {
  EXPECT_EQ(decode_provisioner_state(kItem), kState);
}

TEST(ProvisionerItemTest, MissingAttributesReadAsEmpty) {
  const AttributeMap item{{"PK", s("ns1/SYSTEM#")}, {"SK", s("#PROVISIONER")}};
  EXPECT_EQ(decode_provisioner_state(item), ProvisionerState{});
}

TEST(ProvisionerItemTest, WrongTypesAreMalformed) {
  AttributeMap item = kItem;
  item.set("managed_resources", AttributeValue::of_string_set({"gpt-4"}));
  EXPECT_THROW((void)decode_provisioner_state(item), MalformedItemError);
  item = kItem;
  item.set("managed_entities", AttributeValue::of_map({{"user-1", s("gpt-4")}}));
  EXPECT_THROW((void)decode_provisioner_state(item), MalformedItemError);
}

}  // namespace
}  // namespace zae::dynamodb
