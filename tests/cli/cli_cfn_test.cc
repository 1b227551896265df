// SPDX-License-Identifier: MIT
// `zae-limiter cfn-template` (spec/cli.md §3.5) and `limits cfn-template` (§10.4) end to end,
// and `loadtest` (§12, not ported). The DynamoDB test creates a table from the template's
// definition on DynamoDB Local (ZAE_TEST_DYNAMODB_ENDPOINT; skipped when unset) and runs the
// follow-up step the template's help documents.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "aws/curl_transport.h"
#include "aws/dynamodb_client.h"
#include "cli/cli_runner.h"
#include "dynamodb/provisioning.h"
#include "dynamodb/table_admin.h"
#include "support/cfn_table.h"
#include "support/yaml_tree.h"

namespace zae::test {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The binary's version, as its tags carry it.
std::string client_version() {
  const RunResult r = run_cli("--version");
  const std::string prefix = "zae-limiter, version ";
  EXPECT_THAT(r.output, StartsWith(prefix));
  return r.output.substr(prefix.size(), r.output.size() - prefix.size() - 1);
}

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// What deploy sends for `name` with no --tag (src/cli/infra_commands.cc).
aws::CreateTableRequest deployed_table(const std::string& name) {
  return dynamodb::table_definition(
      name, dynamodb::merge_tags({}, dynamodb::discovery_tags(name, client_version())));
}

TEST(CliCfnTemplateTest, TableIsTheOneDeployCreates) {
  const RunResult r = run_cli("cfn-template");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // spec/cli.md §3.5: the text (ending in a newline) followed by one newline.
  EXPECT_THAT(r.output, EndsWith("\n\n"));
  EXPECT_THAT(r.output, StartsWith("AWSTemplateFormatVersion: '2010-09-09'\n"));
  const YamlTree doc = parse_yaml(r.output);
  expect_same_table(table_from_template(doc, "my-app"), deployed_table("my-app"));
  EXPECT_EQ(doc.at("Parameters").at("TableName").at("Default").scalar, "zae-limiter");
}

TEST(CliCfnTemplateTest, OutputFileIsWrittenVerbatimAndOverwritten) {
  TempDir dir;
  const std::filesystem::path path = dir.path() / "t.yaml";
  std::ofstream(path) << "old content that is longer than nothing\n";
  const RunResult r = run_cli("cfn-template -o " + path.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "✓ Template exported to: " + path.string() + "\n");
  const std::string text = read(path);
  EXPECT_EQ(text + "\n", run_cli("cfn-template").output);
  EXPECT_THAT(text, Not(HasSubstr("old content")));

  const std::filesystem::path other = dir.path() / "u.yaml";
  EXPECT_EQ(run_cli("cfn-template --output " + other.string()).exit_code, 0);
  EXPECT_EQ(read(other), text);
}

TEST(CliCfnTemplateTest, UnwritablePathFailsAndCreatesNothing) {
  TempDir dir;
  const std::filesystem::path path = dir.path() / "missing-dir" / "t.yaml";
  const RunResult r = run_cli("cfn-template -o " + path.string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output,
            "✗ Failed to export template: " + path.string() + ": No such file or directory\n");
  EXPECT_FALSE(std::filesystem::exists(path.parent_path()));
}

TEST(CliCfnTemplateTest, HelpHasAnExampleAndTheFollowUpStep) {
  const RunResult r = run_cli("cfn-template --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("Example: zae-limiter cfn-template -o zae-limiter.yaml"));
  EXPECT_THAT(r.output, HasSubstr("zae-limiter deploy --name"));
}

// ---- limits cfn-template ---------------------------------------------------------------------

constexpr const char* kManifest = R"(namespace: tenant-a
system:
  on_unavailable: allow
  limits:
    rpm: {capacity: 1000, refill_amount: 100}
resources:
  gpt-4:
    limits:
      tpm: {capacity: 50000, burst: 60000, refill_period: 30}
  embeddings: {}
entities:
  user-premium:
    resources:
      gpt-4:
        limits:
          rpm: {capacity: 2000}
)";

// PyYAML's dump of the structure of spec/cli.md §10.4, plus the CLI's extra newline.
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
        OnUnavailable: allow
        Limits:
          rpm:
            Capacity: 1000
            RefillAmount: 100
      Resources:
        gpt-4:
          Limits:
            tpm:
              Capacity: 50000
              RefillPeriod: 30
        embeddings:
          Limits: {}
      Entities:
        user-premium:
          Resources:
            gpt-4:
              Limits:
                rpm:
                  Capacity: 2000

)";

class CliLimitsTemplateTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = (dir_.path() / name).string();
    std::ofstream(path) << text;
    return path;
  }
  // The exit code and what went to stdout: stderr goes to a file, and the trailing `#` makes
  // the shell ignore the 2>&1 run_cli appends.
  RunResult stdout_of(const std::string& args) {
    return run_cli(args + " 2>" + (dir_.path() / "stderr.txt").string() + " #");
  }
  TempDir dir_;
};

TEST_F(CliLimitsTemplateTest, PrintsTheCustomResource) {
  const RunResult r = run_cli("limits cfn-template --name my-app -f " + write("m.yaml", kManifest));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, kExpected);
  // -n after the subcommand, as the original writes it.
  EXPECT_EQ(run_cli("limits cfn-template -f " + write("n.yaml", kManifest) + " -n my-app").output,
            kExpected);
}

TEST_F(CliLimitsTemplateTest, InvalidManifestNamesFileAndPath) {
  const std::string bad =
      write("bad.yaml",
            "namespace: default\nresources:\n  gpt-4:\n    limits:\n      rpm: {capacity: -5}\n");
  const RunResult r = run_cli("limits cfn-template -n my-app -f " + bad);
  EXPECT_EQ(r.exit_code, 2);
  // The same message and exit code as limits plan.
  EXPECT_EQ(r.output, run_cli("--store sqlite://" + (dir_.path() / "z.db").string() +
                              " limits plan -f " + bad)
                          .output);
  EXPECT_EQ(r.output, "Error: " + bad +
                          ":5:23: resources.gpt-4.limits.rpm.capacity: must be a positive "
                          "integer, got -5\n");
  const RunResult out = stdout_of("limits cfn-template -n my-app -f " + bad);
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_EQ(out.output, "");
}

TEST_F(CliLimitsTemplateTest, NamespaceDefaultsToDefault) {
  const RunResult r = run_cli("limits cfn-template -n z -f " +
                              write("m.yaml", "resources:\n  r: {limits: {rpm: {capacity: 5}}}\n"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Description: Declarative limits for namespace 'default'\n"));
  EXPECT_THAT(r.output, HasSubstr("      Namespace: default\n"));
  EXPECT_THAT(r.output, Not(HasSubstr("System")));
  EXPECT_THAT(r.output, Not(HasSubstr("Entities")));
}

TEST_F(CliLimitsTemplateTest, NameAndFileAreRequired) {
  const std::string file = write("m.yaml", kManifest);
  RunResult r = stdout_of("limits cfn-template -f " + file);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.output, "");
  EXPECT_THAT(run_cli("limits cfn-template -f " + file).output, HasSubstr("--name NAME"));
  EXPECT_EQ(run_cli("limits cfn-template -n my-app").exit_code, 2);
  EXPECT_EQ(
      run_cli("limits cfn-template -n my-app -f " + (dir_.path() / "none.yaml").string()).exit_code,
      2);
  r = run_cli("limits cfn-template -n my_app -f " + file);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("underscore"));
}

