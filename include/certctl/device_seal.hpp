#pragma once
/// Device sealing (crypto module): secrets encrypted to one host's X25519 key, so an agent on
/// that host can open them with its own key and never needs the vault's passphrase.
///
/// A sealed blob is "CCD1" || ephemeral public key (32) || nonce (12) || ciphertext || tag (16):
/// an ephemeral X25519 key agrees a secret with the host's key, HKDF-SHA256 (salt = ephemeral
/// public || host public, info "certctl-device-seal-v1") makes the AES-256-GCM key, and the
/// caller's `aad` is the associated data. man/certctl-vault(5) describes the format.
#include <certctl/result.hpp>
#include <certctl/secret.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace certctl::crypto {

inline constexpr std::size_t kHostKeyLen = 32;
/// The text form of a host public key: this prefix, then base64url (no padding) of 32 bytes.
inline constexpr std::string_view kHostKeyPrefix = "certctl-host-x25519:";
inline constexpr std::string_view kDeviceSealMagic = "CCD1";
/// HKDF info of a device seal's key.
inline constexpr std::string_view kDeviceSealInfo = "certctl-device-seal-v1";

/// A host's X25519 public key (not secret).
struct HostPublicKey {
  std::string raw;  ///< 32 bytes
  /// "certctl-host-x25519:<base64url>", one line.
  std::string text() const;
  friend bool operator==(const HostPublicKey&, const HostPublicKey&) = default;
};

/// The text form back; anything else (another prefix, bad base64url, not 32 bytes, spaces
/// inside, a second line) is an Input error naming `subject` (the file or "stdin"). White
/// space around the line is ignored.
Result<HostPublicKey> parse_host_public_key(std::string_view text, std::string_view subject);

struct HostKeyPair {
  SecretBytes private_key;  ///< raw 32-byte X25519 private key
  HostPublicKey public_key;
};
/// A fresh X25519 key pair.
Result<HostKeyPair> generate_host_key();

/// The private key as unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), which
/// `openssl pkey` reads: the form of an agent's key file.
Result<SecretBytes> host_private_key_pem(const SecretBytes& host_private);
/// A key file back to the raw private key and its public half: PKCS#8 PEM of an X25519 key;
/// anything else is an Input error naming `subject`.
Result<HostKeyPair> parse_host_private_key(const SecretBytes& data, std::string_view subject);
/// The public key as SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----").
Result<std::string> host_public_key_pem(const HostPublicKey& key);

/// Encrypt `plaintext` to the host (format above). A key that is not a usable X25519 point
/// (e.g. of small order) is an Input error.
Result<std::string> seal_to_host(const HostPublicKey& host, const SecretBytes& plaintext, std::string_view aad);
/// The inverse, with the host's raw private key. A wrong key, a changed byte or another `aad`
/// is a Vault error naming `what`: "cannot decrypt: not sealed to this host, or altered";
/// a blob that is not CCD1 or is truncated is a Vault error naming `what` too.
Result<SecretBytes> open_as_host(const SecretBytes& host_private, std::string_view sealed, std::string_view aad,
                                 std::string_view what);

}  // namespace certctl::crypto
