/// `porkbun`: TXT records through the Porkbun API v3, every call a POST whose JSON body carries
/// the API key and its secret (`{"apikey", "secretapikey", ...}`). The records at a name come
/// from `POST /dns/retrieveByNameType/{domain}/TXT/{subdomain}` (no subdomain at the apex; the
/// API does not page); present creates one record per missing value (`POST /dns/create/{domain}`
/// with the name relative to the domain, "" at the apex, the value unquoted and the TTL as a
/// string, at least Porkbun's 600 seconds), cleanup deletes the records holding its values by id
/// (`POST /dns/delete/{domain}/{id}`), found by reading the name again, so another process
/// cleans up what this one created, and a record gone meanwhile is not an error. Porkbun answers
/// {"status": "ERROR", "message"} when it refuses; a domain must be in the account with API
/// ACCESS turned on. The request body holding the keys is wiped after each call.
#include "dns/http_api.hpp"
#include "dns/providers.hpp"

#include <openssl/crypto.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <utility>

namespace certctl::dns {
namespace {

using api::Json;

constexpr std::string_view kDefaultApi = "https://api.porkbun.com/api/json/v3";
/// The lowest TTL Porkbun accepts.
constexpr int kMinTtl = 600;

/// A TXT record at a name as Porkbun lists it.
struct Txt {
  std::string id;
  std::string content;
};

/// Is the message Porkbun's answer to keys it does not accept ("Invalid API key. (001)")?
bool about_keys(std::string_view message) {
  std::string lower(message);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("api key") != std::string::npos || lower.find("apikey") != std::string::npos;
}

class Porkbun final : public Provider {
 public:
  Porkbun(const ProviderConfig& config, std::unique_ptr<http::Client> client, std::string api_url, SecretBytes key,
          SecretBytes secret)
      : ttl_(std::max(config.ttl, kMinTtl)),
        client_(std::move(client)),
        api_url_(std::move(api_url)),
        key_(std::move(key)),
        secret_(std::move(secret)) {}

  std::string_view type() const override { return "porkbun"; }

  Status present(const std::vector<TxtRecord>& records) override {
    for (const auto& [fqdn, name] : api::by_name(records)) {
      const std::vector<std::string>& values = name.values;
      TRY_ASSIGN(const std::vector<Txt> have, read(name.zone, fqdn));
      for (const auto& v : values) {
        if (std::any_of(have.begin(), have.end(), [&v](const Txt& t) { return api::unquote_txt(t.content) == v; }))
          continue;  // there already
        const Json fields = {{"name", api::relative_name(fqdn, name.zone, "")}, {"type", "TXT"}, {"content", v},
                             {"ttl", std::to_string(ttl_)}};
        const std::string url = api_url_ + "/dns/create/" + api::url_encode(name.zone);
        TRY_ASSIGN(Json doc, call(url, fields, fqdn));
        if (!doc.contains("id") || !(doc["id"].is_number_integer() || doc["id"].is_string()))
          return Error(Category::Dns, "POST " + url, "Porkbun created the record but returned no id");
      }
    }
    return ok();
  }

  Status cleanup(const std::vector<TxtRecord>& records) override {
    for (const auto& [fqdn, name] : api::by_name(records)) {
      const std::vector<std::string>& ours = name.values;
      TRY_ASSIGN(const std::vector<Txt> have, read(name.zone, fqdn));
      for (const auto& t : have) {
        if (std::find(ours.begin(), ours.end(), api::unquote_txt(t.content)) == ours.end()) continue;
        auto done = call(api_url_ + "/dns/delete/" + api::url_encode(name.zone) + "/" + api::url_encode(t.id),
                         Json::object(), fqdn);
        if (done) continue;
        // Deleted meanwhile (by another run) is not an error: read again before reporting.
        TRY_ASSIGN(const std::vector<Txt> now, read(name.zone, fqdn));
        if (std::any_of(now.begin(), now.end(), [&t](const Txt& n) { return n.id == t.id; }))
          return std::move(done).error();
      }
    }
    return ok();
  }

