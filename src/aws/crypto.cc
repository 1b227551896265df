// SPDX-License-Identifier: MIT
#include "aws/crypto.h"

#include <cstring>

#include <openssl/evp.h>

#include "aws/errors.h"

namespace zae::aws {
namespace {

constexpr std::size_t kBlockSize = 64;

// OpenSSL 3 does an implicit algorithm fetch on every init when given EVP_sha256(); fetching once
// and reusing one context per thread keeps a digest free of locks and allocations.
const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) {
    throw AwsError("libcrypto: SHA256 is not available");
  }
  return md;
}

class DigestContext {
 public:
  DigestContext() : ctx_(EVP_MD_CTX_new()) {}
  ~DigestContext() { EVP_MD_CTX_free(ctx_); }
  DigestContext(const DigestContext&) = delete;
  DigestContext& operator=(const DigestContext&) = delete;

  void init() {
    if (ctx_ == nullptr || EVP_DigestInit_ex2(ctx_, sha256_md(), nullptr) != 1) {
      throw AwsError("libcrypto: SHA256 init failed");
    }
  }
  void update(const void* data, std::size_t size) {
    if (EVP_DigestUpdate(ctx_, data, size) != 1) {
      throw AwsError("libcrypto: SHA256 update failed");
    }
  }
  Sha256Digest finish() {
    Sha256Digest out;
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(ctx_, out.data(), &size) != 1 || size != out.size()) {
      throw AwsError("libcrypto: SHA256 final failed");
    }
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
};

DigestContext& thread_context() {
  thread_local DigestContext ctx;
  return ctx;
}

}  // namespace

Sha256Digest sha256(std::string_view data) {
  DigestContext& ctx = thread_context();
  ctx.init();
  ctx.update(data.data(), data.size());
  return ctx.finish();
}

Sha256Digest hmac_sha256(std::span<const std::uint8_t> key, std::string_view data) {
  std::array<std::uint8_t, kBlockSize> block{};
  if (key.size() > kBlockSize) {
    Sha256Digest hashed =
        sha256(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
    std::memcpy(block.data(), hashed.data(), hashed.size());
  } else if (!key.empty()) {
    std::memcpy(block.data(), key.data(), key.size());
  }
  std::array<std::uint8_t, kBlockSize> pad;
  DigestContext& ctx = thread_context();

  for (std::size_t i = 0; i < kBlockSize; ++i) {
    pad[i] = block[i] ^ 0x36;
  }
  ctx.init();
  ctx.update(pad.data(), pad.size());
  ctx.update(data.data(), data.size());
  Sha256Digest inner = ctx.finish();

  for (std::size_t i = 0; i < kBlockSize; ++i) {
    pad[i] = block[i] ^ 0x5c;
  }
  ctx.init();
  ctx.update(pad.data(), pad.size());
  ctx.update(inner.data(), inner.size());
  return ctx.finish();
}

void append_hex(std::string& out, std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::size_t at = out.size();
  out.resize(at + bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out[at++] = kDigits[b >> 4];
    out[at++] = kDigits[b & 0x0f];
  }
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  std::string out;
  append_hex(out, bytes);
  return out;
}

}  // namespace zae::aws
