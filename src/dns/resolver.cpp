// Resolver: SOA walk, CNAME following, authoritative servers and direct TXT queries (ldns for
// messages, wire::exchange for transport).
#include <certctl/dns.hpp>

#include <mutex>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "dns/ldns_handles.hpp"
#include "dns/wire.hpp"

namespace certctl::dns {

namespace {

const char* type_name(ldns_rr_type t) {
  switch (t) {
    case LDNS_RR_TYPE_SOA: return "SOA";
    case LDNS_RR_TYPE_NS: return "NS";
    case LDNS_RR_TYPE_CNAME: return "CNAME";
    case LDNS_RR_TYPE_A: return "A";
    case LDNS_RR_TYPE_AAAA: return "AAAA";
    case LDNS_RR_TYPE_TXT: return "TXT";
    default: return "DNS";
  }
}

/// The system's resolvers from /etc/resolv.conf.
Result<std::vector<Server>> system_servers() {
  ldns_resolver* raw = nullptr;
  ldns_status st = ldns_resolver_new_frm_file(&raw, nullptr);
  LdnsResolverPtr res(raw);
  if (st != LDNS_STATUS_OK || !res)
    return Error(Category::Config, "/etc/resolv.conf", "cannot read the system's DNS resolvers",
                 ldns_get_errorstr_by_id(st));
  std::vector<Server> out;
  ldns_rdf** ns = ldns_resolver_nameservers(res.get());
  for (size_t i = 0; i < ldns_resolver_nameserver_count(res.get()); ++i) {
    LdnsCharPtr text(ldns_rdf2str(ns[i]));
    if (text) out.push_back(Server{text.get(), static_cast<int>(ldns_resolver_port(res.get()))});
  }
  if (out.empty())
    return Error(Category::Config, "/etc/resolv.conf",
                 "lists no name server; set one with --dns-resolver or CERTCTL_DNS_RESOLVER");
  return out;
}

}  // namespace

struct Resolver::Impl {
  ResolverOptions opts;
  std::optional<std::vector<Server>> servers;  // resolved on first use
  std::optional<Error> servers_error;
  std::mutex servers_mu;  // the orders of a batch look up through one resolver

  wire::ExchangeOptions xopts() const {
    wire::ExchangeOptions x;
    x.timeout = opts.query_timeout;
    x.retries = opts.retries;
    return x;
  }

  Result<std::vector<Server>> lookup_servers() {
    if (opts.override_server) return std::vector<Server>{*opts.override_server};
    std::lock_guard lock(servers_mu);
    if (!servers && !servers_error) {
      auto r = system_servers();
      if (r) servers = std::move(r).value();
      else servers_error = std::move(r).error();
    }
    if (servers_error) return *servers_error;
    return *servers;
  }

  /// Ask the lookup servers (override or system resolvers, recursion desired) in turn; the
  /// first answer that is not SERVFAIL wins. A Network error when none answers.
  Result<LdnsPktPtr> ask(std::string_view name, ldns_rr_type type) {
    TRY_ASSIGN(std::vector<Server> list, lookup_servers());
    std::optional<Error> last;
    for (size_t i = 0; i < list.size(); ++i) {
      TRY_ASSIGN(LdnsPktPtr q, wire::make_query(name, type, true));
      auto r = wire::exchange(list[i], q.get(), fmt::format("the {} query for {}", type_name(type), name), xopts());
      if (!r) {
        last = std::move(r).error();
        continue;
      }
      bool servfail = ldns_pkt_get_rcode(r->pkt.get()) == LDNS_RCODE_SERVFAIL;
      if (servfail && i + 1 < list.size()) continue;
      return std::move(r->pkt);
    }
    return *last;
  }
};

Resolver::Resolver(ResolverOptions opts) : impl_(std::make_unique<Impl>()) { impl_->opts = std::move(opts); }
Resolver::~Resolver() = default;

Result<std::string> Resolver::zone_of(std::string_view name) {
  const std::string start = wire::absolute(name);
  TRY(wire::dname(start));
  // Walk up label by label. Only a SOA in the ANSWER section whose owner is exactly the name
  // asked about marks an apex: the SOA that comes back in the AUTHORITY section of an
  // NXDOMAIN/NODATA answer, or at the end of a CNAME chain, belongs to some other name. An
  // authoritative-only server (an override) answers a name it delegated with a referral: NS
  // records owned by exactly that name in the AUTHORITY section mark the child zone's apex.
  std::string last_rcode;
  for (std::string cur = start; !cur.empty() && cur != "."; cur = wire::parent(cur)) {
    TRY_ASSIGN(LdnsPktPtr pkt, impl_->ask(cur, LDNS_RR_TYPE_SOA));
    int rcode = ldns_pkt_get_rcode(pkt.get());
    last_rcode = wire::rcode_name(rcode);
    if (rcode != LDNS_RCODE_NOERROR) continue;
    ldns_rr_list* ans = ldns_pkt_answer(pkt.get());
    for (size_t i = 0; i < ldns_rr_list_rr_count(ans); ++i) {
      const ldns_rr* rr = ldns_rr_list_rr(ans, i);
      if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && wire::owner_of(rr) == cur) return cur;
    }
    if (ldns_rr_list_rr_count(ans) == 0 && !ldns_pkt_aa(pkt.get())) {
      ldns_rr_list* auth = ldns_pkt_authority(pkt.get());
      for (size_t i = 0; i < ldns_rr_list_rr_count(auth); ++i) {
        const ldns_rr* rr = ldns_rr_list_rr(auth, i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS && wire::owner_of(rr) == cur) return cur;
      }
    }
  }
  std::string via = impl_->opts.override_server ? "server " + impl_->opts.override_server->display()
                                                : std::string("the system's resolvers");
  return Error(Category::Dns, start,
               fmt::format("no zone found: {} answered no SOA for it or any parent (last answer {})", via,
                           last_rcode.empty() ? "none" : last_rcode));
}

