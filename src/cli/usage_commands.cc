// SPDX-License-Identifier: MIT
// `usage list` and `usage summary` (spec/cli.md §5, §15).

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "zae/errors.h"

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/table.h"
#include "cli/usage_plot.h"
#include "core/json.h"

namespace zae::cli {
namespace {

// The filter options both commands share.
struct UsageOptions {
  std::string entity_id{};
  std::string resource{};
  std::string window{};
  std::string start{};
  std::string end{};
  int limit = 100;
  std::string next_key{};
  bool plot = false;
};

std::optional<std::string> given(const std::string& value) {
  return value.empty() ? std::nullopt : std::optional<std::string>(value);
}

UsageQuery to_query(const UsageOptions& options) {
  return UsageQuery{.entity_id = given(options.entity_id),
                    .resource = given(options.resource),
                    .window = given(options.window),
                    .start = given(options.start),
                    .end = given(options.end),
                    .limit = static_cast<std::size_t>(options.limit),
                    .next_key = given(options.next_key)};
}

void add_filter_options(CLI::App& cmd, UsageOptions& options) {
  cmd.add_option("-e,--entity-id", options.entity_id, "Entity-scoped query");
  cmd.add_option("-r,--resource", options.resource,
                 "Resource filter (with -e), or resource-scoped query across entities");
  cmd.add_option("-w,--window", options.window, "Keep one window type: hourly, daily, monthly")
      ->check(CLI::IsMember({"hourly", "daily", "monthly"}));
  cmd.add_option("--start", options.start,
                 "Keep snapshots with window_start >= START (YYYY-MM-DDTHH:MM:SSZ)");
  cmd.add_option("--end", options.end,
                 "Keep snapshots with window_start <= END (YYYY-MM-DDTHH:MM:SSZ)");
}

// Runs `body`; library errors become the spec's messages: a ValidationError "Error: {message}"
// (exit 1), a storage failure "Error: {failure}: {error}" (exit 3, the port's storage code).
template <typename Body>
int guarded(const char* failure, Body&& body) {
  try {
    return body();
  } catch (const ValidationError& e) {
    fmt::print(stderr, "Error: {}\n", e.what());
    return kExitError;
  } catch (const InfrastructureNotFoundError&) {
    throw;  // the store itself is missing: main's "table not found" (exit 4)
  } catch (const InfrastructureError& e) {
    fmt::print(stderr, "Error: {}: {}\n", failure, e.what());
    return kExitAwsError;
  }
}

bool has_scope(const UsageOptions& options) {
  if (options.entity_id.empty() && options.resource.empty()) {
    fmt::print(stderr, "Error: Either --entity-id or --resource must be provided\n");
    return false;
  }
  return true;
}

std::string counters_text(const UsageSnapshot& snapshot) {
  std::string out;
  for (const auto& [name, value] : snapshot.counters) {
    if (!out.empty()) {
      out += ", ";
    }
    out += name + "=" + with_commas(value);
  }
  return out;
}

void write_optional(core::JsonWriter& w, const char* key, const std::optional<std::string>& v) {
  w.key(key);
  if (v) {
    w.value(*v);
  } else {
    w.null();
  }
}

void print_list_json(const UsagePage& page) {
  core::JsonWriter w;
  w.begin_object().key("snapshots").begin_array();
  for (const UsageSnapshot& s : page.snapshots) {
    w.begin_object()
        .key("entity_id")
        .value(s.entity_id)
        .key("resource")
        .value(s.resource)
        .key("window")
        .value(s.window)
        .key("window_start")
        .value(s.window_start)
        .key("window_end")
        .value(s.window_end)
        .key("total_events")
        .value(s.total_events)
        .key("counters")
        .begin_object();
    for (const auto& [name, value] : s.counters) {
      w.key(name).value(value);
    }
    w.end_object().end_object();
  }
  w.end_array().key("count").value(static_cast<std::int64_t>(page.snapshots.size()));
  write_optional(w, "next_key", page.next_key);
  w.end_object();
  fmt::print("{}\n", w.str());
}

int print_list(const UsagePage& page, bool plot) {
  const auto& snapshots = page.snapshots;
  if (snapshots.empty()) {
    fmt::print("No usage snapshots found\n");
    return kExitOk;
  }
  if (plot) {
    fmt::print("{}\n", format_usage_plot(snapshots));
  } else {
    std::vector<std::vector<std::string>> rows;
    rows.reserve(snapshots.size());
    for (const UsageSnapshot& s : snapshots) {
      rows.push_back({s.window_start, s.window, s.resource, s.entity_id,
                      std::to_string(s.total_events), counters_text(s)});
    }
    fmt::print(
        "\nUsage Snapshots\n\n{}\n",
        render_table({"Window Start", "Type", "Resource", "Entity", "Events", "Counters"}, rows));
  }
  fmt::print("\nTotal: {} snapshots\n", snapshots.size());
  if (page.next_key) {
    fmt::print("\nMore snapshots exist. Use pagination to see more.\n");
    fmt::print("Next page: --next-key {}\n", *page.next_key);
  }
  return kExitOk;
}

void print_summary_json(const UsageSummary& summary, const UsageQuery& query) {
  core::JsonWriter w;
  w.begin_object();
  write_optional(w, "entity_id", query.entity_id);
  write_optional(w, "resource", query.resource);
  write_optional(w, "window", query.window);
  w.key("snapshot_count").value(static_cast<std::int64_t>(summary.snapshot_count));
  write_optional(w, "min_window_start", summary.min_window_start);
  write_optional(w, "max_window_start", summary.max_window_start);
  w.key("total").begin_object();
  for (const auto& [name, total] : summary.total) {
    w.key(name).value(total);
  }
  w.end_object().key("average").begin_object();
  for (const auto& [name, average] : summary.average) {
    w.key(name).value(average);
  }
  w.end_object().end_object();
  fmt::print("{}\n", w.str());
}

int print_summary(const UsageSummary& summary, const UsageQuery& query) {
  if (summary.snapshot_count == 0) {
    fmt::print("No usage data found matching the criteria\n");
    return kExitOk;
  }
  fmt::print("\nUsage Summary\n\n");
  if (query.entity_id) {
    fmt::print("Entity:     {}\n", *query.entity_id);
  }
  if (query.resource) {
    fmt::print("Resource:   {}\n", *query.resource);
  }
  if (query.window) {
    fmt::print("Window:     {}\n", *query.window);
  }
  fmt::print("Snapshots:  {}\n", summary.snapshot_count);
  if (summary.min_window_start && summary.max_window_start) {
    fmt::print("Time Range: {} to {}\n", *summary.min_window_start, *summary.max_window_start);
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, total] : summary.total) {
    const double average = summary.average.at(name);
    // Python "{:,.2f}": the two decimals of the rounded value, separators on the integer part.
    const std::string fixed = fmt::format("{:.2f}", average);
    const std::size_t dot = fixed.find('.');
    const std::string integer = fixed.substr(0, dot);
    const bool negative = !integer.empty() && integer[0] == '-';
    std::string grouped = with_commas(std::stoll(negative ? integer.substr(1) : integer));
    if (negative) {
      grouped.insert(0, "-");
    }
    rows.push_back({name, with_commas(total), grouped + fixed.substr(dot)});
  }
  fmt::print("\n{}\n\n", render_table({"Limit", "Total", "Average"}, rows,
                                      {Align::kLeft, Align::kRight, Align::kRight}));
  return kExitOk;
}

constexpr char kJsonListHelp[] =
    "With --output json: {\"snapshots\": [{\"entity_id\", \"resource\", \"window\", "
    "\"window_start\", \"window_end\", \"total_events\", \"counters\": {limit: tokens}}], "
    "\"count\", \"next_key\" (null on the last page)}.";
constexpr char kJsonSummaryHelp[] =
    "With --output json: {\"entity_id\", \"resource\", \"window\" (null when not given), "
    "\"snapshot_count\", \"min_window_start\", \"max_window_start\", \"total\": {limit: tokens}, "
    "\"average\": {limit: tokens per snapshot that has the limit}}.";

}  // namespace

