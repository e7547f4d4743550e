// The issuance policy's rules and their evaluation (a pure function of the policy and what a
// command is about to do). Stored as policy.toml by src/vault/policy_toml.cpp.
#include <certctl/crypto.hpp>
#include <certctl/domain.hpp>
#include <certctl/policy.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>

#include <fmt/format.h>

namespace certctl::vault {
namespace {

constexpr std::array<RuleSpec, kPolicyRuleCount> kRules{{
    {PolicyRule::NameAllow, "name-allow", "--allow-name", RuleKind::Patterns, "every name must match one of these patterns"},
    {PolicyRule::NameDeny, "name-deny", "--deny-name", RuleKind::Patterns, "no name may match any of these patterns"},
    {PolicyRule::CaAllow, "ca-allow", "--allow-ca", RuleKind::Names, "certificates come only from these CA profiles"},
    {PolicyRule::KeyTypes, "key-types", "--key-types", RuleKind::KeyTypes, "only these key types"},
    {PolicyRule::RsaMinBits, "rsa-min-bits", "--min-rsa-bits", RuleKind::Number, "RSA keys of at least this many bits", 2048, 16384},
    {PolicyRule::EcMinBits, "ec-min-bits", "--min-ec-bits", RuleKind::Number, "EC keys of at least this many bits", 256, 521},
    {PolicyRule::LocalMaxDays, "local-max-days", "--max-local-days", RuleKind::Number, "the local CA issues for at most this many days", 1, 3650},
    {PolicyRule::SubjectRequired, "subject-required", "--require-subject", RuleKind::Fields, "these subject fields must be set"},
    {PolicyRule::Wildcard, "wildcard", "--wildcard", RuleKind::AllowDeny, "whether wildcard names are allowed"},
}};

constexpr std::array<std::string_view, 6> kFields{"o", "ou", "c", "st", "l", "email"};

const std::string& field_value(const Subject& s, std::string_view f) {
  if (f == "o") return s.o;
  if (f == "ou") return s.ou;
  if (f == "c") return s.c;
  if (f == "st") return s.st;
  if (f == "l") return s.l;
  return s.email;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

/// An address as bytes (4 or 16); empty when `s` is not one.
std::string address_bytes(std::string_view s) {
  const std::string text(s);
  unsigned char buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1) return std::string(reinterpret_cast<char*>(buf), 4);
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1) return std::string(reinterpret_cast<char*>(buf), 16);
  return {};
}

/// "10.0.0.0/8" -> (network bytes, prefix bits); nullopt when not a CIDR block.
std::optional<std::pair<std::string, int>> parse_cidr(std::string_view s) {
  const auto slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string net = address_bytes(s.substr(0, slash));
  const std::string_view bits_text = s.substr(slash + 1);
  if (net.empty() || bits_text.empty() || bits_text.size() > 3 ||
      !std::all_of(bits_text.begin(), bits_text.end(), [](unsigned char c) { return std::isdigit(c); }))
    return std::nullopt;
  const int bits = std::stoi(std::string(bits_text));
  if (bits > static_cast<int>(net.size()) * 8) return std::nullopt;
  return std::make_pair(std::move(net), bits);
}

bool in_block(const std::string& addr, const std::string& net, int bits) {
  if (addr.size() != net.size()) return false;
  for (int i = 0; i < bits; ++i) {
    const int byte = i / 8, bit = 7 - i % 8;
    if (((addr[byte] >> bit) & 1) != ((net[byte] >> bit) & 1)) return false;
  }
  return true;
}

/// (algorithm, bits) of a key type name: "ec256" -> ("ec", 256), "rsa3000" -> ("rsa", 3000).
std::pair<std::string, long> key_shape(std::string_view key_type) {
  for (std::string_view alg : {"rsa", "ec"}) {
    if (key_type.substr(0, alg.size()) != alg) continue;
    const std::string_view digits = key_type.substr(alg.size());
    if (digits.empty() || digits.size() > 6 ||
        !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); }))
      break;
    return {std::string(alg), std::stol(std::string(digits))};
  }
  return {std::string(key_type), 0};
}

/// "a,b" entries and repeated ones alike, empty pieces dropped.
std::vector<std::string> split_commas(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (const auto& s : in)
    for (std::size_t pos = 0; pos <= s.size();) {
      const std::size_t end = std::min(s.find(',', pos), s.size());
      if (end > pos) out.push_back(s.substr(pos, end - pos));
      pos = end + 1;
    }
  return out;
}

