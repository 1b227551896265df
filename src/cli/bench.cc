// SPDX-License-Identifier: MIT
// The measuring engine of `zae-limiter bench`: end-to-end scenarios through RateLimiter, and on
// DynamoDB the raw ceiling (the warm acquire's UpdateItem alone, through the same client).
#include "cli/bench.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/core.h>
#include <sys/resource.h>
#include <unistd.h>

#include "zae/clock.h"
#include "zae/errors.h"
#include "zae/lease.h"
#include "zae/open_store.h"
#include "zae/rate_limiter.h"
#include "zae/store.h"

#include "aws/aws_config.h"
#include "aws/dynamodb_client.h"
#include "aws/http.h"
#include "cli/version.h"
#include "dynamodb/bucket_plan.h"
#include "dynamodb/dynamodb_connection.h"
#include "dynamodb/dynamodb_store.h"
#include "dynamodb/items.h"
#include "dynamodb/keys.h"
#include "store/store_uri.h"

namespace zae::cli {
namespace {

constexpr const char* kResource = "bench";
// Untimed calls per thread before each timed run (connections, caches, the bucket itself).
constexpr int kWarmupCalls = 20;
// DynamoDbStoreOptions' default, which the bench's store uses: the raw write's TTL matches.
constexpr int kTtlMultiplier = 7;

// Forwards to the transport DynamoDbConnection would choose and counts the requests.
class CountingTransport final : public aws::HttpTransport {
 public:
  explicit CountingTransport(std::shared_ptr<aws::HttpTransport> inner)
      : inner_(std::move(inner)) {}

  aws::HttpResponse send(const aws::HttpRequest& request) override {
    requests_.fetch_add(1, std::memory_order_relaxed);
    return inner_->send(request);
  }
  std::vector<aws::HttpOutcome> send_all(std::span<const aws::HttpRequest> requests) override {
    requests_.fetch_add(requests.size(), std::memory_order_relaxed);
    return inner_->send_all(requests);
  }

  std::uint64_t requests() const { return requests_.load(std::memory_order_relaxed); }

 private:
  std::shared_ptr<aws::HttpTransport> inner_;
  std::atomic<std::uint64_t> requests_{0};
};

// Write and read capacity units reported by DynamoDB (ReturnConsumedCapacity), summed.
class CapacityMeter {
 public:
  void add(std::string_view operation, const aws::ConsumedCapacity& used) {
    std::lock_guard lock(mutex_);
    const double write = used.write_capacity_units;
    const double read = used.read_capacity_units;
    if (write != 0 || read != 0) {
      wcu_ += write;
      rcu_ += read;
      return;
    }
    // TOTAL reports CapacityUnits alone: the operation says which kind they are.
    const bool reads = operation == "GetItem" || operation == "BatchGetItem" ||
                       operation == "Query" || operation == "Scan" ||
                       operation == "TransactGetItems";
    (reads ? rcu_ : wcu_) += used.capacity_units;
  }
  std::pair<double, double> take() {
    std::lock_guard lock(mutex_);
    return {std::exchange(wcu_, 0), std::exchange(rcu_, 0)};
  }

