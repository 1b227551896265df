// SPDX-License-Identifier: MIT
#include "support/fault_proxy.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace zae::test {
namespace {

using Clock = std::chrono::steady_clock;

// Larger than any DynamoDB request or response of the tests; a longer head or message is
// treated as a broken connection.
constexpr std::size_t kMaxMessageBytes = 16 * 1024 * 1024;
// How long the proxy waits for the upstream server's response before giving the connection up.
constexpr std::chrono::milliseconds kUpstreamTimeout{10000};

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

void set_no_delay(int fd) {
  int one = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

void close_with_reset(int fd) {
  // SO_LINGER with a zero timeout makes close() send RST instead of FIN.
  linger option{};
  option.l_onoff = 1;
  option.l_linger = 0;
  (void)::setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, sizeof(option));
  ::close(fd);
}

bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// How a message's body is delimited, from its head.
struct Framing {
  enum class Kind { kLength, kChunked, kUntilClose } kind = Kind::kLength;
  std::size_t length = 0;
  bool close = false;
};

std::optional<Framing> framing_of(std::string_view head, bool is_response) {
  Framing framing;
  bool has_length = false;
  std::size_t line_end = head.find("\r\n");
  const std::string_view start_line = head.substr(0, line_end);
  int status = 0;
  if (is_response) {
    // "HTTP/1.1 200 OK"
    const std::size_t space = start_line.find(' ');
    if (space == std::string_view::npos) {
      return std::nullopt;
    }
    status = std::atoi(std::string(start_line.substr(space + 1, 3)).c_str());
    if (start_line.starts_with("HTTP/1.0")) {
      framing.close = true;
    }
  }
  while (line_end != std::string_view::npos && line_end + 2 < head.size()) {
    const std::size_t begin = line_end + 2;
    line_end = head.find("\r\n", begin);
    const std::string_view line = head.substr(
        begin, line_end == std::string_view::npos ? head.size() - begin : line_end - begin);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Length")) {
      framing.length =
          static_cast<std::size_t>(std::strtoull(std::string(value).c_str(), nullptr, 10));
      has_length = true;
    } else if (iequals(name, "Transfer-Encoding") && value.find("chunked") != value.npos) {
      framing.kind = Framing::Kind::kChunked;
    } else if (iequals(name, "Connection")) {
      framing.close = iequals(value, "close");
    }
  }
  if (framing.kind == Framing::Kind::kChunked) {
    return framing;
  }
  if (is_response && (status / 100 == 1 || status == 204 || status == 304)) {
    framing.length = 0;
    return framing;
  }
  if (!has_length) {
    if (is_response) {
      framing.kind = Framing::Kind::kUntilClose;
      framing.close = true;
    } else {
      framing.length = 0;
    }
  }
  return framing;
}

// The length of a complete chunked body at the front of `body`, or nullopt when more bytes are
// needed.
std::optional<std::size_t> chunked_length(std::string_view body) {
  std::size_t pos = 0;
  for (;;) {
    const std::size_t eol = body.find("\r\n", pos);
    if (eol == std::string_view::npos) {
      return std::nullopt;
    }
    const std::size_t size = static_cast<std::size_t>(
        std::strtoull(std::string(body.substr(pos, eol - pos)).c_str(), nullptr, 16));
    pos = eol + 2;
    if (size == 0) {
      // Trailer lines, then an empty line.
      for (;;) {
        const std::size_t end = body.find("\r\n", pos);
        if (end == std::string_view::npos) {
          return std::nullopt;
        }
        if (end == pos) {
          return end + 2;
        }
        pos = end + 2;
      }
    }
    if (body.size() < pos + size + 2) {
      return std::nullopt;
    }
    pos += size + 2;
  }
}

// One complete request or response.
struct Message {
  std::string bytes;
  std::size_t head_size = 0;
  bool close = false;
  std::size_t body_size() const { return bytes.size() - head_size; }
};

}  // namespace

struct FaultProxy::Connection {
  int client_fd = -1;
  std::thread thread{};
  std::atomic<bool> done{false};
};

