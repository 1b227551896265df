// SPDX-License-Identifier: MIT
// The CreateTable request and table-name rules of spec/data-model.md §1, written out literally.
#include "dynamodb/provisioning.h"

#include <gtest/gtest.h>

namespace zae::dynamodb {
namespace {

using aws::KeyType;

std::vector<aws::KeySchemaElement> keys(std::string hash, std::string range) {
  return {{std::move(hash), KeyType::kHash}, {std::move(range), KeyType::kRange}};
}

TEST(TableDefinitionTest, MatchesSpecSection1) {
  const aws::CreateTableRequest r =
      table_definition("zae-limiter", {{"Application", "zae-limiter"}});
  EXPECT_EQ(r.table_name, "zae-limiter");
  const std::vector<aws::AttributeDefinition> definitions{
      {"PK", "S"},     {"SK", "S"},     {"GSI1PK", "S"}, {"GSI1SK", "S"}, {"GSI2PK", "S"},
      {"GSI2SK", "S"}, {"GSI3PK", "S"}, {"GSI3SK", "S"}, {"GSI4PK", "S"}, {"GSI4SK", "S"},
      {"LSI1SK", "S"}, {"LSI2SK", "S"}, {"LSI3SK", "S"}, {"LSI4SK", "S"}, {"LSI5SK", "S"}};
  EXPECT_EQ(r.attribute_definitions, definitions);
  EXPECT_EQ(r.key_schema, keys("PK", "SK"));
  EXPECT_EQ(r.billing_mode, aws::BillingMode::kPayPerRequest);
  EXPECT_FALSE(r.provisioned_throughput.has_value());

  struct Expected {
    const char* name;
    const char* hash;
    const char* range;
    const char* projection;
  };
  const std::vector<Expected> gsis{{"GSI1", "GSI1PK", "GSI1SK", "ALL"},
                                   {"GSI2", "GSI2PK", "GSI2SK", "ALL"},
                                   {"GSI3", "GSI3PK", "GSI3SK", "KEYS_ONLY"},
                                   {"GSI4", "GSI4PK", "GSI4SK", "KEYS_ONLY"}};
  ASSERT_EQ(r.global_secondary_indexes.size(), gsis.size());
  for (std::size_t i = 0; i < gsis.size(); ++i) {
    const aws::SecondaryIndex& gsi = r.global_secondary_indexes[i];
    EXPECT_EQ(gsi.name, gsis[i].name);
    EXPECT_EQ(gsi.key_schema, keys(gsis[i].hash, gsis[i].range));
    EXPECT_EQ(gsi.projection.type, gsis[i].projection);
    EXPECT_TRUE(gsi.projection.non_key_attributes.empty());
    EXPECT_FALSE(gsi.provisioned_throughput.has_value());
  }
  const std::vector<Expected> lsis{{"LSI1", "PK", "LSI1SK", "ALL"},
                                   {"LSI2", "PK", "LSI2SK", "KEYS_ONLY"},
                                   {"LSI3", "PK", "LSI3SK", "ALL"},
                                   {"LSI4", "PK", "LSI4SK", "KEYS_ONLY"},
                                   {"LSI5", "PK", "LSI5SK", "ALL"}};
  ASSERT_EQ(r.local_secondary_indexes.size(), lsis.size());
  for (std::size_t i = 0; i < lsis.size(); ++i) {
    const aws::SecondaryIndex& lsi = r.local_secondary_indexes[i];
    EXPECT_EQ(lsi.name, lsis[i].name);
    EXPECT_EQ(lsi.key_schema, keys(lsis[i].hash, lsis[i].range));
    EXPECT_EQ(lsi.projection.type, lsis[i].projection);
  }
  ASSERT_TRUE(r.stream_specification.has_value());
  EXPECT_TRUE(r.stream_specification->enabled);
  EXPECT_EQ(r.stream_specification->view_type, aws::StreamViewType::kNewAndOldImages);
  EXPECT_EQ(r.tags, (std::vector<aws::Tag>{{"Application", "zae-limiter"}}));
}

TEST(TableNameTest, AcceptsSpecExamples) {
  EXPECT_NO_THROW(validate_table_name("zae-limiter"));
  EXPECT_NO_THROW(validate_table_name("ZAEL-legacy"));
  EXPECT_NO_THROW(validate_table_name("a1-b2"));
  EXPECT_NO_THROW(validate_table_name(std::string(55, 'a')));
}

TEST(TableNameTest, RejectsWithReasons) {
  for (const std::string& bad :
       {std::string(), std::string(56, 'a'), std::string("1abc"), std::string("-abc"),
        std::string("rate_limits"), std::string("a.b"), std::string("a b"), std::string("a#b")}) {
    try {
      validate_table_name(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const ValidationError& e) {
      EXPECT_EQ(e.field(), "name");
    }
  }
}

}  // namespace
}  // namespace zae::dynamodb
