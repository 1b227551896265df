// SPDX-License-Identifier: MIT
#include "aws/curl_transport.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/http_test_server.h"

namespace zae::aws {
namespace {

using std::chrono::milliseconds;
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

HttpRequest post(std::string url, std::string body) {
  return HttpRequest{.method = "POST", .url = std::move(url), .body = std::move(body)};
}

TEST(CurlTransportTest, GetRoundTripsPathQueryAndHeaders) {
  EchoServer echo;
  CurlTransport transport;
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

TEST(CurlTransportTest, PostRoundTripsBody) {
  EchoServer echo;
  CurlTransport transport;
  HttpResponse response = transport.send(post(echo.url("/"), R"({"TableName":"t"})"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"TableName":"t"})");
  EXPECT_EQ(response.header("Content-Length"), "17");
  EXPECT_EQ(echo.last().method, "POST");
}

TEST(CurlTransportTest, BinaryBodyRoundTripsEveryByte) {
  EchoServer echo;
  CurlTransport transport;
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

TEST(CurlTransportTest, FiveMegabyteBodiesRoundTrip) {
  EchoServer echo;
  CurlTransport transport;
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

TEST(CurlTransportTest, EmptyPostSendsZeroContentLength) {
  EchoServer echo;
  CurlTransport transport;
  HttpResponse response = transport.send(post(echo.url("/"), ""));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(echo.last().header("Content-Length"), "0");
}

TEST(CurlTransportTest, StatusCodesPassThrough) {
  EchoServer echo;
  CurlTransport transport;
  for (int status : {200, 204, 400, 403, 404, 500, 503}) {
    HttpResponse response =
        transport.send(post(echo.url("/?status=" + std::to_string(status)), ""));
    EXPECT_EQ(response.status, status);
  }
}

TEST(CurlTransportTest, OtherMethodsAreSentAsGiven) {
  EchoServer echo;
  CurlTransport transport;
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
TEST(CurlTransportTest, SendsExactlyTheGivenHeadersPlusHostAndContentLength) {
  EchoServer echo;
  CurlTransport transport;
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

TEST(CurlTransportTest, CallerHeadersWinOverSuppressedDefaults) {
  EchoServer echo;
  CurlTransport transport;
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

TEST(CurlTransportTest, HeaderWithLineBreakIsRejected) {
  EchoServer echo;
  CurlTransport transport;
  try {
    transport.send(HttpRequest{.url = echo.url("/"), .headers = {{"X-Bad", "a\r\nX-Injected: 1"}}});
    FAIL() << "expected NetworkError";
  } catch (const NetworkError& e) {
    EXPECT_EQ(e.kind(), NetworkErrorKind::kOther);
  }
  EXPECT_EQ(echo.server().requests(), 0u);
}

TEST(CurlTransportTest, SequentialRequestsReuseOneConnection) {
  EchoServer echo;
  CurlTransport transport;
  for (int i = 0; i < 200; ++i) {
    HttpResponse response = transport.send(post(echo.url("/"), std::to_string(i)));
    ASSERT_EQ(response.body, std::to_string(i));
  }
  EXPECT_EQ(echo.server().connections(), 1u);
  EXPECT_EQ(echo.server().requests(), 200u);
  EXPECT_EQ(transport.idle_sessions(), 1u);
}

TEST(CurlTransportTest, ConcurrentThreadsShareThePool) {
  EchoServer echo;
  CurlTransport transport;
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
  EXPECT_LE(transport.idle_sessions(), static_cast<std::size_t>(kThreads));
}

TEST(CurlTransportTest, MaxIdleConnectionsBoundsThePool) {
  EchoServer echo;
  CurlTransport transport(CurlTransportOptions{.max_idle_connections = 0});
  transport.send(post(echo.url("/"), "a"));
  transport.send(post(echo.url("/"), "b"));
  EXPECT_EQ(transport.idle_sessions(), 0u);
  EXPECT_EQ(echo.server().connections(), 2u);
}

TEST(CurlTransportTest, SendAllReturnsOutcomesInRequestOrder) {
  EchoServer echo;
  CurlTransport transport;
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

TEST(CurlTransportTest, SendAllOfNothingReturnsNothing) {
  CurlTransport transport;
  EXPECT_TRUE(transport.send_all({}).empty());
}

TEST(CurlTransportTest, SendAllRunsConcurrently) {
  EchoServer echo;
  CurlTransport transport;
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

TEST(CurlTransportTest, SendAllReusesItsConnections) {
  EchoServer echo;
  CurlTransport transport;
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

TEST(CurlTransportTest, RequestsWithinTheirTimeoutSucceedWhenSlow) {
  EchoServer echo;
  CurlTransport transport;
  HttpRequest request = post(echo.url("/slow"), "patience");
  request.timeout = milliseconds(5000);
  EXPECT_EQ(transport.send(request).body, "patience");
}

}  // namespace
}  // namespace zae::aws
