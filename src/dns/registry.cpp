/// Scaffolding for the dns-http branch: the registry table with the HTTP-API rows only, so the
/// providers build and test before the dns-core work (rfc2136, the resolver) is merged. The
/// merge keeps dns-core's registry.cpp and adds the rows declared in providers.hpp.
#include <certctl/dns.hpp>

#include "dns/providers.hpp"

#include <set>

namespace certctl::dns {

const std::vector<ProviderType>& registry() {
  static const std::vector<ProviderType> kTypes = {powerdns_type(), cloudflare_type(), acme_dns_type()};
  return kTypes;
}

const ProviderType* find_type(std::string_view name) {
  for (const auto& t : registry())
    if (t.name == name) return &t;
  return nullptr;
}

Result<std::unique_ptr<Provider>> make_provider(const ProviderConfig& config) {
  const ProviderType* type = find_type(config.type);
  if (!type) return Error(Category::Usage, config.type, "unknown DNS provider type");
  const std::string subject = "dns provider '" + config.name + "' (" + config.type + ")";
  std::set<std::string, std::less<>> known;
  for (const auto& o : type->options) {
    known.insert(std::string(o.name));
    const bool given = o.secret ? config.secrets.count(std::string(o.name)) > 0
                                : config.options.count(std::string(o.name)) > 0;
    if (o.secret && config.options.count(std::string(o.name))) {
      return Error(Category::Usage, subject, std::string(o.name) + " is a secret: give it as " + std::string(o.name) + "-env");
    }
    if (o.required && !given) return Error(Category::Usage, subject, "option " + std::string(o.name) + " is required");
  }
  for (const auto& [k, v] : config.options)
    if (!known.count(k)) return Error(Category::Usage, subject, "unknown option " + k);
  for (const auto& [k, v] : config.secrets)
    if (!known.count(k)) return Error(Category::Usage, subject, "unknown secret " + k);
  return type->make(config);
}

}  // namespace certctl::dns
