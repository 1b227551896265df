// SPDX-License-Identifier: MIT
#include "manifest/yaml11.h"

#include <regex>
#include <string>

namespace zae::manifest {

// The patterns of PyYAML's resolver.py (Resolver.add_implicit_resolver), YAML 1.1.
PlainType resolve_plain(std::string_view view) {
  static const std::regex kBool(
      "yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF");
  static const std::regex kNull("~|null|Null|NULL|");
  static const std::regex kDecimal("[-+]?(0|[1-9][0-9_]*)");
  static const std::regex kOtherInt(
      "[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+");
  static const std::regex kFloat(
      "[-+]?([0-9][0-9_]*)?\\.[0-9_]*([eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*"
      "|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
  static const std::regex kTimestamp(
      "[0-9]{4}-[0-9]{2}-[0-9]{2}"
      "|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \\t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\\.[0-9]*)?"
      "([ \\t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?");
  const std::string text(view);
  if (std::regex_match(text, kBool)) {
    return PlainType::kBool;
  }
  if (std::regex_match(text, kNull)) {
    return PlainType::kNull;
  }
  if (std::regex_match(text, kDecimal)) {
    return PlainType::kDecimalInt;
  }
  if (std::regex_match(text, kOtherInt)) {
    return PlainType::kOtherInt;
  }
  if (text != "." && std::regex_match(text, kFloat)) {
    return PlainType::kFloat;
  }
  if (std::regex_match(text, kTimestamp)) {
    return PlainType::kTimestamp;
  }
  if (text == "<<") {
    return PlainType::kMerge;
  }
  if (text == "=") {
    return PlainType::kValue;
  }
  return PlainType::kString;
}

std::string_view type_word(PlainType type) {
  switch (type) {
    case PlainType::kBool:
      return "a boolean";
    case PlainType::kNull:
      return "null";
    case PlainType::kFloat:
      return "a float";
    case PlainType::kDecimalInt:
    case PlainType::kOtherInt:
      return "an integer";
    case PlainType::kTimestamp:
      return "a timestamp";
    case PlainType::kMerge:
      return "a merge key";
    case PlainType::kValue:
      return "a value key";
    case PlainType::kString:
      break;
  }
  return "a string";
}

}  // namespace zae::manifest
