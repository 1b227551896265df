// SPDX-License-Identifier: MIT
#include "conformance/backends.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include <unistd.h>

namespace zae::test {
namespace {

// One directory per test process, removed at exit; every make() gets a new file in it.
class TempDirectory {
 public:
  TempDirectory() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && base[0] != '\0' ? base : "/tmp") + "/zae-conformance-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      std::abort();  // no usable temporary directory: nothing can run
    }
    path_ = pattern;
  }
  ~TempDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string next_file() {
    return path_ + "/store-" + std::to_string(counter_.fetch_add(1)) + ".db";
  }

 private:
  std::string path_;
  std::atomic<int> counter_{0};
};

TempDirectory& temp_directory() {
  static TempDirectory directory;
  return directory;
}

std::string dynamodb_endpoint() {
  const char* endpoint = std::getenv("ZAE_TEST_DYNAMODB_ENDPOINT");
  if (endpoint == nullptr) {
    return "";
  }
  // DynamoDB Local accepts any credentials; the default chain needs some to sign with.
  setenv("AWS_ACCESS_KEY_ID", "local", /*overwrite=*/0);
  setenv("AWS_SECRET_ACCESS_KEY", "local", /*overwrite=*/0);
  return endpoint;
}

}  // namespace

std::vector<BackendFactory> all_backends() {
  std::vector<BackendFactory> backends;
  backends.push_back(BackendFactory{
      .name = "sqlite_file",
      .make =
          [](const StoreOptions& options) {
            return open_store("sqlite://" + temp_directory().next_file(), options);
          },
      // SqliteStore::describe() is the database path.
      .open_beside =
          [](const Store& existing, const StoreOptions& options) {
            return open_store("sqlite://" + existing.describe(), options);
          },
      .skip_reason = [] { return std::string(); },
  });
  backends.push_back(BackendFactory{
      .name = "sqlite_memory",
      .make = [](const StoreOptions& options) { return open_store("sqlite::memory:", options); },
      .open_beside = nullptr,
      .skip_reason = [] { return std::string(); },
  });
  backends.push_back(BackendFactory{
      .name = "dynamodb",
      .make =
          [](const StoreOptions& options) {
            // A table per store keeps tests independent; DynamoDB Local runs in memory.
            static std::atomic<int> counter{0};
            const std::string table = "zae-conformance-" + std::to_string(getpid()) + "-" +
                                      std::to_string(counter.fetch_add(1));
            return open_store(
                "dynamodb://" + table + "?region=us-east-1&endpoint=" + dynamodb_endpoint(),
                options);
          },
      .open_beside =
          [](const Store& existing, const StoreOptions& options) {
            return open_store("dynamodb://" + existing.describe() +
                                  "?region=us-east-1&endpoint=" + dynamodb_endpoint(),
                              options);
          },
      .skip_reason =
          [] {
            const auto schemes = available_store_schemes();
            if (std::find(schemes.begin(), schemes.end(), "dynamodb") == schemes.end()) {
              return std::string("the DynamoDB store is not built in yet");
            }
            return dynamodb_endpoint().empty()
                       ? std::string("ZAE_TEST_DYNAMODB_ENDPOINT is not set (DynamoDB Local)")
                       : std::string();
          },
  });
  return backends;
}

}  // namespace zae::test
