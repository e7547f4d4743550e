/// `httpreq`: a generic JSON POST to the user's own endpoint, as lego's httpreq provider sends
/// it: `POST {endpoint}/present` and `POST {endpoint}/cleanup` with
/// {"fqdn": "_acme-challenge.example.com.", "value": "..."} (the name absolute, with its trailing
/// dot), optionally with HTTP basic authentication. Any 2xx answer is success; the body of an
/// answer is not read. The endpoint decides where and how the TXT record goes, so no zone is
/// needed. lego's RAW mode (domain, token, keyAuth) is not offered: certctl hands a provider the
/// record, not the key authorization.
#include "dns/http_api.hpp"
#include "dns/providers.hpp"

#include <certctl/crypto.hpp>

#include <fmt/format.h>

#include <optional>
#include <set>
#include <utility>

namespace certctl::dns {
namespace {

using api::Json;

class HttpReq final : public Provider {
 public:
  HttpReq(std::unique_ptr<http::Client> client, std::string endpoint, std::optional<SecretBytes> basic)
      : client_(std::move(client)), endpoint_(std::move(endpoint)), basic_(std::move(basic)) {}

  std::string_view type() const override { return "httpreq"; }
  bool needs_zone() const override { return false; }

  Status present(const std::vector<TxtRecord>& records) override {
    for (const auto& r : records) {
      auto key = std::make_pair(api::with_dot(r.fqdn), r.value);
      if (presented_.count(key)) continue;  // sent already by this object
      TRY(post("present", r));
      presented_.insert(std::move(key));
    }
    return ok();
  }

  Status cleanup(const std::vector<TxtRecord>& records) override {
    for (const auto& r : records) {
      TRY(post("cleanup", r));
      presented_.erase(std::make_pair(api::with_dot(r.fqdn), r.value));
    }
    return ok();
  }

 private:
  Status post(std::string_view verb, const TxtRecord& r) {
    const std::string url = endpoint_ + "/" + std::string(verb);
    const std::string fqdn = api::with_dot(r.fqdn);
    http::Request req;
    req.method = "POST";
    req.url = url;
    if (basic_) req.headers.push_back({"Authorization", "Basic " + crypto::base64_encode(basic_->view())});
    req.headers.push_back({"Content-Type", "application/json"});
    req.body = Json{{"fqdn", fqdn}, {"value", r.value}}.dump();
    TRY_ASSIGN(auto resp, api::send(*client_, std::move(req)));
    if (resp.status >= 200 && resp.status <= 299) return ok();
    const std::string said = api::snippet(resp.body);
    auto with_body = [&said](std::string what) { return said.empty() ? what : what + ": " + said; };
    if (resp.status == 401 || resp.status == 403)
      return Error(Category::Dns, endpoint_,
                   with_body(basic_ ? fmt::format("the httpreq endpoint rejected the username and password (HTTP {})",
                                                  resp.status)
                                    : fmt::format("the httpreq endpoint refused the request (HTTP {}); it may want a "
                                                  "username and password",
                                                  resp.status)));
    if (resp.status == 429)
      return Error(Category::Dns, endpoint_, with_body("the httpreq endpoint's rate limit (HTTP 429) outlasted certctl's retries"));
    return Error(Category::Dns, fqdn, with_body(fmt::format("the httpreq endpoint answered POST {} with HTTP {}", url, resp.status)));
  }

  std::unique_ptr<http::Client> client_;
  std::string endpoint_;
  std::optional<SecretBytes> basic_;  ///< "username:password", when given
  std::set<std::pair<std::string, std::string>> presented_;
};

}  // namespace

Result<std::unique_ptr<Provider>> make_httpreq(const ProviderConfig& config, std::unique_ptr<http::Client> client) {
  TRY_ASSIGN(auto url, api::base_url(config, "endpoint"));
  const std::string username = api::option(config, "username");
  const bool has_password = config.secrets.count("password") > 0;
  if (username.empty() != !has_password)
    return Error(Category::Usage, api::provider_subject(config),
                 "username and password go together (HTTP basic authentication), or neither is given");
  std::optional<SecretBytes> basic;
  if (!username.empty()) {
    for (unsigned char c : username)
      if (c == ':' || c < 0x20 || c == 0x7f)
        return Error(Category::Usage, api::provider_subject(config),
                     "username may not hold a colon or a control character (HTTP basic authentication)");
    TRY_ASSIGN(auto password, api::required_secret(config, "password"));
    basic = SecretBytes::from(username + ":");
    basic->append(password.view());
  }
  return std::unique_ptr<Provider>(std::make_unique<HttpReq>(std::move(client), std::move(url), std::move(basic)));
}

ProviderType httpreq_type() {
  return api::http_provider("httpreq", "your own HTTP endpoint: a JSON POST to /present and /cleanup (as lego's httpreq)", {
      {"endpoint", true, false, "base URL; certctl POSTs to <endpoint>/present and <endpoint>/cleanup"},
      {"username", false, false, "HTTP basic authentication user (with password)"},
      {"password", false, true, "HTTP basic authentication password (with username)"},
      {"ca-bundle", false, false, "PEM file of roots to trust for an https:// endpoint (default: the system's)"},
  }, &make_httpreq);
}

}  // namespace certctl::dns
