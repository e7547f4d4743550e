#include "vault/record_toml.hpp"

#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace certctl::vault {
namespace {

constexpr int kRecordFormat = 1;

void put_time(toml::table& t, std::string_view key, UnixTime v) {
  if (v != 0) t.insert_or_assign(key, format_rfc3339(v));
}

void put_str(toml::table& t, std::string_view key, const std::string& v) {
  if (!v.empty()) t.insert_or_assign(key, v);
}

/// Reads fields out of a table, remembering the first problem so parsing stays linear.
class Reader {
 public:
  Reader(const toml::table& t, const std::string& path) : t_(t), path_(path) {}

  std::string str(std::string_view key, const toml::table* t = nullptr) {
    const toml::table& tab = t ? *t : t_;
    if (auto v = tab[key].value<std::string>()) return *v;
    return {};
  }
  std::int64_t integer(std::string_view key, const toml::table* t = nullptr) {
    const toml::table& tab = t ? *t : t_;
    return tab[key].value<std::int64_t>().value_or(0);
  }
  bool boolean(std::string_view key) { return t_[key].value<bool>().value_or(false); }
  UnixTime time(std::string_view key, const toml::table* t = nullptr) {
    std::string s = str(key, t);
    if (s.empty()) return 0;
    auto r = parse_rfc3339(s, key);
    if (!r) {
      fail(fmt::format("field '{}' is not an RFC 3339 time", key));
      return 0;
    }
    return *r;
  }
  void fail(std::string msg) {
    if (!error_) error_ = Error(Category::Vault, path_, std::move(msg));
  }
  std::optional<Error> error_;

 private:
  const toml::table& t_;
  const std::string& path_;
};

}  // namespace

