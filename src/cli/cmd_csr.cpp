// certctl csr NAME [--csr-file F]
#include "cli/common.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

void setup_csr(CLI::App& app, Globals& g) {
  struct Opts {
    std::string name, csr_file;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand("csr", "Generate the private key (encrypted in the vault) and the CSR");
  sub->add_option("name", o->name, "Record name")->required();
  sub->add_option("--csr-file", o->csr_file, "Adopt a CSR made elsewhere (PEM or DER); no key is stored");
  sub->footer("Status becomes pending. Next: certctl issue NAME.");
  sub->callback([&g, o] {
    g.action = [&g, o]() -> Status {
      if (!o->csr_file.empty()) {
        TRY_ASSIGN(Session s, open_session(g));
        TRY_ASSIGN(vault::Record r, lifecycle::adopt_csr(s.ctx(), o->name, o->csr_file));
        note(g, fmt::format("'{}' now uses the CSR from {} (no key stored); next: certctl issue {}", r.name,
                            o->csr_file, r.name));
        return ok();
      }
      TRY_ASSIGN(Session s, open_unlocked(g));
      TRY_ASSIGN(vault::Record r, lifecycle::make_csr(s.ctx(), o->name));
      note(g, fmt::format("'{}': {} key and CSR created; next: certctl issue {}", r.name, r.key_type, r.name));
      return ok();
    };
  });
}

}  // namespace certctl::cli
