/// `gcloud`: TXT records through the Google Cloud DNS API v1, authenticated as a service
/// account. The account's JSON key (`service-account-key`) is exchanged for an OAuth 2.0 access
/// token with a signed JWT grant (RFC 7523, Google's "OAuth 2.0 for Server to Server
/// Applications"): a JWT {iss: client_email, scope: ndev.clouddns.readwrite, aud: token_uri,
/// iat, exp: iat + 1 h} signed RS256 with the key's private_key is POSTed form-encoded to the
/// key's token_uri (https, or http on a loopback address only), and the access token it answers
/// goes out as `Authorization: Bearer`, kept for the run (renewed a minute before it expires).
///
/// A record's zone is the project's managed zone whose dnsName is the zone found by SOA
/// (`GET /dns/v1/projects/{project}/managedZones?dnsName=`, page by page, a public one first),
/// once per zone and run. Cloud DNS keeps all TXT values at a name in one resource record set,
/// changed only by a Change that deletes the set exactly as it is and adds its new form, so each
/// name is read (`GET .../rrsets?name=&type=TXT`) and written once per call (`POST
/// .../changes`): present adds the values that are missing, cleanup removes exactly its own
/// (deleting the set when nothing is left). A change another client made in between (HTTP 409
/// or 412) is met by reading again, a bounded number of times; a change still "pending" is
/// polled (`GET .../changes/{id}`) until "done", for at most kMaxPolls polls. TXT data are
/// quoted character-strings, as Cloud DNS holds them.
#include "dns/http_api.hpp"
#include "dns/providers.hpp"
#include "dns/wire.hpp"

#include <certctl/crypto.hpp>
#include <certctl/trace.hpp>

#include <openssl/crypto.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <map>
#include <utility>

namespace certctl::dns {
namespace {

using api::Json;

constexpr std::string_view kDefaultApi = "https://dns.googleapis.com";
constexpr std::string_view kDefaultTokenUri = "https://oauth2.googleapis.com/token";
constexpr std::string_view kScope = "https://www.googleapis.com/auth/ndev.clouddns.readwrite";
constexpr std::string_view kGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer";
constexpr std::string_view kApiName = "Google Cloud DNS";
constexpr std::string_view kCredential = "service account key";
/// The assertion's lifetime (Google accepts at most an hour).
constexpr long long kAssertionLifetime = 3600;
/// An access token is renewed this long before it expires; an expires_in above the maximum
/// is taken as the maximum.
constexpr long long kTokenMargin = 60;
constexpr long long kMaxTokenLifetime = 86400;
/// The largest key file read, the most list pages read, the most times a change is tried
/// again after another client changed the same set, and how a pending change is polled.
constexpr std::size_t kMaxKeySize = 64 * 1024;
constexpr int kMaxPages = 100;
constexpr int kMaxConflictRetries = 5;
constexpr std::chrono::milliseconds kPollInterval{500};
constexpr int kMaxPolls = 240;  // two minutes



/// What certctl needs from a service account's JSON key.
struct ServiceAccount {
  std::string client_email;
  std::string private_key_id;  ///< the JWT's "kid" when given
  std::string project_id;
  std::string token_uri;
  crypto::PrivateKey key;
};

bool printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) > 0x20 && c != 0x7f; });
}

/// https://..., or http:// to a loopback address (a test's token endpoint); nothing else gets
/// the assertion.
bool acceptable_token_uri(std::string_view uri) {
  if (!printable(uri)) return false;
  if (uri.rfind("https://", 0) == 0) return uri.size() > 8;
  if (uri.rfind("http://", 0) != 0) return false;
  std::string_view rest = uri.substr(7);
  std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
  if (host.find('@') != std::string_view::npos) return false;
  if (host.rfind("[::1]", 0) == 0) return host.size() == 5 || host[5] == ':';
  host = host.substr(0, host.find(':'));
  return host == "localhost" || host.rfind("127.", 0) == 0;
}

