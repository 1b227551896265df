// SPDX-License-Identifier: MIT
#include "dynamodb/keys.h"

#include <charconv>
#include <mutex>
#include <random>
#include <string>

#include "aws/base64.h"

namespace zae::dynamodb {
namespace {

std::string cat(std::initializer_list<std::string_view> parts) {
  std::size_t size = 0;
  for (std::string_view p : parts) {
    size += p.size();
  }
  std::string out;
  out.reserve(size);
  for (std::string_view p : parts) {
    out.append(p);
  }
  return out;
}

std::string prefixed(std::string_view ns, std::string_view prefix, std::string_view rest) {
  return cat({ns, "/", prefix, rest});
}

}  // namespace

aws::AttributeMap ItemKey::to_attributes() const {
  return aws::AttributeMap{{std::string(kPk), aws::AttributeValue::of_string(pk)},
                           {std::string(kSk), aws::AttributeValue::of_string(sk)}};
}

std::string system_pk(std::string_view ns) { return prefixed(ns, kSystemPrefix, ""); }
std::string entity_pk(std::string_view ns, std::string_view entity_id) {
  return prefixed(ns, kEntityPrefix, entity_id);
}
std::string resource_pk(std::string_view ns, std::string_view resource) {
  return prefixed(ns, kResourcePrefix, resource);
}
std::string audit_pk(std::string_view ns, std::string_view entity_id) {
  return prefixed(ns, kAuditPrefix, entity_id);
}
std::string bucket_pk(std::string_view ns, std::string_view entity_id, std::string_view resource,
                      int shard) {
  return cat({ns, "/", bucket_gsi4sk(entity_id, resource, shard)});
}

std::string entity_config_sk(std::string_view resource) { return cat({kSkConfig, "#", resource}); }
std::string namespace_sk(std::string_view name) { return cat({kSkNamespacePrefix, name}); }
std::string nsid_sk(std::string_view ns) { return cat({kSkNsidPrefix, ns}); }
std::string audit_sk(std::string_view event_id) { return cat({kSkAuditPrefix, event_id}); }
std::string usage_sk(std::string_view resource, std::string_view window) {
  return cat({kSkUsagePrefix, resource, "#", window});
}

std::string parent_gsi1pk(std::string_view ns, std::string_view parent_id) {
  return prefixed(ns, kParentPrefix, parent_id);
}
std::string child_gsi1sk(std::string_view entity_id) { return cat({kChildPrefix, entity_id}); }
std::string bucket_gsi2sk(std::string_view entity_id, int shard) {
  return cat({kBucketPrefix, entity_id, "#", std::to_string(shard)});
}
std::string usage_gsi2sk(std::string_view window, std::string_view entity_id) {
  return cat({"USAGE#", window, "#", entity_id});
}
std::string entity_config_gsi3pk(std::string_view ns, std::string_view resource) {
  return prefixed(ns, kEntityConfigPrefix, resource);
}
std::string bucket_gsi3sk(std::string_view resource, int shard) {
  return cat({kBucketPrefix, resource, "#", std::to_string(shard)});
}
std::string bucket_gsi4sk(std::string_view entity_id, std::string_view resource, int shard) {
  return cat({kBucketPrefix, entity_id, "#", resource, "#", std::to_string(shard)});
}

ItemKey namespace_forward_key(std::string_view name) {
  return {system_pk(kReservedNamespace), namespace_sk(name)};
}
ItemKey namespace_reverse_key(std::string_view ns) {
  return {system_pk(kReservedNamespace), nsid_sk(ns)};
}
ItemKey version_key() { return {system_pk(kReservedNamespace), std::string(kSkVersion)}; }
ItemKey system_config_key(std::string_view ns) { return {system_pk(ns), std::string(kSkConfig)}; }
ItemKey resource_config_key(std::string_view ns, std::string_view resource) {
  return {resource_pk(ns, resource), std::string(kSkConfig)};
}
ItemKey entity_config_key(std::string_view ns, std::string_view entity_id,
                          std::string_view resource) {
  return {entity_pk(ns, entity_id), entity_config_sk(resource)};
}
ItemKey entity_meta_key(std::string_view ns, std::string_view entity_id) {
  return {entity_pk(ns, entity_id), std::string(kSkMeta)};
}
ItemKey entity_config_registry_key(std::string_view ns) {
  return {system_pk(ns), std::string(kSkEntityConfigResources)};
}
ItemKey resource_registry_key(std::string_view ns) {
  return {system_pk(ns), std::string(kSkResources)};
}
ItemKey provisioner_key(std::string_view ns) {
  return {system_pk(ns), std::string(kSkProvisioner)};
}
ItemKey bucket_key(std::string_view ns, std::string_view entity_id, std::string_view resource,
                   int shard) {
  return {bucket_pk(ns, entity_id, resource, shard), std::string(kSkState)};
}
ItemKey audit_key(std::string_view ns, std::string_view entity_id, std::string_view event_id) {
  return {audit_pk(ns, entity_id), audit_sk(event_id)};
}
ItemKey usage_key(std::string_view ns, std::string_view entity_id, std::string_view resource,
                  std::string_view window) {
  return {entity_pk(ns, entity_id), usage_sk(resource, window)};
}

std::string usage_window_key(std::string_view window_type, std::string_view window_start) {
  if (window_type == "hourly") return std::string(window_start);
  return cat({window_start, "#", window_type});
}

std::optional<std::string_view> namespace_of(std::string_view key) {
  const auto slash = key.find('/');
  if (slash == std::string_view::npos) {
    return std::nullopt;
  }
  return key.substr(0, slash);
}

std::optional<BucketPk> parse_bucket_pk(std::string_view pk) {
  // spec/data-model.md §2.4.
  const auto slash = pk.find('/');
  if (slash == std::string_view::npos || slash == 0) {
    return std::nullopt;
  }
  std::string_view rest = pk.substr(slash + 1);
  if (!rest.starts_with(kBucketPrefix)) {
    return std::nullopt;
  }
  rest.remove_prefix(kBucketPrefix.size());
  const auto last_hash = rest.rfind('#');
  if (last_hash == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view shard_text = rest.substr(last_hash + 1);
  rest = rest.substr(0, last_hash);
  const auto first_hash = rest.find('#');
  if (first_hash == std::string_view::npos || first_hash == 0 || first_hash + 1 == rest.size() ||
      shard_text.empty()) {
    return std::nullopt;
  }
  int shard = 0;
  const auto [end, ec] =
      std::from_chars(shard_text.data(), shard_text.data() + shard_text.size(), shard);
  // from_chars accepts a leading '-': shards are non-negative.
  if (ec != std::errc{} || end != shard_text.data() + shard_text.size() || shard < 0 ||
      shard_text.front() == '-') {
    return std::nullopt;
  }
  return BucketPk{.namespace_id = std::string(pk.substr(0, slash)),
                  .entity_id = std::string(rest.substr(0, first_hash)),
                  .resource = std::string(rest.substr(first_hash + 1)),
                  .shard = shard};
}

std::string composite_attribute(AttributeFamily family, std::string_view limit,
                                std::string_view field) {
  return cat({family == AttributeFamily::kBucket ? "b_" : "l_", limit, "_", field});
}

std::optional<CompositeName> parse_composite_attribute(AttributeFamily family,
                                                       std::string_view name) {
  const std::string_view prefix = family == AttributeFamily::kBucket ? "b_" : "l_";
  if (!name.starts_with(prefix)) {
    return std::nullopt;
  }
  name.remove_prefix(prefix.size());
  // spec/data-model.md §2.5: the last '_' separates the limit from the field.
  const auto split = name.rfind('_');
  if (split == std::string_view::npos || split == 0 || split + 1 == name.size()) {
    return std::nullopt;
  }
  return CompositeName{std::string(name.substr(0, split)), std::string(name.substr(split + 1))};
}

std::string encode_namespace_id(const NamespaceIdBytes& bytes) {
  // spec/data-model.md §2.2: Python secrets.token_urlsafe(8), i.e. base64url without padding.
  std::string text = aws::base64_encode(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  while (!text.empty() && text.back() == '=') {
    text.pop_back();
  }
  for (char& c : text) {
    if (c == '+') {
      c = '-';
    } else if (c == '/') {
      c = '_';
    }
  }
  return text;
}

std::string generate_namespace_id(const std::function<NamespaceIdBytes()>& random) {
  std::string id = encode_namespace_id(random());
  while (id.front() == '-') {
    id = encode_namespace_id(random());
  }
  return id;
}

NamespaceIdBytes system_random_namespace_bytes() {
  static std::mutex mutex;
  static std::random_device device;
  NamespaceIdBytes bytes{};
  std::lock_guard lock(mutex);
  for (std::size_t i = 0; i < bytes.size(); i += 4) {
    const unsigned int word = device();
    for (std::size_t j = 0; j < 4 && i + j < bytes.size(); ++j) {
      bytes[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
    }
  }
  return bytes;
}

bool is_namespace_id(std::string_view id) {
  if (id.size() != kNamespaceIdLength || id.front() == '-') {
    return false;
  }
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) {
      return false;
    }
  }
  return true;
}

}  // namespace zae::dynamodb
