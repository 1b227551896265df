// SPDX-License-Identifier: MIT
#include "dynamodb/provisioner_item.h"

#include <string>
#include <utility>
#include <vector>

#include "dynamodb/items.h"
#include "dynamodb/keys.h"

namespace zae::dynamodb {
namespace {

using aws::AttributeList;
using aws::AttributeMap;
using aws::AttributeType;
using aws::AttributeValue;

constexpr std::string_view kManagedSystem = "managed_system";
constexpr std::string_view kManagedResources = "managed_resources";
constexpr std::string_view kManagedEntities = "managed_entities";
constexpr std::string_view kLastApplied = "last_applied";
constexpr std::string_view kAppliedHash = "applied_hash";

AttributeValue string_list(const std::vector<std::string>& values) {
  AttributeList list;
  list.reserve(values.size());
  for (const std::string& v : values) {
    list.push_back(AttributeValue::of_string(v));
  }
  return AttributeValue::of_list(std::move(list));
}

[[noreturn]] void malformed(const AttributeMap& item, std::string_view problem) {
  const auto key = [&](std::string_view name) -> std::string {
    const AttributeValue* v = item.find(name);
    return v != nullptr && v->type() == AttributeType::kString ? v->as_string() : "?";
  };
  throw MalformedItemError("item PK=" + key(kPk) + " SK=" + key(kSk) + ": " + std::string(problem));
}

// Absent and NULL both read as missing (spec/data-model.md §4).
const AttributeValue* find_typed(const AttributeMap& item, std::string_view name,
                                 AttributeType type) {
  const AttributeValue* v = item.find(name);
  if (v == nullptr || v->is_null()) {
    return nullptr;
  }
  if (v->type() != type) {
    malformed(item, "attribute " + std::string(name) + " is " + std::string(type_name(v->type())) +
                        ", expected " + std::string(type_name(type)));
  }
  return v;
}

std::vector<std::string> decode_string_list(const AttributeMap& item, std::string_view name,
                                            const AttributeValue& value) {
  std::vector<std::string> out;
  for (const AttributeValue& element : value.as_list()) {
    if (element.type() != AttributeType::kString) {
      malformed(item, "attribute " + std::string(name) + " holds a non-S element");
    }
    out.push_back(element.as_string());
  }
  return out;
}

std::string optional_string(const AttributeMap& item, std::string_view name) {
  const AttributeValue* v = find_typed(item, name, AttributeType::kString);
  return v != nullptr ? v->as_string() : std::string();
}

}  // namespace

AttributeMap encode_provisioner_state(std::string_view ns, const ProvisionerState& state) {
  const ItemKey key = provisioner_key(ns);
  AttributeMap entities;
  for (const auto& [entity_id, resources] : state.managed_entities) {
    entities.set(entity_id, string_list(resources));
  }
  return AttributeMap{
      {std::string(kPk), AttributeValue::of_string(key.pk)},
      {std::string(kSk), AttributeValue::of_string(key.sk)},
      {std::string(kGsi4Pk), AttributeValue::of_string(std::string(ns))},
      {std::string(kManagedSystem), AttributeValue::of_bool(state.managed_system)},
      {std::string(kManagedResources), string_list(state.managed_resources)},
      {std::string(kManagedEntities), AttributeValue::of_map(std::move(entities))},
      {std::string(kLastApplied), AttributeValue::of_string(state.last_applied)},
      {std::string(kAppliedHash), AttributeValue::of_string(state.applied_hash)},
  };
}

ProvisionerState decode_provisioner_state(const AttributeMap& item) {
  ProvisionerState state;
  if (const AttributeValue* v = find_typed(item, kManagedSystem, AttributeType::kBool)) {
    state.managed_system = v->as_bool();
  }
  if (const AttributeValue* v = find_typed(item, kManagedResources, AttributeType::kList)) {
    state.managed_resources = decode_string_list(item, kManagedResources, *v);
  }
  if (const AttributeValue* v = find_typed(item, kManagedEntities, AttributeType::kMap)) {
    for (const auto& [entity_id, resources] : v->as_map()) {
      if (resources.type() != AttributeType::kList) {
        malformed(item, "managed_entities." + entity_id + " is not L");
      }
      state.managed_entities[entity_id] = decode_string_list(item, kManagedEntities, resources);
    }
  }
  state.last_applied = optional_string(item, kLastApplied);
  state.applied_hash = optional_string(item, kAppliedHash);
  return state;
}

}  // namespace zae::dynamodb
