// SPDX-License-Identifier: MIT
#include "aws/sigv4.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "aws/errors.h"

namespace zae::aws {
namespace {

namespace fs = std::filesystem;
using std::chrono::sys_days;

// The AWS test suite's fixed parameters (tests/data/sigv4/README.md).
const Credentials kSuiteCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
constexpr std::string_view kSuiteRegion = "us-east-1";
constexpr std::string_view kSuiteService = "service";

fs::path vectors_dir() {
  if (const char* env = std::getenv("ZAE_TEST_SIGV4_VECTORS"); env != nullptr && *env != '\0') {
    return env;
  }
  return ZAE_SIGV4_VECTORS_DIR;
}

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct VectorCase {
  std::string name;  // gtest-safe
  fs::path dir;
};

// Names the case by its folder only: gtest_discover_tests puts this into the CTest test name.
void PrintTo(const VectorCase& c, std::ostream* os) { *os << c.dir.filename().string(); }

// A case folder is any directory holding <folder>.req; other directories are searched below, so
// the upstream nested layout (normalize-path/get-space/) works too.
std::vector<VectorCase> discover_cases() {
  std::vector<VectorCase> cases;
  std::error_code ec;
  const fs::path root = vectors_dir();
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_directory()) {
      continue;
    }
    const fs::path& dir = it->path();
    if (!fs::exists(dir / (dir.filename().string() + ".req"))) {
      continue;
    }
    std::string name = fs::relative(dir, root).generic_string();
    std::replace_if(
        name.begin(), name.end(),
        [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
    cases.push_back({name, dir});
  }
  std::sort(cases.begin(), cases.end(),
            [](const VectorCase& a, const VectorCase& b) { return a.name < b.name; });
  return cases;
}

struct ParsedRequest {
  std::string method;
  std::string path;
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// Parses a suite .req: "METHOD path[?query] HTTP/1.1", "Name:value" lines, then an empty line and
// the body. The path may contain spaces (get-space), so the request line is split at its first
// space and before its last one.
ParsedRequest parse_request(const std::string& text) {
  ParsedRequest req;
  std::size_t line_end = text.find('\n');
  std::string line = text.substr(0, line_end);
  std::size_t first = line.find(' ');
  std::size_t last = line.rfind(' ');
  if (first == std::string::npos || last == first) {
    throw std::runtime_error("bad request line: " + line);
  }
  req.method = line.substr(0, first);
  std::string target = line.substr(first + 1, last - first - 1);
  std::size_t q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) {
    req.query = target.substr(q + 1);
  }
  std::size_t pos = line_end == std::string::npos ? text.size() : line_end + 1;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    std::string header = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? text.size() : end + 1;
    if (header.empty()) {
      req.body = text.substr(pos);
      break;
    }
    std::size_t colon = header.find(':');
    if (colon == std::string::npos) {
      throw std::runtime_error("bad header line: " + header);
    }
    req.headers.emplace_back(header.substr(0, colon), header.substr(colon + 1));
  }
  return req;
}

std::string visible(std::string_view line) {
  std::string out;
  for (char c : line) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b >= 0x7f) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 15];
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (true) {
    std::size_t end = s.find('\n', pos);
    lines.push_back(s.substr(pos, end == std::string_view::npos ? end : end - pos));
    if (end == std::string_view::npos) {
      return lines;
    }
    pos = end + 1;
  }
}

// A line-by-line diff: "  " same, "- " expected, "+ " actual; bytes outside printable ASCII
// shown as \xNN so that a stray CR or space is visible.
std::string line_diff(std::string_view expected, std::string_view actual) {
  std::vector<std::string_view> e = split_lines(expected);
  std::vector<std::string_view> a = split_lines(actual);
  std::ostringstream out;
  for (std::size_t i = 0; i < std::max(e.size(), a.size()); ++i) {
    if (i < e.size() && i < a.size() && e[i] == a[i]) {
      out << "    " << visible(e[i]) << '\n';
      continue;
    }
    if (i < e.size()) {
      out << "  - " << visible(e[i]) << '\n';
    }
    if (i < a.size()) {
      out << "  + " << visible(a[i]) << '\n';
    }
  }
  return out.str();
}

::testing::AssertionResult same_text(std::string_view what, std::string_view expected,
                                     std::string_view actual) {
  if (expected == actual) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << what << " differs (- expected, + actual):\n"
                                       << line_diff(expected, actual);
}

