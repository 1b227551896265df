// SPDX-License-Identifier: MIT
#include "aws/retry.h"

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/dynamodb_client.h"

namespace zae::aws {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using ::testing::HasSubstr;

// Answers each request with the next scripted step: a response, or a NetworkError to throw.
class ScriptedTransport final : public HttpTransport {
 public:
  struct Step {
    std::optional<HttpResponse> response;
    std::optional<NetworkError> error;
  };
  static Step ok(std::string body = "{}") { return {HttpResponse{200, {}, std::move(body)}, {}}; }
  static Step error(int status, std::string code) {
    return {HttpResponse{
                status,
                {},
                R"({"__type":"com.amazonaws.dynamodb.v20120810#)" + code + R"(","message":"m"})"},
            {}};
  }
  static Step network(NetworkErrorKind kind) { return {{}, NetworkError(kind, "net")}; }

  void script(std::vector<Step> steps) { steps_.assign(steps.begin(), steps.end()); }
  int attempts() const { return attempts_; }

  HttpResponse send(const HttpRequest&) override {
    ++attempts_;
    if (steps_.empty()) {
      throw NetworkError(NetworkErrorKind::kOther, "script exhausted");
    }
    Step step = steps_.front();
    steps_.pop_front();
    if (step.error) {
      throw *step.error;
    }
    return *step.response;
  }
  std::vector<HttpOutcome> send_all(std::span<const HttpRequest> requests) override {
    std::vector<HttpOutcome> out;
    for (const auto& r : requests) {
      try {
        out.push_back({send(r), std::nullopt});
      } catch (const NetworkError& e) {
        out.push_back({std::nullopt, e});
      }
    }
    return out;
  }

 private:
  std::deque<Step> steps_;
  int attempts_ = 0;
};

struct Harness {
  std::shared_ptr<ScriptedTransport> transport = std::make_shared<ScriptedTransport>();
  std::vector<microseconds> sleeps;
  DynamoDbClient client = make(3);

