/// `azure`: TXT record sets through the Azure DNS REST API (Azure Resource Manager,
/// api-version 2018-05-01), with an access token from Microsoft Entra ID's client-credentials
/// grant (`POST {login-url}/{tenant}/oauth2/v2.0/token`, scope `{api-url}/.default`), cached
/// for the run until shortly before it expires.
///
/// A record's zone (found by SOA) is a DNS zone resource of the subscription: with
/// `resource-group`, `GET .../resourceGroups/{rg}/providers/Microsoft.Network/dnsZones/{zone}`
/// confirms it; without, the subscription's zones are listed (`GET
/// /subscriptions/{sub}/providers/Microsoft.Network/dnszones`, page by page through nextLink)
/// and the zone of that exact name gives its resource group. Azure DNS edits whole record
/// sets, guarded by etags: each name's TXT record set is read (`GET .../dnsZones/{zone}/TXT/{name}`,
/// "@" at the apex) and written once per call, present with the union of its values (`PUT`
/// with If-Match, or If-None-Match: * when creating it), cleanup with what is left (`PUT`
/// with If-Match, or `DELETE` with If-Match when nothing is). A 412 (someone else changed the
/// set in between) reads it again, a bounded number of times. Others' values, the set's TTL
/// and metadata stay. A value longer than 255 characters is several strings of one record.
#include "dns/http_api.hpp"
#include "dns/providers.hpp"
#include "dns/wire.hpp"

#include <certctl/trace.hpp>

#include <openssl/crypto.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <map>
#include <utility>

namespace certctl::dns {
namespace {

using api::Json;

constexpr std::string_view kDefaultApi = "https://management.azure.com";
constexpr std::string_view kDefaultLogin = "https://login.microsoftonline.com";
constexpr std::string_view kApiVersion = "2018-05-01";
/// The most pages of the subscription's zone list read (100 zones a page by default).
constexpr int kMaxPages = 50;
/// How often a write answered 412 Precondition Failed is read and tried again.
constexpr int kMaxConflicts = 5;
/// The longest character-string in a TXT record.
constexpr std::size_t kMaxString = 255;
/// A token is renewed this long before it expires; a lifetime above kMaxLifetime is cut to it.
constexpr long kTokenMargin = 60;
constexpr long kMaxLifetime = 86400;

/// application/x-www-form-urlencoded, every byte but the unreserved ones percent-encoded.
std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// The resource group named in an ARM resource id (".../resourceGroups/{rg}/..."), or "".
std::string resource_group_of(const std::string& id) {
  const std::string key = "/resourcegroups/";
  const std::size_t at = lower(id).find(key);
  if (at == std::string::npos) return {};
  const std::size_t from = at + key.size(), to = id.find('/', from);
  return id.substr(from, to == std::string::npos ? std::string::npos : to - from);
}

/// ARM's error document {"error": {"code", "message"}} as "code: message" (first line only).
std::string arm_detail(const http::Response& resp, std::string* code = nullptr) {
  auto doc = api::parse(resp.body);
  if (!doc || !doc->is_object() || !doc->contains("error") || !(*doc)["error"].is_object()) return {};
  const Json& e = (*doc)["error"];
  const std::string c = api::str(e, "code"), m = api::snippet(api::str(e, "message"));
  if (code) *code = c;
  if (c.empty()) return m;
  return m.empty() ? c : c + ": " + m;
}

/// A TXT record's strings joined: the value it holds.
std::string joined(const Json& record) {
  std::string out;
  if (record.is_object() && record.contains("value") && record["value"].is_array())
    for (const auto& s : record["value"])
      if (s.is_string()) out += s.get<std::string>();
  return out;
}

/// A value as the strings of one TXT record, each at most 255 characters.
Json split(const std::string& value) {
  Json strings = Json::array();
  for (std::size_t i = 0; i < value.size() || i == 0; i += kMaxString) strings.push_back(value.substr(i, kMaxString));
  return Json{{"value", strings}};
}

/// A TXT record set as read: its etag, TTL, metadata and records.
struct RecordSet {
  std::string etag;
  Json ttl;       ///< as Azure has it (kept when writing)
  Json metadata;  ///< null when none
  std::vector<Json> records;
};

/// A DNS zone resource of the subscription.
struct Zone {
  std::string name;  ///< as Azure names it, no trailing dot
  std::string resource_group;
};

struct Settings {
  std::string api_url, login_url, tenant, client_id, subscription, resource_group;
};

class Azure final : public Provider {
 public:
  Azure(const ProviderConfig& config, std::unique_ptr<http::Client> client, Settings s, SecretBytes secret)
      : ttl_(config.ttl), client_(std::move(client)), s_(std::move(s)), secret_(std::move(secret)) {}

