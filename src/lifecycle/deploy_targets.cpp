// Deploy targets: file paths, modes, owner and hooks for many records at once (every record,
// or the records of some CAs, or a list), kept as named configs of kind "deploy".
#include <certctl/ca.hpp>
#include <certctl/lifecycle.hpp>

#include "lifecycle/config_table.hpp"
#include "lifecycle/internal.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace certctl::lifecycle {
namespace {

constexpr std::string_view kKind = "deploy";


Status validate(Context ctx, const DeployTarget& t) {
  TRY(vault::validate_name(t.name));
  for (const auto& ca : t.cas) TRY(ca::validate_ca_name(ca, &ctx.vault));
  for (const auto& r : t.records) TRY(vault::validate_name(r));
  for (const auto* list : {&t.hosts, &t.labels})
    for (const auto& h : *list) {
      Status st = vault::validate_name(h);
      if (!st)
        return Error(Category::Usage, list == &t.hosts ? "--hosts" : "--labels", fmt::format("'{}': {}", h, st.error().message()));
    }
  for (const std::string* p : {&t.cert, &t.chain, &t.fullchain, &t.key})
    if (!p->empty() && p->front() != '/')
      return Error(Category::Usage, *p, "deploy paths must be absolute (they may use {name} and {domain})");
  if (t.cert.empty() && t.chain.empty() && t.fullchain.empty() && t.key.empty() && t.hook.empty() &&
      t.pre_hook.empty() && t.post_hook.empty())
    return Error(Category::Usage, fmt::format("deploy target '{}'", t.name),
                 "writes no file and runs no hook: give --cert/--chain/--fullchain/--key or a hook");
  for (int m : {t.mode, t.key_mode})
    if (m < 0 || m > 0777) return Error(Category::Usage, "--mode", fmt::format("{:o} is not a file mode", m));
  if (t.key_mode & 0007)
    return Error(Category::Usage, "--key-mode", fmt::format("{:04o} lets every user read the private key", t.key_mode));
  return ok();
}

Result<DeployTarget> target_of(const vault::NamedConfig& c) {
  DeployTarget t;
  t.name = c.name;
  TRY(detail::from_options(deploy_target_options(), c.options, t, fmt::format("deploy target '{}'", c.name)));
  return t;
}

}  // namespace

bool DeployTarget::applies_to(const vault::Record& r) const {
  if (r.source == vault::Source::Discovered) return false;  // found elsewhere: nothing of it is deployed
  if (!records.empty() && std::find(records.begin(), records.end(), r.name) == records.end()) return false;
  if (!cas.empty()) {
    const std::string& ca = r.issued_by.empty() ? r.ca : r.issued_by;
    if (std::find(cas.begin(), cas.end(), ca) == cas.end()) return false;
  }
  return true;
}

bool DeployTarget::names_host(std::string_view host, const std::vector<std::string>& host_labels) const {
  if (std::find(hosts.begin(), hosts.end(), host) != hosts.end()) return true;
  return std::any_of(labels.begin(), labels.end(), [&](const std::string& l) {
    return std::find(host_labels.begin(), host_labels.end(), l) != host_labels.end();
  });
}

const ConfigTable<DeployTarget>& deploy_target_options() {
  using T = DeployTarget;
  static const ConfigTable<T> kOptions = {
      {"cas", "cas", "cas", &T::cas, false, false, "only records of these CAs"},
      {"records", "records", "records", &T::records, false, false, "only these records"},
      {"cert", "cert", "cert", &T::cert, false, false, "certificate path"},
      {"chain", "chain", "chain", &T::chain, false, false, "intermediates path"},
      {"fullchain", "fullchain", "fullchain", &T::fullchain, false, false, "certificate + intermediates path"},
      {"key", "key", "key", &T::key, false, false, "private key path"},
      {"mode", "mode", "mode", &T::mode, false, false, "mode of the certificate files", 0, 0777, 8},
      {"key_mode", "key-mode", "key_mode", &T::key_mode, false, false, "mode of the key file", 0, 0777, 8},
      {"owner", "owner", "owner", &T::owner, false, false, "USER[:GROUP] of the files"},
      {"hook", "hook", "hook", &T::hook, false, false, "shell command after each record"},
      {"pre_hook", "pre-hook", "pre_hook", &T::pre_hook, false, false, "shell command before a renew run"},
      {"post_hook", "post-hook", "post_hook", &T::post_hook, false, false, "shell command after a renew run"},
      {"hosts", "hosts", "hosts", &T::hosts, false, false, "only on these hosts (their agents deploy it)"},
      {"labels", "labels", "labels", &T::labels, false, false, "only on hosts with one of these labels"},
  };
  return kOptions;
}

Status deploy_target_add(Context ctx, const DeployTarget& t) {
  TRY(validate(ctx, t));
  vault::NamedConfig c;
  c.name = t.name;
  c.type = "files";
  c.created = ctx.clock.now();
  detail::to_options(deploy_target_options(), t, c.options);
  return detail::save_named_config(ctx, kKind, c, "deploy-target-add");
}

Result<std::vector<DeployTarget>> deploy_targets(Context ctx) {
  return detail::load_all(ctx.vault, kKind, &target_of);
}

Status deploy_target_remove(Context ctx, const std::string& name) {
  TRY(detail::remove_named_config(ctx, kKind, name, "deploy-target-remove"));
  // Key copies sealed to hosts only this target named go with it.
  TRY_ASSIGN(DeviceKeySync sync, sync_device_keys(ctx));
  (void)sync;
  return ok();
}

}  // namespace certctl::lifecycle
