// SPDX-License-Identifier: MIT
#include "dynamodb/dynamodb_store.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <random>
#include <exception>
#include <string_view>
#include <thread>
#include <utility>

#include "zae/errors.h"
#include "zae/validation.h"

#include "dynamodb/items.h"
#include "dynamodb/keys.h"
#include "dynamodb/namespaces.h"
#include "dynamodb/provisioner_item.h"
#include "dynamodb/sharding.h"
#include "dynamodb/usage_query.h"
#include "store/request_checks.h"
#include "store/usage_query.h"

namespace zae::dynamodb {
namespace {

using aws::AttributeMap;
using aws::AttributeValue;

std::optional<BucketItem> decode_optional(const std::optional<AttributeMap>& item) {
  if (!item) {
    return std::nullopt;
  }
  return decode_bucket(*item);
}

bool expired(const BucketItem& item, TimePoint now) {
  return item.ttl && *item.ttl <= core::floor_div(epoch_ms(now), core::kMilli);
}

BucketState to_state(const BucketItem& item) {
  BucketState state{.entity_id = item.entity_id,
                    .resource = item.resource,
                    .shard = item.shard,
                    .shard_count = static_cast<int>(item.shard_count),
                    .last_refill = from_epoch_ms(item.refill_ms),
                    .limits = {},
                    .ttl_epoch_seconds = item.ttl};
  state.limits.reserve(item.limits.size());
  for (const BucketLimitFields& f : item.limits) {
    try {
      state.limits.push_back(
          BucketLimitState{.limit = Limit(f.name, core::floor_div(f.capacity_milli, core::kMilli),
                                          core::floor_div(f.refill_amount_milli, core::kMilli),
                                          core::floor_div(f.refill_period_ms, core::kMilli)),
                           .tokens_milli = f.tokens_milli,
                           .total_consumed_milli = f.total_consumed_milli});
    } catch (const ValidationError& error) {
      throw MalformedItemError("bucket item of entity '" + item.entity_id + "' and resource '" +
                               item.resource + "': limit '" + f.name + "': " + error.what());
    }
  }
  std::sort(state.limits.begin(), state.limits.end(),
            [](const BucketLimitState& a, const BucketLimitState& b) {
              return a.limit.name() < b.limit.name();
            });
  return state;
}

// The state a write leaves, as far as this process knows (for writes that return nothing).
BucketItem predicted_after(const ItemPlan& plan, WriteKind kind, const WriteContext& context,
                           const BucketHierarchy& record) {
  if (kind == WriteKind::kCreate) {
    return created_item(plan, context.ttl, record);
  }
  BucketItem item = *plan.read;
  if (kind == WriteKind::kRefill) {
    item.refill_ms = plan.new_rf;
  }
  item.limits.clear();
  for (const PlannedLimit& limit : plan.limits) {
    BucketLimitFields fields{.name = limit.name,
                             .tokens_milli = limit.tokens,
                             .capacity_milli = limit.params.capacity_milli,
                             .refill_amount_milli = limit.params.refill_amount_milli,
                             .refill_period_ms = limit.params.refill_period_ms,
                             .total_consumed_milli = limit.tc_read.value_or(0) + limit.consumed};
    if (kind == WriteKind::kConsume) {
      fields.tokens_milli = limit.tokens_read - limit.consumed;
      if (limit.hidden) {
        fields.tokens_milli -= kWcuPerWriteMilli;
        fields.total_consumed_milli = limit.tc_read.value_or(0) + kWcuPerWriteMilli;
      }
    }
    if (limit.hidden) {
      item.wcu = fields;
    } else {
      item.limits.push_back(std::move(fields));
    }
  }
  if (context.ttl.action == TtlPolicy::Action::kSet) {
    item.ttl = context.ttl.value;
  } else if (context.ttl.action == TtlPolicy::Action::kClear) {
    item.ttl.reset();
  }
  if (context.hierarchy.mode == HierarchyRule::Mode::kSet) {
    item.cascade = context.hierarchy.hierarchy.cascade;
    item.parent_id = context.hierarchy.hierarchy.parent_id;
  }
  return item;
}

// A uniformly random shard of [0, count) outside `excluded` (a bit per shard); count <= 64 and
// some shard is not excluded.
int random_shard(std::int64_t count, std::uint64_t excluded) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  std::vector<int> open;
  open.reserve(static_cast<std::size_t>(count));
  for (int shard = 0; shard < count && shard < 64; ++shard) {
    if ((excluded & (std::uint64_t{1} << shard)) == 0) {
      open.push_back(shard);
    }
  }
  if (open.empty()) {
    return 0;
  }
  return open[std::uniform_int_distribution<std::size_t>(0, open.size() - 1)(rng)];
}

// A consume that ran out of write attempts under contention is a rejection (CG-3), so it must
// name an exceeded limit (ConsumeResult, RLE-1): the limits it planned as enough were never
// granted. As the original's retry path does (C-9), every limit asked for tokens is exceeded,
// to retry after a moment. Without this the limiter could not build RateLimitExceeded, and the
// contention became an outage: RateLimiterUnavailable, or with ALLOW a no-op lease that admits
// for free.
void mark_contended(std::vector<LimitStatus>& statuses) {
  const bool any_requested = std::any_of(statuses.begin(), statuses.end(),
                                         [](const LimitStatus& s) { return s.requested > 0; });
  for (LimitStatus& status : statuses) {
    if (status.requested > 0 || !any_requested) {
      status.exceeded = true;
      status.retry_after = std::max(status.retry_after, std::chrono::milliseconds(1));
    }
  }
}

[[noreturn]] void throw_throttled(std::string_view what) {
  throw InfrastructureError("DynamoDB kept throttling " + std::string(what), /*transient=*/true);
}

}  // namespace

