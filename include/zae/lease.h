// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "zae/store.h"

namespace zae {

namespace detail {
struct LimiterContext;
}  // namespace detail

// One limit of one entity held by a lease.
struct LeaseEntry {
  std::string entity_id{};
  std::string resource{};
  int shard = 0;
  Limit limit;
  // Tokens durably consumed so far (on acquire and by Lease::consume); rollback returns these.
  std::int64_t initial = 0;
  // initial + adjustments made in the lease; commit writes consumed − initial.
  std::int64_t consumed = 0;
};

// The right to proceed, granted by RateLimiter::acquire (spec/behavior.md §4).
//
// The initial consumption is already durable when the lease is returned (write-on-enter), so
// concurrent callers see it at once. Adjustments are kept locally and written by commit().
//
// RAII: the destructor rolls back when the scope is left by an exception (detected with
// std::uncaught_exceptions()), otherwise commits pending adjustments; failures there are
// reported to the limiter's warning sink and never thrown. commit() and rollback() give explicit,
// throwing control; after either, the lease is inactive and further consume/adjust/release
// throw LeaseExpiredError.
//
// A lease is not thread-safe; move it, don't share it. The RateLimiter that issued it must
// outlive it.
class Lease {
 public:
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  // Consumes more now, with the same atomic, conditional write as acquire: never over-admits
  // (the original only checks stale local state; OQ-37). Throws RateLimitExceeded (nothing
  // consumed), LeaseExpiredError, ValidationError for negative amounts, InfrastructureError.
  void consume(const Amounts& amounts);
  // Records a correction (positive: used more than estimated; negative: used less). Written at
  // commit; may drive buckets negative. Throws only LeaseExpiredError. Unknown names are
  // ignored.
  void adjust(const Amounts& deltas);
  // adjust() with negated amounts.
  void release(const Amounts& amounts);

  // Writes pending adjustments, one bucket at a time, and ends the lease. On a storage error it
  // throws InfrastructureError and the lease stays active: a later commit writes the buckets not
  // written yet. A bucket whose write may have been applied without an answer
  // (WriteOutcomeUnknownError) is never written again, so no adjustment is applied twice. The
  // initial consumption is never undone by a failed commit (OQ-36).
  void commit();
  // Returns the durable consumption of this lease and ends it; adjustments are discarded.
  // Throws InfrastructureError when the write fails (the lease is ended regardless).
  void rollback();

  // Net tokens per limit name across all entries (child and parent, LS-2).
  std::map<std::string, std::int64_t> consumed() const;
  bool is_active() const { return state_ == State::kActive; }
  // True for the lease of an acquire admitted by on_unavailable=ALLOW during an outage: it has
  // no entries and writes nothing (LS-8).
  bool is_noop() const { return noop_; }
  const std::vector<LeaseEntry>& entries() const { return entries_; }

 private:
  friend class RateLimiter;
  enum class State { kActive, kCommitted, kRolledBack };

  Lease(const detail::LimiterContext* context, ConsumeTarget target,
        std::optional<ConsumeTarget> parent, std::vector<LeaseEntry> entries);
  static Lease noop(const detail::LimiterContext* context);

  void finish_quietly() noexcept;
  std::vector<BucketDelta> pending_deltas(bool rollback) const;
  // Records the adjustments of `delta`'s bucket as written (its entries' initial = consumed).
  void mark_durable(const BucketDelta& delta);

  const detail::LimiterContext* context_ = nullptr;
  ConsumeTarget target_;
  std::optional<ConsumeTarget> parent_;
  std::vector<LeaseEntry> entries_;
  State state_ = State::kActive;
  bool noop_ = false;
  int uncaught_at_start_ = 0;
};

}  // namespace zae