  std::string_view type() const override { return "azure"; }

  Status present(const std::vector<TxtRecord>& records) override {
    for (const auto& [fqdn, name] : api::by_name(records)) {
      const std::vector<std::string>& values = name.values;
      TRY_ASSIGN(const Zone zone, zone_of(fqdn, name.zone));
      for (int attempt = 0;; ++attempt) {
        if (attempt == kMaxConflicts) return conflict(fqdn);
        TRY_ASSIGN(std::optional<RecordSet> have, read(zone, fqdn));
        std::vector<Json> want = have ? have->records : std::vector<Json>();
        for (const auto& v : values)
          if (std::none_of(want.begin(), want.end(), [&v](const Json& r) { return joined(r) == v; }))
            want.push_back(split(v));
        if (have && want.size() == have->records.size()) break;  // every value there already
        TRY_ASSIGN(const bool written, write(zone, fqdn, have, want));
        if (written) break;
      }
    }
    return ok();
  }

  Status cleanup(const std::vector<TxtRecord>& records) override {
    for (const auto& [fqdn, name] : api::by_name(records)) {
      const std::vector<std::string>& ours = name.values;  // not the binding: clang 14 cannot capture one
      TRY_ASSIGN(const Zone zone, zone_of(fqdn, name.zone));
      for (int attempt = 0;; ++attempt) {
        if (attempt == kMaxConflicts) return conflict(fqdn);
        TRY_ASSIGN(std::optional<RecordSet> have, read(zone, fqdn));
        if (!have) break;  // no record set: nothing of ours
        std::vector<Json> left = have->records;
        std::erase_if(left, [&ours](const Json& r) { return std::find(ours.begin(), ours.end(), joined(r)) != ours.end(); });
        if (left.size() == have->records.size()) break;
        TRY_ASSIGN(const bool written, write(zone, fqdn, have, left));
        if (written) break;
      }
    }
    return ok();
  }

 private:
  std::string query() const { return "?api-version=" + std::string(kApiVersion); }
  std::string subscription_url() const { return s_.api_url + "/subscriptions/" + api::url_encode(s_.subscription); }
  std::string zone_url(const std::string& rg, const std::string& zone) const {
    return subscription_url() + "/resourceGroups/" + api::url_encode(rg) + "/providers/Microsoft.Network/dnsZones/" +
           api::url_encode(zone);
  }
  std::string record_url(const Zone& z, const std::string& fqdn) const {
    const std::string rel = api::relative_name(fqdn, z.name, "@");  // '@' may stand in a path as it is
    return zone_url(z.resource_group, z.name) + "/TXT/" + (rel == "@" ? rel : api::url_encode(rel)) + query();
  }

  Error conflict(const std::string& fqdn) const {
    return Error(Category::Dns, fqdn,
                 fmt::format("Azure DNS kept answering 412 Precondition Failed: the TXT record set changed under "
                             "each of {} tries",
                             kMaxConflicts));
  }

  /// The zone resource (asked once per zone and run).
  Result<Zone> zone_of(const std::string& fqdn, const std::string& soa_zone) {
    if (soa_zone.empty()) return Error(Category::Internal, fqdn, "no zone for this record");
    const std::string key = lower(soa_zone);
    if (auto it = zones_.find(key); it != zones_.end()) return it->second;
    TRY_ASSIGN(Zone z, s_.resource_group.empty() ? find_zone(soa_zone) : get_zone(soa_zone));
    return zones_[key] = z;
  }

  /// GET the zone in the configured resource group.
  Result<Zone> get_zone(const std::string& zone) {
    const std::string url = zone_url(s_.resource_group, zone) + query();
    TRY_ASSIGN(http::Response resp, send("GET", url, {}, {}));
    if (resp.status == 404) {
      std::string code;
      const std::string detail = arm_detail(resp, &code);
      const std::string what = code == "ResourceGroupNotFound"
                                   ? fmt::format("resource group '{}' not found in subscription {}", s_.resource_group,
                                                 s_.subscription)
                                   : fmt::format("zone not found in resource group '{}' of subscription {}",
                                                 s_.resource_group, s_.subscription);
      return Error(Category::Dns, zone + ".", detail.empty() ? what : what + " (Azure: " + detail + ")");
    }
    if (resp.status < 200 || resp.status > 299) return fail("GET", url, zone + ".", resp);
    TRY_ASSIGN(Json doc, api::json_answer("Azure DNS", "GET", url, resp));
    if (!wire::same_name(api::str(doc, "name"), zone))
      return Error(Category::Dns, "GET " + url, "Azure DNS answered with another zone: '" + api::str(doc, "name") + "'");
    return Zone{api::str(doc, "name"), s_.resource_group};
  }

