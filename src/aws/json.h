// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

// A JSON writer and a pull reader, shaped for DynamoDB request and response bodies on the hot
// path: the writer appends to one caller-owned buffer; the reader hands out views into the input
// and copies only strings that contain escapes.
namespace zae::aws {

// Appends JSON to a string. The caller drives the structure (begin/end, key before each member
// value); the writer inserts commas and colons, escapes strings and checks that they are UTF-8.
// Misuse (a value where a key belongs, unbalanced ends) is not detected. `out` must outlive the
// writer. Not thread-safe.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  // The name of the next object member. Throws EncodingError if `name` is not UTF-8.
  void key(std::string_view name);
  // Throws EncodingError if `value` is not UTF-8 (DynamoDB would reject the request).
  void string(std::string_view value);
  // `text` must match the JSON number grammar; it is written unquoted, as is. (DynamoDB N values
  // are JSON strings: write them with string().)
  void number_text(std::string_view text);
  void number(std::int64_t value);
  void boolean(bool value);
  void null();
  // A complete JSON value made of `parts`, written as they are: the caller guarantees that
  // together they are valid JSON (for fixed fragments around text that needs no escaping).
  void raw_value(std::initializer_list<std::string_view> parts);

 private:
  void before_value();
  void append_escaped(std::string_view s);

  std::string& out_;
  bool need_comma_ = false;
};

// Limits on what the reader accepts.
struct JsonLimits {
  // Objects and arrays nested deeper than this are rejected. DynamoDB allows 32 levels of nested
  // attributes, each of which takes two JSON levels ({"M":{...}}), plus the response envelope.
  std::size_t max_depth = 128;
};

enum class JsonType { kObject, kArray, kString, kNumber, kBool, kNull };

// Reads one JSON document from `text` (RFC 8259), value by value. Every method throws JsonError
// naming the byte offset and the problem when the input is malformed or is not what was asked
// for; it never reads outside `text`. Strings must be valid UTF-8, escapes included (no lone
// surrogates). Views returned by read_string() and next_key() stay valid until the next call on
// the reader; `text` must outlive the reader. Not thread-safe.
//
//   reader.enter_object();
//   while (auto key = reader.next_key()) { if (*key == "Item") ... else reader.skip_value(); }
//   reader.finish();
class JsonReader {
 public:
  explicit JsonReader(std::string_view text, JsonLimits limits = {});

  // The type of the next value, without consuming it.
  JsonType peek();

  // Consumes '{'. Then call next_key() until it returns nullopt, reading each member's value.
  void enter_object();
  // The next member's name (its ':' consumed), or nullopt after consuming the closing '}'.
  std::optional<std::string_view> next_key();
  // Consumes '['. Then call next_element() until it returns false, reading each element.
  void enter_array();
  // True when another element follows (read it next); false after consuming the closing ']'.
  bool next_element();

  std::string_view read_string();
  // The number's text exactly as written; it matches the JSON number grammar.
  std::string_view read_number();
  bool read_bool();
  void read_null();
  // Consumes one value of any type, checking it like the read methods do.
  void skip_value();
  // Checks that only whitespace follows the document.
  void finish();

  // A fast path for the compact {"T":"text"} objects DynamoDB writes for S and N values: when
  // the next value is exactly that (no whitespace, escapes, non-ASCII bytes or other members,
  // and nesting room for it), its type name, its text and the offset just past it; nothing is
  // consumed. skip_to(end) then consumes it; otherwise read it the general way.
  struct TypedString {
    std::string_view type;
    std::string_view text;
    std::size_t end = 0;
  };
  std::optional<TypedString> peek_typed_string() const;
  void skip_to(std::size_t end) { pos_ = end; }

  // Byte offset of the next unread character.
  std::size_t offset() const { return pos_; }
  // Throws JsonError at `offset` (default: the current position) with `problem`; for callers
  // that find valid JSON of the wrong shape.
  [[noreturn]] void fail(std::string_view problem) const;
  [[noreturn]] void fail_at(std::size_t offset, std::string_view problem) const;

 private:
  void skip_whitespace();
  char expect_more(std::string_view what);
  std::string_view parse_string();
  void parse_escape();
  std::uint32_t parse_hex4();
  void expect_literal(std::string_view literal);

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t depth_ = 0;
  std::size_t max_depth_;
  bool first_ = false;
  std::string scratch_;
};

}  // namespace zae::aws