Signature sign_parsed(const ParsedRequest& req, const Credentials& credentials,
                      std::string_view region, std::string_view service,
                      std::chrono::system_clock::time_point time) {
  std::vector<HttpHeader> headers;
  for (const auto& [name, value] : req.headers) {
    headers.push_back({name, value});
  }
  Sigv4Signer signer;
  return signer.sign({.method = req.method,
                      .path = req.path,
                      .query = req.query,
                      .headers = headers,
                      .payload = req.body},
                     credentials, {.region = region, .service = service, .time = time});
}

class Sigv4VectorTest : public ::testing::TestWithParam<VectorCase> {};

TEST_P(Sigv4VectorTest, MatchesCanonicalRequestStringToSignAndAuthorization) {
  const fs::path& dir = GetParam().dir;
  const std::string base = dir.filename().string();
  auto req_text = read_file(dir / (base + ".req"));
  auto creq = read_file(dir / (base + ".creq"));
  auto sts = read_file(dir / (base + ".sts"));
  auto authz = read_file(dir / (base + ".authz"));
  ASSERT_TRUE(req_text && creq && sts && authz)
      << dir << " must hold " << base << ".req, .creq, .sts and .authz";

  ParsedRequest req = parse_request(*req_text);
  std::string amz_date;
  for (const auto& [name, value] : req.headers) {
    if (name == "X-Amz-Date") {
      amz_date = value;
    }
  }
  ASSERT_FALSE(amz_date.empty()) << base << ".req has no X-Amz-Date header";

  Signature sig =
      sign_parsed(req, kSuiteCredentials, kSuiteRegion, kSuiteService, parse_amz_date(amz_date));
  EXPECT_TRUE(same_text(base + ".creq", *creq, sig.canonical_request));
  EXPECT_TRUE(same_text(base + ".sts", *sts, sig.string_to_sign));
  EXPECT_TRUE(same_text(base + ".authz", *authz, sig.authorization));
  EXPECT_FALSE(sig.date_header_added);
  EXPECT_FALSE(sig.token_header_added);
}

INSTANTIATE_TEST_SUITE_P(Directory, Sigv4VectorTest, ::testing::ValuesIn(discover_cases()),
                         [](const ::testing::TestParamInfo<VectorCase>& info) {
                           return info.param.name;
                         });
// An empty directory is reported by Sigv4VectorDirectoryTest with a clear message instead.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Sigv4VectorTest);

TEST(Sigv4VectorDirectoryTest, HasCases) {
  EXPECT_FALSE(discover_cases().empty())
      << "no SigV4 test cases (folders holding <name>.req) under " << vectors_dir()
      << " (set by ZAE_TEST_SIGV4_VECTORS or the build)";
}

TEST(Sigv4SigningKeyTest, MatchesPublishedKeys) {
  EXPECT_EQ(to_hex(derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830",
                                      "us-east-1", "service")),
            "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75");
  EXPECT_EQ(to_hex(derive_signing_key("secret", "20310430", "region", "dynamodb")),
            "9eac598db93da56a5b467ad30cea22f570b7ae91fe70f715640228712aca24cd");
  EXPECT_EQ(to_hex(derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20260101",
                                      "us-east-1", "dynamodb")),
            "e09547a36a287cc281f259917055e61b7c82d3ece0cc8630171fd5958d05de28");
}

TEST(Sigv4SigningKeyTest, CacheReusesKeysPerScope) {
  SigningKeyCache cache;
  Sha256Digest a = cache.get("secret", "20310430", "region", "dynamodb");
  EXPECT_EQ(a, derive_signing_key("secret", "20310430", "region", "dynamodb"));
  EXPECT_EQ(cache.get("secret", "20310430", "region", "dynamodb"), a);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_NE(cache.get("secret", "20310501", "region", "dynamodb"), a);
  EXPECT_NE(cache.get("other", "20310430", "region", "dynamodb"), a);
  EXPECT_EQ(cache.size(), 3u);
  for (int day = 10; day < 30; ++day) {
    cache.get("secret", "203104" + std::to_string(day), "region", "dynamodb");
  }
  EXPECT_EQ(cache.size(), SigningKeyCache::kCapacity);
  EXPECT_EQ(cache.get("secret", "20310430", "region", "dynamodb"), a);
}

