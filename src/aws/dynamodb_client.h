// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "aws/attribute_value.h"
#include "aws/dynamodb_errors.h"
#include "aws/http.h"
#include "aws/retry.h"
#include "aws/sigv4.h"

// A DynamoDB client over the JSON protocol (DynamoDB_20120810 and DynamoDBStreams_20120810):
// typed requests and results, SigV4 on every attempt, retries by the policies of retry.h.
//
// Error contract of every operation: throws ServiceError (or its subclasses, see
// dynamodb_errors.h) for an error response, NetworkError when no response arrived after the
// retries, JsonError when a 2xx body is not the expected shape, SigningError/EncodingError for a
// request that cannot be sent. The try_ forms return the expected write failures as Outcome<T>.
namespace zae::aws {

// Where credentials come from, asked once per attempt. Must be thread-safe. A credentials
// provider adapts as [p] { return p->credentials(); }.
using CredentialsFunction = std::function<Credentials()>;

// Always the same credentials (DynamoDB Local accepts any).
CredentialsFunction static_credentials(Credentials credentials);

// Capacity a request consumed, when ReturnConsumedCapacity asked for it.
struct ConsumedCapacity {
  std::string table_name = {};
  double capacity_units = 0;
  double read_capacity_units = 0;
  double write_capacity_units = 0;
};

struct DynamoDbClientConfig {
  // "http://127.0.0.1:8000" or "https://dynamodb.eu-west-1.amazonaws.com" (scheme, host,
  // optional port; a path is not allowed). Empty: https://dynamodb.<region>.amazonaws.com.
  std::string endpoint = {};
  // The Streams endpoint. Empty: `endpoint` when that is set (DynamoDB Local serves both),
  // otherwise https://streams.dynamodb.<region>.amazonaws.com.
  std::string streams_endpoint = {};
  std::string region = "us-east-1";
  CredentialsFunction credentials = {};
  std::shared_ptr<HttpTransport> transport = {};
  RetryOptions retry = {};
  // The time requests are signed with. Empty: std::chrono::system_clock::now.
  std::function<std::chrono::system_clock::time_point()> clock = {};
  // Deadline of one attempt (connect + send + receive). Zero: the transport's default.
  std::chrono::milliseconds attempt_timeout{0};
  // How many times BatchGetItem / BatchWriteItem resend unprocessed keys or items (with backoff)
  // before returning them to the caller in the result.
  int max_unprocessed_rounds = 8;
  // Capacity accounting for benchmarks and cost reports: when set, every DynamoDB request that
  // does not ask for ReturnConsumedCapacity asks for TOTAL, and this is called (from the calling
  // thread) with the operation name and every ConsumedCapacity a successful response reports. DynamoDB reports none for
  // a request that fails (a failed condition still consumes write capacity). Costs a second
  // parse of each response; leave empty on the hot path.
  std::function<void(std::string_view operation, const ConsumedCapacity&)> capacity_observer = {};
};

enum class ReturnValues { kNone, kAllOld, kUpdatedOld, kAllNew, kUpdatedNew };
enum class ReturnValuesOnConditionCheckFailure { kNone, kAllOld };
enum class ReturnConsumedCapacity { kNone, kTotal, kIndexes };
enum class ReadConsistency { kEventual, kStrong };

// "#n" -> "attribute name" substitutions of an expression.
using ExpressionNames = std::vector<std::pair<std::string, std::string>>;
// ":v" -> value substitutions of an expression.
using ExpressionValues = AttributeMap;

struct GetItemRequest {
  std::string table_name = {};
  AttributeMap key = {};
  ReadConsistency consistency = ReadConsistency::kEventual;
  std::string projection_expression = {};
  ExpressionNames expression_attribute_names = {};
  ReturnConsumedCapacity return_consumed_capacity = ReturnConsumedCapacity::kNone;
};
struct GetItemResult {
  // Absent when no item has the key.
  std::optional<AttributeMap> item = {};
  std::optional<ConsumedCapacity> consumed_capacity = {};
};

struct PutItemRequest {
  std::string table_name = {};
  AttributeMap item = {};
  std::string condition_expression = {};
  ExpressionNames expression_attribute_names = {};
  ExpressionValues expression_attribute_values = {};
  // kNone or kAllOld.
  ReturnValues return_values = ReturnValues::kNone;
  ReturnValuesOnConditionCheckFailure return_values_on_condition_check_failure =
      ReturnValuesOnConditionCheckFailure::kNone;
  ReturnConsumedCapacity return_consumed_capacity = ReturnConsumedCapacity::kNone;
  // A replayed put writes the same item again, so puts are retried after any transient failure.
  // Mark a conditional put kNonIdempotent when its caller reads a failed condition as someone
  // else's write: a replay after a lost answer fails against the put's own first write.
  Idempotency idempotency = Idempotency::kIdempotent;
};

struct UpdateItemRequest {
  std::string table_name = {};
  AttributeMap key = {};
  std::string update_expression = {};
  std::string condition_expression = {};
  ExpressionNames expression_attribute_names = {};
  ExpressionValues expression_attribute_values = {};
  ReturnValues return_values = ReturnValues::kNone;
  ReturnValuesOnConditionCheckFailure return_values_on_condition_check_failure =
      ReturnValuesOnConditionCheckFailure::kNone;
  ReturnConsumedCapacity return_consumed_capacity = ReturnConsumedCapacity::kNone;
  // UpdateItem is treated as not idempotent (ADD, SET a = a + :d): see retry.h. Mark an update
  // kIdempotent when replaying it is harmless (it only SETs constants).
  Idempotency idempotency = Idempotency::kNonIdempotent;
};

struct DeleteItemRequest {
  std::string table_name = {};
  AttributeMap key = {};
  std::string condition_expression = {};
  ExpressionNames expression_attribute_names = {};
  ExpressionValues expression_attribute_values = {};
  // kNone or kAllOld.
  ReturnValues return_values = ReturnValues::kNone;
  ReturnValuesOnConditionCheckFailure return_values_on_condition_check_failure =
      ReturnValuesOnConditionCheckFailure::kNone;
  ReturnConsumedCapacity return_consumed_capacity = ReturnConsumedCapacity::kNone;
};

// The result of PutItem, UpdateItem and DeleteItem.
struct WriteItemResult {
  // The attributes ReturnValues asked for; absent with kNone (or no old item).
  std::optional<AttributeMap> attributes = {};
  std::optional<ConsumedCapacity> consumed_capacity = {};
};

// The keys of one table in BatchGetItem, and how to read them.
struct KeysAndAttributes {
  std::vector<AttributeMap> keys = {};
  ReadConsistency consistency = ReadConsistency::kEventual;
  std::string projection_expression = {};
  ExpressionNames expression_attribute_names = {};
};
struct BatchGetItemRequest {
  // Table name -> keys. Any number of keys: the client sends them 100 per call.
  std::map<std::string, KeysAndAttributes> request_items = {};
  ReturnConsumedCapacity return_consumed_capacity = ReturnConsumedCapacity::kNone;
};
struct BatchGetItemResult {
  // Table name -> the items found, in no particular order (missing keys are simply absent).
  std::map<std::string, std::vector<AttributeMap>> responses = {};
  // Keys still unprocessed after max_unprocessed_rounds resends; usually empty.
  std::map<std::string, std::vector<AttributeMap>> unprocessed_keys = {};
  std::vector<ConsumedCapacity> consumed_capacity = {};
};

// One put or delete of BatchWriteItem.
struct WriteRequest {
  enum class Kind { kPut, kDelete };
  static WriteRequest put(AttributeMap item) { return {Kind::kPut, std::move(item)}; }
  static WriteRequest erase(AttributeMap key) { return {Kind::kDelete, std::move(key)}; }
  Kind kind = Kind::kPut;
  // The item for kPut, the key for kDelete.
  AttributeMap attributes = {};
};
struct BatchWriteItemRequest {
  // Table name -> writes. Any number: the client sends them 25 per call.
  std::map<std::string, std::vector<WriteRequest>> request_items = {};
  ReturnConsumedCapacity return_consumed_capacity = ReturnConsumedCapacity::kNone;
};
struct BatchWriteItemResult {
  // Writes still unprocessed after max_unprocessed_rounds resends; usually empty.
  std::map<std::string, std::vector<WriteRequest>> unprocessed_items = {};
  std::vector<ConsumedCapacity> consumed_capacity = {};
};

// The actions of TransactWriteItems.
struct TransactConditionCheck {
  std::string table_name = {};
  AttributeMap key = {};
  std::string condition_expression = {};
  ExpressionNames expression_attribute_names = {};
  ExpressionValues expression_attribute_values = {};
  ReturnValuesOnConditionCheckFailure return_values_on_condition_check_failure =
      ReturnValuesOnConditionCheckFailure::kNone;
};
struct TransactPut {
  std::string table_name = {};
  AttributeMap item = {};
  std::string condition_expression = {};
  ExpressionNames expression_attribute_names = {};
  ExpressionValues expression_attribute_values = {};
  ReturnValuesOnConditionCheckFailure return_values_on_condition_check_failure =
      ReturnValuesOnConditionCheckFailure::kNone;
};
struct TransactUpdate {
  std::string table_name = {};
  AttributeMap key = {};
  std::string update_expression = {};
  std::string condition_expression = {};
  ExpressionNames expression_attribute_names = {};
  ExpressionValues expression_attribute_values = {};
  ReturnValuesOnConditionCheckFailure return_values_on_condition_check_failure =
      ReturnValuesOnConditionCheckFailure::kNone;
};
struct TransactDelete {
  std::string table_name = {};
  AttributeMap key = {};
  std::string condition_expression = {};
  ExpressionNames expression_attribute_names = {};
  ExpressionValues expression_attribute_values = {};
  ReturnValuesOnConditionCheckFailure return_values_on_condition_check_failure =
      ReturnValuesOnConditionCheckFailure::kNone;
};
using TransactWriteItem =
    std::variant<TransactConditionCheck, TransactPut, TransactUpdate, TransactDelete>;

struct TransactWriteItemsRequest {
  // At most 100 actions, on distinct items.
  std::vector<TransactWriteItem> items = {};
  // Makes retries idempotent for 10 minutes. Empty: the client generates one per call and sends
  // it on every attempt of that call.
  std::string client_request_token = {};
  ReturnConsumedCapacity return_consumed_capacity = ReturnConsumedCapacity::kNone;
};
struct TransactWriteItemsResult {
  std::vector<ConsumedCapacity> consumed_capacity = {};
};

struct TransactGetItem {
  std::string table_name = {};
  AttributeMap key = {};
  std::string projection_expression = {};
  ExpressionNames expression_attribute_names = {};
};
struct TransactGetItemsRequest {
  // At most 100.
  std::vector<TransactGetItem> items = {};
  ReturnConsumedCapacity return_consumed_capacity = ReturnConsumedCapacity::kNone;
};
struct TransactGetItemsResult {
  // One entry per requested item, in request order; nullopt where no item has the key.
  std::vector<std::optional<AttributeMap>> items = {};
  std::vector<ConsumedCapacity> consumed_capacity = {};
};

struct QueryRequest {
  std::string table_name = {};
  std::string index_name = {};
  std::string key_condition_expression = {};
  std::string filter_expression = {};
  std::string projection_expression = {};
  ExpressionNames expression_attribute_names = {};
  ExpressionValues expression_attribute_values = {};
  ReadConsistency consistency = ReadConsistency::kEventual;
  // false: descending sort key order.
  bool scan_index_forward = true;
  // Items evaluated per page at most; DynamoDB also ends a page at 1 MB.
  std::optional<std::int32_t> limit = {};
  // Where the page starts: a previous page's last_evaluated_key.
  std::optional<AttributeMap> exclusive_start_key = {};
  ReturnConsumedCapacity return_consumed_capacity = ReturnConsumedCapacity::kNone;
};
struct ScanRequest {
  std::string table_name = {};
  std::string index_name = {};
  std::string filter_expression = {};
  std::string projection_expression = {};
  ExpressionNames expression_attribute_names = {};
  ExpressionValues expression_attribute_values = {};
  ReadConsistency consistency = ReadConsistency::kEventual;
  std::optional<std::int32_t> limit = {};
  std::optional<AttributeMap> exclusive_start_key = {};
  // Parallel scan: this worker's segment of total_segments.
  std::optional<std::int32_t> segment = {};
  std::optional<std::int32_t> total_segments = {};
  ReturnConsumedCapacity return_consumed_capacity = ReturnConsumedCapacity::kNone;
};
// One page of Query or Scan, or (from query_all / scan_all) every page concatenated.
struct QueryResult {
  std::vector<AttributeMap> items = {};
  std::int64_t count = 0;
  std::int64_t scanned_count = 0;
  // Present when more pages follow (always absent from the _all forms).
  std::optional<AttributeMap> last_evaluated_key = {};
  // One entry per page, when asked for.
  std::vector<ConsumedCapacity> consumed_capacity = {};
  // Pages read (1 for query()/scan()).
  std::int32_t pages = 0;
};

// Control plane.
enum class KeyType { kHash, kRange };
enum class BillingMode { kPayPerRequest, kProvisioned };
enum class StreamViewType { kKeysOnly, kNewImage, kOldImage, kNewAndOldImages };

struct AttributeDefinition {
  std::string name = {};
  // "S", "N" or "B".
  std::string type = {};
  friend bool operator==(const AttributeDefinition&, const AttributeDefinition&) = default;
};
struct KeySchemaElement {
  std::string name = {};
  KeyType type = KeyType::kHash;
  friend bool operator==(const KeySchemaElement&, const KeySchemaElement&) = default;
};
struct Projection {
  // "ALL", "KEYS_ONLY" or "INCLUDE".
  std::string type = "ALL";
  std::vector<std::string> non_key_attributes = {};
};
struct ProvisionedThroughput {
  std::int64_t read_capacity_units = 0;
  std::int64_t write_capacity_units = 0;
};
struct SecondaryIndex {
  std::string name = {};
  std::vector<KeySchemaElement> key_schema = {};
  Projection projection = {};
  // Global indexes of provisioned tables only.
  std::optional<ProvisionedThroughput> provisioned_throughput = {};
};
struct StreamSpecification {
  bool enabled = true;
  StreamViewType view_type = StreamViewType::kNewAndOldImages;
};
struct Tag {
  std::string key = {};
  std::string value = {};
  friend bool operator==(const Tag&, const Tag&) = default;
};

struct CreateTableRequest {
  std::string table_name = {};
  std::vector<AttributeDefinition> attribute_definitions = {};
  std::vector<KeySchemaElement> key_schema = {};
  BillingMode billing_mode = BillingMode::kPayPerRequest;
  std::optional<ProvisionedThroughput> provisioned_throughput = {};
  std::vector<SecondaryIndex> global_secondary_indexes = {};
  std::vector<SecondaryIndex> local_secondary_indexes = {};
  std::optional<StreamSpecification> stream_specification = {};
  std::vector<Tag> tags = {};
};

struct IndexDescription {
  std::string name = {};
  // "CREATING", "ACTIVE", ... (empty for local indexes).
  std::string status = {};
  std::vector<KeySchemaElement> key_schema = {};
};
struct TableDescription {
  std::string table_name = {};
  std::string table_arn = {};
  // "CREATING", "ACTIVE", "UPDATING", "DELETING", ...
  std::string table_status = {};
  std::vector<AttributeDefinition> attribute_definitions = {};
  std::vector<KeySchemaElement> key_schema = {};
  std::string billing_mode = {};
  std::int64_t item_count = 0;
  std::int64_t table_size_bytes = 0;
  std::vector<IndexDescription> global_secondary_indexes = {};
  std::vector<IndexDescription> local_secondary_indexes = {};
  std::optional<StreamSpecification> stream_specification = {};
  std::string latest_stream_arn = {};
  std::string latest_stream_label = {};
};

struct UpdateTableRequest {
  std::string table_name = {};
  // Definitions of attributes new indexes use.
  std::vector<AttributeDefinition> attribute_definitions = {};
  std::optional<BillingMode> billing_mode = {};
  std::optional<ProvisionedThroughput> provisioned_throughput = {};
  std::vector<SecondaryIndex> create_global_secondary_indexes = {};
  std::vector<std::string> delete_global_secondary_indexes = {};
  std::optional<StreamSpecification> stream_specification = {};
};

struct ListTablesRequest {
  std::string exclusive_start_table_name = {};
  std::optional<std::int32_t> limit = {};
};
struct ListTablesResult {
  std::vector<std::string> table_names = {};
  // Present when more tables follow.
  std::string last_evaluated_table_name = {};
};

struct TimeToLiveDescription {
  // "ENABLING", "ENABLED", "DISABLING", "DISABLED".
  std::string status = {};
  std::string attribute_name = {};
};

struct ContinuousBackupsDescription {
  // "ENABLED" or "DISABLED".
  std::string continuous_backups_status = {};
  std::string point_in_time_recovery_status = {};
};

// Streams.
struct StreamSummary {
  std::string stream_arn = {};
  std::string table_name = {};
  std::string stream_label = {};
};
struct ListStreamsRequest {
  std::string table_name = {};
  std::string exclusive_start_stream_arn = {};
  std::optional<std::int32_t> limit = {};
};
struct ListStreamsResult {
  std::vector<StreamSummary> streams = {};
  std::string last_evaluated_stream_arn = {};
};
struct Shard {
  std::string shard_id = {};
  std::string parent_shard_id = {};
  std::string starting_sequence_number = {};
  // Empty while the shard is open.
  std::string ending_sequence_number = {};
};
struct DescribeStreamRequest {
  std::string stream_arn = {};
  std::string exclusive_start_shard_id = {};
  std::optional<std::int32_t> limit = {};
};
struct StreamDescription {
  std::string stream_arn = {};
  std::string stream_label = {};
  // "ENABLING", "ENABLED", "DISABLING", "DISABLED".
  std::string stream_status = {};
  std::string stream_view_type = {};
  std::string table_name = {};
  std::vector<KeySchemaElement> key_schema = {};
  std::vector<Shard> shards = {};
  std::string last_evaluated_shard_id = {};
};
enum class ShardIteratorType { kTrimHorizon, kLatest, kAtSequenceNumber, kAfterSequenceNumber };
struct GetShardIteratorRequest {
  std::string stream_arn = {};
  std::string shard_id = {};
  ShardIteratorType type = ShardIteratorType::kTrimHorizon;
  // For kAtSequenceNumber and kAfterSequenceNumber.
  std::string sequence_number = {};
};
struct StreamRecord {
  std::string event_id = {};
  // "INSERT", "MODIFY" or "REMOVE".
  std::string event_name = {};
  std::string sequence_number = {};
  // ApproximateCreationDateTime (the wire carries epoch seconds, possibly fractional), in epoch
  // milliseconds; absent when the record has none.
  std::optional<std::int64_t> approximate_creation_ms = {};
  std::int64_t size_bytes = 0;
  std::string stream_view_type = {};
  AttributeMap keys = {};
  std::optional<AttributeMap> new_image = {};
  std::optional<AttributeMap> old_image = {};
};
struct GetRecordsRequest {
  std::string shard_iterator = {};
  std::optional<std::int32_t> limit = {};
};
struct GetRecordsResult {
  std::vector<StreamRecord> records = {};
  // Absent when the shard is closed and fully read.
  std::optional<std::string> next_shard_iterator = {};
};

// The outcome of one request of try_update_items: a result or an expected failure (outcome), or
// the exception try_update_item would have thrown (error).
struct ConcurrentUpdate {
  std::optional<Outcome<WriteItemResult>> outcome = {};
  std::exception_ptr error = {};
};

// A DynamoDB client. Thread-safe: one client serves every thread. The transport and the
// credentials source are shared and must be thread-safe.
class DynamoDbClient {
 public:
  // Throws AwsError when the transport or credentials are missing or an endpoint is malformed.
  explicit DynamoDbClient(DynamoDbClientConfig config);

