// certctl renew [NAME...] [--force] [--dry-run] [--json] [--jitter DURATION] [--parallel N] [--reuse-key]
#include "cli/common.hpp"

#include <certctl/output.hpp>
#include <certctl/trace.hpp>

#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

namespace {

/// "90", "90s", "15m", "2h" -> seconds.
Result<long> parse_duration(const std::string& s) {
  auto bad = [&] { return Error(Category::Usage, "--jitter", fmt::format("'{}' is not a duration (e.g. 90s, 15m, 2h)", s)); };
  if (s.empty()) return bad();
  std::size_t used = 0;
  long v = 0;
  try {
    v = std::stol(s, &used);
  } catch (...) {
    return bad();
  }
  const std::string unit = s.substr(used);
  if (v < 0) return bad();
  if (unit.empty() || unit == "s") return v;
  if (unit == "m") return v * 60;
  if (unit == "h") return v * 3600;
  return bad();
}

/// --jitter: sleep a random time up to the duration given, saying how long (one note).
Status sleep_jitter(const Globals& g, const std::string& jitter) {
  TRY_ASSIGN(long max_s, parse_duration(jitter));
  if (max_s > 0) {
    std::random_device rd;
    std::uniform_int_distribution<long> pick(0, max_s * 1000);
    const long ms = pick(rd);
    note(g, fmt::format("renew: --jitter {}: sleeping {}.{:03} s first", jitter, ms / 1000, ms % 1000));
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
  return ok();
}

/// "renew: 2 of 5 done (web)" on the terminal as each record's orders end; a -v step too.
lifecycle::OrderProgress renew_progress(const Globals& g) {
  return [&g](const std::string& name, std::size_t done, std::size_t total) {
    trace::step(fmt::format("renew: '{}': orders ended ({} of {})", name, done, total));
    show_progress(g, fmt::format("renew: {} of {} done ({})", done, total, name));
  };
}

/// One line per item on stderr (failures) or as a note (the rest), then the run's warnings.
void print_items(const Globals& g, const lifecycle::RenewReport& report) {
  using lifecycle::RenewOutcome;
  clear_progress();
  for (const auto& i : report.items) {
    switch (i.outcome) {
      case RenewOutcome::Failed:
      case RenewOutcome::DeployFailed:
        fmt::print(stderr, "certctl: {}\n", i.error);
        break;
      case RenewOutcome::Renewed:
        note(g, fmt::format("renewed '{}' ({}) by {}: serial {}, valid until {}", i.name, i.reason, i.issued_by,
                            i.serial_hex, format_rfc3339(i.not_after)));
        break;
      case RenewOutcome::Deployed:
        note(g, fmt::format("deployed '{}' again (its last deploy had failed)", i.name));
        break;
      case RenewOutcome::Skipped:
        // The pre hook failed (its error line below says why nothing was renewed), or another
        // host holds the record's claim in a shared vault.
        if (!report.hook_error) note(g, fmt::format("'{}': {}", i.name, i.reason));
        break;
      case RenewOutcome::Validated:
        note(g, fmt::format("dry run: '{}' ({}) validated by {}; nothing written", i.name, i.reason, i.issued_by));
        break;
      case RenewOutcome::NotDue:
        note(g, fmt::format("'{}': {}", i.name, i.reason));
        break;
    }
    for (const auto& w : i.warnings) fmt::print(stderr, "certctl: warning: {}\n", w);
  }
  for (const auto& u : report.unreadable) fmt::print(stderr, "certctl: {}: skipped: {}\n", u.name, u.error.text());
  if (report.hook_error) fmt::print(stderr, "certctl: {}\n", report.hook_error->text());
  // A notifier that cannot be reached is a warning: the renewals themselves stand.
  for (const auto& e : report.notify_errors) fmt::print(stderr, "certctl: warning: {}\n", e.text());
}

/// A failed run's exit code (the hook's, else the first failure's, else 7), with a summary
/// line when several failed (each was printed already).
void set_exit(Globals& g, const lifecycle::RenewReport& report) {
  if (!report.any_failed()) return;
  int code = report.hook_error ? report.hook_error->exit_code() : 0;
  if (!code && !report.unreadable.empty()) code = report.unreadable.front().error.exit_code();
  std::size_t failed = 0;
  for (const auto& i : report.items)
    if (lifecycle::is_failure(i.outcome)) {
      ++failed;
      if (!code) code = i.exit_code;
    }
  g.exit_override = code ? code : 7;
  failed += report.unreadable.size();
  if (failed > 1) fmt::print(stderr, "certctl: renew: {} of {} due certificate(s) failed\n", failed, report.items.size());
}

}  // namespace

void setup_renew(CLI::App& app, Globals& g) {
  struct Opts {
    lifecycle::RenewRequest req;
    std::string jitter;
    bool json = false, reuse_key = false, new_key = false, no_notify = false;
    int lease_ttl_s = 600;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand("renew", "Renew every certificate that is due (for cron and systemd timers)");
  sub->add_option("name", o->req.names, "Only these records (default: every managed record)");
  sub->add_flag("--force", o->req.force, "Renew even when not due, ignoring the backoff after failures");
  sub->add_flag("--dry-run", o->req.dry_run,
                "Issue at the CA's staging profile if it has an account there, else validate without finalizing; "
                "change nothing in the vault");
  sub->add_flag("--json", o->json, "Print a JSON summary");
  sub->add_option("--jitter", o->jitter, "Wait a random time up to DURATION first (e.g. 30m), to spread cron load");
  sub->add_option("--parallel", o->req.parallel, "Orders in flight at once")->capture_default_str()->check(CLI::Range(1, 64));
  sub->add_option("--lease-ttl", o->lease_ttl_s,
                  "Shared (PostgreSQL) vault: seconds a claim on a due record lasts unless extended; a renewer that "
                  "dies loses its claims after this (env CERTCTL_LEASE_TTL)")
      ->envname("CERTCTL_LEASE_TTL")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  sub->add_flag("--reuse-key", o->reuse_key, "Keep each record's key (stored with the record)");
  sub->add_flag("--new-key", o->new_key, "Go back to a new key at each renewal (the default)");
  sub->add_option("--pre-hook", o->req.pre_hook, "Shell command run once before anything is renewed (only if something is due)");
  sub->add_option("--deploy-hook", o->req.deploy_hook,
                  "Shell command run after each successful renewal (CERTCTL_NAME, CERTCTL_DOMAINS, paths in its environment)");
  sub->add_option("--post-hook", o->req.post_hook, "Shell command run once after the run (only if something was due)");
  sub->add_flag("--no-notify", o->no_notify, "Do not send the vault's notifiers anything this run (see `certctl notify`)");
  sub->footer("Silent when nothing is due; exit 0 unless a renewal failed. Due: inside the record's renew threshold\n"
              "(the last third of the lifetime by default), expired, or in error/pending (retried with backoff).\n"
              "Every run, due or not, checks that the unlock secret (passphrase file, key file or systemd\n"
              "credential) is there and readable.");
  sub->callback([&g, o, sub] {
    g.action = [&g, o, sub]() -> Status {
      g.json_errors = o->json;
      o->req.notify = !o->no_notify;
      o->req.lease_ttl = std::chrono::seconds(o->lease_ttl_s);
      TRY_ASSIGN(o->req.dns_resolver, dns_resolver(g));
      o->req.dns_progress = dns_progress(g);
      o->req.order_progress = renew_progress(g);
      if (o->reuse_key && o->new_key) return Error(Category::Usage, "--reuse-key", "and --new-key exclude each other");
      if (o->reuse_key) o->req.reuse_key = true;
      if (o->new_key) o->req.reuse_key = false;
      if (sub->count("--jitter")) TRY(sleep_jitter(g, o->jitter));
      TRY_ASSIGN(Session s, open_session(g));
      // Every run, due or not: a cron job whose passphrase file is missing fails the day it is
      // set up, not when the first certificate falls due.
      TRY(lifecycle::check_unlock_source(s.vault, unlock_options(g)));
      o->req.unlock = [&g, &s] { return lifecycle::unlock(s.vault, unlock_options(g)); };
      o->req.start_responders = [&g](const std::vector<challenge::Endpoint>& endpoints) {
        return start_responders(g, endpoints);
      };
      TRY_ASSIGN(lifecycle::RenewReport report, lifecycle::renew(s.ctx(), o->req));
      print_items(g, report);
      if (o->json) print_out(output::renew_report_json(report));
      set_exit(g, report);
      return ok();
    };
  });
}

}  // namespace certctl::cli
