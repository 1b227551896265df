// SPDX-License-Identifier: MIT
#include "aws/credential_providers.h"

#include <optional>
#include <string_view>
#include <vector>

#include "aws/http.h"
#include "aws/json.h"
#include "aws/xml.h"

namespace zae::aws {
namespace {

constexpr CredentialsErrorKind kNotConfigured = CredentialsErrorKind::kNotConfigured;
constexpr CredentialsErrorKind kFailed = CredentialsErrorKind::kFailed;

std::string_view trim(std::string_view s) { return aws::trim(s, " \t\r\n"); }

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

// A short, printable excerpt of a response body for error messages.
std::string excerpt(std::string_view body) {
  constexpr std::size_t kMax = 200;
  std::string out;
  for (char c : trim(body).substr(0, kMax)) {
    out += (c >= 0x20 && c < 0x7F) ? c : ' ';
  }
  if (trim(body).size() > kMax) {
    out += "...";
  }
  return out;
}

std::string describe_status(const HttpResponse& response) {
  std::string text = "HTTP " + std::to_string(response.status);
  const std::string body = excerpt(response.body);
  if (!body.empty()) {
    text += " (" + body + ")";
  }
  return text;
}

std::string strip_trailing_slash(std::string url) {
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

// RFC 3986 percent-encoding of everything but the unreserved characters, as the Query API wants
// in a form body.
std::string form_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

// Reads a file a variable or setting points to; failures are kFailed errors of `source`.
std::string read_pointed_file(const Environment& env, const std::string& path,
                              const std::string& setting, const std::string& source) {
  std::optional<std::string> content;
  try {
    content = env.read_file(path);
  } catch (const ConfigError& error) {
    throw CredentialsError(kFailed, source, error.what());
  }
  if (!content) {
    throw CredentialsError(kFailed, source, setting + " names " + path + ", which does not exist");
  }
  return *std::move(content);
}

SharedFiles load_files_for(const Environment& env, std::string_view profile,
                           const std::string& source) {
  try {
    return load_shared_files(env, profile);
  } catch (const ConfigError& error) {
    throw CredentialsError(kFailed, source, error.what());
  }
}

std::chrono::system_clock::time_point parse_expiration(std::string_view text,
                                                       const std::string& source,
                                                       const std::string& origin) {
  const auto time = parse_iso8601(trim(text));
  if (!time) {
    throw CredentialsError(kFailed, source,
                           origin + ": Expiration '" + excerpt(text) + "' is not an ISO 8601 time");
  }
  return *time;
}

// The JSON credentials document of the container endpoint and IMDS.
TimedCredentials parse_credentials_json(std::string_view body, const std::string& source,
                                        const std::string& origin) {
  TimedCredentials result;
  std::optional<std::string> code;
  std::optional<std::string> message;
  std::optional<std::string> expiration;
  try {
    JsonReader reader(body);
    reader.enter_object();
    while (auto key = reader.next_key()) {
      const std::string name(*key);
      if (reader.peek() != JsonType::kString) {
        reader.skip_value();
        continue;
      }
      const std::string value(reader.read_string());
      if (name == "AccessKeyId") {
        result.credentials.access_key_id = value;
      } else if (name == "SecretAccessKey") {
        result.credentials.secret_access_key = value;
      } else if (name == "Token") {
        result.credentials.session_token = value;
      } else if (name == "Expiration") {
        expiration = value;
      } else if (name == "Code" || name == "code") {
        code = value;
      } else if (name == "Message" || name == "message") {
        message = value;
      }
    }
    reader.finish();
  } catch (const JsonError& error) {
    throw CredentialsError(kFailed, source,
                           "malformed JSON from " + origin + ": " + std::string(error.what()));
  }
  if (code && *code != "Success") {
    throw CredentialsError(kFailed, source,
                           origin + " answered Code " + *code + (message ? ": " + *message : ""));
  }
  if (result.credentials.access_key_id.empty() || result.credentials.secret_access_key.empty()) {
    throw CredentialsError(kFailed, source,
                           origin + " answered without AccessKeyId or SecretAccessKey");
  }
  if (expiration) {
    result.expiration = parse_expiration(*expiration, source, origin);
  }
  return result;
}

HttpResponse send_or_throw(HttpTransport& transport, const HttpRequest& request,
                           CredentialsErrorKind kind, const std::string& source,
                           const std::string& what) {
  try {
    return transport.send(request);
  } catch (const NetworkError& error) {
    throw CredentialsError(kind, source, "cannot reach " + what + ": " + error.what());
  }
}

// Scheme and host of an absolute URL, host lower-cased and without brackets or port.
struct UrlParts {
  std::string scheme;
  std::string host;
};

std::optional<UrlParts> split_url(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return std::nullopt;
  }
  UrlParts parts;
  for (char c : url.substr(0, sep)) {
    parts.scheme += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  std::string_view authority = url.substr(sep + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view host;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
  } else {
    host = authority.substr(0, authority.find(':'));
  }
  if (host.empty()) {
    return std::nullopt;
  }
  for (char c : host) {
    parts.host += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  return parts;
}

bool is_ipv4_loopback(std::string_view host) {
  if (!host.starts_with("127.")) {
    return false;
  }
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

// Plain-http container endpoints must stay on the host or the container agents' link-local
// addresses, where nobody else can see the token (SDKs' container provider rules).
bool is_allowed_http_container_host(std::string_view host) {
  return is_ipv4_loopback(host) || host == "::1" || host == "localhost" ||
         host == "169.254.170.2" || host == "169.254.170.23" || host == "fd00:ec2::23";
}

}  // namespace

TimedCredentials EnvironmentCredentialsSource::fetch() {
  const auto key = env_value(env_, "AWS_ACCESS_KEY_ID");
  const auto secret = env_value(env_, "AWS_SECRET_ACCESS_KEY");
  if (!key && !secret) {
    throw CredentialsError(kNotConfigured, name(), "AWS_ACCESS_KEY_ID is not set");
  }
  if (!key) {
    throw CredentialsError(kFailed, name(),
                           "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
  }
  if (!secret) {
    throw CredentialsError(kFailed, name(),
                           "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  }
  return TimedCredentials{
      .credentials = {.access_key_id = *key,
                      .secret_access_key = *secret,
                      .session_token = env_value(env_, "AWS_SESSION_TOKEN").value_or("")},
      .expiration = std::nullopt};
}

TimedCredentials ProfileCredentialsSource::fetch() {
  const SharedFiles files = load_files_for(env_, profile_, name());
  const std::string& profile = files.location.profile;
  const auto where = [&] {
    return files.location.credentials_path + " or " + files.location.config_path;
  };
  if (!files.config.exists && !files.credentials.exists) {
    throw CredentialsError(kNotConfigured, name(),
                           "no shared credentials or config file (" + where() + ")");
  }
  if (!files.has_profile()) {
    throw CredentialsError(files.location.profile_named ? kFailed : kNotConfigured, name(),
                           "profile '" + profile + "' is not in " + where());
  }
  if (files.property("role_arn")) {
    if (files.property("web_identity_token_file")) {
      throw CredentialsError(kNotConfigured, name(),
                             "profile '" + profile +
                                 "' assumes a role with a web identity token (the web identity "
                                 "source handles it)");
    }
    throw CredentialsError(kFailed, name(),
                           "profile '" + profile +
                               "' assumes a role with source_profile or credential_source, which "
                               "is not supported; use web_identity_token_file or static keys");
  }
  for (const char* unsupported : {"credential_process", "sso_session", "sso_start_url"}) {
    if (files.property(unsupported)) {
      throw CredentialsError(kFailed, name(),
                             "profile '" + profile + "' uses " + unsupported +
                                 ", which is not supported; use static keys");
    }
  }
  // The keys come from one file, never half from each: the credentials file if it has any key
  // for the profile, else the config file.
  const auto has_keys = [&](const ProfileFile& file) {
    const auto* properties = file.find(profile);
    return properties != nullptr && (properties->contains("aws_access_key_id") ||
                                     properties->contains("aws_secret_access_key"));
  };
  const ProfileFile* file = has_keys(files.credentials) ? &files.credentials
                            : has_keys(files.config)    ? &files.config
                                                        : nullptr;
  if (file == nullptr) {
    throw CredentialsError(kNotConfigured, name(),
                           "profile '" + profile + "' has no aws_access_key_id in " + where());
  }
  const ProfileProperties& properties = *file->find(profile);
  const auto get = [&](std::string_view key) -> std::string {
    const auto it = properties.find(key);
    return it == properties.end() ? std::string() : it->second;
  };
  TimedCredentials result{.credentials = {.access_key_id = get("aws_access_key_id"),
                                          .secret_access_key = get("aws_secret_access_key"),
                                          .session_token = get("aws_session_token")},
                          .expiration = std::nullopt};
  for (const auto& [key, value] :
       {std::pair{"aws_access_key_id", &result.credentials.access_key_id},
        std::pair{"aws_secret_access_key", &result.credentials.secret_access_key}}) {
    if (value->empty()) {
      throw CredentialsError(kFailed, name(),
                             "profile '" + profile + "' in " + file->path + " has no " + key);
    }
  }
  return result;
}

TimedCredentials WebIdentityCredentialsSource::fetch() {
  const std::string source = name();
  std::string role_arn;
  std::string token_file;
  std::string session_name;
  std::string token_setting;
  const auto env_token_file = env_value(env_, "AWS_WEB_IDENTITY_TOKEN_FILE");
  const auto env_role = env_value(env_, "AWS_ROLE_ARN");
  if (env_token_file || env_role) {
    if (!env_token_file || !env_role) {
      throw CredentialsError(kFailed, source,
                             env_role
                                 ? "AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not"
                                 : "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
    }
    role_arn = *env_role;
    token_file = *env_token_file;
    session_name = env_value(env_, "AWS_ROLE_SESSION_NAME").value_or("");
    token_setting = "AWS_WEB_IDENTITY_TOKEN_FILE";
  } else {
    const SharedFiles files = load_files_for(env_, options_.profile, source);
    const auto file = files.property("web_identity_token_file");
    const auto role = files.property("role_arn");
    const std::string& profile = files.location.profile;
    if (!file) {
      throw CredentialsError(kNotConfigured, source,
                             "AWS_WEB_IDENTITY_TOKEN_FILE is not set and profile '" + profile +
                                 "' has no web_identity_token_file");
    }
    if (!role || role->empty()) {
      throw CredentialsError(
          kFailed, source, "profile '" + profile + "' has web_identity_token_file but no role_arn");
    }
    role_arn = *role;
    token_file = *file;
    session_name = files.property("role_session_name").value_or("");
    token_setting = "profile '" + profile + "' web_identity_token_file";
  }
  const std::string token(trim(read_pointed_file(env_, token_file, token_setting, source)));
  if (token.empty()) {
    throw CredentialsError(kFailed, source,
                           "the web identity token file " + token_file + " is empty");
  }
  if (session_name.empty()) {
    const auto now = options_.clock ? options_.clock() : std::chrono::system_clock::now();
    session_name =
        "zae-limiter-" +
        std::to_string(
            std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  }

  std::string endpoint = options_.sts_endpoint;
  if (endpoint.empty()) {
    endpoint = env_value(env_, "AWS_ENDPOINT_URL_STS").value_or("");
  }
  if (endpoint.empty()) {
    std::string region;
    try {
      region = resolve_region(env_, {}, options_.profile);
    } catch (const ConfigError& error) {
      throw CredentialsError(kFailed, source, error.what());
    }
    endpoint = region.empty()
                   ? "https://sts.amazonaws.com"
                   : "https://sts." + region +
                         (region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com");
  }
  HttpRequest request;
  request.method = "POST";
  request.url = strip_trailing_slash(endpoint) + "/";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body =
      "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + form_encode(role_arn) +
      "&RoleSessionName=" + form_encode(session_name) + "&WebIdentityToken=" + form_encode(token);
  request.timeout = options_.timeout;
  const std::string what = "STS AssumeRoleWithWebIdentity at " + request.url;
  const HttpResponse response = send_or_throw(transport_, request, kFailed, source, what);
  if (response.status != 200) {
    std::string detail = describe_status(response);
    try {
      const XmlElement root = parse_xml(response.body);
      const XmlElement* code = root.find({"Error", "Code"});
      const XmlElement* message = root.find({"Error", "Message"});
      if (code != nullptr) {
        detail = "HTTP " + std::to_string(response.status) + ", " + std::string(trim(code->text)) +
                 (message != nullptr ? ": " + std::string(trim(message->text)) : "");
      }
    } catch (const XmlError&) {
      // Not an STS error document: the status and the excerpt say what there is.
    }
    throw CredentialsError(kFailed, source, what + " returned " + detail + " for role " + role_arn);
  }
  XmlElement root;
  try {
    root = parse_xml(response.body);
  } catch (const XmlError& error) {
    throw CredentialsError(kFailed, source,
                           "malformed XML from " + what + ": " + std::string(error.what()));
  }
  const XmlElement* credentials = root.find({"AssumeRoleWithWebIdentityResult", "Credentials"});
  if (root.name != "AssumeRoleWithWebIdentityResponse" || credentials == nullptr) {
    throw CredentialsError(kFailed, source,
                           what + " answered without AssumeRoleWithWebIdentityResult/Credentials");
  }
  const auto field = [&](std::string_view field_name) {
    const XmlElement* element = credentials->child(field_name);
    if (element == nullptr || trim(element->text).empty()) {
      throw CredentialsError(kFailed, source,
                             what + " answered without Credentials/" + std::string(field_name));
    }
    return std::string(trim(element->text));
  };
  TimedCredentials result{.credentials = {.access_key_id = field("AccessKeyId"),
                                          .secret_access_key = field("SecretAccessKey"),
                                          .session_token = field("SessionToken")},
                          .expiration = std::nullopt};
  result.expiration = parse_expiration(field("Expiration"), source, what);
  return result;
}

TimedCredentials ContainerCredentialsSource::fetch() {
  const std::string source = name();
  std::string url;
  if (auto relative = env_value(env_, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    if (!relative->starts_with('/')) {
      throw CredentialsError(
          kFailed, source,
          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI '" + *relative + "' does not start with '/'");
    }
    url = strip_trailing_slash(options_.relative_base) + *relative;
  } else if (auto full = env_value(env_, "AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    const auto parts = split_url(*full);
    if (!parts || (parts->scheme != "http" && parts->scheme != "https")) {
      throw CredentialsError(
          kFailed, source,
          "AWS_CONTAINER_CREDENTIALS_FULL_URI '" + *full + "' is not an http or https URL");
    }
    if (parts->scheme == "http" && !is_allowed_http_container_host(parts->host)) {
      throw CredentialsError(kFailed, source,
                             "AWS_CONTAINER_CREDENTIALS_FULL_URI '" + *full +
                                 "' uses plain http to host " + parts->host +
                                 "; only https, loopback, 169.254.170.2, 169.254.170.23 and "
                                 "fd00:ec2::23 are allowed");
    }
    url = *full;
  } else {
    throw CredentialsError(kNotConfigured, source,
                           "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and "
                           "AWS_CONTAINER_CREDENTIALS_FULL_URI are not set");
  }
  if (has_line_break(url)) {
    throw CredentialsError(kFailed, source, "the container credentials URI contains a line break");
  }
  std::optional<std::string> token;
  if (auto token_file = env_value(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    token = std::string(trim(
        read_pointed_file(env_, *token_file, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", source)));
  } else {
    token = env_value(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
  }
  HttpRequest request;
  request.method = "GET";
  request.url = url;
  request.timeout = options_.timeout;
  if (token) {
    if (has_line_break(*token)) {
      throw CredentialsError(kFailed, source,
                             "the container authorization token contains a line break");
    }
    request.headers.push_back({"Authorization", *token});
  }
  const std::string what = "the container credentials endpoint " + url;
  const HttpResponse response = send_or_throw(transport_, request, kFailed, source, what);
  if (response.status != 200) {
    throw CredentialsError(kFailed, source, what + " returned " + describe_status(response));
  }
  return parse_credentials_json(response.body, source, what);
}

TimedCredentials ImdsCredentialsSource::fetch() {
  const std::string source = name();
  if (const auto disabled = env_value(env_, "AWS_EC2_METADATA_DISABLED");
      disabled && equals_ignore_case(trim(*disabled), "true")) {
    throw CredentialsError(kNotConfigured, source, "disabled by AWS_EC2_METADATA_DISABLED");
  }
  std::string endpoint = options_.endpoint;
  if (endpoint.empty()) {
    endpoint = env_value(env_, "AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("");
  }
  if (endpoint.empty()) {
    const auto mode = env_value(env_, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    endpoint = mode && equals_ignore_case(*mode, "IPv6") ? "http://[fd00:ec2::254]"
                                                         : "http://169.254.169.254";
  }
  endpoint = strip_trailing_slash(endpoint);
  if (has_line_break(endpoint)) {
    throw CredentialsError(kFailed, source, "the metadata endpoint contains a line break");
  }

  HttpRequest token_request;
  token_request.method = "PUT";
  token_request.url = endpoint + "/latest/api/token";
  token_request.headers = {
      {"X-aws-ec2-metadata-token-ttl-seconds", std::to_string(options_.token_ttl.count())}};
  token_request.timeout = options_.timeout;
  const std::string token_what = "the instance metadata service at " + endpoint;
  const HttpResponse token_response =
      send_or_throw(transport_, token_request, kNotConfigured, source, token_what);
  if (token_response.status == 403) {
    throw CredentialsError(kNotConfigured, source,
                           token_what + " refused a session token (HTTP 403): IMDS is disabled");
  }
  if (token_response.status != 200) {
    throw CredentialsError(
        kFailed, source,
        "PUT " + token_request.url + " returned " + describe_status(token_response));
  }
  const std::string token(trim(token_response.body));
  if (token.empty() || has_line_break(token)) {
    throw CredentialsError(kFailed, source,
                           "PUT " + token_request.url + " returned an empty or malformed token");
  }

  const auto get = [&](const std::string& path) {
    HttpRequest request;
    request.method = "GET";
    request.url = endpoint + path;
    request.headers = {{"X-aws-ec2-metadata-token", token}};
    request.timeout = options_.timeout;
    return std::pair{request.url,
                     send_or_throw(transport_, request, kFailed, source, "GET " + request.url)};
  };
  constexpr std::string_view kCredentialsPath = "/latest/meta-data/iam/security-credentials/";
  const auto [roles_url, roles] = get(std::string(kCredentialsPath));
  if (roles.status == 404) {
    throw CredentialsError(
        kNotConfigured, source,
        "no IAM role is attached to the instance (GET " + roles_url + " returned 404)");
  }
  if (roles.status != 200) {
    throw CredentialsError(kFailed, source,
                           "GET " + roles_url + " returned " + describe_status(roles));
  }
  std::string_view body = trim(roles.body);
  const std::string role(trim(body.substr(0, body.find('\n'))));
  if (role.empty() || role.find_first_of("/?#% ") != std::string::npos) {
    throw CredentialsError(
        kFailed, source,
        "GET " + roles_url + " returned no usable role name ('" + excerpt(role) + "')");
  }
  const auto [credentials_url, credentials] = get(std::string(kCredentialsPath) + role);
  if (credentials.status != 200) {
    throw CredentialsError(kFailed, source,
                           "GET " + credentials_url + " returned " + describe_status(credentials));
  }
  return parse_credentials_json(credentials.body, source, "GET " + credentials_url);
}

std::unique_ptr<CachedCredentialsProvider> make_default_credentials_provider(
    HttpTransport& transport, DefaultCredentialsOptions options) {
  const Environment& env =
      options.environment != nullptr ? *options.environment : process_environment();
  if (options.web_identity.profile.empty()) {
    options.web_identity.profile = options.profile;
  }
  if (!options.web_identity.clock) {
    options.web_identity.clock = options.clock;
  }
  std::vector<std::unique_ptr<CredentialsSource>> sources;
  sources.push_back(std::make_unique<EnvironmentCredentialsSource>(env));
  sources.push_back(std::make_unique<ProfileCredentialsSource>(env, options.profile));
  sources.push_back(
      std::make_unique<WebIdentityCredentialsSource>(env, transport, options.web_identity));
  sources.push_back(
      std::make_unique<ContainerCredentialsSource>(env, transport, options.container));
  sources.push_back(std::make_unique<ImdsCredentialsSource>(env, transport, options.imds));
  return std::make_unique<CachedCredentialsProvider>(
      std::make_unique<ChainCredentialsSource>(std::move(sources)), std::move(options.clock),
      options.cache);
}

}  // namespace zae::aws
