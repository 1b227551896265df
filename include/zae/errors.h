// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "zae/limit.h"

namespace zae {

// The exception hierarchy mirrors the original (spec/behavior.md §5.3):
//
//   ZaeLimiterError
//   ├── RateLimitError: RateLimitExceeded, LeaseExpiredError
//   ├── InfrastructureError: RateLimiterUnavailable, WriteOutcomeUnknownError,
//   │     StackOperationError, StackAlreadyExistsError, InfrastructureNotFoundError,
//   │     NamespaceNotFoundError, NamespaceStateError
//   ├── EntityError: EntityNotFoundError, EntityExistsError
//   ├── VersionError: VersionMismatchError, IncompatibleSchemaError
//   └── ValidationError: InvalidIdentifierError, InvalidNameError
//
// `catch (const RateLimitError&)` catches only "too fast" conditions; storage outages are
// InfrastructureError (EX-5).

class ZaeLimiterError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// ---- rate limiting ---------------------------------------------------------------------------

class RateLimitError : public ZaeLimiterError {
 public:
  using ZaeLimiterError::ZaeLimiterError;
};

// The state of one limit of one entity as seen by a decision (spec/behavior.md §5.1).
struct LimitStatus {
  std::string entity_id{};
  std::string resource{};
  std::string limit_name{};
  Limit limit;
  // Whole tokens available at decision time (floor of millitokens; negative when in debt).
  std::int64_t available = 0;
  // Tokens this request asked for.
  std::int64_t requested = 0;
  bool exceeded = false;
  // Time to wait before the same request can succeed: floor(deficit·period/rate) + 1 ms
  // (B-13); zero when not exceeded.
  std::chrono::milliseconds retry_after{0};

  double retry_after_seconds() const { return static_cast<double>(retry_after.count()) / 1000.0; }
  std::int64_t deficit() const { return requested > available ? requested - available : 0; }
};

// Thrown when a request would exceed at least one limit (acquire, Lease::consume, retry path).
// Carries every limit's status so callers can report all of them.
class RateLimitExceeded : public RateLimitError {
 public:
  // Throws std::invalid_argument when `statuses` contains no exceeded status (RLE-1).
  explicit RateLimitExceeded(std::vector<LimitStatus> statuses);

  const std::vector<LimitStatus>& statuses() const { return statuses_; }
  // Exceeded statuses, in original order.
  std::vector<LimitStatus> violations() const;
  // Statuses that were not exceeded, in original order.
  std::vector<LimitStatus> passed() const;
  // The violation with the longest retry-after (first wins ties) (RLE-2).
  const LimitStatus& primary_violation() const { return statuses_[primary_index_]; }
  std::chrono::milliseconds retry_after() const { return primary_violation().retry_after; }
  double retry_after_seconds() const { return primary_violation().retry_after_seconds(); }
  // Value for an HTTP Retry-After header: whole seconds, truncated, plus one (RLE-5).
  std::string retry_after_header() const;
  // The original's as_dict() as a JSON object (RLE-4); `retry_after_ms` is the exact integer
  // milliseconds (OQ-39).
  std::string to_json() const;

 private:
  std::vector<LimitStatus> statuses_;
  std::size_t primary_index_ = 0;
};

// A lease was used after it was committed or rolled back.
class LeaseExpiredError : public RateLimitError {
 public:
  LeaseExpiredError() : RateLimitError("Lease is no longer active") {}
};

// ---- infrastructure --------------------------------------------------------------------------

// A storage or network failure. `is_transient()` says whether retrying later may succeed
// (throttling, timeouts, a busy database) as opposed to a permanent condition.
class InfrastructureError : public ZaeLimiterError {
 public:
  explicit InfrastructureError(const std::string& message, bool transient = false)
      : ZaeLimiterError(message), transient_(transient) {}
  bool is_transient() const { return transient_; }

 private:
  bool transient_;
};

// A write whose outcome is unknown: its request was sent and no answer came (a timeout, a
// connection lost mid-exchange, a server error), so it may or may not have been applied. Sending
// the same write again may apply it twice; Lease::commit never does. Transient.
class WriteOutcomeUnknownError : public InfrastructureError {
 public:
  explicit WriteOutcomeUnknownError(const std::string& message)
      : InfrastructureError(message, true) {}
};

// acquire() could not reach the store and on_unavailable is BLOCK. The message is the cause's
// text followed by "[stack=…, entity=…, resource=…]" listing the non-empty parts (EX-1).
class RateLimiterUnavailable : public InfrastructureError {
 public:
  RateLimiterUnavailable(const std::string& cause, std::string stack_name, std::string entity_id,
                         std::string resource);
  const std::string& cause() const { return cause_; }
  const std::string& stack_name() const { return stack_name_; }
  const std::string& entity_id() const { return entity_id_; }
  const std::string& resource() const { return resource_; }

