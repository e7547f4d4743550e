// certctl export NAME --dir D | export-pfx NAME --out F
#include "cli/common.hpp"

#include <certctl/fs.hpp>

#include <cstdio>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

void setup_export(CLI::App& app, Globals& g) {
  struct Opts {
    std::string name, dir;
    int version = 0;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand("export", "Write cert.pem, chain.pem, fullchain.pem and key.pem to a directory");
  sub->add_option("name", o->name, "Record name")->required();
  sub->add_option("--dir", o->dir, "Target directory (created 0700 if missing)")->required();
  sub->add_option("--version", o->version, "Export an older version from the history")->check(CLI::PositiveNumber);
  sub->callback([&g, o] {
    g.action = [&g, o]() -> Status {
      TRY_ASSIGN(Session s, open_session(g));
      TRY_ASSIGN(vault::Record r, s.vault.load(o->name));
      // Unlock only when there is a key to write.
      TRY_ASSIGN(int v, lifecycle::resolve_version(r, o->version));
      if (auto has = s.vault.has_file(r.name, v, "key.enc"); has && *has)
        TRY(lifecycle::unlock(s.vault, unlock_options(g)));
      TRY_ASSIGN(lifecycle::ExportResult res, lifecycle::export_files(s.ctx(), o->name, o->version, o->dir));
      for (const auto& f : res.files) note(g, fmt::format("wrote {}", f));
      if (!res.no_key.empty()) note(g, fmt::format("no key.pem: {}", res.no_key));
      return ok();
    };
  });
}

void setup_export_pfx(CLI::App& app, Globals& g) {
  auto o = std::make_shared<std::pair<std::string, lifecycle::PfxRequest>>();
  CLI::App* sub = app.add_subcommand("export-pfx", "Write a PKCS#12 (.pfx/.p12) file with key, certificate and chain");
  sub->add_option("name", o->first, "Record name")->required();
  sub->add_option("--out", o->second.out, "Output file (0600)")->required();
  sub->add_option("--password-file", o->second.password_file,
                  "Read the PKCS#12 password from this file; without it a random one is printed once");
  sub->add_flag("--legacy", o->second.legacy, "PBE-SHA1-3DES and a SHA-1 MAC, for Windows Server 2012 and Java 8");
  sub->add_option("--friendly-name", o->second.friendly_name, "Friendly name (alias) of the entry; default: record name");
  sub->add_option("--version", o->second.version, "Export an older version from the history")->check(CLI::PositiveNumber);
  sub->callback([&g, o] {
    g.action = [&g, o]() -> Status {
      // Read the password before the vault key is unwrapped (a pipe may keep us waiting).
      if (!o->second.password_file.empty()) {
        TRY_ASSIGN(o->second.password, lifecycle::read_pfx_password(o->second.password_file));
      }
      TRY_ASSIGN(Session s, open_unlocked(g));
      TRY_ASSIGN(lifecycle::PfxResult res, lifecycle::export_pfx(s.ctx(), o->first, o->second));
      note(g, fmt::format("wrote {}", res.path));
      if (!res.generated_password.empty()) {
        note(g, "PKCS#12 password (shown once, store it now):");
        std::fwrite(res.generated_password.data(), 1, res.generated_password.size(), stdout);
        std::fputc('\n', stdout);
        std::fflush(stdout);
      }
      return ok();
    };
  });
}

}  // namespace certctl::cli
