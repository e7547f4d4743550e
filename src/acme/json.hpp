#pragma once
// nlohmann/json for the ACME module only (kept out of public headers).
#include <certctl/acme.hpp>

#include <nlohmann/json.hpp>

namespace certctl::acme {

using Json = nlohmann::json;

/// Parse a JSON body; a Category::Ca error naming the URL when the CA sent something else.
Result<Json> parse_json(std::string_view body, const std::string& url);
/// The JSON text of j; an Error (Ca, naming `subject`) instead of nlohmann's exception when a
/// string in it is not UTF-8.
Result<std::string> to_text(const Json& j, std::string_view subject);
/// A string member, or "" when missing / not a string.
std::string str(const Json& j, const char* key);
/// The JWK (public) of a key as JSON, members in the order RFC 7638 wants for thumbprints.
Json jwk_json(const crypto::JwkParams& p);
Problem problem_from(const Json& j);
/// RFC 7638 thumbprint of a JWK given as JSON (only the required members are hashed).
std::string jwk_thumbprint(const Json& jwk);

}  // namespace certctl::acme
