// SPDX-License-Identifier: MIT
// SocketTransport over real servers on loopback: the behaviours of curl_transport_test.cc and
// curl_transport_fault_test.cc, plus response framings (chunked, close-delimited, interim) and
// malformed responses from a canned-bytes server.
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

// Echoes the request: status from "?status=N", the body back, method, path and connection
// number in headers; "/slow" answers after 300 ms. Keeps every request for inspection.
class EchoServer {
 public:
  explicit EchoServer(HttpTestFaults faults = {})
      : server_([this](const HttpTestRequest& r) { return handle(r); }, faults) {}

  HttpTestServer& server() { return server_; }
  std::string url(const std::string& target) const { return server_.url() + target; }

  std::vector<HttpTestRequest> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  HttpTestRequest last() const {
    std::lock_guard lock(mutex_);
    return received_.back();
  }

 private:
  HttpTestResponse handle(const HttpTestRequest& request) {
    {
      std::lock_guard lock(mutex_);
      received_.push_back(request);
    }
    HttpTestResponse response;
    if (request.query.starts_with("status=")) {
      response.status = std::stoi(request.query.substr(7));
    }
    response.headers = {{"X-Method", request.method},
                        {"X-Path", request.path},
                        {"X-Connection", std::to_string(request.connection_index)}};
    response.body = request.body;
    if (request.path == "/slow") {
      response.delay = milliseconds(300);
    }
    return response;
  }

  mutable std::mutex mutex_;
  std::vector<HttpTestRequest> received_;
  HttpTestServer server_;  // last: stopped (threads joined) before the members it uses go
};

std::set<std::string> lower_names(const HttpTestRequest& request) {
  std::set<std::string> names;
  for (const auto& [name, value] : request.headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    names.insert(lower);
  }
  return names;
}

HttpRequest post(std::string url, std::string body = "{}") {
  return HttpRequest{.method = "POST", .url = std::move(url), .body = std::move(body)};
}

TEST(SocketTransportTest, GetRoundTripsPathQueryAndHeaders) {
  EchoServer echo;
  SocketTransport transport;
  HttpResponse response = transport.send(HttpRequest{
      .method = "GET", .url = echo.url("/a/b?x=1&y=two"), .headers = {{"X-Test", "value 1"}}});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("x-method"), "GET");
  EXPECT_EQ(response.header("X-Path"), "/a/b");
  EXPECT_EQ(response.body, "");
  HttpTestRequest seen = echo.last();
  EXPECT_EQ(seen.target, "/a/b?x=1&y=two");
  EXPECT_EQ(seen.header("X-Test"), "value 1");
  EXPECT_EQ(seen.body, "");
}

TEST(SocketTransportTest, PostRoundTripsBody) {
  EchoServer echo;
  SocketTransport transport;
  HttpResponse response = transport.send(post(echo.url("/"), R"({"TableName":"t"})"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"TableName":"t"})");
  EXPECT_EQ(response.header("Content-Length"), "17");
  EXPECT_EQ(echo.last().method, "POST");
}

TEST(SocketTransportTest, BinaryBodyRoundTripsEveryByte) {
  EchoServer echo;
  SocketTransport transport;
  std::string body;
  for (int round = 0; round < 4; ++round) {
    for (int c = 0; c < 256; ++c) {
      body.push_back(static_cast<char>(c));
    }
  }
  HttpResponse response = transport.send(post(echo.url("/bin"), body));
  EXPECT_EQ(response.body, body);
  EXPECT_EQ(echo.last().body, body);
}

TEST(SocketTransportTest, FiveMegabyteBodiesRoundTrip) {
  EchoServer echo;
  SocketTransport transport;
  std::string body(5 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) {
    body[i] = static_cast<char>((i * 131) % 251);
  }
  HttpResponse response = transport.send(post(echo.url("/big"), body));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.size(), body.size());
  EXPECT_TRUE(response.body == body);
  HttpTestRequest seen = echo.last();
  EXPECT_EQ(seen.header("Content-Length"), std::to_string(body.size()));
  EXPECT_FALSE(seen.header("Expect").has_value());
}

TEST(SocketTransportTest, EmptyPostSendsZeroContentLength) {
  EchoServer echo;
  SocketTransport transport;
  HttpResponse response = transport.send(post(echo.url("/"), ""));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(echo.last().header("Content-Length"), "0");
}

TEST(SocketTransportTest, StatusCodesPassThrough) {
  EchoServer echo;
  SocketTransport transport;
  for (int status : {200, 204, 400, 403, 404, 500, 503}) {
    HttpResponse response =
        transport.send(post(echo.url("/?status=" + std::to_string(status)), ""));
    EXPECT_EQ(response.status, status);
  }
}