/// The key's members; the private_key copies the parse left in `doc` are wiped on the way out.
Result<ServiceAccount> parse_key(const std::string& subject, const SecretBytes& text) {
  auto bad = [&subject](std::string what) { return Error(Category::Usage, subject, "service-account-key " + what); };
  if (text.size() > kMaxKeySize) return bad(fmt::format("is larger than {} bytes: not a service account key", kMaxKeySize));
  auto doc = api::parse(text.view());
  if (!doc || !doc->is_object())
    return bad("is not a JSON object (give the service account's JSON key, e.g. --service-account-key-file FILE)");
  struct Wipe {
    Json& j;
    ~Wipe() {
      auto it = j.find("private_key");
      if (it != j.end() && it->is_string()) {
        auto& s = it->get_ref<std::string&>();
        OPENSSL_cleanse(s.data(), s.size());
      }
    }
  } wipe{*doc};
  const std::string type = api::str(*doc, "type");
  if (type != "service_account")
    return bad(fmt::format("has type '{}', not service_account (a user's or an external account's credentials "
                           "cannot sign a JWT grant)", printable(type) ? type : "?"));
  ServiceAccount sa;
  sa.client_email = api::str(*doc, "client_email");
  sa.private_key_id = api::str(*doc, "private_key_id");
  sa.project_id = api::str(*doc, "project_id");
  sa.token_uri = api::str(*doc, "token_uri");
  if (sa.token_uri.empty()) sa.token_uri = kDefaultTokenUri;
  if (sa.client_email.empty() || !printable(sa.client_email) || sa.client_email.find('@') == std::string::npos)
    return bad("has no client_email");
  if (!printable(sa.private_key_id)) return bad("has a private_key_id with blanks or control characters");
  if (!acceptable_token_uri(sa.token_uri))
    return bad(fmt::format("has token_uri '{}': it must be an https:// URL (http:// only to a loopback address)",
                           printable(sa.token_uri) ? sa.token_uri : "?"));
  auto pem = doc->find("private_key");
  if (pem == doc->end() || !pem->is_string() || pem->get_ref<const std::string&>().empty())
    return bad("has no private_key");
  auto key = crypto::PrivateKey::parse(SecretBytes::from(pem->get_ref<const std::string&>()),
                                       "service-account-key private_key");
  if (!key) return bad("private_key: " + key.error().message());
  if (key->algorithm() != "RSA") return bad("private_key is not an RSA key (Google signs JWT grants with RS256)");
  sa.key = std::move(key).value();
  return sa;
}

/// `application/x-www-form-urlencoded` of name=value pairs.
class Gcloud final : public Provider {
 public:
  Gcloud(const ProviderConfig& config, std::unique_ptr<http::Client> client, std::string api_url, std::string project,
         ServiceAccount account, Seams seams)
      : ttl_(config.ttl),
        client_(std::move(client)),
        api_url_(std::move(api_url)),
        project_(std::move(project)),
        account_(std::move(account)),
        seams_(std::move(seams)) {}

  std::string_view type() const override { return "gcloud"; }

  Status present(const std::vector<TxtRecord>& records) override {
    for (const auto& [fqdn, name] : api::by_name(records)) {
      const std::vector<std::string>& values = name.values;  // not the binding: clang 14 cannot capture one
      TRY_ASSIGN(const std::string zone, zone_of(fqdn, api::with_dot(name.zone)));
      auto want = [&values](const std::optional<Json>& have) -> std::optional<std::vector<std::string>> {
        std::vector<std::string> out = rrdatas(have);
        const std::size_t before = out.size();
        for (const auto& v : values)
          if (std::none_of(out.begin(), out.end(), [&v](const std::string& rr) { return api::unquote_txt(rr) == v; }))
            out.push_back(api::quote_txt(v));
        if (have && out.size() == before) return std::nullopt;  // every value there already
        return out;
      };
      TRY(apply(zone, fqdn, want));
    }
    return ok();
  }

