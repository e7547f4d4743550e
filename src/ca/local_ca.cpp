// The local CA: a root kept for signing intermediates and CRLs, and the current intermediate
// that signs leaves. Its files and the state file that ties them together are in
// local_ca_state.hpp; every change is one storage::Change whose commit point is the state file.
#include <certctl/ca.hpp>
#include <certctl/domain.hpp>
#include <certctl/fs.hpp>

#include "ca/issuers.hpp"
#include "ca/local_ca_state.hpp"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

namespace certctl::ca {
namespace {

using local::Entry;
using local::State;

constexpr std::string_view kLocal = "local";
constexpr std::string_view kOwner = "ca/local";
constexpr long kDay = 86400;
/// The default lifetime of an intermediate, in days (capped by its root's).
constexpr int kIntermediateDays = 1095;
constexpr int kRootDays = 3650;

const std::string kRootKey = vault::Layout::ca_file(kLocal, "root.pem");
const std::string kKeyKey = vault::Layout::ca_file(kLocal, "key.enc");
const std::string kRevokedKey = vault::Layout::ca_file(kLocal, "revoked.txt");
const std::string kStateKey = vault::Layout::ca_file(kLocal, local::kStateFile);

/// A file of the local CA; a missing one is NotFound naming it.
Result<std::string> read(const vault::Vault& v, const std::string& key, std::size_t limit = fs::kMaxFileSize) {
  TRY_ASSIGN(std::optional<storage::Value> got, v.store().get(key, limit));
  if (!got) return Error(Category::NotFound, v.where(key), "no such file");
  return std::move(got->data);
}

bool present(const vault::Vault& v, const std::string& key) {
  auto got = v.store().get(key, fs::kMaxFileSize);
  return got && got->has_value();
}

/// The state and the revision it was read at (0 for a vault with only root.pem + key.enc,
/// whose state is implied: that one root, current, signing leaves itself).
struct Loaded {
  State state;
  storage::Revision revision = 0;
};

Result<Loaded> load_state(const vault::Vault& v) {
  TRY_ASSIGN(std::optional<storage::Value> got, v.store().get(kStateKey, fs::kMaxFileSize));
  if (got) {
    TRY_ASSIGN(State s, local::parse_state(got->data, v.where(kStateKey)));
    return Loaded{std::move(s), got->revision};
  }
  if (!present(v, kRootKey) || !present(v, kKeyKey))
    return Error(Category::State, "local CA", "not created yet: run `certctl ca local init`");
  Loaded l;
  l.state.entries.push_back(Entry{LocalCaKind::Root, 1, 0, 0, true});
  return l;
}

Result<crypto::Certificate> load_cert(const vault::Vault& v, const Entry& e) {
  const std::string key = local::cert_key(e);
  TRY_ASSIGN(std::string pem, read(v, key));
  TRY_ASSIGN(auto certs, crypto::parse_certificates(pem, v.where(key)));
  return std::move(certs.front());
}

Result<crypto::PrivateKey> load_key(const vault::Vault& v, const Entry& e) {
  const std::string key = local::key_key(e);
  TRY_ASSIGN(std::string sealed, read(v, key));
  TRY_ASSIGN(SecretBytes key_pem, v.open_sealed(kOwner, sealed, v.where(key)));
  return crypto::PrivateKey::parse(key_pem, v.where(key));
}

/// The certificate that signs leaves now: the current intermediate, or the root without one.
const Entry& signer_of(const State& s) {
  const Entry* i = s.current(LocalCaKind::Intermediate);
  return i ? *i : *s.current(LocalCaKind::Root);
}

/// revoked.txt: one "SERIAL_HEX UNIX_TIME REASON" line per revoked certificate.
Result<std::vector<crypto::RevokedEntry>> load_revoked(const vault::Vault& v) {
  std::vector<crypto::RevokedEntry> out;
  TRY_ASSIGN(std::optional<storage::Value> got, v.store().get(kRevokedKey, fs::kMaxLogSize));
  if (!got) return out;
  const std::string& text = got->data;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    crypto::RevokedEntry e;
    char serial[80] = {0};
    long long when = 0;
    if (std::sscanf(line.c_str(), "%79s %lld %d", serial, &when, &e.reason) != 3)
      return Error(Category::Vault, v.where(kRevokedKey), "corrupt line: " + line);
    e.serial_hex = serial;
    e.revoked_at = when;
    out.push_back(std::move(e));
  }
  return out;
}

LocalCaInfo info_of(const crypto::Certificate& c) {
  const crypto::CertInfo i = c.info();
  return LocalCaInfo{i.subject_dn, i.key_description, i.serial_hex, i.fingerprint_sha256, i.not_before, i.not_after};
}

/// 16 random bytes with the top bit clear: a positive serial with 127 bits of entropy.
std::string random_serial_hex() {
  std::string b = crypto::random_bytes(16);
  b[0] = static_cast<char>((static_cast<unsigned char>(b[0]) & 0x7f) | 0x01);
  return crypto::hex_encode(b);
}

/// "<base> <suffix>", the base cut so the CN stays within 64 characters.
std::string compose_cn(const std::string& base, const std::string& suffix) {
  if (suffix.empty()) return base.substr(0, 64);
  return base.substr(0, 64 - suffix.size() - 1) + " " + suffix;
}

std::string root_cn(const State& s, int id) { return compose_cn(s.cn, id == 1 ? "" : fmt::format("Root {}", id)); }
std::string intermediate_cn(const State& s, int id) { return compose_cn(s.cn, fmt::format("Intermediate {}", id)); }

LocalCaState state_at(const Entry& e, UnixTime now) {
  if (e.current()) return LocalCaState::Current;
  return now < e.retire_at ? LocalCaState::Retiring : LocalCaState::Retired;
}

/// Normalised --permit/--exclude values: DNS names (A-labels, no wildcard) and CIDR ranges (a
/// bare address is its /32 or /128).
Result<std::vector<std::string>> constraint_values(const std::vector<std::string>& in, std::string_view option) {
  if (in.size() > kMaxNameConstraints)
    return Error(Category::Usage, std::string(option), fmt::format("at most {} values", kMaxNameConstraints));
  std::vector<std::string> out;
  for (const auto& raw : in) {
    std::string v = raw;
    if (v.find('/') == std::string::npos && domain::is_ip(v)) v += v.find(':') == std::string::npos ? "/32" : "/128";
    if (v.find('/') != std::string::npos) {
      // The encoder is the judge of a range; a probe constraint against itself checks it parses.
      const std::string addr = v.substr(0, v.find('/'));
      if (!domain::is_ip(addr) || !crypto::constraint_matches(v, addr))
        return Error(Category::Usage, std::string(option), fmt::format("'{}' is not an IP range like 10.0.0.0/8 or fd00::/8", raw));
    } else {
      auto dns = domain::normalize_dns(v);
      if (!dns || dns->rfind("*.", 0) == 0)
        return Error(Category::Usage, std::string(option),
                     fmt::format("'{}' is not a DNS name (it and every name below it are the subtree; no wildcard)", raw));
      v = *dns;
    }
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  return out;
}

/// Does the CA allow `name`? "" when it does, else why not.
std::string outside(const crypto::CaConstraints& c, const std::string& name) {
  const bool ip = domain::is_ip(name);
  auto same_form = [&](const std::string& v) { return (v.find('/') != std::string::npos) == ip; };
  for (const auto& e : c.excluded)
    if (same_form(e) && crypto::constraint_matches(e, name)) return fmt::format("'{}' is excluded ({})", name, e);
  const bool constrained = std::any_of(c.permitted.begin(), c.permitted.end(), same_form);
  if (!constrained) return {};
  for (const auto& p : c.permitted)
    if (same_form(p) && crypto::constraint_matches(p, name)) return {};
  std::vector<std::string> allowed;
  std::copy_if(c.permitted.begin(), c.permitted.end(), std::back_inserter(allowed), same_form);
  return fmt::format("'{}' is outside the names it may sign for ({})", name, fmt::join(allowed, ", "));
}

crypto::IssueParams ca_params(UnixTime now, UnixTime not_after, int path_len, const crypto::CaConstraints& c) {
  crypto::IssueParams p;
  p.serial_hex = random_serial_hex();
  p.not_before = now - 300;  // tolerate small clock skew between hosts
  p.not_after = not_after;
  p.is_ca = true;
  p.path_len = path_len;
  p.permitted = c.permitted;
  p.excluded = c.excluded;
  return p;
}

/// A new key, sealed, and its certificate: the puts of a change.
struct Made {
  Entry entry;
  crypto::Certificate cert;
  crypto::PrivateKey key;
};

Status stage(const vault::Vault& v, storage::Change& c, const Made& m) {
  TRY_ASSIGN(std::string sealed, v.seal(kOwner, m.key.to_pem()));
  c.put(local::key_key(m.entry), std::move(sealed));
  c.put(local::cert_key(m.entry), m.cert.to_pem());
  return ok();
}

Result<Made> make_intermediate(const State& s, int id, const Entry& root, const crypto::Certificate& root_cert,
                               const crypto::PrivateKey& root_key, crypto::KeyType kt, UnixTime now, UnixTime not_after) {
  Made m;
  m.entry = Entry{LocalCaKind::Intermediate, id, 0, root.id, false};
  TRY_ASSIGN(m.key, crypto::PrivateKey::generate(kt));
  crypto::Subject subject;
  subject.cn = intermediate_cn(s, id);
  // Pathlen 0: it signs leaves only. The root's name constraints again, so a client that
  // checks only the intermediate (or a root reissued without them) still sees them.
  TRY_ASSIGN(m.cert, crypto::sign_ca(m.key, subject, root_cert, root_key,
                                     ca_params(now, not_after, 0, crypto::ca_constraints(root_cert))));
  return m;
}

Result<Made> make_root(const State& s, int id, crypto::KeyType kt, UnixTime now, UnixTime not_after,
                       const crypto::CaConstraints& c) {
  Made m;
  m.entry = Entry{LocalCaKind::Root, id, 0, 0, false};
  TRY_ASSIGN(m.key, crypto::PrivateKey::generate(kt));
  crypto::Subject subject;
  subject.cn = root_cn(s, id);
  TRY_ASSIGN(m.cert, crypto::make_self_signed_ca(m.key, subject, ca_params(now, not_after, 1, c)));
  return m;
}

/// The intermediate's not_after for `days` (0 = the default) under a root ending at `root_end`.
Result<UnixTime> intermediate_end(int days, UnixTime now, UnixTime root_end, std::string_view option) {
  if (days == 0) return std::min<UnixTime>(now + static_cast<UnixTime>(kIntermediateDays) * kDay, root_end);
  if (days < 1) return Error(Category::Usage, std::string(option), "must be at least 1");
  const UnixTime end = now + static_cast<UnixTime>(days) * kDay;
  if (end > root_end)
    return Error(Category::Usage, std::string(option),
                 fmt::format("{} days outlive the root (it ends {}); use fewer days or `certctl ca local rotate --root`",
                             days, format_rfc3339(root_end)));
  return end;
}

Status commit(const vault::Vault& v, storage::Change& c, const Loaded& l, const State& next) {
  c.commit_point = storage::Change::CommitPoint{kStateKey, local::format_state(next), storage::Revision{l.revision}};
  TRY(v.store().apply(c));
  return ok();
}

LocalCaCert describe(const Entry& e, const crypto::Certificate& cert, UnixTime now) {
  return LocalCaCert{e.kind, e.id, e.parent, state_at(e, now), e.retire_at, info_of(cert), crypto::ca_constraints(cert)};
}

class LocalIssuer final : public Issuer {
 public:
  bool uses_solver() const override { return false; }
  LocalIssuer(const vault::Vault& v, const Clock& c) : vault_(v), clock_(c) {}
  const std::string& name() const override { return name_; }

  Result<Issued> issue(const crypto::CsrInfo& csr, const IssueOptions& opts) override {
    TRY_ASSIGN(Loaded l, load_state(vault_));
    const Entry& signer = signer_of(l.state);
    TRY_ASSIGN(crypto::Certificate issuer, load_cert(vault_, signer));
    TRY_ASSIGN(crypto::PrivateKey key, load_key(vault_, signer));
    const crypto::CaConstraints limits = crypto::ca_constraints(issuer);
    std::vector<std::string> names = csr.dns_names;
    names.insert(names.end(), csr.ip_addresses.begin(), csr.ip_addresses.end());
    for (const auto& n : names)
      if (std::string why = outside(limits, n); !why.empty())
        return Error(Category::Ca, "local CA", why + "; its name constraints were set by `certctl ca local init --permit`");
    if (opts.dry_run) return Issued{};
    const UnixTime now = clock_.now();
    crypto::IssueParams p;
    p.serial_hex = random_serial_hex();
    p.not_before = now - 300;  // tolerate small clock skew between hosts
    p.not_after = now + static_cast<UnixTime>(opts.days) * kDay;
    if (p.not_after > issuer.info().not_after)
      return Error(Category::Ca, "local CA",
                   signer.kind == LocalCaKind::Root
                       ? fmt::format("its root expires before the requested {} days; use a shorter --days", opts.days)
                       : fmt::format("its intermediate expires before the requested {} days; use a shorter --days or "
                                     "`certctl ca local rotate --intermediate`",
                                     opts.days));
    TRY_ASSIGN(crypto::Certificate leaf, crypto::sign_csr(csr, issuer, key, p));
    Issued out;
    out.leaf = std::move(leaf);
    out.chain.push_back(std::move(issuer));  // the intermediate (as public CAs: no root)
    return out;
  }

  Status revoke(const crypto::Certificate& cert, int reason, const crypto::Signer*) override {
    TRY_ASSIGN(Loaded l, load_state(vault_));
    bool ours = false;
    for (const auto& e : l.state.entries) {
      TRY_ASSIGN(crypto::Certificate ca, load_cert(vault_, e));
      std::vector<crypto::Certificate> chain;
      chain.push_back(std::move(ca));
      if (crypto::verify_chain_links(cert, chain, "local CA")) {
        ours = true;
        break;
      }
    }
    if (!ours)
      return Error(Category::Input, "local CA", "did not issue this certificate (no root or intermediate of it signed it)");
    TRY_ASSIGN(auto entries, load_revoked(vault_));
    const std::string serial = cert.info().serial_hex;
    for (const auto& e : entries)
      if (e.serial_hex == serial) return ok();  // already revoked: nothing to do
    TRY_ASSIGN(std::optional<storage::Value> got, vault_.store().get(kRevokedKey, fs::kMaxLogSize));
    std::string text = got ? std::move(got->data) : std::string();
    text += fmt::format("{} {} {}\n", serial, clock_.now(), reason);
    TRY(vault_.store().put_if(kRevokedKey, text, got ? got->revision : 0));
    return ok();
  }

 private:
  const vault::Vault& vault_;
  const Clock& clock_;
  std::string name_{kLocal};
};

}  // namespace

std::string_view to_string(LocalCaKind k) { return k == LocalCaKind::Root ? "root" : "intermediate"; }

std::string_view to_string(LocalCaState s) {
  switch (s) {
    case LocalCaState::Current: return "current";
    case LocalCaState::Retiring: return "retiring";
    case LocalCaState::Retired: return "retired";
  }
  return {};
}

std::unique_ptr<Issuer> make_local_issuer(const vault::Vault& vault, const Clock& clock) {
  return std::make_unique<LocalIssuer>(vault, clock);
}

bool local_ca_exists(const vault::Vault& v) {
  return present(v, kStateKey) || (present(v, kRootKey) && present(v, kKeyKey));
}

Result<LocalCaInfo> local_ca_init(const vault::Vault& v, const LocalCaInit& req, UnixTime now) {
  if (local_ca_exists(v))
    return Error(Category::State, "local CA",
                 "already exists; its root is printed by `certctl ca local export-root`, `certctl ca local rotate` replaces it");
  if (req.days < 1) return Error(Category::Usage, "--days", "must be at least 1");
  crypto::CaConstraints limits;
  TRY_ASSIGN(limits.permitted, constraint_values(req.permit, "--permit"));
  TRY_ASSIGN(limits.excluded, constraint_values(req.exclude, "--exclude"));
  State s;
  s.cn = req.cn;
  const UnixTime root_end = now + static_cast<UnixTime>(req.days) * kDay;
  TRY_ASSIGN(const UnixTime inter_end, intermediate_end(req.intermediate_days, now, root_end, "--intermediate-days"));
  TRY_ASSIGN(Made root, make_root(s, 1, req.key_type, now, root_end, limits));
  TRY_ASSIGN(Made inter, make_intermediate(s, 1, root.entry, root.cert, root.key, req.key_type, now, inter_end));
  s.entries = {root.entry, inter.entry};
  // Keys and certificates first, the state file last (created only if still absent): a change
  // cut short leaves files no state refers to, and "no CA".
  storage::Change c;
  TRY(stage(v, c, root));
  TRY(stage(v, c, inter));
  TRY(commit(v, c, Loaded{}, s));
  return info_of(root.cert);
}

Result<std::vector<LocalCaCert>> local_ca_rotate(const vault::Vault& v, const LocalCaRotate& req, UnixTime now) {
  if (req.overlap_days < 0) return Error(Category::Usage, "--overlap", "must be 0 or more days");
  TRY_ASSIGN(Loaded l, load_state(v));
  State next = l.state;
  const Entry old_root = *l.state.current(LocalCaKind::Root);
  TRY_ASSIGN(crypto::Certificate old_root_cert, load_cert(v, old_root));
  if (next.cn.empty()) {  // a vault made before intermediates: its root's CN is the base
    const crypto::CertInfo i = old_root_cert.info();
    next.cn = i.subject.cn.empty() ? std::string("certctl local CA") : i.subject.cn;
  }
  const crypto::KeyType kt = old_root_cert.info().key_type.value_or(crypto::KeyType::Ec384);
  const UnixTime retire = now + static_cast<UnixTime>(req.overlap_days) * kDay;
  for (auto& e : next.entries)
    if (e.current() && (req.root || e.kind == LocalCaKind::Intermediate)) e.retire_at = std::max<UnixTime>(retire, 1);
  storage::Change c;
  std::vector<Made> made;
  if (req.root) {
    if (req.days < 0) return Error(Category::Usage, "--days", "must be at least 1");
    const UnixTime root_end = now + static_cast<UnixTime>(req.days ? req.days : kRootDays) * kDay;
    TRY_ASSIGN(const UnixTime inter_end, intermediate_end(req.intermediate_days, now, root_end, "--intermediate-days"));
    // The new root keeps the old one's name constraints.
    TRY_ASSIGN(Made root, make_root(next, next.next_id(LocalCaKind::Root), kt, now, root_end,
                                    crypto::ca_constraints(old_root_cert)));
    TRY_ASSIGN(Made inter, make_intermediate(next, next.next_id(LocalCaKind::Intermediate), root.entry, root.cert,
                                             root.key, kt, now, inter_end));
    made.push_back(std::move(root));
    made.push_back(std::move(inter));
  } else {
    const UnixTime root_end = old_root_cert.info().not_after;
    if (root_end <= now + kDay)
      return Error(Category::State, "local CA", "its root expires within a day; run `certctl ca local rotate --root`");
    TRY_ASSIGN(const UnixTime inter_end, intermediate_end(req.days, now, root_end, "--days"));
    TRY_ASSIGN(crypto::PrivateKey root_key, load_key(v, old_root));
    TRY_ASSIGN(Made inter, make_intermediate(next, next.next_id(LocalCaKind::Intermediate), old_root, old_root_cert,
                                             root_key, kt, now, inter_end));
    made.push_back(std::move(inter));
  }
  if (next.entries.size() + made.size() > local::kMaxEntries)
    return Error(Category::State, "local CA", fmt::format("has {} roots and intermediates already", next.entries.size()));
  std::vector<LocalCaCert> out;
  for (const auto& m : made) {
    TRY(stage(v, c, m));
    next.entries.push_back(m.entry);
    out.push_back(describe(m.entry, m.cert, now));
  }
  TRY(commit(v, c, l, next));
  return out;
}

Result<std::vector<LocalCaCert>> local_ca_list(const vault::Vault& v, UnixTime now) {
  TRY_ASSIGN(Loaded l, load_state(v));
  std::vector<LocalCaCert> out;
  for (const auto& e : l.state.entries) {
    TRY_ASSIGN(crypto::Certificate cert, load_cert(v, e));
    out.push_back(describe(e, cert, now));
  }
  return out;
}

Result<std::string> local_ca_root_pem(const vault::Vault& v) {
  TRY_ASSIGN(Loaded l, load_state(v));
  TRY_ASSIGN(crypto::Certificate root, load_cert(v, *l.state.current(LocalCaKind::Root)));
  return root.to_pem();
}

Result<std::string> local_ca_roots_pem(const vault::Vault& v, UnixTime now) {
  TRY_ASSIGN(Loaded l, load_state(v));
  TRY_ASSIGN(crypto::Certificate current, load_cert(v, *l.state.current(LocalCaKind::Root)));
  std::string out = current.to_pem();
  for (auto e = l.state.entries.rbegin(); e != l.state.entries.rend(); ++e) {
    if (e->kind != LocalCaKind::Root || state_at(*e, now) != LocalCaState::Retiring) continue;
    TRY_ASSIGN(crypto::Certificate root, load_cert(v, *e));
    if (root.info().not_after > now) out += root.to_pem();
  }
  return out;
}

Result<LocalCaInfo> local_ca_info(const vault::Vault& v) {
  TRY_ASSIGN(Loaded l, load_state(v));
  TRY_ASSIGN(crypto::Certificate root, load_cert(v, *l.state.current(LocalCaKind::Root)));
  return info_of(root);
}

Result<std::string> local_ca_current_issuer(const vault::Vault& v) {
  if (!local_ca_exists(v)) return std::string();
  TRY_ASSIGN(Loaded l, load_state(v));
  TRY_ASSIGN(crypto::Certificate signer, load_cert(v, signer_of(l.state)));
  return signer.info().subject_dn;
}

Result<std::string> local_ca_crl(const vault::Vault& v, UnixTime now, int valid_days, bool all) {
  TRY_ASSIGN(Loaded l, load_state(v));
  TRY_ASSIGN(auto entries, load_revoked(v));
  // Every CRL lists every revoked serial: serials are 127 random bits, so a serial another of
  // our CAs issued never names a certificate of this one. The CRL number only has to grow:
  // the issue time does.
  auto crl_of = [&](const Entry& e) -> Result<std::string> {
    TRY_ASSIGN(crypto::Certificate cert, load_cert(v, e));
    TRY_ASSIGN(crypto::PrivateKey key, load_key(v, e));
    return crypto::make_crl(cert, key, entries, now, now + static_cast<UnixTime>(valid_days) * kDay, static_cast<long>(now));
  };
  if (!all) return crl_of(signer_of(l.state));
  std::string out;
  for (const auto& e : l.state.entries) {
    if (state_at(e, now) == LocalCaState::Retired) continue;
    TRY_ASSIGN(std::string crl, crl_of(e));
    out += crl;
  }
  return out;
}

}  // namespace certctl::ca
