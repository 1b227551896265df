// SPDX-License-Identifier: MIT
#include "cli/commands.h"

#include <charconv>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "zae/errors.h"
#include "zae/limit.h"
#include "zae/open_store.h"
#include "zae/validation.h"

#include "cli/exit_codes.h"
#include "cli/table.h"
#include "core/json.h"
#include "core/limit_json.h"

namespace zae::cli {

RateLimiter& CommandContext::limiter() {
  if (!limiter_) {
    limiter_ = std::make_unique<RateLimiter>(store_ptr());
  }
  return *limiter_;
}

Store& CommandContext::store() { return *store_ptr(); }

std::shared_ptr<Store> CommandContext::store_ptr() {
  if (!store_) {
    StoreOptions options;
    options.namespace_name = namespace_name;
    const std::string uri = data_store_uri(selection);
    store_ = open_store(uri.empty() ? default_store_uri() : uri, options);
  }
  return store_;
}

bool confirm(const std::string& question) {
  for (;;) {
    fmt::print("{} [y/N]: ", question);
    std::fflush(stdout);
    std::string answer;
    if (!std::getline(std::cin, answer)) {
      fmt::print("\n");
      throw Aborted();
    }
    std::string trimmed;
    for (char c : answer) {
      if (c != ' ' && c != '\t' && c != '\r') {
        trimmed += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
    }
    if (trimmed.empty() || trimmed == "n" || trimmed == "no") {
      return false;
    }
    if (trimmed == "y" || trimmed == "yes") {
      return true;
    }
    fmt::print("Error: invalid input\n");
  }
}

namespace {

std::vector<Limit> parse_limits(const std::vector<std::string>& specs) {
  std::vector<Limit> limits;
  limits.reserve(specs.size());
  for (const auto& spec : specs) {
    limits.push_back(Limit::parse(spec));
  }
  return limits;
}

// NAME=N with N a decimal integer (negative allowed for --adjust).
Amounts parse_amounts(const std::vector<std::string>& pairs, const char* field) {
  Amounts amounts;
  for (const auto& pair : pairs) {
    const auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == pair.size()) {
      throw ValidationError(field, pair, "expected NAME=N, e.g. tpm=500");
    }
    std::int64_t value = 0;
    const char* first = pair.data() + eq + 1;
    const char* last = pair.data() + pair.size();
    const auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || ptr != last) {
      throw ValidationError(field, pair, "'" + std::string(first, last) + "' is not an integer");
    }
    amounts.emplace_back(pair.substr(0, eq), value);
  }
  return amounts;
}

void write_entity(core::JsonWriter& w, const Entity& entity) {
  w.begin_object().key("entity_id").value(entity.id).key("name").value(entity.name);
  w.key("parent_id");
  if (entity.parent_id) {
    w.value(*entity.parent_id);
  } else {
    w.null();
  }
  w.key("cascade").value(entity.cascade).key("created_at").value(entity.created_at);
  w.key("metadata").begin_object();
  for (const auto& [k, v] : entity.metadata) {
    w.key(k).value(v);
  }
  w.end_object().end_object();
}

void print_json(const core::JsonWriter& w) { fmt::print("{}\n", w.str()); }

void print_limit_lines(const std::vector<Limit>& limits, const char* indent = "  ") {
  for (const auto& limit : limits) {
    fmt::print("{}{}\n", indent, limit.to_string());
  }
}

// {"entity_id": ..., "resource": ..., "limits": [...]}, omitting what is not given.
void print_limits_document(const std::string* entity_id, const std::string* resource,
                           const std::vector<Limit>& limits) {
  core::JsonWriter w;
  w.begin_object();
  if (entity_id != nullptr) {
    w.key("entity_id").value(*entity_id);
  }
  if (resource != nullptr) {
    w.key("resource").value(*resource);
  }
  w.key("limits");
  core::write_limits_json(w, limits);
  w.end_object();
  print_json(w);
}

void print_system_document(const SystemDefaults& defaults) {
  core::JsonWriter w;
  w.begin_object().key("limits");
  core::write_limits_json(w, defaults.limits);
  w.key("on_unavailable");
  if (defaults.on_unavailable) {
    w.value(to_string(*defaults.on_unavailable));
  } else {
    w.null();
  }
  w.end_object();
  print_json(w);
}

// A list of resource names: {"resources": [...]} or a header and indented lines.
int print_resources(OutputFormat output, const std::vector<std::string>& resources,
                    const char* empty_text, const char* header) {
  if (output == OutputFormat::kJson) {
    core::JsonWriter w;
    w.begin_object().key("resources").begin_array();
    for (const auto& r : resources) {
      w.value(r);
    }
    w.end_array().end_object();
    print_json(w);
    return kExitOk;
  }
  if (resources.empty()) {
    fmt::print("{}\n", empty_text);
    return kExitOk;
  }
  fmt::print("{}\n", header);
  for (const auto& r : resources) {
    fmt::print("  {}\n", r);
  }
  return kExitOk;
}

// Python dict literal of a string map, as the original prints metadata.
std::string python_dict(const std::map<std::string, std::string>& map) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : map) {
    out += fmt::format("{}'{}': '{}'", first ? "" : ", ", k, v);
    first = false;
  }
  return out + "}";
}