  /// The zone of that exact name among the subscription's, page by page.
  Result<Zone> find_zone(const std::string& zone) {
    std::string url = subscription_url() + "/providers/Microsoft.Network/dnszones" + query();
    int listed = 0;
    for (int page = 0; page < kMaxPages; ++page) {
      TRY_ASSIGN(http::Response resp, send("GET", url, {}, {}));
      if (resp.status == 404) {
        const std::string detail = arm_detail(resp);
        return Error(Category::Dns, zone + ".",
                     fmt::format("subscription {} not found{}", s_.subscription,
                                 detail.empty() ? "" : " (Azure: " + detail + ")"));
      }
      if (resp.status < 200 || resp.status > 299) return fail("GET", url, zone + ".", resp);
      TRY_ASSIGN(Json doc, api::json_answer("Azure DNS", "GET", url, resp));
      if (!doc.contains("value") || !doc["value"].is_array())
        return Error(Category::Dns, "GET " + url, "Azure DNS answered without value[]");
      for (const auto& z : doc["value"]) {
        ++listed;
        if (!wire::same_name(api::str(z, "name"), zone)) continue;
        const std::string rg = resource_group_of(api::str(z, "id"));
        if (rg.empty())
          return Error(Category::Dns, "GET " + url, "Azure DNS listed the zone without a resource group in its id");
        return Zone{api::str(z, "name"), rg};
      }
      const std::string next = api::str(doc, "nextLink");
      if (next.empty()) {
        return Error(Category::Dns, zone + ".",
                     fmt::format("zone not found in subscription {} ({} DNS zones listed; check the zone name and "
                                 "that the application may read it)",
                                 s_.subscription, listed));
      }
      if (next.rfind(s_.api_url + "/", 0) != 0)  // the token goes only to api-url
        return Error(Category::Dns, "GET " + url, "Azure DNS's nextLink points outside " + s_.api_url + ": " + api::snippet(next));
      url = next;
    }
    return Error(Category::Dns, zone + ".",
                 fmt::format("subscription {} lists more than {} pages of DNS zones", s_.subscription, kMaxPages));
  }

  /// The TXT record set at the name, or nullopt when there is none.
  Result<std::optional<RecordSet>> read(const Zone& z, const std::string& fqdn) {
    const std::string url = record_url(z, fqdn);
    TRY_ASSIGN(http::Response resp, send("GET", url, {}, {}));
    if (resp.status == 404) return std::optional<RecordSet>();
    if (resp.status < 200 || resp.status > 299) return fail("GET", url, fqdn, resp);
    TRY_ASSIGN(Json doc, api::json_answer("Azure DNS", "GET", url, resp));
    RecordSet out;
    out.etag = api::str(doc, "etag");
    if (out.etag.empty()) return Error(Category::Dns, "GET " + url, "Azure DNS answered a record set without an etag");
    if (!doc.contains("properties") || !doc["properties"].is_object())
      return Error(Category::Dns, "GET " + url, "Azure DNS answered a record set without properties");
    const Json& p = doc["properties"];
    if (p.contains("TTL") && p["TTL"].is_number_integer()) out.ttl = p["TTL"];
    if (p.contains("metadata") && p["metadata"].is_object()) out.metadata = p["metadata"];
    if (p.contains("TXTRecords")) {
      if (!p["TXTRecords"].is_array())
        return Error(Category::Dns, "GET " + url, "Azure DNS answered with TXTRecords that is not a list");
      for (const auto& r : p["TXTRecords"]) {
        if (!r.is_object() || !r.contains("value") || !r["value"].is_array())
          return Error(Category::Dns, "GET " + url, "Azure DNS answered a TXT record without value[]");
        Json strings = Json::array();
        for (const auto& s : r["value"])
          if (s.is_string()) strings.push_back(s);
        out.records.push_back(Json{{"value", strings}});
      }
    }
    return std::optional<RecordSet>(std::move(out));
  }

