// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "aws/aws_config.h"
#include "aws/credentials.h"
#include "aws/http.h"

// The credential sources of the AWS SDKs' default chain, and the chain itself. Each source reads
// the process only through an Environment and the network only through an HttpTransport; both
// must outlive the source. Every source is thread-safe and does its work on each fetch(): wrap it
// in a CachedCredentialsProvider (make_default_credentials_provider does) to cache and refresh.
namespace zae::aws {

// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and optional AWS_SESSION_TOKEN. Not configured when
// neither key is set; failed when only one is.
class EnvironmentCredentialsSource final : public CredentialsSource {
 public:
  explicit EnvironmentCredentialsSource(const Environment& env) : env_(env) {}
  std::string name() const override { return "environment"; }
  TimedCredentials fetch() override;

 private:
  const Environment& env_;
};

// Static keys (aws_access_key_id, aws_secret_access_key, aws_session_token) of the selected
// profile (`profile`, else AWS_PROFILE, else "default") in the shared credentials file
// (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials) or, when that file has no keys for the
// profile, the config file (AWS_CONFIG_FILE, ~/.aws/config). The files are read on each fetch.
// Not configured: no files, the default profile missing, or a profile without keys, or one that
// assumes a role with web_identity_token_file (the web identity source handles that). Failed: a
// malformed file (file and line), a named profile found in neither file, only one of the two
// keys, or settings this client does not support (role_arn with source_profile or
// credential_source, credential_process, SSO), so that the chain does not silently fall through
// to another identity.
class ProfileCredentialsSource final : public CredentialsSource {
 public:
  explicit ProfileCredentialsSource(const Environment& env, std::string profile = {})
      : env_(env), profile_(std::move(profile)) {}
  std::string name() const override { return "shared files"; }
  TimedCredentials fetch() override;

 private:
  const Environment& env_;
  const std::string profile_;
};

struct WebIdentityOptions {
  // The STS endpoint ("https://sts.us-east-1.amazonaws.com", or a test server). Empty:
  // AWS_ENDPOINT_URL_STS, else https://sts.{region}.amazonaws.com for the resolved region, else
  // https://sts.amazonaws.com.
  std::string sts_endpoint = {};
  // The profile whose role_arn and web_identity_token_file apply when the variables are unset.
  // Empty: AWS_PROFILE, else "default".
  std::string profile = {};
  std::chrono::milliseconds timeout{5000};
  // Used for the default role session name.
  WallClock clock = {};
};

// STS AssumeRoleWithWebIdentity (an unsigned Query API POST) with the token read from
// AWS_WEB_IDENTITY_TOKEN_FILE for AWS_ROLE_ARN (session name AWS_ROLE_SESSION_NAME, else
// "zae-limiter-<ms since epoch>"), or else from the profile's web_identity_token_file, role_arn
// and role_session_name. The token file is re-read on every fetch (it rotates). Not configured
// when neither is set; failed when only half is, when the token file is missing or empty, on a
// network error, a non-200 status (with STS's error code and message) or a malformed response.
class WebIdentityCredentialsSource final : public CredentialsSource {
 public:
  WebIdentityCredentialsSource(const Environment& env, HttpTransport& transport,
                               WebIdentityOptions options = {})
      : env_(env), transport_(transport), options_(std::move(options)) {}
  std::string name() const override { return "web identity"; }
  TimedCredentials fetch() override;

 private:
  const Environment& env_;
  HttpTransport& transport_;
  const WebIdentityOptions options_;
};

struct ContainerOptions {
  // Where AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is resolved (the ECS agent); tests point it at a
  // loopback server.
  std::string relative_base = "http://169.254.170.2";
  std::chrono::milliseconds timeout{2000};
};

// The ECS/EKS container credentials endpoint: GET relative_base + AWS_CONTAINER_CREDENTIALS_
// RELATIVE_URI, else AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or http to a loopback address,
// 169.254.170.2, 169.254.170.23 or fd00:ec2::23 only). The Authorization header is the content of
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (re-read on every fetch), else
// AWS_CONTAINER_AUTHORIZATION_TOKEN. The answer is JSON with AccessKeyId, SecretAccessKey, Token
// and Expiration. Not configured when neither URI variable is set; failed otherwise on any
// problem (a forbidden FULL_URI host, an unreadable token file, a network error, a non-200
// status, malformed JSON, missing keys).
class ContainerCredentialsSource final : public CredentialsSource {
 public:
  ContainerCredentialsSource(const Environment& env, HttpTransport& transport,
                             ContainerOptions options = {})
      : env_(env), transport_(transport), options_(std::move(options)) {}
  std::string name() const override { return "container"; }
  TimedCredentials fetch() override;

 private:
  const Environment& env_;
  HttpTransport& transport_;
  const ContainerOptions options_;
};

struct ImdsOptions {
  // The instance metadata service. Empty: AWS_EC2_METADATA_SERVICE_ENDPOINT, else
  // http://[fd00:ec2::254] when AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE is IPv6, else
  // http://169.254.169.254.
  std::string endpoint = {};
  // Per request; short, because off EC2 nothing answers.
  std::chrono::milliseconds timeout{1000};
  std::chrono::seconds token_ttl{21600};
};

// EC2 instance metadata, IMDSv2: PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds),
// then with X-aws-ec2-metadata-token GET /latest/meta-data/iam/security-credentials/ for the role
// name and GET .../<role> for the credentials JSON. Not configured when
// AWS_EC2_METADATA_DISABLED is "true", when nothing answers (network error), when the token is
// refused with 403 (IMDS disabled on the instance) or when no role is attached (404); failed on
// other statuses, malformed JSON, or a Code other than "Success".
class ImdsCredentialsSource final : public CredentialsSource {
 public:
  ImdsCredentialsSource(const Environment& env, HttpTransport& transport, ImdsOptions options = {})
      : env_(env), transport_(transport), options_(std::move(options)) {}
  std::string name() const override { return "instance metadata"; }
  TimedCredentials fetch() override;

 private:
  const Environment& env_;
  HttpTransport& transport_;
  const ImdsOptions options_;
};

struct DefaultCredentialsOptions {
  // Null: the process environment.
  const Environment* environment = nullptr;
  // The profile for shared files and web identity. Empty: AWS_PROFILE, else "default".
  std::string profile = {};
  WebIdentityOptions web_identity = {};
  ContainerOptions container = {};
  ImdsOptions imds = {};
  CacheOptions cache = {};
  // Empty: std::chrono::system_clock.
  WallClock clock = {};
};

// The SDKs' default chain, cached: environment, shared files (static keys), web identity,
// container, instance metadata (ChainCredentialsSource inside a CachedCredentialsProvider). Reads
// nothing until the first credentials() call. `transport` (and options.environment, if set) must
// outlive the provider; https requests (STS) need a transport that verifies TLS.
std::unique_ptr<CachedCredentialsProvider> make_default_credentials_provider(
    HttpTransport& transport, DefaultCredentialsOptions options = {});

}  // namespace zae::aws
