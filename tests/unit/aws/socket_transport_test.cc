// SPDX-License-Identifier: MIT
// What only SocketTransport does: refusing https and caller framing headers, and response
// framings (chunked, close-delimited, interim) and malformed responses from a canned-bytes
// server. The behaviour every transport shares is in transport_contract_test.cc.
#include "aws/socket_transport.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/http_test_server.h"

namespace zae::aws {
namespace {

using std::chrono::milliseconds;
using test::HttpTestAcceptMode;
using test::HttpTestFaults;
using test::HttpTestRequest;
using test::HttpTestResponse;
using test::HttpTestServer;

HttpRequest post(std::string url, std::string body = "{}") {
  return HttpRequest{.method = "POST", .url = std::move(url), .body = std::move(body)};
}

HttpTestResponse echo(const HttpTestRequest& request) {
  return HttpTestResponse{.headers = {{"X-Connection", std::to_string(request.connection_index)}},
                          .body = request.body};
}

// The NetworkError kind `send` throws; fails the test when it returns a response instead.
NetworkErrorKind failure_kind(SocketTransport& transport, const HttpRequest& request) {
  try {
    HttpResponse response = transport.send(request);
    ADD_FAILURE() << "expected NetworkError, got status " << response.status;
  } catch (const NetworkError& e) {
    EXPECT_NE(std::string(e.what()).find(request.url.substr(0, request.url.find('?'))),
              std::string::npos)
        << e.what();
    return e.kind();
  }
  return NetworkErrorKind::kOther;
}

TEST(SocketTransportFaultTest, HttpsIsRejectedAsUnsupported) {
  HttpTestServer server(echo);
  SocketTransport transport;
  std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
  try {
    transport.send(post(url));
    FAIL() << "expected NetworkError";
  } catch (const NetworkError& e) {
    EXPECT_EQ(e.kind(), NetworkErrorKind::kOther);
    EXPECT_NE(std::string(e.what()).find("TLS is not supported"), std::string::npos) << e.what();
  }
  EXPECT_EQ(server.connections(), 0u);
}

TEST(SocketTransportTest, CallerContentLengthIsRejected) {
  HttpTestServer server(echo);
  SocketTransport transport;
  HttpRequest request = post(server.url() + "/", "abc");
  request.headers = {{"Content-Length", "3"}};
  EXPECT_THROW(transport.send(request), NetworkError);
  EXPECT_EQ(server.requests(), 0u);
}

// Whether CannedServer closes the connection after each reply.
enum class CannedClose { kKeep, kClose };

// A loopback server that answers every request with the same canned bytes: the framings and
// malformations HttpTestServer does not produce (chunked bodies, interim responses, garbage).
// One thread serves one connection at a time; every wait is a bounded poll.
class CannedServer {
 public:
  CannedServer(std::string reply, CannedClose close) : reply_(std::move(reply)), close_(close) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listen_fd_, 16) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen";
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~CannedServer() {
    stopping_ = true;
    thread_.join();
    ::close(listen_fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  std::size_t connections() const { return connections_.load(); }

 private:
  bool readable(int fd) const {
    while (!stopping_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) {
        return true;
      }
    }
    return false;
  }

  void run() {
    while (readable(listen_fd_)) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) {
        continue;
      }
      ++connections_;
      serve(fd);
      ::close(fd);
    }
  }

  // Reads each request (head and Content-Length body), answers with the canned reply.
  void serve(int fd) {
    std::string buffer;
    char chunk[4096];
    while (true) {
      std::size_t end = buffer.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t length = 0;
        std::size_t at = buffer.find("Content-Length: ");
        if (at != std::string::npos && at < end) {
          length = std::stoul(buffer.substr(at + 16));
        }
        if (buffer.size() >= end + 4 + length) {
          buffer.erase(0, end + 4 + length);
          if (::send(fd, reply_.data(), reply_.size(), MSG_NOSIGNAL) < 0 ||
              close_ == CannedClose::kClose) {
            return;
          }
          continue;
        }
      }
      if (!readable(fd)) {
        return;
      }
      ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
      if (n <= 0) {
        return;
      }
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
  }

