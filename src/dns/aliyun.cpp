/// `aliyun`: TXT records through Alibaba Cloud DNS (Alidns), RPC API version 2015-01-09, signed
/// with an AccessKey (SignatureVersion 1.0, HMAC-SHA1 over the canonical query). Every call is a
/// GET of `{api-url}/?Action=...` carrying the common parameters (Format=JSON, Version,
/// AccessKeyId, SignatureMethod, Timestamp, SignatureVersion, SignatureNonce) and the Signature.
/// A record's zone must be a domain of the account: `DescribeDomains` (KeyWord, paged) finds it
/// by its exact name once per run. present adds one record per value (`AddDomainRecord`, RR
/// relative to the zone, "@" at its apex; an identical record that exists already,
/// DomainRecordDuplicate, is fine) and keeps the RecordIds; cleanup deletes those
/// (`DeleteDomainRecord`), or, in a process that did not create them, the TXT records at the
/// name whose value is the value (`DescribeSubDomainRecords`, page by page). A record already
/// gone is not an error. The TTL sent is at least `min-ttl` (600 s, the free edition's floor).
#include <certctl/clock.hpp>
#include <certctl/crypto.hpp>

#include "dns/http_api.hpp"
#include "dns/providers.hpp"
#include "dns/wire.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>
#include <set>
#include <utility>

namespace certctl::dns {
namespace {
void wipe(std::string& s) { OPENSSL_cleanse(s.data(), s.size()); }
}  // namespace

std::string aliyun_string_to_sign(const std::map<std::string, std::string>& params) {
  std::string canonical;
  for (const auto& [k, v] : params) {
    if (!canonical.empty()) canonical += '&';
    canonical += api::url_encode(k) + "=" + api::url_encode(v);
  }
  return "GET&%2F&" + api::url_encode(canonical);
}

Result<std::string> aliyun_signature(std::string_view secret, const std::map<std::string, std::string>& params) {
  std::string key = std::string(secret) + "&";
  auto mac = crypto::hmac_sha1(key, aliyun_string_to_sign(params));
  wipe(key);
  if (!mac) return std::move(mac).error();
  return crypto::base64_encode(*mac);
}

namespace {

using api::Json;

constexpr std::string_view kApi = "Alibaba Cloud DNS";
constexpr std::string_view kDefaultApi = "https://alidns.aliyuncs.com";
constexpr std::string_view kVersion = "2015-01-09";
/// Rows asked for per page (the most DescribeDomains and DescribeSubDomainRecords allow), and
/// the most pages read for one lookup (10,000 rows).
constexpr int kPageSize = 100;
constexpr int kMaxPages = 100;
/// The lowest TTL the free edition accepts (paid editions go lower), and the highest of all.
constexpr int kDefaultMinTtl = 600;
constexpr int kMaxTtl = 86400;

/// Codes that mean the AccessKey was not accepted (not found, disabled, wrong secret, or not
/// allowed to call the action).
bool credential_code(const std::string& code) {
  return code.rfind("InvalidAccessKeyId", 0) == 0 || code.rfind("Forbidden", 0) == 0 ||
         code == "SignatureDoesNotMatch" || code == "IncompleteSignature" || code == "InvalidSecurityToken";
}

/// A RecordId as Alidns gives it (a string of digits; a number is taken too), or "".
std::string record_id(const Json& rec) {
  if (!rec.is_object() || !rec.contains("RecordId")) return {};
  const Json& id = rec["RecordId"];
  if (id.is_string()) return id.get<std::string>();
  if (id.is_number_integer()) return std::to_string(id.get<long long>());
  return {};
}

/// A non-negative integer member (a number or a string of digits), or -1.
long long count_of(const Json& doc, const char* key) {
  if (!doc.is_object() || !doc.contains(key)) return -1;
  const Json& v = doc[key];
  if (v.is_number_integer()) return v.get<long long>() >= 0 ? v.get<long long>() : -1;
  if (!v.is_string()) return -1;
  const std::string s = v.get<std::string>();
  long long n = -1;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size() || n < 0) return -1;
  return n;
}

/// doc[outer][inner] when it is an array ("Domains": {"Domain": [...]}), else nullptr.
const Json* nested_array(const Json& doc, const char* outer, const char* inner) {
  if (!doc.is_object() || !doc.contains(outer)) return nullptr;
  const Json& o = doc[outer];
  if (!o.is_object() || !o.contains(inner) || !o[inner].is_array()) return nullptr;
  return &o[inner];
}

class Aliyun final : public Provider {
 public:
  Aliyun(std::unique_ptr<http::Client> client, std::string api_url, std::string key_id, SecretBytes secret, int ttl,
         Seams seams)
      : client_(std::move(client)),
        api_url_(std::move(api_url)),
        key_id_(std::move(key_id)),
        secret_(std::move(secret)),
        ttl_(ttl),
        seams_(std::move(seams)) {}

