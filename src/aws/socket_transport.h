// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aws/http.h"

namespace zae::aws {

struct SocketTransportOptions {
  // Deadline for establishing a TCP connection (within the request's own deadline).
  std::chrono::milliseconds connect_timeout{2000};
  // Whole-request deadline used when HttpRequest::timeout is zero.
  std::chrono::milliseconds request_timeout{10000};
  // How many idle keep-alive connections the transport keeps per host:port. Connections beyond
  // this are closed when their request is done.
  std::size_t max_idle_connections = 64;
  // Largest response header section accepted; a longer one is a kProtocol NetworkError.
  std::size_t max_header_bytes = 64 * 1024;
};

// HttpTransport over plain TCP: a minimal HTTP/1.1 keep-alive client for `http://` URLs, written
// for the DynamoDB hot path against DynamoDB Local and other plain-HTTP endpoints, where
// libcurl's per-request work dominates the client's CPU. It does not speak TLS: an `https://`
// URL is a NetworkError (kOther). CurlTransport stays the transport for https (and therefore for
// AWS itself) and for proxies; this one ignores proxy environment variables.
//
// Requests go out exactly as given, in one sendmsg of the head and the body: the transport adds
// Host (unless the caller gave one, as a SigV4 signer does) and Content-Length (when the body is
// not empty or the method is POST, PUT or PATCH) and nothing else. A caller's Content-Length or
// Transfer-Encoding, and a header name or value with a line break, are rejected (kOther) before
// anything is sent. Responses may be framed by Content-Length, chunked transfer coding or the
// connection's close; `Connection: close` (and HTTP/1.0 without keep-alive) is honoured by not
// reusing the connection. Redirects are not followed. Host names are resolved with getaddrinfo
// when a connection is opened and the first address is used.
//
// Connections: each request runs on its own connection, taken from a mutex-protected pool of idle
// connections per host:port or opened afresh, and returned to the pool when its response was
// complete and the connection may be kept. A request that fails on a REUSED connection before
// any response byte arrived (the server closed or reset the idle connection) is sent once more on
// a fresh connection within the same deadline; a failure on a fresh connection is a NetworkError.
// Not so a request marked Idempotency::kNonIdempotent, which the server may have applied before
// the connection died: it is written only on a connection with nothing pending (no EOF, reset or
// stray byte, checked with a zero-timeout poll) and never sent twice.
// Timeouts are never retried, and a timed-out connection is closed (it still owes an answer).
// Connected sockets are in blocking mode, used with MSG_DONTWAIT except where send() waits for
// response bytes: there recv itself blocks, bounded by SO_RCVTIMEO a scheduler tick short of the
// deadline, which saves a poll per wait; the last 50 ms before a deadline, and send_all(), poll.
//
// Errors (NetworkError kinds, as CurlTransport): kConnect when a connection cannot be made
// (refused, unreachable, name not resolved); kTimeout when the connect or request deadline
// passes; kReset when the peer closes or resets mid-exchange; kProtocol for a response that is
// not HTTP/1.x or is framed inconsistently; kOther for a request that cannot be sent.
//
// Thread-safety: send() and send_all() may be called concurrently from any number of threads.
// The transport must outlive every call; destroy it only when no call is in flight. Sockets are
// written with MSG_NOSIGNAL, so a closed peer never raises SIGPIPE.
class SocketTransport final : public HttpTransport {
 public:
  explicit SocketTransport(SocketTransportOptions options = {});
  ~SocketTransport() override;
  SocketTransport(const SocketTransport&) = delete;
  SocketTransport& operator=(const SocketTransport&) = delete;

  // See HttpTransport::send. Throws NetworkError when there is no response; any HTTP status is
  // a response.
  HttpResponse send(const HttpRequest& request) override;
  // See HttpTransport::send_all: writes every request on its own connection, then waits for all
  // of them in one poll loop; outcomes in request order. Takes about as long as the slowest.
  std::vector<HttpOutcome> send_all(std::span<const HttpRequest> requests) override;

  // Connections currently idle in the pool, over every host:port (for tests and metrics).
  std::size_t idle_connections() const;

 private:
  struct Connection;
  struct Pool;
  class Exchange;

  std::unique_ptr<Connection> acquire(std::string_view authority);
  void release(std::unique_ptr<Connection> connection);

  SocketTransportOptions options_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Pool>> pools_;
};

}  // namespace zae::aws
