// certctl list [--status S] [--expiring-within DAYS] [--json]
#include "cli/common.hpp"

#include <certctl/output.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

void setup_list(CLI::App& app, Globals& g) {
  struct Opts {
    std::string status;
    int expiring_within = -1;
    bool json = false;
    bool names = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand("list", "List certificates: name, domain, CA, status, days left, auto-renew");
  sub->alias("ls");
  sub->add_option("--status", o->status, "Only records in this status: draft, pending, active, expired, error, revoked");
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
      TRY_ASSIGN(Session s, open_session(g));
      if (o->names) {
        std::string out;
        for (const auto& n : s.vault.names()) out += n + '\n';
        if (!out.empty()) print_out(out);
        return ok();
      }
      std::vector<vault::UnreadableRecord> unreadable;
      TRY_ASSIGN(std::vector<vault::Record> all, s.vault.load_all(&unreadable));
      const UnixTime now = s.clock.now();
      std::vector<vault::Record> shown;
      shown.reserve(all.size());
      for (auto& r : all) {
        if (want && vault::effective_status(r, now) != *want) continue;
        if (o->expiring_within >= 0) {
          auto d = vault::days_remaining(r, now);
          if (!d || *d > o->expiring_within) continue;
        }
        shown.push_back(std::move(r));
      }
      if (o->json) {
        TRY_ASSIGN(output::DeployResults deployed, vault::load_all_deploy_results(s.vault));
        print_out(output::records_json(shown, now, &deployed));
      }
      else if (shown.empty()) note(g, all.empty() ? "no certificates yet: certctl create NAME --domain D" : "no certificate matches");
      else print_out(output::records_table(shown, now, color_stdout(g)));
      report_skipped(g, unreadable);
      return ok();
    };
  });
}

}  // namespace certctl::cli
