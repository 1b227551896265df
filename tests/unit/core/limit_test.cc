// SPDX-License-Identifier: MIT
#include "zae/limit.h"

#include <cstdint>
#include <string>
#include <typeinfo>

#include <gtest/gtest.h>

#include "zae/errors.h"

namespace zae {
namespace {

// Runs `f`, which must throw exactly `E`, and returns the exception for payload checks.
template <typename E, typename F>
E expect_throws(F&& f) {
  try {
    f();
  } catch (const E& e) {
    EXPECT_EQ(typeid(e), typeid(E)) << "threw a subclass: " << e.what();
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw another type: " << typeid(e).name() << ": " << e.what();
    throw;
  }
  ADD_FAILURE() << "did not throw";
  throw std::logic_error("did not throw");
}

struct Fields {
  std::string name;
  std::int64_t capacity;
  std::int64_t refill_amount;
  std::int64_t refill_period_seconds;
};

void expect_fields(const Limit& limit, const Fields& f) {
  EXPECT_EQ(limit.name(), f.name);
  EXPECT_EQ(limit.capacity(), f.capacity);
  EXPECT_EQ(limit.refill_amount(), f.refill_amount);
  EXPECT_EQ(limit.refill_period_seconds(), f.refill_period_seconds);
}

// ---- construction and factories (spec/behavior.md §2.1, §2.2) ------------------------------

TEST(LimitTest, FactoriesSetPeriodAndDefaultBurstToRate) {
  expect_fields(Limit::per_second("rps", 10), {"rps", 10, 10, 1});
  expect_fields(Limit::per_minute("rpm", 100), {"rpm", 100, 100, 60});
  expect_fields(Limit::per_hour("rph", 1000), {"rph", 1000, 1000, 3600});
  expect_fields(Limit::per_day("rpd", 5), {"rpd", 5, 5, 86400});
  expect_fields(Limit::custom("x", 1000, 10, 60), {"x", 1000, 10, 60});
}

TEST(LimitTest, BurstIsTheCeiling) {
  expect_fields(Limit::per_minute("tpm", 10000, 15000), {"tpm", 15000, 10000, 60});
  expect_fields(Limit::per_hour("tph", 1, 7), {"tph", 7, 1, 3600});
}

TEST(LimitTest, L8BurstBelowRateIsAccepted) {
  expect_fields(Limit::per_second("x", 10, 5), {"x", 5, 10, 1});
}

TEST(LimitTest, L8ZeroBurstFailsCapacity) {
  const auto e = expect_throws<ValidationError>([] { Limit::per_second("x", 10, 0); });
  EXPECT_EQ(e.field(), "capacity");
}

TEST(LimitTest, L5RefillRateIsTokensPerSecond) {
  EXPECT_DOUBLE_EQ(Limit::per_minute("rpm", 120).refill_rate(), 2.0);
  EXPECT_DOUBLE_EQ(Limit::per_second("rps", 3).refill_rate(), 3.0);
}

TEST(LimitTest, EqualityIsFieldWise) {
  EXPECT_EQ(Limit::per_minute("rpm", 100), Limit::custom("rpm", 100, 100, 60));
  EXPECT_NE(Limit::per_minute("rpm", 100), Limit::per_minute("rpm", 100, 101));
  EXPECT_NE(Limit::per_minute("rpm", 100), Limit::per_minute("tpm", 100));
}

TEST(LimitTest, L1InvalidNameIsInvalidNameError) {
  const auto e = expect_throws<InvalidNameError>([] { Limit::per_minute("1rpm", 100); });
  EXPECT_EQ(e.field(), "name");
  EXPECT_EQ(e.value(), "1rpm");
}

TEST(LimitTest, L1ReservedName) {
  const auto e = expect_throws<InvalidNameError>([] { Limit::per_minute("wcu", 100); });
  EXPECT_EQ(e.reason(), "'wcu' is a reserved limit name");
}

struct RangeCase {
  std::string label;
  std::int64_t capacity;
  std::int64_t refill_amount;
  std::int64_t period;
  std::string field;
  std::string reason;
};

class LimitRangeTest : public testing::TestWithParam<RangeCase> {};

TEST_P(LimitRangeTest, ReportsFirstFailingFieldInOrder) {
  const RangeCase& c = GetParam();
  const auto e =
      expect_throws<ValidationError>([&] { Limit("rpm", c.capacity, c.refill_amount, c.period); });
  EXPECT_EQ(e.field(), c.field);
  EXPECT_EQ(e.reason(), c.reason);
  EXPECT_EQ(std::string(e.what()), "Invalid " + c.field + ": " + c.reason);
}

INSTANTIATE_TEST_SUITE_P(
    L2ToL4, LimitRangeTest,
    testing::Values(RangeCase{"CapacityZero", 0, 1, 1, "capacity", "must be positive"},
                    RangeCase{"CapacityNegative", -5, 1, 1, "capacity", "must be positive"},
                    RangeCase{"CapacityBeforeRefill", 0, 0, 0, "capacity", "must be positive"},
                    RangeCase{"RefillZero", 1, 0, 1, "refill_amount", "must be positive"},
                    RangeCase{"RefillBeforePeriod", 1, -1, 0, "refill_amount", "must be positive"},
                    RangeCase{"PeriodZero", 1, 1, 0, "refill_period_seconds", "must be positive"},
                    RangeCase{"CapacityTooLarge", kMaxLimitTokens + 1, 1, 1, "capacity",
                              "must be at most 1,000,000,000,000,000"},
                    RangeCase{"RefillTooLarge", 1, kMaxLimitTokens + 1, 1, "refill_amount",
                              "must be at most 1,000,000,000,000,000"},
                    RangeCase{"PeriodTooLarge", 1, 1, kMaxRefillPeriodSeconds + 1,
                              "refill_period_seconds", "must be at most 316,224,000"}),
    [](const testing::TestParamInfo<RangeCase>& info) { return info.param.label; });

TEST(LimitTest, NameIsCheckedBeforeNumbers) {
  const auto e = expect_throws<InvalidNameError>([] { Limit("", 0, 0, 0); });
  EXPECT_EQ(e.field(), "name");
}

TEST(LimitTest, MaximaAreAccepted) {
  expect_fields(Limit("x", kMaxLimitTokens, kMaxLimitTokens, kMaxRefillPeriodSeconds),
                {"x", kMaxLimitTokens, kMaxLimitTokens, kMaxRefillPeriodSeconds});
}

// ---- parse (spec/cli.md §13.1) ---------------------------------------------------------------

struct ParseCase {
  std::string spec;
  Fields expected;
};

class LimitParseTest : public testing::TestWithParam<ParseCase> {};

TEST_P(LimitParseTest, ParsesSpec) {
  const ParseCase& c = GetParam();
  expect_fields(Limit::parse(c.spec), c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    CliExamples, LimitParseTest,
    testing::Values(ParseCase{"tpm:10000", {"tpm", 10000, 10000, 60}},
                    ParseCase{"tpm:10000:15000", {"tpm", 15000, 10000, 60}},
                    ParseCase{"rps:50/sec", {"rps", 50, 50, 1}},
                    ParseCase{"tph:100000/hour", {"tph", 100000, 100000, 3600}},
                    ParseCase{"rpd:1000000/day", {"rpd", 1000000, 1000000, 86400}},
                    ParseCase{"rpm:100/5min", {"rpm", 100, 100, 300}},
                    ParseCase{"tph:100000/hour:150000", {"tph", 150000, 100000, 3600}}));

INSTANTIATE_TEST_SUITE_P(
    MoreForms, LimitParseTest,
    testing::Values(
        // Leading zeros in the multiple.
        ParseCase{"rpm:100/05min", {"rpm", 100, 100, 300}},
        ParseCase{"rpm:100/1min", {"rpm", 100, 100, 60}}, ParseCase{"x:7/90sec", {"x", 7, 7, 90}},
        ParseCase{"x:7/2day", {"x", 7, 7, 172800}},
        // Burst below the rate (L-8), leading zeros and a '+' sign in values.
        ParseCase{"x:10:5", {"x", 5, 10, 60}}, ParseCase{"x:010:+5", {"x", 5, 10, 60}},
        // Parts after the burst are ignored.
        ParseCase{"a:1:2:3", {"a", 2, 1, 60}}, ParseCase{"a:1:2:", {"a", 2, 1, 60}}));

TEST(LimitParseTest, ExtraPartsAreIgnored) {
  EXPECT_EQ(Limit::parse("a:1:2:3"), Limit::parse("a:1:2"));
}

// A grammar error: ValidationError (not a subclass), field "limit", value the spec.
ValidationError expect_grammar_error(const std::string& spec) {
  auto e = expect_throws<ValidationError>([&] { Limit::parse(spec); });
  EXPECT_EQ(e.field(), "limit");
  EXPECT_EQ(e.value(), spec);
  EXPECT_EQ(std::string(e.what()), "Invalid limit: " + e.reason());
  return e;
}

TEST(LimitParseTest, InvalidFormat) {
  EXPECT_EQ(expect_grammar_error("invalid").reason(),
            "Invalid limit format: invalid. Expected 'name:rate[/period]' or "
            "'name:rate[/period]:burst'");
  EXPECT_EQ(expect_grammar_error("").reason(),
            "Invalid limit format: . Expected 'name:rate[/period]' or "
            "'name:rate[/period]:burst'");
}

TEST(LimitParseTest, InvalidPeriod) {
  EXPECT_EQ(expect_grammar_error("rpm:100/week").reason(),
            "Invalid period: '/week'. Use /[N]sec, /[N]min, /[N]hour, or /[N]day");
  EXPECT_EQ(expect_grammar_error("rpm:100/").reason(),
            "Invalid period: '/'. Use /[N]sec, /[N]min, /[N]hour, or /[N]day");
  EXPECT_EQ(expect_grammar_error("rpm:100/5/min").reason(),
            "Invalid period: '/5/min'. Use /[N]sec, /[N]min, /[N]hour, or /[N]day");
  // Exact lower-case units, no aliases, no sign or spaces.
  for (const char* spec : {"rpm:100/Min", "rpm:100/minute", "rpm:100/s", "rpm:100/-5min",
                           "rpm:100/5 min", "rpm:100/min\n"}) {
    SCOPED_TRACE(spec);
    EXPECT_NE(expect_grammar_error(spec).reason().find("Invalid period"), std::string::npos);
  }
}

TEST(LimitParseTest, InvalidValues) {
  EXPECT_EQ(expect_grammar_error("tpm:abc").reason(),
            "Invalid limit values in 'tpm:abc': invalid literal for int() with base 10: 'abc'");
  // Empty burst and empty rate fail at the value step.
  EXPECT_EQ(expect_grammar_error("rpm:100:").reason(),
            "Invalid limit values in 'rpm:100:': invalid literal for int() with base 10: ''");
  EXPECT_NE(expect_grammar_error("rpm:").reason().find("with base 10: ''"), std::string::npos);
  EXPECT_NE(expect_grammar_error("rpm:/min").reason().find("with base 10: ''"), std::string::npos);
  // Only plain decimal integers: no spaces, '_' separators, decimals, hex or bare signs.
  for (const char* spec :
       {"rpm: 100", "rpm:100 ", "rpm:1_000", "rpm:1.5", "rpm:0x10", "rpm:-", "rpm:100:1e3"}) {
    SCOPED_TRACE(spec);
    EXPECT_NE(expect_grammar_error(spec).reason().find("invalid literal"), std::string::npos);
  }
}

TEST(LimitParseTest, ValuesAreCheckedBeforePeriod) {
  EXPECT_NE(expect_grammar_error("rpm:abc/week").reason().find("invalid literal"),
            std::string::npos);
  EXPECT_NE(expect_grammar_error("rpm:100/week:").reason().find("invalid literal"),
            std::string::npos);
}

TEST(LimitParseTest, OverflowIsRejected) {
  EXPECT_EQ(expect_grammar_error("rpm:99999999999999999999").reason(),
            "Invalid limit values in 'rpm:99999999999999999999': integer out of range: "
            "'99999999999999999999'");
  EXPECT_NE(expect_grammar_error("rpm:1:9223372036854775808").reason().find("out of range"),
            std::string::npos);
  EXPECT_NE(expect_grammar_error("rpm:-9223372036854775809").reason().find("out of range"),
            std::string::npos);
}

TEST(LimitParseTest, LargeButRepresentableValuesReachTheMaxima) {
  auto e = expect_throws<ValidationError>([] { Limit::parse("rpm:9223372036854775807"); });
  EXPECT_EQ(e.field(), "capacity");
  e = expect_throws<ValidationError>([] { Limit::parse("rpm:1/99999999999999999999999day"); });
  EXPECT_EQ(e.field(), "refill_period_seconds");
  EXPECT_EQ(e.reason(), "must be at most 316,224,000");
  e = expect_throws<ValidationError>([] { Limit::parse("rpm:1/3661day"); });
  EXPECT_EQ(e.field(), "refill_period_seconds");
  expect_fields(Limit::parse("rpm:1/3660day"), {"rpm", 1, 1, kMaxRefillPeriodSeconds});
}

TEST(LimitParseTest, ModelValidationComesFromTheConstructor) {
  auto e = expect_throws<ValidationError>([] { Limit::parse("rpm:0"); });
  EXPECT_EQ(e.field(), "capacity");
  EXPECT_EQ(e.reason(), "must be positive");
  e = expect_throws<ValidationError>([] { Limit::parse("rpm:-5"); });
  EXPECT_EQ(e.field(), "capacity");
  e = expect_throws<ValidationError>([] { Limit::parse("rpm:10:0"); });
  EXPECT_EQ(e.field(), "capacity");
  e = expect_throws<ValidationError>([] { Limit::parse("rpm:0:10"); });
  EXPECT_EQ(e.field(), "refill_amount");
  e = expect_throws<ValidationError>([] { Limit::parse("rpm:10/0min"); });
  EXPECT_EQ(e.field(), "refill_period_seconds");

  auto n = expect_throws<InvalidNameError>([] { Limit::parse("wcu:5"); });
  EXPECT_EQ(n.field(), "name");
  EXPECT_EQ(n.reason(), "'wcu' is a reserved limit name");
  n = expect_throws<InvalidNameError>([] { Limit::parse(":100"); });
  EXPECT_EQ(n.reason(), "cannot be empty");
  n = expect_throws<InvalidNameError>([] { Limit::parse("my#lim:5"); });
  EXPECT_EQ(n.reason(), "cannot contain '#' (reserved delimiter)");
}

// ---- to_string (spec/cli.md §13.3) -----------------------------------------------------------

TEST(LimitToStringTest, PinnedExamples) {
  EXPECT_EQ(Limit::per_minute("tpm", 10000).to_string(), "tpm: 10,000/min");
  EXPECT_EQ(Limit::per_minute("tpm", 1000000).to_string(), "tpm: 1,000,000/min");
  EXPECT_EQ(Limit::per_minute("tpm", 10000, 15000).to_string(), "tpm: 10,000/min (burst: 15,000)");
  EXPECT_EQ(Limit::per_second("rps", 50).to_string(), "rps: 50/sec");
  EXPECT_EQ(Limit::per_hour("tph", 100000).to_string(), "tph: 100,000/hour");
  EXPECT_EQ(Limit::per_day("rpd", 1000000).to_string(), "rpd: 1,000,000/day");
  EXPECT_EQ(Limit::custom("rpm", 100, 100, 300).to_string(), "rpm: 100/5min");
}

TEST(LimitToStringTest, LargestDividingUnit) {
  const auto period = [](std::int64_t seconds) {
    return Limit::custom("x", 1, 1, seconds).to_string();
  };
  EXPECT_EQ(period(60), "x: 1/min");
  EXPECT_EQ(period(300), "x: 1/5min");
  EXPECT_EQ(period(3600), "x: 1/hour");
  EXPECT_EQ(period(7200), "x: 1/2hour");
  EXPECT_EQ(period(90), "x: 1/90sec");
  EXPECT_EQ(period(1), "x: 1/sec");
  EXPECT_EQ(period(604800), "x: 1/7day");
  EXPECT_EQ(period(5400), "x: 1/90min");
}

TEST(LimitToStringTest, ThousandsSeparators) {
  const auto amount = [](std::int64_t n) { return Limit::per_second("x", n).to_string(); };
  EXPECT_EQ(amount(1), "x: 1/sec");
  EXPECT_EQ(amount(999), "x: 999/sec");
  EXPECT_EQ(amount(1000), "x: 1,000/sec");
  EXPECT_EQ(amount(123456), "x: 123,456/sec");
  EXPECT_EQ(amount(1234567), "x: 1,234,567/sec");
  EXPECT_EQ(amount(kMaxLimitTokens), "x: 1,000,000,000,000,000/sec");
  EXPECT_EQ(Limit::per_second("x", 10, 5).to_string(), "x: 10/sec (burst: 5)");
}

}  // namespace
}  // namespace zae
