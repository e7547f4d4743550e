/// Device sealing: X25519 + HKDF-SHA256 + AES-256-GCM to one host's key (device_seal.hpp).
/// The AEAD and the KDF are aead_seal/aead_open and hkdf_sha256 (aead.cpp, kdf.cpp); this file
/// adds the key agreement and the CCD1 framing.
#include <certctl/device_seal.hpp>

#include "crypto/handles.hpp"

#include <openssl/pem.h>

namespace certctl::crypto {
namespace {

constexpr std::size_t kNonceLen = 12;  // aead.cpp's layout: nonce || ciphertext || tag
constexpr std::size_t kTagLen = 16;
constexpr std::size_t kHeaderLen = kDeviceSealMagic.size() + kHostKeyLen;

int no_passphrase(char*, size_t, size_t*, const OSSL_PARAM*, void*) { return 0; }

PkeyPtr private_pkey(const SecretBytes& raw) {
  if (raw.size() != kHostKeyLen) return nullptr;
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key_ex(nullptr, "X25519", nullptr, raw.data(), raw.size()));
  if (!pkey) clear_openssl_errors();
  return pkey;
}

PkeyPtr public_pkey(std::string_view raw) {
  if (raw.size() != kHostKeyLen) return nullptr;
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key_ex(nullptr, "X25519", nullptr,
                                              reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
  if (!pkey) clear_openssl_errors();
  return pkey;
}

/// The raw public half of an X25519 key, "" on failure.
std::string raw_public(const EVP_PKEY* pkey) {
  std::string out(kHostKeyLen, '\0');
  std::size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(pkey, reinterpret_cast<unsigned char*>(out.data()), &len) != 1 ||
      len != kHostKeyLen) {
    clear_openssl_errors();
    return {};
  }
  return out;
}

/// The raw private key of an X25519 key; empty on failure (e.g. a public key only).
SecretBytes raw_private(const EVP_PKEY* pkey) {
  SecretBytes out(kHostKeyLen);
  std::size_t len = out.size();
  if (EVP_PKEY_get_raw_private_key(pkey, out.data(), &len) != 1 || len != kHostKeyLen) {
    clear_openssl_errors();
    return {};
  }
  return out;
}

/// X25519(ours, peer); nullopt when OpenSSL refuses (a point of small order gives all zeros).
std::optional<SecretBytes> agree(EVP_PKEY* ours, EVP_PKEY* peer) {
  clear_openssl_errors();
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, ours, nullptr));
  SecretBytes shared(kHostKeyLen);
  std::size_t len = shared.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer) != 1 ||
      EVP_PKEY_derive(ctx.get(), shared.data(), &len) != 1 || len != kHostKeyLen) {
    clear_openssl_errors();
    return std::nullopt;
  }
  return shared;
}

Result<SecretBytes> seal_key(const SecretBytes& shared, std::string_view ephemeral, std::string_view host) {
  std::string salt;
  salt.reserve(2 * kHostKeyLen);
  salt.append(ephemeral).append(host);
  return hkdf_sha256(shared, salt, kDeviceSealInfo, 32);
}

bool is_base64url(std::string_view s) {
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  return true;
}

}  // namespace

std::string HostPublicKey::text() const { return std::string(kHostKeyPrefix) + base64url_encode(raw); }

Result<HostPublicKey> parse_host_public_key(std::string_view text, std::string_view subject) {
  constexpr std::string_view kSpace = " \t\r\n";
  const std::size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos)
    return input_error(subject, "empty, expected a host public key (certctl-host-x25519:...)", false);
  text = text.substr(first, text.find_last_not_of(kSpace) - first + 1);
  const std::string expected = "expected one line certctl-host-x25519:<43 base64url characters>, as "
                               "`certctl agent enroll` prints";
  if (text.find("PRIVATE KEY") != std::string_view::npos)
    return input_error(subject, "this is a private key; give the public key line `certctl agent enroll` printed "
                                "(a host's private key never leaves it)", false);
  if (text.substr(0, kHostKeyPrefix.size()) != kHostKeyPrefix)
    return input_error(subject, "not a certctl host public key; " + expected, false);
  const std::string_view b64 = text.substr(kHostKeyPrefix.size());
  if (!is_base64url(b64)) return input_error(subject, "bad characters in the host public key; " + expected, false);
  auto raw = base64url_decode(b64, subject);
  // Only the canonical encoding of 32 bytes: one text per key.
  if (!raw || raw->size() != kHostKeyLen || base64url_encode(*raw) != b64)
    return input_error(subject, "the host public key is not 32 bytes of base64url; " + expected, false);
  if (!public_pkey(*raw)) return input_error(subject, "not a usable X25519 public key", false);
  return HostPublicKey{std::move(*raw)};
}

Result<HostKeyPair> generate_host_key() {
  clear_openssl_errors();
  PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
  if (!pkey) return openssl_failure("cannot generate an X25519 key");
  HostKeyPair pair;
  pair.private_key = raw_private(pkey.get());
  pair.public_key.raw = raw_public(pkey.get());
  if (pair.private_key.empty() || pair.public_key.raw.empty()) return openssl_failure("cannot read an X25519 key");
  return pair;
}