// tests/data/sigv4/dynamodb-examples.md, example 1 (aws-sdk-js v2, published).
TEST(Sigv4DynamoDbExampleTest, ListTablesWithSessionToken) {
  const std::string body = "{\"ExclusiveStartTableName\":\"b\xC3\xA5r\"}";
  ASSERT_EQ(body.size(), 34u);
  const HttpHeader headers[] = {
      {"Host", "localhost"},
      {"X-Amz-Content-Sha256", "3128b8d4f3108b3e1677a38eb468d1c6dec926a58eaea235d034b9c71c3864d4"},
      {"X-Amz-Date", "20310430T201613Z"},
      {"X-Amz-Security-Token", "session"},
      {"X-Amz-Target", "DynamoDB_20111205.ListTables"},
      {"X-Amz-User-Agent", "aws-sdk-js/0.1"},
  };
  Sigv4Signer signer;
  Signature sig = signer.sign(
      {.method = "POST", .path = "/", .headers = headers, .payload = body},
      {"akid", "secret", "session"},
      {.region = "region",
       .service = "dynamodb",
       .time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1935346573456))});
  EXPECT_TRUE(same_text(
      "canonical request",
      "POST\n/\n\n"
      "host:localhost\n"
      "x-amz-content-sha256:3128b8d4f3108b3e1677a38eb468d1c6dec926a58eaea235d034b9c71c3864d4\n"
      "x-amz-date:20310430T201613Z\n"
      "x-amz-security-token:session\n"
      "x-amz-target:DynamoDB_20111205.ListTables\n"
      "x-amz-user-agent:aws-sdk-js/0.1\n\n"
      "host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-target;x-amz-user-agent\n"
      "3128b8d4f3108b3e1677a38eb468d1c6dec926a58eaea235d034b9c71c3864d4",
      sig.canonical_request));
  EXPECT_TRUE(
      same_text("string to sign",
                "AWS4-HMAC-SHA256\n20310430T201613Z\n20310430/region/dynamodb/aws4_request\n"
                "4be20e7bf75dc6c7e93873b5f49096771729b8a28f0c62010db431fea79220ef",
                sig.string_to_sign));
  EXPECT_TRUE(same_text(
      "authorization",
      "AWS4-HMAC-SHA256 Credential=akid/20310430/region/dynamodb/aws4_request, "
      "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-target;"
      "x-amz-user-agent, "
      "Signature=31fac5ed29db737fbcafac527470ca6d9283283197c5e6e94ea40ddcec14a9c1",
      sig.authorization));
  EXPECT_FALSE(sig.date_header_added);
  EXPECT_FALSE(sig.token_header_added);
}

constexpr std::string_view kGetItemBody =
    R"({"TableName":"Music","Key":{"Artist":{"S":"No One You Know"},"SongTitle":{"S":"Call Me Today"}}})";
constexpr std::string_view kExampleToken =
    "AQoDYXdzEPT//////////"
    "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx"
    "7"
    "mSEI/qkPpKPi/"
    "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx"
    "6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
    "scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr"
    "4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

// Examples 2 and 3: botocore signing GetItem; the signer adds X-Amz-Date (and the token) itself,
// as botocore does.
Signature sign_get_item(const Credentials& credentials) {
  const HttpHeader headers[] = {
      {"Content-Type", "application/x-amz-json-1.0"},
      {"X-Amz-Target", "DynamoDB_20120810.GetItem"},
      {"Host", "dynamodb.us-east-1.amazonaws.com"},
  };
  Sigv4Signer signer;
  return signer.sign({.method = "POST", .path = "/", .headers = headers, .payload = kGetItemBody},
                     credentials,
                     {.region = "us-east-1",
                      .service = "dynamodb",
                      .time = sys_days{std::chrono::year{2026} / 1 / 1}});
}

TEST(Sigv4DynamoDbExampleTest, GetItemWithLongTermCredentials) {
  ASSERT_EQ(kGetItemBody.size(), 96u);
  Signature sig = sign_get_item(kSuiteCredentials);
  EXPECT_TRUE(same_text("canonical request",
                        "POST\n/\n\n"
                        "content-type:application/x-amz-json-1.0\n"
                        "host:dynamodb.us-east-1.amazonaws.com\n"
                        "x-amz-date:20260101T000000Z\n"
                        "x-amz-target:DynamoDB_20120810.GetItem\n\n"
                        "content-type;host;x-amz-date;x-amz-target\n"
                        "54ca31bd69dcf886cd9206d68f4be0edc64754241ff1d21b9b4ff58ac96bb753",
                        sig.canonical_request));
  EXPECT_TRUE(
      same_text("string to sign",
                "AWS4-HMAC-SHA256\n20260101T000000Z\n20260101/us-east-1/dynamodb/aws4_request\n"
                "e22d9900f81d0447919b232d7ff023df7ce93096a04f923334b99e219e7b3d12",
                sig.string_to_sign));
  EXPECT_TRUE(
      same_text("authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/dynamodb/aws4_request, "
                "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                "Signature=05eb8112f8af6524eb82c79b2e4ea6b7c0f0e2ed9e09f3f25eb54adfe63356d6",
                sig.authorization));
  EXPECT_EQ(sig.amz_date, "20260101T000000Z");
  EXPECT_TRUE(sig.date_header_added);
  EXPECT_FALSE(sig.token_header_added);
}

