// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

// The DynamoDB AttributeValue model: S, N, B, BOOL, NULL, M, L, SS, NS, BS.
namespace zae::aws {

// A DynamoDB number, kept as its decimal text so that every value DynamoDB can hold (38
// significant digits, exponents from -130 to +125) survives a round trip exactly. Equality is
// textual: "1.0" and "1" differ (DynamoDB itself returns numbers in one normal form).
class Number {
 public:
  // Accepts an optional sign, digits with an optional fraction (".5" and "5." too) and an optional
  // exponent ("1e3", "-2.5E-7"); the text is kept as given. Precision and range are left to
  // DynamoDB, which rejects what it cannot store. Throws NumberError naming the text otherwise.
  static Number parse(std::string_view text);

  explicit Number(std::int64_t value);

  const std::string& text() const { return text_; }

  // The value as an int64. Throws NumberError when the text has a fraction or an exponent
  // ("1.5", "1e3", even "1.0") or when the value lies outside the int64 range.
  std::int64_t to_int64() const;

  friend bool operator==(const Number&, const Number&) = default;

 private:
  explicit Number(std::string text) : text_(std::move(text)) {}

  std::string text_;
};

class AttributeValue;

// The M type and a whole item: attribute names mapped to values. Insertion order is kept for
// iteration and serialisation; names are unique. Lookup is linear, which beats a tree or hash
// table for the few dozen attributes an item has. Equality ignores order.
class AttributeMap {
 public:
  using Entry = std::pair<std::string, AttributeValue>;

  AttributeMap();
  AttributeMap(std::initializer_list<Entry> entries);
  AttributeMap(const AttributeMap&);
  AttributeMap(AttributeMap&&) noexcept;
  AttributeMap& operator=(const AttributeMap&);
  AttributeMap& operator=(AttributeMap&&) noexcept;
  ~AttributeMap();

  // A map holding `entries` in their order. Throws AttributeError if a name repeats.
  static AttributeMap from_entries(std::vector<Entry> entries);

  // Sets `name` to `value`, replacing a value it already has.
  void set(std::string name, AttributeValue value);
  // Appends `name`, which the caller guarantees is not in the map yet (checked only in debug
  // builds): set() without its search, for builders whose names are distinct by construction.
  void append_new(std::string name, AttributeValue value);
  // Removes `name`; returns whether it was present.
  bool erase(std::string_view name);
  // Room for `count` entries without reallocating.
  void reserve(std::size_t count);

  // The value of `name`, or nullptr. The pointer is valid until the map is modified.
  const AttributeValue* find(std::string_view name) const;
  AttributeValue* find(std::string_view name);
  bool contains(std::string_view name) const { return find(name) != nullptr; }
  // The value of `name`. Throws AttributeError when it is absent.
  const AttributeValue& at(std::string_view name) const;

  std::size_t size() const;
  bool empty() const;
  std::vector<Entry>::const_iterator begin() const;
  std::vector<Entry>::const_iterator end() const;

  friend bool operator==(const AttributeMap& a, const AttributeMap& b);

 private:
  std::vector<Entry> entries_;
};

using AttributeList = std::vector<AttributeValue>;

enum class AttributeType {
  kString,
  kNumber,
  kBinary,
  kBool,
  kNull,
  kMap,
  kList,
  kStringSet,
  kNumberSet,
  kBinarySet,
};

// The type's name in DynamoDB JSON: "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS".
std::string_view type_name(AttributeType type);

// One DynamoDB attribute value. A regular value type: copyable, movable, comparable. Binary data
// (B, BS) is held as raw bytes in std::string and base64-encoded only on the wire. Sets are held
// in the order given; DynamoDB rejects empty sets and duplicates, this model does not.
class AttributeValue {
 public:
  // NULL.
  AttributeValue() = default;

  static AttributeValue of_string(std::string value);
  static AttributeValue of_number(Number value);
  static AttributeValue of_int64(std::int64_t value) { return of_number(Number(value)); }
  static AttributeValue of_binary(std::string bytes);
  static AttributeValue of_bool(bool value);
  static AttributeValue null() { return AttributeValue(); }
  static AttributeValue of_map(AttributeMap value);
  static AttributeValue of_list(AttributeList value);
  static AttributeValue of_string_set(std::vector<std::string> values);
  static AttributeValue of_number_set(std::vector<Number> values);
  static AttributeValue of_binary_set(std::vector<std::string> values);

  AttributeType type() const { return static_cast<AttributeType>(value_.index()); }
  bool is_null() const { return type() == AttributeType::kNull; }

  // Each accessor throws AttributeError ("expected N, found S") when the value is another type.
  const std::string& as_string() const;
  const Number& as_number() const;
  // Shorthand for as_number().to_int64(); throws NumberError as that does.
  std::int64_t as_int64() const { return as_number().to_int64(); }
  const std::string& as_binary() const;
  bool as_bool() const;
  const AttributeMap& as_map() const;
  AttributeMap& as_map();
  const AttributeList& as_list() const;
  AttributeList& as_list();
  const std::vector<std::string>& as_string_set() const;
  const std::vector<Number>& as_number_set() const;
  const std::vector<std::string>& as_binary_set() const;

  friend bool operator==(const AttributeValue&, const AttributeValue&) = default;

 private:
  // Alternatives in AttributeType order; S and B (and SS and BS) share a C++ type and are told
  // apart by index.
  using Storage = std::variant<std::string, Number, std::string, bool, std::monostate, AttributeMap,
                               AttributeList, std::vector<std::string>, std::vector<Number>,
                               std::vector<std::string>>;

  template <AttributeType T, typename V>
  static AttributeValue make(V&& v) {
    AttributeValue out;
    out.value_.emplace<static_cast<std::size_t>(T)>(std::forward<V>(v));
    return out;
  }
  template <AttributeType T>
  const std::variant_alternative_t<static_cast<std::size_t>(T), Storage>& get() const;

  Storage value_{std::in_place_index<static_cast<std::size_t>(AttributeType::kNull)>};
};

}  // namespace zae::aws