// One bucket item a consume writes: the target's, and the parent's unless it is the same item.
struct DynamoDbStore::Work {
  std::string entity_id;
  std::string resource;
  // The shard written and its key; `base` is the key without the shard number.
  int shard = 0;
  std::string base{};
  std::string pk{};
  // Shards tried and rejected (spec/behavior.md SH-3).
  std::uint64_t rejected_shards = 0;
  std::vector<const ConsumeTarget*> sides{};
  // Some side has limits: the item is checked and written.
  bool writes = false;
  TtlPolicy ttl{};
  // The state planned from: last seen (cache) or read in this call.
  std::optional<BucketItem> state{};
  bool known = false;
  bool fresh = false;
  // The hierarchy of this item's entity as its record says, once read in this call.
  bool record_read = false;
  BucketHierarchy record{};
  // This item's write has been applied.
  bool done = false;
  // The last plan found some limit short.
  bool short_of_tokens = false;
  // Shard 0 is to be created: the other shards of its bucket that are alive (read once).
  bool live_shards_read = false;
  std::vector<BucketItem> live_shards{};
  ItemPlan plan{};
  WriteKind kind = WriteKind::kConsume;
  WriteContext context{};
  std::vector<LimitStatus> statuses{};
  std::vector<ConsumedEntry> entries{};
};

// ---- bucket cache -------------------------------------------------------------------------------

std::optional<BucketItem> DynamoDbStore::BucketCache::find(const std::string& pk) {
  std::lock_guard lock(mutex_);
  const auto it = items_.find(pk);
  if (it == items_.end()) {
    return std::nullopt;
  }
  return it->second;
}

void DynamoDbStore::BucketCache::put(const std::string& pk, BucketItem item) {
  std::lock_guard lock(mutex_);
  if (items_.size() >= capacity_ && !items_.contains(pk)) {
    items_.clear();  // a cold start for every bucket costs one read each; never unbounded
    shard_counts_.clear();
  }
  const std::int64_t count = std::max<std::int64_t>(item.shard_count, 1);
  std::string base = pk.substr(0, pk.rfind('#') + 1);
  if (item.shard == 0) {
    shard_counts_.insert_or_assign(std::move(base), count);
  } else if (std::int64_t& known = shard_counts_[std::move(base)]; known < count) {
    known = count;
  }
  items_.insert_or_assign(pk, std::move(item));
}

std::int64_t DynamoDbStore::BucketCache::shard_count(const std::string& base) {
  std::lock_guard lock(mutex_);
  const auto it = shard_counts_.find(base);
  return it == shard_counts_.end() ? 1 : std::max<std::int64_t>(it->second, 1);
}

void DynamoDbStore::BucketCache::erase(const std::string& pk) {
  std::lock_guard lock(mutex_);
  items_.erase(pk);
}

void DynamoDbStore::BucketCache::erase_prefix(const std::string& prefix) {
  std::lock_guard lock(mutex_);
  std::erase_if(items_, [&prefix](const auto& entry) { return entry.first.starts_with(prefix); });
  std::erase_if(shard_counts_,
                [&prefix](const auto& entry) { return entry.first.starts_with(prefix); });
}

// ---- construction -------------------------------------------------------------------------------

DynamoDbStore::DynamoDbStore(std::shared_ptr<DynamoDbConnection> connection, OpenedNamespace opened,
                             DynamoDbStoreOptions options)
    : connection_(std::move(connection)),
      client_(connection_->client()),
      opened_(std::move(opened)),
      options_(std::move(options)),
      ops_(client_, opened_.table_name, opened_.namespace_id, options_.entity_config),
      cache_(std::max<std::size_t>(options_.bucket_cache_capacity, 1)) {}

DynamoDbStore::~DynamoDbStore() = default;

StoreCapabilities DynamoDbStore::capabilities() const {
  return StoreCapabilities{.supports_audit_logging = true,
                           .supports_usage_snapshots = true,
                           .supports_infrastructure_management = true,
                           .supports_change_streams = true,
                           .supports_batch_operations = true};
}

bool DynamoDbStore::is_available() noexcept {
  try {
    (void)client_.get_item(
        {.table_name = opened_.table_name, .key = version_key().to_attributes()});
    return true;
  } catch (...) {
    return false;
  }
}

TimePoint DynamoDbStore::clock_now() const {
  return (options_.clock != nullptr ? *options_.clock : SystemClock::instance()).now();
}

std::string DynamoDbStore::bucket_pk_of(const std::string& entity_id, const std::string& resource,
                                        int shard) const {
  return bucket_pk(opened_.namespace_id, entity_id, resource, shard);
}

// ---- consume ----------------------------------------------------------------------------------

ConsumeResult DynamoDbStore::consume(const ConsumeRequest& request) {
  detail::validate_consume_request(request);
  try {
    return consume_checked(request);
  } catch (const aws::AwsError& error) {
    // The context is built only on failure: consume is the hot path.
    throw_translated_aws_error(error, "consume for entity '" + request.target.entity_id +
                                          "' and resource '" + request.target.resource + "'");
  }
}

