// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

// A small real HTTP/1.1 server on 127.0.0.1 for tests of code that speaks HTTP (the curl
// transport, credentials providers, the DynamoDB client). It runs on its own threads: one
// accepts, one serves each connection. Every thread waits in poll() on its socket and on a stop
// event, so the destructor wakes and joins all of them; nothing loops without bound.
namespace zae::test {

struct HttpTestRequest {
  std::string method;
  std::string target;  // as sent on the request line: path and query ("/a/b?x=1")
  std::string path;    // target without the query
  std::string query;   // after '?', without it; empty when absent
  std::vector<std::pair<std::string, std::string>> headers;  // in order, as received
  std::string body;
  std::size_t connection_index = 0;  // 1-based number of the connection it arrived on

  // First header named `name` (case-insensitive), if any.
  std::optional<std::string_view> header(std::string_view name) const;
  // How many headers are named `name` (case-insensitive).
  std::size_t header_count(std::string_view name) const;
};

struct HttpTestResponse {
  int status = 200;
  // Sent as given. The server adds Content-Length unless the handler set it, and Connection:
  // close when it is about to close the connection.
  std::vector<std::pair<std::string, std::string>> headers = {};
  std::string body = {};
  // Wait this long before answering (the server's stop cuts the wait short).
  std::chrono::milliseconds delay{0};
};

// What the server does with connections it accepts. Read when a connection is accepted, so a
// change applies to connections accepted afterwards (set_faults()).
enum class HttpTestAcceptMode {
  kServe,  // speak HTTP
  kReset,  // accept, then close with RST at once (SO_LINGER 0): the client sees a reset
  kStall,  // accept and read, never answer; the connection stays open until the client leaves
};

// How the server closes a connection on purpose (drop_after_requests).
enum class HttpTestClose {
  kFin,    // an orderly close
  kReset,  // RST (SO_LINGER 0), as a server or middlebox that forgets the connection
};

struct HttpTestFaults {
  HttpTestAcceptMode accept_mode = HttpTestAcceptMode::kServe;
  // Close a keep-alive connection that has been idle (no request bytes) this long; zero never.
  // DynamoDB Local does this after 30 s.
  std::chrono::milliseconds idle_close{0};
  // Serve this many requests on a connection, then read the next request and close the
  // connection without answering it, as a server that dropped an idle connection at the moment
  // the request arrived. Zero never. The answered responses do not announce the close.
  std::size_t drop_after_requests = 0;
  HttpTestClose drop_close = HttpTestClose::kFin;
  // Added to every response's own delay.
  std::chrono::milliseconds response_delay{0};
};

// Thread-safe: every method may be called from any thread while the server runs. The handler is
// called on the connection threads, possibly concurrently, and must be thread-safe itself.
class HttpTestServer {
 public:
  using Handler = std::function<HttpTestResponse(const HttpTestRequest&)>;

  // Binds 127.0.0.1 on an ephemeral port and starts serving. Throws std::system_error when the
  // socket cannot be set up.
  explicit HttpTestServer(Handler handler, HttpTestFaults faults = {});
  // Stops accepting, closes every connection, cuts delays and stalls short, joins every thread.
  ~HttpTestServer();
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  // "http://127.0.0.1:PORT" (no trailing slash).
  std::string url() const;

  void set_faults(const HttpTestFaults& faults);

  // Connections accepted so far (in every mode) and complete requests read so far (including
  // dropped and stalled ones).
  std::size_t connections() const noexcept { return connections_.load(); }
  std::size_t requests() const noexcept { return requests_.load(); }
  // Connections currently open on the server side.
  std::size_t open_connections() const noexcept { return open_connections_.load(); }

 private:
  void accept_loop();
  void serve(int fd, std::size_t index, HttpTestFaults faults);
  // Waits until `fd` is readable or the server stops; false on stop or when `timeout` (if
  // positive) passes first.
  bool wait_readable(int fd, std::chrono::milliseconds timeout) const;
  // Sleeps for `delay` unless the server stops first.
  void pause(std::chrono::milliseconds delay);
  bool is_stopping() const noexcept { return stopping_.load(); }

  Handler handler_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;  // eventfd, written once at stop; level-triggered, so it wakes every poll
  std::uint16_t port_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable stop_cv_;
  HttpTestFaults faults_;
  std::vector<std::thread> connection_threads_;

  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> connections_{0};
  std::atomic<std::size_t> requests_{0};
  std::atomic<std::size_t> open_connections_{0};
  std::thread accept_thread_;
};

}  // namespace zae::test
