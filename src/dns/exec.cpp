// `exec`: a user command publishes and removes the TXT records, run without a shell as
//   COMMAND present|cleanup FQDN VALUE
// with CERTCTL_ACTION, CERTCTL_FQDN, CERTCTL_VALUE, CERTCTL_ZONE, CERTCTL_DOMAIN and
// CERTCTL_TOKEN in its environment (the vault's secrets stripped), one run per record. certctl
// then checks propagation itself, so the command only has to make the change.
#include <certctl/dns.hpp>
#include <certctl/process.hpp>

#include "dns/providers.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

#include <fmt/format.h>

namespace certctl::dns {
namespace {

bool safe_arg(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '*';
  });
}

class ExecProvider final : public Provider {
 public:
  ExecProvider(std::string command, int timeout_s) : command_(std::move(command)), timeout_s_(timeout_s) {}
  std::string_view type() const override { return "exec"; }

  Status present(const std::vector<TxtRecord>& records) override {
    for (const auto& r : records) TRY(run("present", r));
    return ok();
  }

  Status cleanup(const std::vector<TxtRecord>& records) override {
    std::optional<Error> first;
    for (const auto& r : records)
      if (Status s = run("cleanup", r); !s && !first) first = s.error();
    if (first) return *first;
    return ok();
  }

  static Result<std::unique_ptr<Provider>> make(const ProviderConfig& c) {
    const std::string subject = fmt::format("exec provider '{}'", c.name);
    const std::string command = c.options.at("command");
    int timeout = 60;
    if (auto it = c.options.find("hook-timeout"); it != c.options.end()) {
      timeout = std::atoi(it->second.c_str());
      if (timeout < 1 || timeout > 3600) return Error(Category::Usage, subject, "hook-timeout must be 1..3600 seconds");
    }
    if (command.empty() || command.front() != '/')
      return Error(Category::Usage, subject, fmt::format("command '{}' must be an absolute path", command));
    struct stat st {};
    if (::stat(command.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || ::access(command.c_str(), X_OK) != 0)
      return Error(Category::Usage, subject, fmt::format("command '{}' is not an executable file", command));
    return std::unique_ptr<Provider>(std::make_unique<ExecProvider>(command, timeout));
  }

 private:
  Status run(std::string_view action, const TxtRecord& r) {
    if (!safe_arg(r.fqdn) || !safe_arg(r.value) || (!r.zone.empty() && !safe_arg(r.zone)))
      return Error(Category::Input, r.fqdn, "refusing to pass a malformed name or value to the DNS command");
    proc::Command cmd;
    cmd.argv = {command_, std::string(action), r.fqdn, r.value};
    cmd.env = {{"CERTCTL_ACTION", std::string(action)}, {"CERTCTL_FQDN", r.fqdn}, {"CERTCTL_VALUE", r.value},
               {"CERTCTL_ZONE", r.zone},           {"CERTCTL_DOMAIN", r.domain}, {"CERTCTL_TOKEN", r.token}};
    cmd.timeout_s = timeout_s_;
    auto out = proc::run(cmd);
    const std::string label = fmt::format("DNS command {} {}", command_, action);
    if (!out) return Error(Category::Dns, r.fqdn, label + " cannot be started", out.error().cause());
    if (out->ok()) return ok();
    return Error(Category::Dns, r.fqdn, fmt::format("{} {}", label, out->describe(timeout_s_)),
                 proc::last_line(out->output));
  }

  std::string command_;
  int timeout_s_;
};

}  // namespace

ProviderType exec_type() {
  return ProviderType{
      "exec",
      "a command of yours: COMMAND present|cleanup FQDN VALUE (certctl checks propagation)",
      {
          {"command", true, false, "absolute path of the executable to run (no shell)"},
          {"hook-timeout", false, false, "seconds each run may take (default 60)"},
      },
      &ExecProvider::make,
  };
}

}  // namespace certctl::dns