 private:
  std::mutex mutex_;
  double wcu_ = 0;
  double rcu_ = 0;
};

// The store under test; the store goes before the connection that owns its client.
struct BenchStore {
  std::shared_ptr<CountingTransport> transport;  // null on SQLite
  std::shared_ptr<dynamodb::DynamoDbConnection> connection;
  dynamodb::OpenedNamespace opened{};
  std::shared_ptr<Store> store;
  std::shared_ptr<dynamodb::DynamoDbStore> dynamodb_store;  // null on SQLite
  std::string description;
  std::string backend;
};

// `meter`: a second connection for capacity passes, whose client asks DynamoDB for the capacity
// of every request and reports it (never the timed one: asking costs a second parse).
std::unique_ptr<BenchStore> open_bench_store(const BenchOptions& options,
                                             CapacityMeter* meter = nullptr) {
  auto bench = std::make_unique<BenchStore>();
  const std::string uri = options.store_uri.empty() ? default_store_uri() : options.store_uri;
  const StoreUri parsed = parse_store_uri(uri);
  const auto* table = std::get_if<DynamoDbStoreUri>(&parsed);
  if (table == nullptr) {
    bench->store = open_store(uri, {.namespace_name = options.namespace_name});
    bench->description = uri;
    bench->backend = "sqlite";
    return bench;
  }
  // The connection open_store would make, with its transport wrapped to count requests.
  BenchStore* target = bench.get();
  bench->connection = dynamodb::DynamoDbConnection::create(
      *table, aws::process_environment(),
      dynamodb::DynamoDbConnectionOptions{
          .wrap_transport =
              [target](std::shared_ptr<aws::HttpTransport> inner) {
                target->transport = std::make_shared<CountingTransport>(std::move(inner));
                return std::shared_ptr<aws::HttpTransport>(target->transport);
              },
          .capacity_observer =
              meter == nullptr
                  ? std::function<void(std::string_view, const aws::ConsumedCapacity&)>{}
                  : [meter](std::string_view operation, const aws::ConsumedCapacity& used) {
                      meter->add(operation, used);
                    },
          .provision = {.updated_by = fmt::format("cpp:{}", kClientVersion)}});
  bench->opened = bench->connection->open(table->table_name, options.namespace_name);
  bench->dynamodb_store =
      std::make_shared<dynamodb::DynamoDbStore>(bench->connection, bench->opened);
  bench->store = bench->dynamodb_store;
  bench->description = "dynamodb://" + table->table_name;
  bench->backend = "dynamodb";
  return bench;
}

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Nearest rank of ascending `sorted` (not empty).
double percentile(const std::vector<double>& sorted, double q) {
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

enum class OpOutcome { kAdmitted, kRejected };

// One operation of a scenario on thread `thread`; `index` is unique per thread and call
// (warm-up calls included). Timed whole, so untimed work belongs in the setup.
using Operation = std::function<OpOutcome(int thread, std::int64_t index)>;

struct RunSize {
  std::int64_t ops = 0;  // total over the threads; ignored with a duration
  std::optional<std::chrono::duration<double>> duration{};
};

// Runs `op` on `threads` threads after kWarmupCalls untimed calls each; all start together.
BenchResult measure(std::string name, int threads, const RunSize& size, const Operation& op,
                    const CountingTransport* transport) {
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(threads));
  std::vector<std::int64_t> rejected(static_cast<std::size_t>(threads), 0);
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(threads));
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const auto slot = static_cast<std::size_t>(t);
      std::int64_t index = 0;
      try {
        for (; index < kWarmupCalls; ++index) {
          (void)op(t, index);
        }
      } catch (...) {
        errors[slot] = std::current_exception();
      }
      ready.fetch_add(1);
      while (!go.load()) {
        std::this_thread::yield();
      }
      if (errors[slot]) {
        return;
      }
      const std::int64_t mine = size.ops / threads + (t < size.ops % threads ? 1 : 0);
      auto& samples = latencies[slot];
      samples.reserve(size.duration ? 4096 : static_cast<std::size_t>(mine));
      try {
        for (std::int64_t n = 0; size.duration ? !stop.load(std::memory_order_relaxed) : n < mine;
             ++n, ++index) {
          const auto start = std::chrono::steady_clock::now();
          const OpOutcome outcome = op(t, index);
          samples.push_back(
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                  .count());
          rejected[slot] += outcome == OpOutcome::kRejected ? 1 : 0;
        }
      } catch (...) {
        errors[slot] = std::current_exception();
      }
    });
  }
  while (ready.load() < threads) {
    std::this_thread::yield();
  }
  const std::uint64_t requests_before = transport ? transport->requests() : 0;
  const double cpu_before = cpu_seconds();
  const auto started = std::chrono::steady_clock::now();
  go.store(true);
  if (size.duration) {
    std::this_thread::sleep_for(*size.duration);
    stop.store(true);
  }
  for (std::thread& worker : workers) {
    worker.join();
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double cpu = cpu_seconds() - cpu_before;
  for (const std::exception_ptr& error : errors) {
    if (error) {
      std::rethrow_exception(error);
    }
  }
  std::vector<double> all;
  BenchResult result{.name = std::move(name), .threads = threads};
  for (int t = 0; t < threads; ++t) {
    const auto slot = static_cast<std::size_t>(t);
    all.insert(all.end(), latencies[slot].begin(), latencies[slot].end());
    result.rejected += rejected[slot];
  }
  if (all.empty()) {
    throw std::runtime_error("bench: scenario '" + result.name + "' completed no operation");
  }
  std::sort(all.begin(), all.end());
  const double ops = static_cast<double>(all.size());
  result.ops = static_cast<std::int64_t>(all.size());
  result.p50_ms = percentile(all, 0.50);
  result.p90_ms = percentile(all, 0.90);
  result.p99_ms = percentile(all, 0.99);
  result.p999_ms = percentile(all, 0.999);
  result.ops_per_s = wall > 0 ? ops / wall : 0;
  result.cpu_us_per_op = cpu * 1e6 / ops;
  if (transport != nullptr) {
    result.requests_per_op = static_cast<double>(transport->requests() - requests_before) / ops;
  }
  return result;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             SystemClock::instance().now().time_since_epoch())
      .count();
}

