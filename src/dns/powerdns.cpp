/// `powerdns`: TXT records through the PowerDNS Authoritative HTTP API v1.
///
/// present/cleanup read the zone (GET /api/v1/servers/{id}/zones/{zone}), compute the new TXT
/// set of each name (ours added to, or removed from, what is there already, so values other
/// clients put there survive), and write every changed name of the zone in one PATCH with
/// changetype REPLACE (or DELETE when no value is left). PowerDNS wants TXT content quoted.
#include "dns/http_api.hpp"
#include "dns/wire.hpp"
#include "dns/providers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>

namespace certctl::dns {
namespace {

using api::Json;

/// PowerDNS's zone id: the zone name with characters other than letters, digits, '.', '-' and
/// '_' written as =XX (as the API itself does, e.g. '/' in RFC 2317 zones is =2F).
std::string zone_id(std::string_view zone) {
  std::string out;
  for (unsigned char c : zone) {
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("={:02X}", c);
    }
  }
  return out;
}

struct TxtValue {
  std::string text;  ///< unquoted
  bool disabled = false;
};

/// The TXT rrset at one name as the zone has it.
struct RRset {
  bool exists = false;
  int ttl = 0;
  std::vector<TxtValue> values;
};

class PowerDns final : public Provider {
 public:
  PowerDns(const ProviderConfig& config, std::unique_ptr<http::Client> client, std::string api_url,
           std::string server_id, SecretBytes key)
      : name_(api::provider_subject(config)), ttl_(config.ttl), zone_override_(api::option(config, "zone")),
        client_(std::move(client)), api_url_(std::move(api_url)), server_id_(std::move(server_id)),
        key_(std::move(key)) {}

  std::string_view type() const override { return "powerdns"; }

  Status present(const std::vector<TxtRecord>& records) override { return change(records, true); }
  Status cleanup(const std::vector<TxtRecord>& records) override { return change(records, false); }

 private:
  std::string zone_of(const TxtRecord& r) const {
    return api::with_dot(zone_override_.empty() ? r.zone : zone_override_);
  }
  std::string zone_url(const std::string& zone) const {
    return api_url_ + "/api/v1/servers/" + api::url_encode(server_id_) + "/zones/" + zone_id(zone);
  }

  Status change(const std::vector<TxtRecord>& records, bool add) {
    // zone -> fqdn -> our values there
    std::map<std::string, std::map<std::string, std::vector<std::string>>> by_zone;
    for (const auto& r : records) {
      if (r.fqdn.empty()) return Error(Category::Internal, name_, "a TXT record without a name");
      std::string zone = zone_of(r);
      if (zone == ".") return Error(Category::Internal, api::with_dot(r.fqdn), "no zone for this record");
      by_zone[zone][api::with_dot(r.fqdn)].push_back(r.value);
    }
    for (const auto& [zone, names] : by_zone) TRY(change_zone(zone, names, add));
    return ok();
  }

  Status change_zone(const std::string& zone,
                     const std::map<std::string, std::vector<std::string>>& names, bool add) {
    const std::string url = zone_url(zone);
    TRY_ASSIGN(auto doc, call("GET", url, zone, {}));
    Json rrsets = Json::array();
    for (const auto& [fqdn, ours] : names) {
      RRset current = find_rrset(doc, fqdn);
      std::vector<TxtValue> next = current.values;
      bool changed = false;
      if (add) {
        for (const auto& v : ours) {
          auto it = std::find_if(next.begin(), next.end(), [&](const TxtValue& t) { return t.text == v; });
          if (it == next.end()) {
            next.push_back({v, false});
            changed = true;
          } else if (it->disabled) {  // ours, but switched off: it has to be served
            it->disabled = false;
            changed = true;
          }
        }
      } else {
        // An init-capture: clang (the fuzz build) cannot capture a structured binding.
        changed = std::erase_if(next, [&values = ours](const TxtValue& v) {
          return std::find(values.begin(), values.end(), v.text) != values.end();
        }) > 0;
      }
      if (!changed) continue;  // already there / already gone: present and cleanup repeat safely
      if (next.empty()) {
        rrsets.push_back({{"name", fqdn}, {"type", "TXT"}, {"changetype", "DELETE"}});
        continue;
      }
      Json recs = Json::array();
      for (const auto& v : next) recs.push_back({{"content", api::quote_txt(v.text)}, {"disabled", v.disabled}});
      // Our TTL while we add (the challenge wants a short one); the rrset's own when we remove.
      int ttl = add || !current.exists || current.ttl <= 0 ? ttl_ : current.ttl;
      rrsets.push_back({{"name", fqdn}, {"type", "TXT"}, {"ttl", ttl}, {"changetype", "REPLACE"}, {"records", recs}});
    }
    if (rrsets.empty()) return ok();
    Json body = {{"rrsets", rrsets}};
    TRY(call("PATCH", url, zone, body.dump()));
    return ok();
  }

