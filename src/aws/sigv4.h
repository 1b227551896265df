// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aws/crypto.h"

// AWS Signature Version 4 (header-based signing, AWS4-HMAC-SHA256).
//
// Conformance is checked against AWS's published SigV4 test suite (tests/data/sigv4/) and three
// DynamoDB requests signed by AWS SDKs. Path handling follows the rules for services other than
// S3: dot segments are removed, repeated slashes collapsed, each segment encoded once.
namespace zae::aws {

// AWS credentials. An empty session_token means long-term credentials.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
};

// One request header as it will be sent. Names are matched case-insensitively.
struct HttpHeader {
  std::string_view name;
  std::string_view value;
};

// The request to sign. Views only: everything must outlive the sign() call, nothing after it.
struct SigningRequest {
  std::string_view method = {};
  // The path as text, not percent-encoded ("/example space/"); the signer encodes it. "" is "/".
  std::string_view path = "/";
  // The query string as sent on the wire, without '?', percent-encoded ("a=1&b=x%20y").
  std::string_view query = {};
  // Every header here is signed, except Authorization, which is ignored so that a request can be
  // re-signed. Pass only headers the transport sends unchanged (not one curl rewrites).
  std::span<const HttpHeader> headers = {};
  std::string_view payload = {};
};

// Where and when the request is signed.
struct SigningParams {
  std::string_view region = {};
  std::string_view service = {};
  // Truncated to whole seconds.
  std::chrono::system_clock::time_point time = {};
};

// The result of signing, with the intermediate products the specification defines (so tests and
// debugging can compare them with AWS's).
struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  // The value of the Authorization header, without the header name.
  std::string authorization;
  // The X-Amz-Date value that was signed, "YYYYMMDDTHHMMSSZ".
  std::string amz_date;
  // True when the request had no X-Amz-Date header and the signer signed one with amz_date: the
  // caller must send `X-Amz-Date: <amz_date>`.
  bool date_header_added = false;
  // True when the credentials carry a session token the request did not: the caller must send
  // `X-Amz-Security-Token: <session_token>`.
  bool token_header_added = false;
};

// The SigV4 timestamp form of `time` (UTC, "20150830T123600Z"). Sub-second parts are dropped.
std::string format_amz_date(std::chrono::system_clock::time_point time);

// Parses "YYYYMMDDTHHMMSSZ". Throws SigningError on anything else, including impossible dates
// and dates system_clock cannot represent.
std::chrono::system_clock::time_point parse_amz_date(std::string_view text);

// The SigV4 signing key for a secret, date stamp ("20150830"), region and service. Uncached.
Sha256Digest derive_signing_key(std::string_view secret_access_key, std::string_view date,
                                std::string_view region, std::string_view service);

// A small cache of derived signing keys keyed by (secret, date, region, service). A key changes
// once a day per scope, so a handful of entries serves a process; the oldest entry is replaced
// when the cache is full. Thread-safe.
class SigningKeyCache {
 public:
  static constexpr std::size_t kCapacity = 8;

  // The signing key for the scope, derived on a miss. Throws AwsError if libcrypto fails.
  Sha256Digest get(std::string_view secret_access_key, std::string_view date,
                   std::string_view region, std::string_view service);

  // Number of keys held (for tests).
  std::size_t size() const;

 private:
  struct Entry {
    std::string secret;
    std::string date;
    std::string region;
    std::string service;
    Sha256Digest key;
  };

  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
  std::size_t next_victim_ = 0;
};

// Signs requests. Stateless apart from its signing-key cache, so one signer can be shared by every
// thread of a client. Thread-safe.
class Sigv4Signer {
 public:
  // Signs `request` with `credentials` for `params`. Adds X-Amz-Date and X-Amz-Security-Token to
  // what is signed when the request lacks them (see Signature). Throws SigningError when the
  // request cannot be signed: a header name or value with CR or LF, an empty header name, a bad
  // percent-escape in the query, an X-Amz-Date header that differs from params.time, or an
  // X-Amz-Security-Token header that differs from the credentials' token.
  Signature sign(const SigningRequest& request, const Credentials& credentials,
                 const SigningParams& params) const;

 private:
  mutable SigningKeyCache keys_;
};

}  // namespace zae::aws
