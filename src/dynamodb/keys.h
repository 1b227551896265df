// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "aws/attribute_value.h"

// Key formats of the shared table (spec/data-model.md §2): the exact strings the Python original
// writes, so that both implementations address the same items. Pure string building: nothing here
// validates identifiers (callers validate before a key is built, spec/data-model.md §3).
namespace zae::dynamodb {

// spec/data-model.md §2.2: the reserved namespace holding the registry and the version record.
inline constexpr std::string_view kReservedNamespace = "_";
inline constexpr std::string_view kDefaultNamespaceName = "default";
// spec/data-model.md §3: the entity-wide default config resource.
inline constexpr std::string_view kDefaultResource = "_default_";

// Partition-key prefix constants (spec/data-model.md §2.3).
inline constexpr std::string_view kEntityPrefix = "ENTITY#";
inline constexpr std::string_view kParentPrefix = "PARENT#";
inline constexpr std::string_view kChildPrefix = "CHILD#";
inline constexpr std::string_view kResourcePrefix = "RESOURCE#";
inline constexpr std::string_view kSystemPrefix = "SYSTEM#";
inline constexpr std::string_view kEntityConfigPrefix = "ENTITY_CONFIG#";
inline constexpr std::string_view kBucketPrefix = "BUCKET#";
inline constexpr std::string_view kAuditPrefix = "AUDIT#";

// Sort-key constants (spec/data-model.md §2.3).
inline constexpr std::string_view kSkMeta = "#META";
inline constexpr std::string_view kSkState = "#STATE";
inline constexpr std::string_view kSkConfig = "#CONFIG";
inline constexpr std::string_view kSkResources = "#RESOURCES";
inline constexpr std::string_view kSkEntityConfigResources = "#ENTITY_CONFIG_RESOURCES";
inline constexpr std::string_view kSkVersion = "#VERSION";
inline constexpr std::string_view kSkProvisioner = "#PROVISIONER";
inline constexpr std::string_view kSkAuditPrefix = "#AUDIT#";
inline constexpr std::string_view kSkUsagePrefix = "#USAGE#";
inline constexpr std::string_view kSkNamespacePrefix = "#NAMESPACE#";
inline constexpr std::string_view kSkNsidPrefix = "#NSID#";

// Key attribute names (spec/data-model.md §1.2).
inline constexpr std::string_view kPk = "PK";
inline constexpr std::string_view kSk = "SK";
inline constexpr std::string_view kGsi1Pk = "GSI1PK";
inline constexpr std::string_view kGsi1Sk = "GSI1SK";
inline constexpr std::string_view kGsi2Pk = "GSI2PK";
inline constexpr std::string_view kGsi2Sk = "GSI2SK";
inline constexpr std::string_view kGsi3Pk = "GSI3PK";
inline constexpr std::string_view kGsi3Sk = "GSI3SK";
inline constexpr std::string_view kGsi4Pk = "GSI4PK";
inline constexpr std::string_view kGsi4Sk = "GSI4SK";

// A table primary key.
struct ItemKey {
  std::string pk{};
  std::string sk{};

