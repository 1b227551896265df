// SPDX-License-Identifier: MIT
#include "aws/socket_transport.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <deque>
#include <optional>
#include <string_view>
#include <utility>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "aws/http.h"

namespace zae::aws {
namespace {

using Clock = std::chrono::steady_clock;

// Receive buffer granularity; a DynamoDB response fits in one read.
constexpr std::size_t kReadChunk = 16 * 1024;
// A chunk-size line (hex size and extensions) longer than this is not HTTP.
constexpr std::size_t kMaxChunkLine = 1024;
// SO_RCVTIMEO is counted in scheduler ticks and rounded up (at most 10 ms at HZ=100): a blocking
// receive is bounded a tick short of the deadline, and used only with this much time left.
constexpr std::chrono::microseconds kTimerSlack{10'000};
constexpr std::chrono::milliseconds kMinBlockingWait{50};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string_view trim(std::string_view s) { return aws::trim(s, " \t"); }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// RFC 9110 §5.6.2 token characters (the header field name), as a table: every request and
// response field name is checked.
constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> token{};
  constexpr std::string_view kDelimiters = "(),/:;<=>?@[\\]{}\"";
  for (int c = 0x21; c < 0x7f; ++c) {
    token[c] = kDelimiters.find(static_cast<char>(c)) == std::string_view::npos;
  }
  return token;
}();

bool is_token(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!kTokenChars[static_cast<unsigned char>(c)]) {
      return false;
    }
  }
  return true;
}

// Calls `f` with each trimmed element of a comma-separated list.
template <typename F>
void for_each_token(std::string_view list, F f) {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    f(trim(list.substr(0, comma)));
    if (comma == std::string_view::npos) {
      break;
    }
    list.remove_prefix(comma + 1);
  }
}

// The parts of an http:// URL. Views into the request's url.
struct Url {
  std::string_view authority;  // host[:port], the pool key and the default Host header
  std::string_view host;       // without brackets for IPv6
  std::uint16_t port = 80;
  std::string_view target;  // path and query as given; may be empty or start with '?'
};

// The URL without its query, which may carry presigned credentials.
std::string_view redacted(std::string_view url) { return url.substr(0, url.find('?')); }

}  // namespace

