// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aws/errors.h"

// The HTTP seam of the aws layer. Everything above it (credentials providers, the DynamoDB
// client, retries) talks to an HttpTransport; CurlTransport is the production implementation and
// tests inject fakes or point a real one at loopback servers.
namespace zae::aws {

struct HttpField {
  std::string name;
  std::string value;
  friend bool operator==(const HttpField&, const HttpField&) = default;
};

// Whether sending a request twice is harmless (retry.h states the rule). Transports use it for
// their stale-connection resend: a non-idempotent request is never sent again after it may have
// reached the server.
enum class Idempotency {
  kIdempotent,
  kNonIdempotent,
};

struct HttpRequest {
  std::string method = "POST";
  // Absolute URL: scheme, host, optional port, path and query ("http://127.0.0.1:8000/").
  std::string url = {};
  // Sent as given (the transport adds Host and Content-Length; it must not add others that
  // change a signed request).
  std::vector<HttpField> headers = {};
  std::string body = {};
  // Whole-request deadline (connect + send + receive); zero means the transport's default.
  std::chrono::milliseconds timeout{0};
  // kNonIdempotent: a reused keep-alive connection is checked before the request is written,
  // and the request is not sent again on a fresh connection once any of it was written (the
  // server may have applied it and then lost the connection).
  Idempotency idempotency = Idempotency::kIdempotent;
};

struct HttpResponse {
  int status = 0;
  std::vector<HttpField> headers = {};
  std::string body = {};

  // First header named `name` (case-insensitive), if any.
  std::optional<std::string_view> header(std::string_view name) const;
};

// True when `text` holds a CR or an LF, which no header name or value may carry.
bool has_line_break(std::string_view text);

// `text` without its leading and trailing bytes that are in `chars` (e.g. " \t", HTTP's
// optional whitespace).
inline std::string_view trim(std::string_view text, std::string_view chars) {
  const auto in_set = [chars](char c) { return chars.find(c) != std::string_view::npos; };
  while (!text.empty() && in_set(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && in_set(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

// Why a request produced no HTTP response.
enum class NetworkErrorKind {
  kConnect,   // could not connect (refused, unreachable, DNS)
  kTimeout,   // connect or request deadline passed
  kReset,     // the connection was closed or reset mid-exchange
  kTls,       // TLS handshake or certificate verification failed
  kProtocol,  // the peer did not speak HTTP/1.1 properly
  kOther,
};

// A request that produced no HTTP response. is_transient(): a retry may succeed.
class NetworkError : public AwsError {
 public:
  NetworkError(NetworkErrorKind kind, const std::string& message)
      : AwsError(message), kind_(kind) {}
  NetworkErrorKind kind() const noexcept { return kind_; }
  bool is_transient() const noexcept { return kind_ != NetworkErrorKind::kTls; }

 private:
  NetworkErrorKind kind_;
};

// The outcome of one request in HttpTransport::send_all: exactly one of response / error.
struct HttpOutcome {
  std::optional<HttpResponse> response;
  std::optional<NetworkError> error;
};

// Sends HTTP/1.1 requests. Implementations are thread-safe: one transport serves every thread
// and reuses keep-alive connections between calls.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Sends one request and returns its response (any status). Throws NetworkError when there is
  // no response.
  virtual HttpResponse send(const HttpRequest& request) = 0;
  // Sends every request concurrently and waits for all; outcomes are in request order. Never
  // throws for a single request's failure.
  virtual std::vector<HttpOutcome> send_all(std::span<const HttpRequest> requests) = 0;
};

}  // namespace zae::aws
