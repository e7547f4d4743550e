// Vault key handling: derive the key-encryption key from the unlock secret, wrap/unwrap the
// random vault key, and seal/open key material with it (AES-256-GCM, owner bound as AAD).
#include <certctl/crypto.hpp>
#include <certctl/fs.hpp>

#include "vault/vault_config.hpp"

#include <fmt/format.h>

namespace certctl::vault {
namespace {

constexpr std::string_view kWrapAad = "certctl-vault-key-v1";
constexpr std::string_view kKeyFileInfo = "certctl vault key-file v1";
constexpr std::string_view kSealMagic = "CCK1";
constexpr std::size_t kMinKeyFileBytes = 32;

Result<SecretBytes> derive_kek(const Vault::Config& c, const UnlockSecret& secret) {
  if (c.kdf == "scrypt") {
    crypto::ScryptParams p;
    p.n = c.n;
    p.r = c.r;
    p.p = c.p;
    p.salt = c.salt;
    return crypto::scrypt(secret.bytes, p);
  }
  if (secret.bytes.size() < kMinKeyFileBytes)
    return Error(Category::Vault, "key file", fmt::format("must hold at least {} bytes", kMinKeyFileBytes));
  return crypto::hkdf_sha256(secret.bytes, c.salt, kKeyFileInfo);
}

std::string aad_for(std::string_view owner) { return fmt::format("certctl-key-v1:{}", owner); }

}  // namespace

/// Fill the unlock part of a config for `secret` and wrap `vault_key` under it.
Status wrap_vault_key(Vault::Config& c, const UnlockSecret& secret, const SecretBytes& vault_key,
                      std::uint64_t scrypt_n) {
  if (secret.kind == UnlockSecret::Kind::Passphrase) {
    if (secret.bytes.empty()) return Error(Category::Usage, "passphrase", "cannot be empty");
    c.method = "passphrase";
    c.kdf = "scrypt";
    c.n = scrypt_n;
    c.r = 8;
    c.p = 1;
  } else {
    c.method = "key-file";
    c.kdf = "hkdf-sha256";
    c.n = 0;
    c.r = 0;
    c.p = 0;
  }
  c.salt = crypto::random_bytes(32);
  TRY_ASSIGN(SecretBytes kek, derive_kek(c, secret));
  TRY_ASSIGN(c.wrapped_key, crypto::aead_seal(kek, vault_key.view(), kWrapAad));
  return ok();
}

UnlockSecret::Kind Vault::unlock_kind() const {
  return config_->method == "key-file" ? UnlockSecret::Kind::KeyFile : UnlockSecret::Kind::Passphrase;
}

Status Vault::unlock(const UnlockSecret& secret) {
  if (secret.kind != unlock_kind())
    return Error(Category::Vault, describe(),
                 unlock_kind() == UnlockSecret::Kind::KeyFile
                     ? "this vault is unlocked with a key file: use --key-file or CERTCTL_KEY_FILE"
                     : "this vault is unlocked with a passphrase, not a key file");
  TRY_ASSIGN(SecretBytes kek, derive_kek(*config_, secret));
  auto key = crypto::aead_open(kek, config_->wrapped_key, kWrapAad, where(Layout::config()));
  if (!key)
    return Error(Category::Vault, describe(),
                 secret.kind == UnlockSecret::Kind::KeyFile ? "cannot unlock: wrong key file"
                                                            : "cannot unlock: wrong passphrase");
  vault_key_ = std::move(key).value();
  return ok();
}

Status Vault::rekey(const UnlockSecret& new_secret, std::uint64_t scrypt_n) {
  if (!unlocked()) return Error(Category::Internal, describe(), "rekey before unlock");
  if (std::string why = crypto::scrypt_problem(scrypt_n, crypto::ScryptParams{}.r, 1);
      new_secret.kind == UnlockSecret::Kind::Passphrase && !why.empty())
    return Error(Category::Usage, "--scrypt-n", why);
  Config next = *config_;
  TRY(wrap_vault_key(next, new_secret, vault_key_, scrypt_n));
  TRY(store_->put(Layout::config(), render_config(next)));
  *config_ = std::move(next);
  return ok();
}

Result<std::string> Vault::seal(std::string_view owner, const SecretBytes& plaintext) const {
  if (!unlocked()) return Error(Category::Internal, std::string(owner), "vault not unlocked");
  TRY_ASSIGN(std::string sealed, crypto::aead_seal(vault_key_, plaintext.view(), aad_for(owner)));
  return std::string(kSealMagic) + sealed;
}

Result<SecretBytes> Vault::open_sealed(std::string_view owner, std::string_view sealed,
                                       std::string_view path) const {
  if (!unlocked()) return Error(Category::Internal, std::string(owner), "vault not unlocked");
  if (sealed.substr(0, kSealMagic.size()) != kSealMagic)
    return Error(Category::Vault, std::string(path), "not a certctl encrypted key file");
  auto r = crypto::aead_open(vault_key_, sealed.substr(kSealMagic.size()), aad_for(owner), path);
  if (!r)
    return Error(Category::Vault, std::string(path),
                 fmt::format("cannot decrypt: the file was altered or belongs to another record than '{}'", owner));
  return r;
}

}  // namespace certctl::vault