CLI::App* command(CLI::App& parent, const char* name, const char* help, const char* example) {
  CLI::App* cmd = parent.add_subcommand(name, help);
  cmd->footer(std::string("Example: ") + example);
  return cmd;
}

void add_entity_commands(CLI::App& app, CommandContext& ctx, Action& action) {
  CLI::App* group = app.add_subcommand("entity", "Entities and entity-level limits");
  group->require_subcommand(1);

  {
    auto* cmd = command(*group, "create", "Create an entity",
                        "zae-limiter entity create api-key-1 --parent proj-1 --cascade");
    auto id = std::make_shared<std::string>();
    auto display = std::make_shared<std::string>();
    auto parent = std::make_shared<std::string>();
    auto cascade = std::make_shared<bool>(false);
    auto metadata = std::make_shared<std::vector<std::string>>();
    cmd->add_option("ENTITY_ID", *id, "Entity id")->required();
    cmd->add_option("--display-name", *display, "Display name (default: the id)");
    cmd->add_option("--parent", *parent, "Parent entity id");
    cmd->add_flag("--cascade,!--no-cascade", *cascade, "Also consume from the parent");
    cmd->add_option("--metadata", *metadata, "KEY=VALUE metadata (repeatable)");
    cmd->callback([&, id, display, parent, cascade, metadata] {
      action = [&, id, display, parent, cascade, metadata] {
        CreateEntityRequest request{.entity_id = *id, .name = *display};
        if (!parent->empty()) {
          request.parent_id = *parent;
        }
        request.cascade = *cascade;
        for (const auto& kv : *metadata) {
          const auto eq = kv.find('=');
          if (eq == std::string::npos || eq == 0) {
            throw ValidationError("metadata", kv, "expected KEY=VALUE");
          }
          request.metadata[kv.substr(0, eq)] = kv.substr(eq + 1);
        }
        const Entity entity = ctx.limiter().create_entity(request);
        if (ctx.output == OutputFormat::kJson) {
          core::JsonWriter w;
          write_entity(w, entity);
          print_json(w);
          return kExitOk;
        }
        fmt::print("Created entity '{}'\n", entity.id);
        if (entity.name != entity.id) {
          fmt::print("  Name:    {}\n", entity.name);
        }
        if (entity.parent_id) {
          fmt::print("  Parent:  {}\n", *entity.parent_id);
        }
        fmt::print("  Cascade: {}\n", entity.cascade ? "True" : "False");
        return kExitOk;
      };
    });
  }
  {
    auto* cmd = command(*group, "show", "Show an entity", "zae-limiter entity show api-key-1");
    auto id = std::make_shared<std::string>();
    cmd->add_option("ENTITY_ID", *id, "Entity id")->required();
    cmd->callback([&, id] {
      action = [&, id] {
        const auto entity = ctx.limiter().get_entity(*id);
        if (!entity) {
          fmt::print(stderr, "Entity '{}' not found\n", *id);
          return kExitError;
        }
        if (ctx.output == OutputFormat::kJson) {
          core::JsonWriter w;
          write_entity(w, *entity);
          print_json(w);
          return kExitOk;
        }
        fmt::print("Entity: {}\n", entity->id);
        if (entity->name != entity->id) {
          fmt::print("  Name:       {}\n", entity->name);
        }
        fmt::print("  Parent:     {}\n", entity->parent_id.value_or("(none)"));
        fmt::print("  Cascade:    {}\n", entity->cascade ? "True" : "False");
        if (!entity->created_at.empty()) {
          fmt::print("  Created:    {}\n", entity->created_at);
        }
        if (!entity->metadata.empty()) {
          fmt::print("  Metadata:   {}\n", python_dict(entity->metadata));
        }
        return kExitOk;
      };
    });
  }
  {
    auto* cmd = command(*group, "set-limits", "Replace an entity's limits for a resource",
                        "zae-limiter entity set-limits proj-1 -l rpm:100 -l tpm:10000 -r gpt-4");
    auto id = std::make_shared<std::string>();
    auto specs = std::make_shared<std::vector<std::string>>();
    auto resource = std::make_shared<std::string>(kDefaultResource);
    cmd->add_option("ENTITY_ID", *id, "Entity id")->required();
    cmd->add_option("-l,--limit", *specs, "Limit name:rate[/period][:burst] (repeatable)")
        ->required();
    cmd->add_option("-r,--resource", *resource, "Resource (default: _default_, all resources)");
    cmd->callback([&, id, specs, resource] {
      action = [&, id, specs, resource] {
        const std::vector<Limit> limits = parse_limits(*specs);
        ctx.limiter().set_limits(*id, limits, *resource);
        if (ctx.output == OutputFormat::kJson) {
          print_limits_document(id.get(), resource.get(), limits);
          return kExitOk;
        }
        fmt::print("Set {} limit(s) for entity '{}' on resource '{}':\n", limits.size(), *id,
                   *resource);
        print_limit_lines(limits);
        return kExitOk;
      };
    });
  }
  {
    auto* cmd = command(*group, "get-limits", "Show an entity's stored limits for a resource",
                        "zae-limiter entity get-limits proj-1 -r gpt-4");
    auto id = std::make_shared<std::string>();
    auto resource = std::make_shared<std::string>(kDefaultResource);
    cmd->add_option("ENTITY_ID", *id, "Entity id")->required();
    cmd->add_option("-r,--resource", *resource, "Resource (default: _default_)");
    cmd->callback([&, id, resource] {
      action = [&, id, resource] {
        const auto limits = ctx.limiter().get_limits(*id, *resource);
        if (ctx.output == OutputFormat::kJson) {
          print_limits_document(id.get(), resource.get(), limits);
          return kExitOk;
        }
        if (limits.empty()) {
          fmt::print("No limits configured for entity '{}' on resource '{}'\n", *id, *resource);
          return kExitOk;
        }
        fmt::print("Limits for entity '{}' on resource '{}':\n", *id, *resource);
        print_limit_lines(limits);
        return kExitOk;
      };
    });
  }
  {
    auto* cmd = command(*group, "delete-limits", "Delete an entity's limits for a resource",
                        "zae-limiter entity delete-limits proj-1 -r gpt-4 --yes");
    auto id = std::make_shared<std::string>();
    auto resource = std::make_shared<std::string>(kDefaultResource);
    cmd->add_option("ENTITY_ID", *id, "Entity id")->required();
    cmd->add_option("-r,--resource", *resource, "Resource (default: _default_)");
    cmd->add_flag("-y,--yes", ctx.assume_yes, "Do not ask for confirmation");
    cmd->callback([&, id, resource] {
      action = [&, id, resource] {
        validate_identifier(*id, "entity_id");
        if (!ctx.assume_yes &&
            !confirm(
                fmt::format("Delete limits for entity '{}' on resource '{}'?", *id, *resource))) {
          fmt::print("Cancelled\n");
          return kExitOk;
        }
        ctx.limiter().delete_limits(*id, *resource);
        fmt::print("Deleted limits for entity '{}' on resource '{}'\n", *id, *resource);
        return kExitOk;
      };
    });
  }
  {
    auto* cmd = command(*group, "list", "List entities with custom limits for a resource",
                        "zae-limiter entity list --with-custom-limits gpt-4");
    auto resource = std::make_shared<std::string>();
    auto page = std::make_shared<int>(0);
    cmd->add_option("--with-custom-limits", *resource, "Resource")->required();
    cmd->add_option("--limit", *page, "Page size (all pages are printed)");
    cmd->callback([&, resource] {
      action = [&, resource] {
        const auto ids = ctx.store().list_entities_with_custom_limits(*resource);
        if (ctx.output == OutputFormat::kJson) {
          core::JsonWriter w;
          w.begin_object().key("resource").value(*resource).key("entities").begin_array();
          for (const auto& id : ids) {
            w.value(id);
          }
          w.end_array().end_object();
          print_json(w);
          return kExitOk;
        }
        if (ids.empty()) {
          fmt::print("No entities with custom limits for resource '{}'\n", *resource);
        }
        for (const auto& id : ids) {
          fmt::print("{}\n", id);
        }
        return kExitOk;
      };
    });
  }
  {
    auto* cmd = command(*group, "list-resources", "List resources with entity-level limits",
                        "zae-limiter entity list-resources");
    cmd->callback([&] {
      action = [&] {
        return print_resources(ctx.output, ctx.store().list_resources_with_entity_configs(),
                               "No resources with entity-level custom limits",
                               "Resources with entity-level custom limits:");
      };
    });
  }
}

