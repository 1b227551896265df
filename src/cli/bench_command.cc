// SPDX-License-Identifier: MIT
// `zae-limiter bench`: parses its options, runs the engine (cli/bench.cc), prints the table and
// writes --json FILE.
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "zae/limit.h"

#include "cli/bench.h"
#include "cli/exit_codes.h"
#include "cli/table.h"
#include "core/json.h"

namespace zae::cli {
namespace {

std::string cell(const std::optional<double>& value, const char* format) {
  return value ? fmt::format(fmt::runtime(format), *value) : "-";
}

std::vector<std::string> row(const BenchResult& r) {
  return {r.name,
          std::to_string(r.threads),
          with_commas(r.ops),
          fmt::format("{:.3f}", r.p50_ms),
          fmt::format("{:.3f}", r.p90_ms),
          fmt::format("{:.3f}", r.p99_ms),
          fmt::format("{:.3f}", r.p999_ms),
          with_commas(static_cast<long long>(r.ops_per_s + 0.5)),
          fmt::format("{:.1f}", r.cpu_us_per_op),
          cell(r.requests_per_op, "{:.2f}"),
          cell(r.wcu_per_op, "{:.2f}"),
          cell(r.rcu_per_op, "{:.2f}"),
          cell(r.raw_p50_ms, "{:.3f}"),
          cell(r.ratio_p50_to_raw, "{:.2f}"),
          cell(r.ratio_ops_to_raw, "{:.2f}"),
          with_commas(r.rejected)};
}

void write_optional(core::JsonWriter& w, const char* key, const std::optional<double>& value) {
  w.key(key);
  if (value) {
    w.value(*value);
  } else {
    w.null();
  }
}

void write_result(core::JsonWriter& w, const BenchResult& r) {
  w.begin_object()
      .key("name")
      .value(r.name)
      .key("threads")
      .value(r.threads)
      .key("ops")
      .value(r.ops)
      .key("rejected")
      .value(r.rejected)
      .key("p50_ms")
      .value(r.p50_ms)
      .key("p90_ms")
      .value(r.p90_ms)
      .key("p99_ms")
      .value(r.p99_ms)
      .key("p999_ms")
      .value(r.p999_ms)
      .key("ops_per_s")
      .value(r.ops_per_s)
      .key("cpu_us_per_op")
      .value(r.cpu_us_per_op);
  write_optional(w, "requests_per_op", r.requests_per_op);
  write_optional(w, "wcu_per_op", r.wcu_per_op);
  write_optional(w, "rcu_per_op", r.rcu_per_op);
  write_optional(w, "raw_p50_ms", r.raw_p50_ms);
  write_optional(w, "ratio_p50_to_raw", r.ratio_p50_to_raw);
  write_optional(w, "ratio_ops_to_raw", r.ratio_ops_to_raw);
  w.end_object();
}

}  // namespace

std::string bench_table(const BenchReport& report) {
  std::vector<std::vector<std::string>> rows;
  for (const BenchResult& r : report.raw) {
    rows.push_back(row(r));
  }
  for (const BenchResult& r : report.scenarios) {
    rows.push_back(row(r));
  }
  std::vector<Align> align(16, Align::kRight);
  align[0] = Align::kLeft;
  return fmt::format("Store: {}\n", report.store) +
         render_table({"Scenario", "Threads", "Ops", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms",
                       "Ops/s", "CPU us/op", "Req/op", "WCU/op", "RCU/op", "raw p50", "p50/raw",
                       "ops/raw", "Rejected"},
                      rows, align);
}

std::string bench_json(const BenchReport& report) {
  core::JsonWriter w;
  w.begin_object().key("store").value(report.store).key("backend").value(report.backend);
  // `raw`: the ceiling at the first thread count; `raw_by_threads`: every thread count.
  w.key("raw");
  if (report.raw.empty()) {
    w.null();
  } else {
    write_result(w, report.raw.front());
  }
  w.key("raw_by_threads").begin_array();
  for (const BenchResult& r : report.raw) {
    write_result(w, r);
  }
  w.end_array();
  w.key("scenarios").begin_array();
  for (const BenchResult& r : report.scenarios) {
    write_result(w, r);
  }
  w.end_array().end_object();
  return std::move(w).str();
}

void add_bench_command(CLI::App& app, CommandContext& context, Action& action) {
  struct Flags {
    BenchOptions options{};
    std::vector<std::string> limits{};
    double duration = 0;
    std::string json_file{};
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "bench", "Measure end-to-end latency and throughput of the library against a store");
  cmd->footer(
      "Scenarios: warm (acquire+commit, one limit), warm_2limits, adjust (acquire, adjust, "
      "commit), cascade (a cascading child under its parent), rejection (a drained bucket: every "
      "op is RateLimitExceeded), cold (a new entity per op), config_cache_miss (stored limits, "
      "config cache TTL 0).\n"
      "On DynamoDB the raw row is the ceiling: the warm acquire's UpdateItem, planned and sent "
      "through the same client with no limiter around it. It is measured again after every "
      "scenario, and each scenario's ratios divide by the mean of the raw runs just before and "
      "after it (raw p50), so that the server's drift during the run cancels: p50/raw divides "
      "the scenario's p50, ops/raw its throughput, at the same thread count. Req/op "
      "counts HTTP requests at the client. WCU/RCU are what DynamoDB reports "
      "(ReturnConsumedCapacity) for 20 untimed operations per row, sent through a second "
      "connection so that the timed requests are exactly an application's. On SQLite there are "
      "no requests, capacity or raw ceiling ('-', null). A DynamoDB table that does not exist is "
      "created. --warmup runs warm acquires for that many seconds before the first row (a fresh "
      "DynamoDB Local JVM is several times slower at first).\n"
      "Entities are generated per run (bench-PID-EPOCH-...) and left in the store.\n"
      "Example: zae-limiter bench --endpoint-url http://localhost:8000 --name bench-table "
      "--threads 1 --threads 4 --ops 1000 --json bench.json");
  cmd->add_option("--threads", flags->options.threads,
                  "Worker threads; repeatable: each scenario runs at each count (default 1)");
  cmd->add_option("--ops", flags->options.ops, "Timed operations per scenario (default 2000)");
  cmd->add_option("--duration", flags->duration,
                  "Seconds per scenario instead of a fixed --ops count");
  cmd->add_option("--scenario", flags->options.scenarios,
                  "Scenario to run (repeatable; default all)");
  cmd->add_option("--entity", flags->options.entity_id,
                  "Drive this entity (warm, warm_2limits, adjust, config_cache_miss with its "
                  "stored limits) instead of generated ones");
  cmd->add_option("-l,--limit", flags->limits,
                  "Explicit limit name:rate[/period][:burst] (repeatable): the first for warm, "
                  "cascade, cold; the first two for warm_2limits and adjust");
  cmd->add_option("--json", flags->json_file, "Also write the results as JSON to FILE");
  cmd->add_option("--warmup", flags->options.warmup_seconds,
                  "Seconds of untimed warm acquires before the first row (default 0)")
      ->check(CLI::Range(0.0, 3600.0));
  cmd->callback([&context, &action, flags, cmd] {
    action = [&context, flags, cmd] {
      BenchOptions options = flags->options;
      options.store_uri = data_store_uri(context.selection);
      options.namespace_name = context.namespace_name;
      if (cmd->count("--duration") > 0) {
        options.duration_seconds = flags->duration;
      }
      for (const std::string& spec : flags->limits) {
        options.limits.push_back(Limit::parse(spec));
      }
      const BenchReport report = run_bench(options);
      fmt::print("{}\n", bench_table(report));
      if (!flags->json_file.empty()) {
        std::ofstream out(flags->json_file);
        out << bench_json(report) << '\n';
        if (!out) {
          fmt::print(stderr, "Error: cannot write {}\n", flags->json_file);
          return kExitError;
        }
      }
      return kExitOk;
    };
  });
}

}  // namespace zae::cli