namespace {

// Reads from fd into `buffer` (which keeps bytes past the message for the next call) until one
// complete message is there. `wait` blocks until fd is readable or gives up (false).
template <class Wait>
std::optional<Message> read_message(int fd, std::string& buffer, bool is_response, Wait&& wait,
                                    std::size_t& bytes_read) {
  std::optional<std::size_t> head_end;
  std::optional<Framing> framing;
  bool eof = false;
  for (;;) {
    if (!head_end) {
      const std::size_t found = buffer.find("\r\n\r\n");
      if (found != std::string::npos) {
        head_end = found + 4;
        framing = framing_of(std::string_view(buffer).substr(0, *head_end), is_response);
        if (!framing) {
          return std::nullopt;
        }
      }
    }
    if (head_end) {
      const std::string_view body = std::string_view(buffer).substr(*head_end);
      std::optional<std::size_t> body_size;
      switch (framing->kind) {
        case Framing::Kind::kLength:
          if (body.size() >= framing->length) {
            body_size = framing->length;
          }
          break;
        case Framing::Kind::kChunked:
          body_size = chunked_length(body);
          break;
        case Framing::Kind::kUntilClose:
          if (eof) {
            body_size = body.size();
          }
          break;
      }
      if (body_size) {
        Message message;
        message.head_size = *head_end;
        message.close = framing->close;
        message.bytes = buffer.substr(0, *head_end + *body_size);
        buffer.erase(0, *head_end + *body_size);
        return message;
      }
    }
    if (eof || buffer.size() > kMaxMessageBytes || !wait(fd)) {
      return std::nullopt;
    }
    char chunk[16384];
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      eof = true;
      if (!head_end) {
        return std::nullopt;
      }
      continue;
    }
    bytes_read += static_cast<std::size_t>(n);
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace

FaultProxy::FaultProxy(std::string upstream_host, std::uint16_t upstream_port)
    : upstream_host_(upstream_host == "localhost" ? "127.0.0.1" : std::move(upstream_host)),
      upstream_port_(upstream_port) {
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) {
    throw_errno("eventfd");
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) {
    const int saved = errno;
    ::close(stop_fd_);
    errno = saved;
    throw_errno("socket");
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listen_fd_, 128) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int saved = errno;
    ::close(listen_fd_);
    ::close(stop_fd_);
    errno = saved;
    throw_errno("bind/listen");
  }
  port_ = ntohs(address.sin_port);
  fault_set_at_ = Clock::now();
  accept_thread_ = std::thread([this] { accept_loop(); });
}

FaultProxy::~FaultProxy() {
  stopping_.store(true);
  const std::uint64_t one = 1;
  (void)!::write(stop_fd_, &one, sizeof(one));
  accept_thread_.join();
  // The accept thread is gone: nobody else touches the list now.
  for (auto& connection : connections_) {
    connection->thread.join();
  }
  connections_.clear();
  ::close(listen_fd_);
  ::close(stop_fd_);
}

std::string FaultProxy::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FaultProxy::set_fault(const Fault& fault) {
  std::lock_guard lock(mutex_);
  fault_ = fault;
  if (fault_.every == 0) {
    fault_.every = 1;
  }
  fault_set_at_ = Clock::now();
  fault_hits_ = 0;
  request_events_ = 0;
}

FaultMode FaultProxy::mode() {
  std::lock_guard lock(mutex_);
  if (fault_.duration && Clock::now() - fault_set_at_ >= *fault_.duration) {
    fault_ = Fault{};
  }
  return fault_.mode;
}

FaultProxyStats FaultProxy::stats() const {
  return FaultProxyStats{
      .connections_accepted = connections_accepted_.load(),
      .connections_open = connections_open_.load(),
      .upstream_connections = upstream_connections_.load(),
      .requests = requests_.load(),
      .requests_forwarded = requests_forwarded_.load(),
      .responses_delivered = responses_delivered_.load(),
      .faults_applied = faults_applied_.load(),
      .bytes_from_clients = bytes_from_clients_.load(),
      .bytes_to_clients = bytes_to_clients_.load(),
  };
}