struct SocketTransport::Connection {
  explicit Connection(std::string_view authority_in) : authority(authority_in) {}
  ~Connection() { close_socket(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void close_socket() {
    if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
    in_len = 0;
    blocking = false;
    receive_timeout = std::chrono::microseconds{0};
  }

  int fd = -1;
  // Connected sockets are switched to blocking mode so that send() can wait for a response in
  // recv itself; every other operation passes MSG_DONTWAIT. False while connecting, or when the
  // switch failed (then every wait is a poll).
  bool blocking = false;
  // The SO_RCVTIMEO set on fd; zero: none set yet.
  std::chrono::microseconds receive_timeout{0};
  std::string authority;
  std::size_t served = 0;  // complete responses received on the current socket
  std::string out;         // the request head, rebuilt in place for every request
  std::string in;          // receive buffer: in.size() is its capacity, in_len the bytes held
  std::size_t in_len = 0;
};

struct SocketTransport::Pool {
  std::string authority;
  std::vector<std::unique_ptr<Connection>> idle;
};

// One request's exchange on one connection, as a state machine driven by poll(): connect,
// write, read and parse. send() drives one; send_all() drives many in one poll loop.
class SocketTransport::Exchange {
 public:
  Exchange(SocketTransport& transport, const HttpRequest& request)
      : transport_(transport), request_(request) {}
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;
  ~Exchange() {
    if (conn_) {
      finish_connection();
    }
  }

  // Validates the request, takes a connection and writes as much as the socket accepts.
  void start() {
    timeout_ =
        request_.timeout.count() > 0 ? request_.timeout : transport_.options_.request_timeout;
    deadline_ = Clock::now() + timeout_;
    if (!parse_url() || !validate_headers()) {
      return;
    }
    is_head_ = request_.method == "HEAD";
    conn_ = transport_.acquire(url_.authority);
    if (!conn_) {
      conn_ = std::make_unique<Connection>(url_.authority);
    }
    build_head();
    if (conn_->fd >= 0 && request_.idempotency == Idempotency::kNonIdempotent &&
        !is_alive(conn_->fd)) {
      // A non-idempotent request gets no resend after a failure, so a connection the server
      // has closed while idle (its FIN or RST already here) is not used for it.
      conn_->close_socket();
    }
    if (conn_->fd >= 0) {
      reused_ = true;
      state_ = State::kWriting;
      write();
    } else {
      open();
    }
  }

  bool is_done() const noexcept { return state_ == State::kDone; }
  int fd() const noexcept { return conn_->fd; }
  short events() const noexcept { return state_ == State::kReading ? POLLIN : POLLOUT; }
  Clock::time_point next_deadline() const noexcept {
    return state_ == State::kConnecting ? connect_deadline_ : deadline_;
  }

  // Waits for response bytes in recv itself rather than in poll and then recv: one system call
  // per wait instead of two. Only on a blocking connection that has sent its request; the wait is
  // bounded by SO_RCVTIMEO, kept at most the time left (and reset only when it is no longer
  // within half of it, so a steady timeout costs no setsockopt per request). Returns false when
  // the caller should poll instead: not applicable, too little time left for a coarse timer, or
  // the receive timeout passed.
  bool wait_and_read() {
    if (state_ != State::kReading || !conn_->blocking) {
      return false;
    }
    const Clock::time_point now = Clock::now();
    if (now + kMinBlockingWait >= deadline_) {
      return false;  // poll keeps the deadline to the millisecond
    }
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline_ - now);
    std::chrono::microseconds& timeout = conn_->receive_timeout;
    if (timeout.count() == 0 || timeout > left - kTimerSlack || timeout < left / 2) {
      // The kernel rounds SO_RCVTIMEO up to a scheduler tick: leave a tick's slack.
      const std::chrono::microseconds want = left - left / 16 - kTimerSlack;
      timeval tv{};
      tv.tv_sec = static_cast<time_t>(want.count() / 1'000'000);
      tv.tv_usec = static_cast<suseconds_t>(want.count() % 1'000'000);
      if (::setsockopt(conn_->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
        return false;
      }
      timeout = want;
    }
    return read(true);
  }

  // Makes progress after poll() reported the socket ready (or failed).
  void on_ready() {
    switch (state_) {
      case State::kConnecting:
        connected();
        break;
      case State::kWriting:
        write();
        break;
      case State::kReading:
        static_cast<void>(read());
        break;
      case State::kDone:
        break;
    }
  }

  // Fails the exchange when its current deadline has passed.
  void check_deadline(Clock::time_point now) {
    if (state_ == State::kDone || now < next_deadline()) {
      return;
    }
    fail(NetworkErrorKind::kTimeout,
         state_ == State::kConnecting ? "connect timed out" : "request timed out", 0);
  }

  // The outcome; the connection goes back to the pool when it may be kept.
  HttpOutcome take_outcome() {
    if (conn_) {
      finish_connection();
    }
    HttpOutcome outcome;
    if (error_) {
      outcome.error = std::move(error_);
    } else {
      outcome.response = std::move(response_);
    }
    return outcome;
  }

 private:
  enum class State { kConnecting, kWriting, kReading, kDone };
  enum class Body { kNone, kLength, kChunked, kUntilClose };
  enum class Chunk { kSize, kData, kDataEnd, kTrailer };

  bool parse_url() {
    std::string_view url = request_.url;
    if (istarts_with(url, "https://")) {
      error(NetworkErrorKind::kOther,
            "TLS is not supported by SocketTransport (use CurlTransport for https)", 0);
      return false;
    }
    if (!istarts_with(url, "http://")) {
      error(NetworkErrorKind::kOther, "not an http:// URL", 0);
      return false;
    }
    url.remove_prefix(7);
    std::size_t end = url.find_first_of("/?#");
    url_.authority = url.substr(0, end);
    url_.target = end == std::string_view::npos ? std::string_view() : url.substr(end);
    url_.target = url_.target.substr(0, url_.target.find('#'));
    std::string_view authority = url_.authority;
    std::string_view port;
    if (authority.starts_with('[')) {
      std::size_t close = authority.find(']');
      if (close == std::string_view::npos) {
        error(NetworkErrorKind::kOther, "bad IPv6 host", 0);
        return false;
      }
      url_.host = authority.substr(1, close - 1);
      std::string_view rest = authority.substr(close + 1);
      if (!rest.empty()) {
        if (rest[0] != ':') {
          error(NetworkErrorKind::kOther, "bad authority", 0);
          return false;
        }
        port = rest.substr(1);
      }
    } else {
      std::size_t colon = authority.rfind(':');
      url_.host = authority.substr(0, colon);
      if (colon != std::string_view::npos) {
        port = authority.substr(colon + 1);
      }
    }
    if (url_.host.empty() || authority.find('@') != std::string_view::npos) {
      error(NetworkErrorKind::kOther, "bad host", 0);
      return false;
    }
    if (!port.empty()) {
      unsigned value = 0;
      auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
      if (ec != std::errc() || ptr != port.data() + port.size() || value == 0 || value > 65535) {
        error(NetworkErrorKind::kOther, "bad port", 0);
        return false;
      }
      url_.port = static_cast<std::uint16_t>(value);
    }
    return true;
  }

  bool validate_headers() {
    for (const auto& field : request_.headers) {
      if (!is_token(field.name) || has_line_break(field.value)) {
        error(NetworkErrorKind::kOther, "invalid HTTP header field '" + field.name + "'", 0);
        return false;
      }
      if (iequals(field.name, "Content-Length") || iequals(field.name, "Transfer-Encoding")) {
        error(NetworkErrorKind::kOther, field.name + " is set by the transport", 0);
        return false;
      }
      has_host_ = has_host_ || iequals(field.name, "Host");
    }
    return true;
  }

  void build_head() {
    std::string& out = conn_->out;
    out.clear();
    out += request_.method;
    out += ' ';
    if (url_.target.empty() || url_.target[0] == '?') {
      out += '/';
    }
    out += url_.target;
    out += " HTTP/1.1\r\n";
    if (!has_host_) {
      out += "Host: ";
      out += url_.authority;
      out += "\r\n";
    }
    for (const auto& field : request_.headers) {
      out += field.name;
      out += ": ";
      out += field.value;
      out += "\r\n";
    }
    std::string_view m = request_.method;
    if (!request_.body.empty() || m == "POST" || m == "PUT" || m == "PATCH") {
      char digits[24];
      auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), request_.body.size());
      out += "Content-Length: ";
      out.append(digits, end);
      out += "\r\n";
    }
    out += "\r\n";
  }

