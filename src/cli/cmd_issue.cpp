// certctl issue NAME [--ca CA] [--days N]
#include "cli/common.hpp"

#include <certctl/output.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

void setup_issue(CLI::App& app, Globals& g) {
  struct Opts {
    std::string name, ca;
    int days = 90;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand("issue", "Issue a certificate for a record with a CSR (local CA by default)");
  sub->add_option("name", o->name, "Record name")->required();
  sub->add_option("--ca", o->ca, "Issue from this CA instead of the record's");
  sub->add_option("--days", o->days, "Validity in days (local CA)")->capture_default_str();
  sub->add_flag("--json", o->json, "Print the issued record as JSON");
  sub->footer("An active record is issued again with the same key; the previous version moves to history.");
  sub->callback([&g, o] {
    g.action = [&g, o]() -> Status {
      g.json_errors = o->json;
      TRY_ASSIGN(Session s, open_unlocked(g));
      lifecycle::IssueRequest req;
      if (!o->ca.empty()) req.ca = o->ca;
      req.days = o->days;
      TRY_ASSIGN(vault::Record r, lifecycle::issue(s.ctx(), o->name, req));
      if (o->json) print_out(output::record_json(r, s.clock.now()));
      else
        note(g, fmt::format("issued '{}' by {}: serial {}, valid until {}", r.name, r.issued_by, r.cert->serial_hex,
                            format_rfc3339(r.cert->not_after)));
      return ok();
    };
  });
}

}  // namespace certctl::cli
