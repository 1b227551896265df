// SPDX-License-Identifier: MIT
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/credentials.h"

namespace zae::aws {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
using TimePoint = std::chrono::system_clock::time_point;

const TimePoint kStart = std::chrono::sys_days(std::chrono::year(2026) / 1 / 1) + 12h;

// A settable wall clock, shared by the test and the provider.
class TestClock {
 public:
  TimePoint now() const {
    std::lock_guard lock(mutex_);
    return now_;
  }
  void set(TimePoint t) {
    std::lock_guard lock(mutex_);
    now_ = t;
  }
  WallClock function() {
    return [this] { return now(); };
  }

 private:
  mutable std::mutex mutex_;
  TimePoint now_ = kStart;
};

TimedCredentials make(const std::string& key, std::optional<TimePoint> expiration) {
  return TimedCredentials{.credentials = {.access_key_id = key,
                                          .secret_access_key = "secret-" + key,
                                          .session_token = "token-" + key},
                          .expiration = expiration};
}

// A source driven by the test: each fetch calls `next`, counting calls.
class ScriptedSource final : public CredentialsSource {
 public:
  explicit ScriptedSource(std::string name, std::function<TimedCredentials()> next)
      : name_(std::move(name)), next_(std::move(next)) {}
  std::string name() const override { return name_; }
  TimedCredentials fetch() override {
    ++calls_;
    return next_();
  }
  int calls() const { return calls_.load(); }

