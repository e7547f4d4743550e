// HTTP response headers as the ACME client reads them (src/http/http_util.cpp): Link (RFC
// 8288), Retry-After (delta-seconds or an HTTP date), case-insensitive lookup, and the checks
// of src/acme/headers.hpp (Replay-Nonce, Location/Link URLs). The input is header lines,
// "Name: value", one per line.
#include "acme/headers.hpp"
#include "fuzz.hpp"

#include <certctl/http.hpp>

using namespace certctl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  http::Response r;
  r.status = 200;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    r.headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
  }
  for (const char* rel : {"alternate", "up", "index"})
    for (const std::string& target : http::link_targets(r, rel)) (void)acme::valid_header_url(target);
  for (long long now : {0LL, 1'800'000'000LL, 253'402'300'799LL}) {
    if (auto s = http::retry_after_seconds(r, now); s && (*s < 0 || *s > http::kMaxRetryAfter))
      fuzz::fail("Retry-After outside 0..kMaxRetryAfter");
  }
  if (auto n = r.header("replay-nonce")) (void)acme::valid_nonce(*n);
  if (auto l = r.header("LOCATION")) (void)acme::valid_header_url(*l);
  (void)r.headers_named("link");
  return 0;
}