TEST(SocketTransportTest, OtherMethodsAreSentAsGiven) {
  EchoServer echo;
  SocketTransport transport;
  HttpResponse put =
      transport.send(HttpRequest{.method = "PUT", .url = echo.url("/p"), .body = "x"});
  EXPECT_EQ(put.header("X-Method"), "PUT");
  EXPECT_EQ(echo.last().body, "x");
  HttpResponse del = transport.send(HttpRequest{.method = "DELETE", .url = echo.url("/d")});
  EXPECT_EQ(del.header("X-Method"), "DELETE");
  HttpResponse get = transport.send(HttpRequest{.method = "GET", .url = echo.url("/g")});
  EXPECT_EQ(get.header("X-Method"), "GET");
  HttpResponse head = transport.send(HttpRequest{.method = "HEAD", .url = echo.url("/h")});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(echo.last().method, "HEAD");
  // The handle that ran a HEAD is reused for a POST: no state leaks between requests.
  HttpResponse again = transport.send(post(echo.url("/after-head"), "body"));
  EXPECT_EQ(again.body, "body");
  EXPECT_EQ(echo.last().method, "POST");
}

// SigV4 signs the headers the caller gives; the transport may add only Host and Content-Length.
TEST(SocketTransportTest, SendsExactlyTheGivenHeadersPlusHostAndContentLength) {
  EchoServer echo;
  SocketTransport transport;
  std::string body(2 * 1024 * 1024, 'j');  // large enough that libcurl would add Expect
  transport.send(HttpRequest{.method = "POST",
                             .url = echo.url("/"),
                             .headers = {{"Content-Type", "application/x-amz-json-1.0"},
                                         {"X-Amz-Target", "DynamoDB_20120810.GetItem"},
                                         {"X-Amz-Date", "20150830T123600Z"},
                                         {"Authorization", "AWS4-HMAC-SHA256 Credential=x"}},
                             .body = body});
  HttpTestRequest seen = echo.last();
  EXPECT_EQ(lower_names(seen),
            (std::set<std::string>{"authorization", "content-length", "content-type", "host",
                                   "x-amz-date", "x-amz-target"}));
  EXPECT_EQ(seen.headers.size(), 6u);
  EXPECT_EQ(seen.header("Host"), "127.0.0.1:" + std::to_string(echo.server().port()));
  EXPECT_EQ(seen.header("Content-Length"), std::to_string(body.size()));
  EXPECT_EQ(seen.header("Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(seen.header("X-Amz-Target"), "DynamoDB_20120810.GetItem");

  transport.send(HttpRequest{.method = "GET",
                             .url = echo.url("/creds"),
                             .headers = {{"X-aws-ec2-metadata-token", "tok"}}});
  EXPECT_EQ(lower_names(echo.last()), (std::set<std::string>{"host", "x-aws-ec2-metadata-token"}));
}

TEST(SocketTransportTest, CallerHeadersWinOverSuppressedDefaults) {
  EchoServer echo;
  SocketTransport transport;
  transport.send(HttpRequest{.method = "POST",
                             .url = echo.url("/"),
                             .headers = {{"Accept", "application/json"}, {"X-Empty", ""}},
                             .body = "{}"});
  HttpTestRequest seen = echo.last();
  EXPECT_EQ(seen.header("Accept"), "application/json");
  EXPECT_EQ(seen.header_count("Accept"), 1u);
  EXPECT_EQ(seen.header("X-Empty"), "");
  EXPECT_FALSE(seen.header("Content-Type").has_value());
}

TEST(SocketTransportTest, HeaderWithLineBreakIsRejected) {
  EchoServer echo;
  SocketTransport transport;
  try {
    transport.send(HttpRequest{.url = echo.url("/"), .headers = {{"X-Bad", "a\r\nX-Injected: 1"}}});
    FAIL() << "expected NetworkError";
  } catch (const NetworkError& e) {
    EXPECT_EQ(e.kind(), NetworkErrorKind::kOther);
  }
  EXPECT_EQ(echo.server().requests(), 0u);
}

TEST(SocketTransportTest, SequentialRequestsReuseOneConnection) {
  EchoServer echo;
  SocketTransport transport;
  for (int i = 0; i < 200; ++i) {
    HttpResponse response = transport.send(post(echo.url("/"), std::to_string(i)));
    ASSERT_EQ(response.body, std::to_string(i));
  }
  EXPECT_EQ(echo.server().connections(), 1u);
  EXPECT_EQ(echo.server().requests(), 200u);
  EXPECT_EQ(transport.idle_connections(), 1u);
}

TEST(SocketTransportTest, ConcurrentThreadsShareThePool) {
  EchoServer echo;
  SocketTransport transport;
  constexpr int kThreads = 8;
  constexpr int kRequests = 150;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRequests; ++i) {
        std::string body = std::to_string(t) + ":" + std::to_string(i);
        HttpResponse response = transport.send(post(echo.url("/"), body));
        if (response.status != 200 || response.body != body) {
          ++failures[t];
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], 0) << "thread " << t;
  }
  EXPECT_EQ(echo.server().requests(), static_cast<std::size_t>(kThreads * kRequests));
  // At most one session per thread, each keeping its connection.
  EXPECT_LE(echo.server().connections(), static_cast<std::size_t>(kThreads));
  EXPECT_LE(transport.idle_connections(), static_cast<std::size_t>(kThreads));
}

