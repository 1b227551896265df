// SPDX-License-Identifier: MIT
// Network faults between the real stack (zae::open_store + zae::RateLimiter, both HTTP
// transports) and DynamoDB Local (ZAE_TEST_DYNAMODB_ENDPOINT; skipped when unset), injected by
// a FaultProxy (tests/support/fault_proxy.h). What is checked, per fault:
//   - on_unavailable: ALLOW admits with a no-op lease, BLOCK throws RateLimiterUnavailable
//     (spec/behavior.md §3.3, §3.10);
//   - every call returns within a bound derived from the URI's timeout and attempts (a
//     correctness bound with generous slack, never a performance assertion);
//   - what is stored (read directly, not through the proxy) never shows a write applied twice:
//     each call applies its consumption at most once, exactly once when it succeeded;
//   - the client recovers as soon as the proxy heals.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "zae/errors.h"
#include "zae/lease.h"
#include "zae/limit.h"
#include "zae/open_store.h"
#include "zae/rate_limiter.h"
#include "zae/store.h"

#include "support/fault_proxy.h"

namespace zae::test {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// Short deadlines keep the suite fast; DynamoDB Local answers a write in a few milliseconds.
constexpr std::chrono::milliseconds kTimeout = 500ms;
constexpr int kMaxAttempts = 2;
// One request: every attempt times out, with the backoff between them (100 ms ceiling for the
// first retry, doubling).
constexpr std::chrono::milliseconds kRequestBound =
    kTimeout * kMaxAttempts + 100ms * ((1 << (kMaxAttempts - 1)) - 1);
// One library call sends a few requests in sequence at most (a read, a write, a compensation,
// a write on the connection opened to replace a stale one), plus slack for a loaded machine.
constexpr std::chrono::milliseconds kCallBound = kRequestBound * 4 + 2000ms;

struct Upstream {
  std::string host;
  std::uint16_t port = 0;
};

// "http://127.0.0.1:8000" -> {127.0.0.1, 8000}.
std::optional<Upstream> dynamodb_local() {
  const char* endpoint = std::getenv("ZAE_TEST_DYNAMODB_ENDPOINT");
  if (endpoint == nullptr || *endpoint == '\0') {
    return std::nullopt;
  }
  std::string text(endpoint);
  const std::string scheme = "http://";
  if (text.rfind(scheme, 0) != 0) {
    return std::nullopt;
  }
  text = text.substr(scheme.size());
  while (!text.empty() && text.back() == '/') {
    text.pop_back();
  }
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    return Upstream{.host = text, .port = 80};
  }
  return Upstream{.host = text.substr(0, colon),
                  .port = static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1)))};
}

enum class Transport { kSocket, kCurl };

// Whether a failed call's request may have reached DynamoDB (and been applied there).
enum class Delivery { kNotDelivered, kMayBeApplied };

std::string transport_name(Transport transport) {
  return transport == Transport::kSocket ? "socket" : "curl";
}

// Runs `call` and fails the test when it takes longer than `bound`.
template <class Call>
void within(std::chrono::milliseconds bound, Call&& call, const std::string& what) {
  const auto start = SteadyClock::now();
  call();
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start);
  EXPECT_LE(took.count(), bound.count()) << what << " took " << took.count() << " ms";
}

class FaultInjectionTest : public ::testing::TestWithParam<Transport> {
 protected:
  static void SetUpTestSuite() {
    upstream_ = new std::optional<Upstream>(dynamodb_local());
    if (!upstream_->has_value()) {
      return;
    }
    // DynamoDB Local accepts any credentials; the default chain reads these.
    setenv("AWS_ACCESS_KEY_ID", "local", /*overwrite=*/0);
    setenv("AWS_SECRET_ACCESS_KEY", "local", /*overwrite=*/0);
    // One table for every process of the suite (CTest runs each test in its own): created by
    // the first, found by the others. Namespaces keep the tests apart.
    table_ = new std::string("zae-it-fault");
    run_id_ = new std::string(std::to_string(std::random_device{}() % 1000000));
    // Provisions the table, directly (not through a proxy), and warms DynamoDB Local up: its
    // first requests of each kind are slow, and the proxied stores run on short deadlines.
    std::shared_ptr<Store> store = open_store(direct_uri(), {.namespace_name = "warm-up"});
    RateLimiter limiter(store);
    for (int i = 0; i < 12; ++i) {
      const std::string entity = "warm-" + *run_id_ + "-" + std::to_string(i % 4);
      Lease lease = limiter.acquire(request(entity, 1));
      lease.adjust({{"rpm", 1}});
      lease.commit();
      (void)store->get_bucket(entity, "api");
    }
  }

