#include "dns/sigv4.hpp"

#include <certctl/crypto.hpp>

#include <openssl/crypto.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <utility>
#include <vector>

namespace certctl::dns::sigv4 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Trimmed, with every inner run of blanks made one space (the canonical header value).
std::string canonical_value(std::string_view v) {
  std::string out;
  bool blank = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      blank = !out.empty();
      continue;
    }
    if (blank) out.push_back(' ');
    blank = false;
    out.push_back(c);
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// %XY decoded ('+' is a plus: SigV4 queries are RFC 3986, not forms); a bad escape stays as it is.
std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

struct UrlParts {
  std::string host;   ///< authority without userinfo and default port
  std::string path;   ///< "/" when empty
  std::string query;  ///< without '?'
};

UrlParts split_url(std::string_view url) {
  UrlParts p;
  std::string_view scheme;
  if (auto s = url.find("://"); s != std::string_view::npos) {
    scheme = url.substr(0, s);
    url.remove_prefix(s + 3);
  }
  if (auto h = url.find('#'); h != std::string_view::npos) url = url.substr(0, h);
  const auto path_at = url.find_first_of("/?");
  std::string_view authority = url.substr(0, path_at);
  url = path_at == std::string_view::npos ? std::string_view() : url.substr(path_at);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  p.host = lower(authority);
  const std::string s = lower(scheme);
  if ((s == "https" && p.host.size() > 4 && p.host.compare(p.host.size() - 4, 4, ":443") == 0) ||
      (s == "http" && p.host.size() > 3 && p.host.compare(p.host.size() - 3, 3, ":80") == 0))
    p.host.erase(p.host.rfind(':'));
  const auto q = url.find('?');
  p.path = std::string(url.substr(0, q));
  if (q != std::string_view::npos) p.query = std::string(url.substr(q + 1));
  if (p.path.empty()) p.path = "/";
  return p;
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    std::string key = percent_decode(item.substr(0, eq));
    std::string value = eq == std::string_view::npos ? std::string() : percent_decode(item.substr(eq + 1));
    params.emplace_back(uri_encode(key, false), uri_encode(value, false));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out.push_back('&');
    out += k + "=" + v;
  }
  return out;
}

void wipe(std::string& s) { OPENSSL_cleanse(s.data(), s.size()); }

}  // namespace

std::string amz_date(std::int64_t unix_time) {
  const std::time_t t = static_cast<std::time_t>(unix_time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<Signed> sign(http::Request& req, const Credentials& creds, const Scope& scope, std::int64_t unix_time,
                    bool content_sha256) {
  const std::string date_time = amz_date(unix_time);
  const std::string date = date_time.substr(0, 8);
  const std::string payload_hash = crypto::hex_encode(crypto::sha256(req.body));

  // Headers this signature owns are replaced, not repeated.
  auto drop = [&req](std::string_view name) {
    req.headers.erase(std::remove_if(req.headers.begin(), req.headers.end(),
                                     [name](const http::Header& h) { return lower(h.name) == name; }),
                      req.headers.end());
  };
  for (std::string_view n : {"authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"}) drop(n);
  req.headers.push_back({"X-Amz-Date", date_time});
  if (!creds.session_token.empty())
    req.headers.push_back({"X-Amz-Security-Token", std::string(creds.session_token.view())});
  if (content_sha256) req.headers.push_back({"X-Amz-Content-Sha256", payload_hash});

  const UrlParts url = split_url(req.url);
  std::map<std::string, std::string> headers;  // sorted by lower-case name
  for (const http::Header& h : req.headers) {
    const std::string name = lower(h.name);
    if (name == "content-length" || name == "user-agent") continue;
    auto [it, fresh] = headers.emplace(name, canonical_value(h.value));
    if (!fresh) it->second += "," + canonical_value(h.value);
  }
  if (!headers.count("host")) headers.emplace("host", url.host);
  std::string canonical_headers, signed_headers;
  for (const auto& [name, value] : headers) {
    canonical_headers += name + ":" + value + "\n";
    if (!signed_headers.empty()) signed_headers.push_back(';');
    signed_headers += name;
  }

  Signed out;
  out.canonical_request = req.method + "\n" + uri_encode(url.path, true) + "\n" + canonical_query(url.query) + "\n" +
                          canonical_headers + "\n" + signed_headers + "\n" + payload_hash;
  const std::string credential_scope = fmt::format("{}/{}/{}/aws4_request", date, scope.region, scope.service);
  out.string_to_sign = fmt::format("{}\n{}\n{}\n{}", kAlgorithm, date_time, credential_scope,
                                   crypto::hex_encode(crypto::sha256(out.canonical_request)));

  std::string key = "AWS4" + std::string(creds.secret_access_key.view());
  for (std::string_view part : {std::string_view(date), scope.region, scope.service, std::string_view("aws4_request")}) {
    auto next = crypto::hmac_sha256(key, part);
    wipe(key);
    if (!next) return std::move(next).error();
    key = std::move(next).value();
  }
  auto mac = crypto::hmac_sha256(key, out.string_to_sign);
  wipe(key);
  if (!mac) return std::move(mac).error();
  out.signature = crypto::hex_encode(*mac);
  out.authorization = fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}", kAlgorithm, creds.access_key_id,
                                  credential_scope, signed_headers, out.signature);
  req.headers.push_back({"Authorization", out.authorization});
  return out;
}

}  // namespace certctl::dns::sigv4
