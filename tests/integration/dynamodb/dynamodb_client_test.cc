// SPDX-License-Identifier: MIT
// DynamoDbClient over CurlTransport and SocketTransport: every operation against DynamoDB Local,
// and fault tests (CurlTransport) against a loopback server that resets, stalls or answers with
// errors.
#include "aws/dynamodb_client.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/curl_transport.h"
#include "aws/socket_transport.h"
#include "support/http_test_server.h"

namespace zae::aws {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

AttributeValue s(std::string v) { return AttributeValue::of_string(std::move(v)); }
AttributeValue n(std::string_view v) { return AttributeValue::of_number(Number::parse(v)); }

std::string unique_table_name(std::string_view what) {
  static std::atomic<int> counter{0};
  static const auto salt = std::random_device{}();
  return "zae_it_" + std::string(what) + "_" + std::to_string(salt % 100000) + "_" +
         std::to_string(++counter);
}

enum class TransportKind { kCurl, kSocket };

std::string_view name_of(TransportKind kind) {
  return kind == TransportKind::kCurl ? "Curl" : "Socket";
}

void PrintTo(TransportKind kind, std::ostream* os) { *os << name_of(kind); }

class DynamoDbLocalTest : public ::testing::TestWithParam<TransportKind> {
 protected:
  void SetUp() override {
    const char* endpoint = std::getenv("ZAE_TEST_DYNAMODB_ENDPOINT");
    if (endpoint == nullptr || *endpoint == '\0') {
      GTEST_SKIP() << "ZAE_TEST_DYNAMODB_ENDPOINT is not set (run under scripts/dynamodb-local.sh "
                      "run -- ...)";
    }
    client_ = std::make_unique<DynamoDbClient>(DynamoDbClientConfig{
        .endpoint = endpoint,
        .region = "us-east-1",
        .credentials = static_credentials({"local", "local", ""}),
        .transport = GetParam() == TransportKind::kCurl
                         ? std::shared_ptr<HttpTransport>(std::make_shared<CurlTransport>())
                         : std::make_shared<SocketTransport>(),
    });
  }

  void TearDown() override {
    for (const auto& table : tables_) {
      try {
        (void)client_->delete_table(table);
      } catch (const AwsError& e) {
        ADD_FAILURE() << "cleanup of " << table << ": " << e.what();
      }
    }
  }

  // A table with a string partition key "pk" and, when `sort_key` is set, a number sort key "sk".
  std::string create_table(std::string_view what, bool sort_key = false,
                           std::optional<StreamSpecification> stream = std::nullopt) {
    CreateTableRequest request{.table_name = unique_table_name(what),
                               .attribute_definitions = {{"pk", "S"}},
                               .key_schema = {{"pk", KeyType::kHash}},
                               .stream_specification = stream};
    if (sort_key) {
      request.attribute_definitions.push_back({"sk", "N"});
      request.key_schema.push_back({"sk", KeyType::kRange});
    }
    TableDescription t = client_->create_table(request);
    tables_.push_back(t.table_name);
    return t.table_name;
  }

  DynamoDbClient& client() { return *client_; }

