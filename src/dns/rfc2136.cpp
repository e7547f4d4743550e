// rfc2136: TXT records by DNS UPDATE (RFC 2136) signed with TSIG (RFC 8945), for BIND, Knot,
// PowerDNS and any server that accepts dynamic updates.
#include <certctl/dns.hpp>

#include <map>

#include <fmt/format.h>

#include "dns/ldns_handles.hpp"
#include "dns/providers.hpp"
#include "dns/wire.hpp"

namespace certctl::dns {

namespace {

constexpr uint16_t kTsigFudge = 300;

bool looks_base64(std::string_view s) {
  if (s.empty() || s.size() % 4 != 0) return false;
  size_t pad = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (c == '=') {
      ++pad;
    } else if (!alnum || pad > 0) {
      return false;
    }
  }
  return pad <= 2;
}

class Rfc2136Provider final : public Provider {
 public:
  std::string_view type() const override { return "rfc2136"; }

  static Result<std::unique_ptr<Provider>> make(const ProviderConfig& c) {
    auto p = std::unique_ptr<Rfc2136Provider>(new Rfc2136Provider());
    p->subject_ = c.name.empty() ? std::string("rfc2136") : fmt::format("rfc2136 provider '{}'", c.name);
    auto opt = [&](const char* k) -> std::string {
      auto it = c.options.find(k);
      return it == c.options.end() ? std::string() : it->second;
    };
    TRY_ASSIGN(p->server_, parse_server(opt("server"), p->subject_ + " option 'server'"));
    p->key_name_ = opt("key-name");
    std::string alg = opt("algorithm");
    if (alg.empty()) alg = "hmac-sha256";
    p->algorithm_ = wire::tsig_algorithm(alg);
    if (p->algorithm_.empty())
      return Error(Category::Usage, p->subject_,
                   fmt::format("unknown TSIG algorithm '{}' (known: hmac-sha256, hmac-sha512, hmac-sha384, "
                               "hmac-sha224, hmac-sha1)",
                               alg));
    if (auto z = opt("zone"); !z.empty()) {
      TRY(wire::dname(z, "zone name"));
      p->zone_ = wire::absolute(z);
    }
    auto secret = c.secrets.find("tsig-secret");
    bool has_secret = secret != c.secrets.end() && !secret->second.empty();
    if (has_secret != !p->key_name_.empty())
      return Error(Category::Usage, p->subject_,
                   has_secret ? "a tsig-secret needs a key-name" : "key-name needs a tsig-secret");
    if (has_secret) {
      SecretBytes s = secret->second.clone();
      s.trim_newline();
      if (!looks_base64(s.view()))
        return Error(Category::Usage, p->subject_, "tsig-secret is not base64 (as tsig-keygen or keymgr print it)");
      TRY(wire::dname(p->key_name_, "TSIG key name"));
      s.append(std::string_view("\0", 1));  // ldns takes a C string
      p->secret_ = std::move(s);
    }
    p->ttl_ = static_cast<uint32_t>(c.ttl);
    return std::unique_ptr<Provider>(std::move(p));
  }

  Status present(const std::vector<TxtRecord>& records) override { return apply(records, wire::UpdateOp::Add); }
  Status cleanup(const std::vector<TxtRecord>& records) override { return apply(records, wire::UpdateOp::Delete); }

 private:
  Rfc2136Provider() = default;

  Status apply(const std::vector<TxtRecord>& records, wire::UpdateOp op) {
    // One UPDATE per zone, holding every record of that zone.
    std::map<std::string, std::vector<wire::TxtChange>> by_zone;
    for (const TxtRecord& r : records) {
      std::string zone = !zone_.empty() ? zone_ : wire::absolute(r.zone);
      if (r.zone.empty() && zone_.empty())
        return Error(Category::Dns, wire::absolute(r.fqdn),
                     fmt::format("{}: no zone known for the name; set the option 'zone'", subject_));
      by_zone[zone].push_back({wire::absolute(r.fqdn), r.value});
    }
    for (const auto& [zone, changes] : by_zone) TRY(send(zone, op, changes));
    return ok();
  }

  bool signed_updates() const { return !secret_.empty(); }
  const char* key_data() const { return reinterpret_cast<const char*>(secret_.data()); }

  Status send(const std::string& zone, wire::UpdateOp op, const std::vector<wire::TxtChange>& changes) {
    TRY_ASSIGN(LdnsPktPtr msg, wire::make_update(zone, op, changes, ttl_));
    if (signed_updates()) {
      ldns_status st = ldns_pkt_tsig_sign(msg.get(), key_name_.c_str(), key_data(), kTsigFudge, algorithm_.c_str(),
                                          nullptr);
      if (st != LDNS_STATUS_OK)
        return Error(Category::Usage, subject_,
                     fmt::format("cannot sign the UPDATE with TSIG key '{}'", key_name_), ldns_get_errorstr_by_id(st));
    }
    wire::ExchangeOptions xo;
    xo.timeout = std::chrono::milliseconds(3000);
    xo.retries = 1;
    TRY_ASSIGN(wire::Reply reply, wire::exchange(server_, msg.get(), fmt::format("the UPDATE for zone {}", zone), xo));
    return check_reply(zone, msg.get(), reply);
  }