// Sends the write the store's warm consume sends to one bucket item, planned with bucket_plan.h
// from the last state seen (the previous ALL_NEW, or ALL_OLD after a failed condition), as the
// store plans it. Not thread-safe: one per thread.
class RawWriter {
 public:
  RawWriter(BenchStore& bench, std::string entity_id, std::vector<Limit> limits, Amounts amounts)
      : bench_(bench),
        target_{.entity_id = std::move(entity_id),
                .resource = kResource,
                .limits = std::move(limits),
                .source = LimitSource::kOverride},
        amounts_(std::move(amounts)) {
    // The item, created the way the store creates it; then its state, read back.
    const ConsumeResult created = bench_.store->consume(ConsumeRequest{
        .target = target_, .amounts = amounts_, .now = SystemClock::instance().now()});
    if (created.kind != ConsumeResult::Kind::kAdmitted) {
      throw std::runtime_error("bench: creating the raw bucket was not admitted");
    }
    const aws::GetItemResult read = bench_.connection->client().get_item(
        {.table_name = bench_.opened.table_name,
         .key = dynamodb::bucket_key(bench_.opened.namespace_id, target_.entity_id, kResource, 0)
                    .to_attributes(),
         .consistency = aws::ReadConsistency::kStrong});
    if (!read.item) {
      throw std::runtime_error("bench: the created raw bucket is missing");
    }
    item_ = dynamodb::decode_bucket(*read.item);
  }

  aws::UpdateItemRequest plan_next() {
    const std::int64_t now = now_ms();
    dynamodb::ItemPlan plan = dynamodb::plan_item(target_.entity_id, kResource, item_, now);
    std::vector<LimitStatus> statuses;
    std::vector<ConsumedEntry> entries;
    if (!dynamodb::plan_side(plan, target_, amounts_, statuses, entries)) {
      throw std::runtime_error("bench: the raw bucket ran dry");
    }
    // As the store's warm consume writes the entity's own item: "no cascade" (kRequire).
    const dynamodb::WriteContext context{
        .table = bench_.opened.table_name,
        .ns = bench_.opened.namespace_id,
        .ttl = dynamodb::consume_ttl(target_, kTtlMultiplier, now),
        .hierarchy = {.mode = dynamodb::HierarchyRule::Mode::kRequire, .hierarchy = {}}};
    const dynamodb::WriteKind kind = dynamodb::choose_write(plan);
    if (kind == dynamodb::WriteKind::kCreate) {
      throw std::runtime_error("bench: the raw bucket disappeared");
    }
    return kind == dynamodb::WriteKind::kConsume ? dynamodb::consume_request(context, plan)
                                                 : dynamodb::refill_request(context, plan);
  }

  // Sends `request`; returns the capacity it consumed when it asked for it.
  std::optional<aws::ConsumedCapacity> send(const aws::UpdateItemRequest& request) {
    aws::Outcome<aws::WriteItemResult> outcome =
        bench_.connection->client().try_update_item(request);
    if (outcome.ok()) {
      item_ = dynamodb::decode_bucket(*outcome.value().attributes);
      return outcome.value().consumed_capacity;
    }
    if (outcome.is_condition_failure()) {
      // Planned again from ALL_OLD, as the store does.
      const auto& old_item = outcome.condition_failure().old_item;
      item_ = old_item ? std::optional(dynamodb::decode_bucket(*old_item)) : std::nullopt;
      return std::nullopt;
    }
    throw std::runtime_error("bench: the raw UpdateItem was throttled");
  }

