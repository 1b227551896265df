// SPDX-License-Identifier: MIT
// The `limits` group (spec/cli.md §10): plan, apply and diff of a declarative limits manifest,
// run in process against the selected store (§16.1) instead of the original's Lambda, and
// cfn-template, the manifest as the original's CloudFormation custom resource (§10.4).

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "zae/clock.h"

#include "cfn/templates.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "core/json.h"
#include "dynamodb/provisioning.h"
#include "manifest/manifest.h"
#include "manifest/provisioner.h"

namespace zae::cli {
namespace {

using manifest::Change;
using manifest::ChangeAction;

const char* symbol(ChangeAction action) {
  switch (action) {
    case ChangeAction::kCreate:
      return "+";
    case ChangeAction::kUpdate:
      return "~";
    case ChangeAction::kDelete:
      return "-";
  }
  return "?";
}

std::string target_text(const Change& change) {
  return change.target.value_or("(system defaults)");
}

// {"action", "level", "target"} per change, as the original's provisioner returns them.
void write_changes(core::JsonWriter& w, const std::vector<Change>& changes) {
  w.key("changes").begin_array();
  for (const Change& c : changes) {
    w.begin_object()
        .key("action")
        .value(manifest::to_string(c.action))
        .key("level")
        .value(manifest::to_string(c.level))
        .key("target");
    if (c.target) {
      w.value(*c.target);
    } else {
      w.null();
    }
    w.end_object();
  }
  w.end_array();
}

void print_plan_json(const std::vector<Change>& changes) {
  core::JsonWriter w;
  w.begin_object().key("status").value("planned");
  write_changes(w, changes);
  w.end_object();
  fmt::print("{}\n", w.str());
}

struct LimitsOptions {
  std::string file{};
  bool assume_yes = false;
};

// Loads the manifest (a bad one is a usage error, exit 2, before the store is opened) and
// scopes the context to its namespace: -N is ignored, as in the original (§16.2 item 5).
manifest::Manifest load(CommandContext& ctx, const std::string& file) {
  manifest::Manifest m;
  try {
    m = manifest::load_manifest(file);
  } catch (const manifest::ManifestError& e) {
    throw UsageError(e.what());
  }
  ctx.namespace_name = m.namespace_name;
  return m;
}

CLI::App* add_command(CLI::App& group, const char* name, const char* help, const char* example,
                      LimitsOptions& options) {
  CLI::App* cmd = group.add_subcommand(name, help);
  cmd->footer(std::string("Example: ") + example +
              "\nThe namespace is the manifest's `namespace`; -N is ignored.");
  cmd->add_option("-f,--file", options.file, "Limits manifest (YAML)")
      ->required()
      ->check(CLI::ExistingFile);
  return cmd;
}

}  // namespace

void add_limits_commands(CLI::App& app, CommandContext& ctx, Action& action) {
  CLI::App* group = app.add_subcommand(
      "limits", "Declarative limits: plan, apply or diff a YAML manifest against the store");
  group->require_subcommand(1);

  {
    auto options = std::make_shared<LimitsOptions>();
    CLI::App* cmd = add_command(*group, "plan", "Show the changes applying the manifest would make",
                                "zae-limiter limits plan -f limits.yaml", *options);
    cmd->callback([&, options] {
      action = [&, options] {
        const manifest::Manifest m = load(ctx, options->file);
        Store& store = ctx.store();
        const auto changes = manifest::plan_changes(m, manifest::previous_state(store), store);
        if (ctx.output == OutputFormat::kJson) {
          print_plan_json(changes);
          return kExitOk;
        }
        if (changes.empty()) {
          fmt::print("No changes. Infrastructure is up-to-date.\n");
          return kExitOk;
        }
        fmt::print("Plan: {} change(s)\n\n", changes.size());
        for (const Change& c : changes) {
          fmt::print("  {} {} {}: {}\n", symbol(c.action), manifest::to_string(c.action),
                     manifest::to_string(c.level), target_text(c));
        }
        return kExitOk;
      };
    });
  }
  {
    auto options = std::make_shared<LimitsOptions>();
    CLI::App* cmd = add_command(*group, "diff",
                                "Show where the store differs from the manifest (managed items)",
                                "zae-limiter limits diff -f limits.yaml", *options);
    cmd->callback([&, options] {
      action = [&, options] {
        const manifest::Manifest m = load(ctx, options->file);
        Store& store = ctx.store();
        const auto changes = manifest::plan_changes(m, manifest::previous_state(store), store);
        if (ctx.output == OutputFormat::kJson) {
          print_plan_json(changes);
          return kExitOk;
        }
        if (changes.empty()) {
          fmt::print("No drift detected. Live state matches YAML.\n");
          return kExitOk;
        }
        fmt::print("Drift detected: {} difference(s)\n\n", changes.size());
        for (const Change& c : changes) {
          fmt::print("  {} {}: {}\n", symbol(c.action), manifest::to_string(c.level),
                     target_text(c));
        }
        return kExitOk;
      };
    });
  }
  {
    auto options = std::make_shared<LimitsOptions>();
    CLI::App* cmd = add_command(*group, "apply", "Apply the manifest to the store",
                                "zae-limiter limits apply -f limits.yaml --yes", *options);
    cmd->add_flag("-y,--yes", options->assume_yes, "Apply without asking for confirmation");
    cmd->callback([&, options] {
      action = [&, options] {
        const manifest::Manifest m = load(ctx, options->file);
        const bool json = ctx.output == OutputFormat::kJson;
        if (json && !options->assume_yes) {
          throw UsageError(
              "limits apply --output json needs --yes (the prompt would mix into "
              "the JSON)");
        }
        Store& store = ctx.store();
        // The original applies without asking; the port shows the plan and asks unless --yes.
        if (!options->assume_yes) {
          const auto planned = manifest::plan_changes(m, manifest::previous_state(store), store);
          if (!planned.empty()) {
            fmt::print("Plan: {} change(s)\n\n", planned.size());
            for (const Change& c : planned) {
              fmt::print("  {} {} {}: {}\n", symbol(c.action), manifest::to_string(c.action),
                         manifest::to_string(c.level), target_text(c));
            }
            fmt::print("\n");
            if (!confirm(fmt::format("Apply {} change(s) to namespace '{}' of {}?", planned.size(),
                                     m.namespace_name, store.describe()))) {
              throw Aborted();
            }
          }
        }
        const manifest::ApplyResult result =
            manifest::apply_manifest(m, store, SystemClock::instance().now());
        if (json) {
          core::JsonWriter w;
          w.begin_object().key("status").value("applied");
          write_changes(w, result.changes);
          w.key("created").value(result.created).key("updated").value(result.updated);
          w.key("deleted").value(result.deleted).key("errors").begin_array();
          for (const auto& e : result.errors) {
            w.value(e);
          }
          w.end_array().end_object();
          fmt::print("{}\n", w.str());
          return result.errors.empty() ? kExitOk : kExitError;
        }
        if (result.changes.empty()) {
          fmt::print("No changes. Infrastructure is up-to-date.\n");
          return kExitOk;
        }
        for (const Change& c : result.changes) {
          fmt::print("  {} {} {}: {}\n", symbol(c.action), manifest::to_string(c.action),
                     manifest::to_string(c.level), target_text(c));
        }
        fmt::print("\nApplied: {} created, {} updated, {} deleted.\n", result.created,
                   result.updated, result.deleted);
        if (!result.errors.empty()) {
          std::fflush(stdout);
          fmt::print(stderr, "\nErrors ({}):\n", result.errors.size());
          for (const auto& e : result.errors) {
            fmt::print(stderr, "  - {}\n", e);
          }
          return kExitError;
        }
        return kExitOk;
      };
    });
  }
  {
    // spec/cli.md §10.4: text generation only; no store is opened.
    auto file = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand(
        "cfn-template",
        "Print the manifest as a CloudFormation custom resource (Custom::ZaeLimiterLimits) for "
        "the original's provisioner Lambda");
    cmd->footer(
        "Example: zae-limiter limits cfn-template --name my-app -f limits.yaml > "
        "limits-stack.yaml\n"
        "The resource's ServiceToken imports {NAME}-ProvisionerArn, the provisioner Lambda that "
        "only a stack\ndeployed from the Python original's CloudFormation template has. The C++ "
        "port deploys no Lambda:\nwith a table deployed by the C++ port, apply the manifest with "
        "'zae-limiter limits apply -f FILE'.\nOnly what the manifest writes is repeated (no "
        "defaults; a legacy `burst` is dropped). The namespace\nis the manifest's `namespace` "
        "(default: default); --name (required) names the stack and the table.");
    cmd->add_option("-f,--file", *file, "Limits manifest (YAML)")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->callback([&, file] {
      action = [&, file] {
        if (ctx.selection.name.empty()) {
          throw UsageError("limits cfn-template needs the stack name: give --name NAME");
        }
        // Unlike the original, the name is checked: it names a table and a stack export.
        dynamodb::validate_table_name(ctx.selection.name);
        manifest::WrittenManifest m;
        try {
          m = manifest::load_written_manifest(*file, manifest::NamespaceKey::kOptional);
        } catch (const manifest::ManifestError& e) {
          throw UsageError(e.what());
        }
        fmt::print("{}\n", cfn::limits_template(m, ctx.selection.name));
        return kExitOk;
      };
    });
  }
}

}  // namespace zae::cli
