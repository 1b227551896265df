// SPDX-License-Identifier: MIT
#include "cli/usage_plot.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <string>
#include <string_view>

#include <fmt/core.h>

#include "cli/table.h"

namespace zae::cli {
namespace {

constexpr std::size_t kMaxPoints = 60;
constexpr int kOffset = 3;
constexpr std::string_view kGap = "    ";

// Python "{:,.0f}".
std::string commas_no_decimals(double value) {
  return group_thousands(fmt::format("{:.0f}", value));
}

// Code points of UTF-8 text (the glyphs are multi-byte).
std::size_t width_of(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++n;
    }
  }
  return n;
}

std::string pad_right(std::string_view text, std::size_t width) {
  std::string out(text);
  const std::size_t w = width_of(text);
  if (w < width) {
    out.append(width - w, ' ');
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (;;) {
    const std::size_t nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) {
      return lines;
    }
    start = nl + 1;
  }
}

std::size_t longest(const std::vector<std::string>& lines) {
  std::size_t w = 0;
  for (const auto& line : lines) {
    w = std::max(w, width_of(line));
  }
  return w;
}

std::string upper(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return text;
}

}  // namespace

std::string render_ascii_chart(const std::vector<double>& series, int height) {
  if (series.empty()) {
    return {};
  }
  const auto [mn_it, mx_it] = std::minmax_element(series.begin(), series.end());
  const double mn = *mn_it;
  const double mx = *mx_it;
  const double interval = mx - mn;
  const double ratio = interval > 0 ? height / interval : 1.0;
  const auto min2 = static_cast<long long>(std::floor(mn * ratio));
  const auto max2 = static_cast<long long>(std::ceil(mx * ratio));
  const long long rows = max2 - min2;
  const std::size_t width = series.size() + kOffset;
  std::vector<std::vector<std::string>> grid(static_cast<std::size_t>(rows + 1),
                                             std::vector<std::string>(width, " "));
  const std::size_t label_width = commas_no_decimals(mx).size();
  // std::nearbyint rounds half to even in the default rounding mode, as Python's round().
  const auto scaled = [&](double y) {
    return static_cast<long long>(std::nearbyint(std::clamp(y, mn, mx) * ratio)) - min2;
  };
  for (long long r = 0; r <= rows; ++r) {
    const long long y = min2 + r;
    const double value =
        mx - static_cast<double>(r) * interval / static_cast<double>(rows != 0 ? rows : 1);
    std::string label = commas_no_decimals(value);
    if (label.size() < label_width) {
      label.insert(0, label_width - label.size(), ' ');
    }
    label += ' ';
    auto& line = grid[static_cast<std::size_t>(r)];
    const auto cell = static_cast<std::size_t>(
        std::max<long long>(kOffset - static_cast<long long>(label.size()), 0));
    line[cell] = label;
    line[kOffset - 1] = y == 0 ? "┼" : "┤";
  }
  grid[static_cast<std::size_t>(rows - scaled(series[0]))][kOffset - 1] = "┼";
  for (std::size_t x = 0; x + 1 < series.size(); ++x) {
    const long long y0 = scaled(series[x]);
    const long long y1 = scaled(series[x + 1]);
    const std::size_t column = x + kOffset;
    if (y0 == y1) {
      grid[static_cast<std::size_t>(rows - y0)][column] = "─";
      continue;
    }
    grid[static_cast<std::size_t>(rows - y1)][column] = y0 > y1 ? "╰" : "╭";
    grid[static_cast<std::size_t>(rows - y0)][column] = y0 > y1 ? "╮" : "╯";
    for (long long y = std::min(y0, y1) + 1; y < std::max(y0, y1); ++y) {
      grid[static_cast<std::size_t>(rows - y)][column] = "│";
    }
  }
  std::string out;
  for (std::size_t r = 0; r < grid.size(); ++r) {
    std::string line;
    for (const auto& cell : grid[r]) {
      line += cell;
    }
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
      line.pop_back();
    }
    if (r > 0) {
      out += '\n';
    }
    out += line;
  }
  return out;
}

std::string format_usage_plot(const std::vector<UsageSnapshot>& snapshots, int height) {
  std::vector<const UsageSnapshot*> chronological;
  for (auto it = snapshots.rbegin(); it != snapshots.rend(); ++it) {
    chronological.push_back(&*it);
  }
  std::set<std::string> names;
  for (const auto* s : chronological) {
    for (const auto& [name, value] : s->counters) {
      names.insert(name);
    }
  }
  if (names.empty()) {
    return "No counter data to plot";
  }
  const std::size_t n = chronological.size();
  const UsageSnapshot& oldest = *chronological.front();
  const bool downsampled = n > kMaxPoints;
  std::vector<std::string> out = {
      "", fmt::format("Usage Plot: {} ({})", oldest.resource, oldest.window),
      fmt::format("Entity: {}", oldest.entity_id)};
  if (downsampled) {
    out.push_back(fmt::format("Note: {} points downsampled to {}", n, kMaxPoints));
  }
  out.push_back(std::string(80, '='));

  struct Chart {
    std::string title;
    std::vector<std::string> lines;
  };
  std::vector<Chart> charts;
  for (const std::string& name : names) {
    std::vector<double> values;
    values.reserve(n);
    for (const auto* s : chronological) {
      const auto it = s->counters.find(name);
      values.push_back(it == s->counters.end() ? 0.0 : static_cast<double>(it->second));
    }
    if (downsampled) {
      // Bucket edges exactly as the original computes them (spec/cli.md §15.2 step 4).
      const double b = static_cast<double>(n) / static_cast<double>(kMaxPoints);
      std::vector<double> points;
      for (std::size_t i = 0; i < kMaxPoints; ++i) {
        const auto lo = static_cast<std::size_t>(static_cast<double>(i) * b);
        const auto hi = static_cast<std::size_t>(static_cast<double>(i + 1) * b);
        if (hi <= lo) {
          continue;
        }
        double sum = 0;
        for (std::size_t k = lo; k < hi && k < n; ++k) {
          sum += values[k];
        }
        points.push_back(sum / static_cast<double>(std::min(hi, n) - lo));
      }
      values = std::move(points);
    }
    charts.push_back({upper(name), split_lines(render_ascii_chart(values, height))});
  }
  for (std::size_t i = 0; i < charts.size(); i += 2) {
    const Chart& left = charts[i];
    const std::size_t lw = longest(left.lines);
    out.push_back("");
    if (i + 1 == charts.size()) {
      out.push_back(left.title);
      out.push_back(std::string(lw, '-'));
      out.insert(out.end(), left.lines.begin(), left.lines.end());
      break;
    }
    const Chart& right = charts[i + 1];
    const std::size_t rw = longest(right.lines);
    out.push_back(pad_right(left.title, lw) + std::string(kGap) + right.title);
    out.push_back(std::string(lw, '-') + std::string(kGap) + std::string(rw, '-'));
    const std::size_t lines = std::max(left.lines.size(), right.lines.size());
    for (std::size_t k = 0; k < lines; ++k) {
      const std::string l = k < left.lines.size() ? left.lines[k] : "";
      const std::string r = k < right.lines.size() ? right.lines[k] : "";
      out.push_back(pad_right(l, lw) + std::string(kGap) + r);
    }
  }
  out.push_back("");
  out.push_back(
      fmt::format("Time range: {} to {}", oldest.window_start, chronological.back()->window_start));
  out.push_back(fmt::format("Data points: {}", n));
  std::string text;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i > 0) {
      text += '\n';
    }
    text += out[i];
  }
  return text;
}

}  // namespace zae::cli
