// SPDX-License-Identifier: MIT
#include "sqlite/connection.h"

#include <algorithm>
#include <random>
#include <thread>
#include <utility>

#include <sqlite3.h>

#include "zae/errors.h"

#include "sqlite/usage.h"

namespace zae::sqlite {
namespace {

constexpr char kBeginRead[] = "BEGIN";
constexpr char kBeginWrite[] = "BEGIN IMMEDIATE";
constexpr char kCommit[] = "COMMIT";
constexpr char kRollback[] = "ROLLBACK";

// Idle file connections kept for reuse; more are opened on demand and closed when returned.
constexpr std::size_t kMaxIdleConnections = 64;

bool is_transient(int rc) {
  const int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

std::string error_text(std::string_view path, std::string_view message, int rc,
                       std::string_view context) {
  std::string text = "SQLite error on '";
  text += path;
  text += "': ";
  text += message;
  text += " (";
  text += sqlite3_errstr(rc);
  if (!context.empty()) {
    text += ", while ";
    text += context;
  }
  text += ")";
  return text;
}

}  // namespace

// ---- Connection -----------------------------------------------------------------------------

std::unique_ptr<Connection> Connection::open(const ConnectionSettings& settings) {
  std::unique_ptr<Connection> connection(new Connection(settings));
  // NOMUTEX: the pool guarantees one user per connection, so SQLite's own mutexes are waste.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(settings.path.c_str(), &connection->db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string message =
        connection->db_ != nullptr ? sqlite3_errmsg(connection->db_) : sqlite3_errstr(rc);
    throw InfrastructureError(error_text(settings.path, message, rc, "opening the database"),
                              is_transient(rc));
  }
  sqlite3_extended_result_codes(connection->db_, 1);
  register_usage_functions(connection->db_);
  // A busy handler of our own instead of sqlite3_busy_timeout(): SQLite's default sleeps at
  // least 1 ms per retry, which under multi-process contention of sub-millisecond
  // transactions wastes most of the time the lock is free.
  sqlite3_busy_handler(connection->db_, &Connection::on_busy, connection.get());
  // Small pages for a new database (a no-op once it exists; it must precede the switch to WAL,
  // which writes the header). A commit appends every changed page to the WAL, which is
  // fsync'd at each checkpoint, so the page size is the disk traffic of one decision: bucket
  // rows are ~100-300 bytes, and 1 KiB pages halved the wall time of a consume against 4 KiB
  // (bench/sqlite_bench.cc).
  connection->exec("PRAGMA page_size=1024");
  if (settings.exclusive_locking) {
    // Before the first access, so that WAL mode keeps its index in the heap: no shared-memory
    // locks per transaction (six fcntl calls per consume; bench/sqlite_bench.cc).
    connection->exec("PRAGMA locking_mode=EXCLUSIVE");
  }
  if (settings.path != ":memory:") {
    // WAL: readers never block the writer and a commit appends instead of rewriting pages.
    // Persistent in the file; a no-op when already set.
    connection->exec("PRAGMA journal_mode=WAL");
  }
  connection->exec(settings.synchronous_full ? "PRAGMA synchronous=FULL"
                                             : "PRAGMA synchronous=NORMAL");
  connection->exec("PRAGMA temp_store=MEMORY");
  // How often a commit checkpoints (SqliteOptions::wal_autocheckpoint says why it matters).
  connection->exec(
      ("PRAGMA wal_autocheckpoint=" + std::to_string(settings.wal_autocheckpoint)).c_str());
  return connection;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : statements_) {
    sqlite3_finalize(stmt);
  }
  sqlite3_close_v2(db_);
}

int Connection::on_busy(void* self, int attempt) {
  auto* connection = static_cast<Connection*>(self);
  const auto now = std::chrono::steady_clock::now();
  if (attempt == 0) {
    connection->busy_since_ = now;
  }
  if (now - connection->busy_since_ >= connection->settings_.busy_timeout) {
    return 0;  // give up: the caller sees SQLITE_BUSY, a transient InfrastructureError
  }
  // Short, growing, jittered sleeps: 20 µs doubling up to ~1 ms. Jitter keeps several
  // processes from retrying in lock step.
  thread_local std::minstd_rand jitter(std::random_device{}());
  const int base_us = 20 << std::min(attempt, 6);
  const int sleep_us = base_us / 2 + static_cast<int>(jitter() % static_cast<unsigned>(base_us));
  std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  return 1;
}

void Connection::exec(const char* sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    const std::string text = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw InfrastructureError(error_text(settings_.path, text, rc, sql), is_transient(rc));
  }
}

