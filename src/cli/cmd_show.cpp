// certctl show NAME [--json] [--pem cert|chain|fullchain|csr|key] [--version N]
#include "cli/common.hpp"

#include <certctl/output.hpp>

#include <cstdio>

#include <CLI/CLI.hpp>

namespace certctl::cli {

void setup_show(CLI::App& app, Globals& g) {
  struct Opts {
    std::string name, pem;
    int version = 0;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand("show", "Show every field of a certificate, or one of its PEM files");
  sub->add_option("name", o->name, "Record name")->required();
  sub->add_flag("--json", o->json, "Print JSON");
  sub->add_option("--pem", o->pem, "Print one PEM: cert, chain, fullchain, csr or key (key asks to unlock; audited)");
  sub->add_option("--version", o->version, "An older version from the history (see `show NAME`)")
      ->check(CLI::PositiveNumber);
  sub->callback([&g, o] {
    g.action = [&g, o]() -> Status {
      g.json_errors = o->json;
      if (o->pem.empty()) {
        TRY_ASSIGN(Session s, open_session(g));
        TRY_ASSIGN(vault::Record r, s.vault.load(o->name));
        if (o->version) TRY(lifecycle::resolve_version(r, o->version));
        TRY_ASSIGN(output::DeployResults deployed, vault::load_all_deploy_results(s.vault));
        // Where discovery saw this record's certificates (none for a discovered record itself).
        TRY_ASSIGN(std::vector<lifecycle::ServedPlace> served, lifecycle::served_places(s.ctx(), r));
        print_out(o->json ? output::record_json(r, s.clock.now(), &deployed, &served)
                          : output::record_details(r, s.clock.now(), color_stdout(g), &deployed, &served));
        return ok();
      }
      TRY_ASSIGN(lifecycle::PemKind kind, lifecycle::parse_pem_kind(o->pem));
      TRY_ASSIGN(Session s, kind == lifecycle::PemKind::Key ? open_unlocked(g) : open_session(g));
      TRY_ASSIGN(vault::Record r, s.vault.load(o->name));
      TRY_ASSIGN(int v, lifecycle::resolve_version(r, o->version));
      TRY_ASSIGN(SecretBytes pem, lifecycle::read_pem(s.ctx(), r, v, kind));
      std::fwrite(pem.data(), 1, pem.size(), stdout);
      std::fflush(stdout);
      return ok();
    };
  });
}

}  // namespace certctl::cli
