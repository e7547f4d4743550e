#pragma once
/// Time. Everything that depends on "now" asks a Clock, so tests can set the time with
/// $CERTCTL_NOW (RFC 3339, e.g. 2030-01-01T00:00:00Z, or seconds since the epoch).
#include <certctl/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace certctl {

using UnixTime = std::int64_t;  ///< seconds since 1970-01-01T00:00:00Z

class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixTime now() const = 0;
};

/// The real clock, overridden by $CERTCTL_NOW when set (an invalid value is an error at start).
class SystemClock final : public Clock {
 public:
  static Result<SystemClock> from_environment();
  UnixTime now() const override;

 private:
  explicit SystemClock(std::int64_t fixed, bool has_fixed) : fixed_(fixed), has_fixed_(has_fixed) {}
  std::int64_t fixed_ = 0;
  bool has_fixed_ = false;
};

class FixedClock final : public Clock {
 public:
  explicit FixedClock(UnixTime t) : t_(t) {}
  UnixTime now() const override { return t_; }
  void set(UnixTime t) { t_ = t; }

 private:
  UnixTime t_;
};

/// "2026-11-22T09:38:31Z"; 0 is rendered as "" (unset).
std::string format_rfc3339(UnixTime t);
/// Accepts "YYYY-MM-DDTHH:MM:SSZ" (also with fractional seconds and +hh:mm offsets) or digits.
Result<UnixTime> parse_rfc3339(std::string_view s, std::string_view subject);
/// Whole days from now until t, rounded down; negative once t is past.
long days_until(UnixTime now, UnixTime t);

}  // namespace certctl
