// SPDX-License-Identifier: MIT
#include "aws/json.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/errors.h"

namespace zae::aws {
namespace {

using ::testing::HasSubstr;

std::string written(void (*build)(JsonWriter&)) {
  std::string out;
  JsonWriter w(out);
  build(w);
  return out;
}

// Reads a document that must be one string and nothing else.
std::string read_one_string(std::string_view json) {
  JsonReader r(json);
  std::string s(r.read_string());
  r.finish();
  return s;
}

// The JsonError a document raises when skipped as a whole.
JsonError parse_error(std::string_view json, JsonLimits limits = {}) {
  try {
    JsonReader r(json, limits);
    r.skip_value();
    r.finish();
  } catch (const JsonError& e) {
    return e;
  }
  ADD_FAILURE() << "no JsonError for: " << json;
  return JsonError(0, "none");
}

TEST(JsonWriterTest, WritesNestedStructuresWithCommas) {
  EXPECT_EQ(
      written([](JsonWriter& w) {
        w.begin_object();
        w.key("TableName");
        w.string("t");
        w.key("Limit");
        w.number(-9223372036854775807 - 1);
        w.key("Flags");
        w.begin_array();
        w.boolean(true);
        w.boolean(false);
        w.null();
        w.begin_object();
        w.end_object();
        w.begin_array();
        w.end_array();
        w.number_text("1.5e3");
        w.end_array();
        w.key("Empty");
        w.string("");
        w.end_object();
      }),
      R"({"TableName":"t","Limit":-9223372036854775808,"Flags":[true,false,null,{},[],1.5e3],"Empty":""})");
}

TEST(JsonWriterTest, EscapesQuotesBackslashesAndControlCharacters) {
  std::string out;
  JsonWriter w(out);
  w.string(std::string("q\" b\\ /\b\f\n\r\t\x01\x1f\x7f", 15) + std::string(1, '\0'));
  EXPECT_EQ(out, R"("q\" b\\ /\b\f\n\r\t\u0001\u001f)"
                 "\x7f"
                 R"(\u0000")");
}

TEST(JsonWriterTest, PassesUtf8ThroughAndRejectsInvalidUtf8) {
  std::string out;
  JsonWriter w(out);
  w.string("b\xC3\xA5r \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(out, "\"b\xC3\xA5r \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  for (std::string bad :
       {"\xC3", "\x80", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82", "\xFF"}) {
    std::string sink;
    JsonWriter bw(sink);
    EXPECT_THROW(bw.string(bad), EncodingError) << "bytes of length " << bad.size();
    EXPECT_THROW(bw.key(bad), EncodingError);
  }
}

// The scanners take eight bytes at a time: a byte that needs care must be found at every offset
// within and across those words, in long strings as in short ones, when writing and reading.
TEST(JsonWriterTest, FindsSpecialBytesAtEveryOffset) {
  const std::pair<std::string, std::string> specials[] = {{"\"", "\\\""},
                                                          {"\\", "\\\\"},
                                                          {"\n", "\\n"},
                                                          {std::string(1, '\0'), "\\u0000"},
                                                          {"\x1f", "\\u001f"},
                                                          {"\x7f", "\x7f"},
                                                          {" ", " "},
                                                          {"\xC3\xA5", "\xC3\xA5"},
                                                          {"\xE2\x82\xAC", "\xE2\x82\xAC"}};
  for (const std::size_t length : {std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{9},
                                   std::size_t{17}, std::size_t{40}}) {
    for (std::size_t at = 0; at < length; ++at) {
      for (const auto& [raw, escaped] : specials) {
        const std::string value = std::string(at, 'a') + raw + std::string(length - at - 1, 'b');
        std::string out;
        JsonWriter(out).string(value);
        EXPECT_EQ(out,
                  "\"" + std::string(at, 'a') + escaped + std::string(length - at - 1, 'b') + "\"")
            << "length " << length << " at " << at;
        JsonReader reader(out);
        EXPECT_EQ(reader.read_string(), value) << "length " << length << " at " << at;
      }
    }
  }
}

TEST(JsonReaderTest, ReadsObjectsArraysAndScalars) {
  JsonReader r(R"( {"a": [1, -0.5e+3, "x"], "b": {"c": true, "d": false}, "e": null} )");
  r.enter_object();
  ASSERT_EQ(r.next_key(), "a");
  EXPECT_EQ(r.peek(), JsonType::kArray);
  r.enter_array();
  ASSERT_TRUE(r.next_element());
  EXPECT_EQ(r.read_number(), "1");
  ASSERT_TRUE(r.next_element());
  EXPECT_EQ(r.read_number(), "-0.5e+3");
  ASSERT_TRUE(r.next_element());
  EXPECT_EQ(r.read_string(), "x");
  EXPECT_FALSE(r.next_element());
  ASSERT_EQ(r.next_key(), "b");
  r.enter_object();
  ASSERT_EQ(r.next_key(), "c");
  EXPECT_TRUE(r.read_bool());
  ASSERT_EQ(r.next_key(), "d");
  EXPECT_FALSE(r.read_bool());
  EXPECT_EQ(r.next_key(), std::nullopt);
  ASSERT_EQ(r.next_key(), "e");
  EXPECT_EQ(r.peek(), JsonType::kNull);
  r.read_null();
  EXPECT_EQ(r.next_key(), std::nullopt);
  r.finish();
}

TEST(JsonReaderTest, SkipsUnknownMembers) {
  JsonReader r(R"({"x":{"y":[[],{},"s",1,true,null]},"Item":"v"})");
  r.enter_object();
  std::string item;
  while (auto key = r.next_key()) {
    if (*key == "Item") {
      item = r.read_string();
    } else {
      r.skip_value();
    }
  }
  r.finish();
  EXPECT_EQ(item, "v");
}

TEST(JsonReaderTest, DecodesEscapes) {
  EXPECT_EQ(read_one_string(R"("plain")"), "plain");
  EXPECT_EQ(read_one_string(R"("a\"b\\c\/d\be\ff\ng\rh\ti")"), "a\"b\\c/d\be\ff\ng\rh\ti");
  EXPECT_EQ(read_one_string(R"("\u0041\u00e5\u20AC")"), "A\xC3\xA5\xE2\x82\xAC");
  EXPECT_EQ(read_one_string(R"("\u0000")"), std::string(1, '\0'));
  // U+1F600 as a UTF-16 surrogate pair, and U+10FFFF, the highest code point.
  EXPECT_EQ(read_one_string(R"("x\ud83d\ude00y")"), "x\xF0\x9F\x98\x80y");
  EXPECT_EQ(read_one_string(R"("\uDBFF\uDFFF")"), "\xF4\x8F\xBF\xBF");
  EXPECT_EQ(read_one_string("\"raw \xF0\x9F\x98\x80 utf8\""), "raw \xF0\x9F\x98\x80 utf8");
}

TEST(JsonReaderTest, EscapedKeysAndStringsDoNotClobberEachOther) {
  JsonReader r(R"({"k\u0031":"v\u0032","k2":"v2"})");
  r.enter_object();
  std::string k1(*r.next_key());
  std::string v1(r.read_string());
  std::string k2(*r.next_key());
  std::string v2(r.read_string());
  EXPECT_EQ(k1, "k1");
  EXPECT_EQ(v1, "v2");
  EXPECT_EQ(k2, "k2");
  EXPECT_EQ(v2, "v2");
}

struct Malformed {
  std::string json;
  std::size_t offset;
  std::string problem;
};

class JsonMalformedTest : public ::testing::TestWithParam<Malformed> {};

TEST_P(JsonMalformedTest, ReportsOffsetAndProblem) {
  const Malformed& m = GetParam();
  JsonError e = parse_error(m.json);
  EXPECT_EQ(e.offset(), m.offset) << e.what();
  EXPECT_THAT(e.what(), HasSubstr(m.problem));
  EXPECT_THAT(e.what(), HasSubstr("offset " + std::to_string(m.offset)));
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, JsonMalformedTest,
    ::testing::Values(
        Malformed{"", 0, "unexpected end of input"}, Malformed{"   ", 3, "unexpected end of input"},
        Malformed{"{", 1, "unexpected end of input"},
        Malformed{R"({"a")", 4, "unexpected end of input, expected ':'"},
        Malformed{R"({"a":)", 5, "unexpected end of input, expected a value"},
        Malformed{R"({"a":1)", 6, "unexpected end of input"},
        Malformed{R"(["abc)", 1, "unterminated string"},
        Malformed{R"("ab\)", 3, "unterminated escape"},
        Malformed{R"({"a":1,})", 7, "expected a string as member name"},
        Malformed{R"({"a":1 "b":2})", 7, "expected ',' or '}'"},
        Malformed{R"({"a" 1})", 5, "expected ':'"}, Malformed{R"({1:2})", 1, "member name"},
        Malformed{"[1,]", 3, "unexpected ']'"}, Malformed{"[1 2]", 3, "expected ',' or ']'"},
        Malformed{"[,1]", 1, "unexpected ','"}, Malformed{"{]", 1, "expected a string as member"},
        Malformed{"[}", 1, "unexpected '}'"},
        Malformed{"{} x", 3, "after the end of the JSON value"},
        Malformed{"1 2", 2, "after the end"}, Malformed{"nul", 0, "expected 'null'"},
        Malformed{"tru", 0, "expected 'true'"}, Malformed{"fals", 0, "expected 'false'"},
        Malformed{"truex", 4, "after the end"},
        Malformed{"-", 1, "unexpected end of input in number"}, Malformed{"01", 1, "after the end"},
        Malformed{"1.", 2, "after the decimal point"}, Malformed{".5", 0, "unexpected '.'"},
        Malformed{"1e", 2, "exponent"}, Malformed{"+1", 0, "unexpected '+'"},
        Malformed{R"("\x")", 1, "invalid escape '\\x'"},
        Malformed{R"("\u12G4")", 5, "invalid hex digit 'G'"},
        Malformed{R"("\u12")", 3, "truncated"},
        Malformed{R"("\ud83d")", 1, "high surrogate not followed by a low surrogate"},
        Malformed{R"("\ud83d\u0041")", 1, "high surrogate not followed"},
        Malformed{R"("\ude00")", 1, "unpaired low surrogate"},
        Malformed{"\"a\nb\"", 2, "unescaped control character byte 0x0A"},
        Malformed{"\"\xC3(\"", 1, "invalid UTF-8"},
        Malformed{"\"\xED\xA0\x80\"", 1, "invalid UTF-8"},
        Malformed{"\"\xE2\x82", 1, "invalid UTF-8"}, Malformed{"\xEF\xBB\xBF{}", 0, "byte 0xEF"},
        Malformed{std::string("[1,\0]", 5), 3, "byte 0x00"}));

TEST(JsonReaderTest, BoundsNestingDepth) {
  std::string deep(200, '[');
  deep += std::string(200, ']');
  JsonError e = parse_error(deep);
  EXPECT_EQ(e.offset(), 128u);
  EXPECT_THAT(e.what(), HasSubstr("nesting deeper than 128 levels"));

  std::string objects;
  for (int i = 0; i < 10; ++i) {
    objects += R"({"a":)";
  }
  objects += "1" + std::string(10, '}');
  EXPECT_THAT(parse_error(objects, {.max_depth = 9}).what(), HasSubstr("deeper than 9"));
  JsonReader ok(objects, {.max_depth = 10});
  ok.skip_value();
  ok.finish();

  // Far deeper than any stack could recurse: rejected at the limit, not by crashing.
  std::string huge(1'000'000, '[');
  EXPECT_THAT(parse_error(huge).what(), HasSubstr("nesting deeper"));
}

TEST(JsonReaderTest, TruncationAtEveryByteIsAnErrorNotACrash) {
  const std::string doc =
      R"({"Item":{"pk":{"S":"a\u00e5\ud83d\ude00"},"n":{"N":"-1.5e3"},"l":{"L":[{"BOOL":true},{"NULL":true}]}}})";
  for (std::size_t n = 0; n < doc.size(); ++n) {
    // A copy of exactly n bytes, so ASan catches any read past the end.
    std::string cut = doc.substr(0, n);
    EXPECT_THROW(
        {
          JsonReader r(cut);
          r.skip_value();
          r.finish();
        },
        JsonError)
        << "prefix of " << n << " bytes";
  }
  JsonReader r(doc);
  r.skip_value();
  r.finish();
}

TEST(JsonReaderTest, WrongTypeRequestsNameWhatWasFound) {
  JsonReader r(R"({"a":5})");
  r.enter_object();
  r.next_key();
  try {
    r.read_string();
    FAIL() << "no error";
  } catch (const JsonError& e) {
    EXPECT_EQ(e.offset(), 5u);
    EXPECT_THAT(e.what(), HasSubstr("expected a string, found '5'"));
  }
  JsonReader arr("[]");
  EXPECT_THROW(arr.enter_object(), JsonError);
}

}  // namespace
}  // namespace zae::aws