TEST(Sigv4DynamoDbExampleTest, GetItemWithSessionToken) {
  Credentials credentials = kSuiteCredentials;
  credentials.session_token = kExampleToken;
  Signature sig = sign_get_item(credentials);
  EXPECT_TRUE(same_text("canonical request",
                        "POST\n/\n\n"
                        "content-type:application/x-amz-json-1.0\n"
                        "host:dynamodb.us-east-1.amazonaws.com\n"
                        "x-amz-date:20260101T000000Z\n"
                        "x-amz-security-token:" +
                            std::string(kExampleToken) +
                            "\n"
                            "x-amz-target:DynamoDB_20120810.GetItem\n\n"
                            "content-type;host;x-amz-date;x-amz-security-token;x-amz-target\n"
                            "54ca31bd69dcf886cd9206d68f4be0edc64754241ff1d21b9b4ff58ac96bb753",
                        sig.canonical_request));
  EXPECT_TRUE(
      same_text("string to sign",
                "AWS4-HMAC-SHA256\n20260101T000000Z\n20260101/us-east-1/dynamodb/aws4_request\n"
                "9481d5401f68ca6acce4583c8418ebaac95fab2e04bd03aa88d6db7f83e9ba70",
                sig.string_to_sign));
  EXPECT_TRUE(
      same_text("authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/dynamodb/aws4_request, "
                "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "
                "Signature=e4ea0848c9beb804eebed5db690db227d287cd6de672a2c2461e95147badde84",
                sig.authorization));
  EXPECT_TRUE(sig.date_header_added);
  EXPECT_TRUE(sig.token_header_added);
}

// Canonical request line 2 and 3 (URI and query) for a request with only a Host header.
std::pair<std::string, std::string> uri_and_query(std::string_view path, std::string_view query) {
  const HttpHeader headers[] = {{"Host", "example.amazonaws.com"}};
  Sigv4Signer signer;
  Signature sig = signer.sign({.method = "GET", .path = path, .query = query, .headers = headers},
                              kSuiteCredentials,
                              {.region = "us-east-1",
                               .service = "service",
                               .time = sys_days{std::chrono::year{2015} / 8 / 30}});
  std::vector<std::string_view> lines = split_lines(sig.canonical_request);
  return {std::string(lines.at(1)), std::string(lines.at(2))};
}

TEST(Sigv4CanonicalFormTest, NormalisesPaths) {
  EXPECT_EQ(uri_and_query("", "").first, "/");
  EXPECT_EQ(uri_and_query("/a//b/./c", "").first, "/a/b/c");
  EXPECT_EQ(uri_and_query("/a/b/../c/", "").first, "/a/c/");
  EXPECT_EQ(uri_and_query("/../..", "").first, "/");
  EXPECT_EQ(uri_and_query("/a/..", "").first, "/");
  EXPECT_EQ(uri_and_query("/a/b/.", "").first, "/a/b/");
  EXPECT_EQ(uri_and_query("/a+b=c&d", "").first, "/a%2Bb%3Dc%26d");
  EXPECT_EQ(uri_and_query("/%41", "").first, "/%2541");
}

TEST(Sigv4CanonicalFormTest, EncodesAndSortsQueryParameters) {
  EXPECT_EQ(uri_and_query("/", "b=2&a=2&a=1").second, "a=1&a=2&b=2");
  EXPECT_EQ(uri_and_query("/", "flag&x=").second, "flag=&x=");
  EXPECT_EQ(uri_and_query("/", "k=%7e%20%2F+").second, "k=~%20%2F%2B");
  EXPECT_EQ(uri_and_query("/", "&&a=1&").second, "a=1");
  EXPECT_THROW(uri_and_query("/", "a=%2"), SigningError);
  EXPECT_THROW(uri_and_query("/", "a=%zz"), SigningError);
}

