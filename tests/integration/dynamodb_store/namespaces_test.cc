// SPDX-License-Identifier: MIT
// The namespace registry and DynamoDbConnection::open against DynamoDB Local
// (ZAE_TEST_DYNAMODB_ENDPOINT; skipped when unset): spec/behavior.md §9 (NS-2..NS-9), §10.2
// (RO-5) and §13 (VR-4 as spec/data-model.md Q27 adapts it). Each test uses its own table and
// keeps its writes few.
#include "dynamodb/namespaces.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zae/errors.h"

#include "aws/curl_transport.h"
#include "dynamodb/dynamodb_connection.h"
#include "dynamodb/items.h"
#include "dynamodb/keys.h"
#include "dynamodb/provisioning.h"

namespace zae::dynamodb {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Property;
using ::testing::Throws;

std::string unique_table_name(std::string_view what) {
  static std::atomic<int> counter{0};
  static const auto salt = std::random_device{}();
  return "zae-it-ns-" + std::string(what) + "-" + std::to_string(salt % 100000) + "-" +
         std::to_string(++counter);
}

std::vector<std::string> names_of(const std::vector<NamespaceRecord>& records) {
  std::vector<std::string> names;
  for (const auto& r : records) {
    names.push_back(r.namespace_name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

class NamespaceRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* endpoint = std::getenv("ZAE_TEST_DYNAMODB_ENDPOINT");
    if (endpoint == nullptr || *endpoint == '\0') {
      GTEST_SKIP() << "ZAE_TEST_DYNAMODB_ENDPOINT is not set (run under scripts/dynamodb-local.sh "
                      "run -- ...)";
    }
    client_ = std::make_shared<aws::DynamoDbClient>(aws::DynamoDbClientConfig{
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

  static ProvisionOptions options() {
    // DynamoDB Local 2.6 does not implement UpdateContinuousBackups.
    return ProvisionOptions{.table = {.point_in_time_recovery = false},
                            .updated_by = "cpp:test",
                            .now_seconds = [] { return std::int64_t{1771703012}; }};
  }

  // A provisioned table (version record and `default` included).
  std::string provisioned_table(std::string_view what) {
    tables_.push_back(unique_table_name(what));
    (void)provision_table(*client_, tables_.back(), options());
    return tables_.back();
  }

  std::string new_table_name(std::string_view what) {
    tables_.push_back(unique_table_name(what));
    return tables_.back();
  }

  NamespaceRegistry registry(const std::string& table) {
    return NamespaceRegistry(*client_, table,
                             {.now_seconds = [] { return std::int64_t{1771703100}; }});
  }

  bool exists(const std::string& table, const ItemKey& key) {
    return client_
        ->get_item({.table_name = table,
                    .key = key.to_attributes(),
                    .consistency = aws::ReadConsistency::kStrong})
        .item.has_value();
  }

  std::shared_ptr<aws::DynamoDbClient> client_;
  std::vector<std::string> tables_;
};

TEST_F(NamespaceRegistryTest, RegisterIsIdempotentIdsDifferAndListIncludesDefault) {
  const std::string table = provisioned_table("reg");
  NamespaceRegistry first = registry(table);
  const std::string a = first.register_namespace("tenant-a");
  // A second registry has an empty cache, so this goes to the table (NS-2 idempotency).
  NamespaceRegistry second = registry(table);
  EXPECT_EQ(second.register_namespace("tenant-a"), a);
  const std::string b = second.register_namespace("tenant-b");
  EXPECT_NE(a, b);
  EXPECT_TRUE(is_namespace_id(a));
  EXPECT_TRUE(is_namespace_id(b));
  EXPECT_EQ(names_of(second.list()), (std::vector<std::string>{"default", "tenant-a", "tenant-b"}));
  EXPECT_EQ(second.resolve("tenant-b"), b);
  EXPECT_EQ(second.resolve("nobody"), std::nullopt);
  ASSERT_TRUE(second.get("tenant-a").has_value());
  EXPECT_EQ(second.get("tenant-a")->status, "active");
  EXPECT_THAT([&] { (void)second.register_namespace("_"); }, Throws<ValidationError>());
}

TEST_F(NamespaceRegistryTest, DeleteRecoverAndReRegistration) {
  const std::string table = provisioned_table("life");
  NamespaceRegistry ns = registry(table);
  const std::string id = ns.register_namespace("tenant-a");

  EXPECT_TRUE(ns.delete_namespace("tenant-a"));
  EXPECT_EQ(ns.resolve("tenant-a"), std::nullopt);
  EXPECT_FALSE(ns.delete_namespace("tenant-a"));  // already gone: a no-op
  EXPECT_THAT(ns.list_orphans(), Contains(OrphanNamespace{.namespace_id = id,
                                                          .namespace_name = "tenant-a",
                                                          .deleted_at = "2026-02-21T19:45:00Z"}));

  EXPECT_EQ(ns.recover_namespace(id), "tenant-a");
  EXPECT_EQ(ns.resolve("tenant-a"), id);
  EXPECT_EQ(registry(table).resolve("tenant-a"), id);
  EXPECT_THAT(ns.list_orphans(), IsEmpty());
  EXPECT_THAT([&] { (void)ns.recover_namespace(id); },
              Throws<NamespaceStateError>(Property(&NamespaceStateError::state, "active")));
  EXPECT_THAT(
      [&] { (void)ns.recover_namespace("NoSuchIdXYZ"); },
      Throws<EntityNotFoundError>(Property(&EntityNotFoundError::entity_id, "NoSuchIdXYZ")));

  // Delete again, register the name anew: the old id can no longer take it back.
  EXPECT_TRUE(ns.delete_namespace("tenant-a"));
  const std::string fresh = ns.register_namespace("tenant-a");
  EXPECT_NE(fresh, id);
  EXPECT_THAT([&] { (void)ns.recover_namespace(id); },
              Throws<NamespaceStateError>(Property(&NamespaceStateError::state, "re-registered")));
  EXPECT_EQ(ns.resolve("tenant-a"), fresh);
}

TEST_F(NamespaceRegistryTest, PurgeDeletesEveryItemOfTheNamespaceAndNothingElse) {
  const std::string table = provisioned_table("purge");
  NamespaceRegistry ns = registry(table);
  const std::string a = ns.register_namespace("tenant-a");
  const std::string b = ns.register_namespace("tenant-b");

  const Entity entity{.id = "user-1", .name = "User", .created_at = "2026-01-01T00:00:00Z"};
  const BucketItem bucket{.entity_id = "user-1",
                          .resource = "gpt-4",
                          .refill_ms = 1771703012000,
                          .limits = {{.name = "rpm",
                                      .tokens_milli = 5000,
                                      .capacity_milli = 10000,
                                      .refill_amount_milli = 10000,
                                      .refill_period_ms = 60000}}};
  // The provisioner state carries GSI4PK but no GSI4SK (spec/data-model.md §2.3, Q13), so it is
  // not in the index; purge finds it by key.
  const aws::AttributeMap provisioner{
      {"PK", aws::AttributeValue::of_string(system_pk(a))},
      {"SK", aws::AttributeValue::of_string(std::string(kSkProvisioner))},
      {"GSI4PK", aws::AttributeValue::of_string(a)}};
  // Items of the namespace without any GSI4 attribute: purge finds them by key prefix.
  aws::AttributeMap bare_config = encode_system_config(a, {});
  bare_config.erase("GSI4PK");
  bare_config.erase("GSI4SK");
  aws::AttributeMap bare_bucket = encode_bucket(a, {.entity_id = "user-2",
                                                    .resource = "gpt-4",
                                                    .refill_ms = bucket.refill_ms,
                                                    .limits = bucket.limits});
  bare_bucket.erase("GSI4PK");
  bare_bucket.erase("GSI4SK");
  (void)client_->batch_write_item(
      {.request_items = {{table,
                          {aws::WriteRequest::put(encode_entity_meta(a, entity)),
                           aws::WriteRequest::put(encode_bucket(a, bucket)),
                           aws::WriteRequest::put(encode_system_config(a, {})),
                           aws::WriteRequest::put(provisioner),
                           aws::WriteRequest::put(encode_entity_meta(b, entity)),
                           aws::WriteRequest::put(encode_bucket(b, bucket))}}}});
  (void)client_->batch_write_item(
      {.request_items = {
           {table, {aws::WriteRequest::put(bare_bucket), aws::WriteRequest::put(bare_config)}}}});

  EXPECT_THAT([&] { (void)ns.purge_namespace(a); },
              Throws<NamespaceStateError>(Property(&NamespaceStateError::state, "active")));
  ASSERT_TRUE(ns.delete_namespace("tenant-a"));
  const PurgeResult result = ns.purge_namespace(a);
  EXPECT_TRUE(result.purged);
  EXPECT_GE(result.items_deleted, 5);

  const aws::QueryResult left = client_->query_all(
      {.table_name = table,
       .index_name = "GSI4",
       .key_condition_expression = "GSI4PK = :ns",
       .expression_attribute_values = {{":ns", aws::AttributeValue::of_string(a)}}});
  EXPECT_THAT(left.items, IsEmpty());
  EXPECT_FALSE(exists(table, entity_meta_key(a, "user-1")));
  EXPECT_FALSE(exists(table, bucket_key(a, "user-1", "gpt-4", 0)));
  EXPECT_FALSE(exists(table, system_config_key(a)));
  EXPECT_FALSE(exists(table, provisioner_key(a)));
  EXPECT_FALSE(exists(table, bucket_key(a, "user-2", "gpt-4", 0)));
  EXPECT_FALSE(exists(table, namespace_reverse_key(a)));
  // The other namespace and the registry are untouched.
  EXPECT_TRUE(exists(table, entity_meta_key(b, "user-1")));
  EXPECT_TRUE(exists(table, bucket_key(b, "user-1", "gpt-4", 0)));
  EXPECT_EQ(ns.resolve("tenant-b"), b);
  EXPECT_TRUE(exists(table, version_key()));
  EXPECT_THAT(ns.list_orphans(), IsEmpty());
  // Purging an unknown id is a no-op; recovering it is EntityNotFoundError.
  EXPECT_FALSE(ns.purge_namespace(a).purged);
  EXPECT_THAT([&] { (void)ns.recover_namespace(a); }, Throws<EntityNotFoundError>());
}

TEST_F(NamespaceRegistryTest, OpenProvisionsAMissingTableAndAcceptsAnExistingOne) {
  const std::string table = new_table_name("open");
  DynamoDbConnection connection(client_, {.provision = options()});
  const OpenedNamespace first = connection.open(table, "tenant-a");
  EXPECT_TRUE(first.table_created);
  EXPECT_TRUE(is_namespace_id(first.namespace_id));
  EXPECT_TRUE(exists(table, version_key()));
  EXPECT_EQ(read_version_record(*client_, table)->schema_version, "0.10.0");

  DynamoDbConnection other(client_, {.provision = options()});
  const OpenedNamespace again = other.open(table, "tenant-a");
  EXPECT_FALSE(again.table_created);
  EXPECT_EQ(again.namespace_id, first.namespace_id);
  EXPECT_EQ(names_of(other.namespaces(table).list()),
            (std::vector<std::string>{"default", "tenant-a"}));
  EXPECT_THAT([&] { (void)other.open(table, "_"); }, Throws<ValidationError>());
}

TEST_F(NamespaceRegistryTest, OpenRefusesAnIncompatibleVersionRecordAndKeepsIt) {
  const std::string table = provisioned_table("ver");
  const aws::AttributeMap newer = encode_version_record(
      {.schema_version = "1.0.0", .updated_at = "2026-01-01T00:00:00Z", .updated_by = "cli:1.0.0"});
  (void)client_->put_item({.table_name = table, .item = newer});
  DynamoDbConnection connection(client_, {.provision = options()});
  EXPECT_THAT(
      [&] { (void)connection.open(table, "default"); },
      Throws<IncompatibleSchemaError>(Property(&IncompatibleSchemaError::schema_version, "1.0.0")));
  EXPECT_EQ(read_version_record(*client_, table)->schema_version, "1.0.0");
}

TEST_F(NamespaceRegistryTest, OpenWithoutAutoProvisionReportsTheMissingTable) {
  DynamoDbConnection connection(client_, {.auto_provision = AutoProvision::kDisabled});
  EXPECT_THAT([&] { (void)connection.open(unique_table_name("none"), "default"); },
              Throws<InfrastructureNotFoundError>());
}

}  // namespace
}  // namespace zae::dynamodb
