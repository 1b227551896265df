// SPDX-License-Identifier: MIT
#include "aws/attribute_value.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstdint>
#include <limits>

#include "aws/errors.h"

namespace zae::aws {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Below this many entries a pairwise scan is cheaper than sorting a copy of the names.
// Up to this many entries the duplicate check compares pairs; beyond it sorts views (a bucket
// item of ~30 attributes made 435 comparisons pairwise, ~150 sorted).
constexpr std::size_t kPairwiseLimit = 8;

}  // namespace

// --- Number ---

Number Number::parse(std::string_view text) {
  std::size_t i = 0;
  auto digits = [&] {
    std::size_t from = i;
    while (i < text.size() && is_digit(text[i])) {
      ++i;
    }
    return i - from;
  };
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    ++i;
  }
  std::size_t mantissa = digits();
  if (i < text.size() && text[i] == '.') {
    ++i;
    mantissa += digits();
  }
  bool ok = mantissa > 0;
  if (ok && i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
      ++i;
    }
    ok = digits() > 0;
  }
  if (!ok || i != text.size()) {
    throw NumberError("not a number: \"" + std::string(text) + "\"");
  }
  return Number(std::string(text));
}

Number::Number(std::int64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  text_.assign(buf, end);
}

std::int64_t Number::to_int64() const {
  std::string_view t = text_;
  const bool negative = !t.empty() && t.front() == '-';
  if (!t.empty() && (t.front() == '-' || t.front() == '+')) {
    t.remove_prefix(1);
  }
  // Every byte a digit first, so that "not an integer" wins over "out of range".
  for (const char c : t) {
    if (!is_digit(c)) {
      throw NumberError("not an integer: \"" + text_ + "\"");
    }
  }
  // Up to 18 digits cannot overflow; longer texts (leading zeros, or out of range) take the
  // checked loop. The magnitude is accumulated unsigned: |INT64_MIN| = INT64_MAX + 1.
  constexpr std::uint64_t kMaxMagnitude =
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1;
  const std::uint64_t limit = negative ? kMaxMagnitude : kMaxMagnitude - 1;
  std::uint64_t v = 0;
  if (t.size() <= 18) {
    for (const char c : t) {
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
  } else {
    for (const char c : t) {
      const auto d = static_cast<std::uint64_t>(c - '0');
      if (v > (limit - d) / 10) {
        throw NumberError("out of the int64 range: \"" + text_ + "\"");
      }
      v = v * 10 + d;
    }
  }
  if (negative) {
    // Two's complement: 0 - v is exact for every magnitude up to 2^63.
    return static_cast<std::int64_t>(std::uint64_t{0} - v);
  }
  return static_cast<std::int64_t>(v);
}

// --- AttributeMap ---

AttributeMap::AttributeMap() = default;
AttributeMap::AttributeMap(const AttributeMap&) = default;
AttributeMap::AttributeMap(AttributeMap&&) noexcept = default;
AttributeMap& AttributeMap::operator=(const AttributeMap&) = default;
AttributeMap& AttributeMap::operator=(AttributeMap&&) noexcept = default;
AttributeMap::~AttributeMap() = default;

AttributeMap::AttributeMap(std::initializer_list<Entry> entries) {
  for (const Entry& e : entries) {
    set(e.first, e.second);
  }
}

AttributeMap AttributeMap::from_entries(std::vector<Entry> entries) {
  auto duplicate = [](std::string_view name) {
    throw AttributeError("attribute name \"" + std::string(name) + "\" appears twice");
  };
  if (entries.size() <= kPairwiseLimit) {
    for (std::size_t i = 1; i < entries.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (entries[i].first == entries[j].first) {
          duplicate(entries[i].first);
        }
      }
    }
  } else {
    // Open addressing over a power-of-two table of at least twice the entries: one hash and
    // about one comparison per name, where sorting the names cost a dozen comparisons each.
    std::size_t size = 16;
    while (size < 2 * entries.size()) {
      size *= 2;
    }
    std::vector<std::uint32_t> slots(size, 0);  // entry index + 1; 0 is empty
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const std::string_view name = entries[i].first;
      std::uint64_t hash = 14695981039346656037ull;  // FNV-1a
      for (const char c : name) {
        hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
      }
      for (std::size_t slot = hash & (size - 1);; slot = (slot + 1) & (size - 1)) {
        if (slots[slot] == 0) {
          slots[slot] = static_cast<std::uint32_t>(i + 1);
          break;
        }
        if (entries[slots[slot] - 1].first == name) {
          duplicate(name);
        }
      }
    }
  }
  AttributeMap map;
  map.entries_ = std::move(entries);
  return map;
}

void AttributeMap::set(std::string name, AttributeValue value) {
  if (AttributeValue* existing = find(name)) {
    *existing = std::move(value);
    return;
  }
  entries_.emplace_back(std::move(name), std::move(value));
}