Result<std::optional<std::string>> Resolver::cname_at(std::string_view name) {
  const std::string n = wire::absolute(name);
  TRY_ASSIGN(LdnsPktPtr pkt, impl_->ask(n, LDNS_RR_TYPE_CNAME));
  int rcode = ldns_pkt_get_rcode(pkt.get());
  // REFUSED: the server has no zone for the name (an authoritative-only server asked about a
  // foreign name); like NXDOMAIN, there is no CNAME it could tell us about.
  if (rcode == LDNS_RCODE_NXDOMAIN || rcode == LDNS_RCODE_REFUSED) return std::optional<std::string>{};
  if (rcode != LDNS_RCODE_NOERROR)
    return Error(Category::Dns, n, fmt::format("the CNAME query failed: {}", wire::rcode_name(rcode)));
  ldns_rr_list* ans = ldns_pkt_answer(pkt.get());
  for (size_t i = 0; i < ldns_rr_list_rr_count(ans); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(ans, i);
    if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && wire::owner_of(rr) == n && ldns_rr_rd_count(rr) == 1)
      return std::optional<std::string>(wire::dname_text(ldns_rr_rdf(rr, 0)));
  }
  return std::optional<std::string>{};
}

Result<std::string> Resolver::follow_cnames(std::string_view name) {
  constexpr int kMaxCnames = 8;
  std::string cur = wire::absolute(name);
  std::set<std::string> seen{cur};
  std::string chain = cur;
  for (int hops = 0;; ++hops) {
    TRY_ASSIGN(std::optional<std::string> next, cname_at(cur));
    if (!next) return cur;
    chain += " -> " + *next;
    if (seen.count(*next))
      return Error(Category::Dns, wire::absolute(name), fmt::format("CNAME loop: {}", chain));
    if (hops + 1 > kMaxCnames)
      return Error(Category::Dns, wire::absolute(name),
                   fmt::format("more than {} CNAMEs in a row: {}", kMaxCnames, chain));
    seen.insert(*next);
    cur = *next;
  }
}

Result<std::vector<Server>> Resolver::authoritative(std::string_view zone) {
  if (impl_->opts.override_server) return std::vector<Server>{*impl_->opts.override_server};
  const std::string z = wire::absolute(zone);
  TRY_ASSIGN(LdnsPktPtr pkt, impl_->ask(z, LDNS_RR_TYPE_NS));
  int rcode = ldns_pkt_get_rcode(pkt.get());
  if (rcode != LDNS_RCODE_NOERROR)
    return Error(Category::Dns, z, fmt::format("the NS query failed: {}", wire::rcode_name(rcode)));
  std::vector<std::string> hosts;
  ldns_rr_list* ans = ldns_pkt_answer(pkt.get());
  for (size_t i = 0; i < ldns_rr_list_rr_count(ans); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(ans, i);
    if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS && wire::owner_of(rr) == z && ldns_rr_rd_count(rr) == 1)
      hosts.push_back(wire::dname_text(ldns_rr_rdf(rr, 0)));
  }
  if (hosts.empty()) return Error(Category::Dns, z, "the zone has no NS records");

  std::vector<Server> out;
  std::set<std::string> seen;
  std::optional<Error> last;
  for (const std::string& host : hosts) {
    for (ldns_rr_type t : {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA}) {
      auto addr = impl_->ask(host, t);
      if (!addr) {
        last = std::move(addr).error();
        continue;
      }
      ldns_rr_list* a = ldns_pkt_answer(addr->get());
      for (size_t i = 0; i < ldns_rr_list_rr_count(a); ++i) {
        const ldns_rr* rr = ldns_rr_list_rr(a, i);
        if (ldns_rr_get_type(rr) != t || ldns_rr_rd_count(rr) != 1) continue;
        LdnsCharPtr ip(ldns_rdf2str(ldns_rr_rdf(rr, 0)));
        if (ip && seen.insert(ip.get()).second) out.push_back(Server{ip.get(), 53});
      }
    }
  }
  if (out.empty()) {
    if (last) return *last;
    return Error(Category::Dns, z, fmt::format("no address found for its name servers ({})", fmt::join(hosts, ", ")));
  }
  return out;
}

Result<std::vector<std::string>> Resolver::txt_at(const Server& server, std::string_view name) {
  const std::string n = wire::absolute(name);
  // An authoritative server is asked without recursion; the --dns-resolver override is a
  // resolver (it may forward or recurse to where the zone lives), so it is asked with RD set.
  const bool via_override = impl_->opts.override_server && impl_->opts.override_server->display() == server.display();
  TRY_ASSIGN(LdnsPktPtr q, wire::make_query(n, LDNS_RR_TYPE_TXT, via_override));
  TRY_ASSIGN(wire::Reply r, wire::exchange(server, q.get(), fmt::format("the TXT query for {}", n), impl_->xopts()));
  int rcode = ldns_pkt_get_rcode(r.pkt.get());
  if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN)
    return Error(Category::Dns, "DNS server " + server.display(),
                 fmt::format("answered {} to the TXT query for {}", wire::rcode_name(rcode), n));
  std::vector<std::string> values;
  ldns_rr_list* ans = ldns_pkt_answer(r.pkt.get());
  for (size_t i = 0; i < ldns_rr_list_rr_count(ans); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(ans, i);
    if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_TXT && wire::owner_of(rr) == n) values.push_back(wire::txt_value(rr));
  }
  return values;
}

}  // namespace certctl::dns
