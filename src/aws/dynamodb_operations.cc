// SPDX-License-Identifier: MIT
// Batch, transaction, Query and Scan operations of DynamoDbClient.
#include <random>

#include "aws/dynamodb_client.h"
#include "aws/dynamodb_wire.h"

namespace zae::aws {
namespace {

// API limits (DynamoDB API reference: BatchGetItem, BatchWriteItem, TransactWriteItems).
constexpr std::size_t kBatchGetKeys = 100;
constexpr std::size_t kBatchWriteItems = 25;
constexpr std::size_t kTransactItems = 100;

std::string new_client_request_token() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token(32, '0');
  std::uint64_t a = engine();
  std::uint64_t b = engine();
  for (std::size_t i = 0; i < 16; ++i) {
    token[i] = kHex[(a >> (4 * i)) & 0xF];
    token[16 + i] = kHex[(b >> (4 * i)) & 0xF];
  }
  return token;
}

void write_write_request(JsonWriter& w, const WriteRequest& write) {
  w.begin_object();
  if (write.kind == WriteRequest::Kind::kPut) {
    w.key("PutRequest");
    w.begin_object();
    w.key("Item");
  } else {
    w.key("DeleteRequest");
    w.begin_object();
    w.key("Key");
  }
  write_item(w, write.attributes);
  w.end_object();
  w.end_object();
}

WriteRequest read_write_request(JsonReader& r) {
  WriteRequest out;
  r.enter_object();
  while (auto key = r.next_key()) {
    const bool put = *key == "PutRequest";
    if (!put && *key != "DeleteRequest") {
      r.skip_value();
      continue;
    }
    out.kind = put ? WriteRequest::Kind::kPut : WriteRequest::Kind::kDelete;
    r.enter_object();
    while (auto inner = r.next_key()) {
      if (*inner == "Item" || *inner == "Key") {
        out.attributes = read_item(r);
      } else {
        r.skip_value();
      }
    }
  }
  return out;
}

// Reads a Query or Scan page into `out`, appending.
void read_page(std::string_view body, QueryResult& out) {
  JsonReader r(body);
  r.enter_object();
  out.last_evaluated_key.reset();
  while (auto key = r.next_key()) {
    if (wire::skip_null(r)) {
      continue;
    }
    if (*key == "Items") {
      r.enter_array();
      while (r.next_element()) {
        out.items.push_back(read_item(r));
      }
    } else if (*key == "Count") {
      out.count += wire::read_int64(r);
    } else if (*key == "ScannedCount") {
      out.scanned_count += wire::read_int64(r);
    } else if (*key == "LastEvaluatedKey") {
      out.last_evaluated_key = read_item(r);
    } else if (*key == "ConsumedCapacity") {
      wire::read_consumed_capacities(r, out.consumed_capacity);
    } else {
      r.skip_value();
    }
  }
  r.finish();
  ++out.pages;
}

template <typename Request>
void write_read_common(JsonWriter& w, const Request& q) {
  w.key("TableName");
  w.string(q.table_name);
  wire::optional_string(w, "IndexName", q.index_name);
  wire::optional_string(w, "FilterExpression", q.filter_expression);
  wire::optional_string(w, "ProjectionExpression", q.projection_expression);
  wire::write_expressions(w, {}, q.expression_attribute_names, q.expression_attribute_values);
  wire::write_consistency(w, q.consistency);
  if (q.limit) {
    w.key("Limit");
    w.number(*q.limit);
  }
  if (q.exclusive_start_key) {
    w.key("ExclusiveStartKey");
    write_item(w, *q.exclusive_start_key);
  }
  wire::write_consumed_capacity_request(w, q.return_consumed_capacity);
}

std::string query_body(const QueryRequest& q) {
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  write_read_common(w, q);
  wire::optional_string(w, "KeyConditionExpression", q.key_condition_expression);
  if (!q.scan_index_forward) {
    w.key("ScanIndexForward");
    w.boolean(false);
  }
  w.end_object();
  return body;
}

std::string scan_body(const ScanRequest& q) {
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  write_read_common(w, q);
  if (q.segment) {
    w.key("Segment");
    w.number(*q.segment);
  }
  if (q.total_segments) {
    w.key("TotalSegments");
    w.number(*q.total_segments);
  }
  w.end_object();
  return body;
}

// The members every TransactWriteItems action has after its key or item.
template <typename Action>
void write_action_tail(JsonWriter& w, const Action& a) {
  wire::write_expressions(w, a.condition_expression, a.expression_attribute_names,
                          a.expression_attribute_values);
  wire::write_on_condition_failure(w, a.return_values_on_condition_check_failure);
}

void write_transact_item(JsonWriter& w, const TransactWriteItem& item) {
  w.begin_object();
  std::visit(
      [&w](const auto& a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, TransactConditionCheck>) {
          w.key("ConditionCheck");
        } else if constexpr (std::is_same_v<T, TransactPut>) {
          w.key("Put");
        } else if constexpr (std::is_same_v<T, TransactUpdate>) {
          w.key("Update");
        } else {
          w.key("Delete");
        }
        w.begin_object();
        w.key("TableName");
        w.string(a.table_name);
        if constexpr (std::is_same_v<T, TransactPut>) {
          w.key("Item");
          write_item(w, a.item);
        } else {
          w.key("Key");
          write_item(w, a.key);
        }
        if constexpr (std::is_same_v<T, TransactUpdate>) {
          w.key("UpdateExpression");
          w.string(a.update_expression);
        }
        write_action_tail(w, a);
        w.end_object();
      },
      item);
  w.end_object();
}

}  // namespace

