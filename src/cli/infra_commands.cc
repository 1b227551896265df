// SPDX-License-Identifier: MIT
// Infrastructure (spec/cli.md §3) and namespace (§9) commands, on a DynamoDB table created
// directly through the DynamoDB API (§16.1): there is no CloudFormation stack, no Lambda, no IAM.
//
// Port decisions (spec/cli.md §16.2):
// - exit 4 when the table does not exist, 3 for an AWS API or network error, 2 for bad input
//   (invalid table or namespace names included), 1 otherwise (§1.5 documents 3 and 4);
// - nothing here creates a table except `deploy`, and nothing registers a namespace except
//   `deploy` (default) and `namespace register`;
// - `namespace delete` of an unknown name and `namespace purge` of an unknown id are errors
//   (exit 1), not the original's silent no-ops.

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "zae/errors.h"

#include "aws/aws_config.h"
#include "aws/dynamodb_errors.h"
#include "cfn/templates.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/table.h"
#include "cli/version.h"
#include "core/time_format.h"
#include "dynamodb/dynamodb_connection.h"
#include "dynamodb/keys.h"
#include "dynamodb/namespaces.h"
#include "dynamodb/provisioning.h"
#include "dynamodb/table_admin.h"

namespace zae::cli {
namespace {

using dynamodb::with_zae_errors;

int exit_code_for(const std::exception& e) {
  if (dynamic_cast<const InfrastructureNotFoundError*>(&e) != nullptr) {
    return kExitTableNotFound;
  }
  if (dynamic_cast<const ValidationError*>(&e) != nullptr ||
      dynamic_cast<const UsageError*>(&e) != nullptr) {
    return kExitUsage;
  }
  if (dynamic_cast<const InfrastructureError*>(&e) != nullptr) {
    return kExitAwsError;
  }
  return kExitError;
}

// Runs `f`; an error is printed to stderr as "{prefix}{message}" and mapped to an exit code.
// Usage errors and Aborted pass through to main.
template <typename F>
int reporting(std::string_view prefix, F&& f) {
  try {
    return f();
  } catch (const Aborted&) {
    throw;
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}{}\n", prefix, e.what());
    return exit_code_for(e);
  }
}

enum class TableName { kDefaulted, kRequired };

// The DynamoDB table an infrastructure or namespace command works on.
DynamoDbStoreUri dynamodb_target(const CommandContext& ctx, std::string_view command,
                                 TableName need) {
  const StoreChoice choice = resolve_store(ctx.selection);
  if (const auto* uri = std::get_if<std::string>(&choice)) {
    throw UsageError(fmt::format(
        "'{}' works on DynamoDB tables, but the selected store {} is not one; select a table "
        "with --name NAME (or --store dynamodb://NAME)",
        command, *uri));
  }
  DynamoDbStoreUri target;
  if (const auto* table = std::get_if<DynamoDbStoreUri>(&choice)) {
    target = *table;
  }
  if (target.table_name.empty()) {
    if (need == TableName::kRequired) {
      throw UsageError(fmt::format("'{}' needs the table: give --name NAME", command));
    }
    target.table_name = std::string(kDefaultTableName);
  }
  dynamodb::validate_table_name(target.table_name);
  return target;
}

void reject_json(const CommandContext& ctx, std::string_view command) {
  if (ctx.output == OutputFormat::kJson) {
    throw UsageError(fmt::format("--output json is not available for '{}'", command));
  }
}

std::string region_text(const DynamoDbStoreUri& uri) { return uri.region.value_or("default"); }

// An open client for the target table; never provisions.
struct Table {
  DynamoDbStoreUri uri;
  std::unique_ptr<dynamodb::DynamoDbConnection> connection;

