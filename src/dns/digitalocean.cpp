/// `digitalocean`: TXT records through the DigitalOcean API v2 (Domains), authenticated with a
/// personal access token (`Authorization: Bearer`). A record's zone is a domain of the account:
/// `GET /v2/domains/{zone}` confirms it once per run. present creates one record per value
/// (`POST /v2/domains/{zone}/records`, the name relative to the zone, "@" at its apex) and keeps
/// the ids DigitalOcean returns; cleanup deletes those ids (`DELETE .../records/{id}`), or, in a
/// process that did not create them, the TXT records at the name whose data is the value
/// (`GET .../records?type=TXT&name=<fqdn>`, page by page). TXT data goes unquoted: DigitalOcean
/// quotes it in the zone itself.
#include "dns/http_api.hpp"
#include "dns/providers.hpp"

#include <fmt/format.h>

#include <map>
#include <set>
#include <utility>

namespace certctl::dns {
namespace {

using api::Json;

constexpr std::string_view kDefaultApi = "https://api.digitalocean.com";
/// Records asked for per page, and the most pages read for one name (20,000 records).
constexpr int kPerPage = 200;
constexpr int kMaxPages = 100;

class DigitalOcean final : public Provider {
 public:
  DigitalOcean(const ProviderConfig& config, std::unique_ptr<http::Client> client, std::string api_url,
               SecretBytes token)
      : ttl_(config.ttl), client_(std::move(client)), api_url_(std::move(api_url)), token_(std::move(token)) {}

  std::string_view type() const override { return "digitalocean"; }

  Status present(const std::vector<TxtRecord>& records) override {
    for (const auto& r : records) {
      TRY_ASSIGN(const std::string zone, zone_of(r));
      const auto key = std::make_pair(api::with_dot(r.fqdn), r.value);
      if (created_.count(key)) continue;  // presented already by this object
      const Json body = {{"type", "TXT"}, {"name", api::relative_name(r.fqdn, zone, "@")}, {"data", r.value}, {"ttl", ttl_}};
      TRY_ASSIGN(Json doc, call("POST", records_url(zone), body.dump(), api::with_dot(r.fqdn)));
      const Json* rec = doc.contains("domain_record") ? &doc["domain_record"] : nullptr;
      if (!rec || !rec->is_object() || !(*rec).contains("id") || !(*rec)["id"].is_number_integer())
        return Error(Category::Dns, "POST " + records_url(zone),
                     "DigitalOcean created the record but returned no domain_record.id");
      created_[key] = (*rec)["id"].get<long long>();
    }
    return ok();
  }

  Status cleanup(const std::vector<TxtRecord>& records) override {
    for (const auto& r : records) {
      TRY_ASSIGN(const std::string zone, zone_of(r));
      const auto key = std::make_pair(api::with_dot(r.fqdn), r.value);
      std::vector<long long> ids;
      if (auto it = created_.find(key); it != created_.end()) {
        ids.push_back(it->second);
      } else {
        TRY_ASSIGN(ids, find_records(zone, r));
      }
      for (long long id : ids) {
        auto done = call("DELETE", fmt::format("{}/{}", records_url(zone), id), {}, api::with_dot(r.fqdn));
        if (!done && done.error().category() != Category::NotFound) return std::move(done).error();
      }
      created_.erase(key);
    }
    return ok();
  }

 private:
  std::string records_url(const std::string& zone) const {
    return api_url_ + "/v2/domains/" + api::url_encode(zone) + "/records";
  }

  /// The record's zone (no trailing dot), confirmed as a domain of the account once per run.
  Result<std::string> zone_of(const TxtRecord& r) {
    std::string zone = api::without_dot(r.zone);
    if (zone.empty()) return Error(Category::Internal, api::with_dot(r.fqdn), "no zone for this record");
    if (known_zones_.count(zone)) return zone;
    auto doc = call("GET", api_url_ + "/v2/domains/" + api::url_encode(zone), {}, zone + ".");
    if (!doc && doc.error().category() == Category::NotFound)
      return Error(Category::Dns, zone + ".",
                   "zone not found in the DigitalOcean account (GET /v2/domains/" + zone +
                       " answered 404; check the zone name and that the token can read it)");
    if (!doc) return std::move(doc).error();
    known_zones_.insert(zone);
    return zone;
  }

