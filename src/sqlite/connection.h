// SPDX-License-Identifier: MIT
#pragma once

// A thin RAII layer over the SQLite C API for SqliteStore: connections with a per-connection
// cache of prepared statements, scoped statements that reset themselves, transactions that roll
// back unless committed, and a pool that hands each call its own connection. Every SQLite
// failure becomes zae::InfrastructureError exactly once, here.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace zae::sqlite {

struct ConnectionSettings {
  std::string path;
  std::chrono::milliseconds busy_timeout{5000};
  bool synchronous_full = false;
  int wal_autocheckpoint = 1000;
  // SQLite's locking_mode=EXCLUSIVE: the connection takes the file lock at its first
  // transaction and keeps it, and the WAL index lives in its heap instead of shared memory.
  bool exclusive_locking = false;
};

// One sqlite3 handle. Not thread-safe: the pool gives it to one caller at a time.
class Connection {
 public:
  // Opens (creating when missing) the database; throws InfrastructureError.
  static std::unique_ptr<Connection> open(const ConnectionSettings& settings);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements without results (schema, pragmas).
  void exec(const char* sql);
  // The cached prepared statement for `sql`, keyed by the address of the text: pass only
  // string constants with static storage.
  sqlite3_stmt* statement(const char* sql);
  // Throws InfrastructureError for result code `rc`; transient for BUSY and LOCKED.
  [[noreturn]] void fail(int rc, std::string_view context) const;
  std::int64_t changes() const;

  // SQLite's data version of the main database (SQLITE_FCNTL_DATA_VERSION): it changes with
  // every commit to the file, by this connection or by any other connection or process, and
  // with nothing else. Read inside a transaction, it tells whether the database is still as
  // this connection left it at its own last commit, so state cached then is still the truth.
  std::uint32_t data_version();

  // State a store keeps with this connection between calls (SqliteStore's row cache); the
  // connection owns it and destroys it with itself.
  class Cache {
   public:
    virtual ~Cache() = default;
  };
  Cache* cache() const { return cache_.get(); }
  void set_cache(std::unique_ptr<Cache> cache) { cache_ = std::move(cache); }
  const std::string& path() const { return settings_.path; }

 private:
  explicit Connection(ConnectionSettings settings) : settings_(std::move(settings)) {}
  static int on_busy(void* self, int attempt);

  ConnectionSettings settings_;
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> statements_;
  std::chrono::steady_clock::time_point busy_since_;
  std::unique_ptr<Cache> cache_;
};

// A cached statement for the duration of one use: bind by 1-based index, step, read columns;
// the destructor resets it and clears the bindings.
class Statement {
 public:
  Statement(Connection& connection, const char* sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value);
  // Text is copied by SQLite, so temporaries are safe to bind.
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  Statement& bind(int index, const std::optional<std::string>& value);
  Statement& bind(int index, const std::optional<std::int64_t>& value);
  // Binds text without copying it: `value` must stay alive and unchanged until this Statement
  // is destroyed. For the hot paths, whose keys and encoded rows outlive the statement; a copy
  // per parameter was a tenth of the instructions of a warm consume (bench/sqlite_bench.cc).
  Statement& bind_view(int index, std::string_view value);
  Statement& bind_view(int index, const std::string& value) {
    return bind_view(index, std::string_view(value));
  }
  Statement& bind_view(int index, const std::optional<std::string>& value);
  // A temporary would be gone before step().
  Statement& bind_view(int index, std::string&& value) = delete;
  Statement& bind_null(int index);

  // True when a row is available, false when done; throws InfrastructureError otherwise.
  bool step();
  // Steps a statement that returns no rows.
  void run();

  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  // Valid until the next step() or the end of this Statement.
  std::string_view text(int column) const;
  std::optional<std::string> optional_text(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const;

 private:
  Connection& connection_;
  sqlite3_stmt* stmt_;
};

// BEGIN (kRead) or BEGIN IMMEDIATE (kWrite, so that concurrent writers of several processes
// queue on the database lock instead of failing on a lock upgrade); rolls back on destruction
// unless committed.
class Transaction {
 public:
  enum class Mode { kRead, kWrite };
  Transaction(Connection& connection, Mode mode);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection& connection_;
  bool open_ = false;
};

// Hands out connections. For a file: a free connection or a new one, so threads never wait on
// each other in the process (SQLite serialises writers itself). For ":memory:" and for exclusive
// locking: the single connection (each one would be a separate database, or locked out by the
// first) behind a mutex.
class ConnectionPool {
 public:
  explicit ConnectionPool(ConnectionSettings settings);
  ~ConnectionPool();

  // A connection for the duration of one call; returned to the pool on destruction.
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> owned, Connection* shared,
          std::unique_lock<std::mutex> exclusive);
    ~Lease();
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> owned_;
    Connection* connection_;
    std::unique_lock<std::mutex> exclusive_;
  };

  Lease acquire();
  bool is_in_memory() const { return in_memory_; }
  bool is_single_connection() const { return single_; }

 private:
  void release(std::unique_ptr<Connection> connection);

  ConnectionSettings settings_;
  bool in_memory_;
  bool single_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
  // ":memory:" and exclusive locking: the connection and the mutex that serialises its users.
  std::unique_ptr<Connection> memory_connection_;
  std::mutex memory_mutex_;
};

}  // namespace zae::sqlite