 private:
  std::unique_ptr<DynamoDbClient> client_;
  std::vector<std::string> tables_;
};

AttributeMap key(std::string pk) { return {{"pk", s(std::move(pk))}}; }

TEST_P(DynamoDbLocalTest, ControlPlaneLifecycle) {
  CreateTableRequest request{
      .table_name = unique_table_name("control"),
      .attribute_definitions = {{"pk", "S"}, {"gsi", "S"}},
      .key_schema = {{"pk", KeyType::kHash}},
      .global_secondary_indexes = {{.name = "by_gsi", .key_schema = {{"gsi", KeyType::kHash}}}},
      .tags = {{"team", "zae"}}};
  TableDescription created = client().create_table(request);
  EXPECT_EQ(created.table_name, request.table_name);
  EXPECT_FALSE(created.table_arn.empty());

  TableDescription described = client().describe_table(request.table_name);
  EXPECT_EQ(described.table_status, "ACTIVE");
  EXPECT_EQ(described.key_schema, (std::vector<KeySchemaElement>{{"pk", KeyType::kHash}}));
  ASSERT_EQ(described.global_secondary_indexes.size(), 1u);
  EXPECT_EQ(described.global_secondary_indexes[0].name, "by_gsi");

  std::vector<std::string> names;
  ListTablesRequest page{.limit = 100};
  do {
    ListTablesResult result = client().list_tables(page);
    names.insert(names.end(), result.table_names.begin(), result.table_names.end());
    page.exclusive_start_table_name = result.last_evaluated_table_name;
  } while (!page.exclusive_start_table_name.empty());
  EXPECT_THAT(names, ::testing::Contains(request.table_name));

  TableDescription updated = client().update_table(
      {.table_name = request.table_name,
       .stream_specification = StreamSpecification{.view_type = StreamViewType::kKeysOnly}});
  EXPECT_EQ(updated.table_name, request.table_name);

  EXPECT_EQ(client().update_time_to_live(request.table_name, "ttl", true).status, "ENABLED");
  TimeToLiveDescription ttl = client().describe_time_to_live(request.table_name);
  EXPECT_EQ(ttl.status, "ENABLED");
  EXPECT_EQ(ttl.attribute_name, "ttl");

  // DynamoDB Local 2.6 does not implement UpdateContinuousBackups: it answers
  // UnknownOperationException, which proves the request was signed, routed and parsed as an error.
  try {
    ContinuousBackupsDescription backups =
        client().update_continuous_backups(request.table_name, true);
    EXPECT_EQ(backups.point_in_time_recovery_status, "ENABLED");
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.code(), "UnknownOperationException") << e.what();
  }

  const std::vector<Tag> tags = {{"env", "test"}};
  // DynamoDB Local: "Tagging is not currently supported in DynamoDB Local."
  try {
    client().tag_resource(created.table_arn, tags);
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.code(), "UnknownOperationException") << e.what();
  }

  EXPECT_EQ(client().delete_table(request.table_name).table_name, request.table_name);
  EXPECT_THROW((void)client().describe_table(request.table_name), ResourceNotFoundError);
}

TEST_P(DynamoDbLocalTest, ItemRoundTripsWithReturnValuesAndConsumedCapacity) {
  const std::string table = create_table("items");
  AttributeMap item = {{"pk", s("a")},
                       {"n", n("1")},
                       {"b", AttributeValue::of_binary(std::string("\0\xff", 2))},
                       {"l", AttributeValue::of_list({s("x"), AttributeValue::of_bool(true)})},
                       {"m", AttributeValue::of_map({{"k", AttributeValue::null()}})},
                       {"ss", AttributeValue::of_string_set({"p", "q"})}};
  WriteItemResult put =
      client().put_item({.table_name = table,
                         .item = item,
                         .return_consumed_capacity = ReturnConsumedCapacity::kTotal});
  ASSERT_TRUE(put.consumed_capacity);
  EXPECT_EQ(put.consumed_capacity->table_name, table);
  EXPECT_GT(put.consumed_capacity->capacity_units, 0);

  GetItemResult got =
      client().get_item({.table_name = table,
                         .key = key("a"),
                         .consistency = ReadConsistency::kStrong,
                         .return_consumed_capacity = ReturnConsumedCapacity::kTotal});
  ASSERT_TRUE(got.item);
  EXPECT_EQ(*got.item, item);
  EXPECT_TRUE(got.consumed_capacity);

  WriteItemResult updated = client().update_item({.table_name = table,
                                                  .key = key("a"),
                                                  .update_expression = "ADD #n :d",
                                                  .expression_attribute_names = {{"#n", "n"}},
                                                  .expression_attribute_values = {{":d", n("41")}},
                                                  .return_values = ReturnValues::kUpdatedNew});
  EXPECT_EQ(updated.attributes->at("n").as_int64(), 42);

  WriteItemResult deleted = client().delete_item(
      {.table_name = table, .key = key("a"), .return_values = ReturnValues::kAllOld});
  EXPECT_EQ(deleted.attributes->at("n").as_int64(), 42);
  EXPECT_FALSE(client().get_item({.table_name = table, .key = key("a")}).item);
}

