// certctl list [--status S] [--source S] [--expiring-within DAYS] [--json]
#include "cli/common.hpp"

#include <certctl/output.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>

namespace certctl::cli {

void setup_list(CLI::App& app, Globals& g) {
  struct Opts {
    std::string status, source;
    int expiring_within = -1;
    bool json = false;
    bool names = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand("list", "List certificates: name, domain, CA, status, days left, auto-renew");
  sub->alias("ls");
  sub->add_option("--status", o->status, "Only records in this status: draft, pending, active, expired, error, revoked");
  sub->add_option("--source", o->source, "Only records of this source: managed, imported, external-csr, discovered");
  sub->add_option("--expiring-within", o->expiring_within, "Only certificates that expire within DAYS days (or have expired)")
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--json", o->json, "Print a JSON array");
  sub->add_flag("--names", o->names, "Print record names only, one per line (for shell completion)")->group("");
  sub->callback([&g, o] {
    g.action = [&g, o]() -> Status {
      g.json_errors = o->json;
      std::optional<vault::CertStatus> want;
      if (!o->status.empty()) {
        auto parsed = vault::parse_status(o->status);
        if (!parsed) return parsed.error().with_category(Category::Usage);  // a bad option value
        want = *parsed;
      }
      std::optional<vault::Source> want_source;
      if (!o->source.empty()) {
        auto parsed = vault::parse_source(o->source);
        if (!parsed) return parsed.error().with_category(Category::Usage);
        want_source = *parsed;
      }
      TRY_ASSIGN(Session s, open_session(g));
      if (o->names) {
        std::string out;
        for (const auto& n : s.vault.names()) out += n + '\n';
        if (!out.empty()) print_out(out);
        return ok();
      }
      // One record at a time: the JSON goes out as it is made, the table keeps only its cells.
      const UnixTime now = s.clock.now();
      auto shown = [&](const vault::Record& r) {
        if (want && vault::effective_status(r, now) != *want) return false;
        if (want_source && r.source != *want_source) return false;
        if (o->expiring_within < 0) return true;
        auto d = vault::days_remaining(r, now);
        return d && *d <= o->expiring_within;
      };
      std::vector<vault::UnreadableRecord> unreadable;
      std::size_t seen = 0;
      if (o->json) {
        TRY_ASSIGN(output::DeployResults deployed, vault::load_all_deploy_results(s.vault));
        output::RecordsJsonWriter out([](std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); },
                                      now, &deployed);
        TRY(s.vault.for_each_record(
            [&](vault::Record&& r) -> Status {
              if (shown(r)) out.add(r);
              return ok();
            },
            &unreadable));
        out.finish();
        std::fputc('\n', stdout);
      } else {
        output::RecordsTable table(now, color_stdout(g));
        TRY(s.vault.for_each_record(
            [&](vault::Record&& r) -> Status {
              ++seen;
              if (shown(r)) table.add(r);
              return ok();
            },
            &unreadable));
        if (table.empty()) note(g, seen == 0 ? "no certificates yet: certctl create NAME --domain D" : "no certificate matches");
        else print_out(table.render());
      }
      report_skipped(g, unreadable);
      return ok();
    };
  });
}

}  // namespace certctl::cli
