/// `route53`: TXT records in Amazon Route 53 through its REST API 2013-04-01 (XML), each
/// request signed with AWS Signature Version 4 (src/dns/sigv4.cpp; region us-east-1, service
/// route53). Credentials come from the options (access-key-id, secret-access-key and an optional
/// session-token), else from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN,
/// else from a profile of the shared credentials file ($AWS_SHARED_CREDENTIALS_FILE or
/// ~/.aws/credentials; the `profile` option, else $AWS_PROFILE, else "default"); an explicit
/// `profile` option skips the environment. They are looked up at the first present/cleanup,
/// not when the provider is built, so `dns add` needs none.
///
/// The hosted zone is the one named like the record's zone (ListHostedZonesByName, page by
/// page; public zones only unless private-zone=true), or `hosted-zone-id`. Route 53 keeps every
/// value of a name in one record set, so each name is read (ListResourceRecordSets) and
/// rewritten as a whole, as a compare-and-swap: one change batch DELETEs the set exactly as it
/// was read and CREATEs it with the values added (present) or removed (cleanup; nothing is
/// created when none are left). Route 53 refuses the batch (InvalidChangeBatch) when the set
/// changed meanwhile, where an UPSERT would drop another writer's values: the set is read again
/// and the change retried, as after PriorRequestNotComplete and Throttling. Each change is then
/// polled (GetChange) until Route 53 reports it INSYNC on all its servers.
#include "dns/http_api.hpp"
#include "dns/providers.hpp"
#include "dns/sigv4.hpp"
#include "dns/wire.hpp"

#include <fmt/format.h>
#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

