/// `hetzner`: TXT RRSets through the DNS part of the Hetzner Cloud API (Hetzner Console DNS, which
/// replaced the DNS Console API of dns.hetzner.com), authenticated with a project API token
/// (`Authorization: Bearer`). A record's zone is confirmed once per run with
/// `GET /v1/zones/{zone}` (a zone may be named by its name). Each name's TXT RRSet is read
/// (`GET /v1/zones/{zone}/rrsets/{name}/TXT`, the name relative to the zone, "@" at its apex);
/// present adds the values that are missing (`POST .../actions/add_records`, which creates the
/// RRSet when there is none), cleanup removes exactly its values as the RRSet holds them
/// (`POST .../actions/remove_records`; Hetzner deletes an RRSet left empty). Both answer with an
/// action, polled at `GET /v1/actions/{id}` until it succeeds or fails, for at most
/// kActionPolls seconds. TXT values are quoted character-strings, as the API wants them.
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

constexpr std::string_view kDefaultApi = "https://api.hetzner.cloud/v1";
/// How often an action still "running" is asked about again, one second apart.
constexpr int kActionPolls = 60;
constexpr std::chrono::seconds kActionPollInterval{1};

/// A TXT RRSet as Hetzner holds it: each record's value as stored (quoted), and whether it exists.
struct RrSet {
  bool exists = false;
  std::vector<std::string> values;
};

class Hetzner final : public Provider {
 public:
  Hetzner(const ProviderConfig& config, std::unique_ptr<http::Client> client, std::string api_url, SecretBytes token,
          Seams seams)
      : ttl_(config.ttl),
        client_(std::move(client)),
        api_url_(std::move(api_url)),
        token_(std::move(token)),
        seams_(std::move(seams)) {}

  std::string_view type() const override { return "hetzner"; }

  Status present(const std::vector<TxtRecord>& records) override {
    for (const auto& [fqdn, name] : api::by_name(records)) {
      const std::vector<std::string>& values = name.values;
      TRY_ASSIGN(const std::string zone, zone_of(fqdn, name.zone));
      TRY_ASSIGN(const RrSet have, read(zone, fqdn));
      Json add = Json::array();
      for (const auto& v : values) {
        const bool there = std::any_of(have.values.begin(), have.values.end(),
                                       [&v](const std::string& rr) { return api::unquote_txt(rr) == v; });
        const Json rec = {{"value", api::quote_txt(v)}};
        if (!there && std::find(add.begin(), add.end(), rec) == add.end()) add.push_back(rec);
      }
      if (add.empty()) continue;  // every value there already
      Json body = {{"records", add}};
      if (!have.exists) body["ttl"] = ttl_;  // an existing RRSet keeps its TTL
      TRY(act(rrset_url(zone, fqdn) + "/actions/add_records", body.dump(), fqdn));
    }
    return ok();
  }

  Status cleanup(const std::vector<TxtRecord>& records) override {
    for (const auto& [fqdn, name] : api::by_name(records)) {
      const std::vector<std::string>& ours = name.values;  // not the binding: clang 14 cannot capture one
      TRY_ASSIGN(const std::string zone, zone_of(fqdn, name.zone));
      TRY_ASSIGN(const RrSet have, read(zone, fqdn));
      Json remove = Json::array();
      for (const auto& rr : have.values)
        if (std::find(ours.begin(), ours.end(), api::unquote_txt(rr)) != ours.end()) remove.push_back({{"value", rr}});
      if (remove.empty()) continue;  // nothing of ours (any more)
      auto done = act(rrset_url(zone, fqdn) + "/actions/remove_records", Json{{"records", remove}}.dump(), fqdn);
      if (!done && done.error().category() != Category::NotFound) return std::move(done).error();
    }
    return ok();
  }

 private:
  std::string zone_url(const std::string& zone) const { return api_url_ + "/zones/" + api::url_encode(zone); }
  std::string rrset_url(const std::string& zone, const std::string& fqdn) const {
    const std::string name = api::relative_name(fqdn, zone, "@");
    return zone_url(zone) + "/rrsets/" + (name == "@" ? name : api::url_encode(name)) + "/TXT";
  }

  /// The record's zone (no trailing dot), confirmed as a zone of the project once per run.
  Result<std::string> zone_of(const std::string& fqdn, const std::string& zone) {
    if (zone.empty()) return Error(Category::Internal, fqdn, "no zone for this record");
    if (known_zones_.count(zone)) return zone;
    auto doc = call("GET", zone_url(zone), {}, zone + ".");
    if (!doc && doc.error().category() == Category::NotFound)
      return Error(Category::Dns, zone + ".",
                   "zone not found in the Hetzner project (GET /v1/zones/" + zone +
                       " answered 404; check the zone name and that the token belongs to its project)");
    if (!doc) return std::move(doc).error();
    const Json* z = doc->contains("zone") ? &(*doc)["zone"] : nullptr;
    if (!z || !z->is_object() || api::str(*z, "name").empty())
      return Error(Category::Dns, "GET " + zone_url(zone), "Hetzner answered without zone.name");
    known_zones_.insert(zone);
    return zone;
  }

