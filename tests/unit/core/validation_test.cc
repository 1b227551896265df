// SPDX-License-Identifier: MIT
#include "zae/validation.h"

#include <functional>
#include <string>
#include <typeinfo>

#include <gtest/gtest.h>

#include "zae/errors.h"

namespace zae {
namespace {

enum class Kind { kIdentifier, kLimitName, kResource };

void validate(Kind kind, std::string_view value, std::string_view field) {
  switch (kind) {
    case Kind::kIdentifier:
      validate_identifier(value, field);
      return;
    case Kind::kLimitName:
      validate_limit_name(value, field);
      return;
    case Kind::kResource:
      validate_resource(value, field);
      return;
  }
}

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::kIdentifier:
      return "Identifier";
    case Kind::kLimitName:
      return "LimitName";
    case Kind::kResource:
      return "Resource";
  }
  return "";
}

constexpr std::string_view kIdentifierPattern =
    "must start with a letter or digit and contain only letters, digits, '_', '.', '-', ':', '@'";
constexpr std::string_view kLimitNamePattern =
    "must start with a letter and contain only letters, digits, '_', '.', '-'";
constexpr std::string_view kResourcePattern =
    "must start with a letter and contain only letters, digits, '_', '.', '-', '/'";

struct RejectCase {
  std::string label;
  Kind kind;
  std::string value;
  std::string reason;
};

class ValidationRejectTest : public testing::TestWithParam<RejectCase> {};

// Each rule of V-1: the exact exception type, the field passed in, and the rule's reason.
TEST_P(ValidationRejectTest, ThrowsTypedErrorNamingTheRule) {
  const RejectCase& c = GetParam();
  try {
    validate(c.kind, c.value, "some_field");
    FAIL() << "accepted " << c.value;
  } catch (const ValidationError& e) {
    if (c.kind == Kind::kIdentifier) {
      EXPECT_EQ(typeid(e), typeid(InvalidIdentifierError));
    } else {
      EXPECT_EQ(typeid(e), typeid(InvalidNameError));
    }
    EXPECT_EQ(e.field(), "some_field");
    EXPECT_EQ(e.reason(), c.reason);
    EXPECT_EQ(std::string(e.what()), "Invalid some_field: " + c.reason);
  }
}

const std::string kCannotBeEmpty = "cannot be empty";
const std::string kHash = "cannot contain '#' (reserved delimiter)";

INSTANTIATE_TEST_SUITE_P(
    Rules, ValidationRejectTest,
    testing::Values(
        // Empty.
        RejectCase{"IdentifierEmpty", Kind::kIdentifier, "", kCannotBeEmpty},
        RejectCase{"LimitNameEmpty", Kind::kLimitName, "", kCannotBeEmpty},
        RejectCase{"ResourceEmpty", Kind::kResource, "", kCannotBeEmpty},
        // Too long: 257 / 65 characters.
        RejectCase{"IdentifierTooLong", Kind::kIdentifier, std::string(257, 'a'),
                   "exceeds maximum length of 256"},
        RejectCase{"LimitNameTooLong", Kind::kLimitName, std::string(65, 'a'),
                   "exceeds maximum length of 64"},
        RejectCase{"ResourceTooLong", Kind::kResource, std::string(65, 'a'),
                   "exceeds maximum length of 64"},
        // Length is checked before '#' and the pattern.
        RejectCase{"LengthBeforeHash", Kind::kLimitName, std::string(64, 'a') + "#",
                   "exceeds maximum length of 64"},
        // '#'.
        RejectCase{"IdentifierHash", Kind::kIdentifier, "user#1", kHash},
        RejectCase{"LimitNameHash", Kind::kLimitName, "my#lim", kHash},
        RejectCase{"ResourceHash", Kind::kResource, "gpt#4", kHash},
        // '#' is reported before the pattern even when both fail.
        RejectCase{"HashBeforePattern", Kind::kIdentifier, "$bad#", kHash},
        RejectCase{"HashBeforeReserved", Kind::kLimitName, "#wcu", kHash},
        // Reserved limit name (before the pattern; only for limit names).
        RejectCase{"LimitNameReserved", Kind::kLimitName, "wcu", "'wcu' is a reserved limit name"},
        // Pattern: first character.
        RejectCase{"IdentifierFirstUnderscore", Kind::kIdentifier, "_abc",
                   std::string(kIdentifierPattern)},
        RejectCase{"IdentifierDollar", Kind::kIdentifier, "$SYSTEM",
                   std::string(kIdentifierPattern)},
        RejectCase{"LimitNameFirstDigit", Kind::kLimitName, "1rpm", std::string(kLimitNamePattern)},
        RejectCase{"ResourceFirstDigit", Kind::kResource, "4o", std::string(kResourcePattern)},
        RejectCase{"ResourceDefaultIsNotValid", Kind::kResource, "_default_",
                   std::string(kResourcePattern)},
        // Pattern: later characters.
        RejectCase{"IdentifierSpace", Kind::kIdentifier, "user 1", std::string(kIdentifierPattern)},
        RejectCase{"IdentifierSlash", Kind::kIdentifier, "org/user",
                   std::string(kIdentifierPattern)},
        RejectCase{"LimitNameColon", Kind::kLimitName, "rpm:x", std::string(kLimitNamePattern)},
        RejectCase{"LimitNameSlash", Kind::kLimitName, "rpm/x", std::string(kLimitNamePattern)},
        RejectCase{"LimitNameAt", Kind::kLimitName, "rpm@x", std::string(kLimitNamePattern)},
        RejectCase{"ResourceColon", Kind::kResource, "gpt:4", std::string(kResourcePattern)},
        RejectCase{"ResourceNonAscii", Kind::kResource, "caf\xc3\xa9",
                   std::string(kResourcePattern)},
        RejectCase{"IdentifierNul", Kind::kIdentifier, std::string("a\0b", 3),
                   std::string(kIdentifierPattern)},
        // OQ-31: full-string match, a trailing newline is rejected (the original accepts it).
        RejectCase{"IdentifierTrailingNewline", Kind::kIdentifier, "user\n",
                   std::string(kIdentifierPattern)},
        RejectCase{"LimitNameTrailingNewline", Kind::kLimitName, "rpm\n",
                   std::string(kLimitNamePattern)},
        RejectCase{"ResourceTrailingNewline", Kind::kResource, "gpt-4\n",
                   std::string(kResourcePattern)},
        RejectCase{"WcuWithNewlineIsPattern", Kind::kLimitName, "wcu\n",
                   std::string(kLimitNamePattern)}),
    [](const testing::TestParamInfo<RejectCase>& info) { return info.param.label; });

