// certctl account register | show | update | key-rollover | deactivate
#include "cli/common.hpp"
#include "cli/named.hpp"

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

/// An account command that takes --ca, unlocks the vault and reports the changed account.
template <class Bind, class Change, class Done>
void account_change(CLI::App& account, Globals& g, const std::string& name, const std::string& help, Bind bind,
                    Change change, Done done) {
  struct Opts {
    std::string ca, email;
    bool yes = false;
  };
  auto bind_all = [bind](CLI::App& sub, Opts& o) {
    sub.add_option("--ca", o.ca, "CA profile")->required();
    bind(sub, o);
  };
  command<Opts>(account, g, name, help, bind_all, [&g, change, done](Opts& o) -> Status {
    TRY_ASSIGN(Session s, open_unlocked(g));
    TRY_ASSIGN(ca::Account a, change(s, o));
    note(g, done(a));
    return ok();
  });
}

Result<ca::Account> load_existing_account(Session& s, const std::string& ca_name) {
  TRY(ca::find_profile(s.vault, ca_name));
  TRY_ASSIGN(std::optional<ca::Account> a, ca::load_account(s.vault, ca_name));
  if (!a) return Error(Category::NotFound, fmt::format("CA '{}'", ca_name), "no account: run `certctl account register`");
  return *a;
}

}  // namespace

void setup_account(CLI::App& app, Globals& g) {
  CLI::App* account = app.add_subcommand("account", "ACME accounts: register, show, update, key-rollover, deactivate");
  account->require_subcommand(1);
  auto bind_register = [](CLI::App& reg, lifecycle::RegisterRequest& r) {
    reg.add_option("--ca", r.ca, "CA profile")->required();
    reg.add_option("--email", r.email, "Contact e-mail address");
    reg.add_flag("--agree-tos", r.agree_tos, "Agree to the CA's terms of service");
    reg.add_option("--eab-kid", r.eab_kid, "External Account Binding key id");
    reg.add_option("--eab-hmac-file", r.eab_hmac_file, "File holding the EAB HMAC key (base64url)");
    reg.add_option("--key-type", r.key_type, "Account key type (default ec256)");
  };
  command<lifecycle::RegisterRequest>(
      *account, g, "register", "Register an account with an ACME CA (or find the existing one)", bind_register,
      [&g](lifecycle::RegisterRequest& r) -> Status {
        TRY_ASSIGN(Session s, open_unlocked(g));
        TRY_ASSIGN(ca::Account a, lifecycle::register_account(s.ctx(), r));
        note(g, fmt::format("account for CA '{}': {}", a.ca, a.url));
        return ok();
      });
  add_show(*account, g, "Show the account of a CA profile", NameOption{"--ca", "CA profile"}, &load_existing_account,
           &output::account_json, &account_text);
  auto nothing = [](CLI::App&, auto&) {};
  account_change(
      *account, g, "update", "Change the account's contact e-mail",
      [](CLI::App& sub, auto& o) { sub.add_option("--email", o.email, "New contact e-mail address")->required(); },
      [](Session& s, auto& o) { return lifecycle::update_account(s.ctx(), o.ca, o.email); },
      [](const ca::Account& a) { return fmt::format("updated account {}", a.url); });
  account_change(
      *account, g, "key-rollover", "Replace the account key (RFC 8555 7.3.5)", nothing,
      [](Session& s, auto& o) { return lifecycle::rollover_account_key(s.ctx(), o.ca); },
      [](const ca::Account& a) { return fmt::format("rolled over the key of account {}", a.url); });
  account_change(
      *account, g, "deactivate", "Deactivate the account (permanent)",
      [](CLI::App& sub, auto& o) { sub.add_flag("--yes,-y", o.yes, "Do not ask for confirmation"); },
      [](Session& s, auto& o) -> Result<ca::Account> {
        if (!o.yes) TRY(term::confirm(fmt::format("Deactivate the account at CA '{}' for good?", o.ca), o.ca));
        return lifecycle::deactivate_account(s.ctx(), o.ca);
      },
      [](const ca::Account& a) { return fmt::format("account {} is {}", a.url, acme::to_string(a.status)); });
}

}  // namespace certctl::cli
