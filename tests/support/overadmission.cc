// SPDX-License-Identifier: MIT
// The over-admission checker: see overadmission.h for what it drives.
//
// The bound (design.md promise 2; spec/behavior.md §1, CG-1, CG-2, §15.2). For one limit of the
// hot bucket (capacity cp, refill ra millitokens per rp ms), take the potential
//     V(t) = tk + (t − rf) · ra / rp            (real-valued: stored tokens + unclaimed accrual)
// where tk and rf are the stored tokens and refill timestamp. The bucket is created full after
// t0, so V(t0) ≤ cp. Between writes V grows at exactly ra/rp. Each write changes it by:
//   - a gated consumption (acquire's initial write, Lease::consume; on every path: fast, normal,
//     retry, create, transaction) of a: −a. A refill the same write claims adds
//     add = ⌊(now − rf)·ra/rp⌋ ≤ the accrual it removes by moving rf to now (or less: the floor,
//     the clamp to cp and a commit-time rf all only lower V);
//   - a committed positive adjustment d: −d; a negative one or a rollback r: +r (uncapped ADD);
//   - a cascade compensation: +a after a consumption of a that was not admitted: net 0.
// At the last operation t1, with A admitted, D debts and R refunds (all recorded by the
// clients, in millitokens), and left = tk(t1) + ⌊(t1 − rf)·ra/rp⌋ ≤ V(t1) (rf ≤ t1: clients
// write their own now):
//     A + D + left ≤ V(t0) + (t1 − t0)·ra/rp + R ≤ cp + ⌊(t1 − t0)·ra/rp⌋ + R
// (the left side is an integer, hence the floor). Every gate leaves the balance V ≥ 0 after its
// consumption (on DynamoDB the warm write may take tk below 0 against unclaimed refill,
// tk ≥ a − add, so it is V, not tk) and only debts push it lower, so V(t1) ≥ −D and the brief's
// bound follows:
//     A ≤ cp + ⌊(t1 − t0)·ra/rp⌋ + R.
// Both are checked. Every change to tk above moves tc by the opposite amount except refill, so
// tc(t1) − tc(t0) = A + D − R exactly: a lost or doubled update shows as a mismatch.

#include "overadmission.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zae/clock.h"
#include "zae/errors.h"
#include "zae/lease.h"
#include "zae/open_store.h"
#include "zae/rate_limiter.h"
#include "zae/store.h"

namespace zae::test {
namespace {

constexpr std::int64_t kMilli = 1000;
const std::string kResource = "api";

__extension__ typedef __int128 Int128;  // as in src/core/bucket.cc
using PerLimit = std::array<std::int64_t, kMaxCheckedLimits>;

// Thrown inside a lease scope to exercise the rollback-on-unwind paths.
struct InjectedFailure {};

std::int64_t now_ms() { return epoch_ms(SystemClock::instance().now()); }

std::string hot_entity(const std::string& run_id) { return run_id + "-hot"; }
std::string child_entity(const std::string& run_id, int process, int thread) {
  return run_id + "-kid-" + std::to_string(process) + "-" + std::to_string(thread);
}

// Everything a worker needs, fixed before the fork.
struct Plan {
  OverAdmissionOptions options{};
  std::vector<Limit> limits{};
  std::vector<std::int64_t> max_consume{};
  std::string hot{};
};

// A limiter-wide count of warnings: a failed commit or rollback in a Lease destructor.
struct WarningCount {
  std::atomic<std::int64_t> count{0};
};

class ThreadWorker {
 public:
  ThreadWorker(const Plan& plan, RateLimiter& limiter, int process, int thread)
      : plan_(plan),
        limiter_(limiter),
        process_(process),
        thread_(thread),
        rng_(plan.options.seed * 0x9E3779B97F4A7C15ULL +
             static_cast<std::uint64_t>(process) * 1000 + static_cast<std::uint64_t>(thread)) {
    entity_ =
        plan.options.cascade == Cascade::kOn ? child_entity(plan.hot, process, thread) : plan.hot;
  }

  WorkerTally run() {
    for (std::int64_t i = 0; i < plan_.options.acquires_per_thread; ++i) {
      one_acquire();
      tally_.last_op_ms = now_ms();
    }
    return tally_;
  }

 private:
  std::int64_t uniform(std::int64_t low, std::int64_t high) {
    return std::uniform_int_distribution<std::int64_t>(low, high)(rng_);
  }
  int percent() { return static_cast<int>(uniform(0, 99)); }

