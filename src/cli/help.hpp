#pragma once
// Help output and parse errors (src/cli/help.cpp). CLI11 stays out of this header.
#include <string>
#include <string_view>

namespace CLI {
class App;
}

namespace certctl::cli {

struct Globals;

/// "certctl ca local init": the command's names from the root down.
std::string command_path(const CLI::App* app);
/// The command's `--help` text, its usage line naming the whole path.
std::string help_text(const CLI::App& cmd);
/// "Exit status: 0 ok, 1 aborted, ...": made from the error table (kAllCategories).
std::string exit_status_footer();
/// The root's formatter (usage lines with the command path) and footer; call before the
/// commands are added, so they share the formatter.
void setup_help_output(CLI::App& app);
/// `certctl help [COMMAND...]`.
void setup_help(CLI::App& app, Globals& g);
/// The one stderr line (without "certctl: ") for a parse error of `root`: for an unknown
/// command or long option of the command at fault, the closest name ("did you mean `list`?")
/// when one is near enough; else CLI11's message `what`. Both end with where to find help.
std::string parse_error_line(const CLI::App& root, std::string_view what);

}  // namespace certctl::cli
