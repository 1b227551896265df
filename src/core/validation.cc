// SPDX-License-Identifier: MIT
#include "zae/validation.h"

#include <string>
#include <utility>

#include "zae/errors.h"

namespace zae {
namespace {

constexpr std::size_t kMaxIdentifierLength = 256;
constexpr std::size_t kMaxNameLength = 64;

// Hand-written ASCII classes instead of <regex> or <cctype>: locale-independent, and validation
// runs on every acquire. Bytes >= 0x80 match nothing.
constexpr bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }

constexpr bool is_identifier_rest(char c) {
  return is_alnum(c) || c == '_' || c == '.' || c == '-' || c == ':' || c == '@';
}
constexpr bool is_name_rest(char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; }
constexpr bool is_resource_rest(char c) { return is_name_rest(c) || c == '/'; }

template <typename Error>
[[noreturn]] void fail(std::string_view field, std::string_view value, std::string reason) {
  throw Error(std::string(field), value, std::move(reason));
}

// V-1: empty → too long → '#' (the key delimiter, so it gets its own message) — the reserved
// check, when any, runs between this and the pattern.
template <typename Error>
void check_common(std::string_view value, std::string_view field, std::size_t max_length) {
  if (value.empty()) {
    fail<Error>(field, value, "cannot be empty");
  }
  if (value.size() > max_length) {
    fail<Error>(field, value, "exceeds maximum length of " + std::to_string(max_length));
  }
  if (value.find('#') != std::string_view::npos) {
    fail<Error>(field, value, "cannot contain '#' (reserved delimiter)");
  }
}

// Whole-string match of first-char / rest-char classes: no trailing newline slips through as
// it does with Python's `$` (V-3, OQ-31).
template <bool (*First)(char), bool (*Rest)(char)>
bool matches(std::string_view value) {
  if (!First(value.front())) {
    return false;
  }
  for (std::size_t i = 1; i < value.size(); ++i) {
    if (!Rest(value[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

void validate_identifier(std::string_view value, std::string_view field) {
  check_common<InvalidIdentifierError>(value, field, kMaxIdentifierLength);
  if (!matches<is_alnum, is_identifier_rest>(value)) {
    fail<InvalidIdentifierError>(field, value,
                                 "must start with a letter or digit and contain only letters, "
                                 "digits, '_', '.', '-', ':', '@'");
  }
}

void validate_limit_name(std::string_view value, std::string_view field) {
  check_common<InvalidNameError>(value, field, kMaxNameLength);
  if (value == kReservedLimitName) {
    fail<InvalidNameError>(field, value, "'wcu' is a reserved limit name");
  }
  if (!matches<is_alpha, is_name_rest>(value)) {
    fail<InvalidNameError>(field, value,
                           "must start with a letter and contain only letters, digits, '_', "
                           "'.', '-'");
  }
}

void validate_resource(std::string_view value, std::string_view field) {
  check_common<InvalidNameError>(value, field, kMaxNameLength);
  if (!matches<is_alpha, is_resource_rest>(value)) {
    fail<InvalidNameError>(field, value,
                           "must start with a letter and contain only letters, digits, '_', "
                           "'.', '-', '/'");
  }
}

}  // namespace zae
