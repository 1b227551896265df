// SPDX-License-Identifier: MIT
#include "cli/table.h"

#include <algorithm>
#include <cstddef>

namespace zae::cli {
namespace {

std::size_t code_points(const std::string& s) {
  // Count bytes that do not continue a UTF-8 sequence.
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string justify(const std::string& cell, std::size_t width, Align align) {
  const std::size_t len = code_points(cell);
  if (len >= width) {
    return cell;
  }
  const std::size_t pad = width - len;
  switch (align) {
    case Align::kRight:
      return std::string(pad, ' ') + cell;
    case Align::kCenter: {
      // CPython's str.center: left = pad/2 + (pad & width & 1).
      const std::size_t left = pad / 2 + (pad & width & 1);
      return std::string(left, ' ') + cell + std::string(pad - left, ' ');
    }
    case Align::kLeft:
      break;
  }
  return cell + std::string(pad, ' ');
}

}  // namespace

std::string render_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows,
                         const std::vector<Align>& align) {
  if (headers.empty()) {
    return "";
  }
  std::vector<std::size_t> widths(headers.size());
  for (std::size_t i = 0; i < headers.size(); ++i) {
    widths[i] = code_points(headers[i]);
    for (const auto& row : rows) {
      if (i < row.size()) {
        widths[i] = std::max(widths[i], code_points(row[i]));
      }
    }
  }
  std::string separator = "+-";
  for (std::size_t i = 0; i < widths.size(); ++i) {
    separator += std::string(widths[i], '-');
    separator += i + 1 < widths.size() ? "-+-" : "-+";
  }
  auto line = [&](const std::vector<std::string>& cells, bool header) {
    std::string out = "| ";
    for (std::size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < cells.size() ? cells[i] : "";
      const Align a = header || i >= align.size() ? Align::kLeft : align[i];
      out += justify(cell, widths[i], a);
      out += i + 1 < widths.size() ? " | " : " |";
    }
    return out;
  };
  // Built with append(): GCC 12 reports a false -Wrestrict on `"\n" + std::string&&`.
  std::string out = separator;
  out.append("\n").append(line(headers, true)).append("\n").append(separator);
  for (const auto& row : rows) {
    out.append("\n").append(line(row, false));
  }
  out.append("\n").append(separator);
  return out;
}

std::string with_commas(long long value) { return group_thousands(std::to_string(value)); }

std::string group_thousands(std::string_view digits) {
  const bool negative = !digits.empty() && digits.front() == '-';
  if (negative) {
    digits.remove_prefix(1);
  }
  std::string out;
  const std::size_t n = digits.size();
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[i];
    const std::size_t remaining = n - i - 1;
    if (remaining > 0 && remaining % 3 == 0) {
      out += ',';
    }
  }
  return negative ? "-" + out : out;
}

}  // namespace zae::cli
