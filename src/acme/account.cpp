// Accounts (RFC 8555 7.3): register with optional EAB, look up by key, update, deactivate,
// key rollover.
#include "acme/headers.hpp"
#include "acme/json.hpp"

#include <fmt/format.h>

namespace certctl::acme {
namespace {

/// An account object; a CA that sends no status leaves it to the caller (RFC 8555 makes it
/// required, but certctl has always accepted its absence), an unknown one is the CA's error.
Result<AccountInfo> account_from(const Json& j, std::string url) {
  AccountInfo a;
  if (const std::string status = str(j, "status"); !status.empty()) {
    TRY_ASSIGN(a.status, parse_account_status(status, url));
  }
  a.url = std::move(url);
  if (auto c = j.find("contact"); c != j.end() && c->is_array())
    for (const auto& v : *c)
      if (v.is_string()) a.contact.push_back(v.get<std::string>());
  return a;
}

}  // namespace

Result<AccountInfo> Client::new_account(const std::vector<std::string>& contact, bool agree_tos, bool only_existing,
                                        const std::optional<ExternalBinding>& eab) {
  TRY(load_directory());
  if (!key_) return Error(Category::Internal, "account", "no account key");
  Json payload = Json::object();
  if (only_existing) {
    payload["onlyReturnExisting"] = true;
  } else {
    if (!contact.empty()) payload["contact"] = contact;
    if (agree_tos) payload["termsOfServiceAgreed"] = true;
    if (eab) {
      // The EAB JWS: the account's public JWK, MACed with the CA-issued key (RFC 8555 7.3.4).
      const Json jwk = jwk_json(key_->jwk());
      Json prot = {{"alg", "HS256"}, {"kid", eab->kid}, {"url", dir_.new_account}};
      const std::string p64 = crypto::base64url_encode(prot.dump());
      const std::string b64 = crypto::base64url_encode(jwk.dump());
      TRY_ASSIGN(std::string mac, crypto::hmac_sha256(eab->hmac_key, p64 + "." + b64));
      payload["externalAccountBinding"] = {{"protected", p64}, {"payload", b64}, {"signature", crypto::base64url_encode(mac)}};
    }
  }
  TRY_ASSIGN(http::Response resp, post(dir_.new_account, payload.dump(), nullptr, /*use_jwk=*/true));
  auto loc = resp.header("Location");
  if (!loc || !valid_header_url(*loc))
    return Error(Category::Ca, dir_.new_account, "newAccount answered without a usable Location (account URL)");
  TRY_ASSIGN(Json j, parse_json(resp.body, dir_.new_account));
  kid_ = *loc;
  return account_from(j, *loc);
}

Result<AccountInfo> Client::update_account(const std::vector<std::string>& contact) {
  Json payload = {{"contact", contact}};
  TRY_ASSIGN(http::Response resp, post(kid_, payload.dump()));
  TRY_ASSIGN(Json j, parse_json(resp.body, kid_));
  return account_from(j, kid_);
}

Result<AccountInfo> Client::deactivate_account() {
  Json payload = {{"status", "deactivated"}};
  TRY_ASSIGN(http::Response resp, post(kid_, payload.dump()));
  TRY_ASSIGN(Json j, parse_json(resp.body, kid_));
  return account_from(j, kid_);
}

Status Client::key_change(const crypto::Signer& new_key) {
  TRY(load_directory());
  if (dir_.key_change.empty()) return Error(Category::Ca, directory_url_, "the CA does not support key rollover");
  if (!key_) return Error(Category::Internal, "account", "no account key");
  // Inner JWS: signed by the new key, with its jwk, no nonce (RFC 8555 7.3.5).
  Json prot = {{"alg", new_key.algorithm()}, {"jwk", jwk_json(new_key.jwk())}, {"url", dir_.key_change}};
  Json inner_payload = {{"account", kid_}, {"oldKey", jwk_json(key_->jwk())}};
  const std::string p64 = crypto::base64url_encode(prot.dump());
  const std::string b64 = crypto::base64url_encode(inner_payload.dump());
  TRY_ASSIGN(std::string sig, new_key.sign(p64 + "." + b64));
  Json inner = {{"protected", p64}, {"payload", b64}, {"signature", crypto::base64url_encode(sig)}};
  TRY(post(dir_.key_change, inner.dump()));
  return ok();
}

}  // namespace certctl::acme
