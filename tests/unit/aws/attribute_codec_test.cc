// SPDX-License-Identifier: MIT
#include "aws/attribute_codec.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/base64.h"
#include "aws/errors.h"

namespace zae::aws {
namespace {

using ::testing::HasSubstr;

AttributeValue round_trip(const AttributeValue& v) {
  return attribute_value_from_json(attribute_value_to_json(v));
}

JsonError decode_error(std::string_view json) {
  try {
    attribute_value_from_json(json);
  } catch (const JsonError& e) {
    return e;
  }
  ADD_FAILURE() << "no JsonError for: " << json;
  return JsonError(0, "none");
}

const std::string kAllBytes = [] {
  std::string s;
  for (int i = 0; i < 256; ++i) {
    s += static_cast<char>(i);
  }
  return s;
}();

TEST(AttributeCodecTest, WritesEveryTypeInDynamoDbJson) {
  EXPECT_EQ(attribute_value_to_json(AttributeValue::of_string("a\"b")), R"({"S":"a\"b"})");
  EXPECT_EQ(attribute_value_to_json(AttributeValue::of_number(Number::parse("-1.5E3"))),
            R"({"N":"-1.5E3"})");
  EXPECT_EQ(attribute_value_to_json(AttributeValue::of_binary("\x01\x02\xff")), R"({"B":"AQL/"})");
  EXPECT_EQ(attribute_value_to_json(AttributeValue::of_bool(false)), R"({"BOOL":false})");
  EXPECT_EQ(attribute_value_to_json(AttributeValue::null()), R"({"NULL":true})");
  EXPECT_EQ(attribute_value_to_json(AttributeValue::of_map(
                {{"a", AttributeValue::of_int64(1)}, {"b", AttributeValue::of_list({})}})),
            R"({"M":{"a":{"N":"1"},"b":{"L":[]}}})");
  EXPECT_EQ(attribute_value_to_json(
                AttributeValue::of_list({AttributeValue::of_string("x"), AttributeValue()})),
            R"({"L":[{"S":"x"},{"NULL":true}]})");
  EXPECT_EQ(attribute_value_to_json(AttributeValue::of_string_set({"a", "b"})),
            R"({"SS":["a","b"]})");
  EXPECT_EQ(
      attribute_value_to_json(AttributeValue::of_number_set({Number(1), Number::parse("2.5")})),
      R"({"NS":["1","2.5"]})");
  EXPECT_EQ(attribute_value_to_json(AttributeValue::of_binary_set({"a", "bc"})),
            R"({"BS":["YQ==","YmM="]})");
}

TEST(AttributeCodecTest, RoundTripsEveryType) {
  const std::string n38 = "-1234567890123456789012345678901234567.8";
  const AttributeValue values[] = {
      AttributeValue::of_string(""),
      AttributeValue::of_string("tab\t nl\n quote\" bs\\ nul" + std::string(1, '\0') +
                                " \xC3\xA5 \xF0\x9F\x98\x80"),
      AttributeValue::of_number(Number::parse(n38)),
      AttributeValue::of_number(Number::parse("1E-130")),
      AttributeValue::of_int64(std::numeric_limits<std::int64_t>::min()),
      AttributeValue::of_binary(""),
      AttributeValue::of_binary(kAllBytes),
      AttributeValue::of_bool(true),
      AttributeValue::of_bool(false),
      AttributeValue::null(),
      AttributeValue::of_map({}),
      AttributeValue::of_list({}),
      AttributeValue::of_string_set({"a", "\xE2\x82\xAC"}),
      AttributeValue::of_number_set({Number::parse(n38), Number(0)}),
      AttributeValue::of_binary_set({kAllBytes, "", "x"}),
      AttributeValue::of_map(
          {{"nested", AttributeValue::of_list(
                          {AttributeValue::of_map({{"deep", AttributeValue::of_int64(1)}}),
                           AttributeValue::of_string_set({"s"})})},
           {"", AttributeValue::of_string("empty name")}}),
  };
  for (const AttributeValue& v : values) {
    EXPECT_EQ(round_trip(v), v) << attribute_value_to_json(v);
  }
  EXPECT_EQ(round_trip(AttributeValue::of_number(Number::parse(n38))).as_number().text(), n38);
}

TEST(AttributeCodecTest, ReadsAGetItemResponseItem) {
  JsonReader r(R"({"Item": {"pk": {"S": "ns#a"}, "tk": {"N": "123456789012345678"},
      "l": {"L": [{"BOOL": true}, {"NULL": true}, {"S": "\u00e5\ud83d\ude00"}]}},
      "ConsumedCapacity": {"CapacityUnits": 0.5}})");
  AttributeMap item;
  r.enter_object();
  while (auto key = r.next_key()) {
    if (*key == "Item") {
      item = read_item(r);
    } else {
      r.skip_value();
    }
  }
  r.finish();
  EXPECT_EQ(item.at("pk").as_string(), "ns#a");
  EXPECT_EQ(item.at("tk").as_int64(), 123456789012345678);
  const AttributeList& l = item.at("l").as_list();
  ASSERT_EQ(l.size(), 3u);
  EXPECT_TRUE(l[0].as_bool());
  EXPECT_TRUE(l[1].is_null());
  EXPECT_EQ(l[2].as_string(), "\xC3\xA5\xF0\x9F\x98\x80");
}

TEST(AttributeCodecTest, ItemRoundTripKeepsOrder) {
  AttributeMap item{{"pk", AttributeValue::of_string("a")},
                    {"sk", AttributeValue::of_string("b")},
                    {"n", AttributeValue::of_int64(-3)}};
  const std::string json = item_to_json(item);
  EXPECT_EQ(json, R"({"pk":{"S":"a"},"sk":{"S":"b"},"n":{"N":"-3"}})");
  EXPECT_EQ(item_from_json(json), item);
  EXPECT_EQ(item_to_json(item_from_json(json)), json);
}

