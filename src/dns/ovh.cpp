/// `ovh`: TXT records through the OVH API v1 (`/domain/zone`), authenticated with an application
/// key, its application secret and a consumer key. Every authenticated request is signed:
/// X-Ovh-Signature = "$1$" + hex(SHA-1(AS+CK+METHOD+URL+BODY+TIMESTAMP joined by "+")), where
/// URL is the whole URL as sent and TIMESTAMP the API's time (`GET /auth/time` once per run; the
/// difference to the local clock is kept). A record's zone must be a zone of the account
/// (`GET /domain/zone/{zone}`, once per zone and run). present creates one record per value
/// (`POST /domain/zone/{zone}/record`, the name relative to the zone, "" at its apex) and keeps
/// the ids OVH returns; cleanup deletes those ids (`DELETE .../record/{id}`) or, in a process
/// that did not create them, the TXT records at the name whose target is the value
/// (`GET .../record?fieldType=TXT&subDomain=...`, then each record). A zone that changed is
/// applied with `POST /domain/zone/{zone}/refresh`.
#include "dns/http_api.hpp"
#include "dns/providers.hpp"

#include <certctl/crypto.hpp>

#include <fmt/format.h>

#include <array>
#include <map>
#include <set>
#include <utility>

namespace certctl::dns {
namespace {

using api::Json;

/// The API's regions, as the OVH client libraries name them.
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kEndpoints = {{
    {"ovh-eu", "https://eu.api.ovh.com/1.0"},
    {"ovh-ca", "https://ca.api.ovh.com/1.0"},
    {"ovh-us", "https://api.us.ovhcloud.com/1.0"},
    {"kimsufi-eu", "https://eu.api.kimsufi.com/1.0"},
    {"kimsufi-ca", "https://ca.api.kimsufi.com/1.0"},
    {"soyoustart-eu", "https://eu.api.soyoustart.com/1.0"},
    {"soyoustart-ca", "https://ca.api.soyoustart.com/1.0"},
}};
/// The most TXT records at one name that cleanup reads one by one.
constexpr std::size_t kMaxRecords = 500;
/// What /auth/time may answer: a Unix time between 2001 and 5138.
constexpr long long kMinTime = 1000000000LL;
constexpr long long kMaxTime = 100000000000LL;

/// The error codes with which OVH refuses the credentials or the signature itself.
bool credential_refused(const std::string& code, const std::string& message) {
  return code == "INVALID_SIGNATURE" || code == "INVALID_CREDENTIAL" || code == "INVALID_KEY" ||
         code == "NOT_CREDENTIAL" || message == "Invalid signature" || message == "Invalid application key";
}

struct Created {
  std::string zone;
  long long id = 0;
};

class Ovh final : public Provider {
 public:
  Ovh(const ProviderConfig& config, std::unique_ptr<http::Client> client, std::string api_url, std::string app_key,
      SecretBytes app_secret, SecretBytes consumer_key, Seams seams)
      : ttl_(config.ttl),
        client_(std::move(client)),
        api_url_(std::move(api_url)),
        app_key_(std::move(app_key)),
        app_secret_(std::move(app_secret)),
        consumer_key_(std::move(consumer_key)),
        seams_(std::move(seams)) {}

  std::string_view type() const override { return "ovh"; }

  Status present(const std::vector<TxtRecord>& records) override {
    std::set<std::string> changed;
    Status st = ok();
    for (const auto& r : records) {
      auto zone = zone_of(r);
      if (!zone) {
        st = std::move(zone).error();
        break;
      }
      const auto key = std::make_pair(api::with_dot(r.fqdn), r.value);
      if (created_.count(key)) continue;  // presented already by this object
      const Json body = {{"fieldType", "TXT"}, {"subDomain", api::relative_name(r.fqdn, *zone, "")},
                         {"target", r.value}, {"ttl", ttl_}};
      const std::string url = zone_url(*zone) + "/record";
      auto doc = call("POST", url, body.dump(), api::with_dot(r.fqdn));
      if (!doc) {
        st = std::move(doc).error();
        break;
      }
      if (!doc->is_object() || !doc->contains("id") || !(*doc)["id"].is_number_integer()) {
        st = Error(Category::Dns, "POST " + url, "OVH created the record but returned no id");
        changed.insert(*zone);
        break;
      }
      created_[key] = Created{*zone, (*doc)["id"].get<long long>()};
      changed.insert(*zone);
    }
    // What was created is applied even when a later record failed, so cleanup finds it served.
    for (const auto& zone : changed) {
      auto done = refresh(zone);
      if (!done && st.ok()) st = std::move(done);
    }
    return st;
  }

  Status cleanup(const std::vector<TxtRecord>& records) override {
    std::set<std::string> changed;
    Status st = ok();
    for (const auto& r : records) {
      st = cleanup_one(r, changed);
      if (!st) break;
    }
    for (const auto& zone : changed) {
      auto done = refresh(zone);
      if (!done && st.ok()) st = std::move(done);
    }
    return st;
  }

