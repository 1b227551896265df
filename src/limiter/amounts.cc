// SPDX-License-Identifier: MIT
#include "limiter/amounts.h"

#include <string>

#include "zae/errors.h"
#include "zae/limit.h"
#include "zae/validation.h"

namespace zae::detail {
namespace {

// Built only on failure: validation runs on every acquire.
std::string shown(const std::pair<std::string, std::int64_t>& amount) {
  return amount.first + "=" + std::to_string(amount.second);
}

}  // namespace

void validate_amounts(const Amounts& amounts, std::string_view field) {
  for (const auto& amount : amounts) {
    const std::string& name = amount.first;
    validate_limit_name(name, field);
    if (amount.second < 0) {
      throw ValidationError(std::string(field), shown(amount),
                            "amount for limit '" + name + "' must not be negative");
    }
    if (amount.second > kMaxLimitTokens) {
      throw ValidationError(std::string(field), shown(amount),
                            "amount for limit '" + name + "' exceeds the maximum of " +
                                std::to_string(kMaxLimitTokens) + " tokens");
    }
  }
  const std::size_t duplicate =
      find_duplicate(amounts, [](const auto& amount) -> std::string_view { return amount.first; });
  if (duplicate != amounts.size()) {
    const std::string& name = amounts[duplicate].first;
    throw ValidationError(std::string(field), name,
                          "limit '" + name + "' is listed more than once");
  }
}

}  // namespace zae::detail