  aws::DynamoDbClient& client() { return connection->client(); }
  const std::string& name() const { return uri.table_name; }
};

Table connect(const DynamoDbStoreUri& uri) {
  return Table{uri, dynamodb::DynamoDbConnection::create(
                        uri, aws::process_environment(),
                        {.auto_provision = dynamodb::AutoProvision::kDisabled,
                         .provision = {.updated_by = fmt::format("cpp:{}", kClientVersion)}})};
}

std::string not_found_message(const Table& table) {
  return fmt::format(
      "Table '{}' not found (region {}). Deploy it with: zae-limiter deploy --name {}",
      table.name(), region_text(table.uri), table.name());
}

// DescribeTable; throws InfrastructureNotFoundError with a hint when the table is missing.
dynamodb::TableSummary require_table(Table& table) {
  auto summary = with_zae_errors("describe table '" + table.name() + "'", [&] {
    return dynamodb::describe_table_summary(table.client(), table.name());
  });
  if (!summary) {
    throw InfrastructureNotFoundError(not_found_message(table));
  }
  return *summary;
}

std::optional<dynamodb::VersionRecord> read_version(Table& table) {
  return with_zae_errors("read version record of '" + table.name() + "'", [&] {
    return dynamodb::read_version_record(table.client(), table.name());
  });
}

struct Compatibility {
  enum class Kind { kCompatible, kMigrationRequired, kIncompatible };
  Kind kind = Kind::kCompatible;
  std::string message{};
};

// spec/cli.md §3.7 with the C++ client's rules (spec/data-model.md Q27): the record is checked
// against schema 0.10.0; Lambda versions are not compared (this client deploys no Lambda).
Compatibility compatibility(const dynamodb::VersionRecord& record) {
  try {
    dynamodb::check_version_record(record);
    return {Compatibility::Kind::kCompatible, "Client and infrastructure versions are compatible."};
  } catch (const IncompatibleSchemaError& e) {
    const auto schema = dynamodb::SchemaVersion::parse(record.schema_version);
    const auto ours = dynamodb::SchemaVersion::parse(dynamodb::kClientSchemaVersion);
    const bool migration = schema && ours && schema->major != ours->major;
    return {
        migration ? Compatibility::Kind::kMigrationRequired : Compatibility::Kind::kIncompatible,
        e.what()};
  }
}

// Options of the original's `deploy`/`upgrade`/`local` that configure what only CloudFormation,
// Lambda or Docker create. They are parsed so that using one gives a clear error (exit 2).
struct Unsupported {
  CLI::Option* option;
  std::string reason;
};

void add_unsupported(CLI::App& cmd, std::vector<Unsupported>& out, const std::string& names,
                     bool takes_value, const std::string& reason) {
  CLI::Option* option = takes_value ? cmd.add_option(names) : cmd.add_flag(names);
  option->description("not supported: " + reason);
  option->group("Not supported by the C++ port (rejected)");
  out.push_back({option, reason});
}

void check_unsupported(const std::vector<Unsupported>& options) {
  for (const auto& u : options) {
    if (u.option->count() > 0) {
      throw UsageError(
          fmt::format("{} is not supported by the C++ port: {}", u.option->get_name(), u.reason));
    }
  }
}

std::vector<aws::Tag> parse_tags(const std::vector<std::string>& specs) {
  std::vector<aws::Tag> tags;
  for (const auto& spec : specs) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos) {
      throw UsageError(fmt::format("Invalid tag format '{}'. Use KEY=VALUE.", spec));
    }
    aws::Tag tag{spec.substr(0, eq), spec.substr(eq + 1)};
    if (tag.key.empty() || tag.key.size() > 128) {
      throw UsageError(fmt::format("Invalid tag '{}': the key must be 1-128 characters", spec));
    }
    if (tag.key.rfind("aws:", 0) == 0) {
      throw UsageError(
          fmt::format("Invalid tag '{}': keys starting with 'aws:' are reserved", spec));
    }
    if (tag.value.size() > 256) {
      throw UsageError(
          fmt::format("Invalid tag '{}': the value must be at most 256 characters", spec));
    }
    bool replaced = false;
    for (auto& existing : tags) {
      if (existing.key == tag.key) {
        existing.value = tag.value;  // later duplicates win
        replaced = true;
      }
    }
    if (!replaced) {
      tags.push_back(std::move(tag));
    }
  }
  if (tags.size() > 45) {
    throw UsageError(fmt::format("Too many tags: {} (at most 45)", tags.size()));
  }
  return tags;
}

// Runs `f`; when the endpoint does not implement the operation (DynamoDB Local has no
// UpdateContinuousBackups and no tagging), records "{what}: {error}" in `warnings` instead.
template <typename F>
void unless_unsupported(std::vector<std::string>& warnings, std::string_view what, F&& f) {
  try {
    f();
  } catch (const aws::ServiceError& e) {
    if (e.code() != "UnknownOperationException") {
      throw;
    }
    warnings.push_back(fmt::format("{}: the endpoint does not support it ({})", what, e.what()));
  }
}

CLI::App* command(CLI::App& parent, const char* name, const char* help, const char* example) {
  CLI::App* cmd = parent.add_subcommand(name, help);
  cmd->footer(std::string("Example: ") + example);
  return cmd;
}

// ---- deploy ---------------------------------------------------------------------------------

