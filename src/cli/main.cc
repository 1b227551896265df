// SPDX-License-Identifier: MIT
// zae-limiter: the operator's command line. It parses input, calls the library and prints.

#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "zae/errors.h"
#include "zae/open_store.h"

#include "cli/bench.h"
#include "cli/commands.h"
#include "cli/demo.h"
#include "cli/exit_codes.h"
#include "cli/version.h"

namespace {

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace zae::cli;
  CLI::App app{"zae-limiter: distributed token-bucket rate limiting (embedded SQLite or DynamoDB)",
               "zae-limiter"};
  app.set_version_flag("--version", fmt::format("zae-limiter, version {}", kClientVersion));
  app.require_subcommand(1);
  app.footer("Example: zae-limiter demo --threads 4 --duration 5");

  CommandContext context;
  StoreSelection& selection = context.selection;
  app.add_option(
      "--store", selection.store_flag,
      "Store URI: sqlite:///path.db, sqlite::memory:, dynamodb://TABLE?region=R&endpoint=URL "
      "(env ZAEL_STORE; default: the embedded SQLite file in the user's data directory)");
  app.add_option("-n,--name", selection.name,
                 "DynamoDB table name (the original's stack name): selects "
                 "dynamodb://NAME?region=R&endpoint=URL; infrastructure and namespace commands "
                 "default to 'zae-limiter'");
  app.add_option("--region", selection.region, "AWS region (default: the AWS SDK chain)");
  app.add_option("--endpoint-url", selection.endpoint_url,
                 "DynamoDB endpoint override, e.g. http://localhost:8000 for DynamoDB Local");
  // Global options may also follow the subcommand: `zae-limiter entity show k --output json`.
  app.fallthrough();
  app.add_option("-N,--namespace", context.namespace_name, "Namespace (env ZAEL_NAMESPACE)");
  std::string output = "table";
  app.add_option("--output", output, "Output format: table or json")
      ->check(CLI::IsMember({"table", "json"}));
  Action action;
  add_data_commands(app, context, action);
  add_infrastructure_commands(app, context, action);
  add_limits_commands(app, context, action);
  add_local_commands(app, context, action);
  add_bench_command(app, context, action);
  add_aggregator_command(app, context, action);

  DemoOptions demo;
  CLI::App* demo_cmd = app.add_subcommand(
      "demo", "Run a simulated LLM gateway under rate limits on the embedded store");
  demo_cmd->footer(
      "Example: zae-limiter demo --threads 8 --duration 10 -l rpm:300/min -l tpm:50000/min\n"
      "Without --store the demo uses a fresh SQLite file of its own each run.");
  demo_cmd->add_option("--threads", demo.threads, "Worker threads (gateway workers)")
      ->capture_default_str();
  demo_cmd->add_option("--duration", demo.duration_seconds, "Run time in seconds")
      ->capture_default_str();
  demo_cmd->add_option("--seed", demo.seed, "Random seed (0: random)");
  demo_cmd->add_option("--project", demo.project_id, "Entity id of the demo project")
      ->capture_default_str();
  demo_cmd->add_option("-l,--limit", demo.project_limits,
                       "Project limit, name:rate[/period][:burst] (repeatable)");
  demo_cmd->add_option("--key-limit", demo.key_limits,
                       "Per-key default limit for the resource (repeatable; needs rpm and tpm)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "Error: {}\nRun with --help for usage.\n", e.what());
    return kExitUsage;
  }

  try {
    selection.env_store = env_or("ZAEL_STORE", "");
    if (action) {
      if (context.namespace_name.empty()) {
        context.namespace_name = env_or("ZAEL_NAMESPACE", "default");
      }
      context.output = output == "json" ? OutputFormat::kJson : OutputFormat::kTable;
      return action();
    }
    if (*demo_cmd) {
      demo.store_uri = data_store_uri(selection);
      return run_demo(demo);
    }
  } catch (const Aborted& e) {
    fmt::print(stderr, "{}\n", e.what());
    return kExitError;
  } catch (const UsageError& e) {
    fmt::print(stderr, "Error: {}\n", e.what());
    return kExitUsage;
  } catch (const zae::ValidationError& e) {
    fmt::print(stderr, "Error: {}\n", e.what());
    return kExitUsage;
  } catch (const zae::RateLimitExceeded& e) {
    fmt::print(stderr, "Rate limited: {}\n", e.what());
    return kExitRateLimited;
  } catch (const zae::InfrastructureNotFoundError& e) {
    fmt::print(stderr, "Error: {}\n", e.what());
    return kExitTableNotFound;
  } catch (const zae::InfrastructureError& e) {
    fmt::print(stderr, "Error: {}\n", e.what());
    return kExitAwsError;
  } catch (const std::exception& e) {
    fmt::print(stderr, "Error: {}\n", e.what());
    return kExitError;
  }
  return kExitUsage;
}
