// SPDX-License-Identifier: MIT
// Control-plane and Streams operations of DynamoDbClient. They are rare and not on the hot path;
// every one is treated as idempotent (a replayed CreateTable answers ResourceInUseException,
// which the caller sees; a replayed UpdateTable or TagResource sets the same state).
#include <cmath>

#include "aws/dynamodb_client.h"
#include "aws/dynamodb_wire.h"

namespace zae::aws {
namespace {

void write_attribute_definitions(JsonWriter& w, const std::vector<AttributeDefinition>& defs) {
  w.key("AttributeDefinitions");
  w.begin_array();
  for (const auto& d : defs) {
    w.begin_object();
    w.key("AttributeName");
    w.string(d.name);
    w.key("AttributeType");
    w.string(d.type);
    w.end_object();
  }
  w.end_array();
}

void write_throughput(JsonWriter& w, const ProvisionedThroughput& t) {
  w.key("ProvisionedThroughput");
  w.begin_object();
  w.key("ReadCapacityUnits");
  w.number(t.read_capacity_units);
  w.key("WriteCapacityUnits");
  w.number(t.write_capacity_units);
  w.end_object();
}

void write_index(JsonWriter& w, const SecondaryIndex& index) {
  w.begin_object();
  w.key("IndexName");
  w.string(index.name);
  wire::write_key_schema(w, index.key_schema);
  w.key("Projection");
  w.begin_object();
  w.key("ProjectionType");
  w.string(index.projection.type);
  if (!index.projection.non_key_attributes.empty()) {
    w.key("NonKeyAttributes");
    w.begin_array();
    for (const auto& a : index.projection.non_key_attributes) {
      w.string(a);
    }
    w.end_array();
  }
  w.end_object();
  if (index.provisioned_throughput) {
    write_throughput(w, *index.provisioned_throughput);
  }
  w.end_object();
}

void write_stream_specification(JsonWriter& w, const StreamSpecification& s) {
  w.key("StreamSpecification");
  w.begin_object();
  w.key("StreamEnabled");
  w.boolean(s.enabled);
  if (s.enabled) {
    w.key("StreamViewType");
    w.string(wire::name(s.view_type));
  }
  w.end_object();
}

void write_tags(JsonWriter& w, std::span<const Tag> tags) {
  w.key("Tags");
  w.begin_array();
  for (const auto& t : tags) {
    w.begin_object();
    w.key("Key");
    w.string(t.key);
    w.key("Value");
    w.string(t.value);
    w.end_object();
  }
  w.end_array();
}

std::vector<IndexDescription> read_indexes(JsonReader& r) {
  std::vector<IndexDescription> out;
  r.enter_array();
  while (r.next_element()) {
    IndexDescription index;
    r.enter_object();
    while (auto key = r.next_key()) {
      if (wire::skip_null(r)) {
        continue;
      }
      if (*key == "IndexName") {
        index.name = r.read_string();
      } else if (*key == "IndexStatus") {
        index.status = r.read_string();
      } else if (*key == "KeySchema") {
        index.key_schema = wire::read_key_schema(r);
      } else {
        r.skip_value();
      }
    }
    out.push_back(std::move(index));
  }
  return out;
}

TableDescription read_table_description(JsonReader& r) {
  TableDescription t;
  r.enter_object();
  while (auto key = r.next_key()) {
    if (wire::skip_null(r)) {
      continue;
    }
    if (*key == "TableName") {
      t.table_name = r.read_string();
    } else if (*key == "TableArn") {
      t.table_arn = r.read_string();
    } else if (*key == "TableStatus") {
      t.table_status = r.read_string();
    } else if (*key == "AttributeDefinitions") {
      r.enter_array();
      while (r.next_element()) {
        AttributeDefinition d;
        r.enter_object();
        while (auto member = r.next_key()) {
          if (*member == "AttributeName") {
            d.name = r.read_string();
          } else if (*member == "AttributeType") {
            d.type = r.read_string();
          } else {
            r.skip_value();
          }
        }
        t.attribute_definitions.push_back(std::move(d));
      }
    } else if (*key == "KeySchema") {
      t.key_schema = wire::read_key_schema(r);
    } else if (*key == "BillingModeSummary") {
      r.enter_object();
      while (auto member = r.next_key()) {
        if (*member == "BillingMode" && !wire::skip_null(r)) {
          t.billing_mode = r.read_string();
        } else {
          r.skip_value();
        }
      }
    } else if (*key == "ItemCount") {
      t.item_count = wire::read_int64(r);
    } else if (*key == "TableSizeBytes") {
      t.table_size_bytes = wire::read_int64(r);
    } else if (*key == "GlobalSecondaryIndexes") {
      t.global_secondary_indexes = read_indexes(r);
    } else if (*key == "LocalSecondaryIndexes") {
      t.local_secondary_indexes = read_indexes(r);
    } else if (*key == "StreamSpecification") {
      StreamSpecification s{.enabled = false};
      r.enter_object();
      while (auto member = r.next_key()) {
        if (wire::skip_null(r)) {
          continue;
        }
        if (*member == "StreamEnabled") {
          s.enabled = r.read_bool();
        } else if (*member == "StreamViewType") {
          s.view_type = wire::parse_stream_view_type(r.read_string());
        } else {
          r.skip_value();
        }
      }
      t.stream_specification = s;
    } else if (*key == "LatestStreamArn") {
      t.latest_stream_arn = r.read_string();
    } else if (*key == "LatestStreamLabel") {
      t.latest_stream_label = r.read_string();
    } else {
      r.skip_value();
    }
  }
  return t;
}

// Reads `{"<member>": TableDescription, ...}`.
TableDescription read_table_response(std::string_view body, std::string_view member) {
  TableDescription t;
  JsonReader r(body);
  r.enter_object();
  bool found = false;
  while (auto key = r.next_key()) {
    if (*key == member && !wire::skip_null(r)) {
      t = read_table_description(r);
      found = true;
    } else {
      r.skip_value();
    }
  }
  r.finish();
  if (!found) {
    r.fail_at(0, "response has no " + std::string(member));
  }
  return t;
}

std::string table_name_body(std::string_view table_name) {
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  w.key("TableName");
  w.string(table_name);
  w.end_object();
  return body;
}

// Calls `on_member(key)` for each member of the object `member` of the top-level object.
template <typename F>
void read_member_object(std::string_view body, std::string_view member, F on_member) {
  JsonReader r(body);
  r.enter_object();
  while (auto key = r.next_key()) {
    if (*key == member && !wire::skip_null(r)) {
      r.enter_object();
      while (auto inner = r.next_key()) {
        if (!wire::skip_null(r)) {
          on_member(r, *inner);
        }
      }
    } else {
      r.skip_value();
    }
  }
  r.finish();
}

}  // namespace

TableDescription DynamoDbClient::create_table(const CreateTableRequest& q) {
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  w.key("TableName");
  w.string(q.table_name);
  write_attribute_definitions(w, q.attribute_definitions);
  wire::write_key_schema(w, q.key_schema);
  w.key("BillingMode");
  w.string(wire::name(q.billing_mode));
  if (q.provisioned_throughput) {
    write_throughput(w, *q.provisioned_throughput);
  }
  if (!q.global_secondary_indexes.empty()) {
    w.key("GlobalSecondaryIndexes");
    w.begin_array();
    for (const auto& index : q.global_secondary_indexes) {
      write_index(w, index);
    }
    w.end_array();
  }
  if (!q.local_secondary_indexes.empty()) {
    w.key("LocalSecondaryIndexes");
    w.begin_array();
    for (const auto& index : q.local_secondary_indexes) {
      write_index(w, index);
    }
    w.end_array();
  }
  if (q.stream_specification) {
    write_stream_specification(w, *q.stream_specification);
  }
  if (!q.tags.empty()) {
    write_tags(w, q.tags);
  }
  w.end_object();
  return read_table_response(
      invoke(Api::kDynamoDb, "CreateTable", std::move(body), Idempotency::kIdempotent),
      "TableDescription");
}

TableDescription DynamoDbClient::describe_table(std::string_view table_name) {
  return read_table_response(invoke(Api::kDynamoDb, "DescribeTable", table_name_body(table_name),
                                    Idempotency::kIdempotent),
                             "Table");
}

TableDescription DynamoDbClient::delete_table(std::string_view table_name) {
  return read_table_response(
      invoke(Api::kDynamoDb, "DeleteTable", table_name_body(table_name), Idempotency::kIdempotent),
      "TableDescription");
}

TableDescription DynamoDbClient::update_table(const UpdateTableRequest& q) {
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  w.key("TableName");
  w.string(q.table_name);
  if (!q.attribute_definitions.empty()) {
    write_attribute_definitions(w, q.attribute_definitions);
  }
  if (q.billing_mode) {
    w.key("BillingMode");
    w.string(wire::name(*q.billing_mode));
  }
  if (q.provisioned_throughput) {
    write_throughput(w, *q.provisioned_throughput);
  }
  if (!q.create_global_secondary_indexes.empty() || !q.delete_global_secondary_indexes.empty()) {
    w.key("GlobalSecondaryIndexUpdates");
    w.begin_array();
    for (const auto& index : q.create_global_secondary_indexes) {
      w.begin_object();
      w.key("Create");
      write_index(w, index);
      w.end_object();
    }
    for (const auto& name : q.delete_global_secondary_indexes) {
      w.begin_object();
      w.key("Delete");
      w.begin_object();
      w.key("IndexName");
      w.string(name);
      w.end_object();
      w.end_object();
    }
    w.end_array();
  }
  if (q.stream_specification) {
    write_stream_specification(w, *q.stream_specification);
  }
  w.end_object();
  return read_table_response(
      invoke(Api::kDynamoDb, "UpdateTable", std::move(body), Idempotency::kIdempotent),
      "TableDescription");
}

ListTablesResult DynamoDbClient::list_tables(const ListTablesRequest& q) {
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  wire::optional_string(w, "ExclusiveStartTableName", q.exclusive_start_table_name);
  if (q.limit) {
    w.key("Limit");
    w.number(*q.limit);
  }
  w.end_object();
  std::string response =
      invoke(Api::kDynamoDb, "ListTables", std::move(body), Idempotency::kIdempotent);
  ListTablesResult out;
  JsonReader r(response);
  r.enter_object();
  while (auto key = r.next_key()) {
    if (wire::skip_null(r)) {
      continue;
    }
    if (*key == "TableNames") {
      r.enter_array();
      while (r.next_element()) {
        out.table_names.emplace_back(r.read_string());
      }
    } else if (*key == "LastEvaluatedTableName") {
      out.last_evaluated_table_name = r.read_string();
    } else {
      r.skip_value();
    }
  }
  r.finish();
  return out;
}

TimeToLiveDescription DynamoDbClient::update_time_to_live(std::string_view table_name,
                                                          std::string_view attribute_name,
                                                          bool enabled) {
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  w.key("TableName");
  w.string(table_name);
  w.key("TimeToLiveSpecification");
  w.begin_object();
  w.key("AttributeName");
  w.string(attribute_name);
  w.key("Enabled");
  w.boolean(enabled);
  w.end_object();
  w.end_object();
  TimeToLiveDescription out{.status = enabled ? "ENABLED" : "DISABLED",
                            .attribute_name = std::string(attribute_name)};
  read_member_object(
      invoke(Api::kDynamoDb, "UpdateTimeToLive", std::move(body), Idempotency::kIdempotent),
      "TimeToLiveSpecification", [&out](JsonReader& r, std::string_view key) {
        if (key == "AttributeName") {
          out.attribute_name = r.read_string();
        } else if (key == "Enabled") {
          out.status = r.read_bool() ? "ENABLED" : "DISABLED";
        } else {
          r.skip_value();
        }
      });
  return out;
}

TimeToLiveDescription DynamoDbClient::describe_time_to_live(std::string_view table_name) {
  TimeToLiveDescription out;
  read_member_object(invoke(Api::kDynamoDb, "DescribeTimeToLive", table_name_body(table_name),
                            Idempotency::kIdempotent),
                     "TimeToLiveDescription", [&out](JsonReader& r, std::string_view key) {
                       if (key == "TimeToLiveStatus") {
                         out.status = r.read_string();
                       } else if (key == "AttributeName") {
                         out.attribute_name = r.read_string();
                       } else {
                         r.skip_value();
                       }
                     });
  return out;
}

ContinuousBackupsDescription DynamoDbClient::update_continuous_backups(
    std::string_view table_name, bool point_in_time_recovery) {
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  w.key("TableName");
  w.string(table_name);
  w.key("PointInTimeRecoverySpecification");
  w.begin_object();
  w.key("PointInTimeRecoveryEnabled");
  w.boolean(point_in_time_recovery);
  w.end_object();
  w.end_object();
  ContinuousBackupsDescription out;
  read_member_object(
      invoke(Api::kDynamoDb, "UpdateContinuousBackups", std::move(body), Idempotency::kIdempotent),
      "ContinuousBackupsDescription", [&out](JsonReader& r, std::string_view key) {
        if (key == "ContinuousBackupsStatus") {
          out.continuous_backups_status = r.read_string();
        } else if (key == "PointInTimeRecoveryDescription") {
          r.enter_object();
          while (auto member = r.next_key()) {
            if (member == "PointInTimeRecoveryStatus" && !wire::skip_null(r)) {
              out.point_in_time_recovery_status = r.read_string();
            } else {
              r.skip_value();
            }
          }
        } else {
          r.skip_value();
        }
      });
  return out;
}

void DynamoDbClient::tag_resource(std::string_view resource_arn, std::span<const Tag> tags) {
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  w.key("ResourceArn");
  w.string(resource_arn);
  write_tags(w, tags);
  w.end_object();
  invoke(Api::kDynamoDb, "TagResource", std::move(body), Idempotency::kIdempotent);
}

ListStreamsResult DynamoDbClient::list_streams(const ListStreamsRequest& q) {
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  wire::optional_string(w, "TableName", q.table_name);
  wire::optional_string(w, "ExclusiveStartStreamArn", q.exclusive_start_stream_arn);
  if (q.limit) {
    w.key("Limit");
    w.number(*q.limit);
  }
  w.end_object();
  std::string response =
      invoke(Api::kStreams, "ListStreams", std::move(body), Idempotency::kIdempotent);
  ListStreamsResult out;
  JsonReader r(response);
  r.enter_object();
  while (auto key = r.next_key()) {
    if (wire::skip_null(r)) {
      continue;
    }
    if (*key == "Streams") {
      r.enter_array();
      while (r.next_element()) {
        StreamSummary s;
        r.enter_object();
        while (auto member = r.next_key()) {
          if (wire::skip_null(r)) {
            continue;
          }
          if (*member == "StreamArn") {
            s.stream_arn = r.read_string();
          } else if (*member == "TableName") {
            s.table_name = r.read_string();
          } else if (*member == "StreamLabel") {
            s.stream_label = r.read_string();
          } else {
            r.skip_value();
          }
        }
        out.streams.push_back(std::move(s));
      }
    } else if (*key == "LastEvaluatedStreamArn") {
      out.last_evaluated_stream_arn = r.read_string();
    } else {
      r.skip_value();
    }
  }
  r.finish();
  return out;
}

StreamDescription DynamoDbClient::describe_stream(const DescribeStreamRequest& q) {
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  w.key("StreamArn");
  w.string(q.stream_arn);
  wire::optional_string(w, "ExclusiveStartShardId", q.exclusive_start_shard_id);
  if (q.limit) {
    w.key("Limit");
    w.number(*q.limit);
  }
  w.end_object();
  StreamDescription out;
  read_member_object(
      invoke(Api::kStreams, "DescribeStream", std::move(body), Idempotency::kIdempotent),
      "StreamDescription", [&out](JsonReader& r, std::string_view key) {
        if (key == "StreamArn") {
          out.stream_arn = r.read_string();
        } else if (key == "StreamLabel") {
          out.stream_label = r.read_string();
        } else if (key == "StreamStatus") {
          out.stream_status = r.read_string();
        } else if (key == "StreamViewType") {
          out.stream_view_type = r.read_string();
        } else if (key == "TableName") {
          out.table_name = r.read_string();
        } else if (key == "KeySchema") {
          out.key_schema = wire::read_key_schema(r);
        } else if (key == "LastEvaluatedShardId") {
          out.last_evaluated_shard_id = r.read_string();
        } else if (key == "Shards") {
          r.enter_array();
          while (r.next_element()) {
            Shard shard;
            r.enter_object();
            while (auto member = r.next_key()) {
              if (wire::skip_null(r)) {
                continue;
              }
              if (*member == "ShardId") {
                shard.shard_id = r.read_string();
              } else if (*member == "ParentShardId") {
                shard.parent_shard_id = r.read_string();
              } else if (*member == "SequenceNumberRange") {
                r.enter_object();
                while (auto range = r.next_key()) {
                  if (wire::skip_null(r)) {
                    continue;
                  }
                  if (*range == "StartingSequenceNumber") {
                    shard.starting_sequence_number = r.read_string();
                  } else if (*range == "EndingSequenceNumber") {
                    shard.ending_sequence_number = r.read_string();
                  } else {
                    r.skip_value();
                  }
                }
              } else {
                r.skip_value();
              }
            }
            out.shards.push_back(std::move(shard));
          }
        } else {
          r.skip_value();
        }
      });
  return out;
}

std::string DynamoDbClient::get_shard_iterator(const GetShardIteratorRequest& q) {
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  w.key("StreamArn");
  w.string(q.stream_arn);
  w.key("ShardId");
  w.string(q.shard_id);
  w.key("ShardIteratorType");
  w.string(wire::name(q.type));
  wire::optional_string(w, "SequenceNumber", q.sequence_number);
  w.end_object();
  std::string response =
      invoke(Api::kStreams, "GetShardIterator", std::move(body), Idempotency::kIdempotent);
  std::string iterator;
  JsonReader r(response);
  r.enter_object();
  while (auto key = r.next_key()) {
    if (*key == "ShardIterator" && !wire::skip_null(r)) {
      iterator = r.read_string();
    } else {
      r.skip_value();
    }
  }
  r.finish();
  return iterator;
}

GetRecordsResult DynamoDbClient::get_records(const GetRecordsRequest& q) {
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  w.key("ShardIterator");
  w.string(q.shard_iterator);
  if (q.limit) {
    w.key("Limit");
    w.number(*q.limit);
  }
  w.end_object();
  std::string response =
      invoke(Api::kStreams, "GetRecords", std::move(body), Idempotency::kIdempotent);
  GetRecordsResult out;
  JsonReader r(response);
  r.enter_object();
  while (auto key = r.next_key()) {
    if (wire::skip_null(r)) {
      continue;
    }
    if (*key == "NextShardIterator") {
      out.next_shard_iterator = std::string(r.read_string());
    } else if (*key == "Records") {
      r.enter_array();
      while (r.next_element()) {
        StreamRecord record;
        r.enter_object();
        while (auto member = r.next_key()) {
          if (wire::skip_null(r)) {
            continue;
          }
          if (*member == "eventID") {
            record.event_id = r.read_string();
          } else if (*member == "eventName") {
            record.event_name = r.read_string();
          } else if (*member == "dynamodb") {
            r.enter_object();
            while (auto field = r.next_key()) {
              if (wire::skip_null(r)) {
                continue;
              }
              if (*field == "Keys") {
                record.keys = read_item(r);
              } else if (*field == "NewImage") {
                record.new_image = read_item(r);
              } else if (*field == "OldImage") {
                record.old_image = read_item(r);
              } else if (*field == "SequenceNumber") {
                record.sequence_number = r.read_string();
              } else if (*field == "ApproximateCreationDateTime") {
                record.approximate_creation_ms =
                    static_cast<std::int64_t>(std::llround(wire::read_double(r) * 1000.0));
              } else if (*field == "SizeBytes") {
                record.size_bytes = wire::read_int64(r);
              } else if (*field == "StreamViewType") {
                record.stream_view_type = r.read_string();
              } else {
                r.skip_value();
              }
            }
          } else {
            r.skip_value();
          }
        }
        out.records.push_back(std::move(record));
      }
    } else {
      r.skip_value();
    }
  }
  r.finish();
  return out;
}

}  // namespace zae::aws
