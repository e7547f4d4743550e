// certctl audit verify [--json]: check the audit log's chain (src/vault/audit_chain.hpp).
// `audit` is a group so that listing the log (`certctl audit [--json] [--since] [--action]`)
// can be added as the group's own action beside `verify`.
#include "cli/common.hpp"

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

}  // namespace

void setup_audit(CLI::App& app, Globals& g) {
  CLI::App* audit = app.add_subcommand("audit", "The audit log: verify its chain");
  audit->require_subcommand(1);

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
