// <vault>/policy.toml: one table per rule that is set, named as the rule, holding its value
// (`patterns`/`values` list, `value` number or "allow"/"deny") and its `severity`:
//   [name-deny]
//   values = [".evil.test"]
//   severity = "hard"
// Every value is checked again when read, so a hand-edited file cannot hold what `policy set`
// would refuse; anything wrong is a Config error naming the file.
#include <certctl/fs.hpp>
#include <certctl/policy.hpp>
#include <certctl/vault.hpp>

#include "vault/toml_parse.hpp"

#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace certctl::vault {

std::string render_policy_toml(const Policy& p) {
  toml::table t;
  for (const RuleSpec& spec : rule_specs()) {
    const RuleSetting& r = p[spec.rule];
    if (!r.set) continue;
    toml::table rule;
    switch (spec.kind) {
      case RuleKind::Number: rule.insert_or_assign("value", static_cast<std::int64_t>(r.number)); break;
      case RuleKind::AllowDeny: rule.insert_or_assign("value", r.values.empty() ? std::string("allow") : r.values.front()); break;
      default: {
        toml::array a;
        for (const auto& v : r.values) a.push_back(v);
        rule.insert_or_assign("values", std::move(a));
      }
    }
    rule.insert_or_assign("severity", std::string(severity_name(r.severity)));
    t.insert_or_assign(std::string(spec.name), std::move(rule));
  }
  std::ostringstream out;
  out << "# certctl issuance policy; change with `certctl policy set`, not by hand.\n" << t << '\n';
  return out.str();
}

Result<Policy> parse_policy_toml(std::string_view text, const std::string& path) {
  TRY_ASSIGN(toml::table t, parse_toml(text, path, Category::Config));
  Policy p;
  for (const auto& [key, node] : t) {
    const std::string name(key.str());
    auto rule = parse_rule_name(name, path);
    if (!rule) return Error(Category::Config, path, fmt::format("unknown rule [{}]", name));
    const RuleSpec& spec = spec_of(*rule);
    const toml::table* r = node.as_table();
    if (!r) return Error(Category::Config, path, fmt::format("{} is not a table", name));
    auto bad = [&](std::string why) { return Error(Category::Config, path, fmt::format("[{}]: {}", name, why)); };
    for (const auto& [k, v] : *r) {
      (void)v;
      const std::string_view member = k.str();
      if (member != "severity" && member != "value" && member != "values") return bad(fmt::format("unknown key '{}'", member));
    }
    const std::string severity = (*r)["severity"].value<std::string>().value_or("hard");
    if (severity != "hard" && severity != "soft") return bad("severity must be hard or soft");
    Status st = ok();
    switch (spec.kind) {
      case RuleKind::Number: {
        auto n = (*r)["value"].value<std::int64_t>();
        if (!n) return bad("value must be a number");
        st = set_rule_number(p, *rule, static_cast<long>(std::clamp<std::int64_t>(*n, -1, 1'000'000)), path);
        break;
      }
      case RuleKind::AllowDeny: {
        auto s = (*r)["value"].value<std::string>();
        if (!s) return bad("value must be \"allow\" or \"deny\"");
        st = set_rule(p, *rule, {*s}, path);
        break;
      }
      default: {
        const toml::array* a = (*r)["values"].as_array();
        if (!a) return bad("values must be a list of strings");
        std::vector<std::string> values;
        for (const auto& e : *a) {
          auto s = e.value<std::string>();
          if (!s) return bad("values must be a list of strings");
          values.push_back(*s);
        }
        st = set_rule(p, *rule, values, path);
      }
    }
    if (!st) return bad(st.error().message());
    p[*rule].severity = severity == "soft" ? Severity::Soft : Severity::Hard;
  }
  return p;
}

Result<Policy> load_policy(const Vault& v) {
  TRY_ASSIGN(std::optional<storage::Value> text, v.store().get(Layout::policy(), fs::kMaxFileSize));
  if (!text) return Policy{};
  return parse_policy_toml(text->data, v.where(Layout::policy()));
}

Status save_policy(const Vault& v, const Policy& p) {
  if (p.empty()) {
    TRY_ASSIGN(std::optional<storage::Value> there, v.store().get(Layout::policy(), fs::kMaxFileSize));
    if (!there) return ok();
    return v.store().remove(Layout::policy());
  }
  TRY(v.store().put(Layout::policy(), render_policy_toml(p)));
  return ok();
}

}  // namespace certctl::vault