void DynamoDbStore::read_states(std::vector<Work>& work, const ConsumeRequest& request) {
  const std::string& ns = opened_.namespace_id;
  aws::KeysAndAttributes keys{.consistency = aws::ReadConsistency::kStrong};
  const ItemKey target_meta = entity_meta_key(ns, request.target.entity_id);
  keys.keys.push_back(target_meta.to_attributes());
  std::optional<ItemKey> parent_meta;
  // BatchGetItem refuses a key given twice: a parent that is the entity itself is read once.
  if (work.size() > 1 && work[1].entity_id != request.target.entity_id) {
    parent_meta = entity_meta_key(ns, work[1].entity_id);
    keys.keys.push_back(parent_meta->to_attributes());
  }
  for (const Work& w : work) {
    if (w.writes && !w.done) {
      keys.keys.push_back(bucket_key(ns, w.entity_id, w.resource, w.shard).to_attributes());
    }
  }
  auto result = client_.batch_get_item({.request_items = {{opened_.table_name, std::move(keys)}}});
  if (!result.unprocessed_keys.empty()) {
    throw InfrastructureError("DynamoDB left keys of a consume unread after every resend",
                              /*transient=*/true);
  }
  const std::vector<AttributeMap>& items = result.responses[opened_.table_name];
  const auto find = [&items](const std::string& pk, std::string_view sk) -> const AttributeMap* {
    for (const AttributeMap& item : items) {
      const AttributeValue* item_pk = item.find(kPk);
      const AttributeValue* item_sk = item.find(kSk);
      if (item_pk != nullptr && item_sk != nullptr && item_pk->as_string() == pk &&
          item_sk->as_string() == sk) {
        return &item;
      }
    }
    return nullptr;
  };
  const auto record_of = [&](const ItemKey& key) {
    const AttributeMap* meta = find(key.pk, key.sk);
    if (meta == nullptr) {
      return BucketHierarchy{};  // EN-15: no entity, no cascade
    }
    const Entity entity = decode_entity_meta(*meta);
    return BucketHierarchy{.cascade = entity.cascade, .parent_id = entity.parent_id};
  };
  work[0].record = record_of(target_meta);
  work[0].record_read = true;
  if (work.size() > 1) {
    work[1].record = parent_meta ? record_of(*parent_meta) : work[0].record;
    work[1].record_read = true;
  }
  for (Work& w : work) {
    if (!w.writes || w.done) {
      continue;
    }
    const AttributeMap* bucket = find(w.pk, kSkState);
    w.state = bucket != nullptr ? std::optional<BucketItem>(decode_bucket(*bucket)) : std::nullopt;
    w.known = true;
    w.fresh = true;
    if (w.state) {
      cache_.put(w.pk, *w.state);
    } else {
      cache_.erase(w.pk);
    }
  }
}

void DynamoDbStore::compensate(const std::vector<Work>& work) {
  for (const Work& w : work) {
    if (!w.done || !w.writes) {
      continue;
    }
    // Row 5: what the applied write took goes back; best effort, as a lost compensation only
    // leaves the bucket stricter than it should be.
    if (auto request = compensation_request(opened_.table_name, opened_.namespace_id, w.plan)) {
      try {
        (void)client_.try_update_item(*request);
      } catch (const std::exception&) {
      }
    }
    cache_.erase(w.pk);
  }
}

