/// http_response: parse one HTTP/1.x request head and answer it.
#include "challenge/http_request.hpp"

#include "challenge/common.hpp"

namespace certctl::challenge {
namespace {

std::string reply(int status, std::string_view reason, std::string_view body, bool head_only) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  out += "Content-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  if (!head_only) out += body;
  return out;
}

/// Where the head ends ("\r\n\r\n" or a bare "\n\n"), npos when not yet.
std::size_t head_end(std::string_view s) {
  std::size_t crlf = s.find("\r\n\r\n");
  std::size_t lf = s.find("\n\n");
  return std::min(crlf, lf);
}

struct RequestLine {
  std::string_view method, target, version;
};

std::optional<RequestLine> parse_request_line(std::string_view head) {
  std::string_view line = head.substr(0, head.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return std::nullopt;
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) return std::nullopt;
  RequestLine r{line.substr(0, sp1), line.substr(sp1 + 1, sp2 - sp1 - 1), line.substr(sp2 + 1)};
  if (r.method.empty() || r.target.empty() || r.version.substr(0, 7) != "HTTP/1.") return std::nullopt;
  return r;
}

}  // namespace

std::optional<std::string> http_response(std::string_view received, const TokenLookup& lookup) {
  const std::size_t end = head_end(received);
  if (end == std::string_view::npos) {
    if (received.size() <= kMaxRequestHead) return std::nullopt;
    return reply(431, "Request Header Fields Too Large", "", false);
  }
  if (end > kMaxRequestHead) return reply(431, "Request Header Fields Too Large", "", false);
  auto line = parse_request_line(received.substr(0, end));
  if (!line) return reply(400, "Bad Request", "", false);
  const bool head_only = line->method == "HEAD";
  if (line->method != "GET" && !head_only) return reply(405, "Method Not Allowed", "", false);
  std::string_view path = line->target.substr(0, line->target.find('?'));
  if (path.substr(0, kChallengePrefix.size()) == kChallengePrefix) {
    std::string_view token = path.substr(kChallengePrefix.size());
    if (is_base64url(token))
      if (const std::string* ka = lookup(token)) return reply(200, "OK", *ka, head_only);
  }
  return reply(404, "Not Found", "", head_only);
}

}  // namespace certctl::challenge