void add_resource_commands(CLI::App& app, CommandContext& ctx, Action& action) {
  CLI::App* group = app.add_subcommand("resource", "Resource-level default limits");
  group->require_subcommand(1);
  {
    auto* cmd = command(*group, "set-defaults", "Replace a resource's default limits",
                        "zae-limiter resource set-defaults gpt-4 -l rpm:100 -l tpm:10000");
    auto resource = std::make_shared<std::string>();
    auto specs = std::make_shared<std::vector<std::string>>();
    cmd->add_option("RESOURCE_NAME", *resource, "Resource")->required();
    cmd->add_option("-l,--limit", *specs, "Limit name:rate[/period][:burst] (repeatable)")
        ->required();
    cmd->callback([&, resource, specs] {
      action = [&, resource, specs] {
        const std::vector<Limit> limits = parse_limits(*specs);
        ctx.limiter().set_resource_defaults(*resource, limits);
        if (ctx.output == OutputFormat::kJson) {
          print_limits_document(nullptr, resource.get(), limits);
          return kExitOk;
        }
        fmt::print("Set {} default(s) for resource '{}':\n", limits.size(), *resource);
        print_limit_lines(limits);
        return kExitOk;
      };
    });
  }
  {
    auto* cmd = command(*group, "get-defaults", "Show a resource's default limits",
                        "zae-limiter resource get-defaults gpt-4");
    auto resource = std::make_shared<std::string>();
    cmd->add_option("RESOURCE_NAME", *resource, "Resource")->required();
    cmd->callback([&, resource] {
      action = [&, resource] {
        const auto limits = ctx.limiter().get_resource_defaults(*resource);
        if (ctx.output == OutputFormat::kJson) {
          print_limits_document(nullptr, resource.get(), limits);
          return kExitOk;
        }
        if (limits.empty()) {
          fmt::print("No defaults configured for resource '{}'\n", *resource);
          return kExitOk;
        }
        fmt::print("Defaults for resource '{}':\n", *resource);
        print_limit_lines(limits);
        return kExitOk;
      };
    });
  }
  {
    auto* cmd = command(*group, "delete-defaults", "Delete a resource's default limits",
                        "zae-limiter resource delete-defaults gpt-4 --yes");
    auto resource = std::make_shared<std::string>();
    cmd->add_option("RESOURCE_NAME", *resource, "Resource")->required();
    cmd->add_flag("-y,--yes", ctx.assume_yes, "Do not ask for confirmation");
    cmd->callback([&, resource] {
      action = [&, resource] {
        validate_resource(*resource);
        if (!ctx.assume_yes &&
            !confirm(fmt::format("Delete all defaults for resource '{}'?", *resource))) {
          fmt::print("Cancelled\n");
          return kExitOk;
        }
        ctx.limiter().delete_resource_defaults(*resource);
        fmt::print("Deleted defaults for resource '{}'\n", *resource);
        return kExitOk;
      };
    });
  }
  {
    auto* cmd =
        command(*group, "list", "List resources with default limits", "zae-limiter resource list");
    cmd->callback([&] {
      action = [&] {
        return print_resources(ctx.output, ctx.limiter().list_resources_with_defaults(),
                               "No resources with configured defaults",
                               "Resources with configured defaults:");
      };
    });
  }
}

