// SPDX-License-Identifier: MIT
#include "aws/aws_config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace zae::aws {
namespace {

using ::testing::HasSubstr;

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "zae-config-XXXXXX").string();
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

ProfileFile parse_config(const std::string& text) {
  return parse_profile_file(text, "config", ProfileFileKind::kConfig);
}

ProfileFile parse_credentials(const std::string& text) {
  return parse_profile_file(text, "credentials", ProfileFileKind::kCredentials);
}

std::string value(const ProfileFile& file, const std::string& profile, const std::string& key) {
  const auto* properties = file.find(profile);
  if (properties == nullptr) {
    return "<no profile>";
  }
  const auto it = properties->find(key);
  return it == properties->end() ? "<no key>" : it->second;
}

// Runs `fn`, expecting a ConfigError; returns it.
template <typename Fn>
ConfigError config_error(Fn fn) {
  try {
    fn();
  } catch (const ConfigError& error) {
    return error;
  }
  ADD_FAILURE() << "no ConfigError";
  return ConfigError("none");
}

TEST(ProfileFileTest, ConfigFileUsesProfilePrefixExceptForDefault) {
  const ProfileFile file = parse_config(
      "[default]\n"
      "region = us-east-1\n"
      "[profile dev]\n"
      "region=eu-west-1\n"
      "[sso-session corp]\n"
      "sso_region = us-east-2\n"
      "[bare]\n"
      "region = ap-south-1\n");
  EXPECT_EQ(value(file, "default", "region"), "us-east-1");
  EXPECT_EQ(value(file, "dev", "region"), "eu-west-1");
  EXPECT_EQ(file.find("bare"), nullptr);  // a bare section in config is not a profile
  EXPECT_EQ(file.find("sso-session corp"), nullptr);
  EXPECT_EQ(file.profiles.size(), 2u);
}

TEST(ProfileFileTest, CredentialsFileUsesBareNames) {
  const ProfileFile file = parse_credentials(
      "[default]\n"
      "aws_access_key_id = AKID\n"
      "[dev]\n"
      "aws_access_key_id = AKDEV\n"
      "[profile other]\n"
      "aws_access_key_id = IGNORED\n");
  EXPECT_EQ(value(file, "default", "aws_access_key_id"), "AKID");
  EXPECT_EQ(value(file, "dev", "aws_access_key_id"), "AKDEV");
  EXPECT_EQ(file.find("other"), nullptr);
  EXPECT_EQ(file.find("profile other"), nullptr);
}

TEST(ProfileFileTest, CommentsWhitespaceAndLineEndings) {
  const ProfileFile file = parse_config(
      "\xEF\xBB\xBF# leading comment\r\n"
      "; another\r\n"
      "\r\n"
      "  [  profile   spaced  ]   # header comment\r\n"
      "key1=plain\r\n"
      "key2   =   padded value   \r\n"
      "key3 = value # trailing comment\r\n"
      "key4 = value ;trailing comment\r\n"
      "key5 = secret#with;hash\r\n"
      "key6 =\r\n"
      "\tkey7 = later wins\r\n"
      "key7 = last\r\n");
  EXPECT_EQ(value(file, "spaced", "key1"), "plain");
  EXPECT_EQ(value(file, "spaced", "key2"), "padded value");
  EXPECT_EQ(value(file, "spaced", "key3"), "value");
  EXPECT_EQ(value(file, "spaced", "key4"), "value");
  EXPECT_EQ(value(file, "spaced", "key5"), "secret#with;hash");
  EXPECT_EQ(value(file, "spaced", "key6"), "\nkey7 = later wins");
  EXPECT_EQ(value(file, "spaced", "key7"), "last");
}

TEST(ProfileFileTest, IndentedLinesContinueThePreviousProperty) {
  const ProfileFile file = parse_config(
      "[default]\n"
      "s3 =\n"
      "  max_concurrent_requests = 20\n"
      "  addressing_style = path\n"
      "region = us-west-2\n");
  EXPECT_EQ(value(file, "default", "s3"),
            "\nmax_concurrent_requests = 20\naddressing_style = path");
  EXPECT_EQ(value(file, "default", "region"), "us-west-2");
}

