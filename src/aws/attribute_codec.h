// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

#include "aws/attribute_value.h"
#include "aws/json.h"

// AttributeValues in DynamoDB's JSON wire form: {"S":"text"}, {"N":"12.5"}, {"B":"<base64>"},
// {"BOOL":true}, {"NULL":true}, {"M":{...}}, {"L":[...]}, {"SS":[...]}, {"NS":[...]},
// {"BS":[...]}.
namespace zae::aws {

// Writes `value` as the next JSON value. Throws EncodingError for strings that are not UTF-8.
void write_attribute_value(JsonWriter& writer, const AttributeValue& value);

// Writes `item` as an object of name to AttributeValue (an Item, Key or M body).
void write_item(JsonWriter& writer, const AttributeMap& item);

// Reads one AttributeValue. Throws JsonError at the offending offset for malformed JSON and for
// valid JSON that is not an AttributeValue: no type or more than one, an unknown type, a
// non-number N, bad base64, NULL other than true, a repeated attribute name.
AttributeValue read_attribute_value(JsonReader& reader);

// Reads an object of name to AttributeValue, throwing like read_attribute_value().
AttributeMap read_item(JsonReader& reader);

// Whole-document conveniences: one value, nothing else after it.
std::string attribute_value_to_json(const AttributeValue& value);
AttributeValue attribute_value_from_json(std::string_view json, JsonLimits limits = {});
std::string item_to_json(const AttributeMap& item);
AttributeMap item_from_json(std::string_view json, JsonLimits limits = {});

}  // namespace zae::aws
