// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zae/clock.h"

#include "aggregator/bucket_record.h"
#include "aggregator/refill.h"
#include "aggregator/usage_snapshot.h"
#include "aws/dynamodb_client.h"

// The usage aggregator (spec/behavior.md §12) as a long-running process next to the services:
// it reads the table's DynamoDB Stream (every namespace), writes usage snapshots exactly once
// and refills busy buckets so that clients sharing the table stay on their fast path.
//
// Exactly once: each batch of stream records is split into chunks of at most 99 snapshot items;
// a chunk's summed increments and the move of the shard's checkpoint (checkpoint.h) from its
// previous value to the chunk's last sequence number commit in one TransactWriteItems. A crash
// between two transactions leaves the checkpoint at the last applied record; a restart resumes
// after it (AFTER_SEQUENCE_NUMBER), and a replay of an applied chunk fails the checkpoint
// condition. Retries after a timeout resend the same ClientRequestToken.
//
// Departures from the original (each also commented where it is made): INSERT records count
// (OQ-23a); windows by the record's ApproximateCreationDateTime (OQ-23b); window type in the key
// (OQ-23c); deltas summed per (item, limit) before flooring (OQ-23d); total_events +1 per record
// per window (OQ-23e); failed writes retried, never silently lost (OQ-23f); refill credits every
// limit under caps (OQ-23g, Q30) and never divides wcu (Q5); placeholders by index (OQ-34).
namespace zae::aggregator {

enum class RefillMode { kEnabled, kDisabled };

struct AggregatorOptions {
  std::string table_name{};
  std::vector<WindowType> windows{WindowType::kHourly, WindowType::kDaily};
  // Snapshot ttl = creation time + this many days (fixed at creation).
  int snapshot_ttl_days = 90;
  RefillMode refill = RefillMode::kEnabled;
  RefillTrigger refill_trigger = RefillTrigger::kStoredBelowBatch;
  // Pause after a pass that read no records (and between polls of an idle stream).
  std::chrono::milliseconds poll_interval{1000};
  // How often the shard list is described again (new shards after splits).
  std::chrono::milliseconds shard_refresh_interval{30'000};
  // GetRecords Limit (1..1000).
  int records_per_batch = 1000;
  // Time of refills and snapshot ttl, and of the lag. Must outlive the aggregator. Default: the
  // system clock.
  const Clock* clock = nullptr;
  // Blocks for the given time (interruptible slices are asked for). Default:
  // std::this_thread::sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep{};
  // Warnings and per-record errors, one line each. Default: standard error.
  std::function<void(std::string_view)> log{};
  // Proactive write sharding (AG-13): shard 0 of a bucket whose write budget (wcu, refilled to
  // now) is below a fifth of its capacity is split, up to this many shards; 1 turns it off.
  int max_shard_count = 32;
  // Test hook: after this many committed transactions the aggregator halts as if killed: the
  // rest of the batch is abandoned (no further transaction, no refill) and run() returns.
  std::optional<std::int64_t> halt_after_transactions{};
};

// Counters since start; lag is the time from the last applied record's approximate creation to
// the end of the pass that applied it (0 after a pass that found every shard caught up).
struct AggregatorMetrics {
  std::int64_t records_processed = 0;  // bucket records applied
  std::int64_t records_skipped = 0;    // records of other items, REMOVE, malformed, unusable
  std::int64_t snapshot_updates = 0;   // snapshot item updates committed
  std::int64_t transactions = 0;       // TransactWriteItems committed
  std::int64_t refills_written = 0;
  std::int64_t refills_skipped = 0;  // the refill's condition failed (someone wrote first)
  std::int64_t errors = 0;
  std::int64_t shards = 0;         // stream shards known
  std::int64_t bucket_splits = 0;  // buckets whose write shards this aggregator doubled
  std::chrono::milliseconds lag{0};
};
// "records=12 skipped=3 snapshot_updates=8 transactions=2 refills=1/0 lag=0.8s errors=0 shards=1
// splits=0"
std::string format_metrics(const AggregatorMetrics& metrics);

class Aggregator {
 public:
  // Finds the table's stream (DescribeTable, else ListStreams) and checks that it carries new and
  // old images. Throws ValidationError for bad options, InfrastructureNotFoundError when the
  // table is missing, InfrastructureError when it has no usable stream or AWS fails.
  static std::unique_ptr<Aggregator> open(std::shared_ptr<aws::DynamoDbClient> client,
                                          AggregatorOptions options);
  ~Aggregator();
  Aggregator(const Aggregator&) = delete;
  Aggregator& operator=(const Aggregator&) = delete;

  // Loops over poll_once() until `stop` is set or the test hook halts it, pausing
  // poll_interval after passes that read nothing. A stop request abandons the batch in hand
  // between two transactions (each transaction is atomic, so nothing is half-applied). Errors
  // of one pass are logged and counted; the loop goes on.
  void run(const std::atomic<bool>& stop);

  // One pass: describes the shards when due, then reads one batch from every shard that is
  // ready (open, or closed and not finished, and whose parent is finished) and applies it.
  // Returns the records read. Not thread-safe (one caller at a time).
  std::size_t poll_once();

  // Thread-safe.
  AggregatorMetrics metrics() const;
  bool halted() const { return halted_.load(); }
  const std::string& stream_arn() const { return stream_arn_; }

 private:
  struct ShardState;
  enum class Commit { kCommitted, kCheckpointMoved, kRejected, kFailed };
  struct Counters;

  Aggregator(std::shared_ptr<aws::DynamoDbClient> client, AggregatorOptions options,
             std::string stream_arn);

  void refresh_shards();
  bool is_ready(const ShardState& shard) const;
  std::size_t read_shard(ShardState& shard);
  void open_iterator(ShardState& shard);
  bool apply_batch(ShardState& shard, const std::vector<aws::StreamRecord>& records);
  Commit apply_range(ShardState& shard, const std::vector<aws::StreamRecord>& records,
                     const std::vector<ParsedRecord>& parsed, std::size_t begin, std::size_t end);
  Commit commit(std::vector<aws::TransactWriteItem> items);
  void refill(const std::vector<ParsedRecord>& parsed, std::int64_t now_ms);
  // Proactive write sharding (AG-13/AG-14, with OQ-33 fixed): splits shard 0 of a bucket whose
  // write budget, refilled to now, is below a fifth (dynamodb::split_shards). Receives every
  // bucket item's state over one batch, after its snapshots are committed.
  void on_bucket_batch(const BucketBatchState& state);
  bool stopping() const;
  void pause(std::chrono::milliseconds duration);
  std::int64_t now_ms() const;
  void log(std::string_view line) const;

  std::shared_ptr<aws::DynamoDbClient> client_;
  AggregatorOptions options_;
  std::string stream_arn_;
  std::map<std::string, std::unique_ptr<ShardState>> shards_;
  std::optional<std::int64_t> last_refresh_ms_{};
  const std::atomic<bool>* stop_ = nullptr;
  std::atomic<bool> halted_{false};
  std::unique_ptr<Counters> counters_;
  std::string token_prefix_;
  std::uint64_t token_counter_ = 0;
};

}  // namespace zae::aggregator
