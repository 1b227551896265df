// SPDX-License-Identifier: MIT
// The aggregator's walk over stream shards against a fake DynamoDB and Streams service (an
// HttpTransport answering by X-Amz-Target): pagination of DescribeStream, a parent read to its
// end before its child, closed shards, checkpoints resumed with AFTER_SEQUENCE_NUMBER, and an
// expired iterator reopened from the checkpoint without applying anything twice.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "aggregator/aggregator.h"
#include "support/fake_clock.h"

namespace zae::aggregator {
namespace {

using aws::HttpRequest;
using aws::HttpResponse;

std::string header(const HttpRequest& r, std::string_view name) {
  for (const auto& h : r.headers) {
    if (h.name == name) {
      return h.value;
    }
  }
  return {};
}

// The text after `key` up to the next '"' in `body` ("" when absent).
std::string after(const std::string& body, const std::string& key, std::size_t from = 0) {
  const std::size_t at = body.find(key, from);
  if (at == std::string::npos) {
    return {};
  }
  const std::size_t start = at + key.size();
  return body.substr(start, body.find('"', start) - start);
}

struct FakeShard {
  std::string id;
  std::string parent;
  std::vector<std::string> sequence_numbers;
  bool closed = false;
};

// One bucket MODIFY record consuming 1 rpm token (tc n-1 -> n tokens).
std::string record_json(const std::string& seq, int n) {
  const auto image = [](int tc) {
    return fmt::format(
        R"({{"PK":{{"S":"ns1/BUCKET#e1#gpt-4#0"}},"SK":{{"S":"#STATE"}},"entity_id":{{"S":"e1"}},)"
        R"("resource":{{"S":"gpt-4"}},"rf":{{"N":"1000"}},"b_rpm_tk":{{"N":"{}"}},)"
        R"("b_rpm_cp":{{"N":"1000000"}},"b_rpm_ra":{{"N":"1000000"}},"b_rpm_rp":{{"N":"60000"}},)"
        R"("b_rpm_tc":{{"N":"{}"}}}})",
        1'000'000 - tc * 1000, tc * 1000);
  };
  return fmt::format(
      R"({{"eventID":"{}","eventName":"MODIFY","dynamodb":{{"ApproximateCreationDateTime":1.7E9,)"
      R"("Keys":{{}},"NewImage":{},"OldImage":{},"SequenceNumber":"{}","SizeBytes":1,)"
      R"("StreamViewType":"NEW_AND_OLD_IMAGES"}}}})",
      seq, image(n), image(n - 1), seq);
}

class FakeStreamService final : public aws::HttpTransport {
 public:
  explicit FakeStreamService(std::vector<FakeShard> shards) : shards_(std::move(shards)) {}