void AttributeMap::append_new(std::string name, AttributeValue value) {
  assert(find(name) == nullptr);
  entries_.emplace_back(std::move(name), std::move(value));
}

void AttributeMap::reserve(std::size_t count) { entries_.reserve(count); }

bool AttributeMap::erase(std::string_view name) {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const Entry& e) { return e.first == name; });
  if (it == entries_.end()) {
    return false;
  }
  entries_.erase(it);
  return true;
}

const AttributeValue* AttributeMap::find(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.first == name) {
      return &e.second;
    }
  }
  return nullptr;
}

AttributeValue* AttributeMap::find(std::string_view name) {
  return const_cast<AttributeValue*>(std::as_const(*this).find(name));
}

const AttributeValue& AttributeMap::at(std::string_view name) const {
  if (const AttributeValue* v = find(name)) {
    return *v;
  }
  throw AttributeError("no attribute \"" + std::string(name) + "\"");
}

std::size_t AttributeMap::size() const { return entries_.size(); }
bool AttributeMap::empty() const { return entries_.empty(); }
std::vector<AttributeMap::Entry>::const_iterator AttributeMap::begin() const {
  return entries_.begin();
}
std::vector<AttributeMap::Entry>::const_iterator AttributeMap::end() const {
  return entries_.end();
}

bool operator==(const AttributeMap& a, const AttributeMap& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (const auto& [name, value] : a.entries_) {
    const AttributeValue* other = b.find(name);
    if (other == nullptr || !(*other == value)) {
      return false;
    }
  }
  return true;
}

// --- AttributeValue ---

std::string_view type_name(AttributeType type) {
  switch (type) {
    case AttributeType::kString:
      return "S";
    case AttributeType::kNumber:
      return "N";
    case AttributeType::kBinary:
      return "B";
    case AttributeType::kBool:
      return "BOOL";
    case AttributeType::kNull:
      return "NULL";
    case AttributeType::kMap:
      return "M";
    case AttributeType::kList:
      return "L";
    case AttributeType::kStringSet:
      return "SS";
    case AttributeType::kNumberSet:
      return "NS";
    case AttributeType::kBinarySet:
      return "BS";
  }
  return "?";
}

template <AttributeType T>
const std::variant_alternative_t<static_cast<std::size_t>(T), AttributeValue::Storage>&
AttributeValue::get() const {
  if (type() != T) {
    throw AttributeError("expected " + std::string(type_name(T)) + ", found " +
                         std::string(type_name(type())));
  }
  return std::get<static_cast<std::size_t>(T)>(value_);
}

AttributeValue AttributeValue::of_string(std::string value) {
  return make<AttributeType::kString>(std::move(value));
}
AttributeValue AttributeValue::of_number(Number value) {
  return make<AttributeType::kNumber>(std::move(value));
}
AttributeValue AttributeValue::of_binary(std::string bytes) {
  return make<AttributeType::kBinary>(std::move(bytes));
}
AttributeValue AttributeValue::of_bool(bool value) { return make<AttributeType::kBool>(value); }
AttributeValue AttributeValue::of_map(AttributeMap value) {
  return make<AttributeType::kMap>(std::move(value));
}
AttributeValue AttributeValue::of_list(AttributeList value) {
  return make<AttributeType::kList>(std::move(value));
}
AttributeValue AttributeValue::of_string_set(std::vector<std::string> values) {
  return make<AttributeType::kStringSet>(std::move(values));
}
AttributeValue AttributeValue::of_number_set(std::vector<Number> values) {
  return make<AttributeType::kNumberSet>(std::move(values));
}
AttributeValue AttributeValue::of_binary_set(std::vector<std::string> values) {
  return make<AttributeType::kBinarySet>(std::move(values));
}

const std::string& AttributeValue::as_string() const { return get<AttributeType::kString>(); }
const Number& AttributeValue::as_number() const { return get<AttributeType::kNumber>(); }
const std::string& AttributeValue::as_binary() const { return get<AttributeType::kBinary>(); }
bool AttributeValue::as_bool() const { return get<AttributeType::kBool>(); }
const AttributeMap& AttributeValue::as_map() const { return get<AttributeType::kMap>(); }
AttributeMap& AttributeValue::as_map() {
  return const_cast<AttributeMap&>(std::as_const(*this).as_map());
}
const AttributeList& AttributeValue::as_list() const { return get<AttributeType::kList>(); }
AttributeList& AttributeValue::as_list() {
  return const_cast<AttributeList&>(std::as_const(*this).as_list());
}
const std::vector<std::string>& AttributeValue::as_string_set() const {
  return get<AttributeType::kStringSet>();
}
const std::vector<Number>& AttributeValue::as_number_set() const {
  return get<AttributeType::kNumberSet>();
}
const std::vector<std::string>& AttributeValue::as_binary_set() const {
  return get<AttributeType::kBinarySet>();
}

}  // namespace zae::aws
