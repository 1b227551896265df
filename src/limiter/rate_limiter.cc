// SPDX-License-Identifier: MIT
#include "zae/rate_limiter.h"

#include <algorithm>
#include <exception>
#include <string>
#include <utility>

#include "core/bucket.h"
#include "limiter/amounts.h"
#include "limiter/limiter_context.h"

namespace zae {
namespace {

using detail::LimiterContext;

// A kCascadeMismatch means the hierarchy changed between our read and the store's; two
// refreshes cover a create or delete racing the acquire. More means it keeps changing.
constexpr int kMaxCascadeRetries = 2;

// Resources of acquires and queries: a real resource name, or the entity-default level itself.
void validate_acquire_resource(const std::string& resource) {
  if (resource != kDefaultResource) {
    validate_resource(resource);
  }
}

void validate_limit_list(const std::vector<Limit>& limits) {
  // Limit's constructor has validated each limit (L-1..L-4); a list must not name one twice,
  // as a bucket holds one state per name.
  const std::size_t duplicate = detail::find_duplicate(
      limits, [](const Limit& limit) -> std::string_view { return limit.name(); });
  if (duplicate != limits.size()) {
    const std::string& name = limits[duplicate].name();
    throw ValidationError("limits", name, "limit '" + name + "' is listed more than once");
  }
}

void validate_override(const std::optional<std::vector<Limit>>& limits) {
  if (limits.has_value()) {
    validate_limit_list(*limits);
  }
}

[[noreturn]] void throw_no_limits(const std::string& entity_id, const std::string& resource) {
  // RES-3.
  throw ValidationError(
      "limits", "entity=" + entity_id + ", resource=" + resource,
      "No limits configured for entity '" + entity_id + "' and resource '" + resource + "'");
}

ResolvedLimits resolve_stored(const LimiterContext& context, const std::string& entity_id,
                              const std::string& resource) {
  detail::ConfigResolution resolution =
      context.config_cache.resolve(*context.store, entity_id, resource, context.clock.now());
  if (resolution.system_on_unavailable.has_value()) {
    // OU-2: what the system level says now is what an outage later should fall back to.
    context.remember_fallback(*resolution.system_on_unavailable);
  }
  if (!resolution.limits.has_value()) {
    throw_no_limits(entity_id, resource);
  }
  return std::move(*resolution.limits);
}

// RES-1: an override is used as is, without reading storage, for child and parent (RES-5).
ResolvedLimits resolve(const LimiterContext& context, const std::string& entity_id,
                       const std::string& resource,
                       const std::optional<std::vector<Limit>>& override_limits) {
  if (override_limits.has_value()) {
    return ResolvedLimits{.limits = *override_limits, .source = LimitSource::kOverride};
  }
  return resolve_stored(context, entity_id, resource);
}

std::optional<std::string> cascade_parent(const std::optional<Entity>& entity) {
  if (entity.has_value() && entity->cascade && entity->parent_id.has_value()) {
    return entity->parent_id;
  }
  return std::nullopt;
}

std::optional<std::string> cached_cascade_parent(const LimiterContext& context,
                                                 const std::string& entity_id) {
  if (auto cached = context.entity_cache.find(entity_id, context.clock.now())) {
    return *std::move(cached);
  }
  std::optional<std::string> parent = cascade_parent(context.store->get_entity(entity_id));
  context.entity_cache.put(entity_id, parent, context.clock.now());
  return parent;
}

bool has_limit(const std::vector<Limit>& limits, const std::string& name) {
  return std::any_of(limits.begin(), limits.end(),
                     [&name](const Limit& limit) { return limit.name() == name; });
}

// OQ-12: a name that no enforced limit carries would silently pass unthrottled.
void check_names_known(const Amounts& amounts, std::string_view field, const ConsumeTarget& target,
                       const std::optional<ConsumeTarget>& parent) {
  for (const auto& [name, amount] : amounts) {
    if (has_limit(target.limits, name) || (parent.has_value() && has_limit(parent->limits, name))) {
      continue;
    }
    throw ValidationError(std::string(field), name,
                          "limit '" + name + "' is not configured for entity '" + target.entity_id +
                              "' and resource '" + target.resource + "'");
  }
}

OnUnavailable on_unavailable_for(const LimiterContext& context, const AcquireRequest& request) {
  if (request.on_unavailable.has_value()) {
    return *request.on_unavailable;  // OU-1
  }
  try {
    // Read lazily, only once the store has failed: the warm path pays nothing for it.
    const SystemDefaults system = context.config_cache.system(*context.store, context.clock.now());
    if (system.on_unavailable.has_value()) {
      context.remember_fallback(*system.on_unavailable);  // OU-2
      return *system.on_unavailable;
    }
  } catch (const std::exception&) {
    // OU-4: the outage usually covers this read too; fall back below.
  }
  return context.fallback().value_or(OnUnavailable::kBlock);  // OU-3, OU-4
}

}  // namespace

RateLimiter::RateLimiter(std::shared_ptr<Store> store, RateLimiterOptions options) {
  if (store == nullptr) {
    throw ValidationError("store", "null", "a RateLimiter needs a store");
  }
  if (options.config_cache_ttl.count() < 0) {
    throw ValidationError("config_cache_ttl", std::to_string(options.config_cache_ttl.count()),
                          "must not be negative");
  }
  const Clock& clock = options.clock != nullptr ? *options.clock : SystemClock::instance();
  context_ = std::make_unique<detail::LimiterContext>(
      std::move(store), clock, std::move(options.warning_sink), options.config_cache_ttl,
      options.on_unavailable);
}

RateLimiter::~RateLimiter() = default;

Lease RateLimiter::acquire(AcquireRequest request) {
  // OQ-11: every input is checked before the first I/O.
  validate_identifier(request.entity_id, "entity_id");
  validate_acquire_resource(request.resource);
  detail::validate_amounts(request.consume, "consume");
  validate_override(request.limits);

  const LimiterContext& context = *context_;
  try {
    // ACQ-4 with OQ-7 fixed: the consume call is the initial write, so it sits inside the guard.
    ResolvedLimits child = resolve(context, request.entity_id, request.resource, request.limits);
    ConsumeRequest consume{.target = ConsumeTarget{.entity_id = request.entity_id,
                                                   .resource = request.resource,
                                                   .limits = std::move(child.limits),
                                                   .source = child.source},
                           .parent = std::nullopt,
                           .amounts = std::move(request.consume),
                           .now = context.clock.now()};

    if (request.limits.has_value() && request.limits->empty()) {
      // RES-1: an empty override checks nothing, for child and parent alike; no I/O at all.
      check_names_known(consume.amounts, "consume", consume.target, std::nullopt);
      return Lease(context_.get(), std::move(consume.target), std::nullopt, {});
    }

    std::optional<std::string> parent_id = cached_cascade_parent(context, request.entity_id);
    for (int attempt = 0;; ++attempt) {
      consume.parent.reset();
      if (parent_id.has_value()) {
        ResolvedLimits parent = resolve(context, *parent_id, request.resource, request.limits);
        consume.parent = ConsumeTarget{.entity_id = *parent_id,
                                       .resource = request.resource,
                                       .limits = std::move(parent.limits),
                                       .source = parent.source};
      }
      check_names_known(consume.amounts, "consume", consume.target, consume.parent);

      ConsumeResult result = context.store->consume(consume);
      switch (result.kind) {
        case ConsumeResult::Kind::kAdmitted: {
          // One entry per limit of every target, consumed or not, so that a later consume or
          // adjust of any limit is honoured (OQ-14).
          std::vector<LeaseEntry> entries;
          entries.reserve(result.entries.size());
          for (ConsumedEntry& entry : result.entries) {
            entries.push_back(LeaseEntry{.entity_id = std::move(entry.entity_id),
                                         .resource = std::move(entry.resource),
                                         .shard = entry.shard,
                                         .limit = std::move(entry.limit),
                                         .initial = entry.consumed,
                                         .consumed = entry.consumed});
          }
          return Lease(context_.get(), std::move(consume.target), std::move(consume.parent),
                       std::move(entries));
        }
        case ConsumeResult::Kind::kRejected:
          throw RateLimitExceeded(std::move(result.statuses));
        case ConsumeResult::Kind::kCascadeMismatch:
          context.entity_cache.put(request.entity_id, result.actual_parent, context.clock.now());
          if (attempt == kMaxCascadeRetries) {
            throw InfrastructureError(
                "the parent of entity '" + request.entity_id + "' kept changing during acquire",
                /*transient=*/true);
          }
          parent_id = std::move(result.actual_parent);
          consume.now = context.clock.now();
          break;
      }
    }
  } catch (const RateLimitExceeded&) {
    throw;  // ACQ-5
  } catch (const ValidationError&) {
    throw;  // ACQ-5
  } catch (const std::exception& cause) {
    if (on_unavailable_for(context, request) == OnUnavailable::kAllow) {
      return Lease::noop(context_.get());
    }
    throw RateLimiterUnavailable(cause.what(), context.store->describe(), request.entity_id,
                                 request.resource);
  }
}

std::map<std::string, std::int64_t> RateLimiter::available(
    const std::string& entity_id, const std::string& resource,
    const std::optional<std::vector<Limit>>& limits) {
  validate_identifier(entity_id, "entity_id");
  validate_acquire_resource(resource);
  validate_override(limits);

  const ResolvedLimits resolved = resolve(*context_, entity_id, resource, limits);
  std::map<std::string, std::int64_t> result;
  if (resolved.limits.empty()) {
    return result;
  }
  // CQ-1, with one read of shard 0 for all limits instead of one per limit.
  const std::optional<BucketState> bucket = context_->store->get_bucket(entity_id, resource);
  const std::int64_t now_ms = epoch_ms(context_->clock.now());
  for (const Limit& limit : resolved.limits) {
    std::int64_t tokens = limit.capacity();
    if (bucket.has_value()) {
      for (const BucketLimitState& stored : bucket->limits) {
        if (stored.limit.name() == limit.name()) {
          // RES-4: an existing bucket refills by its stored parameters.
          tokens = core::available_tokens(
              core::TokenState{.tokens_milli = stored.tokens_milli,
                               .last_refill_ms = epoch_ms(bucket->last_refill)},
              now_ms, core::BucketParams::from(stored.limit));
          break;
        }
      }
    }
    result[limit.name()] = tokens;
  }
  return result;
}

std::chrono::milliseconds RateLimiter::time_until_available(
    const std::string& entity_id, const std::string& resource, const Amounts& needed,
    const std::optional<std::vector<Limit>>& limits) {
  validate_identifier(entity_id, "entity_id");
  validate_acquire_resource(resource);
  detail::validate_amounts(needed, "needed");
  validate_override(limits);

  const ResolvedLimits resolved = resolve(*context_, entity_id, resource, limits);
  const ConsumeTarget target{
      .entity_id = entity_id, .resource = resource, .limits = resolved.limits};
  check_names_known(needed, "needed", target, std::nullopt);
  const bool needs_any = std::any_of(needed.begin(), needed.end(),
                                     [](const auto& amount) { return amount.second > 0; });
  if (!needs_any) {
    return std::chrono::milliseconds{0};
  }

  // CQ-2: a missing bucket (or a limit it does not hold yet) would be created full: no wait.
  const std::optional<BucketState> bucket = context_->store->get_bucket(entity_id, resource);
  if (!bucket.has_value()) {
    return std::chrono::milliseconds{0};
  }
  const std::int64_t now_ms = epoch_ms(context_->clock.now());
  std::int64_t wait_ms = 0;
  for (const auto& [name, amount] : needed) {
    if (amount == 0) {
      continue;
    }
    for (const BucketLimitState& stored : bucket->limits) {
      if (stored.limit.name() == name) {
        wait_ms = std::max(
            wait_ms, core::time_until_available_ms(
                         core::TokenState{.tokens_milli = stored.tokens_milli,
                                          .last_refill_ms = epoch_ms(bucket->last_refill)},
                         amount * core::kMilli, now_ms, core::BucketParams::from(stored.limit)));
        break;
      }
    }
  }
  return std::chrono::milliseconds{wait_ms};
}

ResolvedLimits RateLimiter::resolve_limits(const std::string& entity_id,
                                           const std::string& resource) {
  validate_identifier(entity_id, "entity_id");
  validate_acquire_resource(resource);
  return resolve_stored(*context_, entity_id, resource);
}

// ---- entities --------------------------------------------------------------------------------

Entity RateLimiter::create_entity(const CreateEntityRequest& request) {
  validate_identifier(request.entity_id, "entity_id");  // EN-1
  if (request.parent_id.has_value()) {
    validate_identifier(*request.parent_id, "parent_id");
  }
  const TimePoint now = context_->clock.now();
  Entity entity = context_->store->create_entity(request, now);
  // The store answered with the record it wrote: cache it rather than evict and re-read.
  context_->entity_cache.put(entity.id, cascade_parent(entity), now);
  return entity;
}

std::optional<Entity> RateLimiter::get_entity(const std::string& entity_id) {
  validate_identifier(entity_id, "entity_id");
  std::optional<Entity> entity = context_->store->get_entity(entity_id);
  context_->entity_cache.put(entity_id, cascade_parent(entity), context_->clock.now());  // EN-8
  return entity;
}

std::size_t RateLimiter::delete_entity(const std::string& entity_id,
                                       const std::optional<std::string>& principal) {
  validate_identifier(entity_id, "entity_id");
  const std::size_t deleted =
      context_->store->delete_entity(entity_id, principal, context_->clock.now());
  // The store removed the entity's configurations too (EN-9); forget what we knew (OQ-38).
  context_->entity_cache.evict(entity_id);
  context_->config_cache.evict_entity(entity_id);
  return deleted;
}

std::vector<Entity> RateLimiter::get_children(const std::string& parent_id) {
  validate_identifier(parent_id, "parent_id");
  return context_->store->get_children(parent_id);
}

// ---- stored limits ---------------------------------------------------------------------------

void RateLimiter::set_limits(const std::string& entity_id, const std::vector<Limit>& limits,
                             const std::string& resource,
                             const std::optional<std::string>& principal) {
  validate_identifier(entity_id, "entity_id");
  validate_acquire_resource(resource);
  validate_limit_list(limits);
  context_->store->set_limits(entity_id, resource, limits, principal, context_->clock.now());
  context_->config_cache.evict_entity(entity_id, resource);  // SL-4
}

std::vector<Limit> RateLimiter::get_limits(const std::string& entity_id,
                                           const std::string& resource) {
  validate_identifier(entity_id, "entity_id");
  validate_acquire_resource(resource);
  return context_->store->get_limits(entity_id, resource);  // SL-6: bypasses the cache
}

bool RateLimiter::delete_limits(const std::string& entity_id, const std::string& resource,
                                const std::optional<std::string>& principal) {
  validate_identifier(entity_id, "entity_id");
  validate_acquire_resource(resource);
  const bool deleted =
      context_->store->delete_limits(entity_id, resource, principal, context_->clock.now());
  context_->config_cache.evict_entity(entity_id, resource);
  return deleted;
}

void RateLimiter::set_resource_defaults(const std::string& resource,
                                        const std::vector<Limit>& limits,
                                        const std::optional<std::string>& principal) {
  validate_resource(resource);
  validate_limit_list(limits);
  context_->store->set_resource_defaults(resource, limits, principal, context_->clock.now());
  context_->config_cache.evict_resource(resource);  // OQ-13
}

std::vector<Limit> RateLimiter::get_resource_defaults(const std::string& resource) {
  validate_resource(resource);
  return context_->store->get_resource_defaults(resource);
}

void RateLimiter::delete_resource_defaults(const std::string& resource,
                                           const std::optional<std::string>& principal) {
  validate_resource(resource);
  context_->store->delete_resource_defaults(resource, principal, context_->clock.now());
  context_->config_cache.evict_resource(resource);  // OQ-13
}

std::vector<std::string> RateLimiter::list_resources_with_defaults() {
  return context_->store->list_resources_with_defaults();
}

void RateLimiter::set_system_defaults(const SystemDefaults& defaults,
                                      const std::optional<std::string>& principal) {
  validate_limit_list(defaults.limits);
  context_->store->set_system_defaults(defaults, principal, context_->clock.now());
  // OQ-13; and OQ-48: a value this process just replaced or removed must not linger in the
  // fallback cell.
  context_->config_cache.evict_system();
  context_->reset_fallback();
}

SystemDefaults RateLimiter::get_system_defaults() { return context_->store->get_system_defaults(); }

void RateLimiter::delete_system_defaults(const std::optional<std::string>& principal) {
  context_->store->delete_system_defaults(principal, context_->clock.now());
  context_->config_cache.evict_system();
  context_->reset_fallback();
}

// ---- config cache ----------------------------------------------------------------------------

ConfigCacheStats RateLimiter::config_cache_stats() const { return context_->config_cache.stats(); }

void RateLimiter::invalidate_config_cache() {
  context_->config_cache.clear();
  context_->entity_cache.clear();
  // CC-8 clears the remembered value; the configured seed is the caller's explicit choice and
  // comes back.
  context_->reset_fallback();
}

UsagePage RateLimiter::get_usage_snapshots(const UsageQuery& query) {
  return context_->store->get_usage_snapshots(query);
}

UsageSummary RateLimiter::get_usage_summary(const UsageQuery& query) {
  return summarize_usage(*context_->store, query);
}

Store& RateLimiter::store() const { return *context_->store; }

const Clock& RateLimiter::clock() const { return context_->clock; }

}  // namespace zae
