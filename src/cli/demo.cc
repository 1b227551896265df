// SPDX-License-Identifier: MIT
#include "cli/demo.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>
#include <unistd.h>

#include "zae/errors.h"
#include "zae/limit.h"
#include "zae/open_store.h"
#include "zae/rate_limiter.h"
#include "zae/validation.h"

#include "cli/table.h"

namespace zae::cli {
namespace {

constexpr const char* kResource = "gpt-4";

struct KeySpec {
  std::string id;
  bool cascade;
  // Entity-level limits of the key for the resource; empty: it uses the resource defaults.
  std::vector<Limit> own_limits;
};

// Per-key counters, written by every worker thread.
struct KeyStats {
  std::atomic<std::int64_t> admitted{0};
  std::atomic<std::int64_t> rejected{0};
  std::atomic<std::int64_t> actual_tokens{0};
  std::atomic<std::int64_t> max_retry_after_ms{0};
  std::atomic<std::int64_t> max_overshoot{0};
  std::mutex mu;
  std::map<std::string, std::int64_t> rejected_by;  // primary violation's limit name
};

std::vector<Limit> parse_limits(const std::vector<std::string>& specs) {
  std::vector<Limit> limits;
  limits.reserve(specs.size());
  for (const auto& spec : specs) {
    limits.push_back(Limit::parse(spec));
  }
  return limits;
}

const Limit* find_limit(const std::vector<Limit>& limits, const std::string& name) {
  for (const auto& limit : limits) {
    if (limit.name() == name) {
      return &limit;
    }
  }
  return nullptr;
}

// The most tokens a limit can admit over `elapsed_ms`: a full bucket plus the refill since.
std::int64_t admission_bound(const Limit& limit, std::int64_t elapsed_ms) {
  // 128-bit product: rate × elapsed can exceed 64 bits for large limits.
  __extension__ typedef __int128 Int128;
  const Int128 refill = static_cast<Int128>(limit.refill_amount()) * elapsed_ms /
                        (static_cast<Int128>(limit.refill_period_seconds()) * 1000);
  return limit.capacity() + static_cast<std::int64_t>(refill);
}

std::string fresh_demo_path() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return (std::filesystem::temp_directory_path() /
          fmt::format("zae-limiter-demo-{}-{}.db", ::getpid(), ms))
      .string();
}

void update_max(std::atomic<std::int64_t>& target, std::int64_t value) {
  std::int64_t seen = target.load();
  while (value > seen && !target.compare_exchange_weak(seen, value)) {
  }
}

}  // namespace

