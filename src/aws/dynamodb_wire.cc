// SPDX-License-Identifier: MIT
#include "aws/dynamodb_wire.h"

namespace zae::aws::wire {

std::string_view name(ReturnValues v) {
  switch (v) {
    case ReturnValues::kNone:
      return "NONE";
    case ReturnValues::kAllOld:
      return "ALL_OLD";
    case ReturnValues::kUpdatedOld:
      return "UPDATED_OLD";
    case ReturnValues::kAllNew:
      return "ALL_NEW";
    case ReturnValues::kUpdatedNew:
      return "UPDATED_NEW";
  }
  return "NONE";
}

std::string_view name(ReturnConsumedCapacity v) {
  switch (v) {
    case ReturnConsumedCapacity::kNone:
      return "NONE";
    case ReturnConsumedCapacity::kTotal:
      return "TOTAL";
    case ReturnConsumedCapacity::kIndexes:
      return "INDEXES";
  }
  return "NONE";
}

std::string_view name(KeyType v) { return v == KeyType::kHash ? "HASH" : "RANGE"; }

std::string_view name(BillingMode v) {
  return v == BillingMode::kPayPerRequest ? "PAY_PER_REQUEST" : "PROVISIONED";
}

std::string_view name(StreamViewType v) {
  switch (v) {
    case StreamViewType::kKeysOnly:
      return "KEYS_ONLY";
    case StreamViewType::kNewImage:
      return "NEW_IMAGE";
    case StreamViewType::kOldImage:
      return "OLD_IMAGE";
    case StreamViewType::kNewAndOldImages:
      return "NEW_AND_OLD_IMAGES";
  }
  return "NEW_AND_OLD_IMAGES";
}

std::string_view name(ShardIteratorType v) {
  switch (v) {
    case ShardIteratorType::kTrimHorizon:
      return "TRIM_HORIZON";
    case ShardIteratorType::kLatest:
      return "LATEST";
    case ShardIteratorType::kAtSequenceNumber:
      return "AT_SEQUENCE_NUMBER";
    case ShardIteratorType::kAfterSequenceNumber:
      return "AFTER_SEQUENCE_NUMBER";
  }
  return "TRIM_HORIZON";
}

KeyType parse_key_type(std::string_view text) {
  return text == "RANGE" ? KeyType::kRange : KeyType::kHash;
}

StreamViewType parse_stream_view_type(std::string_view text) {
  if (text == "KEYS_ONLY") {
    return StreamViewType::kKeysOnly;
  }
  if (text == "NEW_IMAGE") {
    return StreamViewType::kNewImage;
  }
  if (text == "OLD_IMAGE") {
    return StreamViewType::kOldImage;
  }
  return StreamViewType::kNewAndOldImages;
}

void write_names(JsonWriter& w, const ExpressionNames& names) {
  if (names.empty()) {
    return;
  }
  w.key("ExpressionAttributeNames");
  w.begin_object();
  for (const auto& [placeholder, attribute] : names) {
    w.key(placeholder);
    w.string(attribute);
  }
  w.end_object();
}

void write_expressions(JsonWriter& w, std::string_view condition_expression,
                       const ExpressionNames& names, const ExpressionValues& values) {
  optional_string(w, "ConditionExpression", condition_expression);
  write_names(w, names);
  if (!values.empty()) {
    w.key("ExpressionAttributeValues");
    write_item(w, values);
  }
}

void write_return_values(JsonWriter& w, ReturnValues v) {
  if (v != ReturnValues::kNone) {
    w.key("ReturnValues");
    w.string(name(v));
  }
}

void write_on_condition_failure(JsonWriter& w, ReturnValuesOnConditionCheckFailure v) {
  if (v == ReturnValuesOnConditionCheckFailure::kAllOld) {
    w.key("ReturnValuesOnConditionCheckFailure");
    w.string("ALL_OLD");
  }
}

void write_consumed_capacity_request(JsonWriter& w, ReturnConsumedCapacity v) {
  if (v != ReturnConsumedCapacity::kNone) {
    w.key("ReturnConsumedCapacity");
    w.string(name(v));
  }
}

void write_consistency(JsonWriter& w, ReadConsistency v) {
  if (v == ReadConsistency::kStrong) {
    w.key("ConsistentRead");
    w.boolean(true);
  }
}

void write_key_schema(JsonWriter& w, const std::vector<KeySchemaElement>& schema) {
  w.key("KeySchema");
  w.begin_array();
  for (const auto& k : schema) {
    w.begin_object();
    w.key("AttributeName");
    w.string(k.name);
    w.key("KeyType");
    w.string(name(k.type));
    w.end_object();
  }
  w.end_array();
}

std::int64_t read_int64(JsonReader& r) {
  const std::size_t at = r.offset();
  std::string_view text = r.read_number();
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    r.fail_at(at, "expected an integer");
  }
  return value;
}

double read_double(JsonReader& r) {
  const std::size_t at = r.offset();
  std::string_view text = r.read_number();
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    r.fail_at(at, "expected a number");
  }
  return value;
}

ConsumedCapacity read_consumed_capacity(JsonReader& r) {
  ConsumedCapacity c;
  r.enter_object();
  while (auto key = r.next_key()) {
    if (skip_null(r)) {
      continue;
    }
    if (*key == "TableName") {
      c.table_name = r.read_string();
    } else if (*key == "CapacityUnits") {
      c.capacity_units = read_double(r);
    } else if (*key == "ReadCapacityUnits") {
      c.read_capacity_units = read_double(r);
    } else if (*key == "WriteCapacityUnits") {
      c.write_capacity_units = read_double(r);
    } else {
      r.skip_value();
    }
  }
  return c;
}

void read_consumed_capacities(JsonReader& r, std::vector<ConsumedCapacity>& out) {
  if (r.peek() == JsonType::kObject) {
    out.push_back(read_consumed_capacity(r));
    return;
  }
  r.enter_array();
  while (r.next_element()) {
    out.push_back(read_consumed_capacity(r));
  }
}

std::vector<AttributeMap> read_items(JsonReader& r) {
  std::vector<AttributeMap> items;
  r.enter_array();
  while (r.next_element()) {
    items.push_back(read_item(r));
  }
  return items;
}

std::vector<KeySchemaElement> read_key_schema(JsonReader& r) {
  std::vector<KeySchemaElement> schema;
  r.enter_array();
  while (r.next_element()) {
    KeySchemaElement k;
    r.enter_object();
    while (auto key = r.next_key()) {
      if (*key == "AttributeName") {
        k.name = r.read_string();
      } else if (*key == "KeyType") {
        k.type = parse_key_type(r.read_string());
      } else {
        r.skip_value();
      }
    }
    schema.push_back(std::move(k));
  }
  return schema;
}

}  // namespace zae::aws::wire
