// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace zae::aws {

// Root of every exception thrown by the aws layer. The layer is meant to be liftable as a library
// of its own, so it does not use zae's public hierarchy; the DynamoDB store converts these into
// zae errors exactly once.
class AwsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Malformed JSON or a JSON document that is not the expected DynamoDB shape. offset() is the byte
// offset into the input where the problem was found; what() names the position and the problem.
class JsonError : public AwsError {
 public:
  JsonError(std::size_t offset, const std::string& problem);

  std::size_t offset() const noexcept { return offset_; }

 private:
  std::size_t offset_;
};

// A DynamoDB number string that is not a number, or a conversion to a C++ integer that would lose
// information (overflow, fraction, exponent).
class NumberError : public AwsError {
 public:
  using AwsError::AwsError;
};

// An AttributeValue accessed as a type it does not hold (as_string() on an N), or a map asked
// for an attribute it does not have.
class AttributeError : public AwsError {
 public:
  using AwsError::AwsError;
};

// Bytes that cannot be encoded or decoded: invalid base64, invalid UTF-8 in a string to be sent.
class EncodingError : public AwsError {
 public:
  using AwsError::AwsError;
};

// A request that cannot be signed: a header value with a line break, a malformed query string, an
// X-Amz-Date header that disagrees with the signing time.
class SigningError : public AwsError {
 public:
  using AwsError::AwsError;
};

}  // namespace zae::aws
