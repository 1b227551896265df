// SPDX-License-Identifier: MIT
#include "manifest/manifest.h"

#include <chrono>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zae/limit.h"

namespace zae::manifest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The hashes below were computed independently with Python:
//   json.dumps(normalised, sort_keys=True), then hashlib.sha256.
constexpr const char* kFullManifest = R"(namespace: default
system:
  on_unavailable: block
  limits:
    rpm: {capacity: 1000}
    tpm: {capacity: 100000}
resources:
  gpt-4:
    limits:
      rpm: {capacity: 500}
      tpm: {capacity: 50000}
  gpt-3.5-turbo:
    limits:
      rpm: {capacity: 5000, refill_period: 60}
entities:
  user-premium:
    resources:
      gpt-4:
        limits:
          rpm: {capacity: 1000}
          tpm: {capacity: 100000, burst: 150000}
)";

TEST(ManifestTest, ParsesEverySectionWithDefaults) {
  const Manifest m = parse_manifest(kFullManifest, "limits.yaml");
  EXPECT_EQ(m.namespace_name, "default");
  ASSERT_TRUE(m.system.has_value());
  EXPECT_EQ(m.system->on_unavailable, OnUnavailable::kBlock);
  EXPECT_THAT(m.system->limits,
              ElementsAre(Limit("rpm", 1000, 1000, 60), Limit("tpm", 100000, 100000, 60)));
  EXPECT_THAT(m.resources.at("gpt-3.5-turbo"), ElementsAre(Limit("rpm", 5000, 5000, 60)));
  // A legacy burst replaces capacity, and refill_amount defaults to it.
  EXPECT_THAT(m.entities.at("user-premium").at("gpt-4"),
              ElementsAre(Limit("rpm", 1000, 1000, 60), Limit("tpm", 150000, 150000, 60)));
}

TEST(ManifestTest, ExplicitRefillAndUnderscoreDigits) {
  const Manifest m = parse_manifest(
      "namespace: ns\nresources:\n  r: {limits: {tph: {capacity: 1_000, refill_amount: 10, "
      "refill_period: 3600}}}\n",
      "f.yaml");
  EXPECT_THAT(m.resources.at("r"), ElementsAre(Limit("tph", 1000, 10, 3600)));
}

TEST(ManifestTest, NormalisedJsonAndHashMatchPython) {
  const Manifest m = parse_manifest(kFullManifest, "limits.yaml");
  EXPECT_EQ(normalized_json(m),
            R"({"entities": {"user-premium": {"resources": {"gpt-4": {"limits": {"rpm": )"
            R"({"capacity": 1000, "refill_amount": 1000, "refill_period": 60}, "tpm": )"
            R"({"capacity": 150000, "refill_amount": 150000, "refill_period": 60}}}}}}, )"
            R"("namespace": "default", "resources": {"gpt-3.5-turbo": {"limits": {"rpm": )"
            R"({"capacity": 5000, "refill_amount": 5000, "refill_period": 60}}}, "gpt-4": )"
            R"({"limits": {"rpm": {"capacity": 500, "refill_amount": 500, "refill_period": )"
            R"(60}, "tpm": {"capacity": 50000, "refill_amount": 50000, "refill_period": 60}}}}, )"
            R"("system": {"limits": {"rpm": {"capacity": 1000, "refill_amount": 1000, )"
            R"("refill_period": 60}, "tpm": {"capacity": 100000, "refill_amount": 100000, )"
            R"("refill_period": 60}}, "on_unavailable": "block"}})");
  EXPECT_EQ(applied_hash(m),
            "sha256:f177f2ceabe84734120748f283732cffa028c70e9b9c798567590272d6be6a42");
}

TEST(ManifestTest, HashEscapesNonAsciiAsPythonDoes) {
  const Manifest m = parse_manifest(
      "namespace: \"t\\u00e9nant-\\U0001F600\\\"x\"\nentities:\n  e1:\n    resources:\n"
      "      _default_: {limits: {}}\n",
      "f.yaml");
  EXPECT_EQ(normalized_json(m),
            R"({"entities": {"e1": {"resources": {"_default_": {"limits": {}}}}}, )"
            R"("namespace": "t\u00e9nant-\ud83d\ude00\"x"})");
  EXPECT_EQ(applied_hash(m),
            "sha256:57d66a58f02e9f3e21d7de47f1b8392fc983c73f1ea366610d02bf814a6f5957");
}

