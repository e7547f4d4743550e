/// `desec`: TXT RRsets through the deSEC API v1, authenticated with a token
/// (`Authorization: Token`). The domain that owns a name comes from
/// `GET /api/v1/domains/?owns_qname=<name>` (once per zone and run), with its minimum TTL. deSEC
/// edits whole RRsets, so each name is read (`GET .../rrsets/{subname}/TXT/`, "@" at the apex)
/// and written once per call: present adds the values that are missing (`POST .../rrsets/` when
/// the RRset does not exist, else `PATCH` with the merged records), cleanup removes exactly its
/// values (`PATCH` with what is left; an empty list deletes the RRset). Values are quoted
/// character-strings, as deSEC wants TXT records; others' values at the name stay.
#include "dns/http_api.hpp"
#include "dns/providers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

namespace certctl::dns {
namespace {

using api::Json;

constexpr std::string_view kDefaultApi = "https://desec.io/api/v1";

/// The domain a name belongs to, as deSEC has it.
struct Domain {
  std::string name;  ///< no trailing dot
  int minimum_ttl = 0;
};

class Desec final : public Provider {
 public:
  Desec(const ProviderConfig& config, std::unique_ptr<http::Client> client, std::string api_url, SecretBytes token)
      : ttl_(config.ttl), client_(std::move(client)), api_url_(std::move(api_url)), token_(std::move(token)) {}

  std::string_view type() const override { return "desec"; }

  Status present(const std::vector<TxtRecord>& records) override {
    for (const auto& [fqdn, name] : api::by_name(records)) {
      const std::vector<std::string>& values = name.values;
      TRY_ASSIGN(const Domain domain, domain_of(fqdn, name.zone));
      TRY_ASSIGN(std::optional<std::vector<std::string>> have, read(domain, fqdn));
      std::vector<std::string> want = have.value_or(std::vector<std::string>());
      for (const auto& v : values)
        if (std::find(want.begin(), want.end(), api::quote_txt(v)) == want.end()) want.push_back(api::quote_txt(v));
      if (have && want.size() == have->size()) continue;  // every value there already
      const std::string subname = api::relative_name(fqdn, domain.name, "");
      if (!have) {
        const Json body = {{"subname", subname}, {"type", "TXT"}, {"ttl", std::max(ttl_, domain.minimum_ttl)},
                           {"records", want}};
        TRY(call("POST", rrsets_url(domain), body.dump(), fqdn));
      } else {
        TRY(call("PATCH", rrset_url(domain, fqdn), Json{{"records", want}}.dump(), fqdn));
      }
    }
    return ok();
  }

  Status cleanup(const std::vector<TxtRecord>& records) override {
    for (const auto& [fqdn, name] : api::by_name(records)) {
      const std::vector<std::string>& ours = name.values;  // not the binding: clang 14 cannot capture one
      TRY_ASSIGN(const Domain domain, domain_of(fqdn, name.zone));
      TRY_ASSIGN(std::optional<std::vector<std::string>> have, read(domain, fqdn));
      if (!have) continue;  // no RRset: nothing of ours
      std::vector<std::string> left = *have;
      std::erase_if(left, [&ours](const std::string& rr) {
        return std::find(ours.begin(), ours.end(), api::unquote_txt(rr)) != ours.end();
      });
      if (left.size() == have->size()) continue;
      auto done = call("PATCH", rrset_url(domain, fqdn), Json{{"records", left}}.dump(), fqdn);
      if (!done && done.error().category() != Category::NotFound) return std::move(done).error();
    }
    return ok();
  }

 private:
  std::string rrsets_url(const Domain& d) const { return api_url_ + "/domains/" + api::url_encode(d.name) + "/rrsets/"; }
  std::string rrset_url(const Domain& d, const std::string& fqdn) const {
    const std::string subname = api::relative_name(fqdn, d.name, "@");  // '@' may stand in a path as it is
    return rrsets_url(d) + (subname == "@" ? subname : api::url_encode(subname)) + "/TXT/";
  }

