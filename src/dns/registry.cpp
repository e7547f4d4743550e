// The provider registry: every type certctl knows, and option checking before a provider is
// built. Adding a provider is one row here (see ARCHITECTURE.md, "A DNS provider").
#include <certctl/dns.hpp>
#include <certctl/trace.hpp>

#include <fmt/format.h>

#include "dns/providers.hpp"

namespace certctl::dns {

const std::vector<ProviderType>& registry() {
  static const std::vector<ProviderType> kTypes = {
      rfc2136_type(),
      powerdns_type(),
      cloudflare_type(),
      route53_type(),
      gcloud_type(),
      azure_type(),
      digitalocean_type(),
      hetzner_type(),
      ovh_type(),
      gandi_type(),
      linode_type(),
      aliyun_type(),
      godaddy_type(),
      porkbun_type(),
      desec_type(),
      acme_dns_type(),
      httpreq_type(),
      exec_type(),
  };
  return kTypes;
}

const ProviderType* find_type(std::string_view name) {
  for (const ProviderType& t : registry()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

namespace {

std::string type_names() {
  std::vector<std::string_view> names;
  for (const ProviderType& t : registry()) names.push_back(t.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

std::string option_names(const ProviderType& t) {
  std::vector<std::string_view> names;
  for (const OptionSpec& o : t.options) names.push_back(o.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

const OptionSpec* find_option(const ProviderType& t, std::string_view name) {
  for (const OptionSpec& o : t.options) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

}  // namespace

Result<std::unique_ptr<Provider>> make_provider(const ProviderConfig& config) {
  const std::string subject = config.name.empty() ? "DNS provider" : fmt::format("DNS provider '{}'", config.name);
  const ProviderType* type = find_type(config.type);
  if (!type)
    return Error(Category::Usage, subject,
                 fmt::format("unknown provider type '{}' (known: {})", config.type, type_names()));
  for (const auto& [name, value] : config.options) {
    const OptionSpec* spec = find_option(*type, name);
    if (!spec)
      return Error(Category::Usage, subject,
                   fmt::format("unknown option '{}' for provider type {} (known: {})", name, type->name,
                               option_names(*type)));
    if (spec->secret)
      return Error(Category::Usage, subject,
                   fmt::format("option '{}' of provider type {} is a secret: give it as {}-env VAR", name,
                               type->name, name));
  }
  for (const auto& [name, value] : config.secrets) {
    const OptionSpec* spec = find_option(*type, name);
    if (!spec || !spec->secret)
      return Error(Category::Usage, subject,
                   fmt::format("unknown secret '{}' for provider type {} (known: {})", name, type->name,
                               option_names(*type)));
    // Kept out of every trace line from now on, whoever prints it (only while tracing).
    if (trace::enabled(trace::Level::Steps)) trace::add_secret(value.view());
  }
  for (const OptionSpec& o : type->options) {
    bool given = o.secret ? config.secrets.count(std::string(o.name)) > 0
                          : config.options.count(std::string(o.name)) > 0;
    if (o.required && !given)
      return Error(Category::Usage, subject,
                   fmt::format("provider type {} needs option '{}' ({})", type->name, o.name, o.help));
  }
  if (config.ttl < 1 || config.ttl > 86400)
    return Error(Category::Usage, subject, fmt::format("TTL {} is out of range (1 to 86400 seconds)", config.ttl));
  return type->make(config);
}

}  // namespace certctl::dns
