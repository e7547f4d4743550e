// ACME Renewal Information (RFC 9773 section 4.2): GET <renewalInfo>/<certID>, answered with
// {"suggestedWindow": {"start": T, "end": T}, "explanationURL": U} and a Retry-After header.
#include "acme/json.hpp"

#include <fmt/format.h>

namespace certctl::acme {

Result<std::optional<RenewalInfo>> Client::renewal_info(const std::string& cert_id) {
  TRY(load_directory());
  if (dir_.renewal_info.empty()) return std::optional<RenewalInfo>();
  std::string url = dir_.renewal_info;
  if (url.back() != '/') url += '/';
  url += cert_id;
  http::Request req;
  req.url = url;
  TRY_ASSIGN(http::Response resp, http_.send(req));
  if (resp.status != 200) {
    std::string why = fmt::format("renewalInfo answered HTTP {}", resp.status);
    if (auto p = parse_problem(resp.body)) why += ": " + p->summary();
    return Error(Category::Ca, url, why);
  }
  TRY_ASSIGN(Json j, parse_json(resp.body, url));
  auto w = j.find("suggestedWindow");
  if (w == j.end() || !w->is_object())
    return Error(Category::Ca, url, "renewalInfo has no suggestedWindow object");
  RenewalInfo info;
  auto time_of = [&](const char* key) -> Result<UnixTime> {
    auto t = parse_rfc3339(str(*w, key), url);
    if (!t) return Error(Category::Ca, url, fmt::format("renewalInfo's suggestedWindow.{} is not an RFC 3339 time", key));
    return t;
  };
  TRY_ASSIGN(info.start, time_of("start"));
  TRY_ASSIGN(info.end, time_of("end"));
  if (info.end < info.start)
    return Error(Category::Ca, url, "renewalInfo's suggestedWindow ends before it starts");
  info.explanation_url = str(j, "explanationURL");
  info.retry_after_s = http::retry_after_seconds(resp, clock_.now());
  return std::optional<RenewalInfo>(std::move(info));
}

}  // namespace certctl::acme
