// SPDX-License-Identifier: MIT
#include "zae/open_store.h"

#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include "zae/clock.h"
#include "zae/errors.h"
#include "zae/limit.h"
#include "zae/store.h"

namespace zae {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Property;
using ::testing::Throws;

// Sets an environment variable for the scope of a test and restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) {
      old_ = old;
    }
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(DefaultStoreUriTest, UsesXdgDataHome) {
  ScopedEnv xdg("XDG_DATA_HOME", "/srv/data/");
  EXPECT_EQ(default_store_uri(), "sqlite:///srv/data/zae-limiter/zae-limiter.db");
}

TEST(DefaultStoreUriTest, FallsBackToHomeLocalShare) {
  ScopedEnv xdg("XDG_DATA_HOME", nullptr);
  ScopedEnv home("HOME", "/home/ada");
  EXPECT_EQ(default_store_uri(), "sqlite:///home/ada/.local/share/zae-limiter/zae-limiter.db");
  ScopedEnv relative("XDG_DATA_HOME", "relative/dir");  // not absolute: ignored (XDG spec)
  EXPECT_EQ(default_store_uri(), "sqlite:///home/ada/.local/share/zae-limiter/zae-limiter.db");
}

TEST(DefaultStoreUriTest, WithoutHomeIsRelativeToTheWorkingDirectory) {
  ScopedEnv xdg("XDG_DATA_HOME", nullptr);
  ScopedEnv home("HOME", nullptr);
  EXPECT_EQ(default_store_uri(), "sqlite:./.local/share/zae-limiter/zae-limiter.db");
}

TEST(DefaultStoreUriTest, EscapesCharactersOfTheUriGrammar) {
  ScopedEnv xdg("XDG_DATA_HOME", "/tmp/100%?x");
  EXPECT_EQ(default_store_uri(), "sqlite:///tmp/100%25%3Fx/zae-limiter/zae-limiter.db");
}

TEST(OpenStoreTest, RejectsABadUri) {
  EXPECT_THAT([] { open_store("mysql://db"); },
              Throws<ValidationError>(AllOf(Property(&ValidationError::field, "store"),
                                            Property(&ValidationError::value, "mysql://db"))));
}

TEST(OpenStoreTest, DynamoDbIsBuiltIn) {
  EXPECT_THAT(available_store_schemes(), ElementsAre("sqlite", "dynamodb"));
}

TEST(OpenStoreTest, DynamoDbNamesAnInvalidTable) {
  EXPECT_THAT([] { open_store("dynamodb://no%20spaces?endpoint=http://127.0.0.1:1"); },
              Throws<ValidationError>());
}

TEST(OpenStoreTest, UnreachableDynamoDbIsAnInfrastructureError) {
  setenv("AWS_ACCESS_KEY_ID", "local", /*overwrite=*/0);
  setenv("AWS_SECRET_ACCESS_KEY", "local", /*overwrite=*/0);
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  EXPECT_THAT(
      [] { open_store("dynamodb://limits?region=eu-west-1&endpoint=http://127.0.0.1:1"); },
      Throws<InfrastructureError>(Property(&InfrastructureError::what, HasSubstr("limits"))));
}

TEST(OpenStoreTest, OpensSqliteStoresWithOptions) {
  std::string directory = (std::filesystem::temp_directory_path() / "zae-open-XXXXXX").string();
  ASSERT_NE(mkdtemp(directory.data()), nullptr);
  const std::filesystem::path previous = std::filesystem::current_path();
  std::filesystem::current_path(directory);
  {
    std::unique_ptr<Store> relative =
        open_store("sqlite:sub/relative.db?synchronous=full&busy_timeout_ms=100",
                   {.namespace_name = "tenant-a"});
    EXPECT_EQ(relative->namespace_name(), "tenant-a");
    EXPECT_TRUE(std::filesystem::exists(directory + "/sub/relative.db"));
    std::unique_ptr<Store> absolute = open_store("sqlite://" + directory + "/abs%20path.db");
    EXPECT_TRUE(std::filesystem::exists(directory + "/abs path.db"));
    EXPECT_TRUE(open_store("sqlite::memory:")->is_available());
  }
  std::filesystem::current_path(previous);
  std::error_code ignored;
  std::filesystem::remove_all(directory, ignored);
}

