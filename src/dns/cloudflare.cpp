/// `cloudflare`: TXT records through the Cloudflare API v4, authenticated with an API token
/// (`Authorization: Bearer`). The zone id comes from the `zone-id` option or from
/// `GET /zones?name=<zone>`; present creates one record per value
/// (`POST /zones/{zone_id}/dns_records`) and remembers the ids Cloudflare returns; cleanup
/// deletes those ids, or, in a process that did not present them, the records found by
/// `GET /zones/{zone_id}/dns_records?type=TXT&name.exact=...&content.exact=...`.
///
/// TXT content is sent as one quoted character-string ("value"), as Cloudflare's API
/// documentation asks; content read back is compared unquoted, so records created unquoted
/// (older clients) are found too.
#include "dns/http_api.hpp"
#include "dns/wire.hpp"
#include "dns/providers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

namespace certctl::dns {
namespace {

using api::Json;

constexpr std::string_view kDefaultApi = "https://api.cloudflare.com/client/v4";
/// Cloudflare error codes that mean "already done" for our purposes.
constexpr long kIdenticalRecordExists = 81058;
constexpr long kRecordNotFound = 81044;

/// "code: message; code: message" from a Cloudflare envelope's errors[], and the codes.
std::string error_text(const Json& doc, std::vector<long>* codes = nullptr) {
  std::string out;
  if (!doc.is_object() || !doc.contains("errors") || !doc["errors"].is_array()) return out;
  for (const auto& e : doc["errors"]) {
    long code = e.contains("code") && e["code"].is_number_integer() ? e["code"].get<long>() : 0;
    if (codes) codes->push_back(code);
    std::string msg = api::str(e, "message");
    if (!out.empty()) out += "; ";
    out += code ? fmt::format("{} (code {})", msg, code) : msg;
  }
  return out;
}

class Cloudflare final : public Provider {
 public:
  Cloudflare(const ProviderConfig& config, std::unique_ptr<http::Client> client, std::string api_url,
             SecretBytes token)
      : ttl_(config.ttl), zone_id_option_(api::option(config, "zone-id")), client_(std::move(client)),
        api_url_(std::move(api_url)), token_(std::move(token)) {}

  std::string_view type() const override { return "cloudflare"; }

  Status present(const std::vector<TxtRecord>& records) override {
    for (const auto& r : records) {
      TRY_ASSIGN(auto zone_id, zone_id_for(r));
      const auto key = std::make_pair(api::with_dot(r.fqdn), r.value);
      if (created_.count(key)) continue;  // presented already by this object
      Json body = {{"type", "TXT"},
                   {"name", api::without_dot(r.fqdn)},
                   {"content", api::quote_txt(r.value)},
                   {"ttl", ttl_}};
      const std::string url = api_url_ + "/zones/" + api::url_encode(zone_id) + "/dns_records";
      std::vector<long> codes;
      auto doc = call("POST", url, body.dump(), api::with_dot(r.fqdn), &codes);
      if (!doc) {
        if (std::find(codes.begin(), codes.end(), kIdenticalRecordExists) != codes.end()) continue;
        return std::move(doc).error();
      }
      std::string id = (*doc).contains("result") ? api::str((*doc)["result"], "id") : std::string();
      if (id.empty()) {
        return Error(Category::Dns, "POST " + url, "Cloudflare created the record but returned no result.id");
      }
      created_[key] = id;
    }
    return ok();
  }

  Status cleanup(const std::vector<TxtRecord>& records) override {
    for (const auto& r : records) {
      TRY_ASSIGN(auto zone_id, zone_id_for(r));
      const auto key = std::make_pair(api::with_dot(r.fqdn), r.value);
      std::vector<std::string> ids;
      if (auto it = created_.find(key); it != created_.end()) {
        ids.push_back(it->second);
      } else {
        TRY_ASSIGN(ids, find_records(zone_id, r));
      }
      for (const auto& id : ids) {
        const std::string url = api_url_ + "/zones/" + api::url_encode(zone_id) + "/dns_records/" + api::url_encode(id);
        std::vector<long> codes;
        auto doc = call("DELETE", url, {}, api::with_dot(r.fqdn), &codes);
        if (!doc && std::find(codes.begin(), codes.end(), kRecordNotFound) == codes.end()) {
          return std::move(doc).error();
        }
      }
      created_.erase(key);
    }
    return ok();
  }

