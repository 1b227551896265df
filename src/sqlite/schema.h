// SPDX-License-Identifier: MIT
#pragma once

// The SQLite schema of SqliteStore. Every tenant row carries `ns`, the opaque namespace id
// (spec/behavior.md §9), as the first primary-key column, so namespaces never see each other's
// rows. The layout mirrors the DynamoDB items (spec/data-model.md §6) without their key strings:
//
//   zae_schema      the schema version of this file (one row)
//   namespaces      name → opaque id (NS-1, NS-2)
//   entities        entity META (§6.7); `metadata` is a JSON object of strings
//   buckets         one row per (ns, entity, resource, shard) holding ALL limits (§6.10): `limits`
//                   is the compact list of src/sqlite/codec.h, `rf` the shared refill time (ms),
//                   `ttl` the expiry in epoch seconds (NULL: never)
//   entity_configs  entity-level limits per resource or "_default_" (§6.6)
//   resource_configs, system_configs   resource and system defaults (§6.4, §6.5)
//   audit_events    audit log (§6.11), `ttl` = retention expiry in epoch seconds
//   provisioner_state, provisioner_managed   the declarative provisioner's record (§6.13): one
//                   state row per namespace and one row per managed item (kind 'resource' with
//                   entity_id ''; kind 'entity' per (entity, resource), plus one row with resource
//                   '' per entity, so that an entity managed with no resources survives)
//
// The registries of the original (§6.8, §6.9) are queries over the config tables here, so they
// cannot drift from the configs (OQ-17).

namespace zae::sqlite {

// Bump when a change needs a migration; a file with a newer version is refused. Adding a table
// with CREATE TABLE IF NOT EXISTS needs none: older files get it on their next open, and older
// builds never look at it.
inline constexpr int kSchemaVersion = 1;

inline constexpr char kCreateSchemaTable[] = R"sql(
CREATE TABLE IF NOT EXISTS zae_schema (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
)sql";

inline constexpr char kCreateTables[] = R"sql(
CREATE TABLE IF NOT EXISTS namespaces (
  name TEXT NOT NULL PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS entities (
  ns TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  name TEXT NOT NULL,
  parent_id TEXT,
  cascades INTEGER NOT NULL,
  metadata TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (ns, entity_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entities_by_parent
  ON entities (ns, parent_id, entity_id) WHERE parent_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS buckets (
  ns TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  resource TEXT NOT NULL,
  shard INTEGER NOT NULL,
  limits TEXT NOT NULL,
  rf INTEGER NOT NULL,
  cascades INTEGER NOT NULL,
  parent_id TEXT,
  shard_count INTEGER NOT NULL,
  ttl INTEGER,
  PRIMARY KEY (ns, entity_id, resource, shard)
) STRICT, WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS entity_configs (
  ns TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  resource TEXT NOT NULL,
  limits TEXT NOT NULL,
  PRIMARY KEY (ns, entity_id, resource)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entity_configs_by_resource
  ON entity_configs (ns, resource, entity_id);

CREATE TABLE IF NOT EXISTS resource_configs (
  ns TEXT NOT NULL,
  resource TEXT NOT NULL,
  limits TEXT NOT NULL,
  PRIMARY KEY (ns, resource)
) STRICT, WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS system_configs (
  ns TEXT NOT NULL PRIMARY KEY,
  limits TEXT,
  on_unavailable TEXT,
  audit_retention_days INTEGER
) STRICT, WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS audit_events (
  ns TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  timestamp TEXT NOT NULL,
  action TEXT NOT NULL,
  principal TEXT,
  resource TEXT,
  details TEXT NOT NULL,
  ttl INTEGER NOT NULL,
  PRIMARY KEY (ns, entity_id, event_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS provisioner_state (
  ns TEXT NOT NULL PRIMARY KEY,
  managed_system INTEGER NOT NULL,
  last_applied TEXT NOT NULL,
  applied_hash TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS provisioner_managed (
  ns TEXT NOT NULL,
  kind TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  resource TEXT NOT NULL,
  PRIMARY KEY (ns, kind, entity_id, resource)
) STRICT, WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS usage_snapshots (
  ns TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  resource TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  window_kind INTEGER NOT NULL,
  counters TEXT NOT NULL,
  total_events INTEGER NOT NULL,
  ttl INTEGER NOT NULL,
  PRIMARY KEY (ns, entity_id, resource, window_start, window_kind)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS usage_snapshots_by_resource
  ON usage_snapshots (ns, resource, window_start);
)sql";

}  // namespace zae::sqlite
