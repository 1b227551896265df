// SPDX-License-Identifier: MIT
// SqliteStore specifics beyond the backend-neutral conformance suite: the file it creates, its
// schema version, namespaces, and how SQLite failures surface.

#include "sqlite/sqlite_store.h"

#include <filesystem>
#include <string>
#include <system_error>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "zae/errors.h"
#include "zae/limit.h"

#include "support/fake_clock.h"

namespace zae::sqlite {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Property;
using ::testing::Throws;
using namespace std::chrono_literals;

// Direct access to the database file, for setting up and inspecting what the store wrote.
class RawDatabase {
 public:
  explicit RawDatabase(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }
  ~RawDatabase() { sqlite3_close(db_); }
  void exec(const std::string& sql) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << sql << ": " << (error != nullptr ? error : "");
    sqlite3_free(error);
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    std::string value;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* column = sqlite3_column_text(stmt, 0);
      value = column != nullptr ? reinterpret_cast<const char*>(column) : "";
    }
    sqlite3_finalize(stmt);
    return value;
  }

 private:
  sqlite3* db_ = nullptr;
};

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "zae-sqlite-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    directory_ = pattern;
    path_ = directory_ + "/limits.db";
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }

  std::unique_ptr<SqliteStore> open(std::string namespace_name = "default") {
    return SqliteStore::open(
        {.path = path_, .namespace_name = std::move(namespace_name), .clock = &clock_});
  }

  ConsumeRequest request(std::string entity_id, std::int64_t amount,
                         LimitSource source = LimitSource::kOverride) {
    return ConsumeRequest{.target = {.entity_id = std::move(entity_id),
                                     .resource = "api",
                                     .limits = {Limit::per_minute("rpm", 10)},
                                     .source = source},
                          .parent = std::nullopt,
                          .amounts = {{"rpm", amount}},
                          .now = clock_.now()};
  }

  test::FakeClock clock_;
  std::string directory_;
  std::string path_;
};

TEST_F(SqliteStoreTest, CreatesTheFileAndItsDirectoriesInWalMode) {
  path_ = directory_ + "/nested/deeper/limits.db";
  std::unique_ptr<SqliteStore> store = open();
  EXPECT_TRUE(std::filesystem::exists(path_));
  EXPECT_EQ(store->describe(), path_);
  RawDatabase raw(path_);
  EXPECT_EQ(raw.text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.text("PRAGMA page_size"), "1024");
  EXPECT_EQ(raw.text("SELECT version FROM zae_schema"), "1");
}

TEST_F(SqliteStoreTest, KeepsDataAcrossOpens) {
  open()->consume(request("key-1", 3));
  std::unique_ptr<SqliteStore> reopened = open();
  const std::optional<BucketState> bucket = reopened->get_bucket("key-1", "api");
  ASSERT_TRUE(bucket.has_value());
  EXPECT_EQ(bucket->limits[0].tokens_milli, 7000);
}

TEST_F(SqliteStoreTest, RefusesADatabaseFromANewerSchema) {
  open();
  RawDatabase(path_).exec("UPDATE zae_schema SET version = 99");
  EXPECT_THAT([&] { open(); },
              Throws<IncompatibleSchemaError>(AllOf(
                  Property(&IncompatibleSchemaError::schema_version, "99"),
                  Property(&IncompatibleSchemaError::client_version, "1"),
                  Property(&IncompatibleSchemaError::what, HasSubstr("Upgrade zae-limiter")))));
}

TEST_F(SqliteStoreTest, RegistersNamespacesWithOpaqueIds) {
  const std::string alpha = open("alpha")->namespace_id();
  EXPECT_THAT(alpha, MatchesRegex("[A-Za-z0-9_][A-Za-z0-9_-]{10}"));  // NS-1
  EXPECT_EQ(open("alpha")->namespace_id(), alpha);
  EXPECT_NE(open("beta")->namespace_id(), alpha);
  EXPECT_EQ(RawDatabase(path_).text("SELECT count(*) FROM namespaces"), "2");
}

TEST_F(SqliteStoreTest, RejectsReservedAndEmptyNamespaces) {
  for (const char* name : {"_", ""}) {
    EXPECT_THAT([&] { open(name); },
                Throws<ValidationError>(Property(&ValidationError::field, "namespace")))
        << name;
  }
}

TEST_F(SqliteStoreTest, ABusyDatabaseIsATransientError) {
  std::unique_ptr<SqliteStore> store = SqliteStore::open(
      {.path = path_, .busy_timeout = std::chrono::milliseconds(50), .clock = &clock_});
  RawDatabase other(path_);
  other.exec("BEGIN IMMEDIATE");
  EXPECT_THAT(
      [&] { store->consume(request("key-1", 1)); },
      Throws<InfrastructureError>(AllOf(Property(&InfrastructureError::is_transient, true),
                                        Property(&InfrastructureError::what, HasSubstr(path_)))));
  other.exec("ROLLBACK");
  EXPECT_EQ(store->consume(request("key-1", 1)).kind, ConsumeResult::Kind::kAdmitted);
}