TEST(ProfileFileTest, RepeatedSectionsMergeAndLaterKeysWin) {
  const ProfileFile file = parse_config(
      "[default]\n"
      "a = 1\n"
      "b = 1\n"
      "[profile default]\n"
      "b = 2\n"
      "[default]\n"
      "c = 3\n");
  EXPECT_EQ(value(file, "default", "a"), "1");
  EXPECT_EQ(value(file, "default", "b"), "2");
  EXPECT_EQ(value(file, "default", "c"), "3");
}

TEST(ProfileFileTest, MalformedFilesNameFileAndLine) {
  struct Case {
    const char* text;
    std::size_t line;
    const char* problem;
  };
  const Case cases[] = {
      {"[default\nregion = x\n", 1, "missing ']'"},
      {"[default]\nregion = x\n[profile dev] extra\n", 3, "after ']'"},
      {"# c\n[]\n", 2, "empty section name"},
      {"[profile ]\n", 1, "empty"},
      {"[default]\nregion us-east-1\n", 2, "no '='"},
      {"[default]\n = value\n", 2, "empty key"},
      {"region = us-east-1\n[default]\n", 1, "outside of any section"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    const ConfigError error = config_error([&] { parse_config(c.text); });
    EXPECT_EQ(error.file(), "config");
    EXPECT_EQ(error.line(), c.line);
    EXPECT_THAT(error.what(), HasSubstr(c.problem));
    EXPECT_THAT(error.what(), HasSubstr("config:" + std::to_string(c.line) + ":"));
  }
}

TEST(SharedFilesTest, LocatesFilesFromVariablesOrHome) {
  const FixedEnvironment home({{"HOME", "/home/u"}});
  const SharedFilesLocation defaults = locate_shared_files(home);
  EXPECT_EQ(defaults.config_path, "/home/u/.aws/config");
  EXPECT_EQ(defaults.credentials_path, "/home/u/.aws/credentials");
  EXPECT_EQ(defaults.profile, "default");
  EXPECT_FALSE(defaults.profile_named);

  const FixedEnvironment custom({{"HOME", "/home/u"},
                                 {"AWS_CONFIG_FILE", "~/cfg"},
                                 {"AWS_SHARED_CREDENTIALS_FILE", "/etc/creds"},
                                 {"AWS_PROFILE", "dev"}});
  const SharedFilesLocation located = locate_shared_files(custom);
  EXPECT_EQ(located.config_path, "/home/u/cfg");
  EXPECT_EQ(located.credentials_path, "/etc/creds");
  EXPECT_EQ(located.profile, "dev");
  EXPECT_TRUE(located.profile_named);
  EXPECT_EQ(locate_shared_files(custom, "explicit").profile, "explicit");

  const FixedEnvironment no_home;
  EXPECT_EQ(locate_shared_files(no_home).config_path, "");
}

TEST(SharedFilesTest, CredentialsFileWinsOverConfigFile) {
  TempDir dir;
  const FixedEnvironment env({{"HOME", dir.path()}});
  dir.write(".aws/config", "[default]\nregion = eu-west-1\noutput = json\n");
  dir.write(".aws/credentials", "[default]\noutput = text\n");
  const SharedFiles files = load_shared_files(env);
  EXPECT_TRUE(files.config.exists);
  EXPECT_TRUE(files.credentials.exists);
  EXPECT_TRUE(files.has_profile());
  EXPECT_EQ(files.property("output"), "text");
  EXPECT_EQ(files.property("region"), "eu-west-1");
  EXPECT_EQ(files.property("missing"), std::nullopt);
}

TEST(SharedFilesTest, MissingFilesAreEmpty) {
  TempDir dir;
  const FixedEnvironment env({{"HOME", dir.path()}});
  const SharedFiles files = load_shared_files(env);
  EXPECT_FALSE(files.config.exists);
  EXPECT_FALSE(files.credentials.exists);
  EXPECT_FALSE(files.has_profile());
}

TEST(RegionTest, PrecedenceExplicitThenVariablesThenProfile) {
  TempDir dir;
  dir.write(".aws/config", "[default]\nregion = eu-west-1\n[profile dev]\nregion = ap-south-1\n");
  const std::string home = dir.path();

  EXPECT_EQ(
      resolve_region(FixedEnvironment({{"HOME", home}, {"AWS_REGION", "us-east-1"}}), "us-west-2"),
      "us-west-2");
  EXPECT_EQ(
      resolve_region(FixedEnvironment(
          {{"HOME", home}, {"AWS_REGION", "us-east-1"}, {"AWS_DEFAULT_REGION", "us-east-2"}})),
      "us-east-1");
  EXPECT_EQ(resolve_region(FixedEnvironment(
                {{"HOME", home}, {"AWS_REGION", ""}, {"AWS_DEFAULT_REGION", "us-east-2"}})),
            "us-east-2");
  EXPECT_EQ(resolve_region(FixedEnvironment({{"HOME", home}})), "eu-west-1");
  EXPECT_EQ(resolve_region(FixedEnvironment({{"HOME", home}, {"AWS_PROFILE", "dev"}})),
            "ap-south-1");
  EXPECT_EQ(resolve_region(FixedEnvironment({{"HOME", home}}), "", "dev"), "ap-south-1");
  EXPECT_EQ(resolve_region(FixedEnvironment({{"HOME", home}, {"AWS_PROFILE", "nope"}})), "");
  EXPECT_EQ(resolve_region(FixedEnvironment()), "");
}

TEST(RegionTest, RejectsImplausibleRegionsAndMalformedConfig) {
  TempDir dir;
  const ConfigError bad = config_error([] {
    resolve_region(FixedEnvironment({{"AWS_REGION", "us-east-1/x"}}));
  });
  EXPECT_THAT(bad.what(), HasSubstr("AWS_REGION"));
  EXPECT_THAT(bad.what(), HasSubstr("us-east-1/x"));

  const std::string path = dir.write("config", "[default\nregion = us-east-1\n");
  const ConfigError malformed = config_error([&] {
    resolve_region(FixedEnvironment({{"AWS_CONFIG_FILE", path}}));
  });
  EXPECT_EQ(malformed.file(), path);
  EXPECT_EQ(malformed.line(), 1u);
}

TEST(EndpointTest, ParsesAndNormalizes) {
  EXPECT_EQ(
      parse_endpoint_url("http://localhost:8000", "endpoint"),
      (Endpoint{
          .scheme = "http", .host = "localhost", .port = 8000, .url = "http://localhost:8000"}));
  EXPECT_EQ(parse_endpoint_url("HTTPS://dynamodb.us-east-1.amazonaws.com/", "endpoint"),
            (Endpoint{.scheme = "https",
                      .host = "dynamodb.us-east-1.amazonaws.com",
                      .port = std::nullopt,
                      .url = "https://dynamodb.us-east-1.amazonaws.com"}));
  EXPECT_EQ(
      parse_endpoint_url("http://[::1]:8000/", "endpoint"),
      (Endpoint{.scheme = "http", .host = "[::1]", .port = 8000, .url = "http://[::1]:8000"}));
  EXPECT_EQ(parse_endpoint_url("http://127.0.0.1", "endpoint").url, "http://127.0.0.1");
}

TEST(EndpointTest, RejectsInvalidUrlsNamingTheSetting) {
  struct Case {
    const char* url;
    const char* problem;
  };
  const Case cases[] = {
      {"localhost:8000", "not a URL"},
      {"ftp://host", "scheme 'ftp'"},
      {"http://", "no host"},
      {"http://:8000", "no host"},
      {"http://host:", "empty port"},
      {"http://host:0", "outside 1-65535"},
      {"http://host:65536", "outside 1-65535"},
      {"http://host:80a", "invalid port"},
      {"http://host/path", "path"},
      {"http://host?x=1", "query"},
      {"http://user:pw@host", "user info"},
      {"http://ho st", "invalid character"},
      {"http://[::1", "without ']'"},
      {"http://[zz]", "invalid IPv6"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.url);
    const ConfigError error = config_error([&] { parse_endpoint_url(c.url, "AWS_ENDPOINT_URL"); });
    EXPECT_THAT(error.what(), HasSubstr("AWS_ENDPOINT_URL: '"));
    EXPECT_THAT(error.what(), HasSubstr(c.problem));
  }
}

TEST(EndpointTest, DynamoDbPrecedence) {
  const FixedEnvironment both(
      {{"AWS_ENDPOINT_URL_DYNAMODB", "http://ddb:8000"}, {"AWS_ENDPOINT_URL", "http://all:9000"}});
  EXPECT_EQ(resolve_dynamodb_endpoint(both, "http://explicit:1", "us-east-1").url,
            "http://explicit:1");
  EXPECT_EQ(resolve_dynamodb_endpoint(both, "", "us-east-1").url, "http://ddb:8000");
  EXPECT_EQ(resolve_dynamodb_endpoint(FixedEnvironment({{"AWS_ENDPOINT_URL", "http://all:9000"}}),
                                      "", "us-east-1")
                .url,
            "http://all:9000");
  EXPECT_EQ(resolve_dynamodb_endpoint(FixedEnvironment(), "", "eu-west-1").url,
            "https://dynamodb.eu-west-1.amazonaws.com");
  EXPECT_EQ(resolve_dynamodb_endpoint(FixedEnvironment(), "", "cn-north-1").url,
            "https://dynamodb.cn-north-1.amazonaws.com.cn");
  const FixedEnvironment ignored({{"AWS_ENDPOINT_URL_DYNAMODB", "http://ddb:8000"},
                                  {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}});
  EXPECT_EQ(resolve_dynamodb_endpoint(ignored, "", "us-east-1").url,
            "https://dynamodb.us-east-1.amazonaws.com");
}

TEST(EndpointTest, StreamsPrecedence) {
  const FixedEnvironment env({{"AWS_ENDPOINT_URL_DYNAMODB", "http://ddb:8000"},
                              {"AWS_ENDPOINT_URL_DYNAMODB_STREAMS", "http://streams:8001"}});
  EXPECT_EQ(resolve_dynamodb_streams_endpoint(env, "", "us-east-1").url, "http://streams:8001");
  EXPECT_EQ(resolve_dynamodb_streams_endpoint(
                FixedEnvironment({{"AWS_ENDPOINT_URL", "http://all:9000"}}), "", "us-east-1")
                .url,
            "http://all:9000");
  EXPECT_EQ(resolve_dynamodb_streams_endpoint(FixedEnvironment(), "", "us-west-2").url,
            "https://streams.dynamodb.us-west-2.amazonaws.com");
}

TEST(EndpointTest, NoRegionAndNoOverrideIsAnError) {
  const ConfigError error =
      config_error([] { resolve_dynamodb_endpoint(FixedEnvironment(), "", ""); });
  EXPECT_THAT(error.what(), HasSubstr("no region"));
  const ConfigError invalid =
      config_error([] { resolve_dynamodb_endpoint(FixedEnvironment(), "", "evil.com/x"); });
  EXPECT_THAT(invalid.what(), HasSubstr("not a valid region"));
  const ConfigError bad_env = config_error([] {
    resolve_dynamodb_endpoint(FixedEnvironment({{"AWS_ENDPOINT_URL_DYNAMODB", "localhost:8000"}}),
                              "", "us-east-1");
  });
  EXPECT_THAT(bad_env.what(), HasSubstr("AWS_ENDPOINT_URL_DYNAMODB"));
}

TEST(EnvironmentTest, FixedEnvironmentReadsOnlyItsMap) {
  TempDir dir;
  const FixedEnvironment env({{"A", "1"}, {"EMPTY", ""}});
  EXPECT_EQ(env.variable("A"), "1");
  EXPECT_EQ(env.variable("EMPTY"), "");
  EXPECT_EQ(env_value(env, "EMPTY"), std::nullopt);
  EXPECT_EQ(env.variable("PATH"), std::nullopt);
  const std::string file = dir.write("f", "content");
  EXPECT_EQ(env.read_file(file), "content");
  EXPECT_EQ(env.read_file(dir.path() + "/missing"), std::nullopt);
  EXPECT_EQ(env.read_file(file + "/below-a-file"), std::nullopt);
  const ConfigError directory = config_error([&] { env.read_file(dir.path()); });
  EXPECT_THAT(directory.what(), HasSubstr("is a directory"));
}

}  // namespace
}  // namespace zae::aws
