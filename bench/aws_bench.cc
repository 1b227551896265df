// SPDX-License-Identifier: MIT
// Client CPU of the aws layer's hot path: signing one DynamoDB request, writing an UpdateItem
// body, parsing an UpdateItem response.
#include <chrono>
#include <string>

#include <benchmark/benchmark.h>

#include "aws/attribute_codec.h"
#include "aws/json.h"
#include "aws/sigv4.h"

namespace zae::aws {
namespace {

const std::string kBody =
    R"({"TableName":"rate_limits","Key":{"PK":{"S":"default/ENTITY#api-key-123"},"SK":{"S":"#BUCKET#gpt-4#tpm"}},)"
    R"("UpdateExpression":"SET #tk = :tk, #rf = :now ADD #tc :consumed",)"
    R"("ConditionExpression":"#rf = :expected AND #tk >= :need","ReturnValues":"ALL_NEW"})";

const std::string kResponse =
    R"({"Attributes":{"PK":{"S":"default/ENTITY#api-key-123"},"SK":{"S":"#BUCKET#gpt-4#tpm"},)"
    R"("tk":{"N":"9876543210"},"cp":{"N":"10000000"},"rf":{"N":"1735689600123"},)"
    R"("tc":{"N":"123456789012345678901234567890"},"name":{"S":"gpt-4 tokens per minute"},)"
    R"("ttl":{"N":"1735776000"},"flags":{"L":[{"BOOL":true},{"NULL":true}]}},)"
    R"("ConsumedCapacity":{"TableName":"rate_limits","CapacityUnits":1.0}})";

void BM_Sigv4SignUpdateItem(benchmark::State& state) {
  const Credentials credentials{
      "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
      state.range(0) != 0 ? "session-token-of-some-length-AQoDYXdzEPT" : ""};
  const HttpHeader headers[] = {
      {"Content-Type", "application/x-amz-json-1.0"},
      {"Host", "dynamodb.us-east-1.amazonaws.com"},
      {"X-Amz-Target", "DynamoDB_20120810.UpdateItem"},
  };
  Sigv4Signer signer;
  const auto now = std::chrono::system_clock::now();
  for (auto _ : state) {
    Signature sig =
        signer.sign({.method = "POST", .path = "/", .headers = headers, .payload = kBody},
                    credentials, {.region = "us-east-1", .service = "dynamodb", .time = now});
    benchmark::DoNotOptimize(sig.authorization.data());
  }
}
BENCHMARK(BM_Sigv4SignUpdateItem)->Arg(0)->Arg(1);

void BM_WriteUpdateItemKey(benchmark::State& state) {
  const AttributeMap key{{"PK", AttributeValue::of_string("default/ENTITY#api-key-123")},
                         {"SK", AttributeValue::of_string("#BUCKET#gpt-4#tpm")}};
  std::string out;
  for (auto _ : state) {
    out.clear();
    JsonWriter w(out);
    w.begin_object();
    w.key("TableName");
    w.string("rate_limits");
    w.key("Key");
    write_item(w, key);
    w.key("ExpressionAttributeValues");
    w.begin_object();
    w.key(":tk");
    write_attribute_value(w, AttributeValue::of_int64(9876543210));
    w.key(":now");
    write_attribute_value(w, AttributeValue::of_int64(1735689600123));
    w.end_object();
    w.end_object();
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_WriteUpdateItemKey);

void BM_ParseUpdateItemResponse(benchmark::State& state) {
  for (auto _ : state) {
    JsonReader r(kResponse);
    AttributeMap attributes;
    r.enter_object();
    while (auto key = r.next_key()) {
      if (*key == "Attributes") {
        attributes = read_item(r);
      } else {
        r.skip_value();
      }
    }
    r.finish();
    benchmark::DoNotOptimize(attributes.size());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kResponse.size()));
}
BENCHMARK(BM_ParseUpdateItemResponse);

}  // namespace
}  // namespace zae::aws