  GetItemResult get_item(const GetItemRequest& request);

  // The throwing forms throw ConditionalCheckFailedError (with old_item() when ALL_OLD was asked
  // for) when the condition fails. The try_ forms return it as a ConditionFailure, and a request
  // still throttled after the retries as Throttled.
  WriteItemResult put_item(const PutItemRequest& request);
  Outcome<WriteItemResult> try_put_item(const PutItemRequest& request);
  WriteItemResult update_item(const UpdateItemRequest& request);
  Outcome<WriteItemResult> try_update_item(const UpdateItemRequest& request);
  WriteItemResult delete_item(const DeleteItemRequest& request);
  Outcome<WriteItemResult> try_delete_item(const DeleteItemRequest& request);

  // Sends every update concurrently (HttpTransport::send_all), retrying per the policies in
  // rounds; results in request order. Never throws for one request's failure.
  std::vector<ConcurrentUpdate> try_update_items(std::span<const UpdateItemRequest> requests);

  // Chunks keys 100 per call and resends UnprocessedKeys with backoff.
  BatchGetItemResult batch_get_item(const BatchGetItemRequest& request);
  // Chunks writes 25 per call and resends UnprocessedItems with backoff.
  BatchWriteItemResult batch_write_item(const BatchWriteItemRequest& request);

