// SPDX-License-Identifier: MIT
#include "aws/dynamodb_client.h"

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/attribute_codec.h"
#include "aws/json.h"

namespace zae::aws {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Records every request and answers through a handler.
class RecordingTransport final : public HttpTransport {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  explicit RecordingTransport(Handler handler) : handler_(std::move(handler)) {}

  HttpResponse send(const HttpRequest& request) override {
    std::lock_guard lock(mutex_);
    requests.push_back(request);
    return handler_(request);
  }
  std::vector<HttpOutcome> send_all(std::span<const HttpRequest> batch) override {
    std::vector<HttpOutcome> out;
    for (const auto& r : batch) {
      out.push_back({send(r), std::nullopt});
    }
    return out;
  }

  std::vector<HttpRequest> requests;

 private:
  std::mutex mutex_;
  Handler handler_;
};

std::string header(const HttpRequest& r, std::string_view name) {
  for (const auto& h : r.headers) {
    if (h.name == name) {
      return h.value;
    }
  }
  return "<absent>";
}

HttpResponse ok(std::string body) { return HttpResponse{.status = 200, .body = std::move(body)}; }

const auto kTime = std::chrono::sys_days{std::chrono::year{2015} / 8 / 30} +
                   std::chrono::hours(12) + std::chrono::minutes(36);

struct Fixture {
  explicit Fixture(RecordingTransport::Handler handler,
                   Credentials credentials = {"AKID", "SECRET", ""})
      : transport(std::make_shared<RecordingTransport>(std::move(handler))),
        client(DynamoDbClientConfig{
            .endpoint = "http://127.0.0.1:8000",
            .region = "us-east-1",
            .credentials = static_credentials(credentials),
            .transport = transport,
            .retry = {.sleep = [this](std::chrono::microseconds d) { sleeps.push_back(d); }},
            .clock = [] { return kTime; },
        }) {}
  std::vector<std::chrono::microseconds> sleeps;
  std::shared_ptr<RecordingTransport> transport;
  DynamoDbClient client;
};

AttributeMap key(std::string pk) { return {{"pk", AttributeValue::of_string(std::move(pk))}}; }

TEST(DynamoDbClientTest, SignsExactlyTheHeadersItSends) {
  Fixture f([](const HttpRequest&) { return ok("{}"); });
  (void)f.client.get_item({.table_name = "t", .key = key("a")});
  ASSERT_EQ(f.transport->requests.size(), 1u);
  const HttpRequest& r = f.transport->requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "http://127.0.0.1:8000/");
  EXPECT_EQ(header(r, "Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(header(r, "X-Amz-Target"), "DynamoDB_20120810.GetItem");
  EXPECT_EQ(header(r, "X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(header(r, "X-Amz-Security-Token"), "<absent>");
  EXPECT_THAT(header(r, "Authorization"),
              StartsWith("AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/dynamodb/"
                         "aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                         "Signature="));
  // The signature is the one an independent signing of the same request gives (Host as curl
  // sends it for this URL).
  const std::array<HttpHeader, 4> headers = {
      HttpHeader{"Content-Type", "application/x-amz-json-1.0"},
      HttpHeader{"Host", "127.0.0.1:8000"}, HttpHeader{"X-Amz-Date", "20150830T123600Z"},
      HttpHeader{"X-Amz-Target", "DynamoDB_20120810.GetItem"}};
  Sigv4Signer signer;
  auto expected = signer.sign(
      {.method = "POST", .path = "/", .headers = headers, .payload = r.body},
      {"AKID", "SECRET", ""}, {.region = "us-east-1", .service = "dynamodb", .time = kTime});
  EXPECT_EQ(header(r, "Authorization"), expected.authorization);
}

TEST(DynamoDbClientTest, SendsAndSignsTheSessionToken) {
  Fixture f([](const HttpRequest&) { return ok("{}"); }, {"AKID", "SECRET", "TOKEN"});
  (void)f.client.list_tables();
  const HttpRequest& r = f.transport->requests.at(0);
  EXPECT_EQ(header(r, "X-Amz-Security-Token"), "TOKEN");
  EXPECT_THAT(header(r, "Authorization"),
              HasSubstr("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;"
                        "x-amz-target"));
}

TEST(DynamoDbClientTest, DefaultEndpointsFollowTheRegion) {
  auto transport =
      std::make_shared<RecordingTransport>([](const HttpRequest&) { return ok("{}"); });
  DynamoDbClient client({.region = "eu-west-1",
                         .credentials = static_credentials({"A", "B", ""}),
                         .transport = transport});
  (void)client.list_tables();
  (void)client.list_streams();
  EXPECT_EQ(transport->requests.at(0).url, "https://dynamodb.eu-west-1.amazonaws.com/");
  EXPECT_EQ(transport->requests.at(1).url, "https://streams.dynamodb.eu-west-1.amazonaws.com/");
  EXPECT_EQ(header(transport->requests.at(1), "X-Amz-Target"),
            "DynamoDBStreams_20120810.ListStreams");
}

TEST(DynamoDbClientTest, RejectsBadConfiguration) {
  auto transport =
      std::make_shared<RecordingTransport>([](const HttpRequest&) { return ok("{}"); });
  auto creds = static_credentials({"A", "B", ""});
  EXPECT_THROW(DynamoDbClient({.credentials = creds}), AwsError);
  EXPECT_THROW(DynamoDbClient({.transport = transport}), AwsError);
  EXPECT_THROW(
      DynamoDbClient({.endpoint = "127.0.0.1:8000", .credentials = creds, .transport = transport}),
      AwsError);
  EXPECT_THROW(
      DynamoDbClient({.endpoint = "http://h/path", .credentials = creds, .transport = transport}),
      AwsError);
}

TEST(DynamoDbClientTest, WritesTheUpdateItemBody) {
  Fixture f([](const HttpRequest&) {
    return ok(
        R"({"Attributes":{"n":{"N":"6"}},"ConsumedCapacity":{"TableName":"t","CapacityUnits":1.0}})");
  });
  auto result = f.client.update_item(
      {.table_name = "t",
       .key = key("a"),
       .update_expression = "ADD #n :d",
       .condition_expression = "#n >= :min",
       .expression_attribute_names = {{"#n", "n"}},
       .expression_attribute_values = {{":d", AttributeValue::of_int64(1)},
                                       {":min", AttributeValue::of_int64(0)}},
       .return_values = ReturnValues::kAllNew,
       .return_values_on_condition_check_failure = ReturnValuesOnConditionCheckFailure::kAllOld,
       .return_consumed_capacity = ReturnConsumedCapacity::kTotal});
  EXPECT_EQ(f.transport->requests.at(0).body,
            R"({"TableName":"t","Key":{"pk":{"S":"a"}},"UpdateExpression":"ADD #n :d",)"
            R"("ConditionExpression":"#n >= :min","ExpressionAttributeNames":{"#n":"n"},)"
            R"("ExpressionAttributeValues":{":d":{"N":"1"},":min":{"N":"0"}},)"
            R"("ReturnValues":"ALL_NEW","ReturnValuesOnConditionCheckFailure":"ALL_OLD",)"
            R"("ReturnConsumedCapacity":"TOTAL"})");
  EXPECT_EQ(result.attributes->at("n").as_int64(), 6);
  ASSERT_TRUE(result.consumed_capacity);
  EXPECT_EQ(result.consumed_capacity->table_name, "t");
  EXPECT_EQ(result.consumed_capacity->capacity_units, 1.0);
}

TEST(DynamoDbClientTest, TryUpdateReturnsTheConditionFailureWithTheOldItem) {
  Fixture f([](const HttpRequest&) {
    return HttpResponse{
        .status = 400,
        .headers = {{"x-amzn-RequestId", "RID"}},
        .body = R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",)"
                R"("message":"The conditional request failed","Item":{"n":{"N":"2"}}})"};
  });
  auto outcome = f.client.try_update_item({.table_name = "t", .key = key("a")});
  ASSERT_TRUE(outcome.is_condition_failure());
  EXPECT_EQ(outcome.condition_failure().old_item->at("n").as_int64(), 2);
  EXPECT_EQ(outcome.condition_failure().request_id, "RID");
  EXPECT_THROW((void)f.client.update_item({.table_name = "t", .key = key("a")}),
               ConditionalCheckFailedError);
  EXPECT_EQ(f.transport->requests.size(), 2u);
}

TEST(DynamoDbClientTest, GetItemWithoutItemIsEmpty) {
  Fixture f([](const HttpRequest&) { return ok("{}"); });
  EXPECT_FALSE(f.client.get_item({.table_name = "t", .key = key("a")}).item);
}

TEST(DynamoDbClientTest, BatchGetChunksByOneHundredAndResendsUnprocessedKeys) {
  int calls = 0;
  Fixture f([&calls](const HttpRequest& r) {
    ++calls;
    // Echo every key as an item, except that the first call leaves its last key unprocessed.
    JsonReader reader(r.body);
    std::vector<AttributeMap> keys;
    reader.enter_object();
    while (auto k = reader.next_key()) {
      if (*k != "RequestItems") {
        reader.skip_value();
        continue;
      }
      reader.enter_object();
      while (reader.next_key()) {
        reader.enter_object();
        while (auto m = reader.next_key()) {
          if (*m == "Keys") {
            reader.enter_array();
            while (reader.next_element()) {
              keys.push_back(read_item(reader));
            }
          } else {
            reader.skip_value();
          }
        }
      }
    }
    EXPECT_LE(keys.size(), 100u);
    std::string body = R"({"Responses":{"t":[)";
    std::size_t answered = calls == 1 ? keys.size() - 1 : keys.size();
    for (std::size_t i = 0; i < answered; ++i) {
      body += (i ? "," : "") + item_to_json(keys[i]);
    }
    body += "]}";
    if (calls == 1) {
      body += R"(,"UnprocessedKeys":{"t":{"Keys":[)" + item_to_json(keys.back()) + "]}}";
    }
    body += "}";
    return ok(body);
  });
  BatchGetItemRequest request;
  for (int i = 0; i < 250; ++i) {
    request.request_items["t"].keys.push_back(key("k" + std::to_string(i)));
  }
  auto result = f.client.batch_get_item(request);
  EXPECT_EQ(result.responses["t"].size(), 250u);
  EXPECT_TRUE(result.unprocessed_keys.empty());
  EXPECT_EQ(calls, 4);  // 100 (+1 resend of one key) + 100 + 50
  EXPECT_EQ(f.sleeps.size(), 1u);
}

TEST(DynamoDbClientTest, BatchWriteChunksByTwentyFiveAndReturnsWhatStaysUnprocessed) {
  Fixture f([](const HttpRequest&) {
    return ok(R"({"UnprocessedItems":{"t":[{"PutRequest":{"Item":{"pk":{"S":"stuck"}}}}]}})");
  });
  BatchWriteItemRequest request;
  for (int i = 0; i < 30; ++i) {
    request.request_items["t"].push_back(WriteRequest::put(key("k" + std::to_string(i))));
  }
  auto result = f.client.batch_write_item(request);
  // Two chunks, each sent once and resent max_unprocessed_rounds (8) times.
  EXPECT_EQ(f.transport->requests.size(), 18u);
  ASSERT_EQ(result.unprocessed_items["t"].size(), 2u);
  EXPECT_EQ(result.unprocessed_items["t"][0].attributes.at("pk").as_string(), "stuck");
  EXPECT_THAT(f.transport->requests[0].body,
              StartsWith(R"({"RequestItems":{"t":[{"PutRequest":{"Item":{"pk":{"S":"k0"}}}},)"));
}

TEST(DynamoDbClientTest, TransactWriteSendsOneTokenOnEveryAttempt) {
  int calls = 0;
  Fixture f([&calls](const HttpRequest&) {
    if (++calls == 1) {
      return HttpResponse{.status = 500, .body = R"({"__type":"x#InternalServerError"})"};
    }
    return ok("{}");
  });
  (void)f.client.transact_write_items(
      {.items = {
           TransactPut{.table_name = "t", .item = key("a")},
           TransactUpdate{.table_name = "t",
                          .key = key("b"),
                          .update_expression = "ADD n :d",
                          .expression_attribute_values = {{":d", AttributeValue::of_int64(1)}}},
           TransactDelete{.table_name = "t", .key = key("c")},
           TransactConditionCheck{.table_name = "t",
                                  .key = key("d"),
                                  .condition_expression = "attribute_exists(pk)"}}});
  ASSERT_EQ(f.transport->requests.size(), 2u);
  const std::string& body = f.transport->requests[0].body;
  EXPECT_EQ(body, f.transport->requests[1].body);
  EXPECT_THAT(body, HasSubstr(R"("ClientRequestToken":")"));
  EXPECT_THAT(body, HasSubstr(R"({"Put":{"TableName":"t","Item":{"pk":{"S":"a"}}}})"));
  EXPECT_THAT(body, HasSubstr(R"({"ConditionCheck":{"TableName":"t","Key":{"pk":{"S":"d"}},)"
                              R"j("ConditionExpression":"attribute_exists(pk)"}})j"));
}

TEST(DynamoDbClientTest, TransactWriteRejectsMoreThanOneHundredActions) {
  Fixture f([](const HttpRequest&) { return ok("{}"); });
  TransactWriteItemsRequest request;
  request.items.assign(101, TransactDelete{.table_name = "t", .key = key("a")});
  EXPECT_THROW((void)f.client.transact_write_items(request), AwsError);
  EXPECT_TRUE(f.transport->requests.empty());
}

TEST(DynamoDbClientTest, QueryAllFollowsLastEvaluatedKey) {
  int calls = 0;
  Fixture f([&calls](const HttpRequest&) {
    ++calls;
    if (calls < 3) {
      return ok(R"({"Items":[{"pk":{"S":"a"}}],"Count":1,"ScannedCount":2,)"
                R"("LastEvaluatedKey":{"pk":{"S":"a"}}})");
    }
    return ok(R"({"Items":[{"pk":{"S":"b"}}],"Count":1,"ScannedCount":1})");
  });
  auto page = f.client.query({.table_name = "t", .key_condition_expression = "pk = :p"});
  EXPECT_TRUE(page.last_evaluated_key);
  calls = 0;
  auto all = f.client.query_all({.table_name = "t", .key_condition_expression = "pk = :p"});
  EXPECT_EQ(all.items.size(), 3u);
  EXPECT_EQ(all.count, 3);
  EXPECT_EQ(all.scanned_count, 5);
  EXPECT_EQ(all.pages, 3);
  EXPECT_FALSE(all.last_evaluated_key);
  EXPECT_THAT(f.transport->requests.back().body,
              HasSubstr(R"("ExclusiveStartKey":{"pk":{"S":"a"}})"));
}

TEST(DynamoDbClientTest, CapacityObserverAsksForCapacityAndReceivesIt) {
  auto transport = std::make_shared<RecordingTransport>([](const HttpRequest& r) {
    if (header(r, "X-Amz-Target") == "DynamoDB_20120810.GetItem") {
      return ok(R"({"Item":{"pk":{"S":"a"}},"ConsumedCapacity":{"TableName":"t","CapacityUnits":0.5}})");
    }
    return ok(R"({"ConsumedCapacity":{"TableName":"t","CapacityUnits":1.0}})");
  });
  std::vector<std::pair<std::string, double>> seen;
  DynamoDbClient client(DynamoDbClientConfig{
      .endpoint = "http://127.0.0.1:8000",
      .credentials = static_credentials({"AKID", "SECRET", ""}),
      .transport = transport,
      .capacity_observer =
          [&seen](std::string_view operation, const ConsumedCapacity& used) {
            seen.emplace_back(std::string(operation), used.capacity_units);
          },
  });
  (void)client.update_item({.table_name = "t", .key = key("a"), .update_expression = "SET x = :x",
                            .expression_attribute_values = {{":x", AttributeValue::of_int64(1)}}});
  (void)client.get_item({.table_name = "t",
                         .key = key("a"),
                         .return_consumed_capacity = ReturnConsumedCapacity::kIndexes});
  (void)client.try_update_items(std::vector<UpdateItemRequest>{
      {.table_name = "t", .key = key("b"), .update_expression = "REMOVE x"}});
  ASSERT_EQ(transport->requests.size(), 3u);
  EXPECT_THAT(transport->requests[0].body, StartsWith(R"({"ReturnConsumedCapacity":"TOTAL",)"));
  // A request that asks for more keeps what it asked for.
  EXPECT_THAT(transport->requests[1].body, HasSubstr(R"("ReturnConsumedCapacity":"INDEXES")"));
  EXPECT_THAT(transport->requests[1].body, Not(HasSubstr("TOTAL")));
  EXPECT_THAT(transport->requests[2].body, StartsWith(R"({"ReturnConsumedCapacity":"TOTAL",)"));
  const std::vector<std::pair<std::string, double>> expected{
      {"UpdateItem", 1.0}, {"GetItem", 0.5}, {"UpdateItem", 1.0}};
  EXPECT_EQ(seen, expected);
}

TEST(DynamoDbClientTest, WithoutAnObserverRequestsAreUnchanged) {
  Fixture f([](const HttpRequest&) { return ok("{}"); });
  (void)f.client.update_item({.table_name = "t", .key = key("a"), .update_expression = "REMOVE x"});
  EXPECT_THAT(f.transport->requests.at(0).body, Not(HasSubstr("ReturnConsumedCapacity")));
}

TEST(DynamoDbClientTest, MalformedSuccessBodyIsAJsonError) {
  Fixture f([](const HttpRequest&) { return ok("<html>"); });
  EXPECT_THROW((void)f.client.get_item({.table_name = "t", .key = key("a")}), JsonError);
}

TEST(DynamoDbClientTest, ParsesStreamRecords) {
  Fixture f([](const HttpRequest&) {
    return ok(
        R"({"NextShardIterator":"it2","Records":[{"eventID":"e1","eventName":"MODIFY",)"
        R"("eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"us-east-1",)"
        R"("dynamodb":{"ApproximateCreationDateTime":1.7E9,"Keys":{"pk":{"S":"a"}},)"
        R"("NewImage":{"pk":{"S":"a"},"n":{"N":"2"}},"OldImage":{"pk":{"S":"a"},"n":{"N":"1"}},)"
        R"("SequenceNumber":"000001","SizeBytes":20,"StreamViewType":"NEW_AND_OLD_IMAGES"}}]})");
  });
  auto result = f.client.get_records({.shard_iterator = "it"});
  EXPECT_EQ(header(f.transport->requests.at(0), "X-Amz-Target"),
            "DynamoDBStreams_20120810.GetRecords");
  ASSERT_EQ(result.records.size(), 1u);
  EXPECT_EQ(result.records[0].event_name, "MODIFY");
  EXPECT_EQ(result.records[0].keys.at("pk").as_string(), "a");
  EXPECT_EQ(result.records[0].new_image->at("n").as_int64(), 2);
  EXPECT_EQ(result.records[0].old_image->at("n").as_int64(), 1);
  EXPECT_EQ(result.records[0].size_bytes, 20);
  EXPECT_EQ(result.records[0].approximate_creation_ms, 1'700'000'000'000);
  EXPECT_EQ(result.next_shard_iterator, "it2");
}

}  // namespace
}  // namespace zae::aws
