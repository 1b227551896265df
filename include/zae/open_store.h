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
// SQLite URIs accept `?synchronous=normal|full`, `?busy_timeout_ms=N`,
// `?wal_autocheckpoint=PAGES` (default 1000, 0 disables) and `?locking=shared|exclusive`
// (default shared: any number of processes; exclusive: this process owns the file and each
// decision is cheaper; see SqliteOptions). DynamoDB URIs also
// accept `timeout_ms=N` (deadline of one HTTP attempt, default 10000), `connect_timeout_ms=N`
// (default 2000), `max_attempts=N` (attempts per request including the first, default 3; a
// non-idempotent write is retried only when it cannot have been applied) and
// `transport=socket|curl` (default: socket for an http:// endpoint without a proxy, else curl).
// A DynamoDB call then fails within about max_attempts × timeout_ms plus backoff (at most
// 100 ms × (2^(max_attempts−1) − 1)).
// Throws ValidationError (field "store") naming what is wrong with the URI, and
// InfrastructureError when the store cannot be opened.
std::unique_ptr<Store> open_store(std::string_view uri, const StoreOptions& options = {});

// The URI schemes this build can open: "sqlite" and "dynamodb".
std::vector<std::string> available_store_schemes();

// The embedded default: sqlite:// of $XDG_DATA_HOME/zae-limiter/zae-limiter.db (falling back to
// ~/.local/share).
std::string default_store_uri();

}  // namespace zae