TEST(SocketTransportTest, MaxIdleConnectionsBoundsThePool) {
  EchoServer echo;
  SocketTransport transport(SocketTransportOptions{.max_idle_connections = 0});
  transport.send(post(echo.url("/"), "a"));
  transport.send(post(echo.url("/"), "b"));
  EXPECT_EQ(transport.idle_connections(), 0u);
  EXPECT_EQ(echo.server().connections(), 2u);
}

TEST(SocketTransportTest, SendAllReturnsOutcomesInRequestOrder) {
  EchoServer echo;
  SocketTransport transport;
  std::vector<HttpRequest> requests;
  const std::vector<int> statuses = {200, 201, 400, 404, 500, 503};
  for (int i = 0; i < 6; ++i) {
    requests.push_back(
        post(echo.url("/?status=" + std::to_string(statuses[i])), std::to_string(i)));
  }
  std::vector<HttpOutcome> outcomes = transport.send_all(requests);
  ASSERT_EQ(outcomes.size(), requests.size());
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(outcomes[i].response.has_value()) << i;
    EXPECT_FALSE(outcomes[i].error.has_value());
    EXPECT_EQ(outcomes[i].response->status, statuses[i]);
    EXPECT_EQ(outcomes[i].response->body, std::to_string(i));
  }
}

TEST(SocketTransportTest, SendAllOfNothingReturnsNothing) {
  SocketTransport transport;
  EXPECT_TRUE(transport.send_all({}).empty());
}

TEST(SocketTransportTest, SendAllRunsConcurrently) {
  EchoServer echo;
  SocketTransport transport;
  std::vector<HttpRequest> requests(4, post(echo.url("/slow"), "s"));
  auto start = std::chrono::steady_clock::now();
  std::vector<HttpOutcome> outcomes = transport.send_all(requests);
  auto elapsed = std::chrono::steady_clock::now() - start;
  for (const auto& outcome : outcomes) {
    ASSERT_TRUE(outcome.response.has_value());
    EXPECT_EQ(outcome.response->body, "s");
  }
  // Four 300 ms answers in sequence would take 1.2 s; concurrently about 0.3 s.
  EXPECT_LT(elapsed, milliseconds(1000));
  EXPECT_EQ(echo.server().connections(), 4u);
}

TEST(SocketTransportTest, SendAllReusesItsConnections) {
  EchoServer echo;
  SocketTransport transport;
  std::vector<HttpRequest> requests(3, post(echo.url("/"), "x"));
  for (int round = 0; round < 5; ++round) {
    for (const auto& outcome : transport.send_all(requests)) {
      ASSERT_TRUE(outcome.response.has_value());
    }
  }
  EXPECT_EQ(echo.server().connections(), 3u);
  // A single send afterwards rides one of the same connections.
  transport.send(post(echo.url("/"), "y"));
  EXPECT_EQ(echo.server().connections(), 3u);
}

TEST(SocketTransportTest, RequestsWithinTheirTimeoutSucceedWhenSlow) {
  EchoServer echo;
  SocketTransport transport;
  HttpRequest request = post(echo.url("/slow"), "patience");
  request.timeout = milliseconds(5000);
  EXPECT_EQ(transport.send(request).body, "patience");
}

constexpr milliseconds kHangLimit{5000};

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

