// SPDX-License-Identifier: MIT
#include "sqlite/codec.h"

#include <charconv>
#include <cstdint>
#include <utility>

#include "zae/errors.h"

#include "core/json.h"

namespace zae::sqlite {
namespace {

void append_int(std::string& out, std::int64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

// Reads an integer up to `delimiter` (or the end) and advances `pos` past the delimiter.
// Every field, the last included, ends with its delimiter.
bool read_int(std::string_view text, std::size_t& pos, char delimiter, std::int64_t& value) {
  if (pos >= text.size()) {
    return false;
  }
  const char* begin = text.data() + pos;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr == end || *ptr != delimiter) {
    return false;
  }
  pos = static_cast<std::size_t>(ptr - text.data()) + 1;
  return true;
}

bool read_optional_int(std::string_view text, std::size_t& pos, char delimiter,
                       std::optional<std::int64_t>& value) {
  if (pos >= text.size()) {
    return false;
  }
  if (text[pos] == delimiter) {
    value.reset();
    ++pos;
    return true;
  }
  std::int64_t parsed = 0;
  if (!read_int(text, pos, delimiter, parsed)) {
    return false;
  }
  value = parsed;
  return true;
}

bool read_name(std::string_view text, std::size_t& pos, std::string_view& name) {
  const std::size_t colon = text.find(':', pos);
  if (colon == std::string_view::npos || colon == pos) {
    return false;
  }
  name = text.substr(pos, colon - pos);
  pos = colon + 1;
  return true;
}

// ---- a minimal JSON reader for metadata objects ---------------------------------------------

void skip_space(std::string_view json, std::size_t& pos) {
  while (pos < json.size() &&
         (json[pos] == ' ' || json[pos] == '\t' || json[pos] == '\n' || json[pos] == '\r')) {
    ++pos;
  }
}

void append_utf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code >> 6)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

bool read_hex4(std::string_view json, std::size_t& pos, std::uint32_t& code) {
  if (pos + 4 > json.size()) {
    return false;
  }
  code = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = json[pos++];
    code <<= 4;
    if (c >= '0' && c <= '9') {
      code |= static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      code |= static_cast<std::uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      code |= static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return false;
    }
  }
  return true;
}

bool read_string(std::string_view json, std::size_t& pos, std::string& out) {
  if (pos >= json.size() || json[pos] != '"') {
    return false;
  }
  ++pos;
  out.clear();
  while (pos < json.size()) {
    const char c = json[pos++];
    if (c == '"') {
      return true;
    }
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (pos >= json.size()) {
      return false;
    }
    const char escape = json[pos++];
    switch (escape) {
      case '"':
      case '\\':
      case '/':
        out.push_back(escape);
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        std::uint32_t code = 0;
        if (!read_hex4(json, pos, code)) {
          return false;
        }
        // A surrogate pair encodes one code point above U+FFFF.
        if (code >= 0xD800 && code < 0xDC00 && json.substr(pos, 2) == "\\u") {
          std::size_t low_pos = pos + 2;
          std::uint32_t low = 0;
          if (read_hex4(json, low_pos, low) && low >= 0xDC00 && low < 0xE000) {
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            pos = low_pos;
          }
        }
        append_utf8(out, code);
        break;
      }
      default:
        return false;
    }
  }
  return false;
}

}  // namespace

void append_bucket_limits(std::string& out, std::span<const StoredLimit> limits) {
  // One resize to an upper bound, digits written in place, one trim: the warm consume encodes
  // its row on every decision, and growing the string field by field cost more than the rest
  // of the encoding (bench/sqlite_bench.cc).
  constexpr std::size_t kFieldBound = 21;  // an int64 in decimal with its sign, plus a delimiter
  std::size_t bound = out.size();
  for (const StoredLimit& limit : limits) {
    bound += limit.name.size() + 1 + 5 * kFieldBound;
  }
  std::size_t pos = out.size();
  out.resize(bound);
  char* const begin = out.data();
  char* const end = begin + bound;
  const auto field = [&](std::int64_t value, char delimiter) {
    pos = static_cast<std::size_t>(std::to_chars(begin + pos, end, value).ptr - begin);
    begin[pos++] = delimiter;
  };
  for (const StoredLimit& limit : limits) {
    limit.name.copy(begin + pos, limit.name.size());
    pos += limit.name.size();
    begin[pos++] = ':';
    field(limit.tokens_milli, ':');
    field(limit.params.capacity_milli, ':');
    field(limit.params.refill_amount_milli, ':');
    field(limit.params.refill_period_ms, ':');
    if (limit.total_consumed_milli) {
      field(*limit.total_consumed_milli, ';');
    } else {
      begin[pos++] = ';';
    }
  }
  out.resize(pos);
}

