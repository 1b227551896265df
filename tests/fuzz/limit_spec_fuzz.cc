// SPDX-License-Identifier: MIT
// The CLI's -l/--limit grammar, Limit::parse (spec/cli.md §13.1).
//
// Properties: a spec either parses or throws ValidationError (its subclasses included); a parsed
// Limit satisfies the constructor's ranges; its name is the text before the first ':'; and the
// canonical spec "name:refill/<period>sec:capacity" parses back to the same Limit.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "zae/errors.h"
#include "zae/limit.h"

#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view spec = zae::test::as_text(data, size);
  std::optional<zae::Limit> limit;
  try {
    limit = zae::Limit::parse(spec);
  } catch (const zae::ValidationError& e) {
    ZAE_FUZZ_CHECK(!e.field().empty());
    ZAE_FUZZ_CHECK(!e.reason().empty());
    return 0;
  }
  ZAE_FUZZ_CHECK(limit->capacity() > 0 && limit->capacity() <= zae::kMaxLimitTokens);
  ZAE_FUZZ_CHECK(limit->refill_amount() > 0 && limit->refill_amount() <= zae::kMaxLimitTokens);
  ZAE_FUZZ_CHECK(limit->refill_period_seconds() > 0 &&
                 limit->refill_period_seconds() <= zae::kMaxRefillPeriodSeconds);
  ZAE_FUZZ_CHECK(limit->name() == spec.substr(0, spec.find(':')));

  const std::string canonical = limit->name() + ":" + std::to_string(limit->refill_amount()) + "/" +
                                std::to_string(limit->refill_period_seconds()) +
                                "sec:" + std::to_string(limit->capacity());
  ZAE_FUZZ_CHECK(zae::Limit::parse(canonical) == *limit);
  ZAE_FUZZ_CHECK(limit->to_string().starts_with(limit->name() + ": "));
  return 0;
}
