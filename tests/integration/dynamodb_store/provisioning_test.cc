// SPDX-License-Identifier: MIT
// Provisioning against DynamoDB Local (ZAE_TEST_DYNAMODB_ENDPOINT; skipped when unset): the
// table as DescribeTable reports it, compared attribute by attribute with spec/data-model.md §1,
// and the version record and `default` namespace as raw items (§6.1-§6.3).
#include "dynamodb/provisioning.h"

#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/curl_transport.h"
#include "aws/json.h"

namespace zae::dynamodb {
namespace {

using aws::AttributeMap;
using aws::AttributeValue;

// A small JSON tree, so the test reads DescribeTable's raw answer rather than the client's
// (partial) model of it.
struct Json {
  std::variant<std::nullptr_t, bool, std::string, std::vector<Json>, std::map<std::string, Json>>
      value;
  const Json& operator[](const std::string& key) const {
    static const Json kMissing{nullptr};
    const auto* object = std::get_if<std::map<std::string, Json>>(&value);
    if (object == nullptr) {
      return kMissing;
    }
    auto it = object->find(key);
    return it == object->end() ? kMissing : it->second;
  }
  const std::vector<Json>& array() const { return std::get<std::vector<Json>>(value); }
  const std::string& str() const { return std::get<std::string>(value); }
  bool boolean() const { return std::get<bool>(value); }
  bool is_missing() const { return std::holds_alternative<std::nullptr_t>(value); }
};

Json parse_json(aws::JsonReader& r) {
  switch (r.peek()) {
    case aws::JsonType::kObject: {
      std::map<std::string, Json> object;
      r.enter_object();
      while (auto key = r.next_key()) {
        std::string name(*key);
        object.emplace(std::move(name), parse_json(r));
      }
      return Json{std::move(object)};
    }
    case aws::JsonType::kArray: {
      std::vector<Json> array;
      r.enter_array();
      while (r.next_element()) {
        array.push_back(parse_json(r));
      }
      return Json{std::move(array)};
    }
    case aws::JsonType::kString:
      return Json{std::string(r.read_string())};
    case aws::JsonType::kNumber:
      return Json{std::string(r.read_number())};
    case aws::JsonType::kBool:
      return Json{r.read_bool()};
    case aws::JsonType::kNull:
      r.read_null();
      return Json{nullptr};
  }
  return Json{nullptr};
}

// [{"AttributeName": a, "KeyType": t}, ...] as "a:t" strings.
std::vector<std::string> key_schema(const Json& schema) {
  std::vector<std::string> out;
  for (const Json& e : schema.array()) {
    out.push_back(e["AttributeName"].str() + ":" + e["KeyType"].str());
  }
  return out;
}

// name -> "hash:HASH range:RANGE projection" for each index.
std::map<std::string, std::string> indexes(const Json& list) {
  std::map<std::string, std::string> out;
  for (const Json& index : list.array()) {
    std::string text;
    for (const std::string& k : key_schema(index["KeySchema"])) {
      text += k + " ";
    }
    text += index["Projection"]["ProjectionType"].str();
    if (!index["Projection"]["NonKeyAttributes"].is_missing()) {
      text += " +non-key";
    }
    out.emplace(index["IndexName"].str(), text);
  }
  return out;
}

AttributeValue S(std::string v) { return AttributeValue::of_string(std::move(v)); }

std::string unique_table_name(std::string_view what) {
  static std::atomic<int> counter{0};
  static const auto salt = std::random_device{}();
  return "zae-it-" + std::string(what) + "-" + std::to_string(salt % 100000) + "-" +
         std::to_string(++counter);
}

class ProvisioningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* endpoint = std::getenv("ZAE_TEST_DYNAMODB_ENDPOINT");
    if (endpoint == nullptr || *endpoint == '\0') {
      GTEST_SKIP() << "ZAE_TEST_DYNAMODB_ENDPOINT is not set (run under scripts/dynamodb-local.sh "
                      "run -- ...)";
    }
    client_ = std::make_unique<aws::DynamoDbClient>(aws::DynamoDbClientConfig{
        .endpoint = endpoint,
        .region = "us-east-1",
        .credentials = aws::static_credentials({"local", "local", ""}),
        .transport = std::make_shared<aws::CurlTransport>(),
    });
  }

  void TearDown() override {
    for (const auto& table : tables_) {
      try {
        (void)delete_table(*client_, table);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "cleanup of " << table << ": " << e.what();
      }
    }
  }

