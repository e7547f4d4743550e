// The agent on a host (issue 11, "agents that deploy"): deploys the records that deploy targets
// naming this host cover, with keys from this host's device copies, and records each result in
// deployed/<host>.json. Never unlocks the vault.
#include <certctl/deploy_results.hpp>
#include <certctl/device_seal.hpp>
#include <certctl/interrupt.hpp>
#include <certctl/lifecycle.hpp>

#include "lifecycle/internal.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace certctl::lifecycle {

using namespace detail;

namespace {

constexpr std::chrono::seconds kMaxBackoff{60};

/// This host as the vault registered it, checked against the key the agent holds.
Result<HostInfo> registered_self(Context ctx, const AgentOptions& o) {
  auto me = host_get(ctx, o.host);
  if (!me) {
    if (me.error().category() != Category::NotFound) return me.error();
    return Error(Category::Config, fmt::format("host '{}'", o.host),
                 fmt::format("is not registered in {}: run `certctl agent enroll` here, then `certctl host add {} "
                             "--public-key FILE` where the vault is",
                             ctx.vault.describe(), o.host));
  }
  if (!(me->key == o.host_key.public_key))
    return Error(Category::Config, fmt::format("host '{}'", o.host),
                 "its key file is not the key registered for it (enrolled again?): `certctl host remove` it and add "
                 "the new public key");
  return me;
}

/// The key of r's current version from this host's device copy.
Result<SecretBytes> device_key(Context ctx, const AgentOptions& o, const vault::Record& r) {
  const std::string file = vault::Layout::host_key_file(o.host);
  const std::string where = ctx.vault.where(vault::Layout::version_file(r.name, r.version, file));
  const bool sealed_here = std::find(r.sealed_to.begin(), r.sealed_to.end(), o.host) != r.sealed_to.end();
  TRY_ASSIGN(const bool there, ctx.vault.has_file(r.name, r.version, file));
  if (!sealed_here || !there)
    return Error(Category::Deploy, r.name,
                 r.key_policy == vault::KeyPolicy::Master
                     ? fmt::format("its key is not sealed to host '{}' (key-policy master); set `--key-policy hybrid` "
                                   "with `certctl edit`, then `certctl host sync`",
                                   o.host)
                     : fmt::format("its key (version {}) is not sealed to host '{}' yet; run `certctl host sync` where "
                                   "the vault is unlocked",
                                   r.version, o.host));
  TRY_ASSIGN(std::string sealed, ctx.vault.read_file(r.name, r.version, file));
  return crypto::open_as_host(o.host_key.private_key, sealed, device_key_aad(r.name, r.version), where);
}

}  // namespace

