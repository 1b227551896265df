// SPDX-License-Identifier: MIT
#include "aws/json.h"

#include <array>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>

#include "aws/errors.h"
#include "aws/utf8.h"

namespace zae::aws {
namespace {

std::string describe_char(char c) {
  auto b = static_cast<unsigned char>(c);
  if (b >= 0x21 && b < 0x7f) {
    return std::string("'") + c + "'";
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  return std::string("byte 0x") + kHex[b >> 4] + kHex[b & 15];
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Bytes that stand for themselves inside a JSON string: ASCII from 0x20, other than '"' and '\\'.
constexpr std::array<bool, 256> kPlainBytes = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) {
    plain[c] = c != '"' && c != '\\';
  }
  return plain;
}();

// The index of the first byte at or after `from` in `p[0, size)` that is not plain, or `size`.
// Eight bytes at a time: in each word, a byte gets its high bit flagged when it is below 0x20,
// equal to '"' or '\\', or from 0x80 (the borrow tricks can also flag bytes above a flagged one,
// never below it, so the lowest flag is exact).
std::size_t plain_run_end(const unsigned char* p, std::size_t from, std::size_t size) {
  std::size_t i = from;
  if constexpr (std::endian::native == std::endian::little) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ull;
    constexpr std::uint64_t kHighs = 0x8080808080808080ull;
    for (; i + 8 <= size; i += 8) {
      std::uint64_t w = 0;
      std::memcpy(&w, p + i, 8);
      const std::uint64_t quote = w ^ (kOnes * '"');
      const std::uint64_t backslash = w ^ (kOnes * '\\');
      const std::uint64_t special = ((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) |
                                    ((backslash - kOnes) & ~backslash) | w;
      if (const std::uint64_t flags = special & kHighs; flags != 0) {
        return i + static_cast<std::size_t>(std::countr_zero(flags) / 8);
      }
    }
  }
  while (i < size && kPlainBytes[p[i]]) {
    ++i;
  }
  return i;
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

}  // namespace

JsonError::JsonError(std::size_t offset, const std::string& problem)
    : AwsError("JSON error at offset " + std::to_string(offset) + ": " + problem),
      offset_(offset) {}

// --- JsonWriter ---

void JsonWriter::before_value() {
  if (need_comma_) {
    out_ += ',';
  }
  need_comma_ = true;
}

void JsonWriter::begin_object() {
  before_value();
  out_ += '{';
  need_comma_ = false;
}

void JsonWriter::end_object() {
  out_ += '}';
  need_comma_ = true;
}

void JsonWriter::begin_array() {
  before_value();
  out_ += '[';
  need_comma_ = false;
}

void JsonWriter::end_array() {
  out_ += ']';
  need_comma_ = true;
}

void JsonWriter::key(std::string_view name) {
  before_value();
  append_escaped(name);
  out_ += ':';
  need_comma_ = false;
}

void JsonWriter::string(std::string_view value) {
  before_value();
  append_escaped(value);
}

void JsonWriter::number_text(std::string_view text) {
  before_value();
  out_ += text;
}

void JsonWriter::number(std::int64_t value) {
  before_value();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out_.append(buf, end);
}

void JsonWriter::boolean(bool value) {
  before_value();
  out_ += value ? "true" : "false";
}

void JsonWriter::null() {
  before_value();
  out_ += "null";
}

void JsonWriter::raw_value(std::initializer_list<std::string_view> parts) {
  before_value();
  for (const std::string_view part : parts) {
    out_ += part;
  }
}

void JsonWriter::append_escaped(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out_ += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t run = 0;  // start of the pending unescaped run
  std::size_t i = 0;
  while (i < s.size()) {
    // Most strings are plain ASCII: one table lookup per byte until the next byte to look at.
    i = plain_run_end(p, i, s.size());
    if (i == s.size()) {
      break;
    }
    const unsigned char c = p[i];
    if (c >= 0x80) {
      std::size_t len = utf8_sequence_length(p + i, s.size() - i);
      if (len == 0) {
        throw EncodingError("string is not valid UTF-8 (byte " + std::to_string(i) + ")");
      }
      i += len;
      continue;
    }
    out_.append(s.data() + run, i - run);
    out_ += '\\';
    switch (c) {
      case '"':
        out_ += '"';
        break;
      case '\\':
        out_ += '\\';
        break;
      case '\b':
        out_ += 'b';
        break;
      case '\f':
        out_ += 'f';
        break;
      case '\n':
        out_ += 'n';
        break;
      case '\r':
        out_ += 'r';
        break;
      case '\t':
        out_ += 't';
        break;
      default:
        out_ += "u00";
        out_ += kHex[c >> 4];
        out_ += kHex[c & 15];
    }
    run = ++i;
  }
  out_.append(s.data() + run, s.size() - run);
  out_ += '"';
}

// --- JsonReader ---

JsonReader::JsonReader(std::string_view text, JsonLimits limits)
    : text_(text), max_depth_(limits.max_depth) {}

void JsonReader::fail(std::string_view problem) const { fail_at(pos_, problem); }

void JsonReader::fail_at(std::size_t offset, std::string_view problem) const {
  throw JsonError(offset, std::string(problem));
}

void JsonReader::skip_whitespace() {
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      return;
    }
    ++pos_;
  }
}

