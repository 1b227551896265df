// SPDX-License-Identifier: MIT
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/credential_providers.h"
#include "aws/credentials.h"
#include "aws/curl_transport.h"
#include "support/http_test_server.h"

// The credential sources against their real counterparts: files in a temp directory, and the
// network sources (STS, container endpoint, IMDS) against HTTP servers on loopback through the
// real CurlTransport.
namespace zae::aws {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
using TimePoint = std::chrono::system_clock::time_point;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "zae-creds-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string write(const std::string& name, const std::string& content) const {
    const auto file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << content;
    return file.string();
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// An HTTP server on loopback answering "METHOD /path" routes and recording every request.
class RouteServer {
 public:
  using Route = std::function<test::HttpTestResponse(const test::HttpTestRequest&)>;

  explicit RouteServer(test::HttpTestFaults faults = {})
      : server_([this](const test::HttpTestRequest& request) { return handle(request); }, faults) {}

  void on(const std::string& method, const std::string& path, Route route) {
    std::lock_guard lock(mutex_);
    routes_[method + " " + path] = std::move(route);
  }
  void on(const std::string& method, const std::string& path, int status, std::string body) {
    on(method, path, [status, body](const test::HttpTestRequest&) {
      return test::HttpTestResponse{.status = status, .headers = {}, .body = body};
    });
  }
  std::vector<test::HttpTestRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::string url() const { return server_.url(); }

 private:
  test::HttpTestResponse handle(const test::HttpTestRequest& request) {
    Route route;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
      const auto it = routes_.find(request.method + " " + request.path);
      if (it == routes_.end()) {
        return test::HttpTestResponse{.status = 404, .headers = {}, .body = "no route"};
      }
      route = it->second;
    }
    return route(request);
  }

  mutable std::mutex mutex_;
  std::map<std::string, Route> routes_;
  std::vector<test::HttpTestRequest> requests_;
  test::HttpTestServer server_;  // last: stops (joining its threads) before the routes go
};