  /// The TXT RRSet at the name; one that does not exist holds no values.
  Result<RrSet> read(const std::string& zone, const std::string& fqdn) {
    const std::string url = rrset_url(zone, fqdn);
    auto doc = call("GET", url, {}, fqdn);
    if (!doc && doc.error().category() == Category::NotFound) return RrSet{};
    if (!doc) return std::move(doc).error();
    const Json* set = doc->contains("rrset") ? &(*doc)["rrset"] : nullptr;
    if (!set || !set->is_object() || !set->contains("records") || !(*set)["records"].is_array())
      return Error(Category::Dns, "GET " + url, "Hetzner answered without rrset.records[]");
    RrSet out{true, {}};
    for (const auto& rec : (*set)["records"])
      if (rec.is_object() && rec.contains("value") && rec["value"].is_string()) out.values.push_back(api::str(rec, "value"));
    return out;
  }

  /// POST an RRSet action, then wait until Hetzner reports it done: an error when it fails,
  /// or when it is still running after kActionPolls polls.
  Status act(const std::string& url, std::string body, const std::string& subject) {
    TRY_ASSIGN(Json doc, call("POST", url, std::move(body), subject));
    for (int poll = 0;; ++poll) {
      const Json* a = doc.contains("action") ? &doc["action"] : nullptr;
      if (!a || !a->is_object() || !a->contains("id") || !(*a)["id"].is_number_integer())
        return Error(Category::Dns, "POST " + url, "Hetzner answered without action.id");
      const long long id = (*a)["id"].get<long long>();
      const std::string status = api::str(*a, "status");
      if (status == "success") return ok();
      if (status == "error") {
        std::string why;
        if (a->contains("error") && (*a)["error"].is_object())
          why = api::str((*a)["error"], "message") + " (" + api::str((*a)["error"], "code") + ")";
        return Error(Category::Dns, subject,
                     fmt::format("Hetzner action {} ({}) failed{}", id, api::str(*a, "command"),
                                 why.empty() ? std::string() : ": " + why));
      }
      if (status != "running")
        return Error(Category::Dns, subject, fmt::format("Hetzner action {} has an unknown status '{}'", id, status));
      if (poll >= kActionPolls)
        return Error(Category::Dns, subject,
                     fmt::format("Hetzner action {} ({}) still running after {} seconds", id, api::str(*a, "command"),
                                 kActionPolls));
      seams_.sleep(kActionPollInterval);
      TRY_ASSIGN(doc, call("GET", fmt::format("{}/actions/{}", api_url_, id), {}, subject));
    }
  }

  /// One API call; the JSON object on 2xx. A 404 is a NotFound error (the caller decides what a
  /// missing zone or RRSet means); the others are Dns errors with Hetzner's error.message.
  Result<Json> call(const std::string& method, const std::string& url, std::string body, const std::string& subject) {
    http::Request req =
        api::json_request(method, url, {"Authorization", "Bearer " + std::string(token_.view())}, std::move(body));
    TRY_ASSIGN(auto resp, api::send(*client_, std::move(req), seams_.sleep));
    if (resp.status >= 200 && resp.status <= 299) return api::json_answer("Hetzner", method, url, resp);
    auto doc = api::parse(resp.body);
    std::string detail;
    if (doc && doc->is_object() && doc->contains("error") && (*doc)["error"].is_object()) {
      detail = api::str((*doc)["error"], "message");
      const std::string code = api::str((*doc)["error"], "code");
      if (!code.empty()) detail += (detail.empty() ? "" : " ") + ("(" + code + ")");
    }
    return api::answer_error({"Hetzner", api_url_, method, url, subject}, resp, std::move(detail));
  }

  int ttl_;
  std::unique_ptr<http::Client> client_;
  std::string api_url_;
  SecretBytes token_;
  Seams seams_;
  std::set<std::string> known_zones_;
};

}  // namespace

Result<std::unique_ptr<Provider>> make_hetzner(const ProviderConfig& config, std::unique_ptr<http::Client> client,
                                               Seams seams) {
  TRY_ASSIGN(auto url, api::base_url(config, "api-url", kDefaultApi));
  TRY_ASSIGN(auto token, api::required_secret(config, "api-token"));
  return std::unique_ptr<Provider>(
      std::make_unique<Hetzner>(config, std::move(client), std::move(url), std::move(token), with_real(std::move(seams))));
}

ProviderType hetzner_type() {
  return api::http_provider("hetzner", "Hetzner DNS, through the Hetzner Cloud API with an API token", {
      {"api-token", true, true, "Hetzner Cloud API token (read & write) of the project that holds the zone"},
      {"api-url", false, false, "API base URL (default: https://api.hetzner.cloud/v1)"},
  }, &make_hetzner);
}

}  // namespace certctl::dns
