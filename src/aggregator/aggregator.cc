// SPDX-License-Identifier: MIT
#include "aggregator/aggregator.h"

#include <algorithm>
#include <exception>
#include <random>
#include <thread>
#include <utility>

#include <fmt/core.h>

#include "zae/errors.h"

#include "aggregator/checkpoint.h"
#include "core/bucket.h"
#include "dynamodb/namespaces.h"
#include "dynamodb/sharding.h"

namespace zae::aggregator {
namespace {

// A transaction holds at most 100 actions: 99 snapshot items and the checkpoint.
constexpr std::size_t kMaxSnapshotItems = 99;
constexpr int kCommitAttempts = 6;
constexpr std::chrono::milliseconds kPauseSlice{100};

std::string random_hex(int digits) {
  std::random_device device;
  std::string out;
  for (int i = 0; i < digits; ++i) {
    out += "0123456789abcdef"[device() % 16];
  }
  return out;
}

bool is_code(const aws::ServiceError& e, std::string_view code) { return e.code() == code; }

}  // namespace

struct Aggregator::ShardState {
  std::string id{};
  std::string parent_id{};
  bool checkpoint_loaded = false;
  // The last applied sequence number (as stored).
  std::optional<std::string> checkpoint{};
  std::optional<std::string> iterator{};
  // Closed and read to its end (NextShardIterator absent), or gone from the stream.
  bool done = false;
};

struct Aggregator::Counters {
  std::atomic<std::int64_t> records_processed{0};
  std::atomic<std::int64_t> records_skipped{0};
  std::atomic<std::int64_t> snapshot_updates{0};
  std::atomic<std::int64_t> transactions{0};
  std::atomic<std::int64_t> refills_written{0};
  std::atomic<std::int64_t> refills_skipped{0};
  std::atomic<std::int64_t> errors{0};
  std::atomic<std::int64_t> shards{0};
  std::atomic<std::int64_t> bucket_splits{0};
  std::atomic<std::int64_t> lag_ms{0};
};

std::string format_metrics(const AggregatorMetrics& m) {
  return fmt::format(
      "records={} skipped={} snapshot_updates={} transactions={} refills={}/{} lag={:.1f}s "
      "errors={} shards={} splits={}",
      m.records_processed, m.records_skipped, m.snapshot_updates, m.transactions, m.refills_written,
      m.refills_skipped, static_cast<double>(m.lag.count()) / 1000.0, m.errors, m.shards,
      m.bucket_splits);
}

std::unique_ptr<Aggregator> Aggregator::open(std::shared_ptr<aws::DynamoDbClient> client,
                                             AggregatorOptions options) {
  if (options.table_name.empty()) {
    throw ValidationError("table name", "", "the aggregator needs the table name");
  }
  if (options.windows.empty()) {
    throw ValidationError("snapshot windows", "", "at least one window is required");
  }
  if (options.snapshot_ttl_days <= 0) {
    throw ValidationError("snapshot ttl days", std::to_string(options.snapshot_ttl_days),
                          "must be a positive number of days");
  }
  if (options.records_per_batch < 1 || options.records_per_batch > 1000) {
    throw ValidationError("records per batch", std::to_string(options.records_per_batch),
                          "must be between 1 and 1000");
  }
  const std::string& table = options.table_name;
  std::string arn = dynamodb::with_zae_errors("describe table '" + table + "'", [&] {
    const aws::TableDescription description = client->describe_table(table);
    if (!description.latest_stream_arn.empty() &&
        (!description.stream_specification || description.stream_specification->enabled)) {
      return description.latest_stream_arn;
    }
    const aws::ListStreamsResult streams = client->list_streams({.table_name = table});
    return streams.streams.empty() ? std::string() : streams.streams.front().stream_arn;
  });
  if (arn.empty()) {
    throw InfrastructureError(fmt::format(
        "table '{}' has no stream: the aggregator needs a NEW_AND_OLD_IMAGES stream (tables "
        "created by 'zae-limiter deploy' have one)",
        table));
  }
  const aws::StreamDescription stream = dynamodb::with_zae_errors(
      "describe stream of '" + table + "'",
      [&] { return client->describe_stream({.stream_arn = arn, .limit = 1}); });
  if (stream.stream_view_type != "NEW_AND_OLD_IMAGES") {
    throw InfrastructureError(fmt::format(
        "the stream of table '{}' carries {} records; the aggregator needs NEW_AND_OLD_IMAGES "
        "(consumption is the difference of old and new tc)",
        table, stream.stream_view_type.empty() ? "no" : stream.stream_view_type));
  }
  return std::unique_ptr<Aggregator>(
      new Aggregator(std::move(client), std::move(options), std::move(arn)));
}

Aggregator::Aggregator(std::shared_ptr<aws::DynamoDbClient> client, AggregatorOptions options,
                       std::string stream_arn)
    : client_(std::move(client)),
      options_(std::move(options)),
      stream_arn_(std::move(stream_arn)),
      counters_(std::make_unique<Counters>()),
      token_prefix_("zae-agg-" + random_hex(12) + "-") {
  if (options_.clock == nullptr) {
    options_.clock = &SystemClock::instance();
  }
  if (!options_.sleep) {
    options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }
  if (!options_.log) {
    options_.log = [](std::string_view line) { fmt::print(stderr, "{}\n", line); };
  }
}

Aggregator::~Aggregator() = default;

AggregatorMetrics Aggregator::metrics() const {
  const Counters& c = *counters_;
  return AggregatorMetrics{.records_processed = c.records_processed.load(),
                           .records_skipped = c.records_skipped.load(),
                           .snapshot_updates = c.snapshot_updates.load(),
                           .transactions = c.transactions.load(),
                           .refills_written = c.refills_written.load(),
                           .refills_skipped = c.refills_skipped.load(),
                           .errors = c.errors.load(),
                           .shards = c.shards.load(),
                           .bucket_splits = c.bucket_splits.load(),
                           .lag = std::chrono::milliseconds(c.lag_ms.load())};
}

std::int64_t Aggregator::now_ms() const { return epoch_ms(options_.clock->now()); }

void Aggregator::log(std::string_view line) const { options_.log(line); }

bool Aggregator::stopping() const { return halted_.load() || (stop_ != nullptr && stop_->load()); }

void Aggregator::pause(std::chrono::milliseconds duration) {
  while (duration.count() > 0 && !stopping()) {
    const auto slice = std::min(duration, kPauseSlice);
    options_.sleep(slice);
    duration -= slice;
  }
}

void Aggregator::run(const std::atomic<bool>& stop) {
  stop_ = &stop;
  while (!stopping()) {
    std::size_t read = 0;
    try {
      read = poll_once();
    } catch (const std::exception& e) {
      counters_->errors += 1;
      log(fmt::format("aggregator: pass failed: {}", e.what()));
    }
    if (read == 0) {
      pause(options_.poll_interval);
    }
  }
  stop_ = nullptr;
}

void Aggregator::refresh_shards() {
  std::string start;
  do {
    const aws::StreamDescription page = client_->describe_stream(
        {.stream_arn = stream_arn_, .exclusive_start_shard_id = start, .limit = {}});
    for (const aws::Shard& shard : page.shards) {
      auto& state = shards_[shard.shard_id];
      if (!state) {
        state = std::make_unique<ShardState>();
        state->id = shard.shard_id;
        state->parent_id = shard.parent_shard_id;
      }
    }
    start = page.last_evaluated_shard_id;
  } while (!start.empty());
  last_refresh_ms_ = now_ms();
  counters_->shards = static_cast<std::int64_t>(shards_.size());
}

bool Aggregator::is_ready(const ShardState& shard) const {
  if (shard.done) {
    return false;
  }
  if (shard.parent_id.empty()) {
    return true;
  }
  // A parent gone from the stream (trimmed) has nothing left to read before its children.
  auto parent = shards_.find(shard.parent_id);
  return parent == shards_.end() || parent->second->done;
}

std::size_t Aggregator::poll_once() {
  if (halted_.load()) {
    return 0;
  }
  if (!last_refresh_ms_ ||
      now_ms() - *last_refresh_ms_ >= options_.shard_refresh_interval.count()) {
    dynamodb::with_zae_errors("describe stream", [&] { refresh_shards(); });
  }
  std::size_t read = 0;
  bool finished_one = false;
  for (auto& [id, shard] : shards_) {
    if (stopping()) {
      break;
    }
    if (!is_ready(*shard)) {
      continue;
    }
    try {
      read += read_shard(*shard);
    } catch (const std::exception& e) {
      counters_->errors += 1;
      shard->iterator.reset();  // start again from the checkpoint
      log(fmt::format("aggregator: shard {}: {}", id, e.what()));
    }
    finished_one = finished_one || shard->done;
  }
  if (finished_one) {
    // A finished parent makes its children ready: make sure they are known.
    dynamodb::with_zae_errors("describe stream", [&] { refresh_shards(); });
  }
  if (read == 0) {
    counters_->lag_ms = 0;
  }
  return read;
}

void Aggregator::open_iterator(ShardState& shard) {
  if (!shard.checkpoint_loaded) {
    shard.checkpoint = read_checkpoint(*client_, options_.table_name, shard.id);
    shard.checkpoint_loaded = true;
  }
  aws::GetShardIteratorRequest request{.stream_arn = stream_arn_,
                                       .shard_id = shard.id,
                                       .type = aws::ShardIteratorType::kTrimHorizon,
                                       .sequence_number = {}};
  if (shard.checkpoint) {
    request.type = aws::ShardIteratorType::kAfterSequenceNumber;
    request.sequence_number = *shard.checkpoint;
  }
  try {
    shard.iterator = client_->get_shard_iterator(request);
  } catch (const aws::ResourceNotFoundError&) {
    shard.done = true;  // the shard has left the stream (24 h retention)
  } catch (const aws::ServiceError& e) {
    if (!shard.checkpoint || !is_code(e, "TrimmedDataAccessException")) {
      throw;
    }
    // The checkpoint is older than the stream's retention: what lies between is lost.
    counters_->errors += 1;
    log(
        fmt::format("aggregator: shard {}: checkpoint {} is beyond the stream's retention; "
                    "resuming at the oldest record",
                    shard.id, *shard.checkpoint));
    request.type = aws::ShardIteratorType::kTrimHorizon;
    request.sequence_number.clear();
    shard.iterator = client_->get_shard_iterator(request);
  }
}

std::size_t Aggregator::read_shard(ShardState& shard) {
  if (!shard.iterator) {
    open_iterator(shard);
    if (shard.done) {
      return 0;
    }
  }
  aws::GetRecordsResult result;
  try {
    result = client_->get_records(
        {.shard_iterator = *shard.iterator, .limit = options_.records_per_batch});
  } catch (const aws::ServiceError& e) {
    if (!is_code(e, "ExpiredIteratorException") && !is_code(e, "TrimmedDataAccessException")) {
      throw;
    }
    // Iterators live 15 minutes: open a new one from the checkpoint and read again.
    shard.iterator.reset();
    open_iterator(shard);
    if (shard.done) {
      return 0;
    }
    result = client_->get_records(
        {.shard_iterator = *shard.iterator, .limit = options_.records_per_batch});
  }
  if (!result.records.empty() && !apply_batch(shard, result.records)) {
    shard.iterator.reset();  // not (fully) applied: read again from the checkpoint
    return result.records.size();
  }
  if (result.next_shard_iterator) {
    shard.iterator = std::move(result.next_shard_iterator);
  } else {
    shard.iterator.reset();
    shard.done = true;  // closed and read to its end: its children may start
  }
  return result.records.size();
}

bool Aggregator::apply_batch(ShardState& shard, const std::vector<aws::StreamRecord>& records) {
  const std::int64_t now = now_ms();
  std::vector<ParsedRecord> parsed;
  std::vector<std::vector<SnapshotKey>> keys;
  parsed.reserve(records.size());
  keys.reserve(records.size());
  for (const aws::StreamRecord& record : records) {
    parsed.push_back(parse_bucket_record(record, now));
    if (parsed.back().skipped == SkipReason::kMalformed) {
      log(fmt::format("aggregator: record {} skipped: {}", record.sequence_number,
                      parsed.back().detail));
    }
    keys.push_back(parsed.back().record ? snapshot_keys(*parsed.back().record, options_.windows)
                                        : std::vector<SnapshotKey>{});
  }
  std::size_t begin = 0;
  for (std::size_t end : chunk_ends(keys, kMaxSnapshotItems)) {
    if (stopping()) {
      return false;  // abandoned between transactions: the checkpoint says where we are
    }
    const Commit result = apply_range(shard, records, parsed, begin, end);
    if (result == Commit::kCheckpointMoved) {
      // Another aggregator (or an earlier attempt of ours) applied this already.
      shard.checkpoint = read_checkpoint(*client_, options_.table_name, shard.id);
      return false;
    }
    if (result != Commit::kCommitted) {
      return false;
    }
    begin = end;
  }
  if (stopping()) {
    return true;  // everything is committed; the refill is an optimisation
  }
  if (!records.empty() && records.back().approximate_creation_ms) {
    counters_->lag_ms =
        std::max<std::int64_t>(0, now_ms() - *records.back().approximate_creation_ms);
  }
  refill(parsed, now_ms());
  return true;
}

Aggregator::Commit Aggregator::apply_range(ShardState& shard,
                                           const std::vector<aws::StreamRecord>& records,
                                           const std::vector<ParsedRecord>& parsed,
                                           std::size_t begin, std::size_t end) {
  const std::int64_t now = now_ms();
  const std::int64_t now_s = now / 1000;
  SnapshotAccumulator accumulator(options_.windows);
  std::int64_t used = 0;
  for (std::size_t i = begin; i < end; ++i) {
    if (parsed[i].record) {
      accumulator.add(*parsed[i].record);
      used += 1;
    }
  }
  if (accumulator.size() == 0) {
    // Nothing to count (other items, our own checkpoint and snapshot writes, refills): no
    // transaction, or every commit would cause the next one. The stored checkpoint stays where
    // it is; a restart reads these records again and skips them again.
    counters_->records_processed += used;
    counters_->records_skipped += static_cast<std::int64_t>(end - begin) - used;
    return Commit::kCommitted;
  }
  std::vector<aws::TransactWriteItem> items;
  const std::int64_t ttl = now_s + std::int64_t{options_.snapshot_ttl_days} * 86'400;
  for (const SnapshotIncrement& increment : accumulator.increments()) {
    items.emplace_back(snapshot_update(options_.table_name, increment, ttl));
  }
  const std::size_t updates = items.size();
  const std::string& last_seq = records[end - 1].sequence_number;
  items.emplace_back(checkpoint_put(options_.table_name, stream_arn_, shard.id, shard.checkpoint,
                                    last_seq, now_s));
  Commit result = commit(std::move(items));
  if (result == Commit::kRejected && end - begin > 1) {
    // A deterministic refusal (a validation error): find the record that causes it, one by one.
    for (std::size_t i = begin; i < end; ++i) {
      result = apply_range(shard, records, parsed, i, i + 1);
      if (result != Commit::kCommitted) {
        return result;
      }
    }
    return Commit::kCommitted;
  }
  if (result == Commit::kRejected) {
    // One record that DynamoDB refuses to count: move past it alone rather than stall the shard.
    counters_->errors += 1;
    log(fmt::format("aggregator: record {} of shard {} could not be counted and is skipped",
                    last_seq, shard.id));
    std::vector<aws::TransactWriteItem> skip;
    skip.emplace_back(checkpoint_put(options_.table_name, stream_arn_, shard.id, shard.checkpoint,
                                     last_seq, now_s));
    result = commit(std::move(skip));
    if (result != Commit::kCommitted) {
      return result;
    }
    shard.checkpoint = last_seq;
    counters_->records_skipped += 1;
    return result;
  }
  if (result != Commit::kCommitted) {
    return result;
  }
  shard.checkpoint = last_seq;
  counters_->records_processed += used;
  counters_->records_skipped += static_cast<std::int64_t>(end - begin) - used;
  counters_->snapshot_updates += static_cast<std::int64_t>(updates);
  const std::int64_t done = ++counters_->transactions;
  if (options_.halt_after_transactions && done >= *options_.halt_after_transactions) {
    halted_ = true;
  }
  return result;
}

Aggregator::Commit Aggregator::commit(std::vector<aws::TransactWriteItem> items) {
  // One token per logical transaction: a resend after a lost response is recognised by DynamoDB
  // (10 minutes) and not applied twice. After a definite cancellation a new token is drawn.
  aws::TransactWriteItemsRequest request{
      .items = std::move(items),
      .client_request_token = token_prefix_ + std::to_string(++token_counter_),
      .return_consumed_capacity = aws::ReturnConsumedCapacity::kNone};
  std::chrono::milliseconds backoff{50};
  for (int attempt = 0; attempt < kCommitAttempts; ++attempt) {
    if (attempt > 0) {
      options_.sleep(backoff);
      backoff *= 2;
    }
    try {
      auto outcome = client_->try_transact_write_items(request);
      if (outcome.ok()) {
        return Commit::kCommitted;
      }
      if (outcome.is_throttled()) {
        continue;
      }
      if (outcome.is_transaction_cancellation()) {
        const auto& reasons = outcome.transaction_cancellation().reasons;
        if (!reasons.empty() && reasons.back().code == "ConditionalCheckFailed") {
          return Commit::kCheckpointMoved;
        }
        const bool transient = std::any_of(reasons.begin(), reasons.end(), [](const auto& r) {
          return r.code == "TransactionConflict" || r.code == "ThrottlingError" ||
                 r.code == "ProvisionedThroughputExceeded";
        });
        if (transient) {
          request.client_request_token = token_prefix_ + std::to_string(++token_counter_);
          continue;
        }
        std::string codes;
        for (const auto& r : reasons) {
          codes += (codes.empty() ? "" : ",") + r.code + (r.message.empty() ? "" : ":" + r.message);
        }
        log(fmt::format("aggregator: transaction refused: {}", codes));
        return Commit::kRejected;
      }
      log(fmt::format("aggregator: unexpected condition failure: {}",
                      outcome.condition_failure().message));
      return Commit::kRejected;
    } catch (const aws::NetworkError& e) {
      log(fmt::format("aggregator: transaction outcome unknown, resending: {}", e.what()));
    } catch (const aws::ServiceError& e) {
      if (e.is_retryable()) {
        continue;
      }
      if (is_code(e, "ValidationException")) {
        log(fmt::format("aggregator: transaction refused: {}", e.what()));
        return Commit::kRejected;
      }
      counters_->errors += 1;
      log(fmt::format("aggregator: transaction failed: {}", e.what()));
      return Commit::kFailed;
    }
  }
  counters_->errors += 1;
  log("aggregator: transaction failed after retries; the batch is read again later");
  return Commit::kFailed;
}

void Aggregator::refill(const std::vector<ParsedRecord>& parsed, std::int64_t now) {
  BucketBatches batches;
  for (const ParsedRecord& p : parsed) {
    if (p.record) {
      batches.add(*p.record);
    }
  }
  for (const BucketBatchState& state : batches.states()) {
    on_bucket_batch(state);
    if (options_.refill == RefillMode::kDisabled ||
        !needs_refill(state, now, options_.refill_trigger)) {
      continue;
    }
    const auto request = refill_request(options_.table_name, state, now);
    if (!request) {
      continue;
    }
    try {
      const auto outcome = client_->try_update_item(*request);
      if (outcome.ok()) {
        counters_->refills_written += 1;
      } else if (outcome.is_condition_failure()) {
        counters_->refills_skipped += 1;  // AG-11: someone wrote first; skip silently
      } else {
        counters_->errors += 1;
      }
    } catch (const std::exception& e) {
      counters_->errors += 1;
      log(fmt::format("aggregator: refill of {}/{} shard {} failed: {}", state.entity_id,
                      state.resource, state.shard, e.what()));
    }
  }
}

void Aggregator::on_bucket_batch(const BucketBatchState& state) {
  // AG-13 with OQ-33 fixed: the write budget is judged refilled to now (1000 WCU per second),
  // so a bucket splits on its write rate, not after its thousandth write; split_shards also
  // tells the existing shards and creates the new ones (AG-14), dealing out shard 0's balance
  // instead of creating tokens. Clients split reactively too, when the budget is gone.
  if (state.shard != 0 || !state.last.wcu || options_.max_shard_count <= 1) {
    return;
  }
  const dynamodb::BucketLimitFields& wcu = *state.last.wcu;
  if (wcu.capacity_milli <= 0 || wcu.refill_period_ms <= 0) {
    return;
  }
  const std::int64_t now = now_ms();
  const core::TokenState budget = core::refill(
      core::TokenState{wcu.tokens_milli, state.last.refill_ms}, now,
      core::BucketParams{wcu.capacity_milli, wcu.refill_amount_milli, wcu.refill_period_ms});
  if (budget.tokens_milli * 5 >= wcu.capacity_milli) {
    return;  // at least 20 % left (exactly 20 % does not split, as in the original)
  }
  try {
    if (dynamodb::split_shards(*client_,
                               dynamodb::ShardSplitTarget{.table = options_.table_name,
                                                          .ns = state.namespace_id,
                                                          .entity_id = state.entity_id,
                                                          .resource = state.resource,
                                                          .observed = state.last.shard_count,
                                                          .max_shard_count =
                                                              options_.max_shard_count},
                               now)) {
      counters_->bucket_splits += 1;
    }
  } catch (const std::exception& error) {
    counters_->errors += 1;
    log(fmt::format("aggregator: splitting the shards of {}/{} failed: {}", state.entity_id,
                    state.resource, error.what()));
  }
}

}  // namespace zae::aggregator
