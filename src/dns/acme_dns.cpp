/// `acme-dns`: TXT values through a joohoi/acme-dns server's `POST {api-url}/update`
/// (headers X-Api-User / X-Api-Key, body {"subdomain": ..., "txt": ...}).
///
/// The user points `_acme-challenge.<domain>` by CNAME at `<subdomain>.<acme-dns domain>`
/// once; the resolver follows that CNAME, so the record's fqdn is the acme-dns name and only
/// the value matters here. acme-dns keeps the last two values per subdomain, enough for a
/// name and its wildcard; a third would push the first out, so more than two is refused.
/// acme-dns has no delete: cleanup does nothing (the values stay until replaced).
#include "dns/http_api.hpp"
#include "dns/providers.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <set>

namespace certctl::dns {
namespace {

using api::Json;

/// How many TXT values acme-dns serves per subdomain (it rotates the older one out).
constexpr std::size_t kValuesKept = 2;

/// acme-dns's own error value ({"error": "forbidden"}), or the start of the body.
std::string acme_dns_error(const http::Response& resp) {
  auto doc = api::parse(resp.body);
  std::string e = doc ? api::str(*doc, "error") : std::string();
  return e.empty() ? api::snippet(resp.body) : e;
}

class AcmeDns final : public Provider {
 public:
  AcmeDns(std::unique_ptr<http::Client> client, std::string api_url, std::string username,
          SecretBytes password, std::string subdomain)
      : client_(std::move(client)), api_url_(std::move(api_url)), username_(std::move(username)),
        password_(std::move(password)), subdomain_(std::move(subdomain)) {}

  std::string_view type() const override { return "acme-dns"; }

  Status present(const std::vector<TxtRecord>& records) override {
    std::set<std::string> values;
    for (const auto& r : records) values.insert(r.value);
    if (values.size() > kValuesKept) {
      return Error(Category::Dns, api_url_,
                   fmt::format("acme-dns serves only the last {} TXT values of subdomain {}, but {} are needed "
                               "at once; issue these names in smaller groups",
                               kValuesKept, subdomain_, values.size()));
    }
    for (const auto& v : values) TRY(update(v));
    return ok();
  }

  /// acme-dns has no way to remove a value; they are replaced by the next update.
  Status cleanup(const std::vector<TxtRecord>&) override { return ok(); }

 private:
  Status update(const std::string& value) {
    const std::string url = api_url_ + "/update";
    http::Request req;
    req.method = "POST";
    req.url = url;
    req.headers.push_back({"X-Api-User", username_});
    req.headers.push_back({"X-Api-Key", std::string(password_.view())});
    req.headers.push_back({"Content-Type", "application/json"});
    req.body = Json{{"subdomain", subdomain_}, {"txt", value}}.dump();
    TRY_ASSIGN(auto resp, api::send(*client_, std::move(req)));
    if (resp.status == 200) return ok();
    const std::string err = acme_dns_error(resp);
    if (resp.status == 401 || resp.status == 403) {
      return Error(Category::Dns, url,
                   fmt::format("acme-dns rejected user {} for subdomain {} (HTTP {}: {}); check username, "
                               "password, subdomain and the account's allowfrom",
                               username_, subdomain_, resp.status, err));
    }
    return Error(Category::Dns, url, fmt::format("acme-dns refused the update of subdomain {} (HTTP {}: {})",
                                                 subdomain_, resp.status, err));
  }

  std::unique_ptr<http::Client> client_;
  std::string api_url_;
  std::string username_;
  SecretBytes password_;
  std::string subdomain_;
};

}  // namespace

Result<std::unique_ptr<Provider>> make_acme_dns(const ProviderConfig& config,
                                                std::unique_ptr<http::Client> client) {
  const std::string subject = api::provider_subject(config);
  TRY_ASSIGN(auto url, api::base_url(config, "api-url"));
  std::string username = api::option(config, "username");
  std::string subdomain = api::option(config, "subdomain");
  if (username.empty()) return Error(Category::Usage, subject, "option username is required");
  if (subdomain.empty()) return Error(Category::Usage, subject, "option subdomain is required");
  if (username.find_first_of("\r\n") != std::string::npos) {
    return Error(Category::Usage, subject, "username contains a line break");
  }
  TRY_ASSIGN(auto password, api::required_secret(config, "password"));
  return std::unique_ptr<Provider>(std::make_unique<AcmeDns>(std::move(client), std::move(url), std::move(username),
                                                             std::move(password), std::move(subdomain)));
}

Result<AcmeDnsAccount> acme_dns_register(http::Client& client, std::string_view api_url,
                                         const std::vector<std::string>& allowfrom) {
  std::string base(api_url);
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  http::Request req;
  req.method = "POST";
  req.url = base + "/register";
  if (!allowfrom.empty()) {
    req.headers.push_back({"Content-Type", "application/json"});
    req.body = Json{{"allowfrom", allowfrom}}.dump();
  }
  const std::string url = req.url;
  TRY_ASSIGN(auto resp, client.send(req));
  if (resp.status != 201 && resp.status != 200) {
    return Error(Category::Dns, url,
                 fmt::format("acme-dns refused the registration (HTTP {}: {})", resp.status, acme_dns_error(resp)));
  }
  auto doc = api::parse(resp.body);
  if (!doc || !doc->is_object()) return Error(Category::Dns, url, "acme-dns answered the registration without JSON");
  AcmeDnsAccount a;
  a.username = api::str(*doc, "username");
  std::string password = api::str(*doc, "password");
  a.password = SecretBytes::from(password);
  OPENSSL_cleanse(password.data(), password.size());
  a.fulldomain = api::str(*doc, "fulldomain");
  a.subdomain = api::str(*doc, "subdomain");
  if (doc->contains("allowfrom") && (*doc)["allowfrom"].is_array()) {
    for (const auto& v : (*doc)["allowfrom"])
      if (v.is_string()) a.allowfrom.push_back(v.get<std::string>());
  }
  if (a.username.empty() || a.password.empty() || a.subdomain.empty() || a.fulldomain.empty()) {
    return Error(Category::Dns, url, "acme-dns's registration answer lacks username, password, subdomain or fulldomain");
  }
  return a;
}

ProviderType acme_dns_type() {
  return api::http_provider("acme-dns", "acme-dns server (joohoi/acme-dns): _acme-challenge CNAMEs into its zone", {
      {"api-url", true, false, "base URL of the acme-dns API, e.g. https://auth.acme-dns.io"},
      {"username", true, false, "the account's username (from /register)"},
      {"password", true, true, "the account's password (from /register)"},
      {"subdomain", true, false, "the account's subdomain; CNAME target is <subdomain>.<acme-dns domain>"},
      {"ca-bundle", false, false, "PEM file of roots to trust for an https:// api-url (default: the system's)"},
  }, &make_acme_dns);
}

}  // namespace certctl::dns
