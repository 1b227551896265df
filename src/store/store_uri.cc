// SPDX-License-Identifier: MIT
#include "store/store_uri.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "zae/errors.h"

namespace zae {
namespace {

constexpr std::string_view kField = "store";

[[noreturn]] void fail(std::string_view uri, std::string reason) {
  throw ValidationError(std::string(kField), uri, std::move(reason));
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
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

std::string decode_or_fail(std::string_view uri, std::string_view text, std::string_view what) {
  std::optional<std::string> decoded = percent_decode(text);
  if (!decoded) {
    fail(uri, "bad percent-encoding in " + std::string(what) + " '" + std::string(text) + "'");
  }
  // A NUL would silently truncate the name at the C API of every backend.
  if (decoded->find('\0') != std::string::npos) {
    fail(uri, std::string(what) + " contains a NUL character");
  }
  return std::move(*decoded);
}

struct QueryOption {
  std::string key;
  std::string value;
};

// Splits "a=1&b=2" into decoded pairs; rejects empty keys, missing '=' and repeated keys, so a
// typo never silently falls back to a default.
std::vector<QueryOption> parse_query(std::string_view uri, std::string_view query) {
  std::vector<QueryOption> options;
  std::size_t pos = 0;
  while (pos <= query.size()) {
    const std::size_t amp = std::min(query.find('&', pos), query.size());
    const std::string_view part = query.substr(pos, amp - pos);
    pos = amp + 1;
    if (part.empty()) {
      continue;  // tolerate "?a=1&&b=2" and a trailing '&'
    }
    const std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      fail(uri, "option '" + std::string(part) + "' has no value (expected " + std::string(part) +
                    "=VALUE)");
    }
    QueryOption option{decode_or_fail(uri, part.substr(0, eq), "option name"),
                       decode_or_fail(uri, part.substr(eq + 1), "option value")};
    if (option.key.empty()) {
      fail(uri, "option with an empty name");
    }
    for (const QueryOption& seen : options) {
      if (seen.key == option.key) {
        fail(uri, "option '" + option.key + "' given twice");
      }
    }
    options.push_back(std::move(option));
  }
  return options;
}

// A decimal integer in [min, max], or fail naming the option.
std::int64_t integer_or_fail(std::string_view uri, const QueryOption& option, std::int64_t min,
                             std::int64_t max) {
  std::int64_t value = -1;
  const char* begin = option.value.data();
  const char* end = begin + option.value.size();
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (option.value.empty() || ec != std::errc() || ptr != end || value < min || value > max) {
    fail(uri, "bad value '" + option.value + "' for " + option.key + " (expected an integer from " +
                  std::to_string(min) + " to " + std::to_string(max) + ")");
  }
  return value;
}

SqliteStoreUri parse_sqlite(std::string_view uri, std::string_view rest) {
  const std::size_t question = rest.find('?');
  std::string_view location = rest.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : rest.substr(question + 1);

  SqliteStoreUri parsed;
  if (location == ":memory:") {
    parsed.path = ":memory:";
  } else {
    if (location.starts_with("//")) {
      // sqlite:///abs/path: an empty authority followed by an absolute path. Anything else
      // after "//" would be a host, which a local database cannot have.
      location.remove_prefix(2);
      if (!location.empty() && location.front() != '/') {
        const std::string_view host = location.substr(0, location.find('/'));
        fail(uri, "unexpected host '" + std::string(host) +
                      "' (use sqlite:///absolute/path.db or sqlite:relative/path.db)");
      }
    }
    if (location.empty() || location == "/") {
      fail(uri,
           "missing path (use sqlite:///absolute/path.db, sqlite:relative/path.db or "
           "sqlite::memory:)");
    }
    parsed.path = decode_or_fail(uri, location, "path");
  }

  for (QueryOption& option : parse_query(uri, query)) {
    if (option.key == "synchronous") {
      const std::string value = lower(option.value);
      if (value == "normal") {
        parsed.synchronous = SqliteSynchronous::kNormal;
      } else if (value == "full") {
        parsed.synchronous = SqliteSynchronous::kFull;
      } else {
        fail(uri, "bad value '" + option.value + "' for synchronous (expected normal or full)");
      }
    } else if (option.key == "busy_timeout_ms") {
      std::int64_t ms = -1;
      const char* begin = option.value.data();
      const char* end = begin + option.value.size();
      const auto [ptr, ec] = std::from_chars(begin, end, ms);
      // sqlite3_busy_timeout takes an int, hence the upper bound.
      if (option.value.empty() || ec != std::errc() || ptr != end || ms < 0 ||
          ms > std::numeric_limits<int>::max()) {
        fail(uri, "bad value '" + option.value +
                      "' for busy_timeout_ms (expected an integer from 0 to 2147483647)");
      }
      parsed.busy_timeout = std::chrono::milliseconds(ms);
    } else if (option.key == "wal_autocheckpoint") {
      parsed.wal_autocheckpoint = integer_or_fail(uri, option, 0, 1'000'000);
    } else if (option.key == "locking") {
      const std::string value = lower(option.value);
      if (value != "shared" && value != "exclusive") {
        fail(uri, "bad value '" + option.value + "' for locking (expected shared or exclusive)");
      }
      parsed.exclusive_locking = value == "exclusive";
    } else {
      fail(uri,
           "unknown option '" + option.key +
               "' (expected synchronous, busy_timeout_ms, wal_autocheckpoint or locking)");
    }
  }
  return parsed;
}

DynamoDbStoreUri parse_dynamodb(std::string_view uri, std::string_view rest) {
  if (!rest.starts_with("//")) {
    fail(uri, "expected dynamodb://TABLE");
  }
  rest.remove_prefix(2);
  const std::size_t question = rest.find('?');
  const std::string_view table = rest.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : rest.substr(question + 1);
  if (table.empty()) {
    fail(uri, "missing table name (expected dynamodb://TABLE)");
  }
  DynamoDbStoreUri parsed;
  parsed.table_name = decode_or_fail(uri, table, "table name");
  // Checked after decoding, so that "%2F" cannot smuggle one in.
  if (parsed.table_name.find('/') != std::string::npos) {
    fail(uri, "bad table name '" + parsed.table_name + "' (a table name has no '/')");
  }
  for (QueryOption& option : parse_query(uri, query)) {
    if (option.value.empty()) {
      fail(uri, "bad value '' for " + option.key);
    }
    if (option.key == "region") {
      parsed.region = std::move(option.value);
    } else if (option.key == "endpoint") {
      parsed.endpoint = std::move(option.value);
    } else if (option.key == "timeout_ms") {
      // A day at most: a larger value is a typo, and it keeps every deadline computation small.
      parsed.timeout = std::chrono::milliseconds(integer_or_fail(uri, option, 1, 86'400'000));
    } else if (option.key == "connect_timeout_ms") {
      parsed.connect_timeout =
          std::chrono::milliseconds(integer_or_fail(uri, option, 1, 86'400'000));
    } else if (option.key == "max_attempts") {
      parsed.max_attempts = static_cast<int>(integer_or_fail(uri, option, 1, 100));
    } else if (option.key == "transport") {
      const std::string value = lower(option.value);
      if (value == "socket") {
        parsed.transport = DynamoDbTransportKind::kSocket;
      } else if (value == "curl") {
        parsed.transport = DynamoDbTransportKind::kCurl;
      } else {
        fail(uri, "bad value '" + option.value + "' for transport (expected socket or curl)");
      }
    } else {
      fail(uri, "unknown option '" + option.key +
                    "' (expected region, endpoint, timeout_ms, connect_timeout_ms, max_attempts "
                    "or transport)");
    }
  }
  return parsed;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) {
      return std::nullopt;
    }
    const int high = hex_value(text[i + 1]);
    const int low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

StoreUri parse_store_uri(std::string_view uri) {
  const std::size_t colon = uri.find(':');
  const std::string_view scheme =
      colon == std::string_view::npos ? std::string_view() : uri.substr(0, colon);
  // RFC 3986: a scheme is a letter followed by letters, digits, '+', '-' or '.'.
  const bool well_formed = !scheme.empty() &&
                           std::isalpha(static_cast<unsigned char>(scheme.front())) &&
                           std::all_of(scheme.begin(), scheme.end(), [](unsigned char c) {
                             return std::isalnum(c) || c == '+' || c == '-' || c == '.';
                           });
  if (!well_formed) {
    fail(uri, "missing scheme (expected sqlite: or dynamodb://)");
  }
  const std::string name = lower(scheme);
  const std::string_view rest = uri.substr(colon + 1);
  if (name == "sqlite") {
    return parse_sqlite(uri, rest);
  }
  if (name == "dynamodb") {
    return parse_dynamodb(uri, rest);
  }
  fail(uri, "unknown scheme '" + std::string(scheme) + "' (expected sqlite or dynamodb)");
}

}  // namespace zae