std::string list_text(const std::vector<std::string>& v) { return fmt::format("{}", fmt::join(v, ", ")); }

}  // namespace

std::string_view severity_name(Severity s) { return s == Severity::Hard ? "hard" : "soft"; }

const std::array<RuleSpec, kPolicyRuleCount>& rule_specs() { return kRules; }

const RuleSpec& spec_of(PolicyRule r) { return kRules[static_cast<std::size_t>(r)]; }

Result<PolicyRule> parse_rule_name(std::string_view name, std::string_view subject) {
  for (const auto& s : kRules)
    if (s.name == name) return s.rule;
  std::vector<std::string> names;
  for (const auto& s : kRules) names.emplace_back(s.name);
  return Error(Category::Usage, std::string(subject), fmt::format("no policy rule '{}' (rules: {})", name, list_text(names)));
}

Result<std::vector<PolicyRule>> parse_rule_names(const std::vector<std::string>& names, std::string_view subject) {
  std::vector<PolicyRule> out;
  for (const auto& n : split_commas(names)) {
    TRY_ASSIGN(PolicyRule r, parse_rule_name(n, subject));
    out.push_back(r);
  }
  return out;
}

bool Policy::empty() const {
  return std::none_of(rules.begin(), rules.end(), [](const RuleSetting& r) { return r.set; });
}

Result<std::string> normalize_rule_value(PolicyRule rule, std::string_view value, std::string_view subject) {
  const RuleSpec& spec = spec_of(rule);
  auto bad = [&](std::string_view why) {
    return Error(Category::Usage, std::string(subject), fmt::format("{} '{}': {}", spec.name, value, why));
  };
  if (value.empty()) return bad("is empty");
  switch (spec.kind) {
    case RuleKind::Patterns: {
      if (domain::is_ip(value)) {
        auto id = domain::parse(value);
        if (!id) return bad(id.error().message());
        return id->value;
      }
      if (parse_cidr(value)) return lower(value);
      // ".example.com" and "*.example.com" are the same suffix pattern; kept as written form "*.".
      std::string_view rest = value;
      bool suffix = false;
      if (rest.substr(0, 2) == "*.") rest.remove_prefix(2), suffix = true;
      else if (rest.front() == '.') rest.remove_prefix(1), suffix = true;
      auto name = domain::normalize_dns(rest);
      if (!name || name->rfind("*.", 0) == 0) return bad("is not a name, a .suffix, an IP address or a CIDR block");
      return suffix ? "." + *name : *name;
    }
    case RuleKind::Names: {
      if (value.size() > 64 || !std::all_of(value.begin(), value.end(), [](unsigned char c) {
            return std::isalnum(c) || c == '-' || c == '_' || c == '.';
          }))
        return bad("is not a CA profile name");
      return std::string(value);
    }
    case RuleKind::KeyTypes: {
      auto kt = crypto::parse_key_type(value);
      if (!kt) return bad("is not a key type (ec256, ec384, rsa2048, rsa3072, rsa4096)");
      return std::string(crypto::key_type_name(*kt));
    }
    case RuleKind::Fields: {
      const std::string f = lower(value);
      if (std::find(kFields.begin(), kFields.end(), f) == kFields.end())
        return bad("is not a subject field (o, ou, c, st, l, email)");
      return f;
    }
    case RuleKind::AllowDeny:
      if (value != "allow" && value != "deny") return bad("must be allow or deny");
      return std::string(value);
    case RuleKind::Number: return bad("takes a number");
  }
  return bad("unknown rule kind");
}

Status set_rule(Policy& p, PolicyRule rule, const std::vector<std::string>& given, std::string_view subject) {
  const RuleSpec& spec = spec_of(rule);
  const std::vector<std::string> values = split_commas(given);
  if (spec.kind == RuleKind::Number) return Error(Category::Usage, std::string(subject), fmt::format("{} takes a number", spec.name));
  if (values.empty()) return Error(Category::Usage, std::string(subject), fmt::format("{} needs a value", spec.name));
  if (spec.kind == RuleKind::AllowDeny && values.size() != 1)
    return Error(Category::Usage, std::string(subject), fmt::format("{} takes one value, allow or deny", spec.name));
  if (values.size() > 1000) return Error(Category::Usage, std::string(subject), fmt::format("{}: more than 1000 values", spec.name));
  std::vector<std::string> out;
  for (const auto& v : values) {
    TRY_ASSIGN(std::string n, normalize_rule_value(rule, v, subject));
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(std::move(n));
  }
  RuleSetting& s = p[rule];
  s.set = true;
  s.values = std::move(out);
  return ok();
}