sqlite3_stmt* Connection::statement(const char* sql) {
  const auto it = statements_.find(sql);
  if (it != statements_.end()) {
    return it->second;
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    fail(rc, sql);
  }
  statements_.emplace(sql, stmt);
  return stmt;
}

void Connection::fail(int rc, std::string_view context) const {
  throw InfrastructureError(error_text(settings_.path, sqlite3_errmsg(db_), rc, context),
                            is_transient(rc));
}

std::int64_t Connection::changes() const { return sqlite3_changes64(db_); }

std::uint32_t Connection::data_version() {
  unsigned int version = 0;
  const int rc = sqlite3_file_control(db_, "main", SQLITE_FCNTL_DATA_VERSION, &version);
  if (rc != SQLITE_OK) {
    fail(rc, "reading the data version");
  }
  return version;
}

// ---- Statement ------------------------------------------------------------------------------

Statement::Statement(Connection& connection, const char* sql)
    : connection_(connection), stmt_(connection.statement(sql)) {}

Statement::~Statement() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Statement& Statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) {
    connection_.fail(rc, "binding a parameter");
  }
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  const int rc =
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) {
    connection_.fail(rc, "binding a parameter");
  }
  return *this;
}

Statement& Statement::bind_view(int index, std::string_view value) {
  const int rc =
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK) {
    connection_.fail(rc, "binding a parameter");
  }
  return *this;
}

Statement& Statement::bind_view(int index, const std::optional<std::string>& value) {
  return value ? bind_view(index, std::string_view(*value)) : bind_null(index);
}

Statement& Statement::bind(int index, const std::optional<std::string>& value) {
  return value ? bind(index, std::string_view(*value)) : bind_null(index);
}

Statement& Statement::bind(int index, const std::optional<std::int64_t>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

Statement& Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) {
    connection_.fail(rc, "binding a parameter");
  }
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  connection_.fail(rc, sqlite3_sql(stmt_));
}

void Statement::run() {
  while (step()) {
  }
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string_view Statement::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  return data == nullptr ? std::string_view() : std::string_view(data, static_cast<size_t>(size));
}

std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return std::string(text(column));
}

std::optional<std::int64_t> Statement::optional_int64(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return int64(column);
}

// ---- Transaction ----------------------------------------------------------------------------

Transaction::Transaction(Connection& connection, Mode mode) : connection_(connection) {
  // Prepared now, so that the destructor cannot fail to prepare it.
  connection_.statement(kRollback);
  Statement(connection_, mode == Mode::kWrite ? kBeginWrite : kBeginRead).run();
  open_ = true;
}

Transaction::~Transaction() {
  if (!open_) {
    return;
  }
  // Never throws: a failed statement may already have rolled the transaction back (SQLite
  // does so for BUSY, FULL, IOERR and NOMEM), and then ROLLBACK just reports "no transaction".
  sqlite3_stmt* rollback = connection_.statement(kRollback);
  sqlite3_step(rollback);
  sqlite3_reset(rollback);
}

void Transaction::commit() {
  Statement(connection_, kCommit).run();
  open_ = false;
}

// ---- ConnectionPool -------------------------------------------------------------------------

ConnectionPool::ConnectionPool(ConnectionSettings settings)
    : settings_(std::move(settings)),
      in_memory_(settings_.path == ":memory:"),
      single_(in_memory_ || settings_.exclusive_locking) {
  if (single_) {
    memory_connection_ = Connection::open(settings_);
  }
}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Lease ConnectionPool::acquire() {
  if (single_) {
    std::unique_lock<std::mutex> lock(memory_mutex_);
    return Lease(*this, nullptr, memory_connection_.get(), std::move(lock));
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      Connection* raw = connection.get();
      return Lease(*this, std::move(connection), raw, {});
    }
  }
  std::unique_ptr<Connection> connection = Connection::open(settings_);
  Connection* raw = connection.get();
  return Lease(*this, std::move(connection), raw, {});
}

void ConnectionPool::release(std::unique_ptr<Connection> connection) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (idle_.size() < kMaxIdleConnections) {
    idle_.push_back(std::move(connection));
  }
}

ConnectionPool::Lease::Lease(ConnectionPool& pool, std::unique_ptr<Connection> owned,
                             Connection* shared, std::unique_lock<std::mutex> exclusive)
    : pool_(&pool),
      owned_(std::move(owned)),
      connection_(shared),
      exclusive_(std::move(exclusive)) {}

ConnectionPool::Lease::~Lease() {
  if (owned_) {
    pool_->release(std::move(owned_));
  }
}

}  // namespace zae::sqlite