  void error(const std::string& what) {
    ++tally_.errors;
    if (tally_.errors <= 5) {
      std::fprintf(stderr, "overadmission worker %d/%d: %s\n", process_, thread_, what.c_str());
    }
  }

  Amounts random_amounts(std::int64_t divisor) {
    Amounts amounts;
    for (std::size_t i = 0; i < plan_.limits.size(); ++i) {
      amounts.emplace_back(plan_.limits[i].name(),
                           uniform(1, std::max<std::int64_t>(1, plan_.max_consume[i] / divisor)));
    }
    return amounts;
  }

  // Per limit, what the lease holds on the hot bucket: durable (initial) or net (consumed).
  PerLimit hot_totals(const Lease& lease, bool net) const {
    PerLimit totals{};
    for (const LeaseEntry& entry : lease.entries()) {
      if (entry.entity_id != plan_.hot || entry.resource != kResource) {
        continue;
      }
      for (std::size_t i = 0; i < plan_.limits.size(); ++i) {
        if (entry.limit.name() == plan_.limits[i].name()) {
          totals[i] += net ? entry.consumed : entry.initial;
        }
      }
    }
    return totals;
  }

  // The gate let `lease` grow from durable_ to its current initial: that must be `requested`.
  void record_gate(const Lease& lease, const Amounts& requested) {
    const PerLimit now_durable = hot_totals(lease, false);
    for (std::size_t i = 0; i < plan_.limits.size(); ++i) {
      const std::int64_t gained = now_durable[i] - durable_[i];
      if (gained != requested[i].second) {
        error("limit " + plan_.limits[i].name() + ": the lease holds " + std::to_string(gained) +
              " new tokens on the hot bucket, " + std::to_string(requested[i].second) +
              " were requested");
      }
      tally_.limits[i].admitted_milli += gained * kMilli;
      tally_.limits[i].net_milli += gained * kMilli;
    }
    durable_ = now_durable;
  }

  void record_admission(const Lease& lease, const Amounts& requested) {
    admitted_ = true;
    ++tally_.admitted;
    if (lease.is_noop()) {
      error("acquire returned a no-op lease (on_unavailable=BLOCK was asked for)");
    }
    record_gate(lease, requested);
  }

  // A rollback returns exactly the durable consumption, uncapped; adjustments are dropped.
  void record_rollback() {
    ++tally_.rollbacks;
    for (std::size_t i = 0; i < plan_.limits.size(); ++i) {
      tally_.limits[i].refunds_milli += durable_[i] * kMilli;
      tally_.limits[i].net_milli -= durable_[i] * kMilli;
    }
  }

  // What commit will write for the lease: consumed − initial per limit (before committing).
  void record_commit(const Lease& lease) {
    const PerLimit net = hot_totals(lease, true);
    for (std::size_t i = 0; i < plan_.limits.size(); ++i) {
      const std::int64_t delta = (net[i] - durable_[i]) * kMilli;
      if (delta < 0) {
        tally_.limits[i].refunds_milli -= delta;
      } else {
        tally_.limits[i].debts_milli += delta;
      }
      tally_.limits[i].net_milli += delta;
    }
  }

  void random_adjust(Lease& lease) {
    Amounts deltas;
    for (std::size_t i = 0; i < plan_.limits.size(); ++i) {
      // Used up to twice the estimate or as little as nothing (both signs, sometimes zero).
      const std::int64_t held = std::max<std::int64_t>(durable_[i], 1);
      deltas.emplace_back(plan_.limits[i].name(), uniform(-held, held));
    }
    lease.adjust(deltas);
  }

