#pragma once
/// certctl's crypto layer over OpenSSL 3: keys, CSRs, certificates, PKCS#12, AEAD, KDFs and
/// encodings. A leaf module: it depends on core only. Every OpenSSL handle lives in an RAII
/// wrapper (src/crypto/handles.hpp); this header exposes only light forward declarations.
#include <certctl/result.hpp>
#include <certctl/secret.hpp>
#include <certctl/clock.hpp>

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certctl::crypto {

// ---- encodings -------------------------------------------------------------------------------
std::string base64_encode(std::string_view data);
Result<std::string> base64_decode(std::string_view text, std::string_view subject);
std::string base64url_encode(std::string_view data);  ///< no padding (RFC 7515)
Result<std::string> base64url_decode(std::string_view text, std::string_view subject);
std::string hex_encode(std::string_view data, bool colons = false, bool upper = false);
std::string sha256(std::string_view data);  ///< raw 32-byte digest
/// Raw 20-byte SHA-1 digest: only for APIs that define their request signatures with it (OVH).
std::string sha1(std::string_view data);

// ---- randomness ------------------------------------------------------------------------------
std::string random_bytes(std::size_t n);
SecretBytes random_secret(std::size_t n);
/// A password of n characters from an unambiguous alphabet (no 0/O, 1/l/I), ~5.9 bits each.
SecretBytes random_password(std::size_t n = 24);

// ---- keys ------------------------------------------------------------------------------------
enum class KeyType { Rsa2048, Rsa3072, Rsa4096, Ec256, Ec384 };
/// "rsa2048", "rsa3072", "rsa4096", "ec256", "ec384"; also the hyphenated forms ("rsa-2048",
/// "ec-256") and "p256"/"p384". Anything else: Input error listing the valid names.
Result<KeyType> parse_key_type(std::string_view s);
std::string_view key_type_name(KeyType t);

/// Deleters of the OpenSSL handles PrivateKey and Certificate own, defined in src/crypto so
/// this header needs only <openssl/types.h>; src/crypto/handles.hpp uses the same ones.
struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept;
};
struct X509Free {
  void operator()(X509* p) const noexcept;
};

/// Move-only owner of an EVP_PKEY.
class PrivateKey {
 public:
  PrivateKey() = default;  // empty

  static Result<PrivateKey> generate(KeyType type);
  /// PEM (PKCS#8, traditional RSA/EC) or DER; `subject` names the source in errors.
  static Result<PrivateKey> parse(const SecretBytes& data, std::string_view subject);

  bool empty() const noexcept { return !pkey_; }
  /// A second owner of the same (immutable) key, e.g. for a Signer while the key is stored.
  PrivateKey share() const;
  /// Unencrypted PKCS#8 PEM.
  SecretBytes to_pem() const;
  std::string public_key_pem() const;
  std::string public_key_der() const;  ///< SubjectPublicKeyInfo DER
  /// "RSA" or "EC"
  std::string algorithm() const;
  int bits() const;
  /// The canonical key type when it is one of the five, else nullopt (e.g. RSA 1024, P-521).
  std::optional<KeyType> key_type() const;
  /// e.g. "RSA 2048" or "EC P-256"
  std::string description() const;

  EVP_PKEY* get() const noexcept { return pkey_.get(); }

 private:
  explicit PrivateKey(EVP_PKEY* owned) noexcept : pkey_(owned) {}
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey_;
};

// ---- names -----------------------------------------------------------------------------------
struct Subject {
  std::string cn, o, ou, c, st, l, email;
};

// ---- CSRs ------------------------------------------------------------------------------------
struct CsrRequest {
  Subject subject;              ///< cn may be empty: then the CSR has no CN (names > 64 chars)
  std::vector<std::string> dns_names;  ///< A-labels, put in subjectAltName
  std::vector<std::string> ip_addresses;
};

struct CsrInfo {
  std::string pem;
  std::string der;  ///< the same CSR, DER (what ACME finalize sends)
  Subject subject;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::string public_key_der;  ///< SubjectPublicKeyInfo DER, to compare with a key
  std::string key_description;
  int key_bits = 0;
  std::optional<KeyType> key_type;
};

/// Build a CSR signed with `key` (SHA-256; extensions: subjectAltName, keyUsage per key type,
/// extendedKeyUsage serverAuth). Returns PEM.
Result<std::string> make_csr(const PrivateKey& key, const CsrRequest& req);
/// Parse a PEM or DER CSR and verify its self-signature.
Result<CsrInfo> parse_csr(std::string_view data, std::string_view subject);

/// The smallest RSA key certctl makes, imports or accepts in a certificate it stores.
inline constexpr int kMinRsaBits = 2048;
/// At most this many bytes (other than white space) may follow the last PEM block of a file;
/// more is refused as an Input error naming the file.
inline constexpr std::size_t kMaxPemTrailer = 1024;

