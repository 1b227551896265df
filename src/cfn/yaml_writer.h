// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

// A small YAML document model and its block-style writer, for the CloudFormation templates the
// CLI prints (spec/cli.md §3.5, §10.4). The output is what PyYAML's
// dump(default_flow_style=False, sort_keys=False) writes for the same data: keys in insertion
// order, 2-space indent, empty mappings and sequences as {} and [], and a string quoted exactly
// when YAML 1.1 would read it unquoted as something else ('2010-09-09', 'true', '123').
namespace zae::cfn {

class YamlNode {
 public:
  static YamlNode string(std::string text);
  static YamlNode integer(std::int64_t value);
  static YamlNode boolean(bool value);
  static YamlNode mapping();
  static YamlNode sequence();

  // Mappings: appends `key: value` (keys are strings; a repeated key is the caller's bug).
  YamlNode& add(std::string key, YamlNode value);
  // Sequences: appends an item.
  YamlNode& push(YamlNode value);

  enum class Kind { kString, kNumberOrBool, kMapping, kSequence };
  Kind kind() const { return kind_; }
  const std::string& text() const { return text_; }
  const std::vector<std::string>& keys() const { return keys_; }
  const std::vector<YamlNode>& items() const { return items_; }

 private:
  YamlNode(Kind kind, std::string text) : kind_(kind), text_(std::move(text)) {}

  Kind kind_;
  std::string text_;
  // Mappings: keys_[i] maps to items_[i]. Sequences: items_ only.
  std::vector<std::string> keys_{};
  std::vector<YamlNode> items_{};
};

struct EmitOptions {
  // Lines longer than this are folded at spaces inside plain and quoted scalars (PyYAML's
  // default is 80); 0 means never fold.
  int line_width = 80;
};

// The document, ending in a newline, without "---" or "...". Throws std::runtime_error if
// libyaml refuses an event (a bug of the caller, e.g. invalid UTF-8).
std::string emit_yaml(const YamlNode& root, const EmitOptions& options = {});

}  // namespace zae::cfn
