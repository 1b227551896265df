// SPDX-License-Identifier: MIT
#include "aws/dynamodb_client.h"

#include <array>
#include <utility>

#include "aws/dynamodb_wire.h"
#include "aws/json.h"

namespace zae::aws {
namespace {

constexpr std::string_view kContentType = "application/x-amz-json-1.0";
constexpr std::string_view kService = "dynamodb";

// Splits "scheme://host[:port][/]" and returns the Host header curl sends for it: the port only
// when it is not the scheme's default. (The transport adds Host; we must sign the same value.)
std::string host_header(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    throw AwsError("DynamoDB endpoint '" + url + "' has no scheme (http:// or https://)");
  }
  std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    throw AwsError("DynamoDB endpoint '" + url + "' must use http or https");
  }
  std::string authority = url.substr(scheme_end + 3);
  if (!authority.empty() && authority.back() == '/') {
    authority.pop_back();
  }
  if (authority.empty() || authority.find_first_of("/?#@") != std::string::npos) {
    throw AwsError("DynamoDB endpoint '" + url + "' must be scheme://host[:port] without a path");
  }
  auto colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    std::string_view port = std::string_view(authority).substr(colon + 1);
    if ((scheme == "http" && port == "80") || (scheme == "https" && port == "443")) {
      authority.resize(colon);
    }
  }
  return authority;
}

// A template so that it can build the client's private Endpoint type.
template <typename Endpoint>
Endpoint make_endpoint(std::string url, std::string_view target_prefix) {
  if (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  std::string host = host_header(url);
  return {.url = url + "/", .host = std::move(host), .target_prefix = std::string(target_prefix)};
}

// Asks for the total consumed capacity unless the body asks for some already.
void ask_for_capacity(std::string& body) {
  if (body.size() < 2 || body.front() != '{' ||
      body.find("\"ReturnConsumedCapacity\"") != std::string::npos) {
    return;
  }
  body.insert(1, body.size() == 2 ? "\"ReturnConsumedCapacity\":\"TOTAL\""
                                  : "\"ReturnConsumedCapacity\":\"TOTAL\",");
}

// Hands every ConsumedCapacity of a successful response to the observer. Never throws: the
// response has been accepted already.
void report_capacity(
    const std::function<void(std::string_view, const ConsumedCapacity&)>& observer,
    std::string_view operation, std::string_view body) {
  std::vector<ConsumedCapacity> used;
  try {
    JsonReader r(body);
    r.enter_object();
    while (auto key = r.next_key()) {
      if (*key == "ConsumedCapacity" && !wire::skip_null(r)) {
        wire::read_consumed_capacities(r, used);
      } else {
        r.skip_value();
      }
    }
  } catch (const std::exception&) {
    return;  // the operation's own parser reports a malformed body
  }
  for (const ConsumedCapacity& c : used) {
    observer(operation, c);
  }
}

WriteItemResult read_write_result(std::string_view body) {
  WriteItemResult out;
  JsonReader r(body);
  r.enter_object();
  while (auto key = r.next_key()) {
    if (wire::skip_null(r)) {
      continue;
    }
    if (*key == "Attributes") {
      out.attributes = read_item(r);
    } else if (*key == "ConsumedCapacity") {
      out.consumed_capacity = wire::read_consumed_capacity(r);
    } else {
      r.skip_value();
    }
  }
  r.finish();
  return out;
}

std::string put_item_body(const PutItemRequest& q) {
  std::string body;
  body.reserve(256);
  JsonWriter w(body);
  w.begin_object();
  w.key("TableName");
  w.string(q.table_name);
  w.key("Item");
  write_item(w, q.item);
  wire::write_expressions(w, q.condition_expression, q.expression_attribute_names,
                          q.expression_attribute_values);
  wire::write_return_values(w, q.return_values);
  wire::write_on_condition_failure(w, q.return_values_on_condition_check_failure);
  wire::write_consumed_capacity_request(w, q.return_consumed_capacity);
  w.end_object();
  return body;
}

std::string update_item_body(const UpdateItemRequest& q) {
  std::string body;
  body.reserve(384);
  JsonWriter w(body);
  w.begin_object();
  w.key("TableName");
  w.string(q.table_name);
  w.key("Key");
  write_item(w, q.key);
  wire::optional_string(w, "UpdateExpression", q.update_expression);
  wire::write_expressions(w, q.condition_expression, q.expression_attribute_names,
                          q.expression_attribute_values);
  wire::write_return_values(w, q.return_values);
  wire::write_on_condition_failure(w, q.return_values_on_condition_check_failure);
  wire::write_consumed_capacity_request(w, q.return_consumed_capacity);
  w.end_object();
  return body;
}

std::string delete_item_body(const DeleteItemRequest& q) {
  std::string body;
  body.reserve(256);
  JsonWriter w(body);
  w.begin_object();
  w.key("TableName");
  w.string(q.table_name);
  w.key("Key");
  write_item(w, q.key);
  wire::write_expressions(w, q.condition_expression, q.expression_attribute_names,
                          q.expression_attribute_values);
  wire::write_return_values(w, q.return_values);
  wire::write_on_condition_failure(w, q.return_values_on_condition_check_failure);
  wire::write_consumed_capacity_request(w, q.return_consumed_capacity);
  w.end_object();
  return body;
}

// "DynamoDB UpdateItem: <transport message> (1 attempt; not retried: ...)".
NetworkError final_network_error(std::string_view operation, const NetworkError& e, int attempts,
                                 std::string_view why) {
  std::string message = "DynamoDB ";
  message += operation;
  message += ": ";
  message += e.what();
  message += " (";
  message += std::to_string(attempts);
  message += attempts == 1 ? " attempt" : " attempts";
  if (!why.empty()) {
    message += "; ";
    message += why;
  }
  message += ")";
  return NetworkError(e.kind(), message);
}

}  // namespace