TEST_P(DynamoDbLocalTest, ConditionalUpdateFailureReturnsTheOldItem) {
  const std::string table = create_table("cond");
  client().put_item({.table_name = table, .item = {{"pk", s("a")}, {"tokens", n("3")}}});
  UpdateItemRequest take{
      .table_name = table,
      .key = key("a"),
      .update_expression = "ADD tokens :neg",
      .condition_expression = "tokens >= :want",
      .expression_attribute_values = {{":neg", n("-5")}, {":want", n("5")}},
      .return_values = ReturnValues::kAllNew,
      .return_values_on_condition_check_failure = ReturnValuesOnConditionCheckFailure::kAllOld};
  Outcome<WriteItemResult> outcome = client().try_update_item(take);
  ASSERT_TRUE(outcome.is_condition_failure());
  ASSERT_TRUE(outcome.condition_failure().old_item);
  EXPECT_EQ(outcome.condition_failure().old_item->at("tokens").as_int64(), 3);
  try {
    (void)client().update_item(take);
    FAIL() << "no ConditionalCheckFailedError";
  } catch (const ConditionalCheckFailedError& e) {
    EXPECT_EQ(e.code(), "ConditionalCheckFailedException");
    ASSERT_TRUE(e.old_item());
    EXPECT_EQ(e.old_item()->at("tokens").as_int64(), 3);
  }
}

TEST_P(DynamoDbLocalTest, ConcurrentUpdatesApplyEach) {
  const std::string table = create_table("cascade");
  std::vector<UpdateItemRequest> updates;
  for (const char* pk : {"child", "parent"}) {
    updates.push_back({.table_name = table,
                       .key = key(pk),
                       .update_expression = "ADD tokens :d",
                       .expression_attribute_values = {{":d", n("7")}},
                       .return_values = ReturnValues::kAllNew});
  }
  std::vector<ConcurrentUpdate> results = client().try_update_items(updates);
  ASSERT_EQ(results.size(), 2u);
  for (auto& r : results) {
    ASSERT_TRUE(r.outcome) << "error";
    EXPECT_EQ(r.outcome->value().attributes->at("tokens").as_int64(), 7);
  }
}

TEST_P(DynamoDbLocalTest, CancelledTransactionReportsReasonsAndItems) {
  const std::string table = create_table("tx");
  client().transact_write_items(
      {.items = {TransactPut{.table_name = table, .item = {{"pk", s("a")}, {"v", n("1")}}},
                 TransactPut{.table_name = table, .item = {{"pk", s("b")}, {"v", n("2")}}}}});
  TransactGetItemsResult read = client().transact_get_items(
      {.items = {{.table_name = table, .key = key("a")}, {.table_name = table, .key = key("zz")}}});
  ASSERT_EQ(read.items.size(), 2u);
  EXPECT_EQ(read.items[0]->at("v").as_int64(), 1);
  EXPECT_FALSE(read.items[1]);

  TransactWriteItemsRequest doomed{
      .items = {TransactUpdate{.table_name = table,
                               .key = key("a"),
                               .update_expression = "SET v = :nine",
                               .expression_attribute_values = {{":nine", n("9")}}},
                TransactConditionCheck{.table_name = table,
                                       .key = key("b"),
                                       .condition_expression = "v = :one",
                                       .expression_attribute_values = {{":one", n("1")}},
                                       .return_values_on_condition_check_failure =
                                           ReturnValuesOnConditionCheckFailure::kAllOld}}};
  Outcome<TransactWriteItemsResult> outcome = client().try_transact_write_items(doomed);
  ASSERT_TRUE(outcome.is_transaction_cancellation());
  const auto& reasons = outcome.transaction_cancellation().reasons;
  ASSERT_EQ(reasons.size(), 2u);
  EXPECT_EQ(reasons[0].code, "None");
  EXPECT_EQ(reasons[1].code, "ConditionalCheckFailed");
  ASSERT_TRUE(reasons[1].item);
  EXPECT_EQ(reasons[1].item->at("v").as_int64(), 2);
  EXPECT_THROW((void)client().transact_write_items(doomed), TransactionCanceledError);
  EXPECT_EQ(client().get_item({.table_name = table, .key = key("a")}).item->at("v").as_int64(), 1);
}