BatchGetItemResult DynamoDbClient::batch_get_item(const BatchGetItemRequest& q) {
  BatchGetItemResult out;
  // Flatten to (table, key) so that chunks of 100 can span tables.
  std::vector<std::pair<const std::string*, const AttributeMap*>> all;
  for (const auto& [table, keys] : q.request_items) {
    for (const auto& key : keys.keys) {
      all.emplace_back(&table, &key);
    }
  }
  for (std::size_t start = 0; start < all.size(); start += kBatchGetKeys) {
    const std::size_t end = std::min(all.size(), start + kBatchGetKeys);
    std::map<std::string, std::vector<AttributeMap>> pending;
    for (std::size_t i = start; i < end; ++i) {
      pending[*all[i].first].push_back(*all[i].second);
    }
    for (int round = 0;; ++round) {
      std::string body;
      JsonWriter w(body);
      w.begin_object();
      w.key("RequestItems");
      w.begin_object();
      for (const auto& [table, keys] : pending) {
        const KeysAndAttributes& options = q.request_items.at(table);
        w.key(table);
        w.begin_object();
        w.key("Keys");
        w.begin_array();
        for (const auto& key : keys) {
          write_item(w, key);
        }
        w.end_array();
        wire::write_consistency(w, options.consistency);
        wire::optional_string(w, "ProjectionExpression", options.projection_expression);
        wire::write_names(w, options.expression_attribute_names);
        w.end_object();
      }
      w.end_object();
      wire::write_consumed_capacity_request(w, q.return_consumed_capacity);
      w.end_object();

      std::string response =
          invoke(Api::kDynamoDb, "BatchGetItem", std::move(body), Idempotency::kIdempotent);
      pending.clear();
      JsonReader r(response);
      r.enter_object();
      while (auto key = r.next_key()) {
        if (wire::skip_null(r)) {
          continue;
        }
        if (*key == "Responses") {
          r.enter_object();
          while (auto table = r.next_key()) {
            auto& items = out.responses[std::string(*table)];
            r.enter_array();
            while (r.next_element()) {
              items.push_back(read_item(r));
            }
          }
        } else if (*key == "UnprocessedKeys") {
          r.enter_object();
          while (auto table = r.next_key()) {
            auto& keys = pending[std::string(*table)];
            r.enter_object();
            while (auto member = r.next_key()) {
              if (*member == "Keys") {
                keys = wire::read_items(r);
              } else {
                r.skip_value();
              }
            }
          }
        } else if (*key == "ConsumedCapacity") {
          wire::read_consumed_capacities(r, out.consumed_capacity);
        } else {
          r.skip_value();
        }
      }
      r.finish();
      std::erase_if(pending, [](const auto& entry) { return entry.second.empty(); });
      if (pending.empty()) {
        break;
      }
      if (round >= config_.max_unprocessed_rounds) {
        for (auto& [table, keys] : pending) {
          auto& left = out.unprocessed_keys[table];
          left.insert(left.end(), keys.begin(), keys.end());
        }
        break;
      }
      sleep_before_retry(round + 1);
    }
  }
  return out;
}

