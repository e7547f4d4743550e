// certctl_dns_driver: drive certctl's DNS layer (providers, resolver, propagation check)
// without the CLI, for the shell tests in tests/integration/ (test_dns_*.sh).
//
// Usage:
//   certctl_dns_driver COMMAND [OPTIONS]
//
// Commands:
//   present   publish every --value at --fqdn with the provider (after following CNAMEs from
//             --fqdn, in the zone found by SOA walk); prints "FQDN ZONE" of where it wrote
//   cleanup   remove exactly those values again; prints "FQDN ZONE"
//   zone      print the zone apex that holds --fqdn (SOA walk)
//   cname     print the name the CNAME chain from --fqdn ends at (--fqdn itself when none)
//   servers   print the authoritative servers of --fqdn's zone, one a line
//   txt       print the TXT values at --fqdn as --resolver serves them, one a line
//   wait      wait until every authoritative server of the zone serves every --value at
//             --fqdn (after CNAMEs); progress on stderr
//
// Options:
//   --type TYPE           provider type, a registry name (present, cleanup): rfc2136, ...
//   --name NAME           the provider's name in messages (default: none)
//   --opt KEY=VALUE       a provider option, repeatable: --opt server=127.0.0.1:5353
//   --secret KEY:env:VAR  a provider secret, read from environment variable VAR (never from
//                         argv), repeatable: --secret tsig-secret:env:TSIG_SECRET
//   --fqdn NAME           the challenge name, e.g. _acme-challenge.example.test
//   --value V             a TXT value, repeatable (several values at one name coexist)
//   --ttl N               TTL of the TXT records written (default 60)
//   --resolver IP[:PORT]  every lookup, including the propagation check, goes there
//                         (default: the system's resolvers, /etc/resolv.conf)
//   --timeout S           propagation timeout for wait (default 30)
//   --interval MS         propagation poll interval for wait (default 250)
//   --query-timeout MS    per-query timeout of the resolver (default 2000)
//   --no-cname            present/cleanup/wait at --fqdn itself, without following CNAMEs
//   --zone ZONE           present/cleanup at --fqdn in ZONE as given: no CNAME or SOA lookup
//   --quiet               no progress lines from wait
//
// Exit status: 0 on success, else certctl's exit code of the error's category (2 usage,
// 4 input, 6 network, 8 DNS, ...; include/certctl/error.hpp), with one line on stderr:
// "certctl: <subject>: <message>".
#include <certctl/dns.hpp>
#include <certctl/error.hpp>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

using namespace certctl;

namespace {

struct Args {
  std::string command;
  dns::ProviderConfig provider;
  std::string fqdn;
  std::string zone;  ///< --zone: given, so no lookups
  std::vector<std::string> values;
  std::optional<dns::Server> resolver;
  int timeout_s = 30;
  int interval_ms = 250;
  int query_timeout_ms = 2000;
  bool follow = true;
  bool quiet = false;
};

Error usage(std::string message) { return Error(Category::Usage, "certctl_dns_driver", std::move(message)); }

Result<int> number(std::string_view flag, std::string_view text) {
  int v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 0)
    return usage(fmt::format("{} takes a whole number, not '{}'", flag, text));
  return v;
}

Result<Args> parse(int argc, char** argv) {
  Args a;
  if (argc < 2) return usage("no command (present, cleanup, zone, cname, servers, txt, wait)");
  a.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--no-cname") {
      a.follow = false;
      continue;
    }
    if (flag == "--quiet") {
      a.quiet = true;
      continue;
    }
    if (i + 1 >= argc) return usage(fmt::format("{} needs a value", flag));
    std::string v = argv[++i];
    if (flag == "--type") {
      a.provider.type = v;
    } else if (flag == "--name") {
      a.provider.name = v;
    } else if (flag == "--opt") {
      auto eq = v.find('=');
      if (eq == std::string::npos || eq == 0) return usage(fmt::format("--opt takes KEY=VALUE, not '{}'", v));
      a.provider.options[v.substr(0, eq)] = v.substr(eq + 1);
    } else if (flag == "--secret") {
      auto sep = v.find(":env:");
      if (sep == std::string::npos || sep == 0 || sep + 5 >= v.size())
        return usage(fmt::format("--secret takes KEY:env:VAR, not '{}'", v));
      std::string key = v.substr(0, sep), var = v.substr(sep + 5);
      const char* value = std::getenv(var.c_str());
      if (!value || !*value) return usage(fmt::format("--secret {}: environment variable {} is not set", key, var));
      a.provider.secrets[key] = SecretBytes::from(value);
    } else if (flag == "--fqdn") {
      a.fqdn = v;
    } else if (flag == "--zone") {
      a.zone = v;
    } else if (flag == "--value") {
      a.values.push_back(v);
    } else if (flag == "--ttl") {
      TRY_ASSIGN(a.provider.ttl, number(flag, v));
    } else if (flag == "--resolver") {
      TRY_ASSIGN(a.resolver, dns::parse_server(v, "--resolver"));
    } else if (flag == "--timeout") {
      TRY_ASSIGN(a.timeout_s, number(flag, v));
    } else if (flag == "--interval") {
      TRY_ASSIGN(a.interval_ms, number(flag, v));
    } else if (flag == "--query-timeout") {
      TRY_ASSIGN(a.query_timeout_ms, number(flag, v));
    } else {
      return usage(fmt::format("unknown flag {}", flag));
    }
  }
  if (a.fqdn.empty()) return usage("--fqdn is required");
  return a;
}