  // An idle keep-alive connection is alive when nothing is waiting on it: no EOF, no reset and
  // no stray bytes (a server sends nothing unasked).
  static bool is_alive(int fd) {
    pollfd p{fd, POLLIN | POLLRDHUP, 0};
    return ::poll(&p, 1, 0) == 0;
  }

  // Opens a fresh socket and starts connecting.
  void open() {
    reused_ = false;
    sockaddr_storage address{};
    socklen_t address_len = 0;
    std::string host(url_.host);
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(url_.port);
      address_len = sizeof(sockaddr_in);
    } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(url_.port);
      address_len = sizeof(sockaddr_in6);
    } else {
      addrinfo hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
      addrinfo* found = nullptr;
      std::string port = std::to_string(url_.port);
      int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
      if (rc != 0 || found == nullptr) {
        fail(NetworkErrorKind::kConnect,
             std::string("could not resolve host: ") + ::gai_strerror(rc), 0);
        return;
      }
      std::memcpy(&address, found->ai_addr, found->ai_addrlen);
      address_len = found->ai_addrlen;
      ::freeaddrinfo(found);
    }
    conn_->close_socket();
    conn_->served = 0;
    conn_->fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (conn_->fd < 0) {
      fail(NetworkErrorKind::kConnect, "socket failed", errno);
      return;
    }
    int one = 1;
    ::setsockopt(conn_->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    connect_deadline_ = std::min(deadline_, Clock::now() + transport_.options_.connect_timeout);
    if (::connect(conn_->fd, reinterpret_cast<sockaddr*>(&address), address_len) == 0) {
      on_connected();
      return;
    }
    if (errno == EINPROGRESS || errno == EINTR) {
      state_ = State::kConnecting;
      return;
    }
    connect_failed(errno);
  }

  void connected() {
    int err = 0;
    socklen_t len = sizeof(err);
    if (::getsockopt(conn_->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
      err = errno;
    }
    if (err != 0) {
      connect_failed(err);
      return;
    }
    on_connected();
  }

  void on_connected() {
    const int flags = ::fcntl(conn_->fd, F_GETFL);
    conn_->blocking = flags >= 0 && ::fcntl(conn_->fd, F_SETFL, flags & ~O_NONBLOCK) == 0;
    state_ = State::kWriting;
    write();
  }

  void connect_failed(int err) {
    // The peer accepted and reset before the connect completed: the handshake succeeded, so
    // this is a reset, not a refusal (as CurlTransport maps it).
    fail(err == ECONNRESET ? NetworkErrorKind::kReset : NetworkErrorKind::kConnect,
         "connect failed", err);
  }

  void write() {
    const std::string& head = conn_->out;
    const std::string& body = request_.body;
    const std::size_t total = head.size() + body.size();
    while (written_ < total) {
      iovec iov[2];
      int count = 0;
      if (written_ < head.size()) {
        iov[count++] = {const_cast<char*>(head.data()) + written_, head.size() - written_};
      }
      std::size_t body_offset = written_ > head.size() ? written_ - head.size() : 0;
      if (body_offset < body.size()) {
        iov[count++] = {const_cast<char*>(body.data()) + body_offset, body.size() - body_offset};
      }
      msghdr message{};
      message.msg_iov = iov;
      message.msg_iovlen = static_cast<std::size_t>(count);
      ssize_t n = ::sendmsg(conn_->fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          return;
        }
        fail(NetworkErrorKind::kReset, "send failed", errno);
        return;
      }
      written_ += static_cast<std::size_t>(n);
    }
    state_ = State::kReading;
  }

  // Receives what has arrived and parses it. With `wait`, the first recv blocks (on a blocking
  // socket, up to its SO_RCVTIMEO). Returns false when that first recv found nothing (EAGAIN).
  bool read(bool wait = false) {
    Connection& c = *conn_;
    int flags = wait ? 0 : MSG_DONTWAIT;
    bool progressed = false;
    for (;;) {
      char* destination = nullptr;
      std::size_t space = 0;
      const bool into_body = head_done_ && body_ == Body::kLength;
      if (into_body) {
        // Content-Length bodies are read straight into the response, growing it as bytes
        // arrive (a huge announced length costs nothing until it is sent).
        std::string& out = response_.body;
        if (out.size() == body_filled_) {
          out.resize(
              std::min(content_length_, std::max(body_filled_ * 2, body_filled_ + kReadChunk)));
        }
        destination = out.data() + body_filled_;
        space = out.size() - body_filled_;
      } else {
        if (c.in.size() - c.in_len < kReadChunk / 4) {
          c.in.resize(std::max(c.in.size() * 2, kReadChunk));
        }
        destination = c.in.data() + c.in_len;
        space = c.in.size() - c.in_len;
      }
      ssize_t n = ::recv(c.fd, destination, space, flags);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          return progressed;
        }
        fail(NetworkErrorKind::kReset, "receive failed", errno);
        return true;
      }
      progressed = true;
      flags = MSG_DONTWAIT;  // after the first bytes, only what has already arrived
      if (n == 0) {
        end_of_stream();
        return true;
      }
      got_byte_ = true;
      auto received = static_cast<std::size_t>(n);
      if (into_body) {
        body_filled_ += received;
        if (body_filled_ == content_length_) {
          complete();
          return true;
        }
      } else {
        c.in_len += received;
        parse();
        if (state_ == State::kDone) {
          return true;
        }
      }
      if (received < space) {
        return true;  // the socket is drained; wait again
      }
    }
  }

  void end_of_stream() {
    if (!got_byte_) {
      fail(NetworkErrorKind::kReset, "connection closed before any response byte", 0);
    } else if (head_done_ && body_ == Body::kUntilClose) {
      keep_ = false;
      complete();
    } else {
      fail(NetworkErrorKind::kReset, "connection closed mid-response", 0);
    }
  }

  void parse() {
    if (!head_done_) {
      if (!parse_head()) {
        return;
      }
      start_body();
      if (state_ == State::kDone || body_ == Body::kLength) {
        return;
      }
    }
    if (body_ == Body::kChunked) {
      parse_chunks();
    } else {
      response_.body.append(conn_->in.data() + pos_, conn_->in_len - pos_);
      pos_ = 0;
      conn_->in_len = 0;
    }
  }

  // Parses the status line and header fields once the whole header section is buffered.
  // Returns true when the head of a final (non-1xx) response is parsed.
  bool parse_head() {
    Connection& c = *conn_;
    for (;;) {
      std::string_view buffer(c.in.data(), c.in_len);
      std::size_t end = buffer.find("\r\n\r\n", scan_from_);
      if (end == std::string_view::npos) {
        if (c.in_len > transport_.options_.max_header_bytes) {
          fail(NetworkErrorKind::kProtocol, "response header section too large", 0);
        }
        scan_from_ = c.in_len >= 3 ? c.in_len - 3 : 0;
        return false;
      }
      if (end + 4 > transport_.options_.max_header_bytes) {
        fail(NetworkErrorKind::kProtocol, "response header section too large", 0);
        return false;
      }
      pos_ = end + 4;
      if (!parse_fields(buffer.substr(0, end + 2))) {
        fail(NetworkErrorKind::kProtocol, "malformed response head", 0);
        return false;
      }
      if (response_.status >= 200) {
        head_done_ = true;
        return true;
      }
      if (response_.status == 101) {
        fail(NetworkErrorKind::kProtocol, "unexpected protocol switch", 0);
        return false;
      }
      // An interim 1xx response: drop it and parse the final one behind it.
      std::memmove(c.in.data(), c.in.data() + pos_, c.in_len - pos_);
      c.in_len -= pos_;
      pos_ = 0;
      scan_from_ = 0;
    }
  }

  // `head` is the status line and fields, each ending in CRLF.
  bool parse_fields(std::string_view head) {
    std::size_t eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    // "HTTP/1.x SSS[ reason]" (RFC 9112 §4).
    if (line.size() < 12 || !line.starts_with("HTTP/1.") || !is_digit(line[7]) || line[8] != ' ' ||
        !is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11]) ||
        (line.size() > 12 && line[12] != ' ') || line.find('\n') != std::string_view::npos) {
      return false;
    }
    const bool http11 = line[7] != '0';
    response_.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    response_.headers.clear();
    // One allocation for the fields instead of one per doubling: one line per field.
    response_.headers.reserve(static_cast<std::size_t>(std::count(head.begin(), head.end(), '\n')));
    has_length_ = false;
    bool chunked = false;
    bool has_encoding = false;
    bool close = false;
    bool keep_alive = false;
    for (std::size_t p = eol + 2; p < head.size();) {
      std::size_t e = head.find("\r\n", p);
      line = head.substr(p, e - p);
      p = e + 2;
      std::size_t colon = line.find(':');
      if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
        return false;  // also rejects obsolete line folding (a leading space)
      }
      std::string_view name = line.substr(0, colon);
      std::string_view value = trim(line.substr(colon + 1));
      if (has_line_break(value)) {
        return false;
      }
      if (iequals(name, "Content-Length")) {
        std::uint64_t length = 0;
        auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
        if (value.empty() || !is_digit(value[0]) || ec != std::errc() ||
            ptr != value.data() + value.size() || (has_length_ && length != content_length_)) {
          return false;
        }
        has_length_ = true;
        content_length_ = length;
      } else if (iequals(name, "Transfer-Encoding")) {
        has_encoding = true;
        chunked = false;
        for_each_token(value,
                       [&](std::string_view coding) { chunked = iequals(coding, "chunked"); });
      } else if (iequals(name, "Connection")) {
        for_each_token(value, [&](std::string_view option) {
          close = close || iequals(option, "close");
          keep_alive = keep_alive || iequals(option, "keep-alive");
        });
      }
      response_.headers.push_back(HttpField{std::string(name), std::string(value)});
    }
    keep_ = !close && (http11 || keep_alive);
    if (response_.status < 200) {
      return true;
    }
    // RFC 9112 §6.3: message body length.
    if (is_head_ || response_.status == 204 || response_.status == 304) {
      body_ = Body::kNone;
    } else if (has_encoding) {
      if (!chunked) {
        return false;  // no other transfer coding is requested or understood
      }
      body_ = Body::kChunked;
      keep_ = keep_ && !has_length_;  // both framings: deliver, but do not trust the connection
    } else if (has_length_) {
      body_ = Body::kLength;
    } else {
      body_ = Body::kUntilClose;
      keep_ = false;
    }
    return true;
  }

  void start_body() {
    Connection& c = *conn_;
    if (body_ == Body::kNone) {
      keep_ = keep_ && pos_ == c.in_len;
      complete();
    } else if (body_ == Body::kLength) {
      std::size_t available = c.in_len - pos_;
      std::size_t take =
          static_cast<std::size_t>(std::min<std::uint64_t>(available, content_length_));
      response_.body.assign(c.in.data() + pos_, take);
      body_filled_ = take;
      keep_ = keep_ && available == take;  // bytes after the body: the stream is out of step
      pos_ = 0;
      c.in_len = 0;
      if (body_filled_ == content_length_) {
        complete();
      }
    }
  }

  void parse_chunks() {
    Connection& c = *conn_;
    for (;;) {
      std::string_view buffer(c.in.data() + pos_, c.in_len - pos_);
      if (chunk_ == Chunk::kData) {
        if (buffer.empty()) {
          break;
        }
        std::size_t take =
            static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), chunk_left_));
        response_.body.append(buffer.data(), take);
        pos_ += take;
        chunk_left_ -= take;
        if (chunk_left_ == 0) {
          chunk_ = Chunk::kDataEnd;
        }
        continue;
      }
      if (chunk_ == Chunk::kDataEnd) {
        if (buffer.size() < 2) {
          break;
        }
        if (buffer[0] != '\r' || buffer[1] != '\n') {
          fail(NetworkErrorKind::kProtocol, "malformed chunked body", 0);
          return;
        }
        pos_ += 2;
        chunk_ = Chunk::kSize;
        continue;
      }
      std::size_t eol = buffer.find("\r\n");
      if (eol == std::string_view::npos) {
        std::size_t limit =
            chunk_ == Chunk::kSize ? kMaxChunkLine : transport_.options_.max_header_bytes;
        if (buffer.size() > limit) {
          fail(NetworkErrorKind::kProtocol, "malformed chunked body", 0);
          return;
        }
        break;
      }
      std::string_view line = buffer.substr(0, eol);
      pos_ += eol + 2;
      if (chunk_ == Chunk::kTrailer) {
        if (line.empty()) {
          keep_ = keep_ && pos_ == c.in_len;
          complete();
          return;
        }
        trailer_bytes_ += line.size() + 2;
        if (trailer_bytes_ > transport_.options_.max_header_bytes) {
          fail(NetworkErrorKind::kProtocol, "chunked trailer too large", 0);
          return;
        }
        continue;
      }
      // chunk-size [ chunk-ext ] (RFC 9112 §7.1); at most 15 hex digits, so no overflow.
      std::uint64_t size = 0;
      auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
      std::size_t digits = static_cast<std::size_t>(ptr - line.data());
      std::string_view rest = trim(line.substr(digits));
      if (ec != std::errc() || digits == 0 || digits > 15 || !is_hex_start(line[0]) ||
          (!rest.empty() && rest[0] != ';')) {
        fail(NetworkErrorKind::kProtocol, "malformed chunk size", 0);
        return;
      }
      if (size == 0) {
        chunk_ = Chunk::kTrailer;
      } else {
        chunk_ = Chunk::kData;
        chunk_left_ = size;
      }
    }
    // Keep only the unparsed tail, at the front of the buffer.
    if (pos_ > 0) {
      std::memmove(c.in.data(), c.in.data() + pos_, c.in_len - pos_);
      c.in_len -= pos_;
      pos_ = 0;
    }
  }

  static bool is_hex_start(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  void complete() {
    if (body_ == Body::kLength) {
      response_.body.resize(body_filled_);
    }
    ++conn_->served;
    state_ = State::kDone;
  }

  // Records a failure. The stale-connection rule: a reused connection that failed before any
  // response byte arrived was most likely closed by the server while idle, and the server did
  // not act on the request; it is sent once more on a fresh connection. Timeouts are not, and
  // neither is a non-idempotent request: the server may have applied it and then lost the
  // connection (start() checked the connection before writing it).
  void fail(NetworkErrorKind kind, std::string_view what, int err) {
    if (kind == NetworkErrorKind::kReset && reused_ && !got_byte_ && !retried_ &&
        request_.idempotency == Idempotency::kIdempotent) {
      retried_ = true;
      reset_exchange();
      open();
      return;
    }
    keep_ = false;
    if (conn_) {
      conn_->close_socket();
    }
    error(kind, what, err);
  }

  void error(NetworkErrorKind kind, std::string_view what, int err) {
    std::string message = request_.method;
    message += ' ';
    message += redacted(request_.url);
    message += ": ";
    message += what;
    if (err != 0) {
      message += " (";
      message += std::strerror(err);
      message += ')';
    }
    error_.emplace(kind, message);
    state_ = State::kDone;
  }

  void reset_exchange() {
    written_ = 0;
    got_byte_ = false;
    head_done_ = false;
    scan_from_ = 0;
    pos_ = 0;
    body_filled_ = 0;
    chunk_ = Chunk::kSize;
    trailer_bytes_ = 0;
    response_ = HttpResponse{};
  }

  void finish_connection() {
    std::unique_ptr<Connection> conn = std::move(conn_);
    if (!error_ && state_ == State::kDone && keep_ && conn->fd >= 0) {
      conn->in_len = 0;
      transport_.release(std::move(conn));
    }
  }

  SocketTransport& transport_;
  const HttpRequest& request_;
  Url url_;
  std::unique_ptr<Connection> conn_;
  State state_ = State::kDone;
  std::chrono::milliseconds timeout_{0};
  Clock::time_point deadline_;
  Clock::time_point connect_deadline_;
  bool has_host_ = false;
  bool is_head_ = false;
  bool reused_ = false;
  bool retried_ = false;
  bool got_byte_ = false;
  bool head_done_ = false;
  bool has_length_ = false;
  bool keep_ = false;
  std::size_t written_ = 0;
  std::size_t scan_from_ = 0;
  std::size_t pos_ = 0;  // parse position in the receive buffer
  Body body_ = Body::kNone;
  std::uint64_t content_length_ = 0;
  std::size_t body_filled_ = 0;
  Chunk chunk_ = Chunk::kSize;
  std::uint64_t chunk_left_ = 0;
  std::size_t trailer_bytes_ = 0;
  HttpResponse response_;
  std::optional<NetworkError> error_;
};