TEST_F(SqliteStoreTest, ACorruptBucketRowIsAnInfrastructureError) {
  std::unique_ptr<SqliteStore> store = open();
  store->consume(request("key-1", 1));
  RawDatabase(path_).exec("UPDATE buckets SET limits = 'rpm:garbage'");
  EXPECT_THAT([&] { store->consume(request("key-1", 1)); },
              Throws<InfrastructureError>(Property(&InfrastructureError::is_transient, false)));
  EXPECT_THROW(store->get_bucket("key-1", "api"), InfrastructureError);
}

TEST_F(SqliteStoreTest, RemovesExpiredRowsWhenOpened) {
  open()->consume(request("key-1", 1, LimitSource::kResource));  // ttl 420 s
  open()->consume(request("key-2", 1, LimitSource::kEntity));    // no ttl
  clock_.advance(421s);
  open();
  RawDatabase raw(path_);
  EXPECT_EQ(raw.text("SELECT group_concat(entity_id) FROM buckets"), "key-2");
}

TEST_F(SqliteStoreTest, InMemoryStoresArePrivate) {
  std::unique_ptr<SqliteStore> first = SqliteStore::open({.path = ":memory:", .clock = &clock_});
  std::unique_ptr<SqliteStore> second = SqliteStore::open({.path = ":memory:", .clock = &clock_});
  first->consume(request("key-1", 1));
  EXPECT_TRUE(first->get_bucket("key-1", "api").has_value());
  EXPECT_EQ(second->get_bucket("key-1", "api"), std::nullopt);
  EXPECT_TRUE(first->is_available());
}

// consume keeps the rows it wrote with its connection and reuses them while the database's data
// version is unchanged; every commit by anyone else, and every other write of its own, must
// make it read the row again.
TEST_F(SqliteStoreTest, ConsumeSeesWhatOtherConnectionsCommitted) {
  std::unique_ptr<SqliteStore> first = open();
  std::unique_ptr<SqliteStore> second = open();
  ASSERT_EQ(first->consume(request("key-1", 1)).kind, ConsumeResult::Kind::kAdmitted);
  ASSERT_EQ(first->consume(request("key-1", 1)).kind, ConsumeResult::Kind::kAdmitted);  // cached
  ASSERT_EQ(second->consume(request("key-1", 7)).kind, ConsumeResult::Kind::kAdmitted);
  // 10 - 1 - 1 - 7 = 1 left: a stale row would admit 2.
  EXPECT_EQ(first->consume(request("key-1", 2)).kind, ConsumeResult::Kind::kRejected);
  EXPECT_EQ(first->consume(request("key-1", 1)).kind, ConsumeResult::Kind::kAdmitted);
  EXPECT_EQ(second->consume(request("key-1", 1)).kind, ConsumeResult::Kind::kRejected);

  // A write by a plain SQLite connection (another process, another build) counts the same.
  RawDatabase(path_).exec("DELETE FROM buckets");
  EXPECT_EQ(first->consume(request("key-1", 10)).kind, ConsumeResult::Kind::kAdmitted);
  const std::optional<BucketState> bucket = second->get_bucket("key-1", "api");
  ASSERT_TRUE(bucket.has_value());
  EXPECT_EQ(bucket->limits.at(0).tokens_milli, 0);
  EXPECT_EQ(bucket->limits.at(0).total_consumed_milli, 10'000);
}

TEST_F(SqliteStoreTest, ConsumeSeesTheStoresOwnOtherWrites) {
  std::unique_ptr<SqliteStore> store = open();
  ASSERT_EQ(store->consume(request("key-1", 5)).kind, ConsumeResult::Kind::kAdmitted);
  // Twice the same bucket in one call: the second delta continues from the first.
  const std::vector<BucketDelta> deltas = {
      {.entity_id = "key-1", .resource = "api", .shard = 0, .tokens_milli = {{"rpm", 3'000}}},
      {.entity_id = "key-1", .resource = "api", .shard = 0, .tokens_milli = {{"rpm", 1'000}}}};
  store->apply_deltas(deltas, clock_.now());
  EXPECT_EQ(store->get_bucket("key-1", "api")->limits.at(0).tokens_milli, 1'000);
  // 10 - 5 - 3 - 1 = 1 left.
  EXPECT_EQ(store->consume(request("key-1", 2)).kind, ConsumeResult::Kind::kRejected);
  EXPECT_EQ(store->consume(request("key-1", 1)).kind, ConsumeResult::Kind::kAdmitted);

  // Deleting the entity deletes its buckets: the next consume starts from a full bucket.
  store->delete_entity("key-1", std::nullopt, clock_.now());
  EXPECT_EQ(store->consume(request("key-1", 10)).kind, ConsumeResult::Kind::kAdmitted);
}

}  // namespace
}  // namespace zae::sqlite
