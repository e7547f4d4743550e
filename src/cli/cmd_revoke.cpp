// certctl revoke NAME --reason R [--yes]
#include "cli/common.hpp"

#include <certctl/terminal.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

void setup_revoke(CLI::App& app, Globals& g) {
  struct Opts {
    std::string name, reason = "unspecified";
    bool yes = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand("revoke", "Revoke a certificate at the CA that issued it (permanent)");
  sub->add_option("name", o->name, "Record name")->required();
  sub->add_option("--reason", o->reason,
                  "unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation")
      ->capture_default_str();
  sub->add_flag("--yes,-y", o->yes, "Do not ask for confirmation");
  sub->callback([&g, o] {
    g.action = [&g, o]() -> Status {
      TRY_ASSIGN(int reason, lifecycle::parse_revoke_reason(o->reason));
      TRY_ASSIGN(Session s, open_unlocked(g));
      TRY_ASSIGN(vault::Record r, s.vault.load(o->name));
      if (!o->yes)
        TRY(term::confirm(fmt::format("Revoke '{}' ({}, serial {}) for good?", r.name, r.domain,
                                      r.cert ? r.cert->serial_hex : "-"),
                          r.name));
      TRY_ASSIGN(vault::Record done, lifecycle::revoke(s.ctx(), o->name, reason));
      note(g, fmt::format("revoked '{}' at {} ({})", done.name, done.issued_by, done.revoke_reason));
      return ok();
    };
  });
}

}  // namespace certctl::cli
