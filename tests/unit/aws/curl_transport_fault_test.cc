// SPDX-License-Identifier: MIT
// CurlTransport against servers that misbehave: idle closes, dropped requests, resets, stalls,
// refused connections, a plain-HTTP peer for https. Every wait is bounded by a request timeout;
// the upper limits below only turn a hang into a failure, they do not measure speed.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "aws/curl_transport.h"
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

HttpTestResponse echo(const HttpTestRequest& request) {
  return HttpTestResponse{.headers = {{"X-Connection", std::to_string(request.connection_index)}},
                          .body = request.body};
}

HttpRequest post(std::string url, std::string body = "{}") {
  return HttpRequest{.method = "POST", .url = std::move(url), .body = std::move(body)};
}

// The NetworkError kind `send` throws; fails the test when it returns a response instead.
NetworkErrorKind failure_kind(CurlTransport& transport, const HttpRequest& request) {
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

TEST(CurlTransportFaultTest, IdleClosedConnectionIsReplacedTransparently) {
  HttpTestServer server(echo, HttpTestFaults{.idle_close = milliseconds(100)});
  CurlTransport transport;
  EXPECT_EQ(transport.send(post(server.url() + "/", "one")).body, "one");
  wait_until_closed(server);
  HttpResponse response = transport.send(post(server.url() + "/", "two"));
  EXPECT_EQ(response.body, "two");
  EXPECT_EQ(response.header("X-Connection"), "2");
  EXPECT_EQ(server.connections(), 2u);
}

// The server reads the request on the reused connection and closes it without an answer: the
// race in which an idle close meets a new request. The transport retries on a fresh connection.
TEST(CurlTransportFaultTest, RequestDroppedOnReusedConnectionIsRetriedOnFreshOne) {
  HttpTestServer server(echo, HttpTestFaults{.drop_after_requests = 1});
  CurlTransport transport;
  for (int i = 0; i < 5; ++i) {
    HttpResponse response = transport.send(post(server.url() + "/", std::to_string(i)));
    EXPECT_EQ(response.body, std::to_string(i));
  }
  // Every connection served one request and dropped the next, which was retried.
  EXPECT_EQ(server.connections(), 5u);
  EXPECT_EQ(server.requests(), 9u);
}

TEST(CurlTransportFaultTest, RequestResetOnReusedConnectionIsRetriedOnFreshOne) {
  HttpTestServer server(
      echo, HttpTestFaults{.drop_after_requests = 1, .drop_close = test::HttpTestClose::kReset});
  CurlTransport transport;
  for (int i = 0; i < 5; ++i) {
    HttpResponse response = transport.send(post(server.url() + "/", std::to_string(i)));
    EXPECT_EQ(response.body, std::to_string(i));
  }
  EXPECT_EQ(server.connections(), 5u);
  EXPECT_EQ(server.requests(), 9u);
}

TEST(CurlTransportFaultTest, SendAllRetriesDroppedRequestsToo) {
  HttpTestServer server(echo, HttpTestFaults{.drop_after_requests = 1});
  CurlTransport transport;
  std::vector<HttpRequest> requests(3, post(server.url() + "/", "x"));
  for (int round = 0; round < 3; ++round) {
    for (const auto& outcome : transport.send_all(requests)) {
      ASSERT_TRUE(outcome.response.has_value()) << outcome.error->what();
      EXPECT_EQ(outcome.response->body, "x");
    }
  }
}

TEST(CurlTransportFaultTest, ConnectionRefusedIsConnectError) {
  CurlTransport transport;
  EXPECT_EQ(failure_kind(transport, post(refused_url())), NetworkErrorKind::kConnect);
}

TEST(CurlTransportFaultTest, ResetAfterAcceptIsResetError) {
  HttpTestServer server(echo, HttpTestFaults{.accept_mode = HttpTestAcceptMode::kReset});
  CurlTransport transport;
  EXPECT_EQ(failure_kind(transport, post(server.url() + "/")), NetworkErrorKind::kReset);
  // A fresh connection that fails is reported, not retried.
  EXPECT_EQ(server.connections(), 1u);
}

TEST(CurlTransportFaultTest, StalledServerTimesOutWithinTheRequestTimeout) {
  HttpTestServer server(echo, HttpTestFaults{.accept_mode = HttpTestAcceptMode::kStall});
  CurlTransport transport;
  HttpRequest request = post(server.url() + "/");
  request.timeout = milliseconds(200);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(failure_kind(transport, request), NetworkErrorKind::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, kHangLimit);
}

TEST(CurlTransportFaultTest, DefaultRequestTimeoutApplies) {
  HttpTestServer server(echo, HttpTestFaults{.accept_mode = HttpTestAcceptMode::kStall});
  CurlTransport transport(CurlTransportOptions{.request_timeout = milliseconds(150)});
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(failure_kind(transport, post(server.url() + "/")), NetworkErrorKind::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, kHangLimit);
}

TEST(CurlTransportFaultTest, SlowAnswerPastTheTimeoutIsTimeoutAndNextRequestWorks) {
  HttpTestServer server(echo, HttpTestFaults{.response_delay = milliseconds(1000)});
  CurlTransport transport;
  HttpRequest request = post(server.url() + "/");
  request.timeout = milliseconds(150);
  EXPECT_EQ(failure_kind(transport, request), NetworkErrorKind::kTimeout);
  server.set_faults({});
  // The timed-out connection is not reused (it still owes an answer): a new one serves.
  HttpResponse response = transport.send(post(server.url() + "/", "after"));
  EXPECT_EQ(response.body, "after");
  EXPECT_EQ(response.header("X-Connection"), "2");
}

TEST(CurlTransportFaultTest, HttpsToPlainHttpPeerIsTlsError) {
  HttpTestServer server(echo);
  CurlTransport transport;
  std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
  NetworkErrorKind kind = failure_kind(transport, post(url));
  EXPECT_EQ(kind, NetworkErrorKind::kTls);
}

TEST(CurlTransportFaultTest, RecoversAfterResetsAndStalls) {
  HttpTestServer server(echo);
  CurlTransport transport;
  EXPECT_EQ(transport.send(post(server.url() + "/", "ok")).body, "ok");

  server.set_faults(HttpTestFaults{.accept_mode = HttpTestAcceptMode::kReset});
  // The kept connection predates the fault and is still served.
  EXPECT_EQ(transport.send(post(server.url() + "/", "warm")).body, "warm");

  // Force new connections under the fault: a fresh transport has none.
  CurlTransport cold;
  EXPECT_EQ(failure_kind(cold, post(server.url() + "/")), NetworkErrorKind::kReset);
  server.set_faults(HttpTestFaults{.accept_mode = HttpTestAcceptMode::kStall});
  HttpRequest stalled = post(server.url() + "/");
  stalled.timeout = milliseconds(150);
  EXPECT_EQ(failure_kind(cold, stalled), NetworkErrorKind::kTimeout);

  server.set_faults({});
  EXPECT_EQ(cold.send(post(server.url() + "/", "back")).body, "back");
  EXPECT_EQ(transport.send(post(server.url() + "/", "still")).body, "still");
}

TEST(CurlTransportFaultTest, SendAllIsolatesFailuresAndTakesAboutTheSlowest) {
  HttpTestServer ok(echo);
  HttpTestServer slow(echo, HttpTestFaults{.response_delay = milliseconds(300)});
  HttpTestServer reset(echo, HttpTestFaults{.accept_mode = HttpTestAcceptMode::kReset});
  HttpTestServer stall(echo, HttpTestFaults{.accept_mode = HttpTestAcceptMode::kStall});
  CurlTransport transport;
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