TEST_P(DynamoDbLocalTest, BatchGetsOneHundredKeysAndChunksTwoHundredFifty) {
  const std::string table = create_table("batch");
  BatchWriteItemRequest writes;
  for (int i = 0; i < 250; ++i) {
    writes.request_items[table].push_back(WriteRequest::put(
        {{"pk", s("k" + std::to_string(i))}, {"i", AttributeValue::of_int64(i)}}));
  }
  BatchWriteItemResult written = client().batch_write_item(writes);
  EXPECT_TRUE(written.unprocessed_items.empty());

  BatchGetItemRequest hundred;
  for (int i = 0; i < 100; ++i) {
    hundred.request_items[table].keys.push_back(key("k" + std::to_string(i)));
  }
  BatchGetItemResult got = client().batch_get_item(hundred);
  EXPECT_EQ(got.responses[table].size(), 100u);

  BatchGetItemRequest all{.return_consumed_capacity = ReturnConsumedCapacity::kTotal};
  for (int i = 0; i < 250; ++i) {
    all.request_items[table].keys.push_back(key("k" + std::to_string(i)));
  }
  all.request_items[table].projection_expression = "i";
  got = client().batch_get_item(all);
  ASSERT_EQ(got.responses[table].size(), 250u);
  std::int64_t sum = 0;
  for (const auto& item : got.responses[table]) {
    sum += item.at("i").as_int64();
    EXPECT_FALSE(item.contains("pk"));  // projected away
  }
  EXPECT_EQ(sum, 249 * 250 / 2);
  EXPECT_GE(got.consumed_capacity.size(), 3u);

  BatchWriteItemRequest deletes;
  for (int i = 0; i < 30; ++i) {
    deletes.request_items[table].push_back(WriteRequest::erase(key("k" + std::to_string(i))));
  }
  (void)client().batch_write_item(deletes);
  EXPECT_EQ(client().scan_all({.table_name = table}).count, 220);
}

TEST_P(DynamoDbLocalTest, QueryPaginatesOverOneMegabytePages) {
  const std::string table = create_table("pages", /*sort_key=*/true);
  const std::string blob(100 * 1024, 'x');
  BatchWriteItemRequest writes;
  for (int i = 0; i < 25; ++i) {
    writes.request_items[table].push_back(WriteRequest::put(
        {{"pk", s("p")}, {"sk", AttributeValue::of_int64(i)}, {"blob", s(blob)}}));
  }
  ASSERT_TRUE(client().batch_write_item(writes).unprocessed_items.empty());

  QueryRequest request{.table_name = table,
                       .key_condition_expression = "pk = :p",
                       .expression_attribute_values = {{":p", s("p")}}};
  QueryResult first = client().query(request);
  ASSERT_TRUE(first.last_evaluated_key) << "a 2.5 MB partition fits no 1 MB page";
  EXPECT_LT(first.items.size(), 25u);
  EXPECT_GT(first.items.size(), 0u);

  QueryResult all = client().query_all(request);
  EXPECT_GE(all.pages, 3);
  ASSERT_EQ(all.items.size(), 25u);
  for (int i = 0; i < 25; ++i) {
    EXPECT_EQ(all.items[i].at("sk").as_int64(), i);
    EXPECT_EQ(all.items[i].at("blob").as_string().size(), blob.size());
  }
  request.scan_index_forward = false;
  request.limit = 2;
  QueryResult last_two = client().query(request);
  ASSERT_EQ(last_two.items.size(), 2u);
  EXPECT_EQ(last_two.items[0].at("sk").as_int64(), 24);

  QueryResult scanned = client().scan_all({.table_name = table, .projection_expression = "sk"});
  EXPECT_EQ(scanned.count, 25);
}

TEST_P(DynamoDbLocalTest, ThirtyEightDigitNumbersRoundTripExactly) {
  const std::string table = create_table("numbers");
  const std::vector<std::string> values = {
      "12345678901234567890123456789012345678", "-99999999999999999999999999999999999999",
      "0.12345678901234567890123456789012345678", "1234567890123456789.0123456789012345678"};
  AttributeMap item = {{"pk", s("big")}};
  for (std::size_t i = 0; i < values.size(); ++i) {
    item.set("n" + std::to_string(i), n(values[i]));
  }
  item.set("set", AttributeValue::of_number_set({Number::parse(values[0]), Number::parse("1")}));
  client().put_item({.table_name = table, .item = item});
  AttributeMap got = *client().get_item({.table_name = table, .key = key("big")}).item;
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(got.at("n" + std::to_string(i)).as_number().text(), values[i]);
  }
  WriteItemResult added = client().update_item({.table_name = table,
                                                .key = key("big"),
                                                .update_expression = "ADD n0 :one",
                                                .expression_attribute_values = {{":one", n("1")}},
                                                .return_values = ReturnValues::kUpdatedNew});
  EXPECT_EQ(added.attributes->at("n0").as_number().text(),
            "12345678901234567890123456789012345679");
}