TEST(Sigv4SignerTest, RejectsUnsignableRequests) {
  Sigv4Signer signer;
  const SigningParams params{.region = "us-east-1",
                             .service = "dynamodb",
                             .time = sys_days{std::chrono::year{2026} / 1 / 1}};
  const HttpHeader injected[] = {{"X-Evil", "a\r\nHost: b"}};
  EXPECT_THROW(signer.sign({.method = "POST", .headers = injected}, kSuiteCredentials, params),
               SigningError);
  const HttpHeader empty_name[] = {{"", "a"}};
  EXPECT_THROW(signer.sign({.method = "POST", .headers = empty_name}, kSuiteCredentials, params),
               SigningError);
  const HttpHeader stale_date[] = {{"X-Amz-Date", "20251231T235959Z"}};
  EXPECT_THROW(signer.sign({.method = "POST", .headers = stale_date}, kSuiteCredentials, params),
               SigningError);
  Credentials with_token = kSuiteCredentials;
  with_token.session_token = "token-a";
  const HttpHeader other_token[] = {{"X-Amz-Security-Token", "token-b"}};
  EXPECT_THROW(signer.sign({.method = "POST", .headers = other_token}, with_token, params),
               SigningError);
}

TEST(Sigv4SignerTest, IgnoresAnExistingAuthorizationHeaderSoRetriesCanResign) {
  Sigv4Signer signer;
  const SigningParams params{.region = "us-east-1",
                             .service = "dynamodb",
                             .time = sys_days{std::chrono::year{2026} / 1 / 1}};
  const HttpHeader plain[] = {{"Host", "h"}};
  const HttpHeader with_old[] = {{"Host", "h"}, {"Authorization", "AWS4-HMAC-SHA256 old"}};
  EXPECT_EQ(
      signer.sign({.method = "POST", .headers = plain}, kSuiteCredentials, params).authorization,
      signer.sign({.method = "POST", .headers = with_old}, kSuiteCredentials, params)
          .authorization);
}

TEST(Sigv4SignerTest, SignsManyHeadersBeyondTheInlineBuffer) {
  std::vector<std::string> names;
  for (int i = 0; i < 40; ++i) {
    names.push_back("X-H" + std::to_string(100 - i));
  }
  std::vector<HttpHeader> headers;
  for (const std::string& n : names) {
    headers.push_back({n, " v "});
  }
  Sigv4Signer signer;
  Signature sig = signer.sign(
      {.method = "GET", .headers = headers}, kSuiteCredentials,
      {.region = "r", .service = "s", .time = sys_days{std::chrono::year{2026} / 1 / 1}});
  // Lower-case bytewise order: "x-amz-date" < "x-h100" < "x-h61" < ... < "x-h99".
  EXPECT_NE(sig.canonical_request.find("\nx-h100:v\n"), std::string::npos);
  EXPECT_NE(sig.canonical_request.find("\nx-amz-date;x-h100;x-h61;x-h62;"), std::string::npos);
  EXPECT_NE(sig.canonical_request.find(";x-h98;x-h99\n"), std::string::npos);
}

TEST(Sigv4DateTest, FormatsAndParsesAmzDate) {
  using namespace std::chrono;
  const system_clock::time_point t = sys_days{year{2015} / 8 / 30} + hours{12} + minutes{36};
  EXPECT_EQ(format_amz_date(t + milliseconds{999}), "20150830T123600Z");
  EXPECT_EQ(parse_amz_date("20150830T123600Z"), t);
  EXPECT_EQ(format_amz_date(parse_amz_date("20240229T235959Z")), "20240229T235959Z");
  EXPECT_THROW(parse_amz_date("20230229T000000Z"), SigningError);
  EXPECT_THROW(parse_amz_date("20150830T123600"), SigningError);
  EXPECT_THROW(parse_amz_date("2015-08-30T12:3"), SigningError);
  EXPECT_THROW(parse_amz_date("20150830T246000Z"), SigningError);
  // Found by tests/fuzz/sigv4_fuzz: years outside system_clock's range overflowed (UB).
  EXPECT_THROW(parse_amz_date("24150830T123600Z"), SigningError);
  EXPECT_THROW(parse_amz_date("99991231T235959Z"), SigningError);
  EXPECT_THROW(parse_amz_date("00000101T000000Z"), SigningError);
  EXPECT_EQ(format_amz_date(parse_amz_date("22610101T000000Z")), "22610101T000000Z");
  EXPECT_EQ(format_amz_date(parse_amz_date("16780101T000000Z")), "16780101T000000Z");
}

}  // namespace
}  // namespace zae::aws
