// SPDX-License-Identifier: MIT
// Micro-benchmarks of the pure bucket math (spec/behavior.md §1): the per-limit cost of an
// acquire decision once the bucket state is in memory.
#include <cstdint>

#include <benchmark/benchmark.h>

#include "zae/limit.h"

#include "core/bucket.h"

namespace zae::core {
namespace {

// A warm bucket that never runs dry: each iteration advances time by 1 ms, which refills more
// than the 1 token consumed (100,000 tokens per minute ≈ 1.67 per ms).
void BM_TryConsumeWarm(benchmark::State& state) {
  const BucketParams params = BucketParams::from(Limit::per_minute("tpm", 100'000));
  TokenState bucket = full_bucket(params, 1'700'000'000'000);
  std::int64_t now = bucket.last_refill_ms;
  for (auto _ : state) {
    const ConsumeDecision d = try_consume(bucket, kMilli, ++now, params);
    bucket = d.state;
    benchmark::DoNotOptimize(d.admitted);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TryConsumeWarm);

// The rejection path: an empty bucket whose refill never reaches the request, so every
// iteration computes a retry-after.
void BM_TryConsumeRejected(benchmark::State& state) {
  const BucketParams params = BucketParams::from(Limit::per_day("tpd", 1'000'000));
  TokenState bucket{0, 1'700'000'000'000};
  std::int64_t now = bucket.last_refill_ms;
  for (auto _ : state) {
    const ConsumeDecision d = try_consume(bucket, 1'000'000 * kMilli, ++now, params);
    bucket = d.state;
    benchmark::DoNotOptimize(d.retry_after_ms);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TryConsumeRejected);

// Refill alone, below capacity so the 128-bit multiply-divide runs every time.
void BM_Refill(benchmark::State& state) {
  const BucketParams params = BucketParams::from(Limit::per_minute("rpm", 100));
  TokenState bucket{-1'000'000'000'000'000, 1'700'000'000'000};
  std::int64_t now = bucket.last_refill_ms;
  for (auto _ : state) {
    bucket = refill(bucket, ++now, params);
    benchmark::DoNotOptimize(bucket);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Refill);

}  // namespace
}  // namespace zae::core
