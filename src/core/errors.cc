// SPDX-License-Identifier: MIT
#include "zae/errors.h"

#include <cstdio>
#include <string>
#include <utility>

#include "core/json.h"

namespace zae {
namespace {

// RLE-1, RLE-2: the exceeded status with the longest retry-after; the first one wins ties.
std::size_t find_primary(const std::vector<LimitStatus>& statuses) {
  std::size_t primary = statuses.size();
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    if (statuses[i].exceeded &&
        (primary == statuses.size() || statuses[i].retry_after > statuses[primary].retry_after)) {
      primary = i;
    }
  }
  if (primary == statuses.size()) {
    throw std::invalid_argument("RateLimitExceeded requires at least one exceeded limit");
  }
  return primary;
}

// Python's f"{x:.1f}": printf rounds the binary value correctly, as CPython does.
std::string one_decimal(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f", value);
  return buf;
}

// RLE-3.
std::string exceeded_message(const std::vector<LimitStatus>& statuses) {
  const LimitStatus& primary = statuses[find_primary(statuses)];
  std::string names;
  for (const LimitStatus& status : statuses) {
    if (status.exceeded) {
      if (!names.empty()) {
        names += ", ";
      }
      names += status.limit_name;
    }
  }
  return "Rate limit exceeded for " + primary.entity_id + "/" + primary.resource + ": [" + names +
         "]. Retry after " + one_decimal(primary.retry_after_seconds()) + "s";
}

std::vector<LimitStatus> select(const std::vector<LimitStatus>& statuses, bool exceeded) {
  std::vector<LimitStatus> out;
  for (const LimitStatus& status : statuses) {
    if (status.exceeded == exceeded) {
      out.push_back(status);
    }
  }
  return out;
}

// EX-1: the cause, then only the non-empty context parts.
std::string unavailable_message(const std::string& cause, const std::string& stack_name,
                                const std::string& entity_id, const std::string& resource) {
  std::string context;
  const auto add = [&context](std::string_view label, const std::string& value) {
    if (value.empty()) {
      return;
    }
    if (!context.empty()) {
      context += ", ";
    }
    context += label;
    context += '=';
    context += value;
  };
  add("stack", stack_name);
  add("entity", entity_id);
  add("resource", resource);
  return context.empty() ? cause : cause + " [" + context + "]";
}

// V-4.
std::string truncate_value(std::string_view value) {
  constexpr std::size_t kMaxShown = 50;
  if (value.size() <= kMaxShown) {
    return std::string(value);
  }
  return std::string(value.substr(0, kMaxShown)) + "...";
}

}  // namespace

RateLimitExceeded::RateLimitExceeded(std::vector<LimitStatus> statuses)
    : RateLimitError(exceeded_message(statuses)),
      statuses_(std::move(statuses)),
      primary_index_(find_primary(statuses_)) {}

std::vector<LimitStatus> RateLimitExceeded::violations() const { return select(statuses_, true); }

std::vector<LimitStatus> RateLimitExceeded::passed() const { return select(statuses_, false); }

std::string RateLimitExceeded::retry_after_header() const {
  // RLE-5: trunc(seconds) + 1, from the integer milliseconds (retry_after is never negative).
  return std::to_string(retry_after().count() / 1000 + 1);
}

std::string RateLimitExceeded::to_json() const {
  // RLE-4, keys in the original's order.
  core::JsonWriter w;
  w.begin_object();
  w.key("error").value("rate_limit_exceeded");
  w.key("message").value(std::string_view(what()));
  w.key("retry_after_seconds").value(retry_after_seconds());
  // OQ-39: exact integer ms (the original's int(seconds × 1000.0) can lose one).
  w.key("retry_after_ms").value(static_cast<std::int64_t>(retry_after().count()));
  w.key("limits").begin_array();
  for (const LimitStatus& status : statuses_) {
    w.begin_object();
    w.key("entity_id").value(status.entity_id);
    w.key("resource").value(status.resource);
    w.key("limit_name").value(status.limit_name);
    w.key("capacity").value(status.limit.capacity());
    w.key("refill_amount").value(status.limit.refill_amount());
    w.key("refill_period_seconds").value(status.limit.refill_period_seconds());
    w.key("available").value(status.available);
    w.key("requested").value(status.requested);
    w.key("exceeded").value(status.exceeded);
    w.key("retry_after_seconds").value(status.retry_after_seconds());
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return std::move(w).str();
}

RateLimiterUnavailable::RateLimiterUnavailable(const std::string& cause, std::string stack_name,
                                               std::string entity_id, std::string resource)
    : InfrastructureError(unavailable_message(cause, stack_name, entity_id, resource)),
      cause_(cause),
      stack_name_(std::move(stack_name)),
      entity_id_(std::move(entity_id)),
      resource_(std::move(resource)) {}

// EX-2.
VersionMismatchError::VersionMismatchError(std::string client_version, std::string schema_version,
                                           std::optional<std::string> lambda_version,
                                           const std::string& detail, bool can_auto_update)
    : VersionError("Version mismatch: client=" + client_version + ", schema=" + schema_version +
                   ", lambda=" + lambda_version.value_or("unknown") +
                   (detail.empty() ? "" : ". " + detail)),
      client_version_(std::move(client_version)),
      schema_version_(std::move(schema_version)),
      lambda_version_(std::move(lambda_version)),
      can_auto_update_(can_auto_update) {}

IncompatibleSchemaError::IncompatibleSchemaError(std::string client_version,
                                                 std::string schema_version,
                                                 const std::string& detail,
                                                 std::optional<std::string> migration_guide_url)
    : VersionError("Incompatible schema: client " + client_version +
                   " is not compatible with schema " + schema_version + ". " + detail +
                   (migration_guide_url ? " See: " + *migration_guide_url : "")),
      client_version_(std::move(client_version)),
      schema_version_(std::move(schema_version)),
      migration_guide_url_(std::move(migration_guide_url)) {}

ValidationError::ValidationError(std::string field, std::string_view value, std::string reason)
    : ZaeLimiterError("Invalid " + field + ": " + reason),
      field_(std::move(field)),
      value_(truncate_value(value)),
      reason_(std::move(reason)) {}

}  // namespace zae