/// The records for --fqdn and each --value: after CNAMEs, with the zone found by SOA.
Result<std::vector<dns::TxtRecord>> records(const Args& a, dns::Resolver& resolver) {
  std::string target = a.fqdn;
  if (!a.zone.empty()) {  // given: no lookups at all (the HTTP-API providers' tests)
    std::vector<dns::TxtRecord> out;
    for (const std::string& v : a.values) out.push_back(dns::TxtRecord{a.fqdn, a.zone, v, a.fqdn, ""});
    if (out.empty()) return usage("--value is required");
    return out;
  }
  if (a.follow) {
    TRY_ASSIGN(target, resolver.follow_cnames(a.fqdn));
  }
  std::string zone;
  if (auto it = a.provider.options.find("zone"); it != a.provider.options.end()) {
    zone = it->second;
  } else {
    TRY_ASSIGN(zone, resolver.zone_of(target));
  }
  std::vector<dns::TxtRecord> out;
  for (const std::string& v : a.values) out.push_back(dns::TxtRecord{target, zone, v, a.fqdn, ""});
  if (out.empty()) return usage("--value is required");
  return out;
}

Status run(const Args& a) {
  dns::ResolverOptions ro;
  ro.override_server = a.resolver;
  ro.query_timeout = std::chrono::milliseconds(a.query_timeout_ms);
  dns::Resolver resolver(ro);

  if (a.command == "zone") {
    TRY_ASSIGN(std::string zone, resolver.zone_of(a.fqdn));
    fmt::print("{}\n", zone);
    return ok();
  }
  if (a.command == "cname") {
    TRY_ASSIGN(std::string target, resolver.follow_cnames(a.fqdn));
    fmt::print("{}\n", target);
    return ok();
  }
  if (a.command == "servers") {
    TRY_ASSIGN(std::string zone, resolver.zone_of(a.fqdn));
    TRY_ASSIGN(std::vector<dns::Server> servers, resolver.authoritative(zone));
    for (const dns::Server& s : servers) fmt::print("{}\n", s.display());
    return ok();
  }
  if (a.command == "txt") {
    if (!a.resolver) return usage("txt needs --resolver");
    TRY_ASSIGN(std::vector<std::string> values, resolver.txt_at(*a.resolver, a.fqdn));
    for (const std::string& v : values) fmt::print("{}\n", v);
    return ok();
  }
  if (a.command == "wait") {
    TRY_ASSIGN(std::vector<dns::TxtRecord> recs, records(a, resolver));
    dns::Progress progress;
    if (!a.quiet) progress = [](std::string_view line) { fmt::print(stderr, "{}\n", line); };
    return dns::wait_propagation(resolver, recs, std::chrono::seconds(a.timeout_s),
                                 std::chrono::milliseconds(a.interval_ms), progress);
  }
  if (a.command == "present" || a.command == "cleanup") {
    if (a.provider.type.empty()) return usage("--type is required");
    // Check the configuration before any lookup, as `dns add` would.
    TRY_ASSIGN(std::unique_ptr<dns::Provider> provider, dns::make_provider(a.provider));
    TRY_ASSIGN(std::vector<dns::TxtRecord> recs, records(a, resolver));
    if (a.command == "present") {
      TRY(provider->present(recs));
    } else {
      TRY(provider->cleanup(recs));
    }
    fmt::print("{} {}\n", recs.front().fqdn, recs.front().zone);
    return ok();
  }
  return usage(fmt::format("unknown command '{}'", a.command));
}

}  // namespace

int main(int argc, char** argv) {
  auto args = parse(argc, argv);
  Status st = args ? run(*args) : Status(args.error());
  if (st) return 0;
  fmt::print(stderr, "certctl: {}\n", st.error().text());
  return st.error().exit_code();
}
