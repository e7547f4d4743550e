#pragma once
// One front end for the command shapes that repeat: a subcommand whose options fill a struct
// and whose action runs after parsing, and `list`/`show`/`remove` of named things (CA
// profiles, accounts, DNS providers, notifiers, deploy targets). Private to src/cli.
#include "cli/common.hpp"

#include <certctl/terminal.hpp>

#include <functional>
#include <memory>
#include <string>
#include <type_traits>

#include <CLI/CLI.hpp>

namespace certctl::cli {

/// A subcommand whose options `bind(sub, opts)` adds into an Opts that lives as long as the
/// App; once parsed, the action is `run(opts)` (or `run(opts, sub)` when it asks for the
/// subcommand, e.g. to see which options were given); either may take the Globals first.
template <class Opts, class Bind, class Run>
CLI::App* command(CLI::App& parent, Globals& g, const std::string& name, const std::string& help, Bind bind, Run run) {
  auto o = std::make_shared<Opts>();
  CLI::App* sub = parent.add_subcommand(name, help);
  bind(*sub, *o);
  sub->callback([&g, o, sub, run] {
    g.action = [&g, o, sub, run]() -> Status {
      if constexpr (std::is_invocable_v<Run, Globals&, Opts&, CLI::App&>) {
        return run(g, *o, *sub);
      } else if constexpr (std::is_invocable_v<Run, Globals&, Opts&>) {
        return run(g, *o);
      } else if constexpr (std::is_invocable_v<Run, Opts&, CLI::App&>) {
        return run(*o, *sub);
      } else {
        return run(*o);
      }
    };
  });
  return sub;
}

/// A command made only of subcommands (`dns`, `notify`, ...): one of them is required.
inline CLI::App* group(CLI::App& app, const std::string& name, const std::string& help) {
  CLI::App* sub = app.add_subcommand(name, help);
  sub->require_subcommand(1);
  return sub;
}

/// How `list` prints: JSON, a table, or (when nothing is there and it is set) a note.
template <class Load, class Json, class Table>
struct ListSpec {
  std::string help;       ///< "List DNS providers"
  std::string json_help;  ///< "Print a JSON array"
  Load load;              ///< (Session&) -> Result<std::vector<T>>
  Json json;              ///< (const std::vector<T>&) -> std::string
  Table table;            ///< (const std::vector<T>&) -> std::string
  std::string empty_note; ///< "" = print the table even when empty
};
template <class Load, class Json, class Table>
ListSpec(std::string, std::string, Load, Json, Table, std::string) -> ListSpec<Load, Json, Table>;

/// `list [--json]`.
template <class Load, class Json, class Table>
CLI::App* add_list(CLI::App& parent, Globals& g, ListSpec<Load, Json, Table> spec) {
  struct Opts {
    bool json = false;
  };
  auto bind = [help = spec.json_help](CLI::App& sub, Opts& o) { sub.add_flag("--json", o.json, help); };
  return command<Opts>(parent, g, "list", spec.help, bind, [&g, spec](Opts& o) -> Status {
    g.json_errors = o.json;
    TRY_ASSIGN(Session s, open_session(g));
    TRY_ASSIGN(auto all, spec.load(s));
    if (o.json) {
      print_out(spec.json(all));
    } else if (all.empty() && !spec.empty_note.empty()) {
      note(g, spec.empty_note);
    } else {
      print_out(spec.table(all));
    }
    return ok();
  });
}

/// The name option of show/remove: "name" (positional) or a flag such as "--ca"; required.
struct NameOption {
  std::string option = "name";
  std::string help = "Its name";
};

/// `show NAME [--json]`: load(session, name) -> Result<T>, then json(T) or text(T).
template <class Load, class Json, class Text>
CLI::App* add_show(CLI::App& parent, Globals& g, const std::string& help, NameOption name, Load load, Json json,
                   Text text) {
  struct Opts {
    std::string name;
    bool json = false;
  };
  auto bind = [name](CLI::App& sub, Opts& o) {
    sub.add_option(name.option, o.name, name.help)->required();
    sub.add_flag("--json", o.json, "Print JSON");
  };
  return command<Opts>(parent, g, "show", help, bind, [&g, load, json, text](Opts& o) -> Status {
    g.json_errors = o.json;
    TRY_ASSIGN(Session s, open_session(g));
    TRY_ASSIGN(auto value, load(s, o.name));
    print_out(o.json ? json(value) : text(value));
    return ok();
  });
}

/// `remove NAME`: remove(session, name) -> Status, then the note done(name). With a
/// confirmation question, also `--yes,-y`, and the question asked without it.
template <class Remove, class Done>
CLI::App* add_remove(CLI::App& parent, Globals& g, const std::string& help, NameOption name, Remove remove,
                     Done done, std::function<std::string(const std::string&)> question = {}) {
  struct Opts {
    std::string name;
    bool yes = false;
  };
  auto bind = [name, question](CLI::App& sub, Opts& o) {
    sub.add_option(name.option, o.name, name.help)->required();
    if (question) sub.add_flag("--yes,-y", o.yes, "Do not ask for confirmation");
  };
  return command<Opts>(parent, g, "remove", help, bind, [&g, remove, done, question](Opts& o) -> Status {
    TRY_ASSIGN(Session s, open_session(g));
    if (question && !o.yes) TRY(term::confirm(question(o.name), o.name));
    TRY(remove(s, o.name));
    note(g, done(o.name));
    return ok();
  });
}

}  // namespace certctl::cli
