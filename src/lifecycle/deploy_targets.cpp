// Deploy targets: file paths, modes, owner and hooks for many records at once (every record,
// or the records of some CAs, or a list), kept as named configs of kind "deploy".
#include <certctl/ca.hpp>
#include <certctl/lifecycle.hpp>

#include "lifecycle/internal.hpp"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

namespace certctl::lifecycle {
namespace {

constexpr std::string_view kKind = "deploy";


Status validate(Context ctx, const DeployTarget& t) {
  TRY(vault::validate_name(t.name));
  for (const auto& ca : t.cas) TRY(ca::validate_ca_name(ca, &ctx.vault));
  for (const auto& r : t.records) TRY(vault::validate_name(r));
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

}  // namespace

bool DeployTarget::applies_to(const vault::Record& r) const {
  if (!records.empty() && std::find(records.begin(), records.end(), r.name) == records.end()) return false;
  if (!cas.empty()) {
    const std::string& ca = r.issued_by.empty() ? r.ca : r.issued_by;
    if (std::find(cas.begin(), cas.end(), ca) == cas.end()) return false;
  }
  return true;
}

Status deploy_target_add(Context ctx, const DeployTarget& t) {
  TRY(validate(ctx, t));
  vault::NamedConfig c;
  c.name = t.name;
  c.type = "files";
  c.created = ctx.clock.now();
  auto put = [&](const char* k, const std::string& v) {
    if (!v.empty()) c.options[k] = v;
  };
  put("cas", fmt::format("{}", fmt::join(t.cas, ",")));
  put("records", fmt::format("{}", fmt::join(t.records, ",")));
  put("cert", t.cert);
  put("chain", t.chain);
  put("fullchain", t.fullchain);
  put("key", t.key);
  c.options["mode"] = fmt::format("{:04o}", t.mode);
  c.options["key-mode"] = fmt::format("{:04o}", t.key_mode);
  put("owner", t.owner);
  put("hook", t.hook);
  put("pre-hook", t.pre_hook);
  put("post-hook", t.post_hook);
  return detail::save_named_config(ctx, kKind, c, "deploy-target-add");
}

Result<std::vector<DeployTarget>> deploy_targets(Context ctx) {
  TRY_ASSIGN(std::vector<vault::NamedConfig> all, vault::load_configs(ctx.vault, kKind));
  std::vector<DeployTarget> out;
  for (const auto& c : all) {
    auto get = [&](const char* k) {
      auto it = c.options.find(k);
      return it == c.options.end() ? std::string() : it->second;
    };
    DeployTarget t;
    t.name = c.name;
    t.cas = detail::split_list(get("cas"));
    t.records = detail::split_list(get("records"));
    t.cert = get("cert");
    t.chain = get("chain");
    t.fullchain = get("fullchain");
    t.key = get("key");
    t.mode = static_cast<int>(std::strtol(get("mode").c_str(), nullptr, 8));
    t.key_mode = static_cast<int>(std::strtol(get("key-mode").c_str(), nullptr, 8));
    t.owner = get("owner");
    t.hook = get("hook");
    t.pre_hook = get("pre-hook");
    t.post_hook = get("post-hook");
    out.push_back(std::move(t));
  }
  return out;
}

Status deploy_target_remove(Context ctx, const std::string& name) {
  return detail::remove_named_config(ctx, kKind, name, "deploy-target-remove");
}

}  // namespace certctl::lifecycle
