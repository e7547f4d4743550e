/// http-01 through a command of the user's (load balancers, CDNs; certbot's manual auth hook):
///   COMMAND present|cleanup DOMAIN TOKEN KEY_AUTHORIZATION
/// run without a shell, with CERTCTL_ACTION, CERTCTL_DOMAIN, CERTCTL_TOKEN and CERTCTL_KEY_AUTH
/// in its environment (the vault's secrets stripped, see proc::run). present must return once
/// http://DOMAIN/.well-known/acme-challenge/TOKEN answers KEY_AUTHORIZATION; cleanup runs once
/// for every task whose present was started.
#include <certctl/challenge.hpp>
#include <certctl/process.hpp>

#include "challenge/common.hpp"

#include <optional>

#include <fmt/format.h>

namespace certctl::challenge {
namespace {

class HttpHook final : public Solver {
 public:
  HttpHook(std::string command, int timeout_s) : command_(std::move(command)), timeout_s_(timeout_s) {}
  ~HttpHook() override { (void)cleanup(); }

  std::string_view type() const override { return "http-01"; }

  Status present(const std::vector<Task>& tasks) override {
    for (const auto& t : tasks) {
      // Names (or IP addresses) and base64url only: nothing a hook could take for an option.
      if (!proc::argv_safe(t.identifier, "-_.:") || t.identifier.front() == '-' || !is_base64url(t.token) ||
          !proc::argv_safe(t.key_authorization, "-_."))
        return Error(Category::Input, t.identifier.empty() ? std::string("http-01") : t.identifier,
                     "refusing to run the http hook: a malformed name, token or key authorization");
    }
    for (const auto& t : tasks) {
      started_.push_back(t);  // first: a hook that fails midway may have published it anyway
      TRY(run("present", t));
    }
    return ok();
  }

  Status cleanup() override {
    std::optional<Error> first;
    for (const auto& t : started_)
      if (Status s = run("cleanup", t); !s && !first) first = s.error();
    started_.clear();
    if (first) return *first;
    return ok();
  }

 private:
  Status run(std::string_view action, const Task& t) const {
    proc::Command cmd;
    cmd.argv = {command_, std::string(action), t.identifier, t.token, t.key_authorization};
    cmd.env = {{"CERTCTL_ACTION", std::string(action)},
               {"CERTCTL_DOMAIN", t.identifier},
               {"CERTCTL_TOKEN", t.token},
               {"CERTCTL_KEY_AUTH", t.key_authorization}};
    cmd.timeout_s = timeout_s_;
    auto out = proc::run(cmd);
    const std::string hook = "http hook " + command_;
    if (!out) return Error(Category::Config, t.identifier, hook + " cannot be started", out.error().cause());
    if (out->ok()) return ok();
    return Error(Category::Config, t.identifier, fmt::format("{} {} {}", hook, action, out->describe(timeout_s_)),
                 proc::last_line(out->output));
  }

  std::string command_;
  int timeout_s_;
  std::vector<Task> started_;
};

}  // namespace

Result<std::unique_ptr<Solver>> make_http_hook(const std::string& command, int timeout_s) {
  TRY(proc::check_program(command, "the hook", "--http-hook"));
  if (timeout_s < 1 || timeout_s > 3600) return Error(Category::Usage, command, "the hook timeout must be 1..3600 seconds");
  return std::unique_ptr<Solver>(std::make_unique<HttpHook>(command, timeout_s));
}

}  // namespace certctl::challenge