  void one_acquire() {
    ++tally_.acquires;
    admitted_ = false;
    durable_ = {};
    const Amounts requested = random_amounts(1);
    AcquireRequest request{.entity_id = entity_,
                           .resource = kResource,
                           .consume = requested,
                           .limits = std::nullopt,
                           .on_unavailable = OnUnavailable::kBlock};
    const int action = percent();
    const int rollback_end = plan_.options.rollback_percent;
    const int adjust_end = rollback_end + plan_.options.adjust_percent;
    const int consume_end = adjust_end + plan_.options.lease_consume_percent;
    const bool explicit_commit = uniform(0, 1) == 0;
    try {
      if (action < rollback_end && action % 3 == 0) {
        // with_lease: the callable throws, with_lease rolls back and rethrows.
        limiter_.with_lease(std::move(request), [&](Lease& lease) {
          record_admission(lease, requested);
          random_adjust(lease);
          throw InjectedFailure{};
        });
        error("with_lease swallowed the callable's exception");
        return;
      }
      Lease lease = limiter_.acquire(std::move(request));
      record_admission(lease, requested);
      if (action < rollback_end) {
        if (action % 3 == 1) {
          random_adjust(lease);
          throw InjectedFailure{};  // the destructor rolls back during unwinding
        }
        lease.rollback();
        record_rollback();
        return;
      }
      if (action < adjust_end) {
        ++tally_.adjusts;
        random_adjust(lease);
      } else if (action < consume_end) {
        ++tally_.lease_consumes;
        const Amounts more = random_amounts(2);
        try {
          lease.consume(more);
          record_gate(lease, more);
        } catch (const RateLimitExceeded&) {
          // Nothing consumed; the lease stays as it was.
        }
      }
      record_commit(lease);
      if (explicit_commit) {
        lease.commit();
      }
      // Otherwise the destructor commits (failures reach the warning sink, counted as errors).
    } catch (const InjectedFailure&) {
      record_rollback();
    } catch (const RateLimitExceeded&) {
      if (admitted_) {
        error("RateLimitExceeded after the acquire was admitted");
      } else {
        ++tally_.rejected;
      }
    } catch (const std::exception& e) {
      error(e.what());
    }
  }

  const Plan& plan_;
  RateLimiter& limiter_;
  int process_ = 0;
  int thread_ = 0;
  std::mt19937_64 rng_;
  std::string entity_{};
  WorkerTally tally_{};
  bool admitted_ = false;
  PerLimit durable_{};
};

void add_tally(WorkerTally& into, const WorkerTally& from) {
  into.acquires += from.acquires;
  into.admitted += from.admitted;
  into.rejected += from.rejected;
  into.rollbacks += from.rollbacks;
  into.adjusts += from.adjusts;
  into.lease_consumes += from.lease_consumes;
  into.errors += from.errors;
  into.last_op_ms = std::max(into.last_op_ms, from.last_op_ms);
  for (int i = 0; i < kMaxCheckedLimits; ++i) {
    into.limits[i].admitted_milli += from.limits[i].admitted_milli;
    into.limits[i].refunds_milli += from.limits[i].refunds_milli;
    into.limits[i].debts_milli += from.limits[i].debts_milli;
    into.limits[i].net_milli += from.limits[i].net_milli;
  }
}

// Runs in a forked child: never returns.
[[noreturn]] void run_process(const Plan& plan, int process, int write_fd) {
  WorkerTally tally{};
  try {
    auto warnings = std::make_shared<WarningCount>();
    std::shared_ptr<Store> store = open_store(plan.options.store_uri);
    RateLimiter limiter(
        store, RateLimiterOptions{
                   .config_cache_ttl = std::chrono::minutes(10),
                   .on_unavailable = OnUnavailable::kBlock,
                   .clock = nullptr,
                   .warning_sink = [warnings, process](std::string_view message) {
                     if (warnings->count.fetch_add(1) < 5) {
                       std::fprintf(stderr, "overadmission worker %d: warning: %.*s\n", process,
                                    static_cast<int>(message.size()), message.data());
                     }
                   }});
    std::vector<WorkerTally> per_thread(static_cast<std::size_t>(plan.options.threads));
    std::vector<std::thread> threads;
    for (int t = 0; t < plan.options.threads; ++t) {
      threads.emplace_back([&, t] {
        try {
          ThreadWorker worker(plan, limiter, process, t);
          per_thread[static_cast<std::size_t>(t)] = worker.run();
        } catch (const std::exception& e) {
          std::fprintf(stderr, "overadmission worker %d/%d: %s\n", process, t, e.what());
          per_thread[static_cast<std::size_t>(t)].errors += 1;
        }
      });
    }
    for (std::thread& thread : threads) {
      thread.join();
    }
    for (const WorkerTally& mine : per_thread) {
      add_tally(tally, mine);
    }
    tally.errors += warnings->count.load();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "overadmission worker %d: %s\n", process, e.what());
    ++tally.errors;
  }
  const bool written = write(write_fd, &tally, sizeof tally) == sizeof tally;
  close(write_fd);
  _exit(written ? 0 : 3);  // no atexit handlers or test-framework teardown in the child
}

std::int64_t refill_over(const Limit& limit, std::int64_t elapsed_ms) {
  // 128-bit: elapsed × refill can exceed int64 for large limits (spec §0).
  const Int128 product = static_cast<Int128>(std::max<std::int64_t>(elapsed_ms, 0)) *
                         (static_cast<Int128>(limit.refill_amount()) * kMilli);
  return static_cast<std::int64_t>(product / (limit.refill_period_seconds() * kMilli));
}

const BucketLimitState* find_limit(const BucketState& bucket, const std::string& name) {
  for (const BucketLimitState& state : bucket.limits) {
    if (state.limit.name() == name) {
      return &state;
    }
  }
  return nullptr;
}

Plan make_plan(const OverAdmissionOptions& options) {
  if (options.store_uri.empty() || options.processes < 1 || options.threads < 1 ||
      options.acquires_per_thread < 1 || options.rollback_percent < 0 ||
      options.adjust_percent < 0 || options.lease_consume_percent < 0 ||
      options.rollback_percent + options.adjust_percent + options.lease_consume_percent > 100) {
    throw std::invalid_argument("overadmission: invalid options");
  }
  Plan plan{
      .options = options, .limits = options.limits, .max_consume = options.max_consume, .hot = ""};
  if (plan.limits.empty()) {
    plan.limits = default_hot_limits();
  }
  if (plan.limits.size() > static_cast<std::size_t>(kMaxCheckedLimits)) {
    throw std::invalid_argument("overadmission: at most 4 limits");
  }
  for (std::size_t i = plan.max_consume.size(); i < plan.limits.size(); ++i) {
    plan.max_consume.push_back(std::max<std::int64_t>(1, plan.limits[i].capacity() / 100));
  }
  if (plan.options.run_id.empty()) {
    plan.options.run_id =
        "oa" + std::to_string(getpid()) + "-" + std::to_string(now_ms() % 100'000'000);
  }
  plan.hot = hot_entity(plan.options.run_id);
  return plan;
}

std::string cascade_name(Cascade cascade) { return cascade == Cascade::kOn ? "on" : "off"; }

void print_tally(std::ostringstream& out, const WorkerTally& tally, std::size_t limits) {
  out << "acquires " << tally.acquires << ", admitted " << tally.admitted << ", rejected "
      << tally.rejected << ", rollbacks " << tally.rollbacks << ", adjusts " << tally.adjusts
      << ", lease consumes " << tally.lease_consumes << ", errors " << tally.errors;
  for (std::size_t i = 0; i < limits; ++i) {
    out << "; [" << i << "] admitted " << tally.limits[i].admitted_milli << " refunds "
        << tally.limits[i].refunds_milli << " debts " << tally.limits[i].debts_milli << " net "
        << tally.limits[i].net_milli;
  }
}

}  // namespace

