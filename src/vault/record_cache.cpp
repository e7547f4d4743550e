#include "vault/record_cache.hpp"

#include <certctl/fs.hpp>

#include <cstring>
#include <sys/stat.h>

namespace certctl::vault {
namespace {

constexpr std::string_view kMagic = "CCRC";
constexpr std::uint32_t kVersion = 5;  // bump whenever Record or the encoding changes

class Writer {
 public:
  void u64(std::uint64_t v) { buf_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void str(const std::string& s) {
    u64(s.size());
    buf_ += s;
  }
  void strs(const std::vector<std::string>& v) {
    u64(v.size());
    for (const auto& s : v) str(s);
  }
  std::string& buf() { return buf_; }

 private:
  std::string buf_;
};

/// Bounds-checked reads; any overrun marks the reader bad and yields zero values.
class Reader {
 public:
  explicit Reader(std::string_view data) : d_(data) {}
  bool good() const { return good_; }
  bool at_end() const { return d_.empty(); }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    if (d_.size() < sizeof v) return fail();
    std::memcpy(&v, d_.data(), sizeof v);
    d_.remove_prefix(sizeof v);
    return v;
  }
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  int i32() { return static_cast<int>(i64()); }
  std::string str() {
    const std::uint64_t n = u64();
    if (!good_ || n > d_.size()) {
      fail();
      return {};
    }
    std::string s(d_.substr(0, n));
    d_.remove_prefix(n);
    return s;
  }
  std::vector<std::string> strs() {
    const std::uint64_t n = u64();
    std::vector<std::string> v;
    if (n > d_.size()) {
      fail();
      return v;
    }
    v.reserve(n);
    for (std::uint64_t i = 0; i < n && good_; ++i) v.push_back(str());
    return v;
  }

