// SPDX-License-Identifier: MIT
// Client CPU of the aws layer's hot path: signing one DynamoDB request, writing an UpdateItem
// body, parsing an UpdateItem response.
#include <array>
#include <chrono>
#include <cstdint>
#include <string>

#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "aws/attribute_codec.h"
#include "aws/crypto.h"
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

// The SHA-256 and HMAC-SHA256 behind every signature, as aws/crypto.cc computes them (kCrypto)
// and as the EVP interface of OpenSSL 3 would: kEvpReinit is crypto.cc's former approach (an
// EVP_MD fetched once, one EVP_MD_CTX per thread, EVP_DigestInit_ex2 per digest), kEvpOneShot
// the plain EVP_Digest / HMAC calls with EVP_sha256(), which fetch the algorithm on every call.
enum class Sha256Via : std::int64_t { kCrypto, kEvpReinit, kEvpOneShot };

const EVP_MD* fetched_sha256() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

Sha256Digest evp_reinit_sha256(EVP_MD_CTX* ctx, const void* a, std::size_t a_size, const void* b,
                               std::size_t b_size) {
  Sha256Digest out;
  unsigned int size = 0;
  EVP_DigestInit_ex2(ctx, fetched_sha256(), nullptr);
  EVP_DigestUpdate(ctx, a, a_size);
  EVP_DigestUpdate(ctx, b, b_size);
  EVP_DigestFinal_ex(ctx, out.data(), &size);
  return out;
}

// A 32-byte key, as the derived signing key is.
Sha256Digest evp_reinit_hmac(EVP_MD_CTX* ctx, const Sha256Digest& key, std::string_view data) {
  std::array<std::uint8_t, 64> pad{};
  for (std::size_t i = 0; i < pad.size(); ++i) {
    pad[i] = (i < key.size() ? key[i] : 0) ^ 0x36;
  }
  Sha256Digest inner = evp_reinit_sha256(ctx, pad.data(), pad.size(), data.data(), data.size());
  for (std::size_t i = 0; i < pad.size(); ++i) {
    pad[i] = (i < key.size() ? key[i] : 0) ^ 0x5c;
  }
  return evp_reinit_sha256(ctx, pad.data(), pad.size(), inner.data(), inner.size());
}

void BM_Sha256UpdateItemBody(benchmark::State& state) {
  const auto via = static_cast<Sha256Via>(state.range(0));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  for (auto _ : state) {
    Sha256Digest digest{};
    if (via == Sha256Via::kCrypto) {
      digest = sha256(kBody);
    } else if (via == Sha256Via::kEvpReinit) {
      digest = evp_reinit_sha256(ctx, kBody.data(), kBody.size(), nullptr, 0);
    } else {
      EVP_Digest(kBody.data(), kBody.size(), digest.data(), nullptr, EVP_sha256(), nullptr);
    }
    benchmark::DoNotOptimize(digest);
  }
  EVP_MD_CTX_free(ctx);
}
BENCHMARK(BM_Sha256UpdateItemBody)
    ->ArgName("via")
    ->Arg(static_cast<std::int64_t>(Sha256Via::kCrypto))
    ->Arg(static_cast<std::int64_t>(Sha256Via::kEvpReinit))
    ->Arg(static_cast<std::int64_t>(Sha256Via::kEvpOneShot));

// The last step of a signature: the HMAC of a string to sign under the derived key.
void BM_HmacSha256StringToSign(benchmark::State& state) {
  const auto via = static_cast<Sha256Via>(state.range(0));
  const std::string sts =
      "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/dynamodb/aws4_request\n"
      "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0";
  const Sha256Digest key = derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                              "20150830", "us-east-1", "dynamodb");
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  for (auto _ : state) {
    Sha256Digest mac{};
    if (via == Sha256Via::kCrypto) {
      mac = hmac_sha256(key, sts);
    } else if (via == Sha256Via::kEvpReinit) {
      mac = evp_reinit_hmac(ctx, key, sts);
    } else {
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(sts.data()), sts.size(), mac.data(), nullptr);
    }
    benchmark::DoNotOptimize(mac);
  }
  EVP_MD_CTX_free(ctx);
}
BENCHMARK(BM_HmacSha256StringToSign)
    ->ArgName("via")
    ->Arg(static_cast<std::int64_t>(Sha256Via::kCrypto))
    ->Arg(static_cast<std::int64_t>(Sha256Via::kEvpReinit))
    ->Arg(static_cast<std::int64_t>(Sha256Via::kEvpOneShot));

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