  Status check_reply(const std::string& zone, const ldns_pkt* query, wire::Reply& reply) {
    const std::string refused = fmt::format("server {} refused the update for zone {}", server_.display(), zone);
    ldns_rr* tsig = ldns_pkt_tsig(reply.pkt.get());
    int tsig_error = 0;
    if (tsig && ldns_rr_rd_count(tsig) > 5) tsig_error = ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5));
    switch (tsig_error) {
      case 0: break;
      case 16:
        return Error(Category::Dns, subject_,
                     fmt::format("{}: TSIG signature of key '{}' not accepted (BADSIG): wrong tsig-secret or algorithm",
                                 refused, key_name_));
      case 17:
        return Error(Category::Dns, subject_,
                     fmt::format("{}: TSIG key '{}' not accepted (BADKEY): the server knows no such key with "
                                 "algorithm {}, or does not allow it for this zone",
                                 refused, key_name_, algorithm_.substr(0, algorithm_.size() - 1)));
      case 18:
        return Error(Category::Dns, subject_,
                     fmt::format("{}: TSIG time not accepted (BADTIME): this host's clock and the server's differ "
                                 "by more than {} s",
                                 refused, kTsigFudge));
      default:
        return Error(Category::Dns, subject_, fmt::format("{}: {}", refused, wire::tsig_error_name(tsig_error)));
    }
    int rcode = ldns_pkt_get_rcode(reply.pkt.get());
    std::string key = signed_updates() ? fmt::format("key '{}'", key_name_) : std::string("unsigned updates");
    switch (rcode) {
      case LDNS_RCODE_NOERROR: break;
      case LDNS_RCODE_REFUSED:
        return Error(Category::Dns, subject_,
                     signed_updates()
                         ? fmt::format("{} (REFUSED): key '{}' may not update it", refused, key_name_)
                         : fmt::format("{} (REFUSED): unsigned updates are not allowed; set key-name and tsig-secret",
                                       refused));
      case LDNS_RCODE_NOTAUTH:
        return Error(Category::Dns, subject_,
                     fmt::format("{} (NOTAUTH): the server does not serve the zone, or does not accept {} for it",
                                 refused, key));
      case LDNS_RCODE_NOTZONE:
        return Error(Category::Dns, subject_,
                     fmt::format("{} (NOTZONE): a name is outside the zone", refused));
      default:
        return Error(Category::Dns, subject_, fmt::format("{} ({})", refused, wire::rcode_name(rcode)));
    }
    if (!signed_updates()) return ok();
    // The update succeeded; the answer must carry a valid TSIG too (RFC 8945 5.3).
    const ldns_rr* query_tsig = ldns_pkt_tsig(query);
    if (!tsig || !query_tsig)
      return Error(Category::Dns, subject_,
                   fmt::format("server {} answered the update for zone {} without a TSIG signature", server_.display(),
                               zone));
    if (!ldns_pkt_tsig_verify(reply.pkt.get(), reply.wire.data(), reply.wire.size(), key_name_.c_str(), key_data(),
                              ldns_rr_rdf(query_tsig, 3)))
      return Error(Category::Dns, subject_,
                   fmt::format("server {} answered the update for zone {} with a TSIG signature that does not "
                               "verify with key '{}'",
                               server_.display(), zone, key_name_));
    return ok();
  }

  std::string subject_;
  Server server_;
  std::string key_name_;
  std::string algorithm_;
  SecretBytes secret_;  // base64 text plus a NUL, for ldns
  std::string zone_;
  uint32_t ttl_ = 60;
};

}  // namespace

ProviderType rfc2136_type() {
  return ProviderType{"rfc2136", "DNS UPDATE (RFC 2136) with TSIG: BIND, Knot, PowerDNS and other servers", {
      {"server", true, false, "IP[:PORT] of the primary server that accepts updates"},
      {"key-name", false, false, "name of the TSIG key"},
      {"algorithm", false, false,
       "TSIG algorithm: hmac-sha256 (default), hmac-sha512, hmac-sha384, hmac-sha224, hmac-sha1"},
      {"tsig-secret", false, true, "the TSIG key's secret, base64"},
      {"zone", false, false, "zone to update, instead of the one found by SOA lookup"},
  }, &Rfc2136Provider::make};
}

}  // namespace certctl::dns
