// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

#include "zae/store.h"

namespace zae::cli {

// The `usage list --plot` output (spec/cli.md §15.2): one ASCII chart per counter, two per row,
// of `snapshots` in query order (newest first), at most 60 points each; the original's
// asciichartpy layout, glyphs and quirks. "No counter data to plot" when no snapshot has a
// counter. No trailing newline.
std::string format_usage_plot(const std::vector<UsageSnapshot>& snapshots, int height = 10);

// One chart of `series` (asciichartpy 1.5.25, offset 3) with labels right-aligned to the width
// of the series maximum with thousands separators; lines right-stripped, joined by '\n'.
std::string render_ascii_chart(const std::vector<double>& series, int height);

}  // namespace zae::cli
