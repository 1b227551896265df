// SPDX-License-Identifier: MIT
#pragma once

#include <string_view>

namespace zae {

// Validation of user-supplied names (spec/behavior.md §2.3). Checks run in the order
// empty → too long → contains '#' → reserved → pattern; the first failure throws. Matching is
// on the whole string (no trailing newline accepted, unlike the original; OQ-31).

// Entity ids, parent ids and non-ARN principals: at most 256 characters, first [A-Za-z0-9],
// rest [A-Za-z0-9_.\-:@]. Throws InvalidIdentifierError naming `field`.
void validate_identifier(std::string_view value, std::string_view field);

// Limit names: at most 64 characters, first [A-Za-z], rest [A-Za-z0-9_.\-], not "wcu".
// Throws InvalidNameError naming `field`.
void validate_limit_name(std::string_view value, std::string_view field = "name");

// Resource names: at most 64 characters, first [A-Za-z], rest [A-Za-z0-9_.\-/].
// Throws InvalidNameError naming `field`.
void validate_resource(std::string_view value, std::string_view field = "resource");

// The special resource under which an entity's default limits are stored.
inline constexpr std::string_view kDefaultResource = "_default_";
// The internal per-partition write limit; never a user limit name.
inline constexpr std::string_view kReservedLimitName = "wcu";

}  // namespace zae