TEST(ManifestTest, EmptySystemSectionIsManagedAndHashed) {
  const Manifest m = parse_manifest("namespace: default\nsystem: {}\n", "f.yaml");
  ASSERT_TRUE(m.system.has_value());
  EXPECT_EQ(normalized_json(m), R"({"namespace": "default", "system": {"limits": {}}})");
  EXPECT_EQ(applied_hash(m),
            "sha256:2526512c0f93cd103f6378edb3df992db4d69f8f0da389d3e24a850df7c1ff34");
}

TEST(ManifestTest, ManagedSetIsSorted) {
  const ProvisionerState s = managed_set(parse_manifest(kFullManifest, "f.yaml"));
  EXPECT_TRUE(s.managed_system);
  EXPECT_THAT(s.managed_resources, ElementsAre("gpt-3.5-turbo", "gpt-4"));
  EXPECT_THAT(s.managed_entities.at("user-premium"), ElementsAre("gpt-4"));
}

TEST(ManifestTest, WrittenFormKeepsFileOrderAndOnlyWrittenFields) {
  const WrittenManifest w =
      parse_written_manifest(kFullManifest, "limits.yaml", NamespaceKey::kRequired);
  EXPECT_EQ(w.namespace_name, "default");
  ASSERT_TRUE(w.system.has_value());
  EXPECT_EQ(w.system->on_unavailable, "block");
  ASSERT_TRUE(w.resources.has_value());
  // File order, not name order.
  ASSERT_EQ(w.resources->size(), 2u);
  EXPECT_EQ((*w.resources)[0].name, "gpt-4");
  EXPECT_EQ((*w.resources)[1].name, "gpt-3.5-turbo");
  EXPECT_EQ((*w.resources)[1].limits,
            (std::vector<WrittenLimit>{{.name = "rpm", .capacity = 5000, .refill_period = 60}}));
  ASSERT_TRUE(w.entities.has_value());
  const auto& premium = (*w.entities)[0];
  EXPECT_EQ(premium.id, "user-premium");
  ASSERT_TRUE(premium.resources.has_value());
  EXPECT_EQ((*premium.resources)[0].limits->at(1),
            (WrittenLimit{.name = "tpm", .capacity = 100000, .burst = 150000}));
}

TEST(ManifestTest, WrittenFormTellsAbsentFromEmpty) {
  const WrittenManifest w =
      parse_written_manifest("resources: {a: {}, b: {limits: {}}}\nentities: {e: {}}\n", "f.yaml",
                             NamespaceKey::kOptional);
  EXPECT_FALSE(w.namespace_name.has_value());
  EXPECT_FALSE(w.system.has_value());
  EXPECT_FALSE((*w.resources)[0].limits.has_value());
  EXPECT_EQ((*w.resources)[1].limits, std::vector<WrittenLimit>{});
  EXPECT_FALSE((*w.entities)[0].resources.has_value());
  // Only limits plan/apply/diff insist on the namespace.
  EXPECT_THROW(parse_written_manifest("resources: {}\n", "f.yaml", NamespaceKey::kRequired),
               ManifestError);
}

TEST(ManifestTest, PythonIsoformatOmitsAZeroFraction) {
  using namespace std::chrono;
  const TimePoint t{sys_days{2026y / 2 / 19} + 12h + 34min + 56s};
  EXPECT_EQ(python_isoformat(t), "2026-02-19T12:34:56+00:00");
  EXPECT_EQ(python_isoformat(t + 789ms), "2026-02-19T12:34:56.789000+00:00");
}

struct BadCase {
  const char* name;
  const char* yaml;
  const char* path;
  const char* problem;
};

class BadManifestTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadManifestTest, NamesFilePathAndProblem) {
  const BadCase& c = GetParam();
  try {
    (void)parse_manifest(c.yaml, "limits.yaml");
    FAIL() << "accepted: " << c.yaml;
  } catch (const ManifestError& e) {
    EXPECT_EQ(e.path(), c.path) << e.what();
    EXPECT_THAT(e.problem(), HasSubstr(c.problem)) << e.what();
    EXPECT_THAT(std::string(e.what()), ::testing::StartsWith("limits.yaml"));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadManifestTest,
    ::testing::Values(
        BadCase{"Empty", "", "", "must contain a mapping"},
        BadCase{"TopLevelList", "- a\n", "", "must contain a mapping"},
        BadCase{"SyntaxError", "namespace: a\n  b: [\n", "", "invalid YAML"},
        BadCase{"TwoDocuments", "namespace: a\n---\nnamespace: b\n", "", "more than one"},
        BadCase{"NoNamespace", "resources: {}\n", "", "'namespace' is required"},
        BadCase{"EmptyNamespace", "namespace: ''\n", "namespace", "must not be empty"},
        BadCase{"BooleanNamespace", "namespace: yes\n", "namespace", "boolean"},
        BadCase{"ReservedNamespace", "namespace: _\n", "namespace", "reserved"},
        BadCase{"UnknownTopKey", "namespace: a\nresource: {}\n", "resource", "unknown key"},
        BadCase{"DuplicateKey", "namespace: a\nnamespace: b\n", "namespace", "duplicate"},
        BadCase{"NullSection", "namespace: a\nsystem:\n", "system", "must be a mapping"},
        BadCase{"ScalarSection", "namespace: a\nresources: 5\n", "resources", "must be a mapping"},
        BadCase{"UnknownSystemKey", "namespace: a\nsystem: {limit: {}}\n", "system.limit",
                "unknown key"},
        BadCase{"BadOnUnavailable", "namespace: a\nsystem: {on_unavailable: maybe}\n",
                "system.on_unavailable", "allow or block"},
        BadCase{"MissingCapacity", "namespace: a\nresources: {r: {limits: {rpm: {burst: 5}}}}\n",
                "resources.r.limits.rpm", "'capacity' is required"},
        BadCase{"NegativeCapacity",
                "namespace: a\nresources: {gpt-4: {limits: {rpm: {capacity: -5}}}}\n",
                "resources.gpt-4.limits.rpm.capacity", "positive integer"},
        BadCase{"ZeroPeriod",
                "namespace: a\nresources: {r: {limits: {rpm: {capacity: 5, refill_period: 0}}}}\n",
                "resources.r.limits.rpm.refill_period", "positive integer"},
        BadCase{"QuotedNumber", "namespace: a\nresources: {r: {limits: {rpm: {capacity: '5'}}}}\n",
                "resources.r.limits.rpm.capacity", "quoted string"},
        BadCase{"FloatNumber", "namespace: a\nresources: {r: {limits: {rpm: {capacity: 1.5}}}}\n",
                "resources.r.limits.rpm.capacity", "float"},
        BadCase{"OctalNumber", "namespace: a\nresources: {r: {limits: {rpm: {capacity: 010}}}}\n",
                "resources.r.limits.rpm.capacity", "decimal"},
        BadCase{"TooLarge",
                "namespace: a\nresources: {r: {limits: {rpm: {capacity: 99999999999999999999}}}}\n",
                "resources.r.limits.rpm.capacity", "at most"},
        BadCase{"UnknownLimitField",
                "namespace: a\nresources: {r: {limits: {rpm: {capacity: 5, rate: 1}}}}\n",
                "resources.r.limits.rpm.rate", "unknown key"},
        BadCase{"ReservedLimitName",
                "namespace: a\nresources: {r: {limits: {wcu: {capacity: 1}}}}\n",
                "resources.r.limits.wcu", "reserved"},
        BadCase{"BadResourceName", "namespace: a\nresources: {_x: {limits: {}}}\n", "resources._x",
                "must start with a letter"},
        BadCase{"BadEntityId", "namespace: a\nentities: {'bad id': {}}\n", "entities.bad id",
                "must start with a letter or digit"},
        BadCase{"BooleanKey", "namespace: a\nentities: {on: {}}\n", "entities.on", "quote it"},
        BadCase{"TimestampKey", "namespace: a\nentities: {2024-01-01: {}}\n", "entities.2024-01-01",
                "reads this key as a timestamp"},
        BadCase{"EntityUnknownKey", "namespace: a\nentities: {e1: {limits: {}}}\n",
                "entities.e1.limits", "unknown key"},
        BadCase{"ExplicitTag",
                "namespace: a\nresources: {r: {limits: {rpm: {capacity: !!int '5'}}}}\n",
                "resources.r.limits.rpm.capacity", "tags"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace zae::manifest
