// RFC 7807 problem documents as ACME uses them (RFC 8555 6.7), plus the fixes we suggest.
#include "acme/json.hpp"

#include <fmt/format.h>

namespace certctl::acme {

namespace {
constexpr std::string_view kPrefix = "urn:ietf:params:acme:error:";
}

std::string Problem::short_type() const {
  if (type.rfind(kPrefix, 0) == 0) return type.substr(kPrefix.size());
  return type.empty() ? "error" : type;
}

std::string Problem::summary() const {
  std::string out = short_type();
  if (!detail.empty()) out += ": " + detail;
  for (const auto& s : subproblems) {
    out += fmt::format("; {}: {}", s.identifier.empty() ? "(identifier)" : s.identifier,
                       s.detail.empty() ? s.type : s.detail);
  }
  return out;
}

std::string Problem::hint() const {
  const std::string t = short_type();
  if (t == "rateLimited")
    return retry_after_s ? fmt::format("rate limited by the CA; retry after {} s", *retry_after_s)
                         : "rate limited by the CA; wait before retrying (see the CA's rate-limit documentation)";
  if (t == "dns") return "the CA could not resolve the name: check its A/AAAA and _acme-challenge records";
  if (t == "connection") return "the CA could not connect: check the firewall, port 80/443 and the listening address";
  if (t == "unauthorized" || t == "incorrectResponse")
    return "the CA saw a wrong answer: check the _acme-challenge CNAME/TXT or that the webroot is served";
  if (t == "caa") return "a CAA record forbids this CA: add one that allows it";
  if (t == "badCSR") return "the CSR was refused: make a new one with `certctl csr NAME`";
  if (t == "externalAccountRequired") return "this CA needs EAB: pass --eab-kid and --eab-hmac-file";
  if (t == "userActionRequired") return "the CA needs you to accept new terms of service";
  if (t == "accountDoesNotExist") return "no account for this key: run `certctl account register`";
  if (t == "rejectedIdentifier") return "the CA will not issue for this name";
  return {};
}

Problem problem_from(const Json& j) {
  Problem p;
  p.type = str(j, "type");
  p.detail = str(j, "detail");
  if (j.contains("status") && j["status"].is_number_integer()) p.status = j["status"].get<long>();
  if (j.contains("subproblems") && j["subproblems"].is_array()) {
    for (const auto& s : j["subproblems"]) {
      Subproblem sp;
      sp.type = str(s, "type");
      sp.detail = str(s, "detail");
      if (s.contains("identifier") && s["identifier"].is_object()) sp.identifier = str(s["identifier"], "value");
      p.subproblems.push_back(std::move(sp));
    }
  }
  return p;
}

std::optional<Problem> parse_problem(std::string_view body) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return problem_from(j);
}

Result<Json> parse_json(std::string_view body, const std::string& url) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded()) return Error(Category::Ca, url, "the CA sent a response that is not JSON");
  return j;
}

Result<std::string> to_text(const Json& j, std::string_view subject) {
  try {
    return j.dump();
  } catch (const Json::exception&) {
    return Error(Category::Ca, std::string(subject), "the CA sent text that is not UTF-8");
  }
}

std::string str(const Json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace certctl::acme