  // Throws TransactionCanceledError with one reason per action when the transaction is
  // cancelled; try_ returns it as a TransactionCancellation. Throws AwsError for more than 100
  // actions without sending.
  TransactWriteItemsResult transact_write_items(const TransactWriteItemsRequest& request);
  Outcome<TransactWriteItemsResult> try_transact_write_items(
      const TransactWriteItemsRequest& request);
  TransactGetItemsResult transact_get_items(const TransactGetItemsRequest& request);

  // One page.
  QueryResult query(const QueryRequest& request);
  QueryResult scan(const ScanRequest& request);
  // Every page from request.exclusive_start_key on, concatenated.
  QueryResult query_all(QueryRequest request);
  QueryResult scan_all(ScanRequest request);

  TableDescription create_table(const CreateTableRequest& request);
  TableDescription describe_table(std::string_view table_name);
  TableDescription delete_table(std::string_view table_name);
  TableDescription update_table(const UpdateTableRequest& request);
  ListTablesResult list_tables(const ListTablesRequest& request = {});
  // Returns the specification DynamoDB accepted (status "ENABLED"/"DISABLED").
  TimeToLiveDescription update_time_to_live(std::string_view table_name,
                                            std::string_view attribute_name, bool enabled);
  TimeToLiveDescription describe_time_to_live(std::string_view table_name);
  ContinuousBackupsDescription update_continuous_backups(std::string_view table_name,
                                                         bool point_in_time_recovery);
  void tag_resource(std::string_view resource_arn, std::span<const Tag> tags);

