// SPDX-License-Identifier: MIT
#include "dynamodb/entity_config_ops.h"

#include <algorithm>
#include <random>
#include <string_view>
#include <utility>

#include "zae/errors.h"
#include "zae/validation.h"

#include "core/json.h"
#include "core/limit_json.h"
#include "core/time_format.h"
#include "core/ulid.h"
#include "dynamodb/items.h"
#include "dynamodb/keys.h"
#include "dynamodb/namespaces.h"

namespace zae::dynamodb {
namespace {

using aws::AttributeMap;
using aws::AttributeValue;

constexpr std::string_view kSystemAuditEntity = "$SYSTEM";
constexpr std::string_view kResourceAuditPrefix = "$RESOURCE:";

std::array<std::uint8_t, 10> system_ulid_randomness() {
  thread_local std::random_device device;
  std::array<std::uint8_t, 10> out{};
  for (auto& byte : out) {
    byte = static_cast<std::uint8_t>(device() & 0xFFU);
  }
  return out;
}

std::int64_t now_seconds(TimePoint now) {
  // now_s = now_ms // 1000, floor (spec/data-model.md §0.2).
  const std::int64_t ms = epoch_ms(now);
  return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

std::string resource_audit_entity(std::string_view resource) {
  return std::string(kResourceAuditPrefix) + std::string(resource);
}

// The GSI4 SET clause of both registries (spec/data-model.md §6.8, §6.9).
constexpr std::string_view kRegistryGsi4Set =
    "SET GSI4PK = if_not_exists(GSI4PK, :gsi4pk), GSI4SK = if_not_exists(GSI4SK, :gsi4sk)";

AttributeMap registry_gsi4_values(std::string_view ns) {
  return AttributeMap{{":gsi4pk", AttributeValue::of_string(std::string(ns))},
                      {":gsi4sk", AttributeValue::of_string(system_pk(ns))}};
}

bool is_config_limit_attribute(std::string_view name) {
  return parse_composite_attribute(AttributeFamily::kConfig, name).has_value();
}

}  // namespace

void validate_principal(const std::optional<std::string>& principal) {
  if (principal && !principal->starts_with("arn:")) {
    validate_identifier(*principal, "principal");
  }
}

void validate_entity_resource(const std::string& resource) {
  if (resource != kDefaultResource) {
    validate_resource(resource);
  }
}

void validate_audit_entity(const std::string& entity_id) {
  if (entity_id == kSystemAuditEntity) {
    return;
  }
  if (entity_id.starts_with(kResourceAuditPrefix)) {
    validate_resource(std::string_view(entity_id).substr(kResourceAuditPrefix.size()));
    return;
  }
  validate_identifier(entity_id, "entity_id");
}

std::string limits_details_json(const std::vector<Limit>& limits,
                                std::optional<std::optional<OnUnavailable>> on_unavailable) {
  core::JsonWriter w;
  w.begin_object().key("limits");
  core::write_limits_json(w, limits);
  if (on_unavailable) {
    w.key("on_unavailable");
    if (*on_unavailable) {
      w.value(to_string(**on_unavailable));
    } else {
      w.null();
    }
  }
  w.end_object();
  return std::move(w).str();
}

EntityConfigOps::EntityConfigOps(aws::DynamoDbClient& client, std::string table_name,
                                 std::string namespace_id, EntityConfigOpsOptions options)
    : client_(client),
      table_(std::move(table_name)),
      ns_(std::move(namespace_id)),
      options_(std::move(options)) {}

std::optional<AttributeMap> EntityConfigOps::read(const AttributeMap& key,
                                                  aws::ReadConsistency consistency) {
  return client_.get_item({.table_name = table_, .key = key, .consistency = consistency}).item;
}

Entity EntityConfigOps::create_entity(const CreateEntityRequest& request, TimePoint now) {
  // EN-1; the principal too, before the write (OQ-27).
  validate_identifier(request.entity_id, "entity_id");
  if (request.parent_id) {
    validate_identifier(*request.parent_id, "parent_id");
  }
  validate_principal(request.principal);
  Entity entity{.id = request.entity_id,
                .name = request.name.empty() ? request.entity_id : request.name,  // EN-2
                .parent_id = request.parent_id,
                .cascade = request.cascade,
                .metadata = request.metadata,
                .created_at = core::format_utc_seconds(now_seconds(now))};
  with_zae_errors("create entity '" + entity.id + "'", [&] {
    // spec/data-model.md §6.7: PutItem conditional on absence (EN-4).
    auto outcome = client_.try_put_item({.table_name = table_,
                                         .item = encode_entity_meta(ns_, entity),
                                         .condition_expression = "attribute_not_exists(PK)"});
    if (outcome.is_condition_failure()) {
      throw EntityExistsError(entity.id);
    }
    (void)outcome.value();
  });
  // EN-5: details {name, parent_id, cascade, metadata}.
  core::JsonWriter w;
  w.begin_object().key("name").value(entity.name).key("parent_id");
  if (entity.parent_id) {
    w.value(*entity.parent_id);
  } else {
    w.null();
  }
  w.key("cascade").value(entity.cascade).key("metadata").begin_object();
  for (const auto& [k, v] : entity.metadata) {
    w.key(k).value(v);
  }
  w.end_object().end_object();
  write_audit(entity.id, "entity_created", std::nullopt, std::move(w).str(), request.principal,
              now);
  return entity;
}

std::optional<Entity> EntityConfigOps::get_entity(const std::string& entity_id) {
  validate_identifier(entity_id, "entity_id");
  return with_zae_errors("get entity '" + entity_id + "'", [&]() -> std::optional<Entity> {
    auto item = read(entity_meta_key(ns_, entity_id).to_attributes());
    if (!item) {
      return std::nullopt;
    }
    return decode_entity_meta(*item);
  });
}

std::vector<Entity> EntityConfigOps::get_children(const std::string& parent_id) {
  validate_identifier(parent_id, "parent_id");
  return with_zae_errors("get children of '" + parent_id + "'", [&] {
    // EN-14: GSI1 (projection ALL) on {ns}/PARENT#{p}, ascending by CHILD#{e}.
    const auto result =
        client_.query_all({.table_name = table_,
                           .index_name = "GSI1",
                           .key_condition_expression = "GSI1PK = :pk",
                           .expression_attribute_values = {
                               {":pk", AttributeValue::of_string(parent_gsi1pk(ns_, parent_id))}}});
    std::vector<Entity> children;
    children.reserve(result.items.size());
    for (const auto& item : result.items) {
      children.push_back(decode_entity_meta(item));
    }
    return children;
  });
}

std::size_t EntityConfigOps::delete_entity(const std::string& entity_id,
                                           const std::optional<std::string>& principal,
                                           TimePoint now) {
  validate_identifier(entity_id, "entity_id");
  validate_principal(principal);
  const std::size_t deleted = with_zae_errors("delete entity '" + entity_id + "'", [&] {
    // EN-9: the entity's partition (META, configs, usage snapshots) and, through GSI3, every
    // bucket of the entity. Every page of both (the original reads one; OQ-17).
    const std::string pk = entity_pk(ns_, entity_id);
    const auto partition = client_.query_all(
        {.table_name = table_,
         .key_condition_expression = "PK = :pk",
         .projection_expression = "PK, SK",
         .expression_attribute_values = {{":pk", AttributeValue::of_string(pk)}}});
    const auto buckets = client_.query_all(
        {.table_name = table_,
         .index_name = "GSI3",
         .key_condition_expression = "GSI3PK = :pk AND begins_with(GSI3SK, :bucket)",
         .expression_attribute_values = {
             {":pk", AttributeValue::of_string(pk)},
             {":bucket", AttributeValue::of_string(std::string(kBucketPrefix))}}});
    std::vector<aws::WriteRequest> deletes;
    std::vector<std::string> config_resources;
    const auto key_of = [](const AttributeMap& item) {
      AttributeMap key;
      key.set(std::string(kPk), item.at(kPk));
      key.set(std::string(kSk), item.at(kSk));
      return key;
    };
    const std::string config_prefix = entity_config_sk("");
    for (const AttributeMap& item : partition.items) {
      const std::string& sk = item.at(kSk).as_string();
      if (sk.starts_with(config_prefix)) {
        config_resources.push_back(sk.substr(config_prefix.size()));
      }
      deletes.push_back(aws::WriteRequest::erase(key_of(item)));
    }
    for (const AttributeMap& item : buckets.items) {
      deletes.push_back(aws::WriteRequest::erase(key_of(item)));
    }
    if (deletes.empty()) {
      return std::size_t{0};
    }
    // EN-11 in batches of 25; the client resends unprocessed items (OQ-17).
    const std::size_t count = deletes.size();
    const auto result = client_.batch_write_item({.request_items = {{table_, std::move(deletes)}}});
    if (!result.unprocessed_items.empty()) {
      throw InfrastructureError("DynamoDB left items of entity '" + entity_id +
                                    "' undeleted after every resend; run the delete again",
                                /*transient=*/true);
    }
    // OQ-17: the entity-config registry counts the deleted configs no more.
    const AttributeMap registry_key = entity_config_registry_key(ns_).to_attributes();
    for (const std::string& resource : config_resources) {
      client_.update_item(
          {.table_name = table_,
           .key = registry_key,
           .update_expression = "ADD #resource :minus_one",
           .expression_attribute_names = {{"#resource", resource}},
           .expression_attribute_values = {{":minus_one", AttributeValue::of_int64(-1)}}});
      auto cleanup = client_.try_update_item(
          {.table_name = table_,
           .key = registry_key,
           .update_expression = "REMOVE #resource",
           .condition_expression = "#resource <= :zero",
           .expression_attribute_names = {{"#resource", resource}},
           .expression_attribute_values = {{":zero", AttributeValue::of_int64(0)}}});
      if (!cleanup.is_condition_failure()) {
        (void)cleanup.value();
      }
    }
    return count;
  });
  if (deleted > 0) {
    // EN-13 (EN-10: nothing deleted, no event).
    core::JsonWriter details;
    details.begin_object()
        .key("records_deleted")
        .value(static_cast<std::int64_t>(deleted))
        .end_object();
    write_audit(entity_id, "entity_deleted", std::nullopt, std::move(details).str(), principal,
                now);
  }
  return deleted;
}

void EntityConfigOps::set_limits(const std::string& entity_id, const std::string& resource,
                                 const std::vector<Limit>& limits,
                                 const std::optional<std::string>& principal, TimePoint now) {
  validate_identifier(entity_id, "entity_id");
  validate_entity_resource(resource);
  validate_principal(principal);
  const AttributeMap item = encode_entity_config(
      ns_, EntityConfigItem{.entity_id = entity_id, .resource = resource, .limits = limits});
  with_zae_errors("set limits of '" + entity_id + "' for '" + resource + "'", [&] {
    // spec/data-model.md §6.6 step 1: create if absent + registry ADD 1, atomically.
    AttributeMap values = registry_gsi4_values(ns_);
    values.set(":one", AttributeValue::of_int64(1));
    aws::TransactWriteItemsRequest transaction{
        .items = {aws::TransactPut{.table_name = table_,
                                   .item = item,
                                   .condition_expression = "attribute_not_exists(PK)"},
                  aws::TransactUpdate{
                      .table_name = table_,
                      .key = entity_config_registry_key(ns_).to_attributes(),
                      .update_expression = std::string(kRegistryGsi4Set) + " ADD #resource :one",
                      .expression_attribute_names = {{"#resource", resource}},
                      .expression_attribute_values = std::move(values)}}};
    auto outcome = client_.try_transact_write_items(transaction);
    if (outcome.is_transaction_cancellation()) {
      const auto& reasons = outcome.transaction_cancellation().reasons;
      if (!reasons.empty() && reasons[0].code == "ConditionalCheckFailed") {
        // Step 2: the config existed; overwrite it, registry untouched.
        (void)client_.put_item({.table_name = table_, .item = item});
        return;
      }
    }
    (void)outcome.value();
  });
  write_audit(entity_id, "limits_set", resource, limits_details_json(limits), principal, now);
}

std::vector<Limit> EntityConfigOps::get_limits(const std::string& entity_id,
                                               const std::string& resource) {
  validate_identifier(entity_id, "entity_id");
  validate_entity_resource(resource);
  return with_zae_errors("get limits of '" + entity_id + "' for '" + resource + "'", [&] {
    auto item = read(entity_config_key(ns_, entity_id, resource).to_attributes());
    return item ? decode_entity_config(*item).limits : std::vector<Limit>{};
  });
}

bool EntityConfigOps::delete_limits(const std::string& entity_id, const std::string& resource,
                                    const std::optional<std::string>& principal, TimePoint now) {
  validate_identifier(entity_id, "entity_id");
  validate_entity_resource(resource);
  validate_principal(principal);
  const bool deleted =
      with_zae_errors("delete limits of '" + entity_id + "' for '" + resource + "'", [&] {
        const AttributeMap registry_key = entity_config_registry_key(ns_).to_attributes();
        // spec/data-model.md §6.6 delete step 1.
        aws::TransactWriteItemsRequest transaction{
            .items = {aws::TransactDelete{
                          .table_name = table_,
                          .key = entity_config_key(ns_, entity_id, resource).to_attributes(),
                          .condition_expression = "attribute_exists(PK)"},
                      aws::TransactUpdate{.table_name = table_,
                                          .key = registry_key,
                                          .update_expression = "ADD #resource :minus_one",
                                          .expression_attribute_names = {{"#resource", resource}},
                                          .expression_attribute_values = {
                                              {":minus_one", AttributeValue::of_int64(-1)}}}}};
        auto outcome = client_.try_transact_write_items(transaction);
        if (outcome.is_transaction_cancellation()) {
          const auto& reasons = outcome.transaction_cancellation().reasons;
          if (!reasons.empty() && reasons[0].code == "ConditionalCheckFailed") {
            return false;  // nothing existed: stop, no audit
          }
        }
        (void)outcome.value();
        // Step 2: drop the counter once it is <= 0; a positive count fails the condition.
        auto cleanup = client_.try_update_item(
            {.table_name = table_,
             .key = registry_key,
             .update_expression = "REMOVE #resource",
             .condition_expression = "#resource <= :zero",
             .expression_attribute_names = {{"#resource", resource}},
             .expression_attribute_values = {{":zero", AttributeValue::of_int64(0)}}});
        if (!cleanup.is_condition_failure()) {
          (void)cleanup.value();
        }
        return true;
      });
  if (deleted) {
    write_audit(entity_id, "limits_deleted", resource, "{}", principal, now);
  }
  return deleted;
}

void EntityConfigOps::set_resource_defaults(const std::string& resource,
                                            const std::vector<Limit>& limits,
                                            const std::optional<std::string>& principal,
                                            TimePoint now) {
  validate_resource(resource);
  validate_principal(principal);
  with_zae_errors("set resource defaults of '" + resource + "'", [&] {
    // spec/data-model.md §6.5: unconditional PutItem, then the §6.9 registry add.
    (void)client_.put_item({.table_name = table_,
                            .item = encode_resource_config(
                                ns_, ResourceConfigItem{.resource = resource, .limits = limits})});
    AttributeMap values = registry_gsi4_values(ns_);
    values.set(":resource", AttributeValue::of_string_set({resource}));
    (void)client_.update_item(
        {.table_name = table_,
         .key = resource_registry_key(ns_).to_attributes(),
         .update_expression = std::string(kRegistryGsi4Set) + " ADD resources :resource",
         .expression_attribute_values = std::move(values),
         .idempotency = aws::Idempotency::kIdempotent});
  });
  write_audit(resource_audit_entity(resource), "limits_set", resource, limits_details_json(limits),
              principal, now);
}

std::vector<Limit> EntityConfigOps::get_resource_defaults(const std::string& resource) {
  validate_resource(resource);
  return with_zae_errors("get resource defaults of '" + resource + "'", [&] {
    auto item = read(resource_config_key(ns_, resource).to_attributes());
    return item ? decode_resource_config(*item).limits : std::vector<Limit>{};
  });
}

void EntityConfigOps::delete_resource_defaults(const std::string& resource,
                                               const std::optional<std::string>& principal,
                                               TimePoint now) {
  validate_resource(resource);
  validate_principal(principal);
  with_zae_errors("delete resource defaults of '" + resource + "'", [&] {
    // SL-15: delete without existence check, then registry DELETE (§6.9).
    (void)client_.delete_item(
        {.table_name = table_, .key = resource_config_key(ns_, resource).to_attributes()});
    (void)client_.update_item(
        {.table_name = table_,
         .key = resource_registry_key(ns_).to_attributes(),
         .update_expression = "DELETE resources :resource",
         .expression_attribute_values = {{":resource", AttributeValue::of_string_set({resource})}},
         .idempotency = aws::Idempotency::kIdempotent});
  });
  // AU-1: always audited.
  write_audit(resource_audit_entity(resource), "limits_deleted", resource, "{}", principal, now);
}

std::vector<std::string> EntityConfigOps::list_resources_with_defaults() {
  return with_zae_errors("list resources with defaults", [&] {
    auto item = read(resource_registry_key(ns_).to_attributes());
    return item ? decode_resource_registry(*item).resources : std::vector<std::string>{};
  });
}

void EntityConfigOps::set_system_defaults(const SystemDefaults& defaults,
                                          const std::optional<std::string>& principal,
                                          TimePoint now) {
  validate_principal(principal);
  with_zae_errors("set system defaults", [&] {
    const AttributeMap key = system_config_key(ns_).to_attributes();
    // The attributes a PutItem would write (spec/data-model.md §6.4), applied as a partial
    // update so that audit_retention_days survives (OQ-15). Limits and on_unavailable of the
    // previous item that the new one lacks are removed, so the result equals the original's
    // item plus audit_retention_days.
    const AttributeMap wanted = encode_system_config(ns_, SystemConfigItem{.defaults = defaults});
    const auto current = read(key, aws::ReadConsistency::kStrong);
    aws::ExpressionNames names;
    AttributeMap values;
    std::string set_clause;
    std::string remove_clause;
    for (const auto& [name, value] : wanted) {
      if (name == kPk || name == kSk) {
        continue;
      }
      const std::string placeholder = std::to_string(names.size());
      names.emplace_back("#a" + placeholder, name);
      values.set(":v" + placeholder, value);
      set_clause +=
          (set_clause.empty() ? "SET " : ", ") + ("#a" + placeholder) + " = :v" + placeholder;
    }
    if (current) {
      for (const auto& [name, value] : *current) {
        if (wanted.contains(name) ||
            (name != "on_unavailable" && !is_config_limit_attribute(name))) {
          continue;
        }
        const std::string placeholder = std::to_string(names.size());
        names.emplace_back("#a" + placeholder, name);
        remove_clause += (remove_clause.empty() ? " REMOVE " : ", ") + ("#a" + placeholder);
      }
    }
    (void)client_.update_item({.table_name = table_,
                               .key = key,
                               .update_expression = set_clause + remove_clause,
                               .expression_attribute_names = std::move(names),
                               .expression_attribute_values = std::move(values),
                               .idempotency = aws::Idempotency::kIdempotent});
  });
  write_audit(std::string(kSystemAuditEntity), "limits_set", std::nullopt,
              limits_details_json(defaults.limits, defaults.on_unavailable), principal, now);
}

SystemDefaults EntityConfigOps::get_system_defaults() {
  return with_zae_errors("get system defaults", [&] {
    auto item = read(system_config_key(ns_).to_attributes());
    return item ? decode_system_config(*item).defaults : SystemDefaults{};
  });
}

void EntityConfigOps::delete_system_defaults(const std::optional<std::string>& principal,
                                             TimePoint now) {
  validate_principal(principal);
  const SystemConfigItem old = with_zae_errors("delete system defaults", [&] {
    const AttributeMap key = system_config_key(ns_).to_attributes();
    const auto current = read(key, aws::ReadConsistency::kStrong);
    if (!current) {
      return SystemConfigItem{};
    }
    SystemConfigItem decoded = decode_system_config(*current);
    if (!decoded.audit_retention_days) {
      // SL-19: the whole item goes.
      (void)client_.delete_item({.table_name = table_, .key = key});
      return decoded;
    }
    // Keep audit_retention_days (OQ-15): remove everything else but the keys and GSI4.
    aws::ExpressionNames names;
    std::string remove_clause;
    for (const auto& [name, value] : *current) {
      if (name == kPk || name == kSk || name == kGsi4Pk || name == kGsi4Sk ||
          name == "audit_retention_days") {
        continue;
      }
      const std::string placeholder = "#a" + std::to_string(names.size());
      names.emplace_back(placeholder, name);
      remove_clause += (remove_clause.empty() ? "REMOVE " : ", ") + placeholder;
    }
    if (!remove_clause.empty()) {
      (void)client_.update_item({.table_name = table_,
                                 .key = key,
                                 .update_expression = remove_clause,
                                 .expression_attribute_names = std::move(names),
                                 .idempotency = aws::Idempotency::kIdempotent});
    }
    return decoded;
  });
  // spec/data-model.md §6.11: limits as names only, plus on_unavailable.
  core::JsonWriter w;
  w.begin_object().key("limits").begin_array();
  for (const Limit& limit : old.defaults.limits) {
    w.value(limit.name());
  }
  w.end_array().key("on_unavailable");
  if (old.defaults.on_unavailable) {
    w.value(to_string(*old.defaults.on_unavailable));
  } else {
    w.null();
  }
  w.end_object();
  write_audit(std::string(kSystemAuditEntity), "limits_deleted", std::nullopt, std::move(w).str(),
              principal, now);
}

std::vector<std::string> EntityConfigOps::list_resources_with_entity_configs() {
  return with_zae_errors("list resources with entity configs", [&] {
    auto item = read(entity_config_registry_key(ns_).to_attributes());
    return item ? decode_entity_config_registry(*item).resources() : std::vector<std::string>{};
  });
}

std::vector<std::string> EntityConfigOps::list_entities_with_custom_limits(
    const std::string& resource) {
  validate_entity_resource(resource);
  return with_zae_errors("list entities with custom limits for '" + resource + "'", [&] {
    // GSI3 (KEYS_ONLY): GSI3PK = {ns}/ENTITY_CONFIG#{r}, GSI3SK = {e}.
    const auto result = client_.query_all(
        {.table_name = table_,
         .index_name = "GSI3",
         .key_condition_expression = "GSI3PK = :pk",
         .expression_attribute_values = {
             {":pk", AttributeValue::of_string(entity_config_gsi3pk(ns_, resource))}}});
    std::vector<std::string> ids;
    for (const auto& item : result.items) {
      if (const AttributeValue* sk = item.find(kGsi3Sk);
          sk != nullptr && sk->type() == aws::AttributeType::kString) {
        ids.push_back(sk->as_string());
      }
    }
    return ids;
  });
}

std::int64_t EntityConfigOps::audit_retention_days() {
  {
    std::lock_guard lock(mutex_);
    if (retention_days_) {
      return *retention_days_;
    }
  }
  // AU-4: the namespace's system config, else the option (stack value or 90). Read once.
  auto item = read(system_config_key(ns_).to_attributes());
  std::int64_t days = options_.default_audit_retention_days;
  if (item) {
    if (auto stored = decode_system_config(*item).audit_retention_days) {
      days = *stored;
    }
  }
  std::lock_guard lock(mutex_);
  retention_days_ = days;
  return days;
}

std::string EntityConfigOps::next_event_id(std::int64_t now_ms) {
  std::array<std::uint8_t, 10> randomness =
      options_.ulid_randomness ? options_.ulid_randomness() : system_ulid_randomness();
  std::lock_guard lock(ulid_mutex_);
  if (last_ulid_ms_ && *last_ulid_ms_ == now_ms) {
    // Monotonic within a millisecond, so events of one process keep their order (AU-2): the
    // last id's random part plus one.
    randomness = last_ulid_randomness_;
    for (auto byte = randomness.rbegin(); byte != randomness.rend(); ++byte) {
      if (++*byte != 0) {
        break;
      }
    }
  }
  last_ulid_ms_ = now_ms;
  last_ulid_randomness_ = randomness;
  return core::make_ulid(now_ms, randomness);
}

void EntityConfigOps::write_audit(std::string entity_id, std::string action,
                                  const std::optional<std::string>& resource,
                                  std::string details_json,
                                  const std::optional<std::string>& principal, TimePoint now) {
  const std::int64_t now_s = now_seconds(now);
  AuditEvent event{.event_id = next_event_id(epoch_ms(now)),
                   .timestamp = core::format_utc_seconds(now_s),
                   .action = std::move(action),
                   .entity_id = std::move(entity_id),
                   .principal = principal,
                   .resource = resource,
                   .details_json = std::move(details_json)};
  with_zae_errors("write audit event " + event.action + " of '" + event.entity_id + "'", [&] {
    const std::int64_t ttl = now_s + audit_retention_days() * 86400;
    // spec/data-model.md §6.11: unconditional PutItem.
    (void)client_.put_item({.table_name = table_, .item = encode_audit_event(ns_, event, ttl)});
  });
}

std::vector<AuditEvent> EntityConfigOps::get_audit_events(
    const std::string& entity_id, std::size_t limit,
    const std::optional<std::string>& start_event_id) {
  validate_audit_entity(entity_id);
  if (limit == 0) {
    throw ValidationError("limit", "0", "must be positive");
  }
  if (start_event_id && !core::is_ulid(*start_event_id)) {
    throw ValidationError("start_event_id", *start_event_id, "must be a ULID");
  }
  return with_zae_errors("get audit events of '" + entity_id + "'", [&] {
    const std::string pk = audit_pk(ns_, entity_id);
    aws::QueryRequest query{
        .table_name = table_,
        .key_condition_expression = "PK = :pk AND begins_with(SK, :prefix)",
        .expression_attribute_values = {{":pk", AttributeValue::of_string(pk)},
                                        {":prefix",
                                         AttributeValue::of_string(std::string(kSkAuditPrefix))}},
        .scan_index_forward = false,
        .limit = static_cast<std::int32_t>(std::min<std::size_t>(limit, 0x7FFFFFFF))};
    if (start_event_id) {
      query.exclusive_start_key =
          AttributeMap{{"PK", AttributeValue::of_string(pk)},
                       {"SK", AttributeValue::of_string(audit_sk(*start_event_id))}};
    }
    const auto page = client_.query(query);
    std::vector<AuditEvent> events;
    events.reserve(page.items.size());
    for (const auto& item : page.items) {
      events.push_back(decode_audit_event(item).event);
    }
    return events;
  });
}

}  // namespace zae::dynamodb
