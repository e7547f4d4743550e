#include <catch2/catch.hpp>

#include <cstdlib>

#include "cli/common.hpp"
#include "temp_dir.hpp"

#include <certctl/trace.hpp>

#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include <CLI/CLI.hpp>

using namespace certctl;

namespace {
/// Parse argv with the real command tree (CLI11's TApp idea): returns the Globals.
struct TApp {
  CLI::App app;
  cli::Globals g;
  TApp() { cli::build_app(app, g); }
  void parse(std::vector<std::string> args) {
    std::reverse(args.begin(), args.end());
    app.parse(args);
  }
};
}  // namespace

TEST_CASE("global options are accepted before and after the command", "[cli]") {
  TApp a;
  a.parse({"--vault", "/tmp/v1", "list", "--no-color"});
  CHECK(a.g.vault_dir == "/tmp/v1");
  CHECK(a.g.no_color);
  CHECK(static_cast<bool>(a.g.action));
  TApp b;
  b.parse({"show", "web", "--passphrase-file", "/p", "--json"});
  CHECK(b.g.passphrase_file == "/p");
}

TEST_CASE("global options -v, --debug and --log-file, also from the environment", "[cli]") {
  TApp a;
  a.parse({"-v", "list", "--log-file", "/tmp/trace.log"});
  CHECK(a.g.verbose);
  CHECK_FALSE(a.g.debug);
  CHECK(a.g.log_file == "/tmp/trace.log");
  TApp b;
  b.parse({"renew", "--debug", "--verbose"});
  CHECK(b.g.debug);
  CHECK(b.g.verbose);
  ::setenv("CERTCTL_DEBUG", "1", 1);
  ::setenv("CERTCTL_LOG_FILE", "/tmp/env.log", 1);
  TApp c;
  c.parse({"list"});
  ::unsetenv("CERTCTL_DEBUG");
  ::unsetenv("CERTCTL_LOG_FILE");
  CHECK(c.g.debug);
  CHECK_FALSE(c.g.verbose);
  CHECK(c.g.log_file == "/tmp/env.log");
}

TEST_CASE("there is no option that takes a passphrase on the command line", "[cli]") {
  TApp a;
  CHECK_THROWS_AS(a.parse({"--passphrase", "secret", "list"}), CLI::ParseError);
}

TEST_CASE("required options and unknown commands are usage errors", "[cli]") {
  TApp a;
  CHECK_THROWS_AS(a.parse({"ca", "add", "x"}), CLI::ParseError);  // --directory missing
  TApp b;
  CHECK_THROWS_AS(b.parse({"frobnicate"}), CLI::ParseError);
  TApp c;
  CHECK_THROWS_AS(c.parse({"ca", "local"}), CLI::ParseError);  // needs init or export-root
}

TEST_CASE("every command has help text", "[cli]") {
  TApp a;
  for (const auto* sub : a.app.get_subcommands([](CLI::App*) { return true; })) {
    INFO(sub->get_name());
    CHECK_FALSE(sub->get_description().empty());
  }
}

// ---- the list/show/remove front end (ca, dns, notify, deploy, account) ------------------------

#include "temp_dir.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace {

/// Runs the parsed action with stdout captured in a file; returns (status, stdout).
std::pair<Status, std::string> run_captured(TApp& a, const test::TempDir& dir) {
  std::fflush(stdout);
  const std::string path = dir.file("stdout.txt");
  FILE* out = std::fopen(path.c_str(), "w");
  const int saved = ::dup(STDOUT_FILENO);
  ::dup2(::fileno(out), STDOUT_FILENO);
  Status st = a.g.action();
  std::fflush(stdout);
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  std::fclose(out);
  std::ifstream in(path);
  return {std::move(st), std::string(std::istreambuf_iterator<char>(in), {})};
}

struct VaultApp {
  test::TempDir dir;
  vault::Vault vault = test::make_vault(dir);
  TApp app;
  explicit VaultApp(std::vector<std::string> args) {
    args.insert(args.begin(), {"--vault", dir.file("vault"), "--quiet"});
    app.parse(std::move(args));
  }
};

}  // namespace

