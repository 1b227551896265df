// SPDX-License-Identifier: MIT
#include <cstdio>

#include "zae/open_store.h"
#include "zae/rate_limiter.h"

int main() {
  zae::RateLimiter limiter(zae::open_store("sqlite::memory:"));
  zae::Lease lease = limiter.acquire({.entity_id = "k",
                                      .resource = "api",
                                      .consume = {{"rpm", 1}},
                                      .limits = {{zae::Limit::per_minute("rpm", 10)}}});
  lease.commit();
  std::printf("consumer ok: %lld left\n",
              static_cast<long long>(limiter.available("k", "api", {{zae::Limit::per_minute("rpm", 10)}}).at("rpm")));
  return 0;
}