TEST(AttributeCodecTest, RejectsValuesThatAreNotAttributeValues) {
  struct Case {
    std::string json;
    std::size_t offset;
    std::string problem;
  };
  const Case cases[] = {
      {"{}", 0, "attribute value has no type"},
      {R"({"X":"a"})", 1, "unknown attribute type \"X\""},
      {R"({"s":"a"})", 1, "unknown attribute type \"s\""},
      {R"({"S":"a","N":"1"})", 8, "more than one type"},
      {R"({"S":1})", 5, "expected a string"},
      {R"({"N":1})", 5, "expected a string"},
      {R"({"N":"1.2.3"})", 5, "not a number: \"1.2.3\""},
      {R"({"N":""})", 5, "not a number"},
      {R"({"B":"abc"})", 5, "not a multiple of 4"},
      {R"({"B":"ab!="})", 5, "invalid base64 character"},
      {R"({"BOOL":"true"})", 8, "expected true or false"},
      {R"({"NULL":false})", 8, "NULL must be true"},
      {R"({"M":[]})", 5, "expected an object"},
      {R"({"M":{"a":{"S":"x"},"a":{"S":"y"}}})", 5, "\"a\" appears twice"},
      {R"({"L":{}})", 5, "expected an array"},
      {R"({"L":[{"S":"a"},"b"]})", 16, "expected an object"},
      {R"({"SS":["a",1]})", 11, "expected a string"},
      {R"({"NS":["1","x"]})", 11, "not a number: \"x\""},
      {R"({"BS":["YQ==","Y"]})", 14, "not a multiple of 4"},
      {R"({"S":"a"} x)", 10, "after the end"},
      {R"({"N": "1x"})", 6, "not a number: \"1x\""},
      {R"({ "B" : [] })", 8, "expected a string"},
      {R"([{"S":"a"}])", 0, "expected an object"},
  };
  for (const Case& c : cases) {
    JsonError e = decode_error(c.json);
    EXPECT_EQ(e.offset(), c.offset) << c.json << " -> " << e.what();
    EXPECT_THAT(e.what(), HasSubstr(c.problem)) << c.json;
  }
}

// Compact {"N":"..."} and {"S":"..."} objects take a fast path; every other spelling of the
// same value takes the general one. Both must read the same values.
TEST(AttributeCodecTest, CompactAndSpacedValuesReadTheSame) {
  const std::pair<std::string, std::string> pairs[] = {
      {R"({"N":"-12.5E3"})", R"({ "N" : "-12.5E3" })"},
      {R"({"N":"99999999999999999999999999999999999999"})",
       R"({"N": "99999999999999999999999999999999999999"})"},
      {R"({"S":"plain text ~"})", R"({"S":"plain\u0020text\u0020~"})"},
      {R"({"S":""})", "{\n\"S\"\t:\"\"}"},
  };
  for (const auto& [compact, spaced] : pairs) {
    EXPECT_EQ(attribute_value_from_json(compact), attribute_value_from_json(spaced)) << compact;
  }
  EXPECT_EQ(attribute_value_from_json(R"({"S":"caf\u00e9"})").as_string(), "caf\xc3\xa9");
  EXPECT_EQ(attribute_value_from_json("{\"S\":\"caf\xc3\xa9\"}").as_string(), "caf\xc3\xa9");
}

TEST(AttributeCodecTest, BoundsNestingOfMapsAndLists) {
  // 32 levels of M, the DynamoDB maximum, fit the default limit.
  std::string ok;
  for (int i = 0; i < 32; ++i) {
    ok += R"({"M":{"a":)";
  }
  ok += R"({"S":"leaf"})";
  for (int i = 0; i < 32; ++i) {
    ok += "}}";
  }
  EXPECT_EQ(attribute_value_to_json(attribute_value_from_json(ok)), ok);

  std::string deep;
  for (int i = 0; i < 100000; ++i) {
    deep += R"({"L":[)";
  }
  EXPECT_THAT(decode_error(deep).what(), HasSubstr("nesting deeper than 128 levels"));
  EXPECT_THAT(attribute_value_from_json(ok, {.max_depth = 66}).type(), AttributeType::kMap);
  try {
    attribute_value_from_json(ok, {.max_depth = 64});
    FAIL() << "no error";
  } catch (const JsonError& e) {
    EXPECT_THAT(e.what(), HasSubstr("deeper than 64"));
  }
}

TEST(AttributeCodecTest, RejectsWritingStringsThatAreNotUtf8) {
  EXPECT_THROW(attribute_value_to_json(AttributeValue::of_string("\xC3")), EncodingError);
  EXPECT_THROW(item_to_json({{"\xFF", AttributeValue()}}), EncodingError);
  EXPECT_NO_THROW(attribute_value_to_json(AttributeValue::of_binary("\xFF")));
}

TEST(Base64Test, EncodesAndDecodesRfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), plain);
  }
  EXPECT_EQ(base64_decode(base64_encode(kAllBytes)), kAllBytes);
}

TEST(Base64Test, RejectsMalformedInput) {
  for (std::string bad : {"Zg=", "Zg", "Z===", "====", "Zg==Zg==", "Zm9v\n", "Zm 9",
                          "Zh==", "Zm9=", "Zm-_", "=Zm9"}) {
    EXPECT_THROW(base64_decode(bad), EncodingError) << bad;
  }
}

}  // namespace
}  // namespace zae::aws
