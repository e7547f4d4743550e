// ACME statuses: one name table per status type, in enum order (the static_asserts check that
// each table names every value up to the last), used both ways.
#include <certctl/acme_status.hpp>

#include <iterator>

#include <fmt/format.h>

namespace certctl::acme {
namespace {

constexpr std::string_view kOrder[] = {"pending", "ready", "processing", "valid", "invalid"};
constexpr std::string_view kAuthz[] = {"pending", "valid", "invalid", "deactivated", "expired", "revoked"};
constexpr std::string_view kChallenge[] = {"pending", "processing", "valid", "invalid"};
constexpr std::string_view kAccount[] = {"valid", "deactivated", "revoked"};
static_assert(std::size(kOrder) == static_cast<std::size_t>(OrderStatus::Invalid) + 1);
static_assert(std::size(kAuthz) == static_cast<std::size_t>(AuthzStatus::Revoked) + 1);
static_assert(std::size(kChallenge) == static_cast<std::size_t>(ChallengeStatus::Invalid) + 1);
static_assert(std::size(kAccount) == static_cast<std::size_t>(AccountStatus::Revoked) + 1);

template <class E, std::size_t N>
std::string_view name(E value, const std::string_view (&names)[N]) {
  const auto i = static_cast<std::size_t>(value);
  return i < N ? names[i] : std::string_view();
}

/// The value named `value`; the CA's error (naming the URL and the value) for anything else.
template <class E, std::size_t N>
Result<E> parse(std::string_view value, std::string_view url, std::string_view object,
                const std::string_view (&names)[N]) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == value) return static_cast<E>(i);
  if (value.empty()) return Error(Category::Ca, std::string(url), fmt::format("the {} has no status", object));
  return Error(Category::Ca, std::string(url),
               fmt::format("unknown {} status '{}' (not an RFC 8555 status)", object, value));
}

}  // namespace

std::string_view to_string(OrderStatus s) { return name(s, kOrder); }
std::string_view to_string(AuthzStatus s) { return name(s, kAuthz); }
std::string_view to_string(ChallengeStatus s) { return name(s, kChallenge); }
std::string_view to_string(AccountStatus s) { return name(s, kAccount); }

Result<OrderStatus> parse_order_status(std::string_view value, std::string_view url) {
  return parse<OrderStatus>(value, url, "order", kOrder);
}
Result<AuthzStatus> parse_authz_status(std::string_view value, std::string_view url) {
  return parse<AuthzStatus>(value, url, "authorization", kAuthz);
}
Result<ChallengeStatus> parse_challenge_status(std::string_view value, std::string_view url) {
  return parse<ChallengeStatus>(value, url, "challenge", kChallenge);
}
Result<AccountStatus> parse_account_status(std::string_view value, std::string_view url) {
  return parse<AccountStatus>(value, url, "account", kAccount);
}

}  // namespace certctl::acme
