/// dns-01 through a DNS provider: CNAMEs followed (into a tech zone when one is named), the zone
/// found by SOA, all TXT records presented in one go, propagation checked at every
/// authoritative server together, and exactly those records removed on cleanup.
#include <certctl/challenge.hpp>
#include <certctl/crypto.hpp>
#include <certctl/domain.hpp>
#include <certctl/interrupt.hpp>

#include "challenge/common.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include <fmt/format.h>

namespace certctl::challenge {
namespace {

constexpr std::string_view kMissingDelegation = "needs a CNAME into the tech zone: ";

/// "*.shop.example.com" -> "shop.example.com": the name whose _acme-challenge record it uses.
std::string base_name(std::string_view identifier) {
  if (identifier.rfind("*.", 0) == 0) identifier.remove_prefix(2);
  return std::string(identifier);
}

/// The missing-delegation error naming every CNAME to add, or ok.
Status missing_delegations(const std::vector<Delegation>& found) {
  std::vector<std::string> missing;
  for (const auto& d : found)
    if (!d.ok) missing.push_back(d.instruction);
  if (missing.empty()) return ok();
  std::sort(missing.begin(), missing.end());
  return Error(Category::State, found.front().identifier,
               fmt::format("{}{}", kMissingDelegation, fmt::join(missing, "; ")));
}

std::string value_of(const Task& t) {
  return t.dns_value.empty() ? crypto::base64url_encode(crypto::sha256(t.key_authorization)) : t.dns_value;
}

std::string fqdn_of(const Task& t) {
  return dns::absolute_name(t.fqdn.empty() ? "_acme-challenge." + base_name(t.identifier) : t.fqdn);
}

/// --propagation-wait: sleep instead of checking, showing the time left; Ctrl-C ends it.
Status wait_fixed(std::chrono::seconds total, const dns::Progress& progress) {
  using namespace std::chrono;
  for (seconds left = total; left.count() > 0; --left) {
    if (progress) progress(fmt::format("waiting {} s for the TXT records to propagate ({} s left)", total.count(), left.count()));
    TRY(interruptible_sleep(seconds(1), "the propagation wait"));
  }
  if (progress) progress(fmt::format("taken as propagated after the {} s wait (not checked)", total.count()));
  return ok();
}

class DnsProvider final : public Solver {
 public:
  DnsProvider(std::unique_ptr<dns::Provider> p, DnsProviderOptions o)
      : provider_(std::move(p)), opts_(std::move(o)), resolver_(opts_.resolver) {}
  ~DnsProvider() override { (void)cleanup(); }

  std::string_view type() const override { return "dns-01"; }

  Status present(const std::vector<Task>& tasks) override {
    for (const auto& t : tasks) {
      if (!is_dns_name(fqdn_of(t)) || !is_base64url(value_of(t)))
        return Error(Category::Input, t.identifier, "refusing a malformed dns-01 name or value");
    }
    TRY_ASSIGN(std::vector<dns::TxtRecord> records, records_for(tasks));
    // Remembered before the provider runs: a half-done present is cleaned up too. Orders of a
    // batch present into one solver from several workers at once.
    {
      std::lock_guard lock(mu_);
      presented_.insert(presented_.end(), records.begin(), records.end());
    }
    {
      auto lock = serialised();
      TRY(provider_->present(records));
    }
    if (opts_.propagation_wait.count() > 0) return wait_fixed(opts_.propagation_wait, opts_.progress);
    if (!opts_.lookups || !opts_.check_propagation) return ok();
    return dns::wait_propagation(resolver_, records, opts_.propagation_timeout, opts_.propagation_interval,
                                 opts_.progress);
  }

  Status cleanup() override {
    std::vector<dns::TxtRecord> records;
    {
      std::lock_guard lock(mu_);
      records.swap(presented_);
    }
    if (records.empty()) return ok();
    auto lock = serialised();
    return provider_->cleanup(records);
  }

 private:
  std::unique_lock<std::mutex> serialised() {
    return provider_->reentrant() ? std::unique_lock<std::mutex>() : std::unique_lock<std::mutex>(provider_mu_);
  }

  /// Where the records go. Without a propagation check (a test server that is not
  /// authoritative, split-horizon DNS) a provider that needs no zone publishes at the names
  /// themselves when the CNAME/SOA lookups fail; a missing tech-zone CNAME still stops.
  Result<std::vector<dns::TxtRecord>> records_for(const std::vector<Task>& tasks) {
    if (!opts_.lookups) return as_named(tasks);
    auto found = located(tasks);
    const bool checked = opts_.check_propagation && opts_.propagation_wait.count() == 0;
    if (found || checked || provider_->needs_zone() || is_missing_delegation(found.error())) return found;
    return as_named(tasks);
  }

