// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "zae/limit.h"
#include "zae/store.h"

// Input checks every Store backend runs before any I/O (OQ-11, OQ-12, OQ-27): the limiter
// validates too, but a Store is a public interface and a bad amount or id must never reach the
// arithmetic or a key.
namespace zae::detail {

// Whole-token amounts are stored in millitokens; larger ones would overflow.
inline constexpr std::int64_t kMaxConsumeAmount = INT64_MAX / 1000;

// Ids, resources, unique limit names per side, and amounts: each named once, >= 0, not too
// large, and carried by a limit of the target or the parent (OQ-12: a typo must not bypass a
// limit). Throws ValidationError naming the field.
void validate_consume_request(const ConsumeRequest& request);

// Throws ValidationError (field "limits") when two limits share a name.
void check_unique_limit_names(std::span<const Limit> limits);

// AU-3: a principal not starting with "arn:" must be a valid identifier.
void check_principal(const std::optional<std::string>& principal);

// The amount `amounts` gives `name`, 0 when it names it not.
std::int64_t amount_of(const Amounts& amounts, const std::string& name);

}  // namespace zae::detail
