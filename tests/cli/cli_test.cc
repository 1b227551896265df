// SPDX-License-Identifier: MIT
// Runs the built zae-limiter binary and checks exit codes and output.

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace zae::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr, merged
};

RunResult run_cli(const std::string& args) {
  const std::string command = std::string(ZAE_CLI_PATH) + " " + args + " 2>&1";
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

int line_count(const std::string& text) {
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

TEST(CliTest, VersionFlagPrintsVersion) {
  const RunResult r = run_cli("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("zae-limiter, version "));
}

TEST(CliTest, MissingSubcommandIsUsageError) {
  const RunResult r = run_cli("");
  EXPECT_EQ(r.exit_code, 2);
}

TEST(CliTest, UnknownOptionIsUsageError) {
  const RunResult r = run_cli("demo --no-such-flag");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("no-such-flag"));
}

TEST(CliTest, UnknownStoreSchemeGetsOneLineError) {
  const RunResult r = run_cli("--store redis://localhost demo --duration 0.2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(line_count(r.output), 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("store"));
  EXPECT_THAT(r.output, HasSubstr("redis"));
}

TEST(CliTest, InvalidLimitStringGetsOneLineError) {
  const RunResult r = run_cli("demo -l rpm:100/week --duration 0.2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(line_count(r.output), 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Invalid period"));
}

TEST(CliTest, InvalidLimitValueGetsOneLineError) {
  const RunResult r = run_cli("demo -l rpm:0 --duration 0.2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(line_count(r.output), 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("positive"));
}

TEST(CliTest, InvalidIdentifierGetsOneLineError) {
  const RunResult r = run_cli("demo --project 'bad id' --duration 0.2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(line_count(r.output), 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("project"));
}

TEST(CliTest, BadThreadCountIsRejected) {
  const RunResult r = run_cli("demo --threads 0");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("threads"));
}

TEST(CliTest, DemoRunsAndPassesItsChecks) {
  const RunResult r = run_cli("demo --threads 3 --duration 1.5 --seed 42");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("All checks passed."));
  EXPECT_THAT(r.output, HasSubstr("key-alpha"));
  EXPECT_THAT(r.output, HasSubstr("key-delta"));
  EXPECT_THAT(r.output, HasSubstr("proj-demo (cascaded)"));
  EXPECT_THAT(r.output, Not(HasSubstr("VIOLATION")));
}

TEST(CliTest, DemoOnAGivenStoreRunsTwiceInSeparateNamespaces) {
  TempDir dir;
  const std::string uri = "sqlite://" + (dir.path() / "shared.db").string();
  for (int run = 0; run < 2; ++run) {
    const RunResult r = run_cli("--store " + uri + " demo --threads 2 --duration 0.7");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("All checks passed."));
  }
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "shared.db"));
}

}  // namespace
}  // namespace zae::test
