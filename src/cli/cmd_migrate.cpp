// certctl migrate certbot [DIR]: another client's certificates, keys, accounts and settings
// brought into the vault in one run (one unlock); --dry-run prints the plan.
#include "cli/common.hpp"
#include "cli/named.hpp"
#include "cli/settings_options.hpp"

#include <certctl/migrate.hpp>

#include <cstdlib>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

namespace {

struct MigrateOpts {
  lifecycle::MigrateOptions o;
  SettingsBinding settings;
};

std::string_view action_name(lifecycle::MigratePlanItem::Action a) {
  switch (a) {
    case lifecycle::MigratePlanItem::Action::Manage: return "manage";
    case lifecycle::MigratePlanItem::Action::Import: return "import";
    case lifecycle::MigratePlanItem::Action::Skip: return "skip";
  }
  return "?";
}

std::string plan_text(const lifecycle::MigratePlan& plan) {
  std::string out;
  for (const auto& [name, url] : plan.new_profiles) out += fmt::format("add CA profile '{}' for {}\n", name, url);
  for (const auto& [a, ca] : plan.accounts) out += fmt::format("import ACME account {} for CA '{}'\n", a.url, ca);
  for (const auto& d : plan.dns_providers)
    out += fmt::format("add DNS provider '{}' ({}) from {}\n", d.name, d.type, d.credentials_file);
  for (const auto& item : plan.items) {
    const auto& f = item.found;
    switch (item.action) {
      case lifecycle::MigratePlanItem::Action::Manage:
        out += fmt::format("{:<7} {}: renews here with CA '{}'\n", action_name(item.action), f.name, item.ca);
        break;
      case lifecycle::MigratePlanItem::Action::Import:
        out += fmt::format("{:<7} {}: imported only ({}); then {}\n", action_name(item.action), f.name, item.why, item.takeover);
        break;
      case lifecycle::MigratePlanItem::Action::Skip:
        out += fmt::format("{:<7} {}: {}\n", action_name(item.action), f.name, item.why);
        break;
    }
    for (const auto& n : f.notes) out += fmt::format("        {}: note: {}\n", f.name, n);
  }
  for (const auto& n : plan.notes) out += fmt::format("note: {}\n", n);
  return out;
}

Status run_migrate(Globals& g, MigrateOpts& m, CLI::App& sub, lifecycle::MigrateSource source,
                   const std::string& default_dir) {
  m.o.source = source;
  TRY_ASSIGN(m.o.settings, given_settings(&sub, m.settings));
  if (m.o.dir.empty()) m.o.dir = default_dir;
  // The plan first, with the vault opened but locked: a dry run never asks for the passphrase.
  TRY_ASSIGN(Session s, m.o.dry_run ? open_session(g) : open_unlocked(g));
  TRY_ASSIGN(lifecycle::MigratePlan plan, lifecycle::migrate_plan(s.ctx(), m.o));
  if (m.o.dry_run) {
    print_out(plan_text(plan));
    note(g, fmt::format("dry run: nothing was changed ({} certificate(s) found in {})", plan.items.size(), m.o.dir));
    return ok();
  }
  TRY_ASSIGN(lifecycle::MigrateReport r, lifecycle::migrate_apply(s.ctx(), plan));
  for (const auto& l : r.lines) print_out(l + "\n");
  for (const auto& n : plan.notes) print_out(fmt::format("note: {}\n", n));
  note(g, fmt::format("{} managed, {} imported, {} skipped, {} failed (from {})", r.managed, r.imported, r.skipped,
                      r.failed, m.o.dir));
  if (r.failed > 0)
    return Error(Category::Input, m.o.dir, fmt::format("{} certificate(s) could not be migrated (see above)", r.failed));
  return ok();
}

void bind(CLI::App& sub, MigrateOpts& m, const std::string& dir_help) {
  sub.add_option("dir", m.o.dir, dir_help);
  add_settings_options(&sub, m.settings);
  sub.add_flag("--dry-run", m.o.dry_run, "Print the plan (what maps, what cannot and why) and change nothing");
  sub.add_option("--ca-bundle", m.o.ca_bundle,
                 "PEM roots trusted for the TLS of ACME servers that are not built-in profiles (added as profiles)");
  sub.footer("The source directory is only read. Each certificate becomes a record of the same name, with its key\n"
             "and chain; one whose validation translates renews here (same CA, the client's ACME account),\n"
             "the others are imported and the command to renew them here is printed. Challenge options given\n"
             "here (--challenge, --webroot, --http-port, --dns ...) stand in for settings that do not translate.");
}

}  // namespace

void setup_migrate(CLI::App& app, Globals& g) {
  CLI::App* mig = group(app, "migrate", "Bring another ACME client's certificates, keys and accounts into the vault");
  command<MigrateOpts>(
      *mig, g, "certbot", "Migrate certbot's store (default /etc/letsencrypt)",
      [](CLI::App& sub, MigrateOpts& m) { bind(sub, m, "certbot's config directory (default /etc/letsencrypt)"); },
      [](Globals& gl, MigrateOpts& m, CLI::App& sub) {
        return run_migrate(gl, m, sub, lifecycle::MigrateSource::Certbot, "/etc/letsencrypt");
      });
  command<MigrateOpts>(
      *mig, g, "lego", "Migrate lego's store (default ./.lego)",
      [](CLI::App& sub, MigrateOpts& m) {
        bind(sub, m, "lego's --path (default ./.lego)");
        sub.add_option("--path", m.o.dir, "lego's --path (the same as DIR)");
        sub.add_option("--server", m.o.server,
                       "The directory URL lego was run with (lego keeps only its host; built-in CAs are found by it)");
      },
      [](Globals& gl, MigrateOpts& m, CLI::App& sub) {
        return run_migrate(gl, m, sub, lifecycle::MigrateSource::Lego, ".lego");
      });
  command<MigrateOpts>(
      *mig, g, "acme.sh", "Migrate acme.sh's store (default ~/.acme.sh)",
      [](CLI::App& sub, MigrateOpts& m) { bind(sub, m, "acme.sh's home (default $LE_WORKING_DIR, else ~/.acme.sh)"); },
      [](Globals& gl, MigrateOpts& m, CLI::App& sub) {
        const char* home = std::getenv("HOME");
        const char* wd = std::getenv("LE_WORKING_DIR");
        const std::string dflt = wd && *wd ? wd : std::string(home && *home ? home : "") + "/.acme.sh";
        return run_migrate(gl, m, sub, lifecycle::MigrateSource::AcmeSh, dflt);
      });
}

}  // namespace certctl::cli
