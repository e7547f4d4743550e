/// `linode`: TXT records through the Linode (Akamai Cloud) API v4 Domains, with a personal
/// access token (`Authorization: Bearer`). The zone's domain id comes from `GET /v4/domains`
/// filtered by `X-Filter: {"domain": "<zone>"}` (once per zone and run); present creates one
/// record per value (`POST /v4/domains/{id}/records`, the name relative to the zone, the value
/// as `target`, unquoted) and keeps the ids; cleanup deletes those
/// (`DELETE .../records/{record_id}`), or, in a process that did not create them, the TXT records
/// at the name holding the value (`GET .../records` filtered by name and type, page by page).
#include "dns/http_api.hpp"
#include "dns/providers.hpp"
#include "dns/wire.hpp"

#include <fmt/format.h>

#include <map>
#include <utility>

namespace certctl::dns {
namespace {

using api::Json;

constexpr std::string_view kDefaultApi = "https://api.linode.com";
/// Items asked for per page (Linode allows 25..500), and the most pages read for one list.
constexpr int kPageSize = 500;
constexpr int kMaxPages = 100;

class Linode final : public Provider {
 public:
  Linode(const ProviderConfig& config, std::unique_ptr<http::Client> client, std::string api_url, SecretBytes token)
      : ttl_(config.ttl), client_(std::move(client)), api_url_(std::move(api_url)), token_(std::move(token)) {}

  std::string_view type() const override { return "linode"; }

  Status present(const std::vector<TxtRecord>& records) override {
    for (const auto& r : records) {
      TRY_ASSIGN(const long long domain_id, domain_id_of(r));
      const auto key = std::make_pair(api::with_dot(r.fqdn), r.value);
      if (created_.count(key)) continue;  // presented already by this object
      const Json body = {{"type", "TXT"}, {"name", api::relative_name(r.fqdn, r.zone, "")}, {"target", r.value},
                         {"ttl_sec", ttl_}};
      TRY_ASSIGN(Json doc, call("POST", records_url(domain_id), {}, body.dump(), api::with_dot(r.fqdn)));
      if (!doc.contains("id") || !doc["id"].is_number_integer())
        return Error(Category::Dns, "POST " + records_url(domain_id), "Linode created the record but returned no id");
      created_[key] = doc["id"].get<long long>();
    }
    return ok();
  }

  Status cleanup(const std::vector<TxtRecord>& records) override {
    for (const auto& r : records) {
      TRY_ASSIGN(const long long domain_id, domain_id_of(r));
      const auto key = std::make_pair(api::with_dot(r.fqdn), r.value);
      std::vector<long long> ids;
      if (auto it = created_.find(key); it != created_.end()) {
        ids.push_back(it->second);
      } else {
        const Json filter = {{"name", api::relative_name(r.fqdn, r.zone, "")}, {"type", "TXT"}};
        TRY_ASSIGN(std::vector<Json> found, list(records_url(domain_id), filter.dump(), api::with_dot(r.fqdn)));
        for (const auto& rec : found)
          if (api::str(rec, "type") == "TXT" && api::unquote_txt(api::str(rec, "target")) == r.value &&
              rec.contains("id") && rec["id"].is_number_integer())
            ids.push_back(rec["id"].get<long long>());
      }
      for (long long id : ids) {
        auto done = call("DELETE", fmt::format("{}/{}", records_url(domain_id), id), {}, {}, api::with_dot(r.fqdn));
        if (!done && done.error().category() != Category::NotFound) return std::move(done).error();
      }
      created_.erase(key);
    }
    return ok();
  }

 private:
  std::string records_url(long long domain_id) const { return fmt::format("{}/v4/domains/{}/records", api_url_, domain_id); }