// The option reaches the connections: with checkpoints off the WAL keeps every commit's frame;
// with a checkpoint every 8 pages it is rewritten from its start and stays a few frames long.
TEST(OpenStoreTest, WalAutocheckpointOptionControlsTheWalLength) {
  std::string directory = (std::filesystem::temp_directory_path() / "zae-wal-XXXXXX").string();
  ASSERT_NE(mkdtemp(directory.data()), nullptr);
  const auto wal_bytes_after_commits = [&](const std::string& name, const std::string& option) {
    const std::string path = directory + "/" + name;
    std::unique_ptr<Store> store = open_store("sqlite://" + path + option);
    const TimePoint now = SystemClock::instance().now();
    ConsumeRequest request{.target = {.entity_id = "wal-key",
                                      .resource = "api",
                                      .limits = {Limit::per_second("rps", 1'000'000)},
                                      .source = LimitSource::kResource},
                           .parent = std::nullopt,
                           .amounts = {{"rps", 1}},
                           .now = now};
    for (int i = 0; i < 200; ++i) {
      request.now = now + std::chrono::milliseconds(i);
      EXPECT_EQ(store->consume(request).kind, ConsumeResult::Kind::kAdmitted);
    }
    return std::filesystem::file_size(path + "-wal");
  };
  // A frame is a 1 KiB page plus its 24-byte header.
  EXPECT_GE(wal_bytes_after_commits("off.db", "?wal_autocheckpoint=0"), 200u * 1048u);
  EXPECT_LT(wal_bytes_after_commits("eight.db", "?wal_autocheckpoint=8"), 40u * 1048u);
  std::error_code ignored;
  std::filesystem::remove_all(directory, ignored);
}

// locking=exclusive: the store owns the file from its opening to its end; its threads share it;
// any other store, of this process or another, is locked out with a clear error meanwhile.
TEST(OpenStoreTest, ExclusiveLockingOwnsTheFileUntilTheStoreCloses) {
  std::string directory = (std::filesystem::temp_directory_path() / "zae-excl-XXXXXX").string();
  ASSERT_NE(mkdtemp(directory.data()), nullptr);
  const std::string path = directory + "/owned.db";
  const TimePoint now = SystemClock::instance().now();
  const ConsumeRequest request{.target = {.entity_id = "excl-key",
                                          .resource = "api",
                                          .limits = {Limit::per_second("rps", 1'000'000)},
                                          .source = LimitSource::kResource},
                               .parent = std::nullopt,
                               .amounts = {{"rps", 1}},
                               .now = now};
  {
    std::unique_ptr<Store> owner = open_store("sqlite://" + path + "?locking=exclusive");
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 50; ++i) {
          EXPECT_EQ(owner->consume(request).kind, ConsumeResult::Kind::kAdmitted);
        }
      });
    }
    for (std::thread& thread : threads) {
      thread.join();
    }
    const std::optional<BucketState> bucket = owner->get_bucket("excl-key", "api");
    ASSERT_TRUE(bucket.has_value());
    ASSERT_EQ(bucket->limits.size(), 1u);
    EXPECT_EQ(bucket->limits[0].total_consumed_milli, 200'000);
    for (const char* options : {"?busy_timeout_ms=50", "?locking=exclusive&busy_timeout_ms=50"}) {
      EXPECT_THAT([&] { open_store("sqlite://" + path + options); },
                  Throws<InfrastructureError>(Property(&InfrastructureError::what,
                                                       AllOf(HasSubstr(path), HasSubstr("locked")))))
          << options;
    }
  }
  // Released with the owner: a shared store opens and sees every decision.
  std::unique_ptr<Store> shared = open_store("sqlite://" + path);
  EXPECT_EQ(shared->get_bucket("excl-key", "api")->limits[0].total_consumed_milli, 200'000);
  shared.reset();
  std::error_code ignored;
  std::filesystem::remove_all(directory, ignored);
}

}  // namespace
}  // namespace zae
