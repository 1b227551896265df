// SPDX-License-Identifier: MIT
#pragma once

#include <string_view>

// How PyYAML's safe loader (YAML 1.1 implicit resolvers) reads a plain, unquoted scalar. The
// manifest reader refuses what the original would read differently from what it looks like;
// the template writers quote a string exactly when PyYAML's dump would.
namespace zae::manifest {

enum class PlainType {
  kString,
  kDecimalInt,
  kOtherInt,  // octal, hexadecimal, binary, base 60
  kFloat,
  kBool,
  kNull,
  kTimestamp,  // 2010-09-09, 2001-12-14t21:59:43.10-05:00
  kMerge,      // <<
  kValue,      // =
};

PlainType resolve_plain(std::string_view text);

// "a boolean", "an integer", ... for messages.
std::string_view type_word(PlainType type);

}  // namespace zae::manifest