BatchWriteItemResult DynamoDbClient::batch_write_item(const BatchWriteItemRequest& q) {
  BatchWriteItemResult out;
  std::vector<std::pair<const std::string*, const WriteRequest*>> all;
  for (const auto& [table, writes] : q.request_items) {
    for (const auto& write : writes) {
      all.emplace_back(&table, &write);
    }
  }
  for (std::size_t start = 0; start < all.size(); start += kBatchWriteItems) {
    const std::size_t end = std::min(all.size(), start + kBatchWriteItems);
    std::map<std::string, std::vector<WriteRequest>> pending;
    for (std::size_t i = start; i < end; ++i) {
      pending[*all[i].first].push_back(*all[i].second);
    }
    for (int round = 0;; ++round) {
      std::string body;
      JsonWriter w(body);
      w.begin_object();
      w.key("RequestItems");
      w.begin_object();
      for (const auto& [table, writes] : pending) {
        w.key(table);
        w.begin_array();
        for (const auto& write : writes) {
          write_write_request(w, write);
        }
        w.end_array();
      }
      w.end_object();
      wire::write_consumed_capacity_request(w, q.return_consumed_capacity);
      w.end_object();

      // Puts and deletes of whole items: replaying them leaves the same state.
      std::string response =
          invoke(Api::kDynamoDb, "BatchWriteItem", std::move(body), Idempotency::kIdempotent);
      pending.clear();
      JsonReader r(response);
      r.enter_object();
      while (auto key = r.next_key()) {
        if (wire::skip_null(r)) {
          continue;
        }
        if (*key == "UnprocessedItems") {
          r.enter_object();
          while (auto table = r.next_key()) {
            auto& writes = pending[std::string(*table)];
            r.enter_array();
            while (r.next_element()) {
              writes.push_back(read_write_request(r));
            }
          }
        } else if (*key == "ConsumedCapacity") {
          wire::read_consumed_capacities(r, out.consumed_capacity);
        } else {
          r.skip_value();
        }
      }
      r.finish();
      std::erase_if(pending, [](const auto& entry) { return entry.second.empty(); });
      if (pending.empty()) {
        break;
      }
      if (round >= config_.max_unprocessed_rounds) {
        for (auto& [table, writes] : pending) {
          auto& left = out.unprocessed_items[table];
          left.insert(left.end(), writes.begin(), writes.end());
        }
        break;
      }
      sleep_before_retry(round + 1);
    }
  }
  return out;
}

