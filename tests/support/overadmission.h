// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "zae/limit.h"

namespace zae::test {

// The over-admission checker (issue 6, part 3): P forked processes × T threads acquire from one
// hot bucket through the public API (open_store + RateLimiter + Lease), with random consume
// sizes over every limit, random adjusts (both signs), rollbacks (exception in the lease scope,
// in with_lease, explicit rollback()) and in-lease consumes; then compares what was admitted
// with what the token-bucket math allows between the bucket's creation and the last write, and
// the stored total-consumed counters with what the clients recorded. Used by the integration
// test and by the soak executable (bench/overadmission_main.cc). Not part of the library.

enum class Cascade {
  kOff,  // every thread acquires the hot entity directly
  kOn,   // every thread acquires its own child (cascade=true) of the hot entity
};

struct OverAdmissionOptions {
  // Any URI open_store accepts. Every run names fresh entities, so reusing a store is fine.
  std::string store_uri{};
  int processes = 2;
  int threads = 2;
  // Acquires per thread (each is one contested gate decision on the hot bucket).
  std::int64_t acquires_per_thread = 100;
  Cascade cascade = Cascade::kOff;
  // Limits of the hot bucket (1 to 4); empty: default_hot_limits().
  std::vector<Limit> limits{};
  // Largest random consume per limit (same order as limits; uniform in [1, max]); empty or
  // short: 1/100 of the capacity, at least 1.
  std::vector<std::int64_t> max_consume{};
  // Share of admitted leases, in percent, that end in a rollback (split over the three ways),
  // commit adjustments, or consume more inside the lease. The rest commit unchanged.
  int rollback_percent = 15;
  int adjust_percent = 30;
  int lease_consume_percent = 5;
  std::uint64_t seed = 1;
  // Prefix of the run's entity ids; empty: derived from the pid and the clock.
  std::string run_id{};
};

// rpm: capacity 100, 100/s; tpm: capacity 10,000, 5,000/s.
std::vector<Limit> default_hot_limits();

inline constexpr int kMaxCheckedLimits = 4;

// What the clients recorded for one limit of the hot bucket, in millitokens.
struct LimitTally {
  // Passed the gate: acquire's initial consumption plus Lease::consume.
  std::int64_t admitted_milli = 0;
  // Returned uncapped: rollbacks and negative committed adjustments.
  std::int64_t refunds_milli = 0;
  // Positive committed adjustments.
  std::int64_t debts_milli = 0;
  // What total-consumed must have moved by: admitted + debts − refunds.
  std::int64_t net_milli = 0;
};

// One process's totals (a plain struct: it crosses a pipe).
struct WorkerTally {
  std::int64_t acquires = 0;
  std::int64_t admitted = 0;
  std::int64_t rejected = 0;
  std::int64_t rollbacks = 0;
  std::int64_t adjusts = 0;
  std::int64_t lease_consumes = 0;
  // Anything unexpected: store errors, failed commits or rollbacks, no-op leases, wrong entries.
  std::int64_t errors = 0;
  // Epoch ms after the process's last operation returned (≥ its last write).
  std::int64_t last_op_ms = 0;
  LimitTally limits[kMaxCheckedLimits]{};
};

struct LimitVerdict {
  std::string name{};
  std::int64_t capacity_milli = 0;
  // floor(elapsed_ms × refill_amount_milli / refill_period_ms).
  std::int64_t refill_milli = 0;
  std::int64_t refunds_milli = 0;
  // capacity + refill + refunds.
  std::int64_t bound_milli = 0;
  std::int64_t admitted_milli = 0;
  std::int64_t debts_milli = 0;
  // Stored tokens at the end, and the refill owed to them at the last operation (uncapped:
  // floor((t1 − rf) × refill_amount_milli / refill_period_ms)).
  std::int64_t final_tokens_milli = 0;
  std::int64_t final_accrual_milli = 0;
  std::int64_t stored_consumed_milli = 0;  // tc(end) − tc(start)
  std::int64_t recorded_net_milli = 0;
  bool over_admitted = false;   // admitted > bound
  bool over_conserved = false;  // admitted + debts + final tokens + accrual > bound
  bool counter_mismatch = false;
};

struct OverAdmissionReport {
  std::string store{};
  Cascade cascade = Cascade::kOff;
  int processes = 0;
  int threads = 0;
  std::int64_t elapsed_ms = 0;  // bucket creation to the last operation
  std::int64_t wall_ms = 0;     // the whole run, setup included
  WorkerTally total{};
  std::vector<WorkerTally> per_process{};
  std::vector<LimitVerdict> limits{};
  // Setup or final-read failures (no verdict possible).
  std::vector<std::string> failures{};

  // No over-admission, no counter mismatch, no error, no failure.
  bool ok() const;
  // Violations and errors, with the evidence: limit, bound and its parts, admitted, elapsed,
  // per-process totals.
  std::string evidence() const;
  // One line per limit plus the totals.
  std::string summary() const;
};

// Runs the whole check (setup, fork, workers, verdict). Throws only for invalid options or when
// a process cannot be forked; store failures end up in the report.
OverAdmissionReport run_overadmission_check(const OverAdmissionOptions& options);

}  // namespace zae::test
