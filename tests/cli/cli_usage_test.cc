// SPDX-License-Identifier: MIT
// `usage list` and `usage summary` end to end (spec/cli.md §5): on SQLite after `acquire` calls
// that record usage, and on DynamoDB Local (ZAE_TEST_DYNAMODB_ENDPOINT; skipped when unset) over
// snapshot items written raw, as the aggregator writes them.

#include <cstdlib>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "aws/curl_transport.h"
#include "aws/dynamodb_client.h"
#include "cli/cli_runner.h"
#include "dynamodb/dynamodb_connection.h"
#include "dynamodb/keys.h"

namespace zae::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class CliUsageSqliteTest : public ::testing::Test {
 protected:
  void SetUp() override { ::unsetenv("ZAEL_STORE"); }
  RunResult zae(const std::string& args) {
    return run_cli("--store sqlite://" + (dir_.path() / "u.db").string() + " " + args);
  }
  void acquire(const std::string& entity, const std::string& resource, const std::string& tpm) {
    const RunResult r =
        zae("acquire " + entity + " " + resource + " --consume rpm=1 --consume tpm=" + tpm +
            " -l rpm:100/min -l tpm:100000/min");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  TempDir dir_;
};

TEST_F(CliUsageSqliteTest, ListsWhatAcquireRecorded) {
  acquire("key-1", "gpt-4", "500");
  acquire("key-1", "gpt-4", "700");
  acquire("key-2", "gpt-4", "40");
  RunResult r = zae("usage list -e key-1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, StartsWith("\nUsage Snapshots\n\n+-"));
  EXPECT_THAT(
      r.output,
      HasSubstr("| Window Start         | Type    | Resource | Entity | Events | Counters"));
  EXPECT_THAT(r.output, HasSubstr("| hourly  | gpt-4    | key-1  | 2      | rpm=2, tpm=1,200 |"));
  EXPECT_THAT(r.output, HasSubstr("| daily   | gpt-4    | key-1  | 2      | rpm=2, tpm=1,200 |"));
  EXPECT_THAT(r.output, HasSubstr("\n\nTotal: 3 snapshots\n"));
  EXPECT_THAT(r.output, Not(HasSubstr("More snapshots exist")));

  r = zae("usage list -r gpt-4 -w hourly --output json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"entity_id\":\"key-2\",\"resource\":\"gpt-4\","
                                  "\"window\":\"hourly\",\"window_start\":\""));
  EXPECT_THAT(r.output, HasSubstr("\"total_events\":1,\"counters\":{\"rpm\":1,\"tpm\":40}}"));
  EXPECT_THAT(r.output, HasSubstr("\"count\":2,\"next_key\":null}"));

  r = zae("usage list -e key-1 --plot");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\nUsage Plot: gpt-4 ("));
  EXPECT_THAT(r.output, HasSubstr("Entity: key-1\n" + std::string(80, '=') + "\n"));
  EXPECT_THAT(r.output, HasSubstr("RPM"));
  EXPECT_THAT(r.output, HasSubstr("Data points: 3\n\nTotal: 3 snapshots\n"));
}

TEST_F(CliUsageSqliteTest, PagesWithTheKeyItPrints) {
  acquire("key-1", "gpt-4", "500");
  RunResult r = zae("usage list -e key-1 -l 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Total: 1 snapshots\n\nMore snapshots exist. Use pagination "
                                  "to see more.\nNext page: --next-key "));
  std::string key = r.output.substr(r.output.rfind(' ') + 1);
  key.pop_back();  // the newline
  r = zae("usage list -e key-1 -l 5 --next-key " + key);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Total: 2 snapshots\n"));
  r = zae("usage list -e key-2 --next-key " + key);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("Error: Invalid next_key"));
}

TEST_F(CliUsageSqliteTest, SummarizesEverySnapshot) {
  acquire("key-1", "gpt-4", "500");
  acquire("key-1", "gpt-4", "1000");
  RunResult r = zae("usage summary -e key-1 -r gpt-4 -w hourly");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, StartsWith("\nUsage Summary\n\nEntity:     key-1\nResource:   gpt-4\n"
                                   "Window:     hourly\nSnapshots:  1\nTime Range: "));
  EXPECT_THAT(r.output, HasSubstr("| Limit | Total | Average  |\n"));
  EXPECT_THAT(r.output, HasSubstr("| rpm   |     2 |     2.00 |\n"
                                  "| tpm   | 1,500 | 1,500.00 |\n"));
  r = zae("usage summary -r gpt-4 --output json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"snapshot_count\":3"));
  EXPECT_THAT(r.output, HasSubstr("\"total\":{\"rpm\":6,\"tpm\":4500}"));
}