std::string render_record(const Record& r) {
  toml::table t;
  t.insert_or_assign("format", kRecordFormat);
  t.insert_or_assign("name", r.name);
  t.insert_or_assign("domain", r.domain);
  toml::array sans;
  for (const auto& s : r.sans) sans.push_back(s);
  t.insert_or_assign("sans", std::move(sans));
  t.insert_or_assign("status", std::string(status_name(r.status)));
  t.insert_or_assign("source", std::string(source_name(r.source)));
  t.insert_or_assign("ca", r.ca);
  t.insert_or_assign("key_type", r.key_type);
  t.insert_or_assign("renew_days", r.renew_days);
  t.insert_or_assign("version", r.version);
  put_str(t, "issued_by", r.issued_by);
  put_str(t, "last_error", r.last_error);
  put_str(t, "revoke_reason", r.revoke_reason);

  put_str(t, "last_problem", r.last_problem);
  put_time(t, "retry_after", r.retry_after);
  if (r.attempts) t.insert_or_assign("attempts", r.attempts);
  put_time(t, "next_attempt", r.next_attempt);
  if (r.deploy_failed) t.insert_or_assign("deploy_failed", true);
  if (!r.ari.cert_id.empty()) {
    toml::table at;
    at.insert_or_assign("cert_id", r.ari.cert_id);
    put_time(at, "window_start", r.ari.window_start);
    put_time(at, "window_end", r.ari.window_end);
    put_time(at, "renew_at", r.ari.renew_at);
    put_time(at, "checked", r.ari.checked);
    put_time(at, "next_check", r.ari.next_check);
    put_str(at, "explanation_url", r.ari.explanation_url);
    put_str(at, "last_error", r.ari.last_error);
    t.insert_or_assign("ari", std::move(at));
  }
  {
    const IssueSettings& is = r.settings;
    toml::table it;
    put_str(it, "challenge", is.challenge);
    put_str(it, "dns", is.dns);
    put_str(it, "webroot", is.webroot);
    put_str(it, "http_address", is.http_address);
    if (is.http_port) it.insert_or_assign("http_port", is.http_port);
    if (is.tls_port) it.insert_or_assign("tls_port", is.tls_port);
    put_str(it, "profile", is.profile);
    put_str(it, "preferred_chain", is.preferred_chain);
    if (is.reuse_key) it.insert_or_assign("reuse_key", true);
    put_str(it, "deploy_dir", is.deploy_dir);
    put_str(it, "deploy_owner", is.deploy_owner);
    put_str(it, "deploy_hook", is.deploy_hook);
    if (!is.fallback.empty()) {
      toml::array fb;
      for (const auto& f : is.fallback) fb.push_back(f);
      it.insert_or_assign("fallback", std::move(fb));
    }
    if (!it.empty()) t.insert_or_assign("issue", std::move(it));
  }

  toml::table subject;
  put_str(subject, "o", r.subject.o);
  put_str(subject, "ou", r.subject.ou);
  put_str(subject, "c", r.subject.c);
  put_str(subject, "st", r.subject.st);
  put_str(subject, "l", r.subject.l);
  put_str(subject, "email", r.subject.email);
  t.insert_or_assign("subject", std::move(subject));

  toml::table files;
  files.insert_or_assign("key", r.has_key);
  files.insert_or_assign("csr", r.has_csr);
  files.insert_or_assign("cert", r.has_cert);
  files.insert_or_assign("chain", r.has_chain);
  t.insert_or_assign("files", std::move(files));

  toml::table times;
  put_time(times, "created", r.created);
  put_time(times, "updated", r.updated);
  put_time(times, "csr_created", r.csr_created);
  put_time(times, "issued", r.issued);
  put_time(times, "renewed", r.renewed);
  put_time(times, "revoked", r.revoked);
  t.insert_or_assign("times", std::move(times));

  if (r.cert) {
    const CertMeta& c = *r.cert;
    toml::table ct;
    put_str(ct, "subject", c.subject_dn);
    put_str(ct, "issuer", c.issuer);
    put_str(ct, "issuer_cn", c.issuer_cn);
    put_str(ct, "serial_dec", c.serial_dec);
    put_str(ct, "serial_hex", c.serial_hex);
    put_str(ct, "fingerprint_md5", c.fingerprint_md5);
    put_str(ct, "fingerprint_sha1", c.fingerprint_sha1);
    put_str(ct, "fingerprint_sha256", c.fingerprint_sha256);
    put_str(ct, "key", c.key_description);
    ct.insert_or_assign("key_size", c.key_size);
    put_str(ct, "signature_algorithm", c.signature_algorithm);
    put_time(ct, "not_before", c.not_before);
    put_time(ct, "not_after", c.not_after);
    t.insert_or_assign("cert", std::move(ct));
  }

  toml::array history;
  for (const auto& h : r.history) {
    toml::table ht;
    ht.insert_or_assign("version", h.version);
    put_time(ht, "retired", h.retired);
    put_str(ht, "reason", h.reason);
    put_str(ht, "ca", h.ca);
    put_str(ht, "serial_hex", h.serial_hex);
    put_str(ht, "fingerprint_sha256", h.fingerprint_sha256);
    put_time(ht, "not_before", h.not_before);
    put_time(ht, "not_after", h.not_after);
    history.push_back(std::move(ht));
  }
  if (!history.empty()) t.insert_or_assign("history", std::move(history));

  std::ostringstream out;
  out << "# certctl certificate record; edit with `certctl edit`, not by hand.\n";
  out << t << '\n';
  return out.str();
}