  std::string_view type() const override { return "aliyun"; }

  Status present(const std::vector<TxtRecord>& records) override {
    for (const auto& r : records) {
      TRY_ASSIGN(const std::string zone, zone_of(r));
      const auto key = std::make_pair(api::with_dot(r.fqdn), r.value);
      if (created_.count(key)) continue;  // presented already by this object
      auto doc = call("AddDomainRecord",
                      {{"DomainName", zone},
                       {"RR", api::relative_name(r.fqdn, zone, "@")},
                       {"Type", "TXT"},
                       {"Value", r.value},
                       {"TTL", std::to_string(ttl_)}},
                      api::with_dot(r.fqdn));
      if (!doc && code_of(doc.error()) == "DomainRecordDuplicate") continue;  // there already
      if (!doc) return std::move(doc).error();
      const std::string id = record_id(*doc);
      if (id.empty())
        return Error(Category::Dns, api::with_dot(r.fqdn),
                     fmt::format("{} added the record but returned no RecordId", kApi));
      created_[key] = id;
    }
    return ok();
  }

  Status cleanup(const std::vector<TxtRecord>& records) override {
    for (const auto& r : records) {
      TRY_ASSIGN(const std::string zone, zone_of(r));
      const auto key = std::make_pair(api::with_dot(r.fqdn), r.value);
      std::vector<std::string> ids;
      if (auto it = created_.find(key); it != created_.end()) {
        ids.push_back(it->second);
      } else {
        TRY_ASSIGN(ids, find_records(zone, r));
      }
      for (const std::string& id : ids) {
        auto done = call("DeleteDomainRecord", {{"RecordId", id}}, api::with_dot(r.fqdn));
        if (!done && !gone(done.error())) return std::move(done).error();
      }
      created_.erase(key);
    }
    return ok();
  }

 private:
  /// The Code of the last error answer ("" when the last call succeeded or the API gave none).
  std::string code_of(const Error&) const { return last_code_; }
  /// A delete of a record that no longer exists (deleted meanwhile, or by another run).
  bool gone(const Error& e) const {
    const std::string& code = last_code_;
    return code == "DomainRecordNotBelongToUser" || code == "InvalidRecordId.NotFound" ||
           code == "RecordNotExists" || (e.category() == Category::NotFound && code.empty());
  }

  /// The record's zone (no trailing dot), found among the account's domains once per run.
  Result<std::string> zone_of(const TxtRecord& r) {
    const std::string zone = api::without_dot(r.zone);
    if (zone.empty()) return Error(Category::Internal, api::with_dot(r.fqdn), "no zone for this record");
    if (auto it = known_zones_.find(zone); it != known_zones_.end()) return it->second;
    long long seen = 0;
    for (int page = 1; page <= kMaxPages; ++page) {
      TRY_ASSIGN(Json doc, call("DescribeDomains",
                                {{"KeyWord", zone}, {"PageNumber", std::to_string(page)}, {"PageSize", std::to_string(kPageSize)}},
                                zone + "."));
      const Json* list = nested_array(doc, "Domains", "Domain");
      const long long total = count_of(doc, "TotalCount");
      if (!list || total < 0)
        return Error(Category::Dns, zone + ".",
                     fmt::format("{} answered DescribeDomains without TotalCount and Domains.Domain[]", kApi));
      for (const auto& d : *list) {
        const std::string name = api::str(d, "DomainName"), puny = api::str(d, "PunyCode");
        if ((!name.empty() && wire::same_name(name, zone)) || (!puny.empty() && wire::same_name(puny, zone))) {
          known_zones_[zone] = name.empty() ? puny : name;
          return known_zones_[zone];
        }
      }
      seen += static_cast<long long>(list->size());
      if (list->empty() || seen >= total)
        return Error(Category::Dns, zone + ".",
                     fmt::format("zone not found among the domains of the {} account (DescribeDomains "
                                 "KeyWord={} lists {} domain(s), none of them this one; check the zone name "
                                 "and that the AccessKey may read it)",
                                 kApi, zone, total));
    }
    return Error(Category::Dns, zone + ".",
                 fmt::format("{} lists more than {} pages of domains matching this zone", kApi, kMaxPages));
  }

