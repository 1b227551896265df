// SPDX-License-Identifier: MIT
#include "support/http_test_server.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <exception>
#include <system_error>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace zae::test {
namespace {

// Bounds that keep a misbehaving client from growing the server without limit.
constexpr std::size_t kMaxHeadBytes = 64 * 1024;
constexpr std::size_t kMaxBodyBytes = 64 * 1024 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]);
    unsigned char y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') {
      x = static_cast<unsigned char>(x - 'A' + 'a');
    }
    if (y >= 'A' && y <= 'Z') {
      y = static_cast<unsigned char>(y - 'A' + 'a');
    }
    if (x != y) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

// Parses the request line and header fields of `head` (without the final blank line). False
// when malformed.
bool parse_head(std::string_view head, HttpTestRequest& request) {
  std::size_t line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) {
    return false;
  }
  request.method = std::string(line.substr(0, sp1));
  request.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  std::size_t q = request.target.find('?');
  request.path = request.target.substr(0, q);
  request.query = q == std::string::npos ? std::string() : request.target.substr(q + 1);
  while (line_end != std::string_view::npos) {
    std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    std::string_view field = head.substr(
        start, line_end == std::string_view::npos ? std::string_view::npos : line_end - start);
    if (field.empty()) {
      continue;
    }
    std::size_t colon = field.find(':');
    if (colon == std::string_view::npos) {
      return false;
    }
    request.headers.emplace_back(std::string(field.substr(0, colon)),
                                 std::string(trim(field.substr(colon + 1))));
  }
  return true;
}

std::string serialize(const HttpTestResponse& response, bool closing) {
  std::string out =
      "HTTP/1.1 " + std::to_string(response.status) + " " + reason_phrase(response.status) + "\r\n";
  bool has_length = false;
  for (const auto& [name, value] : response.headers) {
    has_length = has_length || iequals(name, "Content-Length");
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (!has_length) {
    out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  }
  if (closing) {
    out += "Connection: close\r\n";
  }
  out += "\r\n";
  out += response.body;
  return out;
}

}  // namespace

std::optional<std::string_view> HttpTestRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) {
      return std::string_view(value);
    }
  }
  return std::nullopt;
}

std::size_t HttpTestRequest::header_count(std::string_view name) const {
  std::size_t count = 0;
  for (const auto& field : headers) {
    count += iequals(field.first, name) ? 1 : 0;
  }
  return count;
}

HttpTestServer::HttpTestServer(Handler handler, HttpTestFaults faults)
    : handler_(std::move(handler)), faults_(faults) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) {
    throw_errno("socket");
  }
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (stop_fd_ < 0) {
    int saved = errno;
    ::close(listen_fd_);
    errno = saved;
    throw_errno("eventfd");
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 128) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int saved = errno;
    ::close(listen_fd_);
    ::close(stop_fd_);
    errno = saved;
    throw_errno("bind/listen");
  }
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { accept_loop(); });
}

HttpTestServer::~HttpTestServer() {
  {
    std::lock_guard lock(mutex_);
    stopping_.store(true);
  }
  stop_cv_.notify_all();
  std::uint64_t one = 1;
  // The eventfd counter cannot overflow from a single write; a failed write would only leave
  // threads to their own bounded waits, and poll() on it is level-triggered for every waiter.
  [[maybe_unused]] ssize_t written = ::write(stop_fd_, &one, sizeof(one));
  accept_thread_.join();
  // The accept thread has exited, so no thread is added after this point.
  for (auto& thread : connection_threads_) {
    thread.join();
  }
  ::close(listen_fd_);
  ::close(stop_fd_);
}

std::string HttpTestServer::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void HttpTestServer::set_faults(const HttpTestFaults& faults) {
  std::lock_guard lock(mutex_);
  faults_ = faults;
}

bool HttpTestServer::wait_readable(int fd, std::chrono::milliseconds timeout) const {
  pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  int timeout_ms = timeout.count() > 0 ? static_cast<int>(timeout.count()) : -1;
  for (;;) {
    int n = ::poll(fds, 2, timeout_ms);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0 || (fds[1].revents & POLLIN) != 0) {
      return false;
    }
    return fds[0].revents != 0;
  }
}

void HttpTestServer::pause(std::chrono::milliseconds delay) {
  if (delay.count() <= 0) {
    return;
  }
  std::unique_lock lock(mutex_);
  stop_cv_.wait_for(lock, delay, [this] { return is_stopping(); });
}

