/// PKCS#12 (PFX) export: a modern AES profile and a legacy 3DES/SHA-1 profile.
#include "crypto/handles.hpp"

namespace certctl::crypto {
namespace {

/// One profile: PBE algorithm for the key and cert bags, KDF iterations, MAC digest and rounds.
struct Pkcs12Profile {
  int key_nid;
  int cert_nid;
  int iterations;
  int mac_iterations;
  const EVP_MD* (*mac_md)();
};

/// Modern: PBES2 (PBKDF2 with hmacWithSHA256, OpenSSL 3's default PRF) + AES-256-CBC, SHA-256
/// MAC. Read by OpenSSL 1.1.1+, Windows 10 1709+/Server 2019+, Java 12+ and macOS.
constexpr Pkcs12Profile kModern{NID_aes_256_cbc, NID_aes_256_cbc, 2048, 2048, EVP_sha256};
/// Legacy: pbeWithSHA1And3-KeyTripleDES-CBC for both bags and an HMAC-SHA1 MAC, the newest
/// profile Windows Server 2012/2016 and Java 8 read. Everything it needs is in OpenSSL 3's
/// default provider (only RC2-40, which we do not use, needs the legacy provider).
constexpr Pkcs12Profile kLegacy{NID_pbe_WithSHA1And3_Key_TripleDES_CBC,
                                NID_pbe_WithSHA1And3_Key_TripleDES_CBC, 2048, 2048, EVP_sha1};

}  // namespace

Result<std::string> make_pkcs12(const PrivateKey& key, const Certificate& leaf,
                                const std::vector<Certificate>& chain,
                                std::string_view friendly_name, const SecretBytes& password,
                                bool legacy) {
  if (key.empty() || leaf.empty()) return Error(Category::Internal, "pkcs12", "missing key or certificate");
  if (!key_matches(leaf, key)) {
    return Error(Category::Input, "pkcs12", "the private key does not match the certificate");
  }
  const Pkcs12Profile& profile = legacy ? kLegacy : kModern;
  clear_openssl_errors();

  X509StackPtr ca(sk_X509_new_null());
  if (!ca) return openssl_failure("cannot allocate the chain");
  for (const auto& c : chain) {
    if (c.empty()) continue;
    if (!X509_up_ref(c.get()) || !sk_X509_push(ca.get(), c.get())) {
      return openssl_failure("cannot build the chain");
    }
  }

  // NUL-terminated copies: OpenSSL takes C strings here.
  SecretBytes pass = password.clone();
  pass.append(std::string_view("\0", 1));
  const char* pass_c = reinterpret_cast<const char*>(pass.data());
  std::string name(friendly_name);
  const char* name_c = name.empty() ? nullptr : name.c_str();

  // mac_iter -1: no MAC yet; PKCS12_set_mac below adds it with the profile's digest.
  Pkcs12Ptr p12(PKCS12_create_ex(pass_c, name_c, key.get(), leaf.get(), ca.get(), profile.key_nid,
                                 profile.cert_nid, profile.iterations, -1, 0, nullptr, nullptr));
  if (!p12) return openssl_failure("cannot create the PKCS#12 file");
  if (PKCS12_set_mac(p12.get(), pass_c, -1, nullptr, 0, profile.mac_iterations, profile.mac_md()) != 1) {
    return openssl_failure("cannot add the PKCS#12 MAC");
  }

  unsigned char* der = nullptr;
  int len = i2d_PKCS12(p12.get(), &der);
  if (len <= 0) return openssl_failure("cannot encode the PKCS#12 file");
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace certctl::crypto
