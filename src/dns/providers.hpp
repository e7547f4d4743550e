#pragma once
/// The provider types, one function each (defined in src/dns/<name>.cpp), listed by
/// registry.cpp. Private to src/dns.
#include <certctl/dns.hpp>
#include <certctl/http.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace certctl::dns {

/// What a provider takes from its surroundings besides HTTP, so its unit tests can pin them. An
/// empty member is the real one (with_real fills them in).
struct Seams {
  std::function<std::int64_t()> now;                      ///< Unix seconds: signatures, token lifetimes
  std::function<void(std::chrono::milliseconds)> sleep;   ///< between polls and retries, a 429's wait
  std::function<std::optional<std::string>(const std::string&)> getenv;  ///< credentials in the environment
  std::function<std::string()> nonce;                     ///< unique for each signed request
};
/// `s` with every empty member set to the real one: the system clock, sleeping, the process's
/// environment, 16 random bytes in hex.
Seams with_real(Seams s);

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
/// `gcloud`: Google Cloud DNS API v1 with a service account's JSON key (src/dns/gcloud.cpp).
ProviderType gcloud_type();
/// `godaddy`: GoDaddy Domains API v1 with an API key and secret (src/dns/godaddy.cpp).
ProviderType godaddy_type();
/// `porkbun`: Porkbun API v3 with an API key and secret API key (src/dns/porkbun.cpp).
ProviderType porkbun_type();
/// `aliyun`: Alibaba Cloud DNS (Alidns) RPC API 2015-01-09 with an AccessKey (src/dns/aliyun.cpp).
ProviderType aliyun_type();
/// `azure`: Azure DNS record sets (ARM api-version 2018-05-01), a Microsoft Entra ID application (src/dns/azure.cpp).
ProviderType azure_type();
/// `route53`: Amazon Route 53 API 2013-04-01 with SigV4 (src/dns/route53.cpp, src/dns/sigv4.cpp).
ProviderType route53_type();
/// `hetzner`: Hetzner Cloud API zones and RRSets with an API token (src/dns/hetzner.cpp).
ProviderType hetzner_type();
/// `gandi`: Gandi LiveDNS API v5 with a personal access token (src/dns/gandi.cpp).
ProviderType gandi_type();
/// `ovh`: OVH API v1 /domain/zone with signed requests (src/dns/ovh.cpp).
ProviderType ovh_type();
/// `httpreq`: a JSON POST to the user's own endpoint, like lego's httpreq (src/dns/httpreq.cpp).
ProviderType httpreq_type();

/// The providers over a given client. The config must already have passed make_provider's
/// checks (required options present); values are still validated here.
Result<std::unique_ptr<Provider>> make_powerdns(const ProviderConfig& config, std::unique_ptr<http::Client> client);
Result<std::unique_ptr<Provider>> make_cloudflare(const ProviderConfig& config, std::unique_ptr<http::Client> client);
Result<std::unique_ptr<Provider>> make_azure(const ProviderConfig& config, std::unique_ptr<http::Client> client);
Result<std::unique_ptr<Provider>> make_digitalocean(const ProviderConfig& config, std::unique_ptr<http::Client> client);
Result<std::unique_ptr<Provider>> make_gandi(const ProviderConfig& config, std::unique_ptr<http::Client> client);
Result<std::unique_ptr<Provider>> make_linode(const ProviderConfig& config, std::unique_ptr<http::Client> client);
Result<std::unique_ptr<Provider>> make_godaddy(const ProviderConfig& config, std::unique_ptr<http::Client> client);
Result<std::unique_ptr<Provider>> make_porkbun(const ProviderConfig& config, std::unique_ptr<http::Client> client);
Result<std::unique_ptr<Provider>> make_desec(const ProviderConfig& config, std::unique_ptr<http::Client> client);
Result<std::unique_ptr<Provider>> make_acme_dns(const ProviderConfig& config, std::unique_ptr<http::Client> client);
Result<std::unique_ptr<Provider>> make_httpreq(const ProviderConfig& config, std::unique_ptr<http::Client> client);
/// Those that sign, poll or read the environment also take their Seams (tests pin them).
Result<std::unique_ptr<Provider>> make_route53(const ProviderConfig& config, std::unique_ptr<http::Client> client,
    Seams seams = {});
Result<std::unique_ptr<Provider>> make_gcloud(const ProviderConfig& config, std::unique_ptr<http::Client> client,
    Seams seams = {});
Result<std::unique_ptr<Provider>> make_hetzner(const ProviderConfig& config, std::unique_ptr<http::Client> client,
    Seams seams = {});
Result<std::unique_ptr<Provider>> make_ovh(const ProviderConfig& config, std::unique_ptr<http::Client> client,
    Seams seams = {});
Result<std::unique_ptr<Provider>> make_aliyun(const ProviderConfig& config, std::unique_ptr<http::Client> client,
    Seams seams = {});

/// The Alibaba Cloud RPC signature (SignatureVersion 1.0): the string to sign, "GET&%2F&" + the
/// percent-encoded canonical query of params (sorted by name, RFC 3986 encoding), and its
/// signature, Base64(HMAC-SHA1(secret + "&", string to sign)).
std::string aliyun_string_to_sign(const std::map<std::string, std::string>& params);
Result<std::string> aliyun_signature(std::string_view secret, const std::map<std::string, std::string>& params);

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
