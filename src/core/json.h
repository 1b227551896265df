// SPDX-License-Identifier: MIT
#pragma once

// Minimal JSON output for core and the stores: RateLimitExceeded::to_json() and audit-event
// details (spec/data-model.md §6.11). Writing only; nothing in core needs to parse JSON.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zae::core {

// Appends `text` as a quoted JSON string (RFC 8259): '"' and '\\' escaped, \b \f \n \r \t by
// name, other control characters as \u00XX. Bytes >= 0x80 pass through, so UTF-8 stays UTF-8.
void append_json_string(std::string& out, std::string_view text);
std::string json_quote(std::string_view text);

// Appends a double the way Python's json.dumps prints a float: the shortest text that reads back
// as the same value, with ".0" for integral values ("60.001", "0.0", "1e+16"). NaN and infinities
// have no JSON form and are written as null.
void append_json_double(std::string& out, double value);

// A streaming writer producing compact JSON (no spaces): commas are inserted automatically.
//
//   JsonWriter w;
//   w.begin_object().key("name").value("rpm").key("capacity").value(100).end_object();
//   w.str();  // {"name":"rpm","capacity":100}
//
// The caller keeps the structure well formed (a key before every value inside an object);
// misuse produces invalid JSON rather than an exception. Not thread-safe.
class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);
  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
  JsonWriter& value(std::int64_t number);
  JsonWriter& value(int number) { return value(static_cast<std::int64_t>(number)); }
  JsonWriter& value(double number);
  JsonWriter& value(bool flag);
  JsonWriter& null();
  // Inserts already-serialized JSON as one value (e.g. a nested document built elsewhere).
  JsonWriter& raw(std::string_view json);

  const std::string& str() const& { return out_; }
  std::string str() && { return std::move(out_); }

 private:
  void before_value();

  std::string out_;
  // One entry per open container: whether a value has already been written in it.
  std::vector<bool> has_value_;
  bool after_key_ = false;
};

}  // namespace zae::core