TEST_CASE("named-config commands keep their names, options and required arguments", "[cli]") {
  for (std::vector<std::string> ok_args : std::vector<std::vector<std::string>>{
           {"dns", "list", "--json"}, {"dns", "show", "p", "--json"}, {"dns", "remove", "p"},
           {"notify", "list"}, {"notify", "remove", "n"}, {"notify", "test", "n"},
           {"deploy", "list", "--json"}, {"deploy", "remove", "t"}, {"deploy", "run", "a", "b"},
           {"ca", "list", "--json"}, {"ca", "show", "pebble"}, {"ca", "remove", "x", "-y"},
           {"ca", "local", "export-root", "--out", "/tmp/x"}, {"account", "show", "--ca", "x", "--json"},
           {"account", "deactivate", "--ca", "x", "--yes"}, {"delete", "x", "-y"}, {"rm", "x"},
           {"orders", "--json"}}) {
    INFO(ok_args.front() << " " << ok_args[1]);
    TApp a;
    a.parse(ok_args);
    CHECK(static_cast<bool>(a.g.action));
  }
  for (std::vector<std::string> bad_args : std::vector<std::vector<std::string>>{
           {"dns", "show"}, {"dns", "remove"}, {"notify", "remove"}, {"deploy", "remove"}, {"ca", "show"},
           {"account", "show"}, {"dns", "remove", "p", "--yes"}, {"notify", "remove", "n", "--json"},
           {"account", "update", "--ca", "x"}}) {
    INFO(bad_args.front() << " " << bad_args[1]);
    TApp a;
    CHECK_THROWS_AS(a.parse(bad_args), CLI::ParseError);
  }
}

TEST_CASE("list prints a table or JSON, and a note (not a table) when empty", "[cli]") {
  VaultApp empty({"notify", "list"});
  auto [st, out] = run_captured(empty.app, empty.dir);
  REQUIRE(st.ok());
  CHECK(out.empty());
  VaultApp json({"deploy", "list", "--json"});
  auto [st2, out2] = run_captured(json.app, json.dir);
  REQUIRE(st2.ok());
  CHECK(json.app.g.json_errors);
  CHECK(out2 == "[]\n");
  VaultApp cas({"ca", "list"});
  auto [st3, out3] = run_captured(cas.app, cas.dir);
  REQUIRE(st3.ok());
  CHECK(out3.rfind("NAME                   TYPE   DIRECTORY\n", 0) == 0);
  CHECK(out3.find("\nlocal                  local  (vault)\n") != std::string::npos);
}

TEST_CASE("show and remove name what is missing; show --json reports errors as JSON", "[cli]") {
  VaultApp show({"dns", "show", "nosuch", "--json"});
  auto [st, out] = run_captured(show.app, show.dir);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().category() == Category::NotFound);
  CHECK(show.app.g.json_errors);
  CHECK(out.empty());
  VaultApp remove({"notify", "remove", "nosuch"});
  auto [st2, out2] = run_captured(remove.app, remove.dir);
  REQUIRE_FALSE(st2.ok());
  CHECK(st2.error().category() == Category::NotFound);
  VaultApp ca({"ca", "show", "pebble-nosuch"});
  auto [st3, out3] = run_captured(ca.app, ca.dir);
  REQUIRE_FALSE(st3.ok());
  CHECK_THAT(st3.error().text(), Catch::Matchers::Contains("pebble-nosuch"));
}

TEST_CASE("deploy add checks --mode before touching the vault", "[cli]") {
  TApp a;
  a.parse({"--vault", "/nonexistent/vault", "deploy", "add", "t", "--key", "/k.pem", "--key-mode", "0800"});
  Status st = a.g.action();
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().category() == Category::Usage);
  CHECK(st.error().text() == "--key-mode: not an octal number: '0800'");
}

// ---- help output and parse errors (src/cli/help.cpp) ----------------------------------------

#include "cli/help.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace {

/// The line main() prints for a command line CLI11 refuses ("" when it parses).
std::string parse_error(std::vector<std::string> args) {
  TApp a;
  try {
    a.parse(std::move(args));
  } catch (const CLI::ParseError& e) {
    return cli::parse_error_line(a.app, e.what());
  }
  return {};
}

}  // namespace

