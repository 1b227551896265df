// SPDX-License-Identifier: MIT
#include "zae/open_store.h"

#include <cstdlib>
#include <string>
#include <variant>

#include "zae/errors.h"

#include "aws/aws_config.h"
#include "dynamodb/dynamodb_connection.h"
#include "dynamodb/dynamodb_store.h"
#include "sqlite/sqlite_store.h"
#include "store/store_uri.h"

namespace zae {
namespace {

std::unique_ptr<Store> open_sqlite(const SqliteStoreUri& uri, const StoreOptions& options) {
  sqlite::SqliteOptions sqlite_options{
      .path = uri.path,
      .namespace_name = options.namespace_name,
      .bucket_ttl_multiplier = options.bucket_ttl_multiplier,
      .clock = options.clock,
  };
  if (uri.busy_timeout) {
    sqlite_options.busy_timeout = *uri.busy_timeout;
  }
  if (uri.exclusive_locking) {
    sqlite_options.exclusive_locking = *uri.exclusive_locking;
  }
  if (uri.wal_autocheckpoint) {
    sqlite_options.wal_autocheckpoint = static_cast<int>(*uri.wal_autocheckpoint);
  }
  if (uri.synchronous == SqliteSynchronous::kFull) {
    sqlite_options.synchronous = sqlite::SqliteOptions::Synchronous::kFull;
  }
  return sqlite::SqliteStore::open(sqlite_options);
}

// spec/behavior.md §10.2 (Repository.open): auto-provision, version check, namespace.
std::unique_ptr<Store> open_dynamodb(const DynamoDbStoreUri& uri, const StoreOptions& options) {
  dynamodb::DynamoDbConnectionOptions connection_options;
  if (options.clock != nullptr) {
    const Clock* clock = options.clock;
    connection_options.provision.now_seconds = [clock] { return epoch_ms(clock->now()) / 1000; };
  }
  std::shared_ptr<dynamodb::DynamoDbConnection> connection = dynamodb::DynamoDbConnection::create(
      uri, aws::process_environment(), std::move(connection_options));
  dynamodb::OpenedNamespace opened = connection->open(uri.table_name, options.namespace_name);
  return std::make_unique<dynamodb::DynamoDbStore>(
      std::move(connection), std::move(opened),
      dynamodb::DynamoDbStoreOptions{.bucket_ttl_multiplier = options.bucket_ttl_multiplier,
                                     .clock = options.clock});
}

}  // namespace

std::unique_ptr<Store> open_store(std::string_view uri, const StoreOptions& options) {
  const StoreUri parsed = parse_store_uri(uri);
  if (const auto* sqlite_uri = std::get_if<SqliteStoreUri>(&parsed)) {
    return open_sqlite(*sqlite_uri, options);
  }
  return open_dynamodb(std::get<DynamoDbStoreUri>(parsed), options);
}

std::string default_store_uri() {
  // XDG Base Directory: $XDG_DATA_HOME when set to an absolute path, else ~/.local/share.
  std::string base;
  const char* data_home = std::getenv("XDG_DATA_HOME");
  if (data_home != nullptr && data_home[0] == '/') {
    base = data_home;
  } else {
    const char* home = std::getenv("HOME");
    base = std::string(home != nullptr && home[0] != '\0' ? home : ".") + "/.local/share";
  }
  while (base.size() > 1 && base.back() == '/') {
    base.pop_back();
  }
  // Escape what the URI grammar would otherwise read as an escape or a query.
  // "sqlite://" + an absolute path; a relative fallback (no HOME) uses the relative form.
  std::string uri = base.front() == '/' ? "sqlite://" : "sqlite:";
  for (const char c : base + "/zae-limiter/zae-limiter.db") {
    if (c == '%') {
      uri += "%25";
    } else if (c == '?') {
      uri += "%3F";
    } else {
      uri.push_back(c);
    }
  }
  return uri;
}

std::vector<std::string> available_store_schemes() { return {"sqlite", "dynamodb"}; }

}  // namespace zae