// Waits (bounded) until the server has closed every connection on its side.
void wait_until_closed(const HttpTestServer& server) {
  auto give_up = std::chrono::steady_clock::now() + kHangLimit;
  while (server.open_connections() != 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  ASSERT_EQ(server.open_connections(), 0u);
}

// An address nothing listens on: a server's port after it stopped.
std::string refused_url() {
  auto server = std::make_unique<HttpTestServer>(echo);
  std::string url = server->url() + "/";
  server.reset();
  return url;
}

TEST(SocketTransportFaultTest, IdleClosedConnectionIsReplacedTransparently) {
  HttpTestServer server(echo, HttpTestFaults{.idle_close = milliseconds(100)});
  SocketTransport transport;
  EXPECT_EQ(transport.send(post(server.url() + "/", "one")).body, "one");
  wait_until_closed(server);
  HttpResponse response = transport.send(post(server.url() + "/", "two"));
  EXPECT_EQ(response.body, "two");
  EXPECT_EQ(response.header("X-Connection"), "2");
  EXPECT_EQ(server.connections(), 2u);
}

// The server reads the request on the reused connection and closes it without an answer: the
// race in which an idle close meets a new request. The transport retries on a fresh connection.
TEST(SocketTransportFaultTest, RequestDroppedOnReusedConnectionIsRetriedOnFreshOne) {
  HttpTestServer server(echo, HttpTestFaults{.drop_after_requests = 1});
  SocketTransport transport;
  for (int i = 0; i < 5; ++i) {
    HttpResponse response = transport.send(post(server.url() + "/", std::to_string(i)));
    EXPECT_EQ(response.body, std::to_string(i));
  }
  // Every connection served one request and dropped the next, which was retried.
  EXPECT_EQ(server.connections(), 5u);
  EXPECT_EQ(server.requests(), 9u);
}

TEST(SocketTransportFaultTest, RequestResetOnReusedConnectionIsRetriedOnFreshOne) {
  HttpTestServer server(
      echo, HttpTestFaults{.drop_after_requests = 1, .drop_close = test::HttpTestClose::kReset});
  SocketTransport transport;
  for (int i = 0; i < 5; ++i) {
    HttpResponse response = transport.send(post(server.url() + "/", std::to_string(i)));
    EXPECT_EQ(response.body, std::to_string(i));
  }
  EXPECT_EQ(server.connections(), 5u);
  EXPECT_EQ(server.requests(), 9u);
}

TEST(SocketTransportFaultTest, SendAllRetriesDroppedRequestsToo) {
  HttpTestServer server(echo, HttpTestFaults{.drop_after_requests = 1});
  SocketTransport transport;
  std::vector<HttpRequest> requests(3, post(server.url() + "/", "x"));
  for (int round = 0; round < 3; ++round) {
    for (const auto& outcome : transport.send_all(requests)) {
      ASSERT_TRUE(outcome.response.has_value()) << outcome.error->what();
      EXPECT_EQ(outcome.response->body, "x");
    }
  }
}

TEST(SocketTransportFaultTest, ConnectionRefusedIsConnectError) {
  SocketTransport transport;
  EXPECT_EQ(failure_kind(transport, post(refused_url())), NetworkErrorKind::kConnect);
}

TEST(SocketTransportFaultTest, ResetAfterAcceptIsResetError) {
  HttpTestServer server(echo, HttpTestFaults{.accept_mode = HttpTestAcceptMode::kReset});
  SocketTransport transport;
  EXPECT_EQ(failure_kind(transport, post(server.url() + "/")), NetworkErrorKind::kReset);
  // A fresh connection that fails is reported, not retried.
  EXPECT_EQ(server.connections(), 1u);
}

TEST(SocketTransportFaultTest, StalledServerTimesOutWithinTheRequestTimeout) {
  HttpTestServer server(echo, HttpTestFaults{.accept_mode = HttpTestAcceptMode::kStall});
  SocketTransport transport;
  HttpRequest request = post(server.url() + "/");
  request.timeout = milliseconds(200);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(failure_kind(transport, request), NetworkErrorKind::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, kHangLimit);
}

TEST(SocketTransportFaultTest, DefaultRequestTimeoutApplies) {
  HttpTestServer server(echo, HttpTestFaults{.accept_mode = HttpTestAcceptMode::kStall});
  SocketTransport transport(SocketTransportOptions{.request_timeout = milliseconds(150)});
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(failure_kind(transport, post(server.url() + "/")), NetworkErrorKind::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, kHangLimit);
}

TEST(SocketTransportFaultTest, SlowAnswerPastTheTimeoutIsTimeoutAndNextRequestWorks) {
  HttpTestServer server(echo, HttpTestFaults{.response_delay = milliseconds(1000)});
  SocketTransport transport;
  HttpRequest request = post(server.url() + "/");
  request.timeout = milliseconds(150);
  EXPECT_EQ(failure_kind(transport, request), NetworkErrorKind::kTimeout);
  server.set_faults({});
  // The timed-out connection is not reused (it still owes an answer): a new one serves.
  HttpResponse response = transport.send(post(server.url() + "/", "after"));
  EXPECT_EQ(response.body, "after");
  EXPECT_EQ(response.header("X-Connection"), "2");
}

TEST(SocketTransportFaultTest, RecoversAfterResetsAndStalls) {
  HttpTestServer server(echo);
  SocketTransport transport;
  EXPECT_EQ(transport.send(post(server.url() + "/", "ok")).body, "ok");

  server.set_faults(HttpTestFaults{.accept_mode = HttpTestAcceptMode::kReset});
  // The kept connection predates the fault and is still served.
  EXPECT_EQ(transport.send(post(server.url() + "/", "warm")).body, "warm");

  // Force new connections under the fault: a fresh transport has none.
  SocketTransport cold;
  EXPECT_EQ(failure_kind(cold, post(server.url() + "/")), NetworkErrorKind::kReset);
  server.set_faults(HttpTestFaults{.accept_mode = HttpTestAcceptMode::kStall});
  HttpRequest stalled = post(server.url() + "/");
  stalled.timeout = milliseconds(150);
  EXPECT_EQ(failure_kind(cold, stalled), NetworkErrorKind::kTimeout);

  server.set_faults({});
  EXPECT_EQ(cold.send(post(server.url() + "/", "back")).body, "back");
  EXPECT_EQ(transport.send(post(server.url() + "/", "still")).body, "still");
}

TEST(SocketTransportFaultTest, SendAllIsolatesFailuresAndTakesAboutTheSlowest) {
  HttpTestServer ok(echo);
  HttpTestServer slow(echo, HttpTestFaults{.response_delay = milliseconds(300)});
  HttpTestServer reset(echo, HttpTestFaults{.accept_mode = HttpTestAcceptMode::kReset});
  HttpTestServer stall(echo, HttpTestFaults{.accept_mode = HttpTestAcceptMode::kStall});
  SocketTransport transport;
  HttpRequest stalled = post(stall.url() + "/", "stall");
  stalled.timeout = milliseconds(300);
  std::vector<HttpRequest> requests = {
      post(ok.url() + "/", "a"),
      post(slow.url() + "/", "b"),
      post(refused_url()),
      post(reset.url() + "/", "c"),
      stalled,
      post(slow.url() + "/", "d"),
      post(ok.url() + "/?status=500", "e"),
  };
  auto start = std::chrono::steady_clock::now();
  std::vector<HttpOutcome> outcomes = transport.send_all(requests);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(outcomes.size(), requests.size());
  ASSERT_TRUE(outcomes[0].response.has_value());
  EXPECT_EQ(outcomes[0].response->body, "a");
  ASSERT_TRUE(outcomes[1].response.has_value());
  EXPECT_EQ(outcomes[1].response->body, "b");
  ASSERT_TRUE(outcomes[2].error.has_value());
  EXPECT_EQ(outcomes[2].error->kind(), NetworkErrorKind::kConnect);
  ASSERT_TRUE(outcomes[3].error.has_value());
  EXPECT_EQ(outcomes[3].error->kind(), NetworkErrorKind::kReset);
  ASSERT_TRUE(outcomes[4].error.has_value());
  EXPECT_EQ(outcomes[4].error->kind(), NetworkErrorKind::kTimeout);
  ASSERT_TRUE(outcomes[5].response.has_value());
  EXPECT_EQ(outcomes[5].response->body, "d");
  ASSERT_TRUE(outcomes[6].response.has_value());
  EXPECT_EQ(outcomes[6].response->status, 200);  // the echo handler ignores the status query
  for (const auto& outcome : outcomes) {
    EXPECT_NE(outcome.response.has_value(), outcome.error.has_value());
  }
  // Sequentially this would take at least 300 + 300 + 300 ms.
  EXPECT_LT(elapsed, milliseconds(850));

  // The same transport carries on normally.
  EXPECT_EQ(transport.send(post(ok.url() + "/", "next")).body, "next");
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
  EchoServer echo;
  SocketTransport transport;
  HttpRequest request = post(echo.url("/"), "abc");
  request.headers = {{"Content-Length", "3"}};
  EXPECT_THROW(transport.send(request), NetworkError);
  EXPECT_EQ(echo.server().requests(), 0u);
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