namespace certctl::dns {
namespace {

constexpr std::string_view kDefaultApi = "https://route53.amazonaws.com";
constexpr std::string_view kXmlns = "https://route53.amazonaws.com/doc/2013-04-01/";
constexpr sigv4::Scope kScope{"us-east-1", "route53"};
/// Zones asked for per page (Route 53's maximum) and the most pages read for one zone name.
constexpr int kZonesPerPage = 100;
constexpr int kMaxZonePages = 20;
/// Tries of one name's change when Route 53 reports a conflict or a busy zone, and the wait
/// between them.
constexpr int kMaxAttempts = 5;
constexpr std::chrono::seconds kRetryWait{2};
/// How often GetChange is asked and for how long in all, per change.
constexpr std::chrono::seconds kChangePoll{2};
constexpr std::chrono::seconds kMaxChangeWait{300};
/// The largest answer parsed, and the largest credentials file read.
constexpr std::size_t kMaxAnswerBytes = 1024 * 1024;
constexpr std::size_t kMaxCredentialsFile = 64 * 1024;

/// Route 53's ids (zones "Z0123...", changes "C0123...") are upper-case letters and digits.
bool valid_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 &&
         std::all_of(id.begin(), id.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

/// "/hostedzone/Z1" -> "Z1", "/change/C2" -> "C2"; an id without the prefix is kept.
std::string strip_prefix(std::string_view id, std::string_view prefix) {
  if (id.substr(0, prefix.size()) == prefix) id.remove_prefix(prefix.size());
  return std::string(id);
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

/// A record set as Route 53 holds it: values raw (quoted, as listed), rewritten as they were.
struct RecordSet {
  long long ttl = 0;
  std::vector<std::string> values;
};

/// What Route 53 answered: status, the parsed XML (an empty document when it is not XML) and,
/// for an error, its code and message (<ErrorResponse><Error>, or <InvalidChangeBatch><Messages>).
struct Answer {
  long status = 0;
  std::unique_ptr<pugi::xml_document> doc;
  bool xml = false;
  std::string code, message, body_start;
};

struct Credential {
  sigv4::Credentials keys;
  std::string source;  ///< where they came from, for messages: "the options", "the environment", ...
};

class Route53 final : public Provider {
 public:
  struct Settings {
    std::string api_url;
    std::string zone_id;  ///< hosted-zone-id, or empty
    bool private_zone = false;
    std::string profile;  ///< the option, or empty
    std::optional<Credential> given;  ///< from the options
  };

  Route53(const ProviderConfig& config, std::unique_ptr<http::Client> client, Settings s, Seams seams)
      : ttl_(config.ttl), client_(std::move(client)), s_(std::move(s)), seams_(with_real(std::move(seams))) {
    if (s_.given) cred_ = std::move(s_.given);
  }

  std::string_view type() const override { return "route53"; }

  Status present(const std::vector<TxtRecord>& records) override { return edit(records, true); }
  Status cleanup(const std::vector<TxtRecord>& records) override { return edit(records, false); }

 private:
  struct Name {
    std::string zone;
    std::vector<std::string> values;
  };

  Status edit(const std::vector<TxtRecord>& records, bool add) {
    std::map<std::string, Name> names;  // each name once, so each set is written once
    for (const auto& r : records) {
      Name& n = names[absolute_name(r.fqdn)];
      if (!r.zone.empty()) n.zone = absolute_name(r.zone);
      n.values.push_back(r.value);
    }
    TRY(credentials());
    for (const auto& [fqdn, name] : names) {
      const std::string zone = name.zone.empty() ? fqdn : name.zone;
      TRY_ASSIGN(const std::string zone_id, hosted_zone(zone));
      TRY(change_name(zone_id, zone, fqdn, name.values, add));
    }
    return ok();
  }

  // ---- credentials ------------------------------------------------------------------------------

  std::optional<std::string> env(const std::string& name) const {
    auto v = seams_.getenv(name);
    if (v && v->empty()) return std::nullopt;
    return v;
  }

  Status credentials() {
    if (cred_) return ok();
    const std::string subject = "route53 credentials";
    if (s_.profile.empty()) {
      const auto id = env("AWS_ACCESS_KEY_ID");
      const auto key = env("AWS_SECRET_ACCESS_KEY");
      if (id && key) {
        Credential c{{*id, SecretBytes::from(*key), {}}, "the environment (AWS_ACCESS_KEY_ID)"};
        if (auto token = env("AWS_SESSION_TOKEN")) c.keys.session_token = SecretBytes::from(*token);
        TRY(check(c, subject));
        cred_ = std::move(c);
        return ok();
      }
      if (id || key)
        return Error(Category::Usage, subject,
                     fmt::format("{} is set but {} is not", id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                                 id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID"));
    }
    std::string path;
    if (auto f = env("AWS_SHARED_CREDENTIALS_FILE")) {
      path = *f;
    } else if (auto home = env("HOME")) {
      path = *home + "/.aws/credentials";
    } else {
      return Error(Category::Usage, subject,
                   "no AWS credentials: no access-key-id/secret-access-key options, AWS_ACCESS_KEY_ID and "
                   "AWS_SECRET_ACCESS_KEY are not set, and neither AWS_SHARED_CREDENTIALS_FILE nor HOME is set");
    }
    std::string profile = s_.profile;
    if (profile.empty()) profile = env("AWS_PROFILE").value_or("default");
    TRY_ASSIGN(Credential c, from_file(path, profile, !s_.profile.empty()));
    TRY(check(c, subject));
    cred_ = std::move(c);
    return ok();
  }

  static Status check(const Credential& c, const std::string& subject) {
    if (c.keys.access_key_id.find_first_of(" \t\r\n/,=") != std::string::npos)
      return Error(Category::Usage, subject, fmt::format("the access key id from {} is malformed", c.source));
    if (c.keys.secret_access_key.view().find_first_of("\r\n") != std::string_view::npos ||
        c.keys.session_token.view().find_first_of("\r\n") != std::string_view::npos)
      return Error(Category::Usage, subject,
                   fmt::format("the secret access key or session token from {} contains a line break", c.source));
    return ok();
  }

  /// The keys of `profile` in the shared credentials file (INI: [profile], then
  /// aws_access_key_id, aws_secret_access_key, aws_session_token).
  static Result<Credential> from_file(const std::string& path, const std::string& profile, bool profile_option) {
    const std::string subject = path;
    std::ifstream in(path, std::ios::binary);
    if (!in && profile_option)
      return Error(Category::Usage, "route53 credentials",
                   fmt::format("no AWS credentials: the shared credentials file {} (option profile '{}') cannot be "
                               "read ({})",
                               path, profile, std::strerror(errno)));
    if (!in)
      return Error(Category::Usage, "route53 credentials",
                   fmt::format("no AWS credentials: no access-key-id/secret-access-key options, AWS_ACCESS_KEY_ID and "
                               "AWS_SECRET_ACCESS_KEY are not set, and the shared credentials file {} cannot be read ({})",
                               path, std::strerror(errno)));
    SecretBytes text(kMaxCredentialsFile + 1);
    in.read(reinterpret_cast<char*>(text.data()), static_cast<std::streamsize>(text.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got > kMaxCredentialsFile)
      return Error(Category::Usage, subject,
                   fmt::format("the shared credentials file is larger than {} bytes", kMaxCredentialsFile));
    text.resize(got);
    std::string_view rest = text.view();
    bool in_profile = false, found = false;
    Credential c;
    c.source = fmt::format("profile '{}' of {}", profile, path);
    SecretBytes secret;
    while (!rest.empty()) {
      const auto nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
      while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
      if (line.empty() || line.front() == '#' || line.front() == ';') continue;
      if (line.front() == '[') {
        const auto close = line.find(']');
        in_profile = close != std::string_view::npos && trim(line.substr(1, close - 1)) == profile;
        found = found || in_profile;
        continue;
      }
      if (!in_profile) continue;
      const auto eq = line.find('=');
      if (eq == std::string_view::npos) continue;
      std::string key = trim(line.substr(0, eq));
      for (char& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      std::string_view value = line.substr(eq + 1);
      while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) value.remove_prefix(1);
      if (key == "aws_access_key_id") c.keys.access_key_id = std::string(value);
      if (key == "aws_secret_access_key") c.keys.secret_access_key = SecretBytes::from(value);
      if (key == "aws_session_token") c.keys.session_token = SecretBytes::from(value);
    }
    if (!found)
      return Error(Category::Usage, subject,
                   fmt::format("no profile '{}' in the shared credentials file (set the route53 option profile, or "
                               "AWS_PROFILE)", profile));
    if (c.keys.access_key_id.empty() || c.keys.secret_access_key.empty())
      return Error(Category::Usage, subject,
                   fmt::format("profile '{}' has no aws_access_key_id and aws_secret_access_key (certctl reads only "
                               "static keys from this file)", profile));
    return c;
  }

  // ---- requests ---------------------------------------------------------------------------------

  /// Send one signed request and read its answer (a Network error when Route 53 cannot be reached).
  Result<Answer> send(const std::string& method, const std::string& url, std::string body) {
    http::Request req;
    req.method = method;
    req.url = url;
    if (!body.empty()) req.headers.push_back({"Content-Type", "application/xml"});
    req.body = std::move(body);
    TRY(sigv4::sign(req, cred_->keys, kScope, seams_.now()));
    TRY_ASSIGN(http::Response resp, api::send(*client_, std::move(req), seams_.sleep));
    Answer a;
    a.status = resp.status;
    a.body_start = api::snippet(resp.body);
    a.doc = std::make_unique<pugi::xml_document>();
    if (resp.body.size() <= kMaxAnswerBytes)
      a.xml = a.doc->load_buffer(resp.body.data(), resp.body.size(), pugi::parse_default, pugi::encoding_utf8).status ==
              pugi::status_ok;
    if (a.xml && (resp.status < 200 || resp.status > 299)) {
      const pugi::xml_node root = a.doc->document_element();
      if (std::string_view(root.name()) == "ErrorResponse") {
        a.code = root.child("Error").child_value("Code");
        a.message = root.child("Error").child_value("Message");
      } else {  // <InvalidChangeBatch><Messages><Message>...</Message>...</Messages>
        a.code = root.name();
        for (const pugi::xml_node m : root.child("Messages").children("Message")) {
          if (!a.message.empty()) a.message += "; ";
          a.message += m.child_value();
        }
        if (a.message.empty()) a.message = root.child_value("Message");
      }
    }
    return a;
  }

  /// What an answer outside 2xx means, naming the request and the zone or name it was about.
  Error failure(const Answer& a, const std::string& method, const std::string& url, const std::string& subject) const {
    std::string detail;
    if (!a.code.empty()) detail = a.message.empty() ? a.code : a.code + ": " + a.message;
    const std::string credential =
        fmt::format("AWS credentials (access key {} from {})", cred_->keys.access_key_id, cred_->source);
    Error e = api::answer_error({"Route 53", s_.api_url, method, url, subject, credential},
                                http::Response{a.status, {}, a.body_start}, detail);
    return e.category() == Category::NotFound ? e.with_category(Category::Dns) : e;
  }

  /// The root element of a 2xx answer, when it is `name`; a Dns error otherwise.
  Result<pugi::xml_node> root(const Answer& a, const char* name, const std::string& method,
                              const std::string& url) const {
    const pugi::xml_node r = a.xml ? a.doc->document_element() : pugi::xml_node();
    if (!r || std::string_view(r.name()) != name)
      return Error(Category::Dns, method + " " + url,
                   fmt::format("Route 53 answered HTTP {} without a <{}> document: {}", a.status, name, a.body_start));
    return r;
  }

  // ---- hosted zones -----------------------------------------------------------------------------

  /// The id of the hosted zone named `zone` (absolute), once per zone and run.
  Result<std::string> hosted_zone(const std::string& zone) {
    if (!s_.zone_id.empty()) return s_.zone_id;
    if (auto it = zones_.find(zone); it != zones_.end()) return it->second;
    const char* kind = s_.private_zone ? "private" : "public";
    std::vector<std::string> found;
    std::string dnsname = api::without_dot(zone), next_id;
    for (int page = 0; page < kMaxZonePages; ++page) {
      std::string url = fmt::format("{}/2013-04-01/hostedzonesbyname?dnsname={}", s_.api_url, api::url_encode(dnsname));
      if (!next_id.empty()) url += "&hostedzoneid=" + api::url_encode(next_id);
      url += fmt::format("&maxitems={}", kZonesPerPage);
      TRY_ASSIGN(Answer a, send("GET", url, {}));
      if (a.status < 200 || a.status > 299) return failure(a, "GET", url, zone);
      TRY_ASSIGN(const pugi::xml_node r, root(a, "ListHostedZonesByNameResponse", "GET", url));
      bool past = false;  // zones come sorted by name: the first other name ends the search
      for (const pugi::xml_node z : r.child("HostedZones").children("HostedZone")) {
        if (!wire::same_name(api::with_dot(z.child_value("Name")), zone)) {
          past = true;
          break;
        }
        const bool is_private = trim(z.child("Config").child_value("PrivateZone")) == "true";
        const std::string id = strip_prefix(trim(z.child_value("Id")), "/hostedzone/");
        if (is_private != s_.private_zone) continue;
        if (!valid_id(id))
          return Error(Category::Dns, zone, fmt::format("Route 53 listed this hosted zone with a malformed id '{}'", id));
        found.push_back(id);
      }
      if (past || trim(r.child_value("IsTruncated")) != "true") {
        if (found.size() > 1)
          return Error(Category::Dns, zone,
                       fmt::format("several {} hosted zones have this name in the Route 53 account ({}): set the "
                                   "option hosted-zone-id",
                                   kind, fmt::join(found, ", ")));
        if (found.empty())
          return Error(Category::Dns, zone,
                       fmt::format("no {} hosted zone of this name in the Route 53 account (ListHostedZonesByName "
                                   "found none; check the zone and that the credentials may list it{})",
                                   kind, s_.private_zone ? "" : ", or set private-zone=true for a private zone"));
        return zones_[zone] = found.front();
      }
      dnsname = trim(r.child_value("NextDNSName"));
      next_id = strip_prefix(trim(r.child_value("NextHostedZoneId")), "/hostedzone/");
      if (dnsname.empty() || !valid_id(next_id))
        return Error(Category::Dns, "GET " + url,
                     "Route 53 said the list of hosted zones is truncated but gave no NextDNSName/NextHostedZoneId");
    }
    return Error(Category::Dns, zone,
                 fmt::format("Route 53 lists more than {} pages of hosted zones from this name", kMaxZonePages));
  }

  // ---- record sets ------------------------------------------------------------------------------

  std::string zone_url(const std::string& zone_id) const { return s_.api_url + "/2013-04-01/hostedzone/" + zone_id; }

  /// The TXT record set at fqdn, or nullopt when there is none.
  Result<std::optional<RecordSet>> read(const std::string& zone_id, const std::string& fqdn) {
    const std::string url = fmt::format("{}/rrset?name={}&type=TXT&maxitems=1", zone_url(zone_id), api::url_encode(fqdn));
    TRY_ASSIGN(Answer a, send("GET", url, {}));
    if (a.status < 200 || a.status > 299) return failure(a, "GET", url, fqdn);
    TRY_ASSIGN(const pugi::xml_node r, root(a, "ListResourceRecordSetsResponse", "GET", url));
    // The list starts at name and type; another set there means there is no TXT set at the name.
    const pugi::xml_node set = r.child("ResourceRecordSets").child("ResourceRecordSet");
    if (!set || !wire::same_name(api::with_dot(set.child_value("Name")), fqdn) ||
        trim(set.child_value("Type")) != "TXT")
      return std::optional<RecordSet>();
    if (set.child("SetIdentifier") || set.child("AliasTarget"))
      return Error(Category::Dns, fqdn,
                   "the TXT record set here has a routing policy (SetIdentifier) or is an alias; certctl edits only "
                   "simple record sets");
    RecordSet out;
    const std::string ttl = trim(set.child_value("TTL"));
    if (ttl.empty() || ttl.size() > 10 || !std::all_of(ttl.begin(), ttl.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return Error(Category::Dns, "GET " + url, fmt::format("Route 53 listed the TXT set with a malformed TTL '{}'", ttl));
    std::from_chars(ttl.data(), ttl.data() + ttl.size(), out.ttl);  // at most 10 digits, checked above
    for (const pugi::xml_node rr : set.child("ResourceRecords").children("ResourceRecord"))
      out.values.emplace_back(rr.child_value("Value"));
    return std::optional<RecordSet>(std::move(out));
  }

  /// Add (present) or remove (cleanup) `values` at fqdn, reading and rewriting the whole set.
  Status change_name(const std::string& zone_id, const std::string& zone, const std::string& fqdn,
                     const std::vector<std::string>& values, bool add) {
    std::string last;
    for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
      if (attempt > 1) seams_.sleep(kRetryWait);
      TRY_ASSIGN(const std::optional<RecordSet> have, read(zone_id, fqdn));
      std::vector<std::string> want = have ? have->values : std::vector<std::string>();
      if (add) {
        for (const auto& v : values)
          if (std::none_of(want.begin(), want.end(), [&v](const std::string& raw) { return api::unquote_txt(raw) == v; }))
            want.push_back(api::quote_txt(v));
      } else {
        std::erase_if(want, [&values](const std::string& raw) {
          return std::find(values.begin(), values.end(), api::unquote_txt(raw)) != values.end();
        });
      }
      if ((have && want == have->values) || (!have && want.empty())) return ok();  // nothing to do
      const std::string body = change_batch(fqdn, have, want, add);
      const std::string url = zone_url(zone_id) + "/rrset";
      TRY_ASSIGN(Answer a, send("POST", url, body));
      if (a.status >= 200 && a.status <= 299) {
        TRY_ASSIGN(const pugi::xml_node r, root(a, "ChangeResourceRecordSetsResponse", "POST", url));
        return wait_insync(r.child("ChangeInfo"), fqdn, "POST", url);
      }
      const bool retry = a.status == 400 && (a.code == "InvalidChangeBatch" || a.code == "PriorRequestNotComplete" ||
                                             a.code == "Throttling");
      if (!retry) return failure(a, "POST", url, fqdn);
      last = a.message.empty() ? a.code : a.code + ": " + a.message;
    }
    return Error(Category::Dns, fqdn,
                 fmt::format("Route 53 refused the change of the TXT set in zone {} {} times (it changed meanwhile or "
                             "the zone was busy): {}",
                             zone, kMaxAttempts, last));
  }

  /// <ChangeResourceRecordSetsRequest>: DELETE the set as read, CREATE it with `want`.
  std::string change_batch(const std::string& fqdn, const std::optional<RecordSet>& have,
                           const std::vector<std::string>& want, bool add) const {
    pugi::xml_document doc;
    pugi::xml_node decl = doc.append_child(pugi::node_declaration);
    decl.append_attribute("version") = "1.0";
    decl.append_attribute("encoding") = "UTF-8";
    pugi::xml_node req = doc.append_child("ChangeResourceRecordSetsRequest");
    req.append_attribute("xmlns") = std::string(kXmlns).c_str();
    pugi::xml_node batch = req.append_child("ChangeBatch");
    batch.append_child("Comment").text() = add ? "certctl: dns-01 challenge" : "certctl: dns-01 cleanup";
    pugi::xml_node changes = batch.append_child("Changes");
    auto change = [&](const char* action, long long ttl, const std::vector<std::string>& rrs) {
      pugi::xml_node c = changes.append_child("Change");
      c.append_child("Action").text() = action;
      pugi::xml_node set = c.append_child("ResourceRecordSet");
      set.append_child("Name").text() = fqdn.c_str();
      set.append_child("Type").text() = "TXT";
      set.append_child("TTL").text() = ttl;
      pugi::xml_node list = set.append_child("ResourceRecords");
      for (const auto& v : rrs) list.append_child("ResourceRecord").append_child("Value").text() = v.c_str();
    };
    if (have) change("DELETE", have->ttl, have->values);
    if (!want.empty()) change("CREATE", have ? have->ttl : ttl_, want);
    std::ostringstream out;
    doc.save(out, "", pugi::format_raw);
    return out.str();
  }

  /// Poll GetChange until the change is INSYNC, at most kMaxChangeWait.
  Status wait_insync(const pugi::xml_node& info, const std::string& fqdn, const std::string& method,
                     const std::string& url) {
    const std::string id = strip_prefix(trim(info.child_value("Id")), "/change/");
    std::string status = trim(info.child_value("Status"));
    if (!valid_id(id))
      return Error(Category::Dns, method + " " + url,
                   fmt::format("Route 53 accepted the change but gave a malformed ChangeInfo Id '{}'", id));
    std::chrono::seconds waited{0};
    while (status != "INSYNC") {
      if (status != "PENDING")
        return Error(Category::Dns, fqdn, fmt::format("Route 53 reports change {} as '{}' (PENDING or INSYNC expected)", id, status));
      if (waited >= kMaxChangeWait)
        return Error(Category::Dns, fqdn,
                     fmt::format("Route 53's change {} was still PENDING after {} s (certctl waits at most {} s for a "
                                 "change to reach every Route 53 server)",
                                 id, waited.count(), kMaxChangeWait.count()));
      seams_.sleep(kChangePoll);
      waited += kChangePoll;
      const std::string get = s_.api_url + "/2013-04-01/change/" + id;
      TRY_ASSIGN(Answer a, send("GET", get, {}));
      if (a.status < 200 || a.status > 299) return failure(a, "GET", get, fqdn);
      TRY_ASSIGN(const pugi::xml_node r, root(a, "GetChangeResponse", "GET", get));
      status = trim(r.child("ChangeInfo").child_value("Status"));
    }
    return ok();
  }

  int ttl_;
  std::unique_ptr<http::Client> client_;
  Settings s_;
  Seams seams_;
  std::optional<Credential> cred_;
  std::map<std::string, std::string> zones_;  ///< zone (absolute) -> hosted zone id
};

}  // namespace

Result<std::unique_ptr<Provider>> make_route53(const ProviderConfig& config, std::unique_ptr<http::Client> client,
                                               Seams seams) {
  const std::string subject = api::provider_subject(config);
  Route53::Settings s;
  TRY_ASSIGN(s.api_url, api::base_url(config, "api-url", kDefaultApi));
  s.zone_id = strip_prefix(api::option(config, "hosted-zone-id"), "/hostedzone/");
  if (!api::option(config, "hosted-zone-id").empty() && !valid_id(s.zone_id))
    return Error(Category::Usage, subject,
                 fmt::format("hosted-zone-id must be a Route 53 zone id such as Z0123456789ABCDEFGHIJ, not '{}'",
                             api::option(config, "hosted-zone-id")));
  const std::string priv = api::option(config, "private-zone", "false");
  if (priv != "true" && priv != "false")
    return Error(Category::Usage, subject, fmt::format("private-zone must be true or false, not '{}'", priv));
  s.private_zone = priv == "true";
  s.profile = api::option(config, "profile");
  if (s.profile.find_first_of("[]\r\n") != std::string::npos)
    return Error(Category::Usage, subject, fmt::format("profile '{}' is not a profile name", s.profile));

  const std::string key_id = api::option(config, "access-key-id");
  const bool has_secret = config.secrets.count("secret-access-key") > 0;
  const bool has_token = config.secrets.count("session-token") > 0;
  if (!key_id.empty() || has_secret || has_token) {
    if (key_id.empty() || !has_secret)
      return Error(Category::Usage, subject,
                   "give access-key-id and secret-access-key together (the secret as --secret-access-key-env VAR), "
                   "or neither to use the AWS environment variables or the shared credentials file");
    if (!s.profile.empty())
      return Error(Category::Usage, subject, "give either access-key-id/secret-access-key or profile, not both");
    if (key_id.find_first_of(" \t\r\n/,=") != std::string::npos)
      return Error(Category::Usage, subject, fmt::format("access-key-id '{}' is malformed", key_id));
    Credential c;
    c.keys.access_key_id = key_id;
    TRY_ASSIGN(c.keys.secret_access_key, api::required_secret(config, "secret-access-key"));
    if (has_token) {
      TRY_ASSIGN(c.keys.session_token, api::required_secret(config, "session-token"));
    }
    c.source = "the options";
    s.given = std::move(c);
  }
  return std::unique_ptr<Provider>(std::make_unique<Route53>(config, std::move(client), std::move(s), std::move(seams)));
}

ProviderType route53_type() {
  return api::http_provider("route53", "Amazon Route 53, through its API with AWS Signature Version 4", {
      {"access-key-id", false, false, "AWS access key id (default: AWS_ACCESS_KEY_ID, else the shared credentials file)"},
      {"secret-access-key", false, true, "AWS secret access key, with access-key-id"},
      {"session-token", false, true, "AWS session token of temporary credentials, with access-key-id"},
      {"profile", false, false, "profile of the shared credentials file (default: AWS_PROFILE, else default)"},
      {"hosted-zone-id", false, false, "hosted zone id to use instead of finding the zone by name"},
      {"private-zone", false, false, "true: use the private hosted zone of the name, not the public one"},
      {"api-url", false, false, "API base URL (default: https://route53.amazonaws.com)"},
  }, &make_route53);
}

}  // namespace certctl::dns
