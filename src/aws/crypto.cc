// SPDX-License-Identifier: MIT
// OpenSSL 3 deprecates SHA256_Init/Update/Final in favour of EVP, but its EVP_DigestInit_ex2 frees
// and reallocates the provider's context and consults the ENGINE table on every init, even with a
// prefetched EVP_MD and a reused EVP_MD_CTX (crypto/evp/digest.c, evp_md_init_internal). A SigV4
// signature takes four inits, so that overhead was most of the signing cost. The low-level
// functions run the same assembly (SHA-NI where the CPU has it) on a plain struct on the stack.
// They are used whenever the library still provides them; EVP remains the fallback for a build of
// OpenSSL without the deprecated API. bench/aws_bench.cc measures both.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "aws/crypto.h"

#include <cstring>

#include <openssl/evp.h>
#include <openssl/opensslconf.h>
#include <openssl/sha.h>

#include "aws/errors.h"

namespace zae::aws {
namespace {

constexpr std::size_t kBlockSize = 64;

#ifndef OPENSSL_NO_DEPRECATED_3_0

// One SHA-256 computation. SHA256_* cannot fail on a valid context; their return values are
// checked anyway, as the EVP variant's are.
class Sha256 {
 public:
  Sha256() {
    if (SHA256_Init(&ctx_) != 1) {
      throw AwsError("libcrypto: SHA256 init failed");
    }
  }
  void update(const void* data, std::size_t size) {
    if (SHA256_Update(&ctx_, data, size) != 1) {
      throw AwsError("libcrypto: SHA256 update failed");
    }
  }
  Sha256Digest finish() {
    Sha256Digest out;
    if (SHA256_Final(out.data(), &ctx_) != 1) {
      throw AwsError("libcrypto: SHA256 final failed");
    }
    return out;
  }

 private:
  SHA256_CTX ctx_;
};

#else

// Fetching once and reusing one context per thread keeps the EVP path free of the implicit
// algorithm fetch that EVP_sha256() would cost on every init.
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
  EVP_MD_CTX* get() const { return ctx_; }

 private:
  EVP_MD_CTX* ctx_;
};

class Sha256 {
 public:
  Sha256() {
    thread_local DigestContext context;
    ctx_ = context.get();
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

#endif

}  // namespace

Sha256Digest sha256(std::string_view data) {
  Sha256 hash;
  hash.update(data.data(), data.size());
  return hash.finish();
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

  for (std::size_t i = 0; i < kBlockSize; ++i) {
    pad[i] = block[i] ^ 0x36;
  }
  Sha256Digest inner;
  {
    Sha256 hash;
    hash.update(pad.data(), pad.size());
    hash.update(data.data(), data.size());
    inner = hash.finish();
  }

  for (std::size_t i = 0; i < kBlockSize; ++i) {
    pad[i] = block[i] ^ 0x5c;
  }
  Sha256 hash;
  hash.update(pad.data(), pad.size());
  hash.update(inner.data(), inner.size());
  return hash.finish();
}

void append_hex(std::string& out, std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const std::size_t at = out.size();
  out.resize(at + bytes.size() * 2);
  // Through a local pointer: a store via out[i] may alias the string's own members, which made
  // the compiler reload them for every character.
  char* p = out.data() + at;
  for (std::uint8_t b : bytes) {
    *p++ = kDigits[b >> 4];
    *p++ = kDigits[b & 0x0f];
  }
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  std::string out;
  append_hex(out, bytes);
  return out;
}

}  // namespace zae::aws