  /// The records after following CNAMEs (into the tech zone), each with its zone by SOA.
  Result<std::vector<dns::TxtRecord>> located(const std::vector<Task>& tasks) {
    std::vector<std::string> identifiers;
    for (const auto& t : tasks) identifiers.push_back(t.identifier);
    // One CNAME walk per name (a wildcard and its base share it), then one SOA walk per target.
    TRY_ASSIGN(std::vector<Delegation> found, delegations(resolver_, identifiers, opts_.tech_zone));
    TRY(missing_delegations(found));
    std::map<std::string, std::string> zone_of;  // target -> its zone
    for (const auto& d : found) {
      if (zone_of.count(d.target)) continue;
      TRY_ASSIGN(std::string zone, resolver_.zone_of(d.target));
      zone_of.emplace(d.target, dns::absolute_name(zone));
    }
    std::vector<dns::TxtRecord> records;
    for (const auto& t : tasks) {
      const std::string id = base_name(t.identifier);
      const auto d = std::find_if(found.begin(), found.end(), [&](const Delegation& x) { return x.identifier == id; });
      records.push_back(dns::TxtRecord{d->target, zone_of.at(d->target), value_of(t), t.identifier, t.token});
    }
    return records;
  }

  /// The records at the tasks' own names, zone unknown (no lookups).
  static Result<std::vector<dns::TxtRecord>> as_named(const std::vector<Task>& tasks) {
    std::vector<dns::TxtRecord> records;
    for (const auto& t : tasks) records.push_back(dns::TxtRecord{fqdn_of(t), "", value_of(t), t.identifier, t.token});
    return records;
  }

  std::unique_ptr<dns::Provider> provider_;
  DnsProviderOptions opts_;
  dns::Resolver resolver_;
  std::mutex mu_;  ///< guards presented_
  /// Providers keep what they created in plain members and share one HTTP client, so calls
  /// into one that is not reentrant are serialised; the propagation waits of a batch's orders
  /// still overlap. (Found by ASan: two orders of a batch erasing from one provider's list.)
  std::mutex provider_mu_;
  std::vector<dns::TxtRecord> presented_;
};

}  // namespace

std::string delegation_target(std::string_view identifier, std::string_view tech_zone) {
  std::string label = base_name(identifier);
  if (!label.empty() && label.back() == '.') label.pop_back();
  std::replace(label.begin(), label.end(), '.', '-');
  return dns::absolute_name(label + "." + std::string(tech_zone));
}

std::string delegation_instruction(std::string_view identifier, std::string_view tech_zone) {
  return fmt::format("{} CNAME {}", dns::absolute_name("_acme-challenge." + base_name(identifier)),
                     delegation_target(identifier, tech_zone));
}

bool is_missing_delegation(const Error& e) {
  return e.category() == Category::State && e.message().rfind(kMissingDelegation, 0) == 0;
}

Result<std::vector<Delegation>> delegations(dns::Resolver& resolver, const std::vector<std::string>& identifiers,
                                            std::string_view tech_zone) {
  std::vector<Delegation> out;
  for (const std::string& name : identifiers) {
    const std::string id = base_name(name);  // a wildcard shares its base name's record
    if (std::any_of(out.begin(), out.end(), [&](const Delegation& d) { return d.identifier == id; })) continue;
    if (!is_dns_name(id)) return Error(Category::Input, id, "is not a DNS name");
    Delegation d;
    d.identifier = id;
    TRY_ASSIGN(d.target, resolver.follow_cnames(dns::absolute_name("_acme-challenge." + id)));
    d.target = dns::absolute_name(d.target);
    d.ok = tech_zone.empty() || dns::in_zone(d.target, tech_zone);
    if (!d.ok) d.instruction = delegation_instruction(id, tech_zone);
    out.push_back(std::move(d));
  }
  return out;
}

Status check_delegations(dns::Resolver& resolver, const std::vector<std::string>& identifiers,
                         std::string_view tech_zone) {
  if (tech_zone.empty() || identifiers.empty()) return ok();
  TRY_ASSIGN(std::vector<Delegation> found, delegations(resolver, identifiers, tech_zone));
  return missing_delegations(found);
}

Result<std::unique_ptr<Solver>> make_dns_provider(std::unique_ptr<dns::Provider> provider, DnsProviderOptions options) {
  if (!provider) return Error(Category::Internal, "dns-01", "no provider");
  return std::unique_ptr<Solver>(std::make_unique<DnsProvider>(std::move(provider), std::move(options)));
}

}  // namespace certctl::challenge
