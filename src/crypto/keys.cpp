/// Private keys: generation, parsing (OSSL_DECODER), encoding and description.
#include "crypto/handles.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace certctl::crypto {
namespace {

struct KeyTypeName {
  std::string_view name;
  KeyType type;
};

/// Canonical names first: key_type_name() returns the first match.
constexpr KeyTypeName kKeyTypeNames[] = {
    {"rsa2048", KeyType::Rsa2048}, {"rsa3072", KeyType::Rsa3072}, {"rsa4096", KeyType::Rsa4096},
    {"ec256", KeyType::Ec256},     {"ec384", KeyType::Ec384},     {"rsa-2048", KeyType::Rsa2048},
    {"rsa-3072", KeyType::Rsa3072}, {"rsa-4096", KeyType::Rsa4096}, {"ec-256", KeyType::Ec256},
    {"ec-384", KeyType::Ec384},    {"p256", KeyType::Ec256},      {"p384", KeyType::Ec384},
    {"p-256", KeyType::Ec256},     {"p-384", KeyType::Ec384},
};

/// The EC group's short name ("prime256v1"), "" when unknown.
std::string ec_group_name(const EVP_PKEY* pkey) {
  char buf[80] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, buf, sizeof buf, &len) != 1) {
    clear_openssl_errors();
    return {};
  }
  return std::string(buf, len);
}

/// "P-256" for prime256v1 etc., else the group's own name.
std::string ec_curve_label(const EVP_PKEY* pkey) {
  std::string group = ec_group_name(pkey);
  int nid = OBJ_sn2nid(group.c_str());
  if (nid == NID_undef) nid = OBJ_txt2nid(group.c_str());
  if (nid != NID_undef) {
    if (const char* nist = EC_curve_nid2nist(nid)) return nist;
  }
  return group;
}

bool is_rsa(const EVP_PKEY* pkey) { return EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA; }
bool is_ec(const EVP_PKEY* pkey) { return EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC; }

bool has_private_part(const EVP_PKEY* pkey) {
  BIGNUM* priv = nullptr;
  const char* name = is_rsa(pkey) ? OSSL_PKEY_PARAM_RSA_D : OSSL_PKEY_PARAM_PRIV_KEY;
  int rc = EVP_PKEY_get_bn_param(pkey, name, &priv);
  BN_clear_free(priv);
  clear_openssl_errors();
  return rc == 1;
}

bool looks_encrypted(std::string_view text) {
  return text.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos ||
         text.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos;
}

/// A more helpful message when a PEM file holds something other than a private key.
std::string not_a_key_message(std::string_view text) {
  if (text.find("-----BEGIN PUBLIC KEY-----") != std::string_view::npos ||
      text.find("-----BEGIN RSA PUBLIC KEY-----") != std::string_view::npos) {
    return "this is a public key, expected a private key";
  }
  if (text.find("-----BEGIN CERTIFICATE REQUEST-----") != std::string_view::npos) {
    return "this is a certificate signing request, expected a private key";
  }
  if (text.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
    return "this is a certificate, expected a private key";
  }
  return "not a PEM or DER private key";
}

/// Refuse decoder passphrase prompts: certctl only reads unencrypted keys here.
int no_passphrase(char*, size_t, size_t*, const OSSL_PARAM*, void*) { return 0; }

}  // namespace

// ---- key types -------------------------------------------------------------------------------

Result<KeyType> parse_key_type(std::string_view s) {
  std::string lower(s);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& k : kKeyTypeNames) {
    if (k.name == lower) return k.type;
  }
  return Error(Category::Input, "key type", "unknown key type '" + std::string(s) + "'",
               "valid types: rsa2048, rsa3072, rsa4096, ec256, ec384");
}

std::string_view key_type_name(KeyType t) {
  for (const auto& k : kKeyTypeNames) {
    if (k.type == t) return k.name;
  }
  return "unknown";
}

// ---- facts about an EVP_PKEY -----------------------------------------------------------------

std::string pkey_algorithm(const EVP_PKEY* pkey) {
  if (!pkey) return {};
  if (is_rsa(pkey)) return "RSA";
  if (is_ec(pkey)) return "EC";
  const char* name = EVP_PKEY_get0_type_name(pkey);
  return name ? name : "unknown";
}

int pkey_bits(const EVP_PKEY* pkey) { return pkey ? EVP_PKEY_get_bits(pkey) : 0; }

std::optional<KeyType> pkey_key_type(const EVP_PKEY* pkey) {
  if (!pkey) return std::nullopt;
  if (is_rsa(pkey)) {
    switch (EVP_PKEY_get_bits(pkey)) {
      case 2048: return KeyType::Rsa2048;
      case 3072: return KeyType::Rsa3072;
      case 4096: return KeyType::Rsa4096;
      default: return std::nullopt;
    }
  }
  if (is_ec(pkey)) {
    std::string curve = ec_curve_label(pkey);
    if (curve == "P-256") return KeyType::Ec256;
    if (curve == "P-384") return KeyType::Ec384;
  }
  return std::nullopt;
}

