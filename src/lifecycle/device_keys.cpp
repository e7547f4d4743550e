// Device copies of private keys (key-policy hybrid and device): each version's key sealed to
// every host a deploy target covering the record names, kept in the version as
// host-key.<host>.enc beside (hybrid) or instead of (device) the vault's key.enc.
#include <certctl/device_seal.hpp>
#include <certctl/lifecycle.hpp>

#include "lifecycle/internal.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace certctl::lifecycle {

std::string device_key_aad(std::string_view record, int version) {
  // NUL-separated: a record name never holds one, so no two (record, version) pairs collide.
  return fmt::format("certctl-device-key{}{}{}v{}", '\0', record, '\0', version);
}

namespace detail {

std::vector<const HostInfo*> hosts_named(const vault::Record& r, const std::vector<DeployTarget>& targets,
                                         const std::vector<HostInfo>& hosts) {
  std::vector<const HostInfo*> out;
  for (const HostInfo& h : hosts)
    if (std::any_of(targets.begin(), targets.end(),
                    [&](const DeployTarget& t) { return t.applies_to(r) && t.names_host(h.name, h.labels); }))
      out.push_back(&h);
  return out;  // host_list is sorted by name
}

Result<std::vector<std::pair<std::string, std::string>>> device_copies(const std::string& record, int version,
                                                                      const SecretBytes& key_pem,
                                                                      const std::vector<const HostInfo*>& hosts) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string aad = device_key_aad(record, version);
  for (const HostInfo* h : hosts) {
    TRY_ASSIGN(std::string sealed, crypto::seal_to_host(h->key, key_pem, aad));
    out.emplace_back(vault::Layout::host_key_file(h->name), std::move(sealed));
  }
  return out;
}

}  // namespace detail

Result<DeviceKeySync> sync_device_keys(Context ctx) {
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  (void)lock;
  TRY_ASSIGN(std::vector<DeployTarget> targets, deploy_targets(ctx));
  TRY_ASSIGN(std::vector<HostInfo> hosts, host_list(ctx));
  TRY_ASSIGN(std::vector<vault::Record> records, ctx.vault.load_all());
  DeviceKeySync out;
  for (vault::Record& r : records) {
    std::vector<std::string> wanted;
    std::vector<const HostInfo*> to_seal;
    if (r.key_policy != vault::KeyPolicy::Master && r.has_cert)
      for (const HostInfo* h : detail::hosts_named(r, targets, hosts)) {
        wanted.push_back(h->name);
        if (std::find(r.sealed_to.begin(), r.sealed_to.end(), h->name) == r.sealed_to.end()) to_seal.push_back(h);
      }
    std::vector<std::string> keep, removed;
    for (const auto& h : r.sealed_to)
      (std::find(wanted.begin(), wanted.end(), h) != wanted.end() ? keep : removed).push_back(h);
    std::optional<vault::Vault::VersionFiles> files;
    if (!to_seal.empty()) {
      std::string why;
      if (!r.has_key) why = r.key_policy == vault::KeyPolicy::Device ? "key-policy device: only its hosts hold the key; it reaches new hosts at the next renewal"
                                                                      : "the vault holds no key for it";
      else if (!ctx.vault.unlocked()) why = "the vault is locked (run `certctl host sync` with the passphrase)";
      if (!why.empty()) {
        for (const HostInfo* h : to_seal) out.skipped.push_back(fmt::format("{} -> {}: {}", r.name, h->name, why));
      } else {
        TRY_ASSIGN(crypto::PrivateKey key, detail::load_key(ctx, r, r.version));
        TRY_ASSIGN(auto copies, detail::device_copies(r.name, r.version, key.to_pem(), to_seal));
        files = vault::Vault::VersionFiles{r.version, std::move(copies), false};
        for (const HostInfo* h : to_seal) {
          keep.push_back(h->name);
          out.sealed.push_back(fmt::format("{} -> {}", r.name, h->name));
        }
      }
    }
    if (!files && removed.empty()) continue;
    std::sort(keep.begin(), keep.end());
    for (const auto& h : removed) out.removed.push_back(fmt::format("{} -> {}", r.name, h));
    r.sealed_to = std::move(keep);
    r.updated = ctx.clock.now();
    TRY(ctx.vault.save(r, files));
    TRY(detail::audit(ctx, "device-keys", r.name, {{"sealed_to", fmt::format("{}", fmt::join(r.sealed_to, ","))}}));
  }
  return out;
}

}  // namespace certctl::lifecycle
