// certctl dns add|list|show|remove|test|check: DNS providers for dns-01 (one flag per option of
// the registry's provider types; secrets from a file, sealed in the vault, or named by an
// environment variable read at each use).
#include "cli/common.hpp"
#include "cli/named.hpp"

#include <certctl/fs.hpp>
#include <certctl/output.hpp>

#include <algorithm>
#include <map>
#include <set>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

namespace {

Result<std::vector<lifecycle::DnsProviderInfo>> load_providers(Session& s) { return lifecycle::dns_list(s.ctx()); }
Result<lifecycle::DnsProviderInfo> show_provider(Session& s, const std::string& name) {
  return lifecycle::dns_show(s.ctx(), name);
}
Status remove_provider(Session& s, const std::string& name) { return lifecycle::dns_remove(s.ctx(), name); }
std::string removed(const std::string& name) { return fmt::format("DNS provider '{}' removed", name); }

std::string provider_text(const lifecycle::DnsProviderInfo& p) {
  std::string out = fmt::format("name:       {}\ntype:       {}\n", p.name, p.type);
  for (const auto& [k, v] : p.options) out += fmt::format("{:<12}{}\n", k + ":", v);
  for (const auto& [k, v] : p.secrets) out += fmt::format("{:<12}<{}>\n", k + ":", v);
  out += fmt::format("tech zone:  {}\nttl:        {} s\ntimeout:    {} s\n", p.tech_zone.empty() ? "-" : p.tech_zone,
                     p.ttl, p.timeout_s);
  if (p.no_propagation_check) out += "propagation: not checked\n";
  else if (p.propagation_wait_s) out += fmt::format("propagation: a fixed wait of {} s, not checked\n", p.propagation_wait_s);
  return out;
}

std::string providers_table(const std::vector<lifecycle::DnsProviderInfo>& all) {
  std::string out = fmt::format("{:<16} {:<11} {:<24} {}\n", "NAME", "TYPE", "TECH ZONE", "TARGET");
  for (const auto& p : all) {
    std::string target;
    for (const char* k : {"server", "api-url"})
      if (auto it = p.options.find(k); it != p.options.end()) target = it->second;
    out += fmt::format("{:<16} {:<11} {:<24} {}\n", p.name, p.type, p.tech_zone.empty() ? "-" : p.tech_zone, target);
  }
  return out;
}

/// `dns add`: one flag per option of any provider type.
struct AddOpts {
  lifecycle::DnsProviderInput in;
  std::map<std::string, std::string> values;       // --<option>
  std::map<std::string, std::string> secret_env;   // --<secret>-env
  std::map<std::string, std::string> secret_file;  // --<secret>-file
};

/// Adds the flags of every provider type's options; returns the help footer that lists them.
std::string bind_provider_options(CLI::App& add, AddOpts& a) {
  std::set<std::string> seen;
  std::string footer = "Options per provider type (* required, secrets as --NAME-env VAR or --NAME-file FILE):\n";
  for (const auto& t : dns::registry()) {
    footer += fmt::format("  {:<11} {}\n", t.name, t.summary);
    for (const auto& o : t.options) {
      footer += fmt::format("      --{}{}{}  {}\n", o.name, o.secret ? "-env|-file" : "", o.required ? "*" : "", o.help);
      const std::string name(o.name);
      if (!seen.insert(name).second) continue;
      if (o.secret) {
        add.add_option("--" + name + "-env", a.secret_env[name],
                       fmt::format("Read the {} from this environment variable at each use (not stored)", name));
        add.add_option("--" + name + "-file", a.secret_file[name],
                       fmt::format("Read the {} from this file now (trailing line breaks dropped) and keep it sealed in the vault", name));
      } else {
        add.add_option("--" + name, a.values[name], std::string(o.help));
      }
    }
  }
  return footer;
}

void bind_add(CLI::App& add, AddOpts& a) {
  add.add_option("name", a.in.name, "Its name (use it as `issue --dns NAME`)")->required();
  std::vector<std::string> types;
  for (const auto& t : dns::registry()) types.emplace_back(t.name);
  add.add_option("--provider", a.in.type, "Provider type")->required()->check(CLI::IsMember(types));
  const std::string footer = bind_provider_options(add, a);
  add.add_option("--tech-zone", a.in.tech_zone,
                 "Zone the _acme-challenge CNAMEs point into; a missing CNAME leaves the record pending");
  add.add_option("--ttl", a.in.ttl, "TTL of the TXT records")->capture_default_str()->check(CLI::Range(1, 86400));
  add.add_option("--timeout", a.in.timeout_s, "Propagation timeout in seconds")->capture_default_str();
  add.add_option("--propagation-wait", a.in.propagation_wait_s,
                 "Wait this many seconds after publishing instead of checking the authoritative servers (0 = check)")
      ->check(CLI::Range(0, challenge::kMaxPropagationWaitS));
  add.add_flag("--no-propagation-check", a.in.no_propagation_check,
               "Go on as soon as the records are published (split-horizon DNS, servers that are not authoritative)");
  add.footer(footer);
}

Status run_add(Globals& g, AddOpts& a, CLI::App& add) {
  for (const auto& [k, v] : a.values)
    if (add.count("--" + k)) a.in.options[k] = v;
  for (const auto& [k, v] : a.secret_env)
    if (add.count("--" + k + "-env")) a.in.secret_envs[k] = v;
  for (const auto& [k, path] : a.secret_file) {
    if (!add.count("--" + k + "-file")) continue;
    TRY_ASSIGN(SecretBytes secret, fs::read_secret_file(path));
    secret.trim_newline();  // `echo TOKEN > FILE` writes one
    if (secret.empty()) return Error(Category::Usage, path, fmt::format("--{}-file: the file is empty", k));
    a.in.secrets.emplace(k, std::move(secret));
  }
  const bool sealed = !a.in.secrets.empty();
  TRY_ASSIGN(Session s, sealed ? open_unlocked(g) : open_session(g));
  const std::string name = a.in.name;
  TRY(lifecycle::dns_add(s.ctx(), std::move(a.in)));
  note(g, fmt::format("DNS provider '{}' added; try it with `certctl dns test {} --domain DOMAIN`, "
                      "use it with `certctl issue NAME --dns {}`", name, name, name));
  return ok();
}

struct TestOpts {
  std::string name, domain;
};

Status run_test(Globals& g, const TestOpts& o) {
  TRY_ASSIGN(auto resolver, dns_resolver(g));
  TRY_ASSIGN(Session s, open_unlocked(g));
  TRY_ASSIGN(auto r, lifecycle::dns_test(s.ctx(), o.name, o.domain, resolver, dns_progress(g)));
  print_out(fmt::format("ok: wrote, saw served and removed a TXT record at {} (zone {}) in {:.1f} s", r.fqdn, r.zone,
                        r.seconds));
  return ok();
}

struct CheckOpts {
  std::string record;
  bool json = false;
};

Status run_check(Globals& g, const CheckOpts& o) {
  g.json_errors = o.json;
  TRY_ASSIGN(auto resolver, dns_resolver(g));
  TRY_ASSIGN(Session s, open_session(g));
  TRY_ASSIGN(auto items, lifecycle::dns_check(s.ctx(), o.record, resolver));
  std::string out;
  for (const auto& i : items)
    out += i.ok ? fmt::format("ok       _acme-challenge.{} -> {}\n", i.name, i.target)
                : fmt::format("missing  {}\n", i.instruction);
  print_out(o.json ? output::dns_check_json(items) : out);
  const auto missing = std::count_if(items.begin(), items.end(), [](const auto& i) { return !i.ok; });
  if (missing > 0)
    return Error(Category::Dns, o.record,
                 fmt::format("{} CNAME record(s) missing: add them, then run `certctl dns check {}` again", missing,
                             o.record));
  note(g, fmt::format("every CNAME is in place; `certctl issue {}` (or the next renew) goes ahead", o.record));
  return ok();
}

}  // namespace