void add_deploy(CLI::App& app, CommandContext& ctx, Action& action) {
  auto* cmd = command(
      app, "deploy",
      "Create the DynamoDB table (exactly as the original defines it), its TTL, PITR, tags, "
      "version record and the default namespace",
      "zae-limiter deploy --name my-app --region eu-west-1 --enable-deletion-protection -t "
      "team=ml");
  cmd->footer(
      "Example: zae-limiter deploy --name my-app --region eu-west-1 -t team=ml\n"
      "The C++ port creates the table directly through the DynamoDB API: there is no "
      "CloudFormation stack,\nno aggregator Lambda, no IAM roles, alarms, S3 archive or X-Ray. "
      "Options that configure those are\nrejected (see the list above). Re-running deploy on an "
      "existing table is safe: it ensures TTL, PITR, tags,\nthe version record and the default "
      "namespace. DynamoDB Local has no PITR and no tagging: deploy warns and goes on.\n"
      "The table is chosen by the global options --name, --region and --endpoint-url.");
  struct Options {
    std::optional<int> pitr_days;
    bool pitr = true;
    bool deletion_protection = false;
    std::vector<std::string> tags;
    bool wait = true;
  };
  auto o = std::make_shared<Options>();
  auto unsupported = std::make_shared<std::vector<Unsupported>>();
  cmd->add_option("--pitr-recovery-days", o->pitr_days,
                  "Point-in-time recovery period in days, 1-35 (default: AWS's 35)")
      ->check(CLI::Range(1, 35));
  auto* pitr = cmd->add_flag("--enable-pitr,!--no-pitr", o->pitr,
                             "Point-in-time recovery (default: enabled; --no-pitr is a C++ port "
                             "addition that disables it)");
  auto* protection = cmd->add_flag("--enable-deletion-protection,!--no-deletion-protection",
                                   o->deletion_protection,
                                   "Table deletion protection (default: disabled on a new table, "
                                   "unchanged on an existing one)");
  cmd->add_option("-t,--tag", o->tags, "KEY=VALUE table tag (repeatable)");
  cmd->add_flag("--wait", o->wait, "Wait until the table is ACTIVE (always done)");

  const std::string lambda =
      "it configures the aggregator Lambda, which only the original's "
      "CloudFormation stack deploys";
  const std::string cfn =
      "it configures CloudFormation-managed resources the C++ port does not "
      "create (it creates the table directly)";
  auto& u = *unsupported;
  add_unsupported(*cmd, u, "--snapshot-windows", true, lambda);
  add_unsupported(*cmd, u, "--usage-retention-days", true, lambda);
  add_unsupported(*cmd, u, "--audit-retention-days", true,
                  "the original only prints it; it configures nothing");
  add_unsupported(*cmd, u, "--enable-aggregator,--no-aggregator", false, lambda);
  add_unsupported(*cmd, u, "--log-retention-days", true, lambda);
  add_unsupported(*cmd, u, "--lambda-timeout", true, lambda);
  add_unsupported(*cmd, u, "--lambda-memory", true, lambda);
  add_unsupported(*cmd, u, "--lambda-duration-threshold-pct", true, cfn);
  add_unsupported(*cmd, u, "--enable-alarms,--no-alarms", false, cfn);
  add_unsupported(*cmd, u, "--alarm-sns-topic", true, cfn);
  add_unsupported(*cmd, u, "--permission-boundary", true, cfn);
  add_unsupported(*cmd, u, "--role-name-format", true, cfn);
  add_unsupported(*cmd, u, "--policy-name-format", true, cfn);
  add_unsupported(*cmd, u, "--enable-audit-archival,--no-audit-archival", false, cfn);
  add_unsupported(*cmd, u, "--audit-archive-glacier-days", true, cfn);
  add_unsupported(*cmd, u, "--enable-tracing,--no-tracing", false, lambda);
  add_unsupported(*cmd, u, "--create-iam-roles,--no-create-iam-roles", false, cfn);
  add_unsupported(*cmd, u, "--iam,--no-iam", false, cfn);
  add_unsupported(*cmd, u, "--aggregator-role-arn", true, lambda);
  add_unsupported(*cmd, u, "--no-wait", false,
                  "the table must be ACTIVE before TTL, PITR and the version record are set");

  cmd->callback([&, o, unsupported, pitr, protection] {
    action = [&, o, unsupported, pitr, protection] {
      check_unsupported(*unsupported);
      reject_json(ctx, "deploy");
      if (!o->pitr && o->pitr_days) {
        throw UsageError("--pitr-recovery-days cannot be used with --no-pitr");
      }
      const std::vector<aws::Tag> user_tags = parse_tags(o->tags);
      const DynamoDbStoreUri target = dynamodb_target(ctx, "deploy", TableName::kDefaulted);
      const bool protection_given = protection->count() > 0;
      const bool pitr_disabled = pitr->count() > 0 && !o->pitr;

      fmt::print("Deploying table: {}\n", target.table_name);
      fmt::print("  Table name: {}\n", target.table_name);
      fmt::print("  Region: {}\n", region_text(target));
      if (target.endpoint) {
        fmt::print("  Endpoint: {}\n", *target.endpoint);
      }
      if (pitr_disabled) {
        fmt::print("  Point-in-time recovery: disabled\n");
      } else if (o->pitr_days) {
        fmt::print("  Point-in-time recovery: enabled ({} days)\n", *o->pitr_days);
      } else {
        fmt::print("  Point-in-time recovery: enabled\n");
      }
      fmt::print("  Deletion protection: {}\n", !protection_given
                                                    ? "unchanged (disabled on a new table)"
                                                : o->deletion_protection ? "enabled"
                                                                         : "disabled");
      if (!user_tags.empty()) {
        fmt::print("  Tags: {} user-defined\n", user_tags.size());
        for (const auto& tag : user_tags) {
          fmt::print("    {}={}\n", tag.key, tag.value);
        }
      }
      fmt::print("\n");
      std::fflush(stdout);

      return reporting("✗ Deployment failed: ", [&] {
        Table table = connect(target);
        const std::string& name = table.name();
        dynamodb::ProvisionOptions options{.updated_by = fmt::format("cpp:{}", kClientVersion)};
        const std::vector<aws::Tag> tags =
            dynamodb::merge_tags(user_tags, dynamodb::discovery_tags(name, kClientVersion));
        options.table.tags = tags;
        // PITR is set below: DynamoDB Local does not implement UpdateContinuousBackups, and a
        // missing feature of the endpoint must not stop the version record and namespace.
        options.table.point_in_time_recovery = false;
        options.table.deletion_protection = protection_given && o->deletion_protection;
        std::vector<std::string> warnings;
        const dynamodb::ProvisionResult result =
            with_zae_errors("deploy table '" + name + "'", [&] {
              dynamodb::ProvisionResult r =
                  dynamodb::provision_table(table.client(), name, options);
              if (!r.table_created) {
                // spec/cli.md §3.1: an existing deployment gets its discovery tags ensured.
                unless_unsupported(warnings, "Tags not applied",
                                   [&] { table.client().tag_resource(r.table.table_arn, tags); });
              }
              unless_unsupported(warnings, "Point-in-time recovery not set", [&] {
                dynamodb::set_point_in_time_recovery(table.client(), name, !pitr_disabled,
                                                     o->pitr_days);
              });
              if (protection_given && !o->deletion_protection) {
                dynamodb::set_deletion_protection(table.client(), name,
                                                  dynamodb::DeletionProtection::kDisabled);
              }
              return r;
            });
        fmt::print("{}\n", result.table_created ? "✓ Table created"
                                                : fmt::format("✓ Table already exists ({})",
                                                              result.table.table_status));
        fmt::print("  Table ARN: {}\n", result.table.table_arn);
        for (const auto& warning : warnings) {
          fmt::print(stderr, "⚠️  {}\n", warning);
        }
        fmt::print("\nInitializing version record...\n");
        if (result.version_record_written) {
          fmt::print("✓ Version record initialized (schema {})\n", dynamodb::kSchemaVersion);
        } else {
          const auto record = read_version(table);
          const std::string schema = record ? record->schema_version : "unknown";
          fmt::print("✓ Version record already present (schema {})\n", schema);
          if (record) {
            const Compatibility c = compatibility(*record);
            if (c.kind != Compatibility::Kind::kCompatible) {
              fmt::print(stderr, "✗ The table is not compatible with this client: {}\n", c.message);
              return kExitError;
            }
          }
        }
        fmt::print("✓ Default namespace registered\n");
        return kExitOk;
      });
    };
  });
}