 private:
  BenchStore& bench_;
  const ConsumeTarget target_;
  const Amounts amounts_;
  std::optional<dynamodb::BucketItem> item_{};
};

Amounts one_of_each(const std::vector<Limit>& limits) {
  Amounts amounts;
  for (const Limit& limit : limits) {
    amounts.emplace_back(limit.name(), 1);
  }
  return amounts;
}

bool wanted(const BenchOptions& options, const std::string& name) {
  return options.scenarios.empty() || std::find(options.scenarios.begin(), options.scenarios.end(),
                                                name) != options.scenarios.end();
}

void validate(const BenchOptions& options) {
  for (const std::string& name : options.scenarios) {
    const auto& names = bench_scenario_names();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      std::string known;
      for (const std::string& n : names) {
        known += (known.empty() ? "" : ", ") + n;
      }
      throw UsageError(fmt::format("unknown scenario '{}' (scenarios: {})", name, known));
    }
  }
  if (options.threads.empty()) {
    throw UsageError("--threads needs at least one thread count");
  }
  for (int threads : options.threads) {
    if (threads < 1) {
      throw UsageError(fmt::format("--threads must be at least 1, got {}", threads));
    }
  }
  if (options.duration_seconds) {
    if (!(*options.duration_seconds > 0)) {
      throw UsageError("--duration must be positive");
    }
  } else if (options.ops < 1) {
    throw UsageError(fmt::format("--ops must be at least 1, got {}", options.ops));
  }
  const auto named = [&](const char* name) {
    return std::find(options.scenarios.begin(), options.scenarios.end(), name) !=
           options.scenarios.end();
  };
  // Without an explicit list, warm_2limits and adjust are left out (see run_bench).
  if (options.limits.size() == 1 && (named("warm_2limits") || named("adjust"))) {
    throw UsageError("scenarios warm_2limits and adjust need two -l/--limit limits");
  }
}

void progress(const BenchResult& r) {
  std::fprintf(stderr, "bench: %-18s threads %-3d ops %-7lld p50 %.3f ms  %.0f ops/s\n",
               r.name.c_str(), r.threads, static_cast<long long>(r.ops), r.p50_ms, r.ops_per_s);
}

}  // namespace

const std::vector<std::string>& bench_scenario_names() {
  static const std::vector<std::string> kNames{
      "warm", "warm_2limits", "adjust", "cascade", "rejection", "cold", "config_cache_miss"};
  return kNames;
}

