// SPDX-License-Identifier: MIT
#include "aws/attribute_codec.h"

#include <utility>
#include <vector>

#include "aws/base64.h"
#include "aws/errors.h"

namespace zae::aws {
namespace {

// Maps a type key ("S", "BOOL", ...) to its type; false for an unknown key.
bool type_from_name(std::string_view name, AttributeType& type) {
  static constexpr std::pair<std::string_view, AttributeType> kTypes[] = {
      {"S", AttributeType::kString},     {"N", AttributeType::kNumber},
      {"B", AttributeType::kBinary},     {"BOOL", AttributeType::kBool},
      {"NULL", AttributeType::kNull},    {"M", AttributeType::kMap},
      {"L", AttributeType::kList},       {"SS", AttributeType::kStringSet},
      {"NS", AttributeType::kNumberSet}, {"BS", AttributeType::kBinarySet},
  };
  for (const auto& [n, t] : kTypes) {
    if (n == name) {
      type = t;
      return true;
    }
  }
  return false;
}

// The offset of the next value itself, past any whitespace, for error messages.
std::size_t value_offset(JsonReader& reader) {
  reader.peek();
  return reader.offset();
}

Number read_number_string(JsonReader& reader) {
  const std::size_t at = value_offset(reader);
  std::string_view text = reader.read_string();
  try {
    return Number::parse(text);
  } catch (const NumberError& e) {
    reader.fail_at(at, e.what());
  }
}

std::string read_base64_string(JsonReader& reader) {
  const std::size_t at = value_offset(reader);
  std::string_view text = reader.read_string();
  try {
    return base64_decode(text);
  } catch (const EncodingError& e) {
    reader.fail_at(at, e.what());
  }
}

template <typename ReadOne>
auto read_array(JsonReader& reader, ReadOne read_one) {
  std::vector<decltype(read_one(reader))> out;
  reader.enter_array();
  while (reader.next_element()) {
    out.push_back(read_one(reader));
  }
  return out;
}

AttributeValue read_typed(JsonReader& reader, AttributeType type) {
  switch (type) {
    case AttributeType::kString:
      return AttributeValue::of_string(std::string(reader.read_string()));
    case AttributeType::kNumber:
      return AttributeValue::of_number(read_number_string(reader));
    case AttributeType::kBinary:
      return AttributeValue::of_binary(read_base64_string(reader));
    case AttributeType::kBool:
      return AttributeValue::of_bool(reader.read_bool());
    case AttributeType::kNull: {
      const std::size_t at = value_offset(reader);
      if (!reader.read_bool()) {
        reader.fail_at(at, "NULL must be true");
      }
      return AttributeValue::null();
    }
    case AttributeType::kMap:
      return AttributeValue::of_map(read_item(reader));
    case AttributeType::kList:
      return AttributeValue::of_list(read_array(reader, read_attribute_value));
    case AttributeType::kStringSet:
      return AttributeValue::of_string_set(
          read_array(reader, [](JsonReader& r) { return std::string(r.read_string()); }));
    case AttributeType::kNumberSet:
      return AttributeValue::of_number_set(read_array(reader, read_number_string));
    case AttributeType::kBinarySet:
      return AttributeValue::of_binary_set(read_array(reader, read_base64_string));
  }
  reader.fail("unreachable attribute type");
}

template <typename Values, typename WriteOne>
void write_array(JsonWriter& writer, const Values& values, WriteOne write_one) {
  writer.begin_array();
  for (const auto& v : values) {
    write_one(v);
  }
  writer.end_array();
}

}  // namespace

void write_attribute_value(JsonWriter& writer, const AttributeValue& value) {
  if (value.type() == AttributeType::kNumber) {
    // The hot case (every bucket field): a Number's text is a validated decimal, which JSON
    // takes as it is, so the object is written in one piece.
    writer.raw_value({R"({"N":")", value.as_number().text(), R"("})"});
    return;
  }
  writer.begin_object();
  writer.key(type_name(value.type()));
  switch (value.type()) {
    case AttributeType::kString:
      writer.string(value.as_string());
      break;
    case AttributeType::kNumber:
      writer.string(value.as_number().text());
      break;
    case AttributeType::kBinary:
      writer.string(base64_encode(value.as_binary()));
      break;
    case AttributeType::kBool:
      writer.boolean(value.as_bool());
      break;
    case AttributeType::kNull:
      writer.boolean(true);
      break;
    case AttributeType::kMap:
      write_item(writer, value.as_map());
      break;
    case AttributeType::kList:
      write_array(writer, value.as_list(),
                  [&](const AttributeValue& v) { write_attribute_value(writer, v); });
      break;
    case AttributeType::kStringSet:
      write_array(writer, value.as_string_set(), [&](const std::string& s) { writer.string(s); });
      break;
    case AttributeType::kNumberSet:
      write_array(writer, value.as_number_set(), [&](const Number& n) { writer.string(n.text()); });
      break;
    case AttributeType::kBinarySet:
      write_array(writer, value.as_binary_set(),
                  [&](const std::string& b) { writer.string(base64_encode(b)); });
      break;
  }
  writer.end_object();
}

void write_item(JsonWriter& writer, const AttributeMap& item) {
  writer.begin_object();
  for (const auto& [name, value] : item) {
    writer.key(name);
    write_attribute_value(writer, value);
  }
  writer.end_object();
}

AttributeValue read_attribute_value(JsonReader& reader) {
  // Most values of an item are compact N or S objects: taken whole, without the object walk.
  if (const std::optional<JsonReader::TypedString> typed = reader.peek_typed_string()) {
    if (typed->type == "N") {
      try {
        AttributeValue value = AttributeValue::of_number(Number::parse(typed->text));
        reader.skip_to(typed->end);
        return value;
      } catch (const NumberError&) {
        // Not a number: the general path below reports it where it is.
      }
    } else if (typed->type == "S") {
      reader.skip_to(typed->end);
      return AttributeValue::of_string(std::string(typed->text));
    }
  }
  const std::size_t start = value_offset(reader);
  reader.enter_object();
  const std::size_t key_at = reader.offset();
  std::optional<std::string_view> key = reader.next_key();
  if (!key) {
    reader.fail_at(start, "attribute value has no type");
  }
  AttributeType type;
  if (!type_from_name(*key, type)) {
    reader.fail_at(key_at, "unknown attribute type \"" + std::string(*key) + "\"");
  }
  AttributeValue value = read_typed(reader, type);
  const std::size_t extra_at = reader.offset();
  if (reader.next_key()) {
    reader.fail_at(extra_at, "attribute value has more than one type");
  }
  return value;
}

AttributeMap read_item(JsonReader& reader) {
  std::vector<AttributeMap::Entry> entries;
  // Room for a typical item (a bucket of two limits has about 50 attributes): growing the
  // vector moves every entry, and a move of an AttributeValue is a variant visit.
  entries.reserve(64);
  const std::size_t start = value_offset(reader);
  reader.enter_object();
  while (auto key = reader.next_key()) {
    // The key's view dies with the next read; copy it before reading the value.
    std::string name(*key);
    AttributeValue value = read_attribute_value(reader);
    entries.emplace_back(std::move(name), std::move(value));
  }
  try {
    return AttributeMap::from_entries(std::move(entries));
  } catch (const AttributeError& e) {
    reader.fail_at(start, e.what());
  }
}

std::string attribute_value_to_json(const AttributeValue& value) {
  std::string out;
  JsonWriter writer(out);
  write_attribute_value(writer, value);
  return out;
}

AttributeValue attribute_value_from_json(std::string_view json, JsonLimits limits) {
  JsonReader reader(json, limits);
  AttributeValue value = read_attribute_value(reader);
  reader.finish();
  return value;
}

std::string item_to_json(const AttributeMap& item) {
  std::string out;
  JsonWriter writer(out);
  write_item(writer, item);
  return out;
}

AttributeMap item_from_json(std::string_view json, JsonLimits limits) {
  JsonReader reader(json, limits);
  AttributeMap item = read_item(reader);
  reader.finish();
  return item;
}

}  // namespace zae::aws
