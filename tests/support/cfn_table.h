// SPDX-License-Identifier: MIT
// The DynamoDB table a CloudFormation template (cfn-template's output, read with yaml_tree.h)
// declares, as the CreateTableRequest CloudFormation would send, so that tests can compare it
// with dynamodb::table_definition() and create it on DynamoDB Local.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "aws/dynamodb_client.h"
#include "support/yaml_tree.h"

namespace zae::test {

// The properties of the template's one AWS::DynamoDB::Table resource. Throws when there is not
// exactly one.
inline const YamlTree& table_properties(const YamlTree& doc) {
  const YamlTree* found = nullptr;
  const YamlTree& resources = doc.at("Resources");
  for (const YamlTree& resource : resources.items) {
    if (resource.at("Type").scalar == "AWS::DynamoDB::Table") {
      if (found != nullptr) {
        throw std::runtime_error("more than one AWS::DynamoDB::Table");
      }
      found = &resource.at("Properties");
    }
  }
  if (found == nullptr) {
    throw std::runtime_error("no AWS::DynamoDB::Table resource");
  }
  return *found;
}

inline std::vector<aws::KeySchemaElement> key_schema_of(const YamlTree& list) {
  std::vector<aws::KeySchemaElement> out;
  for (const YamlTree& e : list.items) {
    const std::string& type = e.at("KeyType").scalar;
    if (type != "HASH" && type != "RANGE") {
      throw std::runtime_error("bad KeyType " + type);
    }
    out.push_back({e.at("AttributeName").scalar,
                   type == "HASH" ? aws::KeyType::kHash : aws::KeyType::kRange});
  }
  return out;
}

inline std::vector<aws::SecondaryIndex> indexes_of(const YamlTree& props, const std::string& key) {
  std::vector<aws::SecondaryIndex> out;
  if (!props.has(key)) {
    return out;
  }
  for (const YamlTree& i : props.at(key).items) {
    aws::SecondaryIndex index{.name = i.at("IndexName").scalar,
                              .key_schema = key_schema_of(i.at("KeySchema"))};
    const YamlTree& projection = i.at("Projection");
    index.projection.type = projection.at("ProjectionType").scalar;
    if (projection.has("NonKeyAttributes")) {
      for (const YamlTree& a : projection.at("NonKeyAttributes").items) {
        index.projection.non_key_attributes.push_back(a.scalar);
      }
    }
    out.push_back(std::move(index));
  }
  return out;
}

// `Ref: TableName` (or a literal) resolved to `table_name`.
inline std::string resolve_name(const YamlTree& value, const std::string& table_name) {
  if (value.kind == YamlTree::Kind::kMapping) {
    if (value.at("Ref").scalar != "TableName") {
      throw std::runtime_error("unexpected Ref " + value.at("Ref").scalar);
    }
    return table_name;
  }
  return value.scalar;
}

// The table's key schema, attribute definitions, indexes, billing, stream and tags, with the
// TableName parameter set to `table_name`.
inline aws::CreateTableRequest table_from_template(const YamlTree& doc,
                                                   const std::string& table_name) {
  const YamlTree& props = table_properties(doc);
  aws::CreateTableRequest request;
  request.table_name = resolve_name(props.at("TableName"), table_name);
  for (const YamlTree& a : props.at("AttributeDefinitions").items) {
    request.attribute_definitions.push_back(
        {a.at("AttributeName").scalar, a.at("AttributeType").scalar});
  }
  request.key_schema = key_schema_of(props.at("KeySchema"));
  const std::string& billing = props.at("BillingMode").scalar;
  if (billing != "PAY_PER_REQUEST") {
    throw std::runtime_error("unexpected BillingMode " + billing);
  }
  request.billing_mode = aws::BillingMode::kPayPerRequest;
  request.global_secondary_indexes = indexes_of(props, "GlobalSecondaryIndexes");
  request.local_secondary_indexes = indexes_of(props, "LocalSecondaryIndexes");
  if (props.has("StreamSpecification")) {
    const std::string& view = props.at("StreamSpecification").at("StreamViewType").scalar;
    if (view != "NEW_AND_OLD_IMAGES") {
      throw std::runtime_error("unexpected StreamViewType " + view);
    }
    request.stream_specification = aws::StreamSpecification{
        .enabled = true, .view_type = aws::StreamViewType::kNewAndOldImages};
  }
  if (props.has("Tags")) {
    for (const YamlTree& t : props.at("Tags").items) {
      request.tags.push_back({t.at("Key").scalar, resolve_name(t.at("Value"), table_name)});
    }
  }
  return request;
}

// Every part of `expected` (dynamodb::table_definition()) is in `actual`, and nothing else:
// iterating the definition, so an index added to it later fails until the template has it.
inline void expect_same_table(const aws::CreateTableRequest& actual,
                              const aws::CreateTableRequest& expected) {
  EXPECT_EQ(actual.table_name, expected.table_name);
  EXPECT_EQ(actual.attribute_definitions, expected.attribute_definitions);
  EXPECT_EQ(actual.key_schema, expected.key_schema);
  EXPECT_EQ(actual.billing_mode, expected.billing_mode);
  EXPECT_FALSE(expected.provisioned_throughput.has_value());
  const auto same_indexes = [](const std::vector<aws::SecondaryIndex>& got,
                               const std::vector<aws::SecondaryIndex>& want, const char* kind) {
    ASSERT_EQ(got.size(), want.size()) << kind;
    for (std::size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got[i].name, want[i].name) << kind << " " << i;
      EXPECT_EQ(got[i].key_schema, want[i].key_schema) << want[i].name;
      EXPECT_EQ(got[i].projection.type, want[i].projection.type) << want[i].name;
      EXPECT_EQ(got[i].projection.non_key_attributes, want[i].projection.non_key_attributes)
          << want[i].name;
      EXPECT_FALSE(want[i].provisioned_throughput.has_value()) << want[i].name;
    }
  };
  same_indexes(actual.global_secondary_indexes, expected.global_secondary_indexes, "GSI");
  same_indexes(actual.local_secondary_indexes, expected.local_secondary_indexes, "LSI");
  ASSERT_EQ(actual.stream_specification.has_value(), expected.stream_specification.has_value());
  if (expected.stream_specification) {
    EXPECT_EQ(actual.stream_specification->enabled, expected.stream_specification->enabled);
    EXPECT_EQ(actual.stream_specification->view_type, expected.stream_specification->view_type);
  }
  EXPECT_EQ(actual.tags, expected.tags);
}

}  // namespace zae::test
