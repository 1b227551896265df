// SPDX-License-Identifier: MIT
// The README's quick start as a program that builds and runs (ctest: example_quick_start).

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "zae/open_store.h"
#include "zae/rate_limiter.h"

namespace {

long long call_llm() {
  static std::mt19937 rng(7);
  return std::uniform_int_distribution<long long>(200, 800)(rng);
}

void call_api() {}

}  // namespace

int main(int argc, char** argv) {
  using zae::Limit;
  const std::string uri = argc > 1 ? argv[1] : zae::default_store_uri();

  std::shared_ptr<zae::Store> store = zae::open_store(uri);
  zae::RateLimiter limiter(store);

  const std::vector<Limit> default_limits = {
      Limit::per_minute("rpm", 100),
      Limit::per_minute("tpm", 10'000, /*burst=*/50'000),
  };

  try {
    zae::Lease lease = limiter.acquire({.entity_id = "api-key-123",
                                        .resource = "gpt-4",
                                        .consume = {{"rpm", 1}, {"tpm", 500}},
                                        .limits = default_limits});
    const long long used = call_llm();
    lease.adjust({{"tpm", used - 500}});
    lease.commit();
    std::printf("api-key-123 used %lld tokens\n", used);
  } catch (const zae::RateLimitExceeded& e) {
    std::printf("rate limited, retry after %s s\n", e.retry_after_header().c_str());
    return 1;
  }

  if (!limiter.get_entity("proj-1")) {
    limiter.create_entity({.entity_id = "proj-1", .name = "Production"});
    limiter.set_limits("proj-1", {Limit::per_minute("tpm", 100'000)});
    limiter.create_entity({.entity_id = "api-key-456", .parent_id = "proj-1", .cascade = true});
  }

  limiter.with_lease({.entity_id = "api-key-456",
                      .resource = "gpt-4",
                      .consume = {{"rpm", 1}, {"tpm", 500}},
                      .limits = default_limits},
                     [](zae::Lease&) { call_api(); });
  const auto left = limiter.available("proj-1", "gpt-4", default_limits);
  std::printf("proj-1 tpm available: %lld\n", static_cast<long long>(left.at("tpm")));

  auto tenant_store = zae::open_store(uri, {.namespace_name = "tenant-alpha"});
  zae::RateLimiter tenant_limiter(std::move(tenant_store));
  std::printf("tenant-alpha has %zu entities under proj-1\n",
              tenant_limiter.get_children("proj-1").size());
  return 0;
}
