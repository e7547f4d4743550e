// Private JWKs to PEM: the members become OSSL_PARAMs for EVP_PKEY_fromdata, then PKCS#8 PEM.
#include <certctl/crypto.hpp>
#include <certctl/jwk_key.hpp>

#include "crypto/handles.hpp"

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <fmt/format.h>

namespace certctl::crypto {
namespace {

using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, FreeFn<OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, FreeFn<OSSL_PARAM_free>>;

/// 16384-bit RSA numbers are 2 KiB; nothing real is larger.
constexpr std::size_t kMaxMember = 4096;

Error bad(std::string_view subject, std::string message) {
  return Error(Category::Input, std::string(subject), std::move(message));
}

/// A base64url member as a big-endian unsigned number.
Result<BnPtr> number(const std::map<std::string, std::string>& jwk, const char* name, std::string_view subject) {
  auto it = jwk.find(name);
  if (it == jwk.end() || it->second.empty()) return bad(subject, fmt::format("the JWK has no '{}'", name));
  if (it->second.size() > kMaxMember) return bad(subject, fmt::format("the JWK's '{}' is too long", name));
  TRY_ASSIGN(std::string raw, base64url_decode(it->second, subject));
  BnPtr bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()), nullptr));
  if (!bn) return bad(subject, fmt::format("the JWK's '{}' is not a number", name));
  return bn;
}

Result<std::string> member_bytes(const std::map<std::string, std::string>& jwk, const char* name, std::size_t len,
                                 std::string_view subject) {
  auto it = jwk.find(name);
  if (it == jwk.end() || it->second.size() > kMaxMember) return bad(subject, fmt::format("the JWK has no usable '{}'", name));
  TRY_ASSIGN(std::string raw, base64url_decode(it->second, subject));
  if (raw.size() != len) return bad(subject, fmt::format("the JWK's '{}' is not {} bytes", name, len));
  return raw;
}

}  // namespace

std::span<const std::pair<const char*, const char*>> rsa_jwk_members() {
  static constexpr std::pair<const char*, const char*> kMembers[] = {
      {"n", OSSL_PKEY_PARAM_RSA_N},          {"e", OSSL_PKEY_PARAM_RSA_E},
      {"d", OSSL_PKEY_PARAM_RSA_D},          {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
      {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},    {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
      {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2}, {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1}};
  return kMembers;
}

Result<SecretBytes> private_jwk_to_pem(const std::map<std::string, std::string>& jwk, std::string_view subject) {
  auto kty = jwk.find("kty");
  if (kty == jwk.end()) return bad(subject, "not a JWK (no 'kty')");
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld) return bad(subject, "out of memory");
  std::vector<BnPtr> keep;  // the numbers must outlive the built params
  std::string key_type, point;
  if (kty->second == "RSA") {
    key_type = "RSA";
    for (const auto& [name, param] : rsa_jwk_members()) {
      TRY_ASSIGN(BnPtr bn, number(jwk, name, subject));
      if (OSSL_PARAM_BLD_push_BN(bld.get(), param, bn.get()) != 1) return bad(subject, "out of memory");
      keep.push_back(std::move(bn));
    }
  } else if (kty->second == "EC") {
    key_type = "EC";
    auto crv = jwk.find("crv");
    const char* group = nullptr;
    std::size_t len = 0;
    if (crv != jwk.end() && crv->second == "P-256") group = "prime256v1", len = 32;
    if (crv != jwk.end() && crv->second == "P-384") group = "secp384r1", len = 48;
    if (!group) return bad(subject, "an EC JWK must be on curve P-256 or P-384");
    TRY_ASSIGN(std::string x, member_bytes(jwk, "x", len, subject));
    TRY_ASSIGN(std::string y, member_bytes(jwk, "y", len, subject));
    point = "\x04" + x + y;
    TRY_ASSIGN(BnPtr d, number(jwk, "d", subject));
    if (OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) != 1)
      return bad(subject, "out of memory");
    keep.push_back(std::move(d));
  } else {
    return bad(subject, fmt::format("unsupported JWK key type '{}' (RSA and EC are)", kty->second));
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, key_type.c_str(), nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1 || !raw) {
    clear_openssl_errors();
    return bad(subject, "the JWK does not describe a usable private key");
  }
  PkeyPtr pkey(raw);
  // The key must check out (a JWK whose numbers do not belong together is refused).
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_pairwise_check(check.get()) != 1) {
    clear_openssl_errors();
    return bad(subject, "the JWK's private and public parts do not belong together");
  }
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    clear_openssl_errors();
    return bad(subject, "cannot encode the key");
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  SecretBytes out = SecretBytes::from(std::string_view(data, static_cast<std::size_t>(n)));
  OPENSSL_cleanse(data, static_cast<std::size_t>(n));
  return out;
}

}  // namespace certctl::crypto