  std::string reply_;
  CannedClose close_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> connections_{0};
  std::thread thread_;
};

HttpRequest bounded(std::string url) {
  HttpRequest request = post(std::move(url));
  request.timeout = milliseconds(2000);
  return request;
}

TEST(SocketTransportFramingTest, ChunkedBodyIsDecodedAndTheConnectionKept) {
  CannedServer server(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n7;name=value\r\n, world\r\n0\r\n\r\n",
      CannedClose::kKeep);
  SocketTransport transport;
  for (int i = 0; i < 3; ++i) {
    HttpResponse response = transport.send(bounded(server.url()));
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "hello, world");
    EXPECT_EQ(response.header("transfer-encoding"), "chunked");
  }
  EXPECT_EQ(server.connections(), 1u);
}

TEST(SocketTransportFramingTest, ChunkedTrailersAreSkipped) {
  CannedServer server(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "A\r\n0123456789\r\n0\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n",
      CannedClose::kKeep);
  SocketTransport transport;
  EXPECT_EQ(transport.send(bounded(server.url())).body, "0123456789");
  EXPECT_EQ(transport.send(bounded(server.url())).body, "0123456789");
  EXPECT_EQ(server.connections(), 1u);
}

TEST(SocketTransportFramingTest, LargeChunkedBodySpansManyReads) {
  std::string body;
  std::string wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 1000; ++i) {
    std::string piece(1000 + i % 7, static_cast<char>('a' + i % 26));
    body += piece;
    char size[16];
    std::snprintf(size, sizeof(size), "%zx\r\n", piece.size());
    wire += size + piece + "\r\n";
  }
  wire += "0\r\n\r\n";
  CannedServer server(wire, CannedClose::kKeep);
  SocketTransport transport;
  HttpResponse response = transport.send(bounded(server.url()));
  EXPECT_EQ(response.body.size(), body.size());
  EXPECT_TRUE(response.body == body);
}

TEST(SocketTransportFramingTest, ConnectionCloseIsHonoured) {
  CannedServer server("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
                      CannedClose::kClose);
  SocketTransport transport;
  EXPECT_EQ(transport.send(bounded(server.url())).body, "ok");
  EXPECT_EQ(transport.idle_connections(), 0u);
  EXPECT_EQ(transport.send(bounded(server.url())).body, "ok");
  EXPECT_EQ(server.connections(), 2u);
}

TEST(SocketTransportFramingTest, BodyWithoutLengthEndsAtClose) {
  CannedServer server("HTTP/1.1 200 OK\r\nX-A: b\r\n\r\nuntil the end", CannedClose::kClose);
  SocketTransport transport;
  HttpResponse response = transport.send(bounded(server.url()));
  EXPECT_EQ(response.body, "until the end");
  EXPECT_EQ(transport.idle_connections(), 0u);
}

TEST(SocketTransportFramingTest, Http10WithoutKeepAliveIsNotReused) {
  CannedServer server("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", CannedClose::kClose);
  SocketTransport transport;
  EXPECT_EQ(transport.send(bounded(server.url())).body, "x");
  EXPECT_EQ(transport.send(bounded(server.url())).body, "x");
  EXPECT_EQ(server.connections(), 2u);
}

TEST(SocketTransportFramingTest, InterimResponsesAreSkipped) {
  CannedServer server(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone",
      CannedClose::kKeep);
  SocketTransport transport;
  HttpResponse response = transport.send(bounded(server.url()));
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, "done");
  EXPECT_EQ(response.headers.size(), 1u);
}

