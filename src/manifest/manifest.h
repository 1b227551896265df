// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "zae/clock.h"
#include "zae/limit.h"
#include "zae/store.h"

// The declarative limits manifest (spec/cli.md §14): YAML loading with strict validation, the
// normalised form and its hash. No I/O beyond reading the file; no CLI types.
namespace zae::manifest {

// A manifest that cannot be used. what() is "{file}:{line}:{column}: {path}: {problem}", the
// location and path left out where they do not apply, e.g.
// "limits.yaml:7:19: resources.gpt-4.limits.rpm.capacity: must be a positive integer, got -5".
class ManifestError : public std::runtime_error {
 public:
  ManifestError(const std::string& file, std::optional<std::pair<int, int>> line_column,
                const std::string& path, const std::string& problem);
  // The dotted path in the manifest ("" for the document itself).
  const std::string& path() const { return path_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string path_;
  std::string problem_;
};

// The `system` section: present means "the system defaults are managed".
struct SystemSection {
  // Ordered by name.
  std::vector<Limit> limits{};
  std::optional<OnUnavailable> on_unavailable{};
  friend bool operator==(const SystemSection&, const SystemSection&) = default;
};

// A validated manifest in normalised form (spec/cli.md §14.3): defaults applied, `burst` folded
// into capacity, every limit list ordered by name.
struct Manifest {
  std::string namespace_name{};
  std::optional<SystemSection> system{};
  // Resource name -> its default limits.
  std::map<std::string, std::vector<Limit>> resources{};
  // Entity id -> resource (or "_default_") -> limits.
  std::map<std::string, std::map<std::string, std::vector<Limit>>> entities{};
  friend bool operator==(const Manifest&, const Manifest&) = default;
};

// The manifest as written, for output that repeats it (limits cfn-template, spec/cli.md §10.4):
// keys in file order, no defaults applied, `burst` kept apart from `capacity`, and an absent
// section or `limits` key told apart from an empty one.
struct WrittenLimit {
  std::string name{};
  std::int64_t capacity = 0;
  std::optional<std::int64_t> burst{};
  std::optional<std::int64_t> refill_amount{};
  std::optional<std::int64_t> refill_period{};
  friend bool operator==(const WrittenLimit&, const WrittenLimit&) = default;
};
// A resource, or an entity's resource: its `limits` mapping, nullopt when the key is absent.
struct WrittenResource {
  std::string name{};
  std::optional<std::vector<WrittenLimit>> limits{};
  friend bool operator==(const WrittenResource&, const WrittenResource&) = default;
};
struct WrittenEntity {
  std::string id{};
  std::optional<std::vector<WrittenResource>> resources{};
  friend bool operator==(const WrittenEntity&, const WrittenEntity&) = default;
};
struct WrittenSystem {
  std::optional<std::string> on_unavailable{};
  std::optional<std::vector<WrittenLimit>> limits{};
  friend bool operator==(const WrittenSystem&, const WrittenSystem&) = default;
};
struct WrittenManifest {
  std::optional<std::string> namespace_name{};
  std::optional<WrittenSystem> system{};
  std::optional<std::vector<WrittenResource>> resources{};
  std::optional<std::vector<WrittenEntity>> entities{};
  friend bool operator==(const WrittenManifest&, const WrittenManifest&) = default;
};

// Whether a manifest must name its namespace. limits plan/apply/diff need it (the original's
// provisioner refuses a manifest without one); limits cfn-template defaults it to "default".
enum class NamespaceKey { kRequired, kOptional };

// Parses and validates YAML text (spec/cli.md §14.1, with the checks §14.2 recommends): the
// top level must be one mapping; unknown and duplicate keys are rejected; `namespace` is a
// non-empty string; names follow the rules of the imperative commands (limit names, resource
// names, entity ids); numbers are positive decimal integers within the Limit maxima;
// `on_unavailable` is allow or block; a present section must be a mapping. `file` names the
// source in messages. Throws ManifestError.
Manifest parse_manifest(std::string_view yaml, const std::string& file);

// Reads `path` and parses it; an unreadable file throws ManifestError too.
Manifest load_manifest(const std::string& path);

// The same validation as parse_manifest (with `namespace` optional or not), returning the
// manifest as written. Throws ManifestError.
WrittenManifest parse_written_manifest(std::string_view yaml, const std::string& file,
                                       NamespaceKey namespace_key);

// Reads `path` and parses it with parse_written_manifest.
WrittenManifest load_written_manifest(const std::string& path, NamespaceKey namespace_key);

// The normalised manifest as Python's json.dumps(to_dict(), sort_keys=True) writes it: ", " and
// ": " separators, non-ASCII escaped as \uXXXX (spec/cli.md §14.3, §14.4).
std::string normalized_json(const Manifest& manifest);

// "sha256:" + lowercase hex SHA-256 of normalized_json(manifest).
std::string applied_hash(const Manifest& manifest);

// The managed set of the manifest (managed_system, sorted managed_resources and
// managed_entities); last_applied and applied_hash are left empty.
ProvisionerState managed_set(const Manifest& manifest);

// Python's datetime.isoformat() of a UTC time: "2026-02-19T12:34:56.789000+00:00", the fraction
// omitted when zero.
std::string python_isoformat(TimePoint time);

}  // namespace zae::manifest
