// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "zae/limit.h"

#include "cli/commands.h"

namespace zae::cli {

// What `zae-limiter bench` measures and where (issue 6, item 1).
struct BenchOptions {
  // Store URI as data_store_uri() gives it; empty: the embedded default SQLite file.
  std::string store_uri{};
  std::string namespace_name = "default";
  // Each scenario runs once per thread count, in this order.
  std::vector<int> threads{1};
  // Timed operations per scenario and thread count (split over the threads); ignored when
  // duration_seconds is set.
  std::int64_t ops = 2000;
  std::optional<double> duration_seconds{};
  // Untimed warm acquires for this long before the first row: warms the server (a fresh
  // DynamoDB Local JVM is several times slower at first) and the connections.
  double warmup_seconds = 0;
  // Scenario names (bench_scenario_names()); empty: all.
  std::vector<std::string> scenarios{};
  // Drive this entity instead of generated ones (warm, warm_2limits, adjust, config_cache_miss).
  std::string entity_id{};
  // Limits instead of the built-in ones: the first is the one limit of warm, cascade and cold,
  // the first two those of warm_2limits and adjust.
  std::vector<Limit> limits{};
};

// One measured row: a scenario (or the raw ceiling) at one thread count. Optional figures are
// absent when the store cannot measure them (requests and capacity on SQLite). Capacity is
// measured on untimed operations (see run_bench).
struct BenchResult {
  std::string name{};
  int threads = 1;
  std::int64_t ops = 0;
  // Operations that ended in RateLimitExceeded (the expected outcome of `rejection` only).
  std::int64_t rejected = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  double ops_per_s = 0;
  double cpu_us_per_op = 0;
  std::optional<double> requests_per_op{};
  std::optional<double> wcu_per_op{};
  std::optional<double> rcu_per_op{};
  // The raw ceiling a scenario's ratios divide by: the mean p50 of the raw runs just before
  // and just after it (DynamoDB only).
  std::optional<double> raw_p50_ms{};
  std::optional<double> ratio_p50_to_raw{};
  // ops_per_s divided by the raw ceiling's at the same thread count.
  std::optional<double> ratio_ops_to_raw{};
};

struct BenchReport {
  std::string store{};    // what was measured: "sqlite:..." or "dynamodb://TABLE"
  std::string backend{};  // "sqlite" or "dynamodb"
  // The raw ceiling per thread count (DynamoDB only; empty on SQLite).
  std::vector<BenchResult> raw{};
  std::vector<BenchResult> scenarios{};
};

// warm, warm_2limits, adjust, cascade, rejection, cold, config_cache_miss.
const std::vector<std::string>& bench_scenario_names();

// Runs every selected scenario. Throws UsageError for bad options (unknown scenario, threads or
// ops below 1, a non-positive duration, warm_2limits/adjust asked for with one -l limit), the
// zae hierarchy for store failures. `progress` lines (one per finished row) go to stderr.
BenchReport run_bench(const BenchOptions& options);

std::string bench_table(const BenchReport& report);
std::string bench_json(const BenchReport& report);

// Registers `bench` on `app`.
void add_bench_command(CLI::App& app, CommandContext& context, Action& action);

}  // namespace zae::cli
