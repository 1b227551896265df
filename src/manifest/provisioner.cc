// SPDX-License-Identifier: MIT
#include "manifest/provisioner.h"

#include <algorithm>
#include <exception>
#include <set>
#include <stdexcept>
#include <utility>

namespace zae::manifest {

std::string_view to_string(ChangeAction action) {
  switch (action) {
    case ChangeAction::kCreate:
      return "create";
    case ChangeAction::kUpdate:
      return "update";
    case ChangeAction::kDelete:
      return "delete";
  }
  return "?";
}

std::string_view to_string(ChangeLevel level) {
  switch (level) {
    case ChangeLevel::kSystem:
      return "system";
    case ChangeLevel::kResource:
      return "resource";
    case ChangeLevel::kEntity:
      return "entity";
  }
  return "?";
}

namespace {

std::vector<Limit> sorted(std::vector<Limit> limits) {
  std::sort(limits.begin(), limits.end(),
            [](const Limit& a, const Limit& b) { return a.name() < b.name(); });
  return limits;
}

void check_namespace(const Manifest& manifest, const Store& store) {
  if (store.namespace_name() != manifest.namespace_name) {
    throw std::invalid_argument("the store is opened for namespace '" + store.namespace_name() +
                                "', the manifest is for '" + manifest.namespace_name + "'");
  }
}

using Pair = std::pair<std::string, std::string>;

std::set<Pair> pairs_of(const std::map<std::string, std::vector<std::string>>& entities) {
  std::set<Pair> out;
  for (const auto& [entity_id, resources] : entities) {
    for (const auto& resource : resources) {
      out.emplace(entity_id, resource);
    }
  }
  return out;
}

// Splits "{entity}/{resource}" at the first '/' (entity ids never contain one).
Pair split_target(const std::string& target) {
  const auto slash = target.find('/');
  return {target.substr(0, slash), target.substr(slash + 1)};
}

}  // namespace

ProvisionerState previous_state(Store& store) {
  return store.get_provisioner_state().value_or(ProvisionerState{});
}

std::vector<Change> plan_changes(const Manifest& manifest, const ProvisionerState& previous,
                                 Store& store) {
  check_namespace(manifest, store);
  std::vector<Change> changes;

  if (manifest.system) {
    if (!previous.managed_system) {
      changes.push_back({ChangeAction::kCreate, ChangeLevel::kSystem, std::nullopt});
    } else {
      SystemDefaults live = store.get_system_defaults();
      live.limits = sorted(std::move(live.limits));
      if (live != SystemDefaults{manifest.system->limits, manifest.system->on_unavailable}) {
        changes.push_back({ChangeAction::kUpdate, ChangeLevel::kSystem, std::nullopt});
      }
    }
  } else if (previous.managed_system) {
    changes.push_back({ChangeAction::kDelete, ChangeLevel::kSystem, std::nullopt});
  }

  const std::set<std::string> managed_resources(previous.managed_resources.begin(),
                                                previous.managed_resources.end());
  for (const auto& [resource, limits] : manifest.resources) {
    if (!managed_resources.contains(resource)) {
      changes.push_back({ChangeAction::kCreate, ChangeLevel::kResource, resource});
    } else if (sorted(store.get_resource_defaults(resource)) != limits) {
      changes.push_back({ChangeAction::kUpdate, ChangeLevel::kResource, resource});
    }
  }
  for (const auto& resource : managed_resources) {
    if (!manifest.resources.contains(resource)) {
      changes.push_back({ChangeAction::kDelete, ChangeLevel::kResource, resource});
    }
  }

  const std::set<Pair> managed_pairs = pairs_of(previous.managed_entities);
  std::set<Pair> declared;
  for (const auto& [entity_id, resources] : manifest.entities) {
    for (const auto& [resource, limits] : resources) {
      declared.emplace(entity_id, resource);
      const std::string target = entity_id + "/" + resource;
      if (!managed_pairs.contains({entity_id, resource})) {
        changes.push_back({ChangeAction::kCreate, ChangeLevel::kEntity, target});
      } else if (sorted(store.get_limits(entity_id, resource)) != limits) {
        changes.push_back({ChangeAction::kUpdate, ChangeLevel::kEntity, target});
      }
    }
  }
  for (const auto& [entity_id, resource] : managed_pairs) {
    if (!declared.contains({entity_id, resource})) {
      changes.push_back({ChangeAction::kDelete, ChangeLevel::kEntity, entity_id + "/" + resource});
    }
  }
  return changes;
}

ApplyResult apply_manifest(const Manifest& manifest, Store& store, TimePoint now) {
  check_namespace(manifest, store);
  const std::optional<ProvisionerState> stored = store.get_provisioner_state();
  const ProvisionerState previous = stored.value_or(ProvisionerState{});
  ApplyResult result;
  result.changes = plan_changes(manifest, previous, store);

  const std::optional<std::string> principal;
  for (const Change& change : result.changes) {
    try {
      const bool remove = change.action == ChangeAction::kDelete;
      switch (change.level) {
        case ChangeLevel::kSystem:
          if (remove) {
            store.delete_system_defaults(principal, now);
          } else {
            store.set_system_defaults(
                SystemDefaults{manifest.system->limits, manifest.system->on_unavailable},
                principal, now);
          }
          break;
        case ChangeLevel::kResource:
          if (remove) {
            store.delete_resource_defaults(*change.target, principal, now);
          } else {
            store.set_resource_defaults(*change.target, manifest.resources.at(*change.target),
                                        principal, now);
          }
          break;
        case ChangeLevel::kEntity: {
          const auto [entity_id, resource] = split_target(*change.target);
          if (remove) {
            (void)store.delete_limits(entity_id, resource, principal, now);
          } else {
            store.set_limits(entity_id, resource, manifest.entities.at(entity_id).at(resource),
                             principal, now);
          }
          break;
        }
      }
      (change.action == ChangeAction::kCreate   ? result.created
       : change.action == ChangeAction::kUpdate ? result.updated
                                                : result.deleted) += 1;
    } catch (const std::exception& e) {
      result.errors.push_back(std::string(to_string(change.action)) + " " +
                              std::string(to_string(change.level)) + " " +
                              change.target.value_or("None") + ": " + e.what());
    }
  }

  ProvisionerState next = managed_set(manifest);
  next.applied_hash = applied_hash(manifest);
  const auto same_set = [&](const ProvisionerState& p) {
    return p.managed_system == next.managed_system &&
           p.managed_resources == next.managed_resources &&
           p.managed_entities == next.managed_entities && p.applied_hash == next.applied_hash;
  };
  // spec/cli.md §14.4: rewritten after every apply that did something, errors included.
  if (!result.changes.empty() || !stored || !same_set(*stored)) {
    next.last_applied = python_isoformat(now);
    store.put_provisioner_state(next);
    result.state_written = true;
  }
  return result;
}

}  // namespace zae::manifest