void add_system_commands(CLI::App& app, CommandContext& ctx, Action& action) {
  CLI::App* group = app.add_subcommand("system", "Namespace-wide default limits");
  group->require_subcommand(1);
  {
    auto* cmd = command(*group, "set-defaults", "Replace the system-wide defaults",
                        "zae-limiter system set-defaults -l rpm:1000 --on-unavailable allow");
    auto specs = std::make_shared<std::vector<std::string>>();
    auto on_unavailable = std::make_shared<std::string>();
    cmd->add_option("-l,--limit", *specs, "Limit name:rate[/period][:burst] (repeatable)")
        ->required();
    cmd->add_option("--on-unavailable", *on_unavailable, "allow or block when storage fails")
        ->check(CLI::IsMember({"allow", "block"}));
    cmd->callback([&, specs, on_unavailable] {
      action = [&, specs, on_unavailable] {
        SystemDefaults defaults{.limits = parse_limits(*specs)};
        if (!on_unavailable->empty()) {
          defaults.on_unavailable = parse_on_unavailable(*on_unavailable);
        }
        ctx.limiter().set_system_defaults(defaults);
        if (ctx.output == OutputFormat::kJson) {
          print_system_document(defaults);
          return kExitOk;
        }
        fmt::print("Set {} system-wide default(s):\n", defaults.limits.size());
        print_limit_lines(defaults.limits);
        if (defaults.on_unavailable) {
          fmt::print("  on_unavailable: {}\n", to_string(*defaults.on_unavailable));
        }
        return kExitOk;
      };
    });
  }
  {
    auto* cmd = command(*group, "get-defaults", "Show the system-wide defaults",
                        "zae-limiter system get-defaults --output json");
    cmd->callback([&] {
      action = [&] {
        const SystemDefaults defaults = ctx.limiter().get_system_defaults();
        if (ctx.output == OutputFormat::kJson) {
          print_system_document(defaults);
          return kExitOk;
        }
        if (defaults.limits.empty() && !defaults.on_unavailable) {
          fmt::print("No system defaults configured\n");
          return kExitOk;
        }
        fmt::print("System-wide defaults:\n");
        if (!defaults.limits.empty()) {
          fmt::print("  Limits:\n");
          print_limit_lines(defaults.limits, "    ");
        }
        if (defaults.on_unavailable) {
          fmt::print("  on_unavailable: {}\n", to_string(*defaults.on_unavailable));
        }
        return kExitOk;
      };
    });
  }
  {
    auto* cmd = command(*group, "delete-defaults", "Delete the system-wide defaults",
                        "zae-limiter system delete-defaults --yes");
    cmd->add_flag("-y,--yes", ctx.assume_yes, "Do not ask for confirmation");
    cmd->callback([&] {
      action = [&] {
        if (!ctx.assume_yes && !confirm("Delete all system-wide defaults?")) {
          fmt::print("Cancelled\n");
          return kExitOk;
        }
        ctx.limiter().delete_system_defaults();
        fmt::print("Deleted all system-wide defaults\n");
        return kExitOk;
      };
    });
  }
}

