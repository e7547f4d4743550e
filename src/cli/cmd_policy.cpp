// certctl policy set|show|check: the issuance policy (include/certctl/policy.hpp).
#include "cli/common.hpp"
#include "cli/named.hpp"
#include "cli/record_options.hpp"

#include <certctl/output.hpp>
#include <certctl/policy.hpp>

#include <cstdio>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

namespace {

using vault::PolicyRule;

std::string policy_text(const vault::Policy& p) {
  if (p.empty()) return "no policy: every name, CA, key type and validity is allowed\n";
  std::string out;
  for (const auto& spec : vault::rule_specs()) {
    const vault::RuleSetting& r = p[spec.rule];
    if (!r.set) continue;
    std::string value = spec.kind == vault::RuleKind::Number ? std::to_string(r.number) : fmt::format("{}", fmt::join(r.values, ", "));
    out += fmt::format("{:<17} {:<5} {}\n", spec.name, vault::severity_name(r.severity), value);
  }
  return out;
}

struct SetOptions {
  std::vector<std::string> allow_name, deny_name, allow_ca, key_types, require_subject, soft, hard, clear;
  long min_rsa_bits = 0, min_ec_bits = 0, max_local_days = 0;
  std::string wildcard;
  bool reset = false;
};

Result<lifecycle::PolicyChange> change_from(const SetOptions& o, CLI::App& sub) {
  auto given = [&sub](const char* name) { return sub.get_option(name)->count() > 0; };
  lifecycle::PolicyChange c;
  c.reset = o.reset;
  TRY_ASSIGN(c.clear, vault::parse_rule_names(o.clear, "--clear"));
  if (given("--allow-name")) c.lists.emplace_back(PolicyRule::NameAllow, o.allow_name);
  if (given("--deny-name")) c.lists.emplace_back(PolicyRule::NameDeny, o.deny_name);
  if (given("--allow-ca")) c.lists.emplace_back(PolicyRule::CaAllow, o.allow_ca);
  if (given("--key-types")) c.lists.emplace_back(PolicyRule::KeyTypes, o.key_types);
  if (given("--require-subject")) c.lists.emplace_back(PolicyRule::SubjectRequired, o.require_subject);
  if (given("--wildcard")) c.lists.emplace_back(PolicyRule::Wildcard, std::vector<std::string>{o.wildcard});
  if (given("--min-rsa-bits")) c.numbers.emplace_back(PolicyRule::RsaMinBits, o.min_rsa_bits);
  if (given("--min-ec-bits")) c.numbers.emplace_back(PolicyRule::EcMinBits, o.min_ec_bits);
  if (given("--max-local-days")) c.numbers.emplace_back(PolicyRule::LocalMaxDays, o.max_local_days);
  TRY_ASSIGN(auto soft, vault::parse_rule_names(o.soft, "--soft"));
  TRY_ASSIGN(auto hard, vault::parse_rule_names(o.hard, "--hard"));
  for (auto r : soft) c.severities.emplace_back(r, vault::Severity::Soft);
  for (auto r : hard) c.severities.emplace_back(r, vault::Severity::Hard);
  return c;
}

void setup_set(CLI::App* policy, Globals& g) {
  auto bind = [](CLI::App& sub, SetOptions& o) {
    sub.add_option("--allow-name", o.allow_name,
                   "Rule name-allow: every name must match one of these patterns (repeat; replaces the list): "
                   "example.com exactly, .example.com or *.example.com below it, an IP address or CIDR block")->allow_extra_args(false);
    sub.add_option("--deny-name", o.deny_name, "Rule name-deny: no name may match these patterns (repeat; replaces the list)")->allow_extra_args(false);
    sub.add_option("--allow-ca", o.allow_ca, "Rule ca-allow: only these CA profiles (repeat or comma-separated)")->allow_extra_args(false);
    sub.add_option("--key-types", o.key_types, "Rule key-types: only these key types, e.g. ec256,rsa3072")->allow_extra_args(false);
    sub.add_option("--min-rsa-bits", o.min_rsa_bits, "Rule rsa-min-bits: RSA keys of at least N bits (2048..16384)");
    sub.add_option("--min-ec-bits", o.min_ec_bits, "Rule ec-min-bits: EC keys of at least N bits (256..521)");
    sub.add_option("--max-local-days", o.max_local_days, "Rule local-max-days: the local CA issues for at most N days (1..3650)");
    sub.add_option("--require-subject", o.require_subject,
                   "Rule subject-required: these subject fields must be set (o, ou, c, st, l, email; comma-separated)")->allow_extra_args(false);
    sub.add_option("--wildcard", o.wildcard, "Rule wildcard: allow or deny wildcard names")->check(CLI::IsMember({"allow", "deny"}));
    sub.add_option("--soft", o.soft, "Make these rules soft: warn, audit and go on (repeat or comma-separated)")->allow_extra_args(false);
    sub.add_option("--hard", o.hard, "Make these rules hard: refuse with exit status 12 (the default for a new rule)")->allow_extra_args(false);
    sub.add_option("--clear", o.clear, "Remove these rules (repeat or comma-separated)")->allow_extra_args(false);
    sub.add_flag("--reset", o.reset, "Remove every rule first");
    sub.footer("Rule names: name-allow, name-deny, ca-allow, key-types, rsa-min-bits, ec-min-bits, local-max-days,\n"
               "subject-required, wildcard. Audited as policy.updated. Exit status 2 for a bad rule or value.");
  };
  command<SetOptions>(*policy, g, "set", "Change the issuance policy (rules, hard or soft)", bind,
                      [&g](SetOptions& o, CLI::App& sub) -> Status {
                        TRY_ASSIGN(lifecycle::PolicyChange change, change_from(o, sub));
                        TRY_ASSIGN(Session s, open_session(g));
                        TRY_ASSIGN(vault::Policy p, lifecycle::policy_set(s.ctx(), change));
                        print_out(policy_text(p));
                        return ok();
                      });
}

void setup_show(CLI::App* policy, Globals& g) {
  struct Opts {
    bool json = false;
  };
  auto bind = [](CLI::App& sub, Opts& o) { sub.add_flag("--json", o.json, "Print an object with one member per rule (null when unset)"); };
  command<Opts>(*policy, g, "show", "Print the issuance policy", bind, [&g](Opts& o) -> Status {
    g.json_errors = o.json;
    TRY_ASSIGN(Session s, open_session(g));
    TRY_ASSIGN(vault::Policy p, lifecycle::policy_show(s.ctx()));
    print_out(o.json ? output::policy_json(p) : policy_text(p));
    return ok();
  });
}

void setup_check(CLI::App* policy, Globals& g) {
  struct Opts {
    std::string name;
    RecordOptionBinding rec;
    int days = 90;
    bool json = false;
  };
  auto bind = [](CLI::App& sub, Opts& o) {
    sub.add_option("name", o.name, "A record to check (its values, with the options below laid over them)");
    add_record_options(&sub, o.rec);
    sub.add_option("--days", o.days, "Validity asked of the local CA (as issue --days)")->capture_default_str();
    sub.add_flag("--json", o.json, "Print {\"allowed\", \"violations\": [...]}");
    sub.footer("Takes the options of create for proposed values. Writes nothing.\n"
               "Exit status: 0 when no hard rule is violated (soft ones are listed), 12 when one is.");
  };
  command<Opts>(*policy, g, "check", "Check a record or proposed values against the policy, changing nothing", bind,
                [&g](Opts& o, CLI::App& sub) -> Status {
                  g.json_errors = o.json;
                  finish_record_options(&sub, o.rec);
                  lifecycle::PolicyCheckRequest req{o.name, o.rec.fields, o.days};
                  if (o.name.empty() && !req.fields.domain)
                    return Status(Error(Category::Usage, "policy check", "give a record name or --domain"));
                  TRY_ASSIGN(Session s, open_session(g));
                  TRY_ASSIGN(std::vector<vault::Violation> found, lifecycle::policy_check(s.ctx(), req));
                  std::optional<Error> hard;
                  std::string text;
                  for (const auto& v : found) {
                    const Error e = lifecycle::policy_error(v);
                    if (v.severity == vault::Severity::Hard && !hard) hard = e;
                    text += fmt::format("{}: {}\n", vault::severity_name(v.severity), e.text());
                  }
                  if (o.json) print_out(output::violations_json(found));
                  else print_out(found.empty() ? "allowed: no rule is violated\n" : text);
                  if (hard) {
                    const std::string line = fmt::format("certctl: {}\n", hard->text());
                    std::fwrite(line.data(), 1, line.size(), stderr);
                    g.exit_override = hard->exit_code();
                  }
                  return ok();
                });
}

}  // namespace

void setup_policy(CLI::App& app, Globals& g) {
  CLI::App* policy = group(app, "policy", "The issuance policy: allowed names, CAs, keys, validity and subject");
  setup_set(policy, g);
  setup_show(policy, g);
  setup_check(policy, g);
}

}  // namespace certctl::cli