  Status cleanup(const std::vector<TxtRecord>& records) override {
    for (const auto& [fqdn, name] : api::by_name(records)) {
      const std::vector<std::string>& ours = name.values;
      TRY_ASSIGN(const std::string zone, zone_of(fqdn, api::with_dot(name.zone)));
      auto want = [&ours](const std::optional<Json>& have) -> std::optional<std::vector<std::string>> {
        if (!have) return std::nullopt;  // no set: nothing of ours
        std::vector<std::string> left = rrdatas(have);
        const std::size_t before = left.size();
        std::erase_if(left, [&ours](const std::string& rr) {
          return std::find(ours.begin(), ours.end(), api::unquote_txt(rr)) != ours.end();
        });
        if (left.size() == before) return std::nullopt;
        return left;
      };
      TRY(apply(zone, fqdn, want));
    }
    return ok();
  }

 private:
  static std::vector<std::string> rrdatas(const std::optional<Json>& set) {
    std::vector<std::string> out;
    if (set && set->contains("rrdatas") && (*set)["rrdatas"].is_array())
      for (const auto& rr : (*set)["rrdatas"])
        if (rr.is_string()) out.push_back(rr.get<std::string>());
    return out;
  }

  /// The Change that turns `have` (the set as read, or none) into a set of `want` values at
  /// fqdn (none when want is empty).
  Json rrset_change(const std::string& fqdn, const std::optional<Json>& have, const std::vector<std::string>& want) const {
    Json change = Json::object();
    if (have) change["deletions"] = Json::array({*have});  // exactly as Cloud DNS holds it
    if (!want.empty()) {
      long long ttl = ttl_;  // a set that exists keeps its TTL
      if (have && have->contains("ttl") && (*have)["ttl"].is_number_integer()) ttl = (*have)["ttl"].get<long long>();
      change["additions"] = Json::array({Json{{"name", fqdn}, {"type", "TXT"}, {"ttl", ttl}, {"rrdatas", want}}});
    }
    return change;
  }

  std::string project_url() const { return api_url_ + "/dns/v1/projects/" + api::url_encode(project_); }
  std::string zone_url(const std::string& zone) const { return project_url() + "/managedZones/" + api::url_encode(zone); }

  /// Read the set at fqdn, ask `want` for its new values (nullopt: nothing to change), send the
  /// change and wait until it is done; again from the reading when another client changed the
  /// set meanwhile.
  template <class Want>
  Status apply(const std::string& zone, const std::string& fqdn, const Want& want) {
    for (int attempt = 0; attempt <= kMaxConflictRetries; ++attempt) {
      TRY_ASSIGN(std::optional<Json> have, read(zone, fqdn));
      std::optional<std::vector<std::string>> values = want(have);
      if (!values) return ok();
      const std::string url = zone_url(zone) + "/changes";
      TRY_ASSIGN(http::Response resp, request("POST", url, rrset_change(fqdn, have, *values).dump()));
      if (resp.status == 409 || resp.status == 412) continue;  // the set changed under us: read it again
      auto done = answer("POST", url, resp, fqdn);
      if (!done) return dns_error(std::move(done).error());
      return wait_done(zone, fqdn, std::move(done).value());
    }
    return Error(Category::Dns, fqdn,
                 fmt::format("{} kept refusing the change as conflicting (HTTP 409/412) after {} tries: another "
                             "client keeps changing the TXT records at this name", kApiName, kMaxConflictRetries + 1));
  }

  /// A 404 where the caller has no use for NotFound (a zone or change that vanished) is a Dns error.
  static Error dns_error(Error e) {
    return e.category() == Category::NotFound ? e.with_category(Category::Dns) : e;
  }

  /// Poll a change until its status is "done".
  Status wait_done(const std::string& zone, const std::string& fqdn, Json change) {
    const std::string id = api::str(change, "id");
    for (int poll = 0;; ++poll) {
      const std::string status = api::str(change, "status");
      if (status == "done") return ok();
      if (status != "pending")
        return Error(Category::Dns, fqdn,
                     fmt::format("{} answered a change with status '{}' (expected pending or done)", kApiName,
                                 api::snippet(status)));
      if (id.empty()) return Error(Category::Dns, fqdn, fmt::format("{} answered a pending change without an id", kApiName));
      if (poll >= kMaxPolls)
        return Error(Category::Dns, fqdn,
                     fmt::format("{} change {} still pending after {} s", kApiName, id,
                                 kMaxPolls * kPollInterval.count() / 1000));
      seams_.sleep(kPollInterval);
      auto next = call("GET", zone_url(zone) + "/changes/" + api::url_encode(id), {}, fqdn);
      if (!next) return dns_error(std::move(next).error());
      change = std::move(next).value();
    }
  }

