// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "zae/clock.h"
#include "zae/store.h"

#include "dynamodb/bucket_plan.h"
#include "dynamodb/dynamodb_connection.h"
#include "dynamodb/entity_config_ops.h"

// zae::Store on the shared DynamoDB table, schema-compatible with the Python original
// (spec/data-model.md). One namespace per store; every key carries its opaque id.
//
// consume() on a warm bucket is one conditional UpdateItem (bucket_plan.h, kConsume); with
// cascade the child's and the parent's are sent in parallel. It plans from the last state this
// store saw of the bucket (kept from ALL_NEW results and from the ALL_OLD item every failed
// condition returns), so a failed write is followed by the right write without a read. Reads
// happen only for a bucket this process has not seen, and to check the entity record when the
// bucket's copy of the hierarchy disagrees with the request (OQ-8).
namespace zae::dynamodb {

struct DynamoDbStoreOptions {
  int bucket_ttl_multiplier = 7;
  const Clock* clock = nullptr;
  EntityConfigOpsOptions entity_config{};
  // Buckets whose last seen state is kept; the cache is emptied when it would grow beyond.
  std::size_t bucket_cache_capacity = 1 << 16;
  // Writes of one consume before it gives up under contention (and rejects: CG-3).
  int max_write_attempts = 6;
  // A bucket whose wcu budget runs out doubles its shards up to this many (spec/data-model.md
  // §8.4; the original only warns above 32).
  int max_shard_count = 32;
};

class DynamoDbStore final : public Store {
 public:
  // `connection` has opened `opened` (DynamoDbConnection::open).
  DynamoDbStore(std::shared_ptr<DynamoDbConnection> connection, OpenedNamespace opened,
                DynamoDbStoreOptions options = {});
  ~DynamoDbStore() override;

  const std::string& namespace_name() const override { return opened_.namespace_name; }
  const std::string& namespace_id() const { return opened_.namespace_id; }
  StoreCapabilities capabilities() const override;
  // The table name.
  std::string describe() const override { return opened_.table_name; }
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

  // Reads what an aggregator wrote (src/dynamodb/usage_query.h); this store writes no usage.
  UsagePage get_usage_snapshots(const UsageQuery& query) override;

  std::optional<ProvisionerState> get_provisioner_state() override;
  void put_provisioner_state(const ProvisionerState& state) override;

 private:
  struct Work;
  class BucketCache {
   public:
    explicit BucketCache(std::size_t capacity) : capacity_(capacity) {}
    std::optional<BucketItem> find(const std::string& pk);
    // Also remembers the bucket's shard count (shard 0 is the truth; other shards only raise it).
    void put(const std::string& pk, BucketItem item);
    void erase(const std::string& pk);
    void erase_prefix(const std::string& prefix);
    // The shard count last seen for the bucket whose shard keys start with `base` (1: none).
    std::int64_t shard_count(const std::string& base);

   private:
    const std::size_t capacity_;
    std::mutex mutex_;
    std::unordered_map<std::string, BucketItem> items_;
    std::unordered_map<std::string, std::int64_t> shard_counts_;
  };

  ConsumeResult consume_checked(const ConsumeRequest& request);
  // One consistent BatchGetItem of the entity records and bucket items of `work`.
  void read_states(std::vector<Work>& work, const ConsumeRequest& request);
  void compensate(const std::vector<Work>& work);
  // The live shards k > 0 of the bucket of (entity, resource), for a shard 0 about to be created
  // (join_live_shards): the shard keys GSI3 lists for the entity and resource, plus shards
  // 1 .. known_count − 1 (GSI3 is eventually consistent), read consistently. Shards that know a
  // smaller count than the others are told the largest first (shard_count_request) and read
  // again, so all of them enforce the same share. Empty when none is alive (the usual case:
  // one Query). Remembers what it read.
  std::vector<BucketItem> read_live_shards(const std::string& entity_id,
                                           const std::string& resource, std::int64_t known_count,
                                           std::int64_t now_ms);
  // Reads one shard of (entity, resource) consistently; remembers it.
  std::optional<BucketItem> read_bucket(const std::string& entity_id, const std::string& resource,
                                        int shard = 0);
  // Doubles the shards of a bucket whose wcu budget ran out, if it still has `observed` shards:
  // tells the existing shards, splits shard 0's balance (plan_split), creates the new shards.
  // Best effort: a lost race or a failure leaves the bucket as it was, and never admits more.
  void double_shards(const std::string& entity_id, const std::string& resource,
                     std::int64_t observed, std::int64_t now_ms) noexcept;
  // Applies `change` to the fresh state of the bucket with an exact optimistic rewrite, retried
  // on the state each failed attempt returns. `change` returns false when nothing is to be
  // written; `fallback` (may be null) builds the unguarded write sent after every attempt lost.
  void rewrite_bucket(
      const std::string& entity_id, const std::string& resource,
      const std::function<bool(ItemPlan&)>& change, const TtlPolicy& ttl,
      const std::function<std::optional<aws::UpdateItemRequest>(const ItemPlan&)>& fallback,
      std::int64_t now_ms, int shard = 0);
  TimePoint clock_now() const;
  std::string bucket_pk_of(const std::string& entity_id, const std::string& resource,
                           int shard = 0) const;

  std::shared_ptr<DynamoDbConnection> connection_;
  aws::DynamoDbClient& client_;
  const OpenedNamespace opened_;
  const DynamoDbStoreOptions options_;
  EntityConfigOps ops_;
  BucketCache cache_;
};

}  // namespace zae::dynamodb