TEST(SocketTransportFramingTest, HeadResponseHasNoBodyDespiteContentLength) {
  CannedServer server("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", CannedClose::kKeep);
  SocketTransport transport;
  HttpRequest head = bounded(server.url());
  head.method = "HEAD";
  head.body.clear();
  for (int i = 0; i < 2; ++i) {
    HttpResponse response = transport.send(head);
    EXPECT_EQ(response.header("Content-Length"), "10");
    EXPECT_EQ(response.body, "");
  }
  EXPECT_EQ(server.connections(), 1u);
}

struct BadReply {
  std::string name;
  std::string wire;
  NetworkErrorKind kind;
};

// Malformed or truncated responses are errors of the right kind: never a crash, a hang or a read
// past the buffer (the sanitizer build runs these).
TEST(SocketTransportFramingTest, MalformedResponsesAreProtocolErrors) {
  const std::vector<BadReply> replies = {
      {"not http", "garbage\r\n\r\n", NetworkErrorKind::kProtocol},
      {"binary", std::string("\0\x01\x02\xff\r\n\r\n", 8), NetworkErrorKind::kProtocol},
      {"bad status", "HTTP/1.1 2x0 OK\r\n\r\n", NetworkErrorKind::kProtocol},
      {"short status", "HTTP/1.1 20\r\n\r\n", NetworkErrorKind::kProtocol},
      {"http2", "HTTP/2 200\r\n\r\n", NetworkErrorKind::kProtocol},
      {"no colon", "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", NetworkErrorKind::kProtocol},
      {"empty name", "HTTP/1.1 200 OK\r\n: x\r\n\r\n", NetworkErrorKind::kProtocol},
      {"folded", "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", NetworkErrorKind::kProtocol},
      {"bare lf", "HTTP/1.1 200 OK\r\nA: b\nC: d\r\n\r\n", NetworkErrorKind::kProtocol},
      {"length text", "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
       NetworkErrorKind::kProtocol},
      {"length negative", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
       NetworkErrorKind::kProtocol},
      {"length overflow", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
       NetworkErrorKind::kProtocol},
      {"lengths differ", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
       NetworkErrorKind::kProtocol},
      {"gzip coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx",
       NetworkErrorKind::kProtocol},
      {"chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n",
       NetworkErrorKind::kProtocol},
      {"chunk size sign", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n\r\n",
       NetworkErrorKind::kProtocol},
      {"chunk too big",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n\r\n",
       NetworkErrorKind::kProtocol},
      {"chunk without crlf",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n",
       NetworkErrorKind::kProtocol},
      {"chunk line endless",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(2000, '1'),
       NetworkErrorKind::kProtocol},
      {"switch", "HTTP/1.1 101 Switching Protocols\r\n\r\n", NetworkErrorKind::kProtocol},
      {"head too large", "HTTP/1.1 200 OK\r\nX-Big: " + std::string(70000, 'a') + "\r\n\r\n",
       NetworkErrorKind::kProtocol},
      {"endless head", "HTTP/1.1 200 OK\r\nX-Big: " + std::string(70000, 'a'),
       NetworkErrorKind::kProtocol},
      {"truncated head", "HTTP/1.1 200", NetworkErrorKind::kReset},
      {"truncated body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
       NetworkErrorKind::kReset},
      {"truncated chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhe",
       NetworkErrorKind::kReset},
      {"nothing", "", NetworkErrorKind::kReset},
  };
  for (const auto& reply : replies) {
    CannedServer server(reply.wire, CannedClose::kClose);
    SocketTransport transport;
    EXPECT_EQ(failure_kind(transport, bounded(server.url())), reply.kind) << reply.name;
    EXPECT_EQ(transport.idle_connections(), 0u) << reply.name;
  }
}

TEST(SocketTransportFramingTest, BytesAfterTheBodyDiscardTheConnection) {
  CannedServer server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", CannedClose::kKeep);
  SocketTransport transport;
  EXPECT_EQ(transport.send(bounded(server.url())).body, "ok");
  EXPECT_EQ(transport.idle_connections(), 0u);
}

}  // namespace
}  // namespace zae::aws
