// SPDX-License-Identifier: MIT
#include "zae/store.h"

#include <string>

namespace zae {

std::string_view to_string(OnUnavailable value) {
  switch (value) {
    case OnUnavailable::kAllow:
      return "allow";
    case OnUnavailable::kBlock:
      return "block";
  }
  return "block";
}

OnUnavailable parse_on_unavailable(std::string_view text) {
  // Exact and lower case, as the stored attribute is written (spec/behavior.md §3.3).
  if (text == "allow") {
    return OnUnavailable::kAllow;
  }
  if (text == "block") {
    return OnUnavailable::kBlock;
  }
  throw ValidationError("on_unavailable", text, "must be 'allow' or 'block'");
}

std::string_view to_string(LimitSource value) {
  // The original's source labels (spec/data-model.md §10).
  switch (value) {
    case LimitSource::kEntity:
      return "entity";
    case LimitSource::kEntityDefault:
      return "entity_default";
    case LimitSource::kResource:
      return "resource";
    case LimitSource::kSystem:
      return "system";
    case LimitSource::kOverride:
      return "override";
  }
  return "override";
}

}  // namespace zae
