// The ACME transport: directory, nonce pool, JWS signing and the POST loop that retries
// badNonce (never shown to the user) and turns every other problem into an Error.
#include "acme/headers.hpp"
#include "acme/json.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

namespace certctl::acme {

Client::Client(http::Client& http, std::string directory_url, const Clock& clock, Timing timing)
    : http_(http), directory_url_(std::move(directory_url)), clock_(clock), timing_(timing) {}

Status Client::load_directory() {
  if (have_dir_) return ok();
  http::Request req;
  req.url = directory_url_;
  TRY_ASSIGN(http::Response resp, http_.send(req));
  if (resp.status != 200)
    return Error(Category::Ca, directory_url_, fmt::format("the ACME directory answered HTTP {}", resp.status));
  auto j = Json::parse(resp.body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Error(Category::Ca, directory_url_, "is not an ACME directory (the response is not a JSON object)");
  dir_.new_nonce = str(j, "newNonce");
  dir_.new_account = str(j, "newAccount");
  dir_.new_order = str(j, "newOrder");
  dir_.revoke_cert = str(j, "revokeCert");
  dir_.key_change = str(j, "keyChange");
  dir_.renewal_info = str(j, "renewalInfo");
  if (dir_.new_nonce.empty() || dir_.new_account.empty() || dir_.new_order.empty())
    return Error(Category::Ca, directory_url_, "is not an ACME directory (newNonce/newAccount/newOrder missing)");
  if (auto m = j.find("meta"); m != j.end() && m->is_object()) {
    dir_.terms_of_service = str(*m, "termsOfService");
    dir_.website = str(*m, "website");
    if (auto e = m->find("externalAccountRequired"); e != m->end() && e->is_boolean()) dir_.external_account_required = *e;
    if (auto p = m->find("profiles"); p != m->end() && p->is_object())
      for (auto it = p->begin(); it != p->end(); ++it)
        dir_.profiles.emplace_back(it.key(), it->is_string() ? it->get<std::string>() : std::string());
  }
  have_dir_ = true;
  return ok();
}

void Client::set_account(const crypto::Signer* signer, std::string kid) {
  key_ = signer;
  kid_ = std::move(kid);
}

Result<std::string> Client::nonce() {
  if (!nonces_.empty()) {
    std::string n = std::move(nonces_.back());
    nonces_.pop_back();
    return n;
  }
  TRY(load_directory());
  http::Request req;
  req.method = "HEAD";
  req.url = dir_.new_nonce;
  TRY_ASSIGN(http::Response resp, http_.send(req));
  auto n = resp.header("Replay-Nonce");
  if (!n || n->empty()) return Error(Category::Ca, dir_.new_nonce, fmt::format("sent no Replay-Nonce (HTTP {})", resp.status));
  if (!valid_nonce(*n)) return Error(Category::Ca, dir_.new_nonce, "sent a Replay-Nonce that is not base64url text");
  return *n;
}

Result<std::string> Client::sign(const std::string& url, const std::string& payload, const crypto::Signer& key,
                                 bool use_jwk, const std::string& nonce) const {
  Json prot = Json::object();
  prot["alg"] = key.algorithm();
  prot["nonce"] = nonce;
  prot["url"] = url;
  if (use_jwk || kid_.empty()) {
    prot["jwk"] = jwk_json(key.jwk());
  } else {
    prot["kid"] = kid_;
  }
  TRY_ASSIGN(const std::string prot_text, to_text(prot, url));
  const std::string p64 = crypto::base64url_encode(prot_text);
  const std::string b64 = crypto::base64url_encode(payload);  // "" stays "" (POST-as-GET)
  TRY_ASSIGN(std::string sig, key.sign(p64 + "." + b64));
  Json jws = {{"protected", p64}, {"payload", b64}, {"signature", crypto::base64url_encode(sig)}};
  return to_text(jws, url);
}

Error Client::ca_error(const Problem& p, const std::string& url) const {
  std::string msg = p.summary();
  // The hints for these types are about a challenge the CA validated; a request refused with
  // them is about the request itself (a bad EAB MAC is "unauthorized"), so they would mislead.
  const std::string t = p.short_type();
  const bool validation_type = t == "unauthorized" || t == "incorrectResponse" || t == "connection" || t == "dns";
  if (std::string h = validation_type ? std::string() : p.hint(); !h.empty()) msg += " (" + h + ")";
  return Error(Category::Ca, fmt::format("CA {}", url), msg);
}

Result<http::Response> Client::post(const std::string& url, const std::optional<std::string>& payload_json,
                                    const crypto::Signer* signer, bool use_jwk) {
  const crypto::Signer* key = signer ? signer : key_;
  if (!key) return Error(Category::Internal, url, "ACME request without an account key");
  last_problem_.reset();
  for (int attempt = 0;; ++attempt) {
    TRY_ASSIGN(std::string n, nonce());
    TRY_ASSIGN(std::string body, sign(url, payload_json.value_or(""), *key, use_jwk, n));
    http::Request req;
    req.method = "POST";
    req.url = url;
    req.headers.push_back({"Content-Type", "application/jose+json"});
    req.body = std::move(body);
    TRY_ASSIGN(http::Response resp, http_.send(req));
    if (auto rn = resp.header("Replay-Nonce"); rn && valid_nonce(*rn)) nonces_.push_back(*rn);
    if (resp.status < 400) return resp;
    Problem p = parse_problem(resp.body).value_or(Problem{});
    if (p.status == 0) p.status = resp.status;
    p.retry_after_s = http::retry_after_seconds(resp, clock_.now());
    if (p.short_type() == "badNonce" && attempt < timing_.bad_nonce_retries) continue;
    if (p.type.empty()) p.detail = fmt::format("HTTP {} without a problem document", resp.status);
    last_problem_ = p;
    return ca_error(p, url);
  }
}

std::optional<double> PollSchedule::after_pending(std::optional<long> retry_after_s, double elapsed_s) {
  ++made_;
  const double left = t_.deadline_s - elapsed_s;
  if (left <= 0) return stop_ = Stop::Deadline, std::nullopt;
  if (made_ >= t_.max_polls) return stop_ = Stop::MaxPolls, std::nullopt;
  double wait = next_;
  next_ = std::min(next_ * 2, t_.poll_max_s);
  if (retry_after_s) {
    wait = std::max(static_cast<double>(*retry_after_s), t_.poll_min_s);
    retry_after_ = *retry_after_s;
    if (wait > left) return stop_ = Stop::RetryAfter, std::nullopt;  // back after we would give up
  }
  return std::min(wait, left);
}

std::string PollSchedule::why_stopped() const {
  switch (stop_) {
    case Stop::MaxPolls: return fmt::format("after {} polls", made_);
    case Stop::RetryAfter:
      return fmt::format("and the CA asks to be polled again in {} s, past the {} s deadline", retry_after_, t_.deadline_s);
    case Stop::Deadline: break;
  }
  return fmt::format("after {} s", t_.deadline_s);
}

}  // namespace certctl::acme
