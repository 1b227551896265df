// SPDX-License-Identifier: MIT
#include "core/time_format.h"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "zae/errors.h"

namespace zae::core {
namespace {

struct TimeCase {
  std::int64_t seconds;
  std::string text;
};

class UtcFormatTest : public testing::TestWithParam<TimeCase> {};

TEST_P(UtcFormatTest, FormatsAndParsesBack) {
  const TimeCase& c = GetParam();
  EXPECT_EQ(format_utc_seconds(c.seconds), c.text);
  EXPECT_EQ(parse_utc_seconds(c.text), c.seconds);
}

INSTANTIATE_TEST_SUITE_P(
    Instants, UtcFormatTest,
    testing::Values(TimeCase{0, "1970-01-01T00:00:00Z"}, TimeCase{-1, "1969-12-31T23:59:59Z"},
                    TimeCase{86399, "1970-01-01T23:59:59Z"},
                    TimeCase{951782400, "2000-02-29T00:00:00Z"},  // leap day of a 400-year
                    TimeCase{951868800, "2000-03-01T00:00:00Z"},
                    TimeCase{1709210096, "2024-02-29T12:34:56Z"},  // leap day
                    TimeCase{1709251199, "2024-02-29T23:59:59Z"},
                    TimeCase{1700000000, "2023-11-14T22:13:20Z"},
                    TimeCase{4107542399, "2100-02-28T23:59:59Z"},
                    TimeCase{4107542400, "2100-03-01T00:00:00Z"},  // 2100 is not a leap year
                    TimeCase{-62135596800, "0001-01-01T00:00:00Z"},
                    TimeCase{253402300799, "9999-12-31T23:59:59Z"}));

TEST(UtcFormatTest, YearsOutsideFourDigitsStillFormat) {
  EXPECT_EQ(format_utc_seconds(253402300800), "10000-01-01T00:00:00Z");
  EXPECT_EQ(format_utc_seconds(-62167219201), "-0001-12-31T23:59:59Z");
}

TEST(UtcParseTest, RejectsMalformedInput) {
  for (const char* text :
       {"", "2024-02-29", "2024-02-29T12:34:56", "2024-02-29T12:34:56z", "2024-02-29 12:34:56Z",
        "2024-02-29T12:34:56.000Z", "2024-02-29T12:34:56+00:00", "24-02-29T12:34:56Z",
        "2024-2-29T12:34:56Z", "2024-02-29T12:34:5aZ", "+024-02-29T12:34:56Z",
        "2024-02-29T12:34:56Z\n", " 2024-02-29T12:34:56Z"}) {
    SCOPED_TRACE(text);
    try {
      parse_utc_seconds(text, "created_at");
      ADD_FAILURE() << "accepted";
    } catch (const ValidationError& e) {
      EXPECT_EQ(e.field(), "created_at");
      EXPECT_EQ(e.reason(), "must be a UTC timestamp 'YYYY-MM-DDTHH:MM:SSZ'");
    }
  }
}

TEST(UtcParseTest, RejectsOutOfRangeFields) {
  for (const char* text :
       {"2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2024-13-01T00:00:00Z",
        "2024-00-10T00:00:00Z", "2024-04-31T00:00:00Z", "2024-01-00T00:00:00Z",
        "2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:60Z"}) {
    SCOPED_TRACE(text);
    try {
      parse_utc_seconds(text);
      ADD_FAILURE() << "accepted";
    } catch (const ValidationError& e) {
      EXPECT_EQ(e.field(), "timestamp");
      EXPECT_EQ(e.reason(), "date or time field out of range");
    }
  }
}

TEST(CivilDaysTest, KnownDays) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  const CivilDate leap = civil_from_days(11016);
  EXPECT_EQ(leap.year, 2000);
  EXPECT_EQ(leap.month, 2u);
  EXPECT_EQ(leap.day, 29u);
}

// Every second from year 1 to 9999 formats to a string that parses back to itself.
RC_GTEST_PROP(UtcFormatProperty, RoundTrips, ()) {
  const auto seconds = *rc::gen::inRange<std::int64_t>(-62135596800, 253402300800);
  const std::string text = format_utc_seconds(seconds);
  RC_ASSERT(text.size() == 20u);
  RC_ASSERT(parse_utc_seconds(text) == seconds);
}

RC_GTEST_PROP(CivilDaysProperty, DaysRoundTrip, ()) {
  const auto days = *rc::gen::inRange<std::int64_t>(-100'000'000, 100'000'000);
  const CivilDate d = civil_from_days(days);
  RC_ASSERT(d.month >= 1u && d.month <= 12u && d.day >= 1u && d.day <= 31u);
  RC_ASSERT(days_from_civil(d.year, d.month, d.day) == days);
}

}  // namespace
}  // namespace zae::core
