// SPDX-License-Identifier: MIT
// What only CurlTransport does: https (TLS). The behaviour every transport shares is in
// transport_contract_test.cc.
#include "aws/curl_transport.h"

#include <string>

#include <gtest/gtest.h>

#include "support/http_test_server.h"

namespace zae::aws {
namespace {

using test::HttpTestRequest;
using test::HttpTestResponse;
using test::HttpTestServer;

HttpTestResponse echo(const HttpTestRequest& request) {
  return HttpTestResponse{.body = request.body};
}

TEST(CurlTransportTest, HttpsToPlainHttpPeerIsTlsError) {
  HttpTestServer server(echo);
  CurlTransport transport;
  const std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
  try {
    transport.send(HttpRequest{.method = "POST", .url = url, .body = "{}"});
    FAIL() << "expected NetworkError";
  } catch (const NetworkError& e) {
    EXPECT_EQ(e.kind(), NetworkErrorKind::kTls) << e.what();
  }
}

}  // namespace
}  // namespace zae::aws
