// Deployment after issuance: files for the web server (with owner), then hooks. A failed
// deploy leaves the new certificate in the vault and marks the record so renew retries it.
#include <certctl/fs.hpp>
#include <certctl/lifecycle.hpp>
#include <certctl/process.hpp>
#include <certctl/trace.hpp>

#include "lifecycle/internal.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <cstring>

#include <cctype>

#include <fmt/format.h>

namespace certctl::lifecycle {

using namespace detail;

namespace {

constexpr int kHookTimeoutS = 300;

/// A value fit to be one path component: letters, digits, '.', '-' and '_' only (anything
/// else, a '/' or a control character, becomes '_'), and never "", "." or "..". Names are
/// checked when they enter the vault; this keeps a deploy inside its directory regardless.
std::string path_component(std::string_view v) {
  std::string out;
  for (char c : v) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  for (std::size_t at = out.find(".."); at != std::string::npos; at = out.find("..", at)) out.replace(at, 2, "__");
  return out.empty() || out == "." ? "_" : out;
}

/// A target path with {name} and {domain} filled in (a wildcard's "*" becomes "_wildcard").
std::string expand(std::string path, const vault::Record& r) {
  std::string domain = r.domain;
  if (domain.rfind("*.", 0) == 0) domain = "_wildcard" + domain.substr(1);
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"{name}", path_component(r.name)},
                                   {"{domain}", path_component(domain)}})
    for (std::size_t at = path.find(key); at != std::string::npos; at = path.find(key, at + value.size()))
      path.replace(at, key.size(), value);
  return path;
}

/// The files a deployment writes, in the order of DeployTarget's paths, and the variable that
/// tells hooks where each one went.
struct DeployFile {
  std::string_view stem;
  PemKind kind;
  const char* env;
};
constexpr DeployFile kFiles[] = {{"cert", PemKind::Cert, "CERTCTL_CERT_PATH"},
                                 {"chain", PemKind::Chain, "CERTCTL_CHAIN_PATH"},
                                 {"fullchain", PemKind::Fullchain, "CERTCTL_FULLCHAIN_PATH"},
                                 {"key", PemKind::Key, "CERTCTL_KEY_PATH"}};

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

