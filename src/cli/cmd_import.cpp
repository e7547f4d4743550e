// certctl import NAME --cert F --key F [--chain F] [--renew-days N] [--replace]
#include "cli/common.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

void setup_import(CLI::App& app, Globals& g) {
  struct Opts {
    std::string name;
    lifecycle::ImportRequest req;
    int renew_days = 0;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand("import", "Import a certificate and its key (PEM or DER)");
  sub->add_option("name", o->name, "Record name")->required();
  sub->add_option("--cert", o->req.cert_file, "Certificate file (a full chain is split)")->required();
  sub->add_option("--key", o->req.key_file, "Private key file (PKCS#8 or traditional, PEM or DER)")->required();
  sub->add_option("--chain", o->req.chain_file, "Intermediate certificates, issuer first");
  sub->add_option("--renew-days", o->renew_days, "Remind this many days before expiry (0 = automatic)");
  sub->add_flag("--replace", o->req.replace, "Import a new version into an existing imported record");
  sub->callback([&g, o, sub] {
    if (sub->count("--renew-days")) o->req.renew_days = o->renew_days;
    g.action = [&g, o]() -> Status {
      TRY_ASSIGN(Session s, open_unlocked(g));
      TRY_ASSIGN(vault::Record r, lifecycle::import_certificate(s.ctx(), o->name, o->req));
      const vault::CertMeta meta = r.cert.value_or(vault::CertMeta{});  // import always sets it
      note(g, fmt::format("imported '{}' ({}), serial {}, valid until {}", r.name, r.domain, meta.serial_hex,
                          format_rfc3339(meta.not_after)));
      return ok();
    };
  });
}

}  // namespace certctl::cli
