#pragma once
/// The issuance policy: rules on the names, CAs, keys, validity and subject of certificates,
/// stored as <vault>/policy.toml (src/vault/policy_toml.cpp) and checked by the lifecycle use
/// cases that would create, change, issue or bring in a certificate (create, edit, csr, issue,
/// renew, import, migrate). Each rule is one row of rule_specs(); evaluate() is a pure function
/// of a policy and what a command is about to do.
#include <certctl/record.hpp>
#include <certctl/result.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certctl::vault {

class Vault;

/// A rule's stable name is its row in rule_specs(); the order is the order of `policy show`.
enum class PolicyRule { NameAllow, NameDeny, CaAllow, KeyTypes, RsaMinBits, EcMinBits, LocalMaxDays, SubjectRequired, Wildcard };
inline constexpr std::size_t kPolicyRuleCount = 9;

/// Hard: the command is refused (Category::Policy, exit 12) and nothing is written.
/// Soft: one warning line per rule, and the command goes on. Both are audited.
enum class Severity { Hard, Soft };
std::string_view severity_name(Severity s);

/// What kind of value a rule holds.
enum class RuleKind {
  Patterns,   ///< name patterns: "example.com" exactly, ".example.com" or "*.example.com" below it, an IP or CIDR
  Names,      ///< CA profile names
  KeyTypes,   ///< key type names (ec256, ec384, rsa2048, rsa3072, rsa4096)
  Fields,     ///< subject fields (o, ou, c, st, l, email)
  Number,     ///< a number in [min, max]
  AllowDeny,  ///< "allow" or "deny"
};

struct RuleSpec {
  PolicyRule rule;
  std::string_view name;  ///< "name-deny": in policy.toml, on the command line, in errors and the audit log
  std::string_view option;  ///< the `policy set` option that sets it: "--deny-name"
  RuleKind kind;
  std::string_view help;
  long min = 0, max = 0;  ///< Number only
};
/// Every rule, in PolicyRule order.
const std::array<RuleSpec, kPolicyRuleCount>& rule_specs();
const RuleSpec& spec_of(PolicyRule r);
/// The rule of a name; a Usage error naming `subject` and listing the names otherwise.
Result<PolicyRule> parse_rule_name(std::string_view name, std::string_view subject);
/// The rules of names given as repeated options or comma-separated ("name-deny,wildcard").
Result<std::vector<PolicyRule>> parse_rule_names(const std::vector<std::string>& names, std::string_view subject);

/// One rule as set: its values (list kinds; AllowDeny holds "allow" or "deny"), its number
/// (Number) and its severity. Unset rules check nothing.
struct RuleSetting {
  bool set = false;
  Severity severity = Severity::Hard;
  std::vector<std::string> values;
  long number = 0;
  bool operator==(const RuleSetting&) const = default;
};

struct Policy {
  std::array<RuleSetting, kPolicyRuleCount> rules{};
  RuleSetting& operator[](PolicyRule r) { return rules[static_cast<std::size_t>(r)]; }
  const RuleSetting& operator[](PolicyRule r) const { return rules[static_cast<std::size_t>(r)]; }
  bool empty() const;
  bool operator==(const Policy&) const = default;
};

/// Check and normalise one value of a rule as given on the command line or in policy.toml
/// (patterns to A-labels, lower case; key types and fields to their names); a Usage error
/// naming `subject` and the value otherwise (the caller turns it into Config for a file).
Result<std::string> normalize_rule_value(PolicyRule rule, std::string_view value, std::string_view subject);
/// Set a list or AllowDeny rule to `values` (each normalised; an entry may hold several,
/// comma-separated: no pattern, CA name, key type or field contains a comma), or a Number rule to `number`
/// (range-checked), keeping its severity when it was set.
Status set_rule(Policy& p, PolicyRule rule, const std::vector<std::string>& values, std::string_view subject);
Status set_rule_number(Policy& p, PolicyRule rule, long number, std::string_view subject);

/// Does the name (an A-label DNS name, possibly "*.x", or an IP address as records hold it)
/// match the pattern (normalised by normalize_rule_value)? "example.com": only that name;
/// ".example.com" and "*.example.com": every name below example.com (a wildcard too) but not
/// example.com itself; an IP address: that address; "10.0.0.0/8", "2001:db8::/32": addresses in it.
bool name_matches(std::string_view name, std::string_view pattern);

/// What a command is about to do, as the policy sees it.
struct PolicySubject {
  std::vector<std::string> names;  ///< DNS names (A-labels) and IP addresses
  std::vector<std::string> cas;    ///< the CA profiles it would be issued by, in order (none for an import)
  std::string key_type;            ///< "ec256", "rsa3072", an imported key's "rsa3000"; "" unknown
  std::optional<int> local_days;   ///< the validity asked of the local CA, when `cas` names "local"
  Subject subject;
};

struct Violation {
  PolicyRule rule;
  Severity severity;
  std::string value;    ///< what is at fault: a name, a CA, a key type, a field
  std::string message;  ///< "www.evil.test matches denied pattern .evil.test"
};
/// Every violation of the policy by the subject, rule by rule (one per rule: the first value at
/// fault), in rule order.
std::vector<Violation> evaluate(const Policy& p, const PolicySubject& s);

/// The policy of the vault (an empty one when there is no policy.toml; a damaged file is a
/// Config error naming it).
Result<Policy> load_policy(const Vault& v);
/// Write policy.toml atomically (the caller holds the vault lock); an empty policy removes it.
Status save_policy(const Vault& v, const Policy& p);
/// The TOML text of a policy, and back (errors: Config naming `path`).
std::string render_policy_toml(const Policy& p);
Result<Policy> parse_policy_toml(std::string_view text, const std::string& path);

}  // namespace certctl::vault