// ---- delete ---------------------------------------------------------------------------------

void add_delete(CLI::App& app, CommandContext& ctx, Action& action) {
  auto* cmd = command(app, "delete", "Delete the DynamoDB table and all its data",
                      "zae-limiter delete --name my-app --yes");
  auto yes = std::make_shared<bool>(false);
  auto no_wait = std::make_shared<bool>(false);
  cmd->add_flag("-y,--yes", *yes, "Do not ask for confirmation");
  cmd->add_flag("!--wait,--no-wait", *no_wait,
                "Return once deletion started instead of waiting until the table is gone");
  cmd->callback([&, yes, no_wait] {
    action = [&, yes, no_wait] {
      reject_json(ctx, "delete");
      const DynamoDbStoreUri target = dynamodb_target(ctx, "delete", TableName::kRequired);
      const std::string& name = target.table_name;
      if (!*yes && !confirm(fmt::format(
                       "Are you sure you want to delete table '{}' and all its data?", name))) {
        throw Aborted();
      }
      fmt::print("Deleting table: {}\n", name);
      std::fflush(stdout);
      const int code = reporting("✗ Deletion failed: ", [&] {
        Table table = connect(target);
        const bool existed = with_zae_errors("delete table '" + name + "'", [&] {
          if (*no_wait) {
            try {
              (void)table.client().delete_table(name);
              return true;
            } catch (const aws::ResourceNotFoundError&) {
              return false;
            }
          }
          return dynamodb::delete_table(table.client(), name);
        });
        if (!existed) {
          fmt::print("Table '{}' does not exist; nothing to delete.\n", name);
        } else if (*no_wait) {
          fmt::print("Table deletion initiated. Use 'status' command to check progress.\n");
        } else {
          fmt::print("✓ Table '{}' deleted successfully\n", name);
        }
        return kExitOk;
      });
      if (code == kExitAwsError) {
        fmt::print(stderr,
                   "  A table with deletion protection is deleted after: zae-limiter deploy "
                   "--name {} --no-deletion-protection\n",
                   name);
      }
      return code;
    };
  });
}

// ---- status ---------------------------------------------------------------------------------

std::string approximate_count(std::int64_t n) {
  if (n < 1000) {
    return "~" + with_commas(n);
  }
  if (n < 1000000) {
    return fmt::format("~{:.1f}K", static_cast<double>(n) / 1000);
  }
  return fmt::format("~{:.1f}M", static_cast<double>(n) / 1e6);
}

std::string approximate_size(std::int64_t n) {
  if (n < 1024) {
    return fmt::format("~{} B", n);
  }
  if (n < 1024 * 1024) {
    return fmt::format("~{:.1f} KB", static_cast<double>(n) / 1024);
  }
  if (n < 1024LL * 1024 * 1024) {
    return fmt::format("~{:.1f} MB", static_cast<double>(n) / 1048576);
  }
  return fmt::format("~{:.1f} GB", static_cast<double>(n) / 1073741824);
}

void add_status(CLI::App& app, CommandContext& ctx, Action& action) {
  auto* cmd = command(app, "status", "Health report of the DynamoDB table",
                      "zae-limiter status --name my-app --region eu-west-1");
  cmd->callback([&] {
    action = [&] {
      reject_json(ctx, "status");
      const DynamoDbStoreUri target = dynamodb_target(ctx, "status", TableName::kRequired);
      return reporting("✗ Failed to get status: ", [&] {
        Table table = connect(target);
        std::optional<dynamodb::TableSummary> summary;
        std::optional<dynamodb::VersionRecord> record;
        std::string error;
        bool reachable = false;
        double latency_ms = 0;
        try {
          const auto start = std::chrono::steady_clock::now();
          summary = with_zae_errors("describe table '" + table.name() + "'", [&] {
            return dynamodb::describe_table_summary(table.client(), table.name());
          });
          latency_ms =
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                  .count();
          reachable = summary.has_value();
          if (summary && summary->table_status == "ACTIVE") {
            record = read_version(table);
          }
        } catch (const InfrastructureError& e) {
          error = e.what();
        }
        fmt::print("\nStatus: {}\n{}\n\n", table.name(), std::string(50, '='));
        fmt::print("Connectivity\n");
        fmt::print("  Available:     {}\n", reachable ? "✓ Yes" : "✗ No");
        fmt::print("  Latency:       {}\n",
                   reachable ? fmt::format("{:.0f}ms", latency_ms) : std::string("N/A"));
        fmt::print("  Region:        {}\n", region_text(target));
        if (target.endpoint) {
          fmt::print("  Endpoint:      {}\n", *target.endpoint);
        }
        if (!error.empty()) {
          fmt::print("  Error:         {}\n", error);
        }
        fmt::print("\nInfrastructure\n");
        fmt::print("  Table:         {}\n",
                   summary ? summary->table_status : (error.empty() ? "Not found" : "N/A"));
        fmt::print("  Stream:        {}\n",
                   summary ? (summary->stream_enabled ? "Enabled" : "Disabled") : "N/A");
        fmt::print("  Deletion prot: {}\n",
                   summary ? (summary->deletion_protection ? "Enabled" : "Disabled") : "N/A");
        fmt::print("\nVersions\n");
        fmt::print("  Client:        {}\n", kClientVersion);
        fmt::print("  Schema:        {}\n", record ? record->schema_version : "N/A");
        fmt::print("  Lambda:        {}\n",
                   record && record->lambda_version ? *record->lambda_version : "N/A");
        fmt::print("\nTable Metrics\n");
        fmt::print("  Items:         {}\n",
                   summary ? approximate_count(summary->item_count) : "N/A");
        fmt::print("  Size:          {}\n\n",
                   summary ? approximate_size(summary->table_size_bytes) : "N/A");
        if (!reachable) {
          fmt::print(stderr, "✗ Infrastructure is not available\n");
          return error.empty() ? kExitTableNotFound : kExitAwsError;
        }
        const std::string& status = summary->table_status;
        if (status == "CREATING" || status == "UPDATING" || status == "DELETING") {
          fmt::print("⏳ Operation in progress...\n");
        } else if (status == "ACTIVE") {
          if (record && compatibility(*record).kind != Compatibility::Kind::kCompatible) {
            fmt::print(stderr, "✗ {}\n", compatibility(*record).message);
            return kExitError;
          }
          fmt::print("✓ Infrastructure is ready\n");
        }
        return kExitOk;
      });
    };
  });
}

