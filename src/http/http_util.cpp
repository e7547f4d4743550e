/// Response helpers: case-insensitive header lookup, Link (RFC 8288) and Retry-After
/// (RFC 9110 section 10.2.3) parsing.
#include <certctl/http.hpp>

#include <array>
#include <cctype>
#include <charconv>
#include <ctime>
#include <limits>

namespace certctl::http {
namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

/// One link-value: `<target>` followed by `; name=value` parameters.
struct Link {
  std::string target;
  std::vector<std::pair<std::string, std::string>> params;
};

/// Parse a Link header field value (possibly several comma-separated link-values). Tolerant:
/// a malformed link-value is skipped up to the next comma at top level.
std::vector<Link> parse_links(std::string_view v) {
  std::vector<Link> out;
  std::size_t i = 0;
  auto skip_ws = [&] { while (i < v.size() && is_space(v[i])) ++i; };
  auto skip_to_next_link = [&] {
    bool quoted = false;
    for (; i < v.size(); ++i) {
      if (quoted) {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        else if (v[i] == '"') quoted = false;
      } else if (v[i] == '"') {
        quoted = true;
      } else if (v[i] == ',') {
        ++i;
        return;
      }
    }
  };
  while (i < v.size()) {
    skip_ws();
    if (i < v.size() && v[i] == ',') { ++i; continue; }
    if (i >= v.size()) break;
    if (v[i] != '<') { skip_to_next_link(); continue; }
    std::size_t close = v.find('>', i + 1);
    if (close == std::string_view::npos) break;
    Link link;
    link.target = std::string(trim(v.substr(i + 1, close - i - 1)));
    i = close + 1;
    bool malformed = false;
    // Parameters: *( OWS ";" OWS name [ OWS "=" OWS ( token / quoted-string ) ] )
    while (true) {
      skip_ws();
      if (i >= v.size() || v[i] == ',') break;
      if (v[i] != ';') {
        skip_to_next_link();
        malformed = true;
        break;
      }
      ++i;
      skip_ws();
      std::size_t name_start = i;
      while (i < v.size() && v[i] != '=' && v[i] != ';' && v[i] != ',' && !is_space(v[i])) ++i;
      std::string name(v.substr(name_start, i - name_start));
      for (char& c : name) c = lower(c);
      skip_ws();
      std::string value;
      if (i < v.size() && v[i] == '=') {
        ++i;
        skip_ws();
        if (i < v.size() && v[i] == '"') {
          ++i;
          while (i < v.size() && v[i] != '"') {
            if (v[i] == '\\' && i + 1 < v.size()) ++i;
            value.push_back(v[i++]);
          }
          if (i < v.size()) ++i;  // closing quote
        } else {
          std::size_t value_start = i;
          while (i < v.size() && v[i] != ';' && v[i] != ',') ++i;
          value = std::string(trim(v.substr(value_start, i - value_start)));
        }
      }
      if (!name.empty()) link.params.emplace_back(std::move(name), std::move(value));
    }
    if (malformed) continue;
    if (i < v.size() && v[i] == ',') ++i;
    out.push_back(std::move(link));
  }
  return out;
}

/// True when the space-separated relation list `rels` contains `rel` (case-insensitive).
bool has_rel(std::string_view rels, std::string_view rel) {
  std::size_t i = 0;
  while (i < rels.size()) {
    while (i < rels.size() && std::isspace(static_cast<unsigned char>(rels[i]))) ++i;
    std::size_t start = i;
    while (i < rels.size() && !std::isspace(static_cast<unsigned char>(rels[i]))) ++i;
    if (i > start && iequals(rels.substr(start, i - start), rel)) return true;
  }
  return false;
}

bool parse_uint(std::string_view s, long long& out) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

/// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT", as Unix time.
std::optional<long long> parse_imf_fixdate(std::string_view s) {
  static constexpr std::array<std::string_view, 7> kDays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // "Sun, 06 Nov 1994 08:49:37 GMT" is exactly 29 characters.
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
      s[16] != ' ' || s[19] != ':' || s[22] != ':' || s[25] != ' ' || s.substr(26) != "GMT") {
    return std::nullopt;
  }
  bool day_ok = false;
  for (auto d : kDays) day_ok = day_ok || s.substr(0, 3) == d;
  if (!day_ok) return std::nullopt;
  int month = -1;
  for (std::size_t m = 0; m < kMonths.size(); ++m) {
    if (s.substr(8, 3) == kMonths[m]) month = static_cast<int>(m);
  }
  long long day = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (month < 0 || !parse_uint(s.substr(5, 2), day) || !parse_uint(s.substr(12, 4), year) ||
      !parse_uint(s.substr(17, 2), hour) || !parse_uint(s.substr(20, 2), minute) ||
      !parse_uint(s.substr(23, 2), second)) {
    return std::nullopt;
  }
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = static_cast<int>(year - 1900);
  tm.tm_mon = month;
  tm.tm_mday = static_cast<int>(day);
  tm.tm_hour = static_cast<int>(hour);
  tm.tm_min = static_cast<int>(minute);
  tm.tm_sec = static_cast<int>(second);
  return static_cast<long long>(timegm(&tm));
}

}  // namespace

std::optional<std::string> Response::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return std::nullopt;
}

std::vector<std::string> Response::headers_named(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& h : headers) {
    if (iequals(h.name, name)) out.push_back(h.value);
  }
  return out;
}

std::vector<std::string> link_targets(const Response& r, std::string_view rel) {
  std::vector<std::string> out;
  for (const auto& value : r.headers_named("Link")) {
    for (const auto& link : parse_links(value)) {
      for (const auto& [name, param] : link.params) {
        if (name == "rel" && has_rel(param, rel)) {
          out.push_back(link.target);
          break;
        }
      }
    }
  }
  return out;
}

std::optional<long> retry_after_seconds(const Response& r, long long now_unix) {
  auto value = r.header("Retry-After");
  if (!value) return std::nullopt;
  std::string_view v = trim(*value);
  long long n = 0;
  if (parse_uint(v, n)) return static_cast<long>(std::min<long long>(n, kMaxRetryAfter));
  auto at = parse_imf_fixdate(v);
  if (!at) return std::nullopt;
  const long long delta = *at > now_unix ? *at - now_unix : 0;  // both bounded by the date parser
  return static_cast<long>(std::min<long long>(delta, kMaxRetryAfter));
}

}  // namespace certctl::http
