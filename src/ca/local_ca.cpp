#include <certctl/ca.hpp>
#include <certctl/fs.hpp>

#include <fmt/format.h>

namespace certctl::ca {
namespace {

constexpr std::string_view kLocal = "local";
constexpr std::string_view kOwner = "ca/local";

std::string root_path(const vault::Vault& v) { return v.layout().ca_dir(kLocal) + "/root.pem"; }
std::string key_path(const vault::Vault& v) { return v.layout().ca_dir(kLocal) + "/key.enc"; }

LocalCaInfo info_of(const crypto::Certificate& root) {
  const crypto::CertInfo i = root.info();
  return LocalCaInfo{i.subject_dn, i.key_description, i.serial_hex, i.fingerprint_sha256,
                     i.not_before, i.not_after};
}

Result<crypto::Certificate> load_root(const vault::Vault& v) {
  if (!local_ca_exists(v))
    return Error(Category::State, "local CA", "not created yet: run `certctl ca local init`");
  TRY_ASSIGN(std::string pem, fs::read_file(root_path(v)));
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
  LocalIssuer(const vault::Vault& v, const Clock& c) : vault_(v), clock_(c) {}
  const std::string& name() const override { return name_; }

  Result<Issued> issue(const crypto::CsrInfo& csr, const IssueOptions& opts) override {
    TRY_ASSIGN(crypto::Certificate root, load_root(vault_));
    TRY_ASSIGN(std::string sealed, fs::read_file(key_path(vault_)));
    TRY_ASSIGN(SecretBytes key_pem, vault_.open_sealed(kOwner, sealed, key_path(vault_)));
    TRY_ASSIGN(crypto::PrivateKey key, crypto::PrivateKey::parse(key_pem, key_path(vault_)));
    const UnixTime now = clock_.now();
    crypto::IssueParams p;
    p.serial_hex = random_serial_hex();
    p.not_before = now - 300;  // tolerate small clock skew between hosts
    p.not_after = now + static_cast<UnixTime>(opts.days) * 86400;
    if (p.not_after > root.info().not_after)
      return Error(Category::Ca, "local CA",
                   fmt::format("its root expires before the requested {} days; use a shorter --days", opts.days));
    TRY_ASSIGN(crypto::Certificate leaf, crypto::sign_csr(csr, root, key, p));
    Issued out{std::move(leaf), {}};
    out.chain.push_back(std::move(root));
    return out;
  }

 private:
  const vault::Vault& vault_;
  const Clock& clock_;
  std::string name_{kLocal};
};

}  // namespace

std::vector<std::string> known_cas() { return {std::string(kLocal)}; }

Status validate_ca_name(std::string_view ca) {
  for (const auto& k : known_cas())
    if (k == ca) return ok();
  return Error(Category::NotFound, fmt::format("CA '{}'", ca),
               fmt::format("unknown CA profile; known: {}", fmt::join(known_cas(), ", ")));
}

Result<std::unique_ptr<Issuer>> make_issuer(std::string_view ca, const vault::Vault& vault, const Clock& clock) {
  TRY(validate_ca_name(ca));
  return std::unique_ptr<Issuer>(std::make_unique<LocalIssuer>(vault, clock));
}

bool local_ca_exists(const vault::Vault& v) { return fs::exists(root_path(v)) && fs::exists(key_path(v)); }

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
  TRY(fs::make_dirs(v.layout().ca_dir(kLocal), 0700));
  // Key first, root last: local_ca_exists() needs both, so a crash in between leaves "no CA".
  TRY(fs::write_file_atomic(key_path(v), sealed));
  TRY(fs::write_file_atomic(root_path(v), root.to_pem()));
  return info_of(root);
}

Result<std::string> local_ca_root_pem(const vault::Vault& v) {
  TRY_ASSIGN(crypto::Certificate root, load_root(v));
  return root.to_pem();
}

Result<LocalCaInfo> local_ca_info(const vault::Vault& v) {
  TRY_ASSIGN(crypto::Certificate root, load_root(v));
  return info_of(root);
}

}  // namespace certctl::ca
