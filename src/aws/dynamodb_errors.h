// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "aws/attribute_value.h"
#include "aws/errors.h"
#include "aws/http.h"

// Errors DynamoDB answers with, and Outcome<T>, the value form of the expected ones.
//
// Two ways to learn that a write lost a race. The throwing operations (put_item, update_item,
// delete_item, transact_write_items) throw ConditionalCheckFailedError or
// TransactionCanceledError. The try_ operations return Outcome<T> instead, holding either the
// result or a ConditionFailure / TransactionCancellation / Throttled value: a failed condition is
// the normal contention path of a store built on optimistic writes, and an exception per lost
// race costs microseconds and hides the control flow. Every other failure (validation, missing
// table, network) throws from both forms.
namespace zae::aws {

// An error response from DynamoDB (any non-2xx status). what() reads
// "DynamoDB UpdateItem: ConditionalCheckFailedException (HTTP 400): The conditional request
// failed [request id ...]".
class ServiceError : public AwsError {
 public:
  ServiceError(std::string operation, int http_status, std::string code, std::string message,
               std::string request_id);

  // The operation that failed ("UpdateItem").
  const std::string& operation() const noexcept { return operation_; }
  int http_status() const noexcept { return http_status_; }
  // The AWS error code: the part of `__type` after '#' ("ConditionalCheckFailedException").
  // Empty when the body named none (an HTML error page, an empty 500).
  const std::string& code() const noexcept { return code_; }
  // The service's message (`message` or `Message` in the body), or a description of the body
  // when it was not a DynamoDB error document.
  const std::string& message() const noexcept { return message_; }
  // The x-amzn-RequestId response header; empty when absent.
  const std::string& request_id() const noexcept { return request_id_; }

  // DynamoDB refused the request for rate (ProvisionedThroughputExceededException,
  // ThrottlingException, RequestLimitExceeded, LimitExceededException): it was not applied.
  bool is_throttling() const noexcept;
  // A retry of the same request may succeed: throttling, TransactionConflictException,
  // TransactionInProgressException, RequestTimeout, and every 5xx. Never a failed condition, a
  // cancelled transaction, a validation error or another 4xx. Whether a retry is also safe is
  // the idempotency rule's business (retry.h).
  bool is_retryable() const noexcept;

 private:
  std::string operation_;
  int http_status_;
  std::string code_;
  std::string message_;
  std::string request_id_;
};

// ConditionalCheckFailedException. old_item() is the item as it was when the condition failed,
// present when the request asked for ReturnValuesOnConditionCheckFailure=ALL_OLD and the item
// existed.
class ConditionalCheckFailedError : public ServiceError {
 public:
  ConditionalCheckFailedError(ServiceError base, std::optional<AttributeMap> old_item)
      : ServiceError(std::move(base)), old_item_(std::move(old_item)) {}
  const std::optional<AttributeMap>& old_item() const noexcept { return old_item_; }

 private:
  std::optional<AttributeMap> old_item_;
};

// Why one item of a transaction was (or was not) the cause of its cancellation. code is "None"
// for items that were fine; otherwise "ConditionalCheckFailed", "TransactionConflict",
// "ItemCollectionSizeLimitExceeded", "ProvisionedThroughputExceeded", "ThrottlingError",
// "ValidationError" ... item is the old item when ALL_OLD was asked for on that action.
struct CancellationReason {
  std::string code = {};
  std::string message = {};
  std::optional<AttributeMap> item = {};
  friend bool operator==(const CancellationReason&, const CancellationReason&) = default;
};

// TransactionCanceledException. reasons() has one entry per action of the request, in request
// order (DynamoDB always returns them on the JSON protocol).
class TransactionCanceledError : public ServiceError {
 public:
  TransactionCanceledError(ServiceError base, std::vector<CancellationReason> reasons)
      : ServiceError(std::move(base)), reasons_(std::move(reasons)) {}
  const std::vector<CancellationReason>& reasons() const noexcept { return reasons_; }