TEST_F(CliUsageSqliteTest, EmptyResultsAndFailures) {
  RunResult r = zae("usage list -e nobody");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "No usage snapshots found\n");
  r = zae("usage list -e nobody --plot");
  EXPECT_EQ(r.output, "No usage snapshots found\n");
  r = zae("usage summary -r nothing");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "No usage data found matching the criteria\n");

  for (const char* command : {"usage list", "usage summary", "usage list -w hourly"}) {
    r = zae(command);
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_EQ(r.output, "Error: Either --entity-id or --resource must be provided\n") << command;
  }
  r = zae("usage list -e key-1 --start yesterday");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, StartsWith("Error: Invalid start: "));
  r = zae("usage summary -e key-1 --end 2026-01-01");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, StartsWith("Error: Invalid end: "));
  r = zae("usage list -e 'bad id'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, StartsWith("Error: Invalid entity_id"));
  r = zae("usage list -e key-1 -w weekly");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("weekly"));
  r = zae("usage list -e key-1 -l 0");
  EXPECT_EQ(r.exit_code, 2);
  r = zae("usage");
  EXPECT_EQ(r.exit_code, 2);
}

// ---- on DynamoDB Local ---------------------------------------------------------------------

TEST(CliUsageDynamoDbTest, ReadsSnapshotItemsInBothKeyForms) {
  const char* endpoint = std::getenv("ZAE_TEST_DYNAMODB_ENDPOINT");
  if (endpoint == nullptr || *endpoint == '\0') {
    GTEST_SKIP() << "ZAE_TEST_DYNAMODB_ENDPOINT is not set (DynamoDB Local)";
  }
  ::setenv("AWS_ACCESS_KEY_ID", "test", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "test", 1);
  ::unsetenv("ZAEL_STORE");
  const std::string table = "cli-usage-" + std::to_string(::getpid());
  const auto zae = [&](const std::string& args) {
    return run_cli("--endpoint-url " + std::string(endpoint) + " --region us-east-1 --name " +
                   table + " " + args);
  };
  RunResult r = zae("deploy");
  ASSERT_EQ(r.exit_code, 0) << r.output;

  auto client = std::make_shared<aws::DynamoDbClient>(aws::DynamoDbClientConfig{
      .endpoint = endpoint,
      .region = "us-east-1",
      .credentials = aws::static_credentials({"test", "test", ""}),
      .transport = std::make_shared<aws::CurlTransport>(),
  });
  dynamodb::DynamoDbConnection connection(
      client, dynamodb::DynamoDbConnectionOptions{
                  .auto_provision = dynamodb::AutoProvision::kDisabled, .provision = {}});
  const std::string ns = connection.open(table, "default").namespace_id;
  const auto put = [&](const std::string& window, const std::string& start, std::int64_t rpm,
                       bool ours) {
    const std::string w = ours ? dynamodb::usage_window_key(window, start) : start;
    using aws::AttributeValue;
    (void)client->put_item(
        {.table_name = table,
         .item = {{"PK", AttributeValue::of_string(dynamodb::entity_pk(ns, "key-1"))},
                  {"SK", AttributeValue::of_string(dynamodb::usage_sk("gpt-4", w))},
                  {"entity_id", AttributeValue::of_string("key-1")},
                  {"resource", AttributeValue::of_string("gpt-4")},
                  {"window", AttributeValue::of_string(window)},
                  {"window_start", AttributeValue::of_string(start)},
                  {"rpm", AttributeValue::of_int64(rpm)},
                  {"tpm", AttributeValue::of_int64(rpm * 1000)},
                  {"total_events", AttributeValue::of_int64(2 * rpm)},
                  {"GSI2PK", AttributeValue::of_string(dynamodb::resource_pk(ns, "gpt-4"))},
                  {"GSI2SK", AttributeValue::of_string(dynamodb::usage_gsi2sk(w, "key-1"))},
                  {"ttl", AttributeValue::of_int64(4'102'444'800)}}});
  };
  put("hourly", "2100-01-01T00:00:00Z", 5, false);
  put("hourly", "2100-01-01T01:00:00Z", 7, false);
  put("daily", "2100-01-01T00:00:00Z", 12, true);

  r = zae("usage list -e key-1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("| 2100-01-01T01:00:00Z | hourly | gpt-4    | key-1  | 14     | "
                                  "rpm=7, tpm=7,000   |"));
  EXPECT_THAT(r.output, HasSubstr("| 2100-01-01T00:00:00Z | daily  | gpt-4    | key-1  | 24     | "
                                  "rpm=12, tpm=12,000 |"));
  EXPECT_THAT(r.output, HasSubstr("Total: 3 snapshots"));
  r = zae("usage summary -r gpt-4 -w hourly");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Snapshots:  2\nTime Range: 2100-01-01T00:00:00Z to "
                                  "2100-01-01T01:00:00Z\n"));
  EXPECT_THAT(r.output, HasSubstr("| rpm   |     12 |     6.00 |"));
  r = zae("usage list -r gpt-4 -l 1 --output json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"count\":1,\"next_key\":\""));
  r = zae("usage list");
  EXPECT_EQ(r.exit_code, 1);
  (void)client->delete_table(table);
}

}  // namespace
}  // namespace zae::test
