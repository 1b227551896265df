// SPDX-License-Identifier: MIT
// SigV4 canonicalisation (src/aws/sigv4.h): the canonical URI, query and headers, and X-Amz-Date
// parsing. Input: the first byte picks the mode. Even: the rest is an X-Amz-Date. Odd: lines
// "method", "path", "query", then header lines "Name:value" up to an empty line, then the
// payload.
//
// Properties. parse_amz_date returns or throws SigningError, and formats back to its input.
// sign() returns or throws SigningError. The canonical request has the shape the spec defines:
// the method; a URI that starts with '/', holds only unreserved bytes, '/' and %XX (upper-case
// hex), has no empty, "." or ".." segment; a query of name=value pairs in that alphabet, in sorted
// order; header lines with lower-case names in sorted order, each name once, values trimmed with
// no tab or double space; the signed-header list naming those headers, x-amz-date among them; the
// payload's SHA-256 in hex. Canonicalisation is idempotent: signing the canonical query (or the
// decoded canonical path) again yields the same line. The Authorization value names the scope
// and signed headers and ends in 64 hex digits.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "aws/errors.h"
#include "aws/sigv4.h"
#include "fuzz/fuzz_check.h"

namespace {

using zae::test::split_once;

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

bool is_upper_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

// Only unreserved bytes, %XX escapes and bytes of `extra`.
bool is_encoded(std::string_view s, std::string_view extra) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !is_upper_hex(s[i + 1]) || !is_upper_hex(s[i + 2])) {
        return false;
      }
      i += 2;
    } else if (!is_unreserved(s[i]) && extra.find(s[i]) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::string decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char separator) {
  std::vector<std::string_view> out;
  for (;;) {
    auto [head, rest] = split_once(s, separator);
    out.push_back(head);
    if (head.size() == s.size()) {
      return out;
    }
    s = rest;
  }
}

const zae::aws::Credentials kCredentials{
    .access_key_id = "AKIDEXAMPLE", .secret_access_key = "secret", .session_token = ""};
const zae::aws::SigningParams kParams{
    .region = "us-east-1",
    .service = "dynamodb",
    .time = std::chrono::sys_days{std::chrono::year{2015} / 8 / 30} + std::chrono::hours{12} +
            std::chrono::minutes{36}};

const zae::aws::Sigv4Signer& signer() {
  static const zae::aws::Sigv4Signer instance;
  return instance;
}

void check_date(std::string_view text) {
  std::chrono::system_clock::time_point time;
  try {
    time = zae::aws::parse_amz_date(text);
  } catch (const zae::aws::SigningError&) {
    return;
  }
  ZAE_FUZZ_CHECK(zae::aws::format_amz_date(time) == text);
}

void check_canonical(const zae::aws::SigningRequest& request, const zae::aws::Signature& sig) {
  const std::vector<std::string_view> lines = split(sig.canonical_request, '\n');
  ZAE_FUZZ_CHECK(lines.size() >= 7);
  ZAE_FUZZ_CHECK(lines[0] == request.method);

  const std::string_view uri = lines[1];
  ZAE_FUZZ_CHECK(uri.starts_with('/'));
  ZAE_FUZZ_CHECK(is_encoded(uri, "/"));
  const std::vector<std::string_view> segments = split(uri.substr(1), '/');
  for (std::size_t i = 0; i < segments.size(); ++i) {
    // Only the last segment may be empty (a trailing slash, or the root).
    ZAE_FUZZ_CHECK(!segments[i].empty() || i + 1 == segments.size());
    ZAE_FUZZ_CHECK(segments[i] != "." && segments[i] != "..");
  }

  const std::string_view query = lines[2];
  if (!query.empty()) {
    std::string_view previous;
    bool first = true;
    for (std::string_view pair : split(query, '&')) {
      const std::size_t eq = pair.find('=');
      ZAE_FUZZ_CHECK(eq != std::string_view::npos);
      ZAE_FUZZ_CHECK(is_encoded(pair.substr(0, eq), "") && is_encoded(pair.substr(eq + 1), ""));
      ZAE_FUZZ_CHECK(first || previous <= pair.substr(0, eq));
      previous = pair.substr(0, eq);
      first = false;
    }
  }

  std::size_t at = 3;
  std::vector<std::string_view> names;
  for (; at < lines.size() && !lines[at].empty(); ++at) {
    const std::size_t colon = lines[at].find(':');
    ZAE_FUZZ_CHECK(colon != std::string_view::npos && colon > 0);
    const std::string_view name = lines[at].substr(0, colon);
    const std::string_view value = lines[at].substr(colon + 1);
    for (char c : name) {
      ZAE_FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
    }
    ZAE_FUZZ_CHECK(names.empty() || names.back() < name);
    ZAE_FUZZ_CHECK(value.find('\t') == std::string_view::npos);
    ZAE_FUZZ_CHECK(value.find('\r') == std::string_view::npos);
    ZAE_FUZZ_CHECK(value.find("  ") == std::string_view::npos);
    ZAE_FUZZ_CHECK(value.empty() || (value.front() != ' ' && value.back() != ' '));
    names.push_back(name);
  }
  ZAE_FUZZ_CHECK(at + 3 == lines.size());
  std::string signed_headers;
  for (std::string_view name : names) {
    signed_headers += (signed_headers.empty() ? "" : ";") + std::string(name);
  }
  ZAE_FUZZ_CHECK(lines[at + 1] == signed_headers);
  ZAE_FUZZ_CHECK(std::find(names.begin(), names.end(), "x-amz-date") != names.end());
  ZAE_FUZZ_CHECK(lines[at + 2].size() == 64 && is_lower_hex(lines[at + 2]));

  const std::string prefix =
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request, "
      "SignedHeaders=" +
      signed_headers + ", Signature=";
  ZAE_FUZZ_CHECK(sig.authorization.starts_with(prefix));
  ZAE_FUZZ_CHECK(sig.authorization.size() == prefix.size() + 64);
  ZAE_FUZZ_CHECK(is_lower_hex(std::string_view(sig.authorization).substr(prefix.size())));
  ZAE_FUZZ_CHECK(sig.amz_date == "20150830T123600Z");

  // Idempotence.
  zae::aws::SigningRequest again = request;
  again.query = query;
  const std::string decoded_path = decode(uri);
  again.path = decoded_path;
  const zae::aws::Signature resigned = signer().sign(again, kCredentials, kParams);
  const std::vector<std::string_view> relines = split(resigned.canonical_request, '\n');
  ZAE_FUZZ_CHECK(relines[1] == uri);
  ZAE_FUZZ_CHECK(relines[2] == query);
}

void check_signing(std::string_view text) {
  auto [method, after_method] = split_once(text, '\n');
  auto [path, after_path] = split_once(after_method, '\n');
  auto [query, rest] = split_once(after_path, '\n');
  std::vector<zae::aws::HttpHeader> headers;
  while (!rest.empty()) {
    auto [line, after] = split_once(rest, '\n');
    rest = after;
    if (line.empty()) {
      break;
    }
    auto [name, value] = split_once(line, ':');
    headers.push_back({name, value});
  }
  const zae::aws::SigningRequest request{
      .method = method, .path = path, .query = query, .headers = headers, .payload = rest};
  zae::aws::Signature sig;
  try {
    sig = signer().sign(request, kCredentials, kParams);
  } catch (const zae::aws::SigningError&) {
    return;
  }
  check_canonical(request, sig);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view text = zae::test::as_text(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    check_date(text);
  } else {
    check_signing(text);
  }
  return 0;
}