// ---- certificates ----------------------------------------------------------------------------
struct CertInfo {
  Subject subject;
  std::string subject_dn;   ///< one line, RFC 2253 style
  std::string issuer_dn;
  std::string issuer_cn;
  std::string serial_dec;
  std::string serial_hex;   ///< upper-case hex, no separators, no leading 0x
  std::string fingerprint_md5;     ///< upper-case hex with colons
  std::string fingerprint_sha1;
  std::string fingerprint_sha256;
  UnixTime not_before = 0;
  UnixTime not_after = 0;
  std::string signature_algorithm;  ///< e.g. "ecdsa-with-SHA256", "sha256WithRSAEncryption"
  std::string key_description;
  int key_bits = 0;
  std::optional<KeyType> key_type;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  bool is_ca = false;
  bool self_signed = false;  ///< subject == issuer and the signature verifies with its own key
  std::string public_key_der;
};

/// Move-only owner of an X509; clone() shares it by reference count.
class Certificate {
 public:
  Certificate() = default;
  Certificate clone() const;

  bool empty() const noexcept { return !x509_; }
  std::string to_pem() const;
  std::string to_der() const;
  CertInfo info() const;
  X509* get() const noexcept { return x509_.get(); }
  /// Takes ownership.
  static Certificate adopt(X509* owned) noexcept;

 private:
  explicit Certificate(X509* owned) noexcept : x509_(owned) {}
  std::unique_ptr<X509, X509Free> x509_;
};

/// Parse one or more certificates: a PEM bundle (any number of CERTIFICATE blocks) or one DER
/// certificate. Zero certificates is an Input error naming `subject`.
Result<std::vector<Certificate>> parse_certificates(std::string_view data, std::string_view subject);
std::string to_pem_bundle(const std::vector<Certificate>& certs);

/// The certificate's ACME Renewal Information identifier (RFC 9773 section 4.1):
/// base64url(authority key identifier) "." base64url(DER serial number content octets).
/// An Input error naming `subject` when the certificate has no authority key identifier.
Result<std::string> ari_cert_id(const Certificate& cert, std::string_view subject);

/// True when the key is the private half of the certificate's public key.
bool key_matches(const Certificate& cert, const PrivateKey& key);
bool key_matches(const CsrInfo& csr, const PrivateKey& key);
bool public_key_matches(const Certificate& cert, const CsrInfo& csr);

/// Check that `chain` links: chain[0] issued `leaf` and chain[i+1] issued chain[i] (issuer name
/// and signature). Errors say which position fails, e.g. "chain certificate 2 (CN=R3) did not
/// issue certificate 1 (CN=example.com): wrong order or missing intermediate".
Status verify_chain_links(const Certificate& leaf, const std::vector<Certificate>& chain,
                          std::string_view subject);
/// Full path validation of leaf + untrusted chain against trust anchors at time `at`.
Status verify_against_roots(const Certificate& leaf, const std::vector<Certificate>& chain,
                            const std::vector<Certificate>& roots, UnixTime at,
                            std::string_view subject);

// ---- signing certificates (local CA) ---------------------------------------------------------
struct IssueParams {
  std::string serial_hex;   ///< positive, up to 20 bytes
  UnixTime not_before = 0;
  UnixTime not_after = 0;
  bool is_ca = false;       ///< basicConstraints CA:TRUE (pathlen 0) + keyCertSign/cRLSign
  std::string crl_url;      ///< optional CRL distribution point
  /// CA certificates (make_self_signed_ca, sign_ca): the pathLenConstraint, -1 = none.
  int path_len = -1;
  /// CA certificates: name constraints (RFC 5280 4.2.1.10, critical), each a DNS name
  /// ("example.internal": it and every name below it) or an IP range in CIDR form
  /// ("10.0.0.0/8", "fd00::/8"). None = no extension.
  std::vector<std::string> permitted, excluded;
};

/// What a CA certificate allows: its basic constraints and name constraints.
struct CaConstraints {
  bool is_ca = false;
  int path_len = -1;  ///< -1 = none
  std::vector<std::string> permitted, excluded;  ///< as IssueParams spells them
  bool name_constraints_critical = false;
  bool operator==(const CaConstraints&) const = default;
};
CaConstraints ca_constraints(const Certificate& cert);
/// Does `name` (a DNS name, possibly "*.", or an IP address) fall in the subtree `constraint`
/// (a DNS name or CIDR range as IssueParams spells them)? A DNS constraint never matches an IP
/// address, nor a range a DNS name.
bool constraint_matches(std::string_view constraint, std::string_view name);

/// A self-signed CA certificate for `key` with `subject`.
Result<Certificate> make_self_signed_ca(const PrivateKey& key, const Subject& subject,
                                        const IssueParams& params);
/// A CA certificate for `subject_key` under `subject`, signed by `issuer` (an intermediate, or
/// a cross-certificate of another root): CA:TRUE with params.path_len, keyCertSign + cRLSign,
/// the name constraints of params, SKI/AKI.
Result<Certificate> sign_ca(const PrivateKey& subject_key, const Subject& subject, const Certificate& issuer,
                            const PrivateKey& issuer_key, const IssueParams& params);