  std::string new_table(std::string_view what) {
    tables_.push_back(unique_table_name(what));
    return tables_.back();
  }

  Json raw_describe(const std::string& table) {
    const std::string body =
        client_->invoke(aws::DynamoDbClient::Api::kDynamoDb, "DescribeTable",
                        R"({"TableName":")" + table + R"("})", aws::Idempotency::kIdempotent);
    aws::JsonReader reader(body);
    return parse_json(reader)["Table"];
  }

  std::optional<AttributeMap> raw_get(const std::string& table, const ItemKey& key) {
    return client_
        ->get_item({.table_name = table,
                    .key = key.to_attributes(),
                    .consistency = aws::ReadConsistency::kStrong})
        .item;
  }

  static ProvisionOptions options() {
    // DynamoDB Local 2.6 does not implement UpdateContinuousBackups (UnknownOperationException).
    return ProvisionOptions{.table = {.point_in_time_recovery = false},
                            .updated_by = "cpp:test",
                            .now_seconds = [] { return std::int64_t{1771703012}; }};
  }

  std::unique_ptr<aws::DynamoDbClient> client_;
  std::vector<std::string> tables_;
};

TEST_F(ProvisioningTest, CreatesTheTableExactlyAsSpecified) {
  const std::string table = new_table("shape");
  const ProvisionResult result = provision_table(*client_, table, options());
  EXPECT_TRUE(result.table_created);
  EXPECT_EQ(result.table.table_status, "ACTIVE");

  const Json t = raw_describe(table);
  EXPECT_EQ(t["TableStatus"].str(), "ACTIVE");
  // spec/data-model.md §1.2.
  std::vector<std::string> definitions;
  for (const Json& d : t["AttributeDefinitions"].array()) {
    definitions.push_back(d["AttributeName"].str() + ":" + d["AttributeType"].str());
  }
  EXPECT_THAT(definitions, ::testing::UnorderedElementsAre(
                               "PK:S", "SK:S", "GSI1PK:S", "GSI1SK:S", "GSI2PK:S", "GSI2SK:S",
                               "GSI3PK:S", "GSI3SK:S", "GSI4PK:S", "GSI4SK:S", "LSI1SK:S",
                               "LSI2SK:S", "LSI3SK:S", "LSI4SK:S", "LSI5SK:S"));
  EXPECT_EQ(key_schema(t["KeySchema"]), (std::vector<std::string>{"PK:HASH", "SK:RANGE"}));
  // spec/data-model.md §1.3.
  EXPECT_EQ(indexes(t["GlobalSecondaryIndexes"]),
            (std::map<std::string, std::string>{{"GSI1", "GSI1PK:HASH GSI1SK:RANGE ALL"},
                                                {"GSI2", "GSI2PK:HASH GSI2SK:RANGE ALL"},
                                                {"GSI3", "GSI3PK:HASH GSI3SK:RANGE KEYS_ONLY"},
                                                {"GSI4", "GSI4PK:HASH GSI4SK:RANGE KEYS_ONLY"}}));
  // spec/data-model.md §1.4.
  EXPECT_EQ(indexes(t["LocalSecondaryIndexes"]),
            (std::map<std::string, std::string>{{"LSI1", "PK:HASH LSI1SK:RANGE ALL"},
                                                {"LSI2", "PK:HASH LSI2SK:RANGE KEYS_ONLY"},
                                                {"LSI3", "PK:HASH LSI3SK:RANGE ALL"},
                                                {"LSI4", "PK:HASH LSI4SK:RANGE KEYS_ONLY"},
                                                {"LSI5", "PK:HASH LSI5SK:RANGE ALL"}}));
  // spec/data-model.md §1.5.
  EXPECT_TRUE(t["StreamSpecification"]["StreamEnabled"].boolean());
  EXPECT_EQ(t["StreamSpecification"]["StreamViewType"].str(), "NEW_AND_OLD_IMAGES");
  EXPECT_EQ(t["BillingModeSummary"]["BillingMode"].str(), "PAY_PER_REQUEST");
  const aws::TimeToLiveDescription ttl = client_->describe_time_to_live(table);
  EXPECT_EQ(ttl.attribute_name, "ttl");
  EXPECT_THAT(ttl.status, ::testing::AnyOf("ENABLED", "ENABLING"));

  // spec/data-model.md §6.3 with the Q27 values.
  const AttributeMap version{{"PK", S("_/SYSTEM#")},
                             {"SK", S("#VERSION")},
                             {"schema_version", S("0.10.0")},
                             {"client_min_version", S("0.0.0")},
                             {"updated_at", S("2026-02-21T19:43:32Z")},
                             {"lambda_version", AttributeValue::null()},
                             {"updated_by", S("cpp:test")},
                             {"GSI4PK", S("_")},
                             {"GSI4SK", S("_/SYSTEM#")}};
  EXPECT_EQ(raw_get(table, version_key()), version);
  EXPECT_TRUE(result.version_record_written);

  // spec/data-model.md §6.1-§6.2: the default namespace, forward and reverse.
  const std::string& id = result.default_namespace_id;
  EXPECT_TRUE(is_namespace_id(id)) << id;
  auto namespace_item = [&](std::string sk) {
    return AttributeMap{{"PK", S("_/SYSTEM#")},  {"SK", S(std::move(sk))},
                        {"namespace_id", S(id)}, {"namespace_name", S("default")},
                        {"status", S("active")}, {"created_at", S("2026-02-21T19:43:32Z")},
                        {"GSI4PK", S("_")},      {"GSI4SK", S("_/SYSTEM#")}};
  };
  EXPECT_EQ(raw_get(table, namespace_forward_key("default")), namespace_item("#NAMESPACE#default"));
  EXPECT_EQ(raw_get(table, namespace_reverse_key(id)), namespace_item("#NSID#" + id));

  // Idempotent: the existing table is accepted, nothing is overwritten.
  ProvisionOptions later = options();
  later.now_seconds = [] { return std::int64_t{1771800000}; };
  const ProvisionResult again = provision_table(*client_, table, later);
  EXPECT_FALSE(again.table_created);
  EXPECT_FALSE(again.version_record_written);
  EXPECT_EQ(again.default_namespace_id, id);
  EXPECT_EQ(raw_get(table, version_key()), version);
  EXPECT_EQ(read_version_record(*client_, table)->schema_version, "0.10.0");

  // Delete, then describe finds nothing.
  EXPECT_TRUE(delete_table(*client_, table));
  EXPECT_EQ(describe_table(*client_, table), std::nullopt);
  EXPECT_FALSE(delete_table(*client_, table));
  tables_.clear();
}

