/// `gandi`: TXT RRsets through the Gandi LiveDNS API (v5), authenticated with a personal access
/// token (`Authorization: Bearer`; the older `Apikey` scheme is deprecated). A record's zone is
/// confirmed once per run as a LiveDNS domain (`GET /domains/{fqdn}`). LiveDNS edits whole
/// RRsets, so each name's TXT RRset is read (`GET /domains/{fqdn}/records/{name}/TXT`, the name
/// relative to the domain, "@" at its apex) and written once per call: present PUTs the union of
/// the values held and its own (`PUT .../TXT` with rrset_values and rrset_ttl: an existing
/// RRset's TTL, else the configured one raised to LiveDNS's minimum of 300 s), cleanup PUTs what
/// is left without its values, or DELETEs the RRset when none are left. Values are sent as quoted
/// character-strings (as LiveDNS lists TXT values) and compared unquoted.
#include "dns/http_api.hpp"
#include "dns/providers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace certctl::dns {
namespace {

using api::Json;

constexpr std::string_view kDefaultApi = "https://api.gandi.net/v5/livedns";
/// LiveDNS's lowest rrset_ttl.
constexpr int kMinTtl = 300;

/// A TXT RRset as LiveDNS holds it.
struct RrSet {
  bool exists = false;
  int ttl = 0;
  std::vector<std::string> values;  ///< as listed (quoted)
};

class Gandi final : public Provider {
 public:
  Gandi(const ProviderConfig& config, std::unique_ptr<http::Client> client, std::string api_url, SecretBytes token)
      : ttl_(std::max(config.ttl, kMinTtl)),
        client_(std::move(client)),
        api_url_(std::move(api_url)),
        token_(std::move(token)) {}

  std::string_view type() const override { return "gandi"; }

  Status present(const std::vector<TxtRecord>& records) override {
    for (const auto& [fqdn, name] : api::by_name(records)) {
      const std::vector<std::string>& values = name.values;
      TRY_ASSIGN(const std::string zone, zone_of(fqdn, name.zone));
      TRY_ASSIGN(const RrSet have, read(zone, fqdn));
      std::vector<std::string> want = have.values;
      for (const auto& v : values) {
        const bool there = std::any_of(want.begin(), want.end(),
                                       [&v](const std::string& rr) { return api::unquote_txt(rr) == v; });
        if (!there) want.push_back(api::quote_txt(v));
      }
      if (have.exists && want.size() == have.values.size()) continue;  // every value there already
      const Json body = {{"rrset_values", want}, {"rrset_ttl", have.exists && have.ttl > 0 ? have.ttl : ttl_}};
      TRY(call("PUT", rrset_url(zone, fqdn), body.dump(), fqdn));
    }
    return ok();
  }

  Status cleanup(const std::vector<TxtRecord>& records) override {
    for (const auto& [fqdn, name] : api::by_name(records)) {
      const std::vector<std::string>& ours = name.values;  // not the binding: clang 14 cannot capture one
      TRY_ASSIGN(const std::string zone, zone_of(fqdn, name.zone));
      TRY_ASSIGN(const RrSet have, read(zone, fqdn));
      std::vector<std::string> left = have.values;
      std::erase_if(left, [&ours](const std::string& rr) {
        return std::find(ours.begin(), ours.end(), api::unquote_txt(rr)) != ours.end();
      });
      if (left.size() == have.values.size()) continue;  // nothing of ours (any more)
      Result<Json> done = left.empty()
                              ? call("DELETE", rrset_url(zone, fqdn), {}, fqdn)
                              : call("PUT", rrset_url(zone, fqdn),
                                     Json{{"rrset_values", left}, {"rrset_ttl", have.ttl > 0 ? have.ttl : ttl_}}.dump(),
                                     fqdn);
      if (!done && done.error().category() != Category::NotFound) return std::move(done).error();
    }
    return ok();
  }

 private:
  std::string domain_url(const std::string& zone) const { return api_url_ + "/domains/" + api::url_encode(zone); }
  std::string rrset_url(const std::string& zone, const std::string& fqdn) const {
    const std::string name = api::relative_name(fqdn, zone, "@");
    return domain_url(zone) + "/records/" + (name == "@" ? name : api::url_encode(name)) + "/TXT";
  }