  /// The TXT rrset at fqdn in a zone document (GET zones/{zone}).
  static RRset find_rrset(const Json& doc, const std::string& fqdn) {
    RRset out;
    if (!doc.is_object() || !doc.contains("rrsets") || !doc["rrsets"].is_array()) return out;
    for (const auto& s : doc["rrsets"]) {
      if (api::str(s, "type") != "TXT" || !wire::same_name(api::str(s, "name"), fqdn)) continue;
      out.exists = true;
      if (s.contains("ttl") && s["ttl"].is_number_integer()) out.ttl = s["ttl"].get<int>();
      if (!s.contains("records") || !s["records"].is_array()) continue;
      for (const auto& rec : s["records"]) {
        TxtValue v;
        v.text = api::unquote_txt(api::str(rec, "content"));
        v.disabled = rec.contains("disabled") && rec["disabled"].is_boolean() && rec["disabled"].get<bool>();
        out.values.push_back(std::move(v));
      }
    }
    return out;
  }

  /// One API call; the JSON answer (null for 204). Errors name the zone or the API URL.
  Result<Json> call(const std::string& method, const std::string& url, const std::string& zone,
                    std::string body) {
    http::Request req;
    req.method = method;
    req.url = url;
    req.headers.push_back({"X-API-Key", std::string(key_.view())});
    req.headers.push_back({"Accept", "application/json"});
    if (!body.empty()) req.headers.push_back({"Content-Type", "application/json"});
    req.body = std::move(body);
    TRY_ASSIGN(auto resp, api::send(*client_, std::move(req)));

    auto doc = api::parse(resp.body);
    std::string api_error = doc ? api::str(*doc, "error") : std::string();
    if (api_error.empty() && !doc) api_error = api::snippet(resp.body);
    auto with_cause = [&](std::string msg) {
      return api_error.empty() ? msg : msg + ": " + api_error;
    };
    const std::string where = method + " " + url;
    if (resp.status == 401 || resp.status == 403) {
      return Error(Category::Dns, api_url_,
                   with_cause(fmt::format("PowerDNS rejected the API key (HTTP {})", resp.status)));
    }
    if (resp.status == 404) {
      return Error(Category::Dns, zone,
                   with_cause(fmt::format("zone not found on PowerDNS server '{}' at {} (HTTP 404)", server_id_, api_url_)));
    }
    if (resp.status == 422) {
      return Error(Category::Dns, zone, with_cause("PowerDNS refused the change (HTTP 422)"));
    }
    if (resp.status < 200 || resp.status > 299) {
      return Error(Category::Dns, where, with_cause(fmt::format("PowerDNS API error (HTTP {})", resp.status)));
    }
    if (resp.status == 204 || resp.body.empty()) return Json();
    if (!doc) return Error(Category::Dns, where, "PowerDNS answered with something that is not JSON");
    return std::move(*doc);
  }

  std::string name_;
  int ttl_;
  std::string zone_override_;
  std::unique_ptr<http::Client> client_;
  std::string api_url_;
  std::string server_id_;
  SecretBytes key_;
};

}  // namespace

Result<std::unique_ptr<Provider>> make_powerdns(const ProviderConfig& config,
                                                std::unique_ptr<http::Client> client) {
  TRY_ASSIGN(auto url, api::base_url(config, "api-url"));
  // The base URL is the webserver's; accept one given with the API's path too.
  for (std::string_view suffix : {"/api/v1", "/api"}) {
    if (url.size() > suffix.size() && url.compare(url.size() - suffix.size(), suffix.size(), suffix) == 0) {
      url.resize(url.size() - suffix.size());
      break;
    }
  }
  std::string server_id = api::option(config, "server-id", "localhost");
  if (server_id.find('/') != std::string::npos) {
    return Error(Category::Usage, api::provider_subject(config), "server-id must not contain '/'");
  }
  if (config.ttl < 1) return Error(Category::Usage, api::provider_subject(config), "ttl must be at least 1");
  TRY_ASSIGN(auto key, api::required_secret(config, "api-key"));
  return std::unique_ptr<Provider>(
      std::make_unique<PowerDns>(config, std::move(client), std::move(url), std::move(server_id), std::move(key)));
}

ProviderType powerdns_type() {
  return api::http_provider("powerdns", "PowerDNS Authoritative server, through its HTTP API (v1)", {
      {"api-url", true, false, "base URL of the API, e.g. http://127.0.0.1:8081"},
      {"api-key", true, true, "the API key (X-API-Key), the server's api-key setting"},
      {"server-id", false, false, "server id in API paths (default: localhost)"},
      {"zone", false, false, "zone to write into, instead of the one found by SOA lookup"},
      {"ca-bundle", false, false, "PEM file of roots to trust for an https:// api-url (default: the system's)"},
  }, &make_powerdns);
}

}  // namespace certctl::dns