void HttpTestServer::accept_loop() {
  while (wait_readable(listen_fd_, std::chrono::milliseconds(0))) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;  // EAGAIN after a client gave up, ECONNABORTED: nothing to serve
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::size_t index = connections_.fetch_add(1) + 1;
    open_connections_.fetch_add(1);
    std::lock_guard lock(mutex_);
    HttpTestFaults faults = faults_;
    connection_threads_.emplace_back([this, fd, index, faults] {
      serve(fd, index, faults);
      ::close(fd);
      open_connections_.fetch_sub(1);
    });
  }
}

void HttpTestServer::serve(int fd, std::size_t index, HttpTestFaults faults) {
  if (faults.accept_mode == HttpTestAcceptMode::kReset) {
    // Linger with a zero timeout makes close() send RST instead of FIN.
    linger reset{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    return;
  }
  char chunk[64 * 1024];
  if (faults.accept_mode == HttpTestAcceptMode::kStall) {
    // Read and discard until the client closes or the server stops; never answer.
    while (wait_readable(fd, std::chrono::milliseconds(0))) {
      if (::recv(fd, chunk, sizeof(chunk), 0) <= 0) {
        return;
      }
    }
    return;
  }

  std::string buffer;
  std::size_t served = 0;
  for (;;) {
    std::size_t head_end;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      // Idle means no bytes of a next request yet; a partial request is given the same time.
      if (!wait_readable(fd, faults.idle_close)) {
        return;
      }
      ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
      if (n <= 0 || buffer.size() + static_cast<std::size_t>(n) > kMaxHeadBytes + sizeof(chunk)) {
        return;
      }
      buffer.append(chunk, static_cast<std::size_t>(n));
      if (buffer[0] < 'A' || buffer[0] > 'Z') {
        // Not HTTP (a TLS ClientHello, say): answer 400 and close, as real servers do.
        static constexpr std::string_view kBadRequest =
            "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        ::send(fd, kBadRequest.data(), kBadRequest.size(), MSG_NOSIGNAL);
        return;
      }
    }
    HttpTestRequest request;
    request.connection_index = index;
    if (!parse_head(std::string_view(buffer).substr(0, head_end), request)) {
      return;
    }
    std::size_t content_length = 0;
    if (auto value = request.header("Content-Length")) {
      auto [end, ec] =
          std::from_chars(value->data(), value->data() + value->size(), content_length);
      if (ec != std::errc() || end != value->data() + value->size()) {
        return;
      }
    }
    if (content_length > kMaxBodyBytes || request.header("Transfer-Encoding")) {
      return;  // chunked uploads are not needed by any client under test
    }
    std::size_t total = head_end + 4 + content_length;
    if (buffer.capacity() < total) {
      buffer.reserve(total);
    }
    while (buffer.size() < total) {
      if (!wait_readable(fd, std::chrono::milliseconds(0))) {
        return;
      }
      ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
      if (n <= 0) {
        return;
      }
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    request.body = buffer.substr(head_end + 4, content_length);
    buffer.erase(0, total);
    requests_.fetch_add(1);
    if (faults.drop_after_requests != 0 && served == faults.drop_after_requests) {
      if (faults.drop_close == HttpTestClose::kReset) {
        linger reset{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
      }
      return;
    }

    HttpTestResponse response;
    try {
      response = handler_(request);
    } catch (const std::exception& e) {
      response = HttpTestResponse{.status = 500, .body = e.what()};
    }
    pause(response.delay + faults.response_delay);
    if (is_stopping()) {
      return;
    }
    auto connection = request.header("Connection");
    bool closing = connection && iequals(*connection, "close");
    std::string wire = serialize(response, closing);
    std::size_t sent = 0;
    while (sent < wire.size()) {
      pollfd fds[2] = {{fd, POLLOUT, 0}, {stop_fd_, POLLIN, 0}};
      int n = ::poll(fds, 2, -1);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0 || (fds[1].revents & POLLIN) != 0) {
        return;
      }
      ssize_t w = ::send(fd, wire.data() + sent, wire.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
        continue;
      }
      if (w <= 0) {
        return;
      }
      sent += static_cast<std::size_t>(w);
    }
    ++served;
    if (closing) {
      return;
    }
  }
}

}  // namespace zae::test
