// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "aws/errors.h"

// Where the aws layer reads its settings: environment variables and the shared config and
// credentials files (~/.aws/config, ~/.aws/credentials), and how it resolves the region and the
// DynamoDB endpoint from them. All access to the process goes through an Environment, so tests
// run on a fixed set of variables and files of their own.
namespace zae::aws {

// A shared config/credentials file that is malformed (file() and line() say where), or a region
// or endpoint setting that is not valid (file() empty, line() 0; what() names the setting).
class ConfigError : public AwsError {
 public:
  explicit ConfigError(const std::string& message) : AwsError(message) {}
  ConfigError(std::string file, std::size_t line, const std::string& problem);

  const std::string& file() const noexcept { return file_; }
  std::size_t line() const noexcept { return line_; }

 private:
  std::string file_;
  std::size_t line_ = 0;
};

// The process environment as the aws layer sees it. Implementations are thread-safe (const
// methods called from any thread).
class Environment {
 public:
  virtual ~Environment() = default;
  // The variable's value, or nullopt when it is not set.
  virtual std::optional<std::string> variable(std::string_view name) const = 0;
  // The whole content of the file at `path`, or nullopt when there is no such file. Throws
  // ConfigError naming the path when the file exists but cannot be read.
  virtual std::optional<std::string> read_file(const std::string& path) const = 0;
};

// The real process: getenv() and the file system. Assumes nothing calls setenv() concurrently.
class ProcessEnvironment final : public Environment {
 public:
  std::optional<std::string> variable(std::string_view name) const override;
  std::optional<std::string> read_file(const std::string& path) const override;
};

// A process-wide ProcessEnvironment.
const Environment& process_environment();

// Variables from a map given at construction (nothing from the process), files from the real
// file system. For tests and for embedders that configure the layer explicitly.
class FixedEnvironment final : public Environment {
 public:
  FixedEnvironment() = default;
  explicit FixedEnvironment(std::map<std::string, std::string, std::less<>> variables)
      : variables_(std::move(variables)) {}
  explicit FixedEnvironment(
      std::initializer_list<std::pair<const std::string, std::string>> variables)
      : variables_(variables) {}
  std::optional<std::string> variable(std::string_view name) const override;
  std::optional<std::string> read_file(const std::string& path) const override;

 private:
  std::map<std::string, std::string, std::less<>> variables_;
};

// The variable's value, or nullopt when it is unset or empty (the SDKs treat an empty variable as
// unset).
std::optional<std::string> env_value(const Environment& env, std::string_view name);

// One profile's properties, in file order of last assignment. Keys are case-sensitive as in the
// SDKs. An indented line continues the previous property: its text is appended after '\n' (this
// is how nested settings such as `s3 =` followed by indented `key = value` lines are kept).
using ProfileProperties = std::map<std::string, std::string, std::less<>>;

enum class ProfileFileKind {
  kConfig,       // sections `[default]`, `[profile NAME]`; other sections are not profiles
  kCredentials,  // sections `[NAME]`; `[profile NAME]` is not a profile here
};

struct ProfileFile {
  std::string path = {};
  bool exists = false;
  std::map<std::string, ProfileProperties, std::less<>> profiles = {};

  // The named profile, or null.
  const ProfileProperties* find(std::string_view profile) const;
};

// Parses a shared config or credentials file (INI as the AWS SDKs define it: `[section]`
// headers, `key = value` properties, whole-line comments starting with '#' or ';', comments
// after a value when '#' or ';' follows whitespace, blank lines, CRLF, indented continuation
// lines). Repeated sections merge; a repeated key keeps the last value. Throws ConfigError with
// `path` and the line number for a header without ']' or with text after it, an empty section
// name, a property without '=' or with an empty key, or a property before any section.
ProfileFile parse_profile_file(std::string_view text, std::string path, ProfileFileKind kind);

// Where the shared files are and which profile is selected.
struct SharedFilesLocation {
  std::string config_path;       // AWS_CONFIG_FILE, else ~/.aws/config; empty without HOME
  std::string credentials_path;  // AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials
  std::string profile;           // the override, else AWS_PROFILE, else "default"
  // True when the profile was named (override or AWS_PROFILE) rather than defaulted: a missing
  // named profile is an error, a missing default profile is not.
  bool profile_named = false;
};

// Resolves the paths (a leading "~/" expands to $HOME) and the profile name.
SharedFilesLocation locate_shared_files(const Environment& env, std::string_view profile = {});

// Both shared files, parsed. A file that does not exist has exists == false and no profiles.
struct SharedFiles {
  SharedFilesLocation location;
  ProfileFile config;
  ProfileFile credentials;

  // The selected profile's property `key`: from the credentials file if it has it there, else
  // from the config file.
  std::optional<std::string> property(std::string_view key) const;
  // True when either file defines the selected profile.
  bool has_profile() const;
};

// Reads and parses both files. Throws ConfigError on a malformed or unreadable file.
SharedFiles load_shared_files(const Environment& env, std::string_view profile = {});

// The region: `explicit_region` if not empty, else AWS_REGION, else AWS_DEFAULT_REGION, else the
// selected profile's `region` in the config file (profile: `profile` if not empty, else
// AWS_PROFILE, else "default"); empty when none is set (the caller decides). Throws ConfigError
// when the config file is malformed, or when the region found is not a plausible region name
// (letters, digits and '-' only).
std::string resolve_region(const Environment& env, std::string_view explicit_region = {},
                           std::string_view profile = {});

// A validated endpoint URL: http or https, a host (name, IPv4, or bracketed IPv6), an optional
// port, and no path beyond "/", query, fragment or user info.
struct Endpoint {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // as written; IPv6 keeps its brackets
  std::optional<std::uint16_t> port = std::nullopt;
  // scheme://host[:port], without a trailing slash.
  std::string url;

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// Parses and validates `url`. Throws ConfigError whose message starts with `origin` (the setting
// the URL came from, "AWS_ENDPOINT_URL" or "endpoint") and names the problem.
Endpoint parse_endpoint_url(std::string_view url, std::string_view origin);

// The DynamoDB endpoint: `explicit_url` if not empty, else AWS_ENDPOINT_URL_DYNAMODB, else
// AWS_ENDPOINT_URL, else https://dynamodb.{region}.amazonaws.com (amazonaws.com.cn for cn-*
// regions). AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true skips the two variables. Throws ConfigError
// on an invalid URL, or when there is no override and `region` is empty or invalid.
Endpoint resolve_dynamodb_endpoint(const Environment& env, std::string_view explicit_url,
                                   std::string_view region);

// The DynamoDB Streams endpoint, likewise: explicit, AWS_ENDPOINT_URL_DYNAMODB_STREAMS,
// AWS_ENDPOINT_URL, https://streams.dynamodb.{region}.amazonaws.com.
Endpoint resolve_dynamodb_streams_endpoint(const Environment& env, std::string_view explicit_url,
                                           std::string_view region);

}  // namespace zae::aws