Status set_rule_number(Policy& p, PolicyRule rule, long number, std::string_view subject) {
  const RuleSpec& spec = spec_of(rule);
  if (spec.kind != RuleKind::Number) return Error(Category::Usage, std::string(subject), fmt::format("{} does not take a number", spec.name));
  if (number < spec.min || number > spec.max)
    return Error(Category::Usage, std::string(subject),
                 fmt::format("{} must be between {} and {}, not {}", spec.name, spec.min, spec.max, number));
  RuleSetting& s = p[rule];
  s.set = true;
  s.number = number;
  return ok();
}

bool name_matches(std::string_view name, std::string_view pattern) {
  if (pattern.empty()) return false;
  const bool name_is_ip = domain::is_ip(name);
  if (auto cidr = parse_cidr(pattern)) return name_is_ip && in_block(address_bytes(name), cidr->first, cidr->second);
  if (domain::is_ip(pattern)) return name_is_ip && address_bytes(name) == address_bytes(pattern);
  if (name_is_ip) return false;
  const std::string n = lower(name);
  if (pattern.front() == '.') return n.size() > pattern.size() && n.compare(n.size() - pattern.size(), pattern.size(), pattern) == 0;
  return n == pattern;
}

std::vector<Violation> evaluate(const Policy& p, const PolicySubject& s) {
  std::vector<Violation> out;
  for (const RuleSpec& spec : kRules) {
    const RuleSetting& r = p[spec.rule];
    if (!r.set) continue;
    auto fail = [&](std::string value, std::string message) {
      out.push_back(Violation{spec.rule, r.severity, std::move(value), std::move(message)});
    };
    switch (spec.rule) {
      case PolicyRule::NameAllow:
        for (const auto& n : s.names) {
          const bool any = std::any_of(r.values.begin(), r.values.end(), [&](const auto& pat) { return name_matches(n, pat); });
          if (!any) {
            fail(n, fmt::format("{} matches no allowed pattern ({})", n, list_text(r.values)));
            break;
          }
        }
        break;
      case PolicyRule::NameDeny: {
        bool done = false;
        for (const auto& n : s.names) {
          for (const auto& pat : r.values)
            if (name_matches(n, pat)) {
              fail(n, fmt::format("{} matches denied pattern {}", n, pat));
              done = true;
              break;
            }
          if (done) break;
        }
        break;
      }
      case PolicyRule::CaAllow:
        for (const auto& ca : s.cas)
          if (std::find(r.values.begin(), r.values.end(), ca) == r.values.end()) {
            fail(ca, fmt::format("CA '{}' is not allowed ({})", ca, list_text(r.values)));
            break;
          }
        break;
      case PolicyRule::KeyTypes:
        if (!s.key_type.empty() && std::find(r.values.begin(), r.values.end(), s.key_type) == r.values.end())
          fail(s.key_type, fmt::format("key type {} is not allowed ({})", s.key_type, list_text(r.values)));
        break;
      case PolicyRule::RsaMinBits:
      case PolicyRule::EcMinBits: {
        const auto [alg, bits] = key_shape(s.key_type);
        const std::string_view want = spec.rule == PolicyRule::RsaMinBits ? "rsa" : "ec";
        if (alg == want && bits < r.number)
          fail(s.key_type, fmt::format("key type {} has {} bits, fewer than {}", s.key_type, bits, r.number));
        break;
      }
      case PolicyRule::LocalMaxDays:
        if (s.local_days && *s.local_days > r.number)
          fail(std::to_string(*s.local_days),
               fmt::format("the local CA would issue for {} days, more than {}", *s.local_days, r.number));
        break;
      case PolicyRule::SubjectRequired:
        for (const auto& f : r.values)
          if (field_value(s.subject, f).empty()) {
            fail(f, fmt::format("subject field {} is required but empty", f));
            break;
          }
        break;
      case PolicyRule::Wildcard:
        if (!r.values.empty() && r.values.front() == "deny")
          for (const auto& n : s.names)
            if (n.rfind("*.", 0) == 0) {
              fail(n, fmt::format("{} is a wildcard name, and wildcards are denied", n));
              break;
            }
        break;
    }
  }
  return out;
}

}  // namespace certctl::vault
