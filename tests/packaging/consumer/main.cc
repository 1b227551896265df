// SPDX-License-Identifier: MIT
#include <cstdio>
#include <vector>

#include "zae/open_store.h"
#include "zae/rate_limiter.h"

int main() {
  zae::RateLimiter limiter(zae::open_store("sqlite::memory:"));
  const std::vector<zae::Limit> limits = {zae::Limit::per_minute("rpm", 10)};
  zae::Lease lease = limiter.acquire(
      {.entity_id = "k", .resource = "api", .consume = {{"rpm", 1}}, .limits = limits});
  lease.commit();
  std::printf("consumer ok: %lld left\n",
              static_cast<long long>(limiter.available("k", "api", limits).at("rpm")));
  return 0;
}