Outcome<TransactWriteItemsResult> DynamoDbClient::try_transact_write_items(
    const TransactWriteItemsRequest& q) {
  if (q.items.size() > kTransactItems) {
    throw AwsError("DynamoDB TransactWriteItems: " + std::to_string(q.items.size()) +
                   " actions, at most 100 are allowed");
  }
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  w.key("TransactItems");
  w.begin_array();
  for (const auto& item : q.items) {
    write_transact_item(w, item);
  }
  w.end_array();
  w.key("ClientRequestToken");
  w.string(q.client_request_token.empty() ? new_client_request_token() : q.client_request_token);
  wire::write_consumed_capacity_request(w, q.return_consumed_capacity);
  w.end_object();

  // The token makes every attempt of this call one transaction to DynamoDB.
  CallResult result =
      call(Api::kDynamoDb, "TransactWriteItems", std::move(body), Idempotency::kIdempotent);
  if (auto* error = std::get_if<ParsedServiceError>(&result)) {
    return to_outcome<TransactWriteItemsResult>("TransactWriteItems", std::move(*error));
  }
  TransactWriteItemsResult out;
  JsonReader r(std::get<HttpResponse>(result).body);
  r.enter_object();
  while (auto key = r.next_key()) {
    if (wire::skip_null(r)) {
      continue;
    }
    if (*key == "ConsumedCapacity") {
      wire::read_consumed_capacities(r, out.consumed_capacity);
    } else {
      r.skip_value();
    }
  }
  r.finish();
  return out;
}

TransactWriteItemsResult DynamoDbClient::transact_write_items(const TransactWriteItemsRequest& q) {
  return try_transact_write_items(q).value();
}

TransactGetItemsResult DynamoDbClient::transact_get_items(const TransactGetItemsRequest& q) {
  if (q.items.size() > kTransactItems) {
    throw AwsError("DynamoDB TransactGetItems: " + std::to_string(q.items.size()) +
                   " items, at most 100 are allowed");
  }
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  w.key("TransactItems");
  w.begin_array();
  for (const auto& item : q.items) {
    w.begin_object();
    w.key("Get");
    w.begin_object();
    w.key("TableName");
    w.string(item.table_name);
    w.key("Key");
    write_item(w, item.key);
    wire::optional_string(w, "ProjectionExpression", item.projection_expression);
    wire::write_names(w, item.expression_attribute_names);
    w.end_object();
    w.end_object();
  }
  w.end_array();
  wire::write_consumed_capacity_request(w, q.return_consumed_capacity);
  w.end_object();

  std::string response =
      invoke(Api::kDynamoDb, "TransactGetItems", std::move(body), Idempotency::kIdempotent);
  TransactGetItemsResult out;
  JsonReader r(response);
  r.enter_object();
  while (auto key = r.next_key()) {
    if (wire::skip_null(r)) {
      continue;
    }
    if (*key == "Responses") {
      r.enter_array();
      while (r.next_element()) {
        std::optional<AttributeMap> item;
        r.enter_object();
        while (auto member = r.next_key()) {
          if (*member == "Item" && !wire::skip_null(r)) {
            item = read_item(r);
          } else {
            r.skip_value();
          }
        }
        out.items.push_back(std::move(item));
      }
    } else if (*key == "ConsumedCapacity") {
      wire::read_consumed_capacities(r, out.consumed_capacity);
    } else {
      r.skip_value();
    }
  }
  r.finish();
  return out;
}

QueryResult DynamoDbClient::query(const QueryRequest& q) {
  QueryResult out;
  read_page(invoke(Api::kDynamoDb, "Query", query_body(q), Idempotency::kIdempotent), out);
  return out;
}

QueryResult DynamoDbClient::scan(const ScanRequest& q) {
  QueryResult out;
  read_page(invoke(Api::kDynamoDb, "Scan", scan_body(q), Idempotency::kIdempotent), out);
  return out;
}

QueryResult DynamoDbClient::query_all(QueryRequest q) {
  QueryResult out;
  do {
    read_page(invoke(Api::kDynamoDb, "Query", query_body(q), Idempotency::kIdempotent), out);
    q.exclusive_start_key = std::move(out.last_evaluated_key);
    out.last_evaluated_key.reset();
  } while (q.exclusive_start_key);
  return out;
}

QueryResult DynamoDbClient::scan_all(ScanRequest q) {
  QueryResult out;
  do {
    read_page(invoke(Api::kDynamoDb, "Scan", scan_body(q), Idempotency::kIdempotent), out);
    q.exclusive_start_key = std::move(out.last_evaluated_key);
    out.last_evaluated_key.reset();
  } while (q.exclusive_start_key);
  return out;
}

}  // namespace zae::aws
