// SPDX-License-Identifier: MIT
// `zae-limiter limits plan|apply|diff` end to end on a SQLite file (spec/cli.md §10, §14);
// limits cfn-template is in cli_cfn_test.cc.

#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/cli_runner.h"

namespace zae::test {
namespace {

using ::testing::HasSubstr;

constexpr const char* kManifest = R"(namespace: default
system:
  on_unavailable: block
  limits:
    rpm: {capacity: 1000}
resources:
  gpt-4:
    limits:
      rpm: {capacity: 500}
  gpt-3.5-turbo:
    limits:
      rpm: {capacity: 5000}
entities:
  user-premium:
    resources:
      gpt-4:
        limits:
          tpm: {capacity: 100000, burst: 150000}
)";

class CliLimitsTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = (dir_.path() / name).string();
    std::ofstream(path) << text;
    return path;
  }
  RunResult run(const std::string& args, const std::string& input = "") {
    return run_cli("--store sqlite://" + (dir_.path() / "z.db").string() + " " + args, input);
  }

  TempDir dir_;
};

TEST_F(CliLimitsTest, PlanListsCreatesSortedByName) {
  const std::string file = write("m.yaml", kManifest);
  const RunResult r = run("limits plan -f " + file);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output,
            "Plan: 4 change(s)\n\n"
            "  + create system: (system defaults)\n"
            "  + create resource: gpt-3.5-turbo\n"
            "  + create resource: gpt-4\n"
            "  + create entity: user-premium/gpt-4\n");
}

TEST_F(CliLimitsTest, ApplyWritesAndReapplyIsANoOp) {
  const std::string file = write("m.yaml", kManifest);
  const RunResult applied = run("limits apply -f " + file + " --yes");
  EXPECT_EQ(applied.exit_code, 0) << applied.output;
  EXPECT_THAT(applied.output, HasSubstr("  + create resource: gpt-4\n"));
  EXPECT_THAT(applied.output, HasSubstr("\nApplied: 4 created, 0 updated, 0 deleted.\n"));

  const RunResult limits = run("entity get-limits user-premium -r gpt-4");
  EXPECT_THAT(limits.output, HasSubstr("tpm: 150,000/min"));
  const RunResult system = run("system get-defaults");
  EXPECT_THAT(system.output, HasSubstr("on_unavailable: block"));

  const RunResult again = run("limits apply -f " + file + " --yes");
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(again.output, "No changes. Infrastructure is up-to-date.\n");
  EXPECT_EQ(run("limits plan -f " + file).output, "No changes. Infrastructure is up-to-date.\n");
  EXPECT_EQ(run("limits diff -f " + file).output, "No drift detected. Live state matches YAML.\n");
}

TEST_F(CliLimitsTest, DiffReportsOutOfBandChanges) {
  const std::string file = write("m.yaml", kManifest);
  ASSERT_EQ(run("limits apply -f " + file + " --yes").exit_code, 0);
  ASSERT_EQ(run("resource set-defaults gpt-4 -l rpm:7").exit_code, 0);
  const RunResult diff = run("limits diff -f " + file);
  EXPECT_EQ(diff.exit_code, 0);
  EXPECT_EQ(diff.output, "Drift detected: 1 difference(s)\n\n  ~ resource: gpt-4\n");
  const RunResult json = run("limits plan -f " + file + " --output json");
  EXPECT_EQ(json.output,
            "{\"status\":\"planned\",\"changes\":[{\"action\":\"update\",\"level\":\"resource\","
            "\"target\":\"gpt-4\"}]}\n");
  EXPECT_THAT(run("limits apply -f " + file + " --yes").output,
              HasSubstr("Applied: 0 created, 1 updated, 0 deleted."));
  EXPECT_THAT(run("resource get-defaults gpt-4").output, HasSubstr("rpm: 500/min"));
}

TEST_F(CliLimitsTest, RemovedEntriesAreDeleted) {
  ASSERT_EQ(run("limits apply -f " + write("m.yaml", kManifest) + " --yes").exit_code, 0);
  const std::string smaller = write(
      "s.yaml", "namespace: default\nresources:\n  gpt-4: {limits: {rpm: {capacity: 500}}}\n");
  const RunResult r = run("limits apply -f " + smaller + " --yes");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output,
            "  - delete system: (system defaults)\n"
            "  - delete resource: gpt-3.5-turbo\n"
            "  - delete entity: user-premium/gpt-4\n"
            "\nApplied: 0 created, 0 updated, 3 deleted.\n");
  EXPECT_THAT(run("resource get-defaults gpt-3.5-turbo").output,
              HasSubstr("No defaults configured"));
  EXPECT_THAT(run("entity get-limits user-premium -r gpt-4").output,
              HasSubstr("No limits configured"));
  EXPECT_THAT(run("system get-defaults").output, HasSubstr("No system defaults configured"));
}

TEST_F(CliLimitsTest, ApplyAsksUnlessYes) {
  const std::string file = write("m.yaml", kManifest);
  const RunResult refused = run("limits apply -f " + file, "n\\n");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.output, HasSubstr("Apply 4 change(s) to namespace 'default'"));
  EXPECT_THAT(refused.output, HasSubstr("Aborted!"));
  EXPECT_THAT(run("limits plan -f " + file).output, HasSubstr("Plan: 4 change(s)"));
  const RunResult accepted = run("limits apply -f " + file, "y\\n");
  EXPECT_EQ(accepted.exit_code, 0) << accepted.output;
  EXPECT_THAT(accepted.output, HasSubstr("Applied: 4 created"));
}

TEST_F(CliLimitsTest, BadManifestExitsTwoAndWritesNothing) {
  const std::string bad =
      write("bad.yaml",
            "namespace: default\nresources:\n  gpt-4:\n    limits:\n      rpm: {capacity: -5}\n");
  const RunResult r = run("limits apply -f " + bad + " --yes");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(line_count(r.output), 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("bad.yaml:5:23: resources.gpt-4.limits.rpm.capacity: must be a "
                                  "positive integer, got -5"));
  // The store was never opened, so not even the database file exists.
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "z.db"));

  const RunResult unknown =
      run("limits plan -f " + write("u.yaml", "namespace: default\nresource: {}\n"));
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.output, HasSubstr("resource: unknown key"));
  EXPECT_EQ(run("limits plan -f " + (dir_.path() / "missing.yaml").string()).exit_code, 2);
}

TEST_F(CliLimitsTest, ManifestNamespaceWinsOverDashN) {
  const std::string file = write("t.yaml",
                                 "namespace: tenant-a\nresources:\n  gpt-4: {limits: "
                                 "{rpm: {capacity: 9}}}\n");
  ASSERT_EQ(run("-N other limits apply -f " + file + " --yes").exit_code, 0);
  EXPECT_THAT(run("-N tenant-a resource get-defaults gpt-4").output, HasSubstr("rpm: 9/min"));
  EXPECT_THAT(run("-N other resource get-defaults gpt-4").output,
              HasSubstr("No defaults configured"));
}

}  // namespace
}  // namespace zae::test
