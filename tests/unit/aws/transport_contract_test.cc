// SPDX-License-Identifier: MIT
// The HttpTransport contract, run over every transport (CurlTransport, SocketTransport) against
// real servers on loopback: round trips, exact headers, connection reuse, concurrency, send_all,
// and servers that misbehave (idle closes, dropped requests, resets, stalls, refused
// connections). Every wait is bounded by a request timeout; the upper limits only turn a hang
// into a failure, they do not measure speed. Transport-specific behaviour (TLS, response
// framings) is in curl_transport_test.cc and socket_transport_test.cc.
#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "aws/curl_transport.h"
#include "aws/socket_transport.h"
#include "support/http_test_server.h"

namespace zae::aws {
namespace {

using std::chrono::milliseconds;
using test::HttpTestAcceptMode;
using test::HttpTestFaults;
using test::HttpTestRequest;
using test::HttpTestResponse;
using test::HttpTestServer;

constexpr milliseconds kHangLimit{5000};

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

HttpTestResponse echo(const HttpTestRequest& request) {
  return HttpTestResponse{.headers = {{"X-Connection", std::to_string(request.connection_index)}},
                          .body = request.body};
}

// The NetworkError kind `send` throws; fails the test when it returns a response instead.
NetworkErrorKind failure_kind(HttpTransport& transport, const HttpRequest& request) {
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

// What differs between the transports under test: their options type and pool introspection.
template <class T>
struct TransportTraits;
template <>
struct TransportTraits<CurlTransport> {
  using Options = CurlTransportOptions;
  static std::size_t idle(const CurlTransport& t) { return t.idle_sessions(); }
};
template <>
struct TransportTraits<SocketTransport> {
  using Options = SocketTransportOptions;
  static std::size_t idle(const SocketTransport& t) { return t.idle_connections(); }
};
template <class T>
using OptionsFor = typename TransportTraits<T>::Options;
template <class T>
std::size_t idle_pool_size(const T& transport) {
  return TransportTraits<T>::idle(transport);
}

using Transports = ::testing::Types<CurlTransport, SocketTransport>;
struct TransportNames {
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, CurlTransport> ? "Curl" : "Socket";
  }
};

template <class T>
class TransportContractTest : public ::testing::Test {};
TYPED_TEST_SUITE(TransportContractTest, Transports, TransportNames);

template <class T>
class TransportFaultTest : public ::testing::Test {};
TYPED_TEST_SUITE(TransportFaultTest, Transports, TransportNames);

TYPED_TEST(TransportContractTest, GetRoundTripsPathQueryAndHeaders) {
  EchoServer echo;
  TypeParam transport;
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

TYPED_TEST(TransportContractTest, PostRoundTripsBody) {
  EchoServer echo;
  TypeParam transport;
  HttpResponse response = transport.send(post(echo.url("/"), R"({"TableName":"t"})"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"TableName":"t"})");
  EXPECT_EQ(response.header("Content-Length"), "17");
  EXPECT_EQ(echo.last().method, "POST");
}

TYPED_TEST(TransportContractTest, BinaryBodyRoundTripsEveryByte) {
  EchoServer echo;
  TypeParam transport;
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

TYPED_TEST(TransportContractTest, FiveMegabyteBodiesRoundTrip) {
  EchoServer echo;
  TypeParam transport;
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

TYPED_TEST(TransportContractTest, EmptyPostSendsZeroContentLength) {
  EchoServer echo;
  TypeParam transport;
  HttpResponse response = transport.send(post(echo.url("/"), ""));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(echo.last().header("Content-Length"), "0");
}

TYPED_TEST(TransportContractTest, StatusCodesPassThrough) {
  EchoServer echo;
  TypeParam transport;
  for (int status : {200, 204, 400, 403, 404, 500, 503}) {
    HttpResponse response =
        transport.send(post(echo.url("/?status=" + std::to_string(status)), ""));
    EXPECT_EQ(response.status, status);
  }
}

TYPED_TEST(TransportContractTest, OtherMethodsAreSentAsGiven) {
  EchoServer echo;
  TypeParam transport;
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
TYPED_TEST(TransportContractTest, SendsExactlyTheGivenHeadersPlusHostAndContentLength) {
  EchoServer echo;
  TypeParam transport;
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

TYPED_TEST(TransportContractTest, CallerHeadersWinOverSuppressedDefaults) {
  EchoServer echo;
  TypeParam transport;
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

TYPED_TEST(TransportContractTest, HeaderWithLineBreakIsRejected) {
  EchoServer echo;
  TypeParam transport;
  try {
    transport.send(HttpRequest{.url = echo.url("/"), .headers = {{"X-Bad", "a\r\nX-Injected: 1"}}});
    FAIL() << "expected NetworkError";
  } catch (const NetworkError& e) {
    EXPECT_EQ(e.kind(), NetworkErrorKind::kOther);
  }
  EXPECT_EQ(echo.server().requests(), 0u);
}

TYPED_TEST(TransportContractTest, SequentialRequestsReuseOneConnection) {
  EchoServer echo;
  TypeParam transport;
  for (int i = 0; i < 200; ++i) {
    HttpResponse response = transport.send(post(echo.url("/"), std::to_string(i)));
    ASSERT_EQ(response.body, std::to_string(i));
  }
  EXPECT_EQ(echo.server().connections(), 1u);
  EXPECT_EQ(echo.server().requests(), 200u);
  EXPECT_EQ(idle_pool_size(transport), 1u);
}

TYPED_TEST(TransportContractTest, ConcurrentThreadsShareThePool) {
  EchoServer echo;
  TypeParam transport;
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
  EXPECT_LE(idle_pool_size(transport), static_cast<std::size_t>(kThreads));
}

TYPED_TEST(TransportContractTest, MaxIdleConnectionsBoundsThePool) {
  EchoServer echo;
  TypeParam transport(OptionsFor<TypeParam>{.max_idle_connections = 0});
  transport.send(post(echo.url("/"), "a"));
  transport.send(post(echo.url("/"), "b"));
  EXPECT_EQ(idle_pool_size(transport), 0u);
  EXPECT_EQ(echo.server().connections(), 2u);
}

TYPED_TEST(TransportContractTest, SendAllReturnsOutcomesInRequestOrder) {
  EchoServer echo;
  TypeParam transport;
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

TYPED_TEST(TransportContractTest, SendAllOfNothingReturnsNothing) {
  TypeParam transport;
  EXPECT_TRUE(transport.send_all({}).empty());
}

TYPED_TEST(TransportContractTest, SendAllRunsConcurrently) {
  EchoServer echo;
  TypeParam transport;
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

TYPED_TEST(TransportContractTest, SendAllReusesItsConnections) {
  EchoServer echo;
  TypeParam transport;
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

TYPED_TEST(TransportContractTest, RequestsWithinTheirTimeoutSucceedWhenSlow) {
  EchoServer echo;
  TypeParam transport;
  HttpRequest request = post(echo.url("/slow"), "patience");
  request.timeout = milliseconds(5000);
  EXPECT_EQ(transport.send(request).body, "patience");
}


TYPED_TEST(TransportFaultTest, IdleClosedConnectionIsReplacedTransparently) {
  HttpTestServer server(echo, HttpTestFaults{.idle_close = milliseconds(100)});
  TypeParam transport;
  EXPECT_EQ(transport.send(post(server.url() + "/", "one")).body, "one");
  wait_until_closed(server);
  HttpResponse response = transport.send(post(server.url() + "/", "two"));
  EXPECT_EQ(response.body, "two");
  EXPECT_EQ(response.header("X-Connection"), "2");
  EXPECT_EQ(server.connections(), 2u);
}

// The server reads the request on the reused connection and closes it without an answer: the
// race in which an idle close meets a new request. The transport retries on a fresh connection.
TYPED_TEST(TransportFaultTest, RequestDroppedOnReusedConnectionIsRetriedOnFreshOne) {
  HttpTestServer server(echo, HttpTestFaults{.drop_after_requests = 1});
  TypeParam transport;
  for (int i = 0; i < 5; ++i) {
    HttpResponse response = transport.send(post(server.url() + "/", std::to_string(i)));
    EXPECT_EQ(response.body, std::to_string(i));
  }
  // Every connection served one request and dropped the next, which was retried.
  EXPECT_EQ(server.connections(), 5u);
  EXPECT_EQ(server.requests(), 9u);
}

TYPED_TEST(TransportFaultTest, RequestResetOnReusedConnectionIsRetriedOnFreshOne) {
  HttpTestServer server(
      echo, HttpTestFaults{.drop_after_requests = 1, .drop_close = test::HttpTestClose::kReset});
  TypeParam transport;
  for (int i = 0; i < 5; ++i) {
    HttpResponse response = transport.send(post(server.url() + "/", std::to_string(i)));
    EXPECT_EQ(response.body, std::to_string(i));
  }
  EXPECT_EQ(server.connections(), 5u);
  EXPECT_EQ(server.requests(), 9u);
}

HttpRequest non_idempotent(HttpRequest request) {
  request.idempotency = Idempotency::kNonIdempotent;
  return request;
}

// The same drop may follow a request the server applied: a non-idempotent one is not resent.
TYPED_TEST(TransportFaultTest, NonIdempotentRequestDroppedOnReusedConnectionIsNotResent) {
  HttpTestServer server(echo, HttpTestFaults{.drop_after_requests = 1});
  TypeParam transport;
  EXPECT_EQ(transport.send(non_idempotent(post(server.url() + "/", "one"))).body, "one");
  EXPECT_EQ(failure_kind(transport, non_idempotent(post(server.url() + "/", "two"))),
            NetworkErrorKind::kReset);
  // libcurl may open a fresh connection for its resend before the body refuses to rewind; no
  // request is sent on it.
  EXPECT_EQ(server.requests(), 2u);
  EXPECT_EQ(transport.send(non_idempotent(post(server.url() + "/", "three"))).body, "three");
  EXPECT_EQ(server.requests(), 3u);
}

TYPED_TEST(TransportFaultTest, NonIdempotentSendAllDoesNotResendDroppedRequests) {
  HttpTestServer server(echo, HttpTestFaults{.drop_after_requests = 1});
  TypeParam transport;
  std::vector<HttpRequest> requests(2, non_idempotent(post(server.url() + "/", "x")));
  for (const auto& outcome : transport.send_all(requests)) {
    EXPECT_TRUE(outcome.response.has_value());
  }
  for (const auto& outcome : transport.send_all(requests)) {
    ASSERT_TRUE(outcome.error.has_value());
    EXPECT_EQ(outcome.error->kind(), NetworkErrorKind::kReset);
  }
  EXPECT_EQ(server.requests(), 4u);
}

// A connection the server closed while idle is seen before a non-idempotent request is written.
TYPED_TEST(TransportFaultTest, NonIdempotentRequestSkipsAConnectionClosedWhileIdle) {
  HttpTestServer server(echo, HttpTestFaults{.idle_close = milliseconds(100)});
  TypeParam transport;
  EXPECT_EQ(transport.send(non_idempotent(post(server.url() + "/", "one"))).body, "one");
  wait_until_closed(server);
  const std::string big(300 * 1024, 'b');  // several reads of the body callback
  EXPECT_EQ(transport.send(non_idempotent(post(server.url() + "/", big))).body, big);
  EXPECT_EQ(server.connections(), 2u);
  EXPECT_EQ(server.requests(), 2u);
}

TYPED_TEST(TransportFaultTest, SendAllRetriesDroppedRequestsToo) {
  HttpTestServer server(echo, HttpTestFaults{.drop_after_requests = 1});
  TypeParam transport;
  std::vector<HttpRequest> requests(3, post(server.url() + "/", "x"));
  for (int round = 0; round < 3; ++round) {
    for (const auto& outcome : transport.send_all(requests)) {
      ASSERT_TRUE(outcome.response.has_value()) << outcome.error->what();
      EXPECT_EQ(outcome.response->body, "x");
    }
  }
}

TYPED_TEST(TransportFaultTest, ConnectionRefusedIsConnectError) {
  TypeParam transport;
  EXPECT_EQ(failure_kind(transport, post(refused_url())), NetworkErrorKind::kConnect);
}

TYPED_TEST(TransportFaultTest, ResetAfterAcceptIsResetError) {
  HttpTestServer server(echo, HttpTestFaults{.accept_mode = HttpTestAcceptMode::kReset});
  TypeParam transport;
  EXPECT_EQ(failure_kind(transport, post(server.url() + "/")), NetworkErrorKind::kReset);
  // A fresh connection that fails is reported, not retried.
  EXPECT_EQ(server.connections(), 1u);
}

TYPED_TEST(TransportFaultTest, StalledServerTimesOutWithinTheRequestTimeout) {
  HttpTestServer server(echo, HttpTestFaults{.accept_mode = HttpTestAcceptMode::kStall});
  TypeParam transport;
  HttpRequest request = post(server.url() + "/");
  request.timeout = milliseconds(200);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(failure_kind(transport, request), NetworkErrorKind::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, kHangLimit);
}

TYPED_TEST(TransportFaultTest, DefaultRequestTimeoutApplies) {
  HttpTestServer server(echo, HttpTestFaults{.accept_mode = HttpTestAcceptMode::kStall});
  TypeParam transport(OptionsFor<TypeParam>{.request_timeout = milliseconds(150)});
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(failure_kind(transport, post(server.url() + "/")), NetworkErrorKind::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, kHangLimit);
}

TYPED_TEST(TransportFaultTest, SlowAnswerPastTheTimeoutIsTimeoutAndNextRequestWorks) {
  HttpTestServer server(echo, HttpTestFaults{.response_delay = milliseconds(1000)});
  TypeParam transport;
  HttpRequest request = post(server.url() + "/");
  request.timeout = milliseconds(150);
  EXPECT_EQ(failure_kind(transport, request), NetworkErrorKind::kTimeout);
  server.set_faults({});
  // The timed-out connection is not reused (it still owes an answer): a new one serves.
  HttpResponse response = transport.send(post(server.url() + "/", "after"));
  EXPECT_EQ(response.body, "after");
  EXPECT_EQ(response.header("X-Connection"), "2");
}

TYPED_TEST(TransportFaultTest, RecoversAfterResetsAndStalls) {
  HttpTestServer server(echo);
  TypeParam transport;
  EXPECT_EQ(transport.send(post(server.url() + "/", "ok")).body, "ok");

  server.set_faults(HttpTestFaults{.accept_mode = HttpTestAcceptMode::kReset});
  // The kept connection predates the fault and is still served.
  EXPECT_EQ(transport.send(post(server.url() + "/", "warm")).body, "warm");

  // Force new connections under the fault: a fresh transport has none.
  TypeParam cold;
  EXPECT_EQ(failure_kind(cold, post(server.url() + "/")), NetworkErrorKind::kReset);
  server.set_faults(HttpTestFaults{.accept_mode = HttpTestAcceptMode::kStall});
  HttpRequest stalled = post(server.url() + "/");
  stalled.timeout = milliseconds(150);
  EXPECT_EQ(failure_kind(cold, stalled), NetworkErrorKind::kTimeout);

  server.set_faults({});
  EXPECT_EQ(cold.send(post(server.url() + "/", "back")).body, "back");
  EXPECT_EQ(transport.send(post(server.url() + "/", "still")).body, "still");
}

TYPED_TEST(TransportFaultTest, SendAllIsolatesFailuresAndTakesAboutTheSlowest) {
  HttpTestServer ok(echo);
  HttpTestServer slow(echo, HttpTestFaults{.response_delay = milliseconds(300)});
  HttpTestServer reset(echo, HttpTestFaults{.accept_mode = HttpTestAcceptMode::kReset});
  HttpTestServer stall(echo, HttpTestFaults{.accept_mode = HttpTestAcceptMode::kStall});
  TypeParam transport;
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

}  // namespace
}  // namespace zae::aws
