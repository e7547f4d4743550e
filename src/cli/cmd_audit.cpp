// certctl audit [--json] [--since T] [--action A]... [--record NAME]: list the audit log's
// lines (the group's own action); certctl audit verify [--json]: check its chain
// (src/vault/audit_chain.hpp).
#include "cli/common.hpp"

#include <certctl/number.hpp>

#include <certctl/output.hpp>

#include <cstdio>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

namespace {

std::string summary(const vault::AuditReport& r) {
  std::string out = fmt::format("audit.log: {} line(s): {} keyed", r.lines, r.keyed);
  if (r.sealed) out += fmt::format(", {} written without the vault key and sealed by a later keyed line", r.sealed);
  if (r.unchained) out += fmt::format(", {} unchained (before v1)", r.unchained);
  out += "\n";
  if (r.unverifiable) {
    const std::size_t last = r.unverifiable_from + r.unverifiable - 1;
    out += fmt::format("unverifiable: {} written without the vault key after the last keyed line; the next command "
                       "that unlocks the vault seals it\n",
                       last == r.unverifiable_from ? fmt::format("line {} was", last)
                                                   : fmt::format("lines {}-{} were", r.unverifiable_from, last));
  }
  for (const auto& p : r.problems) {
    if (p.line == 0) out += fmt::format("log: {}\n", p.problem);
    else out += fmt::format("line {} ({} {}): {}\n", p.line, p.time.empty() ? "?" : p.time, p.action.empty() ? "?" : p.action, p.problem);
  }
  if (!r.intact()) out += fmt::format("BROKEN: {} problem(s)\n", r.problems.size());
  else if (r.unverifiable) out += fmt::format("intact up to line {}; the rest unverifiable\n", r.unverifiable_from - 1);
  else out += "intact\n";
  return out;
}

/// The one stderr line of a broken chain, naming the first problem; exit code 5 (Vault).
Error broken(const vault::Vault& v, const vault::AuditReport& r) {
  const auto& p = r.problems.front();
  const std::string where = p.line ? fmt::format("line {} ({} {})", p.line, p.time, p.action) : "the end of the log";
  return Error(Category::Vault, v.where(vault::Layout::audit_log()),
               fmt::format("the chain is broken at {}: {} ({} problem(s) in all)", where, p.problem, r.problems.size()));
}

Status run_verify(Globals& g, bool json) {
  g.json_errors = json;
  TRY_ASSIGN(Session s, open_unlocked(g));
  TRY_ASSIGN(vault::AuditReport report, s.vault.verify_audit());
  print_out(json ? output::audit_report_json(report) : summary(report));
  if (report.intact()) return ok();
  const Error e = broken(s.vault, report);
  const std::string line = fmt::format("certctl: {}\n", e.text());
  std::fwrite(line.data(), 1, line.size(), stderr);
  g.exit_override = e.exit_code();
  return ok();
}

/// --since: an RFC 3339 time, or a duration before now: N followed by s, m, h, d or w (at most
/// 100 years).
Result<UnixTime> parse_since(const std::string& text, UnixTime now) {
  if (!text.empty() && std::string_view("smhdw").find(text.back()) != std::string_view::npos &&
      text.find_first_not_of("0123456789") == text.size() - 1) {
    const long unit = text.back() == 's' ? 1 : text.back() == 'm' ? 60 : text.back() == 'h' ? 3600 : text.back() == 'd' ? 86400 : 604800;
    TRY_ASSIGN(long n, parse_number(std::string_view(text).substr(0, text.size() - 1), 0, 100L * 366 * 86400 / unit,
                                    NumberField{Category::Usage, "", "--since"}));
    return now - n * unit;
  }
  auto t = parse_rfc3339(text, "--since");
  if (!t) return Error(Category::Usage, "--since", fmt::format("'{}' is neither an RFC 3339 time nor a duration like 24h or 7d", text));
  return *t;
}

struct ListOptions {
  bool json = false;
  std::string since, record;
  std::vector<std::string> actions;
};

std::string entry_line(const vault::AuditEntry& e) {
  std::string details;
  for (const auto& [k, v] : e.details) details += fmt::format("{}{}={}", details.empty() ? "" : " ", k, v);
  return fmt::format("{:<20}  {:<30}  {:<16}  {}\n", e.time, e.action, e.certificate.empty() ? "-" : e.certificate,
                     printable(details));
}

Status run_list(Globals& g, const ListOptions& o) {
  g.json_errors = o.json;
  TRY_ASSIGN(SystemClock clock, make_clock());
  vault::AuditFilter filter;
  if (!o.since.empty()) {
    TRY_ASSIGN(filter.since, parse_since(o.since, clock.now()));
  }
  for (const auto& a : o.actions) {
    if (a.empty() || a.size() > 200) return Error(Category::Usage, "--action", "must name an action or a prefix ending in . or *");
    filter.actions.push_back(a);
  }
  filter.record = o.record;
  TRY_ASSIGN(Session s, open_session(g));
  // One line at a time: nothing of the log is held beyond what the store read.
  return s.vault.read_audit(filter, [&](const vault::AuditEntry& e) -> Status {
    print_out(o.json ? output::audit_entry_json(e) + "\n" : entry_line(e));
    return ok();
  });
}

}  // namespace

void setup_audit(CLI::App& app, Globals& g) {
  CLI::App* audit = app.add_subcommand(
      "audit", "The audit log: list its lines (time, action, record, details), or verify its chain");
  audit->require_subcommand(0, 1);
  auto list = std::make_shared<ListOptions>();
  audit->add_flag("--json", list->json, "Print JSON lines: one object per audit line (seq, time, user, host, action, record, details)");
  audit->add_option("--since", list->since, "Only lines at or after this time: RFC 3339, or a duration before now (30m, 24h, 7d, 2w)");
  audit->add_option("--action", list->actions,
                    "Only these actions (repeat): an exact name, or a prefix ending in . or * (certificate.*)")
      ->allow_extra_args(false);
  audit->add_option("--record", list->record, "Only lines about this record");
  audit->footer("Without a subcommand: list the lines, oldest first. Old names (show-key, export, export-pfx) match\n"
                "their new ones (certificate.key_viewed, certificate.pem_exported, certificate.pfx_exported).");
  audit->callback([&g, audit, list] {
    if (audit->get_subcommands().empty()) g.action = [&g, list]() -> Status { return run_list(g, *list); };
  });

  auto json = std::make_shared<bool>(false);
  CLI::App* verify = audit->add_subcommand(
      "verify", "Unlock the vault and check that no line of audit.log was edited, removed, inserted or moved");
  verify->add_flag("--json", *json, "Print the report as JSON");
  verify->footer(
      "Exit status: 0 when the chain is intact (lines written without the vault key after the last keyed line are\n"
      "reported as unverifiable), 5 when a line was edited, removed, inserted or moved, or lines were cut from the end.");
  verify->callback([&g, json] { g.action = [&g, json]() -> Status { return run_verify(g, *json); }; });
}

}  // namespace certctl::cli