TEST_P(DynamoDbLocalTest, StreamDeliversInsertModifyRemove) {
  const std::string table = create_table("stream", false, StreamSpecification{});
  client().put_item({.table_name = table, .item = {{"pk", s("a")}, {"v", n("1")}}});
  client().update_item({.table_name = table,
                        .key = key("a"),
                        .update_expression = "SET v = :two",
                        .expression_attribute_values = {{":two", n("2")}}});
  client().delete_item({.table_name = table, .key = key("a")});

  ListStreamsResult streams = client().list_streams({.table_name = table});
  ASSERT_EQ(streams.streams.size(), 1u);
  EXPECT_EQ(client().describe_table(table).latest_stream_arn, streams.streams[0].stream_arn);
  StreamDescription stream =
      client().describe_stream({.stream_arn = streams.streams[0].stream_arn});
  EXPECT_EQ(stream.stream_view_type, "NEW_AND_OLD_IMAGES");
  EXPECT_EQ(stream.table_name, table);
  ASSERT_FALSE(stream.shards.empty());

  std::vector<StreamRecord> records;
  for (const Shard& shard : stream.shards) {
    std::optional<std::string> iterator =
        client().get_shard_iterator({.stream_arn = stream.stream_arn,
                                     .shard_id = shard.shard_id,
                                     .type = ShardIteratorType::kTrimHorizon});
    // An open shard always hands out a next iterator: stop at an empty page.
    for (int pages = 0; iterator && pages < 10; ++pages) {
      GetRecordsResult page = client().get_records({.shard_iterator = *iterator});
      records.insert(records.end(), page.records.begin(), page.records.end());
      if (page.records.empty()) {
        break;
      }
      iterator = page.next_shard_iterator;
    }
  }
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].event_name, "INSERT");
  EXPECT_EQ(records[0].new_image->at("v").as_int64(), 1);
  EXPECT_FALSE(records[0].old_image);
  EXPECT_EQ(records[1].event_name, "MODIFY");
  EXPECT_EQ(records[1].old_image->at("v").as_int64(), 1);
  EXPECT_EQ(records[1].new_image->at("v").as_int64(), 2);
  EXPECT_EQ(records[2].event_name, "REMOVE");
  EXPECT_EQ(records[2].keys.at("pk").as_string(), "a");
  EXPECT_EQ(records[2].old_image->at("v").as_int64(), 2);
}

TEST_P(DynamoDbLocalTest, ServiceErrorsAreTypedAndMalformedBodiesAreClear) {
  const std::string table = create_table("errors");
  try {
    (void)client().update_item({.table_name = table, .key = key("a"), .update_expression = "SET"});
    FAIL() << "no ServiceError";
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.code(), "ValidationException");
    EXPECT_EQ(e.http_status(), 400);
    EXPECT_FALSE(e.message().empty());
  }
  EXPECT_THROW((void)client().get_item({.table_name = table + "_missing", .key = key("a")}),
               ResourceNotFoundError);
  try {
    (void)client().invoke(DynamoDbClient::Api::kDynamoDb, "GetItem", "{not json",
                          Idempotency::kIdempotent);
    FAIL() << "no ServiceError";
  } catch (const ServiceError& e) {
    EXPECT_GE(e.http_status(), 400);
    EXPECT_THAT(e.what(), HasSubstr("DynamoDB GetItem"));
  }
}

// Fault tests: a loopback server standing in for DynamoDB.
struct FaultFixture {
  explicit FaultFixture(test::HttpTestServer::Handler handler, test::HttpTestFaults faults = {})
      : server(std::move(handler), faults),
        client(DynamoDbClientConfig{
            .endpoint = server.url(),
            .credentials = static_credentials({"AKID", "SECRET", ""}),
            .transport = std::make_shared<CurlTransport>(
                CurlTransportOptions{.connect_timeout = milliseconds(1000)}),
            .retry = {.backoff = BackoffPolicy({.base = milliseconds(1), .cap = milliseconds(5)})},
            .attempt_timeout = milliseconds(300),
        }) {}
  test::HttpTestServer server;
  DynamoDbClient client;
};

test::HttpTestResponse empty_ok(const test::HttpTestRequest&) {
  return {.status = 200, .body = "{}"};
}

GetItemRequest get_a() { return {.table_name = "t", .key = key("a")}; }
UpdateItemRequest add_a() {
  return {.table_name = "t",
          .key = key("a"),
          .update_expression = "ADD n :d",
          .expression_attribute_values = {{":d", n("1")}}};
}

