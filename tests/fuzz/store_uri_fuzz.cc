// SPDX-License-Identifier: MIT
// Store URIs, parse_store_uri and percent_decode (src/store/store_uri.h).
//
// Properties: a URI either parses or throws ValidationError with field "store"; a parsed URI has
// a non-empty path or table name without NUL (and a table name without '/'), present options are
// non-empty; writing the parsed URI back with every byte outside the unreserved set
// percent-encoded parses to the same value; percent_decode inverts that encoding for any bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "zae/errors.h"

#include "fuzz/fuzz_check.h"
#include "store/store_uri.h"

namespace {

std::string encode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    if ((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-' ||
        b == '_' || b == '.' || b == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0x0f];
    }
  }
  return out;
}

std::string to_uri(const zae::SqliteStoreUri& uri) {
  std::string out = uri.is_in_memory() ? "sqlite::memory:" : "sqlite:" + encode(uri.path);
  char separator = '?';
  if (uri.synchronous) {
    out += separator;
    out += uri.synchronous == zae::SqliteSynchronous::kFull ? "synchronous=FULL"
                                                            : "synchronous=normal";
    separator = '&';
  }
  if (uri.busy_timeout) {
    out += separator;
    out += "busy_timeout_ms=" + std::to_string(uri.busy_timeout->count());
    separator = '&';
  }
  if (uri.wal_autocheckpoint) {
    out += separator;
    out += "wal_autocheckpoint=" + std::to_string(*uri.wal_autocheckpoint);
    separator = '&';
  }
  if (uri.exclusive_locking) {
    out += separator;
    out += *uri.exclusive_locking ? "locking=EXCLUSIVE" : "locking=shared";
  }
  return out;
}

std::string to_uri(const zae::DynamoDbStoreUri& uri) {
  std::string out = "DynamoDB://" + encode(uri.table_name);
  char separator = '?';
  if (uri.endpoint) {
    out += separator + std::string("endpoint=") + encode(*uri.endpoint);
    separator = '&';
  }
  if (uri.region) {
    out += separator + std::string("%72egion=") + encode(*uri.region);
  }
  return out;
}

void check_parsed(const zae::SqliteStoreUri& uri) {
  ZAE_FUZZ_CHECK(!uri.path.empty());
  ZAE_FUZZ_CHECK(uri.path.find('\0') == std::string::npos);
  if (uri.busy_timeout) {
    ZAE_FUZZ_CHECK(uri.busy_timeout->count() >= 0 && uri.busy_timeout->count() <= 2147483647);
  }
  if (uri.wal_autocheckpoint) {
    ZAE_FUZZ_CHECK(*uri.wal_autocheckpoint >= 0 && *uri.wal_autocheckpoint <= 1'000'000);
  }
}

void check_parsed(const zae::DynamoDbStoreUri& uri) {
  ZAE_FUZZ_CHECK(!uri.table_name.empty());
  ZAE_FUZZ_CHECK(uri.table_name.find('\0') == std::string::npos);
  ZAE_FUZZ_CHECK(uri.table_name.find('/') == std::string::npos);
  ZAE_FUZZ_CHECK(!uri.region || !uri.region->empty());
  ZAE_FUZZ_CHECK(!uri.endpoint || !uri.endpoint->empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = zae::test::as_text(data, size);
  ZAE_FUZZ_CHECK(zae::percent_decode(encode(text)) == std::string(text));

  zae::StoreUri parsed;
  try {
    parsed = zae::parse_store_uri(text);
  } catch (const zae::ValidationError& e) {
    ZAE_FUZZ_CHECK(e.field() == "store");
    ZAE_FUZZ_CHECK(!e.reason().empty());
    return 0;
  }
  std::visit([](const auto& uri) { check_parsed(uri); }, parsed);
  const std::string written = std::visit([](const auto& uri) { return to_uri(uri); }, parsed);
  try {
    ZAE_FUZZ_CHECK(zae::parse_store_uri(written) == parsed);
  } catch (const zae::ValidationError& e) {
    std::fprintf(stderr, "re-parse of '%s' failed: %s\n", written.c_str(), e.what());
    std::abort();
  }
  return 0;
}