// ---- list -----------------------------------------------------------------------------------

void add_list(CLI::App& app, CommandContext& ctx, Action& action) {
  auto* cmd = command(app, "list",
                      "List the zae-limiter tables of a region (tagged ManagedBy=zae-limiter or "
                      "Application=zae-limiter)",
                      "zae-limiter list --region eu-west-1");
  cmd->callback([&] {
    action = [&] {
      reject_json(ctx, "list");
      if (!ctx.selection.name.empty()) {
        throw UsageError("'list' lists every limiter table of the region; --name does not apply");
      }
      DynamoDbStoreUri target;
      const StoreChoice choice = resolve_store(ctx.selection);
      if (const auto* table = std::get_if<DynamoDbStoreUri>(&choice)) {
        target = *table;
      }
      // The connection validates a table name although ListTables needs none.
      target.table_name = std::string(kDefaultTableName);
      return reporting("✗ Failed to list limiters: ", [&] {
        Table table = connect(target);
        const auto tables = with_zae_errors(
            "list tables", [&] { return dynamodb::list_limiter_tables(table.client()); });
        const std::string region = region_text(target);
        if (tables.empty()) {
          fmt::print("\nNo rate limiter instances found in region.\n  Region: {}\n\n", region);
          fmt::print("Deploy a new instance with:\n  zae-limiter deploy --name my-app\n");
          return kExitOk;
        }
        std::vector<std::vector<std::string>> rows;
        int in_progress = 0;
        for (const auto& t : tables) {
          const std::string& status = t.table.table_status;
          in_progress += status == "CREATING" || status == "UPDATING" || status == "DELETING";
          rows.push_back({t.name, status, t.version.value_or("-"),
                          t.table.created_at
                              ? core::format_utc_seconds(*t.table.created_at).substr(0, 10)
                              : std::string("unknown")});
        }
        fmt::print("\nRate Limiter Instances ({})\n\n{}\n\nTotal: {} instance(s)\n", region,
                   render_table({"Name", "Status", "Version", "Created"}, rows), tables.size());
        if (in_progress > 0) {
          fmt::print("  {} in progress\n", in_progress);
        }
        fmt::print("\n");
        return kExitOk;
      });
    };
  });
}

// ---- version, check, upgrade ----------------------------------------------------------------

void add_version(CLI::App& app, CommandContext& ctx, Action& action) {
  auto* cmd = command(app, "version",
                      "Show the client version and the table's version record (the client "
                      "version alone: --version)",
                      "zae-limiter version --name my-app");
  cmd->callback([&] {
    action = [&] {
      reject_json(ctx, "version");
      const DynamoDbStoreUri target = dynamodb_target(ctx, "version", TableName::kDefaulted);
      return reporting("✗ Failed to get version info: ", [&] {
        fmt::print("\nzae-limiter Infrastructure Version\n{}\n\n", std::string(36, '='));
        fmt::print("Client Version:     {} (C++)\n", kClientVersion);
        fmt::print("Schema Version:     {}\n\n", dynamodb::kClientSchemaVersion);
        std::fflush(stdout);
        Table table = connect(target);
        (void)require_table(table);
        const auto record = read_version(table);
        if (!record) {
          fmt::print("Infrastructure:     Not initialized\n\n");
          fmt::print("Run 'zae-limiter deploy' to initialize infrastructure.\n");
          return kExitOk;
        }
        fmt::print("Infra Schema:       {}\n", record->schema_version);
        fmt::print("Lambda Version:     {}\n", record->lambda_version.value_or("unknown"));
        fmt::print("Min Client Version: {}\n\n", record->client_min_version);
        const Compatibility c = compatibility(*record);
        if (c.kind == Compatibility::Kind::kCompatible) {
          fmt::print("Status: COMPATIBLE\n");
          return kExitOk;
        }
        fmt::print(stderr, "{}\n\n  {}\n",
                   c.kind == Compatibility::Kind::kMigrationRequired
                       ? "Status: INCOMPATIBLE (Schema migration required)"
                       : "Status: INCOMPATIBLE",
                   c.message);
        return kExitError;
      });
    };
  });
}

void add_check(CLI::App& app, CommandContext& ctx, Action& action) {
  auto* cmd = command(app, "check", "Read-only compatibility verdict of client and table",
                      "zae-limiter check --name my-app");
  cmd->callback([&] {
    action = [&] {
      reject_json(ctx, "check");
      const DynamoDbStoreUri target = dynamodb_target(ctx, "check", TableName::kDefaulted);
      return reporting("✗ Check failed: ", [&] {
        fmt::print("\nCompatibility Check\n{}\n\n", std::string(20, '='));
        std::fflush(stdout);
        Table table = connect(target);
        (void)require_table(table);
        const auto record = read_version(table);
        if (!record) {
          fmt::print("Result: NOT INITIALIZED\n\nInfrastructure has not been deployed yet.\n");
          fmt::print("Run 'zae-limiter deploy' to initialize.\n");
          return kExitError;
        }
        fmt::print("Client:      {}\n", kClientVersion);
        fmt::print("Schema:      {}\n", record->schema_version);
        fmt::print("Lambda:      {}\n\n", record->lambda_version.value_or("unknown"));
        const Compatibility c = compatibility(*record);
        if (c.kind == Compatibility::Kind::kCompatible) {
          fmt::print("Result: COMPATIBLE\n\nClient and infrastructure are fully compatible.\n");
          return kExitOk;
        }
        fmt::print(stderr, "Result: INCOMPATIBLE\n\n{}\n", c.message);
        return kExitError;
      });
    };
  });
}

