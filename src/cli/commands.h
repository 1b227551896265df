// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

#include <CLI/CLI.hpp>

#include "zae/rate_limiter.h"
#include "zae/store.h"

#include "store/store_uri.h"

namespace zae::cli {

enum class OutputFormat { kTable, kJson };

// How the user named the store (spec/cli.md §1.2, §16.2 item 10): --store (a URI) or the
// original's --name/--region/--endpoint-url, which name the DynamoDB table
// dynamodb://NAME?region=R&endpoint=URL. ZAEL_STORE applies when none of them is given.
struct StoreSelection {
  std::string store_flag{};    // --store
  std::string name{};          // -n/--name
  std::string region{};        // --region
  std::string endpoint_url{};  // --endpoint-url
  std::string env_store{};     // ZAEL_STORE

  bool names_dynamodb_table() const {
    return !name.empty() || !region.empty() || !endpoint_url.empty();
  }
};

// Bad command-line input found after parsing (conflicting options, an option the port does not
// support): "Error: {message}", exit 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The original's default stack and table name (spec/cli.md §1.2).
inline constexpr std::string_view kDefaultTableName = "zae-limiter";

// What the selection names: nothing (the embedded default), a URI that is not DynamoDB (kept as
// given), or a DynamoDB table (table_name empty when only --region/--endpoint-url were given).
using StoreChoice = std::variant<std::monostate, std::string, DynamoDbStoreUri>;

// Throws ValidationError for a malformed URI and UsageError when --store and
// --name/--region/--endpoint-url disagree (the flags win over ZAEL_STORE without a conflict).
StoreChoice resolve_store(const StoreSelection& selection);

// The store URI of the data commands: --name/--region/--endpoint-url as a dynamodb:// URI (merged
// with a consistent --store), else --store, else ZAEL_STORE, else "" (the embedded default).
// Throws UsageError when --store and --name/--region/--endpoint-url disagree.
std::string data_store_uri(const StoreSelection& selection);

// "dynamodb://NAME?region=R&endpoint=URL" with the values percent-encoded.
std::string dynamodb_store_uri(const std::string& table, const std::string& region,
                               const std::string& endpoint);

// What every data command needs: where the store is, which namespace, how to print. The store
// and limiter are opened on first use, after argument parsing succeeded, so bad input never
// touches storage.
class CommandContext {
 public:
  StoreSelection selection;    // the store is data_store_uri(selection)
  std::string namespace_name;  // -N / ZAEL_NAMESPACE; default "default"
  OutputFormat output = OutputFormat::kTable;
  bool assume_yes = false;

  RateLimiter& limiter();
  Store& store();

 private:
  std::shared_ptr<Store> store_ptr();

  std::shared_ptr<Store> store_;
  std::unique_ptr<RateLimiter> limiter_;
};

// The action a parsed command runs; returns the exit code.
using Action = std::function<int()>;

// Registers the data commands of spec/cli.md on `app` (entity, resource, system, audit, acquire,
// available). A parsed command stores its action in `action`.
void add_data_commands(CLI::App& app, CommandContext& context, Action& action);

// Registers the `usage` group (spec/cli.md §5): list and summary, on every store.
void add_usage_commands(CLI::App& app, CommandContext& context, Action& action);

// Registers deploy, delete, status, list, version, check, upgrade, cfn-template, a refused
// lambda-export (spec/cli.md §3), a refused loadtest (§12) and the namespace group (§9).
void add_infrastructure_commands(CLI::App& app, CommandContext& context, Action& action);

// Registers the `limits` group (spec/cli.md §10): plan, apply, diff of a manifest (§14), and
// cfn-template (§10.4).
void add_limits_commands(CLI::App& app, CommandContext& context, Action& action);

// Registers the `local` group (spec/cli.md §11, adapted to DynamoDB Local).
void add_local_commands(CLI::App& app, CommandContext& context, Action& action);

// Registers `aggregator run` (the usage aggregator on a DynamoDB table's stream).
void add_aggregator_command(CLI::App& app, CommandContext& context, Action& action);

// The user ended a confirmation prompt with EOF (spec/cli.md §1.6): "Aborted!", exit 1.
class Aborted : public std::runtime_error {
 public:
  Aborted() : std::runtime_error("Aborted!") {}
};

// Asks "{question} [y/N]: " on stdout and reads stdin (spec/cli.md §1.6). Returns false on no;
// throws Aborted on EOF.
bool confirm(const std::string& question);

}  // namespace zae::cli