  /// Ids of the TXT records holding r.value at r.fqdn, every page.
  Result<std::vector<long long>> find_records(const std::string& zone, const TxtRecord& r) {
    std::vector<long long> ids;
    for (int page = 1; page <= kMaxPages; ++page) {
      const std::string url = fmt::format("{}?type=TXT&name={}&page={}&per_page={}", records_url(zone),
                                          api::url_encode(api::without_dot(r.fqdn)), page, kPerPage);
      TRY_ASSIGN(Json doc, call("GET", url, {}, api::with_dot(r.fqdn)));
      const Json& list = doc["domain_records"];
      if (!list.is_array()) return Error(Category::Dns, "GET " + url, "DigitalOcean answered without domain_records[]");
      for (const auto& rec : list)
        if (api::str(rec, "type") == "TXT" && api::unquote_txt(api::str(rec, "data")) == r.value &&
            rec.contains("id") && rec["id"].is_number_integer())
          ids.push_back(rec["id"].get<long long>());
      const bool more = doc.contains("links") && doc["links"].is_object() && doc["links"].contains("pages") &&
                        doc["links"]["pages"].is_object() && doc["links"]["pages"].contains("next");
      if (!more || list.empty()) return ids;
    }
    return Error(Category::Dns, api::with_dot(r.fqdn),
                 fmt::format("DigitalOcean lists more than {} pages of TXT records at this name", kMaxPages));
  }

  /// One API call; the JSON answer on 2xx (null for 204 No Content). A 404 is a NotFound error
  /// (the caller decides what a missing domain or record means); the others are Dns errors with
  /// DigitalOcean's message.
  Result<Json> call(const std::string& method, const std::string& url, std::string body, const std::string& subject) {
    http::Request req = api::json_request(method, url, {"Authorization", "Bearer " + std::string(token_.view())}, std::move(body));
    TRY_ASSIGN(auto resp, api::send(*client_, std::move(req)));
    if (resp.status == 204) return Json();
    if (resp.status >= 200 && resp.status <= 299) return api::json_answer("DigitalOcean", method, url, resp);
    auto doc = api::parse(resp.body);
    return api::answer_error({"DigitalOcean", api_url_, method, url, subject}, resp,
                             doc && doc->is_object() ? api::str(*doc, "message") : std::string());
  }

  int ttl_;
  std::unique_ptr<http::Client> client_;
  std::string api_url_;
  SecretBytes token_;
  std::set<std::string> known_zones_;
  std::map<std::pair<std::string, std::string>, long long> created_;  ///< (fqdn, value) -> id
};

}  // namespace

Result<std::unique_ptr<Provider>> make_digitalocean(const ProviderConfig& config,
                                                    std::unique_ptr<http::Client> client) {
  TRY_ASSIGN(auto url, api::base_url(config, "api-url", kDefaultApi));
  TRY_ASSIGN(auto token, api::required_secret(config, "api-token"));
  if (config.ttl < 30)
    return Error(Category::Usage, api::provider_subject(config),
                 fmt::format("ttl {} is below the 30 seconds DigitalOcean accepts", config.ttl));
  return std::unique_ptr<Provider>(
      std::make_unique<DigitalOcean>(config, std::move(client), std::move(url), std::move(token)));
}

ProviderType digitalocean_type() {
  return api::http_provider("digitalocean", "DigitalOcean DNS, through the API v2 with a personal access token", {
      {"api-token", true, true, "personal access token with write access to the domain"},
      {"api-url", false, false, "API base URL (default: https://api.digitalocean.com)"},
  }, &make_digitalocean);
}

}  // namespace certctl::dns
