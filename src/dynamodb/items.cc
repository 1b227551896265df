// SPDX-License-Identifier: MIT
#include "dynamodb/items.h"

#include <algorithm>
#include <string>
#include <utility>

#include "aws/errors.h"
#include "aws/json.h"
#include "core/json.h"
#include "dynamodb/keys.h"

namespace zae::dynamodb {
namespace {

using aws::AttributeMap;
using aws::AttributeType;
using aws::AttributeValue;

AttributeValue s(std::string_view v) { return AttributeValue::of_string(std::string(v)); }
AttributeValue n(std::int64_t v) { return AttributeValue::of_int64(v); }
AttributeValue s_or_null(const std::optional<std::string>& v) {
  return v ? s(*v) : AttributeValue::null();
}

// "PK=..., SK=..." of an item, for error messages.
std::string describe(const AttributeMap& item) {
  auto key_text = [&](std::string_view name) -> std::string {
    const AttributeValue* v = item.find(name);
    if (v == nullptr || v->type() != AttributeType::kString) {
      return "?";
    }
    return v->as_string();
  };
  return "item PK=" + key_text(kPk) + " SK=" + key_text(kSk);
}

[[noreturn]] void malformed(const AttributeMap& item, std::string_view problem) {
  throw MalformedItemError(describe(item) + ": " + std::string(problem));
}

const AttributeValue* find_present(const AttributeMap& item, std::string_view name) {
  const AttributeValue* v = item.find(name);
  return v == nullptr || v->is_null() ? nullptr : v;
}

std::string required_string(const AttributeMap& item, std::string_view name) {
  const AttributeValue* v = find_present(item, name);
  if (v == nullptr) {
    malformed(item, "missing attribute " + std::string(name));
  }
  if (v->type() != AttributeType::kString) {
    malformed(item, "attribute " + std::string(name) + " is not S");
  }
  return v->as_string();
}

// Absent and NULL both read as nullopt (spec/data-model.md §4).
std::optional<std::string> optional_string(const AttributeMap& item, std::string_view name) {
  const AttributeValue* v = find_present(item, name);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (v->type() != AttributeType::kString) {
    malformed(item, "attribute " + std::string(name) + " is not S");
  }
  return v->as_string();
}

// The integer in `value`, an attribute of `item` whose name `name()` gives (built only for an
// error): N and an int64, or MalformedItemError naming it.
template <typename Name>
std::int64_t integer_named(const AttributeMap& item, const AttributeValue& value,
                           const Name& name) {
  if (value.type() != AttributeType::kNumber) {
    malformed(item, "attribute " + std::string(name()) + " is not N");
  }
  try {
    return value.as_int64();
  } catch (const aws::NumberError&) {
    malformed(item, "attribute " + std::string(name()) +
                        " is not an integer: " + value.as_number().text());
  }
}

std::int64_t integer_of(const AttributeMap& item, const AttributeValue& value,
                        std::string_view name) {
  return integer_named(item, value, [name] { return name; });
}

std::optional<std::int64_t> optional_int(const AttributeMap& item, std::string_view name) {
  const AttributeValue* v = find_present(item, name);
  if (v == nullptr) {
    return std::nullopt;
  }
  return integer_of(item, *v, name);
}

std::int64_t required_int(const AttributeMap& item, std::string_view name) {
  const auto v = optional_int(item, name);
  if (!v) {
    malformed(item, "missing attribute " + std::string(name));
  }
  return *v;
}

bool optional_bool(const AttributeMap& item, std::string_view name, bool fallback) {
  const AttributeValue* v = find_present(item, name);
  if (v == nullptr) {
    return fallback;
  }
  if (v->type() != AttributeType::kBool) {
    malformed(item, "attribute " + std::string(name) + " is not BOOL");
  }
  return v->as_bool();
}

void set_key(AttributeMap& item, const ItemKey& key) {
  item.set(std::string(kPk), s(key.pk));
  item.set(std::string(kSk), s(key.sk));
}

void set_gsi4(AttributeMap& item, std::string_view gsi4pk, std::string_view gsi4sk) {
  item.set(std::string(kGsi4Pk), s(gsi4pk));
  item.set(std::string(kGsi4Sk), s(gsi4sk));
}

void set_config_limits(AttributeMap& item, const std::vector<Limit>& limits) {
  // Config items store tokens and seconds, not millitokens (spec/data-model.md §6.4, §8.1).
  for (const Limit& limit : limits) {
    item.set(config_attribute(limit.name(), "cp"), n(limit.capacity()));
    item.set(config_attribute(limit.name(), "ra"), n(limit.refill_amount()));
    item.set(config_attribute(limit.name(), "rp"), n(limit.refill_period_seconds()));
  }
}

AttributeMap namespace_item(const ItemKey& key, const NamespaceRecord& record) {
  AttributeMap item;
  set_key(item, key);
  item.set("namespace_id", s(record.namespace_id));
  item.set("namespace_name", s(record.namespace_name));
  item.set("status", s(record.status));
  item.set("created_at", s(record.created_at));
  set_gsi4(item, kReservedNamespace, system_pk(kReservedNamespace));
  return item;
}

AttributeValue json_to_attribute(aws::JsonReader& reader) {
  switch (reader.peek()) {
    case aws::JsonType::kString:
      return s(reader.read_string());
    case aws::JsonType::kNumber:
      return AttributeValue::of_number(aws::Number::parse(reader.read_number()));
    case aws::JsonType::kBool:
      return AttributeValue::of_bool(reader.read_bool());
    case aws::JsonType::kNull:
      reader.read_null();
      return AttributeValue::null();
    case aws::JsonType::kArray: {
      aws::AttributeList list;
      reader.enter_array();
      while (reader.next_element()) {
        list.push_back(json_to_attribute(reader));
      }
      return AttributeValue::of_list(std::move(list));
    }
    case aws::JsonType::kObject: {
      AttributeMap map;
      reader.enter_object();
      while (auto key = reader.next_key()) {
        std::string name(*key);
        map.set(std::move(name), json_to_attribute(reader));
      }
      return AttributeValue::of_map(std::move(map));
    }
  }
  reader.fail("unexpected JSON value");
}

void attribute_to_json(core::JsonWriter& writer, const AttributeValue& value) {
  switch (value.type()) {
    case AttributeType::kString:
      writer.value(value.as_string());
      return;
    case AttributeType::kNumber:
      writer.raw(value.as_number().text());
      return;
    case AttributeType::kBool:
      writer.value(value.as_bool());
      return;
    case AttributeType::kMap:
      writer.begin_object();
      for (const auto& [name, v] : value.as_map()) {
        writer.key(name);
        attribute_to_json(writer, v);
      }
      writer.end_object();
      return;
    case AttributeType::kList:
      writer.begin_array();
      for (const AttributeValue& v : value.as_list()) {
        attribute_to_json(writer, v);
      }
      writer.end_array();
      return;
    case AttributeType::kStringSet:
      writer.begin_array();
      for (const std::string& v : value.as_string_set()) {
        writer.value(v);
      }
      writer.end_array();
      return;
    case AttributeType::kNumberSet:
      writer.begin_array();
      for (const aws::Number& v : value.as_number_set()) {
        writer.raw(v.text());
      }
      writer.end_array();
      return;
    default:
      // NULL, and binary values, which the original never writes into details.
      writer.null();
      return;
  }
}

}  // namespace

AttributeMap encode_namespace_forward(const NamespaceRecord& record) {
  // spec/data-model.md §6.1: forward records are deleted, never marked, so no deleted_at.
  return namespace_item(namespace_forward_key(record.namespace_name), record);
}

AttributeMap encode_namespace_reverse(const NamespaceRecord& record) {
  AttributeMap item = namespace_item(namespace_reverse_key(record.namespace_id), record);
  if (record.deleted_at) {
    item.set("deleted_at", s(*record.deleted_at));
  }
  return item;
}

NamespaceRecord decode_namespace_record(const AttributeMap& item) {
  return NamespaceRecord{.namespace_id = required_string(item, "namespace_id"),
                         .namespace_name = required_string(item, "namespace_name"),
                         .status = optional_string(item, "status").value_or("active"),
                         .created_at = optional_string(item, "created_at").value_or(""),
                         .deleted_at = optional_string(item, "deleted_at")};
}

AttributeMap encode_version_record(const VersionRecord& record) {
  AttributeMap item;
  set_key(item, version_key());
  item.set("schema_version", s(record.schema_version));
  item.set("client_min_version", s(record.client_min_version));
  item.set("updated_at", s(record.updated_at));
  item.set("lambda_version", s_or_null(record.lambda_version));
  item.set("updated_by", s_or_null(record.updated_by));
  set_gsi4(item, kReservedNamespace, system_pk(kReservedNamespace));
  return item;
}

VersionRecord decode_version_record(const AttributeMap& item) {
  // spec/data-model.md §6.3: defaults for records written by older versions.
  return VersionRecord{
      .schema_version = optional_string(item, "schema_version").value_or("1.0.0"),
      .client_min_version = optional_string(item, "client_min_version").value_or("0.0.0"),
      .updated_at = optional_string(item, "updated_at").value_or(""),
      .lambda_version = optional_string(item, "lambda_version"),
      .updated_by = optional_string(item, "updated_by")};
}

std::vector<Limit> decode_config_limits(const AttributeMap& item) {
  std::vector<Limit> limits;
  for (const auto& [name, value] : item) {
    // spec/data-model.md §2.5: a config limit is every l_*_cp.
    auto parsed = parse_composite_attribute(AttributeFamily::kConfig, name);
    if (!parsed || parsed->field != "cp") {
      continue;
    }
    const std::int64_t cp = required_int(item, name);
    const std::int64_t ra = required_int(item, config_attribute(parsed->limit, "ra"));
    const std::int64_t rp = required_int(item, config_attribute(parsed->limit, "rp"));
    limits.emplace_back(parsed->limit, cp, ra, rp);
  }
  return limits;
}

AttributeMap encode_system_config(std::string_view ns, const SystemConfigItem& config) {
  AttributeMap item;
  const ItemKey key = system_config_key(ns);
  set_key(item, key);
  item.set("config_version", n(1));
  if (config.defaults.on_unavailable) {
    item.set("on_unavailable", s(to_string(*config.defaults.on_unavailable)));
  }
  set_config_limits(item, config.defaults.limits);
  if (config.audit_retention_days) {
    item.set("audit_retention_days", n(*config.audit_retention_days));
  }
  set_gsi4(item, ns, key.pk);
  return item;
}

SystemConfigItem decode_system_config(const AttributeMap& item) {
  SystemConfigItem config;
  config.defaults.limits = decode_config_limits(item);
  if (auto text = optional_string(item, "on_unavailable")) {
    config.defaults.on_unavailable = parse_on_unavailable(*text);
  }
  config.audit_retention_days = optional_int(item, "audit_retention_days");
  return config;
}

AttributeMap encode_resource_config(std::string_view ns, const ResourceConfigItem& config) {
  AttributeMap item;
  const ItemKey key = resource_config_key(ns, config.resource);
  set_key(item, key);
  item.set("resource", s(config.resource));
  item.set("config_version", n(1));
  set_config_limits(item, config.limits);
  set_gsi4(item, ns, key.pk);
  return item;
}

ResourceConfigItem decode_resource_config(const AttributeMap& item) {
  return ResourceConfigItem{.resource = required_string(item, "resource"),
                            .limits = decode_config_limits(item)};
}

AttributeMap encode_entity_config(std::string_view ns, const EntityConfigItem& config) {
  AttributeMap item;
  const ItemKey key = entity_config_key(ns, config.entity_id, config.resource);
  set_key(item, key);
  item.set("entity_id", s(config.entity_id));
  item.set("resource", s(config.resource));
  item.set("config_version", n(1));
  set_config_limits(item, config.limits);
  item.set(std::string(kGsi3Pk), s(entity_config_gsi3pk(ns, config.resource)));
  item.set(std::string(kGsi3Sk), s(config.entity_id));
  set_gsi4(item, ns, key.pk);
  return item;
}

EntityConfigItem decode_entity_config(const AttributeMap& item) {
  return EntityConfigItem{.entity_id = required_string(item, "entity_id"),
                          .resource = required_string(item, "resource"),
                          .limits = decode_config_limits(item)};
}

AttributeMap encode_entity_meta(std::string_view ns, const Entity& entity) {
  AttributeMap item;
  const ItemKey key = entity_meta_key(ns, entity.id);
  set_key(item, key);
  item.set("entity_id", s(entity.id));
  item.set("name", s(entity.name.empty() ? entity.id : entity.name));
  item.set("parent_id", s_or_null(entity.parent_id));
  item.set("cascade", AttributeValue::of_bool(entity.cascade));
  AttributeMap metadata;
  for (const auto& [k, v] : entity.metadata) {
    metadata.set(k, s(v));
  }
  item.set("metadata", AttributeValue::of_map(std::move(metadata)));
  item.set("created_at", s(entity.created_at));
  if (entity.parent_id) {
    item.set(std::string(kGsi1Pk), s(parent_gsi1pk(ns, *entity.parent_id)));
    item.set(std::string(kGsi1Sk), s(child_gsi1sk(entity.id)));
  }
  set_gsi4(item, ns, key.pk);
  return item;
}

Entity decode_entity_meta(const AttributeMap& item) {
  Entity entity;
  entity.id = required_string(item, "entity_id");
  entity.name = optional_string(item, "name").value_or(entity.id);
  entity.parent_id = optional_string(item, "parent_id");
  entity.cascade = optional_bool(item, "cascade", false);
  if (const AttributeValue* metadata = find_present(item, "metadata")) {
    if (metadata->type() != AttributeType::kMap) {
      malformed(item, "attribute metadata is not M");
    }
    for (const auto& [k, v] : metadata->as_map()) {
      // The original writes string values only; anything else is not representable here.
      if (v.type() == AttributeType::kString) {
        entity.metadata.emplace(k, v.as_string());
      }
    }
  }
  entity.created_at = optional_string(item, "created_at").value_or("");
  return entity;
}

std::vector<std::string> EntityConfigRegistry::resources() const {
  std::vector<std::string> out;
  for (const auto& [resource, count] : counts) {
    if (count > 0) {
      out.push_back(resource);
    }
  }
  return out;
}

AttributeMap encode_entity_config_registry(std::string_view ns,
                                           const EntityConfigRegistry& registry) {
  AttributeMap item;
  const ItemKey key = entity_config_registry_key(ns);
  set_key(item, key);
  for (const auto& [resource, count] : registry.counts) {
    item.set(resource, n(count));
  }
  set_gsi4(item, ns, key.pk);
  return item;
}

EntityConfigRegistry decode_entity_config_registry(const AttributeMap& item) {
  // spec/data-model.md §6.8: every non-key N attribute is a resource count; GSI4 keys are S.
  EntityConfigRegistry registry;
  for (const auto& [name, value] : item) {
    if (name == kPk || name == kSk || value.type() != AttributeType::kNumber) {
      continue;
    }
    registry.counts.emplace(name, required_int(item, name));
  }
  return registry;
}

AttributeMap encode_resource_registry(std::string_view ns, const ResourceRegistry& registry) {
  AttributeMap item;
  const ItemKey key = resource_registry_key(ns);
  set_key(item, key);
  if (!registry.resources.empty()) {
    item.set("resources", AttributeValue::of_string_set(registry.resources));
  }
  set_gsi4(item, ns, key.pk);
  return item;
}

ResourceRegistry decode_resource_registry(const AttributeMap& item) {
  ResourceRegistry registry;
  if (const AttributeValue* v = find_present(item, "resources")) {
    if (v->type() != AttributeType::kStringSet) {
      malformed(item, "attribute resources is not SS");
    }
    registry.resources = v->as_string_set();
    std::sort(registry.resources.begin(), registry.resources.end());
  }
  return registry;
}

BucketLimitFields full_wcu_fields() {
  return BucketLimitFields{.name = std::string(kWcuLimit),
                           .tokens_milli = kWcuCapacityMilli,
                           .capacity_milli = kWcuCapacityMilli,
                           .refill_amount_milli = kWcuRefillAmountMilli,
                           .refill_period_ms = kWcuRefillPeriodMs,
                           .total_consumed_milli = 0};
}

AttributeMap encode_bucket(std::string_view ns, const BucketItem& bucket) {
  AttributeMap item;
  const ItemKey key = bucket_key(ns, bucket.entity_id, bucket.resource, bucket.shard);
  set_key(item, key);
  item.set("entity_id", s(bucket.entity_id));
  item.set("resource", s(bucket.resource));
  item.set("rf", n(bucket.refill_ms));
  auto set_limit = [&item](const BucketLimitFields& f) {
    item.set(bucket_attribute(f.name, "tk"), n(f.tokens_milli));
    item.set(bucket_attribute(f.name, "cp"), n(f.capacity_milli));
    item.set(bucket_attribute(f.name, "ra"), n(f.refill_amount_milli));
    item.set(bucket_attribute(f.name, "rp"), n(f.refill_period_ms));
    if (f.total_consumed_milli) {
      item.set(bucket_attribute(f.name, "tc"), n(*f.total_consumed_milli));
    }
  };
  for (const BucketLimitFields& f : bucket.limits) {
    set_limit(f);
  }
  if (bucket.wcu) {
    set_limit(*bucket.wcu);
  }
  item.set("cascade", AttributeValue::of_bool(bucket.cascade));
  // spec/data-model.md §4: on buckets parent_id is omitted, not NULL, when empty.
  if (bucket.parent_id) {
    item.set("parent_id", s(*bucket.parent_id));
  }
  item.set("shard_count", n(bucket.shard_count));
  if (bucket.ttl) {
    item.set("ttl", n(*bucket.ttl));
  }
  item.set(std::string(kGsi2Pk), s(resource_pk(ns, bucket.resource)));
  item.set(std::string(kGsi2Sk), s(bucket_gsi2sk(bucket.entity_id, bucket.shard)));
  item.set(std::string(kGsi3Pk), s(entity_pk(ns, bucket.entity_id)));
  item.set(std::string(kGsi3Sk), s(bucket_gsi3sk(bucket.resource, bucket.shard)));
  set_gsi4(item, ns, bucket_gsi4sk(bucket.entity_id, bucket.resource, bucket.shard));
  return item;
}


BucketItem decode_bucket(const AttributeMap& item) {
  // One pass over the item (the warm path decodes every write's ALL_NEW answer): the fields of
  // each b_{limit}_{field} are collected per limit, the rest by name; NULL reads as absent.
  struct LimitValues {
    std::string_view name;
    std::size_t tk_position = 0;
    const AttributeValue* tk = nullptr;
    const AttributeValue* cp = nullptr;
    const AttributeValue* ra = nullptr;
    const AttributeValue* rp = nullptr;
    const AttributeValue* tc = nullptr;
  };
  std::vector<LimitValues> found;
  found.reserve(4);
  const AttributeValue* pk_value = nullptr;
  const AttributeValue* entity_id = nullptr;
  const AttributeValue* resource = nullptr;
  const AttributeValue* rf = nullptr;
  const AttributeValue* cascade = nullptr;
  const AttributeValue* parent_id = nullptr;
  const AttributeValue* shard_count = nullptr;
  const AttributeValue* ttl = nullptr;
  std::size_t position = 0;
  for (const auto& [name, value] : item) {
    ++position;
    if (name.size() > 2 && name[0] == 'b' && name[1] == '_') {
      // spec/data-model.md §2.5: the last '_' separates the limit from the field.
      const std::string_view rest = std::string_view(name).substr(2);
      const std::size_t split = rest.rfind('_');
      if (split == std::string_view::npos || split == 0 || split + 1 == rest.size()) {
        continue;
      }
      const std::string_view limit = rest.substr(0, split);
      const std::string_view field = rest.substr(split + 1);
      if (value.is_null()) {
        if (field == "tk") {
          malformed(item, "missing attribute " + name);
        }
        continue;
      }
      auto it = std::find_if(found.begin(), found.end(),
                             [&](const LimitValues& v) { return v.name == limit; });
      if (it == found.end()) {
        found.push_back(LimitValues{.name = limit});
        it = found.end() - 1;
      }
      if (field == "tk") {
        it->tk = &value;
        it->tk_position = position;
      } else if (field == "cp") {
        it->cp = &value;
      } else if (field == "ra") {
        it->ra = &value;
      } else if (field == "rp") {
        it->rp = &value;
      } else if (field == "tc") {
        it->tc = &value;
      }
      continue;
    }
    if (value.is_null()) {
      continue;
    }
    // As views, so that most names fail on their length before any byte is compared.
    using namespace std::string_view_literals;
    const std::string_view n = name;
    if (n == kPk) {
      pk_value = &value;
    } else if (n == "entity_id"sv) {
      entity_id = &value;
    } else if (n == "resource"sv) {
      resource = &value;
    } else if (n == "rf"sv) {
      rf = &value;
    } else if (n == "cascade"sv) {
      cascade = &value;
    } else if (n == "parent_id"sv) {
      parent_id = &value;
    } else if (n == "shard_count"sv) {
      shard_count = &value;
    } else if (n == "ttl"sv) {
      ttl = &value;
    }
  }
  const auto string_of = [&](std::string_view name, const AttributeValue& value) {
    if (value.type() != AttributeType::kString) {
      malformed(item, "attribute " + std::string(name) + " is not S");
    }
    return value.as_string();
  };
  if (pk_value == nullptr) {
    malformed(item, "missing attribute " + std::string(kPk));
  }
  const auto pk = parse_bucket_pk(string_of(kPk, *pk_value));
  if (!pk) {
    malformed(item, "not a bucket partition key");
  }
  BucketItem bucket;
  bucket.entity_id = entity_id != nullptr ? string_of("entity_id", *entity_id) : pk->entity_id;
  bucket.resource = resource != nullptr ? string_of("resource", *resource) : pk->resource;
  bucket.shard = pk->shard;
  // spec/data-model.md §6.10: tolerant defaults.
  bucket.refill_ms = rf != nullptr ? integer_of(item, *rf, "rf") : 0;
  if (cascade != nullptr) {
    if (cascade->type() != AttributeType::kBool) {
      malformed(item, "attribute cascade is not BOOL");
    }
    bucket.cascade = cascade->as_bool();
  }
  if (parent_id != nullptr) {
    bucket.parent_id = string_of("parent_id", *parent_id);
  }
  bucket.shard_count = shard_count != nullptr ? integer_of(item, *shard_count, "shard_count") : 1;
  if (ttl != nullptr) {
    bucket.ttl = integer_of(item, *ttl, "ttl");
  }
  // spec/data-model.md §2.5: a bucket limit is every b_*_tk, in the item's order of those.
  std::erase_if(found, [](const LimitValues& v) { return v.tk == nullptr; });
  std::sort(found.begin(), found.end(), [](const LimitValues& a, const LimitValues& b) {
    return a.tk_position < b.tk_position;
  });
  bucket.limits.reserve(found.size());
  for (const LimitValues& v : found) {
    const auto value_of = [&](const AttributeValue& value, std::string_view field) {
      return integer_named(item, value, [&] { return bucket_attribute(v.name, field); });
    };
    const auto optional = [&](const AttributeValue* value, std::string_view field) {
      return value != nullptr ? std::optional(value_of(*value, field)) : std::nullopt;
    };
    BucketLimitFields f{.name = std::string(v.name),
                        .tokens_milli = value_of(*v.tk, "tk"),
                        .capacity_milli = optional(v.cp, "cp").value_or(0),
                        .refill_amount_milli = optional(v.ra, "ra").value_or(0),
                        .refill_period_ms = optional(v.rp, "rp").value_or(0),
                        .total_consumed_milli = optional(v.tc, "tc")};
    if (v.name == kWcuLimit) {
      bucket.wcu = std::move(f);
    } else {
      bucket.limits.push_back(std::move(f));
    }
  }
  return bucket;
}

AttributeMap details_from_json(std::string_view json) {
  try {
    aws::JsonReader reader(json.empty() ? std::string_view("{}") : json);
    if (reader.peek() != aws::JsonType::kObject) {
      reader.fail("audit details must be a JSON object");
    }
    AttributeValue value = json_to_attribute(reader);
    reader.finish();
    return std::move(value.as_map());
  } catch (const aws::AwsError& e) {
    throw MalformedItemError(std::string("audit details: ") + e.what());
  }
}

std::string details_to_json(const AttributeMap& details) {
  core::JsonWriter writer;
  attribute_to_json(writer, AttributeValue::of_map(details));
  return std::move(writer).str();
}

AttributeMap encode_audit_event(std::string_view ns, const AuditEvent& event,
                                std::int64_t ttl_epoch_seconds) {
  AttributeMap item;
  const ItemKey key = audit_key(ns, event.entity_id, event.event_id);
  set_key(item, key);
  item.set("entity_id", s(event.entity_id));
  item.set("event_id", s(event.event_id));
  item.set("timestamp", s(event.timestamp));
  item.set("action", s(event.action));
  item.set("principal", s_or_null(event.principal));
  item.set("resource", s_or_null(event.resource));
  item.set("details", AttributeValue::of_map(details_from_json(event.details_json)));
  item.set("ttl", n(ttl_epoch_seconds));
  set_gsi4(item, ns, key.pk);
  return item;
}

AuditItem decode_audit_event(const AttributeMap& item) {
  AuditItem out;
  out.event.event_id = required_string(item, "event_id");
  out.event.timestamp = optional_string(item, "timestamp").value_or("");
  out.event.action = required_string(item, "action");
  out.event.entity_id = required_string(item, "entity_id");
  out.event.principal = optional_string(item, "principal");
  out.event.resource = optional_string(item, "resource");
  AttributeMap details;
  if (const AttributeValue* v = find_present(item, "details")) {
    if (v->type() != AttributeType::kMap) {
      malformed(item, "attribute details is not M");
    }
    details = v->as_map();
  }
  out.event.details_json = details_to_json(details);
  out.ttl = optional_int(item, "ttl");
  return out;
}

}  // namespace zae::dynamodb
