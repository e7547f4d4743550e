// JWK, thumbprints and key authorizations (RFC 7517, 7638, 8555 8.1).
#include "acme/json.hpp"

namespace certctl::acme {

Json jwk_json(const crypto::JwkParams& p) {
  Json j = Json::object();  // nlohmann::json keeps keys sorted: the RFC 7638 order
  if (p.kty == "EC") {
    j["crv"] = p.crv;
    j["kty"] = "EC";
    j["x"] = crypto::base64url_encode(p.x);
    j["y"] = crypto::base64url_encode(p.y);
  } else {
    j["e"] = crypto::base64url_encode(p.e);
    j["kty"] = "RSA";
    j["n"] = crypto::base64url_encode(p.n);
  }
  return j;
}

std::string jwk_thumbprint(const Json& jwk) {
  // Required members only, lexicographic order, no whitespace (nlohmann sorts object keys).
  const std::string kty = str(jwk, "kty");
  Json canon = Json::object();
  canon["kty"] = kty;
  static const std::vector<const char*> kEc{"crv", "x", "y"}, kRsa{"e", "n"};
  for (const char* m : kty == "EC" ? kEc : kRsa) canon[m] = str(jwk, m);
  return crypto::base64url_encode(crypto::sha256(canon.dump()));
}

std::string thumbprint(const crypto::JwkParams& jwk) { return jwk_thumbprint(jwk_json(jwk)); }

Result<std::string> thumbprint(const crypto::PrivateKey& key) {
  TRY_ASSIGN(crypto::JwkParams p, crypto::jwk_params(key));
  return thumbprint(p);
}

std::string key_authorization(std::string_view token, std::string_view thumb) {
  std::string out(token);
  out += '.';
  out += thumb;
  return out;
}

std::string dns01_value(std::string_view key_auth) { return crypto::base64url_encode(crypto::sha256(key_auth)); }

}  // namespace certctl::acme