INSTANTIATE_TEST_SUITE_P(Transports, DynamoDbLocalTest,
                         ::testing::Values(TransportKind::kCurl, TransportKind::kSocket),
                         [](const ::testing::TestParamInfo<TransportKind>& info) {
                           return std::string(name_of(info.param));
                         });

TEST(DynamoDbFaultTest, ResetConnectionsAreRetriedThenReported) {
  FaultFixture f(empty_ok, {.accept_mode = test::HttpTestAcceptMode::kReset});
  try {
    (void)f.client.get_item(get_a());
    FAIL() << "no NetworkError";
  } catch (const NetworkError& e) {
    EXPECT_THAT(e.what(), HasSubstr("DynamoDB GetItem"));
    EXPECT_THAT(e.what(), HasSubstr("3 attempts"));
  }
  EXPECT_GE(f.server.connections(), 3u);
}

TEST(DynamoDbFaultTest, StalledServerTimesOutEachAttempt) {
  FaultFixture f(empty_ok, {.accept_mode = test::HttpTestAcceptMode::kStall});
  const auto start = std::chrono::steady_clock::now();
  try {
    (void)f.client.get_item(get_a());
    FAIL() << "no NetworkError";
  } catch (const NetworkError& e) {
    EXPECT_EQ(e.kind(), NetworkErrorKind::kTimeout);
    EXPECT_THAT(e.what(), HasSubstr("3 attempts"));
  }
  EXPECT_EQ(f.server.connections(), 3u);
  // Bounded by the attempt deadline: three 300 ms attempts, far from any default timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(DynamoDbFaultTest, NonIdempotentUpdateIsNotResentAfterATimeout) {
  FaultFixture f(empty_ok, {.accept_mode = test::HttpTestAcceptMode::kStall});
  try {
    (void)f.client.update_item(add_a());
    FAIL() << "no NetworkError";
  } catch (const NetworkError& e) {
    EXPECT_EQ(e.kind(), NetworkErrorKind::kTimeout);
    EXPECT_THAT(e.what(), HasSubstr("not idempotent"));
  }
  EXPECT_EQ(f.server.connections(), 1u);
}

TEST(DynamoDbFaultTest, RefusedConnectionIsRetriedEvenWhenNotIdempotent) {
  std::string url;
  {
    test::HttpTestServer gone(empty_ok);
    url = gone.url();
  }
  DynamoDbClient client({.endpoint = url,
                         .credentials = static_credentials({"A", "B", ""}),
                         .transport = std::make_shared<CurlTransport>(),
                         .retry = {.backoff = BackoffPolicy({.base = milliseconds(1)})}});
  try {
    (void)client.update_item(add_a());
    FAIL() << "no NetworkError";
  } catch (const NetworkError& e) {
    EXPECT_EQ(e.kind(), NetworkErrorKind::kConnect);
    EXPECT_THAT(e.what(), HasSubstr("3 attempts"));
  }
}

TEST(DynamoDbFaultTest, HtmlServerErrorsAreRetriedAndReportedClearly) {
  FaultFixture f([](const test::HttpTestRequest&) {
    return test::HttpTestResponse{.status = 500,
                                  .headers = {{"Content-Type", "text/html"}},
                                  .body = "<html><h2>HTTP ERROR 500</h2></html>"};
  });
  try {
    (void)f.client.get_item(get_a());
    FAIL() << "no ServiceError";
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.http_status(), 500);
    EXPECT_THAT(e.what(), HasSubstr("unparseable error body (text/html)"));
  }
  EXPECT_EQ(f.server.requests(), 3u);
}

TEST(DynamoDbFaultTest, ThrottlingThenSuccess) {
  std::atomic<int> calls{0};
  FaultFixture f([&calls](const test::HttpTestRequest& r) {
    EXPECT_EQ(r.header("X-Amz-Target"), "DynamoDB_20120810.UpdateItem");
    if (++calls < 3) {
      return test::HttpTestResponse{
          .status = 400,
          .headers = {{"x-amzn-RequestId", "R" + std::to_string(calls.load())}},
          .body =
              R"({"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"})"};
    }
    return test::HttpTestResponse{.status = 200, .body = R"({"Attributes":{"n":{"N":"1"}}})"};
  });
  // A non-idempotent update may be resent after throttling: DynamoDB did not apply it.
  auto outcome = f.client.try_update_item(add_a());
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(calls.load(), 3);
}

}  // namespace
}  // namespace zae::aws