/// chown a deployed file to USER[:GROUP].
Status chown_to(const std::string& path, const std::string& owner) {
  TRY_ASSIGN(auto ids, parse_owner(owner));
  if (::chown(path.c_str(), ids.first, ids.second) != 0)
    return Error(Category::Deploy, path, fmt::format("cannot chown to {}", owner), std::strerror(errno));
  return ok();
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

bool has_deploy(const vault::Record& r, const std::vector<DeployTarget>& targets) {
  return !r.settings.deploy_dir.empty() || !r.settings.deploy_hook.empty() ||
         std::any_of(targets.begin(), targets.end(), [&r](const DeployTarget& t) { return t.applies_to(r); });
}

Status run_hook(std::string_view which, const std::string& command) {
  if (command.empty()) return ok();
  return run_shell(fmt::format("{} hook '{}'", which, command), command, {});
}

Status deploy(Context ctx, const std::string& name, const std::string& extra_hook) {
  TRY_ASSIGN(std::vector<DeployTarget> targets, deploy_targets(ctx));
  return deploy(ctx, name, extra_hook, targets);
}

namespace detail {

std::vector<std::pair<std::string, std::string>> deploy_env(const vault::Record& r) {
  return {{"CERTCTL_NAME", r.name},
          {"CERTCTL_DOMAINS", fmt::format("{}", fmt::join(r.all_names(), " "))},
          {"CERTCTL_SERIAL", r.cert ? r.cert->serial_hex : ""},
          {"CERTCTL_NOT_AFTER", r.cert ? format_rfc3339(r.cert->not_after) : ""}};
}

Status deploy_to_target(const vault::Record& r, const DeployTarget& t, std::vector<std::pair<std::string, std::string>> env,
                        const PemSource& pem_of) {
  const std::string* patterns[] = {&t.cert, &t.chain, &t.fullchain, &t.key};  // kFiles' order
  // Every text first: a key that cannot be had leaves the old files as they were, never a new
  // certificate beside the old key.
  std::vector<std::pair<std::size_t, SecretBytes>> texts;
  for (std::size_t i = 0; i < std::size(kFiles); ++i) {
    if (patterns[i]->empty() || (kFiles[i].kind == PemKind::Chain && !r.has_chain)) continue;
    TRY_ASSIGN(SecretBytes pem, pem_of(kFiles[i].kind));
    texts.emplace_back(i, std::move(pem));
  }
  for (const auto& [i, pem] : texts) {
    const DeployFile& f = kFiles[i];
    const std::string path = expand(*patterns[i], r);
    if (auto dir = fs::dirname(path); !fs::is_dir(dir)) {
      if (auto st = fs::make_dirs(dir, 0755); !st) return st.error().with_category(Category::Deploy);
    }
    const int mode = f.kind == PemKind::Key ? t.key_mode : t.mode;
    if (auto st = fs::write_user_file(path, pem.view(), static_cast<mode_t>(mode)); !st)
      return st.error().with_category(Category::Deploy);
    if (!t.owner.empty()) TRY(chown_to(path, t.owner));
    trace::step(fmt::format("'{}': deploy target '{}': wrote {}", r.name, t.name, path));
    env.emplace_back(f.env, path);
  }
  env.emplace_back("CERTCTL_DEPLOY_TARGET", t.name);
  if (!t.hook.empty()) TRY(run_shell(fmt::format("{}: deploy target '{}' hook '{}'", r.name, t.name, t.hook), t.hook, env));
  return ok();
}

}  // namespace detail

Status deploy(Context ctx, const std::string& name, const std::string& extra_hook,
              const std::vector<DeployTarget>& all_targets) {
  // Targets that name hosts deploy only there (their agents do it); the rest deploy here.
  std::vector<std::string> labels;
  if (std::any_of(all_targets.begin(), all_targets.end(), [](const DeployTarget& t) { return !t.labels.empty(); }))
    if (auto me = host_get(ctx, ctx.vault.host())) labels = me->labels;
  std::vector<DeployTarget> targets;
  for (const auto& t : all_targets)
    if (t.deploys_on(ctx.vault.host(), labels)) targets.push_back(t);
  TRY_ASSIGN(vault::Record r, ctx.vault.load(name));
  if (!r.has_cert) return Error(Category::State, name, "has no certificate to deploy");
  if (!has_deploy(r, targets) && extra_hook.empty()) return ok();
  const vault::IssueSettings& s = r.settings;
  std::vector<std::pair<std::string, std::string>> env = deploy_env(r);
  auto attempt = [&]() -> Status {
    if (!s.deploy_dir.empty()) {
      auto written = export_files(ctx, name, 0, s.deploy_dir);
      if (!written) return written.error().with_category(Category::Deploy);
      if (!s.deploy_owner.empty())
        for (const auto& f : written->files) TRY(chown_to(f, s.deploy_owner));
      trace::step(fmt::format("'{}': deployed {} file{} to {}", name, written->files.size(),
                              written->files.size() == 1 ? "" : "s", s.deploy_dir));
      env.emplace_back("CERTCTL_DEPLOY_DIR", s.deploy_dir);
      for (const DeployFile& f : kFiles) env.emplace_back(f.env, fs::join(s.deploy_dir, fmt::format("{}.pem", f.stem)));
    }
    for (const std::string* hook : {&s.deploy_hook, &extra_hook})
      if (!hook->empty()) TRY(run_shell(fmt::format("{}: deploy hook '{}'", name, *hook), *hook, env));
    for (const auto& t : targets) {
      if (!t.applies_to(r)) continue;
      TRY(deploy_to_target(r, t, env, [&](PemKind kind) { return read_pem(ctx, r, r.version, kind); }));
    }
    return ok();
  };
  Status st = attempt();
  TRY(mark(ctx, name, !st.ok()));
  TRY(audit(ctx, st ? "deploy" : "deploy-failed", name, {{"dir", s.deploy_dir}, {"error", st ? "" : st.error().text()}}));
  return st;
}

}  // namespace certctl::lifecycle
