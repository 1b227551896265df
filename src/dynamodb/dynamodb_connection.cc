// SPDX-License-Identifier: MIT
#include "dynamodb/dynamodb_connection.h"

#include <charconv>
#include <chrono>
#include <tuple>
#include <utility>

#include "zae/errors.h"

#include "aws/credential_providers.h"
#include "aws/curl_transport.h"
#include "aws/socket_transport.h"
#include "core/time_format.h"

namespace zae::dynamodb {
namespace {

// Parses the non-negative integer at the front of `text`, advancing it.
std::optional<int> take_number(std::string_view& text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data() || value < 0) {
    return std::nullopt;
  }
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return value;
}

bool take(std::string_view& text, char c) {
  if (text.empty() || text.front() != c) {
    return false;
  }
  text.remove_prefix(1);
  return true;
}

std::int64_t system_now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

}  // namespace

std::optional<SchemaVersion> SchemaVersion::parse(std::string_view text) {
  take(text, 'v');
  SchemaVersion version;
  std::optional<int> major = take_number(text);
  if (!major || !take(text, '.')) {
    return std::nullopt;
  }
  std::optional<int> minor = take_number(text);
  if (!minor || !take(text, '.')) {
    return std::nullopt;
  }
  std::optional<int> patch = take_number(text);
  if (!patch) {
    return std::nullopt;
  }
  version.major = *major;
  version.minor = *minor;
  version.patch = *patch;
  if (text.starts_with(".dev")) {
    // VR-2: Python's ".devN" development releases sort as prerelease "dev".
    version.prerelease = "dev";
    return version;
  }
  if (take(text, '-')) {
    if (text.empty()) {
      return std::nullopt;
    }
    version.prerelease = std::string(text);
    return version;
  }
  if (!text.empty()) {
    return std::nullopt;
  }
  return version;
}

bool operator<(const SchemaVersion& a, const SchemaVersion& b) {
  if (std::tie(a.major, a.minor, a.patch) != std::tie(b.major, b.minor, b.patch)) {
    return std::tie(a.major, a.minor, a.patch) < std::tie(b.major, b.minor, b.patch);
  }
  // A prerelease sorts before its release; two prereleases compare as text.
  if (a.prerelease.empty() || b.prerelease.empty()) {
    return !a.prerelease.empty() && b.prerelease.empty();
  }
  return a.prerelease < b.prerelease;
}

void check_version_record(const VersionRecord& record) {
  const std::string client(kClientSchemaVersion);
  const SchemaVersion ours = *SchemaVersion::parse(kClientSchemaVersion);
  const std::optional<SchemaVersion> schema = SchemaVersion::parse(record.schema_version);
  if (!schema) {
    throw IncompatibleSchemaError(client, record.schema_version,
                                  "the table's schema_version cannot be parsed");
  }
  if (schema->major != ours.major) {
    // VR-3 rule 4: a different major version needs a schema migration.
    throw IncompatibleSchemaError(client, record.schema_version,
                                  "schema major version " + std::to_string(schema->major) +
                                      " requires a migration (this client speaks " + client + ")");
  }
  // VR-3 rule 3 (an unparsable minimum reads as 0.0.0).
  const SchemaVersion minimum =
      SchemaVersion::parse(record.client_min_version).value_or(SchemaVersion{});
  if (ours < minimum) {
    throw IncompatibleSchemaError(
        client, record.schema_version,
        "the table requires clients of at least " + record.client_min_version);
  }
}

ClientSettings resolve_client_settings(const DynamoDbStoreUri& uri, const aws::Environment& env) {
  return with_zae_errors("store " + quoted(uri.table_name), [&] {
    ClientSettings settings;
    settings.region = aws::resolve_region(env, uri.region.value_or(""));
    // Throws when there is neither an endpoint override nor a region.
    settings.endpoint =
        aws::resolve_dynamodb_endpoint(env, uri.endpoint.value_or(""), settings.region);
    if (settings.region.empty()) {
      settings.region = "us-east-1";
    }
    return settings;
  });
}