 private:
  std::string name_;
  std::function<TimedCredentials()> next_;
  std::atomic<int> calls_{0};
};

[[noreturn]] void throw_not_configured(const std::string& source, const std::string& why) {
  throw CredentialsError(CredentialsErrorKind::kNotConfigured, source, why);
}

[[noreturn]] void throw_failed(const std::string& source, const std::string& why) {
  throw CredentialsError(CredentialsErrorKind::kFailed, source, why);
}

template <typename Fn>
CredentialsError credentials_error(Fn fn) {
  try {
    fn();
  } catch (const CredentialsError& error) {
    return error;
  }
  ADD_FAILURE() << "no CredentialsError";
  return CredentialsError(CredentialsErrorKind::kFailed, "none", "none");
}

TEST(StaticCredentialsProviderTest, ReturnsItsCredentials) {
  StaticCredentialsProvider provider(
      {.access_key_id = "AK", .secret_access_key = "SK", .session_token = ""});
  EXPECT_EQ(provider.credentials().access_key_id, "AK");
  EXPECT_EQ(provider.credentials().secret_access_key, "SK");
  EXPECT_EQ(provider.credentials().session_token, "");
}

TEST(CredentialsErrorTest, NamesSourceAndProblem) {
  const CredentialsError error(CredentialsErrorKind::kFailed, "container", "HTTP 500");
  EXPECT_STREQ(error.what(), "container: HTTP 500");
  EXPECT_EQ(error.source(), "container");
  EXPECT_EQ(error.problem(), "HTTP 500");
  EXPECT_EQ(error.kind(), CredentialsErrorKind::kFailed);
  const AwsError& base = error;  // part of the aws hierarchy
  EXPECT_STREQ(base.what(), "container: HTTP 500");
}

TEST(CachedCredentialsProviderTest, CredentialsWithoutExpirationAreFetchedOnce) {
  auto source = std::make_unique<ScriptedSource>("s", [] { return make("A", std::nullopt); });
  ScriptedSource& s = *source;
  TestClock clock;
  CachedCredentialsProvider provider(std::move(source), clock.function());
  EXPECT_EQ(provider.credentials().access_key_id, "A");
  clock.set(kStart + 24h * 365);
  EXPECT_EQ(provider.credentials().access_key_id, "A");
  EXPECT_EQ(s.calls(), 1);
}

TEST(CachedCredentialsProviderTest, RefreshesFiveMinutesBeforeExpiry) {
  int generation = 0;
  auto source = std::make_unique<ScriptedSource>("s", [&] {
    ++generation;
    return make("G" + std::to_string(generation), kStart + 60min * generation);
  });
  ScriptedSource& s = *source;
  TestClock clock;
  CachedCredentialsProvider provider(std::move(source), clock.function());

  EXPECT_EQ(provider.credentials().access_key_id, "G1");  // expires at +60 min
  clock.set(kStart + 54min + 59s);
  EXPECT_EQ(provider.credentials().access_key_id, "G1");
  EXPECT_EQ(s.calls(), 1);
  clock.set(kStart + 55min);  // 5 minutes before expiry
  EXPECT_EQ(provider.credentials().access_key_id, "G2");
  EXPECT_EQ(s.calls(), 2);
  const TimedCredentials timed = provider.timed_credentials();
  EXPECT_EQ(timed.expiration, kStart + 120min);
  EXPECT_EQ(s.calls(), 2);
}

TEST(CachedCredentialsProviderTest, RefreshWindowIsConfigurable) {
  auto source = std::make_unique<ScriptedSource>("s", [] { return make("A", kStart + 60min); });
  ScriptedSource& s = *source;
  TestClock clock;
  CachedCredentialsProvider provider(std::move(source), clock.function(),
                                     {.refresh_ahead = 15min, .retry_interval = 10s});
  provider.credentials();
  clock.set(kStart + 44min);
  provider.credentials();
  EXPECT_EQ(s.calls(), 1);
  clock.set(kStart + 45min);
  provider.credentials();
  EXPECT_EQ(s.calls(), 2);
}

TEST(CachedCredentialsProviderTest, FailedRefreshKeepsValidCredentialsUntilExpiry) {
  bool fail = false;
  auto source = std::make_unique<ScriptedSource>("s", [&] {
    if (fail) {
      throw_failed("imds", "HTTP 500");
    }
    return make("A", kStart + 60min);
  });
  ScriptedSource& s = *source;
  TestClock clock;
  CachedCredentialsProvider provider(std::move(source), clock.function());
  EXPECT_EQ(provider.credentials().access_key_id, "A");

  fail = true;
  clock.set(kStart + 56min);
  EXPECT_EQ(provider.credentials().access_key_id, "A");  // refresh failed, old still valid
  EXPECT_EQ(s.calls(), 2);
  clock.set(kStart + 56min + 5s);  // within the retry interval: no new attempt
  EXPECT_EQ(provider.credentials().access_key_id, "A");
  EXPECT_EQ(s.calls(), 2);
  clock.set(kStart + 56min + 10s);  // interval passed: tries again, still keeps the old ones
  EXPECT_EQ(provider.credentials().access_key_id, "A");
  EXPECT_EQ(s.calls(), 3);

  clock.set(kStart + 60min);  // expired: the error surfaces
  const CredentialsError error = credentials_error([&] { provider.credentials(); });
  EXPECT_EQ(error.source(), "imds");
  EXPECT_EQ(s.calls(), 4);

  fail = false;  // the source recovers: the next call fetches again
  clock.set(kStart + 61min);
  EXPECT_EQ(provider.credentials().access_key_id, "A");
  EXPECT_EQ(s.calls(), 5);
}

TEST(CachedCredentialsProviderTest, FirstFetchFailureIsThrownAndRetriedNextCall) {
  int calls = 0;
  auto source = std::make_unique<ScriptedSource>("s", [&]() -> TimedCredentials {
    if (++calls == 1) {
      throw_failed("web identity", "STS returned HTTP 403");
    }
    return make("A", std::nullopt);
  });
  TestClock clock;
  CachedCredentialsProvider provider(std::move(source), clock.function());
  const CredentialsError error = credentials_error([&] { provider.credentials(); });
  EXPECT_THAT(error.what(), HasSubstr("HTTP 403"));
  EXPECT_EQ(provider.credentials().access_key_id, "A");
}

TEST(CachedCredentialsProviderTest, NonCredentialsExceptionsPropagate) {
  auto source = std::make_unique<ScriptedSource>(
      "s", []() -> TimedCredentials { throw std::runtime_error("boom"); });
  CachedCredentialsProvider provider(std::move(source));
  EXPECT_THROW(provider.credentials(), std::runtime_error);
}

// A source whose fetch blocks until the test opens the gate, so that several callers overlap.
class GatedSource final : public CredentialsSource {
 public:
  explicit GatedSource(std::function<TimedCredentials(int)> result) : result_(std::move(result)) {}
  std::string name() const override { return "gated"; }
  TimedCredentials fetch() override {
    std::unique_lock lock(mutex_);
    const int call = ++calls_;
    entered_.notify_all();
    opened_.wait(lock, [&] { return open_; });
    return result_(call);
  }
  void wait_until_entered(int calls) {
    std::unique_lock lock(mutex_);
    entered_.wait(lock, [&] { return calls_ >= calls; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    opened_.notify_all();
  }
  int calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  std::function<TimedCredentials(int)> result_;
  std::mutex mutex_;
  std::condition_variable entered_;
  std::condition_variable opened_;
  int calls_ = 0;
  bool open_ = false;
};

TEST(CachedCredentialsProviderTest, ConcurrentFirstCallsShareOneFetch) {
  constexpr int kThreads = 8;
  auto source = std::make_unique<GatedSource>(
      [](int call) { return make("C" + std::to_string(call), kStart + 60min); });
  GatedSource& s = *source;
  TestClock clock;
  CachedCredentialsProvider provider(std::move(source), clock.function());
  std::latch started(kThreads);
  std::vector<std::string> keys(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      started.count_down();
      keys[i] = provider.credentials().access_key_id;
    });
  }
  s.wait_until_entered(1);
  started.wait();
  s.open();
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(s.calls(), 1);
  for (const auto& key : keys) {
    EXPECT_EQ(key, "C1");
  }
}

// Cached copy in the refresh window, refresh blocked: other callers get the old copy at once and
// only one refresh runs.
TEST(CachedCredentialsProviderTest, RefreshIsSingleFlightAndNonBlockingWhileValid) {
  std::mutex mutex;
  std::condition_variable cv;
  int calls = 0;
  bool release = false;
  auto source = std::make_unique<ScriptedSource>("s", [&] {
    std::unique_lock lock(mutex);
    const int call = ++calls;
    cv.notify_all();
    if (call >= 2) {
      cv.wait(lock, [&] { return release; });
    }
    return make("K" + std::to_string(call), kStart + 60min * call);
  });
  TestClock clock;
  CachedCredentialsProvider provider(std::move(source), clock.function());
  EXPECT_EQ(provider.credentials().access_key_id, "K1");

  clock.set(kStart + 57min);
  std::string refreshed;
  std::thread refresher([&] { refreshed = provider.credentials().access_key_id; });
  {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return calls == 2; });
  }
  // The refresh is in flight and blocked: these return the valid old copy without waiting.
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(provider.credentials().access_key_id, "K1");
  }
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(calls, 2);
    release = true;
  }
  cv.notify_all();
  refresher.join();
  EXPECT_EQ(refreshed, "K2");
  EXPECT_EQ(provider.credentials().access_key_id, "K2");
  std::lock_guard lock(mutex);
  EXPECT_EQ(calls, 2);
}

