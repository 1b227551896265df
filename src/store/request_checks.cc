// SPDX-License-Identifier: MIT
#include "store/request_checks.h"

#include <algorithm>
#include <utility>

#include "zae/errors.h"
#include "zae/validation.h"

namespace zae::detail {

void check_unique_limit_names(std::span<const Limit> limits) {
  for (std::size_t i = 0; i < limits.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (limits[i].name() == limits[j].name()) {
        throw ValidationError("limits", limits[i].name(),
                              "limit '" + limits[i].name() + "' is given twice");
      }
    }
  }
}

void check_principal(const std::optional<std::string>& principal) {
  // AU-3: ARNs come from AWS and are taken as they are; anything else is an identifier.
  if (principal && !principal->starts_with("arn:")) {
    validate_identifier(*principal, "principal");
  }
}

std::int64_t amount_of(const Amounts& amounts, const std::string& name) {
  for (const auto& [amount_name, amount] : amounts) {
    if (amount_name == name) {
      return amount;
    }
  }
  return 0;
}

void validate_consume_request(const ConsumeRequest& request) {
  validate_identifier(request.target.entity_id, "entity_id");
  validate_resource(request.target.resource, "resource");
  check_unique_limit_names(request.target.limits);
  if (request.parent) {
    validate_identifier(request.parent->entity_id, "parent_id");
    validate_resource(request.parent->resource, "resource");
    check_unique_limit_names(request.parent->limits);
  }
  const auto is_resolved = [&](const std::string& name) {
    const auto has = [&](const ConsumeTarget& target) {
      return std::any_of(target.limits.begin(), target.limits.end(),
                         [&](const Limit& limit) { return limit.name() == name; });
    };
    return has(request.target) || (request.parent && has(*request.parent));
  };
  for (std::size_t i = 0; i < request.amounts.size(); ++i) {
    const auto& [name, amount] = request.amounts[i];
    for (std::size_t j = 0; j < i; ++j) {
      if (request.amounts[j].first == name) {
        throw ValidationError("consume", name, "limit '" + name + "' is given twice");
      }
    }
    if (amount < 0) {
      throw ValidationError(
          "consume", name, "amount for '" + name + "' must be >= 0, got " + std::to_string(amount));
    }
    if (amount > kMaxConsumeAmount) {
      throw ValidationError("consume", name, "amount for '" + name + "' is too large");
    }
    // OQ-12: a name that no resolved limit carries would be silently ignored by the original's
    // slow path; here it is an error, so typos cannot bypass a limit.
    if (!is_resolved(name)) {
      std::string reason = "no limit named '" + name + "' is configured for entity '" +
                           request.target.entity_id + "' and resource '" + request.target.resource +
                           "'";
      if (request.parent) {
        reason += " or its parent '" + request.parent->entity_id + "'";
      }
      throw ValidationError("consume", name, std::move(reason));
    }
  }
}

}  // namespace zae::detail
