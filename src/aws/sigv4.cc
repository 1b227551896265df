// SPDX-License-Identifier: MIT
#include "aws/sigv4.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "aws/errors.h"
#include "aws/http.h"

namespace zae::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";
constexpr std::string_view kDateHeader = "x-amz-date";
constexpr std::string_view kTokenHeader = "x-amz-security-token";
constexpr std::string_view kAuthorizationHeader = "authorization";
// A DynamoDB request signs five headers; more than this spills to the heap.
constexpr std::size_t kInlineHeaders = 16;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

// Orders names as their lower-case forms would sort bytewise.
bool iless(std::string_view a, std::string_view b) {
  std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    auto ca = static_cast<unsigned char>(lower(a[i]));
    auto cb = static_cast<unsigned char>(lower(b[i]));
    if (ca != cb) {
      return ca < cb;
    }
  }
  return a.size() < b.size();
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) { return aws::trim(s, " \t"); }

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

// RFC 3986 encoding as SigV4 specifies it: every byte except the unreserved set becomes %XX with
// upper-case hex.
void append_uri_encoded(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : s) {
    if (is_unreserved(c)) {
      out += c;
    } else {
      auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0x0f];
    }
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Query components arrive percent-encoded; decoding first makes "%7E" and "~" sign the same, as
// the server computes it.
std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    const int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
    const int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      throw SigningError("malformed percent-escape in query string");
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// Non-S3 path rules: remove "." and "..", collapse empty segments, encode each segment once.
void append_canonical_uri(std::string& out, std::string_view path) {
  const std::size_t base = out.size();
  out += '/';
  if (path.empty() || path == "/") {
    return;
  }
  bool trailing_slash = false;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t end = path.find('/', pos);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    std::string_view segment = path.substr(pos, end - pos);
    pos = end + 1;
    trailing_slash = segment.empty() || segment == "." || segment == "..";
    if (segment.empty() || segment == ".") {
      continue;
    }
    if (segment == "..") {
      std::size_t last = out.rfind('/');
      out.resize(last > base ? last : base + 1);
      continue;
    }
    if (out.back() != '/') {
      out += '/';
    }
    append_uri_encoded(out, segment);
  }
  if (trailing_slash && out.back() != '/') {
    out += '/';
  }
}

void append_canonical_query(std::string& out, std::string_view query) {
  if (query.empty()) {
    return;
  }
  std::vector<std::pair<std::string, std::string>> params;
  std::size_t pos = 0;
  while (pos <= query.size()) {
    std::size_t end = query.find('&', pos);
    if (end == std::string_view::npos) {
      end = query.size();
    }
    std::string_view part = query.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty()) {
      continue;
    }
    std::size_t eq = part.find('=');
    std::string_view name = part.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    std::pair<std::string, std::string> encoded;
    append_uri_encoded(encoded.first, percent_decode(name));
    append_uri_encoded(encoded.second, percent_decode(value));
    params.push_back(std::move(encoded));
  }
  std::sort(params.begin(), params.end());
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (i > 0) {
      out += '&';
    }
    out += params[i].first;
    out += '=';
    out += params[i].second;
  }
}

void check_header_text(std::string_view s) {
  // Not find_first_of("\r\n"), which runs memchr over the set once per character of `s`.
  if (!s.empty() && (std::memchr(s.data(), '\r', s.size()) != nullptr ||
                     std::memchr(s.data(), '\n', s.size()) != nullptr)) {
    throw SigningError("header contains a line break");
  }
}

// Trims and collapses runs of blanks to one space, as SigV4 canonical header values require.
void append_canonical_value(std::string& out, std::string_view value) {
  value = trim(value);
  // The usual value has no tab and no double space: it is already canonical.
  if (value.find('\t') == std::string_view::npos && value.find("  ") == std::string_view::npos) {
    out += value;
    return;
  }
  bool in_space = false;
  for (char c : value) {
    if (is_space(c)) {
      in_space = true;
      continue;
    }
    if (in_space) {
      out += ' ';
      in_space = false;
    }
    out += c;
  }
}

void append_lower(std::string& out, std::string_view s) {
  // One append, then lower-casing in place: no per-character capacity check.
  const std::size_t at = out.size();
  out += s;
  for (std::size_t i = at; i < out.size(); ++i) {
    out[i] = lower(out[i]);
  }
}

struct HeaderEntry {
  std::string_view name;
  std::string_view value;
};

