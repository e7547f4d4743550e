// Help output and parse errors: usage lines with the whole command path ("certctl ca local
// init"), the exit-status footer made from the error table, `certctl help COMMAND...`, and the
// "did you mean" line for an unknown command or option.
#include "cli/help.hpp"

#include "cli/common.hpp"

#include <certctl/error.hpp>

#include <algorithm>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

namespace {

/// CLI11's formatter, but the usage line names the command from the root down.
class PathFormatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App* app, std::string /*name*/) const override {
    return CLI::Formatter::make_usage(app, command_path(app));
  }
};

/// Optimal string alignment distance (a swap of two neighbours counts once).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

/// The candidate nearest `word`, when it is near enough to be a typo: at most a third of the
/// candidate's length (at least 1) edits away, and fewer edits than its length.
std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = 0;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d >= c.size() || d > std::max<std::size_t>(1, c.size() / 3)) continue;
    if (best.empty() || d < best_d) {
      best = c;
      best_d = d;
    }
  }
  return best;
}

std::vector<std::string> subcommand_names(const CLI::App& cmd) {
  std::vector<std::string> out;
  for (const CLI::App* sub : cmd.get_subcommands([](const CLI::App* s) { return !s->get_name().empty() && !s->get_disabled(); }))
    out.push_back(sub->get_name());
  return out;
}

/// The long options of `cmd` and of the commands above it (their options are accepted after
/// the command too), without the dashes.
std::vector<std::string> long_option_names(const CLI::App& cmd) {
  std::vector<std::string> out;
  for (const CLI::App* a = &cmd; a; a = a->get_parent())
    for (const CLI::Option* opt : a->get_options())
      for (const auto& n : opt->get_lnames()) out.push_back(n);
  return out;
}

/// "ca local init": the command's names below the root ("" for the root).
std::string path_below_root(const CLI::App* app) {
  std::vector<std::string> names;
  for (; app && app->get_parent(); app = app->get_parent()) names.push_back(app->get_name());
  std::reverse(names.begin(), names.end());
  return fmt::format("{}", fmt::join(names, " "));
}

/// "see `certctl help ca`" or "see `certctl --help`".
std::string help_hint(const CLI::App& cmd) {
  return cmd.get_parent() ? fmt::format("see `certctl help {}`", path_below_root(&cmd)) : std::string("see `certctl --help`");
}

}  // namespace

std::string command_path(const CLI::App* app) {
  const CLI::App* root = app;
  while (root->get_parent()) root = root->get_parent();
  const std::string below = path_below_root(app);
  return below.empty() ? root->get_name() : root->get_name() + " " + below;
}

std::string help_text(const CLI::App& cmd) {
  return cmd.get_formatter()->make_help(&cmd, command_path(&cmd), CLI::AppFormatMode::Normal);
}

void setup_help_output(CLI::App& app) {
  app.formatter(std::make_shared<PathFormatter>());
  app.footer(exit_status_footer());
}

void setup_help(CLI::App& app, Globals& g) {
  auto path = std::make_shared<std::vector<std::string>>();
  CLI::App* sub = app.add_subcommand("help", "Show help for certctl or for one command (e.g. `certctl help ca local init`)");
  sub->add_option("command", *path, "Command path");
  sub->callback([&g, path, &app] {
    g.action = [path, &app]() -> Status {
      CLI::App* target = &app;
      for (const auto& word : *path) {
        CLI::App* next = nullptr;
        try {
          next = target->get_subcommand(word);
        } catch (const CLI::OptionNotFound&) {
        }
        if (!next) {
          const std::string near = closest(word, subcommand_names(*target));
          return Status(Error(Category::Usage, fmt::format("help '{}'", fmt::join(*path, " ")),
                              near.empty() ? "no such command; see `certctl --help`"
                                           : fmt::format("no such command; did you mean `{}`?", near)));
        }
        target = next;
      }
      print_out(help_text(*target));
      return ok();
    };
  });
}

std::string exit_status_footer() {
  std::string text = "Exit status: 0 ok,";
  std::size_t line_start = 0;
  const auto n = std::size(kAllCategories);
  for (std::size_t i = 0; i < n; ++i) {
    const Category c = kAllCategories[i];
    const std::string item = fmt::format(" {} {}{}", exit_code(c), category_summary(c), i + 1 < n ? "," : ".");
    if (text.size() - line_start + item.size() > 100) {
      text += '\n';
      line_start = text.size();
      text += item.substr(1);
    } else {
      text += item;
    }
  }
  return text + " See certctl(1).";
}

std::string parse_error_line(const CLI::App& root, std::string_view what) {
  // The deepest command parsed is the one at fault; its leftovers are what it did not expect.
  const CLI::App* cmd = &root;
  for (auto subs = cmd->get_subcommands(); !subs.empty(); subs = cmd->get_subcommands()) cmd = subs.front();
  const std::string where = cmd->get_parent() ? path_below_root(cmd) + ": " : "";
  for (const std::string& word : root.remaining(true)) {
    if (word.rfind("--", 0) == 0 && word.size() > 2) {
      const std::string name = word.substr(2, word.find('=') - 2);  // npos - 2 is still "to the end"
      const std::string near = closest(name, long_option_names(*cmd));
      if (!near.empty())
        return fmt::format("{}unknown option '--{}'; did you mean `--{}`? ({})", where, printable(name), near,
                           help_hint(*cmd));
    } else if (!word.empty() && word[0] != '-') {
      const std::string near = closest(word, subcommand_names(*cmd));
      if (!near.empty())
        return fmt::format("{}unknown command '{}'; did you mean `{}`? ({})", where, printable(word), near,
                           help_hint(*cmd));
    }
  }
  return fmt::format("{} ({})", printable(what), help_hint(*cmd));
}

}  // namespace certctl::cli
