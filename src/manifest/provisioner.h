// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zae/clock.h"
#include "zae/store.h"

#include "manifest/manifest.h"

// Plan and apply of a limits manifest against a Store (spec/cli.md §14.4-§14.6), in process:
// what the original's provisioner Lambda does, through the Store interface.
//
// Departures from the original, deliberately (spec/cli.md §14.5 allows them, §16.2 items 6-7):
// - An item that is managed (listed in the state record) and declared again is compared with
//   its live value: equal means no change, so re-applying an applied manifest is a no-op and
//   `limits diff` reports real drift (items changed out of band). The original lists every such
//   item as an update.
// - Writes go through the Store's ordinary methods, so they keep the registries, audit events
//   and bucket sync of the imperative commands.
// - Nothing is written, not even the state record, when the plan is empty and the state record
//   already describes the manifest.
namespace zae::manifest {

enum class ChangeAction { kCreate, kUpdate, kDelete };
enum class ChangeLevel { kSystem, kResource, kEntity };
std::string_view to_string(ChangeAction action);
std::string_view to_string(ChangeLevel level);

struct Change {
  ChangeAction action = ChangeAction::kCreate;
  ChangeLevel level = ChangeLevel::kSystem;
  // nullopt for the system level; the resource; "{entity}/{resource}" for an entity.
  std::optional<std::string> target{};
  friend bool operator==(const Change&, const Change&) = default;
};

// The ordered changes of spec/cli.md §14.5: system, then resources ascending (declared first,
// then deletions), then (entity, resource) pairs ascending likewise.
std::vector<Change> plan_changes(const Manifest& manifest, const ProvisionerState& previous,
                                 Store& store);

// The previous state of the store's namespace (an absent record reads as managing nothing).
ProvisionerState previous_state(Store& store);

struct ApplyResult {
  std::vector<Change> changes{};
  int created = 0;
  int updated = 0;
  int deleted = 0;
  // "{action} {level} {target}: {error}" per failed change (target "None" for the system).
  std::vector<std::string> errors{};
  // Whether the state record was rewritten.
  bool state_written = false;
};

// Plans, applies every change in order (a failing change is recorded and the rest still run),
// then rewrites the state record with the manifest's managed set, last_applied = `now` and the
// manifest's hash, unless there was nothing to do. Throws std::invalid_argument when the store
// is scoped to another namespace than the manifest's; storage errors of reading the state or
// writing the record propagate.
ApplyResult apply_manifest(const Manifest& manifest, Store& store, TimePoint now);

}  // namespace zae::manifest
