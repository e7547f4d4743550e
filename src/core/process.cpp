// Child processes for hooks (see include/certctl/process.hpp).
#include <certctl/process.hpp>

#include <sys/prctl.h>
#include <sys/resource.h>

#include <certctl/trace.hpp>
#include <certctl/unique_fd.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

extern char** environ;

namespace certctl::proc {

void harden_process() {
  const rlimit none{0, 0};
  (void)::setrlimit(RLIMIT_CORE, &none);
  (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

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

/// posix_spawn attributes and file actions with RAII destroy: the child gets its own process
/// group (so a timeout kills its children), default SIGPIPE/SIGINT/SIGTERM handling, an empty
/// signal mask, stdin from /dev/null and stdout+stderr into `out_fd`.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  explicit SpawnSetup(int out_fd) {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out_fd, STDERR_FILENO);
    // Nothing else of ours reaches the program: no socket, vault file or lock, whatever flags
    // the library that opened it used.
    posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

/// Our environment without the vault's secrets and the variables `cmd` sets, then cmd.env.
std::vector<std::string> child_environment(const Command& cmd) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    const std::string_view name = kv.substr(0, kv.find('='));
    bool drop = std::find(std::begin(kSecretVars), std::end(kSecretVars), name) != std::end(kSecretVars);
    for (const auto& [k, v] : cmd.env) drop = drop || name == k;
    if (!drop) env.emplace_back(kv);
  }
  for (const auto& [k, v] : cmd.env) env.push_back(k + "=" + v);
  return env;
}

/// A null-terminated array of pointers into `strings` (which must outlive it).
std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

/// Read everything available from the non-blocking `fd` into `output`; false at end of file.
bool drain(int fd, std::string& output) {
  char buf[1024];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      append_bounded(output, buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) return false;
    if (errno != EINTR) return true;
  }
}

/// Collect the child's output until it exits (true, `wstatus` set) or `timeout` passes (false).
bool wait_reading(pid_t pid, int out_fd, std::chrono::seconds timeout, std::string& output, int& wstatus) {
  const auto deadline = Clock::now() + timeout;
  ::fcntl(out_fd, F_SETFL, ::fcntl(out_fd, F_GETFL) | O_NONBLOCK);
  bool pipe_open = true;
  while (true) {
    const bool exited = ::waitpid(pid, &wstatus, WNOHANG) == pid;
    if (pipe_open) pipe_open = drain(out_fd, output);
    // A background child of the hook may still hold the pipe: stop reading once the hook
    // itself is gone and what it wrote has been read.
    if (exited) return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    int wait_ms = static_cast<int>(std::min<long long>(left, 50));
    if (pipe_open) {
      pollfd fd{out_fd, POLLIN, 0};
      ::poll(&fd, 1, wait_ms);
    } else {
      ::usleep(static_cast<useconds_t>(wait_ms) * 1000);
    }
  }
}

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

Status check_program(const std::string& path, std::string_view what, std::string_view option) {
  if (path.empty() || path.front() != '/')
    return Error(Category::Usage, path.empty() ? std::string(option) : path,
                 fmt::format("{} must be an absolute path (it runs without a shell or $PATH)", what));
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return Error(Category::Usage, path, fmt::format("{} does not exist", what), std::strerror(errno));
  if (!S_ISREG(st.st_mode) || ::access(path.c_str(), X_OK) != 0)
    return Error(Category::Usage, path, fmt::format("{} is not an executable file", what));
  return ok();
}

bool argv_safe(std::string_view s, std::string_view extra) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](unsigned char c) {
    return std::isalnum(c) || extra.find(static_cast<char>(c)) != std::string_view::npos;
  });
}

std::string Outcome::describe(int timeout_s) const {
  if (timed_out) return fmt::format("timed out after {} s and was killed", timeout_s);
  if (signal) return fmt::format("was killed by signal {}", signal);
  return fmt::format("exited {}", exit_code);
}

