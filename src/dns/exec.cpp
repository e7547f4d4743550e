// `exec`: a user command publishes and removes the TXT records, run without a shell as
//   COMMAND present|cleanup FQDN VALUE
// with CERTCTL_ACTION, CERTCTL_FQDN, CERTCTL_VALUE, CERTCTL_ZONE, CERTCTL_DOMAIN and
// CERTCTL_TOKEN in its environment (the vault's secrets stripped), stdin from /dev/null, its
// output kept (the last 4 KiB) for error messages, one run per record and a timeout after
// which its process group is killed. As a stored provider certctl then checks propagation
// itself; `--dns exec:COMMAND` is the same provider without lookups (src/challenge/dns_exec.cpp).
#include <certctl/dns.hpp>
#include <certctl/number.hpp>
#include <certctl/process.hpp>

#include "dns/providers.hpp"

#include <mutex>
#include <optional>
#include <set>

#include <fmt/format.h>

namespace certctl::dns {
namespace {

/// Checked before anything runs: names hold letters, digits, '-', '_' and '.'; the value and
/// token (when there is one) base64url characters only.
Status check_args(const TxtRecord& r) {
  const std::string_view refusing = "refusing to run the DNS hook: ";
  const std::string subject = r.domain.empty() ? r.fqdn : r.domain;
  if (!proc::argv_safe(r.fqdn, "-_.") || (!r.zone.empty() && !proc::argv_safe(r.zone, "-_.")) || !proc::argv_safe(r.domain, "-_."))
    return Error(Category::Input, subject,
                 fmt::format("{}a name contains characters other than letters, digits, '-', '_' and '.'", refusing));
  if (!proc::argv_safe(r.value, "-_"))
    return Error(Category::Input, subject, fmt::format("{}the TXT value contains characters outside base64url", refusing));
  if (!r.token.empty() && !proc::argv_safe(r.token, "-_"))
    return Error(Category::Input, subject, fmt::format("{}the token contains characters outside base64url", refusing));
  return ok();
}

class ExecProvider final : public Provider {
 public:
  ExecProvider(std::string command, int timeout_s) : command_(std::move(command)), timeout_s_(timeout_s) {}
  std::string_view type() const override { return "exec"; }
  /// Each run is a process of its own; only the list of started records is shared.
  bool reentrant() const override { return true; }
  /// The zone is only passed along (CERTCTL_ZONE).
  bool needs_zone() const override { return false; }

  Status present(const std::vector<TxtRecord>& records) override {
    for (const auto& r : records) TRY(check_args(r));
    for (const auto& r : records) {
      // Recorded first: a hook that fails midway may have created the record anyway.
      {
        std::lock_guard lock(mu_);
        started_.insert(key(r));
      }
      TRY(run("present", r));
    }
    return ok();
  }

  /// Runs for exactly the records whose present was started (once each).
  Status cleanup(const std::vector<TxtRecord>& records) override {
    std::optional<Error> first;
    for (const auto& r : records) {
      {
        std::lock_guard lock(mu_);
        if (started_.erase(key(r)) == 0) continue;
      }
      if (Status s = run("cleanup", r); !s && !first) first = s.error();
    }
    if (first) return *first;
    return ok();
  }

  static Result<std::unique_ptr<Provider>> make(const ProviderConfig& c) {
    const std::string command = c.options.at("command");
    long timeout = 60;
    if (auto it = c.options.find("hook-timeout"); it != c.options.end()) {
      TRY_ASSIGN(timeout, parse_number(it->second, 1, 3600, NumberField{Category::Usage, command, "hook-timeout"}));
    }
    TRY(proc::check_program(command, "the DNS hook", "exec provider"));
    return std::unique_ptr<Provider>(std::make_unique<ExecProvider>(command, static_cast<int>(timeout)));
  }

 private:
  static std::pair<std::string, std::string> key(const TxtRecord& r) { return {r.fqdn, r.value}; }

  Status run(std::string_view action, const TxtRecord& r) {
    proc::Command cmd;
    cmd.argv = {command_, std::string(action), r.fqdn, r.value};
    cmd.env = {{"CERTCTL_ACTION", std::string(action)}, {"CERTCTL_FQDN", r.fqdn}, {"CERTCTL_VALUE", r.value},
               {"CERTCTL_ZONE", r.zone},           {"CERTCTL_DOMAIN", r.domain}, {"CERTCTL_TOKEN", r.token}};
    cmd.timeout_s = timeout_s_;
    auto out = proc::run(cmd);
    // "hook /usr/local/bin/dns-hook exited 3: <last line of its output>"
    const std::string hook = "hook " + command_;
    if (!out) return Error(Category::Dns, r.fqdn, hook + " cannot be started", out.error().cause());
    if (out->ok()) return ok();
    const std::string how = out->describe(timeout_s_);
    return Error(Category::Dns, r.fqdn, fmt::format("{} {}", hook, out->timed_out ? fmt::format("{} {}", action, how) : how),
                 proc::last_line(out->output));
  }

  std::string command_;
  int timeout_s_;
  std::mutex mu_;  ///< guards started_: the orders of a batch run hooks at once
  std::set<std::pair<std::string, std::string>> started_;  ///< (fqdn, value) presented, not yet cleaned up
};

}  // namespace

ProviderType exec_type() {
  return ProviderType{"exec", "a command of yours: COMMAND present|cleanup FQDN VALUE (certctl checks propagation)", {
      {"command", true, false, "absolute path of the executable to run (no shell)"},
      {"hook-timeout", false, false, "seconds each run may take (default 60)"},
  }, &ExecProvider::make};
}

}  // namespace certctl::dns