std::vector<Limit> default_hot_limits() {
  return {Limit::custom("rpm", 100, 100, 1), Limit::custom("tpm", 10'000, 5'000, 1)};
}

bool OverAdmissionReport::ok() const {
  if (!failures.empty() || total.errors != 0 || limits.empty()) {
    return false;
  }
  return std::none_of(limits.begin(), limits.end(), [](const LimitVerdict& verdict) {
    return verdict.over_admitted || verdict.over_conserved || verdict.counter_mismatch;
  });
}

std::string OverAdmissionReport::summary() const {
  std::ostringstream out;
  out << "store " << store << ", cascade " << cascade_name(cascade) << ", " << processes
      << " processes x " << threads << " threads: " << total.acquires << " acquires ("
      << total.admitted << " admitted, " << total.rejected << " rejected, " << total.rollbacks
      << " rollbacks, " << total.adjusts << " adjusts, " << total.lease_consumes
      << " lease consumes, " << total.errors << " errors) in " << elapsed_ms << " ms (wall "
      << wall_ms << " ms)\n";
  for (const LimitVerdict& v : limits) {
    out << "  " << v.name << ": admitted " << v.admitted_milli << " <= bound " << v.bound_milli
        << " (capacity " << v.capacity_milli << " + refill " << v.refill_milli << " + refunds "
        << v.refunds_milli << "); admitted+debts+left "
        << v.admitted_milli + v.debts_milli + v.final_tokens_milli + v.final_accrual_milli
        << " (left: tk " << v.final_tokens_milli << " + unclaimed refill " << v.final_accrual_milli
        << "); tc moved " << v.stored_consumed_milli << ", clients recorded "
        << v.recorded_net_milli << " milli"
        << (v.over_admitted || v.over_conserved || v.counter_mismatch ? "  VIOLATION" : "") << "\n";
  }
  out << "  violations: "
      << std::count_if(limits.begin(), limits.end(),
                       [](const LimitVerdict& v) {
                         return v.over_admitted || v.over_conserved || v.counter_mismatch;
                       })
      << ", errors: " << total.errors << ", failures: " << failures.size() << "\n";
  return out.str();
}

