// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "zae/clock.h"
#include "zae/store.h"

namespace zae::sqlite {

class ConnectionPool;
class Connection;

struct SqliteOptions {
  // Database file, or ":memory:" for a private in-memory database.
  std::string path;
  // Tenant namespace the store is scoped to; registered when missing.
  std::string namespace_name = "default";
  // Bucket TTL = multiplier × the time to fill the slowest limit; <= 0 disables TTL.
  int bucket_ttl_multiplier = 7;
  // How long a call waits for the database lock held by another connection or process.
  std::chrono::milliseconds busy_timeout{5000};
  enum class Synchronous { kNormal, kFull } synchronous = Synchronous::kNormal;
  // WAL pages after which a commit checkpoints them into the database (0: never; then run
  // checkpoints yourself). A checkpoint fsyncs the WAL and the database once; a longer WAL
  // makes every commit of a hot page slower, because SQLite's WAL index chains all frames of
  // one page. SQLite's default, 1000, is the best trade-off measured on a local disk
  // (docs/benchmarks.md); raise it where an fsync costs milliseconds.
  int wal_autocheckpoint = 1000;
  // One process owns the file (SQLite's locking_mode=EXCLUSIVE): the store takes the file lock
  // when it opens and holds it until it is destroyed; another process that opens the file fails
  // with "database is locked" after busy_timeout. The threads of this process share one
  // connection. Each decision then skips SQLite's shared-memory locking, which is most of the
  // system time of a warm consume (docs/benchmarks.md). Ignored for ":memory:".
  bool exclusive_locking = false;
  // Time source for store-side timestamps and expiry checks of reads; nullptr: SystemClock.
  // Must outlive the store.
  const Clock* clock = nullptr;
};

// The embedded Store on SQLite (spec/behavior.md, tables in src/sqlite/schema.h).
//
// A file database runs in WAL mode and every write is one `BEGIN IMMEDIATE` transaction, so
// any number of threads and processes can share one file without over-admitting. Thread-safe:
// each call checks a connection out of a pool (one connection behind a mutex for ":memory:").
// Open the store after fork(), never before: SQLite connections must not cross a fork.
class SqliteStore final : public Store {
 public:
  // Opens or creates the database (and the directories of its file), creates the schema and
  // registers the namespace. Throws ValidationError for a bad namespace name,
  // IncompatibleSchemaError for a database written by a newer schema, and InfrastructureError
  // when SQLite fails.
  static std::unique_ptr<SqliteStore> open(const SqliteOptions& options);
  ~SqliteStore() override;

  // The opaque id of the namespace (11 characters, NS-1).
  const std::string& namespace_id() const { return namespace_id_; }

  const std::string& namespace_name() const override { return options_.namespace_name; }
  StoreCapabilities capabilities() const override;
  std::string describe() const override;
  bool is_available() noexcept override;

  ConsumeResult consume(const ConsumeRequest& request) override;
  void apply_deltas(std::span<const BucketDelta> deltas, TimePoint now) override;
  std::optional<BucketState> get_bucket(const std::string& entity_id,
                                        const std::string& resource) override;
  std::vector<BucketState> get_buckets(const std::string& entity_id) override;

  Entity create_entity(const CreateEntityRequest& request, TimePoint now) override;
  std::optional<Entity> get_entity(const std::string& entity_id) override;
  std::size_t delete_entity(const std::string& entity_id,
                            const std::optional<std::string>& principal, TimePoint now) override;
  std::vector<Entity> get_children(const std::string& parent_id) override;

  void set_limits(const std::string& entity_id, const std::string& resource,
                  const std::vector<Limit>& limits, const std::optional<std::string>& principal,
                  TimePoint now) override;
  std::vector<Limit> get_limits(const std::string& entity_id, const std::string& resource) override;
  bool delete_limits(const std::string& entity_id, const std::string& resource,
                     const std::optional<std::string>& principal, TimePoint now) override;

  void set_resource_defaults(const std::string& resource, const std::vector<Limit>& limits,
                             const std::optional<std::string>& principal, TimePoint now) override;
  std::vector<Limit> get_resource_defaults(const std::string& resource) override;
  void delete_resource_defaults(const std::string& resource,
                                const std::optional<std::string>& principal,
                                TimePoint now) override;
  std::vector<std::string> list_resources_with_defaults() override;

  void set_system_defaults(const SystemDefaults& defaults,
                           const std::optional<std::string>& principal, TimePoint now) override;
  SystemDefaults get_system_defaults() override;
  void delete_system_defaults(const std::optional<std::string>& principal, TimePoint now) override;

  std::vector<std::string> list_resources_with_entity_configs() override;
  std::vector<std::string> list_entities_with_custom_limits(const std::string& resource) override;

  ConfigLevels read_config_levels(const ConfigQuery& query) override;

  std::vector<AuditEvent> get_audit_events(
      const std::string& entity_id, std::size_t limit,
      const std::optional<std::string>& start_event_id) override;

  // Usage is recorded by consume and apply_deltas themselves (src/sqlite/usage.h).
  UsagePage get_usage_snapshots(const UsageQuery& query) override;

  std::optional<ProvisionerState> get_provisioner_state() override;
  void put_provisioner_state(const ProvisionerState& state) override;

 private:
  struct AuditRecord;
  class EventIds;

  SqliteStore(SqliteOptions options, std::unique_ptr<ConnectionPool> pool);
  void initialize();
  TimePoint clock_now() const;
  void write_audit(Connection& connection, const AuditRecord& record, TimePoint now);

  SqliteOptions options_;
  std::unique_ptr<ConnectionPool> pool_;
  std::string namespace_id_;
  std::unique_ptr<EventIds> event_ids_;
};

}  // namespace zae::sqlite