// A loopback URL on which nothing listens: a server's port after it has stopped.
std::string refused_url() {
  test::HttpTestServer server(
      [](const test::HttpTestRequest&) { return test::HttpTestResponse{}; });
  return server.url();
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

constexpr CredentialsErrorKind kNotConfigured = CredentialsErrorKind::kNotConfigured;
constexpr CredentialsErrorKind kFailed = CredentialsErrorKind::kFailed;

const TimePoint kExpiry = std::chrono::sys_days(std::chrono::year(2030) / 1 / 2) + 3h;

CurlTransport& transport() {
  static CurlTransport instance(CurlTransportOptions{.connect_timeout = 1000ms,
                                                     .request_timeout = 5000ms,
                                                     .verify_tls = true,
                                                     .ca_file = {},
                                                     .max_idle_connections = 8});
  return instance;
}

// ---- environment ----

TEST(EnvironmentCredentialsSourceTest, ReadsKeysAndToken) {
  const FixedEnvironment env({{"AWS_ACCESS_KEY_ID", "AKID"},
                              {"AWS_SECRET_ACCESS_KEY", "SECRET"},
                              {"AWS_SESSION_TOKEN", "TOKEN"}});
  const TimedCredentials result = EnvironmentCredentialsSource(env).fetch();
  EXPECT_EQ(result.credentials.access_key_id, "AKID");
  EXPECT_EQ(result.credentials.secret_access_key, "SECRET");
  EXPECT_EQ(result.credentials.session_token, "TOKEN");
  EXPECT_EQ(result.expiration, std::nullopt);
}

TEST(EnvironmentCredentialsSourceTest, UnsetOrEmptyIsNotConfigured) {
  for (const auto& env : {FixedEnvironment(), FixedEnvironment({{"AWS_ACCESS_KEY_ID", ""},
                                                                {"AWS_SECRET_ACCESS_KEY", ""}})}) {
    const CredentialsError error =
        credentials_error([&] { EnvironmentCredentialsSource(env).fetch(); });
    EXPECT_EQ(error.kind(), kNotConfigured);
    EXPECT_EQ(error.source(), "environment");
  }
}

TEST(EnvironmentCredentialsSourceTest, HalfSetFails) {
  const FixedEnvironment key_only({{"AWS_ACCESS_KEY_ID", "AKID"}});
  const CredentialsError error =
      credentials_error([&] { EnvironmentCredentialsSource(key_only).fetch(); });
  EXPECT_EQ(error.kind(), kFailed);
  EXPECT_THAT(error.what(), HasSubstr("AWS_SECRET_ACCESS_KEY is not"));
  const FixedEnvironment secret_only({{"AWS_SECRET_ACCESS_KEY", "S"}});
  EXPECT_THAT(credentials_error([&] { EnvironmentCredentialsSource(secret_only).fetch(); }).what(),
              HasSubstr("AWS_ACCESS_KEY_ID is not"));
}

// ---- shared files ----

class ProfileCredentialsSourceTest : public ::testing::Test {
 protected:
  FixedEnvironment env(std::map<std::string, std::string, std::less<>> vars = {}) const {
    vars.emplace("HOME", dir_.path());
    return FixedEnvironment(std::move(vars));
  }
  TimedCredentials fetch(const FixedEnvironment& e, std::string profile = {}) const {
    return ProfileCredentialsSource(e, std::move(profile)).fetch();
  }
  CredentialsError error(const FixedEnvironment& e, std::string profile = {}) const {
    return credentials_error([&] { fetch(e, profile); });
  }

  TempDir dir_;
};

TEST_F(ProfileCredentialsSourceTest, DefaultProfileFromCredentialsFile) {
  dir_.write(".aws/credentials",
             "# keys\n[default]\naws_access_key_id = AKID\naws_secret_access_key = SECRET\n"
             "aws_session_token = TOKEN\n");
  const TimedCredentials result = fetch(env());
  EXPECT_EQ(result.credentials.access_key_id, "AKID");
  EXPECT_EQ(result.credentials.secret_access_key, "SECRET");
  EXPECT_EQ(result.credentials.session_token, "TOKEN");
  EXPECT_EQ(result.expiration, std::nullopt);
}

TEST_F(ProfileCredentialsSourceTest, NamedProfileFromVariableOrArgument) {
  dir_.write(".aws/credentials",
             "[default]\naws_access_key_id = D\naws_secret_access_key = DS\n"
             "[dev]\naws_access_key_id = DEV\naws_secret_access_key = DEVS\n");
  dir_.write(".aws/config",
             "[profile ops]\naws_access_key_id = OPS\naws_secret_access_key = OPSS\n");
  EXPECT_EQ(fetch(env({{"AWS_PROFILE", "dev"}})).credentials.access_key_id, "DEV");
  EXPECT_EQ(fetch(env({{"AWS_PROFILE", "dev"}}), "ops").credentials.access_key_id, "OPS");
  EXPECT_EQ(fetch(env()).credentials.access_key_id, "D");
}

TEST_F(ProfileCredentialsSourceTest, CustomFileLocations) {
  const std::string creds = dir_.write("elsewhere/creds",
                                       "[default]\naws_access_key_id = X\n"
                                       "aws_secret_access_key = Y\n");
  const std::string config = dir_.write("elsewhere/cfg", "[default]\nregion = us-east-1\n");
  const FixedEnvironment e({{"AWS_SHARED_CREDENTIALS_FILE", creds}, {"AWS_CONFIG_FILE", config}});
  EXPECT_EQ(fetch(e).credentials.access_key_id, "X");
}

TEST_F(ProfileCredentialsSourceTest, CredentialsFileWinsOverConfigForKeys) {
  dir_.write(".aws/credentials", "[default]\naws_access_key_id = C\naws_secret_access_key = CS\n");
  dir_.write(".aws/config",
             "[default]\naws_access_key_id = K\naws_secret_access_key = KS\n"
             "aws_session_token = KT\n");
  const TimedCredentials result = fetch(env());
  EXPECT_EQ(result.credentials.access_key_id, "C");
  EXPECT_EQ(result.credentials.secret_access_key, "CS");
  EXPECT_EQ(result.credentials.session_token, "");  // never mixed from the other file
}

TEST_F(ProfileCredentialsSourceTest, KeysOnlyInConfigFile) {
  dir_.write(".aws/credentials", "[other]\naws_access_key_id = O\naws_secret_access_key = OS\n");
  dir_.write(".aws/config", "[default]\naws_access_key_id = K\naws_secret_access_key = KS\n");
  EXPECT_EQ(fetch(env()).credentials.access_key_id, "K");
}

TEST_F(ProfileCredentialsSourceTest, MissingSecretNamesFileAndKey) {
  const std::string path = dir_.write(".aws/credentials", "[default]\naws_access_key_id = C\n");
  dir_.write(".aws/config", "[default]\naws_access_key_id = K\naws_secret_access_key = KS\n");
  const CredentialsError e = error(env());
  EXPECT_EQ(e.kind(), kFailed);
  EXPECT_EQ(e.source(), "shared files");
  EXPECT_THAT(e.what(), HasSubstr(path));
  EXPECT_THAT(e.what(), HasSubstr("no aws_secret_access_key"));
}

TEST_F(ProfileCredentialsSourceTest, UnknownProfile) {
  dir_.write(".aws/credentials", "[default]\naws_access_key_id = C\naws_secret_access_key = S\n");
  const CredentialsError named = error(env({{"AWS_PROFILE", "nope"}}));
  EXPECT_EQ(named.kind(), kFailed);
  EXPECT_THAT(named.what(), HasSubstr("profile 'nope' is not in"));
  EXPECT_THAT(named.what(), HasSubstr(dir_.path() + "/.aws/credentials"));

  dir_.write(".aws/credentials", "[dev]\naws_access_key_id = C\naws_secret_access_key = S\n");
  EXPECT_EQ(error(env()).kind(), kNotConfigured);  // no default profile: not set up here
}

TEST_F(ProfileCredentialsSourceTest, NoFilesOrNoKeysIsNotConfigured) {
  EXPECT_EQ(error(env()).kind(), kNotConfigured);
  EXPECT_EQ(error(FixedEnvironment()).kind(), kNotConfigured);  // no HOME at all
  dir_.write(".aws/config", "[default]\nregion = us-east-1\n");
  const CredentialsError e = error(env());
  EXPECT_EQ(e.kind(), kNotConfigured);
  EXPECT_THAT(e.what(), HasSubstr("no aws_access_key_id"));
}

TEST_F(ProfileCredentialsSourceTest, MalformedFilesFailWithFileAndLine) {
  struct Case {
    const char* text;
    const char* where;
  };
  const Case cases[] = {
      {"[default]\naws_access_key_id = A\n[broken\n", ":3: section header is missing ']'"},
      {"[default]\naws_access_key_id A\n", ":2: expected 'key = value'"},
      {"aws_access_key_id = A\n", ":1: property outside of any section"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    const std::string path = dir_.write(".aws/credentials", c.text);
    const CredentialsError e = error(env());
    EXPECT_EQ(e.kind(), kFailed);
    EXPECT_THAT(e.what(), HasSubstr(path + c.where));
  }
}

TEST_F(ProfileCredentialsSourceTest, UnsupportedSettingsFailClearly) {
  dir_.write(".aws/config",
             "[profile assume]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = default\n"
             "[profile process]\ncredential_process = /bin/creds\n"
             "[profile sso]\nsso_session = corp\n"
             "[profile web]\nrole_arn = arn:aws:iam::1:role/r\nweb_identity_token_file = /t\n");
  EXPECT_THAT(error(env(), "assume").what(), HasSubstr("source_profile or credential_source"));
  EXPECT_EQ(error(env(), "assume").kind(), kFailed);
  EXPECT_THAT(error(env(), "process").what(), HasSubstr("credential_process"));
  EXPECT_THAT(error(env(), "sso").what(), HasSubstr("sso_session"));
  const CredentialsError web = error(env(), "web");
  EXPECT_EQ(web.kind(), kNotConfigured);  // the web identity source handles it
  EXPECT_THAT(web.what(), HasSubstr("web identity"));
}

// ---- web identity (STS) ----

std::string sts_success(const std::string& key, const std::string& expiration) {
  return "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
         "  <AssumeRoleWithWebIdentityResult>\n"
         "    "
         "<SubjectFromWebIdentityToken>system:serviceaccount:ns:sa</SubjectFromWebIdentityToken>\n"
         "    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn>"
         "<AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>\n"
         "    <Credentials>\n"
         "      <SessionToken>session/token+with&amp;chars</SessionToken>\n"
         "      <SecretAccessKey>secret-" +
         key +
         "</SecretAccessKey>\n"
         "      <Expiration>" +
         expiration +
         "</Expiration>\n"
         "      <AccessKeyId>" +
         key +
         "</AccessKeyId>\n"
         "    </Credentials>\n"
         "  </AssumeRoleWithWebIdentityResult>\n"
         "  <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>\n"
         "</AssumeRoleWithWebIdentityResponse>\n";
}

class WebIdentityCredentialsSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_file_ = dir_.write("token", "eyJ.token.v1\n");
    server_.on("POST", "/", [this](const test::HttpTestRequest&) {
      return test::HttpTestResponse{
          .status = sts_status_, .headers = {{"Content-Type", "text/xml"}}, .body = sts_body_};
    });
  }
  FixedEnvironment env(std::map<std::string, std::string, std::less<>> vars = {}) const {
    vars.emplace("HOME", dir_.path());
    return FixedEnvironment(std::move(vars));
  }
  FixedEnvironment env_vars() const {
    return env({{"AWS_WEB_IDENTITY_TOKEN_FILE", token_file_},
                {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r"},
                {"AWS_ROLE_SESSION_NAME", "my-session"}});
  }
  WebIdentityOptions options() const {
    return WebIdentityOptions{
        .sts_endpoint = server_.url(), .profile = {}, .timeout = 2000ms, .clock = {}};
  }
  TimedCredentials fetch(const FixedEnvironment& e) const {
    return WebIdentityCredentialsSource(e, transport(), options()).fetch();
  }
  CredentialsError error(const FixedEnvironment& e) const {
    return credentials_error([&] { fetch(e); });
  }

  TempDir dir_;
  std::string token_file_;
  int sts_status_ = 200;
  std::string sts_body_ = sts_success("ASIASTS", "2030-01-02T03:00:00Z");
  RouteServer server_;
};

TEST_F(WebIdentityCredentialsSourceTest, AssumesRoleFromVariables) {
  const TimedCredentials result = fetch(env_vars());
  EXPECT_EQ(result.credentials.access_key_id, "ASIASTS");
  EXPECT_EQ(result.credentials.secret_access_key, "secret-ASIASTS");
  EXPECT_EQ(result.credentials.session_token, "session/token+with&chars");
  EXPECT_EQ(result.expiration, kExpiry);

  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  const test::HttpTestRequest& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/");
  EXPECT_EQ(request.header("Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(request.header("Authorization"), std::nullopt);  // unsigned
  EXPECT_EQ(request.body,
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
            "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr"
            "&RoleSessionName=my-session&WebIdentityToken=eyJ.token.v1");
}

TEST_F(WebIdentityCredentialsSourceTest, AssumesRoleFromProfileWithStsEndpointVariable) {
  dir_.write(".aws/config",
             "[profile eks]\nrole_arn = arn:aws:iam::1:role/p\n"
             "web_identity_token_file = " +
                 token_file_ + "\nrole_session_name = from-profile\n");
  const FixedEnvironment e = env({{"AWS_PROFILE", "eks"}, {"AWS_ENDPOINT_URL_STS", server_.url()}});
  const TimedCredentials result = WebIdentityCredentialsSource(e, transport()).fetch();
  EXPECT_EQ(result.credentials.access_key_id, "ASIASTS");
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_THAT(requests[0].body, HasSubstr("RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fp"));
  EXPECT_THAT(requests[0].body, HasSubstr("RoleSessionName=from-profile"));
}

TEST_F(WebIdentityCredentialsSourceTest, RereadsTheTokenFileAndDefaultsTheSessionName) {
  WebIdentityOptions opts = options();
  opts.clock = [] { return TimePoint(std::chrono::milliseconds(1700000000123)); };
  const FixedEnvironment e = env(
      {{"AWS_WEB_IDENTITY_TOKEN_FILE", token_file_}, {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}});
  WebIdentityCredentialsSource source(e, transport(), opts);
  source.fetch();
  dir_.write("token", "eyJ.token.v2");
  source.fetch();
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_THAT(requests[0].body, HasSubstr("WebIdentityToken=eyJ.token.v1"));
  EXPECT_THAT(requests[1].body, HasSubstr("WebIdentityToken=eyJ.token.v2"));
  EXPECT_THAT(requests[0].body, HasSubstr("RoleSessionName=zae-limiter-1700000000123"));
}

TEST_F(WebIdentityCredentialsSourceTest, StsErrorNamesStatusCodeAndMessage) {
  sts_status_ = 400;
  sts_body_ =
      "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
      "<Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>"
      "<Message>Token expired</Message></Error><RequestId>r</RequestId></ErrorResponse>";
  const CredentialsError e = error(env_vars());
  EXPECT_EQ(e.kind(), kFailed);
  EXPECT_EQ(e.source(), "web identity");
  EXPECT_THAT(e.what(), HasSubstr("HTTP 400, InvalidIdentityToken: Token expired"));
  EXPECT_THAT(e.what(), HasSubstr("arn:aws:iam::123456789012:role/r"));
}

TEST_F(WebIdentityCredentialsSourceTest, NonXmlErrorShowsStatusAndBody) {
  sts_status_ = 503;
  sts_body_ = "service unavailable";
  EXPECT_THAT(error(env_vars()).what(), HasSubstr("HTTP 503 (service unavailable)"));
}

TEST_F(WebIdentityCredentialsSourceTest, MalformedOrIncompleteResponsesFail) {
  sts_body_ = "<AssumeRoleWithWebIdentityResponse><Credentials>";
  EXPECT_THAT(error(env_vars()).what(), HasSubstr("malformed XML"));
  sts_body_ = "<Other/>";
  EXPECT_THAT(error(env_vars()).what(), HasSubstr("without AssumeRoleWithWebIdentityResult"));
  sts_body_ =
      "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
      "<AccessKeyId>A</AccessKeyId><SecretAccessKey>S</SecretAccessKey>"
      "<Expiration>2030-01-02T03:00:00Z</Expiration>"
      "</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
  EXPECT_THAT(error(env_vars()).what(), HasSubstr("Credentials/SessionToken"));
  sts_body_ = sts_success("A", "next tuesday");
  EXPECT_THAT(error(env_vars()).what(), HasSubstr("not an ISO 8601 time"));
}

TEST_F(WebIdentityCredentialsSourceTest, ConfigurationProblems) {
  EXPECT_EQ(error(env()).kind(), kNotConfigured);
  const CredentialsError role_only = error(env({{"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}}));
  EXPECT_EQ(role_only.kind(), kFailed);
  EXPECT_THAT(role_only.what(), HasSubstr("AWS_WEB_IDENTITY_TOKEN_FILE is not"));
  const CredentialsError missing =
      error(env({{"AWS_WEB_IDENTITY_TOKEN_FILE", dir_.path() + "/gone"},
                 {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}}));
  EXPECT_EQ(missing.kind(), kFailed);
  EXPECT_THAT(missing.what(), HasSubstr(dir_.path() + "/gone"));
  const std::string empty = dir_.write("empty-token", "\n");
  EXPECT_THAT(error(env({{"AWS_WEB_IDENTITY_TOKEN_FILE", empty},
                         {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}}))
                  .what(),
              HasSubstr("is empty"));
  dir_.write(".aws/config", "[default]\nweb_identity_token_file = /t\n");
  EXPECT_THAT(error(env()).what(), HasSubstr("no role_arn"));
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(WebIdentityCredentialsSourceTest, UnreachableStsFails) {
  WebIdentityOptions opts = options();
  opts.sts_endpoint = refused_url();
  const FixedEnvironment e = env_vars();
  const CredentialsError error =
      credentials_error([&] { WebIdentityCredentialsSource(e, transport(), opts).fetch(); });
  EXPECT_EQ(error.kind(), kFailed);
  EXPECT_THAT(error.what(),
              HasSubstr("cannot reach STS AssumeRoleWithWebIdentity at " + opts.sts_endpoint));
}

// ---- container ----

std::string container_json(const std::string& key) {
  return "{\"RoleArn\":\"arn:aws:iam::1:role/task\",\"AccessKeyId\":\"" + key +
         "\",\"SecretAccessKey\":\"secret-" + key + "\",\"Token\":\"token-" + key +
         "\",\"Expiration\":\"2030-01-02T03:00:00Z\"}";
}

class ContainerCredentialsSourceTest : public ::testing::Test {
 protected:
  FixedEnvironment env(std::map<std::string, std::string, std::less<>> vars) const {
    return FixedEnvironment(std::move(vars));
  }
  ContainerOptions options() const {
    return ContainerOptions{.relative_base = server_.url(), .timeout = 2000ms};
  }
  TimedCredentials fetch(const FixedEnvironment& e) const {
    return ContainerCredentialsSource(e, transport(), options()).fetch();
  }
  CredentialsError error(const FixedEnvironment& e) const {
    return credentials_error([&] { fetch(e); });
  }

  TempDir dir_;
  RouteServer server_;
};

TEST_F(ContainerCredentialsSourceTest, RelativeUriOnTheAgentAddress) {
  server_.on("GET", "/v2/credentials/abc", 200, container_json("ECS"));
  const TimedCredentials result =
      fetch(env({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc"}}));
  EXPECT_EQ(result.credentials.access_key_id, "ECS");
  EXPECT_EQ(result.credentials.secret_access_key, "secret-ECS");
  EXPECT_EQ(result.credentials.session_token, "token-ECS");
  EXPECT_EQ(result.expiration, kExpiry);
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].header("Authorization"), std::nullopt);
}

TEST_F(ContainerCredentialsSourceTest, FullUriWithTokenFileBeforeTokenVariable) {
  server_.on("GET", "/creds", 200, container_json("EKS"));
  const std::string token_file = dir_.write("token", "file-token\n");
  const TimedCredentials result =
      fetch(env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server_.url() + "/creds"},
                 {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file},
                 {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "variable-token"}}));
  EXPECT_EQ(result.credentials.access_key_id, "EKS");
  fetch(env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server_.url() + "/creds"},
             {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "variable-token"}}));
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].header("Authorization"), "file-token");
  EXPECT_EQ(requests[1].header("Authorization"), "variable-token");
}

TEST_F(ContainerCredentialsSourceTest, RelativeUriWinsOverFullUri) {
  server_.on("GET", "/relative", 200, container_json("REL"));
  server_.on("GET", "/full", 200, container_json("FULL"));
  EXPECT_EQ(fetch(env({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/relative"},
                       {"AWS_CONTAINER_CREDENTIALS_FULL_URI", server_.url() + "/full"}}))
                .credentials.access_key_id,
            "REL");
}

TEST_F(ContainerCredentialsSourceTest, FullUriMustBeHttpsOrLocal) {
  for (const char* url : {"http://example.com/creds", "http://10.0.0.1/creds",
                          "http://169.254.169.254/creds", "ftp://127.0.0.1/x", "not a url"}) {
    SCOPED_TRACE(url);
    const CredentialsError e = error(env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", url}}));
    EXPECT_EQ(e.kind(), kFailed);
    EXPECT_THAT(e.what(), HasSubstr("AWS_CONTAINER_CREDENTIALS_FULL_URI"));
  }
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(ContainerCredentialsSourceTest, HttpErrorsAndBadBodiesFail) {
  server_.on("GET", "/500", 500, "{\"code\":\"InternalError\",\"message\":\"agent down\"}");
  server_.on("GET", "/junk", 200, "{not json");
  server_.on("GET", "/partial", 200, "{\"AccessKeyId\":\"A\"}");
  server_.on("GET", "/badtime", 200,
             "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":\"soon\"}");
  const auto with = [&](const char* path) {
    return error(env({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", path}}));
  };
  const CredentialsError status = with("/500");
  EXPECT_EQ(status.kind(), kFailed);
  EXPECT_EQ(status.source(), "container");
  EXPECT_THAT(status.what(), HasSubstr("HTTP 500"));
  EXPECT_THAT(status.what(), HasSubstr("agent down"));
  EXPECT_THAT(with("/junk").what(), HasSubstr("malformed JSON"));
  EXPECT_THAT(with("/partial").what(), HasSubstr("without AccessKeyId or SecretAccessKey"));
  EXPECT_THAT(with("/badtime").what(), HasSubstr("not an ISO 8601 time"));
  EXPECT_THAT(with("relative").what(), HasSubstr("does not start with '/'"));
}

TEST_F(ContainerCredentialsSourceTest, ConfigurationProblems) {
  EXPECT_EQ(error(env({})).kind(), kNotConfigured);
  const CredentialsError token =
      error(env({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c"},
                 {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "a\r\nX-Injected: 1"}}));
  EXPECT_THAT(token.what(), HasSubstr("line break"));
  const CredentialsError file =
      error(env({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c"},
                 {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir_.path() + "/missing"}}));
  EXPECT_THAT(file.what(), HasSubstr(dir_.path() + "/missing"));
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(ContainerCredentialsSourceTest, UnreachableEndpointFails) {
  const FixedEnvironment e({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c"}});
  const std::string base = refused_url();
  const CredentialsError error = credentials_error([&] {
    ContainerCredentialsSource(e, transport(), {.relative_base = base, .timeout = 2000ms}).fetch();
  });
  EXPECT_EQ(error.kind(), kFailed);
  EXPECT_THAT(error.what(), HasSubstr("cannot reach the container credentials endpoint " + base));
}

// ---- instance metadata (IMDSv2) ----

std::string imds_json(const std::string& code) {
  return "{\n  \"Code\" : \"" + code +
         "\",\n  \"LastUpdated\" : \"2030-01-01T21:00:00Z\",\n  \"Type\" : \"AWS-HMAC\",\n"
         "  \"AccessKeyId\" : \"ASIAIMDS\",\n  \"SecretAccessKey\" : \"imds-secret\",\n"
         "  \"Token\" : \"imds-token\",\n  \"Expiration\" : \"2030-01-02T03:00:00Z\"\n}";
}

class ImdsCredentialsSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.on("PUT", "/latest/api/token", 200, "IMDS-SESSION-TOKEN");
    server_.on("GET", "/latest/meta-data/iam/security-credentials/", 200, "app-role\n");
    server_.on("GET", "/latest/meta-data/iam/security-credentials/app-role", 200,
               imds_json("Success"));
  }
  ImdsOptions options() const {
    return ImdsOptions{.endpoint = server_.url(), .timeout = 2000ms, .token_ttl = 21600s};
  }
  TimedCredentials fetch(const FixedEnvironment& e = FixedEnvironment()) const {
    return ImdsCredentialsSource(e, transport(), options()).fetch();
  }
  CredentialsError error(const FixedEnvironment& e = FixedEnvironment()) const {
    return credentials_error([&] { fetch(e); });
  }

  RouteServer server_;
};

TEST_F(ImdsCredentialsSourceTest, TokenThenRoleThenCredentials) {
  const TimedCredentials result = fetch();
  EXPECT_EQ(result.credentials.access_key_id, "ASIAIMDS");
  EXPECT_EQ(result.credentials.secret_access_key, "imds-secret");
  EXPECT_EQ(result.credentials.session_token, "imds-token");
  EXPECT_EQ(result.expiration, kExpiry);

  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].path, "/latest/api/token");
  EXPECT_EQ(requests[0].header("X-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(requests[1].method, "GET");
  EXPECT_EQ(requests[1].path, "/latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(requests[1].header("X-aws-ec2-metadata-token"), "IMDS-SESSION-TOKEN");
  EXPECT_EQ(requests[2].path, "/latest/meta-data/iam/security-credentials/app-role");
  EXPECT_EQ(requests[2].header("X-aws-ec2-metadata-token"), "IMDS-SESSION-TOKEN");
}

TEST_F(ImdsCredentialsSourceTest, EndpointFromVariable) {
  const FixedEnvironment e({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", server_.url() + "/"}});
  const TimedCredentials result = ImdsCredentialsSource(e, transport()).fetch();
  EXPECT_EQ(result.credentials.access_key_id, "ASIAIMDS");
  EXPECT_EQ(server_.requests().size(), 3u);
}

TEST_F(ImdsCredentialsSourceTest, DisabledByVariable) {
  for (const char* value : {"true", "TRUE", "True"}) {
    const CredentialsError e = error(FixedEnvironment({{"AWS_EC2_METADATA_DISABLED", value}}));
    EXPECT_EQ(e.kind(), kNotConfigured);
    EXPECT_THAT(e.what(), HasSubstr("AWS_EC2_METADATA_DISABLED"));
  }
  EXPECT_TRUE(server_.requests().empty());
  EXPECT_EQ(
      fetch(FixedEnvironment({{"AWS_EC2_METADATA_DISABLED", "false"}})).credentials.access_key_id,
      "ASIAIMDS");
}

TEST_F(ImdsCredentialsSourceTest, RefusedTokenOrNoRoleIsNotConfigured) {
  server_.on("PUT", "/latest/api/token", 403, "Forbidden");
  EXPECT_EQ(error().kind(), kNotConfigured);
  EXPECT_THAT(error().what(), HasSubstr("HTTP 403"));

  server_.on("PUT", "/latest/api/token", 200, "T");
  server_.on("GET", "/latest/meta-data/iam/security-credentials/", 404, "");
  const CredentialsError no_role = error();
  EXPECT_EQ(no_role.kind(), kNotConfigured);
  EXPECT_THAT(no_role.what(), HasSubstr("no IAM role"));
}

TEST_F(ImdsCredentialsSourceTest, ServerErrorsAndBadDocumentsFail) {
  server_.on("GET", "/latest/meta-data/iam/security-credentials/app-role", 200,
             imds_json("AssumeRoleUnauthorizedAccess"));
  const CredentialsError code = error();
  EXPECT_EQ(code.kind(), kFailed);
  EXPECT_EQ(code.source(), "instance metadata");
  EXPECT_THAT(code.what(), HasSubstr("Code AssumeRoleUnauthorizedAccess"));

  server_.on("GET", "/latest/meta-data/iam/security-credentials/app-role", 200, "[1,2");
  EXPECT_THAT(error().what(), HasSubstr("malformed JSON"));

  server_.on("GET", "/latest/meta-data/iam/security-credentials/app-role", 500, "oops");
  EXPECT_THAT(error().what(), HasSubstr("HTTP 500 (oops)"));

  server_.on("PUT", "/latest/api/token", 400, "bad ttl");
  EXPECT_EQ(error().kind(), kFailed);
  EXPECT_THAT(error().what(), HasSubstr("HTTP 400"));
}

TEST(ImdsUnreachableTest, NothingListeningIsNotConfigured) {
  const std::string url = refused_url();
  const CredentialsError error = credentials_error([&] {
    ImdsCredentialsSource(FixedEnvironment(), transport(),
                          {.endpoint = url, .timeout = 1000ms, .token_ttl = 21600s})
        .fetch();
  });
  EXPECT_EQ(error.kind(), kNotConfigured);
  EXPECT_THAT(error.what(), HasSubstr("cannot reach the instance metadata service at " + url));
}

TEST(ImdsUnreachableTest, StalledServiceTimesOutAsNotConfigured) {
  test::HttpTestServer stalled(
      [](const test::HttpTestRequest&) { return test::HttpTestResponse{}; },
      {.accept_mode = test::HttpTestAcceptMode::kStall,
       .idle_close = 0ms,
       .drop_after_requests = 0,
       .response_delay = 0ms});
  const CredentialsError error = credentials_error([&] {
    ImdsCredentialsSource(FixedEnvironment(), transport(),
                          {.endpoint = stalled.url(), .timeout = 300ms, .token_ttl = 21600s})
        .fetch();
  });
  EXPECT_EQ(error.kind(), kNotConfigured);
  EXPECT_THAT(error.what(), HasSubstr("cannot reach"));
}

// ---- default endpoints ----

// Records the request and answers with a connect failure: the default endpoints (STS in a region,
// the ECS agent, IMDS) are not reachable from a test, so only the URL chosen can be checked.
class RecordingTransport final : public HttpTransport {
 public:
  HttpResponse send(const HttpRequest& request) override {
    std::lock_guard lock(mutex_);
    urls_.push_back(request.url);
    throw NetworkError(NetworkErrorKind::kConnect, "recorded, not sent");
  }
  std::vector<HttpOutcome> send_all(std::span<const HttpRequest> requests) override {
    std::vector<HttpOutcome> outcomes;
    for (const auto& request : requests) {
      try {
        outcomes.push_back({.response = send(request), .error = std::nullopt});
      } catch (const NetworkError& error) {
        outcomes.push_back({.response = std::nullopt, .error = error});
      }
    }
    return outcomes;
  }
  std::vector<std::string> urls() const {
    std::lock_guard lock(mutex_);
    return urls_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> urls_;
};

TEST(DefaultEndpointsTest, StsIsRegionalWhenARegionIsKnown) {
  TempDir dir;
  const std::string token = dir.write("token", "jwt");
  const auto url_for = [&](std::map<std::string, std::string, std::less<>> vars) {
    vars.emplace("AWS_WEB_IDENTITY_TOKEN_FILE", token);
    vars.emplace("AWS_ROLE_ARN", "arn:aws:iam::1:role/r");
    vars.emplace("HOME", dir.path());
    const FixedEnvironment env(std::move(vars));
    RecordingTransport recorder;
    EXPECT_THROW(WebIdentityCredentialsSource(env, recorder).fetch(), CredentialsError);
    return recorder.urls().at(0);
  };
  EXPECT_EQ(url_for({}), "https://sts.amazonaws.com/");
  EXPECT_EQ(url_for({{"AWS_REGION", "eu-west-1"}}), "https://sts.eu-west-1.amazonaws.com/");
  EXPECT_EQ(url_for({{"AWS_DEFAULT_REGION", "cn-north-1"}}),
            "https://sts.cn-north-1.amazonaws.com.cn/");
  dir.write(".aws/config", "[default]\nregion = ap-south-1\n");
  EXPECT_EQ(url_for({}), "https://sts.ap-south-1.amazonaws.com/");
  EXPECT_EQ(url_for({{"AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9/"}}), "http://127.0.0.1:9/");
}

TEST(DefaultEndpointsTest, ContainerAgentAndImdsAddresses) {
  RecordingTransport recorder;
  const FixedEnvironment container({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/creds"}});
  EXPECT_THROW(ContainerCredentialsSource(container, recorder).fetch(), CredentialsError);
  EXPECT_THROW(ImdsCredentialsSource(FixedEnvironment(), recorder).fetch(), CredentialsError);
  const FixedEnvironment ipv6({{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"}});
  EXPECT_THROW(ImdsCredentialsSource(ipv6, recorder).fetch(), CredentialsError);
  EXPECT_EQ(recorder.urls(), (std::vector<std::string>{
                                 "http://169.254.170.2/v2/creds",
                                 "http://169.254.169.254/latest/api/token",
                                 "http://[fd00:ec2::254]/latest/api/token",
                             }));
}

// ---- the default chain ----

class DefaultChainTest : public ::testing::Test {
 protected:
  DefaultChainTest() {
    server_.on("POST", "/", 200, sts_success("ASIAWEB", "2030-01-02T03:00:00Z"));
    server_.on("GET", "/container", 200, container_json("ECS"));
    server_.on("PUT", "/latest/api/token", 200, "T");
    server_.on("GET", "/latest/meta-data/iam/security-credentials/", 200, "role");
    server_.on("GET", "/latest/meta-data/iam/security-credentials/role", 200, imds_json("Success"));
  }
  std::unique_ptr<CachedCredentialsProvider> chain(const FixedEnvironment& e) const {
    DefaultCredentialsOptions options;
    options.environment = &e;
    options.web_identity.sts_endpoint = server_.url();
    options.container.relative_base = server_.url();
    options.imds.endpoint = server_.url();
    options.clock = [this] { return now_; };
    return make_default_credentials_provider(transport(), options);
  }
  std::string source_used(const FixedEnvironment& e) const {
    auto provider = chain(e);
    provider->credentials();
    return static_cast<ChainCredentialsSource&>(provider->source()).chosen_source();
  }
  FixedEnvironment env(std::map<std::string, std::string, std::less<>> vars) const {
    vars.emplace("HOME", dir_.path());
    return FixedEnvironment(std::move(vars));
  }

  TempDir dir_;
  TimePoint now_ = kExpiry - 2h;
  RouteServer server_;
};

TEST_F(DefaultChainTest, FollowsTheSdkOrder) {
  const std::string token = dir_.write("token", "jwt");
  std::map<std::string, std::string, std::less<>> vars = {
      {"AWS_ACCESS_KEY_ID", "AKENV"},
      {"AWS_SECRET_ACCESS_KEY", "S"},
      {"AWS_WEB_IDENTITY_TOKEN_FILE", token},
      {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"},
      {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/container"}};
  dir_.write(".aws/credentials",
             "[default]\naws_access_key_id = AKFILE\n"
             "aws_secret_access_key = S\n");

  EXPECT_EQ(source_used(env(vars)), "environment");
  vars.erase("AWS_ACCESS_KEY_ID");
  vars.erase("AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(source_used(env(vars)), "shared files");
  std::filesystem::remove(dir_.path() + "/.aws/credentials");
  EXPECT_EQ(source_used(env(vars)), "web identity");
  vars.erase("AWS_WEB_IDENTITY_TOKEN_FILE");
  vars.erase("AWS_ROLE_ARN");
  EXPECT_EQ(source_used(env(vars)), "container");
  vars.erase("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  EXPECT_EQ(source_used(env(vars)), "instance metadata");
}

TEST_F(DefaultChainTest, NoSourceListsEverythingTried) {
  const FixedEnvironment e = env({{"AWS_EC2_METADATA_DISABLED", "true"}});
  auto provider = chain(e);
  const CredentialsError error = credentials_error([&] { provider->credentials(); });
  EXPECT_EQ(error.source(), "chain");
  for (const char* source : {"environment: ", "shared files: ", "web identity: ", "container: ",
                             "instance metadata: disabled"}) {
    EXPECT_THAT(error.what(), HasSubstr(source));
  }
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(DefaultChainTest, MalformedSharedFileStopsTheChain) {
  dir_.write(".aws/config", "[default]\nregion\n");
  const FixedEnvironment e = env({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/container"}});
  auto provider = chain(e);
  const CredentialsError error = credentials_error([&] { provider->credentials(); });
  EXPECT_EQ(error.source(), "shared files");
  EXPECT_THAT(error.what(), HasSubstr("/.aws/config:2:"));
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(DefaultChainTest, CachesAndRefreshesAheadOfExpiryFromTheSameSource) {
  const FixedEnvironment e = env({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/container"}});
  auto provider = chain(e);
  EXPECT_EQ(provider->credentials().access_key_id, "ECS");
  EXPECT_EQ(provider->credentials().access_key_id, "ECS");
  EXPECT_EQ(server_.requests().size(), 1u);
  now_ = kExpiry - 4min;  // inside the five-minute window
  EXPECT_EQ(provider->credentials().access_key_id, "ECS");
  EXPECT_EQ(server_.requests().size(), 2u);
  server_.on("GET", "/container", 500, "down");
  now_ = kExpiry - 1min;  // refresh fails, old copy still valid
  EXPECT_EQ(provider->credentials().access_key_id, "ECS");
  EXPECT_EQ(server_.requests().size(), 3u);
  now_ = kExpiry;
  EXPECT_THAT(credentials_error([&] { provider->credentials(); }).what(), HasSubstr("HTTP 500"));
}

}  // namespace
}  // namespace zae::aws
