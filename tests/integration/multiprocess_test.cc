// SPDX-License-Identifier: MIT
// Never over-admit across processes (design.md, promise 2; CG-1, CG-2), through the public API:
// the over-admission checker (tests/support/overadmission.h) forks four processes with several
// threads each onto one hot bucket with two limits, directly and as the cascade parent of one
// child per thread, with random consume sizes, adjusts of both signs and rollbacks. Afterwards
// the admitted total must fit in capacity + refill over the run + refunds, and the stored
// total-consumed counters must equal what the clients recorded. SQLite: one WAL file, a few
// seconds. DynamoDB Local (when ZAE_TEST_DYNAMODB_ENDPOINT is set): sized by operations, since
// it spends about 4 ms of server CPU per write on this table. Longer runs: zae_overadmission
// (docs/benchmarks.md).

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <string>
#include <system_error>

#include <gtest/gtest.h>
#include <unistd.h>

#include "zae/limit.h"

#include "support/overadmission.h"

namespace zae::test {
namespace {

struct Scenario {
  std::string name{};
  bool dynamodb = false;
  Cascade cascade = Cascade::kOff;
};

void PrintTo(const Scenario& scenario, std::ostream* out) { *out << scenario.name; }

std::string dynamodb_uri(const std::string& table) {
  const char* endpoint = std::getenv("ZAE_TEST_DYNAMODB_ENDPOINT");
  if (endpoint == nullptr || *endpoint == '\0') {
    return "";
  }
  // DynamoDB Local accepts any credentials; the default chain needs some to sign with.
  setenv("AWS_ACCESS_KEY_ID", "local", /*overwrite=*/0);
  setenv("AWS_SECRET_ACCESS_KEY", "local", /*overwrite=*/0);
  return "dynamodb://" + table + "-" + std::to_string(getpid()) +
         "?region=us-east-1&endpoint=" + endpoint;
}

class MultiProcessTest : public ::testing::TestWithParam<Scenario> {};

TEST_P(MultiProcessTest, NeverOverAdmitsAndLosesNoUpdate) {
  const Scenario& scenario = GetParam();
  std::string directory =
      (std::filesystem::temp_directory_path() / "zae-multiprocess-XXXXXX").string();
  ASSERT_NE(mkdtemp(directory.data()), nullptr);

  OverAdmissionOptions options{};
  options.processes = 4;
  options.seed = 7;
  options.cascade = scenario.cascade;
  if (!scenario.dynamodb) {
    // Generous busy timeout: 16 writers queue on one lock, and a timeout would be an error.
    options.store_uri = "sqlite://" + directory + "/shared.db?busy_timeout_ms=30000";
    options.threads = 4;
    options.acquires_per_thread = 1500;
    // Refill well below the offered load (~10-20k acquires/s; a few hundred per second under
    // ASan): the bucket stays drained and contested, yet admits often enough to exercise every
    // write path.
    options.limits = {Limit::custom("rpm", 200, 250, 1), Limit::custom("tpm", 10'000, 10'000, 1)};
    options.max_consume = {2, 100};
  } else {
    std::string table = "zae-multiprocess-" + scenario.name;
    std::replace(table.begin(), table.end(), '_', '-');  // table names take no '_' (RO-1)
    options.store_uri = dynamodb_uri(table);
    if (options.store_uri.empty()) {
      std::filesystem::remove_all(directory);
      GTEST_SKIP() << "ZAE_TEST_DYNAMODB_ENDPOINT is not set (DynamoDB Local)";
    }
    // 4 × 4 × 30 = 480 acquires (and about as many adjust and rollback writes).
    options.threads = 4;
    options.acquires_per_thread = scenario.cascade == Cascade::kOn ? 20 : 30;
    options.limits = {Limit::custom("rpm", 20, 10, 1), Limit::custom("tpm", 2000, 500, 1)};
    options.max_consume = {2, 100};
  }

  const OverAdmissionReport report = run_overadmission_check(options);
  std::error_code ignored;
  std::filesystem::remove_all(directory, ignored);

  std::printf("%s", report.summary().c_str());
  EXPECT_TRUE(report.ok()) << report.evidence();
  EXPECT_EQ(report.total.acquires,
            options.processes * options.threads * options.acquires_per_thread);
  // The run must really have contended: it drained a limit and kept being rejected.
  ASSERT_EQ(report.limits.size(), 2u);
  EXPECT_GE(std::max(report.limits[0].admitted_milli - report.limits[0].capacity_milli,
                     report.limits[1].admitted_milli - report.limits[1].capacity_milli),
            0);
  EXPECT_GT(report.total.rejected, 0);
  EXPECT_GT(report.total.rollbacks, 0);
  EXPECT_GT(report.total.adjusts, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Backends, MultiProcessTest,
    ::testing::Values(
        Scenario{.name = "sqlite"},
        Scenario{.name = "sqlite_cascade", .dynamodb = false, .cascade = Cascade::kOn},
        Scenario{.name = "dynamodb", .dynamodb = true},
        Scenario{.name = "dynamodb_cascade", .dynamodb = true, .cascade = Cascade::kOn}),
    [](const ::testing::TestParamInfo<Scenario>& info) { return info.param.name; });

}  // namespace
}  // namespace zae::test