Result<SecretBytes> host_private_key_pem(const SecretBytes& host_private) {
  PkeyPtr pkey = private_pkey(host_private);
  if (!pkey) return Error(Category::Internal, "host key", "an X25519 private key is 32 bytes");
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return openssl_failure("cannot encode an X25519 key");
  return bio_secret_contents(bio.get());
}

Result<HostKeyPair> parse_host_private_key(const SecretBytes& data, std::string_view subject) {
  if (data.empty()) return input_error(subject, "empty file, expected a host private key", false);
  TRY(check_pem_trailer(data.view(), subject));
  clear_openssl_errors();
  EVP_PKEY* raw = nullptr;
  DecoderCtxPtr dctx(OSSL_DECODER_CTX_new_for_pkey(&raw, "PEM", nullptr, "X25519", EVP_PKEY_KEYPAIR, nullptr,
                                                   nullptr));
  if (!dctx) return openssl_failure("cannot create a key decoder");
  OSSL_DECODER_CTX_set_passphrase_cb(dctx.get(), no_passphrase, nullptr);
  const auto* p = data.data();
  std::size_t len = data.size();
  const bool decoded = OSSL_DECODER_from_data(dctx.get(), &p, &len) == 1 && raw;
  PkeyPtr pkey(raw);
  if (!decoded)
    return input_error(subject, "not a host private key (PKCS#8 PEM of an X25519 key, as `certctl agent enroll` writes)",
                       false);
  HostKeyPair pair;
  pair.private_key = raw_private(pkey.get());
  pair.public_key.raw = raw_public(pkey.get());
  if (pair.private_key.empty() || pair.public_key.raw.empty())
    return input_error(subject, "this is a public key, expected a host private key", false);
  return pair;
}

Result<std::string> host_public_key_pem(const HostPublicKey& key) {
  PkeyPtr pkey = public_pkey(key.raw);
  if (!pkey) return Error(Category::Input, "host public key", "an X25519 public key is 32 bytes");
  std::string pem = write_to_string([&](BIO* b) { return PEM_write_bio_PUBKEY(b, pkey.get()) == 1; });
  if (pem.empty()) return openssl_failure("cannot encode an X25519 public key");
  return pem;
}

Result<std::string> seal_to_host(const HostPublicKey& host, const SecretBytes& plaintext, std::string_view aad) {
  PkeyPtr peer = public_pkey(host.raw);
  if (!peer) return Error(Category::Input, "host public key", "an X25519 public key is 32 bytes");
  TRY_ASSIGN(HostKeyPair eph, generate_host_key());
  PkeyPtr ours = private_pkey(eph.private_key);
  if (!ours) return openssl_failure("cannot load an X25519 key");
  std::optional<SecretBytes> shared = agree(ours.get(), peer.get());
  if (!shared) return Error(Category::Input, host.text(), "not a usable X25519 public key (no key agreement)");
  TRY_ASSIGN(SecretBytes key, seal_key(*shared, eph.public_key.raw, host.raw));
  TRY_ASSIGN(std::string body, aead_seal(key, plaintext.view(), aad));
  std::string out;
  out.reserve(kHeaderLen + body.size());
  out.append(kDeviceSealMagic).append(eph.public_key.raw).append(body);
  return out;
}

Result<SecretBytes> open_as_host(const SecretBytes& host_private, std::string_view sealed, std::string_view aad,
                                 std::string_view what) {
  PkeyPtr ours = private_pkey(host_private);
  if (!ours) return Error(Category::Internal, "host key", "an X25519 private key is 32 bytes");
  if (sealed.size() < kHeaderLen + kNonceLen + kTagLen)
    return Error(Category::Vault, std::string(what), "cannot decrypt: truncated (shorter than a device seal)");
  if (sealed.substr(0, kDeviceSealMagic.size()) != kDeviceSealMagic)
    return Error(Category::Vault, std::string(what), "cannot decrypt: not a device seal (no CCD1 header)");
  const Error altered(Category::Vault, std::string(what), "cannot decrypt: not sealed to this host, or altered");
  const std::string_view ephemeral = sealed.substr(kDeviceSealMagic.size(), kHostKeyLen);
  PkeyPtr peer = public_pkey(ephemeral);
  if (!peer) return altered;
  std::optional<SecretBytes> shared = agree(ours.get(), peer.get());
  if (!shared) return altered;
  const std::string host = raw_public(ours.get());
  if (host.empty()) return openssl_failure("cannot read an X25519 key");
  TRY_ASSIGN(SecretBytes key, seal_key(*shared, ephemeral, host));
  auto plain = aead_open(key, sealed.substr(kHeaderLen), aad, what);
  if (!plain && plain.error().category() == Category::Vault) return altered;
  return plain;
}

}  // namespace certctl::crypto
