// certctl notify add|list|remove|test: webhook and mail notifiers told about renewal failures,
// successes and imported certificates nearing expiry (sent by `renew`).
#include "cli/common.hpp"

#include <certctl/output.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

void setup_notify(CLI::App& app, Globals& g) {
  CLI::App* notify = app.add_subcommand("notify", "Notifiers: a webhook or mail on renewal failure, success or coming expiry");
  notify->require_subcommand(1);

  struct AddOpts {
    lifecycle::NotifierSpec spec;
    std::string webhook, smtp;
    std::vector<std::string> on;
  };
  auto a = std::make_shared<AddOpts>();
  CLI::App* add = notify->add_subcommand("add", "Add (or replace) a notifier");
  add->add_option("name", a->spec.name, "Its name")->required();
  add->add_option("--webhook", a->webhook, "POST a JSON summary to this http(s):// URL");
  add->add_option("--smtp", a->smtp, "Send mail through this server: smtp://host:port or smtps://host:port");
  add->add_flag("--starttls", a->spec.starttls, "Upgrade smtp:// with STARTTLS (required, not opportunistic)");
  add->add_option("--from", a->spec.from, "Mail sender address");
  add->add_option("--to", a->spec.to, "Mail recipients, comma-separated")->delimiter(',');
  add->add_option("--smtp-user", a->spec.user, "SMTP AUTH user");
  add->add_option("--smtp-password-env", a->spec.password_env,
                  "Environment variable that holds the SMTP password when renew runs (never stored)");
  add->add_option("--ca-bundle", a->spec.ca_bundle, "PEM file of roots trusted for the webhook's or server's TLS");
  add->add_option("--on", a->on, "Events, comma-separated: failure, success, expiring (default failure,expiring)")
      ->delimiter(',');
  add->add_option("--expiring-days", a->spec.expiring_days,
                  "Remind about imported certificates this many days before expiry (then at 7, 3, 1 days)")
      ->capture_default_str();
  add->callback([&g, a, add] {
    g.action = [&g, a, add]() -> Status {
      if (!a->webhook.empty() && !a->smtp.empty())
        return Error(Category::Usage, "--webhook", "and --smtp exclude each other: add two notifiers");
      a->spec.type = a->webhook.empty() ? (a->smtp.empty() ? "" : "email") : "webhook";
      a->spec.url = a->webhook.empty() ? a->smtp : a->webhook;
      if (add->count("--on")) a->spec.events = a->on;
      TRY_ASSIGN(Session s, open_session(g));
      TRY(lifecycle::notify_add(s.ctx(), a->spec));
      note(g, fmt::format("notifier '{}' added: {} {} on {}; test it with `certctl notify test {}`", a->spec.name,
                          a->spec.type, a->spec.url, fmt::join(a->spec.events, ","), a->spec.name));
      return ok();
    };
  });

  auto list_json = std::make_shared<bool>(false);
  CLI::App* list = notify->add_subcommand("list", "List notifiers");
  list->add_flag("--json", *list_json, "Print a JSON array");
  list->callback([&g, list_json] {
    g.action = [&g, list_json]() -> Status {
      g.json_errors = *list_json;
      TRY_ASSIGN(Session s, open_session(g));
      TRY_ASSIGN(auto all, lifecycle::notify_list(s.ctx()));
      if (*list_json) {
        print_out(output::notifiers_json(all));
        return ok();
      }
      if (all.empty()) {
        note(g, "no notifiers; add one with `certctl notify add NAME --webhook URL` or `--smtp URL`");
        return ok();
      }
      std::string out = fmt::format("{:<16} {:<8} {:<28} {}\n", "NAME", "TYPE", "EVENTS", "TARGET");
      for (const auto& n : all)
        out += fmt::format("{:<16} {:<8} {:<28} {}{}\n", n.name, n.type, fmt::join(n.events, ","), n.url,
                           n.to.empty() ? "" : fmt::format(" -> {}", fmt::join(n.to, ", ")));
      print_out(out);
      return ok();
    };
  });

  auto rm_name = std::make_shared<std::string>();
  CLI::App* remove = notify->add_subcommand("remove", "Remove a notifier");
  remove->add_option("name", *rm_name, "Its name")->required();
  remove->callback([&g, rm_name] {
    g.action = [&g, rm_name]() -> Status {
      TRY_ASSIGN(Session s, open_session(g));
      TRY(lifecycle::notify_remove(s.ctx(), *rm_name));
      note(g, fmt::format("notifier '{}' removed", *rm_name));
      return ok();
    };
  });

  auto test_name = std::make_shared<std::string>();
  CLI::App* test = notify->add_subcommand("test", "Send a test message through a notifier");
  test->add_option("name", *test_name, "Its name")->required();
  test->callback([&g, test_name] {
    g.action = [&g, test_name]() -> Status {
      TRY_ASSIGN(Session s, open_session(g));
      TRY(lifecycle::notify_test(s.ctx(), *test_name));
      note(g, fmt::format("test notification sent through '{}'", *test_name));
      return ok();
    };
  });
}

}  // namespace certctl::cli