Result<AgentPass> agent_pass(Context ctx, const AgentOptions& o) {
  TRY_ASSIGN(HostInfo me, registered_self(ctx, o));
  TRY_ASSIGN(std::vector<DeployTarget> all, deploy_targets(ctx));
  std::vector<DeployTarget> targets;
  for (auto& t : all)
    if (t.names_host(me.name, me.labels)) targets.push_back(std::move(t));
  std::vector<vault::UnreadableRecord> unreadable;
  TRY_ASSIGN(std::vector<vault::Record> records, ctx.vault.load_all(&unreadable));
  TRY_ASSIGN(auto results, vault::load_deploy_results(ctx.vault, o.host));
  AgentPass pass;
  bool changed = false;
  const UnixTime now = ctx.clock.now();
  for (const auto& u : unreadable) {
    ++pass.failed;
    pass.lines.push_back(fmt::format("{}: skipped: {}", u.name, u.error.text()));
  }
  for (const vault::Record& r : records) {
    std::vector<const DeployTarget*> mine;
    if (r.has_cert && r.status != vault::CertStatus::Revoked)
      for (const auto& t : targets)
        if (t.applies_to(r)) mine.push_back(&t);
    auto prev = results.find(r.name);
    if (mine.empty()) {
      if (prev != results.end()) results.erase(prev), changed = true;
      continue;
    }
    std::vector<std::string> names;
    for (const auto* t : mine) names.push_back(t->name);
    std::sort(names.begin(), names.end());
    if (prev != results.end() && prev->second.version == r.version && prev->second.targets == names) {
      const auto& p = prev->second;
      // Deployed: done. Failed: the service tries again once the interval has passed (not on
      // every wake-up); --once (cron) tries every run.
      if (p.state == vault::DeployState::Deployed ||
          (!o.once && p.at <= now && now - p.at < static_cast<UnixTime>(o.interval.count()))) {
        ++pass.current;
        continue;
      }
    }
    auto env = deploy_env(r);
    env.emplace_back("CERTCTL_HOST", o.host);
    const PemSource pem_of = [&](PemKind kind) -> Result<SecretBytes> {
      if (kind == PemKind::Key) return device_key(ctx, o, r);
      return read_pem(ctx, r, r.version, kind);
    };
    Status st = ok();
    for (const auto* t : mine) {
      st = deploy_to_target(r, *t, env, pem_of);
      if (!st) break;
    }
    vault::DeployResult res;
    res.record = r.name;
    res.version = r.version;
    res.state = st ? vault::DeployState::Deployed : vault::DeployState::DeployFailed;
    res.at = now;
    res.error = st ? "" : st.error().text();
    res.targets = names;
    results[r.name] = res;
    changed = true;
    if (st) {
      ++pass.deployed;
      pass.lines.push_back(fmt::format("{}: deployed version {} ({})", r.name, r.version, fmt::join(names, ", ")));
    } else {
      ++pass.failed;
      pass.lines.push_back(fmt::format("{}: deploy failed: {}", r.name, res.error));
    }
    (void)audit(ctx, st ? "agent-deploy" : "agent-deploy-failed", r.name,
                {{"version", std::to_string(r.version)}, {"targets", fmt::format("{}", fmt::join(names, ","))},
                 {"error", res.error}});
  }
  // Records gone from the vault are gone from the results (load_all sorts by name).
  const auto by_name = [](const vault::Record& r, const std::string& n) { return r.name < n; };
  for (auto it = results.begin(); it != results.end();)
    if (auto r = std::lower_bound(records.begin(), records.end(), it->first, by_name);
        r == records.end() || r->name != it->first)
      it = results.erase(it), changed = true;
    else
      ++it;
  if (changed) TRY(vault::save_deploy_results(ctx.vault, o.host, results));
  return pass;
}

Status run_agent(Context ctx, const AgentOptions& o, const ChangeWaiter& wait,
                 const std::function<void(const std::string&)>& say) {
  std::chrono::seconds backoff{1};
  auto back_off = [&](const Error& e) -> bool {
    say(fmt::format("{}; trying again in {} s", e.text(), backoff.count()));
    const bool slept = interruptible_sleep(backoff, "agent").ok();
    backoff = std::min(backoff * 2, kMaxBackoff);
    return slept;
  };
  for (;;) {
    auto pass = agent_pass(ctx, o);
    if (!pass) {
      if (o.once) return pass.error();
      if (!back_off(pass.error())) return ok();
      continue;
    }
    backoff = std::chrono::seconds{1};
    for (const auto& line : pass->lines) say(line);
    if (o.once) {
      if (pass->failed == 0) return ok();
      return Error(Category::Deploy, fmt::format("host '{}'", o.host),
                   fmt::format("{} record(s) failed to deploy ({} deployed, {} current)", pass->failed, pass->deployed,
                               pass->current));
    }
    if (interrupted()) return ok();
    Status waited = wait(std::chrono::duration_cast<std::chrono::milliseconds>(o.interval));
    if (interrupted()) return ok();
    if (!waited && !back_off(waited.error())) return ok();
  }
}

}  // namespace certctl::lifecycle