  /// The deSEC domain that owns the name (asked once per zone found by SOA, else per name).
  Result<Domain> domain_of(const std::string& fqdn, const std::string& soa_zone) {
    const std::string zone = soa_zone.empty() ? api::without_dot(fqdn) : soa_zone;
    if (auto it = domains_.find(zone); it != domains_.end()) return it->second;
    const std::string url = api_url_ + "/domains/?owns_qname=" + api::url_encode(api::without_dot(fqdn));
    TRY_ASSIGN(Json doc, call("GET", url, {}, fqdn));
    if (doc.is_array())
      for (const auto& d : doc)
        if (d.is_object() && !api::str(d, "name").empty()) {
          Domain out{api::str(d, "name"), 0};
          if (d.contains("minimum_ttl") && d["minimum_ttl"].is_number_integer()) out.minimum_ttl = d["minimum_ttl"].get<int>();
          return domains_[zone] = out;
        }
    return Error(Category::Dns, fqdn,
                 "no domain of the deSEC account holds this name (GET /domains/?owns_qname= found none; check the "
                 "zone and that the token may manage it)");
  }

  /// The TXT records at the name, or nullopt when there is no such RRset.
  Result<std::optional<std::vector<std::string>>> read(const Domain& d, const std::string& fqdn) {
    auto doc = call("GET", rrset_url(d, fqdn), {}, fqdn);
    if (!doc && doc.error().category() == Category::NotFound) return std::optional<std::vector<std::string>>();
    if (!doc) return std::move(doc).error();
    std::vector<std::string> out;
    if (!doc->is_object() || !doc->contains("records") || !(*doc)["records"].is_array())
      return Error(Category::Dns, "GET " + rrset_url(d, fqdn), "deSEC answered without records[]");
    for (const auto& rr : (*doc)["records"])
      if (rr.is_string()) out.push_back(rr.get<std::string>());
    return std::optional<std::vector<std::string>>(std::move(out));
  }

  /// One API call; the JSON on 2xx (null for 204). deSEC's errors: {"detail": ...} or
  /// {"field": ["message", ...]}.
  Result<Json> call(const std::string& method, const std::string& url, std::string body, const std::string& subject) {
    http::Request req = api::json_request(method, url, {"Authorization", "Token " + std::string(token_.view())}, std::move(body));
    TRY_ASSIGN(auto resp, api::send(*client_, std::move(req)));
    if (resp.status == 204) return Json();
    auto doc = api::parse(resp.body);
    if (resp.status >= 200 && resp.status <= 299) {
      if (!doc || !(doc->is_object() || doc->is_array()))
        return Error(Category::Dns, method + " " + url,
                     fmt::format("deSEC answered HTTP {} without JSON: {}", resp.status, api::snippet(resp.body)));
      return std::move(*doc);
    }
    std::string detail;
    if (doc && doc->is_object()) {
      detail = api::str(*doc, "detail");
      if (detail.empty())
        for (const auto& [field, msgs] : doc->items())
          if (msgs.is_array())
            for (const auto& m : msgs)
              if (m.is_string()) detail += (detail.empty() ? "" : "; ") + field + ": " + m.get<std::string>();
    }
    return api::answer_error({"deSEC", api_url_, method, url, subject}, resp, std::move(detail));
  }

  int ttl_;
  std::unique_ptr<http::Client> client_;
  std::string api_url_;
  SecretBytes token_;
  std::map<std::string, Domain> domains_;  ///< zone found by SOA (else the name), no dot -> deSEC domain
};

}  // namespace

Result<std::unique_ptr<Provider>> make_desec(const ProviderConfig& config, std::unique_ptr<http::Client> client) {
  TRY_ASSIGN(auto url, api::base_url(config, "api-url", kDefaultApi));
  TRY_ASSIGN(auto token, api::required_secret(config, "api-token"));
  return std::unique_ptr<Provider>(std::make_unique<Desec>(config, std::move(client), std::move(url), std::move(token)));
}

ProviderType desec_type() {
  return api::http_provider("desec", "deSEC DNS, through the API v1 with a token", {
      {"api-token", true, true, "deSEC API token that may manage the domain's RRsets"},
      {"api-url", false, false, "API base URL (default: https://desec.io/api/v1)"},
  }, &make_desec);
}

}  // namespace certctl::dns