CredentialsFunction static_credentials(Credentials credentials) {
  return [credentials = std::move(credentials)] { return credentials; };
}

DynamoDbClient::DynamoDbClient(DynamoDbClientConfig config) : config_(std::move(config)) {
  if (!config_.transport) {
    throw AwsError("DynamoDbClient: no HTTP transport");
  }
  if (!config_.credentials) {
    throw AwsError("DynamoDbClient: no credentials source");
  }
  if (config_.region.empty()) {
    throw AwsError("DynamoDbClient: no region");
  }
  if (!config_.retry.sleep) {
    config_.retry.sleep = thread_sleeper();
  }
  if (!config_.clock) {
    config_.clock = [] { return std::chrono::system_clock::now(); };
  }
  std::string url = config_.endpoint.empty()
                        ? "https://dynamodb." + config_.region + ".amazonaws.com"
                        : config_.endpoint;
  std::string streams_url = !config_.streams_endpoint.empty() ? config_.streams_endpoint
                            : !config_.endpoint.empty()
                                ? config_.endpoint
                                : "https://streams.dynamodb." + config_.region + ".amazonaws.com";
  dynamodb_ = make_endpoint<Endpoint>(std::move(url), "DynamoDB_20120810.");
  streams_ = make_endpoint<Endpoint>(std::move(streams_url), "DynamoDBStreams_20120810.");
}

HttpRequest DynamoDbClient::new_request(Api api, std::string body) const {
  const Endpoint& endpoint = api == Api::kStreams ? streams_ : dynamodb_;
  HttpRequest request;
  request.url = endpoint.url;
  request.body = std::move(body);
  request.timeout = config_.attempt_timeout;
  return request;
}

void DynamoDbClient::sign(Api api, std::string_view operation, HttpRequest& request) {
  const Endpoint& endpoint = api == Api::kStreams ? streams_ : dynamodb_;
  std::string target;
  target.reserve(endpoint.target_prefix.size() + operation.size());
  target += endpoint.target_prefix;
  target += operation;
  const Credentials credentials = config_.credentials();

  const std::array<HttpHeader, 3> signed_headers = {
      HttpHeader{"Content-Type", kContentType},
      HttpHeader{"Host", endpoint.host},
      HttpHeader{"X-Amz-Target", target},
  };
  Signature sig = signer_.sign(
      SigningRequest{.method = "POST",
                     .path = "/",
                     .query = {},
                     .headers = signed_headers,
                     .payload = request.body},
      credentials,
      SigningParams{.region = config_.region, .service = kService, .time = config_.clock()});
  request.headers.clear();
  request.headers.reserve(5);
  request.headers.push_back({"Content-Type", std::string(kContentType)});
  request.headers.push_back({"X-Amz-Target", std::move(target)});
  request.headers.push_back({"X-Amz-Date", std::move(sig.amz_date)});
  if (sig.token_header_added) {
    request.headers.push_back({"X-Amz-Security-Token", credentials.session_token});
  }
  request.headers.push_back({"Authorization", std::move(sig.authorization)});
}

