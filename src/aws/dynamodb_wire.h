// SPDX-License-Identifier: MIT
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "aws/attribute_codec.h"
#include "aws/dynamodb_client.h"
#include "aws/json.h"

// Wire helpers shared by the dynamodb_*.cc files: enum spellings, the expression members every
// request shares, and readers for common response members. Private to the aws layer.
namespace zae::aws::wire {

std::string_view name(ReturnValues v);
std::string_view name(ReturnConsumedCapacity v);
std::string_view name(KeyType v);
std::string_view name(BillingMode v);
std::string_view name(StreamViewType v);
std::string_view name(ShardIteratorType v);
KeyType parse_key_type(std::string_view text);
StreamViewType parse_stream_view_type(std::string_view text);

// Writes `"key":"value"` when value is not empty.
inline void optional_string(JsonWriter& w, std::string_view key, std::string_view value) {
  if (!value.empty()) {
    w.key(key);
    w.string(value);
  }
}

// ConditionExpression, ExpressionAttributeNames and ExpressionAttributeValues, when set.
void write_expressions(JsonWriter& w, std::string_view condition_expression,
                       const ExpressionNames& names, const ExpressionValues& values);
void write_names(JsonWriter& w, const ExpressionNames& names);
void write_return_values(JsonWriter& w, ReturnValues v);
void write_on_condition_failure(JsonWriter& w, ReturnValuesOnConditionCheckFailure v);
void write_consumed_capacity_request(JsonWriter& w, ReturnConsumedCapacity v);
void write_consistency(JsonWriter& w, ReadConsistency v);
void write_key_schema(JsonWriter& w, const std::vector<KeySchemaElement>& schema);

std::int64_t read_int64(JsonReader& r);
double read_double(JsonReader& r);
// One ConsumedCapacity object; a list of them (or one object: TransactWriteItems and BatchX
// answer with a list, single-item operations with an object).
ConsumedCapacity read_consumed_capacity(JsonReader& r);
void read_consumed_capacities(JsonReader& r, std::vector<ConsumedCapacity>& out);
std::vector<AttributeMap> read_items(JsonReader& r);
std::vector<KeySchemaElement> read_key_schema(JsonReader& r);

// Skips a null member value; true when it did.
inline bool skip_null(JsonReader& r) {
  if (r.peek() == JsonType::kNull) {
    r.read_null();
    return true;
  }
  return false;
}

}  // namespace zae::aws::wire
