// SPDX-License-Identifier: MIT
// A YAML document read with libyaml into a plain tree, for tests that check generated YAML
// (the CloudFormation templates) with a parser independent of the writer.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <yaml.h>

namespace zae::test {

struct YamlTree {
  enum class Kind { kScalar, kMapping, kSequence };
  Kind kind = Kind::kScalar;
  std::string scalar{};
  // Whether the scalar was written unquoted (so a YAML 1.1 loader resolves its type).
  bool plain = false;
  // Mappings: keys[i] maps to items[i]. Sequences: items only.
  std::vector<std::string> keys{};
  std::vector<YamlTree> items{};

  bool has(const std::string& key) const {
    for (const auto& k : keys) {
      if (k == key) {
        return true;
      }
    }
    return false;
  }
  // Throws std::out_of_range naming the key when absent.
  const YamlTree& at(const std::string& key) const {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) {
        return items[i];
      }
    }
    throw std::out_of_range("no key '" + key + "'");
  }
};

namespace detail {

inline YamlTree to_tree(yaml_document_t& doc, yaml_node_t* node) {
  YamlTree tree;
  switch (node->type) {
    case YAML_SCALAR_NODE:
      tree.scalar.assign(reinterpret_cast<const char*>(node->data.scalar.value),
                         node->data.scalar.length);
      tree.plain = node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
      break;
    case YAML_MAPPING_NODE:
      tree.kind = YamlTree::Kind::kMapping;
      for (yaml_node_pair_t* p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
           ++p) {
        yaml_node_t* key = yaml_document_get_node(&doc, p->key);
        if (key->type != YAML_SCALAR_NODE) {
          throw std::runtime_error("non-scalar mapping key");
        }
        tree.keys.emplace_back(reinterpret_cast<const char*>(key->data.scalar.value),
                               key->data.scalar.length);
        tree.items.push_back(to_tree(doc, yaml_document_get_node(&doc, p->value)));
      }
      break;
    case YAML_SEQUENCE_NODE:
      tree.kind = YamlTree::Kind::kSequence;
      for (yaml_node_item_t* i = node->data.sequence.items.start; i < node->data.sequence.items.top;
           ++i) {
        tree.items.push_back(to_tree(doc, yaml_document_get_node(&doc, *i)));
      }
      break;
    default:
      throw std::runtime_error("empty YAML node");
  }
  return tree;
}

}  // namespace detail

// The first document of `text`. Throws std::runtime_error with libyaml's problem text.
inline YamlTree parse_yaml(const std::string& text) {
  yaml_parser_t parser;
  if (yaml_parser_initialize(&parser) == 0) {
    throw std::bad_alloc();
  }
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  yaml_document_t doc;
  if (yaml_parser_load(&parser, &doc) == 0) {
    const std::string problem = parser.problem != nullptr ? parser.problem : "YAML error";
    yaml_parser_delete(&parser);
    throw std::runtime_error("invalid YAML: " + problem);
  }
  yaml_node_t* root = yaml_document_get_root_node(&doc);
  try {
    if (root == nullptr) {
      throw std::runtime_error("empty YAML document");
    }
    YamlTree tree = detail::to_tree(doc, root);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return tree;
  } catch (...) {
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    throw;
  }
}

}  // namespace zae::test