  /// The managed zone (its name) for a zone found by SOA: the project's zone with that dnsName,
  /// a public one before a private one. Asked once per zone and run.
  Result<std::string> zone_of(const std::string& fqdn, const std::string& zone) {
    if (zone.empty()) return Error(Category::Internal, fqdn, "no zone for this record");
    if (auto it = zones_.find(zone); it != zones_.end()) return it->second;
    std::string found, private_found;
    std::string page;
    for (int n = 0; n < kMaxPages; ++n) {
      std::string url = project_url() + "/managedZones?dnsName=" + api::url_encode(zone);
      if (!page.empty()) url += "&pageToken=" + api::url_encode(page);
      auto doc = call("GET", url, {}, zone);
      if (!doc && doc.error().category() == Category::NotFound)
        return Error(Category::Dns, zone,
                     fmt::format("{} knows no project '{}' (GET {} answered 404; check the project option or the "
                                 "key's project_id)", kApiName, project_, url));
      if (!doc) return std::move(doc).error();
      if (doc->contains("managedZones") && !(*doc)["managedZones"].is_array())
        return Error(Category::Dns, "GET " + url, fmt::format("{} answered a managedZones that is not a list", kApiName));
      if (doc->contains("managedZones"))
        for (const auto& z : (*doc)["managedZones"]) {
          if (!wire::same_name(api::str(z, "dnsName"), zone) || api::str(z, "name").empty()) continue;
          const std::string vis = api::str(z, "visibility");
          if (vis.empty() || vis == "public") {
            if (found.empty()) found = api::str(z, "name");
          } else if (private_found.empty()) {
            private_found = api::str(z, "name");
          }
        }
      page = api::str(*doc, "nextPageToken");
      if (!found.empty() || page.empty()) break;
      if (n + 1 == kMaxPages)
        return Error(Category::Dns, zone, fmt::format("{} lists more than {} pages of managed zones", kApiName, kMaxPages));
    }
    if (found.empty()) found = private_found;
    if (found.empty())
      return Error(Category::Dns, zone,
                   fmt::format("zone not found in Google Cloud project '{}' (no managed zone has dnsName {}; check "
                               "the zone and the project)", project_, zone));
    return zones_[zone] = found;
  }

  /// The TXT set at fqdn as Cloud DNS holds it, or nullopt when there is none.
  Result<std::optional<Json>> read(const std::string& zone, const std::string& fqdn) {
    std::string page;
    for (int n = 0; n < kMaxPages; ++n) {
      std::string url = zone_url(zone) + "/rrsets?name=" + api::url_encode(fqdn) + "&type=TXT";
      if (!page.empty()) url += "&pageToken=" + api::url_encode(page);
      auto got = call("GET", url, {}, fqdn);
      if (!got) return dns_error(std::move(got).error());
      Json doc = std::move(got).value();
      if (doc.contains("rrsets") && !doc["rrsets"].is_array())
        return Error(Category::Dns, "GET " + url, fmt::format("{} answered an rrsets that is not a list", kApiName));
      if (doc.contains("rrsets"))
        for (auto& set : doc["rrsets"])
          if (set.is_object() && wire::same_name(api::str(set, "name"), fqdn) && api::str(set, "type") == "TXT") {
            if (!set.contains("rrdatas") || !set["rrdatas"].is_array())
              return Error(Category::Dns, "GET " + url, fmt::format("{} answered a TXT set without rrdatas", kApiName));
            return std::optional<Json>(std::move(set));
          }
      page = api::str(doc, "nextPageToken");
      if (page.empty()) return std::optional<Json>();
    }
    return Error(Category::Dns, fqdn, fmt::format("{} lists more than {} pages of record sets at this name", kApiName, kMaxPages));
  }

