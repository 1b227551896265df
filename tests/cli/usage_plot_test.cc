// SPDX-License-Identifier: MIT
// The `usage list --plot` formatter (src/cli/usage_plot.h) against spec/cli.md §15.2.

#include "cli/usage_plot.h"

#include <map>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <gtest/gtest.h>

namespace zae::cli {
namespace {

UsageSnapshot snapshot(int hour, std::map<std::string, std::int64_t> counters) {
  return UsageSnapshot{.entity_id = "user-1",
                       .resource = "gpt-4",
                       .window = "hourly",
                       .window_start = fmt::format("2024-01-15T{:02}:00:00Z", hour),
                       .window_end = {},
                       .counters = std::move(counters),
                       .total_events = 1};
}

// The worked example of spec/cli.md §15.2 (height 4), newest first as a query returns it.
TEST(UsagePlotTest, ReproducesTheSpecsWorkedExample) {
  const std::vector<std::int64_t> rpm = {5, 5, 10, 40, 51, 30, 20};
  const std::vector<std::int64_t> tpm = {500, 500, 1200, 4000, 5141, 3000, 2000};
  std::vector<UsageSnapshot> newest_first;
  for (int i = 6; i >= 0; --i) {
    newest_first.push_back(snapshot(i, {{"rpm", rpm[i]}, {"tpm", tpm[i]}}));
  }
  EXPECT_EQ(format_usage_plot(newest_first, 4),
            "\n"
            "Usage Plot: gpt-4 (hourly)\n"
            "Entity: user-1\n" +
                std::string(80, '=') +
                "\n"
                "\n"
                "RPM            TPM\n"
                "-----------    --------------\n"
                "51  ┼          5,141  ┼\n"
                "42  ┤   ╭╮     4,213  ┤   ╭╮\n"
                "33  ┤  ╭╯╰╮    3,285  ┤  ╭╯╰╮\n"
                "23  ┤  │  ╰    2,356  ┤  │  ╰\n"
                "14  ┤ ╭╯       1,428  ┤ ╭╯\n"
                " 5  ┼─╯          500  ┼─╯\n"
                "\n"
                "Time range: 2024-01-15T00:00:00Z to 2024-01-15T06:00:00Z\n"
                "Data points: 7");
}

TEST(UsagePlotTest, NoCountersAndDownsampling) {
  EXPECT_EQ(format_usage_plot({snapshot(0, {})}), "No counter data to plot");
  std::vector<UsageSnapshot> many;
  for (int i = 0; i < 90; ++i) {
    many.push_back(snapshot(i % 24, {{"rpm", i}}));
  }
  const std::string plot = format_usage_plot(many);
  EXPECT_NE(plot.find("Note: 90 points downsampled to 60\n"), std::string::npos);
  EXPECT_NE(plot.find("Data points: 90"), std::string::npos);
  // A lone chart: title, underline, the chart; 60 points wide after the 3-cell axis.
  EXPECT_NE(plot.find("\nRPM\n---"), std::string::npos);
}

TEST(UsagePlotTest, FlatSeriesIsOneLine) { EXPECT_EQ(render_ascii_chart({2, 2, 2}, 10), " 2 ┼──"); }

}  // namespace
}  // namespace zae::cli