  DynamoDbClient make(int max_attempts) {
    return DynamoDbClient(DynamoDbClientConfig{
        .endpoint = "http://127.0.0.1:8000",
        .credentials = static_credentials({"AKID", "secret", ""}),
        .transport = transport,
        .retry = {.retry = RetryPolicy(max_attempts),
                  .backoff = BackoffPolicy({}, [] { return 0.5; }),
                  .sleep = [this](microseconds d) { sleeps.push_back(d); }},
    });
  }
};

UpdateItemRequest add_update(Idempotency idempotency = Idempotency::kNonIdempotent) {
  return UpdateItemRequest{.table_name = "t",
                           .key = {{"pk", AttributeValue::of_string("a")}},
                           .update_expression = "ADD n :d",
                           .expression_attribute_values = {{":d", AttributeValue::of_int64(1)}},
                           .idempotency = idempotency};
}

GetItemRequest get_request() {
  return GetItemRequest{.table_name = "t", .key = {{"pk", AttributeValue::of_string("a")}}};
}

TEST(BackoffPolicyTest, CeilingDoublesFromBaseUpToCap) {
  BackoffPolicy policy({.base = milliseconds(100), .cap = milliseconds(1000)});
  EXPECT_EQ(policy.max_delay(1), milliseconds(100));
  EXPECT_EQ(policy.max_delay(2), milliseconds(200));
  EXPECT_EQ(policy.max_delay(3), milliseconds(400));
  EXPECT_EQ(policy.max_delay(4), milliseconds(800));
  EXPECT_EQ(policy.max_delay(5), milliseconds(1000));
  EXPECT_EQ(policy.max_delay(60), milliseconds(1000));
}

TEST(BackoffPolicyTest, StandardDefaultsAreTenthOfASecondAndTwentySeconds) {
  BackoffPolicy policy;
  EXPECT_EQ(policy.max_delay(1), milliseconds(100));
  EXPECT_EQ(policy.max_delay(20), std::chrono::seconds(20));
}

TEST(BackoffPolicyTest, FullJitterScalesTheCeilingByTheRandomFraction) {
  double fraction = 0.0;
  BackoffPolicy policy({.base = milliseconds(100)}, [&fraction] { return fraction; });
  EXPECT_EQ(policy.delay(3), microseconds(0));
  fraction = 0.25;
  EXPECT_EQ(policy.delay(3), milliseconds(100));
  fraction = 0.999999;
  EXPECT_LE(policy.delay(3), milliseconds(400));
  fraction = 7.0;  // a broken source is clamped, never beyond the ceiling
  EXPECT_EQ(policy.delay(3), milliseconds(400));
}

TEST(BackoffPolicyTest, DefaultRandomStaysWithinBounds) {
  BackoffPolicy policy;
  for (int retry = 1; retry < 12; ++retry) {
    const auto d = policy.delay(retry);
    EXPECT_GE(d, microseconds(0));
    EXPECT_LE(d, policy.max_delay(retry));
  }
}

TEST(RetryPolicyTest, ClassifiesServiceErrors) {
  RetryPolicy policy;
  auto error = [](int status, std::string code) {
    return ServiceError("Op", status, code, "", "");
  };
  EXPECT_TRUE(policy.is_retryable(error(400, "ProvisionedThroughputExceededException")));
  EXPECT_TRUE(policy.is_retryable(error(400, "ThrottlingException")));
  EXPECT_TRUE(policy.is_retryable(error(400, "RequestLimitExceeded")));
  EXPECT_TRUE(policy.is_retryable(error(400, "TransactionInProgressException")));
  EXPECT_TRUE(policy.is_retryable(error(400, "TransactionConflictException")));
  EXPECT_TRUE(policy.is_retryable(error(500, "InternalServerError")));
  EXPECT_TRUE(policy.is_retryable(error(503, "")));
  EXPECT_FALSE(policy.is_retryable(error(400, "ConditionalCheckFailedException")));
  EXPECT_FALSE(policy.is_retryable(error(400, "ValidationException")));
  EXPECT_FALSE(policy.is_retryable(error(400, "TransactionCanceledException")));
  EXPECT_FALSE(policy.is_retryable(error(400, "ResourceNotFoundException")));
  EXPECT_FALSE(policy.is_retryable(error(403, "AccessDeniedException")));
}

TEST(RetryPolicyTest, ClassifiesNetworkErrors) {
  RetryPolicy policy;
  EXPECT_TRUE(policy.is_retryable(NetworkError(NetworkErrorKind::kConnect, "")));
  EXPECT_TRUE(policy.is_retryable(NetworkError(NetworkErrorKind::kTimeout, "")));
  EXPECT_TRUE(policy.is_retryable(NetworkError(NetworkErrorKind::kReset, "")));
  EXPECT_FALSE(policy.is_retryable(NetworkError(NetworkErrorKind::kTls, "")));
}

TEST(RetryPolicyTest, MaxAttemptsIsAtLeastOne) {
  EXPECT_EQ(RetryPolicy().max_attempts(), 3);
  EXPECT_EQ(RetryPolicy(0).max_attempts(), 1);
}

TEST(IdempotencyTest, NonIdempotentRetriesOnlyWhenTheRequestWasNotApplied) {
  const auto non = Idempotency::kNonIdempotent;
  EXPECT_TRUE(is_safe_to_retry(non, NetworkError(NetworkErrorKind::kConnect, "")));
  EXPECT_FALSE(is_safe_to_retry(non, NetworkError(NetworkErrorKind::kTimeout, "")));
  EXPECT_FALSE(is_safe_to_retry(non, NetworkError(NetworkErrorKind::kReset, "")));
  EXPECT_TRUE(is_safe_to_retry(non, ServiceError("Op", 400, "ThrottlingException", "", "")));
  EXPECT_TRUE(
      is_safe_to_retry(non, ServiceError("Op", 400, "TransactionConflictException", "", "")));
  EXPECT_FALSE(is_safe_to_retry(non, ServiceError("Op", 500, "InternalServerError", "", "")));
  EXPECT_TRUE(
      is_safe_to_retry(Idempotency::kIdempotent, NetworkError(NetworkErrorKind::kTimeout, "")));
  EXPECT_TRUE(is_safe_to_retry(Idempotency::kIdempotent,
                               ServiceError("Op", 500, "InternalServerError", "", "")));
}

TEST(ClientRetryTest, ThrottlingRetriesUntilSuccessWithBackoff) {
  Harness h;
  h.transport->script({ScriptedTransport::error(400, "ProvisionedThroughputExceededException"),
                       ScriptedTransport::error(400, "ThrottlingException"),
                       ScriptedTransport::ok(R"({"Item":{"pk":{"S":"a"}}})")});
  auto result = h.client.get_item(get_request());
  EXPECT_TRUE(result.item.has_value());
  EXPECT_EQ(h.transport->attempts(), 3);
  // Jitter fixed at 0.5: half of 100 ms, then half of 200 ms.
  EXPECT_THAT(h.sleeps, ::testing::ElementsAre(milliseconds(50), milliseconds(100)));
}

TEST(ClientRetryTest, GivesUpAfterMaxAttemptsWithTheLastError) {
  Harness h;
  h.transport->script({ScriptedTransport::error(500, "InternalServerError"),
                       ScriptedTransport::error(500, "InternalServerError"),
                       ScriptedTransport::error(503, "ServiceUnavailable"),
                       ScriptedTransport::ok()});
  try {
    (void)h.client.get_item(get_request());
    FAIL() << "no ServiceError";
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.http_status(), 503);
    EXPECT_EQ(e.code(), "ServiceUnavailable");
  }
  EXPECT_EQ(h.transport->attempts(), 3);
  EXPECT_EQ(h.sleeps.size(), 2u);
}

TEST(ClientRetryTest, HonoursConfiguredMaxAttempts) {
  Harness h;
  DynamoDbClient client = h.make(5);
  h.transport->script(std::vector<ScriptedTransport::Step>(
      6, ScriptedTransport::network(NetworkErrorKind::kTimeout)));
  EXPECT_THROW((void)client.get_item(get_request()), NetworkError);
  EXPECT_EQ(h.transport->attempts(), 5);
}

TEST(ClientRetryTest, NeverRetriesConditionValidationOrCancellation) {
  for (const char* code : {"ConditionalCheckFailedException", "ValidationException",
                           "TransactionCanceledException", "ResourceNotFoundException"}) {
    Harness h;
    h.transport->script({ScriptedTransport::error(400, code), ScriptedTransport::ok()});
    EXPECT_THROW((void)h.client.update_item(add_update(Idempotency::kIdempotent)), ServiceError)
        << code;
    EXPECT_EQ(h.transport->attempts(), 1) << code;
    EXPECT_TRUE(h.sleeps.empty()) << code;
  }
}

TEST(ClientRetryTest, NonIdempotentUpdateIsNotRetriedAfterATimeout) {
  Harness h;
  h.transport->script(
      {ScriptedTransport::network(NetworkErrorKind::kTimeout), ScriptedTransport::ok()});
  try {
    (void)h.client.update_item(add_update());
    FAIL() << "no NetworkError";
  } catch (const NetworkError& e) {
    EXPECT_EQ(e.kind(), NetworkErrorKind::kTimeout);
    EXPECT_THAT(e.what(), HasSubstr("UpdateItem"));
    EXPECT_THAT(e.what(), HasSubstr("not idempotent"));
  }
  EXPECT_EQ(h.transport->attempts(), 1);
}

TEST(ClientRetryTest, NonIdempotentUpdateIsNotRetriedAfterAResetOrA500) {
  Harness h;
  h.transport->script({ScriptedTransport::network(NetworkErrorKind::kReset),
                       ScriptedTransport::error(500, "InternalServerError"),
                       ScriptedTransport::ok()});
  EXPECT_THROW((void)h.client.update_item(add_update()), NetworkError);
  // A 500 is not an expected contention outcome: the try_ form throws it too.
  EXPECT_THROW((void)h.client.try_update_item(add_update()), ServiceError);
  EXPECT_EQ(h.transport->attempts(), 2);
}

TEST(ClientRetryTest, NonIdempotentUpdateRetriesConnectFailuresAndThrottling) {
  Harness h;
  h.transport->script({ScriptedTransport::network(NetworkErrorKind::kConnect),
                       ScriptedTransport::error(400, "ProvisionedThroughputExceededException"),
                       ScriptedTransport::ok(R"({"Attributes":{"n":{"N":"1"}}})")});
  auto result = h.client.update_item(add_update());
  EXPECT_EQ(result.attributes->at("n").as_int64(), 1);
  EXPECT_EQ(h.transport->attempts(), 3);
}

TEST(ClientRetryTest, IdempotentUpdateRetriesAfterATimeout) {
  Harness h;
  h.transport->script(
      {ScriptedTransport::network(NetworkErrorKind::kTimeout), ScriptedTransport::ok()});
  (void)h.client.update_item(add_update(Idempotency::kIdempotent));
  EXPECT_EQ(h.transport->attempts(), 2);
}

TEST(ClientRetryTest, ThrottledTryUpdateAfterRetriesIsAValue) {
  Harness h;
  h.transport->script(std::vector<ScriptedTransport::Step>(
      3, ScriptedTransport::error(400, "ProvisionedThroughputExceededException")));
  auto outcome = h.client.try_update_item(add_update());
  ASSERT_TRUE(outcome.is_throttled());
  EXPECT_TRUE(outcome.throttled().error.is_throttling());
  EXPECT_EQ(h.transport->attempts(), 3);
}

TEST(ClientRetryTest, TlsFailureIsNotRetried) {
  Harness h;
  h.transport->script(
      {ScriptedTransport::network(NetworkErrorKind::kTls), ScriptedTransport::ok()});
  EXPECT_THROW((void)h.client.get_item(get_request()), NetworkError);
  EXPECT_EQ(h.transport->attempts(), 1);
}

TEST(ClientRetryTest, ConcurrentUpdatesRetryOnlyTheRetryableOnes) {
  Harness h;
  // Round 1: a succeeds, b throttled, c times out (not idempotent: surfaced). Round 2: b ok.
  h.transport->script({ScriptedTransport::ok(R"({"Attributes":{"n":{"N":"1"}}})"),
                       ScriptedTransport::error(400, "ThrottlingException"),
                       ScriptedTransport::network(NetworkErrorKind::kTimeout),
                       ScriptedTransport::ok(R"({"Attributes":{"n":{"N":"2"}}})")});
  std::vector<UpdateItemRequest> requests = {add_update(), add_update(), add_update()};
  auto results = h.client.try_update_items(requests);
  ASSERT_EQ(results.size(), 3u);
  ASSERT_TRUE(results[0].outcome && results[0].outcome->ok());
  EXPECT_EQ(results[0].outcome->value().attributes->at("n").as_int64(), 1);
  ASSERT_TRUE(results[1].outcome && results[1].outcome->ok());
  EXPECT_EQ(results[1].outcome->value().attributes->at("n").as_int64(), 2);
  EXPECT_FALSE(results[2].outcome);
  EXPECT_THROW(std::rethrow_exception(results[2].error), NetworkError);
  EXPECT_EQ(h.transport->attempts(), 4);
  EXPECT_EQ(h.sleeps.size(), 1u);
}

}  // namespace
}  // namespace zae::aws
