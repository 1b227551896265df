// SPDX-License-Identifier: MIT
// DynamoDB Store against DynamoDB Local (ZAE_TEST_DYNAMODB_ENDPOINT; skipped without it): the
// warm acquire next to the one conditional UpdateItem it should cost (issue 4, performance).
//
//   RawUpdateItem    the write the store's warm consume sends (planned with bucket_plan.h from
//                    the previous ALL_NEW, outside the timing), alone through the same client
//   AcquireOverride  RateLimiter::acquire with limits in the request, then commit
//   AcquireStored    the same with the entity's stored limits (config cache warm)
//   AcquireCascade   a cascading child under its parent, limits in the request (two items)
//   StoreConsume     DynamoDbStore::consume directly, no limiter
//   RawUpdateItemAgain  RawUpdateItem once more, last: p50_over_raw shows the server's drift
//   Interleaved      all five in turn within each iteration, so drift hits them alike: the
//                    side-by-side figures (<variant>_p50_us, ..._requests_per_op, ..._p50_over_raw,
//                    and the client CPU per op of each, <variant>_cpu_us and ..._cpu_over_raw:
//                    the thread's user + system time around the op, CLOCK_THREAD_CPUTIME_ID)
//
// Setup (table, entities, stored limits) is followed by untimed consumes until DynamoDB Local's
// latency stops falling (warm_up_server), as its JVM is far slower on its first requests.
//
// Arg full_bucket: 0 keeps the buckets below their cap (burst 10^9, refill slower than the
// consumption), so the warm write is kConsume; 1 uses per_minute(10^9) limits, whose buckets are
// always at the cap, so the warm write is kRefill (SET rf). Both are one UpdateItem.
//
// Counters: p50_us, p90_us, p99_us from per-iteration steady_clock wall times;
// requests_per_op and update_items_per_op from a counting HttpTransport around the real one;
// p50_over_raw divides by RawUpdateItem's p50 of the same full_bucket (registered first, so it
// has run; absent when it was filtered out). RawUpdateItem also reports consume_write_share
// (kConsume writes / all) and condition_failures.
//
// One table per run (zae-bench-<pid>-<epoch>), deleted by DeleteTable, registered last.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>
#include <unistd.h>

#include "zae/clock.h"
#include "zae/lease.h"
#include "zae/limit.h"
#include "zae/rate_limiter.h"
#include "zae/store.h"

#include "aws/dynamodb_client.h"
#include "aws/http.h"
#include "aws/socket_transport.h"
#include "dynamodb/bucket_plan.h"
#include "dynamodb/dynamodb_connection.h"
#include "dynamodb/dynamodb_store.h"
#include "dynamodb/items.h"
#include "dynamodb/keys.h"

namespace zae {
namespace {

constexpr int kIterations = 2000;
// Each iteration runs all five variants (six writes).
constexpr int kInterleavedIterations = 1000;
constexpr int kWarmupCalls = 20;
// DynamoDB Local (a JVM) gets faster for its first ~10^4 writes: without a warm-up, whichever
// benchmark runs first looks slowest. Untimed consumes run in windows until a window's median is
// no more than 5% below the previous one twice in a row, or kMaxServerWarmup has passed.
constexpr int kWarmupWindow = 300;
constexpr std::chrono::seconds kMaxServerWarmup{150};
constexpr const char* kResource = "chat";
// The store's default (DynamoDbStoreOptions), which the fixture's store uses.
constexpr int kTtlMultiplier = 7;

// Forwards to the real transport and counts what goes through it.
class CountingTransport final : public aws::HttpTransport {
 public:
  struct Counts {
    std::uint64_t requests = 0;
    std::uint64_t update_items = 0;
  };

  explicit CountingTransport(std::shared_ptr<aws::HttpTransport> inner)
      : inner_(std::move(inner)) {}

  aws::HttpResponse send(const aws::HttpRequest& request) override {
    count(request);
    return inner_->send(request);
  }
  std::vector<aws::HttpOutcome> send_all(std::span<const aws::HttpRequest> requests) override {
    for (const aws::HttpRequest& request : requests) {
      count(request);
    }
    return inner_->send_all(requests);
  }

  Counts counts() const { return {.requests = requests_.load(), .update_items = updates_.load()}; }

