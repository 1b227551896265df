// SPDX-License-Identifier: MIT
#include "aws/aws_config.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "aws/http.h"

namespace zae::aws {
namespace {

constexpr std::string_view kWhitespace = " \t";

std::string_view trim(std::string_view s) { return aws::trim(s, " \t\r\n"); }

bool is_comment(std::string_view trimmed) {
  return !trimmed.empty() && (trimmed.front() == '#' || trimmed.front() == ';');
}

// Cuts a comment off a property value: '#' or ';' counts only after whitespace, so values such
// as secrets containing those characters survive.
std::string_view strip_value_comment(std::string_view value) {
  for (std::size_t i = 1; i < value.size(); ++i) {
    if ((value[i] == '#' || value[i] == ';') && (value[i - 1] == ' ' || value[i - 1] == '\t')) {
      return trim(value.substr(0, i));
    }
  }
  return value;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto la = static_cast<char>(a[i] >= 'A' && a[i] <= 'Z' ? a[i] - 'A' + 'a' : a[i]);
    const auto lb = static_cast<char>(b[i] >= 'A' && b[i] <= 'Z' ? b[i] - 'A' + 'a' : b[i]);
    if (la != lb) {
      return false;
    }
  }
  return true;
}

std::optional<std::string> read_real_file(const std::string& path) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    throw ConfigError("cannot read " + path + ": it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return std::nullopt;
    }
    throw ConfigError("cannot read " + path + ": " + std::strerror(err));
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) {
    throw ConfigError("cannot read " + path);
  }
  return std::move(content).str();
}

// The profile a config-file section header names, or nullopt when the section is not a profile
// (`[sso-session x]`, `[services x]`, or a bare `[x]` other than default).
std::optional<std::string> config_profile_name(std::string_view section) {
  if (section == "default") {
    return std::string(section);
  }
  constexpr std::string_view kPrefix = "profile";
  if (section == kPrefix) {
    return std::string();  // `[profile ]`: a profile without a name
  }
  if (section.size() > kPrefix.size() && section.substr(0, kPrefix.size()) == kPrefix &&
      kWhitespace.find(section[kPrefix.size()]) != std::string_view::npos) {
    return std::string(trim(section.substr(kPrefix.size())));
  }
  return std::nullopt;
}

std::optional<std::string> credentials_profile_name(std::string_view section) {
  constexpr std::string_view kPrefix = "profile";
  if (section.size() > kPrefix.size() && section.substr(0, kPrefix.size()) == kPrefix &&
      kWhitespace.find(section[kPrefix.size()]) != std::string_view::npos) {
    return std::nullopt;
  }
  return std::string(section);
}

std::string expand_home(const Environment& env, std::string path) {
  if (path == "~" || path.starts_with("~/")) {
    const auto home = env_value(env, "HOME");
    if (!home) {
      return {};
    }
    return *home + path.substr(1);
  }
  return path;
}

