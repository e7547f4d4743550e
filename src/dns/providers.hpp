#pragma once
/// The provider types, one function each (defined in src/dns/<name>.cpp), listed by
/// registry.cpp. Private to src/dns.
#include <certctl/dns.hpp>
#include <certctl/http.hpp>

#include <memory>
#include <string>
#include <vector>

namespace certctl::dns {

ProviderType rfc2136_type();
/// `exec`: a user command (src/dns/exec.cpp).
ProviderType exec_type();

/// `powerdns`: PowerDNS Authoritative HTTP API v1 (src/dns/powerdns.cpp).
ProviderType powerdns_type();
/// `cloudflare`: Cloudflare API v4 with an API token (src/dns/cloudflare.cpp).
ProviderType cloudflare_type();
/// `acme-dns`: joohoi/acme-dns `/update` (src/dns/acme_dns.cpp).
ProviderType acme_dns_type();
/// `digitalocean`: DigitalOcean API v2 Domains with a token (src/dns/digitalocean.cpp).
ProviderType digitalocean_type();
/// `linode`: Linode (Akamai Cloud) API v4 Domains with a token (src/dns/linode.cpp).
ProviderType linode_type();
/// `desec`: deSEC API v1 RRsets with a token (src/dns/desec.cpp).
ProviderType desec_type();
/// `ovh`: OVH API v1 /domain/zone with signed requests (src/dns/ovh.cpp).
ProviderType ovh_type();
/// `httpreq`: a JSON POST to the user's own endpoint, like lego's httpreq (src/dns/httpreq.cpp).
ProviderType httpreq_type();

/// The providers over a given client. The config must already have passed make_provider's
/// checks (required options present); values are still validated here.
Result<std::unique_ptr<Provider>> make_powerdns(const ProviderConfig& config,
                                                std::unique_ptr<http::Client> client);
Result<std::unique_ptr<Provider>> make_cloudflare(const ProviderConfig& config,
                                                  std::unique_ptr<http::Client> client);
Result<std::unique_ptr<Provider>> make_acme_dns(const ProviderConfig& config,
                                                std::unique_ptr<http::Client> client);
Result<std::unique_ptr<Provider>> make_digitalocean(const ProviderConfig& config,
                                                    std::unique_ptr<http::Client> client);
Result<std::unique_ptr<Provider>> make_linode(const ProviderConfig& config, std::unique_ptr<http::Client> client);
Result<std::unique_ptr<Provider>> make_desec(const ProviderConfig& config, std::unique_ptr<http::Client> client);
/// `now` (Unix seconds; default: the system clock) is the local clock the API's time is kept against.
Result<std::unique_ptr<Provider>> make_ovh(const ProviderConfig& config, std::unique_ptr<http::Client> client,
                                           std::function<long long()> now = {});
Result<std::unique_ptr<Provider>> make_httpreq(const ProviderConfig& config, std::unique_ptr<http::Client> client);

/// An acme-dns account as `POST {api-url}/register` returns it.
struct AcmeDnsAccount {
  std::string username;
  SecretBytes password;
  std::string fulldomain;  ///< "<subdomain>.<acme-dns domain>": the CNAME target
  std::string subdomain;
  std::vector<std::string> allowfrom;
};

/// Register a new acme-dns account (`POST {api_url}/register`, with {"allowfrom": [...]} when
/// allowfrom is not empty). Dns errors name the URL and carry acme-dns's "error" value.
Result<AcmeDnsAccount> acme_dns_register(http::Client& client, std::string_view api_url,
                                         const std::vector<std::string>& allowfrom = {});

}  // namespace certctl::dns
