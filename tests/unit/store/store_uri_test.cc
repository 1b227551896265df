// SPDX-License-Identifier: MIT
#include "store/store_uri.h"

#include <chrono>
#include <string>
#include <variant>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zae/errors.h"

namespace zae {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Property;
using ::testing::Throws;

SqliteStoreUri sqlite(std::string_view uri) {
  return std::get<SqliteStoreUri>(parse_store_uri(uri));
}
DynamoDbStoreUri dynamodb(std::string_view uri) {
  return std::get<DynamoDbStoreUri>(parse_store_uri(uri));
}

// Matches the ValidationError every bad URI throws: field "store", the URI as value, and a
// reason containing `reason`.
auto StoreError(const std::string& uri, const std::string& reason) {
  return Throws<ValidationError>(AllOf(Property(&ValidationError::field, "store"),
                                       Property(&ValidationError::value, uri),
                                       Property(&ValidationError::reason, HasSubstr(reason))));
}

TEST(StoreUriTest, ParsesAbsoluteSqlitePath) {
  EXPECT_EQ(sqlite("sqlite:///var/lib/zae/limits.db"),
            (SqliteStoreUri{.path = "/var/lib/zae/limits.db"}));
}

TEST(StoreUriTest, ParsesRelativeSqlitePath) {
  EXPECT_EQ(sqlite("sqlite:data/limits.db").path, "data/limits.db");
  EXPECT_EQ(sqlite("sqlite:limits.db").path, "limits.db");
}

TEST(StoreUriTest, ParsesSingleSlashAsAbsolutePath) {
  EXPECT_EQ(sqlite("sqlite:/tmp/x.db").path, "/tmp/x.db");
}

TEST(StoreUriTest, ParsesInMemory) {
  const SqliteStoreUri parsed = sqlite("sqlite::memory:");
  EXPECT_TRUE(parsed.is_in_memory());
  EXPECT_FALSE(parsed.synchronous.has_value());
  EXPECT_FALSE(parsed.busy_timeout.has_value());
}

TEST(StoreUriTest, SchemeIsCaseInsensitive) {
  EXPECT_EQ(sqlite("SQLite:///a.db").path, "/a.db");
  EXPECT_EQ(dynamodb("DynamoDB://t").table_name, "t");
}

TEST(StoreUriTest, ParsesSqliteOptions) {
  const SqliteStoreUri parsed = sqlite("sqlite:///a.db?synchronous=full&busy_timeout_ms=250");
  EXPECT_EQ(parsed.synchronous, SqliteSynchronous::kFull);
  EXPECT_EQ(parsed.busy_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(sqlite("sqlite::memory:?synchronous=NORMAL").synchronous, SqliteSynchronous::kNormal);
  EXPECT_EQ(sqlite("sqlite:a.db?busy_timeout_ms=0").busy_timeout, std::chrono::milliseconds(0));
  EXPECT_EQ(sqlite("sqlite:a.db?wal_autocheckpoint=20000").wal_autocheckpoint, 20000);
  EXPECT_EQ(sqlite("sqlite:a.db?wal_autocheckpoint=0").wal_autocheckpoint, 0);
  EXPECT_FALSE(sqlite("sqlite:a.db").wal_autocheckpoint.has_value());
  EXPECT_EQ(sqlite("sqlite:a.db?locking=Exclusive").exclusive_locking, true);
  EXPECT_EQ(sqlite("sqlite:a.db?locking=shared").exclusive_locking, false);
  EXPECT_FALSE(sqlite("sqlite:a.db").exclusive_locking.has_value());
}

TEST(StoreUriTest, PercentDecodesPathAndValues) {
  EXPECT_EQ(sqlite("sqlite:///tmp/my%20limits%2Bv2.db").path, "/tmp/my limits+v2.db");
  EXPECT_EQ(sqlite("sqlite:a+b.db").path, "a+b.db");  // '+' is not a space in a path
  EXPECT_EQ(sqlite("sqlite:a.db?synchronous=%66ull").synchronous, SqliteSynchronous::kFull);
  EXPECT_EQ(dynamodb("dynamodb://t?endpoint=http%3A%2F%2Flocalhost%3A8000").endpoint,
            "http://localhost:8000");
}

TEST(StoreUriTest, ParsesDynamoDb) {
  EXPECT_EQ(dynamodb("dynamodb://rate-limits?region=eu-west-1&endpoint=http://localhost:8000"),
            (DynamoDbStoreUri{.table_name = "rate-limits",
                              .region = "eu-west-1",
                              .endpoint = "http://localhost:8000"}));
  EXPECT_EQ(dynamodb("dynamodb://rate-limits"), (DynamoDbStoreUri{.table_name = "rate-limits"}));
}

TEST(StoreUriTest, ParsesDynamoDbTimeoutsAttemptsAndTransport) {
  const DynamoDbStoreUri parsed = dynamodb(
      "dynamodb://t?endpoint=http://127.0.0.1:1&timeout_ms=250&connect_timeout_ms=100&"
      "max_attempts=2&transport=CURL");
  EXPECT_EQ(parsed.timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(parsed.connect_timeout, std::chrono::milliseconds(100));
  EXPECT_EQ(parsed.max_attempts, 2);
  EXPECT_EQ(parsed.transport, DynamoDbTransportKind::kCurl);
  EXPECT_EQ(dynamodb("dynamodb://t?transport=socket").transport, DynamoDbTransportKind::kSocket);
  for (const char* uri : {"dynamodb://t?timeout_ms=0", "dynamodb://t?timeout_ms=1s",
                          "dynamodb://t?connect_timeout_ms=-5", "dynamodb://t?max_attempts=0",
                          "dynamodb://t?max_attempts=101"}) {
    EXPECT_THAT([uri] { parse_store_uri(uri); }, StoreError(uri, "bad value"));
  }
  EXPECT_THAT([] { parse_store_uri("dynamodb://t?transport=grpc"); },
              StoreError("dynamodb://t?transport=grpc", "bad value 'grpc' for transport"));
}

TEST(StoreUriTest, RejectsUnknownScheme) {
  EXPECT_THAT(
      [] { parse_store_uri("redis://localhost"); },
      StoreError("redis://localhost", "unknown scheme 'redis' (expected sqlite or dynamodb)"));
}

TEST(StoreUriTest, RejectsMissingScheme) {
  EXPECT_THAT([] { parse_store_uri("/tmp/limits.db"); },
              StoreError("/tmp/limits.db", "missing scheme"));
  EXPECT_THAT([] { parse_store_uri(""); }, StoreError("", "missing scheme"));
  EXPECT_THAT([] { parse_store_uri(":memory:"); }, StoreError(":memory:", "missing scheme"));
}

TEST(StoreUriTest, RejectsMissingSqlitePath) {
  EXPECT_THAT([] { parse_store_uri("sqlite:"); }, StoreError("sqlite:", "missing path"));
  EXPECT_THAT([] { parse_store_uri("sqlite://"); }, StoreError("sqlite://", "missing path"));
  EXPECT_THAT([] { parse_store_uri("sqlite:///"); }, StoreError("sqlite:///", "missing path"));
  EXPECT_THAT([] { parse_store_uri("sqlite:?synchronous=full"); },
              StoreError("sqlite:?synchronous=full", "missing path"));
}

TEST(StoreUriTest, RejectsSqliteHost) {
  EXPECT_THAT([] { parse_store_uri("sqlite://server/a.db"); },
              StoreError("sqlite://server/a.db", "unexpected host 'server'"));
}

TEST(StoreUriTest, RejectsUnknownOption) {
  EXPECT_THAT([] { parse_store_uri("sqlite:a.db?journal=wal"); },
              StoreError("sqlite:a.db?journal=wal", "unknown option 'journal'"));
  EXPECT_THAT([] { parse_store_uri("dynamodb://t?profile=dev"); },
              StoreError("dynamodb://t?profile=dev", "unknown option 'profile'"));
}

TEST(StoreUriTest, RejectsBadValues) {
  EXPECT_THAT([] { parse_store_uri("sqlite:a.db?synchronous=off"); },
              StoreError("sqlite:a.db?synchronous=off", "bad value 'off' for synchronous"));
  for (const char* uri :
       {"sqlite:a.db?busy_timeout_ms=-1", "sqlite:a.db?busy_timeout_ms=1s",
        "sqlite:a.db?busy_timeout_ms=", "sqlite:a.db?busy_timeout_ms=9999999999"}) {
    EXPECT_THAT([uri] { parse_store_uri(uri); }, StoreError(uri, "for busy_timeout_ms"));
  }
  for (const char* uri : {"sqlite:a.db?wal_autocheckpoint=-1", "sqlite:a.db?wal_autocheckpoint=1k",
                          "sqlite:a.db?wal_autocheckpoint=1000001"}) {
    EXPECT_THAT([uri] { parse_store_uri(uri); }, StoreError(uri, "for wal_autocheckpoint"));
  }
  EXPECT_THAT([] { parse_store_uri("sqlite:a.db?locking=none"); },
              StoreError("sqlite:a.db?locking=none", "bad value 'none' for locking"));
  EXPECT_THAT([] { parse_store_uri("dynamodb://t?region="); },
              StoreError("dynamodb://t?region=", "bad value '' for region"));
}

TEST(StoreUriTest, RejectsOptionWithoutValueOrRepeated) {
  EXPECT_THAT([] { parse_store_uri("sqlite:a.db?synchronous"); },
              StoreError("sqlite:a.db?synchronous", "option 'synchronous' has no value"));
  EXPECT_THAT([] { parse_store_uri("sqlite:a.db?synchronous=full&synchronous=normal"); },
              StoreError("sqlite:a.db?synchronous=full&synchronous=normal",
                         "option 'synchronous' given twice"));
}

TEST(StoreUriTest, RejectsBadPercentEncoding) {
  EXPECT_THAT([] { parse_store_uri("sqlite:a%zz.db"); },
              StoreError("sqlite:a%zz.db", "bad percent-encoding in path"));
  EXPECT_THAT([] { parse_store_uri("sqlite:a.db%2"); },
              StoreError("sqlite:a.db%2", "bad percent-encoding in path"));
  EXPECT_THAT([] { parse_store_uri("sqlite:a%00.db"); },
              StoreError("sqlite:a%00.db", "path contains a NUL character"));
}

TEST(StoreUriTest, RejectsMalformedDynamoDb) {
  EXPECT_THAT([] { parse_store_uri("dynamodb:table"); },
              StoreError("dynamodb:table", "expected dynamodb://TABLE"));
  EXPECT_THAT([] { parse_store_uri("dynamodb://"); },
              StoreError("dynamodb://", "missing table name"));
  EXPECT_THAT([] { parse_store_uri("dynamodb://?region=us-east-1"); },
              StoreError("dynamodb://?region=us-east-1", "missing table name"));
  EXPECT_THAT([] { parse_store_uri("dynamodb://a/b"); },
              StoreError("dynamodb://a/b", "bad table name 'a/b'"));
}

// Found by tests/fuzz/store_uri_fuzz: the '/' check ran before percent-decoding.
TEST(StoreUriTest, RejectsPercentEncodedSlashInTableName) {
  EXPECT_THAT([] { parse_store_uri("dynamodb://a%2Fb"); },
              StoreError("dynamodb://a%2Fb", "bad table name 'a/b'"));
  EXPECT_THAT([] { parse_store_uri("dynamodb://a%2f?region=x"); },
              StoreError("dynamodb://a%2f?region=x", "bad table name 'a/'"));
}

TEST(PercentDecodeTest, DecodesAndRejects) {
  EXPECT_EQ(percent_decode("a%2fb%2F"), "a/b/");
  EXPECT_EQ(percent_decode(""), "");
  EXPECT_EQ(percent_decode("%"), std::nullopt);
  EXPECT_EQ(percent_decode("%4"), std::nullopt);
  EXPECT_EQ(percent_decode("%g0"), std::nullopt);
}

}  // namespace
}  // namespace zae