bool is_valid_region(std::string_view region) {
  if (region.empty() || region.front() == '-' || region.back() == '-') {
    return false;
  }
  for (char c : region) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

Endpoint regional_endpoint(std::string_view prefix, std::string_view region,
                           std::string_view service) {
  if (region.empty()) {
    throw ConfigError("cannot build the " + std::string(service) +
                      " endpoint: no region (pass one, or set AWS_REGION or a profile region)");
  }
  if (!is_valid_region(region)) {
    throw ConfigError("region '" + std::string(region) +
                      "' is not a valid region name (letters, digits and '-')");
  }
  const std::string_view suffix =
      region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
  std::string host = std::string(prefix) + std::string(region) + std::string(suffix);
  return Endpoint{.scheme = "https", .host = host, .port = std::nullopt, .url = "https://" + host};
}

Endpoint resolve_endpoint(const Environment& env, std::string_view explicit_url,
                          std::string_view service_variable, std::string_view host_prefix,
                          std::string_view region, std::string_view service) {
  if (!explicit_url.empty()) {
    return parse_endpoint_url(explicit_url, "endpoint");
  }
  const auto ignore = env_value(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  if (!ignore || !equals_ignore_case(*ignore, "true")) {
    if (auto url = env_value(env, service_variable)) {
      return parse_endpoint_url(*url, service_variable);
    }
    if (auto url = env_value(env, "AWS_ENDPOINT_URL")) {
      return parse_endpoint_url(*url, "AWS_ENDPOINT_URL");
    }
  }
  return regional_endpoint(host_prefix, region, service);
}

}  // namespace

ConfigError::ConfigError(std::string file, std::size_t line, const std::string& problem)
    : AwsError(file + ":" + std::to_string(line) + ": " + problem),
      file_(std::move(file)),
      line_(line) {}

std::optional<std::string> ProcessEnvironment::variable(std::string_view name) const {
  const std::string key(name);
  // getenv is safe to call concurrently as long as nothing modifies the environment.
  const char* value = std::getenv(key.c_str());  // NOLINT(concurrency-mt-unsafe)
  if (value == nullptr) {
    return std::nullopt;
  }
  return std::string(value);
}

std::optional<std::string> ProcessEnvironment::read_file(const std::string& path) const {
  return read_real_file(path);
}

const Environment& process_environment() {
  static const ProcessEnvironment env;
  return env;
}

std::optional<std::string> FixedEnvironment::variable(std::string_view name) const {
  const auto it = variables_.find(name);
  if (it == variables_.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::optional<std::string> FixedEnvironment::read_file(const std::string& path) const {
  return read_real_file(path);
}

std::optional<std::string> env_value(const Environment& env, std::string_view name) {
  auto value = env.variable(name);
  if (!value || value->empty()) {
    return std::nullopt;
  }
  return value;
}

const ProfileProperties* ProfileFile::find(std::string_view profile) const {
  const auto it = profiles.find(profile);
  return it == profiles.end() ? nullptr : &it->second;
}

ProfileFile parse_profile_file(std::string_view text, std::string path, ProfileFileKind kind) {
  ProfileFile file{.path = std::move(path), .exists = true, .profiles = {}};
  if (text.starts_with("\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  bool in_section = false;
  ProfileProperties* current = nullptr;  // null inside a section that is not a profile
  std::string* last_value = nullptr;     // the property an indented line continues
  std::size_t line_number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_number;
    const std::string_view trimmed = trim(line);
    if (trimmed.empty() || is_comment(trimmed)) {
      continue;
    }
    const auto fail = [&](const std::string& problem) {
      throw ConfigError(file.path, line_number, problem);
    };
    if (trimmed.front() == '[') {
      const auto close = trimmed.find(']');
      if (close == std::string_view::npos) {
        fail("section header is missing ']'");
      }
      const std::string_view rest = trim(trimmed.substr(close + 1));
      if (!rest.empty() && !is_comment(rest)) {
        fail("unexpected text after ']' in section header");
      }
      const std::string_view section = trim(trimmed.substr(1, close - 1));
      if (section.empty()) {
        fail("empty section name");
      }
      const auto name = kind == ProfileFileKind::kConfig ? config_profile_name(section)
                                                         : credentials_profile_name(section);
      if (name && name->empty()) {
        fail("empty profile name");
      }
      in_section = true;
      current = name ? &file.profiles[*name] : nullptr;
      last_value = nullptr;
      continue;
    }
    const bool indented = kWhitespace.find(line.front()) != std::string_view::npos;
    if (indented && last_value != nullptr) {
      *last_value += '\n';
      *last_value += strip_value_comment(trimmed);
      continue;
    }
    if (!in_section) {
      fail("property outside of any section (expected a '[profile]' header first)");
    }
    const auto eq = trimmed.find('=');
    if (eq == std::string_view::npos) {
      fail("expected 'key = value' (no '=')");
    }
    const std::string_view key = trim(trimmed.substr(0, eq));
    if (key.empty()) {
      fail("property with an empty key");
    }
    const std::string_view value = strip_value_comment(trim(trimmed.substr(eq + 1)));
    if (current != nullptr) {
      std::string& slot = (*current)[std::string(key)];
      slot.assign(value);
      last_value = &slot;
    } else {
      last_value = nullptr;
    }
  }
  return file;
}

SharedFilesLocation locate_shared_files(const Environment& env, std::string_view profile) {
  SharedFilesLocation location;
  location.config_path =
      expand_home(env, env_value(env, "AWS_CONFIG_FILE").value_or("~/.aws/config"));
  location.credentials_path = expand_home(
      env, env_value(env, "AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials"));
  if (!profile.empty()) {
    location.profile = profile;
    location.profile_named = true;
  } else if (auto named = env_value(env, "AWS_PROFILE")) {
    location.profile = *named;
    location.profile_named = true;
  } else {
    location.profile = "default";
  }
  return location;
}

std::optional<std::string> SharedFiles::property(std::string_view key) const {
  for (const ProfileFile* file : {&credentials, &config}) {
    if (const auto* profile = file->find(location.profile)) {
      if (const auto it = profile->find(key); it != profile->end()) {
        return it->second;
      }
    }
  }
  return std::nullopt;
}

bool SharedFiles::has_profile() const {
  return config.find(location.profile) != nullptr || credentials.find(location.profile) != nullptr;
}

SharedFiles load_shared_files(const Environment& env, std::string_view profile) {
  SharedFiles files{.location = locate_shared_files(env, profile), .config = {}, .credentials = {}};
  const auto load = [&](const std::string& path, ProfileFileKind kind) {
    ProfileFile file{.path = path, .exists = false, .profiles = {}};
    if (path.empty()) {
      return file;
    }
    if (auto text = env.read_file(path)) {
      return parse_profile_file(*text, path, kind);
    }
    return file;
  };
  files.config = load(files.location.config_path, ProfileFileKind::kConfig);
  files.credentials = load(files.location.credentials_path, ProfileFileKind::kCredentials);
  return files;
}

std::string resolve_region(const Environment& env, std::string_view explicit_region,
                           std::string_view profile) {
  std::string region;
  std::string origin;
  if (!explicit_region.empty()) {
    region = explicit_region;
    origin = "region";
  } else if (auto value = env_value(env, "AWS_REGION")) {
    region = *value;
    origin = "AWS_REGION";
  } else if (auto fallback = env_value(env, "AWS_DEFAULT_REGION")) {
    region = *fallback;
    origin = "AWS_DEFAULT_REGION";
  } else {
    const SharedFilesLocation location = locate_shared_files(env, profile);
    if (location.config_path.empty()) {
      return {};
    }
    const auto text = env.read_file(location.config_path);
    if (!text) {
      return {};
    }
    const ProfileFile config =
        parse_profile_file(*text, location.config_path, ProfileFileKind::kConfig);
    const auto* properties = config.find(location.profile);
    if (properties == nullptr) {
      return {};
    }
    const auto it = properties->find("region");
    if (it == properties->end() || it->second.empty()) {
      return {};
    }
    region = it->second;
    origin = location.config_path + " [" + location.profile + "] region";
  }
  if (!is_valid_region(region)) {
    throw ConfigError(origin + ": '" + region +
                      "' is not a valid region name (letters, digits and '-')");
  }
  return region;
}

Endpoint parse_endpoint_url(std::string_view url, std::string_view origin) {
  const std::string prefix = std::string(origin) + ": '" + std::string(url) + "' ";
  const auto fail = [&](const std::string& problem) { throw ConfigError(prefix + problem); };
  const auto colon = url.find("://");
  if (colon == std::string_view::npos) {
    fail("is not a URL (expected http://host[:port] or https://host[:port])");
  }
  std::string scheme(url.substr(0, colon));
  for (char& c : scheme) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  if (scheme != "http" && scheme != "https") {
    fail("has scheme '" + scheme + "'; expected http or https");
  }
  std::string_view rest = url.substr(colon + 3);
  const auto path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  if (path_start != std::string_view::npos) {
    const std::string_view tail = rest.substr(path_start);
    if (tail != "/") {
      fail("has a path, query or fragment ('" + std::string(tail) + "'); expected none");
    }
  }
  if (authority.find('@') != std::string_view::npos) {
    fail("has user info; credentials do not belong in an endpoint URL");
  }
  std::string_view host;
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      fail("has an IPv6 host without ']'");
    }
    host = authority.substr(0, close + 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        fail("has unexpected text after the IPv6 host");
      }
      port_text = after.substr(1);
      if (port_text.empty()) {
        fail("has an empty port");
      }
    }
    if (host.size() <= 2) {
      fail("has an empty host");
    }
    for (char c : host.substr(1, host.size() - 2)) {
      const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                      c == ':' || c == '.';
      if (!ok) {
        fail("has an invalid IPv6 host");
      }
    }
  } else {
    const auto port_colon = authority.find(':');
    host = authority.substr(0, port_colon);
    if (port_colon != std::string_view::npos) {
      port_text = authority.substr(port_colon + 1);
      if (port_text.empty()) {
        fail("has an empty port");
      }
    }
    if (host.empty()) {
      fail("has no host");
    }
    for (char c : host) {
      if (!is_host_char(c)) {
        fail("has an invalid character '" + std::string(1, c) + "' in its host");
      }
    }
  }
  std::optional<std::uint16_t> port;
  if (!port_text.empty()) {
    unsigned value = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || value > 65535) {
        fail("has an invalid port '" + std::string(port_text) + "'");
      }
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535 || port_text.size() > 5) {
      fail("has port " + std::string(port_text) + " outside 1-65535");
    }
    port = static_cast<std::uint16_t>(value);
  }
  std::string normalized = scheme + "://" + std::string(host);
  if (port) {
    normalized += ":" + std::to_string(*port);
  }
  return Endpoint{.scheme = scheme, .host = std::string(host), .port = port, .url = normalized};
}

Endpoint resolve_dynamodb_endpoint(const Environment& env, std::string_view explicit_url,
                                   std::string_view region) {
  return resolve_endpoint(env, explicit_url, "AWS_ENDPOINT_URL_DYNAMODB", "dynamodb.", region,
                          "DynamoDB");
}

Endpoint resolve_dynamodb_streams_endpoint(const Environment& env, std::string_view explicit_url,
                                           std::string_view region) {
  return resolve_endpoint(env, explicit_url, "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
                          "streams.dynamodb.", region, "DynamoDB Streams");
}

}  // namespace zae::aws
