// SPDX-License-Identifier: MIT
// Runs the built zae-limiter binary and checks exit codes and output.

#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/cli_runner.h"

namespace zae::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(CliTest, VersionFlagPrintsVersion) {
  const RunResult r = run_cli("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("zae-limiter, version "));
}

TEST(CliTest, MissingSubcommandIsUsageError) {
  const RunResult r = run_cli("");
  EXPECT_EQ(r.exit_code, 2);
}

TEST(CliTest, UnknownOptionIsUsageError) {
  const RunResult r = run_cli("demo --no-such-flag");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("no-such-flag"));
}

TEST(CliTest, UnknownStoreSchemeGetsOneLineError) {
  const RunResult r = run_cli("--store redis://localhost demo --duration 0.2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(line_count(r.output), 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("store"));
  EXPECT_THAT(r.output, HasSubstr("redis"));
}

TEST(CliTest, InvalidLimitStringGetsOneLineError) {
  const RunResult r = run_cli("demo -l rpm:100/week --duration 0.2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(line_count(r.output), 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Invalid period"));
}

TEST(CliTest, InvalidLimitValueGetsOneLineError) {
  const RunResult r = run_cli("demo -l rpm:0 --duration 0.2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(line_count(r.output), 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("positive"));
}

TEST(CliTest, InvalidIdentifierGetsOneLineError) {
  const RunResult r = run_cli("demo --project 'bad id' --duration 0.2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(line_count(r.output), 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("project"));
}

TEST(CliTest, BadThreadCountIsRejected) {
  const RunResult r = run_cli("demo --threads 0");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("threads"));
}

TEST(CliTest, DemoRunsAndPassesItsChecks) {
  const RunResult r = run_cli("demo --threads 3 --duration 1.5 --seed 42");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("All checks passed."));
  EXPECT_THAT(r.output, HasSubstr("key-alpha"));
  EXPECT_THAT(r.output, HasSubstr("key-delta"));
  EXPECT_THAT(r.output, HasSubstr("proj-demo (cascaded)"));
  EXPECT_THAT(r.output, Not(HasSubstr("VIOLATION")));
}

TEST(CliTest, DemoOnAGivenStoreRunsTwiceInSeparateNamespaces) {
  TempDir dir;
  const std::string uri = "sqlite://" + (dir.path() / "shared.db").string();
  for (int run = 0; run < 2; ++run) {
    const RunResult r = run_cli("--store " + uri + " demo --threads 2 --duration 0.7");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("All checks passed."));
  }
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "shared.db"));
}

// ---- data commands on an SQLite file --------------------------------------------------------

class CliDataTest : public ::testing::Test {
 protected:
  RunResult zae(const std::string& args, const std::string& input = "") {
    return run_cli("--store sqlite://" + (dir_.path() / "cli.db").string() + " " + args, input);
  }
  TempDir dir_;
};

TEST_F(CliDataTest, EntityLifecycleWithStoredLimits) {
  RunResult r = zae("entity create proj-1 --display-name Production");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Created entity 'proj-1'"));
  EXPECT_THAT(r.output, HasSubstr("Name:    Production"));

  r = zae("entity create key-1 --parent proj-1 --cascade --metadata tier=gold");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Cascade: True"));

  r = zae("entity show key-1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Parent:     proj-1"));
  EXPECT_THAT(r.output, HasSubstr("Metadata:   {'tier': 'gold'}"));

  r = zae("entity show key-1 --output json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr(R"("entity_id":"key-1")"));
  EXPECT_THAT(r.output, HasSubstr(R"("parent_id":"proj-1","cascade":true)"));
  EXPECT_THAT(r.output, HasSubstr(R"("metadata":{"tier":"gold"})"));

  r = zae("entity set-limits proj-1 -l rpm:100 -l tpm:10000:15000 -r gpt-4");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Set 2 limit(s) for entity 'proj-1' on resource 'gpt-4':"));
  EXPECT_THAT(r.output, HasSubstr("  tpm: 10,000/min (burst: 15,000)"));

  r = zae("entity get-limits proj-1 -r gpt-4 --output json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr(R"({"name":"tpm","capacity":15000,"refill_amount":10000,)"
                                  R"("refill_period_seconds":60})"));

  r = zae("entity list --with-custom-limits gpt-4");
  EXPECT_EQ(r.output, "proj-1\n");
  r = zae("entity list-resources");
  EXPECT_THAT(r.output, HasSubstr("  gpt-4"));

  r = zae("entity show nobody");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("Entity 'nobody' not found"));

  r = zae("entity create proj-1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("already exists"));

  r = zae("audit list -e proj-1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("limits_set"));
  EXPECT_THAT(r.output, HasSubstr("entity_created"));
  EXPECT_THAT(r.output, HasSubstr("Total: 2 events"));

  r = zae("entity delete-limits proj-1 -r gpt-4 --yes");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = zae("entity get-limits proj-1 -r gpt-4");
  EXPECT_THAT(r.output, HasSubstr("No limits configured for entity 'proj-1' on resource 'gpt-4'"));
}

TEST_F(CliDataTest, ResourceAndSystemDefaults) {
  RunResult r = zae("resource set-defaults gpt-4 -l rpm:60 -l tpm:6000/min");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Set 2 default(s) for resource 'gpt-4':"));
  r = zae("resource list");
  EXPECT_THAT(r.output, HasSubstr("Resources with configured defaults:\n  gpt-4"));
  r = zae("resource get-defaults gpt-4");
  EXPECT_THAT(r.output, HasSubstr("  rpm: 60/min"));

  r = zae("system set-defaults -l rpm:1000 --on-unavailable allow");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("  on_unavailable: allow"));
  r = zae("system get-defaults --output json");
  EXPECT_THAT(r.output, HasSubstr(R"("on_unavailable":"allow")"));

  r = zae("audit list -e '$SYSTEM' --output json");
  EXPECT_THAT(r.output, HasSubstr(R"("action":"limits_set")"));

  r = zae("resource delete-defaults gpt-4 --yes");
  EXPECT_THAT(r.output, HasSubstr("Deleted defaults for resource 'gpt-4'"));
  r = zae("resource get-defaults gpt-4");
  EXPECT_THAT(r.output, HasSubstr("No defaults configured for resource 'gpt-4'"));
}