void add_upgrade(CLI::App& app, CommandContext& ctx, Action& action) {
  auto* cmd = command(app, "upgrade",
                      "Check the table's version record and ensure its discovery tags (the C++ "
                      "port deploys no Lambda and migrates no schema)",
                      "zae-limiter upgrade --name my-app");
  auto unsupported = std::make_shared<std::vector<Unsupported>>();
  add_unsupported(*cmd, *unsupported, "--lambda-only", false,
                  "there is no Lambda to update (the C++ port deploys none)");
  add_unsupported(*cmd, *unsupported, "--force", false,
                  "the C++ port never rewrites an existing version record");
  cmd->callback([&, unsupported] {
    action = [&, unsupported] {
      check_unsupported(*unsupported);
      reject_json(ctx, "upgrade");
      const DynamoDbStoreUri target = dynamodb_target(ctx, "upgrade", TableName::kDefaulted);
      return reporting("✗ Upgrade failed: ", [&] {
        fmt::print("\nChecking infrastructure version...\n");
        std::fflush(stdout);
        Table table = connect(target);
        const dynamodb::TableSummary summary = require_table(table);
        const auto record = read_version(table);
        if (!record) {
          fmt::print("Infrastructure not initialized.\nRun 'zae-limiter deploy' first.\n");
          return kExitError;
        }
        const Compatibility c = compatibility(*record);
        if (c.kind == Compatibility::Kind::kMigrationRequired) {
          fmt::print(stderr, "\n✗ Schema migration required - cannot auto-upgrade\n");
          fmt::print("  {}\n", c.message);
          return kExitError;
        }
        if (c.kind == Compatibility::Kind::kIncompatible) {
          fmt::print(stderr, "\n✗ Incompatible: {}\n", c.message);
          return kExitError;
        }
        fmt::print("\nEnsuring discovery tags...\n");
        std::fflush(stdout);
        try {
          const bool added = with_zae_errors("tag table '" + table.name() + "'", [&] {
            const auto present = dynamodb::list_tags(table.client(), summary.table_arn);
            std::vector<aws::Tag> missing;
            for (const auto& tag : dynamodb::discovery_tags(table.name(), kClientVersion)) {
              if (!dynamodb::tag_value(present, tag.key)) {
                missing.push_back(tag);
              }
            }
            if (!missing.empty()) {
              table.client().tag_resource(summary.table_arn, missing);
            }
            return !missing.empty();
          });
          fmt::print("      {}\n", added ? "Discovery tags added" : "Tags already present");
        } catch (const InfrastructureError& e) {
          // spec/cli.md §3.9: a tag failure is not fatal.
          fmt::print(stderr, "⚠️  Tag update failed: {}\n", e.what());
        }
        fmt::print("\nInfrastructure is already up to date.\n");
        fmt::print("  Client:   {}\n  Schema:   {}\n", kClientVersion, record->schema_version);
        return kExitOk;
      });
    };
  });
}

// ---- cfn-template ---------------------------------------------------------------------------

// spec/cli.md §3.5. The original prints its bundled template; the port generates one from the
// table definition `deploy` uses, so the two cannot drift (§16.1 suggests embedding the
// original's text, which this build does not have).
void add_cfn_template(CLI::App& app, Action& action) {
  auto* cmd =
      command(app, "cfn-template",
              "Print a CloudFormation template (YAML) that creates the table 'deploy' creates",
              "zae-limiter cfn-template -o zae-limiter.yaml");
  cmd->footer(
      "Example: zae-limiter cfn-template -o zae-limiter.yaml\n"
      "  aws cloudformation deploy --stack-name my-app --template-file zae-limiter.yaml "
      "--parameter-overrides TableName=my-app\n"
      "  zae-limiter deploy --name my-app\n"
      "The template holds one resource, the DynamoDB table, generated from the same definition "
      "'deploy' uses\n(keys, GSI1-GSI4, LSI1-LSI5, stream, TTL on 'ttl', PITR, deletion "
      "protection, discovery tags).\nIt has no Lambda, IAM, alarms or S3: the C++ port deploys "
      "none. The version record and the default\nnamespace are items a template cannot write: "
      "run 'zae-limiter deploy --name TABLE' once on the\ncreated table (it accepts an existing "
      "table; add --no-pitr if the stack disabled PITR). On first use\nthe library also writes "
      "the version record and registers the namespace it opens.");
  auto path = std::make_shared<std::string>();
  cmd->add_option("-o,--output", *path,
                  "Write the template to FILE (overwriting) instead of stdout")
      ->type_name("FILE");
  cmd->callback([&action, path] {
    action = [path] {
      const std::string text = cfn::table_template({.client_version = std::string(kClientVersion)});
      if (path->empty()) {
        fmt::print("{}\n", text);
        return kExitOk;
      }
      std::FILE* file = std::fopen(path->c_str(), "wb");
      if (file == nullptr) {
        fmt::print(stderr, "✗ Failed to export template: {}: {}\n", *path, std::strerror(errno));
        return kExitError;
      }
      const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
      const int write_errno = errno;
      if (std::fclose(file) != 0 || !written) {
        fmt::print(stderr, "✗ Failed to export template: {}: {}\n", *path,
                   std::strerror(written ? errno : write_errno));
        return kExitError;
      }
      fmt::print("✓ Template exported to: {}\n", *path);
      return kExitOk;
    };
  });
}