char JsonReader::expect_more(std::string_view what) {
  // DynamoDB writes compact JSON: the next byte is usually the token itself.
  if (pos_ < text_.size() && static_cast<unsigned char>(text_[pos_]) > ' ') {
    return text_[pos_];
  }
  skip_whitespace();
  if (pos_ >= text_.size()) {
    fail("unexpected end of input, expected " + std::string(what));
  }
  return text_[pos_];
}

JsonType JsonReader::peek() {
  char c = expect_more("a value");
  switch (c) {
    case '{':
      return JsonType::kObject;
    case '[':
      return JsonType::kArray;
    case '"':
      return JsonType::kString;
    case 't':
    case 'f':
      return JsonType::kBool;
    case 'n':
      return JsonType::kNull;
    default:
      if (c == '-' || is_digit(c)) {
        return JsonType::kNumber;
      }
      fail("unexpected " + describe_char(c) + ", expected a value");
  }
}

void JsonReader::enter_object() {
  if (expect_more("'{'") != '{') {
    fail("expected an object, found " + describe_char(text_[pos_]));
  }
  if (depth_ >= max_depth_) {
    fail("nesting deeper than " + std::to_string(max_depth_) + " levels");
  }
  ++depth_;
  ++pos_;
  first_ = true;
}

std::optional<std::string_view> JsonReader::next_key() {
  char c = expect_more("'}' or a member");
  if (c == '}') {
    ++pos_;
    --depth_;
    first_ = false;
    return std::nullopt;
  }
  if (!first_) {
    if (c != ',') {
      fail("expected ',' or '}' in object, found " + describe_char(c));
    }
    ++pos_;
    c = expect_more("a member name");
  }
  first_ = false;
  if (c != '"') {
    fail("expected a string as member name, found " + describe_char(c));
  }
  std::string_view key = parse_string();
  if (expect_more("':'") != ':') {
    fail("expected ':' after member name, found " + describe_char(text_[pos_]));
  }
  ++pos_;
  return key;
}

void JsonReader::enter_array() {
  if (expect_more("'['") != '[') {
    fail("expected an array, found " + describe_char(text_[pos_]));
  }
  if (depth_ >= max_depth_) {
    fail("nesting deeper than " + std::to_string(max_depth_) + " levels");
  }
  ++depth_;
  ++pos_;
  first_ = true;
}

bool JsonReader::next_element() {
  char c = expect_more("']' or an element");
  if (c == ']') {
    ++pos_;
    --depth_;
    first_ = false;
    return false;
  }
  if (!first_) {
    if (c != ',') {
      fail("expected ',' or ']' in array, found " + describe_char(c));
    }
    ++pos_;
  }
  first_ = false;
  return true;
}

std::optional<JsonReader::TypedString> JsonReader::peek_typed_string() const {
  // {"T":"text"}: the type between the first quotes, the text between the next two.
  const auto* p = reinterpret_cast<const unsigned char*>(text_.data());
  const std::size_t size = text_.size();
  std::size_t i = pos_;
  if (depth_ >= max_depth_ || i + 2 > size || p[i] != '{' || p[i + 1] != '"') {
    return std::nullopt;
  }
  i += 2;
  const std::size_t type_start = i;
  i = plain_run_end(p, i, size);
  if (i + 3 > size || p[i] != '"' || p[i + 1] != ':' || p[i + 2] != '"') {
    return std::nullopt;
  }
  const std::string_view type = text_.substr(type_start, i - type_start);
  i += 3;
  const std::size_t text_start = i;
  i = plain_run_end(p, i, size);
  if (i + 2 > size || p[i] != '"' || p[i + 1] != '}') {
    return std::nullopt;
  }
  return TypedString{.type = type, .text = text_.substr(text_start, i - text_start), .end = i + 2};
}

std::string_view JsonReader::read_string() {
  char c = expect_more("a string");
  if (c != '"') {
    fail("expected a string, found " + describe_char(c));
  }
  return parse_string();
}

// At the opening quote. Returns a view into the input when the string has no escapes, otherwise
// into scratch_.
std::string_view JsonReader::parse_string() {
  const std::size_t start = ++pos_;
  const auto* p = reinterpret_cast<const unsigned char*>(text_.data());
  bool escaped = false;
  std::size_t run = start;
  while (true) {
    pos_ = plain_run_end(p, pos_, text_.size());
    if (pos_ >= text_.size()) {
      fail_at(start - 1, "unterminated string");
    }
    const unsigned char c = p[pos_];
    if (c == '"') {
      break;
    }
    if (c == '\\') {
      if (!escaped) {
        scratch_.clear();
        escaped = true;
      }
      scratch_.append(text_.data() + run, pos_ - run);
      parse_escape();
      run = pos_;
      continue;
    }
    if (c < 0x20) {
      fail("unescaped control character " + describe_char(static_cast<char>(c)) + " in string");
    }
    if (c >= 0x80) {
      std::size_t len = utf8_sequence_length(p + pos_, text_.size() - pos_);
      if (len == 0) {
        fail("invalid UTF-8 in string");
      }
      pos_ += len;
      continue;
    }
    ++pos_;
  }
  const std::size_t end = pos_++;
  if (!escaped) {
    return text_.substr(start, end - start);
  }
  scratch_.append(text_.data() + run, end - run);
  return scratch_;
}