TEST_F(ProvisioningTest, RegisterNamespaceIsIdempotentAndRefusesTheReservedName) {
  const std::string table = new_table("ns");
  const ProvisionResult result = provision_table(*client_, table, options());

  const std::string tenant = register_namespace(*client_, table, "tenant-a", "2026-02-21T19:43:32Z",
                                                system_random_namespace_bytes);
  EXPECT_TRUE(is_namespace_id(tenant));
  EXPECT_NE(tenant, result.default_namespace_id);
  EXPECT_EQ(register_namespace(*client_, table, "tenant-a", "2026-02-22T00:00:00Z",
                               system_random_namespace_bytes),
            tenant);
  EXPECT_EQ(read_namespace(*client_, table, "tenant-a")->created_at, "2026-02-21T19:43:32Z");
  EXPECT_EQ(read_namespace(*client_, table, "missing"), std::nullopt);
  EXPECT_THROW((void)register_namespace(*client_, table, "_", "2026-02-21T19:43:32Z",
                                        system_random_namespace_bytes),
               ValidationError);
}

TEST_F(ProvisioningTest, DeletionProtectionBlocksDeleteUntilDisabled) {
  const std::string table = new_table("dp");
  ProvisionOptions o = options();
  o.table.deletion_protection = true;
  (void)provision_table(*client_, table, o);
  EXPECT_TRUE(raw_describe(table)["DeletionProtectionEnabled"].boolean());
  try {
    (void)delete_table(*client_, table);
    ADD_FAILURE() << "a protected table was deleted";
  } catch (const aws::ServiceError& e) {
    EXPECT_EQ(e.code(), "ValidationException") << e.what();
  }
  set_deletion_protection(*client_, table, DeletionProtection::kDisabled);
  EXPECT_FALSE(raw_describe(table)["DeletionProtectionEnabled"].boolean());
}

TEST_F(ProvisioningTest, RejectsInvalidTableNameBeforeAnyRequest) {
  EXPECT_THROW((void)provision_table(*client_, "rate_limits"), ValidationError);
}

}  // namespace
}  // namespace zae::dynamodb
