// SPDX-License-Identifier: MIT
#pragma once

// The JSON form of limits shared by audit-event details (spec/data-model.md §6.11) and the CLI's
// `--output json`: {"name", "capacity", "refill_amount", "refill_period_seconds"} in tokens and
// seconds.

#include <span>

#include "zae/limit.h"

#include "core/json.h"

namespace zae::core {

void write_limit_json(JsonWriter& writer, const Limit& limit);
// An array of write_limit_json objects, in order.
void write_limits_json(JsonWriter& writer, std::span<const Limit> limits);

}  // namespace zae::core
