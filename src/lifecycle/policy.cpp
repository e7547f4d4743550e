// The issuance policy in the use cases: `policy show|set|check`, and check_policy, the one
// hook create, edit, csr, issue, renew, import and migrate call before they write.
#include <certctl/lifecycle.hpp>

#include "lifecycle/internal.hpp"

#include <algorithm>
#include <mutex>
#include <set>

#include <fmt/format.h>

namespace certctl::lifecycle {

struct PolicyRun {
  std::mutex mu;
  std::optional<vault::Policy> policy;
  std::set<std::string> reported;  ///< "record\nrule\nvalue" of the soft violations already reported
};

std::shared_ptr<PolicyRun> new_policy_run() { return std::make_shared<PolicyRun>(); }

Error policy_error(const vault::Violation& v) {
  return Error(Category::Policy, fmt::format("policy rule {}", vault::spec_of(v.rule).name), v.message);
}

namespace detail {

vault::PolicySubject policy_subject(const vault::Record& r, std::vector<std::string> cas, std::optional<int> local_days) {
  vault::PolicySubject s;
  s.names = r.all_names();
  if (std::find(cas.begin(), cas.end(), "local") != cas.end()) s.local_days = local_days;
  s.cas = std::move(cas);
  s.key_type = r.key_type;
  s.subject = r.subject;
  return s;
}

std::vector<std::string> record_cas(const vault::Record& r, const std::optional<std::string>& ca) {
  std::vector<std::string> out{ca.value_or(r.ca)};
  for (const auto& f : r.settings.fallback)
    if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
  return out;
}

void ensure_policy_run(Context& ctx) {
  if (!ctx.policy_run) ctx.policy_run = new_policy_run();
}

Status check_policy(Context ctx, const std::string& record, const vault::PolicySubject& subject, bool audited) {
  const std::shared_ptr<PolicyRun> run = ctx.policy_run ? ctx.policy_run : new_policy_run();
  std::vector<vault::Violation> found;
  {
    std::lock_guard<std::mutex> hold(run->mu);
    if (!run->policy) {
      TRY_ASSIGN(vault::Policy p, vault::load_policy(ctx.vault));
      run->policy = std::move(p);
    }
    found = vault::evaluate(*run->policy, subject);
    const bool any_hard = std::any_of(found.begin(), found.end(), [](const auto& v) { return v.severity == vault::Severity::Hard; });
    // A refused command goes no further, so its soft violations are moot (and its error stays
    // one line); a soft violation is reported once per command (the one-step issue checks at
    // create and at issue).
    std::erase_if(found, [&](const vault::Violation& v) {
      if (v.severity == vault::Severity::Hard) return false;
      return any_hard || !run->reported.insert(fmt::format("{}\n{}\n{}", record, vault::spec_of(v.rule).name, v.value)).second;
    });
  }
  std::optional<Error> refused;
  for (const auto& v : found) {
    const bool hard = v.severity == vault::Severity::Hard;
    const Error e = policy_error(v);
    Status logged = audited ? audit(ctx, hard ? vault::actions::kPolicyHardFail : vault::actions::kPolicySoftFail, record,
                                    {{"rule", std::string(vault::spec_of(v.rule).name)}, {"value", v.value}, {"detail", v.message}})
                            : ok();
    if (hard) {
      // Refused either way; an audit log that cannot take the line does not change the answer.
      if (!refused) refused = e;
      continue;
    }
    TRY(logged);  // a soft violation goes on only once it is on record
    if (ctx.warn) ctx.warn(e);
  }
  if (refused) return *refused;
  return ok();
}

}  // namespace detail

using namespace detail;

Result<vault::Policy> policy_show(Context ctx) { return vault::load_policy(ctx.vault); }

namespace {

std::string rule_names(const vault::Policy& p) {
  std::vector<std::string> names;
  for (const auto& spec : vault::rule_specs())
    if (p[spec.rule].set)
      names.push_back(fmt::format("{}({})", spec.name, vault::severity_name(p[spec.rule].severity)));
  return names.empty() ? "none" : fmt::format("{}", fmt::join(names, " "));
}

Status apply_change(vault::Policy& p, const PolicyChange& c) {
  if (c.reset) p = vault::Policy{};
  for (auto r : c.clear) p[r] = vault::RuleSetting{};
  for (const auto& [rule, values] : c.lists) TRY(vault::set_rule(p, rule, values, vault::spec_of(rule).option));
  for (const auto& [rule, n] : c.numbers) TRY(vault::set_rule_number(p, rule, n, vault::spec_of(rule).option));
  for (const auto& [rule, severity] : c.severities) {
    if (!p[rule].set)
      return Error(Category::Usage, severity == vault::Severity::Soft ? "--soft" : "--hard",
                   fmt::format("rule {} is not set; set it first (or in the same command)", vault::spec_of(rule).name));
    p[rule].severity = severity;
  }
  return ok();
}

}  // namespace

Result<vault::Policy> policy_set(Context ctx, const PolicyChange& change) {
  if (!change.any()) return Error(Category::Usage, "policy set", "nothing to change; give a rule, --clear, --soft, --hard or --reset");
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  TRY_ASSIGN(vault::Policy p, vault::load_policy(ctx.vault));
  TRY(apply_change(p, change));
  TRY(vault::save_policy(ctx.vault, p));
  TRY(audit(ctx, vault::actions::kPolicyUpdated, "", {{"rules", rule_names(p)}}));
  return p;
}

Result<std::vector<vault::Violation>> policy_check(Context ctx, const PolicyCheckRequest& req) {
  TRY_ASSIGN(vault::Policy p, vault::load_policy(ctx.vault));
  vault::Record r;
  if (!req.record.empty()) {
    TRY(vault::validate_name(req.record));
    TRY_ASSIGN(r, load_existing(ctx, req.record));
    const RecordFields& f = req.fields;
    // Proposed values over the record's, as an issue with them would store them.
    if (f.domain || f.sans || f.key_type || f.ca || f.o || f.ou || f.c || f.st || f.l || f.email) {
      TRY_ASSIGN(r, draft_record(ctx, req.record, f));
    }
  } else {
    if (!req.fields.domain) return Error(Category::Usage, "policy check", "give a record name or --domain");
    TRY_ASSIGN(r, new_record(ctx, "policy-check", req.fields));
  }
  const int days = req.days.value_or(90);
  if (days < 1 || days > 3650) return Error(Category::Usage, "--days", "must be between 1 and 3650");
  const bool imported = r.source == vault::Source::Imported && !req.fields.ca;
  return vault::evaluate(p, policy_subject(r, imported ? std::vector<std::string>{} : record_cas(r, req.fields.ca), days));
}

}  // namespace certctl::lifecycle
