// Orders (RFC 8555 7.4-7.5): newOrder, authorizations, challenges, polling, finalize,
// download with alternate chains, revocation.
#include "acme/headers.hpp"
#include "acme/json.hpp"

#include <certctl/interrupt.hpp>

#include <chrono>
#include <cmath>

#include <fmt/format.h>

namespace certctl::acme {
namespace {

Identifier identifier_from(const Json& j) { return Identifier{str(j, "type"), str(j, "value")}; }

Result<Order> order_from(const Json& j, std::string url) {
  Order o;
  TRY_ASSIGN(o.status, parse_order_status(str(j, "status"), url));
  o.url = std::move(url);
  o.finalize = str(j, "finalize");
  o.certificate = str(j, "certificate");
  if (auto ids = j.find("identifiers"); ids != j.end() && ids->is_array())
    for (const auto& i : *ids) o.identifiers.push_back(identifier_from(i));
  if (auto az = j.find("authorizations"); az != j.end() && az->is_array())
    for (const auto& a : *az)
      if (a.is_string()) o.authorizations.push_back(a.get<std::string>());
  if (auto e = j.find("error"); e != j.end() && e->is_object()) o.error = problem_from(*e);
  return o;
}

Result<Authorization> authz_from(const Json& j, std::string url) {
  Authorization a;
  TRY_ASSIGN(a.status, parse_authz_status(str(j, "status"), url));
  if (auto id = j.find("identifier"); id != j.end()) a.identifier = identifier_from(*id);
  if (auto w = j.find("wildcard"); w != j.end() && w->is_boolean()) a.wildcard = *w;
  if (auto cs = j.find("challenges"); cs != j.end() && cs->is_array()) {
    for (const auto& c : *cs) {
      ChallengeInfo ch{str(c, "type"), str(c, "url"), str(c, "token"), ChallengeStatus::Pending, std::nullopt};
      TRY_ASSIGN(ch.status, parse_challenge_status(str(c, "status"), ch.url.empty() ? url : ch.url));
      if (auto e = c.find("error"); e != c.end() && e->is_object()) ch.error = problem_from(*e);
      a.challenges.push_back(std::move(ch));
    }
  }
  a.url = std::move(url);
  return a;
}

/// An order or authorization from a response body (the CA's error when it is not one).
template <class T>
Result<T> parse_body(const std::string& body, const std::string& url, Result<T> (*from)(const Json&, std::string)) {
  TRY_ASSIGN(Json j, parse_json(body, url));
  return from(j, url);
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

Result<Order> Client::new_order(const std::vector<Identifier>& ids, const std::string& profile,
                                const std::string& replaces) {
  TRY(load_directory());
  Json payload = Json::object();
  payload["identifiers"] = Json::array();
  for (const auto& i : ids) payload["identifiers"].push_back({{"type", i.type}, {"value", i.value}});
  if (!profile.empty()) {
    bool offered = false;
    std::vector<std::string> names;
    for (const auto& [name, _] : dir_.profiles) {
      names.push_back(name);
      offered = offered || name == profile;
    }
    if (!offered)
      return Error(Category::Config, fmt::format("profile '{}'", profile),
                   names.empty() ? "this CA offers no ACME profiles"
                                 : fmt::format("not offered by this CA; it offers: {}", fmt::join(names, ", ")));
    payload["profile"] = profile;
  }
  if (!replaces.empty()) payload["replaces"] = replaces;
  TRY_ASSIGN(http::Response resp, post(dir_.new_order, payload.dump()));
  auto loc = resp.header("Location");
  if (!loc || !valid_header_url(*loc))
    return Error(Category::Ca, dir_.new_order, "newOrder answered without a usable Location (order URL)");
  TRY_ASSIGN(Json j, parse_json(resp.body, dir_.new_order));
  return order_from(j, *loc);
}

Result<Order> Client::get_order(const std::string& url) {
  TRY_ASSIGN(http::Response resp, post(url, std::nullopt));
  return parse_body(resp.body, url, order_from);
}

Result<Authorization> Client::get_authorization(const std::string& url) {
  TRY_ASSIGN(http::Response resp, post(url, std::nullopt));
  return parse_body(resp.body, url, authz_from);
}

Status Client::respond(const ChallengeInfo& ch) {
  TRY(post(ch.url, std::string("{}")));
  return ok();
}

Status Client::deactivate_authorization(const std::string& url) {
  TRY(post(url, Json({{"status", "deactivated"}}).dump()));
  return ok();
}

Status Client::poll(const std::string& url, const std::function<Result<bool>(const std::string&)>& settled,
                    const std::function<Error(const std::string& why)>& late) {
  const auto start = std::chrono::steady_clock::now();
  PollSchedule schedule(timing_);
  for (;;) {
    TRY_ASSIGN(http::Response resp, post(url, std::nullopt));
    TRY_ASSIGN(const bool done, settled(resp.body));
    if (done) return ok();
    const auto wait = schedule.after_pending(http::retry_after_seconds(resp, clock_.now()), seconds_since(start));
    if (!wait) return late(schedule.why_stopped());
    const auto ms = std::chrono::milliseconds(std::lround(*wait * 1000));
    TRY(timing_.sleep ? timing_.sleep(ms) : interruptible_sleep(ms, "waiting for the CA"));
  }
}

Result<Authorization> Client::wait_authorization(const std::string& url) {
  Authorization a;
  auto settled = [&](const std::string& body) -> Result<bool> {
    TRY_ASSIGN(a, parse_body(body, url, authz_from));
    return a.status != AuthzStatus::Pending;
  };
  TRY(poll(url, settled, [&](const std::string& why) {
    return Error(Category::Ca, a.identifier.value,
                 fmt::format("the CA did not validate: the authorization is still {} {}", to_string(a.status), why));
  }));
  return a;
}

Result<Order> Client::wait_order(const std::string& url, OrderStatus until) {
  Order o;
  auto settled = [&](const std::string& body) -> Result<bool> {
    TRY_ASSIGN(o, parse_body(body, url, order_from));
    return o.status == until || o.status == OrderStatus::Invalid || o.status == OrderStatus::Valid;
  };
  TRY(poll(url, settled, [&](const std::string& why) {
    return Error(Category::Ca, url, fmt::format("the order is still {} {}", to_string(o.status), why));
  }));
  return o;
}

Result<Order> Client::finalize(const Order& order, std::string_view csr_der) {
  Json payload = {{"csr", crypto::base64url_encode(csr_der)}};
  TRY_ASSIGN(http::Response resp, post(order.finalize, payload.dump()));
  TRY_ASSIGN(Json j, parse_json(resp.body, order.finalize));
  TRY_ASSIGN(Order o, order_from(j, order.url));
  if (o.status == OrderStatus::Valid || o.status == OrderStatus::Invalid) return o;
  return wait_order(order.url, OrderStatus::Valid);
}

Result<std::vector<std::string>> Client::download(const std::string& cert_url, bool alternates) {
  std::vector<std::string> chains;
  std::vector<std::string> urls{cert_url};
  for (std::size_t i = 0; i < urls.size(); ++i) {
    TRY_ASSIGN(http::Response resp, post(urls[i], std::nullopt));
    if (resp.body.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
      return Error(Category::Ca, urls[i], "the certificate download is not a PEM chain");
    chains.push_back(resp.body);
    if (alternates && i == 0)
      for (auto& alt : http::link_targets(resp, "alternate"))
        if (valid_header_url(alt)) urls.push_back(std::move(alt));
  }
  return chains;
}

Status Client::revoke(std::string_view cert_der, int reason, const crypto::Signer* signer) {
  TRY(load_directory());
  if (dir_.revoke_cert.empty()) return Error(Category::Ca, directory_url_, "the CA has no revokeCert endpoint");
  Json payload = {{"certificate", crypto::base64url_encode(cert_der)}, {"reason", reason}};
  TRY(post(dir_.revoke_cert, payload.dump(), signer, /*use_jwk=*/signer != nullptr));
  return ok();
}

}  // namespace certctl::acme
