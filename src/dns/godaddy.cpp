/// `godaddy`: TXT records through the GoDaddy Domains API v1, authenticated with an API key and
/// its secret (`Authorization: sso-key KEY:SECRET`). A record's zone is a domain of the account:
/// `GET /v1/domains/{zone}` confirms it once per run (404: not in the account; 403
/// ACCESS_DENIED: the account has no access to the API). GoDaddy edits the TXT records of one
/// name as a set, so each name is read (`GET /v1/domains/{zone}/records/TXT/{name}`, "@" at the
/// apex, page by page with offset/limit until an empty page) and written once per call: present PUTs the records
/// there plus the missing values (`PUT .../records/TXT/{name}`, [{"data","ttl"}]), cleanup PUTs
/// what is left without its values, or DELETEs the name's TXT records when nothing is left (a
/// 404 there: gone already). Others' values at the name keep their data and TTL. TXT data goes
/// unquoted; GoDaddy's minimum TTL, 600 seconds, is used when the configured TTL is lower.
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

constexpr std::string_view kDefaultApi = "https://api.godaddy.com";
/// The lowest TTL GoDaddy accepts.
constexpr int kMinTtl = 600;
/// Records asked for per page (offset/limit), and the most pages read for one name.
constexpr int kPageSize = 500;
constexpr int kMaxPages = 50;

/// One TXT record at a name as GoDaddy lists it.
struct Txt {
  std::string data;
  int ttl = 0;
};

class GoDaddy final : public Provider {
 public:
  GoDaddy(const ProviderConfig& config, std::unique_ptr<http::Client> client, std::string api_url, SecretBytes key,
          SecretBytes secret)
      : ttl_(std::max(config.ttl, kMinTtl)),
        client_(std::move(client)),
        api_url_(std::move(api_url)),
        key_(std::move(key)),
        secret_(std::move(secret)) {}

  std::string_view type() const override { return "godaddy"; }

  Status present(const std::vector<TxtRecord>& records) override {
    for (const auto& [fqdn, name] : api::by_name(records)) {
      const std::vector<std::string>& values = name.values;
      TRY_ASSIGN(const std::string zone, zone_of(fqdn, name.zone));
      TRY_ASSIGN(std::vector<Txt> have, read(zone, fqdn));
      std::vector<Txt> want = have;
      for (const auto& v : values)
        if (std::none_of(want.begin(), want.end(), [&v](const Txt& t) { return api::unquote_txt(t.data) == v; }))
          want.push_back(Txt{v, ttl_});
      if (want.size() == have.size()) continue;  // every value there already
      TRY(call("PUT", name_url(zone, fqdn), body_of(want), fqdn));
    }
    return ok();
  }

  Status cleanup(const std::vector<TxtRecord>& records) override {
    for (const auto& [fqdn, name] : api::by_name(records)) {
      const std::vector<std::string>& ours = name.values;  // not the binding: clang 14 cannot capture one
      TRY_ASSIGN(const std::string zone, zone_of(fqdn, name.zone));
      TRY_ASSIGN(std::vector<Txt> have, read(zone, fqdn));
      std::vector<Txt> left = have;
      std::erase_if(left, [&ours](const Txt& t) {
        return std::find(ours.begin(), ours.end(), api::unquote_txt(t.data)) != ours.end();
      });
      if (left.size() == have.size()) continue;  // nothing of ours (left)
      auto done = left.empty() ? call("DELETE", name_url(zone, fqdn), {}, fqdn)
                               : call("PUT", name_url(zone, fqdn), body_of(left), fqdn);
      if (!done && done.error().category() != Category::NotFound) return std::move(done).error();
    }
    return ok();
  }

 private:
  static std::string body_of(const std::vector<Txt>& records) {
    Json list = Json::array();
    for (const auto& t : records) list.push_back({{"data", t.data}, {"ttl", t.ttl}});
    return list.dump();
  }

  std::string domain_url(const std::string& zone) const { return api_url_ + "/v1/domains/" + api::url_encode(zone); }
  std::string name_url(const std::string& zone, const std::string& fqdn) const {
    const std::string name = api::relative_name(fqdn, zone, "@");  // '@' may stand in a path as it is
    return domain_url(zone) + "/records/TXT/" + (name == "@" ? name : api::url_encode(name));
  }

  /// The record's zone (no trailing dot), confirmed as a domain of the account once per run.
  Result<std::string> zone_of(const std::string& fqdn, const std::string& zone) {
    if (zone.empty()) return Error(Category::Internal, fqdn, "no zone for this record");
    if (known_zones_.count(zone)) return zone;
    auto doc = call("GET", domain_url(zone), {}, zone + ".");
    if (!doc && doc.error().category() == Category::NotFound)
      return Error(Category::Dns, zone + ".",
                   "zone not found in the GoDaddy account (GET /v1/domains/" + zone +
                       " answered 404; check the zone name and that the key belongs to the account that holds it)");
    if (!doc) return std::move(doc).error();
    known_zones_.insert(zone);
    return zone;
  }