  static void TearDownTestSuite() {
    delete upstream_;
    delete table_;
    delete run_id_;
    upstream_ = nullptr;
    table_ = nullptr;
    run_id_ = nullptr;
  }

  static std::string direct_uri() {
    const Upstream& up = **upstream_;
    return "dynamodb://" + *table_ + "?endpoint=http://" + up.host + ":" + std::to_string(up.port);
  }

  void SetUp() override {
    if (upstream_ == nullptr || !upstream_->has_value()) {
      GTEST_SKIP() << "ZAE_TEST_DYNAMODB_ENDPOINT is not set (DynamoDB Local)";
    }
    proxy_ = std::make_unique<FaultProxy>((*upstream_)->host, (*upstream_)->port);
    namespace_ = "fault-" + *run_id_ + "-" + std::to_string(counter_++);
    store_ = std::shared_ptr<Store>(open_store(proxied_uri(), {.namespace_name = namespace_}));
    truth_ = open_store(direct_uri(), {.namespace_name = namespace_});
    RateLimiterOptions options;
    options.warning_sink = [this](std::string_view text) { warnings_.emplace_back(text); };
    limiter_ = std::make_unique<RateLimiter>(store_, std::move(options));
  }

  void TearDown() override {
    if (proxy_) {
      proxy_->heal();
    }
    limiter_.reset();
    store_.reset();
    truth_.reset();
    proxy_.reset();
  }

  std::string proxied_uri() const {
    return "dynamodb://" + *table_ + "?endpoint=" + proxy_->url() +
           "&timeout_ms=" + std::to_string(kTimeout.count()) +
           "&connect_timeout_ms=" + std::to_string(kTimeout.count()) +
           "&max_attempts=" + std::to_string(kMaxAttempts) +
           "&transport=" + transport_name(GetParam());
  }

  static AcquireRequest request(const std::string& entity, std::int64_t amount,
                                std::optional<OnUnavailable> on_unavailable = std::nullopt) {
    return AcquireRequest{.entity_id = entity,
                          .resource = "api",
                          .consume = {{"rpm", amount}},
                          .limits = std::vector<Limit>{Limit::per_minute("rpm", 1'000'000)},
                          .on_unavailable = on_unavailable};
  }

  // The net consumption stored for (entity, "api"), read directly from DynamoDB Local.
  std::int64_t stored_consumed(const std::string& entity) {
    const std::optional<BucketState> bucket = truth_->get_bucket(entity, "api");
    if (!bucket) {
      return 0;
    }
    for (const BucketLimitState& limit : bucket->limits) {
      if (limit.limit.name() == "rpm") {
        return limit.total_consumed_milli.value_or(0) / 1000;
      }
    }
    return 0;
  }

  // Acquires and commits `amount`; the call must succeed.
  void acquire_ok(const std::string& entity, std::int64_t amount) {
    within(
        kCallBound, [&] { limiter_->acquire(request(entity, amount)).commit(); }, "acquire");
  }

  void check_persistent_fault(const std::string& entity, const Fault& fault, Delivery delivery);

  FaultProxy& proxy() { return *proxy_; }
  RateLimiter& limiter() { return *limiter_; }

  static inline std::optional<Upstream>* upstream_ = nullptr;
  static inline std::string* table_ = nullptr;
  static inline std::string* run_id_ = nullptr;
  static inline int counter_ = 0;

  std::unique_ptr<FaultProxy> proxy_;
  std::string namespace_;
  std::shared_ptr<Store> store_;
  std::unique_ptr<Store> truth_;
  std::unique_ptr<RateLimiter> limiter_;
  std::vector<std::string> warnings_;
};