std::optional<Fault> FaultProxy::take_fault(Event event, std::string_view request) {
  std::lock_guard lock(mutex_);
  if (fault_.duration && Clock::now() - fault_set_at_ >= *fault_.duration) {
    fault_ = Fault{};
  }
  const FaultMode mode = fault_.mode;
  if (mode == FaultMode::kPass) {
    return std::nullopt;
  }
  if (event == Event::kAccept && mode != FaultMode::kDrop && mode != FaultMode::kReset &&
      mode != FaultMode::kStall) {
    return std::nullopt;
  }
  if (!fault_.match.empty() &&
      (event == Event::kAccept || request.find(fault_.match) == std::string_view::npos)) {
    return std::nullopt;
  }
  if (event == Event::kRequest && ++request_events_ % fault_.every != 0) {
    return std::nullopt;
  }
  Fault taken = fault_;
  ++fault_hits_;
  faults_applied_.fetch_add(1);
  if (fault_.hits && fault_hits_ >= *fault_.hits) {
    fault_ = Fault{};
  }
  return taken;
}

bool FaultProxy::wait_readable(int fd, std::optional<std::chrono::milliseconds> timeout) const {
  const auto deadline = timeout ? Clock::now() + *timeout : Clock::time_point::max();
  for (;;) {
    if (is_stopping()) {
      return false;
    }
    int wait_ms = -1;
    if (timeout) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        return false;
      }
      wait_ms = static_cast<int>(left.count());
    }
    pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    const int n = ::poll(fds, 2, wait_ms);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 || (fds[1].revents & POLLIN) != 0) {
      return false;
    }
    if (fds[0].revents != 0) {
      return true;  // readable, or hung up / in error: recv() says which
    }
  }
}

void FaultProxy::pause(std::chrono::milliseconds delay) const {
  if (delay.count() <= 0) {
    return;
  }
  pollfd fds[1] = {{stop_fd_, POLLIN, 0}};
  const auto deadline = Clock::now() + delay;
  while (!is_stopping()) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return;
    }
    (void)::poll(fds, 1, static_cast<int>(left.count()));
  }
}

void FaultProxy::accept_loop() {
  while (!is_stopping()) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    const int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 || (fds[1].revents & POLLIN) != 0) {
      return;
    }
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    set_no_delay(fd);
    connections_accepted_.fetch_add(1);
    connections_open_.fetch_add(1);

    std::list<std::unique_ptr<Connection>> finished;
    Connection* connection = nullptr;
    {
      std::lock_guard lock(mutex_);
      for (auto it = connections_.begin(); it != connections_.end();) {
        if ((*it)->done.load()) {
          finished.push_back(std::move(*it));
          it = connections_.erase(it);
        } else {
          ++it;
        }
      }
      auto owned = std::make_unique<Connection>();
      owned->client_fd = fd;
      connection = owned.get();
      connections_.push_back(std::move(owned));
    }
    // Started outside the lock; the thread reads only its own Connection.
    connection->thread = std::thread([this, connection] { serve(*connection); });
    for (auto& old : finished) {
      old->thread.join();
    }
  }
}