 private:
  std::vector<CancellationReason> reasons_;
};

// ResourceNotFoundException: the table (or index, stream) does not exist or is not ACTIVE yet.
class ResourceNotFoundError : public ServiceError {
 public:
  explicit ResourceNotFoundError(ServiceError base) : ServiceError(std::move(base)) {}
};

// The outcome of a response that was not 2xx, parsed: the error, plus the payloads the typed
// errors carry. Never throws on a malformed body: the body text (truncated) becomes the message.
struct ParsedServiceError {
  ServiceError error;
  std::optional<AttributeMap> item;         // ConditionalCheckFailedException's Item
  std::vector<CancellationReason> reasons;  // TransactionCanceledException's reasons
};
ParsedServiceError parse_service_error(std::string_view operation, const HttpResponse& response);

// Throws the most specific error for `parsed`: ConditionalCheckFailedError,
// TransactionCanceledError, ResourceNotFoundError, otherwise ServiceError.
[[noreturn]] void throw_service_error(ParsedServiceError parsed);

// The value forms of the expected failures of a write.
struct ConditionFailure {
  // The old item (ALL_OLD), if asked for and the item existed.
  std::optional<AttributeMap> old_item = {};
  std::string operation = {};
  std::string message = {};
  std::string request_id = {};
};
struct TransactionCancellation {
  std::vector<CancellationReason> reasons = {};
  std::string operation = {};
  std::string message = {};
  std::string request_id = {};
};
// Still throttled after the retry policy gave up; the request was not applied.
struct Throttled {
  ServiceError error;
};

// A write's result or its expected failure. Check ok() (or the specific predicates) before
// value(); value() on a failure throws the equivalent error, so `outcome.value()` is the
// throwing form in one call.
template <typename T>
class [[nodiscard]] Outcome {
 public:
  Outcome(T value) : state_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Outcome(ConditionFailure f) : state_(std::move(f)) {}  // NOLINT(google-explicit-constructor)
  Outcome(TransactionCancellation c)                     // NOLINT(google-explicit-constructor)
      : state_(std::move(c)) {}
  Outcome(Throttled t) : state_(std::move(t)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return state_.index() == 0; }
  bool is_condition_failure() const noexcept { return state_.index() == 1; }
  bool is_transaction_cancellation() const noexcept { return state_.index() == 2; }
  bool is_throttled() const noexcept { return state_.index() == 3; }

  // The result. Throws ConditionalCheckFailedError, TransactionCanceledError or ServiceError
  // when the outcome is a failure.
  T& value() & {
    throw_if_failed();
    return std::get<0>(state_);
  }
  const T& value() const& {
    throw_if_failed();
    return std::get<0>(state_);
  }
  T&& value() && {
    throw_if_failed();
    return std::get<0>(std::move(state_));
  }
  // The failure; the variant alternative must be held (assert-level precondition: std::get
  // throws std::bad_variant_access otherwise).
  const ConditionFailure& condition_failure() const { return std::get<1>(state_); }
  const TransactionCancellation& transaction_cancellation() const { return std::get<2>(state_); }
  const Throttled& throttled() const { return std::get<3>(state_); }

 private:
  void throw_if_failed() const;

  std::variant<T, ConditionFailure, TransactionCancellation, Throttled> state_;
};

// Builds the exception a failed Outcome stands for (shared by every Outcome<T>).
[[noreturn]] void throw_condition_failure(const ConditionFailure& f);
[[noreturn]] void throw_transaction_cancellation(const TransactionCancellation& c);

template <typename T>
void Outcome<T>::throw_if_failed() const {
  switch (state_.index()) {
    case 0:
      return;
    case 1:
      throw_condition_failure(std::get<1>(state_));
    case 2:
      throw_transaction_cancellation(std::get<2>(state_));
    default:
      throw std::get<3>(state_).error;
  }
}

}  // namespace zae::aws
