#pragma once
/// Private keys given as JWKs (RFC 7517, 7518 section 6): how certbot keeps ACME account keys.
/// A header of its own (crypto module), so crypto.hpp's many includers do not rebuild for it.
#include <certctl/result.hpp>
#include <certctl/secret.hpp>

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace certctl::crypto {

/// The JWK's members by name, as the JSON gives them (strings: "kty", "crv", and the base64url
/// numbers). An RSA key needs n, e, d, p, q, dp, dq and qi; an EC key crv P-256 or P-384, x, y
/// and d. Returns the key as unencrypted PKCS#8 PEM; anything else is an Input error naming
/// `subject`.
/// The members of an RSA private JWK and the OpenSSL parameter each one is
/// (OSSL_PKEY_PARAM_RSA_*: "n", "e", "d", "rsa-factor1", ...), in RFC 7518's order.
std::span<const std::pair<const char*, const char*>> rsa_jwk_members();

Result<SecretBytes> private_jwk_to_pem(const std::map<std::string, std::string>& jwk, std::string_view subject);

}  // namespace certctl::crypto
