/// dns-01 through a DNS provider: CNAMEs followed (into a tech zone when one is named), the zone
/// found by SOA, all TXT records presented in one go, propagation checked at every
/// authoritative server together, and exactly those records removed on cleanup.
#include <certctl/challenge.hpp>
#include <certctl/crypto.hpp>
#include <certctl/domain.hpp>

#include "challenge/common.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace certctl::challenge {
namespace {

constexpr std::string_view kMissingDelegation = "needs a CNAME into the tech zone: ";

std::string absolute(std::string_view name) {
  std::string s(name);
  if (s.empty() || s.back() != '.') s += '.';
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool within(std::string_view name, std::string_view zone) {
  const std::string n = absolute(name), z = absolute(zone);
  return n == z || (n.size() > z.size() && n.compare(n.size() - z.size(), z.size(), z) == 0 &&
                    n[n.size() - z.size() - 1] == '.');
}

class DnsProvider final : public Solver {
 public:
  DnsProvider(std::unique_ptr<dns::Provider> p, DnsProviderOptions o)
      : provider_(std::move(p)), opts_(std::move(o)), resolver_(opts_.resolver) {}
  ~DnsProvider() override { (void)cleanup(); }

  std::string_view type() const override { return "dns-01"; }

  Status present(const std::vector<Task>& tasks) override {
    std::vector<std::string> identifiers;
    for (const auto& t : tasks) identifiers.push_back(t.identifier);
    TRY(check_delegations(resolver_, identifiers, opts_.tech_zone));
    std::vector<dns::TxtRecord> records;
    for (const auto& t : tasks) {
      const std::string value = t.dns_value.empty() ? crypto::base64url_encode(crypto::sha256(t.key_authorization))
                                                    : t.dns_value;
      const std::string fqdn = absolute(t.fqdn.empty() ? "_acme-challenge." + t.identifier : t.fqdn);
      if (!is_dns_name(fqdn) || !is_base64url(value))
        return Error(Category::Input, t.identifier, "refusing a malformed dns-01 name or value");
      TRY_ASSIGN(std::string target, resolver_.follow_cnames(fqdn));
      target = absolute(target);
      TRY_ASSIGN(std::string zone, resolver_.zone_of(target));
      records.push_back(dns::TxtRecord{target, absolute(zone), value, t.identifier, t.token});
    }
    // Remembered before the provider runs: a half-done present is cleaned up too.
    presented_.insert(presented_.end(), records.begin(), records.end());
    TRY(provider_->present(records));
    return dns::wait_propagation(resolver_, records, opts_.propagation_timeout, opts_.propagation_interval,
                                 opts_.progress);
  }

  Status cleanup() override {
    if (presented_.empty()) return ok();
    std::vector<dns::TxtRecord> records;
    records.swap(presented_);
    return provider_->cleanup(records);
  }

 private:
  std::unique_ptr<dns::Provider> provider_;
  DnsProviderOptions opts_;
  dns::Resolver resolver_;
  std::vector<dns::TxtRecord> presented_;
};

}  // namespace

std::string delegation_target(std::string_view identifier, std::string_view tech_zone) {
  std::string label(identifier);
  if (label.rfind("*.", 0) == 0) label.erase(0, 2);
  if (!label.empty() && label.back() == '.') label.pop_back();
  std::replace(label.begin(), label.end(), '.', '-');
  std::transform(label.begin(), label.end(), label.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return label + "." + absolute(tech_zone);
}

std::string delegation_instruction(std::string_view identifier, std::string_view tech_zone) {
  std::string id(identifier);
  if (id.rfind("*.", 0) == 0) id.erase(0, 2);
  return fmt::format("{} CNAME {}", absolute("_acme-challenge." + id), delegation_target(id, tech_zone));
}

bool is_missing_delegation(const Error& e) {
  return e.category() == Category::State && e.message().rfind(kMissingDelegation, 0) == 0;
}

Status check_delegations(dns::Resolver& resolver, const std::vector<std::string>& identifiers,
                         std::string_view tech_zone) {
  if (tech_zone.empty() || identifiers.empty()) return ok();
  std::vector<std::string> missing;
  for (std::string id : identifiers) {
    if (id.rfind("*.", 0) == 0) id.erase(0, 2);
    if (!is_dns_name(id)) return Error(Category::Input, id, "is not a DNS name");
    TRY_ASSIGN(std::string target, resolver.follow_cnames(absolute("_acme-challenge." + id)));
    if (!within(target, tech_zone)) missing.push_back(delegation_instruction(id, tech_zone));
  }
  if (missing.empty()) return ok();
  std::sort(missing.begin(), missing.end());
  missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
  return Error(Category::State, identifiers.front(), fmt::format("{}{}", kMissingDelegation, fmt::join(missing, "; ")));
}

Result<std::unique_ptr<Solver>> make_dns_provider(std::unique_ptr<dns::Provider> provider, DnsProviderOptions options) {
  if (!provider) return Error(Category::Internal, "dns-01", "no provider");
  return std::unique_ptr<Solver>(std::make_unique<DnsProvider>(std::move(provider), std::move(options)));
}

}  // namespace certctl::challenge