// ---- loadtest -------------------------------------------------------------------------------

// spec/cli.md §12, §16.1: not ported; `bench` replaces it. Every form of the command, --help
// included, gets the same answer.
void add_loadtest(CLI::App& app, Action& action) {
  CLI::App* cmd = app.add_subcommand(
      "loadtest", "Not part of the C++ port (the original's Locust load tests): use 'bench'");
  // Without a help flag or fallthrough, --help and every argument land in the extras.
  cmd->set_help_flag();
  cmd->fallthrough(false);
  cmd->allow_extras();
  cmd->callback([&action] {
    action = [] {
      fmt::print(stderr,
                 "✗ loadtest is not part of the C++ port: the original's Locust load tests run "
                 "on ECS/Fargate and Lambda, which this build does not deploy. Use 'zae-limiter "
                 "bench' (see 'zae-limiter bench --help').\n");
      return kExitError;
    };
  });
}

void add_refused(CLI::App& app, const char* name, const char* help, std::string message,
                 Action& action) {
  CLI::App* cmd = app.add_subcommand(name, help);
  // The original's options, accepted so that the refusal below is what the user sees.
  cmd->add_option("-o")->description("Output file of the original (the command is refused)");
  cmd->add_flag("--info,-f,--force")->description("Flags of the original (the command is refused)");
  cmd->callback([&action, message] {
    action = [message] {
      fmt::print(stderr, "✗ {}\n", message);
      return kExitError;
    };
  });
}

// ---- namespace ------------------------------------------------------------------------------

