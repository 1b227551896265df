// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

// A TCP proxy on 127.0.0.1 between a client under test and a real HTTP/1.1 server (DynamoDB
// Local), which injects network faults on command. It knows just enough HTTP to find where a
// request and its response end (Content-Length, chunked, or the close of the upstream
// connection), so that a fault can hit "the request after it was forwarded" or "the middle of a
// response body" and not only whole connections.
//
// Each accepted client connection gets its own thread and, lazily, its own upstream connection
// (reopened when the upstream closes it). Every wait is a poll() on the sockets and on a stop
// event, so the destructor wakes and joins every thread; no wait is unbounded after stop.
namespace zae::test {

enum class FaultMode {
  // Forward both ways (healed).
  kPass,
  // Forward, after `request_latency` (before the request goes upstream) and `response_latency`
  // (before the response goes back).
  kLatency,
  // At accept: close at once (FIN). On a request: read it, close without forwarding it.
  kDrop,
  // At accept: close with RST (SO_LINGER 0). On a request: read it, RST without forwarding it.
  kReset,
  // At accept or on a request: read what arrives, never forward, never answer; the connection
  // stays open until the client gives up (or the proxy stops).
  kStall,
  // Forward the request, read the whole upstream response and throw it away; never answer. The
  // server HAS applied the request: the dangerous case for a non-idempotent write.
  kBlackhole,
  // Forward the request, read the whole upstream response and throw it away, then close (FIN)
  // without a byte of it: a connection lost right after the server applied the request. To a
  // client this looks like a keep-alive connection the server closed before reading.
  kApplyThenDrop,
  // Forward, then send back the response cut after `cut_at` bytes of body (half the body when
  // unset) and close with FIN.
  kTruncate,
  // Forward, then send back the response cut like kTruncate and close with RST.
  kResetMidResponse,
};

// The fault to apply and when. A fault is checked at two kinds of event: a connection being
// accepted (only kDrop, kReset and kStall act there; other modes let the connection through)
// and a complete request read from a client (every mode acts there). Events that a fault
// applies to are "hits".
struct Fault {
  FaultMode mode = FaultMode::kPass;
  std::chrono::milliseconds request_latency{0};
  std::chrono::milliseconds response_latency{0};
  // kTruncate / kResetMidResponse: body bytes delivered before the cut.
  std::optional<std::size_t> cut_at{};
  // Heal after this many hits (nullopt: never by count).
  std::optional<std::size_t> hits{};
  // Heal this long after set_fault() (nullopt: never by time).
  std::optional<std::chrono::milliseconds> duration{};
  // Apply to every k-th request event (1: every one); connection events ignore it.
  std::size_t every = 1;
  // Apply only to requests whose bytes contain this text (e.g. "DynamoDB_20120810.PutItem", the
  // X-Amz-Target of one operation); connection events then pass. Empty: every request.
  std::string match{};
};

struct FaultProxyStats {
  std::size_t connections_accepted = 0;
  // Connections open on the client side now.
  std::size_t connections_open = 0;
  std::size_t upstream_connections = 0;
  // Complete requests read from clients.
  std::size_t requests = 0;
  // Requests sent to the upstream server (whether or not their response was delivered).
  std::size_t requests_forwarded = 0;
  // Complete responses delivered to clients.
  std::size_t responses_delivered = 0;
  // Events a fault acted on.
  std::size_t faults_applied = 0;
  std::size_t bytes_from_clients = 0;
  std::size_t bytes_to_clients = 0;
};

// Thread-safe: every method may be called from any thread while the proxy runs.
class FaultProxy {
 public:
  // Listens on 127.0.0.1 (ephemeral port) and forwards to upstream_host:upstream_port (an IPv4
  // address or "localhost"). Throws std::system_error when the socket cannot be set up.
  FaultProxy(std::string upstream_host, std::uint16_t upstream_port);
  // Stops accepting, closes every connection, cuts every wait short, joins every thread.
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  // "http://127.0.0.1:PORT".
  std::string url() const;

  // Replaces the current fault (and restarts its hit count and duration).
  void set_fault(const Fault& fault);
  // Back to kPass. Connections already stalled or blackholed stay silent until their client
  // closes them; new events pass.
  void heal() { set_fault(Fault{}); }
  // The mode in force now (kPass once a fault has healed by count or time).
  FaultMode mode();

  FaultProxyStats stats() const;

 private:
  struct Connection;
  enum class Event { kAccept, kRequest };

  void accept_loop();
  void serve(Connection& connection);
  // The fault for one event, or nullopt to pass; counts the hit.
  std::optional<Fault> take_fault(Event event, std::string_view request);
  // Waits until `fd` is readable; false when the proxy stops or `timeout` (if set) passes.
  bool wait_readable(int fd, std::optional<std::chrono::milliseconds> timeout) const;
  void pause(std::chrono::milliseconds delay) const;
  bool is_stopping() const noexcept { return stopping_.load(); }

  const std::string upstream_host_;
  const std::uint16_t upstream_port_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;  // eventfd, written once at stop; level-triggered, so it wakes every poll
  std::uint16_t port_ = 0;

  mutable std::mutex mutex_;
  Fault fault_{};
  std::chrono::steady_clock::time_point fault_set_at_{};
  std::size_t fault_hits_ = 0;
  std::size_t request_events_ = 0;
  std::list<std::unique_ptr<Connection>> connections_;

  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> connections_accepted_{0};
  std::atomic<std::size_t> connections_open_{0};
  std::atomic<std::size_t> upstream_connections_{0};
  std::atomic<std::size_t> requests_{0};
  std::atomic<std::size_t> requests_forwarded_{0};
  std::atomic<std::size_t> responses_delivered_{0};
  std::atomic<std::size_t> faults_applied_{0};
  std::atomic<std::size_t> bytes_from_clients_{0};
  std::atomic<std::size_t> bytes_to_clients_{0};
  std::thread accept_thread_;
};

}  // namespace zae::test