int run_demo(const DemoOptions& options) {
  // Parse everything before touching storage so bad input changes nothing.
  const std::vector<Limit> project_limits =
      options.project_limits.empty()
          ? std::vector<Limit>{Limit::per_minute("rpm", 600), Limit::per_minute("tpm", 80'000)}
          : parse_limits(options.project_limits);
  const std::vector<Limit> key_defaults =
      options.key_limits.empty() ? std::vector<Limit>{Limit::per_minute("rpm", 60),
                                                      Limit::per_minute("tpm", 20'000, 40'000)}
                                 : parse_limits(options.key_limits);
  validate_identifier(options.project_id, "project");
  const std::string& project = options.project_id;
  if (options.threads < 1 || options.threads > 256) {
    throw ValidationError("threads", std::to_string(options.threads), "must be between 1 and 256");
  }
  if (!(options.duration_seconds > 0 && options.duration_seconds <= 3600)) {
    throw ValidationError("duration", fmt::format("{}", options.duration_seconds),
                          "must be between 0 and 3600 seconds");
  }
  if (!find_limit(key_defaults, "rpm") || !find_limit(key_defaults, "tpm")) {
    throw ValidationError("key-limit", "", "the demo needs an 'rpm' and a 'tpm' limit");
  }

  StoreOptions store_options;
  std::string uri = options.store_uri;
  if (uri.empty()) {
    uri = "sqlite://" + fresh_demo_path();
  } else {
    // A shared store: run in a namespace of our own so earlier runs do not distort the bounds.
    store_options.namespace_name =
        fmt::format("demo-{}", std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
  }
  std::shared_ptr<Store> store = open_store(uri, store_options);
  RateLimiter limiter(store);

  const std::vector<KeySpec> keys = {
      {"key-alpha", true, {}},
      {"key-beta", true, {}},
      {"key-gamma", true, {Limit::per_minute("rpm", 240), Limit::per_minute("tpm", 40'000)}},
      {"key-delta", false, {Limit::per_minute("rpm", 60), Limit::per_minute("tpm", 80'000)}},
  };

  fmt::print("zae-limiter demo: a simulated LLM gateway on {}\n", store->describe());
  fmt::print("  namespace {}, {} threads, {:.1f} s\n", store->namespace_name(), options.threads,
             options.duration_seconds);

  limiter.create_entity({.entity_id = project, .name = "Demo project"});
  limiter.set_limits(project, project_limits);
  limiter.set_resource_defaults(kResource, key_defaults);
  for (const auto& key : keys) {
    limiter.create_entity({.entity_id = key.id,
                           .parent_id = project,
                           .cascade = key.cascade,
                           .metadata = {{"tier", key.own_limits.empty() ? "standard" : "custom"}}});
    if (!key.own_limits.empty()) {
      limiter.set_limits(key.id, key.own_limits, kResource);
    }
  }
  fmt::print("  project {}: ", project);
  for (const auto& limit : project_limits) {
    fmt::print("{}  ", limit.to_string());
  }
  fmt::print("\n  resource {} defaults: ", kResource);
  for (const auto& limit : key_defaults) {
    fmt::print("{}  ", limit.to_string());
  }
  fmt::print("\n\n");

  std::map<std::string, KeyStats> stats;
  for (const auto& key : keys) {
    stats[key.id];
  }
  std::atomic<std::int64_t> errors{0};
  std::atomic<bool> stop{false};
  const std::uint64_t seed = options.seed != 0 ? options.seed : std::random_device{}();
  const auto started = std::chrono::steady_clock::now();
  const auto wall_started = std::chrono::system_clock::now();
  const auto deadline = started + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                      std::chrono::duration<double>(options.duration_seconds));

  auto worker = [&](int index) {
    std::mt19937_64 rng(seed + static_cast<std::uint64_t>(index) * 7919);
    std::uniform_int_distribution<std::size_t> pick_key(0, keys.size() - 1);
    std::uniform_int_distribution<std::int64_t> tokens(100, 900);
    std::uniform_int_distribution<int> latency_ms(10, 60);
    while (!stop.load(std::memory_order_relaxed)) {
      const KeySpec& key = keys[pick_key(rng)];
      KeyStats& s = stats.at(key.id);
      const std::int64_t estimate = 500;
      try {
        Lease lease = limiter.acquire({.entity_id = key.id,
                                       .resource = kResource,
                                       .consume = {{"rpm", 1}, {"tpm", estimate}}});
        s.admitted++;
        std::this_thread::sleep_for(std::chrono::milliseconds(latency_ms(rng)));  // the model
        const std::int64_t actual = tokens(rng);
        lease.adjust({{"tpm", actual - estimate}});
        lease.commit();
        s.actual_tokens += actual;
        update_max(s.max_overshoot, actual - estimate);
      } catch (const RateLimitExceeded& e) {
        s.rejected++;
        update_max(s.max_retry_after_ms, e.retry_after().count());
        {
          std::lock_guard<std::mutex> lock(s.mu);
          s.rejected_by[e.primary_violation().entity_id == key.id
                            ? e.primary_violation().limit_name
                            : "project " + e.primary_violation().limit_name]++;
        }
        // A well-behaved client backs off; cap it so the demo keeps moving.
        std::this_thread::sleep_for(std::min(e.retry_after(), std::chrono::milliseconds(25)));
      } catch (const std::exception& e) {
        if (errors++ == 0) {
          fmt::print(stderr, "\nworker error: {}\n", e.what());
        }
      }
    }
  };

  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(options.threads));
  for (int i = 0; i < options.threads; ++i) {
    threads.emplace_back(worker, i);
  }
  const bool tty = ::isatty(STDOUT_FILENO) != 0;
  auto last_line = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto now = std::chrono::steady_clock::now();
    if (!tty && now - last_line < std::chrono::seconds(1)) {
      continue;
    }
    last_line = now;
    std::int64_t admitted = 0;
    std::int64_t rejected = 0;
    for (const auto& [id, s] : stats) {
      admitted += s.admitted.load();
      rejected += s.rejected.load();
    }
    const double elapsed = std::chrono::duration<double>(now - started).count();
    fmt::print("{}[{:4.1f}s / {:.1f}s] admitted {:6}  rejected {:6}  ({:.0f} decisions/s){}",
               tty ? "\r" : "", elapsed, options.duration_seconds, admitted, rejected,
               static_cast<double>(admitted + rejected) / std::max(elapsed, 1e-3), tty ? "" : "\n");
    std::fflush(stdout);
  }
  stop = true;
  for (auto& t : threads) {
    t.join();
  }
  const std::int64_t elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now() - wall_started)
                                      .count();
  fmt::print("{}", tty ? "\n\n" : "\n");

  // Check every key against its limits and against the counters stored in the buckets.
  std::vector<std::vector<std::string>> rows;
  bool all_ok = true;
  std::int64_t project_requests = 0;
  std::int64_t project_tokens = 0;
  std::int64_t project_slack = 0;
  auto stored_total = [&](const std::string& entity, const std::string& limit_name) {
    const auto bucket = store->get_bucket(entity, kResource);
    if (!bucket) {
      return std::int64_t{0};
    }
    for (const auto& l : bucket->limits) {
      if (l.limit.name() == limit_name && l.total_consumed_milli) {
        return *l.total_consumed_milli / 1000;
      }
    }
    return std::int64_t{0};
  };
  for (const auto& key : keys) {
    const KeyStats& s = stats.at(key.id);
    const auto& limits = key.own_limits.empty() ? key_defaults : key.own_limits;
    const Limit& rpm = *find_limit(limits, "rpm");
    const Limit& tpm = *find_limit(limits, "tpm");
    const std::int64_t rpm_bound = admission_bound(rpm, elapsed_ms);
    // Adjustments are written after the call, so each thread can overshoot by one call.
    const std::int64_t slack = s.max_overshoot.load() * options.threads;
    const std::int64_t tpm_bound = admission_bound(tpm, elapsed_ms);
    const std::int64_t stored_rpm = stored_total(key.id, "rpm");
    const std::int64_t stored_tpm = stored_total(key.id, "tpm");
    // Refunds (actual < estimate) return tokens, so estimates alone are not bounded; the net
    // (actual) consumption is.
    const bool ok = s.admitted.load() <= rpm_bound && s.actual_tokens.load() <= tpm_bound + slack &&
                    stored_rpm == s.admitted.load() && stored_tpm == s.actual_tokens.load();
    all_ok = all_ok && ok;
    if (key.cascade) {
      project_requests += s.admitted.load();
      project_tokens += s.actual_tokens.load();
      project_slack += slack;
    }
    std::string reasons;
    for (const auto& [name, count] : s.rejected_by) {
      reasons += (reasons.empty() ? "" : ", ") + fmt::format("{} {}", name, count);
    }
    rows.push_back({key.id, key.cascade ? "yes" : "no", with_commas(s.admitted.load()),
                    fmt::format("{} / {}", with_commas(s.admitted.load()), with_commas(rpm_bound)),
                    with_commas(s.rejected.load()), reasons.empty() ? "-" : reasons,
                    fmt::format("{:.3f}s", static_cast<double>(s.max_retry_after_ms.load()) / 1000),
                    fmt::format("{} / {}", with_commas(s.actual_tokens.load()),
                                with_commas(tpm_bound + slack)),
                    fmt::format("{} / {}", with_commas(stored_rpm), with_commas(stored_tpm)),
                    ok ? "ok" : "VIOLATION"});
  }
  {
    const Limit& rpm = *find_limit(project_limits, "rpm");
    const Limit* tpm = find_limit(project_limits, "tpm");
    const std::int64_t rpm_bound = admission_bound(rpm, elapsed_ms);
    const std::int64_t tpm_bound = tpm ? admission_bound(*tpm, elapsed_ms) : 0;
    const std::int64_t stored_rpm = stored_total(project, "rpm");
    const std::int64_t stored_tpm = stored_total(project, "tpm");
    const bool ok = project_requests <= rpm_bound &&
                    (!tpm || project_tokens <= tpm_bound + project_slack) &&
                    stored_rpm == project_requests && stored_tpm == project_tokens;
    all_ok = all_ok && ok;
    rows.push_back({project + " (cascaded)", "-", with_commas(project_requests),
                    fmt::format("{} / {}", with_commas(project_requests), with_commas(rpm_bound)),
                    "-", "-", "-",
                    fmt::format("{} / {}", with_commas(project_tokens),
                                with_commas(tpm_bound + project_slack)),
                    fmt::format("{} / {}", with_commas(stored_rpm), with_commas(stored_tpm)),
                    ok ? "ok" : "VIOLATION"});
  }
  fmt::print(
      "{}\n",
      render_table({"Entity", "Cascade", "Admitted", "Requests / bound", "Rejected", "Rejected by",
                    "Max retry-after", "Tokens / bound", "Stored rpm / tpm", "Check"},
                   rows,
                   {Align::kLeft, Align::kCenter, Align::kRight, Align::kRight, Align::kRight,
                    Align::kLeft, Align::kRight, Align::kRight, Align::kRight, Align::kCenter}));
  fmt::print(
      "\nBounds are capacity + refill over the {:.1f} s run. Tokens are the actual counts after\n"
      "adjust; their bound adds one call's overshoot per thread, since an adjustment is written\n"
      "after the call. Stored rpm / tpm are the total-consumed counters read back from the\n"
      "buckets; they must equal what the clients counted.\n",
      static_cast<double>(elapsed_ms) / 1000);
  if (errors.load() > 0) {
    fmt::print(stderr, "{} worker errors\n", errors.load());
    return 1;
  }
  fmt::print("{}\n", all_ok ? "All checks passed." : "CHECK FAILED: see VIOLATION rows.");
  return all_ok ? 0 : 1;
}

}  // namespace zae::cli