bool decode_bucket_limits(std::string_view text, std::vector<StoredLimit>& out) {
  out.clear();
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::string_view name;
    StoredLimit limit;
    if (!read_name(text, pos, name) || !read_int(text, pos, ':', limit.tokens_milli) ||
        !read_int(text, pos, ':', limit.params.capacity_milli) ||
        !read_int(text, pos, ':', limit.params.refill_amount_milli) ||
        !read_int(text, pos, ':', limit.params.refill_period_ms) ||
        !read_optional_int(text, pos, ';', limit.total_consumed_milli)) {
      return false;
    }
    // Zero rates would divide by zero in refill (the original's OQ-22 ghost items).
    if (limit.params.refill_amount_milli <= 0 || limit.params.refill_period_ms <= 0) {
      return false;
    }
    limit.name = name;
    out.push_back(std::move(limit));
  }
  return true;
}

std::string encode_limits(std::span<const Limit> limits) {
  std::string out;
  for (const Limit& limit : limits) {
    out += limit.name();
    out.push_back(':');
    append_int(out, limit.capacity());
    out.push_back(':');
    append_int(out, limit.refill_amount());
    out.push_back(':');
    append_int(out, limit.refill_period_seconds());
    out.push_back(';');
  }
  return out;
}

std::vector<Limit> decode_limits(std::string_view text) {
  std::vector<Limit> limits;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::string_view name;
    std::int64_t capacity = 0;
    std::int64_t refill_amount = 0;
    std::int64_t period = 0;
    if (!read_name(text, pos, name) || !read_int(text, pos, ':', capacity) ||
        !read_int(text, pos, ':', refill_amount) || !read_int(text, pos, ';', period)) {
      throw InfrastructureError("corrupt stored limits '" + std::string(text) + "'");
    }
    limits.emplace_back(std::string(name), capacity, refill_amount, period);
  }
  return limits;
}

Limit limit_from_params(const std::string& name, const core::BucketParams& params) {
  return Limit(name, core::floor_div(params.capacity_milli, core::kMilli),
               core::floor_div(params.refill_amount_milli, core::kMilli),
               core::floor_div(params.refill_period_ms, core::kMilli));
}

std::string encode_metadata(const std::map<std::string, std::string>& metadata) {
  core::JsonWriter writer;
  writer.begin_object();
  for (const auto& [key, value] : metadata) {
    writer.key(key).value(value);
  }
  writer.end_object();
  return std::move(writer).str();
}

std::optional<std::map<std::string, std::string>> decode_metadata(std::string_view json) {
  std::map<std::string, std::string> metadata;
  std::size_t pos = 0;
  skip_space(json, pos);
  if (pos >= json.size() || json[pos] != '{') {
    return std::nullopt;
  }
  ++pos;
  skip_space(json, pos);
  if (pos < json.size() && json[pos] == '}') {
    ++pos;
  } else {
    while (true) {
      std::string key;
      std::string value;
      skip_space(json, pos);
      if (!read_string(json, pos, key)) {
        return std::nullopt;
      }
      skip_space(json, pos);
      if (pos >= json.size() || json[pos] != ':') {
        return std::nullopt;
      }
      ++pos;
      skip_space(json, pos);
      if (!read_string(json, pos, value)) {
        return std::nullopt;
      }
      metadata[std::move(key)] = std::move(value);
      skip_space(json, pos);
      if (pos < json.size() && json[pos] == ',') {
        ++pos;
        continue;
      }
      if (pos < json.size() && json[pos] == '}') {
        ++pos;
        break;
      }
      return std::nullopt;
    }
  }
  skip_space(json, pos);
  if (pos != json.size()) {
    return std::nullopt;
  }
  return metadata;
}

}  // namespace zae::sqlite
