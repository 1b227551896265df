// SPDX-License-Identifier: MIT
#include "core/limit_json.h"

namespace zae::core {

void write_limit_json(JsonWriter& writer, const Limit& limit) {
  writer.begin_object()
      .key("name")
      .value(limit.name())
      .key("capacity")
      .value(limit.capacity())
      .key("refill_amount")
      .value(limit.refill_amount())
      .key("refill_period_seconds")
      .value(limit.refill_period_seconds())
      .end_object();
}

void write_limits_json(JsonWriter& writer, std::span<const Limit> limits) {
  writer.begin_array();
  for (const Limit& limit : limits) {
    write_limit_json(writer, limit);
  }
  writer.end_array();
}

}  // namespace zae::core