BenchReport run_bench(const BenchOptions& options) {
  validate(options);
  std::unique_ptr<BenchStore> bench = open_bench_store(options);
  BenchReport report{.store = bench->description, .backend = bench->backend};
  RateLimiter limiter(bench->store);
  RateLimiterOptions no_cache;
  no_cache.config_cache_ttl = std::chrono::milliseconds(0);
  RateLimiter uncached(bench->store, no_cache);
  const CountingTransport* counter = bench->transport.get();
  // Capacity units per operation come from a pass apart, through a second connection whose
  // client asks for them, so that the timed operations send exactly what an application sends.
  CapacityMeter meter;
  std::unique_ptr<BenchStore> metered;
  std::optional<RateLimiter> metered_limiter;
  std::optional<RateLimiter> metered_uncached;
  if (bench->dynamodb_store) {
    metered = open_bench_store(options, &meter);
    metered_limiter.emplace(metered->store);
    metered_uncached.emplace(metered->store, no_cache);
  }
  // The limiters the scenario operations use: the timed ones, or the metered ones.
  struct Limiters {
    RateLimiter* cached = nullptr;
    RateLimiter* uncached = nullptr;
  };
  Limiters active{.cached = &limiter, .uncached = &uncached};

  const std::vector<Limit> all_limits =
      !options.limits.empty()
          ? options.limits
          : std::vector<Limit>{Limit::per_minute("rpm", 1'000'000, 1'000'000'000),
                               Limit::per_minute("tpm", 1'000'000, 1'000'000'000)};
  const std::vector<Limit> one_limit(all_limits.begin(), all_limits.begin() + 1);
  const bool two_limits = all_limits.size() >= 2;
  const std::vector<Limit> two(all_limits.begin(), all_limits.begin() + (two_limits ? 2 : 1));
  const Amounts one_amounts = one_of_each(one_limit);
  const Amounts two_amounts = one_of_each(two);

  const std::string prefix = fmt::format("bench-{}-{}", ::getpid(),
                                         std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
  const auto id = [&](const std::string& role, int thread) {
    return fmt::format("{}-{}-{}", prefix, role, thread);
  };
  const auto driven = [&](const std::string& role, int thread) {
    return options.entity_id.empty() ? id(role, thread) : options.entity_id;
  };
  RunSize size{.ops = options.ops};
  if (options.duration_seconds) {
    size.duration = std::chrono::duration<double>(*options.duration_seconds);
  }

  if (options.warmup_seconds > 0) {
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                           std::chrono::duration<double>(options.warmup_seconds));
    const std::string entity = id("warmup", 0);
    while (std::chrono::steady_clock::now() < until) {
      Lease lease = limiter.acquire(AcquireRequest{
          .entity_id = entity, .resource = kResource, .consume = one_amounts, .limits = one_limit});
      lease.commit();
    }
  }

  for (int threads : options.threads) {
    // The raw ceiling first, and again after every scenario: each scenario's ratios divide by
    // the mean of the raw runs just before and just after it, so that DynamoDB Local's drift
    // during a run (its JVM speeds up, and slows down after long heavy use) cancels instead of
    // landing on whichever scenario runs furthest from a single raw row.
    std::vector<std::unique_ptr<RawWriter>> writers;
    std::optional<BenchResult> raw_before;
    const auto measure_raw = [&] {
      // Each op plans the next write from the last state (bucket_plan.h, microseconds) and
      // sends it: the limiter's warm acquire does the same planning.
      BenchResult raw = measure(
          "raw", threads, size,
          [&](int t, std::int64_t) {
            auto& writer = *writers[static_cast<std::size_t>(t)];
            (void)writer.send(writer.plan_next());
            return OpOutcome::kAdmitted;
          },
          counter);
      progress(raw);
      return raw;
    };
    if (bench->dynamodb_store) {
      for (int t = 0; t < threads; ++t) {
        writers.push_back(
            std::make_unique<RawWriter>(*bench, id("raw", t), one_limit, one_amounts));
      }
      // Capacity, measured apart so the timed body is exactly the warm acquire's.
      double wcu = 0;
      double rcu = 0;
      int samples = 0;
      for (; samples < kWarmupCalls; ++samples) {
        aws::UpdateItemRequest request = writers[0]->plan_next();
        request.return_consumed_capacity = aws::ReturnConsumedCapacity::kTotal;
        const std::optional<aws::ConsumedCapacity> used = writers[0]->send(request);
        if (!used) {
          break;
        }
        wcu += used->write_capacity_units > 0 ? used->write_capacity_units : used->capacity_units;
        rcu += used->read_capacity_units;
      }
      BenchResult raw = measure_raw();
      if (samples > 0) {
        raw.wcu_per_op = wcu / samples;
        raw.rcu_per_op = rcu / samples;
      }
      raw_before = raw;
      report.raw.push_back(std::move(raw));
    }

    const auto run = [&](const std::string& name, const Operation& op) {
      BenchResult result = measure(name, threads, size, op, counter);
      if (raw_before) {
        const BenchResult raw_after = measure_raw();
        const double raw_p50 = (raw_before->p50_ms + raw_after.p50_ms) / 2;
        const double raw_ops = (raw_before->ops_per_s + raw_after.ops_per_s) / 2;
        result.raw_p50_ms = raw_p50;
        if (raw_p50 > 0) {
          result.ratio_p50_to_raw = result.p50_ms / raw_p50;
        }
        if (raw_ops > 0) {
          result.ratio_ops_to_raw = result.ops_per_s / raw_ops;
        }
        raw_before = raw_after;
      }
      if (metered) {
        // Warm the metered store's caches, then meter kWarmupCalls operations of thread 0 (on
        // indices no timed operation used).
        active = Limiters{.cached = &*metered_limiter, .uncached = &*metered_uncached};
        constexpr std::int64_t kFirstIndex = std::int64_t{1} << 40;
        for (int i = 0; i < 2 * kWarmupCalls; ++i) {
          if (i == kWarmupCalls) {
            (void)meter.take();
          }
          (void)op(0, kFirstIndex + i);
        }
        const auto [wcu, rcu] = meter.take();
        result.wcu_per_op = wcu / kWarmupCalls;
        result.rcu_per_op = rcu / kWarmupCalls;
        active = Limiters{.cached = &limiter, .uncached = &uncached};
      }
      progress(result);
      report.scenarios.push_back(std::move(result));
    };
    const auto acquire_commit = [&](RateLimiter& l, const std::string& entity,
                                    const Amounts& amounts,
                                    const std::optional<std::vector<Limit>>& limits) {
      Lease lease = l.acquire(AcquireRequest{
          .entity_id = entity, .resource = kResource, .consume = amounts, .limits = limits});
      lease.commit();
      return OpOutcome::kAdmitted;
    };

    if (wanted(options, "warm")) {
      run("warm", [&](int t, std::int64_t) {
        return acquire_commit(*active.cached, driven("warm", t), one_amounts, one_limit);
      });
    }
    if (two_limits && wanted(options, "warm_2limits")) {
      run("warm_2limits", [&](int t, std::int64_t) {
        return acquire_commit(*active.cached, driven("warm2", t), two_amounts, two);
      });
    }
    if (two_limits && wanted(options, "adjust")) {
      const Amounts delta{{two[1].name(), 1}};
      run("adjust", [&](int t, std::int64_t) {
        Lease lease = active.cached->acquire(AcquireRequest{.entity_id = driven("adjust", t),
                                                     .resource = kResource,
                                                     .consume = two_amounts,
                                                     .limits = two});
        lease.adjust(delta);
        lease.commit();
        return OpOutcome::kAdmitted;
      });
    }
    if (wanted(options, "cascade")) {
      for (int t = 0; t < threads; ++t) {
        if (!limiter.get_entity(id("child", t))) {  // made by an earlier thread count
          limiter.create_entity({.entity_id = id("parent", t)});
          limiter.create_entity(
              {.entity_id = id("child", t), .parent_id = id("parent", t), .cascade = true});
        }
      }
      run("cascade", [&](int t, std::int64_t) {
        return acquire_commit(*active.cached, id("child", t), one_amounts, one_limit);
      });
    }
    if (wanted(options, "rejection")) {
      // One token a day, taken before the run: every timed acquire is rejected.
      const std::vector<Limit> tiny{Limit::per_day(one_limit[0].name(), 1)};
      for (int t = 0; t < threads; ++t) {
        try {
          (void)acquire_commit(limiter, id("reject", t), one_amounts, tiny);
        } catch (const RateLimitExceeded&) {
          // drained already, by an earlier thread count
        }
      }
      run("rejection", [&](int t, std::int64_t) {
        try {
          return acquire_commit(*active.cached, id("reject", t), one_amounts, tiny);
        } catch (const RateLimitExceeded&) {
          return OpOutcome::kRejected;
        }
      });
    }
    if (wanted(options, "cold")) {
      run("cold", [&](int t, std::int64_t index) {
        return acquire_commit(*active.cached, fmt::format("{}-cold-{}-{}", prefix, t, index),
                              one_amounts, one_limit);
      });
    }
    if (wanted(options, "config_cache_miss")) {
      std::vector<Amounts> amounts(static_cast<std::size_t>(threads));
      for (int t = 0; t < threads; ++t) {
        const std::string entity = driven("stored", t);
        if (options.entity_id.empty() && !uncached.get_entity(entity)) {
          uncached.create_entity({.entity_id = entity});  // else made by an earlier thread count
          uncached.set_limits(entity, one_limit, kResource);
        }
        amounts[static_cast<std::size_t>(t)] =
            one_of_each(uncached.resolve_limits(entity, kResource).limits);
      }
      run("config_cache_miss", [&](int t, std::int64_t) {
        return acquire_commit(*active.uncached, driven("stored", t),
                              amounts[static_cast<std::size_t>(t)], std::nullopt);
      });
    }
  }
  return report;
}

}  // namespace zae::cli
