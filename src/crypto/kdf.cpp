/// Key derivation through EVP_KDF: scrypt for passphrases, HKDF-SHA256 for subkeys.
#include "crypto/handles.hpp"

#include <openssl/core_names.h>
#include <openssl/params.h>

#include <fmt/format.h>

namespace certctl::crypto {
namespace {

/// An octet-string parameter; OpenSSL wants a non-null pointer even for zero length.
OSSL_PARAM octets(const char* key, const void* data, std::size_t len) {
  static const unsigned char kEmpty = 0;
  return OSSL_PARAM_construct_octet_string(key, const_cast<void*>(len ? data : &kEmpty), len);
}

Result<SecretBytes> derive(const char* algorithm, const OSSL_PARAM* params, std::size_t out_len) {
  if (out_len == 0) return Error(Category::Internal, "kdf", "zero-length KDF output requested");
  clear_openssl_errors();
  KdfPtr kdf(EVP_KDF_fetch(nullptr, algorithm, nullptr));
  if (!kdf) return openssl_failure(std::string("KDF ") + algorithm + " is not available");
  KdfCtxPtr ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return openssl_failure("cannot allocate a KDF context");
  SecretBytes out(out_len);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    return openssl_failure(std::string(algorithm) + " derivation failed");
  }
  return out;
}

}  // namespace

std::string scrypt_problem(std::uint64_t n, std::uint32_t r, std::uint32_t p) {
  if (n < 2 || (n & (n - 1)) != 0) return fmt::format("scrypt N={} is not a power of two above 1", n);
  if (r == 0 || p == 0) return "scrypt r and p must be positive";
  if (n > kScryptMaxMemory / 128 / r)
    return fmt::format("scrypt N={} with r={} needs {} MiB, over the {} MiB limit (N at most {})", n, r,
                       n / 1024 * 128 * r / 1024, kScryptMaxMemory >> 20, kScryptMaxMemory / 128 / r);
  return {};
}

Result<SecretBytes> scrypt(const SecretBytes& passphrase, const ScryptParams& params, std::size_t out_len) {
  // Bad values usually come from a damaged vault header, which the caller reports with its own
  // subject; callers check scrypt_problem first to say which setting is at fault.
  if (std::string why = scrypt_problem(params.n, params.r, params.p); !why.empty())
    return Error(Category::Input, "scrypt", why);
  std::uint64_t n = params.n;
  std::uint32_t r = params.r, p = params.p;
  // Room for scrypt's own p * 128 * r bytes and OpenSSL's rounding above the N * 128 * r.
  std::uint64_t maxmem = kScryptMaxMemory + (std::uint64_t{1} << 24);
  OSSL_PARAM list[] = {
      octets(OSSL_KDF_PARAM_PASSWORD, passphrase.data(), passphrase.size()),
      octets(OSSL_KDF_PARAM_SALT, params.salt.data(), params.salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end(),
  };
  return derive("SCRYPT", list, out_len);
}

Result<SecretBytes> hkdf_sha256(const SecretBytes& ikm, std::string_view salt, std::string_view info,
                                std::size_t out_len) {
  char digest[] = "SHA256";
  OSSL_PARAM list[5];
  std::size_t i = 0;
  list[i++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  list[i++] = octets(OSSL_KDF_PARAM_KEY, ikm.data(), ikm.size());
  // No salt means HashLen zero bytes (RFC 5869 2.2), which is OpenSSL's default.
  if (!salt.empty()) list[i++] = octets(OSSL_KDF_PARAM_SALT, salt.data(), salt.size());
  if (!info.empty()) list[i++] = octets(OSSL_KDF_PARAM_INFO, info.data(), info.size());
  list[i] = OSSL_PARAM_construct_end();
  return derive("HKDF", list, out_len);
}

}  // namespace certctl::crypto
