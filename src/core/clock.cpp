#include <certctl/clock.hpp>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <ctime>

#include <fmt/format.h>

namespace certctl {

Result<SystemClock> SystemClock::from_environment() {
  const char* env = std::getenv("CERTCTL_NOW");
  if (!env || !*env) return SystemClock(0, false);
  TRY_ASSIGN(UnixTime t, parse_rfc3339(env, "CERTCTL_NOW"));
  return SystemClock(t, true);
}

UnixTime SystemClock::now() const {
  return has_fixed_ ? fixed_ : static_cast<UnixTime>(std::time(nullptr));
}

std::string format_rfc3339(UnixTime t) {
  if (t == 0) return {};
  t = std::clamp<UnixTime>(t, 0, kMaxTime);
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

namespace {
bool take_int(std::string_view& s, std::size_t digits, int& out) {
  if (s.size() < digits) return false;
  auto r = std::from_chars(s.data(), s.data() + digits, out);
  if (r.ec != std::errc() || r.ptr != s.data() + digits) return false;
  s.remove_prefix(digits);
  return true;
}
int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}
bool take_char(std::string_view& s, char c) {
  if (s.empty() || (s[0] != c && !(c == 'T' && (s[0] == 't' || s[0] == ' ')))) return false;
  s.remove_prefix(1);
  return true;
}
}  // namespace

Result<UnixTime> parse_rfc3339(std::string_view in, std::string_view subject) {
  auto bad = [&] {
    return Error(Category::Input, std::string(subject),
                 fmt::format("'{}' is not a time (use RFC 3339, e.g. 2030-01-31T12:00:00Z, or "
                             "seconds since the epoch)", in));
  };
  if (!in.empty() && in.find_first_not_of("0123456789") == std::string_view::npos) {
    long long v = 0;
    auto r = std::from_chars(in.data(), in.data() + in.size(), v);
    if (r.ec != std::errc() || v > kMaxTime) return bad();
    return static_cast<UnixTime>(v);
  }
  std::string_view s = in;
  int y, mo, d, h, mi, se;
  if (!take_int(s, 4, y) || !take_char(s, '-') || !take_int(s, 2, mo) || !take_char(s, '-') ||
      !take_int(s, 2, d) || !take_char(s, 'T') || !take_int(s, 2, h) || !take_char(s, ':') ||
      !take_int(s, 2, mi) || !take_char(s, ':') || !take_int(s, 2, se))
    return bad();
  if (!s.empty() && s[0] == '.') {
    s.remove_prefix(1);
    while (!s.empty() && s[0] >= '0' && s[0] <= '9') s.remove_prefix(1);
  }
  long offset = 0;
  if (s == "Z" || s == "z") {
    s = {};
  } else if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    int sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
    int oh, om;
    if (!take_int(s, 2, oh) || !take_char(s, ':') || !take_int(s, 2, om)) return bad();
    offset = sign * (oh * 3600L + om * 60L);
  } else {
    return bad();
  }
  if (!s.empty() || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 60)
    return bad();
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  const UnixTime t = static_cast<UnixTime>(timegm(&tm)) - offset;
  if (t < 0 || t > kMaxTime)
    return Error(Category::Input, std::string(subject),
                 fmt::format("'{}' is outside the times certctl keeps (1970 to 9999-12-31T23:59:59Z)", in));
  return t;
}

long days_until(UnixTime now, UnixTime t) {
  const UnixTime diff = t - now;
  // Floor division, so a certificate that expired an hour ago shows -1, not 0.
  return static_cast<long>(diff >= 0 ? diff / 86400 : -((-diff + 86399) / 86400));
}

}  // namespace certctl