void add_audit_commands(CLI::App& app, CommandContext& ctx, Action& action) {
  CLI::App* group = app.add_subcommand("audit", "Audit events");
  group->require_subcommand(1);
  auto* cmd = command(*group, "list", "List an entity's audit events, newest first",
                      "zae-limiter audit list -e proj-1 --limit 20");
  auto entity = std::make_shared<std::string>();
  auto limit = std::make_shared<int>(100);
  auto start = std::make_shared<std::string>();
  cmd->add_option("-e,--entity-id", *entity, "Entity id, $SYSTEM or $RESOURCE:<name>")->required();
  cmd->add_option("-l,--limit", *limit, "Maximum events")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--start-event-id", *start, "Continue after this event id");
  cmd->callback([&, entity, limit, start] {
    action = [&, entity, limit, start] {
      const auto events = ctx.store().get_audit_events(
          *entity, static_cast<std::size_t>(*limit),
          start->empty() ? std::nullopt : std::optional<std::string>(*start));
      if (ctx.output == OutputFormat::kJson) {
        core::JsonWriter w;
        w.begin_object().key("entity_id").value(*entity).key("events").begin_array();
        for (const auto& e : events) {
          w.begin_object()
              .key("event_id")
              .value(e.event_id)
              .key("timestamp")
              .value(e.timestamp)
              .key("action")
              .value(e.action)
              .key("entity_id")
              .value(e.entity_id);
          w.key("principal");
          e.principal ? w.value(*e.principal) : w.null();
          w.key("resource");
          e.resource ? w.value(*e.resource) : w.null();
          w.key("details").raw(e.details_json.empty() ? "{}" : e.details_json).end_object();
        }
        w.end_array().end_object();
        print_json(w);
        return kExitOk;
      }
      if (events.empty()) {
        fmt::print("No audit events found for entity: {}\n", *entity);
        return kExitOk;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& e : events) {
        rows.push_back(
            {e.timestamp, e.action, e.principal.value_or("-"), e.resource.value_or("-")});
      }
      fmt::print("\nAudit Events for: {}\n\n{}\n\nTotal: {} events\n", *entity,
                 render_table({"Timestamp", "Action", "Principal", "Resource"}, rows),
                 events.size());
      if (events.size() == static_cast<std::size_t>(*limit)) {
        fmt::print("More events may exist. Use --start-event-id {}\n", events.back().event_id);
      }
      return kExitOk;
    };
  });
}

