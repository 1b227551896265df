// SPDX-License-Identifier: MIT
#include "zae/lease.h"

#include <exception>
#include <limits>
#include <string>
#include <utility>

#include "zae/errors.h"

#include "limiter/amounts.h"
#include "limiter/limiter_context.h"

namespace zae {
namespace {

constexpr std::int64_t kMilli = 1000;

// Store errors are InfrastructureError by contract; anything else escaping a backend is
// reported as one so that commit/rollback keep their documented exception type.
template <class Write>
void write_deltas(Write&& write) {
  try {
    write();
  } catch (const InfrastructureError&) {
    throw;
  } catch (const std::exception& e) {
    throw InfrastructureError(e.what());
  }
}

}  // namespace

Lease::Lease(const detail::LimiterContext* context, ConsumeTarget target,
             std::optional<ConsumeTarget> parent, std::vector<LeaseEntry> entries)
    : context_(context),
      target_(std::move(target)),
      parent_(std::move(parent)),
      entries_(std::move(entries)),
      uncaught_at_start_(std::uncaught_exceptions()) {}

Lease Lease::noop(const detail::LimiterContext* context) {
  Lease lease(context, ConsumeTarget{}, std::nullopt, {});
  lease.noop_ = true;
  return lease;
}

Lease::Lease(Lease&& other) noexcept
    : context_(std::exchange(other.context_, nullptr)),
      target_(std::move(other.target_)),
      parent_(std::exchange(other.parent_, std::nullopt)),
      entries_(std::exchange(other.entries_, {})),
      // The source is left inert: inactive, so its destructor writes nothing.
      state_(std::exchange(other.state_, State::kCommitted)),
      noop_(std::exchange(other.noop_, false)),
      uncaught_at_start_(other.uncaught_at_start_) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    // The lease being replaced ends as if it went out of scope here.
    { Lease replaced(std::move(*this)); }
    context_ = std::exchange(other.context_, nullptr);
    target_ = std::move(other.target_);
    parent_ = std::exchange(other.parent_, std::nullopt);
    entries_ = std::exchange(other.entries_, {});
    state_ = std::exchange(other.state_, State::kCommitted);
    noop_ = std::exchange(other.noop_, false);
    uncaught_at_start_ = other.uncaught_at_start_;
  }
  return *this;
}

Lease::~Lease() {
  if (context_ == nullptr || noop_ || state_ != State::kActive) {
    return;
  }
  if (std::uncaught_exceptions() > uncaught_at_start_) {
    finish_quietly();
    return;
  }
  try {
    commit();
  } catch (const std::exception& e) {
    context_->warn(std::string("lease commit failed; adjustments were not written: ") + e.what());
  } catch (...) {
    context_->warn("lease commit failed; adjustments were not written");
  }
}

void Lease::consume(const Amounts& amounts) {
  if (state_ != State::kActive) {
    throw LeaseExpiredError();
  }
  if (noop_) {
    return;  // LS-8
  }
  detail::validate_amounts(amounts, "consume");

  // Names matching no entry are ignored (LS-3) and zero amounts need no write.
  Amounts known;
  for (const auto& [name, amount] : amounts) {
    if (amount == 0) {
      continue;
    }
    for (const LeaseEntry& entry : entries_) {
      if (entry.limit.name() == name) {
        known.emplace_back(name, amount);
        break;
      }
    }
  }
  if (known.empty()) {
    return;
  }

  // The same atomic, conditional write as acquire, on current state: concurrent leases cannot
  // jointly over-admit (OQ-37).
  const TimePoint now = context_->clock.now();
  const ConsumeResult result = context_->store->consume(
      ConsumeRequest{.target = target_, .parent = parent_, .amounts = known, .now = now});
  switch (result.kind) {
    case ConsumeResult::Kind::kRejected:
      throw RateLimitExceeded(result.statuses);
    case ConsumeResult::Kind::kCascadeMismatch:
      // The lease's entries describe the hierarchy seen at acquire; consuming from a different
      // parent would leave that parent's share untracked by commit and rollback.
      context_->entity_cache.put(target_.entity_id, result.actual_parent, now);
      throw InfrastructureError("the parent of entity '" + target_.entity_id +
                                "' changed while a lease was held; nothing was consumed");
    case ConsumeResult::Kind::kAdmitted:
      break;
  }
  for (const ConsumedEntry& consumed_entry : result.entries) {
    for (LeaseEntry& entry : entries_) {
      if (entry.entity_id == consumed_entry.entity_id &&
          entry.resource == consumed_entry.resource &&
          entry.limit.name() == consumed_entry.limit.name()) {
        // Durable now, so rollback must return it too.
        entry.initial = detail::saturating_add(entry.initial, consumed_entry.consumed);
        entry.consumed = detail::saturating_add(entry.consumed, consumed_entry.consumed);
        break;
      }
    }
  }
}

