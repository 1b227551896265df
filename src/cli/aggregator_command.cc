// SPDX-License-Identifier: MIT
// `zae-limiter aggregator run`: the usage aggregator as a foreground process (src/aggregator).
// Prints one metrics line periodically; SIGINT/SIGTERM stop it between two transactions, exit 0.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include <fmt/core.h>

#include "aggregator/aggregator.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/version.h"
#include "dynamodb/dynamodb_connection.h"
#include "dynamodb/provisioning.h"

namespace zae::cli {
namespace {

// Set by the signal handler (a lock-free atomic store is async-signal-safe).
std::atomic<bool> g_stop_requested{false};

void request_stop(int /*signal*/) { g_stop_requested.store(true); }

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

struct AggregatorFlags {
  std::string windows = "hourly,daily";
  int ttl_days = 90;
  bool no_refill = false;
  double poll_interval_s = 1.0;
  double metrics_interval_s = 10.0;
  int batch_size = 1000;
};

DynamoDbStoreUri aggregator_table(const CommandContext& ctx) {
  const StoreChoice choice = resolve_store(ctx.selection);
  if (const auto* uri = std::get_if<std::string>(&choice)) {
    throw UsageError(fmt::format(
        "the aggregator consumes a DynamoDB table's stream, but the selected store {} is not "
        "one; select a table with --name NAME (or --store dynamodb://NAME)",
        *uri));
  }
  DynamoDbStoreUri target;
  if (const auto* table = std::get_if<DynamoDbStoreUri>(&choice)) {
    target = *table;
  }
  if (target.table_name.empty()) {
    target.table_name = std::string(kDefaultTableName);
  }
  dynamodb::validate_table_name(target.table_name);
  return target;
}

std::chrono::milliseconds seconds_flag(double seconds, const char* flag) {
  if (!(seconds >= 0)) {
    throw UsageError(fmt::format("{} must be a non-negative number of seconds", flag));
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0));
}

int run_aggregator(const CommandContext& ctx, const AggregatorFlags& flags) {
  const DynamoDbStoreUri table = aggregator_table(ctx);
  aggregator::AggregatorOptions options{
      .table_name = table.table_name,
      .windows = aggregator::parse_windows(flags.windows),
      .snapshot_ttl_days = flags.ttl_days,
      .refill =
          flags.no_refill ? aggregator::RefillMode::kDisabled : aggregator::RefillMode::kEnabled,
      .poll_interval = seconds_flag(flags.poll_interval_s, "--poll-interval"),
      .records_per_batch = flags.batch_size,
  };
  const auto metrics_every = seconds_flag(flags.metrics_interval_s, "--metrics-interval");
  std::shared_ptr<dynamodb::DynamoDbConnection> connection = dynamodb::DynamoDbConnection::create(
      table, aws::process_environment(),
      {.auto_provision = dynamodb::AutoProvision::kDisabled,
       .provision = {.updated_by = fmt::format("cpp:{}", kClientVersion)}});
  // The client lives as long as the connection that owns it.
  std::shared_ptr<aws::DynamoDbClient> client(connection, &connection->client());
  auto aggregator = aggregator::Aggregator::open(client, std::move(options));
  fmt::print("Aggregating the stream of table '{}' ({}; windows {}, refill {}). Ctrl-C stops.\n",
             table.table_name, aggregator->stream_arn(), flags.windows,
             flags.no_refill ? "off" : "on");
  std::fflush(stdout);

  install_stop_handlers();
  std::atomic<bool> finished{false};
  std::thread worker([&] {
    aggregator->run(g_stop_requested);
    finished = true;
  });
  auto next_print = std::chrono::steady_clock::now() + metrics_every;
  while (!finished.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (metrics_every.count() > 0 && std::chrono::steady_clock::now() >= next_print) {
      fmt::print("{}\n", aggregator::format_metrics(aggregator->metrics()));
      std::fflush(stdout);
      next_print += metrics_every;
    }
  }
  worker.join();
  fmt::print("Stopped: {}\n", aggregator::format_metrics(aggregator->metrics()));
  return kExitOk;
}

}  // namespace

void add_aggregator_command(CLI::App& app, CommandContext& context, Action& action) {
  auto flags = std::make_shared<AggregatorFlags>();
  CLI::App* group = app.add_subcommand(
      "aggregator", "Usage snapshots and proactive refill from the table's DynamoDB Stream");
  group->require_subcommand(1);
  CLI::App* run = group->add_subcommand(
      "run", "Consume the stream until SIGINT/SIGTERM (snapshots exactly once, checkpointed)");
  run->footer(
      "Checkpoints live in the table under PK '_/AGGREGATOR#' (reserved namespace), so a "
      "restarted aggregator continues where the last one stopped. Several may run: each "
      "transaction is conditioned on the checkpoint it advances.\n"
      "Example: zae-limiter aggregator run --name rate-limits --region eu-west-1 "
      "--windows hourly,daily,monthly");
  run->add_option("--windows", flags->windows,
                  "Snapshot windows, comma-separated: hourly, daily, monthly")
      ->capture_default_str();
  run->add_option("--snapshot-ttl-days", flags->ttl_days, "Snapshot lifetime in days")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  run->add_flag("--no-refill", flags->no_refill,
                "Do not refill buckets proactively (snapshots only)");
  run->add_option("--poll-interval", flags->poll_interval_s,
                  "Seconds to wait when the stream has nothing new")
      ->capture_default_str();
  run->add_option("--metrics-interval", flags->metrics_interval_s,
                  "Seconds between metrics lines (0: only at exit)")
      ->capture_default_str();
  run->add_option("--batch-size", flags->batch_size, "Records per GetRecords call (1-1000)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  run->callback([&context, &action, flags] {
    action = [&context, flags] { return run_aggregator(context, *flags); };
  });
}

}  // namespace zae::cli