void print_statuses(const std::vector<LimitStatus>& statuses) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : statuses) {
    rows.push_back({s.entity_id, s.resource, s.limit_name, with_commas(s.available),
                    with_commas(s.requested), s.exceeded ? "yes" : "no",
                    s.exceeded ? fmt::format("{:.3f}s", s.retry_after_seconds()) : "-"});
  }
  fmt::print("{}\n", render_table({"Entity", "Resource", "Limit", "Available", "Requested",
                                   "Exceeded", "Retry after"},
                                  rows,
                                  {Align::kLeft, Align::kLeft, Align::kLeft, Align::kRight,
                                   Align::kRight, Align::kCenter, Align::kRight}));
}

void add_bucket_commands(CLI::App& app, CommandContext& ctx, Action& action) {
  {
    auto* cmd =
        command(app, "acquire", "Acquire from an entity's buckets (exit 5 when rate limited)",
                "zae-limiter acquire api-key-1 gpt-4 --consume rpm=1 --consume tpm=500 "
                "-l rpm:100 -l tpm:10000 --adjust tpm=120");
    auto entity = std::make_shared<std::string>();
    auto resource = std::make_shared<std::string>();
    auto consume = std::make_shared<std::vector<std::string>>();
    auto adjust = std::make_shared<std::vector<std::string>>();
    auto specs = std::make_shared<std::vector<std::string>>();
    cmd->add_option("ENTITY", *entity, "Entity id")->required();
    cmd->add_option("RESOURCE", *resource, "Resource")->required();
    cmd->add_option("--consume", *consume, "NAME=N tokens to take (repeatable)")->required();
    cmd->add_option("-l,--limit", *specs, "Explicit limit instead of stored ones (repeatable)");
    cmd->add_option("--adjust", *adjust, "NAME=N correction written before committing");
    cmd->callback([&, entity, resource, consume, adjust, specs] {
      action = [&, entity, resource, consume, adjust, specs] {
        AcquireRequest request{.entity_id = *entity,
                               .resource = *resource,
                               .consume = parse_amounts(*consume, "consume")};
        const Amounts adjustments = parse_amounts(*adjust, "adjust");
        if (!specs->empty()) {
          request.limits = parse_limits(*specs);
        }
        const std::optional<std::vector<Limit>> limits = request.limits;
        try {
          Lease lease = ctx.limiter().acquire(std::move(request));
          if (!adjustments.empty()) {
            lease.adjust(adjustments);
          }
          const auto consumed = lease.consumed();
          const bool noop = lease.is_noop();
          lease.commit();
          const auto available = ctx.limiter().available(*entity, *resource, limits);
          if (ctx.output == OutputFormat::kJson) {
            core::JsonWriter w;
            w.begin_object().key("admitted").value(true).key("noop").value(noop);
            w.key("consumed").begin_object();
            for (const auto& [name, n] : consumed) {
              w.key(name).value(n);
            }
            w.end_object().key("available").begin_object();
            for (const auto& [name, n] : available) {
              w.key(name).value(n);
            }
            w.end_object().end_object();
            print_json(w);
            return kExitOk;
          }
          fmt::print("Admitted: {}/{}{}\n", *entity, *resource,
                     noop ? " (store unavailable, on_unavailable=allow)" : "");
          for (const auto& [name, n] : consumed) {
            const auto it = available.find(name);
            fmt::print("  {}: consumed {}, available {}\n", name, with_commas(n),
                       it == available.end() ? "-" : with_commas(it->second));
          }
          return kExitOk;
        } catch (const RateLimitExceeded& e) {
          if (ctx.output == OutputFormat::kJson) {
            fmt::print("{}\n", e.to_json());
          } else {
            fmt::print("{}\n", e.what());
            print_statuses(e.statuses());
            fmt::print("Retry after: {:.3f}s (Retry-After: {})\n", e.retry_after_seconds(),
                       e.retry_after_header());
          }
          return kExitRateLimited;
        }
      };
    });
  }
  {
    auto* cmd = command(app, "available", "Show the tokens available now per limit",
                        "zae-limiter available api-key-1 gpt-4 -l rpm:100");
    auto entity = std::make_shared<std::string>();
    auto resource = std::make_shared<std::string>();
    auto specs = std::make_shared<std::vector<std::string>>();
    cmd->add_option("ENTITY", *entity, "Entity id")->required();
    cmd->add_option("RESOURCE", *resource, "Resource")->required();
    cmd->add_option("-l,--limit", *specs, "Explicit limit instead of stored ones (repeatable)");
    cmd->callback([&, entity, resource, specs] {
      action = [&, entity, resource, specs] {
        std::optional<std::vector<Limit>> limits;
        if (!specs->empty()) {
          limits = parse_limits(*specs);
        }
        const auto available = ctx.limiter().available(*entity, *resource, limits);
        if (ctx.output == OutputFormat::kJson) {
          core::JsonWriter w;
          w.begin_object()
              .key("entity_id")
              .value(*entity)
              .key("resource")
              .value(*resource)
              .key("available")
              .begin_object();
          for (const auto& [name, n] : available) {
            w.key(name).value(n);
          }
          w.end_object().end_object();
          print_json(w);
          return kExitOk;
        }
        std::vector<std::vector<std::string>> rows;
        for (const auto& [name, n] : available) {
          rows.push_back({name, with_commas(n)});
        }
        fmt::print("{}\n",
                   render_table({"Limit", "Available"}, rows, {Align::kLeft, Align::kRight}));
        return kExitOk;
      };
    });
  }
}

}  // namespace

void add_data_commands(CLI::App& app, CommandContext& context, Action& action) {
  add_entity_commands(app, context, action);
  add_resource_commands(app, context, action);
  add_system_commands(app, context, action);
  add_audit_commands(app, context, action);
  add_usage_commands(app, context, action);
  add_bucket_commands(app, context, action);
}

}  // namespace zae::cli