  /// The Linode domain id of the record's zone: looked up by name once per run.
  Result<long long> domain_id_of(const TxtRecord& r) {
    const std::string zone = api::without_dot(r.zone);
    if (zone.empty()) return Error(Category::Internal, api::with_dot(r.fqdn), "no zone for this record");
    if (auto it = domain_ids_.find(zone); it != domain_ids_.end()) return it->second;
    const Json filter = {{"domain", zone}};
    TRY_ASSIGN(std::vector<Json> found, list(api_url_ + "/v4/domains", filter.dump(), zone + "."));
    for (const auto& d : found)
      if (wire::same_name(api::str(d, "domain"), zone) && d.contains("id") && d["id"].is_number_integer())
        return domain_ids_[zone] = d["id"].get<long long>();
    return Error(Category::Dns, zone + ".",
                 "zone not found in the Linode account (GET /v4/domains has no such domain; check the zone name and "
                 "that the token has domains:read_write)");
  }

  /// Every item of a paged list (`data` of each page), filtered by `x_filter`.
  Result<std::vector<Json>> list(const std::string& url, const std::string& x_filter, const std::string& subject) {
    std::vector<Json> out;
    for (int page = 1; page <= kMaxPages; ++page) {
      const std::string paged = fmt::format("{}?page={}&page_size={}", url, page, kPageSize);
      TRY_ASSIGN(Json doc, call("GET", paged, x_filter, {}, subject));
      if (!doc.contains("data") || !doc["data"].is_array())
        return Error(Category::Dns, "GET " + paged, "Linode answered without data[]");
      for (auto& item : doc["data"]) out.push_back(std::move(item));
      const long pages = doc.contains("pages") && doc["pages"].is_number_integer() ? doc["pages"].get<long>() : 1;
      if (page >= pages) return out;
    }
    return Error(Category::Dns, subject, fmt::format("Linode lists more than {} pages here", kMaxPages));
  }

  /// One API call; the JSON object on 2xx. A 404 is a NotFound error (the caller decides what a
  /// missing record means); the others are Dns errors with Linode's errors[].reason.
  Result<Json> call(const std::string& method, const std::string& url, const std::string& x_filter, std::string body,
                    const std::string& subject) {
    http::Request req = api::json_request(method, url, {"Authorization", "Bearer " + std::string(token_.view())}, std::move(body));
    if (!x_filter.empty()) req.headers.push_back({"X-Filter", x_filter});
    TRY_ASSIGN(auto resp, api::send(*client_, std::move(req)));
    if (resp.status >= 200 && resp.status <= 299) return api::json_answer("Linode", method, url, resp);
    std::string detail;  // errors[]: "field: reason; ..."
    if (auto doc = api::parse(resp.body); doc && doc->is_object() && doc->contains("errors") && (*doc)["errors"].is_array())
      for (const auto& e : (*doc)["errors"]) {
        std::string reason = api::str(e, "reason"), field = api::str(e, "field");
        if (reason.empty()) continue;
        if (!detail.empty()) detail += "; ";
        detail += field.empty() ? reason : field + ": " + reason;
      }
    return api::answer_error({"Linode", api_url_, method, url, subject}, resp, std::move(detail));
  }

  int ttl_;
  std::unique_ptr<http::Client> client_;
  std::string api_url_;
  SecretBytes token_;
  std::map<std::string, long long> domain_ids_;                        ///< zone (no dot) -> domain id
  std::map<std::pair<std::string, std::string>, long long> created_;  ///< (fqdn, value) -> record id
};

}  // namespace

Result<std::unique_ptr<Provider>> make_linode(const ProviderConfig& config, std::unique_ptr<http::Client> client) {
  TRY_ASSIGN(auto url, api::base_url(config, "api-url", kDefaultApi));
  TRY_ASSIGN(auto token, api::required_secret(config, "api-token"));
  return std::unique_ptr<Provider>(std::make_unique<Linode>(config, std::move(client), std::move(url), std::move(token)));
}

ProviderType linode_type() {
  return api::http_provider("linode", "Linode (Akamai Cloud) DNS Manager, through the API v4 with a personal access token", {
      {"api-token", true, true, "personal access token with the domains:read_write scope"},
      {"api-url", false, false, "API base URL (default: https://api.linode.com)"},
  }, &make_linode);
}

}  // namespace certctl::dns
