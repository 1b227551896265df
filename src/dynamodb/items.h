// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zae/errors.h"
#include "zae/limit.h"
#include "zae/store.h"

#include "aws/attribute_value.h"

// Codecs between C++ structs and the stored items of the shared table (spec/data-model.md §6).
// Encoders produce the full item exactly as the Python original writes it (keys and GSI keys
// included); numbers are canonical base-10 integers (§4). Decoders are tolerant exactly as the
// spec lists and throw MalformedItemError, naming the item's PK and SK, for anything else.
namespace zae::dynamodb {

// A stored item that does not have the shape its key promises. Not transient.
class MalformedItemError : public InfrastructureError {
 public:
  using InfrastructureError::InfrastructureError;
};

// spec/data-model.md §6.3, §12.1.
inline constexpr std::string_view kSchemaVersion = "0.10.0";

// Namespace forward (name -> id) and reverse (id -> name) records (spec/data-model.md §6.1-6.2).
struct NamespaceRecord {
  std::string namespace_id{};
  std::string namespace_name{};
  // "active", "deleted" or "purging".
  std::string status = "active";
  std::string created_at{};
  // Reverse record only, while status is deleted/purging.
  std::optional<std::string> deleted_at{};
  friend bool operator==(const NamespaceRecord&, const NamespaceRecord&) = default;
};
aws::AttributeMap encode_namespace_forward(const NamespaceRecord& record);
aws::AttributeMap encode_namespace_reverse(const NamespaceRecord& record);
// Reads either form.
NamespaceRecord decode_namespace_record(const aws::AttributeMap& item);

// The table's version record (spec/data-model.md §6.3; Q27 for what a C++ writer puts in it).
struct VersionRecord {
  std::string schema_version{kSchemaVersion};
  std::string client_min_version = "0.0.0";
  std::string updated_at{};
  std::optional<std::string> lambda_version{};
  std::optional<std::string> updated_by{};
  friend bool operator==(const VersionRecord&, const VersionRecord&) = default;
};
aws::AttributeMap encode_version_record(const VersionRecord& record);
// Missing schema_version reads as "1.0.0", missing client_min_version as "0.0.0".
VersionRecord decode_version_record(const aws::AttributeMap& item);

// System config (spec/data-model.md §6.4).
struct SystemConfigItem {
  SystemDefaults defaults{};
  // Only written by SET after stack creation (Q2); kept when present.
  std::optional<std::int64_t> audit_retention_days{};
  friend bool operator==(const SystemConfigItem&, const SystemConfigItem&) = default;
};
aws::AttributeMap encode_system_config(std::string_view ns, const SystemConfigItem& config);
SystemConfigItem decode_system_config(const aws::AttributeMap& item);

// Resource defaults (spec/data-model.md §6.5).
struct ResourceConfigItem {
  std::string resource{};
  std::vector<Limit> limits{};
  friend bool operator==(const ResourceConfigItem&, const ResourceConfigItem&) = default;
};
aws::AttributeMap encode_resource_config(std::string_view ns, const ResourceConfigItem& config);
ResourceConfigItem decode_resource_config(const aws::AttributeMap& item);

// Entity limits for one resource or "_default_" (spec/data-model.md §6.6).
struct EntityConfigItem {
  std::string entity_id{};
  std::string resource{};
  std::vector<Limit> limits{};
  friend bool operator==(const EntityConfigItem&, const EntityConfigItem&) = default;
};
aws::AttributeMap encode_entity_config(std::string_view ns, const EntityConfigItem& config);
EntityConfigItem decode_entity_config(const aws::AttributeMap& item);

// The l_{L}_cp/ra/rp attributes of a config item, in item order (spec/data-model.md §2.5: a
// limit is every l_*_cp; other l_* fields such as l_{L}_bx are ignored). Throws
// MalformedItemError when ra or rp is missing, and the Limit constructor's errors for an invalid
// or reserved stored limit (spec/data-model.md §3).
std::vector<Limit> decode_config_limits(const aws::AttributeMap& item);

// Entity META (spec/data-model.md §6.7).
aws::AttributeMap encode_entity_meta(std::string_view ns, const Entity& entity);
Entity decode_entity_meta(const aws::AttributeMap& item);

// Entity-config resources registry: reference counts per resource (spec/data-model.md §6.8).
struct EntityConfigRegistry {
  std::map<std::string, std::int64_t> counts{};
  // Resources whose count is > 0, sorted.
  std::vector<std::string> resources() const;
  friend bool operator==(const EntityConfigRegistry&, const EntityConfigRegistry&) = default;
};
// The item as the increments leave it (it is only ever written by UpdateItem).
aws::AttributeMap encode_entity_config_registry(std::string_view ns,
                                                const EntityConfigRegistry& registry);
EntityConfigRegistry decode_entity_config_registry(const aws::AttributeMap& item);

// Resources-with-defaults registry (spec/data-model.md §6.9).
struct ResourceRegistry {
  std::vector<std::string> resources{};
  friend bool operator==(const ResourceRegistry&, const ResourceRegistry&) = default;
};
// `resources` omitted when empty (DynamoDB drops an emptied set).
aws::AttributeMap encode_resource_registry(std::string_view ns, const ResourceRegistry& registry);
// Sorted.
ResourceRegistry decode_resource_registry(const aws::AttributeMap& item);

// spec/data-model.md §6.10: the reserved write-pressure limit.
inline constexpr std::string_view kWcuLimit = "wcu";
inline constexpr std::int64_t kWcuCapacityMilli = 1'000'000;
inline constexpr std::int64_t kWcuRefillAmountMilli = 1'000'000;
inline constexpr std::int64_t kWcuRefillPeriodMs = 1'000;
inline constexpr std::int64_t kWcuPerWriteMilli = 1'000;

// One limit's fields on a bucket item: b_{L}_tk/cp/ra/rp/tc (millitokens, rp in ms).
struct BucketLimitFields {
  std::string name{};
  std::int64_t tokens_milli = 0;
  std::int64_t capacity_milli = 0;
  std::int64_t refill_amount_milli = 0;
  std::int64_t refill_period_ms = 0;
  // nullopt: unknown (absent on the item).
  std::optional<std::int64_t> total_consumed_milli{};
  friend bool operator==(const BucketLimitFields&, const BucketLimitFields&) = default;
};
// `wcu` at full (spec/data-model.md §6.10).
BucketLimitFields full_wcu_fields();

// A bucket item (spec/data-model.md §6.10).
struct BucketItem {
  std::string entity_id{};
  std::string resource{};
  int shard = 0;
  // Epoch milliseconds; 0 when absent.
  std::int64_t refill_ms = 0;
  // Application limits, in item order; never `wcu`.
  std::vector<BucketLimitFields> limits{};
  // The reserved limit, kept apart so it never reaches user-facing results, yet preserved.
  std::optional<BucketLimitFields> wcu{};
  bool cascade = false;
  std::optional<std::string> parent_id{};
  std::int64_t shard_count = 1;
  // Epoch seconds.
  std::optional<std::int64_t> ttl{};
  friend bool operator==(const BucketItem&, const BucketItem&) = default;
};
// The full item of create (spec/data-model.md §7.1 row 1): parent_id omitted when empty, tc
// written only when known, wcu fields when `wcu` is set.
aws::AttributeMap encode_bucket(std::string_view ns, const BucketItem& bucket);
// Tolerates missing tc/cp/ra/rp/shard_count/cascade/parent_id/rf, NULL parent_id and unknown
// b_* fields; entity_id/resource/shard default to the PK's parts (Q19 partial items).
BucketItem decode_bucket(const aws::AttributeMap& item);

// Audit event (spec/data-model.md §6.11). details_json is a JSON object converted to M with the
// value mapping of §4 (string S, bool BOOL, number N, object M, array L, null NULL).
aws::AttributeMap encode_audit_event(std::string_view ns, const AuditEvent& event,
                                     std::int64_t ttl_epoch_seconds);
struct AuditItem {
  AuditEvent event{};
  std::optional<std::int64_t> ttl{};
};
AuditItem decode_audit_event(const aws::AttributeMap& item);

// JSON object text <-> M (spec/data-model.md §4). Throws MalformedItemError on malformed JSON or
// a top-level value that is not an object.
aws::AttributeMap details_from_json(std::string_view json);
std::string details_to_json(const aws::AttributeMap& details);

}  // namespace zae::dynamodb
