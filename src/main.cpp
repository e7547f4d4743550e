// certctl entry point: parse, run the one chosen action, map its Error to an exit code.
// No exception and no stack trace reaches the user.
#include "cli/common.hpp"
#include "cli/help.hpp"

#include <certctl/challenge.hpp>
#include <certctl/interrupt.hpp>
#include <certctl/process.hpp>

#include <certctl/lifecycle.hpp>
#include <certctl/output.hpp>

#include <cstdio>
#include <exception>
#include <string_view>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace {

int report(const certctl::Error& e, const certctl::cli::Globals& g) {
  certctl::cli::clear_progress();
  if (g.json_errors) certctl::cli::print_out(certctl::output::error_json(e));
  std::fflush(stdout);
  fmt::print(stderr, "certctl: {}\n", e.text());
  return e.exit_code();
}

}  // namespace

int main(int argc, char** argv) {
  certctl::proc::harden_process();
  // The re-executed helper processes (never typed by a user: each reads its socket on fd 3).
  // The responder child (challenge::Responders::spawn): nothing else of main runs.
  if (argc > 1 && std::string_view(argv[1]) == certctl::challenge::kResponderArg)
    return certctl::challenge::responder_main(argc, argv);
  // The network process of issue/renew (lifecycle::detail::run_in_network_process).
  if (argc == 2 && std::string_view(argv[1]) == "--network-process") {
    certctl::install_interrupt_handlers();
    return certctl::lifecycle::network_process_main(3);
  }
  certctl::cli::Globals g;
  certctl::install_interrupt_handlers();
  try {
    CLI::App app;
    certctl::cli::build_app(app, g);
    if (argc <= 1) {
      fmt::print(stderr, "{}", certctl::cli::help_text(app));
      return certctl::exit_code(certctl::Category::Usage);
    }
    try {
      app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
      return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
      return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
      return app.exit(e);
    } catch (const CLI::ParseError& e) {
      // One line, like every other error (certctl(1), EXIT STATUS).
      fmt::print(stderr, "certctl: {}\n", certctl::cli::parse_error_line(app, e.what()));
      return certctl::exit_code(certctl::Category::Usage);
    }
    if (!g.action) {
      fmt::print(stderr, "{}", app.help());
      return certctl::exit_code(certctl::Category::Usage);
    }
    if (certctl::Status traced = certctl::cli::install_trace(g); !traced) return report(traced.error(), g);
    certctl::Status st = g.action();
    if (std::fflush(stdout) != 0 && st)
      st = certctl::Error(certctl::Category::Internal, "stdout", "cannot write output");
    if (!st) return report(st.error(), g);
    return g.exit_override;
  } catch (const std::exception& e) {
    return report(certctl::Error(certctl::Category::Internal, "internal error", e.what(),
                                 "please report this as a bug"), g);
  } catch (...) {
    return report(certctl::Error(certctl::Category::Internal, "internal error", "unknown exception"), g);
  }
}