TEST_CASE("an unknown command or option suggests the closest one of the command at fault", "[cli]") {
  CHECK(parse_error({"lst"}) == "unknown command 'lst'; did you mean `list`? (see `certctl --help`)");
  CHECK(parse_error({"revoek", "web"}) == "unknown command 'revoek'; did you mean `revoke`? (see `certctl --help`)");
  CHECK(parse_error({"ca", "lcal"}) == "ca: unknown command 'lcal'; did you mean `local`? (see `certctl help ca`)");
  CHECK(parse_error({"ca", "local", "int"}) ==
        "ca local: unknown command 'int'; did you mean `init`? (see `certctl help ca local`)");
  CHECK(parse_error({"list", "--jsn"}) == "list: unknown option '--jsn'; did you mean `--json`? (see `certctl help list`)");
  CHECK(parse_error({"show", "web", "--jsno=1"}) ==
        "show: unknown option '--jsno'; did you mean `--json`? (see `certctl help show`)");
  // A global option is accepted after the command, so it is a candidate there too.
  CHECK(parse_error({"list", "--vaultt", "/v"}) ==
        "list: unknown option '--vaultt'; did you mean `--vault`? (see `certctl help list`)");
  CHECK(parse_error({"dns", "add", "p", "--provider", "exec", "--hook-timout", "5"}).find("did you mean `--hook-timeout`?") !=
        std::string::npos);
  // Nothing near enough: CLI11's own message, still one line with where to look.
  CHECK(parse_error({"frobnicate"}) == "A subcommand is required (see `certctl --help`)");
  CHECK(parse_error({"list", "--zzzzzz"}) ==
        "The following argument was not expected: --zzzzzz (see `certctl help list`)");
  CHECK(parse_error({"list"}).empty());
}

TEST_CASE("usage lines name the whole command path", "[cli]") {
  TApp a;
  const CLI::App* init = a.app.get_subcommand("ca")->get_subcommand("local")->get_subcommand("init");
  CHECK(cli::command_path(init) == "certctl ca local init");
  CHECK_THAT(cli::help_text(*init), Catch::Matchers::Contains("Usage: certctl ca local init [OPTIONS]\n"));
  CHECK_THAT(cli::help_text(*a.app.get_subcommand("issue")), Catch::Matchers::Contains("Usage: certctl issue [OPTIONS]"));
  const std::string root = cli::help_text(a.app);
  CHECK_THAT(root, Catch::Matchers::Contains("Usage: certctl [OPTIONS] SUBCOMMAND"));
  CHECK_THAT(root, Catch::Matchers::Contains("\n  list, ls "));
  CHECK_THAT(root, Catch::Matchers::Contains("\n  help "));
}

TEST_CASE("the --help footer lists every exit code of the error table", "[cli]") {
  std::string footer = cli::exit_status_footer();
  std::replace(footer.begin(), footer.end(), '\n', ' ');
  CHECK_THAT(footer, Catch::Matchers::StartsWith("Exit status: 0 ok, 1 aborted,"));
  for (Category c : kAllCategories) {
    INFO(category_name(c));
    CHECK_THAT(footer, Catch::Matchers::Contains(fmt::format(" {} {}", exit_code(c), category_summary(c))));
  }
  CHECK_THAT(footer, Catch::Matchers::Contains("11 deploy failed"));
  CHECK_THAT(footer, Catch::Matchers::EndsWith("70 internal. See certctl(1)."));
  TApp a;
  CHECK(a.app.get_footer() == cli::exit_status_footer());
}

TEST_CASE("kAllCategories holds each category once, in exit-code order", "[cli]") {
  int last = 0;
  for (Category c : kAllCategories) {
    CHECK(exit_code(c) > last);
    last = exit_code(c);
  }
  CHECK(std::size(kAllCategories) == static_cast<std::size_t>(Category::Internal) + 1);
}

TEST_CASE("log file: the trace appended to a 0600 file, the -v level unless --debug", "[cli]") {
  test::TempDir dir;
  cli::Globals g;
  g.log_file = dir.file("trace.log");
  REQUIRE(cli::install_trace(g));
  trace::step("order created");
  trace::debug("http> GET https://ca/dir");  // not at the -v level
  trace::step("Authorization: Bearer t0k3n\x1b[2J");
  g.debug = true;
  REQUIRE(cli::install_trace(g));  // appends
  trace::debug("dns> one\ntwo");
  trace::install(trace::Level::Off, {});
  std::ifstream in(g.log_file);
  std::stringstream text;
  text << in.rdbuf();
  const std::string log = text.str();
  INFO(log);
  CHECK(log.find(" step: order created\n") != std::string::npos);
  CHECK(log.find("http>") == std::string::npos);
  CHECK(log.find(" step: Authorization: <redacted>\n") != std::string::npos);
  CHECK(log.find(" debug: dns> one\ntwo\n") != std::string::npos);
  CHECK(std::count(log.begin(), log.end(), '\n') == 4);
  struct stat st {};
  REQUIRE(::stat(g.log_file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  g.log_file = dir.file("missing/trace.log");
  auto refused = cli::install_trace(g);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().category() == Category::Config);
  CHECK(refused.error().subject() == g.log_file);
}