Result<Record> parse_record(std::string_view text, const std::string& path) {
  toml::table t;
  try {
    t = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return Error(Category::Vault, path,
                 fmt::format("corrupt record (line {}): {}", e.source().begin.line, e.description()));
  }
  Reader rd(t, path);
  Record r;
  if (rd.integer("format") != kRecordFormat)
    return Error(Category::Vault, path, fmt::format("unsupported record format {}", rd.integer("format")));
  r.name = rd.str("name");
  r.domain = rd.str("domain");
  if (r.name.empty() || r.domain.empty()) return Error(Category::Vault, path, "corrupt record: name or domain missing");
  if (const toml::array* sans = t["sans"].as_array())
    for (const auto& s : *sans)
      if (auto v = s.value<std::string>()) r.sans.push_back(*v);
  auto st = parse_status(rd.str("status"));
  if (!st) return Error(Category::Vault, path, "corrupt record: bad status");
  r.status = *st;
  auto src = parse_source(rd.str("source"));
  if (!src) return Error(Category::Vault, path, "corrupt record: bad source");
  r.source = *src;
  r.ca = rd.str("ca");
  r.key_type = rd.str("key_type");
  r.renew_days = static_cast<int>(rd.integer("renew_days"));
  r.version = static_cast<int>(rd.integer("version"));
  r.issued_by = rd.str("issued_by");
  r.last_error = rd.str("last_error");
  r.revoke_reason = rd.str("revoke_reason");
  r.last_problem = rd.str("last_problem");
  r.retry_after = rd.time("retry_after");
  r.attempts = static_cast<int>(rd.integer("attempts"));
  r.next_attempt = rd.time("next_attempt");
  r.deploy_failed = rd.boolean("deploy_failed");
  if (const toml::table* at = t["ari"].as_table()) {
    r.ari.cert_id = rd.str("cert_id", at);
    r.ari.window_start = rd.time("window_start", at);
    r.ari.window_end = rd.time("window_end", at);
    r.ari.renew_at = rd.time("renew_at", at);
    r.ari.checked = rd.time("checked", at);
    r.ari.next_check = rd.time("next_check", at);
    r.ari.explanation_url = rd.str("explanation_url", at);
    r.ari.last_error = rd.str("last_error", at);
  }
  if (const toml::table* it = t["issue"].as_table()) {
    IssueSettings& is = r.settings;
    is.challenge = rd.str("challenge", it);
    is.dns = rd.str("dns", it);
    is.webroot = rd.str("webroot", it);
    is.http_address = rd.str("http_address", it);
    is.http_port = static_cast<int>(rd.integer("http_port", it));
    is.tls_port = static_cast<int>(rd.integer("tls_port", it));
    is.profile = rd.str("profile", it);
    is.preferred_chain = rd.str("preferred_chain", it);
    is.reuse_key = (*it)["reuse_key"].value<bool>().value_or(false);
    is.deploy_dir = rd.str("deploy_dir", it);
    is.deploy_owner = rd.str("deploy_owner", it);
    is.deploy_hook = rd.str("deploy_hook", it);
    if (const toml::array* fb = (*it)["fallback"].as_array())
      for (const auto& f : *fb)
        if (auto v = f.value<std::string>()) is.fallback.push_back(*v);
  }

  if (const toml::table* s = t["subject"].as_table()) {
    r.subject.o = rd.str("o", s);
    r.subject.ou = rd.str("ou", s);
    r.subject.c = rd.str("c", s);
    r.subject.st = rd.str("st", s);
    r.subject.l = rd.str("l", s);
    r.subject.email = rd.str("email", s);
  }
  if (const toml::table* f = t["files"].as_table()) {
    r.has_key = (*f)["key"].value<bool>().value_or(false);
    r.has_csr = (*f)["csr"].value<bool>().value_or(false);
    r.has_cert = (*f)["cert"].value<bool>().value_or(false);
    r.has_chain = (*f)["chain"].value<bool>().value_or(false);
  }
  if (const toml::table* tm = t["times"].as_table()) {
    r.created = rd.time("created", tm);
    r.updated = rd.time("updated", tm);
    r.csr_created = rd.time("csr_created", tm);
    r.issued = rd.time("issued", tm);
    r.renewed = rd.time("renewed", tm);
    r.revoked = rd.time("revoked", tm);
  }
  if (const toml::table* c = t["cert"].as_table()) {
    CertMeta m;
    m.subject_dn = rd.str("subject", c);
    m.issuer = rd.str("issuer", c);
    m.issuer_cn = rd.str("issuer_cn", c);
    m.serial_dec = rd.str("serial_dec", c);
    m.serial_hex = rd.str("serial_hex", c);
    m.fingerprint_md5 = rd.str("fingerprint_md5", c);
    m.fingerprint_sha1 = rd.str("fingerprint_sha1", c);
    m.fingerprint_sha256 = rd.str("fingerprint_sha256", c);
    m.key_description = rd.str("key", c);
    m.key_size = static_cast<int>(rd.integer("key_size", c));
    m.signature_algorithm = rd.str("signature_algorithm", c);
    m.not_before = rd.time("not_before", c);
    m.not_after = rd.time("not_after", c);
    r.cert = std::move(m);
  }
  if (const toml::array* hs = t["history"].as_array()) {
    for (const auto& node : *hs) {
      const toml::table* h = node.as_table();
      if (!h) continue;
      HistoryEntry e;
      e.version = static_cast<int>(rd.integer("version", h));
      e.retired = rd.time("retired", h);
      e.reason = rd.str("reason", h);
      e.ca = rd.str("ca", h);
      e.serial_hex = rd.str("serial_hex", h);
      e.fingerprint_sha256 = rd.str("fingerprint_sha256", h);
      e.not_before = rd.time("not_before", h);
      e.not_after = rd.time("not_after", h);
      r.history.push_back(std::move(e));
    }
  }
  if (rd.error_) return std::move(*rd.error_);
  return r;
}

}  // namespace certctl::vault
