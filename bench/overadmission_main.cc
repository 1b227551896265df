// SPDX-License-Identifier: MIT
// zae_overadmission: the soak mode of the over-admission checker (tests/support/overadmission.h).
// Runs the check --runs times (each on a fresh hot bucket) and prints every run's summary, the
// evidence of any violation and the totals. Exit status 0 when every run is clean, 1 when any
// run found a violation or an error, 2 for bad options. Commands: docs/benchmarks.md.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "zae/clock.h"
#include "zae/limit.h"

#include "support/overadmission.h"

int main(int argc, char** argv) {
  using zae::test::Cascade;
  using zae::test::OverAdmissionOptions;
  using zae::test::OverAdmissionReport;

  CLI::App app{"Over-admission checker: P processes x T threads on one hot bucket"};
  OverAdmissionOptions options{};
  std::int64_t acquires = 10'000;
  bool cascade = false;
  int runs = 1;
  std::vector<std::string> limit_specs;
  app.add_option("--store", options.store_uri, "store URI (sqlite:///path.db, dynamodb://...)")
      ->required();
  app.add_option("--processes,-p", options.processes, "forked processes")->default_val(2);
  app.add_option("--threads,-t", options.threads, "threads per process")->default_val(2);
  app.add_option("--acquires,-n", acquires, "acquires per run, split over every thread")
      ->default_val(10'000);
  app.add_flag("--cascade", cascade, "acquire through children with cascade=true");
  app.add_option("--limit,-l", limit_specs,
                 "hot-bucket limit, name:rate[/unit][:burst] (repeat; default rpm and tpm)");
  app.add_option("--max-consume", options.max_consume,
                 "largest random consume per limit, in --limit order (repeat)");
  app.add_option("--rollback-percent", options.rollback_percent)->default_val(15);
  app.add_option("--adjust-percent", options.adjust_percent)->default_val(30);
  app.add_option("--lease-consume-percent", options.lease_consume_percent)->default_val(5);
  app.add_option("--seed", options.seed)->default_val(1);
  app.add_option("--runs", runs, "repeat the check this many times")->default_val(1);
  try {
    app.parse(argc, argv);
    for (const std::string& spec : limit_specs) {
      options.limits.push_back(zae::Limit::parse(spec));
    }
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zae_overadmission: %s\n", e.what());
    return 2;
  }
  options.cascade = cascade ? Cascade::kOn : Cascade::kOff;
  const std::int64_t workers = static_cast<std::int64_t>(options.processes) * options.threads;
  options.acquires_per_thread = workers > 0 ? (acquires + workers - 1) / workers : 0;

  std::int64_t total_acquires = 0;
  std::int64_t total_admitted = 0;
  std::int64_t total_rejected = 0;
  std::int64_t failed_runs = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int run = 0; run < runs; ++run) {
    options.seed += 1;
    options.run_id.clear();
    OverAdmissionReport report;
    try {
      report = zae::test::run_overadmission_check(options);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "zae_overadmission: %s\n", e.what());
      return 2;
    }
    std::printf("run %d/%d: %s", run + 1, runs, report.summary().c_str());
    if (!report.ok()) {
      ++failed_runs;
      std::printf("%s", report.evidence().c_str());
    }
    std::fflush(stdout);
    total_acquires += report.total.acquires;
    total_admitted += report.total.admitted;
    total_rejected += report.total.rejected;
  }
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "total: %d runs, %lld acquires (%lld admitted, %lld rejected) in %.1f s (%.0f acquires/s); "
      "runs with a violation or error: %lld\n",
      runs, static_cast<long long>(total_acquires), static_cast<long long>(total_admitted),
      static_cast<long long>(total_rejected), seconds,
      seconds > 0 ? static_cast<double>(total_acquires) / seconds : 0.0,
      static_cast<long long>(failed_runs));
  return failed_runs == 0 ? 0 : 1;
}