std::uint32_t JsonReader::parse_hex4() {
  if (text_.size() - pos_ < 4) {
    fail("truncated \\u escape");
  }
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    char c = text_[pos_ + i];
    std::uint32_t d;
    if (is_digit(c)) {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      fail_at(pos_ + i, "invalid hex digit " + describe_char(c) + " in \\u escape");
    }
    v = v * 16 + d;
  }
  pos_ += 4;
  return v;
}

// At the backslash; appends the decoded character to scratch_.
void JsonReader::parse_escape() {
  const std::size_t at = pos_++;
  if (pos_ >= text_.size()) {
    fail_at(at, "unterminated escape");
  }
  char c = text_[pos_++];
  switch (c) {
    case '"':
    case '\\':
    case '/':
      scratch_ += c;
      return;
    case 'b':
      scratch_ += '\b';
      return;
    case 'f':
      scratch_ += '\f';
      return;
    case 'n':
      scratch_ += '\n';
      return;
    case 'r':
      scratch_ += '\r';
      return;
    case 't':
      scratch_ += '\t';
      return;
    case 'u':
      break;
    default:
      fail_at(at, "invalid escape '\\" + std::string(1, c) + "'");
  }
  std::uint32_t cp = parse_hex4();
  if (cp >= 0xDC00 && cp <= 0xDFFF) {
    fail_at(at, "unpaired low surrogate in \\u escape");
  }
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    // UTF-16 surrogate pair: the high half must be followed by an escaped low half.
    if (text_.size() - pos_ < 2 || text_[pos_] != '\\' || text_[pos_ + 1] != 'u') {
      fail_at(at, "high surrogate not followed by a low surrogate");
    }
    pos_ += 2;
    std::uint32_t low = parse_hex4();
    if (low < 0xDC00 || low > 0xDFFF) {
      fail_at(at, "high surrogate not followed by a low surrogate");
    }
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  }
  append_utf8(scratch_, cp);
}

std::string_view JsonReader::read_number() {
  char c = expect_more("a number");
  const std::size_t start = pos_;
  auto digits = [&] {
    std::size_t from = pos_;
    while (pos_ < text_.size() && is_digit(text_[pos_])) {
      ++pos_;
    }
    return pos_ > from;
  };
  if (c == '-') {
    ++pos_;
  }
  if (pos_ < text_.size() && text_[pos_] == '0') {
    ++pos_;
  } else if (!digits()) {
    fail(pos_ < text_.size() ? "expected a number, found " + describe_char(text_[pos_])
                             : std::string("unexpected end of input in number"));
  }
  if (pos_ < text_.size() && text_[pos_] == '.') {
    ++pos_;
    if (!digits()) {
      fail("expected a digit after the decimal point");
    }
  }
  if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    ++pos_;
    if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) {
      ++pos_;
    }
    if (!digits()) {
      fail("expected a digit in the exponent");
    }
  }
  return text_.substr(start, pos_ - start);
}

void JsonReader::expect_literal(std::string_view literal) {
  if (text_.substr(pos_, literal.size()) != literal) {
    fail("expected '" + std::string(literal) + "'");
  }
  pos_ += literal.size();
}

bool JsonReader::read_bool() {
  char c = expect_more("true or false");
  if (c == 't') {
    expect_literal("true");
    return true;
  }
  if (c == 'f') {
    expect_literal("false");
    return false;
  }
  fail("expected true or false, found " + describe_char(c));
}

void JsonReader::read_null() {
  if (expect_more("null") != 'n') {
    fail("expected null, found " + describe_char(text_[pos_]));
  }
  expect_literal("null");
}

void JsonReader::skip_value() {
  switch (peek()) {
    case JsonType::kObject:
      enter_object();
      while (next_key()) {
        skip_value();
      }
      return;
    case JsonType::kArray:
      enter_array();
      while (next_element()) {
        skip_value();
      }
      return;
    case JsonType::kString:
      read_string();
      return;
    case JsonType::kNumber:
      read_number();
      return;
    case JsonType::kBool:
      read_bool();
      return;
    case JsonType::kNull:
      read_null();
      return;
  }
}

void JsonReader::finish() {
  skip_whitespace();
  if (pos_ != text_.size()) {
    fail("unexpected " + describe_char(text_[pos_]) + " after the end of the JSON value");
  }
}

}  // namespace zae::aws
