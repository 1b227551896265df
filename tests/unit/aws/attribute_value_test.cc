// SPDX-License-Identifier: MIT
#include "aws/attribute_value.h"

#include <cstdint>
#include <limits>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/errors.h"

namespace zae::aws {
namespace {

using ::testing::HasSubstr;

std::string number_error(std::string_view text) {
  try {
    Number::parse(text).to_int64();
  } catch (const NumberError& e) {
    return e.what();
  }
  return "no error";
}

TEST(NumberTest, KeepsTextExactlyIncluding38Digits) {
  const std::string big = "12345678901234567890123456789012345678";
  ASSERT_EQ(big.size(), 38u);
  EXPECT_EQ(Number::parse(big).text(), big);
  EXPECT_EQ(Number::parse("-0.00000000000000000000000000000000000001").text(),
            "-0.00000000000000000000000000000000000001");
  EXPECT_EQ(Number::parse("9.9999999999999999999999999999999999999E+125").text(),
            "9.9999999999999999999999999999999999999E+125");
  for (std::string ok : {"0", "-0", "+5", "1.5", ".5", "5.", "1e3", "1E-130", "-2.5e+7", "007"}) {
    EXPECT_EQ(Number::parse(ok).text(), ok);
  }
}

TEST(NumberTest, RejectsTextThatIsNotANumber) {
  for (std::string bad : {"", "-", "+", ".", "e3", "1e", "1e+", "1.2.3", "1,5", " 1", "1 ", "0x10",
                          "NaN", "Infinity", "--1", "1e3.5"}) {
    try {
      Number::parse(bad);
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const NumberError& e) {
      EXPECT_THAT(e.what(), HasSubstr("not a number: \"" + bad + "\""));
    }
  }
}

TEST(NumberTest, ConvertsInt64AtTheBoundaries) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  EXPECT_EQ(Number(kMax).text(), "9223372036854775807");
  EXPECT_EQ(Number(kMin).text(), "-9223372036854775808");
  EXPECT_EQ(Number(0).text(), "0");
  EXPECT_EQ(Number::parse("9223372036854775807").to_int64(), kMax);
  EXPECT_EQ(Number::parse("-9223372036854775808").to_int64(), kMin);
  EXPECT_EQ(Number::parse("-9223372036854775807").to_int64(), kMin + 1);
  EXPECT_EQ(Number::parse("+42").to_int64(), 42);
  EXPECT_EQ(Number::parse("-0").to_int64(), 0);
  EXPECT_EQ(Number::parse("0009").to_int64(), 9);
  EXPECT_EQ(Number(kMin).to_int64(), kMin);
  // 18 digits and fewer take the unchecked loop; longer texts the checked one.
  EXPECT_EQ(Number::parse("999999999999999999").to_int64(), 999'999'999'999'999'999);
  EXPECT_EQ(Number::parse("-999999999999999999").to_int64(), -999'999'999'999'999'999);
  EXPECT_EQ(Number::parse("0000000000000000000000009223372036854775807").to_int64(), kMax);
  EXPECT_EQ(Number::parse("-000000000000000000000009223372036854775808").to_int64(), kMin);
  EXPECT_EQ(Number::parse("-0000000000000000000001").to_int64(), -1);
  for (std::int64_t v : {kMin, kMin + 1, std::int64_t{-1}, std::int64_t{0}, std::int64_t{1},
                         std::int64_t{1'700'000'000'000'000}, kMax - 1, kMax}) {
    EXPECT_EQ(Number(v).to_int64(), v) << v;
  }
}

TEST(NumberTest, ToInt64RejectsOverflowAndNonIntegers) {
  EXPECT_THAT(number_error("9223372036854775808"), HasSubstr("out of the int64 range"));
  EXPECT_THAT(number_error("-9223372036854775809"), HasSubstr("out of the int64 range"));
  EXPECT_THAT(number_error("12345678901234567890123456789012345678"),
              HasSubstr("out of the int64 range"));
  EXPECT_THAT(number_error("10000000000000000000"), HasSubstr("out of the int64 range"));
  EXPECT_THAT(number_error("-0009223372036854775809"), HasSubstr("out of the int64 range"));
  // Not an integer wins over out of range.
  EXPECT_THAT(number_error("99999999999999999999.5"), HasSubstr("not an integer"));
  EXPECT_THAT(number_error("1.5"), HasSubstr("not an integer: \"1.5\""));
  EXPECT_THAT(number_error("1e3"), HasSubstr("not an integer: \"1e3\""));
  EXPECT_THAT(number_error("1.0"), HasSubstr("not an integer"));
  EXPECT_THAT(number_error("-5E0"), HasSubstr("not an integer"));
}

TEST(AttributeValueTest, DefaultIsNullAndAccessorsCheckTheType) {
  AttributeValue v;
  EXPECT_TRUE(v.is_null());
  EXPECT_EQ(v.type(), AttributeType::kNull);
  AttributeValue n = AttributeValue::of_int64(7);
  EXPECT_EQ(n.as_int64(), 7);
  try {
    n.as_string();
    FAIL() << "no error";
  } catch (const AttributeError& e) {
    EXPECT_STREQ(e.what(), "expected S, found N");
  }
  AttributeValue s = AttributeValue::of_string("x");
  EXPECT_THROW(s.as_binary(), AttributeError);
  EXPECT_THROW(AttributeValue::of_binary("x").as_string(), AttributeError);
  EXPECT_THROW(AttributeValue::of_string_set({"a"}).as_binary_set(), AttributeError);
  EXPECT_THROW(s.as_int64(), AttributeError);
}

TEST(AttributeValueTest, StringAndBinaryOfTheSameBytesDiffer) {
  EXPECT_NE(AttributeValue::of_string("ab"), AttributeValue::of_binary("ab"));
  EXPECT_NE(AttributeValue::of_string_set({"ab"}), AttributeValue::of_binary_set({"ab"}));
  EXPECT_EQ(AttributeValue::of_binary("ab"), AttributeValue::of_binary("ab"));
  EXPECT_EQ(type_name(AttributeValue::of_binary_set({}).type()), "BS");
}

TEST(AttributeMapTest, SetReplacesFindsAndErases) {
  AttributeMap m{{"pk", AttributeValue::of_string("a")}, {"n", AttributeValue::of_int64(1)}};
  m.set("n", AttributeValue::of_int64(2));
  m.set("z", AttributeValue::of_bool(true));
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m.at("n").as_int64(), 2);
  EXPECT_EQ(m.find("missing"), nullptr);
  EXPECT_THROW(m.at("missing"), AttributeError);
  EXPECT_TRUE(m.erase("pk"));
  EXPECT_FALSE(m.erase("pk"));
  EXPECT_FALSE(m.contains("pk"));
  std::vector<std::string> order;
  for (const auto& [name, value] : m) {
    order.push_back(name);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"n", "z"}));
}

TEST(AttributeMapTest, EqualityIgnoresOrder) {
  AttributeMap a{{"x", AttributeValue::of_int64(1)}, {"y", AttributeValue::of_string("s")}};
  AttributeMap b{{"y", AttributeValue::of_string("s")}, {"x", AttributeValue::of_int64(1)}};
  EXPECT_EQ(a, b);
  b.set("x", AttributeValue::of_int64(2));
  EXPECT_NE(a, b);
}

TEST(AttributeMapTest, FromEntriesRejectsRepeatedNames) {
  EXPECT_THROW(AttributeMap::from_entries({{"a", {}}, {"b", {}}, {"a", {}}}), AttributeError);
  std::vector<AttributeMap::Entry> many;
  for (int i = 0; i < 100; ++i) {
    many.emplace_back("k" + std::to_string(i), AttributeValue::of_int64(i));
  }
  EXPECT_EQ(AttributeMap::from_entries(many).size(), 100u);
  many.emplace_back("k42", AttributeValue());
  try {
    AttributeMap::from_entries(many);
    FAIL() << "no error";
  } catch (const AttributeError& e) {
    EXPECT_THAT(e.what(), HasSubstr("\"k42\" appears twice"));
  }
}

}  // namespace
}  // namespace zae::aws