 private:
  /// The TXT records at the name (Porkbun lists them all at once).
  Result<std::vector<Txt>> read(const std::string& zone, const std::string& fqdn) {
    if (zone.empty()) return Error(Category::Internal, fqdn, "no zone for this record");
    const std::string sub = api::relative_name(fqdn, zone, "");
    const std::string url =
        api_url_ + "/dns/retrieveByNameType/" + api::url_encode(zone) + "/TXT" + (sub.empty() ? "" : "/" + api::url_encode(sub));
    auto doc = call(url, Json::object(), zone + ".");
    if (!doc && doc.error().category() == Category::Dns && doc.error().subject() == zone + ".")
      return Error(Category::Dns, zone + ".",
                   doc.error().message() + " (the domain must be in the Porkbun account, with API ACCESS turned on for it)");
    if (!doc) return std::move(doc).error();
    if (!doc->contains("records") || !(*doc)["records"].is_array())
      return Error(Category::Dns, "POST " + url, "Porkbun answered without records[]");
    std::vector<Txt> out;
    for (const auto& rec : (*doc)["records"]) {
      if (!rec.is_object()) return Error(Category::Dns, "POST " + url, "Porkbun listed a record that is not an object");
      if (api::str(rec, "type") != "TXT") continue;
      Txt t{api::str(rec, "id"), api::str(rec, "content")};
      if (t.id.empty() && rec.contains("id") && rec["id"].is_number_integer()) t.id = std::to_string(rec["id"].get<long long>());
      if (t.id.empty()) return Error(Category::Dns, "POST " + url, "Porkbun listed a TXT record without an id");
      out.push_back(std::move(t));
    }
    return out;
  }

  /// One API call: a POST of `fields` plus the keys; the JSON object when Porkbun answers
  /// "SUCCESS". Its "ERROR" answers become Dns errors naming `subject` with its message, or the
  /// API URL when the keys were refused; api::send waits out a 429 and wipes the body (it holds the keys).
  Result<Json> call(const std::string& url, const Json& fields, const std::string& subject) {
    std::string rest = fields.dump();  // "{...}" without the keys
    http::Request req;
    req.method = "POST";
    req.url = url;
    req.headers.push_back({"Content-Type", "application/json"});
    req.headers.push_back({"Accept", "application/json"});
    req.body.reserve(64 + key_.view().size() + secret_.view().size() + rest.size());  // no copies of the keys left behind
    req.body.append("{\"apikey\":\"").append(key_.view()).append("\",\"secretapikey\":\"").append(secret_.view());
    req.body.append("\"").append(rest.size() > 2 ? "," + rest.substr(1) : "}");
    auto r = api::send(*client_, std::move(req));
    if (!r) return std::move(r).error();
    const http::Response& resp = *r;
    auto doc = api::parse(resp.body);
    const bool object = doc && doc->is_object();
    const std::string status = object ? api::str(*doc, "status") : std::string();
    if (resp.status >= 200 && resp.status <= 299 && status == "SUCCESS") return std::move(*doc);
    const std::string message = object ? api::str(*doc, "message") : std::string();
    if (resp.status >= 200 && resp.status <= 299 && status.empty())
      return Error(Category::Dns, "POST " + url,
                   fmt::format("Porkbun answered HTTP {} without a JSON status: {}", resp.status, api::snippet(resp.body)));
    if (resp.status == 401 || resp.status == 403 || about_keys(message))
      return Error(Category::Dns, api_url_,
                   fmt::format("Porkbun rejected the API key and secret (HTTP {}){}", resp.status,
                               message.empty() ? "" : ": " + message));
    if (resp.status == 429) return api::answer_error({"Porkbun", api_url_, "POST", url, subject}, resp, message);
    return Error(Category::Dns, subject,
                 fmt::format("Porkbun API error on POST {} (HTTP {}){}", url, resp.status,
                             message.empty() ? ": " + api::snippet(resp.body) : ": " + message));
  }

  int ttl_;
  std::unique_ptr<http::Client> client_;
  std::string api_url_;
  SecretBytes key_, secret_;
};

/// A key goes into the JSON body as it is: printable ASCII, no quote or backslash.
bool plain_key(std::string_view k) {
  return std::all_of(k.begin(), k.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f && c != '"' && c != '\\'; });
}

}  // namespace

Result<std::unique_ptr<Provider>> make_porkbun(const ProviderConfig& config, std::unique_ptr<http::Client> client) {
  TRY_ASSIGN(auto url, api::base_url(config, "api-url", kDefaultApi));
  TRY_ASSIGN(auto key, api::required_secret(config, "api-key"));
  TRY_ASSIGN(auto secret, api::required_secret(config, "secret-api-key"));
  if (!plain_key(key.view()) || !plain_key(secret.view()))
    return Error(Category::Usage, api::provider_subject(config),
                 "api-key and secret-api-key must be printable ASCII without spaces, quotes or backslashes (Porkbun's "
                 "look like pk1_... and sk1_...)");
  return std::unique_ptr<Provider>(
      std::make_unique<Porkbun>(config, std::move(client), std::move(url), std::move(key), std::move(secret)));
}

ProviderType porkbun_type() {
  return api::http_provider("porkbun", "Porkbun DNS, through the API v3 with an API key and secret API key", {
      {"api-key", true, true, "Porkbun API key (pk1_...); the domain needs API ACCESS turned on"},
      {"secret-api-key", true, true, "the secret API key (sk1_...) that goes with it"},
      {"api-url", false, false, "API base URL (default: https://api.porkbun.com/api/json/v3)"},
  }, &make_porkbun);
}

}  // namespace certctl::dns