ConsumeResult DynamoDbStore::consume_checked(const ConsumeRequest& request) {
  const std::int64_t now_ms = epoch_ms(request.now);
  const std::optional<std::string> expected =
      request.parent ? std::optional<std::string>(request.parent->entity_id) : std::nullopt;

  std::vector<Work> work;
  work.reserve(2);
  work.push_back(Work{.entity_id = request.target.entity_id,
                      .resource = request.target.resource,
                      .sides = {&request.target}});
  if (request.parent) {
    if (request.parent->entity_id == request.target.entity_id &&
        request.parent->resource == request.target.resource) {
      work[0].sides.push_back(&*request.parent);  // OQ-26: one item, consumed side by side
    } else {
      work.push_back(Work{.entity_id = request.parent->entity_id,
                          .resource = request.parent->resource,
                          .sides = {&*request.parent}});
    }
  }
  const HierarchyRule required{
      .mode = HierarchyRule::Mode::kRequire,
      .hierarchy = BucketHierarchy{.cascade = expected.has_value(), .parent_id = expected}};
  // Moves a Work to another shard of its bucket, planning from what is known of that shard.
  const auto retarget = [this](Work& w, int shard) {
    w.shard = shard;
    w.pk = w.base + std::to_string(shard);
    w.state = cache_.find(w.pk);
    w.known = w.state.has_value();
    w.fresh = false;
  };
  for (Work& w : work) {
    w.base = bucket_pk_of(w.entity_id, w.resource, 0);
    w.base.pop_back();  // the key without its shard number
    for (const ConsumeTarget* side : w.sides) {
      if (!side->limits.empty() && !w.writes) {
        w.writes = true;
        w.ttl = consume_ttl(*side, options_.bucket_ttl_multiplier, now_ms);  // RES-6
      }
    }
    // SH-2: a uniformly random shard of those last seen (shard 0 when there is one).
    const std::int64_t shards = w.writes ? cache_.shard_count(w.base) : 1;
    w.pk = w.base + "0";
    if (shards > 1) {
      retarget(w, random_shard(shards, 0));
    } else if (w.writes) {
      w.state = cache_.find(w.pk);
      w.known = w.state.has_value();
    }
  }

  // Without a write on the entity's own bucket, only its record can say whether it cascades.
  bool need_read = !work[0].writes;
  for (const Work& w : work) {
    need_read = need_read || (w.writes && !w.known);
  }
  if (work[0].state && !hierarchy_matches(*work[0].state, required)) {
    need_read = true;  // OQ-8: the bucket's copy may be stale; the entity record decides
  }
  bool verified = false;

  ConsumeResult result;
  const auto collect = [&work](ConsumeResult& out, bool with_entries) {
    for (Work& w : work) {
      out.statuses.insert(out.statuses.end(), w.statuses.begin(), w.statuses.end());
      if (with_entries) {
        out.entries.insert(out.entries.end(), w.entries.begin(), w.entries.end());
      }
    }
  };

  try {
    for (int attempt = 0; attempt < options_.max_write_attempts; ++attempt) {
      if (need_read) {
        read_states(work, request);
        need_read = false;
        const BucketHierarchy& record = work[0].record;
        const std::optional<std::string> actual =
            record.cascade ? record.parent_id : std::optional<std::string>();
        if (actual != expected) {
          compensate(work);
          result.kind = ConsumeResult::Kind::kCascadeMismatch;
          result.actual_parent = actual;
          return result;
        }
        verified = true;
      }

      // Plan every item not written yet, from the state last seen.
      bool admitted = true;
      bool definitive = false;
      bool moved = false;
      for (Work& w : work) {
        if (w.done) {
          continue;
        }
        if (w.shard != 0 && w.known && (!w.state || expired(*w.state, request.now))) {
          // SH-5: a shard not created yet (or expired) is not written; shard 0 always is.
          retarget(w, 0);
          moved = true;
          continue;
        }
        if (w.shard == 0 && w.writes && (!w.state || expired(*w.state, request.now)) &&
            !w.live_shards_read) {
          // The rare path: shard 0 is created, and may have expired while other shards of its
          // bucket live on; it must join them, not start over (join_live_shards).
          w.live_shards = read_live_shards(w.entity_id, w.resource, cache_.shard_count(w.base),
                                           now_ms);
          w.live_shards_read = true;
        }
        w.plan = plan_item(w.entity_id, w.resource, w.state, now_ms);
        join_live_shards(w.plan, w.live_shards);
        w.statuses.clear();
        w.entries.clear();
        bool enough = true;
        for (const ConsumeTarget* side : w.sides) {
          enough = plan_side(w.plan, *side, request.amounts, w.statuses, w.entries) && enough;
        }
        w.short_of_tokens = !enough;
        if (!enough) {
          admitted = false;
          definitive = definitive || w.fresh;
        }
      }
      if (moved) {
        need_read = std::any_of(work.begin(), work.end(),
                                [](const Work& w) { return w.writes && !w.done && !w.known; });
        continue;
      }
      if (!admitted) {
        if (!definitive) {
          need_read = true;  // a remembered state is no ground for a rejection
          continue;
        }
        // SH-3: a shard that is short may not be the whole bucket; up to two others are tried.
        bool retried = false;
        bool final_rejection = false;
        for (Work& w : work) {
          if (w.done || !w.short_of_tokens) {
            continue;
          }
          if (w.shard < 64) {
            w.rejected_shards |= std::uint64_t{1} << w.shard;
          }
          const int tried = std::popcount(w.rejected_shards);
          const std::int64_t shards = std::min<std::int64_t>(w.plan.shard_count, 64);
          if (w.fresh && shards > 1 && tried <= 2 && tried < shards) {
            retarget(w, random_shard(shards, w.rejected_shards));
            retried = true;
          } else {
            final_rejection = true;
          }
        }
        if (retried && !final_rejection) {
          need_read = std::any_of(work.begin(), work.end(),
                                  [](const Work& w) { return w.writes && !w.done && !w.known; });
          continue;
        }
        // The fast rejection: nothing (more) is written (RES-3).
        compensate(work);
        result.kind = ConsumeResult::Kind::kRejected;
        collect(result, false);
        return result;
      }

      std::vector<Work*> pending;
      bool need_record = false;
      for (Work& w : work) {
        if (w.done) {
          continue;
        }
        if (!w.writes) {
          w.done = true;  // RES-1: a side without limits checks nothing and writes nothing
          continue;
        }
        w.kind = choose_write(w.plan);
        need_record = need_record || (w.kind == WriteKind::kCreate && !w.record_read);
        HierarchyRule rule;  // a parent's own item: kIgnore
        if (&w == &work[0]) {
          rule = verified ? HierarchyRule{.mode = HierarchyRule::Mode::kSet, .hierarchy = w.record}
                          : required;
        }
        w.context = WriteContext{.table = opened_.table_name,
                                 .ns = opened_.namespace_id,
                                 .ttl = w.ttl,
                                 .hierarchy = rule};
        pending.push_back(&w);
      }
      if (need_record) {
        need_read = true;  // a new item copies its entity's record (spec/data-model.md §6.10)
        continue;
      }

      bool conflict = false;
      // A failed condition: plan again from the item as it is (ALL_OLD), no read needed.
      const auto take_old_item = [&](Work& w, const std::optional<AttributeMap>& old_item) {
        w.state = decode_optional(old_item);
        w.known = true;
        w.fresh = true;
        if (!w.state) {
          cache_.erase(w.pk);
          return;
        }
        cache_.put(w.pk, *w.state);
        if (&w == &work[0] && !verified && !hierarchy_matches(*w.state, required)) {
          need_read = true;
        }
      };
      const auto on_item_outcome = [&](Work& w, aws::Outcome<aws::WriteItemResult>& outcome,
                                       bool created) {
        if (outcome.ok()) {
          w.done = true;
          if (created) {
            cache_.put(w.pk, created_item(w.plan, w.ttl, w.record));
          } else if (outcome.value().attributes) {
            cache_.put(w.pk, decode_bucket(*outcome.value().attributes));
          }
          return;
        }
        if (outcome.is_throttled()) {
          throw_throttled("a bucket write");  // the caller gives back what was written
        }
        take_old_item(w, outcome.condition_failure().old_item);
      };

      if (pending.size() == 1) {
        Work& w = *pending[0];
        if (w.kind == WriteKind::kCreate) {
          aws::PutItemRequest put = create_request(w.context, w.plan, w.record);
          // A replay after a lost answer would fail its condition against its own first write
          // and read as a lost create race: the consumption would be taken again.
          put.idempotency = aws::Idempotency::kNonIdempotent;
          auto outcome = client_.try_put_item(put);
          on_item_outcome(w, outcome, true);
        } else {
          auto outcome = client_.try_update_item(w.kind == WriteKind::kConsume
                                                     ? consume_request(w.context, w.plan)
                                                     : refill_request(w.context, w.plan));
          on_item_outcome(w, outcome, false);
        }
      } else if (pending.size() == 2 && pending[0]->kind != WriteKind::kCreate &&
                 pending[1]->kind != WriteKind::kCreate) {
        // The warm cascade: both single-item conditional writes at once, one round trip; a side
        // that fails is retried alone and, if it is rejected, the other is given back (CG-4). A
        // refilling write is as safe here as the warm one: each is guarded on its own item.
        const auto update_of = [](const Work& w) {
          return w.kind == WriteKind::kConsume ? consume_request(w.context, w.plan)
                                               : refill_request(w.context, w.plan);
        };
        const std::vector<aws::UpdateItemRequest> requests{update_of(*pending[0]),
                                                           update_of(*pending[1])};
        std::vector<aws::ConcurrentUpdate> results = client_.try_update_items(requests);
        std::exception_ptr error;
        for (std::size_t i = 0; i < results.size(); ++i) {
          if (results[i].error) {
            error = results[i].error;
            continue;
          }
          try {
            on_item_outcome(*pending[i], *results[i].outcome, false);
          } catch (...) {
            error = std::current_exception();  // every success is recorded first
          }
        }
        if (error) {
          std::rethrow_exception(error);
        }
      } else if (pending.size() == 2) {
        // A cascade that creates an item: both in one transaction (spec/data-model.md §7.2).
        aws::TransactWriteItemsRequest transaction;
        for (Work* w : pending) {
          if (w->kind == WriteKind::kCreate) {
            aws::PutItemRequest put = create_request(w->context, w->plan, w->record);
            transaction.items.push_back(aws::TransactPut{
                .table_name = std::move(put.table_name),
                .item = std::move(put.item),
                .condition_expression = std::move(put.condition_expression),
                .expression_attribute_names = std::move(put.expression_attribute_names),
                .expression_attribute_values = std::move(put.expression_attribute_values),
                .return_values_on_condition_check_failure =
                    aws::ReturnValuesOnConditionCheckFailure::kAllOld});
          } else {
            aws::UpdateItemRequest update = w->kind == WriteKind::kConsume
                                                ? consume_request(w->context, w->plan)
                                                : refill_request(w->context, w->plan);
            transaction.items.push_back(aws::TransactUpdate{
                .table_name = std::move(update.table_name),
                .key = std::move(update.key),
                .update_expression = std::move(update.update_expression),
                .condition_expression = std::move(update.condition_expression),
                .expression_attribute_names = std::move(update.expression_attribute_names),
                .expression_attribute_values = std::move(update.expression_attribute_values),
                .return_values_on_condition_check_failure =
                    aws::ReturnValuesOnConditionCheckFailure::kAllOld});
          }
        }
        auto outcome = client_.try_transact_write_items(transaction);
        if (outcome.ok()) {
          for (Work* w : pending) {
            w->done = true;
            cache_.put(w->pk, predicted_after(w->plan, w->kind, w->context, w->record));
          }
        } else if (outcome.is_throttled()) {
          throw_throttled("a bucket transaction");
        } else {
          const auto& reasons = outcome.transaction_cancellation().reasons;
          for (std::size_t i = 0; i < pending.size() && i < reasons.size(); ++i) {
            Work& w = *pending[i];
            const aws::CancellationReason& reason = reasons[i];
            if (reason.code == "ConditionalCheckFailed") {
              take_old_item(w, reason.item);
            } else if (reason.code == "TransactionConflict") {
              conflict = true;
            } else if (!reason.code.empty() && reason.code != "None") {
              throw InfrastructureError(
                  "bucket transaction cancelled: " + reason.code + " " + reason.message,
                  reason.code == "ThrottlingError" ||
                      reason.code == "ProvisionedThroughputExceeded");
            }
          }
        }
      }

      if (std::all_of(work.begin(), work.end(), [](const Work& w) { return w.done; })) {
        result.kind = ConsumeResult::Kind::kAdmitted;
        collect(result, true);
        for (const Work& w : work) {
          // §8.4: a shard whose write budget ran out (more than its wcu per second) splits.
          const PlannedLimit* wcu = w.writes ? w.plan.find(kWcuLimit) : nullptr;
          if (wcu != nullptr && wcu->hidden && w.plan.exists &&
              wcu->tokens < kWcuPerWriteMilli &&
              w.plan.shard_count * 2 <= options_.max_shard_count) {
            double_shards(w.entity_id, w.resource, w.plan.shard_count, now_ms);
          }
        }
        return result;
      }
      if (conflict) {
        // spec/data-model.md §7.1: re-send after 25, 50, 100 ms.
        std::this_thread::sleep_for(std::chrono::milliseconds(25 << std::min(attempt, 2)));
      }
    }
  } catch (...) {
    // A failed request ends the consume: what was already written is given back (row 5).
    compensate(work);
    throw;
  }
  // CG-3: contention makes the limiter stricter, never looser.
  compensate(work);
  result.kind = ConsumeResult::Kind::kRejected;
  collect(result, false);
  mark_contended(result.statuses);
  return result;
}

