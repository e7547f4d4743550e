// certctl dns add|list|show|remove|test|check: DNS providers for dns-01 (one flag per option of
// the registry's provider types; secrets from a file, sealed in the vault, or named by an
// environment variable read at each use).
#include "cli/common.hpp"

#include <certctl/fs.hpp>
#include <certctl/output.hpp>

#include <algorithm>
#include <map>
#include <set>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

namespace {

std::string provider_text(const lifecycle::DnsProviderInfo& p) {
  std::string out = fmt::format("name:       {}\ntype:       {}\n", p.name, p.type);
  for (const auto& [k, v] : p.options) out += fmt::format("{:<12}{}\n", k + ":", v);
  for (const auto& [k, v] : p.secrets) out += fmt::format("{:<12}<{}>\n", k + ":", v);
  out += fmt::format("tech zone:  {}\nttl:        {} s\ntimeout:    {} s\n", p.tech_zone.empty() ? "-" : p.tech_zone,
                     p.ttl, p.timeout_s);
  return out;
}

}  // namespace

void setup_dns(CLI::App& app, Globals& g) {
  CLI::App* dns_cmd = app.add_subcommand("dns", "DNS providers for dns-01: add, list, show, remove, test, check");
  dns_cmd->require_subcommand(1);

  // ---- add: one flag per option of any provider type ----
  struct AddOpts {
    lifecycle::DnsProviderInput in;
    std::map<std::string, std::string> values;       // --<option>
    std::map<std::string, std::string> secret_env;   // --<secret>-env
    std::map<std::string, std::string> secret_file;  // --<secret>-file
  };
  auto a = std::make_shared<AddOpts>();
  CLI::App* add = dns_cmd->add_subcommand("add", "Add (or replace) a DNS provider");
  add->add_option("name", a->in.name, "Its name (use it as `issue --dns NAME`)")->required();
  std::vector<std::string> types;
  for (const auto& t : dns::registry()) types.emplace_back(t.name);
  add->add_option("--provider", a->in.type, "Provider type")->required()->check(CLI::IsMember(types));
  std::set<std::string> seen;
  std::string footer = "Options per provider type (* required, secrets as --NAME-env VAR or --NAME-file FILE):\n";
  for (const auto& t : dns::registry()) {
    footer += fmt::format("  {:<11} {}\n", t.name, t.summary);
    for (const auto& o : t.options) {
      footer += fmt::format("      --{}{}{}  {}\n", o.name, o.secret ? "-env|-file" : "", o.required ? "*" : "", o.help);
      const std::string name(o.name);
      if (!seen.insert(name).second) continue;
      if (o.secret) {
        add->add_option("--" + name + "-env", a->secret_env[name],
                        fmt::format("Read the {} from this environment variable at each use (not stored)", name));
        add->add_option("--" + name + "-file", a->secret_file[name],
                        fmt::format("Read the {} from this file now and keep it sealed in the vault", name));
      } else {
        add->add_option("--" + name, a->values[name], std::string(o.help));
      }
    }
  }
  add->add_option("--tech-zone", a->in.tech_zone,
                  "Zone the _acme-challenge CNAMEs point into; a missing CNAME leaves the record pending");
  add->add_option("--ttl", a->in.ttl, "TTL of the TXT records")->capture_default_str()->check(CLI::Range(1, 86400));
  add->add_option("--timeout", a->in.timeout_s, "Propagation timeout in seconds")->capture_default_str();
  add->footer(footer);
  add->callback([&g, a, add] {
    g.action = [&g, a, add]() -> Status {
      for (const auto& [k, v] : a->values)
        if (add->count("--" + k)) a->in.options[k] = v;
      for (const auto& [k, v] : a->secret_env)
        if (add->count("--" + k + "-env")) a->in.secret_envs[k] = v;
      for (const auto& [k, path] : a->secret_file) {
        if (!add->count("--" + k + "-file")) continue;
        TRY_ASSIGN(SecretBytes secret, fs::read_secret_file(path));
        a->in.secrets.emplace(k, std::move(secret));
      }
      const bool sealed = !a->in.secrets.empty();
      TRY_ASSIGN(Session s, sealed ? open_unlocked(g) : open_session(g));
      const std::string name = a->in.name;
      TRY(lifecycle::dns_add(s.ctx(), std::move(a->in)));
      note(g, fmt::format("DNS provider '{}' added; try it with `certctl dns test {} --domain DOMAIN`, "
                          "use it with `certctl issue NAME --dns {}`", name, name, name));
      return ok();
    };
  });

  auto list_json = std::make_shared<bool>(false);
  CLI::App* list = dns_cmd->add_subcommand("list", "List DNS providers");
  list->add_flag("--json", *list_json, "Print a JSON array");
  list->callback([&g, list_json] {
    g.action = [&g, list_json]() -> Status {
      g.json_errors = *list_json;
      TRY_ASSIGN(Session s, open_session(g));
      TRY_ASSIGN(auto all, lifecycle::dns_list(s.ctx()));
      if (*list_json) {
        print_out(output::dns_providers_json(all));
        return ok();
      }
      if (all.empty()) {
        note(g, "no DNS providers; add one with `certctl dns add NAME --provider TYPE ...`");
        return ok();
      }
      std::string out = fmt::format("{:<16} {:<11} {:<24} {}\n", "NAME", "TYPE", "TECH ZONE", "TARGET");
      for (const auto& p : all) {
        std::string target;
        for (const char* k : {"server", "api-url"})
          if (auto it = p.options.find(k); it != p.options.end()) target = it->second;
        out += fmt::format("{:<16} {:<11} {:<24} {}\n", p.name, p.type, p.tech_zone.empty() ? "-" : p.tech_zone, target);
      }
      print_out(out);
      return ok();
    };
  });

  struct ShowOpts {
    std::string name;
    bool json = false;
  };
  auto so = std::make_shared<ShowOpts>();
  CLI::App* show = dns_cmd->add_subcommand("show", "Show one DNS provider (secrets only by where they come from)");
  show->add_option("name", so->name, "Its name")->required();
  show->add_flag("--json", so->json, "Print JSON");
  show->callback([&g, so] {
    g.action = [&g, so]() -> Status {
      g.json_errors = so->json;
      TRY_ASSIGN(Session s, open_session(g));
      TRY_ASSIGN(auto p, lifecycle::dns_show(s.ctx(), so->name));
      print_out(so->json ? output::dns_provider_json(p) : provider_text(p));
      return ok();
    };
  });

  auto rm_name = std::make_shared<std::string>();
  CLI::App* remove = dns_cmd->add_subcommand("remove", "Remove a DNS provider");
  remove->add_option("name", *rm_name, "Its name")->required();
  remove->callback([&g, rm_name] {
    g.action = [&g, rm_name]() -> Status {
      TRY_ASSIGN(Session s, open_session(g));
      TRY(lifecycle::dns_remove(s.ctx(), *rm_name));
      note(g, fmt::format("DNS provider '{}' removed", *rm_name));
      return ok();
    };
  });

  struct TestOpts {
    std::string name, domain;
  };
  auto to = std::make_shared<TestOpts>();
  CLI::App* test = dns_cmd->add_subcommand("test", "Write a test TXT record for a domain, wait until it is served, remove it");
  test->add_option("name", to->name, "The provider")->required();
  test->add_option("--domain", to->domain, "Domain whose _acme-challenge name to use")->required();
  test->callback([&g, to] {
    g.action = [&g, to]() -> Status {
      TRY_ASSIGN(auto resolver, dns_resolver(g));
      TRY_ASSIGN(Session s, open_unlocked(g));
      TRY_ASSIGN(auto r, lifecycle::dns_test(s.ctx(), to->name, to->domain, resolver, dns_progress(g)));
      print_out(fmt::format("ok: wrote, saw served and removed a TXT record at {} (zone {}) in {:.1f} s", r.fqdn, r.zone,
                            r.seconds));
      return ok();
    };
  });

  struct CheckOpts {
    std::string record;
    bool json = false;
  };
  auto co = std::make_shared<CheckOpts>();
  CLI::App* check = dns_cmd->add_subcommand("check", "Check a record's _acme-challenge CNAMEs into its tech zone");
  check->add_option("name", co->record, "The certificate record")->required();
  check->add_flag("--json", co->json, "Print JSON");
  check->callback([&g, co] {
    g.action = [&g, co]() -> Status {
      g.json_errors = co->json;
      TRY_ASSIGN(auto resolver, dns_resolver(g));
      TRY_ASSIGN(Session s, open_session(g));
      TRY_ASSIGN(auto items, lifecycle::dns_check(s.ctx(), co->record, resolver));
      bool all_ok = true;
      std::string out;
      for (const auto& i : items) {
        all_ok = all_ok && i.ok;
        out += i.ok ? fmt::format("ok       _acme-challenge.{} -> {}\n", i.name, i.target)
                    : fmt::format("missing  {}\n", i.instruction);
      }
      print_out(co->json ? output::dns_check_json(items) : out);
      if (!all_ok) {
        const auto missing = std::count_if(items.begin(), items.end(), [](const auto& i) { return !i.ok; });
        return Error(Category::Dns, co->record,
                     fmt::format("{} CNAME record(s) missing: add them, then run `certctl dns check {}` again", missing,
                                 co->record));
      } else {
        note(g, fmt::format("every CNAME is in place; `certctl issue {}` (or the next renew) goes ahead", co->record));
      }
      return ok();
    };
  });
}

}  // namespace certctl::cli
