// SPDX-License-Identifier: MIT
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "aws/errors.h"

// A minimal XML reader for the small responses of AWS Query APIs (STS): elements, attributes
// (skipped), text, CDATA, comments, the prolog and the five predefined entities plus character
// references. No DTDs, no namespaces beyond dropping a prefix ("a:Name" is "Name").
namespace zae::aws {

// Malformed XML; what() names the byte offset and the problem.
class XmlError : public AwsError {
 public:
  using AwsError::AwsError;
};

struct XmlElement {
  std::string name;  // local name, prefix dropped
  // Character data directly inside this element (not its children's), entities decoded, in
  // document order.
  std::string text;
  std::vector<XmlElement> children;

  // The first child named `name`, or null.
  const XmlElement* child(std::string_view name) const;
  // The element reached by following `path` child by child from this one, or null.
  const XmlElement* find(std::initializer_list<std::string_view> path) const;
};

// Parses one XML document and returns its root element. Elements nest at most 32 deep. Throws
// XmlError when the input is not well-formed (unbalanced or mismatched tags, an unknown entity,
// text outside the root, a DOCTYPE).
XmlElement parse_xml(std::string_view text);

}  // namespace zae::aws
