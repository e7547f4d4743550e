#include <certctl/ca.hpp>
#include <certctl/fs.hpp>

#include "ca/issuers.hpp"

#include <cstdio>

#include <fmt/format.h>

namespace certctl::ca {
namespace {

constexpr std::string_view kLocal = "local";
constexpr std::string_view kOwner = "ca/local";

const std::string kRootKey = vault::Layout::ca_file(kLocal, "root.pem");
const std::string kKeyKey = vault::Layout::ca_file(kLocal, "key.enc");
const std::string kRevokedKey = vault::Layout::ca_file(kLocal, "revoked.txt");

std::string root_path(const vault::Vault& v) { return v.where(kRootKey); }
std::string key_path(const vault::Vault& v) { return v.where(kKeyKey); }
std::string revoked_path(const vault::Vault& v) { return v.where(kRevokedKey); }

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
      return Error(Category::Vault, revoked_path(v), "corrupt line: " + line);
    e.serial_hex = serial;
    e.revoked_at = when;
    out.push_back(std::move(e));
  }
  return out;
}

Result<crypto::PrivateKey> load_ca_key(const vault::Vault& v) {
  TRY_ASSIGN(std::string sealed, read(v, kKeyKey));
  TRY_ASSIGN(SecretBytes key_pem, v.open_sealed(kOwner, sealed, key_path(v)));
  return crypto::PrivateKey::parse(key_pem, key_path(v));
}

LocalCaInfo info_of(const crypto::Certificate& root) {
  const crypto::CertInfo i = root.info();
  return LocalCaInfo{i.subject_dn, i.key_description, i.serial_hex, i.fingerprint_sha256,
                     i.not_before, i.not_after};
}

Result<crypto::Certificate> load_root(const vault::Vault& v) {
  if (!local_ca_exists(v))
    return Error(Category::State, "local CA", "not created yet: run `certctl ca local init`");
  TRY_ASSIGN(std::string pem, read(v, kRootKey));
  TRY_ASSIGN(auto certs, crypto::parse_certificates(pem, root_path(v)));
  return std::move(certs.front());
}

/// 16 random bytes with the top bit clear: a positive serial with 127 bits of entropy.
std::string random_serial_hex() {
  std::string b = crypto::random_bytes(16);
  b[0] = static_cast<char>((static_cast<unsigned char>(b[0]) & 0x7f) | 0x01);
  return crypto::hex_encode(b);
}

class LocalIssuer final : public Issuer {
 public:
  bool uses_solver() const override { return false; }
  LocalIssuer(const vault::Vault& v, const Clock& c) : vault_(v), clock_(c) {}
  const std::string& name() const override { return name_; }

  Result<Issued> issue(const crypto::CsrInfo& csr, const IssueOptions& opts) override {
    TRY_ASSIGN(crypto::Certificate root, load_root(vault_));
    TRY_ASSIGN(crypto::PrivateKey key, load_ca_key(vault_));
    if (opts.dry_run) return Issued{};
    const UnixTime now = clock_.now();
    crypto::IssueParams p;
    p.serial_hex = random_serial_hex();
    p.not_before = now - 300;  // tolerate small clock skew between hosts
    p.not_after = now + static_cast<UnixTime>(opts.days) * 86400;
    if (p.not_after > root.info().not_after)
      return Error(Category::Ca, "local CA",
                   fmt::format("its root expires before the requested {} days; use a shorter --days", opts.days));
    TRY_ASSIGN(crypto::Certificate leaf, crypto::sign_csr(csr, root, key, p));
    Issued out;
    out.leaf = std::move(leaf);
    out.chain.push_back(std::move(root));
    return out;
  }

  Status revoke(const crypto::Certificate& cert, int reason, const crypto::Signer*) override {
    TRY_ASSIGN(crypto::Certificate root, load_root(vault_));
    std::vector<crypto::Certificate> chain;
    chain.push_back(std::move(root));
    TRY(crypto::verify_chain_links(cert, chain, "local CA"));
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

std::unique_ptr<Issuer> make_local_issuer(const vault::Vault& vault, const Clock& clock) {
  return std::make_unique<LocalIssuer>(vault, clock);
}

bool local_ca_exists(const vault::Vault& v) { return present(v, kRootKey) && present(v, kKeyKey); }

Result<LocalCaInfo> local_ca_init(const vault::Vault& v, const std::string& cn, crypto::KeyType key_type,
                                  int days, UnixTime now) {
  if (local_ca_exists(v))
    return Error(Category::State, "local CA", "already exists; its root is printed by `certctl ca local export-root`");
  if (days < 1) return Error(Category::Usage, "--days", "must be at least 1");
  TRY_ASSIGN(crypto::PrivateKey key, crypto::PrivateKey::generate(key_type));
  crypto::Subject subject;
  subject.cn = cn;
  crypto::IssueParams p;
  p.serial_hex = random_serial_hex();
  p.not_before = now - 300;
  p.not_after = now + static_cast<UnixTime>(days) * 86400;
  p.is_ca = true;
  TRY_ASSIGN(crypto::Certificate root, crypto::make_self_signed_ca(key, subject, p));
  TRY_ASSIGN(std::string sealed, v.seal(kOwner, key.to_pem()));
  // Key first, root last (created only if still absent): local_ca_exists() needs both, so a
  // change cut short leaves "no CA".
  storage::Change c;
  c.put(kKeyKey, std::move(sealed));
  c.commit_point = storage::Change::CommitPoint{kRootKey, root.to_pem(), storage::Revision{0}};
  TRY(v.store().apply(c));
  return info_of(root);
}

Result<std::string> local_ca_root_pem(const vault::Vault& v) {
  TRY_ASSIGN(crypto::Certificate root, load_root(v));
  return root.to_pem();
}

Result<std::string> local_ca_crl(const vault::Vault& v, UnixTime now, int valid_days) {
  TRY_ASSIGN(crypto::Certificate root, load_root(v));
  TRY_ASSIGN(crypto::PrivateKey key, load_ca_key(v));
  TRY_ASSIGN(auto entries, load_revoked(v));
  // The CRL number only has to grow: the issue time does.
  return crypto::make_crl(root, key, entries, now, now + static_cast<UnixTime>(valid_days) * 86400, static_cast<long>(now));
}

Result<LocalCaInfo> local_ca_info(const vault::Vault& v) {
  TRY_ASSIGN(crypto::Certificate root, load_root(v));
  return info_of(root);
}

}  // namespace certctl::ca
