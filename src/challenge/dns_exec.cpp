/// dns-01 through a user command (uacme's hook contract with lego's exec provider):
///   CMD present|cleanup FQDN VALUE
/// started with posix_spawn (no shell) in its own process group, CERTCTL_ACTION, CERTCTL_FQDN,
/// CERTCTL_VALUE, CERTCTL_DOMAIN and CERTCTL_TOKEN added to the environment, stdin from
/// /dev/null, stdout+stderr captured (the last 4 KiB) for error messages, and a timeout after
/// which the whole process group is killed.
#include <certctl/challenge.hpp>
#include <certctl/crypto.hpp>
#include <certctl/process.hpp>

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


namespace certctl::challenge {
namespace {



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

    proc::Command cmd;
    cmd.argv = {command_, std::string(action), a.fqdn, a.value};
    cmd.env = {{"CERTCTL_ACTION", std::string(action)}, {"CERTCTL_FQDN", a.fqdn}, {"CERTCTL_VALUE", a.value},
               {"CERTCTL_DOMAIN", a.domain}, {"CERTCTL_TOKEN", a.token}};
    cmd.timeout_s = timeout_s_;
    auto started = proc::run(cmd);
    if (!started) return dns_error("cannot be started", started.error().cause());
    const proc::Outcome& o = *started;
    if (o.ok()) return {};
    // "hook CMD exited 3: <last line of its output>"
    return dns_error(o.timed_out ? std::string(action) + " " + o.describe(timeout_s_) : o.describe(timeout_s_),
                     proc::last_line(o.output));
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