  /// The TXT records at the name, every page: offset/limit until a page comes back empty (the
  /// API may hold a page to fewer records than asked for).
  Result<std::vector<Txt>> read(const std::string& zone, const std::string& fqdn) {
    std::vector<Txt> out;
    const std::string name = api::relative_name(fqdn, zone, "@");
    std::size_t offset = 0;
    for (int page = 0; page < kMaxPages; ++page) {
      const std::string url = fmt::format("{}?offset={}&limit={}", name_url(zone, fqdn), offset, kPageSize);
      auto doc = call("GET", url, {}, fqdn);
      if (!doc && doc.error().category() == Category::NotFound) return out;  // no (more) records at the name
      if (!doc) return std::move(doc).error();
      if (!doc->is_array()) return Error(Category::Dns, "GET " + url, "GoDaddy answered without a JSON array of records");
      if (doc->empty()) return out;
      for (const auto& rec : *doc) {
        if (!rec.is_object() || !rec.contains("data") || !rec["data"].is_string())
          return Error(Category::Dns, "GET " + url, "GoDaddy answered a record without a data string");
        const std::string type = api::str(rec, "type"), rname = api::str(rec, "name");
        if ((!type.empty() && type != "TXT") || (!rname.empty() && rname != name)) continue;
        int ttl = ttl_;
        if (rec.contains("ttl") && rec["ttl"].is_number_integer()) {
          const long long t = rec["ttl"].get<long long>();
          if (t >= kMinTtl && t <= 86400 * 365) ttl = static_cast<int>(t);
        }
        out.push_back(Txt{rec["data"].get<std::string>(), ttl});
      }
      offset += doc->size();
    }
    return Error(Category::Dns, fqdn, fmt::format("GoDaddy lists more than {} pages of TXT records at this name", kMaxPages));
  }

  /// One API call; the JSON answer on 2xx (null when the body is empty). A 404 is a NotFound
  /// error (the caller decides what a missing domain or name means); the others are Dns errors
  /// with GoDaddy's code, message and fields.
  Result<Json> call(const std::string& method, const std::string& url, std::string body, const std::string& subject) {
    std::string auth = "sso-key " + std::string(key_.view()) + ":" + std::string(secret_.view());
    http::Request req = api::json_request(method, url, {"Authorization", std::move(auth)}, std::move(body));
    req.headers.push_back({"Accept", "application/json"});
    TRY_ASSIGN(auto resp, api::send(*client_, std::move(req)));
    auto doc = api::parse(resp.body);
    if (resp.status >= 200 && resp.status <= 299) {
      if (resp.body.find_first_not_of(" \t\r\n") == std::string::npos) return Json();
      if (!doc || !(doc->is_object() || doc->is_array()))
        return Error(Category::Dns, method + " " + url,
                     fmt::format("GoDaddy answered HTTP {} without JSON: {}", resp.status, api::snippet(resp.body)));
      return std::move(*doc);
    }
    std::string detail, code;
    if (doc && doc->is_object()) {
      code = api::str(*doc, "code");
      detail = api::str(*doc, "message");
      if (!code.empty()) detail = detail.empty() ? code : code + ": " + detail;
      if (doc->contains("fields") && (*doc)["fields"].is_array())
        for (const auto& f : (*doc)["fields"]) {
          const std::string path = api::str(f, "path"), msg = api::str(f, "message");
          if (msg.empty()) continue;
          detail += (detail.empty() ? "" : "; ") + (path.empty() ? msg : path + ": " + msg);
        }
    }
    if (resp.status == 403 && code == "ACCESS_DENIED")
      detail += " (GoDaddy gives access to its Domains API only to some accounts, and a key works only in the "
                "environment it was made for, production or OTE: check both at developer.godaddy.com)";
    return api::answer_error({"GoDaddy", api_url_, method, url, subject, "API key and secret"}, resp, std::move(detail));
  }

  int ttl_;
  std::unique_ptr<http::Client> client_;
  std::string api_url_;
  SecretBytes key_, secret_;
  std::set<std::string> known_zones_;
};

}  // namespace

Result<std::unique_ptr<Provider>> make_godaddy(const ProviderConfig& config, std::unique_ptr<http::Client> client) {
  TRY_ASSIGN(auto url, api::base_url(config, "api-url", kDefaultApi));
  TRY_ASSIGN(auto key, api::required_secret(config, "api-key"));
  TRY_ASSIGN(auto secret, api::required_secret(config, "api-secret"));
  if (key.view().find(':') != std::string_view::npos)
    return Error(Category::Usage, api::provider_subject(config),
                 "secret api-key contains ':' (GoDaddy keys do not; is it KEY:SECRET? give them apart)");
  return std::unique_ptr<Provider>(
      std::make_unique<GoDaddy>(config, std::move(client), std::move(url), std::move(key), std::move(secret)));
}

ProviderType godaddy_type() {
  return api::http_provider("godaddy", "GoDaddy DNS, through the Domains API v1 with an API key and secret", {
      {"api-key", true, true, "GoDaddy API key (developer.godaddy.com/keys), production or OTE"},
      {"api-secret", true, true, "the API key's secret"},
      {"api-url", false, false, "API base URL (default: https://api.godaddy.com; OTE: https://api.ote-godaddy.com)"},
  }, &make_godaddy);
}

}  // namespace certctl::dns