void add_usage_commands(CLI::App& app, CommandContext& ctx, Action& action) {
  CLI::App* group = app.add_subcommand(
      "usage", "Usage snapshots: net consumption per entity, resource and hour/day/month");
  group->require_subcommand(1);
  {
    auto options = std::make_shared<UsageOptions>();
    CLI::App* cmd = group->add_subcommand("list", "List usage snapshots (one storage page)");
    cmd->footer(std::string("Example: zae-limiter usage list -e api-key-1 -w hourly --plot\n") +
                kJsonListHelp);
    add_filter_options(*cmd, *options);
    cmd->add_option("-l,--limit", options->limit,
                    "Storage page size (records read before the filters), 1..10000")
        ->capture_default_str()
        ->check(CLI::Range(1, 10000));
    cmd->add_option("--next-key", options->next_key,
                    "Continue with the page after the one that printed this key");
    cmd->add_flag("-p,--plot", options->plot, "ASCII charts instead of the table");
    cmd->callback([&, options] {
      action = [&, options] {
        if (!has_scope(*options)) {
          return kExitError;
        }
        const UsageQuery query = to_query(*options);
        RateLimiter& limiter = ctx.limiter();
        return guarded("Failed to list usage snapshots", [&] {
          const UsagePage page = limiter.get_usage_snapshots(query);
          if (ctx.output == OutputFormat::kJson) {
            print_list_json(page);
            return kExitOk;
          }
          return print_list(page, options->plot);
        });
      };
    });
  }
  {
    auto options = std::make_shared<UsageOptions>();
    CLI::App* cmd = group->add_subcommand(
        "summary", "Totals and averages per limit over every matching snapshot");
    cmd->footer(std::string("Example: zae-limiter usage summary -r gpt-4 -w daily "
                            "--start 2026-01-01T00:00:00Z\n") +
                kJsonSummaryHelp);
    add_filter_options(*cmd, *options);
    cmd->callback([&, options] {
      action = [&, options] {
        if (!has_scope(*options)) {
          return kExitError;
        }
        const UsageQuery query = to_query(*options);
        RateLimiter& limiter = ctx.limiter();
        return guarded("Failed to get usage summary", [&] {
          const UsageSummary summary = limiter.get_usage_summary(query);
          if (ctx.output == OutputFormat::kJson) {
            print_summary_json(summary, query);
            return kExitOk;
          }
          return print_summary(summary, query);
        });
      };
    });
  }
}

}  // namespace zae::cli