namespace {

// Milliseconds poll() may sleep until `deadline`, rounded up so that it never wakes early.
int poll_timeout(Clock::time_point deadline, Clock::time_point now) {
  if (deadline <= now) {
    return 0;
  }
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(deadline - now).count();
  return static_cast<int>(std::min<long long>((us + 999) / 1000, 60'000));
}

}  // namespace

SocketTransport::SocketTransport(SocketTransportOptions options) : options_(options) {}

SocketTransport::~SocketTransport() = default;

HttpResponse SocketTransport::send(const HttpRequest& request) {
  Exchange exchange(*this, request);
  exchange.start();
  while (!exchange.is_done()) {
    if (exchange.wait_and_read()) {
      continue;
    }
    pollfd p{exchange.fd(), exchange.events(), 0};
    Clock::time_point now = Clock::now();
    int n = ::poll(&p, 1, poll_timeout(exchange.next_deadline(), now));
    if (n > 0) {
      exchange.on_ready();
    } else {
      exchange.check_deadline(Clock::now());
    }
  }
  HttpOutcome outcome = exchange.take_outcome();
  if (outcome.error) {
    throw std::move(*outcome.error);
  }
  return std::move(*outcome.response);
}

std::vector<HttpOutcome> SocketTransport::send_all(std::span<const HttpRequest> requests) {
  std::deque<Exchange> exchanges;
  for (const auto& request : requests) {
    exchanges.emplace_back(*this, request).start();
  }
  std::vector<pollfd> fds;
  std::vector<Exchange*> waiting;
  for (;;) {
    fds.clear();
    waiting.clear();
    Clock::time_point next = Clock::time_point::max();
    for (auto& exchange : exchanges) {
      if (!exchange.is_done()) {
        fds.push_back(pollfd{exchange.fd(), exchange.events(), 0});
        waiting.push_back(&exchange);
        next = std::min(next, exchange.next_deadline());
      }
    }
    if (waiting.empty()) {
      break;
    }
    int n = ::poll(fds.data(), fds.size(), poll_timeout(next, Clock::now()));
    if (n > 0) {
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].revents != 0) {
          waiting[i]->on_ready();
        }
      }
    }
    Clock::time_point now = Clock::now();
    for (Exchange* exchange : waiting) {
      exchange->check_deadline(now);
    }
  }
  std::vector<HttpOutcome> outcomes;
  outcomes.reserve(exchanges.size());
  for (auto& exchange : exchanges) {
    outcomes.push_back(exchange.take_outcome());
  }
  return outcomes;
}