  /// The record's zone (no trailing dot), confirmed as a LiveDNS domain once per run.
  Result<std::string> zone_of(const std::string& fqdn, const std::string& zone) {
    if (zone.empty()) return Error(Category::Internal, fqdn, "no zone for this record");
    if (known_zones_.count(zone)) return zone;
    auto doc = call("GET", domain_url(zone), {}, zone + ".");
    if (!doc && doc.error().category() == Category::NotFound)
      return Error(Category::Dns, zone + ".",
                   "domain not found in Gandi LiveDNS (GET /domains/" + zone +
                       " answered 404; check the zone name, that it uses LiveDNS and that the token's organization "
                       "holds it)");
    if (!doc) return std::move(doc).error();
    if (api::str(*doc, "fqdn").empty())
      return Error(Category::Dns, "GET " + domain_url(zone), "Gandi answered without the domain's fqdn");
    known_zones_.insert(zone);
    return zone;
  }

  /// The TXT RRset at the name; one that does not exist holds no values.
  Result<RrSet> read(const std::string& zone, const std::string& fqdn) {
    const std::string url = rrset_url(zone, fqdn);
    auto doc = call("GET", url, {}, fqdn);
    if (!doc && doc.error().category() == Category::NotFound) return RrSet{};
    if (!doc) return std::move(doc).error();
    if (!doc->contains("rrset_values") || !(*doc)["rrset_values"].is_array())
      return Error(Category::Dns, "GET " + url, "Gandi answered without rrset_values[]");
    RrSet out{true, 0, {}};
    if (doc->contains("rrset_ttl") && (*doc)["rrset_ttl"].is_number_integer()) {
      const long long ttl = (*doc)["rrset_ttl"].get<long long>();
      if (ttl >= kMinTtl && ttl <= 2592000) out.ttl = static_cast<int>(ttl);
    }
    for (const auto& v : (*doc)["rrset_values"])
      if (v.is_string()) out.values.push_back(v.get<std::string>());
    return out;
  }

  /// One API call; the JSON object on 2xx (null for 204 No Content). A 404 is a NotFound error
  /// (the caller decides what a missing domain or RRset means); the others are Dns errors with
  /// Gandi's message and cause.
  Result<Json> call(const std::string& method, const std::string& url, std::string body, const std::string& subject) {
    http::Request req =
        api::json_request(method, url, {"Authorization", "Bearer " + std::string(token_.view())}, std::move(body));
    TRY_ASSIGN(auto resp, api::send(*client_, std::move(req)));
    if (resp.status == 204) return Json();
    if (resp.status >= 200 && resp.status <= 299) return api::json_answer("Gandi", method, url, resp);
    auto doc = api::parse(resp.body);
    std::string detail;
    if (doc && doc->is_object()) {
      detail = api::str(*doc, "message");
      const std::string cause = api::str(*doc, "cause");
      if (!cause.empty() && cause != detail) detail += (detail.empty() ? "" : " ") + ("(" + cause + ")");
    }
    return api::answer_error({"Gandi", api_url_, method, url, subject, "personal access token"}, resp,
                             std::move(detail));
  }

  int ttl_;
  std::unique_ptr<http::Client> client_;
  std::string api_url_;
  SecretBytes token_;
  std::set<std::string> known_zones_;
};

}  // namespace

Result<std::unique_ptr<Provider>> make_gandi(const ProviderConfig& config, std::unique_ptr<http::Client> client) {
  TRY_ASSIGN(auto url, api::base_url(config, "api-url", kDefaultApi));
  TRY_ASSIGN(auto token, api::required_secret(config, "api-token"));
  if (config.ttl > 2592000)
    return Error(Category::Usage, api::provider_subject(config),
                 fmt::format("ttl {} is above the 2592000 seconds Gandi LiveDNS accepts", config.ttl));
  return std::unique_ptr<Provider>(std::make_unique<Gandi>(config, std::move(client), std::move(url), std::move(token)));
}

ProviderType gandi_type() {
  return api::http_provider("gandi", "Gandi LiveDNS, through the API v5 with a personal access token", {
      {"api-token", true, true, "Gandi personal access token that may manage the domain's LiveDNS records"},
      {"api-url", false, false, "API base URL (default: https://api.gandi.net/v5/livedns)"},
  }, &make_gandi);
}

}  // namespace certctl::dns
