// SPDX-License-Identifier: MIT
// CurlTransport and SocketTransport over loopback against the in-process HttpTestServer. The CPU
// column is the calling threads' CPU time (Google Benchmark measures per-thread CPU), so it is
// the client's cost per request without the server's; both transports run entirely on the
// calling thread for a numeric address. items_per_second is requests per second.
//
// BM_ClientUpdateItem is the issue 3 budget hermetically: DynamoDbClient::update_item (sign,
// serialize, send, parse) over each transport against the same server, so that the CPU it costs
// beyond BM_SocketSend / BM_CurlSend is the client's own layers, and what those cost beyond
// BM_RawSocketFloor is the transport's.
#include <memory>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aws/curl_transport.h"
#include "aws/dynamodb_client.h"
#include "aws/socket_transport.h"
#include "support/http_test_server.h"

namespace {

using zae::aws::CurlTransport;
using zae::aws::HttpRequest;
using zae::aws::SocketTransport;
using zae::test::HttpTestRequest;
using zae::test::HttpTestResponse;
using zae::test::HttpTestServer;

// About the size of a DynamoDB UpdateItem answer with ALL_NEW.
const std::string kResponseBody =
    R"({"Attributes":{"PK":{"S":"default/ENTITY#user-1"},"SK":{"S":"#STATE"},)"
    R"("b_rpm_tk":{"N":"999000"},"b_rpm_rf":{"N":"1700000000000"},"rf":{"N":"1700000000000"}}})";

HttpTestServer& server() {
  static HttpTestServer instance([](const HttpTestRequest&) {
    return HttpTestResponse{
        .headers = {{"Content-Type", "application/x-amz-json-1.0"},
                    {"x-amzn-RequestId", "00000000-0000-0000-0000-000000000000"}},
        .body = kResponseBody};
  });
  return instance;
}

CurlTransport& transport() {
  static CurlTransport instance;
  return instance;
}

SocketTransport& socket_transport() {
  static SocketTransport instance;
  return instance;
}

// A signed-looking UpdateItem request: the header set and body size of the real one.
HttpRequest update_item() {
  return HttpRequest{
      .method = "POST",
      .url = server().url() + "/",
      .headers = {{"Content-Type", "application/x-amz-json-1.0"},
                  {"X-Amz-Target", "DynamoDB_20120810.UpdateItem"},
                  {"X-Amz-Date", "20240101T000000Z"},
                  {"X-Amz-Content-Sha256",
                   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
                  {"Authorization",
                   "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/dynamodb/"
                   "aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                   "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"}},
      .body = R"({"TableName":"rate_limits","Key":{"PK":{"S":"default/ENTITY#user-1"},)"
              R"("SK":{"S":"#STATE"}},"UpdateExpression":"SET b_rpm_tk = b_rpm_tk - :c",)"
              R"("ConditionExpression":"b_rpm_tk >= :c","ExpressionAttributeValues":)"
              R"({":c":{"N":"1000"}},"ReturnValues":"ALL_NEW",)"
              R"("ReturnValuesOnConditionCheckFailure":"ALL_OLD"})"};
}

void BM_CurlSend(benchmark::State& state) {
  HttpRequest request = update_item();
  for (auto _ : state) {
    auto response = transport().send(request);
    benchmark::DoNotOptimize(response.body.data());
    if (response.status != 200) {
      state.SkipWithError("unexpected status");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CurlSend)->Threads(1)->Threads(8)->UseRealTime();

// The cascade shape: child and parent written in one send_all.
void BM_CurlSendAllPair(benchmark::State& state) {
  std::vector<HttpRequest> requests(2, update_item());
  for (auto _ : state) {
    auto outcomes = transport().send_all(requests);
    benchmark::DoNotOptimize(outcomes.data());
    if (!outcomes[0].response || !outcomes[1].response) {
      state.SkipWithError("request failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_CurlSendAllPair)->Threads(1)->UseRealTime();

void BM_SocketSend(benchmark::State& state) {
  HttpRequest request = update_item();
  for (auto _ : state) {
    auto response = socket_transport().send(request);
    benchmark::DoNotOptimize(response.body.data());
    if (response.status != 200) {
      state.SkipWithError("unexpected status");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SocketSend)->Threads(1)->Threads(8)->UseRealTime();

void BM_SocketSendAllPair(benchmark::State& state) {
  std::vector<HttpRequest> requests(2, update_item());
  for (auto _ : state) {
    auto outcomes = socket_transport().send_all(requests);
    benchmark::DoNotOptimize(outcomes.data());
    if (!outcomes[0].response || !outcomes[1].response) {
      state.SkipWithError("request failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_SocketSendAllPair)->Threads(1)->UseRealTime();

// The benchmark's shared transports, not owned by the client.
template <typename Transport>
std::shared_ptr<zae::aws::HttpTransport> borrowed(Transport& transport) {
  return std::shared_ptr<zae::aws::HttpTransport>(&transport, [](zae::aws::HttpTransport*) {});
}

// Arg 0: CurlTransport, arg 1: SocketTransport.
void BM_ClientUpdateItem(benchmark::State& state) {
  using namespace zae::aws;
  DynamoDbClient client(DynamoDbClientConfig{
      .endpoint = server().url(),
      .credentials = static_credentials(
          Credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""}),
      .transport = state.range(0) == 0 ? borrowed(transport()) : borrowed(socket_transport())});
  const UpdateItemRequest request{
      .table_name = "rate_limits",
      .key = {{"PK", AttributeValue::of_string("default/ENTITY#user-1")},
              {"SK", AttributeValue::of_string("#STATE")}},
      .update_expression = "SET #tk = #tk - :c, #rf = :now",
      .condition_expression = "#tk >= :c",
      .expression_attribute_names = {{"#tk", "b_rpm_tk"}, {"#rf", "rf"}},
      .expression_attribute_values = {{":c", AttributeValue::of_int64(1000)},
                                      {":now", AttributeValue::of_int64(1'700'000'000'000)}},
      .return_values = ReturnValues::kAllNew,
      .return_values_on_condition_check_failure = ReturnValuesOnConditionCheckFailure::kAllOld};
  for (auto _ : state) {
    WriteItemResult result = client.update_item(request);
    benchmark::DoNotOptimize(result.attributes);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClientUpdateItem)->ArgName("socket")->Arg(0)->Arg(1)->UseRealTime();

// The floor on this machine: the same request bytes over one blocking keep-alive socket, with
// just enough parsing to find the end of the response. What CurlTransport costs beyond this is
// libcurl's and ours.
void BM_RawSocketFloor(benchmark::State& state) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server().port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    state.SkipWithError("connect failed");
    ::close(fd);
    return;
  }
  HttpRequest request = update_item();
  std::string wire =
      "POST / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server().port()) + "\r\n";
  for (const auto& field : request.headers) {
    wire += field.name + ": " + field.value + "\r\n";
  }
  wire += "Content-Length: " + std::to_string(request.body.size()) + "\r\n\r\n" + request.body;
  std::string buffer;
  char chunk[16 * 1024];
  for (auto _ : state) {
    if (::send(fd, wire.data(), wire.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(wire.size())) {
      state.SkipWithError("send failed");
      break;
    }
    buffer.clear();
    std::size_t want = std::string::npos;
    while (want == std::string::npos || buffer.size() < want) {
      ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
      if (n <= 0) {
        state.SkipWithError("recv failed");
        break;
      }
      buffer.append(chunk, static_cast<std::size_t>(n));
      std::size_t head_end = buffer.find("\r\n\r\n");
      if (want == std::string::npos && head_end != std::string::npos) {
        want = head_end + 4 + kResponseBody.size();
      }
    }
  }
  ::close(fd);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawSocketFloor)->UseRealTime();

}  // namespace