void setup_dns(CLI::App& app, Globals& g) {
  CLI::App* dns_cmd = group(app, "dns", "DNS providers for dns-01: add, list, show, remove, test, check");
  command<AddOpts>(*dns_cmd, g, "add", "Add (or replace) a DNS provider", bind_add, &run_add);
  add_list(*dns_cmd, g, ListSpec{"List DNS providers", "Print a JSON array", &load_providers, &output::dns_providers_json, &providers_table, "no DNS providers; add one with `certctl dns add NAME --provider TYPE ...`"});
  add_show(*dns_cmd, g, "Show one DNS provider (secrets only by where they come from)", {}, &show_provider,
           &output::dns_provider_json, &provider_text);
  add_remove(*dns_cmd, g, "Remove a DNS provider", {}, &remove_provider, &removed);
  command<TestOpts>(
      *dns_cmd, g, "test", "Write a test TXT record for a domain, wait until it is served, remove it",
      [](CLI::App& sub, TestOpts& o) {
        sub.add_option("name", o.name, "The provider")->required();
        sub.add_option("--domain", o.domain, "Domain whose _acme-challenge name to use")->required();
      },
      [&g](TestOpts& o) { return run_test(g, o); });
  command<CheckOpts>(
      *dns_cmd, g, "check", "Check a record's _acme-challenge CNAMEs into its tech zone",
      [](CLI::App& sub, CheckOpts& o) {
        sub.add_option("name", o.record, "The certificate record")->required();
        sub.add_flag("--json", o.json, "Print JSON");
      },
      [&g](CheckOpts& o) { return run_check(g, o); });
}

}  // namespace certctl::cli
