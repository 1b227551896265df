// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zae/clock.h"
#include "zae/store.h"

namespace zae {

struct StoreOptions {
  // Tenant namespace the store is scoped to; registered when missing.
  std::string namespace_name = "default";
  // Bucket TTL = multiplier × the time to fill the slowest limit; 0 disables TTL (§9).
  int bucket_ttl_multiplier = 7;
  // Time source for store-side timestamps (audit, namespace records); nullptr: SystemClock.
  const Clock* clock = nullptr;
};

// Opens the store named by `uri`:
//   sqlite:///absolute/path.db     SQLite file (created with its directory when missing)
//   sqlite:relative/path.db        SQLite file relative to the working directory
//   sqlite::memory:                a private in-memory SQLite database
//   dynamodb://TABLE?region=R&endpoint=URL
// SQLite URIs accept `?synchronous=normal|full` and `?busy_timeout_ms=N`.
// Throws ValidationError (field "store") naming what is wrong with the URI, and
// InfrastructureError when the store cannot be opened.
std::unique_ptr<Store> open_store(std::string_view uri, const StoreOptions& options = {});

// The URI schemes this build can open: "sqlite" and "dynamodb".
std::vector<std::string> available_store_schemes();

// The embedded default: sqlite:// of $XDG_DATA_HOME/zae-limiter/zae-limiter.db (falling back to
// ~/.local/share).
std::string default_store_uri();

}  // namespace zae
