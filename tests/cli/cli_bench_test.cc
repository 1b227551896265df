// SPDX-License-Identifier: MIT
// `zae-limiter bench` end to end: on SQLite always; on DynamoDB Local when
// ZAE_TEST_DYNAMODB_ENDPOINT is set (scripts/dynamodb-local.sh run), skipped otherwise.
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "cli/cli_runner.h"

namespace zae::test {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The object of scenario `name` in the compact JSON bench writes ("" when absent).
std::string scenario(const std::string& json, const std::string& name) {
  const std::size_t at = json.find("{\"name\":\"" + name + "\"");
  if (at == std::string::npos) {
    return "";
  }
  return json.substr(at, json.find('}', at) - at + 1);
}

// The number after "key": in `object`; nullopt when it is null or missing.
std::optional<double> number(const std::string& object, const std::string& key) {
  const std::size_t at = object.find("\"" + key + "\":");
  if (at == std::string::npos) {
    return std::nullopt;
  }
  const std::string rest = object.substr(at + key.size() + 3);
  if (rest.rfind("null", 0) == 0) {
    return std::nullopt;
  }
  return std::stod(rest);
}

constexpr const char* kKeys[] = {
    "threads",    "ops",        "p50_ms",           "p90_ms",          "p99_ms",
    "p999_ms",    "ops_per_s",  "cpu_us_per_op",    "requests_per_op", "wcu_per_op",
    "rcu_per_op", "raw_p50_ms", "ratio_p50_to_raw", "ratio_ops_to_raw"};

TEST(CliBenchTest, SqliteRunWritesEveryScenarioToJson) {
  TempDir dir;
  const auto json_path = dir.path() / "out.json";
  const RunResult run = run_cli("bench --store sqlite://" + (dir.path() / "b.db").string() +
                                " --ops 50 --json " + json_path.string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("| warm "), std::string::npos) << run.output;
  const std::string json = read_text(json_path);
  EXPECT_NE(json.find("\"raw\":null"), std::string::npos) << json;
  for (const char* name :
       {"warm", "warm_2limits", "adjust", "cascade", "rejection", "cold", "config_cache_miss"}) {
    const std::string object = scenario(json, name);
    ASSERT_FALSE(object.empty()) << name << " missing in " << json;
    for (const char* key : kKeys) {
      EXPECT_NE(object.find(std::string("\"") + key + "\":"), std::string::npos)
          << name << " lacks " << key;
    }
    EXPECT_EQ(number(object, "ops"), 50) << object;
    EXPECT_GT(number(object, "p50_ms").value_or(0), 0) << object;
    EXPECT_LE(number(object, "p50_ms").value_or(0), number(object, "p999_ms").value_or(0));
    EXPECT_GT(number(object, "ops_per_s").value_or(0), 0) << object;
    EXPECT_FALSE(number(object, "requests_per_op")) << "SQLite has no requests: " << object;
  }
  EXPECT_EQ(number(scenario(json, "rejection"), "rejected"), 50);
  EXPECT_EQ(number(scenario(json, "warm"), "rejected"), 0);
}

TEST(CliBenchTest, EveryThreadCountRunsEveryScenario) {
  TempDir dir;
  const RunResult run = run_cli("bench --store sqlite://" + (dir.path() / "t.db").string() +
                                " --ops 20 --threads 1 --threads 2 --warmup 0.2");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  for (const char* name :
       {"warm", "warm_2limits", "adjust", "cascade", "rejection", "cold", "config_cache_miss"}) {
    std::string cell = name;
    cell.resize(17, ' ');
    EXPECT_NE(run.output.find("| " + cell + " |       2 |"), std::string::npos)
        << name << ": " << run.output;
  }
}

TEST(CliBenchTest, BadInputIsAUsageError) {
  TempDir dir;
  const std::string store = " --store sqlite://" + (dir.path() / "b.db").string();
  for (const char* args : {"--scenario nope", "--threads 0", "-l bad", "--ops 0", "--duration 0",
                           "-l rpm:10/min --scenario adjust", "--warmup -1"}) {
    const RunResult run = run_cli(std::string("bench") + store + " " + args);
    EXPECT_EQ(run.exit_code, 2) << args << ": " << run.output;
    EXPECT_NE(run.output.find("Error:"), std::string::npos) << run.output;
  }
}

TEST(CliBenchTest, DynamoDbLocalCountsRequestsAndRatios) {
  const char* endpoint = std::getenv("ZAE_TEST_DYNAMODB_ENDPOINT");
  if (endpoint == nullptr || *endpoint == '\0') {
    GTEST_SKIP() << "ZAE_TEST_DYNAMODB_ENDPOINT is not set";
  }
  TempDir dir;
  const auto json_path = dir.path() / "out.json";
  const RunResult run = run_cli(
      std::string("bench --endpoint-url ") + endpoint +
      " --name cli-bench-test --ops 30 --warmup 0.5 --scenario warm --scenario rejection --json " +
      json_path.string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string json = read_text(json_path);
  const std::string raw = json.substr(json.find("\"raw\":"));
  EXPECT_GT(number(raw, "p50_ms").value_or(0), 0) << json;
  EXPECT_GT(number(raw, "ops_per_s").value_or(0), 0) << json;
  EXPECT_EQ(number(raw, "requests_per_op"), 1.0) << json;
  EXPECT_GT(number(raw, "wcu_per_op").value_or(0), 0) << json;
  const std::string warm = scenario(json, "warm");
  EXPECT_EQ(number(warm, "requests_per_op"), 1.0) << warm;
  EXPECT_GT(number(warm, "ratio_p50_to_raw").value_or(0), 0) << warm;
  // The ceiling of a scenario is the mean of the raw runs around it: the first raw row is the
  // one before, and the ratio divides by that mean.
  const double raw_p50 = number(warm, "raw_p50_ms").value_or(0);
  EXPECT_GT(raw_p50, 0) << warm;
  EXPECT_NEAR(*number(warm, "ratio_p50_to_raw"), *number(warm, "p50_ms") / raw_p50, 1e-9) << warm;
  // The warm acquire writes exactly what the raw ceiling writes, and reads nothing.
  EXPECT_EQ(number(warm, "wcu_per_op"), number(raw, "wcu_per_op")) << json;
  EXPECT_EQ(number(warm, "rcu_per_op"), 0.0) << warm;
  EXPECT_EQ(number(scenario(json, "rejection"), "rejected"), 30) << json;
}

}  // namespace
}  // namespace zae::test