TEST_P(FaultInjectionTest, PassesTrafficThroughAndCountsIt) {
  acquire_ok("key-pass", 3);
  acquire_ok("key-pass", 4);
  EXPECT_EQ(stored_consumed("key-pass"), 7);
  const FaultProxyStats stats = proxy().stats();
  EXPECT_GE(stats.connections_accepted, 1U);
  EXPECT_GE(stats.requests, 2U);
  EXPECT_EQ(stats.requests, stats.requests_forwarded);
  EXPECT_EQ(stats.requests, stats.responses_delivered);
  EXPECT_EQ(stats.faults_applied, 0U);
  EXPECT_GT(stats.bytes_from_clients, 0U);
  EXPECT_GT(stats.bytes_to_clients, 0U);
}

// A fault that lasts until healed, on a warm bucket and a warm connection: BLOCK throws, ALLOW
// admits with a no-op lease, both within the bound; after heal the next acquire succeeds; the
// stored consumption counts each successful call once and each failed call at most once.
void FaultInjectionTest::check_persistent_fault(const std::string& entity, const Fault& fault,
                                                Delivery delivery) {
  acquire_ok(entity, 1);  // warm: the bucket exists, its state is cached, a connection is open
  proxy().set_fault(fault);
  within(
      kCallBound,
      [&] {
        EXPECT_THROW(limiter().acquire(request(entity, 10, OnUnavailable::kBlock)),
                     RateLimiterUnavailable);
      },
      "acquire (BLOCK)");
  within(
      kCallBound,
      [&] {
        Lease lease = limiter().acquire(request(entity, 100, OnUnavailable::kAllow));
        EXPECT_TRUE(lease.is_noop());
        lease.adjust({{"rpm", 5}});  // a no-op lease writes nothing (LS-8)
        lease.commit();
      },
      "acquire (ALLOW)");
  proxy().heal();
  acquire_ok(entity, 1000);
  const std::int64_t stored = stored_consumed(entity);
  if (delivery == Delivery::kNotDelivered) {
    EXPECT_EQ(stored, 1001);
  } else {
    // Each failed call applied its consumption once or not at all.
    EXPECT_TRUE(stored == 1001 || stored == 1011 || stored == 1101 || stored == 1111)
        << "stored consumption " << stored;
  }
  EXPECT_GE(proxy().stats().faults_applied, 2U);
}

TEST_P(FaultInjectionTest, DropFollowsOnUnavailableAndRecovers) {
  check_persistent_fault("key-drop", Fault{.mode = FaultMode::kDrop}, Delivery::kNotDelivered);
}

TEST_P(FaultInjectionTest, ResetFollowsOnUnavailableAndRecovers) {
  check_persistent_fault("key-reset", Fault{.mode = FaultMode::kReset}, Delivery::kNotDelivered);
}

TEST_P(FaultInjectionTest, StallFollowsOnUnavailableWithinTheTimeoutAndRecovers) {
  check_persistent_fault("key-stall", Fault{.mode = FaultMode::kStall}, Delivery::kNotDelivered);
}

TEST_P(FaultInjectionTest, LatencyBeyondTheTimeoutFollowsOnUnavailableAndRecovers) {
  check_persistent_fault("key-slow",
                         Fault{.mode = FaultMode::kLatency, .response_latency = kTimeout * 3},
                         Delivery::kMayBeApplied);
}

TEST_P(FaultInjectionTest, BlackholeFollowsOnUnavailableAndNeverAppliesTwice) {
  check_persistent_fault("key-blackhole", Fault{.mode = FaultMode::kBlackhole},
                         Delivery::kMayBeApplied);
}

TEST_P(FaultInjectionTest, TruncatedResponseFollowsOnUnavailableAndNeverAppliesTwice) {
  check_persistent_fault("key-truncate", Fault{.mode = FaultMode::kTruncate},
                         Delivery::kMayBeApplied);
}

TEST_P(FaultInjectionTest, ResetMidResponseFollowsOnUnavailableAndNeverAppliesTwice) {
  check_persistent_fault("key-reset-mid", Fault{.mode = FaultMode::kResetMidResponse},
                         Delivery::kMayBeApplied);
}

TEST_P(FaultInjectionTest, LatencyWithinTheTimeoutIsOnlySlower) {
  acquire_ok("key-latency", 1);
  proxy().set_fault(
      Fault{.mode = FaultMode::kLatency, .request_latency = 30ms, .response_latency = 30ms});
  acquire_ok("key-latency", 2);
  EXPECT_EQ(stored_consumed("key-latency"), 3);
  EXPECT_GE(proxy().stats().faults_applied, 1U);
}

