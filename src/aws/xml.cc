// SPDX-License-Identifier: MIT
#include "aws/xml.h"

#include <cstddef>
#include <cstdint>

namespace zae::aws {
namespace {

constexpr std::size_t kMaxDepth = 32;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == ':' || static_cast<unsigned char>(c) >= 0x80;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  XmlElement document() {
    skip_misc();
    if (at_end() || text_[pos_] != '<') {
      fail("expected the root element");
    }
    XmlElement root = element(0);
    skip_misc();
    if (!at_end()) {
      fail("unexpected content after the root element");
    }
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw XmlError("XML at byte " + std::to_string(pos_) + ": " + problem);
  }

  bool at_end() const { return pos_ >= text_.size(); }
  bool starts_with(std::string_view s) const { return text_.substr(pos_).starts_with(s); }

  void skip_until(std::string_view terminator, std::string_view what) {
    const auto end = text_.find(terminator, pos_);
    if (end == std::string_view::npos) {
      fail("unterminated " + std::string(what));
    }
    pos_ = end + terminator.size();
  }

  // Whitespace, comments and processing instructions (the prolog) between elements.
  void skip_misc() {
    for (;;) {
      while (!at_end() && is_space(text_[pos_])) {
        ++pos_;
      }
      if (starts_with("<?")) {
        skip_until("?>", "processing instruction");
      } else if (starts_with("<!--")) {
        skip_until("-->", "comment");
      } else if (starts_with("<!DOCTYPE") || starts_with("<!doctype")) {
        fail("DOCTYPE is not supported");
      } else {
        return;
      }
    }
  }

  std::string_view name() {
    const std::size_t start = pos_;
    while (!at_end() && is_name_char(text_[pos_])) {
      ++pos_;
    }
    if (pos_ == start) {
      fail("expected a name");
    }
    return text_.substr(start, pos_ - start);
  }

  static std::string local_name(std::string_view qualified) {
    const auto colon = qualified.rfind(':');
    return std::string(colon == std::string_view::npos ? qualified : qualified.substr(colon + 1));
  }

  void entity(std::string& out) {
    const auto semi = text_.find(';', pos_);
    if (semi == std::string_view::npos || semi - pos_ > 12) {
      fail("unterminated entity reference");
    }
    const std::string_view ref = text_.substr(pos_ + 1, semi - pos_ - 1);
    if (ref == "lt") {
      out += '<';
    } else if (ref == "gt") {
      out += '>';
    } else if (ref == "amp") {
      out += '&';
    } else if (ref == "quot") {
      out += '"';
    } else if (ref == "apos") {
      out += '\'';
    } else if (ref.size() >= 2 && ref.front() == '#') {
      const bool hex = ref[1] == 'x';
      const std::string_view digits = ref.substr(hex ? 2 : 1);
      if (digits.empty()) {
        fail("empty character reference");
      }
      std::uint32_t cp = 0;
      for (char c : digits) {
        std::uint32_t d = 0;
        if (c >= '0' && c <= '9') {
          d = static_cast<std::uint32_t>(c - '0');
        } else if (hex && c >= 'a' && c <= 'f') {
          d = static_cast<std::uint32_t>(c - 'a' + 10);
        } else if (hex && c >= 'A' && c <= 'F') {
          d = static_cast<std::uint32_t>(c - 'A' + 10);
        } else {
          fail("invalid character reference");
        }
        cp = cp * (hex ? 16 : 10) + d;
        if (cp > 0x10FFFF) {
          fail("character reference out of range");
        }
      }
      if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) {
        fail("invalid character reference");
      }
      append_utf8(out, cp);
    } else {
      fail("unknown entity '&" + std::string(ref) + ";'");
    }
    pos_ = semi + 1;
  }

  void skip_attributes() {
    for (;;) {
      while (!at_end() && is_space(text_[pos_])) {
        ++pos_;
      }
      if (at_end()) {
        fail("unterminated start tag");
      }
      if (text_[pos_] == '>' || text_[pos_] == '/') {
        return;
      }
      name();
      while (!at_end() && is_space(text_[pos_])) {
        ++pos_;
      }
      if (at_end() || text_[pos_] != '=') {
        fail("expected '=' after an attribute name");
      }
      ++pos_;
      while (!at_end() && is_space(text_[pos_])) {
        ++pos_;
      }
      if (at_end() || (text_[pos_] != '"' && text_[pos_] != '\'')) {
        fail("expected a quoted attribute value");
      }
      const char quote = text_[pos_];
      const auto end = text_.find(quote, pos_ + 1);
      if (end == std::string_view::npos) {
        fail("unterminated attribute value");
      }
      pos_ = end + 1;
    }
  }

  // At '<' of a start tag.
  XmlElement element(std::size_t depth) {
    if (depth >= kMaxDepth) {
      fail("elements nested too deeply");
    }
    ++pos_;
    const std::string_view qualified = name();
    XmlElement result{.name = local_name(qualified), .text = {}, .children = {}};
    skip_attributes();
    if (text_[pos_] == '/') {
      ++pos_;
      if (at_end() || text_[pos_] != '>') {
        fail("expected '>' after '/'");
      }
      ++pos_;
      return result;
    }
    ++pos_;  // '>'
    for (;;) {
      if (at_end()) {
        fail("unterminated element <" + std::string(qualified) + ">");
      }
      const char c = text_[pos_];
      if (c == '&') {
        entity(result.text);
      } else if (c != '<') {
        result.text += c;
        ++pos_;
      } else if (starts_with("</")) {
        pos_ += 2;
        const std::string_view closing = name();
        if (closing != qualified) {
          fail("</" + std::string(closing) + "> closes <" + std::string(qualified) + ">");
        }
        while (!at_end() && is_space(text_[pos_])) {
          ++pos_;
        }
        if (at_end() || text_[pos_] != '>') {
          fail("expected '>' in an end tag");
        }
        ++pos_;
        return result;
      } else if (starts_with("<!--")) {
        skip_until("-->", "comment");
      } else if (starts_with("<![CDATA[")) {
        const std::size_t start = pos_ + 9;
        skip_until("]]>", "CDATA section");
        result.text.append(text_.substr(start, pos_ - 3 - start));
      } else if (starts_with("<?")) {
        skip_until("?>", "processing instruction");
      } else {
        result.children.push_back(element(depth + 1));
      }
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

const XmlElement* XmlElement::child(std::string_view child_name) const {
  for (const auto& c : children) {
    if (c.name == child_name) {
      return &c;
    }
  }
  return nullptr;
}

const XmlElement* XmlElement::find(std::initializer_list<std::string_view> path) const {
  const XmlElement* at = this;
  for (std::string_view step : path) {
    at = at->child(step);
    if (at == nullptr) {
      return nullptr;
    }
  }
  return at;
}

XmlElement parse_xml(std::string_view text) { return Parser(text).document(); }

}  // namespace zae::aws