std::string OverAdmissionReport::evidence() const {
  std::ostringstream out;
  for (const std::string& failure : failures) {
    out << "FAILURE: " << failure << "\n";
  }
  if (total.errors != 0) {
    out << "ERRORS: " << total.errors << " unexpected errors (see the workers' stderr)\n";
  }
  for (const LimitVerdict& v : limits) {
    if (v.over_admitted) {
      out << "OVER-ADMISSION on " << v.name << ": admitted " << v.admitted_milli
          << " milli > bound " << v.bound_milli << " = capacity " << v.capacity_milli
          << " + refill " << v.refill_milli << " over " << elapsed_ms << " ms + refunds "
          << v.refunds_milli << " (excess " << v.admitted_milli - v.bound_milli << ")\n";
    }
    if (v.over_conserved) {
      out << "CONSERVATION on " << v.name << ": admitted " << v.admitted_milli << " + debts "
          << v.debts_milli << " + left in bucket " << v.final_tokens_milli << " + unclaimed refill "
          << v.final_accrual_milli << " = "
          << v.admitted_milli + v.debts_milli + v.final_tokens_milli + v.final_accrual_milli
          << " milli > bound " << v.bound_milli << " over " << elapsed_ms << " ms\n";
    }
    if (v.counter_mismatch) {
      out << "COUNTER on " << v.name << ": stored total-consumed moved by "
          << v.stored_consumed_milli << " milli, the clients recorded " << v.recorded_net_milli
          << " (difference " << v.stored_consumed_milli - v.recorded_net_milli << ")\n";
    }
  }
  if (out.tellp() > 0) {
    out << summary();
    for (std::size_t p = 0; p < per_process.size(); ++p) {
      out << "  process " << p << ": ";
      print_tally(out, per_process[p], limits.size());
      out << "\n";
    }
  }
  return out.str();
}

