// certctl notify add|list|remove|test: webhook and mail notifiers told about renewal failures,
// successes and imported certificates nearing expiry (sent by `renew`).
#include "cli/common.hpp"
#include "cli/named.hpp"

#include <certctl/output.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

namespace {

Result<std::vector<lifecycle::NotifierSpec>> load_notifiers(Session& s) { return lifecycle::notify_list(s.ctx()); }
Status remove_notifier(Session& s, const std::string& name) { return lifecycle::notify_remove(s.ctx(), name); }
std::string removed(const std::string& name) { return fmt::format("notifier '{}' removed", name); }

struct AddOpts {
  lifecycle::NotifierSpec spec;
  std::string webhook, smtp;
  std::vector<std::string> on;
};

void bind_add(CLI::App& add, AddOpts& a) {
  add.add_option("name", a.spec.name, "Its name")->required();
  add.add_option("--webhook", a.webhook, "POST a JSON summary to this http(s):// URL");
  add.add_option("--smtp", a.smtp, "Send mail through this server: smtp://host:port or smtps://host:port");
  add.add_flag("--starttls", a.spec.starttls, "Upgrade smtp:// with STARTTLS (required, not opportunistic)");
  add.add_option("--from", a.spec.from, "Mail sender address");
  add.add_option("--to", a.spec.to, "Mail recipients, comma-separated")->delimiter(',');
  add.add_option("--smtp-user", a.spec.user, "SMTP AUTH user");
  add.add_option("--smtp-password-env", a.spec.password_env,
                 "Environment variable that holds the SMTP password when renew runs (never stored)");
  add.add_option("--ca-bundle", a.spec.ca_bundle, "PEM file of roots trusted for the webhook's or server's TLS");
  add.add_option("--on", a.on, "Events, comma-separated: failure, success, expiring (default failure,expiring)")
      ->delimiter(',');
  add.add_option("--expiring-days", a.spec.expiring_days,
                 "Remind about imported certificates this many days before expiry (then at 7, 3, 1 days)")
      ->capture_default_str();
}

Status run_add(Globals& g, AddOpts& a, CLI::App& add) {
  if (!a.webhook.empty() && !a.smtp.empty())
    return Error(Category::Usage, "--webhook", "and --smtp exclude each other: add two notifiers");
  a.spec.type = a.webhook.empty() ? (a.smtp.empty() ? "" : "email") : "webhook";
  a.spec.url = a.webhook.empty() ? a.smtp : a.webhook;
  if (add.count("--on")) a.spec.events = a.on;
  TRY_ASSIGN(Session s, open_session(g));
  TRY(lifecycle::notify_add(s.ctx(), a.spec));
  note(g, fmt::format("notifier '{}' added: {} {} on {}; test it with `certctl notify test {}`", a.spec.name,
                      a.spec.type, a.spec.url, fmt::join(a.spec.events, ","), a.spec.name));
  return ok();
}

std::string notifiers_table(const std::vector<lifecycle::NotifierSpec>& all) {
  std::string out = fmt::format("{:<16} {:<8} {:<28} {}\n", "NAME", "TYPE", "EVENTS", "TARGET");
  for (const auto& n : all)
    out += fmt::format("{:<16} {:<8} {:<28} {}{}\n", n.name, n.type, fmt::join(n.events, ","), n.url,
                       n.to.empty() ? "" : fmt::format(" -> {}", fmt::join(n.to, ", ")));
  return out;
}

}  // namespace

void setup_notify(CLI::App& app, Globals& g) {
  CLI::App* notify = group(app, "notify", "Notifiers: a webhook or mail on renewal failure, success or coming expiry");
  command<AddOpts>(*notify, g, "add", "Add (or replace) a notifier", bind_add, &run_add);
  add_list(*notify, g, ListSpec{"List notifiers", "Print a JSON array", &load_notifiers, &output::notifiers_json, &notifiers_table, "no notifiers; add one with `certctl notify add NAME --webhook URL` or `--smtp URL`"});
  add_remove(*notify, g, "Remove a notifier", {}, &remove_notifier, &removed);
  command<std::string>(
      *notify, g, "test", "Send a test message through a notifier",
      [](CLI::App& sub, std::string& name) { sub.add_option("name", name, "Its name")->required(); },
      [&g](std::string& name) -> Status {
        TRY_ASSIGN(Session s, open_session(g));
        TRY(lifecycle::notify_test(s.ctx(), name));
        note(g, fmt::format("test notification sent through '{}'", name));
        return ok();
      });
}

}  // namespace certctl::cli
