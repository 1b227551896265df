// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

#include "zae/rate_limiter.h"
#include "zae/store.h"

namespace zae::cli {

enum class OutputFormat { kTable, kJson };

// What every data command needs: where the store is, which namespace, how to print. The store
// and limiter are opened on first use, after argument parsing succeeded, so bad input never
// touches storage.
class CommandContext {
 public:
  std::string store_uri;       // --store / ZAEL_STORE; empty: the embedded default
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

// The user ended a confirmation prompt with EOF (spec/cli.md §1.6): "Aborted!", exit 1.
class Aborted : public std::runtime_error {
 public:
  Aborted() : std::runtime_error("Aborted!") {}
};

// Asks "{question} [y/N]: " on stdout and reads stdin (spec/cli.md §1.6). Returns false on no;
// throws Aborted on EOF.
bool confirm(const std::string& question);

}  // namespace zae::cli