// Expired copy, refresh blocked: other callers wait for it and share its result or error.
TEST(CachedCredentialsProviderTest, WaitersShareTheRefreshError) {
  constexpr int kThreads = 6;
  auto source = std::make_unique<GatedSource>(
      [](int) -> TimedCredentials { throw_failed("container", "HTTP 503"); });
  GatedSource& s = *source;
  TestClock clock;
  CachedCredentialsProvider provider(std::move(source), clock.function());
  std::latch started(kThreads);
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      started.count_down();
      try {
        provider.credentials();
      } catch (const CredentialsError& error) {
        if (error.problem() == "HTTP 503") {
          ++errors;
        }
      }
    });
  }
  s.wait_until_entered(1);
  started.wait();
  s.open();
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(errors.load(), kThreads);
  // Threads that arrived after the failed flight finished start their own attempt, so the count
  // is at least one and at most one per thread; every caller saw the source's error.
  EXPECT_GE(s.calls(), 1);
  EXPECT_LE(s.calls(), kThreads);
}

TEST(CachedCredentialsProviderTest, ManyThreadsManyRefreshesStayConsistent) {
  std::atomic<int> calls{0};
  auto source = std::make_unique<ScriptedSource>("s", [&] {
    const int call = ++calls;
    return make("M" + std::to_string(call), kStart + 10min * call);
  });
  TestClock clock;
  CachedCredentialsProvider provider(std::move(source), clock.function(),
                                     {.refresh_ahead = 5min, .retry_interval = 0s});
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        const Credentials c = provider.credentials();
        EXPECT_EQ(c.secret_access_key, "secret-" + c.access_key_id);
      }
    });
  }
  for (int step = 1; step <= 50; ++step) {
    clock.set(kStart + 10min * step - 4min);  // each step enters the next refresh window
    // A reader may be the one that refreshes; until then the old copy is still valid.
    const std::string expected = "M" + std::to_string(step + 1);
    while (provider.credentials().access_key_id != expected) {
      std::this_thread::yield();
    }
  }
  stop = true;
  for (auto& t : readers) {
    t.join();
  }
  EXPECT_EQ(calls.load(), 51);
}