  /// Write the record set (PUT, or DELETE when records is empty) against what was read; false
  /// when Azure answered 412 (it changed in between: read it again).
  Result<bool> write(const Zone& z, const std::string& fqdn, const std::optional<RecordSet>& have,
                     const std::vector<Json>& records) {
    const std::string url = record_url(z, fqdn);
    std::vector<http::Header> cond;
    if (have) cond.push_back({"If-Match", have->etag});
    else cond.push_back({"If-None-Match", "*"});
    std::string method = "DELETE", body;
    if (!records.empty()) {
      Json props = {{"TTL", have && !have->ttl.is_null() ? have->ttl : Json(ttl_)}, {"TXTRecords", records}};
      if (have && !have->metadata.is_null()) props["metadata"] = have->metadata;
      method = "PUT";
      body = Json{{"properties", props}}.dump();
    }
    TRY_ASSIGN(http::Response resp, send(method, url, std::move(body), std::move(cond)));
    if (resp.status == 412) return false;
    if (method == "DELETE" && resp.status == 404) return true;  // gone already
    if (resp.status < 200 || resp.status > 299) return fail(method, url, fqdn, resp);
    return true;
  }

  Error fail(const std::string& method, const std::string& url, const std::string& subject, const http::Response& resp) {
    return api::answer_error({"Azure DNS", s_.api_url, method, url, subject, "access token"}, resp, arm_detail(resp));
  }

  /// One ARM request with the access token; an expired token (401 ExpiredAuthenticationToken)
  /// is renewed and the request sent once more.
  Result<http::Response> send(const std::string& method, const std::string& url, std::string body,
                              std::vector<http::Header> extra) {
    for (int round = 0;; ++round) {
      TRY(ensure_token());
      http::Request req = api::json_request(method, url, {"Authorization", "Bearer " + std::string(token_.view())}, body);
      for (const auto& h : extra) req.headers.push_back(h);
      TRY_ASSIGN(http::Response resp, api::send(*client_, std::move(req)));
      if (resp.status == 401 && round == 0) {
        std::string code;
        arm_detail(resp, &code);
        if (code == "ExpiredAuthenticationToken") {
          token_.wipe();
          continue;
        }
      }
      return resp;
    }
  }