// ---- shards -------------------------------------------------------------------------------------

std::vector<BucketItem> DynamoDbStore::read_live_shards(const std::string& entity_id,
                                                        const std::string& resource,
                                                        std::int64_t known_count,
                                                        std::int64_t now_ms) {
  const std::string& ns = opened_.namespace_id;
  std::vector<int> shards;
  for (int shard = 1; shard < std::min<std::int64_t>(known_count, 1024); ++shard) {
    shards.push_back(shard);
  }
  // spec/data-model.md §7.3: GSI3 (keys only) lists the entity's buckets; resource names hold
  // no '#', so the prefix names this resource's shards only.
  const auto keys = client_.query_all(
      {.table_name = opened_.table_name,
       .index_name = "GSI3",
       .key_condition_expression = "GSI3PK = :pk AND begins_with(GSI3SK, :shards)",
       .expression_attribute_values = {
           {":pk", AttributeValue::of_string(entity_pk(ns, entity_id))},
           {":shards",
            AttributeValue::of_string(std::string(kBucketPrefix) + resource + "#")}}});
  for (const AttributeMap& key : keys.items) {
    const AttributeValue* pk = key.find(kPk);
    if (pk == nullptr) {
      continue;
    }
    const std::optional<BucketPk> parsed = parse_bucket_pk(pk->as_string());
    if (parsed && parsed->namespace_id == ns && parsed->entity_id == entity_id &&
        parsed->resource == resource && parsed->shard > 0 &&
        std::find(shards.begin(), shards.end(), parsed->shard) == shards.end()) {
      shards.push_back(parsed->shard);
    }
  }
  const TimePoint now = from_epoch_ms(now_ms);
  const auto read = [&](const std::vector<int>& which) {
    std::vector<BucketItem> live;
    if (which.empty()) {
      return live;
    }
    aws::KeysAndAttributes request{.consistency = aws::ReadConsistency::kStrong};
    for (const int shard : which) {
      request.keys.push_back(bucket_key(ns, entity_id, resource, shard).to_attributes());
    }
    auto result =
        client_.batch_get_item({.request_items = {{opened_.table_name, std::move(request)}}});
    if (!result.unprocessed_keys.empty()) {
      throw InfrastructureError("DynamoDB left shard keys unread after every resend",
                                /*transient=*/true);
    }
    for (const AttributeMap& item : result.responses[opened_.table_name]) {
      BucketItem bucket = decode_bucket(item);
      if (bucket.shard > 0 && !expired(bucket, now)) {
        cache_.put(bucket_pk_of(entity_id, resource, bucket.shard), bucket);
        live.push_back(std::move(bucket));
      }
    }
    return live;
  };
  std::vector<BucketItem> live = read(shards);
  std::int64_t count = 1;
  for (const BucketItem& shard : live) {
    count = std::max({count, shard.shard_count, std::int64_t{shard.shard} + 1});
  }
  std::vector<aws::UpdateItemRequest> updates;
  std::vector<int> behind;
  for (const BucketItem& shard : live) {
    if (shard.shard_count < count) {
      updates.push_back(shard_count_request(opened_.table_name, ns, entity_id, resource,
                                            shard.shard, count));
      behind.push_back(shard.shard);
    }
  }
  if (!updates.empty()) {
    // A shard that missed a doubling would refill its larger share of the old count.
    (void)client_.try_update_items(updates);  // gone or knows more meanwhile: fine
    std::erase_if(live, [&](const BucketItem& shard) {
      return std::find(behind.begin(), behind.end(), shard.shard) != behind.end();
    });
    for (BucketItem& shard : read(behind)) {
      live.push_back(std::move(shard));
    }
  }
  return live;
}

