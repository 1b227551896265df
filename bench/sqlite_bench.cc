// SPDX-License-Identifier: MIT
// Store::consume on SqliteStore: the warm path of one decision (one BEGIN IMMEDIATE
// transaction reading the entity and the bucket and writing the bucket back).
//
//   build-release/bench/zae_bench --benchmark_filter=Sqlite

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include "zae/clock.h"
#include "zae/limit.h"
#include "zae/open_store.h"
#include "zae/store.h"

namespace zae {
namespace {

// kFile: the default store options; kFileLongWal: checkpoints every 20000 WAL pages instead of
// SQLite's 1000 (a longer WAL trades fewer fsyncs for a longer WAL-index chain on a hot page).
enum class Backend { kFile, kFileLongWal, kMemory };

// A store for one benchmark run: a WAL file in a fresh temporary directory, or :memory:.
class BenchStore {
 public:
  explicit BenchStore(Backend backend) {
    if (backend == Backend::kMemory) {
      store_ = open_store("sqlite::memory:");
      return;
    }
    std::string pattern = (std::filesystem::temp_directory_path() / "zae-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    directory_ = pattern;
    store_ = open_store("sqlite://" + directory_ + "/bench.db" +
                        (backend == Backend::kFileLongWal ? "?wal_autocheckpoint=20000" : ""));
  }
  ~BenchStore() {
    store_.reset();
    if (!directory_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(directory_, ignored);
    }
  }
  Store& operator*() { return *store_; }

 private:
  std::string directory_;
  std::unique_ptr<Store> store_;
};

// Two limits that never run out, so every iteration is an admitted, written decision. A
// resource-level source makes each write refresh the bucket TTL too.
ConsumeRequest warm_request() {
  return ConsumeRequest{.target = {.entity_id = "bench-key",
                                   .resource = "gpt-4",
                                   .limits = {Limit::per_second("rps", 1'000'000'000),
                                              Limit::per_second("tps", 1'000'000'000'000)},
                                   .source = LimitSource::kResource},
                        .parent = std::nullopt,
                        .amounts = {{"rps", 1}, {"tps", 100}},
                        .now = {}};
}

void BM_SqliteConsumeTwoLimits(benchmark::State& state, Backend backend) {
  BenchStore store(backend);
  ConsumeRequest request = warm_request();
  request.now = SystemClock::instance().now();
  (*store).consume(request);  // create the bucket: measure the warm path
  for (auto _ : state) {
    request.now = SystemClock::instance().now();
    ConsumeResult result = (*store).consume(request);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_SqliteConsumeThenAdjust(benchmark::State& state, Backend backend) {
  BenchStore store(backend);
  ConsumeRequest request = warm_request();
  request.now = SystemClock::instance().now();
  (*store).consume(request);
  const BucketDelta delta{
      .entity_id = "bench-key", .resource = "gpt-4", .tokens_milli = {{"tps", 50'000}}};
  for (auto _ : state) {
    request.now = SystemClock::instance().now();
    ConsumeResult result = (*store).consume(request);
    benchmark::DoNotOptimize(result);
    (*store).apply_deltas({&delta, 1}, request.now);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_SqliteConsumeTwoLimits, file, Backend::kFile);
BENCHMARK_CAPTURE(BM_SqliteConsumeTwoLimits, file_wal20000, Backend::kFileLongWal);
BENCHMARK_CAPTURE(BM_SqliteConsumeTwoLimits, memory, Backend::kMemory);
BENCHMARK_CAPTURE(BM_SqliteConsumeThenAdjust, file, Backend::kFile);
BENCHMARK_CAPTURE(BM_SqliteConsumeThenAdjust, memory, Backend::kMemory);

}  // namespace
}  // namespace zae
