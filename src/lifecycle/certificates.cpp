// Record use cases: create, edit, csr, adopt a CSR, delete, and the local CA set-up.
#include <certctl/ca.hpp>
#include <certctl/challenge.hpp>
#include <certctl/crypto.hpp>
#include <certctl/domain.hpp>
#include <certctl/fs.hpp>
#include <certctl/lifecycle.hpp>
#include <certctl/process.hpp>

#include "lifecycle/config_table.hpp"
#include "lifecycle/internal.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace certctl::lifecycle {
namespace detail {

vault::CertMeta meta_from(const crypto::CertInfo& i) {
  // In CertMeta's order: subject, issuer DN and CN, serial, fingerprints, key, signature, validity.
  return vault::CertMeta{i.subject_dn,         i.issuer_dn,        i.issuer_cn,          i.serial_dec,
                         i.serial_hex,         i.fingerprint_md5,  i.fingerprint_sha1,   i.fingerprint_sha256,
                         i.key_description,    i.key_bits,         i.signature_algorithm, i.not_before,
                         i.not_after};
}

void retire_current(vault::Record& r, std::string_view reason, UnixTime now) {
  if (r.version == 0 || !r.has_cert) return;
  vault::HistoryEntry h;
  h.version = r.version;
  h.retired = now;
  h.reason = std::string(reason);
  h.ca = r.issued_by;
  if (r.cert) {
    h.serial_hex = r.cert->serial_hex;
    h.fingerprint_sha256 = r.cert->fingerprint_sha256;
    h.not_before = r.cert->not_before;
    h.not_after = r.cert->not_after;
  }
  r.history.push_back(std::move(h));
}

Result<vault::Record> load_existing(Context ctx, const std::string& name) { return ctx.vault.load(name); }

Status refuse_discovered(const vault::Record& r, std::string_view command) {
  if (r.source != vault::Source::Discovered) return ok();
  return Error(Category::State, r.name,
               fmt::format("was discovered at {}; certctl only keeps track of it and cannot {} it (it holds no key; "
                           "`certctl show {}` tells more, `certctl delete {}` forgets it)",
                           r.seen_at, command, r.name, r.name));
}

std::optional<std::string> stored_dns_provider(const ca::ChallengeSettings& settings) {
  if (settings.type != vault::ChallengeType::Dns01 || !settings.dns) return std::nullopt;
  if (auto* ref = std::get_if<challenge::ProviderRef>(&*settings.dns)) return ref->name;
  return std::nullopt;
}

std::optional<std::string> stored_dns_provider(const std::string& dns) {
  ca::ChallengeSettings c;
  c.type = vault::ChallengeType::Dns01;
  if (auto setting = challenge::parse_dns_setting(dns)) c.dns = *setting;
  return stored_dns_provider(c);
}

Status save_named_config(Context ctx, std::string_view kind, const vault::NamedConfig& config, std::string_view action,
                         std::vector<std::pair<std::string, std::string>> details) {
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  (void)lock;
  TRY(vault::save_config(ctx.vault, kind, config));
  return audit(ctx, action, config.name, std::move(details));
}

Result<vault::NamedConfig> load_named_config(Context ctx, std::string_view kind, const std::string& name) {
  TRY(vault::validate_name(name));
  return vault::load_config(ctx.vault, kind, name);
}

Status remove_named_config(Context ctx, std::string_view kind, const std::string& name, std::string_view action) {
  TRY(vault::validate_name(name));
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  (void)lock;
  TRY(vault::remove_config(ctx.vault, kind, name));
  return audit(ctx, action, name);
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    std::size_t end = s.find(',', pos);
    if (end == std::string::npos) end = s.size();
    if (end > pos) out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

void split_names(const vault::Record& r, std::vector<std::string>& dns, std::vector<std::string>& ips) {
  for (const auto& n : r.all_names()) (domain::is_ip(n) ? ips : dns).push_back(n);
}

crypto::CsrRequest csr_request_for(const vault::Record& r) {
  crypto::CsrRequest req;
  // CN is limited to 64 characters; longer names go in the SAN only (CAs accept that).
  if (r.domain.size() <= 64) req.subject.cn = r.domain;
  req.subject.o = r.subject.o;
  req.subject.ou = r.subject.ou;
  req.subject.c = r.subject.c;
  req.subject.st = r.subject.st;
  req.subject.l = r.subject.l;
  req.subject.email = r.subject.email;
  split_names(r, req.dns_names, req.ip_addresses);
  return req;
}

bool csr_matches_record(const crypto::CsrInfo& csr, const vault::Record& r) {
  const crypto::CsrRequest want = csr_request_for(r);
  auto same_set = [](std::vector<std::string> a, std::vector<std::string> b) {
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    return a == b;
  };
  const crypto::Subject& s = csr.subject;
  const crypto::Subject& w = want.subject;
  return same_set(csr.dns_names, want.dns_names) && same_set(csr.ip_addresses, want.ip_addresses) &&
         s.cn == w.cn && s.o == w.o && s.ou == w.ou && s.c == w.c && s.st == w.st && s.l == w.l && s.email == w.email &&
         csr.key_type && crypto::key_type_name(*csr.key_type) == r.key_type;
}

Result<crypto::PrivateKey> load_key(Context ctx, const vault::Record& r, int version) {
  if (!r.has_key && version == r.version && r.key_policy == vault::KeyPolicy::Device && r.has_cert)
    return Error(Category::State, r.name,
                 "its key is sealed only to the hosts it deploys to (key-policy device); the vault cannot open it");
  if (!r.has_key && version == r.version)
    return Error(Category::State, r.name,
                 r.source == vault::Source::ExternalCsr
                     ? "no private key in the vault: its CSR was made elsewhere"
                     : "no private key yet: run `certctl csr " + r.name + "`");
  const std::string path = ctx.vault.where(vault::Layout::version_file(r.name, version, kKeyFile));
  TRY_ASSIGN(std::string sealed, ctx.vault.read_file(r.name, version, kKeyFile));
  TRY_ASSIGN(SecretBytes pem, ctx.vault.open_sealed(r.name, sealed, path));
  return crypto::PrivateKey::parse(pem, path);
}

Status audit(Context ctx, std::string_view action, const std::string& name,
             std::vector<std::pair<std::string, std::string>> details) {
  return ctx.vault.audit(action, name, details, ctx.clock.now());
}

}  // namespace detail

namespace {

using namespace detail;

Status apply_names(vault::Record& r, const RecordFields& f) {
  if (f.domain) {
    TRY_ASSIGN(domain::Identifier id, domain::parse(*f.domain));
    r.domain = id.value;
  }
  if (f.sans) {
    std::vector<std::string> out;
    std::set<std::string> seen{r.domain};
    for (const auto& s : *f.sans) {
      TRY_ASSIGN(domain::Identifier id, domain::parse(s));
      if (seen.insert(id.value).second) out.push_back(id.value);
    }
    r.sans = std::move(out);
  } else {
    r.sans.erase(std::remove(r.sans.begin(), r.sans.end(), r.domain), r.sans.end());
  }
  return ok();
}

Status apply_subject(vault::Record& r, const RecordFields& f) {
  if (f.c) {
    if (!f.c->empty() && (f.c->size() != 2 || !std::isalpha(static_cast<unsigned char>((*f.c)[0])) ||
                          !std::isalpha(static_cast<unsigned char>((*f.c)[1]))))
      return Error(Category::Input, fmt::format("country '{}'", *f.c), "must be a two-letter ISO 3166 code, e.g. DE");
    std::string c = *f.c;
    std::transform(c.begin(), c.end(), c.begin(), [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    r.subject.c = c;
  }
  if (f.email) {
    if (!f.email->empty() && (f.email->find('@') == std::string::npos || f.email->front() == '@' ||
                              f.email->back() == '@'))
      return Error(Category::Input, fmt::format("email '{}'", *f.email), "is not an e-mail address");
    r.subject.email = *f.email;
  }
  auto field_ok = [](const std::optional<std::string>& v, const char* what) -> Status {
    if (v && v->size() > 64) return Error(Category::Input, what, "longer than 64 characters");
    return ok();
  };
  TRY(field_ok(f.o, "--org"));
  TRY(field_ok(f.ou, "--ou"));
  TRY(field_ok(f.st, "--state"));
  TRY(field_ok(f.l, "--locality"));
  if (f.o) r.subject.o = *f.o;
  if (f.ou) r.subject.ou = *f.ou;
  if (f.st) r.subject.st = *f.st;
  if (f.l) r.subject.l = *f.l;
  return ok();
}

Status apply_settings(vault::Record& r, const RecordFields& f, const vault::Vault& v) {
  if (f.key_type) {
    TRY_ASSIGN(crypto::KeyType kt, crypto::parse_key_type(*f.key_type));
    r.key_type = std::string(crypto::key_type_name(kt));
  }
  if (f.ca) {
    TRY(ca::validate_ca_name(*f.ca, &v));
    r.ca = *f.ca;
  }
  if (f.renew_days) {
    if (*f.renew_days < 0 || *f.renew_days > 3650)
      return Error(Category::Usage, "--renew-days", "must be between 0 (automatic) and 3650");
    r.renew_days = *f.renew_days;
  }
  if (f.key_policy) r.key_policy = *f.key_policy;
  return ok();
}

bool changes_identity(const RecordFields& f) {
  return f.domain || f.sans || f.key_type || f.o || f.ou || f.c || f.st || f.l || f.email;
}

/// A new record from `f`, checked, not yet saved.
Result<vault::Record> build_record(Context ctx, const std::string& name, const RecordFields& f) {
  TRY(vault::validate_name(name));
  if (!f.domain || f.domain->empty()) return Error(Category::Usage, "--domain", "is required");
  vault::Record r;
  r.name = name;
  TRY(apply_names(r, f));
  TRY(apply_subject(r, f));
  TRY(apply_settings(r, f, ctx.vault));
  r.created = r.updated = ctx.clock.now();
  r.status = vault::CertStatus::Draft;
  return r;
}

}  // namespace

Status detail::check_same_domain(const vault::Record& existing, const RecordFields& f) {
  if (!f.domain) return ok();
  TRY_ASSIGN(domain::Identifier id, domain::parse(*f.domain));
  if (existing.domain != id.value)
    return Error(Category::State, existing.name,
                 fmt::format("exists for {}, not {}; pick another name or drop --domain", existing.domain, id.value));
  return ok();
}

Result<vault::Record> detail::new_record(Context ctx, const std::string& name, const RecordFields& f) {
  return build_record(ctx, name, f);
}

Result<vault::Record> detail::draft_record(Context ctx, const std::string& name, const RecordFields& f) {
  if (!ctx.vault.exists(name)) return build_record(ctx, name, f);
  TRY_ASSIGN(vault::Record r, load_existing(ctx, name));
  TRY(check_same_domain(r, f));
  if (r.status == vault::CertStatus::Revoked) return Error(Category::State, name, "is revoked; create a new record");
  if (r.source != vault::Source::Managed)
    return Error(Category::State, name, "has no key of its own here (imported, or a CSR made elsewhere); a dry run cannot change its names");
  TRY(apply_names(r, f));
  TRY(apply_subject(r, f));
  TRY(apply_settings(r, f, ctx.vault));
  return r;
}

namespace {
/// A new record's name must be free (checked under the vault lock).
Status refuse_existing(Context ctx, const std::string& name) {
  if (ctx.vault.exists(name))
    return Error(Category::State, name, "exists already; change it with `certctl edit` or pick another name");
  return ok();
}
}  // namespace

Result<vault::Record> create(Context ctx, const std::string& name, const RecordFields& f) {
  TRY_ASSIGN(vault::Record r, build_record(ctx, name, f));
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  TRY(refuse_existing(ctx, name));
  TRY(check_policy(ctx, name, policy_subject(r, record_cas(r))));
  TRY(ctx.vault.save(r));
  TRY(audit(ctx, "create", name, {{"domain", r.domain}}));
  return r;
}

Status detail::check_settings(Context ctx, const SettingsOverride& s) {
  if (s.dns && !s.dns->empty()) {
    TRY(challenge::parse_dns_setting(*s.dns));
    if (auto provider = stored_dns_provider(*s.dns)) TRY(load_named_config(ctx, "dns", *provider));
  }
  if (s.fallback)
    for (const auto& f : *s.fallback) TRY(ca::validate_ca_name(f, &ctx.vault));
  if (s.webroot && !s.webroot->empty() && s.webroot->front() != '/')
    return Error(Category::Usage, "--webroot", fmt::format("'{}' is not an absolute path", *s.webroot));
  if (s.webroot_map) TRY(challenge::parse_webroot_map(*s.webroot_map));
  if (s.http_hook && !s.http_hook->empty()) {
    TRY(proc::check_program(*s.http_hook, "the hook", "--http-hook"));
    if ((s.webroot && !s.webroot->empty()) || (s.webroot_map && !s.webroot_map->empty()))
      return Error(Category::Usage, "--http-hook", "answers http-01 itself; give it or --webroot, not both");
  }
  return ok();
}

namespace {

/// Put an imported record under management: it renews here from `r.ca`, with the first
/// renewal's `replaces` taken from its certificate (a new key and CSR are made then).
void take_over(Context ctx, vault::Record& r) {
  r.source = vault::Source::Managed;
  r.has_csr = false;
  r.last_error.clear();
  auto pem = ctx.vault.read_file(r.name, r.version, kCertFile);
  if (!pem) return;
  auto certs = crypto::parse_certificates(*pem, r.name);
  if (!certs) return;
  if (auto id = crypto::ari_cert_id(certs->front(), r.name)) r.ari.cert_id = *id;
}

}  // namespace

Result<EditResult> edit(Context ctx, const std::string& name, const RecordFields& f, const SettingsOverride& settings) {
  TRY(vault::validate_name(name));
  TRY(check_settings(ctx, settings));
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  TRY_ASSIGN(vault::Record r, load_existing(ctx, name));
  EditResult out;
  const int old_version = r.version;
  const bool identity = changes_identity(f);
  TRY(refuse_discovered(r, "edit"));
  if (r.status == vault::CertStatus::Revoked && (identity || settings.any() || f.ca))
    return Error(Category::State, name, "is revoked; create a new record (`certctl create`) for a new certificate");
  if (r.source == vault::Source::Imported) {
    if (f.ca) {
      out.taken_over = true;
    } else if (identity || settings.any()) {
      return Error(Category::State, name,
                   fmt::format("was imported, so it is not issued here; put it under management first: `certctl edit "
                               "{} --ca CA --challenge ...`",
                               name));
    }
  }
  if (identity && r.has_cert && r.source == vault::Source::ExternalCsr)
    return Error(Category::State, name,
                 fmt::format("has a CSR made elsewhere, so its names and key come from it; adopt a new one "
                             "(`certctl csr {} --csr-file FILE`)",
                             name));
  if (identity) {
    TRY(apply_names(r, f));
    TRY(apply_subject(r, f));
    if (r.has_cert) {
      out.identity_pending = true;  // the next certificate gets a new key and CSR with them
    } else if (r.has_csr) {
      out.csr_discarded = true;
      r.has_csr = r.has_key = false;
      r.csr_created = 0;
      r.status = vault::CertStatus::Draft;
      r.source = vault::Source::Managed;
    }
  }
  TRY(apply_settings(r, f, ctx.vault));
  settings.apply_to(r.settings);
  if (out.taken_over) take_over(ctx, r);
  // What the next certificate would be: checked when the names, subject, key type or CAs change.
  if (identity || f.ca || settings.fallback)
    TRY(check_policy(ctx, name, policy_subject(r, r.source == vault::Source::Imported ? std::vector<std::string>{} : record_cas(r))));
  r.updated = ctx.clock.now();
  TRY(ctx.vault.save(r, std::nullopt, out.csr_discarded ? std::vector<int>{old_version} : std::vector<int>{}));
  std::vector<std::pair<std::string, std::string>> details{{"csr_discarded", out.csr_discarded ? "true" : "false"}};
  if (out.identity_pending) details.emplace_back("identity_pending", "true");
  if (out.taken_over) details.emplace_back("taken_over", r.ca);
  TRY(audit(ctx, "edit", name, std::move(details)));
  out.record = std::move(r);
  return out;
}

namespace {

/// A record ready for a new key/CSR: exists, not yet issued.
Result<vault::Record> load_for_csr(Context ctx, const std::string& name) {
  TRY_ASSIGN(vault::Record r, load_existing(ctx, name));
  TRY(refuse_discovered(r, "make a CSR for"));
  if (r.source == vault::Source::Imported)
    return Error(Category::State, name,
                 fmt::format("was imported; put it under management (`certctl edit {} --ca CA --challenge ...`) and its "
                             "next issue or renewal makes a new key and CSR",
                             name));
  if (r.has_cert)
    return Error(Category::State, name,
                 fmt::format("is {} with a certificate; `certctl issue {}` issues a new one with the same key",
                             vault::status_name(r.status), name));
  if (r.status == vault::CertStatus::Revoked) return Error(Category::State, name, "is revoked; create a new record");
  return r;
}

/// Switch the record to a freshly written version; the abandoned unissued version is removed.
Status commit_csr_version(Context ctx, vault::Record& r, vault::Vault::VersionFiles files) {
  const int old = r.version;
  const int version = files.version;
  r.version = version;
  r.has_csr = true;
  r.has_cert = r.has_chain = false;
  r.status = vault::CertStatus::Pending;
  r.csr_created = r.updated = ctx.clock.now();
  r.last_error.clear();
  return ctx.vault.save(r, files, old != 0 && old != version ? std::vector<int>{old} : std::vector<int>{});
}

/// A fresh key (of the record's type, sealed) and CSR saved as the record's next version; the
/// vault lock is held. The caller audits it ("csr").
Status commit_new_key(Context ctx, vault::Record& r) {
  TRY_ASSIGN(crypto::KeyType kt, crypto::parse_key_type(r.key_type));
  TRY_ASSIGN(crypto::PrivateKey key, crypto::PrivateKey::generate(kt));
  TRY_ASSIGN(std::string csr, crypto::make_csr(key, csr_request_for(r)));
  TRY_ASSIGN(std::string sealed, ctx.vault.seal(r.name, key.to_pem()));
  r.has_key = true;
  r.source = vault::Source::Managed;
  return commit_csr_version(ctx, r, {r.version + 1, {{std::string(kKeyFile), std::move(sealed)}, {std::string(kCsrFile), std::move(csr)}}});
}

/// The audit line of a new key and CSR.
Status audit_csr(Context ctx, const vault::Record& r) {
  return audit(ctx, "csr", r.name, {{"key_type", r.key_type}, {"version", std::to_string(r.version)}});
}

}  // namespace

Result<vault::Record> make_csr(Context ctx, const std::string& name) {
  TRY(vault::validate_name(name));
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  TRY_ASSIGN(vault::Record r, load_for_csr(ctx, name));
  TRY(check_policy(ctx, name, policy_subject(r, record_cas(r))));
  TRY(commit_new_key(ctx, r));
  TRY(audit_csr(ctx, r));
  return r;
}

Result<vault::Record> detail::create_with_csr(Context ctx, const std::string& name, const RecordFields& f) {
  TRY_ASSIGN(vault::Record r, build_record(ctx, name, f));
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  TRY(refuse_existing(ctx, name));
  TRY(check_policy(ctx, name, policy_subject(r, record_cas(r))));
  TRY(commit_new_key(ctx, r));  // saved once, with its key; audited as the two commands would be
  TRY(audit(ctx, "create", name, {{"domain", r.domain}}));
  TRY(audit_csr(ctx, r));
  return r;
}

Result<vault::Record> adopt_csr(Context ctx, const std::string& name, const std::string& csr_file) {
  TRY(vault::validate_name(name));
  TRY_ASSIGN(std::string data, fs::read_file(csr_file));
  TRY_ASSIGN(crypto::CsrInfo csr, crypto::parse_csr(data, csr_file));
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  TRY_ASSIGN(vault::Record r, load_for_csr(ctx, name));
  std::set<std::string> want;
  for (const auto& n : r.all_names()) want.insert(n);
  std::set<std::string> have(csr.dns_names.begin(), csr.dns_names.end());
  have.insert(csr.ip_addresses.begin(), csr.ip_addresses.end());
  if (have.empty() && !csr.subject.cn.empty()) have.insert(csr.subject.cn);
  for (const auto& n : want)
    if (!have.count(n))
      return Error(Category::Input, csr_file, fmt::format("the CSR does not ask for '{}', which record '{}' has", n, name));
  for (const auto& n : have)
    if (!want.count(n))
      return Error(Category::Input, csr_file,
                   fmt::format("the CSR asks for '{}', which record '{}' lacks (add it with `certctl edit --san`)", n, name));
  const int version = r.version + 1;
  r.has_key = false;
  r.source = vault::Source::ExternalCsr;
  if (csr.key_type) r.key_type = std::string(crypto::key_type_name(*csr.key_type));
  TRY(check_policy(ctx, name, policy_subject(r, record_cas(r))));
  TRY(commit_csr_version(ctx, r, {version, {{std::string(kCsrFile), csr.pem}}}));
  TRY(audit(ctx, "csr-adopt", name, {{"file", csr_file}}));
  return r;
}

Status remove(Context ctx, const std::string& name) {
  TRY(vault::validate_name(name));
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  TRY_ASSIGN(vault::Record r, load_existing(ctx, name));
  TRY(ctx.vault.remove(name));
  return audit(ctx, "delete", name, {{"status", std::string(vault::status_name(r.status))}});
}

Result<ca::LocalCaInfo> init_local_ca(Context ctx, const LocalCaRequest& req) {
  TRY_ASSIGN(crypto::KeyType kt, crypto::parse_key_type(req.key_type));
  if (req.cn.empty() || req.cn.size() > 64) return Error(Category::Usage, "--cn", "must be 1 to 64 characters");
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  TRY_ASSIGN(ca::LocalCaInfo info,
             ca::local_ca_init(ctx.vault, {req.cn, kt, req.days, req.intermediate_days, req.permit, req.exclude},
                               ctx.clock.now()));
  TRY(audit(ctx, "ca-local-init", "", {{"subject", info.subject_dn}, {"serial_hex", info.serial_hex}}));
  return info;
}

Result<std::vector<ca::LocalCaCert>> rotate_local_ca(Context ctx, const ca::LocalCaRotate& req) {
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  TRY_ASSIGN(std::vector<ca::LocalCaCert> made, ca::local_ca_rotate(ctx.vault, req, ctx.clock.now()));
  std::vector<std::string> subjects;
  for (const auto& m : made) subjects.push_back(m.info.subject_dn + " " + m.info.serial_hex);
  TRY(audit(ctx, "ca-local-rotate", "",
            {{"kind", req.root ? "root" : "intermediate"}, {"made", fmt::format("{}", fmt::join(subjects, "; "))},
             {"overlap_days", std::to_string(req.overlap_days)}}));
  return made;
}

}  // namespace certctl::lifecycle