void DynamoDbClient::sleep_before_retry(int retry) {
  config_.retry.sleep(config_.retry.backoff.delay(retry));
}

DynamoDbClient::CallResult DynamoDbClient::call(Api api, std::string_view operation,
                                                std::string body, Idempotency idempotency) {
  const RetryPolicy& policy = config_.retry.retry;
  const bool observing = config_.capacity_observer && api == Api::kDynamoDb;
  if (observing) {
    ask_for_capacity(body);
  }
  // Built once: every attempt sends the same URL and body, with fresh signed headers.
  HttpRequest request = new_request(api, std::move(body));
  request.idempotency = idempotency;
  for (int attempt = 1;; ++attempt) {
    sign(api, operation, request);
    HttpResponse response;
    try {
      response = config_.transport->send(request);
    } catch (const NetworkError& e) {
      if (!policy.is_retryable(e)) {
        throw final_network_error(operation, e, attempt, "not retryable");
      }
      if (!is_safe_to_retry(idempotency, e)) {
        throw final_network_error(operation, e, attempt,
                                  "not retried: the request is not idempotent and may have been "
                                  "applied");
      }
      if (attempt >= policy.max_attempts()) {
        throw final_network_error(operation, e, attempt, "retries exhausted");
      }
      sleep_before_retry(attempt);
      continue;
    }
    if (response.status >= 200 && response.status < 300) {
      if (observing) {
        report_capacity(config_.capacity_observer, operation, response.body);
      }
      return response;
    }
    ParsedServiceError parsed = parse_service_error(operation, response);
    if (attempt >= policy.max_attempts() || !policy.is_retryable(parsed.error) ||
        !is_safe_to_retry(idempotency, parsed.error)) {
      return parsed;
    }
    sleep_before_retry(attempt);
  }
}

std::string DynamoDbClient::invoke(Api api, std::string_view operation, std::string body,
                                   Idempotency idempotency) {
  CallResult result = call(api, operation, std::move(body), idempotency);
  if (auto* error = std::get_if<ParsedServiceError>(&result)) {
    throw_service_error(std::move(*error));
  }
  return std::move(std::get<HttpResponse>(result).body);
}

template <typename T>
Outcome<T> DynamoDbClient::to_outcome(std::string_view operation, ParsedServiceError error) {
  const std::string& code = error.error.code();
  if (code == "ConditionalCheckFailedException") {
    return ConditionFailure{.old_item = std::move(error.item),
                            .operation = std::string(operation),
                            .message = error.error.message(),
                            .request_id = error.error.request_id()};
  }
  if (code == "TransactionCanceledException") {
    return TransactionCancellation{.reasons = std::move(error.reasons),
                                   .operation = std::string(operation),
                                   .message = error.error.message(),
                                   .request_id = error.error.request_id()};
  }
  if (error.error.is_throttling()) {
    return Throttled{std::move(error.error)};
  }
  throw_service_error(std::move(error));
}

template Outcome<TransactWriteItemsResult> DynamoDbClient::to_outcome<TransactWriteItemsResult>(
    std::string_view, ParsedServiceError);

Outcome<WriteItemResult> DynamoDbClient::write_outcome(std::string_view operation,
                                                       CallResult result) {
  if (auto* error = std::get_if<ParsedServiceError>(&result)) {
    return to_outcome<WriteItemResult>(operation, std::move(*error));
  }
  return read_write_result(std::get<HttpResponse>(result).body);
}

GetItemResult DynamoDbClient::get_item(const GetItemRequest& q) {
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  w.key("TableName");
  w.string(q.table_name);
  w.key("Key");
  write_item(w, q.key);
  wire::write_consistency(w, q.consistency);
  wire::optional_string(w, "ProjectionExpression", q.projection_expression);
  wire::write_names(w, q.expression_attribute_names);
  wire::write_consumed_capacity_request(w, q.return_consumed_capacity);
  w.end_object();
  std::string response =
      invoke(Api::kDynamoDb, "GetItem", std::move(body), Idempotency::kIdempotent);
  GetItemResult out;
  JsonReader r(response);
  r.enter_object();
  while (auto key = r.next_key()) {
    if (wire::skip_null(r)) {
      continue;
    }
    if (*key == "Item") {
      out.item = read_item(r);
    } else if (*key == "ConsumedCapacity") {
      out.consumed_capacity = wire::read_consumed_capacity(r);
    } else {
      r.skip_value();
    }
  }
  r.finish();
  return out;
}