namespace {

// Our own HTTP/1.1 client costs about half the client CPU of libcurl per request (bench/
// dynamodb_bench.cc) but speaks plain http only and ignores proxy variables: use it for http://
// endpoints (DynamoDB Local, a local proxy) when no proxy is configured, libcurl otherwise. The
// URI's transport= chooses explicitly; its timeouts go to either.
std::shared_ptr<aws::HttpTransport> transport_for(const std::string& endpoint_url,
                                                  const aws::Environment& env,
                                                  const DynamoDbStoreUri& uri) {
  const bool plain_http = endpoint_url.rfind("http://", 0) == 0;
  bool proxied = false;
  for (const char* name : {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"}) {
    proxied = proxied || env.variable(name).has_value();
  }
  const DynamoDbTransportKind kind = uri.transport.value_or(
      plain_http && !proxied ? DynamoDbTransportKind::kSocket : DynamoDbTransportKind::kCurl);
  if (kind == DynamoDbTransportKind::kSocket) {
    aws::SocketTransportOptions options;
    options.connect_timeout = uri.connect_timeout.value_or(options.connect_timeout);
    options.request_timeout = uri.timeout.value_or(options.request_timeout);
    return std::make_shared<aws::SocketTransport>(options);
  }
  aws::CurlTransportOptions options;
  options.connect_timeout = uri.connect_timeout.value_or(options.connect_timeout);
  options.request_timeout = uri.timeout.value_or(options.request_timeout);
  return std::make_shared<aws::CurlTransport>(options);
}

}  // namespace

struct DynamoDbConnection::Owned {
  std::shared_ptr<aws::HttpTransport> transport;
  std::shared_ptr<aws::HttpTransport> credentials_transport;
  std::unique_ptr<aws::CachedCredentialsProvider> credentials;
};

std::unique_ptr<DynamoDbConnection> DynamoDbConnection::create(const DynamoDbStoreUri& uri,
                                                               const aws::Environment& env,
                                                               DynamoDbConnectionOptions options) {
  validate_table_name(uri.table_name);
  const ClientSettings settings = resolve_client_settings(uri, env);
  auto owned = std::make_shared<Owned>();
  with_zae_errors("store " + quoted(uri.table_name), [&] {
    owned->transport = transport_for(settings.endpoint.url, env, uri);
    if (options.wrap_transport) {
      owned->transport = options.wrap_transport(std::move(owned->transport));
    }
    // Credentials endpoints (STS, IMDS, containers) may be https or behind a proxy: always curl.
    owned->credentials_transport = std::make_shared<aws::CurlTransport>();
    owned->credentials = aws::make_default_credentials_provider(*owned->credentials_transport,
                                                                {.environment = &env});
  });
  aws::CachedCredentialsProvider* provider = owned->credentials.get();
  auto client = std::make_shared<aws::DynamoDbClient>(aws::DynamoDbClientConfig{
      .endpoint = settings.endpoint.url,
      .region = settings.region,
      .credentials = [provider] { return provider->credentials(); },
      .transport = owned->transport,
      .retry = {.retry = aws::RetryPolicy(
                    uri.max_attempts.value_or(aws::RetryPolicy::kStandardMaxAttempts))},
      .attempt_timeout = uri.timeout.value_or(std::chrono::milliseconds(0)),
      .capacity_observer = options.capacity_observer,
  });
  return std::unique_ptr<DynamoDbConnection>(
      new DynamoDbConnection(std::move(owned), std::move(client), std::move(options)));
}

DynamoDbConnection::DynamoDbConnection(std::shared_ptr<aws::DynamoDbClient> client,
                                       DynamoDbConnectionOptions options)
    : DynamoDbConnection(nullptr, std::move(client), std::move(options)) {}

DynamoDbConnection::DynamoDbConnection(std::shared_ptr<Owned> owned,
                                       std::shared_ptr<aws::DynamoDbClient> client,
                                       DynamoDbConnectionOptions options)
    : owned_(std::move(owned)), client_(std::move(client)), options_(std::move(options)) {}

NamespaceRegistry& DynamoDbConnection::namespaces(std::string_view table_name) {
  std::lock_guard lock(mutex_);
  auto it = registries_.find(table_name);
  if (it == registries_.end()) {
    it = registries_
             .emplace(std::string(table_name),
                      std::make_unique<NamespaceRegistry>(
                          *client_, std::string(table_name),
                          NamespaceRegistryOptions{.now_seconds = options_.provision.now_seconds,
                                                   .random = options_.provision.random}))
             .first;
  }
  return *it->second;
}

OpenedNamespace DynamoDbConnection::open(std::string_view table_name,
                                         std::string_view namespace_name) {
  validate_table_name(table_name);
  // OQ-25: unlike the original, open("_") does not register the reserved namespace.
  validate_namespace_name(namespace_name);
  OpenedNamespace opened{.table_name = std::string(table_name),
                         .namespace_name = std::string(namespace_name)};
  with_zae_errors("open table " + quoted(table_name), [&] {
    std::optional<aws::TableDescription> table = describe_table(*client_, table_name);
    if (!table) {
      if (options_.auto_provision == AutoProvision::kDisabled) {
        throw InfrastructureNotFoundError("table " + quoted(table_name) + " does not exist");
      }
      // RO-5: provisions the table, its version record and the `default` namespace.
      opened.table_created =
          provision_table(*client_, table_name, options_.provision).table_created;
    } else if (table->table_status != "ACTIVE") {
      (void)wait_until_active(*client_, table_name, options_.provision.table.active_timeout,
                              options_.provision.table.poll_interval);
    }
    // VR-4, Q27: write the record only when absent, never overwrite it, and check it before
    // anything is written into the namespace.
    std::optional<VersionRecord> record = read_version_record(*client_, table_name);
    if (!record) {
      const std::int64_t now =
          options_.provision.now_seconds ? options_.provision.now_seconds() : system_now_seconds();
      const bool written = write_version_record_if_absent(
          *client_, table_name,
          VersionRecord{.schema_version = std::string(kSchemaVersion),
                        .client_min_version = "0.0.0",
                        .updated_at = core::format_utc_seconds(now),
                        .lambda_version = std::nullopt,
                        .updated_by = options_.provision.updated_by});
      if (!written) {
        record = read_version_record(*client_, table_name);
      }
    }
    if (record) {
      check_version_record(*record);
    }
  });
  // RO-5: an unknown namespace is registered (auto-registration).
  NamespaceRegistry& registry = namespaces(table_name);
  std::optional<std::string> id = registry.resolve(namespace_name);
  opened.namespace_id = id ? *id : registry.register_namespace(namespace_name);
  return opened;
}

}  // namespace zae::dynamodb