  HttpResponse send(const HttpRequest& request) override {
    std::lock_guard lock(mutex_);
    const std::string target = header(request, "X-Amz-Target");
    const std::string op = target.substr(target.find('.') + 1);
    calls.push_back(op);
    const std::string& body = request.body;
    if (op == "DescribeTable") {
      return ok(
          R"({"Table":{"TableName":"t","TableStatus":"ACTIVE","LatestStreamArn":"arn:s",)"
          R"("StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}}})");
    }
    if (op == "DescribeStream") {
      // One shard per page, to exercise LastEvaluatedShardId.
      const std::string start = after(body, R"("ExclusiveStartShardId":")");
      std::size_t i = 0;
      if (!start.empty()) {
        while (i < shards_.size() && shards_[i].id != start) {
          ++i;
        }
        ++i;
      }
      std::string shard;
      std::string last;
      if (i < shards_.size()) {
        const FakeShard& s = shards_[i];
        shard = fmt::format(
            R"({{"ShardId":"{}",{}"SequenceNumberRange":{{"StartingSequenceNumber":"{}"{}}}}})",
            s.id, s.parent.empty() ? "" : R"("ParentShardId":")" + s.parent + "\",",
            s.sequence_numbers.front(),
            s.closed ? R"(,"EndingSequenceNumber":")" + s.sequence_numbers.back() + "\"" : "");
        if (i + 1 < shards_.size()) {
          last = R"(,"LastEvaluatedShardId":")" + s.id + "\"";
        }
      }
      return ok(
          fmt::format(R"({{"StreamDescription":{{"StreamArn":"arn:s","StreamStatus":"ENABLED",)"
                      R"("StreamViewType":"NEW_AND_OLD_IMAGES","Shards":[{}]{}}}}})",
                      shard, last));
    }
    if (op == "GetShardIterator") {
      const std::string shard = after(body, R"("ShardId":")");
      const std::string type = after(body, R"("ShardIteratorType":")");
      iterator_requests.push_back(shard + ":" + type + ":" + after(body, R"("SequenceNumber":")"));
      std::size_t pos = 0;
      if (type == "AFTER_SEQUENCE_NUMBER") {
        const std::string seq = after(body, R"("SequenceNumber":")");
        const auto& seqs = find(shard).sequence_numbers;
        while (pos < seqs.size() && seqs[pos] != seq) {
          ++pos;
        }
        ++pos;
      }
      return ok(fmt::format(R"({{"ShardIterator":"{}|{}"}})", shard, pos));
    }
    if (op == "GetRecords") {
      const std::string it = after(body, R"("ShardIterator":")");
      const std::string shard = it.substr(0, it.find('|'));
      const std::size_t pos = std::stoul(it.substr(it.find('|') + 1));
      if (expire_next_get_records_after > 0 && --expire_next_get_records_after == 0) {
        return HttpResponse{
            .status = 400,
            .body = R"({"__type":"com.amazonaws.dynamodb.v20120810#ExpiredIteratorException",)"
                    R"("message":"Iterator expired"})"};
      }
      read_order.push_back(shard);
      const FakeShard& s = find(shard);
      std::string records;
      std::size_t end = std::min(pos + 2, s.sequence_numbers.size());  // 2 records per batch
      for (std::size_t i = pos; i < end; ++i) {
        records += (records.empty() ? "" : ",") +
                   record_json(s.sequence_numbers[i], static_cast<int>(i) + 1);
      }
      const bool finished = s.closed && end == s.sequence_numbers.size();
      return ok(
          fmt::format(R"({{"Records":[{}]{}}})", records,
                      finished ? "" : fmt::format(R"(,"NextShardIterator":"{}|{}")", shard, end)));
    }
    if (op == "GetItem") {
      const std::string shard = after(body, R"("#SHARD#)");
      auto found = checkpoints.find(shard);
      if (found == checkpoints.end()) {
        return ok("{}");
      }
      return ok(fmt::format(R"({{"Item":{{"seq":{{"S":"{}"}}}}}})", found->second));
    }
    if (op == "TransactWriteItems") {
      const std::string shard = after(body, R"("#SHARD#)");
      const std::string seq = after(body, R"("seq":{"S":")");
      const std::string prev = after(body, R"(":prev":{"S":")");
      auto found = checkpoints.find(shard);
      const bool matches = found == checkpoints.end() ? prev.empty() : prev == found->second;
      if (!matches) {
        return HttpResponse{
            .status = 400,
            .body =
                R"({"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException",)"
                R"("message":"cancelled","CancellationReasons":[{"Code":"None"},{"Code":"ConditionalCheckFailed"}]})"};
      }
      checkpoints[shard] = seq;
      committed.push_back(shard + ":" + seq);
      return ok("{}");
    }
    return ok("{}");  // UpdateItem (refill)
  }

  std::vector<aws::HttpOutcome> send_all(std::span<const HttpRequest> batch) override {
    std::vector<aws::HttpOutcome> out;
    for (const auto& r : batch) {
      out.push_back({send(r), std::nullopt});
    }
    return out;
  }

  std::vector<std::string> calls;
  std::vector<std::string> read_order;
  std::vector<std::string> iterator_requests;
  std::vector<std::string> committed;
  std::map<std::string, std::string> checkpoints;
  int expire_next_get_records_after = 0;

 private:
  static HttpResponse ok(std::string body) {
    return HttpResponse{.status = 200, .body = std::move(body)};
  }
  const FakeShard& find(const std::string& id) const {
    for (const FakeShard& s : shards_) {
      if (s.id == id) {
        return s;
      }
    }
    throw std::runtime_error("no shard " + id);
  }

  std::mutex mutex_;
  std::vector<FakeShard> shards_;
};

struct Harness {
  explicit Harness(std::vector<FakeShard> shards)
      : service(std::make_shared<FakeStreamService>(std::move(shards))),
        client(std::make_shared<aws::DynamoDbClient>(aws::DynamoDbClientConfig{
            .endpoint = "http://127.0.0.1:8000",
            .region = "us-east-1",
            .credentials = aws::static_credentials({"a", "b", ""}),
            .transport = service,
            .retry = {.sleep = [](std::chrono::microseconds) {}},
        })) {}

  std::unique_ptr<Aggregator> open() {
    return Aggregator::open(client, AggregatorOptions{.table_name = "t",
                                                      .windows = {WindowType::kHourly},
                                                      .refill = RefillMode::kDisabled,
                                                      .clock = &clock,
                                                      .sleep = [](std::chrono::milliseconds) {},
                                                      .log = [](std::string_view) {}});
  }
  // Polls until nothing is read (bounded).
  static void drain(Aggregator& a) {
    for (int i = 0; i < 50; ++i) {
      if (a.poll_once() == 0 && a.poll_once() == 0) {
        return;
      }
    }
  }

  test::FakeClock clock{1'700'000'000'000};
  std::shared_ptr<FakeStreamService> service;
  std::shared_ptr<aws::DynamoDbClient> client;
};

// The child is listed first, so order comes from the parent link, not from the listing.
std::vector<FakeShard> split_stream() {
  return {
      FakeShard{.id = "s2", .parent = "s1", .sequence_numbers = {"200", "201"}, .closed = false},
      FakeShard{
          .id = "s1", .parent = "", .sequence_numbers = {"100", "101", "102"}, .closed = true}};
}

TEST(ShardWalkTest, ParentIsReadToItsEndBeforeItsChild) {
  Harness h(split_stream());
  auto a = h.open();
  Harness::drain(*a);
  EXPECT_EQ(h.service->committed, (std::vector<std::string>{"s1:101", "s1:102", "s2:201"}));
  ASSERT_FALSE(h.service->read_order.empty());
  const auto first_child =
      std::find(h.service->read_order.begin(), h.service->read_order.end(), "s2");
  EXPECT_TRUE(std::find(first_child, h.service->read_order.end(), "s1") ==
              h.service->read_order.end())
      << "the closed parent was read after its child had started";
  EXPECT_EQ(a->metrics().records_processed, 5);
  EXPECT_EQ(a->metrics().transactions, 3);
  EXPECT_EQ(a->metrics().shards, 2);
  EXPECT_EQ(h.service->iterator_requests.front(), "s1:TRIM_HORIZON:");
}

TEST(ShardWalkTest, RestartResumesAfterTheCheckpoint) {
  Harness h(split_stream());
  h.service->checkpoints["s1"] = "101";
  auto a = h.open();
  Harness::drain(*a);
  EXPECT_EQ(h.service->iterator_requests.front(), "s1:AFTER_SEQUENCE_NUMBER:101");
  EXPECT_EQ(h.service->committed, (std::vector<std::string>{"s1:102", "s2:201"}));
  EXPECT_EQ(a->metrics().records_processed, 3);
}

TEST(ShardWalkTest, ExpiredIteratorIsReopenedFromTheCheckpoint) {
  Harness h(split_stream());
  h.service->expire_next_get_records_after = 2;  // the second GetRecords fails
  auto a = h.open();
  Harness::drain(*a);
  EXPECT_EQ(h.service->committed, (std::vector<std::string>{"s1:101", "s1:102", "s2:201"}));
  EXPECT_NE(std::find(h.service->iterator_requests.begin(), h.service->iterator_requests.end(),
                      "s1:AFTER_SEQUENCE_NUMBER:101"),
            h.service->iterator_requests.end());
  EXPECT_EQ(a->metrics().records_processed, 5);
  EXPECT_EQ(a->metrics().errors, 0);
}

TEST(ShardWalkTest, ACheckpointMovedByAnotherAggregatorIsNotAppliedAgain) {
  Harness h(split_stream());
  auto a = h.open();
  EXPECT_EQ(a->poll_once(), 2u);         // s1:100-101 applied
  h.service->checkpoints["s1"] = "102";  // meanwhile another aggregator applied 102
  Harness::drain(*a);
  EXPECT_EQ(h.service->committed, (std::vector<std::string>{"s1:101", "s2:201"}));
  EXPECT_EQ(a->metrics().records_processed, 4);
}

}  // namespace
}  // namespace zae::aggregator