void DynamoDbStore::double_shards(const std::string& entity_id, const std::string& resource,
                                  std::int64_t observed, std::int64_t now_ms) noexcept {
  const std::string pk = bucket_pk_of(entity_id, resource, 0);
  try {
    const std::optional<BucketItem> written =
        split_shards(client_,
                     ShardSplitTarget{.table = opened_.table_name,
                                      .ns = opened_.namespace_id,
                                      .entity_id = entity_id,
                                      .resource = resource,
                                      .observed = observed,
                                      .max_shard_count = options_.max_shard_count},
                     now_ms);
    if (written) {
      cache_.put(pk, *written);
    } else {
      cache_.erase(pk);
    }
  } catch (...) {
    // Splitting is an optimisation: the consume that triggered it has already been admitted.
    cache_.erase(pk);
  }
}

// ---- adjustments and reads ----------------------------------------------------------------------

namespace {

// Sends one adjustment write. A write that was sent and not answered (a timeout, a connection
// lost mid-exchange, a 5xx) may have been applied: WriteOutcomeUnknownError says so, so that
// the lease never sends it again (a replayed ADD would apply twice).
aws::Outcome<aws::WriteItemResult> send_adjustment(aws::DynamoDbClient& client,
                                                   const aws::UpdateItemRequest& request) {
  try {
    return client.try_update_item(request);
  } catch (const aws::NetworkError& e) {
    if (e.kind() == aws::NetworkErrorKind::kConnect || e.kind() == aws::NetworkErrorKind::kTls) {
      throw;  // nothing was sent
    }
    throw WriteOutcomeUnknownError(std::string("bucket adjustment: ") + e.what());
  } catch (const aws::ServiceError& e) {
    if (e.http_status() < 500) {
      throw;
    }
    throw WriteOutcomeUnknownError(std::string("bucket adjustment: ") + e.what());
  }
}

}  // namespace

std::optional<BucketItem> DynamoDbStore::read_bucket(const std::string& entity_id,
                                                     const std::string& resource, int shard) {
  auto result = client_.get_item(
      {.table_name = opened_.table_name,
       .key = bucket_key(opened_.namespace_id, entity_id, resource, shard).to_attributes(),
       .consistency = aws::ReadConsistency::kStrong});
  const std::string pk = bucket_pk_of(entity_id, resource, shard);
  if (!result.item) {
    cache_.erase(pk);
    return std::nullopt;
  }
  BucketItem item = decode_bucket(*result.item);
  cache_.put(pk, item);
  return item;
}

void DynamoDbStore::rewrite_bucket(
    const std::string& entity_id, const std::string& resource,
    const std::function<bool(ItemPlan&)>& change, const TtlPolicy& ttl,
    const std::function<std::optional<aws::UpdateItemRequest>(const ItemPlan&)>& fallback,
    std::int64_t now_ms, int shard) {
  const std::string pk = bucket_pk_of(entity_id, resource, shard);
  std::optional<BucketItem> state = cache_.find(pk);
  if (!state) {
    state = read_bucket(entity_id, resource, shard);
  }
  const WriteContext context{
      .table = opened_.table_name, .ns = opened_.namespace_id, .ttl = ttl, .hierarchy = {}};
  ItemPlan plan;
  for (int attempt = 0; attempt < options_.max_write_attempts; ++attempt) {
    plan = plan_item(entity_id, resource, state, now_ms);
    if (!change(plan)) {
      return;
    }
    // An adjustment that an ADD makes exactly is sent as one (it leaves rf alone).
    const bool in_place = deltas_apply_in_place(plan);
    auto outcome = send_adjustment(
        client_, in_place ? deltas_request(context, plan) : rewrite_request(context, plan));
    if (outcome.ok()) {
      if (outcome.value().attributes) {
        cache_.put(pk, decode_bucket(*outcome.value().attributes));
      }
      return;
    }
    if (outcome.is_throttled()) {
      throw_throttled("a bucket adjustment");
    }
    state = decode_optional(outcome.condition_failure().old_item);
    if (state) {
      cache_.put(pk, *state);
    } else {
      cache_.erase(pk);
    }
  }
  cache_.erase(pk);
  if (fallback) {
    if (auto request = fallback(plan)) {
      auto outcome = send_adjustment(client_, *request);
      if (!outcome.ok() && !outcome.is_condition_failure()) {
        (void)outcome.value();  // throws
      }
    }
  }
}

