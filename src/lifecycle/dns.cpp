// DNS providers for dns-01, stored as named configs of kind "dns" (<vault>/dns/<name>.toml):
// add (checked against the provider registry, secrets sealed or named by an environment
// variable), list, show, remove, test (a real TXT record, published and removed), and check
// (is each _acme-challenge CNAME in place for a tech zone?).
#include <certctl/challenge.hpp>
#include <certctl/crypto.hpp>
#include <certctl/domain.hpp>
#include <certctl/lifecycle.hpp>

#include "lifecycle/config_table.hpp"
#include "lifecycle/internal.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include <fmt/format.h>

namespace certctl::lifecycle {
namespace {

constexpr std::string_view kKind = "dns";
constexpr std::string_view kEnvSuffix = "-env";

std::string subject_of(std::string_view name) { return fmt::format("DNS provider '{}'", name); }

Result<DnsProviderInfo> info_of(const vault::NamedConfig& c) {
  DnsProviderInfo i;
  i.name = c.name;
  i.type = c.type;
  i.created = c.created;
  const auto& table = dns_provider_options();
  TRY(detail::from_options(table, c.options, i, subject_of(c.name)));
  for (const auto& [k, v] : c.options) {
    if (detail::find_option(table, k)) continue;
    if (k.size() > kEnvSuffix.size() && k.compare(k.size() - kEnvSuffix.size(), kEnvSuffix.size(), kEnvSuffix) == 0) {
      i.secrets[k.substr(0, k.size() - kEnvSuffix.size())] = "env:" + v;
    } else {
      i.options[k] = v;
    }
  }
  for (const auto& [k, _] : c.sealed) i.secrets[k] = "sealed";
  return i;
}

/// The provider's config without its secrets.
dns::ProviderConfig config_of(const DnsProviderInfo& i) {
  return dns::ProviderConfig{i.name,      i.type,    i.options, {}, i.tech_zone, i.ttl, i.timeout_s, i.propagation_wait_s,
                             i.no_propagation_check};
}

}  // namespace

void detail::apply_provider_config(challenge::DnsProviderOptions& o, const dns::ProviderConfig& c) {
  o.tech_zone = c.tech_zone;
  o.propagation_timeout = std::chrono::seconds(c.timeout_s);
  o.propagation_wait = std::chrono::seconds(c.propagation_wait_s);
  o.check_propagation = !c.no_propagation_check;
}

const ConfigTable<DnsProviderInfo>& dns_provider_options() {
  using I = DnsProviderInfo;
  static const ConfigTable<I> kOptions = {
      {"tech_zone", "tech-zone", "tech_zone", &I::tech_zone, false, false, "zone the _acme-challenge CNAMEs point into"},
      {"ttl", "ttl", "ttl", &I::ttl, false, false, "TTL of the TXT records", 1, 86400},
      {"timeout_s", "timeout", "timeout_s", &I::timeout_s, false, false, "propagation timeout in seconds", 1, 3600},
      {"propagation_wait_s", "propagation-wait", "propagation_wait_s", &I::propagation_wait_s, false, false,
       "seconds to wait after publishing instead of checking (0 = check)", 0, challenge::kMaxPropagationWaitS},
      {"no_propagation_check", "no-propagation-check", "no_propagation_check", &I::no_propagation_check, false, false,
       "publish and go on, without checking or waiting"},
  };
  return kOptions;
}

Status dns_add(Context ctx, DnsProviderInput in) {
  TRY(vault::validate_name(in.name));
  if (auto setting = challenge::parse_dns_setting(in.name); !setting || !std::holds_alternative<challenge::ProviderRef>(*setting))
    return Error(Category::Usage, in.name, fmt::format("is reserved for --dns {}; choose another name", in.name));
  const std::string subject = subject_of(in.name);
  for (const auto& [k, _] : in.secrets)
    if (in.secret_envs.count(k))
      return Error(Category::Usage, subject, fmt::format("secret '{}' given twice (sealed and from the environment)", k));
  if (!in.tech_zone.empty()) {
    std::string zone = in.tech_zone;
    if (zone.back() == '.') zone.pop_back();
    auto normal = domain::normalize_dns(zone);
    if (!normal || normal->rfind("*.", 0) == 0)
      return Error(Category::Usage, "--tech-zone", fmt::format("'{}' is not a DNS zone name", in.tech_zone));
    in.tech_zone = *normal;
  }
  if (in.timeout_s < 1 || in.timeout_s > 3600) return Error(Category::Usage, "--timeout", "must be 1..3600 seconds");
  // Check everything with the registry before anything is stored.
  if (in.propagation_wait_s < 0 || in.propagation_wait_s > challenge::kMaxPropagationWaitS)
    return Error(Category::Usage, "--propagation-wait", fmt::format("must be 0..{} seconds", challenge::kMaxPropagationWaitS));
  const DnsProviderInfo info{in.name,      in.type,     in.tech_zone, in.options, {}, in.ttl, in.timeout_s,
                             in.propagation_wait_s, in.no_propagation_check, ctx.clock.now()};
  dns::ProviderConfig check = config_of(info);
  for (const auto& [k, v] : in.secrets) check.secrets.emplace(k, v.clone());
  for (const auto& [k, var] : in.secret_envs) {
    // The variable's value when it is set now, else a stand-in of the usual (base64) shape.
    const char* now = std::getenv(var.c_str());
    check.secrets.emplace(k, SecretBytes::from(now && *now ? now : "cGxhY2Vob2xkZXI="));
    if (!now || !*now) check.unset_secrets.insert(k);
  }
  TRY(dns::make_provider(check));

  vault::NamedConfig c{in.name, in.type, in.options, {}, info.created};
  for (const auto& [k, var] : in.secret_envs) c.options[k + std::string(kEnvSuffix)] = var;
  detail::to_options(dns_provider_options(), info, c.options);
  for (const auto& [k, v] : in.secrets) {
    TRY_ASSIGN(c.sealed[k], vault::seal_config_secret(ctx.vault, kKind, in.name, k, v));
  }
  return detail::save_named_config(ctx, kKind, c, "dns-add", {{"type", in.type}});
}

Result<std::vector<DnsProviderInfo>> dns_list(Context ctx) { return detail::load_all(ctx.vault, kKind, &info_of); }

Result<DnsProviderInfo> dns_show(Context ctx, const std::string& name) {
  TRY_ASSIGN(vault::NamedConfig c, detail::load_named_config(ctx, kKind, name));
  return info_of(c);
}

Status dns_remove(Context ctx, const std::string& name) {
  TRY(vault::validate_name(name));
  // Renewals of these records would fail: say which before removing anything.
  TRY_ASSIGN(std::vector<vault::Record> all, ctx.vault.load_all());
  std::vector<std::string> users;
  for (const auto& r : all)
    if (detail::stored_dns_provider(r.settings.dns) == name && r.status != vault::CertStatus::Revoked) users.push_back(r.name);
  if (!users.empty())
    return Error(Category::State, subject_of(name),
                 fmt::format("is used by {}; give them another with `certctl issue NAME --dns ...` first",
                             fmt::join(users, ", ")));
  return detail::remove_named_config(ctx, kKind, name, "dns-remove");
}

Result<dns::ProviderConfig> dns_provider_config(Context ctx, const std::string& name) {
  TRY_ASSIGN(vault::NamedConfig c, detail::load_named_config(ctx, kKind, name));
  TRY_ASSIGN(const DnsProviderInfo info, info_of(c));
  dns::ProviderConfig p = config_of(info);
  for (const auto& [k, source] : info.secrets) {
    if (source == "sealed") {
      TRY_ASSIGN(SecretBytes v, vault::open_config_secret(ctx.vault, kKind, c, k));
      p.secrets.emplace(k, std::move(v));
    } else {
      const std::string var = source.substr(4);
      const char* v = std::getenv(var.c_str());
      if (!v || !*v)
        return Error(Category::Config, subject_of(name), fmt::format("${} (its {}) is not set", var, k));
      p.secrets.emplace(k, SecretBytes::from(v));
    }
  }
  return p;
}

Result<DnsTestResult> dns_test(Context ctx, const std::string& name, const std::string& domain,
                               const std::optional<dns::Server>& resolver, const dns::Progress& progress) {
  auto normal = domain::normalize_dns(domain);
  if (!normal) return normal.error();
  const std::string ascii = normal->rfind("*.", 0) == 0 ? normal->substr(2) : *normal;
  TRY_ASSIGN(dns::ProviderConfig config, dns_provider_config(ctx, name));
  TRY_ASSIGN(std::unique_ptr<dns::Provider> provider, dns::make_provider(config));
  challenge::DnsProviderOptions o;
  o.resolver.override_server = resolver;
  detail::apply_provider_config(o, config);
  o.progress = progress;
  const auto started = std::chrono::steady_clock::now();
  // A random value, as ACME would send: nothing that could be mistaken for a real challenge.
  challenge::Task t;
  t.type = "dns-01";
  t.identifier = ascii;
  t.dns_value = crypto::base64url_encode(crypto::random_bytes(32));
  t.fqdn = "_acme-challenge." + ascii + ".";
  dns::Resolver lookups(o.resolver);
  TRY_ASSIGN(std::string target, lookups.follow_cnames(t.fqdn));
  TRY_ASSIGN(std::string zone, lookups.zone_of(target));
  TRY_ASSIGN(std::unique_ptr<challenge::Solver> solver, challenge::make_dns_provider(std::move(provider), o));
  Status st = solver->present({t});
  Status cleaned = solver->cleanup();
  TRY(st);
  TRY(cleaned);
  TRY(detail::audit(ctx, "dns-test", name, {{"domain", ascii}}));
  return DnsTestResult{target, zone, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()};
}

Result<std::vector<DnsCheckItem>> dns_check(Context ctx, const std::string& record,
                                            const std::optional<dns::Server>& resolver) {
  TRY(vault::validate_name(record));
  TRY_ASSIGN(vault::Record r, ctx.vault.load(record));
  const std::optional<std::string> provider = detail::stored_dns_provider(r.settings.dns);
  if (r.settings.challenge != vault::ChallengeType::Dns01 || !provider)
    return Error(Category::State, record, "is not issued by dns-01 through a DNS provider (see `certctl dns add`)");
  TRY_ASSIGN(DnsProviderInfo info, dns_show(ctx, *provider));
  std::string tech_zone = info.tech_zone;
  if (tech_zone.empty()) {
    TRY_ASSIGN(ca::CaProfile profile, ca::find_profile(ctx.vault, r.ca));
    tech_zone = profile.tech_zone;
  }
  dns::ResolverOptions ro;
  ro.override_server = resolver;
  dns::Resolver lookups(ro);
  std::vector<std::string> names;
  for (const std::string& n : r.all_names())
    if (!domain::is_ip(n)) names.push_back(n);
  // The same rule as issue: a CNAME chain that ends inside the tech zone.
  TRY_ASSIGN(std::vector<challenge::Delegation> found, challenge::delegations(lookups, names, tech_zone));
  std::vector<DnsCheckItem> out;
  bool all_ok = true;
  for (auto& d : found) {
    DnsCheckItem item;
    item.name = d.identifier;
    item.target = d.target;
    if (!tech_zone.empty()) item.expected = challenge::delegation_target(d.identifier, tech_zone);
    item.ok = d.ok;
    item.instruction = d.instruction;
    all_ok = all_ok && item.ok;
    out.push_back(std::move(item));
  }
  if (all_ok && r.status == vault::CertStatus::Pending && r.next_attempt > ctx.clock.now()) {
    // The delegation is in place: let the next issue/renew go ahead without waiting.
    TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
    (void)lock;
    TRY_ASSIGN(vault::Record fresh, ctx.vault.load(record));
    fresh.next_attempt = 0;
    TRY(ctx.vault.save(fresh));
  }
  return out;
}

}  // namespace certctl::lifecycle
