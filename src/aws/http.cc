// SPDX-License-Identifier: MIT
#include "aws/http.h"

#include <cctype>
#include <cstring>

namespace zae::aws {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool has_line_break(std::string_view text) {
  // Two memchr scans: std::string_view::find_first_of("\r\n") calls memchr over the set once per
  // character of `text`, which made this check a visible part of every request.
  // memchr must not see the null data() of an empty view.
  return !text.empty() && (std::memchr(text.data(), '\r', text.size()) != nullptr ||
                           std::memchr(text.data(), '\n', text.size()) != nullptr);
}

std::optional<std::string_view> HttpResponse::header(std::string_view name) const {
  for (const auto& field : headers) {
    if (iequals(field.name, name)) {
      return std::string_view(field.value);
    }
  }
  return std::nullopt;
}

}  // namespace zae::aws