void DynamoDbStore::apply_deltas(std::span<const BucketDelta> deltas, TimePoint now) {
  for (const BucketDelta& delta : deltas) {
    validate_identifier(delta.entity_id, "entity_id");
    validate_resource(delta.resource, "resource");
    if (delta.shard < 0) {
      throw ValidationError("shard", std::to_string(delta.shard), "must be >= 0");
    }
  }
  with_zae_errors("apply bucket deltas", [&] {
    for (const BucketDelta& delta : deltas) {
      // Refill first, refunds capped (OQ-36), exactly; after repeated lost locks, the original's
      // unguarded ADDs. The delta goes to the shard the lease consumed from (the original always
      // sends it to shard 0, Q3), or to shard 0 when that shard is gone.
      bool missing = false;
      const auto apply = [&](int shard) {
        rewrite_bucket(
            delta.entity_id, delta.resource,
            [&](ItemPlan& plan) {
              missing = !plan.exists;
              return plan.exists && plan_deltas(plan, delta.tokens_milli);
            },
            TtlPolicy{},
            [&](const ItemPlan& plan) {
              return adjust_request(opened_.table_name, opened_.namespace_id, plan,
                                    delta.tokens_milli);
            },
            epoch_ms(now), shard);
      };
      apply(delta.shard);
      if (missing && delta.shard != 0) {
        apply(0);
      }
    }
  });
}

std::optional<BucketState> DynamoDbStore::get_bucket(const std::string& entity_id,
                                                     const std::string& resource) {
  validate_identifier(entity_id, "entity_id");
  validate_resource(resource, "resource");
  return with_zae_errors("read bucket of '" + entity_id + "' for '" + resource + "'",
                         [&]() -> std::optional<BucketState> {
                           const std::optional<BucketItem> item = read_bucket(entity_id, resource);
                           if (!item || expired(*item, clock_now())) {
                             return std::nullopt;  // expired: consume would recreate it full
                           }
                           return to_state(*item);
                         });
}

std::vector<BucketState> DynamoDbStore::get_buckets(const std::string& entity_id) {
  validate_identifier(entity_id, "entity_id");
  return with_zae_errors("read buckets of '" + entity_id + "'", [&] {
    // spec/data-model.md §7.3: GSI3 (keys only), then the items.
    const auto keys = client_.query_all(
        {.table_name = opened_.table_name,
         .index_name = "GSI3",
         .key_condition_expression = "GSI3PK = :pk AND begins_with(GSI3SK, :bucket)",
         .expression_attribute_values = {
             {":pk", AttributeValue::of_string(entity_pk(opened_.namespace_id, entity_id))},
             {":bucket", AttributeValue::of_string(std::string(kBucketPrefix))}}});
    std::vector<BucketState> buckets;
    if (keys.items.empty()) {
      return buckets;
    }
    aws::KeysAndAttributes request{.consistency = aws::ReadConsistency::kStrong};
    for (const AttributeMap& item : keys.items) {
      AttributeMap key;
      key.set(std::string(kPk), item.at(kPk));
      key.set(std::string(kSk), item.at(kSk));
      request.keys.push_back(std::move(key));
    }
    auto result =
        client_.batch_get_item({.request_items = {{opened_.table_name, std::move(request)}}});
    const TimePoint now = clock_now();
    for (const AttributeMap& item : result.responses[opened_.table_name]) {
      const BucketItem bucket = decode_bucket(item);
      if (!expired(bucket, now)) {
        buckets.push_back(to_state(bucket));
      }
    }
    std::sort(buckets.begin(), buckets.end(), [](const BucketState& a, const BucketState& b) {
      return std::tie(a.resource, a.shard) < std::tie(b.resource, b.shard);
    });
    return buckets;
  });
}

// ---- entities and stored limits -----------------------------------------------------------------

Entity DynamoDbStore::create_entity(const CreateEntityRequest& request, TimePoint now) {
  return ops_.create_entity(request, now);
}

std::optional<Entity> DynamoDbStore::get_entity(const std::string& entity_id) {
  return ops_.get_entity(entity_id);
}

std::size_t DynamoDbStore::delete_entity(const std::string& entity_id,
                                         const std::optional<std::string>& principal,
                                         TimePoint now) {
  const std::size_t deleted = ops_.delete_entity(entity_id, principal, now);
  if (deleted > 0) {
    // Remembered bucket states of the entity are gone with it; they are only hints, but a
    // recreated entity should start from a read. Ids contain no '#', so the prefix is exact.
    cache_.erase_prefix(opened_.namespace_id + "/" + std::string(kBucketPrefix) + entity_id + "#");
  }
  return deleted;
}

std::vector<Entity> DynamoDbStore::get_children(const std::string& parent_id) {
  return ops_.get_children(parent_id);
}

void DynamoDbStore::set_limits(const std::string& entity_id, const std::string& resource,
                               const std::vector<Limit>& limits,
                               const std::optional<std::string>& principal, TimePoint now) {
  detail::check_unique_limit_names(limits);
  ops_.set_limits(entity_id, resource, limits, principal, now);
  if (limits.empty()) {
    return;
  }
  // SL-3: the existing bucket takes the new parameters (balances clamped, new limits full;
  // OQ-10, OQ-44) and loses its TTL, since a custom config persists.
  with_zae_errors("sync bucket of '" + entity_id + "' for '" + resource + "'", [&] {
    rewrite_bucket(
        entity_id, resource,
        [&](ItemPlan& plan) {
          if (!plan.exists) {
            return false;
          }
          plan_sync(plan, limits);
          return true;
        },
        TtlPolicy{.action = TtlPolicy::Action::kClear}, nullptr, epoch_ms(now));
  });
}