TEST(ChainCredentialsSourceTest, SkipsUnconfiguredSourcesAndRemembersTheOneThatWorked) {
  std::vector<std::unique_ptr<CredentialsSource>> sources;
  auto first = std::make_unique<ScriptedSource>(
      "environment", []() -> TimedCredentials { throw_not_configured("environment", "unset"); });
  auto second = std::make_unique<ScriptedSource>("shared files", [] { return make("P", {}); });
  auto third = std::make_unique<ScriptedSource>("container", [] { return make("C", {}); });
  ScriptedSource& a = *first;
  ScriptedSource& b = *second;
  ScriptedSource& c = *third;
  sources.push_back(std::move(first));
  sources.push_back(std::move(second));
  sources.push_back(std::move(third));
  ChainCredentialsSource chain(std::move(sources));
  EXPECT_EQ(chain.chosen_source(), "");
  EXPECT_EQ(chain.fetch().credentials.access_key_id, "P");
  EXPECT_EQ(chain.chosen_source(), "shared files");
  EXPECT_EQ(chain.fetch().credentials.access_key_id, "P");
  EXPECT_EQ(a.calls(), 1);  // not asked again
  EXPECT_EQ(b.calls(), 2);
  EXPECT_EQ(c.calls(), 0);
}

TEST(ChainCredentialsSourceTest, AConfiguredSourceThatFailsStopsTheChain) {
  std::vector<std::unique_ptr<CredentialsSource>> sources;
  sources.push_back(std::make_unique<ScriptedSource>(
      "shared files", []() -> TimedCredentials { throw_failed("shared files", "config:3: bad"); }));
  auto next = std::make_unique<ScriptedSource>("imds", [] { return make("I", {}); });
  ScriptedSource& n = *next;
  sources.push_back(std::move(next));
  ChainCredentialsSource chain(std::move(sources));
  const CredentialsError error = credentials_error([&] { chain.fetch(); });
  EXPECT_EQ(error.source(), "shared files");
  EXPECT_EQ(error.kind(), CredentialsErrorKind::kFailed);
  EXPECT_EQ(n.calls(), 0);
}

TEST(ChainCredentialsSourceTest, NothingConfiguredListsWhatWasTried) {
  std::vector<std::unique_ptr<CredentialsSource>> sources;
  for (const char* name : {"environment", "shared files", "instance metadata"}) {
    sources.push_back(std::make_unique<ScriptedSource>(name, [name]() -> TimedCredentials {
      throw_not_configured(name, std::string("nothing for ") + name);
    }));
  }
  ChainCredentialsSource chain(std::move(sources));
  const CredentialsError error = credentials_error([&] { chain.fetch(); });
  EXPECT_EQ(error.source(), "chain");
  EXPECT_EQ(error.kind(), CredentialsErrorKind::kNotConfigured);
  EXPECT_THAT(error.what(), HasSubstr("environment: nothing for environment"));
  EXPECT_THAT(error.what(), HasSubstr("shared files: nothing for shared files"));
  EXPECT_THAT(error.what(), HasSubstr("instance metadata: nothing for instance metadata"));
}

TEST(ChainCredentialsSourceTest, RefreshStaysWithTheChosenSourceEvenWhenItFails) {
  bool fail = false;
  std::vector<std::unique_ptr<CredentialsSource>> sources;
  sources.push_back(std::make_unique<ScriptedSource>("web identity", [&]() -> TimedCredentials {
    if (fail) {
      throw_failed("web identity", "STS down");
    }
    return make("W", kStart + 60min);
  }));
  auto fallback = std::make_unique<ScriptedSource>("imds", [] { return make("I", {}); });
  ScriptedSource& f = *fallback;
  sources.push_back(std::move(fallback));
  ChainCredentialsSource chain(std::move(sources));
  EXPECT_EQ(chain.fetch().credentials.access_key_id, "W");
  fail = true;
  EXPECT_THROW(chain.fetch(), CredentialsError);
  EXPECT_EQ(f.calls(), 0);
}

TEST(Iso8601Test, ParsesAwsExpirations) {
  const TimePoint base = std::chrono::sys_days(std::chrono::year(2024) / 5 / 1) + 12h + 34min + 56s;
  EXPECT_EQ(parse_iso8601("2024-05-01T12:34:56Z"), base);
  EXPECT_EQ(parse_iso8601("2024-05-01T12:34:56.250Z"), base + 250ms);
  EXPECT_EQ(parse_iso8601("2024-05-01T14:34:56+02:00"), base);
  EXPECT_EQ(parse_iso8601("2024-05-01T10:04:56-02:30"), base);
  EXPECT_EQ(parse_iso8601("1970-01-01T00:00:00Z"), TimePoint{});
}

TEST(Iso8601Test, RejectsMalformedTimes) {
  for (const char* text : {"", "2024-05-01", "2024-05-01T12:34:56", "2024-13-01T00:00:00Z",
                           "2024-02-30T00:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01T12:34:56Zx",
                           "2024-05-01 12:34:56Z", "2024-05-01T12:34:56.Z", "tomorrow"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(parse_iso8601(text), std::nullopt);
  }
}

}  // namespace
}  // namespace zae::aws