void sort_headers(std::span<HeaderEntry> entries) {
  // Insertion sort: stable (duplicate names keep their order, which the canonical value joins
  // in) and allocation-free for the handful of headers a request carries.
  if (entries.size() > kInlineHeaders) {
    std::stable_sort(
        entries.begin(), entries.end(),
        [](const HeaderEntry& a, const HeaderEntry& b) { return iless(a.name, b.name); });
    return;
  }
  for (std::size_t i = 1; i < entries.size(); ++i) {
    HeaderEntry e = entries[i];
    std::size_t j = i;
    while (j > 0 && iless(e.name, entries[j - 1].name)) {
      entries[j] = entries[j - 1];
      --j;
    }
    entries[j] = e;
  }
}

std::string_view date_stamp(std::string_view amz_date) { return amz_date.substr(0, 8); }

bool parse_digits(std::string_view s, int& out) {
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
    out = out * 10 + (c - '0');
  }
  return true;
}

}  // namespace

std::string format_amz_date(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  auto seconds = floor<std::chrono::seconds>(time);
  auto day = floor<days>(seconds);
  year_month_day ymd{day};
  hh_mm_ss hms{seconds - day};
  auto put = [](char* at, unsigned value, int width) {
    for (int i = width - 1; i >= 0; --i) {
      at[i] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  std::string out(16, '0');
  put(&out[0], static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
  put(&out[4], static_cast<unsigned>(ymd.month()), 2);
  put(&out[6], static_cast<unsigned>(ymd.day()), 2);
  out[8] = 'T';
  put(&out[9], static_cast<unsigned>(hms.hours().count()), 2);
  put(&out[11], static_cast<unsigned>(hms.minutes().count()), 2);
  put(&out[13], static_cast<unsigned>(hms.seconds().count()), 2);
  out[15] = 'Z';
  return out;
}

std::chrono::system_clock::time_point parse_amz_date(std::string_view text) {
  using namespace std::chrono;
  int y = 0;
  int mo = 0;
  int d = 0;
  int h = 0;
  int mi = 0;
  int s = 0;
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z' ||
      !parse_digits(text.substr(0, 4), y) || !parse_digits(text.substr(4, 2), mo) ||
      !parse_digits(text.substr(6, 2), d) || !parse_digits(text.substr(9, 2), h) ||
      !parse_digits(text.substr(11, 2), mi) || !parse_digits(text.substr(13, 2), s)) {
    throw SigningError("not an X-Amz-Date timestamp (YYYYMMDDTHHMMSSZ): '" + std::string(text) +
                       "'");
  }
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) {
    throw SigningError("impossible X-Amz-Date timestamp: '" + std::string(text) + "'");
  }
  // In seconds first: system_clock counts nanoseconds in 64 bits (years 1678 to 2261 with
  // libstdc++), and converting a time outside that range would overflow.
  const sys_seconds at = sys_days{ymd} + hours{h} + minutes{mi} + seconds{s};
  using Clock = std::chrono::system_clock;
  if (at < std::chrono::ceil<seconds>(Clock::time_point::min()) ||
      at > std::chrono::floor<seconds>(Clock::time_point::max())) {
    throw SigningError("X-Amz-Date timestamp outside the clock's range: '" + std::string(text) +
                       "'");
  }
  return time_point_cast<Clock::duration>(at);
}

Sha256Digest derive_signing_key(std::string_view secret_access_key, std::string_view date,
                                std::string_view region, std::string_view service) {
  std::string seed;
  seed.reserve(4 + secret_access_key.size());
  seed += "AWS4";
  seed += secret_access_key;
  auto as_bytes = [](std::string_view s) {
    return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  };
  Sha256Digest k = hmac_sha256(as_bytes(seed), date);
  k = hmac_sha256(k, region);
  k = hmac_sha256(k, service);
  return hmac_sha256(k, kTerminator);
}

Sha256Digest SigningKeyCache::get(std::string_view secret_access_key, std::string_view date,
                                  std::string_view region, std::string_view service) {
  {
    std::lock_guard lock(mutex_);
    for (const Entry& e : entries_) {
      if (e.date == date && e.region == region && e.service == service &&
          e.secret == secret_access_key) {
        return e.key;
      }
    }
  }
  // Derive outside the lock: four HMACs are cheap but other threads should not wait on them. Two
  // threads missing together both derive the same key; the second insert is then a no-op.
  Sha256Digest key = derive_signing_key(secret_access_key, date, region, service);
  std::lock_guard lock(mutex_);
  for (const Entry& e : entries_) {
    if (e.date == date && e.region == region && e.service == service &&
        e.secret == secret_access_key) {
      return key;
    }
  }
  Entry entry{std::string(secret_access_key), std::string(date), std::string(region),
              std::string(service), key};
  if (entries_.size() < kCapacity) {
    entries_.push_back(std::move(entry));
  } else {
    entries_[next_victim_] = std::move(entry);
    next_victim_ = (next_victim_ + 1) % kCapacity;
  }
  return key;
}

std::size_t SigningKeyCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

Signature Sigv4Signer::sign(const SigningRequest& request, const Credentials& credentials,
                            const SigningParams& params) const {
  Signature sig;
  sig.amz_date = format_amz_date(params.time);

  const std::size_t count = request.headers.size() + 2;
  std::array<HeaderEntry, kInlineHeaders> inline_entries;
  std::vector<HeaderEntry> heap_entries;
  std::span<HeaderEntry> entries;
  if (count <= kInlineHeaders) {
    entries = std::span<HeaderEntry>(inline_entries.data(), count);
  } else {
    heap_entries.resize(count);
    entries = heap_entries;
  }

  std::size_t n = 0;
  bool has_date = false;
  bool has_token = false;
  std::size_t header_bytes = 0;
  for (const HttpHeader& h : request.headers) {
    check_header_text(h.name);
    check_header_text(h.value);
    if (h.name.empty()) {
      throw SigningError("header with an empty name");
    }
    if (iequals(h.name, kAuthorizationHeader)) {
      continue;
    }
    if (iequals(h.name, kDateHeader)) {
      if (trim(h.value) != sig.amz_date) {
        throw SigningError("X-Amz-Date header '" + std::string(trim(h.value)) +
                           "' differs from the signing time " + sig.amz_date);
      }
      has_date = true;
    } else if (iequals(h.name, kTokenHeader)) {
      if (!credentials.session_token.empty() && trim(h.value) != credentials.session_token) {
        throw SigningError("X-Amz-Security-Token header differs from the credentials' token");
      }
      has_token = true;
    }
    entries[n++] = HeaderEntry{h.name, h.value};
    header_bytes += h.name.size() + h.value.size() + 2;
  }
  if (!has_date) {
    entries[n++] = HeaderEntry{kDateHeader, sig.amz_date};
    sig.date_header_added = true;
  }
  if (!has_token && !credentials.session_token.empty()) {
    entries[n++] = HeaderEntry{kTokenHeader, credentials.session_token};
    sig.token_header_added = true;
    header_bytes += kTokenHeader.size() + credentials.session_token.size() + 2;
  }
  entries = entries.first(n);
  sort_headers(entries);

  // Canonical request.
  std::string& creq = sig.canonical_request;
  creq.reserve(request.method.size() + request.path.size() * 3 + request.query.size() * 3 +
               header_bytes * 2 + 128);
  creq += request.method;
  creq += '\n';
  append_canonical_uri(creq, request.path);
  creq += '\n';
  append_canonical_query(creq, request.query);
  creq += '\n';
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i > 0 && iequals(entries[i].name, entries[i - 1].name)) {
      // Repeated header: values join with ',' in the order they were given.
      creq.back() = ',';
    } else {
      append_lower(creq, entries[i].name);
      creq += ':';
    }
    append_canonical_value(creq, entries[i].value);
    creq += '\n';
  }
  creq += '\n';
  const std::size_t signed_begin = creq.size();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i > 0 && iequals(entries[i].name, entries[i - 1].name)) {
      continue;
    }
    if (i > 0) {
      creq += ';';
    }
    append_lower(creq, entries[i].name);
  }
  const std::size_t signed_end = creq.size();
  creq += '\n';
  append_hex(creq, sha256(request.payload));

  // String to sign.
  const std::string_view date = date_stamp(sig.amz_date);
  std::string& sts = sig.string_to_sign;
  sts.reserve(kAlgorithm.size() + 16 + 8 + params.region.size() + params.service.size() +
              kTerminator.size() + 64 + 8);
  sts += kAlgorithm;
  sts += '\n';
  sts += sig.amz_date;
  sts += '\n';
  const std::size_t scope_begin = sts.size();
  sts += date;
  sts += '/';
  sts += params.region;
  sts += '/';
  sts += params.service;
  sts += '/';
  sts += kTerminator;
  const std::size_t scope_end = sts.size();
  sts += '\n';
  append_hex(sts, sha256(creq));

  const Sha256Digest key =
      keys_.get(credentials.secret_access_key, date, params.region, params.service);
  const Sha256Digest signature = hmac_sha256(key, sts);

  const std::string_view scope(sts.data() + scope_begin, scope_end - scope_begin);
  const std::string_view signed_headers(creq.data() + signed_begin, signed_end - signed_begin);
  std::string& authz = sig.authorization;
  authz.reserve(kAlgorithm.size() + 12 + credentials.access_key_id.size() + scope.size() + 16 +
                signed_headers.size() + 12 + 64);
  authz += kAlgorithm;
  authz += " Credential=";
  authz += credentials.access_key_id;
  authz += '/';
  authz += scope;
  authz += ", SignedHeaders=";
  authz += signed_headers;
  authz += ", Signature=";
  append_hex(authz, signature);
  return sig;
}

}  // namespace zae::aws
