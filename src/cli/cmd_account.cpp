// certctl account register | show | update | key-rollover | deactivate
#include "cli/common.hpp"

#include <certctl/ca.hpp>
#include <certctl/output.hpp>
#include <certctl/terminal.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

namespace {

std::string account_text(const ca::Account& a) {
  return fmt::format("ca:        {}\naccount:   {}\nstatus:    {}\ncontact:   {}\nkey:       {}\ncreated:   {}\n", a.ca, a.url,
                     acme::to_string(a.status), fmt::join(a.contact, ", "), a.key_type, format_rfc3339(a.created));
}

}  // namespace

void setup_account(CLI::App& app, Globals& g) {
  CLI::App* account = app.add_subcommand("account", "ACME accounts: register, show, update, key-rollover, deactivate");
  account->require_subcommand(1);

  auto r = std::make_shared<lifecycle::RegisterRequest>();
  CLI::App* reg = account->add_subcommand("register", "Register an account with an ACME CA (or find the existing one)");
  reg->add_option("--ca", r->ca, "CA profile")->required();
  reg->add_option("--email", r->email, "Contact e-mail address");
  reg->add_flag("--agree-tos", r->agree_tos, "Agree to the CA's terms of service");
  reg->add_option("--eab-kid", r->eab_kid, "External Account Binding key id");
  reg->add_option("--eab-hmac-file", r->eab_hmac_file, "File holding the EAB HMAC key (base64url)");
  reg->add_option("--key-type", r->key_type, "Account key type (default ec256)");
  reg->callback([&g, r] {
    g.action = [&g, r]() -> Status {
      TRY_ASSIGN(Session s, open_unlocked(g));
      TRY_ASSIGN(ca::Account a, lifecycle::register_account(s.ctx(), *r));
      note(g, fmt::format("account for CA '{}': {}", a.ca, a.url));
      return ok();
    };
  });

  struct CaOption {
    std::string ca, email;
    bool json = false, yes = false;
  };
  auto so = std::make_shared<CaOption>();
  CLI::App* show = account->add_subcommand("show", "Show the account of a CA profile");
  show->add_option("--ca", so->ca, "CA profile")->required();
  show->add_flag("--json", so->json, "Print JSON");
  show->callback([&g, so] {
    g.action = [&g, so]() -> Status {
      g.json_errors = so->json;
      TRY_ASSIGN(Session s, open_session(g));
      TRY(ca::find_profile(s.vault, so->ca));
      TRY_ASSIGN(std::optional<ca::Account> a, ca::load_account(s.vault, so->ca));
      if (!a) return Error(Category::NotFound, fmt::format("CA '{}'", so->ca), "no account: run `certctl account register`");
      print_out(so->json ? output::account_json(*a) : account_text(*a));
      return ok();
    };
  });

  auto uo = std::make_shared<CaOption>();
  CLI::App* update = account->add_subcommand("update", "Change the account's contact e-mail");
  update->add_option("--ca", uo->ca, "CA profile")->required();
  update->add_option("--email", uo->email, "New contact e-mail address")->required();
  update->callback([&g, uo] {
    g.action = [&g, uo]() -> Status {
      TRY_ASSIGN(Session s, open_unlocked(g));
      TRY_ASSIGN(ca::Account a, lifecycle::update_account(s.ctx(), uo->ca, uo->email));
      note(g, fmt::format("updated account {}", a.url));
      return ok();
    };
  });

  auto ko = std::make_shared<CaOption>();
  CLI::App* roll = account->add_subcommand("key-rollover", "Replace the account key (RFC 8555 7.3.5)");
  roll->add_option("--ca", ko->ca, "CA profile")->required();
  roll->callback([&g, ko] {
    g.action = [&g, ko]() -> Status {
      TRY_ASSIGN(Session s, open_unlocked(g));
      TRY_ASSIGN(ca::Account a, lifecycle::rollover_account_key(s.ctx(), ko->ca));
      note(g, fmt::format("rolled over the key of account {}", a.url));
      return ok();
    };
  });

  auto dd = std::make_shared<CaOption>();
  CLI::App* deact = account->add_subcommand("deactivate", "Deactivate the account (permanent)");
  deact->add_option("--ca", dd->ca, "CA profile")->required();
  deact->add_flag("--yes,-y", dd->yes, "Do not ask for confirmation");
  deact->callback([&g, dd] {
    g.action = [&g, dd]() -> Status {
      TRY_ASSIGN(Session s, open_unlocked(g));
      if (!dd->yes) TRY(term::confirm(fmt::format("Deactivate the account at CA '{}' for good?", dd->ca), dd->ca));
      TRY_ASSIGN(ca::Account a, lifecycle::deactivate_account(s.ctx(), dd->ca));
      note(g, fmt::format("account {} is {}", a.url, acme::to_string(a.status)));
      return ok();
    };
  });
}

}  // namespace certctl::cli