void add_namespace_commands(CLI::App& app, CommandContext& ctx, Action& action) {
  CLI::App* group = app.add_subcommand(
      "namespace", "Namespace registry of a DynamoDB table (register, list, delete, recover...)");
  group->require_subcommand(1);

  // Every namespace command: the table must exist (exit 4 otherwise), never provisioned.
  struct Registry {
    Table table;
    dynamodb::NamespaceRegistry* registry;
  };
  const auto open_registry = [&ctx](const char* command) {
    Table table = connect(dynamodb_target(ctx, command, TableName::kDefaulted));
    (void)require_table(table);
    dynamodb::NamespaceRegistry& registry = table.connection->namespaces(table.name());
    return Registry{std::move(table), &registry};
  };

  {
    auto* cmd = command(*group, "register", "Register namespaces (idempotent)",
                        "zae-limiter namespace register tenant-a tenant-b --name my-app");
    auto names = std::make_shared<std::vector<std::string>>();
    cmd->add_option("NAME", *names, "Namespace names")->required();
    cmd->callback([&, names, open_registry] {
      action = [&, names, open_registry] {
        reject_json(ctx, "namespace register");
        std::vector<std::string> distinct;
        for (const auto& n : *names) {
          dynamodb::validate_namespace_name(n);
          if (std::find(distinct.begin(), distinct.end(), n) == distinct.end()) {
            distinct.push_back(n);
          }
        }
        return reporting("Error: Failed to register namespace(s): ", [&] {
          Registry r = open_registry("namespace register");
          std::vector<std::string> ids;
          for (const auto& n : distinct) {
            ids.push_back(r.registry->register_namespace(n));
          }
          if (distinct.size() == 1) {
            fmt::print("Registered namespace '{}': {}\n", distinct[0], ids[0]);
            return kExitOk;
          }
          fmt::print("Registered {} namespace(s):\n", distinct.size());
          for (std::size_t i = 0; i < distinct.size(); ++i) {
            fmt::print("  {}: {}\n", distinct[i], ids[i]);
          }
          return kExitOk;
        });
      };
    });
  }
  {
    auto* cmd = command(*group, "list", "List active namespaces",
                        "zae-limiter namespace list --name my-app");
    cmd->callback([&, open_registry] {
      action = [&, open_registry] {
        reject_json(ctx, "namespace list");
        return reporting("Error: Failed to list namespaces: ", [&] {
          Registry r = open_registry("namespace list");
          const auto records = r.registry->list();
          if (records.empty()) {
            fmt::print("No namespaces registered.\n");
            return kExitOk;
          }
          std::vector<std::vector<std::string>> rows;
          for (const auto& record : records) {
            rows.push_back({record.namespace_name, record.namespace_id, record.created_at});
          }
          fmt::print("{}\n\nTotal: {} namespace(s)\n",
                     render_table({"Name", "Namespace ID", "Created At"}, rows), records.size());
          return kExitOk;
        });
      };
    });
  }
  {
    auto* cmd = command(*group, "show", "Show one namespace",
                        "zae-limiter namespace show tenant-a --name my-app");
    auto name = std::make_shared<std::string>();
    cmd->add_option("NAME", *name, "Namespace name")->required();
    cmd->callback([&, name, open_registry] {
      action = [&, name, open_registry] {
        reject_json(ctx, "namespace show");
        return reporting("Error: Failed to show namespace: ", [&] {
          Registry r = open_registry("namespace show");
          const auto record = r.registry->get(*name);
          if (!record) {
            fmt::print(stderr, "Namespace '{}' not found.\n", *name);
            return kExitError;
          }
          fmt::print("Namespace:    {}\nNamespace ID: {}\nStatus:       {}\nCreated At:   {}\n",
                     record->namespace_name, record->namespace_id,
                     record->status.empty() ? "unknown" : record->status,
                     record->created_at.empty() ? "unknown" : record->created_at);
          return kExitOk;
        });
      };
    });
  }
  {
    auto* cmd = command(*group, "delete", "Soft-delete a namespace (its data stays, recoverable)",
                        "zae-limiter namespace delete tenant-a --name my-app --yes");
    auto name = std::make_shared<std::string>();
    auto yes = std::make_shared<bool>(false);
    cmd->add_option("NAME", *name, "Namespace name")->required();
    cmd->add_flag("-y,--yes", *yes, "Do not ask for confirmation");
    cmd->callback([&, name, yes, open_registry] {
      action = [&, name, yes, open_registry] {
        reject_json(ctx, "namespace delete");
        dynamodb::validate_namespace_name(*name);
        (void)dynamodb_target(ctx, "namespace delete", TableName::kDefaulted);
        if (!*yes && !confirm(fmt::format(
                         "Delete namespace '{}'? Data will be orphaned but recoverable.", *name))) {
          throw Aborted();
        }
        return reporting("Error: Failed to delete namespace: ", [&] {
          Registry r = open_registry("namespace delete");
          if (!r.registry->delete_namespace(*name)) {
            fmt::print(stderr, "Namespace '{}' not found.\n", *name);
            return kExitError;
          }
          fmt::print("Namespace '{}' deleted (data orphaned, recoverable).\n", *name);
          return kExitOk;
        });
      };
    });
  }
  {
    auto* cmd = command(*group, "recover", "Recover a soft-deleted namespace by its ID",
                        "zae-limiter namespace recover AbCdEfGhIjK --name my-app");
    auto id = std::make_shared<std::string>();
    cmd->add_option("NAMESPACE_ID", *id, "Namespace ID (see 'namespace orphans')")->required();
    cmd->callback([&, id, open_registry] {
      action = [&, id, open_registry] {
        reject_json(ctx, "namespace recover");
        return reporting("Error: Failed to recover namespace: ", [&] {
          Registry r = open_registry("namespace recover");
          try {
            const std::string name = r.registry->recover_namespace(*id);
            fmt::print("Recovered namespace '{}' (ID: {}).\n", name, *id);
            return kExitOk;
          } catch (const EntityNotFoundError&) {
            fmt::print(stderr, "Error: Namespace ID '{}' not found.\n", *id);
          } catch (const NamespaceStateError& e) {
            if (e.state() == "active") {
              fmt::print(stderr, "Error: Namespace '{}' is already active (not deleted)\n",
                         e.namespace_name());
            } else if (e.state() == "purging") {
              fmt::print(stderr,
                         "Error: Cannot recover namespace '{}' — purge is in progress and is "
                         "terminal\n",
                         e.namespace_name());
            } else {
              fmt::print(stderr,
                         "Error: Cannot recover namespace '{}' — the name has been "
                         "re-registered by another caller\n",
                         e.namespace_name());
            }
          }
          return kExitError;
        });
      };
    });
  }
  {
    auto* cmd = command(*group, "orphans", "List soft-deleted namespaces",
                        "zae-limiter namespace orphans --name my-app");
    cmd->callback([&, open_registry] {
      action = [&, open_registry] {
        reject_json(ctx, "namespace orphans");
        return reporting("Error: Failed to list orphaned namespaces: ", [&] {
          Registry r = open_registry("namespace orphans");
          const auto orphans = r.registry->list_orphans();
          if (orphans.empty()) {
            fmt::print("No orphaned namespaces.\n");
            return kExitOk;
          }
          std::vector<std::vector<std::string>> rows;
          for (const auto& o : orphans) {
            rows.push_back({o.namespace_id, o.namespace_name, o.deleted_at});
          }
          fmt::print("{}\n\nTotal: {} orphaned namespace(s)\n",
                     render_table({"Namespace ID", "Name", "Deleted At"}, rows), orphans.size());
          return kExitOk;
        });
      };
    });
  }
  {
    auto* cmd =
        command(*group, "purge", "Permanently delete every item of a soft-deleted namespace",
                "zae-limiter namespace purge AbCdEfGhIjK --name my-app --yes");
    auto id = std::make_shared<std::string>();
    auto yes = std::make_shared<bool>(false);
    cmd->add_option("NAMESPACE_ID", *id, "Namespace ID (see 'namespace orphans')")->required();
    cmd->add_flag("-y,--yes", *yes, "Do not ask for confirmation");
    cmd->callback([&, id, yes, open_registry] {
      action = [&, id, yes, open_registry] {
        reject_json(ctx, "namespace purge");
        (void)dynamodb_target(ctx, "namespace purge", TableName::kDefaulted);
        if (!*yes && !confirm(fmt::format("PERMANENTLY delete ALL data for namespace ID '{}'? "
                                          "This cannot be undone.",
                                          *id))) {
          throw Aborted();
        }
        return reporting("Error: Failed to purge namespace: ", [&] {
          Registry r = open_registry("namespace purge");
          try {
            const dynamodb::PurgeResult result = r.registry->purge_namespace(*id);
            if (!result.purged) {
              fmt::print(stderr, "Error: Namespace ID '{}' not found.\n", *id);
              return kExitError;
            }
          } catch (const NamespaceStateError& e) {
            if (e.state() != "active") {
              throw;
            }
            fmt::print(stderr,
                       "Error: Cannot purge active namespace '{}'. Delete it first with "
                       "'zae-limiter namespace delete {}'.\n",
                       e.namespace_name(), e.namespace_name());
            return kExitError;
          }
          fmt::print("Purged namespace '{}'. All data permanently deleted.\n", *id);
          return kExitOk;
        });
      };
    });
  }
}

}  // namespace

void add_infrastructure_commands(CLI::App& app, CommandContext& context, Action& action) {
  add_deploy(app, context, action);
  add_delete(app, context, action);
  add_status(app, context, action);
  add_list(app, context, action);
  add_version(app, context, action);
  add_check(app, context, action);
  add_upgrade(app, context, action);
  add_cfn_template(app, action);
  add_refused(app, "lambda-export",
              "Not supported in the C++ port (the original builds its Python aggregator Lambda)",
              "lambda-export is not supported in the C++ port: the aggregator Lambda is Python "
              "code of the original, which this build does not contain.",
              action);
  add_loadtest(app, action);
  add_namespace_commands(app, context, action);
}

}  // namespace zae::cli