std::size_t SocketTransport::idle_connections() const {
  std::lock_guard lock(mutex_);
  std::size_t total = 0;
  for (const auto& pool : pools_) {
    total += pool->idle.size();
  }
  return total;
}

std::unique_ptr<SocketTransport::Connection> SocketTransport::acquire(std::string_view authority) {
  std::lock_guard lock(mutex_);
  for (auto& pool : pools_) {
    if (pool->authority == authority) {
      if (pool->idle.empty()) {
        return nullptr;
      }
      std::unique_ptr<Connection> connection = std::move(pool->idle.back());
      pool->idle.pop_back();
      return connection;
    }
  }
  return nullptr;
}

void SocketTransport::release(std::unique_ptr<Connection> connection) {
  std::unique_ptr<Connection> surplus;  // closed after the lock is released
  std::lock_guard lock(mutex_);
  auto it = std::find_if(pools_.begin(), pools_.end(), [&](const auto& pool) {
    return pool->authority == connection->authority;
  });
  if (it == pools_.end()) {
    pools_.push_back(std::make_unique<Pool>(Pool{.authority = connection->authority, .idle = {}}));
    it = pools_.end() - 1;
  }
  if ((*it)->idle.size() < options_.max_idle_connections) {
    (*it)->idle.push_back(std::move(connection));
  } else {
    surplus = std::move(connection);
  }
}

}  // namespace zae::aws