 private:
  Status cleanup_one(const TxtRecord& r, std::set<std::string>& changed) {
    TRY_ASSIGN(const std::string zone, zone_of(r));
    const auto key = std::make_pair(api::with_dot(r.fqdn), r.value);
    std::vector<long long> ids;
    if (auto it = created_.find(key); it != created_.end()) {
      ids.push_back(it->second.id);
    } else {
      TRY_ASSIGN(ids, find_records(zone, r));
    }
    for (long long id : ids) {
      auto done = call("DELETE", fmt::format("{}/record/{}", zone_url(zone), id), {}, api::with_dot(r.fqdn));
      if (!done && done.error().category() != Category::NotFound) return std::move(done).error();
      if (done) changed.insert(zone);
    }
    created_.erase(key);
    return ok();
  }

  std::string zone_url(const std::string& zone) const { return api_url_ + "/domain/zone/" + api::url_encode(zone); }

  /// The record's zone (no trailing dot), confirmed as a zone of the account once per run.
  Result<std::string> zone_of(const TxtRecord& r) {
    std::string zone = api::without_dot(r.zone);
    if (zone.empty()) return Error(Category::Internal, api::with_dot(r.fqdn), "no zone for this record");
    if (known_zones_.count(zone)) return zone;
    auto doc = call("GET", zone_url(zone), {}, zone + ".");
    if (!doc && doc.error().category() == Category::NotFound)
      return Error(Category::Dns, zone + ".",
                   "zone not found in the OVH account (GET /domain/zone/" + zone +
                       " answered 404; check the zone name and that the consumer key may use it)");
    if (!doc) return std::move(doc).error();
    known_zones_.insert(zone);
    return zone;
  }

  /// Apply the zone's changes (OVH serves edits only after a refresh).
  Status refresh(const std::string& zone) {
    TRY(call("POST", zone_url(zone) + "/refresh", {}, zone + "."));
    return ok();
  }

  /// Ids of the TXT records holding r.value at r.fqdn: the ids at the name, then each record.
  Result<std::vector<long long>> find_records(const std::string& zone, const TxtRecord& r) {
    const std::string sub = api::relative_name(r.fqdn, zone, "");
    const std::string url = zone_url(zone) + "/record?fieldType=TXT&subDomain=" + api::url_encode(sub);
    TRY_ASSIGN(Json list, call("GET", url, {}, api::with_dot(r.fqdn)));
    if (!list.is_array()) return Error(Category::Dns, "GET " + url, "OVH answered without a list of record ids");
    if (list.size() > kMaxRecords)
      return Error(Category::Dns, api::with_dot(r.fqdn),
                   fmt::format("OVH lists {} TXT records at this name, more than the {} certctl reads", list.size(),
                               kMaxRecords));
    std::vector<long long> ids;
    for (const auto& item : list) {
      if (!item.is_number_integer()) return Error(Category::Dns, "GET " + url, "OVH listed a record id that is not a number");
      const long long id = item.get<long long>();
      auto rec = call("GET", fmt::format("{}/record/{}", zone_url(zone), id), {}, api::with_dot(r.fqdn));
      if (!rec && rec.error().category() == Category::NotFound) continue;  // deleted meanwhile
      if (!rec) return std::move(rec).error();
      if (!rec->is_object())
        return Error(Category::Dns, fmt::format("GET {}/record/{}", zone_url(zone), id), "OVH answered without a record");
      if (api::str(*rec, "fieldType") == "TXT" && api::str(*rec, "subDomain") == sub &&
          api::unquote_txt(api::str(*rec, "target")) == r.value)
        ids.push_back(id);
    }
    return ids;
  }

  /// The API's clock minus ours, asked once (GET /auth/time answers a bare number).
  Result<long long> time_delta() {
    if (delta_) return *delta_;
    const std::string url = api_url_ + "/auth/time";
    http::Request req;
    req.url = url;
    req.headers.push_back({"X-Ovh-Application", app_key_});
    TRY_ASSIGN(auto resp, api::send(*client_, std::move(req)));
    if (resp.status < 200 || resp.status > 299) {
      auto doc = api::parse(resp.body);
      auto e = api::answer_error({"OVH", api_url_, "GET", url, api_url_, "application key"}, resp,
                                 doc && doc->is_object() ? api::str(*doc, "message") : std::string());
      if (e.category() == Category::NotFound) return Error(Category::Dns, e.subject(), e.message());
      return e;
    }
    auto doc = api::parse(resp.body);
    if (!doc || !doc->is_number_integer() || doc->get<long long>() < kMinTime || doc->get<long long>() > kMaxTime)
      return Error(Category::Dns, "GET " + url, "OVH answered without a Unix time: " + api::snippet(resp.body));
    delta_ = doc->get<long long>() - seams_.now();
    return *delta_;
  }

