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

/// The times certctl keeps: 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59Z (0 means "unset").
/// Over this range format_rfc3339 and parse_rfc3339 are exact inverses; a time from outside
/// that falls beyond it is refused where it enters, so every stored time reads back.
inline constexpr UnixTime kMaxTime = 253'402'300'799;

/// "2026-11-22T09:38:31Z"; 0 is rendered as "" (unset). A t outside 0..kMaxTime is clamped
/// into it (never produced by parse_rfc3339; a guard for arithmetic).
std::string format_rfc3339(UnixTime t);
/// Accepts "YYYY-MM-DDTHH:MM:SSZ" (also with fractional seconds and +hh:mm offsets) or digits.
/// The day must exist in its month, and the result must lie in 0..kMaxTime (Input error).
Result<UnixTime> parse_rfc3339(std::string_view s, std::string_view subject);
/// Whole days from now until t, rounded down; negative once t is past.
long days_until(UnixTime now, UnixTime t);

}  // namespace certctl