  // {"PK": S pk, "SK": S sk}, the form GetItem/UpdateItem/DeleteItem take.
  aws::AttributeMap to_attributes() const;
  friend bool operator==(const ItemKey&, const ItemKey&) = default;
};

// Partition-key values (spec/data-model.md §2.1, §2.3). `ns` is the opaque namespace id.
std::string system_pk(std::string_view ns);                               // {ns}/SYSTEM#
std::string entity_pk(std::string_view ns, std::string_view entity_id);   // {ns}/ENTITY#{e}
std::string resource_pk(std::string_view ns, std::string_view resource);  // {ns}/RESOURCE#{r}
std::string audit_pk(std::string_view ns, std::string_view entity_id);    // {ns}/AUDIT#{e}
std::string bucket_pk(std::string_view ns, std::string_view entity_id, std::string_view resource,
                      int shard);  // {ns}/BUCKET#{e}#{r}#{s}

// Sort-key values.
std::string entity_config_sk(std::string_view resource);                   // #CONFIG#{r}
std::string namespace_sk(std::string_view name);                           // #NAMESPACE#{name}
std::string nsid_sk(std::string_view ns);                                  // #NSID#{ns}
std::string audit_sk(std::string_view event_id);                           // #AUDIT#{u}
std::string usage_sk(std::string_view resource, std::string_view window);  // #USAGE#{r}#{w}

// Secondary-index key values.
std::string parent_gsi1pk(std::string_view ns, std::string_view parent_id);     // {ns}/PARENT#{p}
std::string child_gsi1sk(std::string_view entity_id);                           // CHILD#{e}
std::string bucket_gsi2sk(std::string_view entity_id, int shard);               // BUCKET#{e}#{s}
std::string usage_gsi2sk(std::string_view window, std::string_view entity_id);  // USAGE#{w}#{e}
std::string entity_config_gsi3pk(std::string_view ns,
                                 std::string_view resource);      // {ns}/ENTITY_CONFIG#{r}
std::string bucket_gsi3sk(std::string_view resource, int shard);  // BUCKET#{r}#{s}
std::string bucket_gsi4sk(std::string_view entity_id, std::string_view resource,
                          int shard);  // BUCKET#{e}#{r}#{s} (not equal to the PK)

// Primary keys of every item type (spec/data-model.md §2.3).
ItemKey namespace_forward_key(std::string_view name);
ItemKey namespace_reverse_key(std::string_view ns);
ItemKey version_key();
ItemKey system_config_key(std::string_view ns);
ItemKey resource_config_key(std::string_view ns, std::string_view resource);
ItemKey entity_config_key(std::string_view ns, std::string_view entity_id,
                          std::string_view resource);
ItemKey entity_meta_key(std::string_view ns, std::string_view entity_id);
ItemKey entity_config_registry_key(std::string_view ns);
ItemKey resource_registry_key(std::string_view ns);
ItemKey provisioner_key(std::string_view ns);
ItemKey bucket_key(std::string_view ns, std::string_view entity_id, std::string_view resource,
                   int shard);
ItemKey audit_key(std::string_view ns, std::string_view entity_id, std::string_view event_id);
ItemKey usage_key(std::string_view ns, std::string_view entity_id, std::string_view resource,
                  std::string_view window);

// The `{w}` part of a usage snapshot key for a window type ("hourly", "daily", "monthly") and its
// start ("YYYY-MM-DDTHH:00:00Z"). The original keys every window type by its start alone, so its
// daily record is its 00:00 hourly record (spec/behavior.md AG-8, OQ-23c). Ours: hourly records
// keep the original's key (a Python reader and a Python aggregator address the same item);
// daily and monthly records append "#daily" / "#monthly", so they never share an item with an
// hourly one. Readers of both implementations parse the attributes, never the key, so both key
// forms read the same way; entity-mode queries `begins_with(SK, "#USAGE#{r}#")` match both.
std::string usage_window_key(std::string_view window_type, std::string_view window_start);

// The namespace of a partition key: the text before the first '/' (spec/data-model.md §2.1).
// nullopt for a pre-namespace (legacy) key without '/', which readers skip.
std::optional<std::string_view> namespace_of(std::string_view key);

// The parts of {ns}/BUCKET#{e}#{r}#{s}.
struct BucketPk {
  std::string namespace_id{};
  std::string entity_id{};
  std::string resource{};
  int shard = 0;
  friend bool operator==(const BucketPk&, const BucketPk&) = default;
};
// spec/data-model.md §2.4: namespace before the first '/', then "BUCKET#", shard after the last
// '#', entity before the first remaining '#', resource the rest (it may contain '/'). nullopt when
// `pk` is not of that form (no '/', other prefix, empty part, shard not a non-negative decimal).
std::optional<BucketPk> parse_bucket_pk(std::string_view pk);

// Composite attribute names (spec/data-model.md §2.5): b_{L}_{f} on buckets, l_{L}_{f} on
// config items.
enum class AttributeFamily { kBucket, kConfig };
std::string composite_attribute(AttributeFamily family, std::string_view limit,
                                std::string_view field);
inline std::string bucket_attribute(std::string_view limit, std::string_view field) {
  return composite_attribute(AttributeFamily::kBucket, limit, field);
}
inline std::string config_attribute(std::string_view limit, std::string_view field) {
  return composite_attribute(AttributeFamily::kConfig, limit, field);
}
struct CompositeName {
  std::string limit{};
  std::string field{};
  friend bool operator==(const CompositeName&, const CompositeName&) = default;
};
// Splits `name` at its last '_' after the family prefix ("b_" or "l_"), so limit names may
// contain '_'. nullopt when the prefix is missing or either part is empty.
std::optional<CompositeName> parse_composite_attribute(AttributeFamily family,
                                                       std::string_view name);

// Namespace ids (spec/data-model.md §2.2, spec/behavior.md NS-1).
inline constexpr std::size_t kNamespaceIdLength = 11;
using NamespaceIdBytes = std::array<std::uint8_t, 8>;
// The 11-character base64url (no padding) form of 8 bytes.
std::string encode_namespace_id(const NamespaceIdBytes& bytes);
// Draws 8 bytes from `random` and encodes them, drawing again while the id starts with '-'.
std::string generate_namespace_id(const std::function<NamespaceIdBytes()>& random);
// 8 bytes from std::random_device (the OS entropy source on Linux). Thread-safe.
NamespaceIdBytes system_random_namespace_bytes();
// True iff `id` is 11 characters of [A-Za-z0-9_-] not starting with '-'.
bool is_namespace_id(std::string_view id);

}  // namespace zae::dynamodb