 private:
  /// The zone id of a record's zone: the option, a cached lookup, or GET /zones?name=.
  Result<std::string> zone_id_for(const TxtRecord& r) {
    if (!zone_id_option_.empty()) return zone_id_option_;
    const std::string zone = api::without_dot(r.zone);
    if (zone.empty()) return Error(Category::Internal, api::with_dot(r.fqdn), "no zone for this record");
    if (auto it = zone_ids_.find(zone); it != zone_ids_.end()) return it->second;
    const std::string url = api_url_ + "/zones?name=" + api::url_encode(zone);
    TRY_ASSIGN(auto doc, call("GET", url, {}, zone + ".", nullptr));
    const Json& result = doc["result"];
    std::string id;
    if (result.is_array()) {
      for (const auto& z : result)
        if (wire::same_name(api::str(z, "name"), zone)) id = api::str(z, "id");
    }
    if (id.empty()) {
      return Error(Category::Dns, zone + ".",
                   "zone not found in the Cloudflare account (GET " + url +
                       " returned no such zone; check the zone name and that the token has Zone:Read on it)");
    }
    zone_ids_[zone] = id;
    return id;
  }

  /// Ids of the TXT records holding r.value at r.fqdn.
  Result<std::vector<std::string>> find_records(const std::string& zone_id, const TxtRecord& r) {
    const std::string url = api_url_ + "/zones/" + api::url_encode(zone_id) +
                            "/dns_records?type=TXT&name.exact=" + api::url_encode(api::without_dot(r.fqdn)) +
                            "&content.exact=" + api::url_encode(api::quote_txt(r.value));
    TRY_ASSIGN(auto doc, call("GET", url, {}, api::with_dot(r.fqdn), nullptr));
    std::vector<std::string> ids;
    const Json& result = doc["result"];
    if (!result.is_array()) return ids;
    for (const auto& rec : result) {
      if (api::str(rec, "type") == "TXT" && wire::same_name(api::str(rec, "name"), r.fqdn) &&
          api::unquote_txt(api::str(rec, "content")) == r.value) {
        std::string id = api::str(rec, "id");
        if (!id.empty()) ids.push_back(std::move(id));
      }
    }
    return ids;
  }

  /// One API call; the response envelope when success is true. Errors carry Cloudflare's
  /// errors[].message; `codes` receives their codes.
  Result<Json> call(const std::string& method, const std::string& url, std::string body,
                    const std::string& subject, std::vector<long>* codes) {
    http::Request req = api::json_request(method, url, {"Authorization", "Bearer " + std::string(token_.view())}, std::move(body));
    TRY_ASSIGN(auto resp, api::send(*client_, std::move(req)));

    auto doc = api::parse(resp.body);
    const bool success = doc && doc->is_object() && doc->contains("success") &&
                         (*doc)["success"].is_boolean() && (*doc)["success"].get<bool>();
    if (success && resp.status >= 200 && resp.status <= 299) return std::move(*doc);

    std::string detail = doc ? error_text(*doc, codes) : std::string();
    if (detail.empty()) detail = api::snippet(resp.body);
    auto msg = [&](std::string what) { return detail.empty() ? what : what + ": " + detail; };
    if (resp.status == 401 || resp.status == 403) {
      return Error(Category::Dns, api_url_,
                   msg(fmt::format("Cloudflare rejected the API token (HTTP {})", resp.status)));
    }
    if (!doc) {
      return Error(Category::Dns, method + " " + url,
                   msg(fmt::format("Cloudflare answered HTTP {} without a JSON envelope", resp.status)));
    }
    return Error(Category::Dns, subject,
                 msg(fmt::format("Cloudflare API error on {} {} (HTTP {})", method, url, resp.status)));
  }

  int ttl_;
  std::string zone_id_option_;
  std::unique_ptr<http::Client> client_;
  std::string api_url_;
  SecretBytes token_;
  std::map<std::string, std::string> zone_ids_;  ///< zone name (no dot) -> id
  std::map<std::pair<std::string, std::string>, std::string> created_;  ///< (fqdn, value) -> id
};

}  // namespace

Result<std::unique_ptr<Provider>> make_cloudflare(const ProviderConfig& config,
                                                  std::unique_ptr<http::Client> client) {
  TRY_ASSIGN(auto url, api::base_url(config, "api-url", kDefaultApi));
  TRY_ASSIGN(auto token, api::required_secret(config, "api-token"));
  // Cloudflare accepts 1 (automatic) or 60..86400 (30 for Enterprise zones).
  if (config.ttl != 1 && (config.ttl < 30 || config.ttl > 86400)) {
    return Error(Category::Usage, api::provider_subject(config),
                 fmt::format("ttl {} is outside what Cloudflare accepts (1 = automatic, or 60..86400)", config.ttl));
  }
  return std::unique_ptr<Provider>(
      std::make_unique<Cloudflare>(config, std::move(client), std::move(url), std::move(token)));
}

ProviderType cloudflare_type() {
  return api::http_provider("cloudflare", "Cloudflare DNS, through the API v4 with an API token", {
      {"api-token", true, true, "API token with Zone:Read and DNS:Edit on the zone"},
      {"zone-id", false, false, "zone id, instead of looking the zone up by name"},
      {"api-url", false, false, "API base URL (default: https://api.cloudflare.com/client/v4)"},
  }, &make_cloudflare);
}

}  // namespace certctl::dns