OverAdmissionReport run_overadmission_check(const OverAdmissionOptions& options) {
  const Plan plan = make_plan(options);
  OverAdmissionReport report{};
  report.store = options.store_uri;
  report.cascade = options.cascade;
  report.processes = options.processes;
  report.threads = options.threads;
  const std::int64_t wall_start = now_ms();

  // Setup in this process, closed before the fork so that no connection is shared.
  std::int64_t t0 = 0;
  PerLimit tc_start{};
  try {
    std::shared_ptr<Store> store = open_store(options.store_uri);
    RateLimiter limiter(store, RateLimiterOptions{.config_cache_ttl = std::chrono::milliseconds(0),
                                                  .on_unavailable = OnUnavailable::kBlock,
                                                  .clock = nullptr,
                                                  .warning_sink = nullptr});
    limiter.create_entity(CreateEntityRequest{.entity_id = plan.hot,
                                              .name = "",
                                              .parent_id = std::nullopt,
                                              .cascade = false,
                                              .metadata = {},
                                              .principal = std::nullopt});
    limiter.set_limits(plan.hot, plan.limits, kResource);
    if (options.cascade == Cascade::kOn) {
      // Children never run out: the parent is the contested bucket.
      std::vector<Limit> roomy;
      for (const Limit& limit : plan.limits) {
        roomy.push_back(
            Limit::custom(limit.name(), kMaxLimitTokens / 1000, kMaxLimitTokens / 1000, 1));
      }
      for (int p = 0; p < options.processes; ++p) {
        for (int t = 0; t < options.threads; ++t) {
          const std::string child = child_entity(plan.hot, p, t);
          limiter.create_entity(CreateEntityRequest{.entity_id = child,
                                                    .name = "",
                                                    .parent_id = plan.hot,
                                                    .cascade = true,
                                                    .metadata = {},
                                                    .principal = std::nullopt});
          limiter.set_limits(child, roomy, kResource);
        }
      }
    }
    // The hot bucket is created full by a zero acquire: V(t0) ≤ capacity from here on.
    t0 = now_ms();
    Amounts zero;
    for (const Limit& limit : plan.limits) {
      zero.emplace_back(limit.name(), 0);
    }
    limiter
        .acquire(AcquireRequest{.entity_id = plan.hot,
                                .resource = kResource,
                                .consume = zero,
                                .limits = std::nullopt,
                                .on_unavailable = OnUnavailable::kBlock})
        .commit();
    if (const std::optional<BucketState> bucket = store->get_bucket(plan.hot, kResource)) {
      for (std::size_t i = 0; i < plan.limits.size(); ++i) {
        const BucketLimitState* state = find_limit(*bucket, plan.limits[i].name());
        if (state != nullptr) {
          tc_start[i] = state->total_consumed_milli.value_or(0);
        }
      }
    }
  } catch (const std::exception& e) {
    report.failures.push_back(std::string("setup: ") + e.what());
    report.wall_ms = now_ms() - wall_start;
    return report;
  }

  std::vector<pid_t> children;
  std::vector<int> pipes;
  for (int p = 0; p < options.processes; ++p) {
    int fds[2] = {-1, -1};
    if (pipe(fds) != 0) {
      throw std::runtime_error("overadmission: pipe failed");
    }
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) {
      throw std::runtime_error("overadmission: fork failed");
    }
    if (pid == 0) {
      close(fds[0]);
      run_process(plan, p, fds[1]);
    }
    close(fds[1]);
    children.push_back(pid);
    pipes.push_back(fds[0]);
  }
  for (std::size_t p = 0; p < children.size(); ++p) {
    WorkerTally tally{};
    std::size_t got = 0;
    auto* bytes = reinterpret_cast<char*>(&tally);
    while (got < sizeof tally) {
      const ssize_t n = read(pipes[p], bytes + got, sizeof tally - got);
      if (n <= 0) {
        break;
      }
      got += static_cast<std::size_t>(n);
    }
    close(pipes[p]);
    int status = 0;
    const bool exited = waitpid(children[p], &status, 0) == children[p] && WIFEXITED(status) &&
                        WEXITSTATUS(status) == 0;
    if (!exited || got != sizeof tally) {
      report.failures.push_back("process " + std::to_string(p) + " did not report");
    }
    report.per_process.push_back(tally);
    add_tally(report.total, tally);
  }
  const std::int64_t t1 = report.total.last_op_ms;
  report.elapsed_ms = t1 - t0;

  try {
    std::unique_ptr<Store> store = open_store(options.store_uri);
    const std::optional<BucketState> bucket = store->get_bucket(plan.hot, kResource);
    if (!bucket.has_value()) {
      throw std::runtime_error("the hot bucket is missing");
    }
    for (std::size_t i = 0; i < plan.limits.size(); ++i) {
      const Limit& limit = plan.limits[i];
      const BucketLimitState* state = find_limit(*bucket, limit.name());
      if (state == nullptr) {
        throw std::runtime_error("the hot bucket has no limit " + limit.name());
      }
      const LimitTally& tally = report.total.limits[i];
      LimitVerdict v{};
      v.name = limit.name();
      v.capacity_milli = limit.capacity() * kMilli;
      v.refill_milli = refill_over(limit, report.elapsed_ms);
      v.refunds_milli = tally.refunds_milli;
      v.bound_milli = v.capacity_milli + v.refill_milli + v.refunds_milli;
      v.admitted_milli = tally.admitted_milli;
      v.debts_milli = tally.debts_milli;
      v.final_tokens_milli = state->tokens_milli;
      v.final_accrual_milli = refill_over(limit, t1 - epoch_ms(bucket->last_refill));
      v.stored_consumed_milli = state->total_consumed_milli.value_or(0) - tc_start[i];
      v.recorded_net_milli = tally.net_milli;
      v.over_admitted = v.admitted_milli > v.bound_milli;
      v.over_conserved =
          v.admitted_milli + v.debts_milli + v.final_tokens_milli + v.final_accrual_milli >
          v.bound_milli;
      v.counter_mismatch = v.stored_consumed_milli != v.recorded_net_milli;
      report.limits.push_back(v);
    }
  } catch (const std::exception& e) {
    report.failures.push_back(std::string("final read: ") + e.what());
  }
  report.wall_ms = now_ms() - wall_start;
  return report;
}

}  // namespace zae::test
