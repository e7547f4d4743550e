// Which built-in responders a run needs, read before the vault is unlocked (records and CA
// profiles are not sealed), so the responder child can bind them and drop its privileges
// before any key is decrypted.
#include <certctl/ca.hpp>
#include <certctl/lifecycle.hpp>

#include <algorithm>

namespace certctl::lifecycle {
namespace {

/// Does any of these CAs validate over the network (ACME)? An unknown name counts as one.
bool any_acme(Context ctx, const std::vector<std::string>& cas) {
  return std::any_of(cas.begin(), cas.end(), [&](const std::string& name) {
    auto profile = ca::find_profile(ctx.vault, name);
    return !profile || !profile->is_local();
  });
}

/// The endpoint a record's settings answer on, when it is a built-in responder.
std::optional<challenge::Endpoint> endpoint_of(const vault::IssueSettings& s) {
  const ca::ChallengeSettings defaults;
  const std::string address = s.http_address.empty() ? defaults.http_address : s.http_address;
  if (s.challenge == vault::ChallengeType::Http01 && s.webroot.empty() && s.webroot_map.empty() && s.http_hook.empty())
    return challenge::Endpoint{challenge::ResponderKind::Http01, address, s.http_port ? s.http_port : defaults.http_port};
  if (s.challenge == vault::ChallengeType::TlsAlpn01)
    return challenge::Endpoint{challenge::ResponderKind::TlsAlpn01, address, s.tls_port ? s.tls_port : defaults.tls_port};
  return std::nullopt;
}

}  // namespace

std::vector<challenge::Endpoint> responder_endpoints(Context ctx, const std::vector<std::string>& names,
                                                     const IssueRequest& req, const std::string& new_record_ca) {
  std::vector<challenge::Endpoint> out;
  for (const auto& name : names) {
    if (!vault::validate_name(name)) continue;  // issue reports it
    vault::Record r;
    r.ca = new_record_ca;
    if (ctx.vault.exists(name)) {
      auto loaded = ctx.vault.load(name);
      if (!loaded) continue;  // issue reports it
      r = std::move(loaded).value();
    }
    req.settings.apply_to(r.settings);
    std::vector<std::string> cas = {req.ca.value_or(r.ca)};
    cas.insert(cas.end(), r.settings.fallback.begin(), r.settings.fallback.end());
    if (!any_acme(ctx, cas)) continue;
    auto e = endpoint_of(r.settings);
    if (e && std::find(out.begin(), out.end(), *e) == out.end()) out.push_back(*e);
  }
  return out;
}

}  // namespace certctl::lifecycle