  /// RecordIds of the TXT records holding r.value at r.fqdn, every page.
  Result<std::vector<std::string>> find_records(const std::string& zone, const TxtRecord& r) {
    const std::string rr = api::relative_name(r.fqdn, zone, "@");
    std::vector<std::string> ids;
    long long seen = 0;
    for (int page = 1; page <= kMaxPages; ++page) {
      TRY_ASSIGN(Json doc, call("DescribeSubDomainRecords",
                                {{"SubDomain", api::without_dot(r.fqdn)},
                                 {"DomainName", zone},
                                 {"Type", "TXT"},
                                 {"PageNumber", std::to_string(page)},
                                 {"PageSize", std::to_string(kPageSize)}},
                                api::with_dot(r.fqdn)));
      const Json* list = nested_array(doc, "DomainRecords", "Record");
      const long long total = count_of(doc, "TotalCount");
      if (!list || total < 0)
        return Error(Category::Dns, api::with_dot(r.fqdn),
                     fmt::format("{} answered DescribeSubDomainRecords without TotalCount and DomainRecords.Record[]",
                                 kApi));
      for (const auto& rec : *list) {
        const std::string id = record_id(rec);
        if (!id.empty() && api::str(rec, "Type") == "TXT" && wire::same_name(api::str(rec, "RR"), rr) &&
            api::unquote_txt(api::str(rec, "Value")) == r.value)
          ids.push_back(id);
      }
      seen += static_cast<long long>(list->size());
      if (list->empty() || seen >= total) return ids;
    }
    return Error(Category::Dns, api::with_dot(r.fqdn),
                 fmt::format("{} lists more than {} pages of TXT records at this name", kApi, kMaxPages));
  }

  /// One signed RPC call; the JSON answer on 2xx. Throttling (HTTP 429, which api::send waits
  /// out, or a Throttling.* Code) is tried again up to api::kRateLimitRetries times, 1, 2, 4 s apart. An error answer is a Dns error quoting
  /// Alibaba's Code and Message (the Code kept in last_code_ for the callers), or a NotFound one for a 404 that is not about the AccessKey. Neither the secret nor the
  /// signature appears in any message: errors name the API URL and the Action, not the URL sent.
  Result<Json> call(const std::string& action, const std::map<std::string, std::string>& params,
                    const std::string& subject) {
    for (int retry = 0;; ++retry) {
      auto r = call_once(action, params, subject);
      if (r || retry >= api::kRateLimitRetries || last_code_.rfind("Throttling", 0) != 0) return r;
      seams_.sleep(std::chrono::seconds(api::kRateLimitDefaultWait << retry));
    }
  }

  /// One try of call(): a fresh nonce, timestamp and signature.
  Result<Json> call_once(const std::string& action, std::map<std::string, std::string> params,
                         const std::string& subject) {
    last_code_.clear();
    params["AccessKeyId"] = key_id_;
    params["Action"] = action;
    params["Format"] = "JSON";
    params["SignatureMethod"] = "HMAC-SHA1";
    params["SignatureNonce"] = seams_.nonce();
    params["SignatureVersion"] = "1.0";
    params["Timestamp"] = format_rfc3339(seams_.now());
    params["Version"] = std::string(kVersion);
    TRY_ASSIGN(std::string signature, aliyun_signature(secret_.view(), params));
    std::string query;
    for (const auto& [k, v] : params) query += api::url_encode(k) + "=" + api::url_encode(v) + "&";
    query += "Signature=" + api::url_encode(signature);
    http::Request req;
    req.method = "GET";
    req.url = api_url_ + "/?" + query;
    wipe(query);
    auto sent = api::send(*client_, std::move(req));
    if (!sent) {
      const Error& e = sent.error();
      auto err = Error(e.category(), api_url_, e.message() + " (" + action + ")", redact(e.cause(), signature));
      wipe(signature);
      return err;
    }
    const http::Response& resp = *sent;
    if (resp.status >= 200 && resp.status <= 299) {
      wipe(signature);
      auto doc = api::parse(resp.body);
      if (!doc || !doc->is_object())
        return Error(Category::Dns, subject,
                     fmt::format("{} answered {} (HTTP {}) without a JSON object: {}", kApi, action, resp.status,
                                 api::snippet(resp.body)));
      return std::move(*doc);
    }
    auto doc = api::parse(resp.body);
    const std::string code = doc && doc->is_object() ? api::str(*doc, "Code") : std::string();
    last_code_ = code;
    std::string message = doc && doc->is_object() ? api::str(*doc, "Message") : api::snippet(resp.body);
    message = redact(api::snippet(message), signature);
    wipe(signature);
    const std::string said = code.empty() ? fmt::format("HTTP {}", resp.status) : fmt::format("{}, HTTP {}", code, resp.status);
    const std::string detail = message.empty() ? std::string() : ": " + message;
    if (credential_code(code) || (code.empty() && (resp.status == 401 || resp.status == 403)))
      return Error(Category::Dns, api_url_,
                   fmt::format("{} rejected the AccessKey {} ({}){}", kApi, key_id_, said, detail));
    if (resp.status == 429 || code.rfind("Throttling", 0) == 0)
      return Error(Category::Dns, api_url_,
                   fmt::format("{}'s rate limit ({}) outlasted certctl's retries{}", kApi, said, detail));
    if (code == "QuotaExceeded.TTL")
      return Error(Category::Dns, subject,
                   fmt::format("{} refused TTL {}: raise the provider's min-ttl to the lowest TTL this domain's "
                               "edition allows ({}){}",
                               kApi, ttl_, said, detail));
    if (resp.status == 404 && code.empty())
      return Error(Category::NotFound, subject, fmt::format("{} answered {} with HTTP 404{}", kApi, action, detail));
    return Error(Category::Dns, subject, fmt::format("{} {} failed ({}){}", kApi, action, said, detail));
  }