 private:
  void count(const aws::HttpRequest& request) {
    requests_.fetch_add(1, std::memory_order_relaxed);
    for (const aws::HttpField& field : request.headers) {
      if (field.name == "X-Amz-Target" && field.value.ends_with(".UpdateItem")) {
        updates_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  std::shared_ptr<aws::HttpTransport> inner_;
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> updates_{0};
};

std::vector<Limit> limits_of(int full_bucket) {
  if (full_bucket != 0) {
    return {Limit::per_minute("rpm", 1'000'000'000), Limit::per_minute("tpm", 1'000'000'000)};
  }
  // Refill (17 rpm/s, 1667 tpm/s) below what even 20 calls/s take: never at the cap.
  return {Limit::per_minute("rpm", 1'000, 1'000'000'000),
          Limit::per_minute("tpm", 100'000, 1'000'000'000)};
}

const Amounts& amounts() {
  static const Amounts kAmounts{{"rpm", 1}, {"tpm", 100}};
  return kAmounts;
}

std::string entity(std::string_view role, int full_bucket) {
  return std::string(role) + "-" + std::to_string(full_bucket);
}

// The table, store and limiter every benchmark shares. Members in dependency order: the limiter
// is destroyed first, the transport last.
struct Fixture {
  std::shared_ptr<CountingTransport> transport;
  std::shared_ptr<aws::DynamoDbClient> client;
  std::shared_ptr<dynamodb::DynamoDbConnection> connection;
  dynamodb::OpenedNamespace opened;
  std::shared_ptr<dynamodb::DynamoDbStore> store;
  std::unique_ptr<RateLimiter> limiter;
};

void warm_up_server(Store& store) {
  const auto started = std::chrono::steady_clock::now();
  double previous = 0;
  int steady_windows = 0;
  std::vector<double> window;
  for (int i = 0;
       steady_windows < 2 && std::chrono::steady_clock::now() - started < kMaxServerWarmup; ++i) {
    const int full_bucket = i % 2;
    const auto start = std::chrono::steady_clock::now();
    (void)store.consume(ConsumeRequest{.target = {.entity_id = entity("warmup", full_bucket),
                                                  .resource = kResource,
                                                  .limits = limits_of(full_bucket),
                                                  .source = LimitSource::kOverride},
                                       .amounts = amounts(),
                                       .now = SystemClock::instance().now()});
    window.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
    if (window.size() == kWarmupWindow) {
      std::nth_element(window.begin(), window.begin() + kWarmupWindow / 2, window.end());
      const double median = window[kWarmupWindow / 2];
      steady_windows = previous > 0 && median >= 0.95 * previous ? steady_windows + 1 : 0;
      previous = median;
      window.clear();
    }
  }
  std::fprintf(stderr, "store_dynamodb_bench: server warm-up %.0f s, last window p50 %.0f us\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
               previous);
}

std::unique_ptr<Fixture> make_fixture(const std::string& endpoint) {
  auto fixture = std::make_unique<Fixture>();
  fixture->transport =
      std::make_shared<CountingTransport>(std::make_shared<aws::SocketTransport>());
  fixture->client = std::make_shared<aws::DynamoDbClient>(aws::DynamoDbClientConfig{
      .endpoint = endpoint,
      .credentials = aws::static_credentials(aws::Credentials{"AKIDBENCH", "secret", ""}),
      .transport = fixture->transport});
  fixture->connection = std::make_shared<dynamodb::DynamoDbConnection>(fixture->client);
  const std::string table = "zae-bench-" + std::to_string(::getpid()) + "-" +
                            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
  fixture->opened = fixture->connection->open(table, "default");
  fixture->store = std::make_shared<dynamodb::DynamoDbStore>(fixture->connection, fixture->opened);
  fixture->limiter = std::make_unique<RateLimiter>(fixture->store);
  for (int full_bucket = 0; full_bucket < 2; ++full_bucket) {
    RateLimiter& limiter = *fixture->limiter;
    limiter.create_entity({.entity_id = entity("stored", full_bucket)});
    limiter.set_limits(entity("stored", full_bucket), limits_of(full_bucket), kResource);
    limiter.create_entity({.entity_id = entity("parent", full_bucket)});
    limiter.create_entity({.entity_id = entity("child", full_bucket),
                           .parent_id = entity("parent", full_bucket),
                           .cascade = true});
  }
  warm_up_server(*fixture->store);
  return fixture;
}

std::unique_ptr<Fixture> instance;
std::string setup_error;

// The shared fixture; nullptr with `error` set when there is no endpoint or setup failed.
Fixture* fixture(std::string& error) {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* endpoint = std::getenv("ZAE_TEST_DYNAMODB_ENDPOINT");
    if (endpoint == nullptr || *endpoint == '\0') {
      setup_error = "ZAE_TEST_DYNAMODB_ENDPOINT is not set (scripts/dynamodb-local.sh run)";
      return;
    }
    try {
      instance = make_fixture(endpoint);
    } catch (const std::exception& e) {
      setup_error = std::string("setup failed: ") + e.what();
    }
  });
  error = setup_error;
  return instance.get();
}

// RawUpdateItem's p50 per full_bucket, for the ratios of the benchmarks that run after it.
std::array<double, 2> raw_p50_us{0, 0};

// Nearest rank of ascending `sorted` (not empty).
double percentile(const std::vector<double>& sorted, double q) {
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

// Per-iteration latencies and the request count over the timed loop.
class Recorder {
 public:
  explicit Recorder(const CountingTransport& transport)
      : transport_(transport), start_(transport.counts()) {
    samples_.reserve(kIterations);
  }

  void add(std::chrono::steady_clock::duration elapsed) {
    samples_.push_back(std::chrono::duration<double, std::micro>(elapsed).count());
  }

  // Sets the counters; returns the p50 in microseconds.
  double report(benchmark::State& state, int full_bucket) {
    if (samples_.empty()) {
      return 0;
    }
    const CountingTransport::Counts end = transport_.counts();
    std::sort(samples_.begin(), samples_.end());
    const double p50 = percentile(samples_, 0.50);
    const double ops = static_cast<double>(samples_.size());
    state.counters["p50_us"] = p50;
    state.counters["p90_us"] = percentile(samples_, 0.90);
    state.counters["p99_us"] = percentile(samples_, 0.99);
    state.counters["requests_per_op"] = static_cast<double>(end.requests - start_.requests) / ops;
    state.counters["update_items_per_op"] =
        static_cast<double>(end.update_items - start_.update_items) / ops;
    const double raw = raw_p50_us[static_cast<std::size_t>(full_bucket)];
    if (raw > 0) {
      state.counters["p50_over_raw"] = p50 / raw;
    }
    return p50;
  }

 private:
  const CountingTransport& transport_;
  const CountingTransport::Counts start_;
  std::vector<double> samples_;
};

// The calling thread's CPU time (user + system), in microseconds. The socket transport does all
// of a call's work on the calling thread, so around one op it is that op's client CPU.
double thread_cpu_us() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             SystemClock::instance().now().time_since_epoch())
      .count();
}

// Times `op` kIterations times after kWarmupCalls untimed calls; a throwing op ends the
// benchmark with its message.
template <class Op>
void run_timed(benchmark::State& state, Fixture& f, int full_bucket, Op op) {
  try {
    for (int i = 0; i < kWarmupCalls; ++i) {
      op();
    }
    Recorder recorder(*f.transport);
    for (auto _ : state) {
      const auto start = std::chrono::steady_clock::now();
      op();
      recorder.add(std::chrono::steady_clock::now() - start);
    }
    recorder.report(state, full_bucket);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

// Sends the write the store's warm consume sends to one pre-created bucket item: planned with
// bucket_plan.h from the last state seen (the previous ALL_NEW, or ALL_OLD after a failed
// condition), exactly as the store plans it. Only send() is meant to be timed.
class RawWriter {
 public:
  RawWriter(Fixture& f, std::string entity_id, int full_bucket)
      : f_(f),
        target_{.entity_id = std::move(entity_id),
                .resource = kResource,
                .limits = limits_of(full_bucket),
                .source = LimitSource::kOverride} {
    // The item, created the way the store creates it; then its state, read back.
    const ConsumeResult created = f_.store->consume(ConsumeRequest{
        .target = target_, .amounts = amounts(), .now = SystemClock::instance().now()});
    if (created.kind != ConsumeResult::Kind::kAdmitted) {
      throw std::runtime_error("creating the raw bucket was not admitted");
    }
    const aws::GetItemResult read = f_.client->get_item(
        {.table_name = f_.opened.table_name,
         .key = dynamodb::bucket_key(f_.opened.namespace_id, target_.entity_id, kResource, 0)
                    .to_attributes(),
         .consistency = aws::ReadConsistency::kStrong});
    if (!read.item) {
      throw std::runtime_error("the created raw bucket is missing");
    }
    item_ = dynamodb::decode_bucket(*read.item);
  }

  aws::UpdateItemRequest plan_next() {
    const std::int64_t now = now_ms();
    dynamodb::ItemPlan plan = dynamodb::plan_item(target_.entity_id, kResource, item_, now);
    std::vector<LimitStatus> statuses;
    std::vector<ConsumedEntry> entries;
    if (!dynamodb::plan_side(plan, target_, amounts(), statuses, entries)) {
      throw std::runtime_error("the raw bucket ran dry");
    }
    // As the store's warm consume writes the entity's own item: the hierarchy copy must say
    // "no cascade" (kRequire).
    const dynamodb::WriteContext context{
        .table = f_.opened.table_name,
        .ns = f_.opened.namespace_id,
        .ttl = dynamodb::consume_ttl(target_, kTtlMultiplier, now),
        .hierarchy = {.mode = dynamodb::HierarchyRule::Mode::kRequire, .hierarchy = {}}};
    const dynamodb::WriteKind kind = dynamodb::choose_write(plan);
    if (kind == dynamodb::WriteKind::kCreate) {
      throw std::runtime_error("the raw bucket disappeared");
    }
    ++writes_;
    if (kind == dynamodb::WriteKind::kConsume) {
      ++consume_writes_;
      return dynamodb::consume_request(context, plan);
    }
    return dynamodb::refill_request(context, plan);
  }

  aws::Outcome<aws::WriteItemResult> send(const aws::UpdateItemRequest& request) {
    return f_.client->try_update_item(request);
  }

  void absorb(aws::Outcome<aws::WriteItemResult>& outcome) {
    if (outcome.ok()) {
      item_ = dynamodb::decode_bucket(*outcome.value().attributes);
    } else if (outcome.is_condition_failure()) {
      ++condition_failures_;  // planned again from ALL_OLD, as the store does
      const auto& old_item = outcome.condition_failure().old_item;
      item_ = old_item ? std::optional(dynamodb::decode_bucket(*old_item)) : std::nullopt;
    } else {
      throw std::runtime_error("the raw UpdateItem was throttled");
    }
  }

  void reset_counts() { writes_ = consume_writes_ = condition_failures_ = 0; }
  double consume_write_share() const {
    return writes_ > 0 ? static_cast<double>(consume_writes_) / static_cast<double>(writes_) : 0;
  }
  double condition_failures() const { return static_cast<double>(condition_failures_); }

 private:
  Fixture& f_;
  const ConsumeTarget target_;
  std::optional<dynamodb::BucketItem> item_{};
  std::int64_t writes_ = 0;
  std::int64_t consume_writes_ = 0;
  std::int64_t condition_failures_ = 0;
};

enum class RawRun {
  kBaseline,    // the p50 the others divide by
  kDriftCheck,  // the same after everything else: how far the server's speed moved meanwhile
};

void raw_update_item(benchmark::State& state, RawRun run) {
  std::string error;
  Fixture* f = fixture(error);
  if (f == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  const int full_bucket = static_cast<int>(state.range(0));
  try {
    RawWriter raw(*f, entity(run == RawRun::kBaseline ? "raw" : "raw-again", full_bucket),
                  full_bucket);
    for (int i = 0; i < kWarmupCalls; ++i) {
      auto outcome = raw.send(raw.plan_next());
      raw.absorb(outcome);
    }
    raw.reset_counts();
    Recorder recorder(*f->transport);
    for (auto _ : state) {
      state.PauseTiming();
      const aws::UpdateItemRequest request = raw.plan_next();
      state.ResumeTiming();
      const auto start = std::chrono::steady_clock::now();
      auto outcome = raw.send(request);
      recorder.add(std::chrono::steady_clock::now() - start);
      state.PauseTiming();
      raw.absorb(outcome);
      state.ResumeTiming();
    }
    const double p50 = recorder.report(state, full_bucket);
    if (run == RawRun::kBaseline) {
      raw_p50_us[static_cast<std::size_t>(full_bucket)] = p50;
    }
    state.counters["consume_write_share"] = raw.consume_write_share();
    state.counters["condition_failures"] = raw.condition_failures();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void BM_StoreDynamoDb_RawUpdateItem(benchmark::State& state) {
  raw_update_item(state, RawRun::kBaseline);
}

void BM_StoreDynamoDb_RawUpdateItemAgain(benchmark::State& state) {
  raw_update_item(state, RawRun::kDriftCheck);
}

void acquire_and_commit(RateLimiter& limiter, const std::string& entity_id,
                        const std::optional<std::vector<Limit>>& limits) {
  Lease lease = limiter.acquire(AcquireRequest{
      .entity_id = entity_id, .resource = kResource, .consume = amounts(), .limits = limits});
  lease.commit();
}

void BM_StoreDynamoDb_AcquireOverride(benchmark::State& state) {
  std::string error;
  Fixture* f = fixture(error);
  if (f == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  const int full_bucket = static_cast<int>(state.range(0));
  const std::string id = entity("override", full_bucket);
  const std::vector<Limit> limits = limits_of(full_bucket);
  run_timed(state, *f, full_bucket, [&] { acquire_and_commit(*f->limiter, id, limits); });
}

void BM_StoreDynamoDb_AcquireStored(benchmark::State& state) {
  std::string error;
  Fixture* f = fixture(error);
  if (f == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  const int full_bucket = static_cast<int>(state.range(0));
  const std::string id = entity("stored", full_bucket);
  run_timed(state, *f, full_bucket, [&] { acquire_and_commit(*f->limiter, id, std::nullopt); });
}

void BM_StoreDynamoDb_AcquireCascade(benchmark::State& state) {
  std::string error;
  Fixture* f = fixture(error);
  if (f == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  const int full_bucket = static_cast<int>(state.range(0));
  const std::string id = entity("child", full_bucket);
  const std::vector<Limit> limits = limits_of(full_bucket);
  run_timed(state, *f, full_bucket, [&] { acquire_and_commit(*f->limiter, id, limits); });
}

void BM_StoreDynamoDb_StoreConsume(benchmark::State& state) {
  std::string error;
  Fixture* f = fixture(error);
  if (f == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  const int full_bucket = static_cast<int>(state.range(0));
  const ConsumeTarget target{.entity_id = entity("store", full_bucket),
                             .resource = kResource,
                             .limits = limits_of(full_bucket),
                             .source = LimitSource::kOverride};
  run_timed(state, *f, full_bucket, [&] {
    const ConsumeResult result = f->store->consume(ConsumeRequest{
        .target = target, .amounts = amounts(), .now = SystemClock::instance().now()});
    if (result.kind != ConsumeResult::Kind::kAdmitted) {
      throw std::runtime_error("store.consume was not admitted");
    }
  });
}

// Every variant once per iteration, in rotating order, so that the server's drift (DynamoDB Local's
// JIT, other load on the machine) hits all of them alike: the side-by-side figures to trust. Per
// variant: <v>_p50_us, <v>_p90_us, <v>_p99_us, <v>_requests_per_op, and <v>_p50_over_raw.
void BM_StoreDynamoDb_Interleaved(benchmark::State& state) {
  std::string error;
  Fixture* f = fixture(error);
  if (f == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  const int full_bucket = static_cast<int>(state.range(0));
  const std::vector<Limit> limits = limits_of(full_bucket);
  const ConsumeTarget store_target{.entity_id = entity("store-interleaved", full_bucket),
                                   .resource = kResource,
                                   .limits = limits,
                                   .source = LimitSource::kOverride};
  struct Variant {
    std::string name{};
    std::function<void()> op{};
    std::vector<double> samples{};
    std::uint64_t requests = 0;
    double cpu_us = 0;  // this thread's user + system time in op(), summed
  };
  try {
    RawWriter raw(*f, entity("raw-interleaved", full_bucket), full_bucket);
    std::optional<aws::UpdateItemRequest> raw_request;
    std::vector<Variant> variants;
    variants.push_back({.name = "raw", .op = [&] {
                          auto outcome = raw.send(*raw_request);
                          raw.absorb(outcome);
                        }});
    variants.push_back({.name = "override", .op = [&] {
                          acquire_and_commit(*f->limiter, entity("override", full_bucket), limits);
                        }});
    variants.push_back({.name = "stored", .op = [&] {
                          acquire_and_commit(*f->limiter, entity("stored", full_bucket),
                                             std::nullopt);
                        }});
    variants.push_back({.name = "cascade", .op = [&] {
                          acquire_and_commit(*f->limiter, entity("child", full_bucket), limits);
                        }});
    variants.push_back(
        {.name = "consume", .op = [&] {
           const ConsumeResult result = f->store->consume(ConsumeRequest{
               .target = store_target, .amounts = amounts(), .now = SystemClock::instance().now()});
           if (result.kind != ConsumeResult::Kind::kAdmitted) {
             throw std::runtime_error("store.consume was not admitted");
           }
         }});
    for (int i = 0; i < kWarmupCalls; ++i) {
      raw_request = raw.plan_next();
      for (Variant& v : variants) {
        v.op();
      }
    }
    std::size_t round = 0;
    for (auto _ : state) {
      ++round;
      state.PauseTiming();
      raw_request = raw.plan_next();  // untimed, as in RawUpdateItem
      state.ResumeTiming();
      // Rotated, so that no variant always follows the same one (the cascade's two writes).
      for (std::size_t k = 0; k < variants.size(); ++k) {
        Variant& v = variants[(k + round) % variants.size()];
        const std::uint64_t before = f->transport->counts().requests;
        const double cpu_before = thread_cpu_us();
        const auto start = std::chrono::steady_clock::now();
        v.op();
        v.samples.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                .count());
        v.cpu_us += thread_cpu_us() - cpu_before;
        v.requests += f->transport->counts().requests - before;
      }
    }
    double raw_p50 = 0;
    double raw_cpu = 0;
    for (Variant& v : variants) {
      std::sort(v.samples.begin(), v.samples.end());
      const double p50 = percentile(v.samples, 0.50);
      const double cpu = v.cpu_us / static_cast<double>(v.samples.size());
      raw_p50 = raw_p50 > 0 ? raw_p50 : p50;  // raw is first
      raw_cpu = raw_cpu > 0 ? raw_cpu : cpu;
      state.counters[v.name + "_cpu_us"] = cpu;
      state.counters[v.name + "_cpu_over_raw"] = cpu / raw_cpu;
      state.counters[v.name + "_p50_us"] = p50;
      state.counters[v.name + "_p90_us"] = percentile(v.samples, 0.90);
      state.counters[v.name + "_p99_us"] = percentile(v.samples, 0.99);
      state.counters[v.name + "_requests_per_op"] =
          static_cast<double>(v.requests) / static_cast<double>(v.samples.size());
      state.counters[v.name + "_p50_over_raw"] = p50 / raw_p50;
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

// Registered last: deletes the run's table (left behind when this is filtered out).
void BM_StoreDynamoDb_DeleteTable(benchmark::State& state) {
  std::string error;
  Fixture* f = fixture(error);
  if (f == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  try {
    for (auto _ : state) {
      (void)f->client->delete_table(f->opened.table_name);
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  instance.reset();
  setup_error = "the table has been deleted";
}

void configure(benchmark::internal::Benchmark* b) {
  b->ArgName("full_bucket")
      ->Arg(0)
      ->Arg(1)
      ->Iterations(kIterations)
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}

// RawUpdateItem first: the others divide by its p50.
BENCHMARK(BM_StoreDynamoDb_RawUpdateItem)->Apply(configure);
BENCHMARK(BM_StoreDynamoDb_AcquireOverride)->Apply(configure);
BENCHMARK(BM_StoreDynamoDb_AcquireStored)->Apply(configure);
BENCHMARK(BM_StoreDynamoDb_AcquireCascade)->Apply(configure);
BENCHMARK(BM_StoreDynamoDb_StoreConsume)->Apply(configure);
BENCHMARK(BM_StoreDynamoDb_RawUpdateItemAgain)->Apply(configure);
BENCHMARK(BM_StoreDynamoDb_Interleaved)
    ->ArgName("full_bucket")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(kInterleavedIterations)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_StoreDynamoDb_DeleteTable)->Iterations(1);

}  // namespace
}  // namespace zae
