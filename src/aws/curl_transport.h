// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "aws/http.h"

namespace zae::aws {

struct CurlTransportOptions {
  // Deadline for establishing a connection (TCP, and TLS for https).
  std::chrono::milliseconds connect_timeout{2000};
  // Whole-request deadline used when HttpRequest::timeout is zero.
  std::chrono::milliseconds request_timeout{10000};
  // Verify the server's certificate chain and host name. Turn off only for test endpoints.
  bool verify_tls = true;
  // PEM bundle of trusted CAs; empty means the system default.
  std::string ca_file = {};
  // How many idle sessions (each holding the keep-alive connections of its last use) the
  // transport keeps for reuse. Sessions beyond this are closed when returned.
  std::size_t max_idle_connections = 64;
};

// HttpTransport on libcurl: HTTP/1.1 over keep-alive connections, http and https.
//
// Connections live in sessions. A session is a curl multi handle (which owns a connection cache)
// plus the easy handles that ran on it; a call takes an idle session from a mutex-protected free
// list (or makes one), runs on it and puts it back, so consecutive calls from any thread reuse
// the same warm connections. libcurl does not support sharing one connection cache between
// threads, which is why connections are pooled per session rather than in a CURLSH.
//
// Requests go out exactly as given: the transport adds Host and Content-Length and suppresses
// every header libcurl would add on its own (Accept, Expect: 100-continue, a form Content-Type),
// so that a SigV4 signature over the given headers stays valid. Redirects are not followed.
// Proxies follow libcurl's environment variables (http_proxy, https_proxy, no_proxy).
//
// A request that fails on a reused connection before any response byte arrived (the server
// closed the idle keep-alive connection, as DynamoDB Local does after 30 s, or reset it) is sent
// again on a fresh connection within the same deadline. libcurl does this itself for HTTP
// (Curl_retry_request: a reused connection, no header or body byte received; send and receive
// errors alike), so the transport adds no loop of its own; the fault tests pin the behaviour.
// Such a request was not answered, and a server that closes an idle connection has not read it;
// the caller's retry policy handles every other failure. A failure on a fresh connection is a
// NetworkError. A request marked Idempotency::kNonIdempotent is never sent twice: the server may
// have applied it before the connection died, so its body cannot be rewound (the resend fails
// as a kReset NetworkError) and the transport's own fresh-connection retry skips it; libcurl's
// liveness check keeps it off connections already closed by the server.
//
// Thread-safety: send() and send_all() may be called concurrently from any number of threads.
// The transport must outlive every call; destroy it only when no call is in flight. It calls
// curl_global_init once per process and never curl_global_cleanup (other code in the process may
// use libcurl).
class CurlTransport final : public HttpTransport {
 public:
  // Throws AwsError when libcurl cannot be initialised.
  explicit CurlTransport(CurlTransportOptions options = {});
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  // See HttpTransport::send. Throws NetworkError (kind from the libcurl error) when there is no
  // response; any HTTP status is a response.
  HttpResponse send(const HttpRequest& request) override;
  // See HttpTransport::send_all: every request runs concurrently on its own connection of one
  // session; returns when all are done, outcomes in request order. The call takes about as long
  // as its slowest request.
  std::vector<HttpOutcome> send_all(std::span<const HttpRequest> requests) override;

  // Sessions currently idle in the pool (for tests and metrics).
  std::size_t idle_sessions() const;

 private:
  struct Session;

  std::unique_ptr<Session> acquire_session();
  void release_session(std::unique_ptr<Session> session);

  CurlTransportOptions options_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Session>> idle_;
};

}  // namespace zae::aws
