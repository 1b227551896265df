// SPDX-License-Identifier: MIT
// `zae-limiter aggregator run` end to end: input errors always; on DynamoDB Local (when
// ZAE_TEST_DYNAMODB_ENDPOINT is set) a missing table, and a run stopped by SIGTERM with exit 0.
#include <cstdlib>
#include <random>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/cli_runner.h"

namespace zae::test {
namespace {

using ::testing::HasSubstr;

TEST(CliAggregatorTest, BadInputIsAUsageError) {
  RunResult r =
      run_cli("aggregator run --name t --endpoint-url http://127.0.0.1:9 --windows weekly");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("unknown window 'weekly'"));
  r = run_cli("aggregator run --store sqlite::memory:");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("DynamoDB table's stream"));
  r = run_cli("aggregator run --name t --batch-size 0");
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

class CliAggregatorDynamoDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* endpoint = std::getenv("ZAE_TEST_DYNAMODB_ENDPOINT");
    if (endpoint == nullptr || *endpoint == '\0') {
      GTEST_SKIP() << "ZAE_TEST_DYNAMODB_ENDPOINT is not set";
    }
    endpoint_ = endpoint;
    table_ = "zae-cli-agg-" + std::to_string(std::random_device{}() % 1000000);
  }
  std::string store() const { return "--name " + table_ + " --endpoint-url " + endpoint_; }

  std::string endpoint_;
  std::string table_;
};

TEST_F(CliAggregatorDynamoDbTest, MissingTableExitsWithTableNotFound) {
  const RunResult r = run_cli("aggregator run " + store());
  EXPECT_EQ(r.exit_code, 4) << r.output;
}

TEST_F(CliAggregatorDynamoDbTest, SigtermStopsItCleanlyWithExitZero) {
  ASSERT_EQ(run_cli("deploy " + store()).exit_code, 0);
  ASSERT_EQ(run_cli("acquire user-1 gpt-4 -l rpm:100/min --consume rpm=1 " + store()).exit_code, 0);
  // The binary in the background, SIGTERM after 3 s; the shell prints its exit status.
  const RunResult r = run_cli("aggregator run --poll-interval 0.2 --metrics-interval 1 " + store() +
                              " & pid=$!; sleep 3; kill -TERM $pid; wait $pid; echo \"exit=$?\"");
  EXPECT_THAT(r.output, HasSubstr("Aggregating the stream of table '" + table_ + "'"));
  EXPECT_THAT(r.output, HasSubstr("records="));
  EXPECT_THAT(r.output, HasSubstr("Stopped: records="));
  EXPECT_THAT(r.output, HasSubstr("exit=0"));
  (void)run_cli("delete --yes " + store());
}

}  // namespace
}  // namespace zae::test