TEST_P(FaultInjectionTest, OneDroppedReadOnAWarmConnectionIsResentOnAFreshOne) {
  acquire_ok("key-stale", 1);
  const std::size_t accepted = proxy().stats().connections_accepted;
  // As a server that closed the idle keep-alive connection just as the request arrived: the
  // transport sends a read again on a fresh connection, within the same call.
  proxy().set_fault(
      Fault{.mode = FaultMode::kDrop, .hits = 1, .match = "DynamoDB_20120810.GetItem"});
  within(
      kCallBound, [&] { EXPECT_TRUE(store_->get_bucket("key-stale", "api").has_value()); },
      "get_bucket");
  EXPECT_EQ(proxy().stats().faults_applied, 1U);
  EXPECT_GT(proxy().stats().connections_accepted, accepted);
}

TEST_P(FaultInjectionTest, OneDroppedWriteOnAWarmConnectionIsReportedNotResent) {
  acquire_ok("key-stale-write", 1);
  // The same drop cannot be told apart from a connection lost after DynamoDB applied the write
  // (LostConnectionAfterAnAppliedWriteIsNotAppliedTwice), so a write is not sent again.
  proxy().set_fault(
      Fault{.mode = FaultMode::kDrop, .hits = 1, .match = "DynamoDB_20120810.UpdateItem"});
  within(
      kCallBound,
      [&] {
        EXPECT_THROW(limiter().acquire(request("key-stale-write", 2, OnUnavailable::kBlock)),
                     RateLimiterUnavailable);
      },
      "acquire");
  EXPECT_EQ(proxy().stats().faults_applied, 1U);
  acquire_ok("key-stale-write", 4);
  EXPECT_EQ(stored_consumed("key-stale-write"), 5);
}

TEST_P(FaultInjectionTest, FaultsCanBeScheduledByCountTimeAndPeriod) {
  acquire_ok("key-schedule", 1);
  // Every second write stalls, for two hits: of four calls, at most two fail (a failed call may
  // make the next one read before it writes, which shifts the count).
  proxy().set_fault(Fault{
      .mode = FaultMode::kStall, .hits = 2, .every = 2, .match = "DynamoDB_20120810.UpdateItem"});
  int failed = 0;
  for (int i = 0; i < 4; ++i) {
    within(
        kCallBound,
        [&] {
          try {
            limiter().acquire(request("key-schedule", 1, OnUnavailable::kBlock)).commit();
          } catch (const RateLimiterUnavailable&) {
            ++failed;
          }
        },
        "acquire");
  }
  EXPECT_GE(failed, 1);
  EXPECT_LE(failed, 2);
  EXPECT_EQ(proxy().stats().faults_applied, 2U);
  EXPECT_EQ(proxy().mode(), FaultMode::kPass);
  // By time: heals by itself.
  proxy().set_fault(Fault{.mode = FaultMode::kDrop, .duration = 50ms});
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(proxy().mode(), FaultMode::kPass);
  acquire_ok("key-schedule", 1);
  EXPECT_EQ(stored_consumed("key-schedule"), 6 - failed);  // a stalled write never arrived
}

// The dangerous case: the write reached DynamoDB and only its answer was lost.

TEST_P(FaultInjectionTest, BlackholedCreateOfANewBucketIsNotAppliedTwice) {
  // The first acquire of a bucket creates it with a conditional PutItem. A replay of that put
  // after a lost answer fails its condition against its own first write.
  proxy().set_fault(
      Fault{.mode = FaultMode::kBlackhole, .hits = 1, .match = "DynamoDB_20120810.PutItem"});
  bool admitted = false;
  within(
      kCallBound,
      [&] {
        try {
          limiter().acquire(request("key-create", 7, OnUnavailable::kBlock)).commit();
          admitted = true;
        } catch (const RateLimiterUnavailable&) {
        }
      },
      "acquire");
  EXPECT_EQ(proxy().stats().faults_applied, 1U);
  const std::int64_t stored = stored_consumed("key-create");
  EXPECT_EQ(stored, 7) << (admitted ? "admitted once" : "reported unavailable");
  acquire_ok("key-create", 1);
  EXPECT_EQ(stored_consumed("key-create"), stored + 1);
}

