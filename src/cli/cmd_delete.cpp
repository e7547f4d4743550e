// certctl delete NAME [--yes]
#include "cli/common.hpp"
#include "cli/named.hpp"

#include <certctl/terminal.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

void setup_delete(CLI::App& app, Globals& g) {
  struct Opts {
    std::string name;
    bool yes = false;
  };
  auto bind = [](CLI::App& sub, Opts& o) {
    sub.alias("rm");
    sub.add_option("name", o.name, "Record name")->required();
    sub.add_flag("--yes,-y", o.yes, "Do not ask for confirmation");
  };
  command<Opts>(app, g, "delete", "Delete a record, its keys and its history", bind, [&g](Opts& o) -> Status {
    TRY_ASSIGN(Session s, open_session(g));
    TRY_ASSIGN(vault::Record r, s.vault.load(o.name));
    if (!o.yes)
      TRY(term::confirm(fmt::format("Delete '{}' ({}, {}) with its keys and {} older version(s)?", r.name, r.domain,
                                    vault::status_name(r.status), r.history.size()),
                        r.name));
    TRY(lifecycle::remove(s.ctx(), o.name));
    note(g, fmt::format("deleted '{}'", o.name));
    return ok();
  });
}

}  // namespace certctl::cli
