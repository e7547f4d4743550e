/// dns-01 through a user command (uacme's hook contract with lego's exec provider):
///   CMD present|cleanup FQDN VALUE
/// started with posix_spawn (no shell) in its own process group, CERTCTL_ACTION, CERTCTL_FQDN,
/// CERTCTL_VALUE, CERTCTL_DOMAIN and CERTCTL_TOKEN added to the environment, stdin from
/// /dev/null, stdout+stderr captured (the last 4 KiB) for error messages, and a timeout after
/// which the whole process group is killed.
#include <certctl/challenge.hpp>
#include <certctl/crypto.hpp>

#include "challenge/common.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

extern char** environ;

namespace certctl::challenge {
namespace {

constexpr std::size_t kOutputLimit = 4096;
constexpr std::string_view kEnvPrefix = "CERTCTL_";

using Clock = std::chrono::steady_clock;

/// The task as the hook sees it, checked and completed.
struct HookArgs {
  std::string domain;
  std::string fqdn;
  std::string value;
  std::string token;
};

Result<HookArgs> hook_args(const Task& t) {
  HookArgs a;
  a.domain = t.identifier;
  a.token = t.token;
  a.value = t.dns_value.empty() && !t.key_authorization.empty()
                ? crypto::base64url_encode(crypto::sha256(t.key_authorization))
                : t.dns_value;
  a.fqdn = t.fqdn.empty() && !t.identifier.empty() ? "_acme-challenge." + t.identifier + "." : t.fqdn;
  const std::string subject = t.identifier.empty() ? a.fqdn : t.identifier;
  // Checked before anything runs: these go into argv and the environment of a user program.
  if (!is_dns_name(a.domain)) {
    return Error(Category::Input, subject, "refusing to run the DNS hook: the domain is not a DNS name");
  }
  if (!is_dns_name(a.fqdn)) {
    return Error(Category::Input, subject,
                 "refusing to run the DNS hook: the record name contains characters other than "
                 "letters, digits, '-', '_' and '.'");
  }
  if (!is_base64url(a.value)) {
    return Error(Category::Input, subject,
                 "refusing to run the DNS hook: the TXT value contains characters outside base64url");
  }
  if (!a.token.empty() && !is_base64url(a.token)) {
    return Error(Category::Input, subject,
                 "refusing to run the DNS hook: the token contains characters outside base64url");
  }
  return a;
}

/// The last non-empty line of the captured output, for the one-line error.
std::string last_line(std::string_view out) {
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) out.remove_suffix(1);
  auto nl = out.find_last_of('\n');
  std::string line(nl == std::string_view::npos ? out : out.substr(nl + 1));
  for (char& c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return line;
}

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

class DnsExec final : public Solver {
 public:
  DnsExec(std::string command, int timeout_s) : command_(std::move(command)), timeout_s_(timeout_s) {}
  ~DnsExec() override { (void)cleanup(); }

  std::string_view type() const override { return "dns-01"; }

  Status present(const std::vector<Task>& tasks) override {
    // Check every task before running anything.
    std::vector<HookArgs> all;
    for (const auto& t : tasks) {
      TRY_ASSIGN(HookArgs a, hook_args(t));
      all.push_back(std::move(a));
    }
    for (auto& a : all) {
      // Recorded first: a hook that fails midway may have created the record anyway.
      presented_.push_back(a);
      TRY(run("present", a));
    }
    return {};
  }

  Status cleanup() override {
    std::optional<Error> first;
    for (const auto& a : presented_) {
      Status s = run("cleanup", a);
      if (!s && !first) first = s.error();
    }
    presented_.clear();
    if (first) return *first;
    return {};
  }

 private:
  Status run(std::string_view action, const HookArgs& a) {
    const std::string hook = "hook " + command_;
    auto dns_error = [&](std::string message, std::string cause = {}) {
      return Error(Category::Dns, a.fqdn, hook + " " + message, std::move(cause));
    };

    // argv and envp: every string outlives the spawn.
    std::vector<std::string> args{command_, std::string(action), a.fqdn, a.value};
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) {
      std::string_view kv(*e);
      // Drop inherited values of the variables we set, so the hook sees only ours, and the
      // vault's secrets: a hook is someone else's program and never gets the passphrase.
      if (kv.rfind(kEnvPrefix, 0) == 0) {
        auto name = kv.substr(0, kv.find('='));
        if (name == "CERTCTL_ACTION" || name == "CERTCTL_FQDN" || name == "CERTCTL_VALUE" ||
            name == "CERTCTL_DOMAIN" || name == "CERTCTL_TOKEN" || name == "CERTCTL_PASSPHRASE" ||
            name == "CERTCTL_NEW_PASSPHRASE" || name == "CERTCTL_PASSPHRASE_FILE" || name == "CERTCTL_KEY_FILE") {
          continue;
        }
      }
      env.emplace_back(kv);
    }
    env.push_back("CERTCTL_ACTION=" + std::string(action));
    env.push_back("CERTCTL_FQDN=" + a.fqdn);
    env.push_back("CERTCTL_VALUE=" + a.value);
    env.push_back("CERTCTL_DOMAIN=" + a.domain);
    env.push_back("CERTCTL_TOKEN=" + a.token);
    std::vector<char*> argv, envp;
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& s : env) envp.push_back(s.data());
    envp.push_back(nullptr);

    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return dns_error("cannot create a pipe", errno_text(errno));
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
    bool has_slash = command_.find('/') != std::string::npos;
    int rc = has_slash ? posix_spawn(&pid, command_.c_str(), &setup.actions, &setup.attr, argv.data(), envp.data())
                       : posix_spawnp(&pid, command_.c_str(), &setup.actions, &setup.attr, argv.data(), envp.data());
    out_w.close();
    if (rc != 0) return dns_error("cannot be started", errno_text(rc));

    std::string output;
    bool timed_out = false;
    bool exited = false;
    int wstatus = 0;
    bool pipe_open = true;
    auto deadline = Clock::now() + std::chrono::seconds(timeout_s_);
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
    if (timed_out) {
      ::kill(-pid, SIGKILL);
      while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
      }
      return dns_error(std::string(action) + " timed out after " + std::to_string(timeout_s_) +
                           " s and was killed",
                       last_line(output));
    }
    if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) return {};
    std::string what = WIFEXITED(wstatus) ? "exited " + std::to_string(WEXITSTATUS(wstatus))
                       : WIFSIGNALED(wstatus) ? "was killed by signal " + std::to_string(WTERMSIG(wstatus))
                                              : "failed";
    // "hook CMD exited 3: <last line of its output>"
    return dns_error(std::move(what), last_line(output));
  }

  std::string command_;
  int timeout_s_;
  std::vector<HookArgs> presented_;
};

}  // namespace

Result<std::unique_ptr<Solver>> make_dns_exec(const std::string& command, int timeout_s) {
  if (command.empty()) return Error(Category::Config, "dns hook", "no hook command given");
  if (timeout_s <= 0) {
    return Error(Category::Config, command, "the hook timeout must be a positive number of seconds");
  }
  if (command.find('/') != std::string::npos) {
    struct stat st {};
    if (::stat(command.c_str(), &st) != 0) {
      return Error(Category::Config, command, "the DNS hook does not exist", errno_text(errno));
    }
    if (!S_ISREG(st.st_mode) || ::access(command.c_str(), X_OK) != 0) {
      return Error(Category::Config, command, "the DNS hook is not an executable file");
    }
  }
  return std::unique_ptr<Solver>(std::make_unique<DnsExec>(command, timeout_s));
}

}  // namespace certctl::challenge