std::vector<Limit> DynamoDbStore::get_limits(const std::string& entity_id,
                                             const std::string& resource) {
  return ops_.get_limits(entity_id, resource);
}

bool DynamoDbStore::delete_limits(const std::string& entity_id, const std::string& resource,
                                  const std::optional<std::string>& principal, TimePoint now) {
  return ops_.delete_limits(entity_id, resource, principal, now);
}

void DynamoDbStore::set_resource_defaults(const std::string& resource,
                                          const std::vector<Limit>& limits,
                                          const std::optional<std::string>& principal,
                                          TimePoint now) {
  detail::check_unique_limit_names(limits);
  ops_.set_resource_defaults(resource, limits, principal, now);
}

std::vector<Limit> DynamoDbStore::get_resource_defaults(const std::string& resource) {
  return ops_.get_resource_defaults(resource);
}

void DynamoDbStore::delete_resource_defaults(const std::string& resource,
                                             const std::optional<std::string>& principal,
                                             TimePoint now) {
  ops_.delete_resource_defaults(resource, principal, now);
}

std::vector<std::string> DynamoDbStore::list_resources_with_defaults() {
  return ops_.list_resources_with_defaults();
}

void DynamoDbStore::set_system_defaults(const SystemDefaults& defaults,
                                        const std::optional<std::string>& principal,
                                        TimePoint now) {
  detail::check_unique_limit_names(defaults.limits);
  ops_.set_system_defaults(defaults, principal, now);
}

SystemDefaults DynamoDbStore::get_system_defaults() { return ops_.get_system_defaults(); }

void DynamoDbStore::delete_system_defaults(const std::optional<std::string>& principal,
                                           TimePoint now) {
  ops_.delete_system_defaults(principal, now);
}

std::vector<std::string> DynamoDbStore::list_resources_with_entity_configs() {
  return ops_.list_resources_with_entity_configs();
}

std::vector<std::string> DynamoDbStore::list_entities_with_custom_limits(
    const std::string& resource) {
  return ops_.list_entities_with_custom_limits(resource);
}

ConfigLevels DynamoDbStore::read_config_levels(const ConfigQuery& query) {
  validate_identifier(query.entity_id, "entity_id");
  validate_entity_resource(query.resource);
  const std::string& ns = opened_.namespace_id;
  const std::string default_resource(kDefaultResource);
  // spec/data-model.md §10: every level asked for in one eventually consistent BatchGetItem.
  const ItemKey entity_key = entity_config_key(ns, query.entity_id, query.resource);
  const ItemKey default_key = entity_config_key(ns, query.entity_id, default_resource);
  const ItemKey resource_key = resource_config_key(ns, query.resource);
  const ItemKey system_key = system_config_key(ns);
  aws::KeysAndAttributes keys;
  const auto want = [&keys](bool asked, const ItemKey& key) {
    if (asked && std::none_of(keys.keys.begin(), keys.keys.end(),
                              [&](const AttributeMap& k) { return k == key.to_attributes(); })) {
      keys.keys.push_back(key.to_attributes());
    }
  };
  want(query.read_entity, entity_key);
  want(query.read_entity_default, default_key);
  want(query.read_resource, resource_key);
  want(query.read_system, system_key);
  ConfigLevels levels;
  if (keys.keys.empty()) {
    return levels;
  }
  return with_zae_errors(
      "read config of '" + query.entity_id + "' for '" + query.resource + "'", [&] {
        auto result =
            client_.batch_get_item({.request_items = {{opened_.table_name, std::move(keys)}}});
        if (!result.unprocessed_keys.empty()) {
          throw InfrastructureError("DynamoDB left config keys unread after every resend", true);
        }
        for (const AttributeMap& item : result.responses[opened_.table_name]) {
          const std::string& pk = item.at(kPk).as_string();
          const std::string& sk = item.at(kSk).as_string();
          const auto is = [&](const ItemKey& key) { return key.pk == pk && key.sk == sk; };
          if (query.read_entity && is(entity_key)) {
            levels.entity = decode_entity_config(item).limits;
          }
          if (query.read_entity_default && is(default_key)) {
            levels.entity_default = decode_entity_config(item).limits;
          }
          if (query.read_resource && is(resource_key)) {
            levels.resource = decode_resource_config(item).limits;
          }
          if (query.read_system && is(system_key)) {
            levels.system = decode_system_config(item).defaults;
          }
        }
        return levels;
      });
}

std::vector<AuditEvent> DynamoDbStore::get_audit_events(
    const std::string& entity_id, std::size_t limit,
    const std::optional<std::string>& start_event_id) {
  if (limit == 0) {
    validate_audit_entity(entity_id);
    return {};
  }
  return ops_.get_audit_events(entity_id, limit, start_event_id);
}

// spec/data-model.md §6.13: one strongly consistent read, one unconditional whole-item put.
std::optional<ProvisionerState> DynamoDbStore::get_provisioner_state() {
  return with_zae_errors("read provisioner state", [&]() -> std::optional<ProvisionerState> {
    auto result = client_.get_item({.table_name = opened_.table_name,
                                    .key = provisioner_key(opened_.namespace_id).to_attributes(),
                                    .consistency = aws::ReadConsistency::kStrong});
    if (!result.item) {
      return std::nullopt;
    }
    return decode_provisioner_state(*result.item);
  });
}

void DynamoDbStore::put_provisioner_state(const ProvisionerState& state) {
  with_zae_errors("write provisioner state", [&] {
    (void)client_.put_item({.table_name = opened_.table_name,
                            .item = encode_provisioner_state(opened_.namespace_id, state)});
  });
}

UsagePage DynamoDbStore::get_usage_snapshots(const UsageQuery& query) {
  detail::validate_usage_query(query);
  return with_zae_errors("query usage snapshots", [&] {
    return query_usage_snapshots(client_, opened_.table_name, opened_.namespace_id, query);
  });
}

}  // namespace zae::dynamodb
