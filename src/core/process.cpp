// Child processes for hooks (see include/certctl/process.hpp).
#include <certctl/process.hpp>

#include <certctl/unique_fd.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

extern char** environ;

namespace certctl::proc {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kOutputLimit = 4096;
/// Never handed to another program.
constexpr std::string_view kSecretVars[] = {"CERTCTL_PASSPHRASE", "CERTCTL_NEW_PASSPHRASE",
                                            "CERTCTL_PASSPHRASE_FILE", "CERTCTL_KEY_FILE"};

/// Keep the tail of the output: a hook's error is usually its last words.
void append_bounded(std::string& buf, const char* data, std::size_t n) {
  buf.append(data, n);
  if (buf.size() > kOutputLimit) buf.erase(0, buf.size() - kOutputLimit);
}

/// posix_spawn attributes and file actions with RAII destroy.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

std::string last_line(std::string_view out) {
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) out.remove_suffix(1);
  auto nl = out.find_last_of('\n');
  std::string line(nl == std::string_view::npos ? out : out.substr(nl + 1));
  for (char& c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return line;
}

std::string Outcome::describe(int timeout_s) const {
  if (timed_out) return fmt::format("timed out after {} s and was killed", timeout_s);
  if (signal) return fmt::format("was killed by signal {}", signal);
  return fmt::format("exited {}", exit_code);
}

Result<Outcome> run(const Command& cmd) {
  if (cmd.argv.empty() || cmd.argv.front().empty()) return Error(Category::Internal, "hook", "empty command");
  const std::string& program = cmd.argv.front();
  // argv and envp: every string outlives the spawn.
  std::vector<std::string> args = cmd.argv;
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    const std::string_view name = kv.substr(0, kv.find('='));
    bool drop = std::find(std::begin(kSecretVars), std::end(kSecretVars), name) != std::end(kSecretVars);
    for (const auto& [k, v] : cmd.env) drop = drop || name == k;
    if (!drop) env.emplace_back(kv);
  }
  for (const auto& [k, v] : cmd.env) env.push_back(k + "=" + v);
    std::vector<char*> argv, envp;
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& s : env) envp.push_back(s.data());
    envp.push_back(nullptr);

    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return Error(Category::Internal, program, "cannot create a pipe", std::strerror(errno));
    UniqueFd out_r(p[0]), out_w(p[1]);

    SpawnSetup setup;
    posix_spawnattr_setpgroup(&setup.attr, 0);  // its own group, so a timeout kills its children
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    posix_spawnattr_setsigdefault(&setup.attr, &defaults);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&setup.attr, &none);
    posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&setup.actions, out_w.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&setup.actions, out_w.get(), STDERR_FILENO);

    pid_t pid = -1;
    bool has_slash = program.find('/') != std::string::npos;
    int rc = has_slash ? posix_spawn(&pid, program.c_str(), &setup.actions, &setup.attr, argv.data(), envp.data())
                       : posix_spawnp(&pid, program.c_str(), &setup.actions, &setup.attr, argv.data(), envp.data());
    out_w.close();
    if (rc != 0) return Error(Category::Config, program, "cannot be started", std::strerror(rc));

    std::string output;
    bool timed_out = false;
    bool exited = false;
    int wstatus = 0;
    bool pipe_open = true;
    auto deadline = Clock::now() + std::chrono::seconds(cmd.timeout_s);
    ::fcntl(out_r.get(), F_SETFL, ::fcntl(out_r.get(), F_GETFL) | O_NONBLOCK);
    char buf[1024];
    auto drain = [&] {
      while (true) {
        ssize_t n = ::read(out_r.get(), buf, sizeof buf);
        if (n > 0) {
          append_bounded(output, buf, static_cast<std::size_t>(n));
          continue;
        }
        if (n == 0) pipe_open = false;
        else if (errno == EINTR) continue;
        return;
      }
    };
    while (true) {
      if (!exited) {
        pid_t w = ::waitpid(pid, &wstatus, WNOHANG);
        if (w == pid) exited = true;
      }
      if (pipe_open) drain();
      if (exited) {
        // A background child of the hook may still hold the pipe: stop reading once the hook
        // itself is gone and what it wrote has been read.
        break;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        timed_out = true;
        break;
      }
      int wait_ms = static_cast<int>(std::min<long long>(left, 50));
      if (pipe_open) {
        pollfd fd{out_r.get(), POLLIN, 0};
        ::poll(&fd, 1, wait_ms);
      } else {
        ::usleep(static_cast<useconds_t>(wait_ms) * 1000);
      }
    }
  Outcome o;
  o.output = std::move(output);
  if (timed_out) {
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    o.timed_out = true;
    return o;
  }
  if (WIFEXITED(wstatus)) o.exit_code = WEXITSTATUS(wstatus);
  else if (WIFSIGNALED(wstatus)) o.signal = WTERMSIG(wstatus);
  return o;
}

}  // namespace certctl::proc