  /// Send an API request with the access token.
  Result<http::Response> request(const std::string& method, const std::string& url, std::string body) {
    TRY(ensure_token());
    http::Request req = api::json_request(method, url, {"Authorization", "Bearer " + std::string(token_.view())}, std::move(body));
    return api::send(*client_, std::move(req), seams_.sleep);
  }

  /// A 2xx answer's JSON object, or the error Cloud DNS answered ({"error": {"code", "message",
  /// "status"}}): 404 a NotFound, the rest Dns errors.
  Result<Json> answer(const std::string& method, const std::string& url, const http::Response& resp,
                      const std::string& subject) {
    if (resp.status >= 200 && resp.status <= 299) return api::json_answer(kApiName, method, url, resp);
    auto doc = api::parse(resp.body);
    std::string detail;
    if (doc && doc->is_object() && doc->contains("error") && (*doc)["error"].is_object()) {
      const Json& e = (*doc)["error"];
      detail = api::snippet(api::str(e, "message"));
      if (const std::string status = api::str(e, "status"); !status.empty())
        detail = detail.empty() ? status : status + ": " + detail;
    }
    return api::answer_error({kApiName, api_url_, method, url, subject, kCredential}, resp, detail);
  }

  Result<Json> call(const std::string& method, const std::string& url, std::string body, const std::string& subject) {
    TRY_ASSIGN(http::Response resp, request(method, url, std::move(body)));
    return answer(method, url, resp, subject);
  }

  /// The signed JWT of the grant: header.claims.signature, each base64url.
  Result<std::string> assertion(long long iat) const {
    Json header = {{"alg", "RS256"}, {"typ", "JWT"}};
    if (!account_.private_key_id.empty()) header["kid"] = account_.private_key_id;
    const Json claims = {{"iss", account_.client_email}, {"scope", kScope}, {"aud", account_.token_uri},
                         {"iat", iat}, {"exp", iat + kAssertionLifetime}};
    const std::string input = crypto::base64url_encode(header.dump()) + "." + crypto::base64url_encode(claims.dump());
    TRY_ASSIGN(std::string sig, crypto::jws_sign(account_.key, input));
    std::string jwt = input + "." + crypto::base64url_encode(sig);
    OPENSSL_cleanse(sig.data(), sig.size());
    return jwt;
  }

