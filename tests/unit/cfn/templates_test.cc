// SPDX-License-Identifier: MIT
#include "cfn/templates.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dynamodb/items.h"
#include "dynamodb/provisioning.h"
#include "dynamodb/table_admin.h"
#include "manifest/manifest.h"
#include "support/cfn_table.h"
#include "support/yaml_tree.h"

namespace zae::cfn {
namespace {

using test::parse_yaml;
using test::YamlTree;
using ::testing::HasSubstr;

// ---- limits cfn-template (spec/cli.md §10.4) ------------------------------------------------

constexpr const char* kManifest = R"(namespace: tenant-a
system:
  on_unavailable: block
  limits:
    rpm: {capacity: 1000}
    tpm: {capacity: 100000, refill_amount: 50000, refill_period: 30}
resources:
  gpt-4:
    limits:
      tpm: {capacity: 50000}
      rpm: {capacity: 500, burst: 600}
  gpt-3.5-turbo: {}
entities:
  user-premium:
    resources:
      _default_:
        limits:
          rpm: {capacity: 2000, refill_period: 60}
      gpt-4:
        limits:
          tpm: {capacity: 100000, burst: 150000, refill_amount: 1000}
  123: {}
)";

// PyYAML 6.0.3's yaml.dump(template, default_flow_style=False, sort_keys=False) of the structure
// spec/cli.md §10.4 describes for kManifest: file order, only written keys, burst dropped.
constexpr const char* kExpected = R"(AWSTemplateFormatVersion: '2010-09-09'
Description: Declarative limits for namespace 'tenant-a'
Resources:
  TenantLimits:
    Type: Custom::ZaeLimiterLimits
    Properties:
      ServiceToken:
        Fn::ImportValue: my-app-ProvisionerArn
      TableName: my-app
      Namespace: tenant-a
      System:
        OnUnavailable: block
        Limits:
          rpm:
            Capacity: 1000
          tpm:
            Capacity: 100000
            RefillAmount: 50000
            RefillPeriod: 30
      Resources:
        gpt-4:
          Limits:
            tpm:
              Capacity: 50000
            rpm:
              Capacity: 500
        gpt-3.5-turbo:
          Limits: {}
      Entities:
        user-premium:
          Resources:
            _default_:
              Limits:
                rpm:
                  Capacity: 2000
                  RefillPeriod: 60
            gpt-4:
              Limits:
                tpm:
                  Capacity: 100000
                  RefillAmount: 1000
        '123':
          Resources: {}
)";

TEST(LimitsTemplateTest, IsWhatPyYamlDumpsForTheOriginalsStructure) {
  const manifest::WrittenManifest m =
      manifest::parse_written_manifest(kManifest, "m.yaml", manifest::NamespaceKey::kRequired);
  EXPECT_EQ(limits_template(m, "my-app"), kExpected);
}

TEST(LimitsTemplateTest, NamespaceDefaultsAndAbsentSectionsAreLeftOut) {
  const manifest::WrittenManifest m =
      manifest::parse_written_manifest("system: {}\n", "m.yaml", manifest::NamespaceKey::kOptional);
  EXPECT_EQ(limits_template(m, "z"),
            "AWSTemplateFormatVersion: '2010-09-09'\n"
            "Description: Declarative limits for namespace 'default'\n"
            "Resources:\n"
            "  TenantLimits:\n"
            "    Type: Custom::ZaeLimiterLimits\n"
            "    Properties:\n"
            "      ServiceToken:\n"
            "        Fn::ImportValue: z-ProvisionerArn\n"
            "      TableName: z\n"
            "      Namespace: default\n"
            "      System: {}\n");
}

// ---- cfn-template (spec/cli.md §3.5) --------------------------------------------------------

class TableTemplateTest : public ::testing::Test {
 protected:
  const std::string text_ = table_template({.client_version = "9.8.7"});
  const YamlTree doc_ = parse_yaml(text_);
};

TEST_F(TableTemplateTest, TableIsTheDefinitionDeployUses) {
  const aws::CreateTableRequest expected = dynamodb::table_definition(
      "my-app", dynamodb::merge_tags({}, dynamodb::discovery_tags("my-app", "9.8.7")));
  test::expect_same_table(test::table_from_template(doc_, "my-app"), expected);
}

TEST_F(TableTemplateTest, HeaderParametersAndOutputs) {
  EXPECT_EQ(doc_.at("AWSTemplateFormatVersion").scalar, "2010-09-09");
  EXPECT_FALSE(doc_.at("AWSTemplateFormatVersion").plain) << "a plain 2010-09-09 is a date";
  EXPECT_THAT(doc_.at("Description").scalar, HasSubstr("zae-limiter deploy --name"));
  const YamlTree& name = doc_.at("Parameters").at("TableName");
  EXPECT_EQ(name.at("Default").scalar, "zae-limiter");
  EXPECT_EQ(name.at("AllowedPattern").scalar, "^[A-Za-z][A-Za-z0-9-]*$");
  EXPECT_EQ(name.at("MaxLength").scalar, "55");
  EXPECT_EQ(doc_.at("Parameters").at("EnablePointInTimeRecovery").at("Default").scalar, "true");
  EXPECT_EQ(doc_.at("Parameters").at("EnableDeletionProtection").at("Default").scalar, "false");

  const YamlTree& props = test::table_properties(doc_);
  EXPECT_EQ(props.at("TimeToLiveSpecification").at("AttributeName").scalar,
            dynamodb::kTtlAttribute);
  EXPECT_EQ(props.at("TimeToLiveSpecification").at("Enabled").scalar, "true");
  EXPECT_EQ(props.at("PointInTimeRecoverySpecification")
                .at("PointInTimeRecoveryEnabled")
                .at("Fn::If")
                .items[0]
                .scalar,
            "PointInTimeRecoveryEnabled");
  EXPECT_EQ(props.at("DeletionProtectionEnabled").at("Fn::If").items[0].scalar,
            "DeletionProtectionEnabled");
  for (const std::string condition : {"PointInTimeRecoveryEnabled", "HasPointInTimeRecoveryPeriod",
                                      "DeletionProtectionEnabled"}) {
    EXPECT_TRUE(doc_.at("Conditions").has(condition)) << condition;
  }

  const YamlTree& outputs = doc_.at("Outputs");
  for (const std::string output : {"TableName", "TableArn", "StreamArn"}) {
    EXPECT_EQ(outputs.at(output).at("Export").at("Name").at("Fn::Sub").scalar,
              "${AWS::StackName}-" + output);
  }
  EXPECT_EQ(outputs.at("TableArn").at("Value").at("Fn::GetAtt").items[1].scalar, "Arn");
  EXPECT_EQ(outputs.at("StreamArn").at("Value").at("Fn::GetAtt").items[1].scalar, "StreamArn");
  EXPECT_EQ(text_.back(), '\n');
}

}  // namespace
}  // namespace zae::cfn