Outcome<WriteItemResult> DynamoDbClient::try_put_item(const PutItemRequest& q) {
  // A replayed put writes the same item again: idempotent in effect, unless the caller says
  // otherwise (a replayed conditional put reports a failed condition against its own write).
  return write_outcome("PutItem", call(Api::kDynamoDb, "PutItem", put_item_body(q), q.idempotency));
}

WriteItemResult DynamoDbClient::put_item(const PutItemRequest& q) {
  return try_put_item(q).value();
}

Outcome<WriteItemResult> DynamoDbClient::try_update_item(const UpdateItemRequest& q) {
  return write_outcome("UpdateItem",
                       call(Api::kDynamoDb, "UpdateItem", update_item_body(q), q.idempotency));
}

WriteItemResult DynamoDbClient::update_item(const UpdateItemRequest& q) {
  return try_update_item(q).value();
}

Outcome<WriteItemResult> DynamoDbClient::try_delete_item(const DeleteItemRequest& q) {
  return write_outcome("DeleteItem", call(Api::kDynamoDb, "DeleteItem", delete_item_body(q),
                                          Idempotency::kIdempotent));
}

WriteItemResult DynamoDbClient::delete_item(const DeleteItemRequest& q) {
  return try_delete_item(q).value();
}

std::vector<ConcurrentUpdate> DynamoDbClient::try_update_items(
    std::span<const UpdateItemRequest> requests) {
  constexpr std::string_view kOperation = "UpdateItem";
  std::vector<ConcurrentUpdate> out(requests.size());
  std::vector<std::string> bodies(requests.size());
  std::vector<std::size_t> pending;
  pending.reserve(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    try {
      bodies[i] = update_item_body(requests[i]);
      if (config_.capacity_observer) {
        ask_for_capacity(bodies[i]);
      }
      pending.push_back(i);
    } catch (...) {
      out[i].error = std::current_exception();
    }
  }
  const RetryPolicy& policy = config_.retry.retry;
  for (int attempt = 1; !pending.empty(); ++attempt) {
    std::vector<HttpRequest> batch;
    std::vector<std::size_t> sent;
    batch.reserve(pending.size());
    sent.reserve(pending.size());
    for (std::size_t i : pending) {
      try {
        HttpRequest request = new_request(Api::kDynamoDb, bodies[i]);
        request.idempotency = requests[i].idempotency;
        sign(Api::kDynamoDb, kOperation, request);
        batch.push_back(std::move(request));
        sent.push_back(i);
      } catch (...) {
        out[i].error = std::current_exception();
      }
    }
    std::vector<HttpOutcome> outcomes = config_.transport->send_all(batch);
    const bool last = attempt >= policy.max_attempts();
    std::vector<std::size_t> again;
    for (std::size_t k = 0; k < sent.size(); ++k) {
      const std::size_t i = sent[k];
      const Idempotency idempotency = requests[i].idempotency;
      HttpOutcome& o = outcomes[k];
      if (!o.response) {
        const NetworkError error =
            o.error ? *o.error : NetworkError(NetworkErrorKind::kOther, "no response");
        if (!last && policy.is_retryable(error) && is_safe_to_retry(idempotency, error)) {
          again.push_back(i);
        } else {
          out[i].error = std::make_exception_ptr(final_network_error(
              kOperation, error, attempt,
              is_safe_to_retry(idempotency, error) ? ""
                                                   : "not retried: the request is not idempotent"));
        }
        continue;
      }
      try {
        if (o.response->status >= 200 && o.response->status < 300) {
          out[i].outcome = read_write_result(o.response->body);
          if (config_.capacity_observer) {
            report_capacity(config_.capacity_observer, kOperation, o.response->body);
          }
          continue;
        }
        ParsedServiceError parsed = parse_service_error(kOperation, *o.response);
        if (!last && policy.is_retryable(parsed.error) &&
            is_safe_to_retry(idempotency, parsed.error)) {
          again.push_back(i);
          continue;
        }
        out[i].outcome = to_outcome<WriteItemResult>(kOperation, std::move(parsed));
      } catch (...) {
        out[i].error = std::current_exception();
      }
    }
    if (!again.empty()) {
      sleep_before_retry(attempt);
    }
    pending = std::move(again);
  }
  return out;
}

}  // namespace zae::aws