 private:
  std::string cause_;
  std::string stack_name_;
  std::string entity_id_;
  std::string resource_;
};

class StackOperationError : public InfrastructureError {
 public:
  using InfrastructureError::InfrastructureError;
};
class StackAlreadyExistsError : public InfrastructureError {
 public:
  using InfrastructureError::InfrastructureError;
};
class InfrastructureNotFoundError : public InfrastructureError {
 public:
  using InfrastructureError::InfrastructureError;
};

class NamespaceNotFoundError : public InfrastructureError {
 public:
  explicit NamespaceNotFoundError(std::string namespace_name)
      : InfrastructureError("Namespace '" + namespace_name + "' not found"),
        namespace_name_(std::move(namespace_name)) {}
  const std::string& namespace_name() const { return namespace_name_; }

 private:
  std::string namespace_name_;
};

// An invalid namespace state transition; `state()` is "active", "purging" or "re-registered".
class NamespaceStateError : public InfrastructureError {
 public:
  NamespaceStateError(std::string namespace_name, std::string state)
      : InfrastructureError("Namespace '" + namespace_name + "' is " + state),
        namespace_name_(std::move(namespace_name)),
        state_(std::move(state)) {}
  const std::string& namespace_name() const { return namespace_name_; }
  const std::string& state() const { return state_; }

 private:
  std::string namespace_name_;
  std::string state_;
};

// ---- entities --------------------------------------------------------------------------------

class EntityError : public ZaeLimiterError {
 public:
  using ZaeLimiterError::ZaeLimiterError;
};

class EntityNotFoundError : public EntityError {
 public:
  explicit EntityNotFoundError(std::string entity_id)
      : EntityError("Entity not found: " + entity_id), entity_id_(std::move(entity_id)) {}
  const std::string& entity_id() const { return entity_id_; }

 private:
  std::string entity_id_;
};

class EntityExistsError : public EntityError {
 public:
  explicit EntityExistsError(std::string entity_id)
      : EntityError("Entity already exists: " + entity_id), entity_id_(std::move(entity_id)) {}
  const std::string& entity_id() const { return entity_id_; }

 private:
  std::string entity_id_;
};

// ---- versions --------------------------------------------------------------------------------

class VersionError : public ZaeLimiterError {
 public:
  using ZaeLimiterError::ZaeLimiterError;
};

class VersionMismatchError : public VersionError {
 public:
  VersionMismatchError(std::string client_version, std::string schema_version,
                       std::optional<std::string> lambda_version, const std::string& detail,
                       bool can_auto_update = true);
  const std::string& client_version() const { return client_version_; }
  const std::string& schema_version() const { return schema_version_; }
  const std::optional<std::string>& lambda_version() const { return lambda_version_; }
  bool can_auto_update() const { return can_auto_update_; }

 private:
  std::string client_version_;
  std::string schema_version_;
  std::optional<std::string> lambda_version_;
  bool can_auto_update_;
};

class IncompatibleSchemaError : public VersionError {
 public:
  IncompatibleSchemaError(std::string client_version, std::string schema_version,
                          const std::string& detail,
                          std::optional<std::string> migration_guide_url = std::nullopt);
  const std::string& client_version() const { return client_version_; }
  const std::string& schema_version() const { return schema_version_; }
  const std::optional<std::string>& migration_guide_url() const { return migration_guide_url_; }

 private:
  std::string client_version_;
  std::string schema_version_;
  std::optional<std::string> migration_guide_url_;
};

// ---- validation ------------------------------------------------------------------------------

// Bad input. Message "Invalid {field}: {reason}"; `value()` is truncated to 50 characters plus
// "..." (V-4).
class ValidationError : public ZaeLimiterError {
 public:
  ValidationError(std::string field, std::string_view value, std::string reason);
  const std::string& field() const { return field_; }
  const std::string& value() const { return value_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string field_;
  std::string value_;
  std::string reason_;
};

class InvalidIdentifierError : public ValidationError {
 public:
  using ValidationError::ValidationError;
};

class InvalidNameError : public ValidationError {
 public:
  using ValidationError::ValidationError;
};

}  // namespace zae
