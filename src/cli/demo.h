// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zae::cli {

struct DemoOptions {
  // Store URI; empty: a fresh SQLite file of the demo's own.
  std::string store_uri;
  int threads = 4;
  double duration_seconds = 5.0;
  std::uint64_t seed = 0;  // 0: random
  // Entity id of the project the keys belong to.
  std::string project_id = "proj-demo";
  // Limits of the project (entity-wide default); empty: the built-in ones.
  std::vector<std::string> project_limits;
  // Resource-level defaults every key falls back to; empty: the built-in ones.
  std::vector<std::string> key_limits;
};

// The main job: sets up a project with stored limits and API keys under it, then runs a
// simulated LLM gateway (acquire rpm+tpm with an estimate, call the "model", adjust to the
// actual count) and prints a table per key that can be checked against the limits.
// Returns the process exit code.
int run_demo(const DemoOptions& options);

}  // namespace zae::cli
