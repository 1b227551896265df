// SPDX-License-Identifier: MIT
#include "zae/errors.h"

#include <chrono>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

namespace zae {
namespace {

using std::chrono::milliseconds;

LimitStatus status(std::string name, const Limit& limit, std::int64_t available,
                   std::int64_t requested, bool exceeded, std::int64_t retry_ms) {
  return LimitStatus{.entity_id = "user-1",
                     .resource = "gpt-4",
                     .limit_name = std::move(name),
                     .limit = limit,
                     .available = available,
                     .requested = requested,
                     .exceeded = exceeded,
                     .retry_after = milliseconds(retry_ms)};
}

const Limit kRpm = Limit::per_minute("rpm", 100);
const Limit kTpm = Limit::per_minute("tpm", 10000);

std::vector<std::string> names(const std::vector<LimitStatus>& statuses) {
  std::vector<std::string> out;
  for (const LimitStatus& s : statuses) {
    out.push_back(s.limit_name);
  }
  return out;
}

// ---- hierarchy (spec/behavior.md §5.3) -------------------------------------------------------

static_assert(std::is_base_of_v<std::runtime_error, ZaeLimiterError>);
static_assert(std::is_base_of_v<RateLimitError, RateLimitExceeded>);
static_assert(std::is_base_of_v<RateLimitError, LeaseExpiredError>);
static_assert(std::is_base_of_v<InfrastructureError, RateLimiterUnavailable>);
// EX-5: an outage is not a "too fast" condition.
static_assert(!std::is_base_of_v<RateLimitError, RateLimiterUnavailable>);
static_assert(std::is_base_of_v<VersionError, VersionMismatchError>);
static_assert(std::is_base_of_v<VersionError, IncompatibleSchemaError>);
static_assert(std::is_base_of_v<ValidationError, InvalidIdentifierError>);
static_assert(std::is_base_of_v<ValidationError, InvalidNameError>);
static_assert(std::is_base_of_v<ZaeLimiterError, ValidationError>);

// ---- LimitStatus (§5.1) ----------------------------------------------------------------------

TEST(LimitStatusTest, DeficitIsNeverNegative) {
  EXPECT_EQ(status("rpm", kRpm, 3, 5, true, 1).deficit(), 2);
  EXPECT_EQ(status("rpm", kRpm, -2, 1, true, 1).deficit(), 3);
  EXPECT_EQ(status("rpm", kRpm, 10, 5, false, 0).deficit(), 0);
}

TEST(LimitStatusTest, RetryAfterSeconds) {
  EXPECT_DOUBLE_EQ(status("rpm", kRpm, 0, 1, true, 598).retry_after_seconds(), 0.598);
}

// ---- RateLimitExceeded (§5.2) ----------------------------------------------------------------

TEST(RateLimitExceededTest, RLE1RequiresAViolation) {
  EXPECT_THROW(RateLimitExceeded({}), std::invalid_argument);
  EXPECT_THROW(RateLimitExceeded({status("rpm", kRpm, 10, 1, false, 0)}), std::invalid_argument);
}

TEST(RateLimitExceededTest, RLE1SplitsViolationsAndPassedInOrder) {
  const RateLimitExceeded e({status("a", kRpm, 10, 1, false, 0), status("b", kRpm, 0, 1, true, 5),
                             status("c", kRpm, 10, 1, false, 0), status("d", kRpm, 0, 1, true, 7)});
  EXPECT_EQ(e.statuses().size(), 4u);
  EXPECT_EQ(names(e.violations()), (std::vector<std::string>{"b", "d"}));
  EXPECT_EQ(names(e.passed()), (std::vector<std::string>{"a", "c"}));
}

TEST(RateLimitExceededTest, RLE2PrimaryHasLongestRetryFirstWinsTies) {
  const RateLimitExceeded longest({status("a", kRpm, 0, 1, true, 5),
                                   status("b", kRpm, 0, 1, true, 900),
                                   status("c", kRpm, 0, 1, true, 20)});
  EXPECT_EQ(longest.primary_violation().limit_name, "b");
  EXPECT_EQ(longest.retry_after(), milliseconds(900));
  EXPECT_DOUBLE_EQ(longest.retry_after_seconds(), 0.9);

  const RateLimitExceeded tie({status("a", kRpm, 10, 1, false, 0),
                               status("b", kRpm, 0, 1, true, 50),
                               status("c", kRpm, 0, 1, true, 50)});
  EXPECT_EQ(tie.primary_violation().limit_name, "b");
}

TEST(RateLimitExceededTest, RLE3Message) {
  const RateLimitExceeded e(
      {status("rpm", kRpm, 0, 1, true, 60001), status("tpm", kTpm, 0, 500, true, 1500)});
  EXPECT_STREQ(e.what(), "Rate limit exceeded for user-1/gpt-4: [rpm, tpm]. Retry after 60.0s");
}

TEST(RateLimitExceededTest, RLE3MessageRoundsToOneDecimal) {
  const auto message = [](std::int64_t ms) {
    return std::string(RateLimitExceeded({status("rpm", kRpm, 0, 1, true, ms)}).what());
  };
  EXPECT_EQ(message(598), "Rate limit exceeded for user-1/gpt-4: [rpm]. Retry after 0.6s");
  EXPECT_EQ(message(1001), "Rate limit exceeded for user-1/gpt-4: [rpm]. Retry after 1.0s");
  EXPECT_EQ(message(16), "Rate limit exceeded for user-1/gpt-4: [rpm]. Retry after 0.0s");
  EXPECT_EQ(message(1250), "Rate limit exceeded for user-1/gpt-4: [rpm]. Retry after 1.2s");
}

TEST(RateLimitExceededTest, RLE3MessageNamesPrimaryEntityAndOnlyViolations) {
  LimitStatus parent = status("tpm", kTpm, 0, 500, true, 9000);
  parent.entity_id = "org-1";
  parent.resource = "gpt-4o";
  const RateLimitExceeded e(
      {status("rpm", kRpm, 50, 1, false, 0), status("tpm", kTpm, 0, 500, true, 10), parent});
  EXPECT_STREQ(e.what(), "Rate limit exceeded for org-1/gpt-4o: [tpm, tpm]. Retry after 9.0s");
}

TEST(RateLimitExceededTest, RLE5RetryAfterHeader) {
  const auto header = [](std::int64_t ms) {
    return RateLimitExceeded({status("rpm", kRpm, 0, 1, true, ms)}).retry_after_header();
  };
  EXPECT_EQ(header(60001), "61");  // E3
  EXPECT_EQ(header(1001), "2");    // E7
  EXPECT_EQ(header(999), "1");
  EXPECT_EQ(header(1000), "2");
  EXPECT_EQ(header(0), "1");
}

TEST(RateLimitExceededTest, RLE4JsonShape) {
  const RateLimitExceeded e(
      {status("rpm", kRpm, 99, 1, false, 0), status("tpm", kTpm, 10000, 20000, true, 60001)});
  EXPECT_EQ(e.to_json(),
            R"({"error":"rate_limit_exceeded",)"
            R"("message":"Rate limit exceeded for user-1/gpt-4: [tpm]. Retry after 60.0s",)"
            R"("retry_after_seconds":60.001,"retry_after_ms":60001,"limits":[)"
            R"({"entity_id":"user-1","resource":"gpt-4","limit_name":"rpm","capacity":100,)"
            R"("refill_amount":100,"refill_period_seconds":60,"available":99,"requested":1,)"
            R"("exceeded":false,"retry_after_seconds":0.0},)"
            R"({"entity_id":"user-1","resource":"gpt-4","limit_name":"tpm","capacity":10000,)"
            R"("refill_amount":10000,"refill_period_seconds":60,"available":10000,)"
            R"("requested":20000,"exceeded":true,"retry_after_seconds":60.001}]})");
}

TEST(RateLimitExceededTest, OQ39RetryAfterMsIsExactInteger) {
  // E7: the original's int(1.001 × 1000.0) gives 1000; the port reports 1001.
  const RateLimitExceeded e({status("rps", Limit::per_second("rps", 1), 0, 1, true, 1001)});
  EXPECT_NE(e.to_json().find(R"("retry_after_seconds":1.001,"retry_after_ms":1001,)"),
            std::string::npos);
}

TEST(RateLimitExceededTest, JsonEscapesIdentifiersInMessage) {
  LimitStatus s = status("rpm", kRpm, 0, 1, true, 5);
  s.entity_id = "a\"b";
  const RateLimitExceeded e({s});
  EXPECT_NE(e.to_json().find(R"("entity_id":"a\"b")"), std::string::npos);
}

TEST(RateLimitExceededTest, CatchableAsRateLimitError) {
  try {
    throw RateLimitExceeded({status("rpm", kRpm, 0, 1, true, 5)});
  } catch (const RateLimitError& e) {
    SUCCEED();
  }
}

// ---- other errors ----------------------------------------------------------------------------

TEST(RateLimiterUnavailableTest, EX1MessageListsNonEmptyContext) {
  const RateLimiterUnavailable all("connection refused", "zae-prod", "user-1", "gpt-4");
  EXPECT_STREQ(all.what(), "connection refused [stack=zae-prod, entity=user-1, resource=gpt-4]");
  EXPECT_EQ(all.cause(), "connection refused");
  EXPECT_EQ(all.stack_name(), "zae-prod");
  EXPECT_EQ(all.entity_id(), "user-1");
  EXPECT_EQ(all.resource(), "gpt-4");

  EXPECT_STREQ(RateLimiterUnavailable("timeout", "", "user-1", "").what(),
               "timeout [entity=user-1]");
  EXPECT_STREQ(RateLimiterUnavailable("timeout", "s", "", "r").what(),
               "timeout [stack=s, resource=r]");
  EXPECT_STREQ(RateLimiterUnavailable("timeout", "", "", "").what(), "timeout");
}

TEST(VersionErrorTest, EX2VersionMismatchMessage) {
  const VersionMismatchError e("0.5.0", "0.4.0", "0.3.0", "Lambda is older than the client");
  EXPECT_STREQ(e.what(),
               "Version mismatch: client=0.5.0, schema=0.4.0, lambda=0.3.0. Lambda is older than "
               "the client");
  EXPECT_EQ(e.client_version(), "0.5.0");
  EXPECT_EQ(e.schema_version(), "0.4.0");
  EXPECT_EQ(e.lambda_version(), "0.3.0");
  EXPECT_TRUE(e.can_auto_update());

  const VersionMismatchError unknown("1.0.0", "1.0.0", std::nullopt, "detail", false);
  EXPECT_STREQ(unknown.what(),
               "Version mismatch: client=1.0.0, schema=1.0.0, lambda=unknown. detail");
  EXPECT_FALSE(unknown.can_auto_update());
}

TEST(VersionErrorTest, EX2IncompatibleSchemaMessage) {
  const IncompatibleSchemaError plain("2.0.0", "1.0.0", "Major version differs.");
  EXPECT_STREQ(plain.what(),
               "Incompatible schema: client 2.0.0 is not compatible with schema 1.0.0. Major "
               "version differs.");
  EXPECT_FALSE(plain.migration_guide_url().has_value());

  const IncompatibleSchemaError url("2.0.0", "1.0.0", "Major version differs.",
                                    "https://example.com/migrate");
  EXPECT_STREQ(url.what(),
               "Incompatible schema: client 2.0.0 is not compatible with schema 1.0.0. Major "
               "version differs. See: https://example.com/migrate");
  EXPECT_EQ(url.migration_guide_url(), "https://example.com/migrate");
}

TEST(ValidationErrorTest, V4MessageAndTruncatedValue) {
  const ValidationError short_value("entity_id", "abc", "cannot be empty");
  EXPECT_STREQ(short_value.what(), "Invalid entity_id: cannot be empty");
  EXPECT_EQ(short_value.field(), "entity_id");
  EXPECT_EQ(short_value.value(), "abc");
  EXPECT_EQ(short_value.reason(), "cannot be empty");

  EXPECT_EQ(ValidationError("f", std::string(50, 'x'), "r").value(), std::string(50, 'x'));
  EXPECT_EQ(ValidationError("f", std::string(51, 'x'), "r").value(), std::string(50, 'x') + "...");
}

TEST(OtherErrorsTest, Messages) {
  EXPECT_STREQ(LeaseExpiredError().what(), "Lease is no longer active");
  EXPECT_STREQ(EntityNotFoundError("e1").what(), "Entity not found: e1");
  EXPECT_STREQ(EntityExistsError("e1").what(), "Entity already exists: e1");
  EXPECT_TRUE(InfrastructureError("busy", true).is_transient());
  EXPECT_FALSE(InfrastructureError("gone").is_transient());
}

}  // namespace
}  // namespace zae
