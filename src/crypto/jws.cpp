// JOSE pieces for ACME: JWK parameters, JWS algorithms and signatures, HMAC for EAB.
#include <certctl/crypto.hpp>

#include "crypto/handles.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fmt/format.h>

namespace certctl::crypto {
namespace {

std::string bn_bytes(const BIGNUM* bn, int pad_to = 0) {
  const int len = std::max(BN_num_bytes(bn), pad_to);
  std::string out(static_cast<std::size_t>(len), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), len);
  return out;
}

Result<BnPtr> get_bn(const EVP_PKEY* pkey, const char* param) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1) return openssl_failure("cannot read a public key parameter");
  return BnPtr(bn);
}

int field_bytes(const EVP_PKEY* pkey) { return (EVP_PKEY_get_bits(pkey) + 7) / 8; }

}  // namespace

Result<JwkParams> jwk_params(const PrivateKey& key) {
  const EVP_PKEY* pkey = key.get();
  if (!pkey) return Error(Category::Internal, "jwk", "empty key");
  JwkParams p;
  const std::string alg = pkey_algorithm(pkey);
  if (alg == "EC") {
    const int bits = EVP_PKEY_get_bits(pkey);
    if (bits != 256 && bits != 384) return Error(Category::Input, "account key", "only EC P-256 and P-384 keys can sign ACME requests");
    p.kty = "EC";
    p.crv = bits == 256 ? "P-256" : "P-384";
    TRY_ASSIGN(BnPtr x, get_bn(pkey, OSSL_PKEY_PARAM_EC_PUB_X));
    TRY_ASSIGN(BnPtr y, get_bn(pkey, OSSL_PKEY_PARAM_EC_PUB_Y));
    p.x = bn_bytes(x.get(), field_bytes(pkey));
    p.y = bn_bytes(y.get(), field_bytes(pkey));
    return p;
  }
  if (alg == "RSA") {
    p.kty = "RSA";
    TRY_ASSIGN(BnPtr n, get_bn(pkey, OSSL_PKEY_PARAM_RSA_N));
    TRY_ASSIGN(BnPtr e, get_bn(pkey, OSSL_PKEY_PARAM_RSA_E));
    p.n = bn_bytes(n.get());
    p.e = bn_bytes(e.get());
    return p;
  }
  return Error(Category::Input, "account key", "only RSA and EC keys can sign ACME requests");
}

std::string jws_algorithm(const JwkParams& jwk) {
  if (jwk.kty == "RSA") return "RS256";
  return jwk.crv == "P-256" ? "ES256" : "ES384";
}

Result<std::string> jws_algorithm(const PrivateKey& key) {
  TRY_ASSIGN(JwkParams p, jwk_params(key));
  return jws_algorithm(p);
}

Result<std::string> jws_sign(const PrivateKey& key, std::string_view input) {
  TRY_ASSIGN(std::string alg, jws_algorithm(key));
  const EVP_MD* md = alg == "ES384" ? EVP_sha384() : EVP_sha256();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key.get()) != 1)
    return openssl_failure("cannot start a JWS signature");
  std::size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1) return openssl_failure("cannot sign");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in, input.size()) != 1)
    return openssl_failure("cannot sign");
  sig.resize(len);
  if (alg == "RS256") return sig;
  // ECDSA: OpenSSL gives DER (SEQUENCE of r, s); JWS wants r||s, each padded to the field size.
  const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
  ECDSA_SIG* der = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  if (!der) return openssl_failure("cannot decode an ECDSA signature");
  const int n = field_bytes(key.get());
  std::string raw = bn_bytes(ECDSA_SIG_get0_r(der), n) + bn_bytes(ECDSA_SIG_get0_s(der), n);
  ECDSA_SIG_free(der);
  return raw;
}

namespace {

class KeySigner final : public Signer {
 public:
  KeySigner(PrivateKey key, JwkParams jwk) : key_(std::move(key)), jwk_(std::move(jwk)), alg_(jws_algorithm(jwk_)) {}
  const std::string& algorithm() const override { return alg_; }
  const JwkParams& jwk() const override { return jwk_; }
  Result<std::string> sign(std::string_view input) const override { return jws_sign(key_, input); }

 private:
  PrivateKey key_;
  JwkParams jwk_;
  std::string alg_;
};

}  // namespace

Result<std::unique_ptr<Signer>> make_key_signer(PrivateKey key) {
  TRY_ASSIGN(JwkParams jwk, jwk_params(key));
  return std::unique_ptr<Signer>(std::make_unique<KeySigner>(std::move(key), std::move(jwk)));
}

namespace {

Result<std::string> hmac(const EVP_MD* md, const char* what, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
            data.size(), out, &len))
    return openssl_failure(fmt::format("cannot compute {}", what));
  return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace

Result<std::string> hmac_sha256(std::string_view key, std::string_view data) {
  return hmac(EVP_sha256(), "HMAC-SHA256", key, data);
}
Result<std::string> hmac_sha1(std::string_view key, std::string_view data) { return hmac(EVP_sha1(), "HMAC-SHA1", key, data); }

}  // namespace certctl::crypto