void Lease::adjust(const Amounts& deltas) {
  if (state_ != State::kActive) {
    throw LeaseExpiredError();
  }
  if (noop_) {
    return;
  }
  // LS-4: local only, may drive the bucket negative once committed; unknown names ignored.
  for (const auto& [name, delta] : deltas) {
    if (delta == 0) {
      continue;
    }
    for (LeaseEntry& entry : entries_) {
      if (entry.limit.name() == name) {
        entry.consumed = detail::saturating_add(entry.consumed, delta);
      }
    }
  }
}

void Lease::release(const Amounts& amounts) {
  Amounts negated;
  negated.reserve(amounts.size());
  for (const auto& [name, amount] : amounts) {
    negated.emplace_back(name, detail::saturating_sub(0, amount));
  }
  adjust(negated);
}

void Lease::commit() {
  if (noop_ || state_ != State::kActive) {
    return;  // LS-6
  }
  // One bucket at a time (LS-6: independent writes), each recorded as durable once written, so
  // that a retried commit never writes a bucket twice.
  for (const BucketDelta& delta : pending_deltas(false)) {
    try {
      write_deltas([&] { context_->store->apply_deltas({&delta, 1}, context_->clock.now()); });
    } catch (const WriteOutcomeUnknownError&) {
      // It may have been applied: a retry could apply it twice, so it counts as written and is
      // only reported.
      mark_durable(delta);
      uncaught_at_start_ = std::numeric_limits<int>::max();
      throw;
    } catch (...) {
      // The caller's work is done and its initial consumption is real: from now on the
      // destructor retries the commit instead of rolling back, even during unwinding (OQ-36).
      uncaught_at_start_ = std::numeric_limits<int>::max();
      throw;
    }
    mark_durable(delta);
  }
  state_ = State::kCommitted;
}

void Lease::rollback() {
  if (noop_ || state_ != State::kActive) {
    return;  // LS-7
  }
  state_ = State::kRolledBack;
  const std::vector<BucketDelta> deltas = pending_deltas(true);
  if (deltas.empty()) {
    return;
  }
  write_deltas([&] { context_->store->apply_deltas(deltas, context_->clock.now()); });
}

std::map<std::string, std::int64_t> Lease::consumed() const {
  std::map<std::string, std::int64_t> totals;
  for (const LeaseEntry& entry : entries_) {
    std::int64_t& total = totals[entry.limit.name()];
    total = detail::saturating_add(total, entry.consumed);
  }
  return totals;
}

void Lease::finish_quietly() noexcept {
  try {
    rollback();
  } catch (const std::exception& e) {
    context_->warn(std::string("lease rollback failed; consumed tokens were not returned: ") +
                   e.what());
  } catch (...) {
    context_->warn("lease rollback failed; consumed tokens were not returned");
  }
}

void Lease::mark_durable(const BucketDelta& delta) {
  for (LeaseEntry& entry : entries_) {
    if (entry.entity_id == delta.entity_id && entry.resource == delta.resource &&
        entry.shard == delta.shard) {
      entry.initial = entry.consumed;
    }
  }
}

std::vector<BucketDelta> Lease::pending_deltas(bool rollback) const {
  // One delta per bucket (entity, resource, shard), in entry order: child first, then parent.
  std::vector<BucketDelta> deltas;
  for (const LeaseEntry& entry : entries_) {
    // Commit writes the adjustments (consumed − initial); rollback returns what is durable.
    const std::int64_t tokens = rollback ? detail::saturating_sub(0, entry.initial)
                                         : detail::saturating_sub(entry.consumed, entry.initial);
    if (tokens == 0) {
      continue;
    }
    BucketDelta* delta = nullptr;
    for (BucketDelta& existing : deltas) {
      if (existing.entity_id == entry.entity_id && existing.resource == entry.resource &&
          existing.shard == entry.shard) {
        delta = &existing;
        break;
      }
    }
    if (delta == nullptr) {
      delta = &deltas.emplace_back(BucketDelta{.entity_id = entry.entity_id,
                                               .resource = entry.resource,
                                               .shard = entry.shard,
                                               .tokens_milli = {}});
    }
    delta->tokens_milli.emplace_back(entry.limit.name(), detail::saturating_mul(tokens, kMilli));
  }
  return deltas;
}

}  // namespace zae
