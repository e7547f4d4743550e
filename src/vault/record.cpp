#include <certctl/record.hpp>

#include <algorithm>

#include <fmt/format.h>

namespace certctl::vault {

namespace {
constexpr std::string_view kStatusNames[] = {"draft", "pending", "active", "expired", "error", "revoked"};
constexpr std::string_view kSourceNames[] = {"managed", "imported", "external-csr", "discovered"};
constexpr std::string_view kChallengeNames[] = {"http-01", "dns-01", "tls-alpn-01"};
constexpr std::string_view kKeyPolicyNames[] = {"master", "hybrid", "device"};

/// The enumerator whose name is s (names[i] names enumerator i), or an Input error naming
/// `what` and listing the names: "unknown status; use draft, pending, ... or revoked".
template <class E, std::size_t N>
Result<E> parse_named(const std::string_view (&names)[N], std::string_view s, std::string_view what) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == s) return static_cast<E>(i);
  std::string list(names[0]);
  for (std::size_t i = 1; i < N; ++i) list += fmt::format("{}{}", i + 1 < N ? ", " : " or ", names[i]);
  return Error(Category::Input, fmt::format("{} '{}'", what, s), fmt::format("unknown {}; use {}", what, list));
}
}  // namespace

std::string_view status_name(CertStatus s) { return kStatusNames[static_cast<int>(s)]; }
Result<CertStatus> parse_status(std::string_view s) { return parse_named<CertStatus>(kStatusNames, s, "status"); }
std::string_view source_name(Source s) { return kSourceNames[static_cast<int>(s)]; }
Result<Source> parse_source(std::string_view s) { return parse_named<Source>(kSourceNames, s, "source"); }
std::string_view challenge_name(ChallengeType c) { return kChallengeNames[static_cast<int>(c)]; }
Result<ChallengeType> parse_challenge(std::string_view s) {
  return parse_named<ChallengeType>(kChallengeNames, s, "challenge");
}

std::string_view key_policy_name(KeyPolicy p) { return kKeyPolicyNames[static_cast<int>(p)]; }
Result<KeyPolicy> parse_key_policy(std::string_view s) {
  return parse_named<KeyPolicy>(kKeyPolicyNames, s, "key policy");
}

std::vector<std::string> Record::all_names() const {
  std::vector<std::string> out;
  out.reserve(sans.size() + 1);
  out.push_back(domain);
  for (const auto& s : sans)
    if (s != domain) out.push_back(s);
  return out;
}

bool Record::wildcard() const {
  auto is_wild = [](const std::string& n) { return n.rfind("*.", 0) == 0; };
  return is_wild(domain) || std::any_of(sans.begin(), sans.end(), is_wild);
}

CertStatus effective_status(const Record& r, UnixTime now) {
  if (r.status == CertStatus::Active && r.cert && r.cert->not_after != 0 && now > r.cert->not_after)
    return CertStatus::Expired;
  return r.status;
}

int auto_renew_days(const Record& r) {
  if (r.renew_days > 0) return r.renew_days;
  if (!r.cert || r.cert->not_after <= r.cert->not_before) return 30;
  // In double: two int64 times a certificate claims may be far apart; the result is capped at
  // a century, which any threshold check treats the same.
  const double lifetime_days =
      (static_cast<double>(r.cert->not_after) - static_cast<double>(r.cert->not_before)) / 86400.0;
  const double share = lifetime_days <= 10.0 ? 0.5 : 1.0 / 3.0;
  return static_cast<int>(std::clamp(lifetime_days * share + 0.5, 1.0, 36500.0));
}

UnixTime backoff_after(int attempts) {
  UnixTime delay = 1800;
  for (int i = 1; i < attempts && delay < 86400; ++i) delay *= 2;
  return std::min<UnixTime>(delay, 86400);
}

std::string renew_reason(const Record& r, UnixTime now, bool force) {
  if (!renews_here(r.source) || r.status == CertStatus::Revoked || r.status == CertStatus::Draft || (!r.has_csr && !r.has_cert))
    return {};
  if (force) return "forced";
  if (r.next_attempt > now) return {};  // backing off after a failure
  if (r.status == CertStatus::Error) return "retry after error";
  if (r.status == CertStatus::Pending) return "retry pending";
  const auto days = days_remaining(r, now);
  if (!days) return {};
  if (*days < 0) return "expired";
  // The CA's suggested window (RFC 9773) wins over the threshold while it is fresh; after a
  // failed fetch the threshold applies too.
  if (!r.ari.cert_id.empty() && r.ari.renew_at != 0) {
    if (now >= r.ari.renew_at) {
      std::string why = fmt::format("inside the CA's renewal window ({} .. {})", format_rfc3339(r.ari.window_start),
                                    format_rfc3339(r.ari.window_end));
      if (!r.ari.explanation_url.empty()) why += "; see " + r.ari.explanation_url;
      return why;
    }
    if (r.ari.last_error.empty()) return {};
  }
  if (*days <= auto_renew_days(r)) return fmt::format("expires in {} days (threshold {})", *days, auto_renew_days(r));
  return {};
}

std::optional<long> days_remaining(const Record& r, UnixTime now) {
  if (!r.cert || r.cert->not_after == 0) return std::nullopt;
  return days_until(now, r.cert->not_after);
}

Status validate_name(std::string_view name) {
  auto bad = [&](std::string why) { return Error(Category::Usage, fmt::format("name '{}'", name), std::move(why)); };
  if (name.empty()) return bad("a record name cannot be empty");
  if (name.size() > 64) return bad("longer than 64 characters");
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front())) return bad("must start with a letter or digit");
  for (char c : name)
    if (!alnum(c) && c != '.' && c != '_' && c != '-')
      return bad(fmt::format("character '{}' not allowed (use letters, digits, '.', '_' and '-')", c));
  return ok();
}

}  // namespace certctl::vault