 private:
  std::uint64_t fail() {
    good_ = false;
    d_ = {};
    return 0;
  }
  std::string_view d_;
  bool good_ = true;
};

void encode(Writer& w, const Record& r) {
  w.str(r.name);
  w.str(r.domain);
  w.strs(r.sans);
  w.strs({r.subject.o, r.subject.ou, r.subject.c, r.subject.st, r.subject.l, r.subject.email});
  w.str(r.key_type);
  w.str(r.ca);
  w.i64(r.renew_days);
  w.i64(static_cast<int>(r.status));
  w.i64(static_cast<int>(r.source));
  w.i64(r.version);
  w.u64((r.has_key ? 1 : 0) | (r.has_csr ? 2 : 0) | (r.has_cert ? 4 : 0) | (r.has_chain ? 8 : 0));
  w.str(r.issued_by);
  w.str(r.last_error);
  for (UnixTime t : {r.created, r.updated, r.csr_created, r.issued, r.renewed, r.revoked}) w.i64(t);
  w.str(r.revoke_reason);
  const IssueSettings& is = r.settings;
  w.strs({is.challenge, is.dns, is.webroot, is.http_address, is.profile, is.preferred_chain, r.last_problem});
  w.i64(is.http_port);
  w.i64(is.tls_port);
  w.strs(is.fallback);
  w.i64(r.retry_after);
  w.i64(r.attempts);
  w.i64(r.next_attempt);
  w.u64((is.reuse_key ? 1 : 0) | (r.deploy_failed ? 2 : 0));
  w.strs({is.deploy_dir, is.deploy_owner, is.deploy_hook});
  w.strs({r.ari.cert_id, r.ari.explanation_url, r.ari.last_error});
  for (UnixTime t : {r.ari.window_start, r.ari.window_end, r.ari.renew_at, r.ari.checked, r.ari.next_check}) w.i64(t);
  w.u64(r.cert ? 1 : 0);
  if (r.cert) {
    const CertMeta& c = *r.cert;
    w.strs({c.subject_dn, c.issuer, c.issuer_cn, c.serial_dec, c.serial_hex, c.fingerprint_md5, c.fingerprint_sha1,
            c.fingerprint_sha256, c.key_description, c.signature_algorithm});
    w.i64(c.key_size);
    w.i64(c.not_before);
    w.i64(c.not_after);
  }
  w.u64(r.history.size());
  for (const auto& h : r.history) {
    w.i64(h.version);
    w.i64(h.retired);
    w.strs({h.reason, h.ca, h.serial_hex, h.fingerprint_sha256});
    w.i64(h.not_before);
    w.i64(h.not_after);
  }
}

bool decode(Reader& rd, Record& r) {
  r.name = rd.str();
  r.domain = rd.str();
  r.sans = rd.strs();
  auto subj = rd.strs();
  if (subj.size() != 6) return false;
  r.subject = Subject{subj[0], subj[1], subj[2], subj[3], subj[4], subj[5]};
  r.key_type = rd.str();
  r.ca = rd.str();
  r.renew_days = rd.i32();
  const int status = rd.i32(), source = rd.i32();
  if (status < 0 || status > static_cast<int>(CertStatus::Revoked) || source < 0 ||
      source > static_cast<int>(Source::ExternalCsr))
    return false;
  r.status = static_cast<CertStatus>(status);
  r.source = static_cast<Source>(source);
  r.version = rd.i32();
  const std::uint64_t flags = rd.u64();
  r.has_key = flags & 1;
  r.has_csr = flags & 2;
  r.has_cert = flags & 4;
  r.has_chain = flags & 8;
  r.issued_by = rd.str();
  r.last_error = rd.str();
  for (UnixTime* t : {&r.created, &r.updated, &r.csr_created, &r.issued, &r.renewed, &r.revoked}) *t = rd.i64();
  r.revoke_reason = rd.str();
  auto is = rd.strs();
  if (is.size() != 7) return false;
  r.settings.challenge = is[0];
  r.settings.dns = is[1];
  r.settings.webroot = is[2];
  r.settings.http_address = is[3];
  r.settings.profile = is[4];
  r.settings.preferred_chain = is[5];
  r.last_problem = is[6];
  r.settings.http_port = rd.i32();
  r.settings.tls_port = rd.i32();
  r.settings.fallback = rd.strs();
  r.retry_after = rd.i64();
  r.attempts = rd.i32();
  r.next_attempt = rd.i64();
  const std::uint64_t bits = rd.u64();
  r.settings.reuse_key = bits & 1;
  r.deploy_failed = bits & 2;
  auto dep = rd.strs();
  if (dep.size() != 3) return false;
  r.settings.deploy_dir = dep[0];
  r.settings.deploy_owner = dep[1];
  r.settings.deploy_hook = dep[2];
  auto ari = rd.strs();
  if (ari.size() != 3) return false;
  r.ari.cert_id = ari[0];
  r.ari.explanation_url = ari[1];
  r.ari.last_error = ari[2];
  for (UnixTime* t : {&r.ari.window_start, &r.ari.window_end, &r.ari.renew_at, &r.ari.checked, &r.ari.next_check})
    *t = rd.i64();
  if (rd.u64() == 1) {
    CertMeta c;
    auto s = rd.strs();
    if (s.size() != 10) return false;
    c.subject_dn = s[0];
    c.issuer = s[1];
    c.issuer_cn = s[2];
    c.serial_dec = s[3];
    c.serial_hex = s[4];
    c.fingerprint_md5 = s[5];
    c.fingerprint_sha1 = s[6];
    c.fingerprint_sha256 = s[7];
    c.key_description = s[8];
    c.signature_algorithm = s[9];
    c.key_size = rd.i32();
    c.not_before = rd.i64();
    c.not_after = rd.i64();
    r.cert = std::move(c);
  }
  const std::uint64_t n = rd.u64();
  for (std::uint64_t i = 0; i < n && rd.good(); ++i) {
    HistoryEntry h;
    h.version = rd.i32();
    h.retired = rd.i64();
    auto s = rd.strs();
    if (s.size() != 4) return false;
    h.reason = s[0];
    h.ca = s[1];
    h.serial_hex = s[2];
    h.fingerprint_sha256 = s[3];
    h.not_before = rd.i64();
    h.not_after = rd.i64();
    r.history.push_back(std::move(h));
  }
  return rd.good();
}

}  // namespace

std::optional<FileStamp> stamp_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileStamp{static_cast<std::uint64_t>(st.st_ino), static_cast<std::uint64_t>(st.st_size),
                   static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

std::unordered_map<std::string, CacheEntry> read_record_cache(const std::string& path) {
  std::unordered_map<std::string, CacheEntry> out;
  auto data = fs::read_file(path);
  if (!data || data->size() < kMagic.size() || std::string_view(*data).substr(0, kMagic.size()) != kMagic) return out;
  Reader rd(std::string_view(*data).substr(kMagic.size()));
  if (rd.u64() != kVersion) return out;
  const std::uint64_t count = rd.u64();
  out.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    CacheEntry e;
    e.stamp.ino = rd.u64();
    e.stamp.size = rd.u64();
    e.stamp.mtime_ns = rd.i64();
    if (!decode(rd, e.record)) return {};
    std::string name = e.record.name;
    out.emplace(std::move(name), std::move(e));
  }
  if (!rd.good() || !rd.at_end()) return {};
  return out;
}

void write_record_cache(const std::string& path, const std::vector<CacheEntry*>& entries) {
  Writer w;
  w.buf() = std::string(kMagic);
  w.u64(kVersion);
  w.u64(entries.size());
  for (const CacheEntry* e : entries) {
    w.u64(e->stamp.ino);
    w.u64(e->stamp.size);
    w.i64(e->stamp.mtime_ns);
    encode(w, e->record);
  }
  if (fs::make_dirs(fs::dirname(path), 0700)) (void)fs::write_file_atomic(path, w.buf());
}

}  // namespace certctl::vault