  /// "$1$" + hex(SHA-1(AS+CK+METHOD+URL+BODY+TIMESTAMP, joined by "+")).
  std::string signature(const std::string& method, const std::string& url, const std::string& body,
                        const std::string& timestamp) const {
    SecretBytes text = app_secret_.clone();
    for (std::string_view part : {std::string_view("+"), consumer_key_.view(), std::string_view("+"),
                                  std::string_view(method), std::string_view("+"), std::string_view(url),
                                  std::string_view("+"), std::string_view(body), std::string_view("+"),
                                  std::string_view(timestamp)})
      text.append(part);
    return "$1$" + crypto::hex_encode(crypto::sha1(text.view()));
  }

  /// One signed API call; the JSON answer on 2xx (null for an empty body). A 404 is a NotFound
  /// error (the caller decides what a missing zone or record means); the others are Dns errors
  /// with OVH's message.
  Result<Json> call(const std::string& method, const std::string& url, std::string body, const std::string& subject) {
    TRY_ASSIGN(const long long delta, time_delta());
    const std::string timestamp = std::to_string(seams_.now() + delta);
    const std::string sig = signature(method, url, body, timestamp);
    http::Request req = api::json_request(method, url, {"X-Ovh-Application", app_key_}, body);
    req.headers.push_back({"X-Ovh-Consumer", std::string(consumer_key_.view())});
    req.headers.push_back({"X-Ovh-Timestamp", timestamp});
    req.headers.push_back({"X-Ovh-Signature", sig});
    TRY_ASSIGN(auto resp, api::send(*client_, std::move(req)));
    auto doc = api::parse(resp.body);
    if (resp.status >= 200 && resp.status <= 299) {
      if (resp.body.empty()) return Json();
      if (!doc)
        return Error(Category::Dns, method + " " + url,
                     fmt::format("OVH answered HTTP {} without JSON: {}", resp.status, api::snippet(resp.body)));
      return std::move(*doc);
    }
    const std::string message = doc && doc->is_object() ? api::str(*doc, "message") : std::string();
    const std::string code = doc && doc->is_object() ? api::str(*doc, "errorCode") : std::string();
    if (resp.status == 400 && credential_refused(code, message))
      return Error(Category::Dns, api_url_,
                   fmt::format("OVH rejected the application key, application secret or consumer key (HTTP 400): {}",
                               message));
    return api::answer_error({"OVH", api_url_, method, url, subject, "application key, application secret or consumer key"},
                             resp, message);
  }

  int ttl_;
  std::unique_ptr<http::Client> client_;
  std::string api_url_;
  std::string app_key_;
  SecretBytes app_secret_;
  SecretBytes consumer_key_;
  Seams seams_;
  std::optional<long long> delta_;
  std::set<std::string> known_zones_;
  std::map<std::pair<std::string, std::string>, Created> created_;  ///< (fqdn, value) -> zone and id
};

/// The API base URL for the endpoint option: a region name or an http(s) URL.
Result<std::string> endpoint_url(const ProviderConfig& config) {
  const std::string endpoint = api::option(config, "endpoint", "ovh-eu");
  for (const auto& [name, url] : kEndpoints)
    if (endpoint == name) return std::string(url);
  if (endpoint.rfind("http://", 0) == 0 || endpoint.rfind("https://", 0) == 0) return api::base_url(config, "endpoint");
  std::vector<std::string_view> names;
  for (const auto& e : kEndpoints) names.push_back(e.first);
  return Error(Category::Usage, api::provider_subject(config),
               fmt::format("endpoint '{}' is neither an OVH region ({}) nor an http:// or https:// URL", endpoint,
                           fmt::join(names, ", ")));
}

}  // namespace

Result<std::unique_ptr<Provider>> make_ovh(const ProviderConfig& config, std::unique_ptr<http::Client> client,
                                           Seams seams) {
  TRY_ASSIGN(auto url, endpoint_url(config));
  const std::string app_key = api::option(config, "application-key");
  if (app_key.empty()) return Error(Category::Usage, api::provider_subject(config), "option application-key is required");
  for (unsigned char c : app_key)
    if (c <= 0x20 || c >= 0x7f)
      return Error(Category::Usage, api::provider_subject(config),
                   "application-key holds a blank or a character that cannot go into an HTTP header");
  TRY_ASSIGN(auto secret, api::required_secret(config, "application-secret"));
  TRY_ASSIGN(auto consumer, api::required_secret(config, "consumer-key"));
  return std::unique_ptr<Provider>(std::make_unique<Ovh>(config, std::move(client), std::move(url), app_key,
                                                         std::move(secret), std::move(consumer),
                                                         with_real(std::move(seams))));
}

ProviderType ovh_type() {
  return api::http_provider(
      "ovh",
      "OVHcloud DNS, through the OVH API v1 with an application key, its secret and a consumer key",
      {
          {"application-key", true, false, "the application key (AK) of an OVH API application"},
          {"application-secret", true, true, "the application's secret (AS)"},
          {"consumer-key", true, true, "a consumer key (CK) allowed to edit /domain/zone/*"},
          {"endpoint", false, false,
           "API region: ovh-eu (default), ovh-ca, ovh-us, kimsufi-eu, kimsufi-ca, soyoustart-eu, soyoustart-ca, "
           "or an http(s):// base URL"},
      },
      &make_ovh);
}

}  // namespace certctl::dns
