// SPDX-License-Identifier: MIT
// RateLimiter end to end on the embedded store: acquire + commit of 2 limits on a warm bucket.

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "zae/open_store.h"
#include "zae/rate_limiter.h"

namespace {

// Large limits so the bucket never runs dry during the benchmark.
const std::vector<zae::Limit>& bench_limits() {
  static const std::vector<zae::Limit> limits = {
      zae::Limit::per_second("rpm", 1'000'000'000),
      zae::Limit::per_second("tpm", 1'000'000'000'000),
  };
  return limits;
}

std::string temp_db_path(const char* tag) {
  return (std::filesystem::temp_directory_path() /
          ("zae-bench-" + std::string(tag) + "-" + std::to_string(::getpid()) + ".db"))
      .string();
}

void run_acquire_commit(benchmark::State& state, const std::string& uri, bool with_adjust) {
  std::shared_ptr<zae::Store> store = zae::open_store(uri);
  zae::RateLimiter limiter(store);
  const zae::AcquireRequest request{.entity_id = "bench-key",
                                    .resource = "gpt-4",
                                    .consume = {{"rpm", 1}, {"tpm", 500}},
                                    .limits = bench_limits()};
  limiter.acquire(request).commit();  // warm: the bucket exists
  for (auto _ : state) {
    zae::Lease lease = limiter.acquire(request);
    if (with_adjust) {
      lease.adjust({{"tpm", 37}});
    }
    lease.commit();
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_AcquireCommit_SqliteFileWal(benchmark::State& state) {
  const std::string path = temp_db_path("file");
  run_acquire_commit(state, "sqlite://" + path, false);
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}
BENCHMARK(BM_AcquireCommit_SqliteFileWal);

// The same with locking=exclusive: one process owns the file.
void BM_AcquireCommit_SqliteFileWalExclusive(benchmark::State& state) {
  const std::string path = temp_db_path("file-exclusive");
  run_acquire_commit(state, "sqlite://" + path + "?locking=exclusive", false);
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}
BENCHMARK(BM_AcquireCommit_SqliteFileWalExclusive);

void BM_AcquireAdjustCommit_SqliteFileWal(benchmark::State& state) {
  const std::string path = temp_db_path("file-adjust");
  run_acquire_commit(state, "sqlite://" + path, true);
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}
BENCHMARK(BM_AcquireAdjustCommit_SqliteFileWal);

void BM_AcquireCommit_SqliteMemory(benchmark::State& state) {
  run_acquire_commit(state, "sqlite::memory:", false);
}
BENCHMARK(BM_AcquireCommit_SqliteMemory);

void BM_AcquireAdjustCommit_SqliteMemory(benchmark::State& state) {
  run_acquire_commit(state, "sqlite::memory:", true);
}
BENCHMARK(BM_AcquireAdjustCommit_SqliteMemory);

}  // namespace
