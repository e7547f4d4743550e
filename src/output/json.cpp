#include <certctl/output.hpp>

#include <nlohmann/json.hpp>

namespace certctl::output {
namespace {

using Json = nlohmann::ordered_json;

Json time_or_null(UnixTime t) { return t ? Json(format_rfc3339(t)) : Json(nullptr); }
Json str_or_null(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

std::string dump(const Json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// The fields `list --json` promises (a contract for scripts: add, never rename).
Json summary(const vault::Record& r, UnixTime now) {
  Json j;
  j["name"] = r.name;
  j["domain"] = r.domain;
  j["sans"] = r.sans;
  j["status"] = vault::status_name(vault::effective_status(r, now));
  j["ca"] = str_or_null(r.ca);
  const vault::CertMeta* c = r.cert ? &*r.cert : nullptr;
  j["not_before"] = time_or_null(c ? c->not_before : 0);
  j["not_after"] = time_or_null(c ? c->not_after : 0);
  auto days = vault::days_remaining(r, now);
  j["days_remaining"] = days ? Json(*days) : Json(nullptr);
  j["auto_renew_days"] = vault::auto_renew_days(r);
  j["auto_renew"] = r.source != vault::Source::Imported;
  j["serial_hex"] = c ? str_or_null(c->serial_hex) : Json(nullptr);
  j["fingerprint_sha256"] = c ? str_or_null(c->fingerprint_sha256) : Json(nullptr);
  j["issuer"] = c ? str_or_null(c->issuer) : Json(nullptr);
  j["issued_by"] = str_or_null(r.issued_by);
  j["key_type"] = r.key_type;
  j["source"] = vault::source_name(r.source);
  j["wildcard"] = r.wildcard();
  return j;
}

Json details(const vault::Record& r, UnixTime now) {
  Json j = summary(r, now);
  j["stored_status"] = vault::status_name(r.status);
  j["version"] = r.version;
  Json s;
  s["organization"] = str_or_null(r.subject.o);
  s["organizational_unit"] = str_or_null(r.subject.ou);
  s["country"] = str_or_null(r.subject.c);
  s["state"] = str_or_null(r.subject.st);
  s["locality"] = str_or_null(r.subject.l);
  s["email"] = str_or_null(r.subject.email);
  j["subject"] = std::move(s);
  j["renew_days"] = r.renew_days;
  j["created"] = time_or_null(r.created);
  j["updated"] = time_or_null(r.updated);
  j["csr_created"] = time_or_null(r.csr_created);
  j["issued"] = time_or_null(r.issued);
  j["expires"] = time_or_null(r.cert ? r.cert->not_after : 0);
  j["renewed"] = time_or_null(r.renewed);
  j["revoked"] = time_or_null(r.revoked);
  j["revoke_reason"] = str_or_null(r.revoke_reason);
  j["last_error"] = str_or_null(r.last_error);
  j["last_problem"] = str_or_null(r.last_problem);
  j["retry_after"] = time_or_null(r.retry_after);
  const vault::IssueSettings& is = r.settings;
  j["issue"] = {{"challenge", is.challenge.empty() ? Json("http-01") : Json(is.challenge)},
                {"dns", str_or_null(is.dns)},
                {"webroot", str_or_null(is.webroot)},
                {"http_address", str_or_null(is.http_address)},
                {"http_port", is.http_port ? Json(is.http_port) : Json(nullptr)},
                {"tls_port", is.tls_port ? Json(is.tls_port) : Json(nullptr)},
                {"profile", str_or_null(is.profile)},
                {"preferred_chain", str_or_null(is.preferred_chain)},
                {"fallback", is.fallback},
                {"reuse_key", is.reuse_key},
                {"deploy_dir", str_or_null(is.deploy_dir)},
                {"deploy_owner", str_or_null(is.deploy_owner)},
                {"deploy_hook", str_or_null(is.deploy_hook)}};
  j["deploy_failed"] = r.deploy_failed;
  if (r.ari.cert_id.empty()) {
    j["ari"] = nullptr;
  } else {
    j["ari"] = {{"cert_id", r.ari.cert_id},
                {"window_start", time_or_null(r.ari.window_start)},
                {"window_end", time_or_null(r.ari.window_end)},
                {"renew_at", time_or_null(r.ari.renew_at)},
                {"checked", time_or_null(r.ari.checked)},
                {"next_check", time_or_null(r.ari.next_check)},
                {"explanation_url", str_or_null(r.ari.explanation_url)},
                {"last_error", str_or_null(r.ari.last_error)}};
  }
  j["attempts"] = r.attempts;
  j["next_attempt"] = time_or_null(r.next_attempt);
  j["has_key"] = r.has_key;
  j["has_csr"] = r.has_csr;
  if (r.cert) {
    const vault::CertMeta& c = *r.cert;
    Json cj;
    cj["subject"] = c.subject_dn;
    cj["issuer"] = c.issuer;
    cj["issuer_cn"] = str_or_null(c.issuer_cn);
    cj["serial_dec"] = c.serial_dec;
    cj["serial_hex"] = c.serial_hex;
    cj["fingerprint_md5"] = c.fingerprint_md5;
    cj["fingerprint_sha1"] = c.fingerprint_sha1;
    cj["fingerprint_sha256"] = c.fingerprint_sha256;
    cj["key"] = c.key_description;
    cj["key_size"] = c.key_size;
    cj["signature_algorithm"] = c.signature_algorithm;
    cj["not_before"] = time_or_null(c.not_before);
    cj["not_after"] = time_or_null(c.not_after);
    j["certificate"] = std::move(cj);
    j["serial_dec"] = c.serial_dec;
    j["fingerprint_sha1"] = c.fingerprint_sha1;
    j["fingerprint_md5"] = c.fingerprint_md5;
    j["key_size"] = c.key_size;
    j["signature_algorithm"] = c.signature_algorithm;
  } else {
    j["certificate"] = nullptr;
  }
  Json h = Json::array();
  for (const auto& e : r.history) {
    Json he;
    he["version"] = e.version;
    he["retired"] = time_or_null(e.retired);
    he["reason"] = e.reason;
    he["ca"] = str_or_null(e.ca);
    he["serial_hex"] = str_or_null(e.serial_hex);
    he["fingerprint_sha256"] = str_or_null(e.fingerprint_sha256);
    he["not_before"] = time_or_null(e.not_before);
    he["not_after"] = time_or_null(e.not_after);
    h.push_back(std::move(he));
  }
  j["history"] = std::move(h);
  return j;
}

}  // namespace

std::string records_json(const std::vector<vault::Record>& records, UnixTime now) {
  // One object at a time, so memory holds one JSON tree, not one per record; the text is the
  // same as dumping the whole array with an indent of 2.
  if (records.empty()) return "[]";
  std::string out = "[\n";
  out.reserve(records.size() * 900);
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::string obj = dump(summary(records[i], now), 2);
    out += "  ";
    for (char c : obj) {
      out += c;
      if (c == '\n') out += "  ";
    }
    out += i + 1 < records.size() ? ",\n" : "\n";
  }
  out += "]";
  return out;
}

std::string record_json(const vault::Record& r, UnixTime now) { return dump(details(r, now), 2); }

std::string error_json(const Error& e) {
  Json j;
  j["error"]["category"] = category_name(e.category());
  j["error"]["subject"] = e.subject();
  j["error"]["message"] = e.cause().empty() ? e.message() : e.message() + ": " + e.cause();
  j["error"]["exit_code"] = e.exit_code();
  return dump(j, 2);
}

std::string vault_info_json(const std::string& path, const vault::VaultInfo& info,
                            const std::vector<std::pair<std::string, int>>& counts) {
  Json j;
  j["path"] = path;
  j["format"] = info.format;
  j["created"] = str_or_null(info.created);
  j["unlock_method"] = info.method;
  j["kdf"] = info.kdf;
  if (info.kdf == "scrypt") j["scrypt"] = {{"n", info.scrypt_n}, {"r", info.scrypt_r}, {"p", info.scrypt_p}};
  Json c = Json::object();
  int total = 0;
  for (const auto& [k, v] : counts) {
    c[k] = v;
    total += v;
  }
  j["records"] = total;
  j["by_status"] = std::move(c);
  return dump(j, 2);
}

std::string local_ca_json(const ca::LocalCaInfo& info) {
  Json j;
  j["subject"] = info.subject_dn;
  j["key"] = info.key_description;
  j["serial_hex"] = info.serial_hex;
  j["fingerprint_sha256"] = info.fingerprint_sha256;
  j["not_before"] = time_or_null(info.not_before);
  j["not_after"] = time_or_null(info.not_after);
  return dump(j, 2);
}

namespace {
Json profile_json(const ca::CaProfile& p) {
  Json j;
  j["name"] = p.name;
  j["type"] = p.is_local() ? "local" : "acme";
  j["directory"] = str_or_null(p.directory);
  j["ca_bundle"] = str_or_null(p.ca_bundle);
  j["eab_kid"] = str_or_null(p.eab_kid);
  j["eab_required"] = p.eab_required;
  j["tech_zone"] = str_or_null(p.tech_zone);
  j["allow_wildcard"] = p.allow_wildcard;
  j["profile"] = str_or_null(p.profile);
  j["staging"] = str_or_null(p.staging);
  j["builtin"] = p.builtin;
  return j;
}
}  // namespace

std::string ca_profiles_json(const std::vector<ca::CaProfile>& profiles) {
  Json arr = Json::array();
  for (const auto& p : profiles) arr.push_back(profile_json(p));
  return dump(arr, 2);
}

std::string ca_profile_json(const ca::CaProfile& p) { return dump(profile_json(p), 2); }

std::string account_json(const ca::Account& a) {
  Json j;
  j["ca"] = a.ca;
  j["url"] = a.url;
  j["status"] = a.status;
  j["contact"] = a.contact;
  j["key_type"] = a.key_type;
  j["created"] = time_or_null(a.created);
  return dump(j, 2);
}

std::string renew_report_json(const lifecycle::RenewReport& report) {
  Json j;
  j["dry_run"] = report.dry_run;
  j["checked"] = report.checked;
  std::size_t renewed = 0, failed = 0;
  Json items = Json::array();
  for (const auto& i : report.items) {
    renewed += i.outcome == "renewed" || i.outcome == "validated";
    failed += i.outcome == "failed" || i.outcome == "deploy failed";
    Json o;
    o["name"] = i.name;
    o["outcome"] = i.outcome;
    o["reason"] = i.reason;
    o["error"] = str_or_null(i.error);
    o["exit_code"] = i.exit_code;
    o["issued_by"] = str_or_null(i.issued_by);
    o["serial_hex"] = str_or_null(i.serial_hex);
    o["not_after"] = time_or_null(i.not_after);
    items.push_back(std::move(o));
  }
  j["renewed"] = renewed;
  j["failed"] = failed;
  j["hook_error"] = report.hook_error ? Json(report.hook_error->text()) : Json(nullptr);
  j["items"] = std::move(items);
  return dump(j, 2);
}

std::string orders_json(const std::vector<vault::Vault::LoggedOrder>& orders) {
  Json arr = Json::array();
  for (const auto& o : orders) {
    Json j;
    j["time"] = o.time;
    j["name"] = o.entry.name;
    j["ca"] = o.entry.ca;
    j["type"] = o.entry.type;
    j["status"] = o.entry.status;
    j["user"] = o.user;
    j["duration_s"] = o.entry.duration_s;
    j["error"] = str_or_null(o.entry.error);
    j["replaces"] = str_or_null(o.entry.replaces);
    arr.push_back(std::move(j));
  }
  return dump(arr, 2);
}

std::string notifiers_json(const std::vector<lifecycle::NotifierSpec>& notifiers) {
  Json arr = Json::array();
  for (const auto& n : notifiers)
    arr.push_back({{"name", n.name},
                   {"type", n.type},
                   {"url", n.url},
                   {"from", str_or_null(n.from)},
                   {"to", n.to},
                   {"smtp_user", str_or_null(n.user)},
                   {"smtp_password_env", str_or_null(n.password_env)},
                   {"starttls", n.starttls},
                   {"ca_bundle", str_or_null(n.ca_bundle)},
                   {"events", n.events},
                   {"expiring_days", n.expiring_days}});
  return dump(arr, 2);
}

std::string deploy_targets_json(const std::vector<lifecycle::DeployTarget>& targets) {
  Json arr = Json::array();
  for (const auto& t : targets)
    arr.push_back({{"name", t.name},
                   {"cas", t.cas},
                   {"records", t.records},
                   {"cert", str_or_null(t.cert)},
                   {"chain", str_or_null(t.chain)},
                   {"fullchain", str_or_null(t.fullchain)},
                   {"key", str_or_null(t.key)},
                   {"mode", fmt::format("{:04o}", t.mode)},
                   {"key_mode", fmt::format("{:04o}", t.key_mode)},
                   {"owner", str_or_null(t.owner)},
                   {"hook", str_or_null(t.hook)},
                   {"pre_hook", str_or_null(t.pre_hook)},
                   {"post_hook", str_or_null(t.post_hook)}});
  return dump(arr, 2);
}

namespace {
Json dns_provider(const lifecycle::DnsProviderInfo& p) {
  return {{"name", p.name},       {"type", p.type},       {"options", p.options},
          {"secrets", p.secrets}, {"tech_zone", str_or_null(p.tech_zone)},
          {"ttl", p.ttl},         {"timeout_s", p.timeout_s}};
}
}  // namespace

std::string dns_providers_json(const std::vector<lifecycle::DnsProviderInfo>& providers) {
  Json arr = Json::array();
  for (const auto& p : providers) arr.push_back(dns_provider(p));
  return dump(arr, 2);
}

std::string dns_provider_json(const lifecycle::DnsProviderInfo& provider) { return dump(dns_provider(provider), 2); }

std::string dns_check_json(const std::vector<lifecycle::DnsCheckItem>& items) {
  Json arr = Json::array();
  for (const auto& i : items)
    arr.push_back({{"name", i.name},
                   {"target", i.target},
                   {"expected", str_or_null(i.expected)},
                   {"ok", i.ok},
                   {"instruction", str_or_null(i.instruction)}});
  return dump(arr, 2);
}

}  // namespace certctl::output
