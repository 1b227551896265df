// SPDX-License-Identifier: MIT
#pragma once

// Parsing of the store URIs accepted by zae::open_store() (include/zae/open_store.h). Pure
// string handling: nothing here touches a file or the network, so every backend and the CLI can
// share one grammar and one set of error messages.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace zae {

// SQLite durability of a commit in WAL mode: kNormal may lose the last transactions on power
// loss (never corrupts); kFull syncs the WAL on every commit.
enum class SqliteSynchronous { kNormal, kFull };

// sqlite:///abs/path.db, sqlite:relative/path.db, sqlite::memory:
struct SqliteStoreUri {
  // Percent-decoded file path, or ":memory:".
  std::string path;
  std::optional<SqliteSynchronous> synchronous{};
  std::optional<std::chrono::milliseconds> busy_timeout{};
  // WAL pages after which a commit checkpoints (SQLite's wal_autocheckpoint; 0 disables).
  std::optional<std::int64_t> wal_autocheckpoint{};
  // locking=exclusive: one process owns the file (SqliteOptions::exclusive_locking).
  std::optional<bool> exclusive_locking{};

  bool is_in_memory() const { return path == ":memory:"; }
  friend bool operator==(const SqliteStoreUri&, const SqliteStoreUri&) = default;
};

// Which HTTP client a DynamoDB store uses: the built-in socket client (plain http only) or
// libcurl (https, proxies). Unset: socket for an http:// endpoint without a proxy, else curl.
enum class DynamoDbTransportKind { kSocket, kCurl };

// dynamodb://TABLE?region=R&endpoint=URL[&timeout_ms=N][&connect_timeout_ms=N]
//                  [&max_attempts=N][&transport=socket|curl]
struct DynamoDbStoreUri {
  std::string table_name;
  std::optional<std::string> region{};
  std::optional<std::string> endpoint{};
  // Deadline of one HTTP attempt (connect + send + receive); unset: the transport's 10 s.
  std::optional<std::chrono::milliseconds> timeout{};
  // Deadline of establishing a connection; unset: the transport's 2 s.
  std::optional<std::chrono::milliseconds> connect_timeout{};
  // Attempts per request, the first included (retry.h); unset: 3.
  std::optional<int> max_attempts{};
  std::optional<DynamoDbTransportKind> transport{};
  friend bool operator==(const DynamoDbStoreUri&, const DynamoDbStoreUri&) = default;
};

using StoreUri = std::variant<SqliteStoreUri, DynamoDbStoreUri>;

// Parses `uri`. The scheme is case-insensitive; the path, the table name and every option key
// and value are percent-decoded ("%20" → ' '; '+' stays '+'). Throws ValidationError with field
// "store", the URI as value and a reason naming the problem: an unknown or missing scheme, a
// missing path or table, an unknown or repeated option, or a bad value.
StoreUri parse_store_uri(std::string_view uri);

// Decodes "%XX" escapes. Returns nullopt for a '%' not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace zae