std::string pkey_description(const EVP_PKEY* pkey) {
  if (!pkey) return {};
  if (is_rsa(pkey)) return "RSA " + std::to_string(EVP_PKEY_get_bits(pkey));
  if (is_ec(pkey)) return "EC " + ec_curve_label(pkey);
  return pkey_algorithm(pkey) + " " + std::to_string(EVP_PKEY_get_bits(pkey));
}

std::string pkey_spki_der(const EVP_PKEY* pkey) {
  if (!pkey) return {};
  return der_to_string([pkey](unsigned char** der) { return i2d_PUBKEY(const_cast<EVP_PKEY*>(pkey), der); });
}

PkeyPtr pkey_from_spki_der(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  PkeyPtr pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!pkey) clear_openssl_errors();
  return pkey;
}

const EVP_MD* signing_digest(const EVP_PKEY* pkey) {
  if (pkey && is_ec(pkey) && EVP_PKEY_get_bits(pkey) >= 384) return EVP_sha384();
  return EVP_sha256();
}

// ---- PrivateKey ------------------------------------------------------------------------------

void PkeyFree::operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }

Result<PrivateKey> PrivateKey::generate(KeyType type) {
  EVP_PKEY* pkey = nullptr;
  switch (type) {
    case KeyType::Rsa2048: pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}); break;
    case KeyType::Rsa3072: pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{3072}); break;
    case KeyType::Rsa4096: pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{4096}); break;
    case KeyType::Ec256: pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
    case KeyType::Ec384: pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"); break;
  }
  if (!pkey) return openssl_failure("cannot generate a " + std::string(key_type_name(type)) + " key");
  return PrivateKey(pkey);
}

Result<PrivateKey> PrivateKey::parse(const SecretBytes& data, std::string_view subject) {
  if (data.empty()) return input_error(subject, "empty file, expected a private key", false);
  if (looks_encrypted(data.view())) {
    return input_error(subject,
                       "the private key is encrypted; decrypt it first "
                       "(openssl pkey -in FILE -out PLAIN)",
                       false);
  }
  TRY(check_pem_trailer(data.view(), subject));
  clear_openssl_errors();
  EVP_PKEY* raw = nullptr;
  // Any input format (PEM or DER) and structure (PKCS#8, traditional RSA/EC); key types
  // restricted below. Selection KEYPAIR still lets SubjectPublicKeyInfo through, hence the
  // private-part check after decoding.
  DecoderCtxPtr dctx(OSSL_DECODER_CTX_new_for_pkey(&raw, nullptr, nullptr, nullptr,
                                                   EVP_PKEY_KEYPAIR, nullptr, nullptr));
  if (!dctx) return openssl_failure("cannot create a key decoder");
  OSSL_DECODER_CTX_set_passphrase_cb(dctx.get(), no_passphrase, nullptr);
  const auto* p = data.data();
  std::size_t len = data.size();
  if (OSSL_DECODER_from_data(dctx.get(), &p, &len) != 1 || !raw) {
    EVP_PKEY_free(raw);
    return input_error(subject, not_a_key_message(data.view()), false);
  }
  PrivateKey key(raw);
  if (!is_rsa(raw) && !is_ec(raw)) {
    return input_error(subject, "unsupported key algorithm " + pkey_algorithm(raw) +
                                    " (certctl uses RSA and EC keys)", false);
  }
  if (!has_private_part(raw)) {
    return input_error(subject, "this is a public key, expected a private key", false);
  }
  return key;
}

PrivateKey PrivateKey::share() const {
  if (!pkey_ || EVP_PKEY_up_ref(pkey_.get()) != 1) return {};
  return PrivateKey(pkey_.get());
}

SecretBytes PrivateKey::to_pem() const {
  if (!pkey_) return {};
  // Secure-heap BIO where available; memory BIOs are cleansed when freed either way.
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    clear_openssl_errors();
    return {};
  }
  return bio_secret_contents(bio.get());
}

std::string PrivateKey::public_key_pem() const {
  if (!pkey_) return {};
  return write_to_string([this](BIO* b) { return PEM_write_bio_PUBKEY(b, pkey_.get()) == 1; });
}

std::string PrivateKey::public_key_der() const { return pkey_spki_der(pkey_.get()); }
std::string PrivateKey::algorithm() const { return pkey_algorithm(pkey_.get()); }
int PrivateKey::bits() const { return pkey_bits(pkey_.get()); }
std::optional<KeyType> PrivateKey::key_type() const { return pkey_key_type(pkey_.get()); }
std::string PrivateKey::description() const { return pkey_description(pkey_.get()); }

}  // namespace certctl::crypto
