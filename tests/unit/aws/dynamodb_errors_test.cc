// SPDX-License-Identifier: MIT
#include "aws/dynamodb_errors.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace zae::aws {
namespace {

using ::testing::HasSubstr;

HttpResponse response(int status, std::string body) {
  return HttpResponse{
      .status = status,
      .headers = {{"x-amzn-RequestId", "REQ1"}, {"Content-Type", "application/x-amz-json-1.0"}},
      .body = std::move(body)};
}

TEST(ServiceErrorParseTest, TakesTheCodeAfterTheHashAndTheLowercaseMessage) {
  auto parsed = parse_service_error(
      "PutItem",
      response(400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ValidationException",)"
                    R"("message":"One or more parameter values were invalid"})"));
  EXPECT_EQ(parsed.error.code(), "ValidationException");
  EXPECT_EQ(parsed.error.message(), "One or more parameter values were invalid");
  EXPECT_EQ(parsed.error.request_id(), "REQ1");
  EXPECT_EQ(parsed.error.http_status(), 400);
  EXPECT_EQ(parsed.error.operation(), "PutItem");
  EXPECT_THAT(parsed.error.what(), HasSubstr("DynamoDB PutItem: ValidationException (HTTP 400)"));
  EXPECT_THAT(parsed.error.what(), HasSubstr("REQ1"));
  EXPECT_FALSE(parsed.error.is_retryable());
}

TEST(ServiceErrorParseTest, ReadsTheCapitalisedMessage) {
  auto parsed = parse_service_error(
      "Query", response(400, R"({"__type":"com.amazon.coral.validate#ValidationException",)"
                             R"("Message":"capital"})"));
  EXPECT_EQ(parsed.error.code(), "ValidationException");
  EXPECT_EQ(parsed.error.message(), "capital");
}

TEST(ServiceErrorParseTest, ConditionalCheckFailedCarriesTheOldItem) {
  auto parsed = parse_service_error(
      "UpdateItem",
      response(
          400,
          R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",)"
          R"("message":"The conditional request failed","Item":{"pk":{"S":"a"},"n":{"N":"5"}}})"));
  try {
    throw_service_error(std::move(parsed));
  } catch (const ConditionalCheckFailedError& e) {
    ASSERT_TRUE(e.old_item().has_value());
    EXPECT_EQ(e.old_item()->at("n").as_int64(), 5);
    EXPECT_EQ(e.code(), "ConditionalCheckFailedException");
    return;
  }
  FAIL() << "no ConditionalCheckFailedError";
}

TEST(ServiceErrorParseTest, TransactionCanceledCarriesReasonsInOrder) {
  auto parsed = parse_service_error(
      "TransactWriteItems",
      response(400, R"({"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException",)"
                    R"("CancellationReasons":[{"Code":"None"},{"Code":"ConditionalCheckFailed",)"
                    R"("Item":{"pk":{"S":"b"}},"Message":"The conditional request failed"},)"
                    R"({"Code":"None","Message":null}],)"
                    R"("Message":"Transaction cancelled, please refer cancellation reasons"})"));
  try {
    throw_service_error(std::move(parsed));
  } catch (const TransactionCanceledError& e) {
    ASSERT_EQ(e.reasons().size(), 3u);
    EXPECT_EQ(e.reasons()[0].code, "None");
    EXPECT_FALSE(e.reasons()[0].item);
    EXPECT_EQ(e.reasons()[1].code, "ConditionalCheckFailed");
    EXPECT_EQ(e.reasons()[1].message, "The conditional request failed");
    EXPECT_EQ(e.reasons()[1].item->at("pk").as_string(), "b");
    EXPECT_EQ(e.message(), "Transaction cancelled, please refer cancellation reasons");
    return;
  }
  FAIL() << "no TransactionCanceledError";
}

TEST(ServiceErrorParseTest, ResourceNotFoundHasItsOwnType) {
  auto parsed = parse_service_error(
      "DescribeTable",
      response(400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",)"
                    R"("message":"Cannot do operations on a non-existent table"})"));
  EXPECT_THROW(throw_service_error(std::move(parsed)), ResourceNotFoundError);
}

TEST(ServiceErrorParseTest, HtmlBodyBecomesAClearServiceError) {
  HttpResponse r{.status = 500,
                 .headers = {{"Content-Type", "text/html"}},
                 .body = "<html><body><h2>HTTP ERROR 500</h2>\n</body></html>"};
  auto parsed = parse_service_error("PutItem", r);
  EXPECT_EQ(parsed.error.http_status(), 500);
  EXPECT_EQ(parsed.error.code(), "");
  EXPECT_THAT(parsed.error.message(), HasSubstr("unparseable error body (text/html)"));
  EXPECT_THAT(parsed.error.message(), HasSubstr("HTTP ERROR 500"));
  EXPECT_TRUE(parsed.error.is_retryable());
  EXPECT_THROW(throw_service_error(std::move(parsed)), ServiceError);
}

TEST(ServiceErrorParseTest, EmptyTruncatedAndWrongShapeBodiesNeverThrowWhileParsing) {
  for (std::string body :
       std::vector<std::string>{"", "{", "[1,2]", R"({"__type":5})", R"({"Item":{"a":{"Q":"x"}}})",
                                std::string(5000, 'x')}) {
    auto parsed = parse_service_error("GetItem", HttpResponse{.status = 400, .body = body});
    EXPECT_THAT(parsed.error.message(), HasSubstr("unparseable error body")) << body;
    EXPECT_LT(parsed.error.message().size(), 400u);
  }
}

TEST(ServiceErrorParseTest, FallsBackToTheErrorTypeHeader) {
  HttpResponse r{
      .status = 400,
      .headers = {{"x-amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/"}},
      .body = "{}"};
  auto parsed = parse_service_error("GetItem", r);
  EXPECT_EQ(parsed.error.code(), "ThrottlingException");
  EXPECT_TRUE(parsed.error.is_throttling());
}

TEST(OutcomeTest, ValueOfAFailureThrowsTheEquivalentError) {
  Outcome<int> failed =
      ConditionFailure{.old_item = AttributeMap{{"n", AttributeValue::of_int64(3)}},
                       .operation = "UpdateItem",
                       .message = "The conditional request failed",
                       .request_id = "R"};
  EXPECT_FALSE(failed.ok());
  EXPECT_TRUE(failed.is_condition_failure());
  EXPECT_EQ(failed.condition_failure().old_item->at("n").as_int64(), 3);
  try {
    (void)failed.value();
    FAIL();
  } catch (const ConditionalCheckFailedError& e) {
    EXPECT_EQ(e.old_item()->at("n").as_int64(), 3);
    EXPECT_EQ(e.request_id(), "R");
  }
  Outcome<int> cancelled = TransactionCancellation{.reasons = {{.code = "None"}}};
  EXPECT_THROW((void)cancelled.value(), TransactionCanceledError);
  Outcome<int> good = 7;
  EXPECT_TRUE(good.ok());
  EXPECT_EQ(good.value(), 7);
}

}  // namespace
}  // namespace zae::aws
