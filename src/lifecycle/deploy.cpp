// Deployment after issuance: files for the web server (with owner), then hooks. A failed
// deploy leaves the new certificate in the vault and marks the record so renew retries it.
#include <certctl/fs.hpp>
#include <certctl/lifecycle.hpp>
#include <certctl/process.hpp>

#include "lifecycle/internal.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace certctl::lifecycle {

using namespace detail;

namespace {

constexpr int kHookTimeoutS = 300;

Result<std::pair<uid_t, gid_t>> parse_owner(const std::string& owner) {
  const auto colon = owner.find(':');
  const std::string user = owner.substr(0, colon);
  const passwd* pw = ::getpwnam(user.c_str());
  if (!pw) return Error(Category::Config, fmt::format("deploy owner '{}'", owner), fmt::format("no user '{}'", user));
  gid_t gid = pw->pw_gid;
  if (colon != std::string::npos) {
    const std::string group_name = owner.substr(colon + 1);
    const struct group* gr = ::getgrnam(group_name.c_str());
    if (!gr)
      return Error(Category::Config, fmt::format("deploy owner '{}'", owner), fmt::format("no group '{}'", group_name));
    gid = gr->gr_gid;
  }
  return std::make_pair(pw->pw_uid, gid);
}

Status run_shell(const std::string& label, const std::string& command,
                 std::vector<std::pair<std::string, std::string>> env) {
  proc::Command cmd;
  cmd.argv = {"/bin/sh", "-c", command};
  cmd.env = std::move(env);
  cmd.timeout_s = kHookTimeoutS;
  auto out = proc::run(cmd);
  if (!out) return Error(Category::Deploy, label, "cannot be started", out.error().cause());
  if (out->ok()) return ok();
  return Error(Category::Deploy, label, out->describe(kHookTimeoutS), proc::last_line(out->output));
}

/// Set or clear deploy_failed under the lock (the record may have changed meanwhile).
Status mark(Context ctx, const std::string& name, bool failed) {
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  TRY_ASSIGN(vault::Record r, load_existing(ctx, name));
  if (r.deploy_failed == failed) return ok();
  r.deploy_failed = failed;
  return ctx.vault.save(r);
}

}  // namespace

bool has_deploy(const vault::Record& r) {
  return !r.settings.deploy_dir.empty() || !r.settings.deploy_hook.empty();
}

Status run_hook(std::string_view which, const std::string& command) {
  if (command.empty()) return ok();
  return run_shell(fmt::format("{} hook '{}'", which, command), command, {});
}

Status deploy(Context ctx, const std::string& name, const std::string& extra_hook) {
  TRY_ASSIGN(vault::Record r, ctx.vault.load(name));
  if (!r.has_cert) return Error(Category::State, name, "has no certificate to deploy");
  const vault::IssueSettings& s = r.settings;
  std::vector<std::pair<std::string, std::string>> env = {
      {"CERTCTL_NAME", r.name},
      {"CERTCTL_DOMAINS", fmt::format("{}", fmt::join(r.all_names(), " "))},
      {"CERTCTL_SERIAL", r.cert ? r.cert->serial_hex : ""},
      {"CERTCTL_NOT_AFTER", r.cert ? format_rfc3339(r.cert->not_after) : ""}};
  auto attempt = [&]() -> Status {
    if (!s.deploy_dir.empty()) {
      auto written = export_files(ctx, name, 0, s.deploy_dir);
      if (!written) return written.error().with_category(Category::Deploy);
      if (!s.deploy_owner.empty()) {
        TRY_ASSIGN(auto ids, parse_owner(s.deploy_owner));
        for (const auto& f : written->files)
          if (::chown(f.c_str(), ids.first, ids.second) != 0)
            return Error(Category::Deploy, f, fmt::format("cannot chown to {}", s.deploy_owner), std::strerror(errno));
      }
      env.emplace_back("CERTCTL_DEPLOY_DIR", s.deploy_dir);
      for (const char* f : {"cert", "chain", "fullchain", "key"}) {
        std::string var = fmt::format("CERTCTL_{}_PATH", f);
        for (auto& c : var) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        env.emplace_back(var, fs::join(s.deploy_dir, fmt::format("{}.pem", f)));
      }
    }
    for (const std::string* hook : {&s.deploy_hook, &extra_hook})
      if (!hook->empty()) TRY(run_shell(fmt::format("{}: deploy hook '{}'", name, *hook), *hook, env));
    return ok();
  };
  Status st = attempt();
  TRY(mark(ctx, name, !st.ok()));
  TRY(audit(ctx, st ? "deploy" : "deploy-failed", name, {{"dir", s.deploy_dir}, {"error", st ? "" : st.error().text()}}));
  return st;
}

}  // namespace certctl::lifecycle