TEST_F(CliDataTest, ConfirmationPrompts) {
  ASSERT_EQ(zae("system set-defaults -l rpm:10").exit_code, 0);
  RunResult r = run_cli(
      "--store sqlite://" + (dir_.path() / "cli.db").string() + " system delete-defaults", "n\\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("Cancelled"));
  EXPECT_THAT(zae("system get-defaults").output, HasSubstr("rpm: 10/min"));

  r = zae("system delete-defaults < /dev/null");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("Aborted!"));
  EXPECT_THAT(zae("system get-defaults").output, HasSubstr("rpm: 10/min"));
}

TEST_F(CliDataTest, AcquireExitCodesAndStatuses) {
  // Per-day limits: no token refills between the commands, however slow the machine.
  const std::string limits = " -l rpm:2/day -l tpm:1000/day";
  RunResult r = zae("acquire key-1 gpt-4 --consume rpm=1 --consume tpm=600" + limits);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Admitted: key-1/gpt-4"));
  EXPECT_THAT(r.output, HasSubstr("tpm: consumed 600, available 400"));

  r = zae("acquire key-1 gpt-4 --consume rpm=1 --consume tpm=600" + limits);
  EXPECT_EQ(r.exit_code, 5) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Rate limit exceeded for key-1/gpt-4: [tpm]"));
  EXPECT_THAT(r.output, HasSubstr("Retry-After:"));

  r = zae("acquire key-1 gpt-4 --consume rpm=1 --consume tpm=600 --output json" + limits);
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_THAT(r.output, HasSubstr(R"("error":"rate_limit_exceeded")"));

  // An adjustment is written before the lease commits: used more than estimated.
  r = zae("acquire key-2 gpt-4 --consume tpm=100 --adjust tpm=250" + limits);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = zae("available key-2 gpt-4 --output json" + limits);
  EXPECT_THAT(r.output, HasSubstr(R"("available":{"rpm":2,"tpm":650})"));
}

TEST_F(CliDataTest, BadInputIsOneLineAndExitTwo) {
  for (const std::string args :
       {"entity create 'bad id'", "entity set-limits k -l rpm:100/week",
        "resource set-defaults 9bad -l rpm:1", "acquire k gpt-4 --consume tpm=abc -l tpm:10",
        "acquire k gpt-4 --consume tpm=-5 -l tpm:10", "acquire k gpt-4 --consume nope=1 -l tpm:10",
        "system set-defaults -l wcu:5"}) {
    const RunResult r = zae(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    EXPECT_EQ(line_count(r.output), 1) << args << ": " << r.output;
  }
  EXPECT_EQ(zae("system set-defaults -l rpm:5 --on-unavailable maybe").exit_code, 2);
  EXPECT_EQ(zae("entity set-limits k").exit_code, 2);  // -l is required
}

TEST_F(CliDataTest, NamespacesAreIsolated) {
  ASSERT_EQ(zae("-N tenant-a entity create shared-id").exit_code, 0);
  EXPECT_EQ(zae("-N tenant-b entity show shared-id").exit_code, 1);
  EXPECT_EQ(zae("-N tenant-a entity show shared-id").exit_code, 0);
  EXPECT_EQ(zae("entity show shared-id").exit_code, 1);  // the default namespace
}

}  // namespace
}  // namespace zae::test
