#include <catch2/catch.hpp>

#include "cli/common.hpp"

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

TEST_CASE("there is no option that takes a passphrase on the command line", "[cli]") {
  TApp a;
  CHECK_THROWS_AS(a.parse({"--passphrase", "secret", "list"}), CLI::ParseError);
}

TEST_CASE("required options and unknown commands are usage errors", "[cli]") {
  TApp a;
  CHECK_THROWS_AS(a.parse({"import", "x", "--cert", "c.pem"}), CLI::ParseError);  // --key missing
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