  /// A token from Microsoft Entra ID, unless the one held is good for kTokenMargin more seconds.
  Status ensure_token() {
    const auto now = std::chrono::steady_clock::now();
    if (!token_.empty() && now + std::chrono::seconds(kTokenMargin) < expiry_) return ok();
    const std::string url = s_.login_url + "/" + api::url_encode(s_.tenant) + "/oauth2/v2.0/token";
    const std::string scope = s_.api_url + "/.default";
    http::Request req;
    req.method = "POST";
    req.url = url;
    req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
    req.body = api::form_encode({{"client_id", s_.client_id}, {"client_secret", secret_.view()}, {"scope", scope},
                            {"grant_type", "client_credentials"}});
    // The registry keeps the secret out of traces; its form-encoded spelling may differ.
    if (trace::enabled(trace::Level::Steps)) trace::add_secret(api::url_encode(secret_.view()));
    auto sent = api::send(*client_, std::move(req));
    if (!sent) return std::move(sent).error();
    const http::Response& resp = *sent;
    auto doc = api::parse(resp.body);
    if (resp.status != 200) {
      std::string error = doc && doc->is_object() ? api::str(*doc, "error") : std::string();
      std::string detail = doc && doc->is_object() ? api::snippet(api::str(*doc, "error_description")) : std::string();
      if (detail.empty() && error.empty()) detail = api::snippet(resp.body);
      for (std::size_t at; !secret_.empty() && (at = detail.find(secret_.view())) != std::string::npos;)
        detail.replace(at, secret_.size(), "<redacted>");
      const std::string what = error.empty() ? fmt::format("HTTP {}", resp.status) : fmt::format("HTTP {} {}", resp.status, error);
      const bool rejected = resp.status == 401 || error == "invalid_client" || error == "unauthorized_client";
      std::string msg = rejected ? fmt::format("Microsoft Entra ID rejected the client credentials of client-id {} ({})",
                                               s_.client_id, what)
                                 : fmt::format("Microsoft Entra ID refused the token request for tenant {} ({})",
                                               s_.tenant, what);
      if (!detail.empty()) msg += ": " + detail;
      return Error(Category::Dns, s_.login_url, msg);
    }
    if (!doc || !doc->is_object())
      return Error(Category::Dns, "POST " + url, "Microsoft Entra ID answered without a JSON object: " + api::snippet(resp.body));
    const std::string type = api::str(*doc, "token_type");
    const std::string token = api::str(*doc, "access_token");
    if (token.empty() || (!type.empty() && lower(type) != "bearer"))
      return Error(Category::Dns, "POST " + url, "Microsoft Entra ID answered without a Bearer access_token");
    if (token.find_first_of("\r\n") != std::string::npos)
      return Error(Category::Dns, "POST " + url, "Microsoft Entra ID answered an access_token with a line break");
    long lifetime = 0;  // unknown: use it for this request only
    if (doc->contains("expires_in")) {
      const Json& e = (*doc)["expires_in"];
      if (e.is_number_integer()) {
        lifetime = static_cast<long>(std::clamp<long long>(e.get<long long>(), 0, kMaxLifetime));
      } else if (e.is_string()) {  // the v1.0 endpoint sends it as a string
        const std::string s = e.get<std::string>();
        if (!s.empty() && s.size() <= 9 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
          lifetime = std::min<long>(std::stol(s), kMaxLifetime);
      }
    }
    if (trace::enabled(trace::Level::Steps)) trace::add_secret(token);
    token_ = SecretBytes::from(token);
    expiry_ = now + std::chrono::seconds(lifetime);
    return ok();
  }

  int ttl_;
  std::unique_ptr<http::Client> client_;
  Settings s_;
  SecretBytes secret_;
  SecretBytes token_;
  std::chrono::steady_clock::time_point expiry_{};
  std::map<std::string, Zone> zones_;  ///< zone found by SOA, lower case, no dot -> zone resource
};

/// Checks a path segment option: required or not, its characters.
Result<std::string> segment(const ProviderConfig& config, std::string_view key, bool required, std::string_view extra,
                            std::size_t max) {
  std::string v = api::option(config, key);
  if (v.empty()) {
    if (!required) return v;
    return Error(Category::Usage, api::provider_subject(config), "option " + std::string(key) + " is required");
  }
  const bool good = v.size() <= max && std::all_of(v.begin(), v.end(), [extra](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
  });
  if (!good)
    return Error(Category::Usage, api::provider_subject(config),
                 fmt::format("{} '{}' is not valid (at most {} characters: letters, digits and '{}')", key, v, max, extra));
  return v;
}

}  // namespace

Result<std::unique_ptr<Provider>> make_azure(const ProviderConfig& config, std::unique_ptr<http::Client> client) {
  Settings s;
  TRY_ASSIGN(s.api_url, api::base_url(config, "api-url", kDefaultApi));
  TRY_ASSIGN(s.login_url, api::base_url(config, "login-url", kDefaultLogin));
  TRY_ASSIGN(s.tenant, segment(config, "tenant-id", true, "-.", 256));
  TRY_ASSIGN(s.client_id, segment(config, "client-id", true, "-", 64));
  TRY_ASSIGN(s.subscription, segment(config, "subscription-id", true, "-", 64));
  TRY_ASSIGN(s.resource_group, segment(config, "resource-group", false, "-_.()", 90));
  if (!s.resource_group.empty() && s.resource_group.back() == '.')
    return Error(Category::Usage, api::provider_subject(config), "resource-group must not end in a period");
  TRY_ASSIGN(auto secret, api::required_secret(config, "client-secret"));
  return std::unique_ptr<Provider>(std::make_unique<Azure>(config, std::move(client), std::move(s), std::move(secret)));
}

ProviderType azure_type() {
  return api::http_provider("azure", "Azure DNS, through the Azure Resource Manager API with a Microsoft Entra ID application", {
      {"tenant-id", true, false, "Microsoft Entra tenant (directory) ID or domain of the application"},
      {"client-id", true, false, "application (client) ID of the app registration"},
      {"client-secret", true, true, "client secret of the app registration"},
      {"subscription-id", true, false, "Azure subscription ID that holds the DNS zones"},
      {"resource-group", false, false, "resource group of the DNS zones (default: found by listing the subscription's zones)"},
      {"api-url", false, false, "Azure Resource Manager URL (default: https://management.azure.com)"},
      {"login-url", false, false, "Microsoft Entra ID login URL (default: https://login.microsoftonline.com)"},
  }, &make_azure);
}

}  // namespace certctl::dns
