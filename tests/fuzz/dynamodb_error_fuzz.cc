// SPDX-License-Identifier: MIT
// DynamoDB error responses, parse_service_error and throw_service_error
// (src/aws/dynamodb_errors.h). Input: the HTTP status as the first two bytes (big-endian, taken
// modulo 600), then header lines "Name: value" up to an empty line, then the body.
//
// Properties: parsing never throws; the status and the x-amzn-RequestId header are carried over;
// the code has no '#' (the namespace part of __type is cut); an unparseable body yields no item
// and no reasons; what() names the operation; throw_service_error throws the type the code names
// (ConditionalCheckFailedError, TransactionCanceledError, ResourceNotFoundError, else
// ServiceError) with the same code, status and payloads.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "aws/dynamodb_errors.h"
#include "aws/http.h"
#include "fuzz/fuzz_check.h"

namespace {

zae::aws::HttpResponse to_response(const std::uint8_t* data, std::size_t size) {
  zae::aws::HttpResponse response;
  if (size < 2) {
    return response;
  }
  response.status = ((data[0] << 8) | data[1]) % 600;
  std::string_view rest = zae::test::as_text(data + 2, size - 2);
  while (!rest.empty()) {
    auto [line, after] = zae::test::split_once(rest, '\n');
    rest = after;
    if (line.empty()) {
      break;
    }
    auto [name, value] = zae::test::split_once(line, ':');
    while (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
    response.headers.push_back({std::string(name), std::string(value)});
  }
  response.body = std::string(rest);
  return response;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const zae::aws::HttpResponse response = to_response(data, size);
  zae::aws::ParsedServiceError parsed = zae::aws::parse_service_error("UpdateItem", response);
  const zae::aws::ServiceError& error = parsed.error;
  ZAE_FUZZ_CHECK(error.http_status() == response.status);
  ZAE_FUZZ_CHECK(error.operation() == "UpdateItem");
  ZAE_FUZZ_CHECK(error.request_id() == response.header("x-amzn-RequestId").value_or(""));
  ZAE_FUZZ_CHECK(error.code().find('#') == std::string::npos);
  ZAE_FUZZ_CHECK(std::string_view(error.what()).starts_with("DynamoDB UpdateItem: "));
  if (error.message().starts_with("unparseable error body")) {
    ZAE_FUZZ_CHECK(!parsed.item && parsed.reasons.empty());
  }
  if (error.http_status() >= 500) {
    ZAE_FUZZ_CHECK(error.is_retryable());
  }
  if (error.is_throttling()) {
    ZAE_FUZZ_CHECK(error.is_retryable());
  }

  const std::string code = error.code();
  const int status = error.http_status();
  const auto item = parsed.item;
  const auto reasons = parsed.reasons;
  const auto check_base = [&](const zae::aws::ServiceError& e) {
    ZAE_FUZZ_CHECK(e.code() == code && e.http_status() == status);
  };
  try {
    zae::aws::throw_service_error(std::move(parsed));
  } catch (const zae::aws::ConditionalCheckFailedError& e) {
    ZAE_FUZZ_CHECK(code == "ConditionalCheckFailedException");
    ZAE_FUZZ_CHECK(e.old_item() == item);
    check_base(e);
  } catch (const zae::aws::TransactionCanceledError& e) {
    ZAE_FUZZ_CHECK(code == "TransactionCanceledException");
    ZAE_FUZZ_CHECK(e.reasons() == reasons);
    check_base(e);
  } catch (const zae::aws::ResourceNotFoundError& e) {
    ZAE_FUZZ_CHECK(code == "ResourceNotFoundException");
    check_base(e);
  } catch (const zae::aws::ServiceError& e) {
    ZAE_FUZZ_CHECK(code != "ConditionalCheckFailedException" &&
                   code != "TransactionCanceledException" && code != "ResourceNotFoundException");
    check_base(e);
  }
  return 0;
}