struct AcceptCase {
  Kind kind;
  std::string value;
};

class ValidationAcceptTest : public testing::TestWithParam<AcceptCase> {};

TEST_P(ValidationAcceptTest, Accepts) {
  const AcceptCase& c = GetParam();
  EXPECT_NO_THROW(validate(c.kind, c.value, "f")) << kind_name(c.kind) << " " << c.value;
}

INSTANTIATE_TEST_SUITE_P(
    Valid, ValidationAcceptTest,
    testing::Values(
        AcceptCase{Kind::kIdentifier, "a"}, AcceptCase{Kind::kIdentifier, "7"},
        AcceptCase{Kind::kIdentifier, "user-123"},
        AcceptCase{Kind::kIdentifier, "proj_1.team:alice@example.com"},
        AcceptCase{Kind::kIdentifier, "0abc-"},
        AcceptCase{Kind::kIdentifier, std::string(256, 'z')}, AcceptCase{Kind::kLimitName, "rpm"},
        AcceptCase{Kind::kLimitName, "R"}, AcceptCase{Kind::kLimitName, "tokens_per.min-2"},
        // Only the exact lower-case "wcu" is reserved.
        AcceptCase{Kind::kLimitName, "WCU"}, AcceptCase{Kind::kLimitName, "wcu2"},
        AcceptCase{Kind::kLimitName, std::string(64, 'x')}, AcceptCase{Kind::kResource, "gpt-4"},
        AcceptCase{Kind::kResource, "openai/gpt-4.1_mini"}, AcceptCase{Kind::kResource, "wcu"},
        AcceptCase{Kind::kResource, "a/"}, AcceptCase{Kind::kResource, std::string(64, 'r')}));

TEST(ValidationTest, DefaultFieldNames) {
  try {
    validate_limit_name("");
    FAIL();
  } catch (const InvalidNameError& e) {
    EXPECT_EQ(e.field(), "name");
  }
  try {
    validate_resource("");
    FAIL();
  } catch (const InvalidNameError& e) {
    EXPECT_EQ(e.field(), "resource");
  }
}

TEST(ValidationTest, ValueIsTruncatedInTheError) {
  try {
    validate_identifier(std::string(300, 'a'), "entity_id");
    FAIL();
  } catch (const InvalidIdentifierError& e) {
    EXPECT_EQ(e.value(), std::string(50, 'a') + "...");
  }
}

TEST(ValidationTest, CatchableThroughTheHierarchy) {
  EXPECT_THROW(validate_identifier("", "entity_id"), ValidationError);
  EXPECT_THROW(validate_identifier("", "entity_id"), ZaeLimiterError);
  EXPECT_THROW(validate_limit_name("wcu"), std::runtime_error);
}

}  // namespace
}  // namespace zae