namespace {

/// run without the trace.
Result<Outcome> run_once(const Command& cmd) {
  if (cmd.argv.empty() || cmd.argv.front().empty()) return Error(Category::Internal, "hook", "empty command");
  const std::string& program = cmd.argv.front();
  // argv and envp: every string outlives the spawn.
  std::vector<std::string> args = cmd.argv;
  std::vector<std::string> env = child_environment(cmd);
  std::vector<char*> argv = c_strings(args), envp = c_strings(env);

  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return Error(Category::Internal, program, "cannot create a pipe", std::strerror(errno));
  UniqueFd out_r(p[0]), out_w(p[1]);
  SpawnSetup setup(out_w.get());
  pid_t pid = -1;
  const bool has_slash = program.find('/') != std::string::npos;
  int rc = has_slash ? posix_spawn(&pid, program.c_str(), &setup.actions, &setup.attr, argv.data(), envp.data())
                     : posix_spawnp(&pid, program.c_str(), &setup.actions, &setup.attr, argv.data(), envp.data());
  out_w.close();
  if (rc != 0) return Error(Category::Config, program, "cannot be started", std::strerror(rc));

  Outcome o;
  int wstatus = 0;
  if (!wait_reading(pid, out_r.get(), std::chrono::seconds(cmd.timeout_s), o.output, wstatus)) {
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

}  // namespace

Result<Outcome> run(const Command& cmd) {
  if (!trace::enabled(trace::Level::Steps)) return run_once(cmd);
  // The command and the names of the variables it gets; never their values.
  std::vector<std::string_view> names;
  for (const auto& [name, value] : cmd.env) names.push_back(name);
  const std::string what = fmt::format("{}", fmt::join(cmd.argv, " "));
  trace::debug(fmt::format("hook> {} (timeout {} s; environment also sets {})", what, cmd.timeout_s,
                           names.empty() ? "nothing" : fmt::format("{}", fmt::join(names, ", "))));
  const auto start = Clock::now();
  auto r = run_once(cmd);
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  if (!r) {
    trace::step(fmt::format("hook '{}' could not run: {}", what, r.error().text()));
    return r;
  }
  trace::step(fmt::format("hook '{}' {} ({:.2f} s)", what, r->describe(cmd.timeout_s), secs));
  if (!r->output.empty()) trace::debug(fmt::format("hook< output of '{}':\n{}", what, r->output));
  return r;
}

Result<int> spawn_self(const std::vector<std::string>& args, const std::vector<int>& fds, SelfSpawn how) {
  std::vector<std::string> all{"certctl"};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<std::string> env = how.empty_environment ? std::vector<std::string>() : child_environment(Command{});
  std::vector<char*> argv = c_strings(all), envp = c_strings(env);
  // Each descriptor first moves above the targets, so no dup2 overwrites a source that is
  // still to come, and none is dup2'ed onto itself (which would keep close-on-exec).
  const int first_free = 3 + static_cast<int>(fds.size());
  std::vector<UniqueFd> moved;
  for (int fd : fds) {
    moved.emplace_back(::fcntl(fd, F_DUPFD_CLOEXEC, first_free));
    if (!moved.back()) return Error(Category::Internal, "/proc/self/exe", "cannot pass a descriptor", std::strerror(errno));
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults, none;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (how.quiet) {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  }
  for (std::size_t i = 0; i < moved.size(); ++i)
    posix_spawn_file_actions_adddup2(&actions, moved[i].get(), 3 + static_cast<int>(i));
  posix_spawn_file_actions_addclosefrom_np(&actions, first_free);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, "/proc/self/exe", &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Error(Category::Internal, "/proc/self/exe", "cannot start a helper process", std::strerror(rc));
  return static_cast<int>(pid);
}

Outcome wait_self(int pid) {
  Outcome o;
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) return o;
  }
  if (WIFEXITED(wstatus)) o.exit_code = WEXITSTATUS(wstatus);
  else if (WIFSIGNALED(wstatus)) o.signal = WTERMSIG(wstatus);
  return o;
}

}  // namespace certctl::proc