  /// text with every occurrence of the signature (plain or percent-encoded) cut out.
  static std::string redact(std::string text, const std::string& signature) {
    for (const std::string& s : {signature, api::url_encode(signature)}) {
      if (s.empty()) continue;
      for (auto at = text.find(s); at != std::string::npos; at = text.find(s, at)) text.replace(at, s.size(), "<redacted>");
    }
    return text;
  }

  std::unique_ptr<http::Client> client_;
  std::string api_url_;
  std::string key_id_;
  SecretBytes secret_;
  int ttl_;
  Seams seams_;
  std::string last_code_;
  std::map<std::string, std::string> known_zones_;                    ///< zone -> DomainName
  std::map<std::pair<std::string, std::string>, std::string> created_;  ///< (fqdn, value) -> RecordId
};

}  // namespace

Result<std::unique_ptr<Provider>> make_aliyun(const ProviderConfig& config, std::unique_ptr<http::Client> client,
                                              Seams seams) {
  TRY_ASSIGN(auto url, api::base_url(config, "api-url", kDefaultApi));
  TRY_ASSIGN(auto secret, api::required_secret(config, "access-key-secret"));
  const std::string key_id = api::option(config, "access-key-id");
  if (key_id.empty() || key_id.size() > 128 ||
      !std::all_of(key_id.begin(), key_id.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; }))
    return Error(Category::Usage, api::provider_subject(config),
                 "access-key-id must be the AccessKey ID (printable characters, no blanks)");
  int min_ttl = kDefaultMinTtl;
  if (const std::string m = api::option(config, "min-ttl"); !m.empty()) {
    auto [end, ec] = std::from_chars(m.data(), m.data() + m.size(), min_ttl);
    if (ec != std::errc() || end != m.data() + m.size() || min_ttl < 1 || min_ttl > kMaxTtl)
      return Error(Category::Usage, api::provider_subject(config),
                   fmt::format("min-ttl '{}' is not a number of seconds from 1 to {}", m, kMaxTtl));
  }
  if (config.ttl > kMaxTtl)
    return Error(Category::Usage, api::provider_subject(config),
                 fmt::format("ttl {} is above the {} seconds Alibaba Cloud DNS accepts", config.ttl, kMaxTtl));
  const int ttl = std::max(config.ttl, min_ttl);
  return std::unique_ptr<Provider>(std::make_unique<Aliyun>(std::move(client), std::move(url), key_id, std::move(secret),
                                                            ttl, with_real(std::move(seams))));
}

ProviderType aliyun_type() {
  return api::http_provider("aliyun", "Alibaba Cloud DNS (Alidns), through its RPC API with an AccessKey", {
      {"access-key-id", true, false, "AccessKey ID of the account or RAM user"},
      {"access-key-secret", true, true, "AccessKey secret (signs every request; never sent)"},
      {"api-url", false, false, "API endpoint (default: https://alidns.aliyuncs.com)"},
      {"min-ttl", false, false, "lowest TTL the domain's edition accepts (default: 600, the free edition's)"},
  }, &make_aliyun);
}

}  // namespace certctl::dns
