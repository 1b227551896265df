// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace zae::cli {

enum class Align { kLeft, kRight, kCenter };

// The CLI's one table renderer (spec/cli.md §1.8): a `+-...-+` frame, headers always
// left-justified, cells justified per column; widths in code points; no trailing newline.
std::string render_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows,
                         const std::vector<Align>& align = {});

// Decimal with ',' thousands separators, as Python's "{:,}".
std::string with_commas(long long value);
// `digits` (decimal digits with an optional leading '-') grouped by thousands with commas.
std::string group_thousands(std::string_view digits);

}  // namespace zae::cli
