// SPDX-License-Identifier: MIT
#include "core/json.h"

#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace zae::core {
namespace {

TEST(JsonStringTest, EscapesQuotesBackslashesAndNamedControls) {
  EXPECT_EQ(json_quote(""), R"("")");
  EXPECT_EQ(json_quote("plain"), R"("plain")");
  EXPECT_EQ(json_quote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(json_quote("\b\f\n\r\t"), R"("\b\f\n\r\t")");
}

TEST(JsonStringTest, OtherControlCharactersAsUnicodeEscapes) {
  EXPECT_EQ(json_quote(std::string("\0", 1)), R"("\u0000")");
  EXPECT_EQ(json_quote("\x01\x1f"), R"("\u0001\u001f")");
  // DEL is not a control character in RFC 8259.
  EXPECT_EQ(json_quote("\x7f"), "\"\x7f\"");
}

TEST(JsonStringTest, Utf8PassesThrough) {
  EXPECT_EQ(json_quote("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  // '/' need not be escaped.
  EXPECT_EQ(json_quote("a/b"), R"("a/b")");
}

TEST(JsonStringTest, AppendsToExistingText) {
  std::string out = "x=";
  append_json_string(out, "y");
  EXPECT_EQ(out, R"(x="y")");
}

TEST(JsonDoubleTest, ShortestRoundTripLikePython) {
  const auto text = [](double v) {
    std::string out;
    append_json_double(out, v);
    return out;
  };
  EXPECT_EQ(text(60.001), "60.001");
  EXPECT_EQ(text(0.598), "0.598");
  EXPECT_EQ(text(0.0), "0.0");
  EXPECT_EQ(text(1.0), "1.0");
  EXPECT_EQ(text(-2.0), "-2.0");
  EXPECT_EQ(text(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(text(1e16), "1e+16");
  EXPECT_EQ(text(1e-5), "1e-05");
  EXPECT_EQ(text(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(text(std::numeric_limits<double>::infinity()), "null");
}

TEST(JsonWriterTest, EmptyContainers) {
  EXPECT_EQ(JsonWriter().begin_object().end_object().str(), "{}");
  EXPECT_EQ(JsonWriter().begin_array().end_array().str(), "[]");
}

TEST(JsonWriterTest, ObjectWithEveryValueKind) {
  JsonWriter w;
  w.begin_object()
      .key("s")
      .value("x")
      .key("i")
      .value(std::int64_t{-42})
      .key("n")
      .value(7)
      .key("d")
      .value(1.5)
      .key("t")
      .value(true)
      .key("f")
      .value(false)
      .key("z")
      .null()
      .end_object();
  EXPECT_EQ(w.str(), R"({"s":"x","i":-42,"n":7,"d":1.5,"t":true,"f":false,"z":null})");
}

TEST(JsonWriterTest, NestedContainersGetCommasRight) {
  JsonWriter w;
  w.begin_object();
  w.key("limits").begin_array();
  for (int i = 0; i < 2; ++i) {
    w.begin_object().key("name").value("rpm").key("capacity").value(100 + i).end_object();
  }
  w.end_array();
  w.key("empty").begin_object().end_object();
  w.key("list").begin_array().value("a").value("b").begin_array().end_array().end_array();
  w.key("meta").raw(R"({"k":"v"})");
  w.end_object();
  EXPECT_EQ(std::move(w).str(),
            R"({"limits":[{"name":"rpm","capacity":100},{"name":"rpm","capacity":101}],)"
            R"("empty":{},"list":["a","b",[]],"meta":{"k":"v"}})");
}

TEST(JsonWriterTest, Int64Extremes) {
  JsonWriter w;
  w.begin_array()
      .value(std::numeric_limits<std::int64_t>::min())
      .value(std::numeric_limits<std::int64_t>::max())
      .end_array();
  EXPECT_EQ(w.str(), "[-9223372036854775808,9223372036854775807]");
}

TEST(JsonWriterTest, KeysAreEscaped) {
  JsonWriter w;
  w.begin_object().key("a\"\n").value("b").end_object();
  EXPECT_EQ(w.str(), R"({"a\"\n":"b"})");
}

TEST(JsonWriterTest, TopLevelScalar) { EXPECT_EQ(JsonWriter().value("x").str(), R"("x")"); }

}  // namespace
}  // namespace zae::core