  /// An access token for the next request: the one held while it has more than kTokenMargin
  /// seconds left, else a new one from the token endpoint.
  Status ensure_token() {
    const long long now = seams_.now();
    if (!token_.empty() && now < token_expiry_ - kTokenMargin) return ok();
    token_.wipe();
    TRY_ASSIGN(std::string jwt, assertion(now));
    if (trace::enabled(trace::Level::Debug)) trace::add_secret(jwt);
    http::Request req;
    req.method = "POST";
    req.url = account_.token_uri;
    req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
    req.body = api::form_encode({{"grant_type", kGrantType}, {"assertion", jwt}});
    OPENSSL_cleanse(jwt.data(), jwt.size());
    auto resp = api::send(*client_, std::move(req), seams_.sleep);
    if (!resp) return std::move(resp).error();
    auto doc = api::parse(resp->body);
    struct Wipe {
      std::optional<Json>& d;
      ~Wipe() {
        if (!d || !d->is_object()) return;
        auto it = d->find("access_token");
        if (it != d->end() && it->is_string()) {
          auto& s = it->get_ref<std::string&>();
          OPENSSL_cleanse(s.data(), s.size());
        }
      }
    } wipe{doc};
    const bool object = doc && doc->is_object();
    if (resp->status < 200 || resp->status > 299) {
      std::string detail = object ? api::snippet(api::str(*doc, "error")) : std::string();
      if (object && !api::str(*doc, "error_description").empty())
        detail += (detail.empty() ? "" : ": ") + fmt::format("\"{}\"", api::snippet(api::str(*doc, "error_description")));
      if (detail.empty()) detail = api::snippet(resp->body);
      const std::string what = resp->status >= 400 && resp->status <= 499
                                   ? fmt::format("Google's token endpoint rejected the {} (HTTP {})", kCredential, resp->status)
                                   : fmt::format("Google's token endpoint failed (HTTP {})", resp->status);
      return Error(Category::Dns, account_.token_uri, detail.empty() ? what : what + ": " + detail);
    }
    if (!object)
      return Error(Category::Dns, "POST " + account_.token_uri,
                   fmt::format("Google's token endpoint answered HTTP {} without a JSON object: {}", resp->status,
                               api::snippet(resp->body)));
    const Json& d = *doc;
    const std::string type = api::str(d, "token_type");
    auto it = d.find("access_token");
    if (it == d.end() || !it->is_string() || it->get_ref<const std::string&>().empty() ||
        !printable(it->get_ref<const std::string&>()))
      return Error(Category::Dns, "POST " + account_.token_uri,
                   "Google's token endpoint answered without a usable access_token");
    if (!type.empty() && type != "Bearer" && type != "bearer")
      return Error(Category::Dns, "POST " + account_.token_uri,
                   fmt::format("Google's token endpoint answered a token of type '{}', not Bearer", api::snippet(type)));
    long long lifetime = kAssertionLifetime;
    if (d.contains("expires_in") && d["expires_in"].is_number_integer()) {
      lifetime = std::clamp<long long>(d["expires_in"].get<long long>(), 0, kMaxTokenLifetime);
    }
    token_ = SecretBytes::from(it->get_ref<const std::string&>());
    if (trace::enabled(trace::Level::Debug)) trace::add_secret(token_.view());
    token_expiry_ = now + lifetime;
    return ok();
  }

  int ttl_;
  std::unique_ptr<http::Client> client_;
  std::string api_url_;
  std::string project_;
  ServiceAccount account_;
  Seams seams_;
  SecretBytes token_;
  long long token_expiry_ = 0;
  std::map<std::string, std::string> zones_;  ///< zone (with dot) -> managed zone name
};

}  // namespace

Result<std::unique_ptr<Provider>> make_gcloud(const ProviderConfig& config, std::unique_ptr<http::Client> client,
                                              Seams seams) {
  const std::string subject = api::provider_subject(config);
  TRY_ASSIGN(auto url, api::base_url(config, "api-url", kDefaultApi));
  auto secret = config.secrets.find("service-account-key");
  if (secret == config.secrets.end() || secret->second.empty())
    return Error(Category::Usage, subject,
                 "secret service-account-key is required (give it as --service-account-key-file FILE or "
                 "--service-account-key-env VAR)");
  // `dns add` with a variable not set yet: the key is checked when the provider is used.
  const bool key_later = config.unset_secrets.count("service-account-key") > 0;
  ServiceAccount account;
  if (!key_later) {
    TRY_ASSIGN(account, parse_key(subject, secret->second));
  }
  std::string project = api::option(config, "project", account.project_id);
  if (project.empty() && !key_later)
    return Error(Category::Usage, subject, "option project is required: the service account key has no project_id");
  if (!std::all_of(project.begin(), project.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == ':' || c == '_';
      }))
    return Error(Category::Usage, subject, fmt::format("project '{}' is not a Google Cloud project id", project));
  return std::unique_ptr<Provider>(std::make_unique<Gcloud>(config, std::move(client), std::move(url), std::move(project),
                                                            std::move(account), with_real(std::move(seams))));
}

ProviderType gcloud_type() {
  return api::http_provider("gcloud", "Google Cloud DNS, through the API v1 with a service account's JSON key", {
      {"service-account-key", true, true, "the service account's JSON key (role DNS Administrator on the project)"},
      {"project", false, false, "Google Cloud project id of the zones (default: the key's project_id)"},
      {"api-url", false, false, "API base URL (default: https://dns.googleapis.com)"},
  }, &make_gcloud);
}

}  // namespace certctl::dns
