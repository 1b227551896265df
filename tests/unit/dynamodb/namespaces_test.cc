// SPDX-License-Identifier: MIT
// The pure rules of the namespace registry (spec/behavior.md NS-7, NS-9, OQ-25) and the
// translation of aws-layer errors into the public hierarchy (house style: once, with the AWS
// code and request id).
#include "dynamodb/namespaces.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zae/errors.h"

#include "aws/aws_config.h"
#include "aws/dynamodb_errors.h"
#include "aws/http.h"

namespace zae::dynamodb {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Property;
using ::testing::Throws;

NamespaceRecord reverse(std::string status, std::string name = "tenant-a") {
  return NamespaceRecord{.namespace_id = "AbCdEfGhIjK",
                         .namespace_name = std::move(name),
                         .status = std::move(status),
                         .created_at = "2026-01-01T00:00:00Z"};
}

TEST(NamespaceNameTest, RefusesTheReservedAndTheEmptyName) {
  EXPECT_THAT([] { validate_namespace_name("_"); },
              Throws<ValidationError>(Property(&ValidationError::field, "namespace")));
  EXPECT_THAT([] { validate_namespace_name(""); },
              Throws<ValidationError>(Property(&ValidationError::field, "namespace")));
  EXPECT_NO_THROW(validate_namespace_name("default"));
  EXPECT_NO_THROW(validate_namespace_name("team/a_b"));
}

TEST(RecoverRuleTest, MissingReverseRecordIsEntityNotFound) {
  EXPECT_THAT(
      [] { check_recoverable("AbCdEfGhIjK", std::nullopt); },
      Throws<EntityNotFoundError>(Property(&EntityNotFoundError::entity_id, "AbCdEfGhIjK")));
}

TEST(RecoverRuleTest, ActiveAndPurgingAreStateErrors) {
  for (const char* state : {"active", "purging"}) {
    EXPECT_THAT([&] { check_recoverable("AbCdEfGhIjK", reverse(state)); },
                Throws<NamespaceStateError>(
                    AllOf(Property(&NamespaceStateError::state, state),
                          Property(&NamespaceStateError::namespace_name, "tenant-a"))))
        << state;
  }
}

TEST(RecoverRuleTest, ReservedNameIsValidationErrorAndDeletedIsRecoverable) {
  EXPECT_THAT([] { check_recoverable("AbCdEfGhIjK", reverse("deleted", "_")); },
              Throws<ValidationError>());
  EXPECT_NO_THROW(check_recoverable("AbCdEfGhIjK", reverse("deleted")));
}

TEST(PurgeRuleTest, StepsByReverseState) {
  EXPECT_EQ(purge_step("AbCdEfGhIjK", std::nullopt), PurgeStep::kNothing);
  EXPECT_EQ(purge_step("AbCdEfGhIjK", reverse("deleted")), PurgeStep::kMarkPurging);
  EXPECT_EQ(purge_step("AbCdEfGhIjK", reverse("purging")), PurgeStep::kResumePurge);
}

TEST(PurgeRuleTest, ActiveOrUnknownStatusIsNeverPurged) {
  EXPECT_THAT([] { (void)purge_step("AbCdEfGhIjK", reverse("active")); },
              Throws<NamespaceStateError>(Property(&NamespaceStateError::state, "active")));
  EXPECT_THAT([] { (void)purge_step("AbCdEfGhIjK", reverse("archived")); },
              Throws<NamespaceStateError>(Property(&NamespaceStateError::state, "archived")));
}

TEST(PurgeRuleTest, ReservedNamespaceCannotBePurged) {
  EXPECT_THAT([] { (void)purge_step("_", std::nullopt); }, Throws<ValidationError>());
  EXPECT_THAT([] { (void)purge_step("", std::nullopt); }, Throws<ValidationError>());
}

aws::ServiceError service_error(int status, std::string code) {
  return aws::ServiceError("UpdateItem", status, std::move(code), "message text", "REQ-42");
}

TEST(AwsErrorTranslationTest, ThrottlingIsTransientAndKeepsCodeAndRequestId) {
  EXPECT_THAT(
      [] { throw_translated_aws_error(service_error(400, "ThrottlingException"), "purge 'x'"); },
      Throws<InfrastructureError>(
          AllOf(Property(&InfrastructureError::is_transient, true),
                Property(&InfrastructureError::what,
                         AllOf(HasSubstr("purge 'x'"), HasSubstr("ThrottlingException"),
                               HasSubstr("REQ-42"))))));
}

TEST(AwsErrorTranslationTest, ServerErrorsAreTransientClientErrorsAreNot) {
  EXPECT_THAT([] { throw_translated_aws_error(service_error(500, "InternalServerError"), "op"); },
              Throws<InfrastructureError>(Property(&InfrastructureError::is_transient, true)));
  EXPECT_THAT([] { throw_translated_aws_error(service_error(400, "ValidationException"), "op"); },
              Throws<InfrastructureError>(Property(&InfrastructureError::is_transient, false)));
}

TEST(AwsErrorTranslationTest, MissingTableIsInfrastructureNotFound) {
  const aws::ResourceNotFoundError error(service_error(400, "ResourceNotFoundException"));
  EXPECT_THAT([&] { throw_translated_aws_error(error, "open"); },
              Throws<InfrastructureNotFoundError>(
                  Property(&InfrastructureError::what, HasSubstr("ResourceNotFoundException"))));
}

TEST(AwsErrorTranslationTest, NetworkErrorsAreTransientExceptTls) {
  EXPECT_THAT(
      [] {
        throw_translated_aws_error(aws::NetworkError(aws::NetworkErrorKind::kTimeout, "t"), "op");
      },
      Throws<InfrastructureError>(Property(&InfrastructureError::is_transient, true)));
  EXPECT_THAT(
      [] { throw_translated_aws_error(aws::NetworkError(aws::NetworkErrorKind::kTls, "t"), "op"); },
      Throws<InfrastructureError>(Property(&InfrastructureError::is_transient, false)));
}

TEST(AwsErrorTranslationTest, ConfigErrorIsValidationError) {
  EXPECT_THAT([] { throw_translated_aws_error(aws::ConfigError("bad endpoint"), "store"); },
              Throws<ValidationError>(Property(&ValidationError::field, "aws config")));
}

TEST(AwsErrorTranslationTest, WithZaeErrorsTranslatesAwsAndPassesZaeErrorsThrough) {
  EXPECT_THAT([] { with_zae_errors("op", []() -> int { throw aws::JsonError(3, "bad"); }); },
              Throws<InfrastructureError>(Property(&InfrastructureError::is_transient, false)));
  EXPECT_THAT(
      [] { with_zae_errors("op", []() -> int { throw NamespaceStateError("a", "active"); }); },
      Throws<NamespaceStateError>(Property(&NamespaceStateError::state, "active")));
  EXPECT_EQ(with_zae_errors("op", [] { return 7; }), 7);
}

}  // namespace
}  // namespace zae::dynamodb