void FaultProxy::serve(Connection& connection) {
  const int client = connection.client_fd;
  int upstream = -1;
  // How the client side ends: an orderly close unless a fault says otherwise.
  bool reset_client = false;
  std::string client_buffer;
  std::string upstream_buffer;
  std::size_t client_bytes = 0;
  std::size_t upstream_bytes = 0;

  const auto wait_client = [this](int fd) { return wait_readable(fd, std::nullopt); };
  const auto wait_upstream = [this](int fd) { return wait_readable(fd, kUpstreamTimeout); };
  // Reads and discards what the client sends until it closes or the proxy stops.
  const auto hold = [&] {
    char sink[4096];
    while (wait_readable(client, std::nullopt)) {
      const ssize_t n = ::recv(client, sink, sizeof(sink), 0);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return;
      }
      bytes_from_clients_.fetch_add(static_cast<std::size_t>(n));
    }
  };
  const auto close_upstream = [&] {
    if (upstream >= 0) {
      ::close(upstream);
      upstream = -1;
    }
    upstream_buffer.clear();
  };
  const auto open_upstream = [&]() -> bool {
    upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (upstream < 0) {
      return false;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(upstream_port_);
    if (::inet_pton(AF_INET, upstream_host_.c_str(), &address.sin_addr) != 1 ||
        ::connect(upstream, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      close_upstream();
      return false;
    }
    set_no_delay(upstream);
    upstream_connections_.fetch_add(1);
    return true;
  };

  const auto run = [&] {
    if (std::optional<Fault> fault = take_fault(Event::kAccept, {})) {
      if (fault->mode == FaultMode::kReset) {
        reset_client = true;
        return;
      }
      if (fault->mode == FaultMode::kStall) {
        hold();
      }
      return;  // kDrop: FIN at once
    }
    for (;;) {
      const std::size_t before = client_bytes;
      std::optional<Message> request =
          read_message(client, client_buffer, false, wait_client, client_bytes);
      bytes_from_clients_.fetch_add(client_bytes - before);
      if (!request) {
        return;
      }
      requests_.fetch_add(1);
      const std::optional<Fault> fault = take_fault(Event::kRequest, request->bytes);
      const FaultMode mode = fault ? fault->mode : FaultMode::kPass;
      switch (mode) {
        case FaultMode::kDrop:
          return;
        case FaultMode::kReset:
          reset_client = true;
          return;
        case FaultMode::kStall:
          hold();
          return;
        case FaultMode::kLatency:
          pause(fault->request_latency);
          break;
        default:
          break;
      }
      if (is_stopping()) {
        return;
      }
      std::optional<Message> response;
      // A reused upstream connection may have been closed by the server while idle: one fresh
      // attempt, as any keep-alive client does.
      for (int attempt = 0; attempt < 2 && !response; ++attempt) {
        const bool reused = upstream >= 0;
        if (!reused && !open_upstream()) {
          reset_client = true;
          return;
        }
        if (!send_all(upstream, request->bytes)) {
          close_upstream();
          if (reused) {
            continue;
          }
          reset_client = true;
          return;
        }
        if (attempt == 0) {
          requests_forwarded_.fetch_add(1);
        }
        const std::size_t got_before = upstream_bytes;
        response = read_message(upstream, upstream_buffer, true, wait_upstream, upstream_bytes);
        if (!response) {
          const bool nothing_arrived = upstream_bytes == got_before;
          close_upstream();
          if (!(reused && nothing_arrived) || is_stopping()) {
            reset_client = true;
            return;
          }
        }
      }
      if (!response) {
        reset_client = true;
        return;
      }
      if (response->close) {
        close_upstream();
      }
      switch (mode) {
        case FaultMode::kBlackhole:
          hold();
          return;
        case FaultMode::kApplyThenDrop:
          return;
        case FaultMode::kTruncate:
        case FaultMode::kResetMidResponse: {
          const std::size_t body = response->body_size();
          std::size_t cut = fault->cut_at.value_or(body / 2);
          cut = body == 0 ? 0 : std::min(cut, body - 1);
          const std::size_t keep = body == 0 ? response->head_size / 2 : response->head_size + cut;
          const std::string_view part = std::string_view(response->bytes).substr(0, keep);
          if (send_all(client, part)) {
            bytes_to_clients_.fetch_add(part.size());
          }
          reset_client = mode == FaultMode::kResetMidResponse;
          return;
        }
        case FaultMode::kLatency:
          pause(fault->response_latency);
          break;
        default:
          break;
      }
      if (is_stopping() || !send_all(client, response->bytes)) {
        return;
      }
      bytes_to_clients_.fetch_add(response->bytes.size());
      responses_delivered_.fetch_add(1);
      if (response->close) {
        return;
      }
    }
  };
  run();

  close_upstream();
  if (reset_client) {
    close_with_reset(client);
  } else {
    ::shutdown(client, SHUT_WR);
    ::close(client);
  }
  connections_open_.fetch_sub(1);
  connection.done.store(true);
}

}  // namespace zae::test