TEST_P(FaultInjectionTest, LostConnectionAfterAnAppliedWriteIsNotAppliedTwice) {
  acquire_ok("key-lost", 1);
  // The write is applied, then the warm connection closes without an answer: to the transport
  // this looks like a stale keep-alive connection.
  proxy().set_fault(
      Fault{.mode = FaultMode::kApplyThenDrop, .hits = 1, .match = "DynamoDB_20120810.UpdateItem"});
  bool admitted = false;
  within(
      kCallBound,
      [&] {
        try {
          limiter().acquire(request("key-lost", 10, OnUnavailable::kBlock)).commit();
          admitted = true;
        } catch (const RateLimiterUnavailable&) {
        }
      },
      "acquire");
  EXPECT_EQ(proxy().stats().faults_applied, 1U);
  EXPECT_EQ(stored_consumed("key-lost"), 11) << (admitted ? "admitted" : "reported unavailable");
}

TEST_P(FaultInjectionTest, BlackholedCascadeCreateTransactionIsNotAppliedTwice) {
  // Child and parent buckets created together: one TransactWriteItems, which the client
  // retries with the same ClientRequestToken (DynamoDB applies a token once).
  limiter().create_entity({.entity_id = "project-1"});
  limiter().create_entity({.entity_id = "key-cascade", .parent_id = "project-1", .cascade = true});
  proxy().set_fault(Fault{
      .mode = FaultMode::kBlackhole, .hits = 1, .match = "DynamoDB_20120810.TransactWriteItems"});
  bool admitted = false;
  within(
      kCallBound,
      [&] {
        try {
          limiter().acquire(request("key-cascade", 3, OnUnavailable::kBlock)).commit();
          admitted = true;
        } catch (const RateLimiterUnavailable&) {
        }
      },
      "acquire");
  EXPECT_EQ(proxy().stats().faults_applied, 1U);
  const std::int64_t child = stored_consumed("key-cascade");
  const std::int64_t parent = stored_consumed("project-1");
  EXPECT_EQ(child, parent);
  EXPECT_TRUE(child == 3 || (child == 0 && !admitted)) << "child " << child;
  if (admitted) {
    EXPECT_EQ(child, 3);
  }
}

TEST_P(FaultInjectionTest, BlackholedAdjustmentIsNotAppliedTwice) {
  Lease lease = limiter().acquire(request("key-adjust", 1));
  lease.adjust({{"rpm", 5}});
  proxy().set_fault(
      Fault{.mode = FaultMode::kBlackhole, .hits = 1, .match = "DynamoDB_20120810.UpdateItem"});
  within(
      kCallBound, [&] { EXPECT_THROW(lease.commit(), InfrastructureError); }, "commit");
  // The adjustment may have been applied; committing again (as the destructor would) must not
  // apply it a second time.
  within(
      kCallBound,
      [&] {
        try {
          lease.commit();
        } catch (const InfrastructureError&) {
        }
      },
      "commit again");
  { Lease ended = std::move(lease); }
  const std::int64_t stored = stored_consumed("key-adjust");
  EXPECT_TRUE(stored == 1 || stored == 6) << "stored consumption " << stored;
}

TEST_P(FaultInjectionTest, BlackholedRollbackIsReportedAndNotAppliedTwice) {
  acquire_ok("key-rollback", 1);
  Lease lease = limiter().acquire(request("key-rollback", 4));
  proxy().set_fault(
      Fault{.mode = FaultMode::kBlackhole, .hits = 1, .match = "DynamoDB_20120810.UpdateItem"});
  within(
      kCallBound, [&] { EXPECT_THROW(lease.rollback(), InfrastructureError); }, "rollback");
  EXPECT_FALSE(lease.is_active());
  { Lease ended = std::move(lease); }
  const std::int64_t stored = stored_consumed("key-rollback");
  EXPECT_TRUE(stored == 1 || stored == 5) << "stored consumption " << stored;
  acquire_ok("key-rollback", 1);
}

INSTANTIATE_TEST_SUITE_P(Transports, FaultInjectionTest,
                         ::testing::Values(Transport::kSocket, Transport::kCurl),
                         [](const auto& info) { return transport_name(info.param); });

}  // namespace
}  // namespace zae::test
