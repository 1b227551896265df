// SPDX-License-Identifier: MIT
// Store::consume on SqliteStore: the warm path of one decision (one BEGIN IMMEDIATE
// transaction reading the entity and the bucket and writing the bucket back).
//
//   build-release/bench/zae_bench --benchmark_filter=Sqlite

#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "zae/clock.h"
#include "zae/limit.h"
#include "zae/open_store.h"
#include "zae/store.h"

namespace zae {
namespace {

// kFile: the default store options; kFileLongWal: checkpoints every 20000 WAL pages instead of
// SQLite's 1000 (a longer WAL trades fewer fsyncs for a longer WAL-index chain on a hot page);
// kFileExclusive: locking=exclusive (one process owns the file, no shared-memory locks).
enum class Backend { kFile, kFileLongWal, kFileExclusive, kMemory };

const char* options_of(Backend backend) {
  switch (backend) {
    case Backend::kFileLongWal:
      return "?wal_autocheckpoint=20000";
    case Backend::kFileExclusive:
      return "?locking=exclusive";
    default:
      return "";
  }
}

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
    store_ = open_store("sqlite://" + directory_ + "/bench.db" + options_of(backend));
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

// The system calls SQLite makes per warm consume on a shared WAL file, without SQLite: six
// byte-range locks on the shared-memory file (read lock, read-mark update, write lock, and
// their releases) and two writes (a frame header and a 1 KiB page) to the WAL, as strace shows
// them. The kernel's part of BM_SqliteConsumeTwoLimits/file; locking=exclusive keeps the writes.
void BM_SqliteSyscallFloor(benchmark::State& state, bool with_locks) {
  std::string pattern = (std::filesystem::temp_directory_path() / "zae-floor-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  const std::string shm_path = pattern + "/floor.db-shm";
  const std::string wal_path = pattern + "/floor.db-wal";
  const int shm = ::open(shm_path.c_str(), O_RDWR | O_CREAT, 0644);
  const int wal = ::open(wal_path.c_str(), O_RDWR | O_CREAT, 0644);
  const auto lock = [shm](short type, off_t start) {
    struct flock range {};
    range.l_type = type;
    range.l_whence = SEEK_SET;
    range.l_start = start;
    range.l_len = 1;
    return ::fcntl(shm, F_SETLK, &range);
  };
  std::array<char, 24> header{};
  std::array<char, 1024> page{};
  off_t offset = 0;
  for (auto _ : state) {
    if (with_locks) {
      lock(F_WRLCK, 124);
      lock(F_UNLCK, 124);
      lock(F_RDLCK, 124);
      lock(F_WRLCK, 120);
    }
    benchmark::DoNotOptimize(::pwrite(wal, header.data(), header.size(), offset));
    benchmark::DoNotOptimize(::pwrite(wal, page.data(), page.size(), offset + 24));
    offset = (offset + 1048) % (1000 * 1048);  // a WAL restarted every 1000 frames
    if (with_locks) {
      lock(F_UNLCK, 120);
      lock(F_UNLCK, 124);
    }
  }
  ::close(shm);
  ::close(wal);
  std::error_code ignored;
  std::filesystem::remove_all(pattern, ignored);
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_SqliteSyscallFloor, shared, true);
BENCHMARK_CAPTURE(BM_SqliteSyscallFloor, exclusive, false);
BENCHMARK_CAPTURE(BM_SqliteConsumeTwoLimits, file, Backend::kFile);
BENCHMARK_CAPTURE(BM_SqliteConsumeTwoLimits, file_wal20000, Backend::kFileLongWal);
BENCHMARK_CAPTURE(BM_SqliteConsumeTwoLimits, file_exclusive, Backend::kFileExclusive);
BENCHMARK_CAPTURE(BM_SqliteConsumeTwoLimits, memory, Backend::kMemory);
BENCHMARK_CAPTURE(BM_SqliteConsumeThenAdjust, file, Backend::kFile);
BENCHMARK_CAPTURE(BM_SqliteConsumeThenAdjust, memory, Backend::kMemory);

}  // namespace
}  // namespace zae