  ListStreamsResult list_streams(const ListStreamsRequest& request = {});
  StreamDescription describe_stream(const DescribeStreamRequest& request);
  std::string get_shard_iterator(const GetShardIteratorRequest& request);
  GetRecordsResult get_records(const GetRecordsRequest& request);

  // Which endpoint family an operation belongs to.
  enum class Api { kDynamoDb, kStreams };

  // Sends `body` as `operation` with signing and retries; returns the 2xx body. Throws like the
  // typed operations. For operations this client does not model.
  std::string invoke(Api api, std::string_view operation, std::string body,
                     Idempotency idempotency);

 private:
  struct Endpoint {
    std::string url = {};
    std::string host = {};
    std::string target_prefix = {};
  };
  // A 2xx response, or the parsed error the retries ended with. NetworkError is thrown.
  using CallResult = std::variant<HttpResponse, ParsedServiceError>;

  CallResult call(Api api, std::string_view operation, std::string body, Idempotency idempotency);
  // The request for `body`, unsigned (no headers).
  HttpRequest new_request(Api api, std::string body) const;
  // (Re)writes the headers of `request` for one attempt, signed now.
  void sign(Api api, std::string_view operation, HttpRequest& request);
  void sleep_before_retry(int retry);
  template <typename T>
  Outcome<T> to_outcome(std::string_view operation, ParsedServiceError error);
  Outcome<WriteItemResult> write_outcome(std::string_view operation, CallResult result);

  DynamoDbClientConfig config_;
  Endpoint dynamodb_;
  Endpoint streams_;
  Sigv4Signer signer_;
};

}  // namespace zae::aws
