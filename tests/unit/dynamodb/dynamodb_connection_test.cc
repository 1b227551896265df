// SPDX-License-Identifier: MIT
// Version parsing and the compatibility rule of a C++ client (spec/behavior.md VR-2, VR-3;
// spec/data-model.md Q27), and where the client's region and endpoint come from (RO-3).
#include "dynamodb/dynamodb_connection.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zae/errors.h"

namespace zae::dynamodb {
namespace {

using ::testing::Property;
using ::testing::Throws;

TEST(SchemaVersionTest, ParsesTheForms) {
  EXPECT_EQ(SchemaVersion::parse("0.10.0"), (SchemaVersion{0, 10, 0, ""}));
  EXPECT_EQ(SchemaVersion::parse("v1.2.3"), (SchemaVersion{1, 2, 3, ""}));
  EXPECT_EQ(SchemaVersion::parse("1.2.3-rc1"), (SchemaVersion{1, 2, 3, "rc1"}));
  EXPECT_EQ(SchemaVersion::parse("0.9.0.dev12+g1234"), (SchemaVersion{0, 9, 0, "dev"}));
  for (const char* bad : {"", "1", "1.2", "1.2.x", "a.b.c", "1.2.3-", "1.2.3 ", "-1.2.3"}) {
    EXPECT_EQ(SchemaVersion::parse(bad), std::nullopt) << bad;
  }
}

TEST(SchemaVersionTest, OrdersNumericallyThenPrereleaseFirst) {
  const auto v = [](const char* text) { return *SchemaVersion::parse(text); };
  EXPECT_LT(v("0.9.0"), v("0.10.0"));
  EXPECT_LT(v("0.10.0-dev"), v("0.10.0"));
  EXPECT_LT(v("0.10.0-a"), v("0.10.0-b"));
  EXPECT_FALSE(v("0.10.0") < v("0.10.0-dev"));
  EXPECT_FALSE(v("0.10.0") < v("0.10.0"));
}

VersionRecord record(std::string schema, std::string min = "0.0.0") {
  return VersionRecord{.schema_version = std::move(schema),
                       .client_min_version = std::move(min),
                       .updated_at = "2026-01-01T00:00:00Z"};
}

TEST(VersionCheckTest, AcceptsTheSameMajor) {
  EXPECT_NO_THROW(check_version_record(record("0.10.0")));
  EXPECT_NO_THROW(check_version_record(record("0.11.2")));
  EXPECT_NO_THROW(check_version_record(record("0.7.0")));
  // VR-3 rule 3: an unparsable minimum reads as 0.0.0.
  EXPECT_NO_THROW(check_version_record(record("0.10.0", "garbage")));
}

TEST(VersionCheckTest, OtherMajorRequiresMigration) {
  EXPECT_THAT(
      [] { check_version_record(record("1.0.0")); },
      Throws<IncompatibleSchemaError>(Property(&IncompatibleSchemaError::schema_version, "1.0.0")));
}

TEST(VersionCheckTest, UnparsableSchemaOrNewerMinimumIsIncompatible) {
  // OQ-32: the original accepts these silently.
  EXPECT_THAT([] { check_version_record(record("zero")); }, Throws<IncompatibleSchemaError>());
  EXPECT_THAT([] { check_version_record(record("0.10.0", "0.11.0")); },
              Throws<IncompatibleSchemaError>());
}

TEST(ClientSettingsTest, UriEndpointWinsOverTheEnvironment) {
  const aws::FixedEnvironment env{{"AWS_ENDPOINT_URL", "http://env:1"},
                                  {"AWS_REGION", "eu-west-1"}};
  const ClientSettings s =
      resolve_client_settings({.table_name = "t", .endpoint = "http://127.0.0.1:8000"}, env);
  EXPECT_EQ(s.endpoint.url, "http://127.0.0.1:8000");
  EXPECT_EQ(s.region, "eu-west-1");
}

TEST(ClientSettingsTest, EnvironmentEndpointAndUriRegion) {
  const aws::FixedEnvironment env{{"AWS_ENDPOINT_URL", "http://env:1"},
                                  {"AWS_REGION", "eu-west-1"}};
  const ClientSettings s =
      resolve_client_settings({.table_name = "t", .region = "ap-south-1"}, env);
  EXPECT_EQ(s.endpoint.url, "http://env:1");
  EXPECT_EQ(s.region, "ap-south-1");
}

TEST(ClientSettingsTest, RegionGivesTheAwsEndpoint) {
  const aws::FixedEnvironment env{{"AWS_DEFAULT_REGION", "us-west-2"}};
  const ClientSettings s = resolve_client_settings({.table_name = "t"}, env);
  EXPECT_EQ(s.endpoint.url, "https://dynamodb.us-west-2.amazonaws.com");
  EXPECT_EQ(s.region, "us-west-2");
}

TEST(ClientSettingsTest, ExplicitEndpointWithoutRegionSignsForUsEast1) {
  const aws::FixedEnvironment env{};
  EXPECT_EQ(
      resolve_client_settings({.table_name = "t", .endpoint = "http://localhost:8000"}, env).region,
      "us-east-1");
}

TEST(ClientSettingsTest, NeitherEndpointNorRegionIsAValidationError) {
  const aws::FixedEnvironment env{};
  EXPECT_THAT([&] { (void)resolve_client_settings({.table_name = "t"}, env); },
              Throws<ValidationError>());
  EXPECT_THAT(
      [&] { (void)resolve_client_settings({.table_name = "t", .endpoint = "ftp://x"}, env); },
      Throws<ValidationError>());
}

}  // namespace
}  // namespace zae::dynamodb
