// SPDX-License-Identifier: MIT
#include "aws/dynamodb_errors.h"

#include <array>
#include <cctype>
#include <span>

#include "aws/attribute_codec.h"
#include "aws/json.h"

namespace zae::aws {
namespace {

constexpr std::size_t kBodyExcerpt = 200;

std::string describe(std::string_view operation, int status, std::string_view code,
                     std::string_view message, std::string_view request_id) {
  std::string out = "DynamoDB ";
  out += operation;
  out += ": ";
  out += code.empty() ? std::string_view("error") : code;
  out += " (HTTP ";
  out += std::to_string(status);
  out += ")";
  if (!message.empty()) {
    out += ": ";
    out += message;
  }
  if (!request_id.empty()) {
    out += " [request id ";
    out += request_id;
    out += "]";
  }
  return out;
}

bool code_in(std::string_view code, std::span<const std::string_view> codes) {
  for (std::string_view c : codes) {
    if (c == code) {
      return true;
    }
  }
  return false;
}

constexpr std::array<std::string_view, 4> kThrottlingCodes = {
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "LimitExceededException"};
// Rejected before being applied (conflict with a running transaction) or a server-side timeout.
constexpr std::array<std::string_view, 4> kTransientCodes = {
    "TransactionConflictException", "TransactionInProgressException", "RequestTimeout",
    "RequestTimeoutException"};

// "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException" -> "ResourceNotFoundException";
// x-amzn-ErrorType "ResourceNotFoundException:http://..." -> the part before ':'.
std::string_view after_hash(std::string_view type) {
  auto hash = type.rfind('#');
  return hash == std::string_view::npos ? type : type.substr(hash + 1);
}

std::string excerpt(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, kBodyExcerpt)) {
    out += std::isprint(static_cast<unsigned char>(c)) ? c : ' ';
  }
  if (body.size() > kBodyExcerpt) {
    out += "...";
  }
  return out;
}

std::vector<CancellationReason> read_reasons(JsonReader& r) {
  std::vector<CancellationReason> reasons;
  r.enter_array();
  while (r.next_element()) {
    CancellationReason reason;
    r.enter_object();
    while (auto key = r.next_key()) {
      if (r.peek() == JsonType::kNull) {
        r.read_null();
      } else if (*key == "Code") {
        reason.code = r.read_string();
      } else if (*key == "Message") {
        reason.message = r.read_string();
      } else if (*key == "Item") {
        reason.item = read_item(r);
      } else {
        r.skip_value();
      }
    }
    reasons.push_back(std::move(reason));
  }
  return reasons;
}

}  // namespace

ServiceError::ServiceError(std::string operation, int http_status, std::string code,
                           std::string message, std::string request_id)
    : AwsError(describe(operation, http_status, code, message, request_id)),
      operation_(std::move(operation)),
      http_status_(http_status),
      code_(std::move(code)),
      message_(std::move(message)),
      request_id_(std::move(request_id)) {}

bool ServiceError::is_throttling() const noexcept { return code_in(code_, kThrottlingCodes); }

bool ServiceError::is_retryable() const noexcept {
  return is_throttling() || code_in(code_, kTransientCodes) || http_status_ >= 500;
}

ParsedServiceError parse_service_error(std::string_view operation, const HttpResponse& response) {
  std::string request_id(response.header("x-amzn-RequestId").value_or(""));
  std::string code;
  std::string message;
  std::optional<AttributeMap> item;
  std::vector<CancellationReason> reasons;
  try {
    JsonReader r(response.body);
    r.enter_object();
    while (auto key = r.next_key()) {
      if (r.peek() == JsonType::kNull) {
        r.read_null();
      } else if (*key == "__type") {
        code = after_hash(r.read_string());
      } else if (*key == "message" || *key == "Message") {
        message = r.read_string();
      } else if (*key == "Item") {
        item = read_item(r);
      } else if (*key == "CancellationReasons") {
        reasons = read_reasons(r);
      } else {
        r.skip_value();
      }
    }
    r.finish();
  } catch (const AwsError& e) {
    // Not a DynamoDB error document: DynamoDB Local answers malformed JSON with an HTML 500, a
    // proxy may answer with anything. Keep what we have and describe the body.
    item.reset();
    reasons.clear();
    message = "unparseable error body";
    if (auto type = response.header("Content-Type")) {
      message += " (";
      message += *type;
      message += ")";
    }
    message += response.body.empty() ? std::string(": empty") : ": " + excerpt(response.body);
  }
  if (code.empty()) {
    if (auto type = response.header("x-amzn-ErrorType")) {
      code = after_hash(type->substr(0, type->find(':')));
    }
  }
  return ParsedServiceError{
      .error = ServiceError(std::string(operation), response.status, std::move(code),
                            std::move(message), std::move(request_id)),
      .item = std::move(item),
      .reasons = std::move(reasons),
  };
}

void throw_service_error(ParsedServiceError parsed) {
  const std::string& code = parsed.error.code();
  if (code == "ConditionalCheckFailedException") {
    throw ConditionalCheckFailedError(std::move(parsed.error), std::move(parsed.item));
  }
  if (code == "TransactionCanceledException") {
    throw TransactionCanceledError(std::move(parsed.error), std::move(parsed.reasons));
  }
  if (code == "ResourceNotFoundException") {
    throw ResourceNotFoundError(std::move(parsed.error));
  }
  throw std::move(parsed.error);
}

void throw_condition_failure(const ConditionFailure& f) {
  throw ConditionalCheckFailedError(
      ServiceError(f.operation, 400, "ConditionalCheckFailedException", f.message, f.request_id),
      f.old_item);
}

void throw_transaction_cancellation(const TransactionCancellation& c) {
  throw TransactionCanceledError(
      ServiceError(c.operation, 400, "TransactionCanceledException", c.message, c.request_id),
      c.reasons);
}

}  // namespace zae::aws