/// Sign the CSR's public key and names: subject copied from the CSR (CN may be empty), SANs
/// from the CSR, keyUsage per key type, EKU serverAuth+clientAuth, SKI/AKI, SHA-256.
Result<Certificate> sign_csr(const CsrInfo& csr, const Certificate& issuer,
                             const PrivateKey& issuer_key, const IssueParams& params);

// ---- CRLs (local CA) --------------------------------------------------------------------------
struct RevokedEntry {
  std::string serial_hex;
  UnixTime revoked_at = 0;
  int reason = 0;  ///< RFC 5280 CRLReason
};
/// A v2 CRL signed by the issuer, PEM.
Result<std::string> make_crl(const Certificate& issuer, const PrivateKey& issuer_key,
                             const std::vector<RevokedEntry>& entries, UnixTime this_update,
                             UnixTime next_update, long crl_number);

// ---- PKCS#12 ---------------------------------------------------------------------------------
/// DER PKCS#12 with key, leaf and chain, the friendly name on the key and leaf bags.
/// Modern: AES-256-CBC with PBKDF2/SHA-256 for key and certs, SHA-256 MAC, 2048+ iterations.
/// legacy: PBE-SHA1-3DES for both and a SHA-1 MAC (Windows Server 2012, Java 8).
Result<std::string> make_pkcs12(const PrivateKey& key, const Certificate& leaf,
                                const std::vector<Certificate>& chain,
                                std::string_view friendly_name, const SecretBytes& password,
                                bool legacy);

// ---- JOSE (ACME request signing) -------------------------------------------------------------
/// The public half of a key as JWK members (RFC 7517/7518), values raw big-endian bytes:
/// EC: crv ("P-256"/"P-384"), x, y padded to the field size; RSA: n, e without leading zeros.
struct JwkParams {
  std::string kty;  ///< "EC" or "RSA"
  std::string crv, x, y;
  std::string n, e;
};
Result<JwkParams> jwk_params(const PrivateKey& key);
/// "ES256", "ES384" or "RS256" for a key of that kind; Input error for other keys.
Result<std::string> jws_algorithm(const PrivateKey& key);
/// A JWS signature over `input`: raw r||s for ECDSA (RFC 7518 3.4), PKCS#1 v1.5 for RSA.
Result<std::string> jws_sign(const PrivateKey& key, std::string_view input);
/// A private key used only through this interface: what it is and "sign these bytes" (the
/// shape of OpenBSD acme-client's acctproc). The ACME client signs every request with one and
/// never sees key material, so the network process (src/lifecycle/network_process.cpp) can
/// hold a signer that asks the key-holding process over a socket.
class Signer {
 public:
  virtual ~Signer() = default;
  /// "ES256", "ES384" or "RS256".
  virtual const std::string& algorithm() const = 0;
  /// The public half.
  virtual const JwkParams& jwk() const = 0;
  /// A JWS signature over `input` (as jws_sign).
  virtual Result<std::string> sign(std::string_view input) const = 0;
};
/// The signer of a key held in this process; Input error for a key that cannot sign JWS.
Result<std::unique_ptr<Signer>> make_key_signer(PrivateKey key);
/// The JWS algorithm for the public key `jwk` ("ES256", "ES384", "RS256").
std::string jws_algorithm(const JwkParams& jwk);

/// HMAC-SHA256 (EAB, RFC 8555 7.3.4).
Result<std::string> hmac_sha256(std::string_view key, std::string_view data);
/// HMAC-SHA1: only for APIs whose request signature is defined with it (Alibaba Cloud RPC).
Result<std::string> hmac_sha1(std::string_view key, std::string_view data);

// ---- AEAD and KDFs ---------------------------------------------------------------------------
/// AES-256-GCM. Output: 12-byte random nonce || ciphertext || 16-byte tag.
Result<std::string> aead_seal(const SecretBytes& key, std::string_view plaintext,
                              std::string_view aad);
/// Fails with Vault category "authentication failed" when the key, data or aad do not match.
Result<SecretBytes> aead_open(const SecretBytes& key, std::string_view sealed,
                              std::string_view aad, std::string_view subject);

struct ScryptParams {
  std::uint64_t n = 1u << 15;
  std::uint32_t r = 8;
  std::uint32_t p = 1;
  std::string salt;  ///< raw bytes
};
/// The most memory scrypt may use (128 * N * r bytes): 1 GiB, so N is at most 2^20 with r = 8.
inline constexpr std::uint64_t kScryptMaxMemory = std::uint64_t{1} << 30;
/// Why these scrypt parameters cannot be used ("" when they can): N a power of two above 1,
/// r and p positive, and within kScryptMaxMemory.
std::string scrypt_problem(std::uint64_t n, std::uint32_t r, std::uint32_t p);
/// scrypt through EVP_KDF ("SCRYPT"); 32-byte output by default.
Result<SecretBytes> scrypt(const SecretBytes& passphrase, const ScryptParams& params,
                           std::size_t out_len = 32);
/// HKDF-SHA256 through EVP_KDF ("HKDF").
Result<SecretBytes> hkdf_sha256(const SecretBytes& ikm, std::string_view salt,
                                std::string_view info, std::size_t out_len = 32);

}  // namespace certctl::crypto
