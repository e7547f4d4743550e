#pragma once
/// ACME object statuses (RFC 8555 7.1.6), parsed once where the CA's JSON is read (as OpenBSD
/// acme-client's json.c does), so later decisions compare enums and a `switch` without
/// `default:` is checked by the compiler (-Wswitch). The strings stay on the wire and in files
/// (account.toml keeps its `status` value).
#include <certctl/result.hpp>

#include <string_view>

namespace certctl::acme {

enum class OrderStatus { Pending, Ready, Processing, Valid, Invalid };
enum class AuthzStatus { Pending, Valid, Invalid, Deactivated, Expired, Revoked };
enum class ChallengeStatus { Pending, Processing, Valid, Invalid };
enum class AccountStatus { Valid, Deactivated, Revoked };

/// The wire name ("pending", "ready", ...).
std::string_view to_string(OrderStatus s);
std::string_view to_string(AuthzStatus s);
std::string_view to_string(ChallengeStatus s);
std::string_view to_string(AccountStatus s);

/// The status a wire value names. Anything RFC 8555 does not define for that object (or no
/// status at all) is the CA's error: Category Ca, subject `url`, naming the value.
Result<OrderStatus> parse_order_status(std::string_view value, std::string_view url);
Result<AuthzStatus> parse_authz_status(std::string_view value, std::string_view url);
Result<ChallengeStatus> parse_challenge_status(std::string_view value, std::string_view url);
Result<AccountStatus> parse_account_status(std::string_view value, std::string_view url);

}  // namespace certctl::acme