TEST_F(CliLimitsTemplateTest, HelpSaysWhatServesTheResource) {
  const RunResult r = run_cli("limits cfn-template --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("Example: zae-limiter limits cfn-template --name my-app -f"));
  EXPECT_THAT(r.output, HasSubstr("provisioner Lambda"));
  EXPECT_THAT(r.output, HasSubstr("zae-limiter limits apply -f FILE"));
}

// ---- loadtest -------------------------------------------------------------------------------

TEST(CliLoadtestTest, PointsToBench) {
  for (const std::string args : {"loadtest", "loadtest --help", "loadtest run --users 5"}) {
    const RunResult r = run_cli(args);
    EXPECT_EQ(r.exit_code, 1) << args << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr("not part of the C++ port")) << args;
    EXPECT_THAT(r.output, HasSubstr("zae-limiter bench")) << args;
  }
}

// ---- on DynamoDB Local -------------------------------------------------------------------------

TEST(CliCfnTemplateDynamoDbTest, DeployCompletesATableCreatedFromTheTemplate) {
  const char* endpoint = std::getenv("ZAE_TEST_DYNAMODB_ENDPOINT");
  if (endpoint == nullptr || *endpoint == '\0') {
    GTEST_SKIP() << "ZAE_TEST_DYNAMODB_ENDPOINT is not set (make test starts DynamoDB Local)";
  }
  ::setenv("AWS_ACCESS_KEY_ID", "test", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "test", 1);
  ::unsetenv("ZAEL_STORE");
  auto client = std::make_shared<aws::DynamoDbClient>(aws::DynamoDbClientConfig{
      .endpoint = endpoint,
      .region = "us-east-1",
      .credentials = aws::static_credentials({"test", "test", ""}),
      .transport = std::make_shared<aws::CurlTransport>(),
  });
  const std::string pid = std::to_string(::getpid());
  const YamlTree doc = parse_yaml(run_cli("cfn-template").output);

  // What CloudFormation creates: the table of the template, no items.
  const auto create_bare = [&](const std::string& table) {
    aws::CreateTableRequest request = table_from_template(doc, table);
    request.tags.clear();  // DynamoDB Local does not implement tagging
    (void)client->create_table(request);
    (void)dynamodb::wait_until_active(*client, table, std::chrono::seconds(60),
                                      std::chrono::milliseconds(100));
    EXPECT_FALSE(dynamodb::read_version_record(*client, table).has_value());
  };
  const auto zae = [&](const std::string& table, const std::string& args) {
    return run_cli("--endpoint-url " + std::string(endpoint) + " --region us-east-1 --name " +
                   table + " " + args);
  };

  // The documented follow-up: deploy accepts the existing table and writes the items.
  const std::string table = "cli-cfn-" + pid;
  create_bare(table);
  RunResult r = zae(table, "check");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Result: NOT INITIALIZED"));
  r = zae(table, "deploy");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("✓ Table already exists (ACTIVE)"));
  EXPECT_THAT(r.output, HasSubstr("✓ Version record initialized (schema 0.10.0)"));
  EXPECT_THAT(r.output, HasSubstr("✓ Default namespace registered"));
  r = zae(table, "check");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Result: COMPATIBLE"));
  EXPECT_THAT(zae(table, "namespace list").output, HasSubstr("| default "));
  r = zae(table, "resource set-defaults gpt-4 -l rpm:100");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(zae(table, "resource get-defaults gpt-4").output, HasSubstr("rpm: 100/min"));
  EXPECT_EQ(zae(table, "delete --yes").exit_code, 0);

  // Without the step, the library's first use writes the version record and the namespace.
  const std::string first_use = "cli-cfn-first-" + pid;
  create_bare(first_use);
  r = zae(first_use, "resource set-defaults gpt-4 -l rpm:100");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(dynamodb::read_version_record(*client, first_use).has_value());
  EXPECT_TRUE(dynamodb::read_namespace(*client, first_use, "default").has_value());
  EXPECT_THAT(zae(first_use, "check").output, HasSubstr("Result: COMPATIBLE"));
  EXPECT_EQ(zae(first_use, "delete --yes").exit_code, 0);
}

}  // namespace
}  // namespace zae::test
