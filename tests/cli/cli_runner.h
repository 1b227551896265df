// SPDX-License-Identifier: MIT
// Runs the built zae-limiter binary (ZAE_CLI_PATH) for the end-to-end CLI tests.
#pragma once

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace zae::test {

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr, merged
};

// Runs the binary with `args` through /bin/sh; `input`, when given, is piped to its stdin.
inline RunResult run_cli(const std::string& args, const std::string& input = "") {
  const std::string command = (input.empty() ? "" : "printf '" + input + "' | ") +
                              std::string(ZAE_CLI_PATH) + " " + args + " 2>&1";
  RunResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.output.append(buffer.data(), n);
  }
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline int line_count(const std::string& text) {
  int lines = 0;
  for (char c : text) {
    lines += c == '\n' ? 1 : 0;
  }
  return lines;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "zae-cli-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace zae::test
