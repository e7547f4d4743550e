// certctl import NAME --cert F --key F [--chain F] [--renew-days N] [--replace]
// certctl import --dir DIR [--renew-days N] [--replace]: every certificate file in DIR, one unlock
#include "cli/common.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

namespace {

std::string imported_line(const vault::Record& r) {
  const vault::CertMeta meta = r.cert.value_or(vault::CertMeta{});  // import always sets it
  return fmt::format("imported '{}' ({}), serial {}, valid until {}", r.name, r.domain, meta.serial_hex,
                     format_rfc3339(meta.not_after));
}

/// One line per file (imported ones as notes, failures on stderr), a summary, and the first
/// failure's exit code.
Status import_dir(Globals& g, lifecycle::Context ctx, const std::string& dir, const lifecycle::ImportRequest& req) {
  TRY_ASSIGN(std::vector<lifecycle::ImportedFile> files, lifecycle::import_directory(ctx, dir, req));
  std::size_t failed = 0;
  std::optional<Error> first;
  for (const auto& f : files) {
    if (f.result) {
      note(g, imported_line(*f.result));
      continue;
    }
    ++failed;
    fmt::print(stderr, "certctl: {}\n", f.result.error().text());
    if (!first) first = f.result.error();
  }
  note(g, fmt::format("{} imported, {} failed (from {})", files.size() - failed, failed, dir));
  if (!first) return ok();
  g.exit_override = first->exit_code();
  return ok();
}

}  // namespace

void setup_import(CLI::App& app, Globals& g) {
  struct Opts {
    std::string name, dir;
    lifecycle::ImportRequest req;
    int renew_days = 0;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand("import", "Import a certificate and its key (PEM or DER), or a directory of them");
  sub->add_option("name", o->name, "Record name");
  sub->add_option("--cert", o->req.cert_file, "Certificate file (a full chain is split; may hold the key too)");
  sub->add_option("--key", o->req.key_file, "Private key file (PKCS#8 or traditional, PEM or DER)");
  sub->add_option("--chain", o->req.chain_file, "Intermediate certificates, issuer first");
  sub->add_option("--dir", o->dir,
                  "Import every NAME.crt/.pem/.cer/.cert in this directory as record NAME (key in the same file or "
                  "NAME.key); one unlock for all");
  sub->add_option("--renew-days", o->renew_days, "Remind this many days before expiry (0 = automatic)");
  sub->add_flag("--replace", o->req.replace, "Import a new version into an existing imported record");
  sub->footer("With --dir, a file that cannot be imported is reported and the others are imported; the exit\n"
              "status is then the first failure's.");
  sub->callback([&g, o, sub] {
    if (sub->count("--renew-days")) o->req.renew_days = o->renew_days;
    g.action = [&g, o]() -> Status {
      if (!o->dir.empty()) {
        if (!o->name.empty())
          return Error(Category::Usage, "--dir", "names each record after its file; drop the record name");
        if (!o->req.cert_file.empty() || !o->req.key_file.empty() || !o->req.chain_file.empty())
          return Error(Category::Usage, "--dir", "takes the certificates and keys from the directory; drop --cert, --key and --chain");
        TRY_ASSIGN(Session s, open_unlocked(g));
        return import_dir(g, s.ctx(), o->dir, o->req);
      }
      if (o->name.empty()) return Error(Category::Usage, "import", "needs a record name (or --dir DIR)");
      if (o->req.cert_file.empty()) return Error(Category::Usage, "--cert", "is required");
      if (o->req.key_file.empty()) return Error(Category::Usage, "--key", "is required (it may name the --cert file when that holds the key)");
      TRY_ASSIGN(Session s, open_unlocked(g));
      TRY_ASSIGN(vault::Record r, lifecycle::import_certificate(s.ctx(), o->name, o->req));
      note(g, imported_line(r));
      return ok();
    };
  });
}

}  // namespace certctl::cli
