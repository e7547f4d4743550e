// certctl create | edit
#include "cli/common.hpp"
#include "cli/named.hpp"
#include "cli/record_options.hpp"
#include "cli/settings_options.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

void add_record_options(CLI::App* sub, RecordOptionBinding& b) {
  sub->add_option("--domain,-d", b.domain, "Primary domain (CN and first SAN); IDNs become A-labels");
  sub->add_option("--san", b.sans, "Additional name or IP address (repeat for more)")->allow_extra_args(false);
  sub->add_option("--key-type", b.key_type, "rsa2048, rsa3072, rsa4096, ec256 (default) or ec384");
  sub->add_option("--ca", b.ca, "CA profile to issue from (default: local)");
  sub->add_option("--renew-days", b.renew_days, "Renew this many days before expiry (0 = last third of the lifetime)");
  sub->add_option("--org", b.o, "Subject organisation (O)");
  sub->add_option("--ou", b.ou, "Subject organisational unit (OU)");
  sub->add_option("--country", b.c, "Subject country (C), two letters");
  sub->add_option("--state", b.st, "Subject state or province (ST)");
  sub->add_option("--locality", b.l, "Subject locality (L)");
  sub->add_option("--email", b.email, "Subject e-mail address");
  sub->add_option("--key-policy", b.key_policy,
                  "Who opens the key once issued: master (the vault, default), hybrid (the vault and the hosts its "
                  "deploy targets name) or device (those hosts only)")
      ->check(CLI::IsMember({"master", "hybrid", "device"}));
}

void finish_record_options(CLI::App* sub, RecordOptionBinding& b) {
  // Commands bind a subset of these options (issue binds only the names and key type).
  auto given = [sub](const char* name) {
    const CLI::Option* opt = sub->get_option_no_throw(name);
    return opt && opt->count() > 0;
  };
  lifecycle::RecordFields& f = b.fields;
  if (given("--domain")) f.domain = b.domain;
  if (given("--san")) f.sans = b.sans;
  if (given("--key-type")) f.key_type = b.key_type;
  if (given("--ca")) f.ca = b.ca;
  if (given("--renew-days")) f.renew_days = b.renew_days;
  if (given("--org")) f.o = b.o;
  if (given("--ou")) f.ou = b.ou;
  if (given("--country")) f.c = b.c;
  if (given("--state")) f.st = b.st;
  if (given("--locality")) f.l = b.l;
  if (given("--email")) f.email = b.email;
  if (given("--key-policy"))
    if (auto p = vault::parse_key_policy(b.key_policy)) f.key_policy = *p;  // checked by IsMember
}

namespace {
struct CreateOptions {
  std::string name;
  RecordOptionBinding rec;
};
}  // namespace

void setup_create(CLI::App& app, Globals& g) {
  auto bind = [](CLI::App& sub, CreateOptions& o) {
    sub.add_option("name", o.name, "Record name (letters, digits, '.', '_', '-')")->required();
    add_record_options(&sub, o.rec);
    sub.footer("Next: `certctl csr NAME` makes the key and CSR, `certctl issue NAME` issues.");
  };
  command<CreateOptions>(app, g, "create", "Save a new certificate record as a draft (no key yet)", bind,
                         [&g](CreateOptions& o, CLI::App& sub) -> Status {
                           finish_record_options(&sub, o.rec);
                           if (!o.rec.fields.domain) return Status(Error(Category::Usage, "--domain", "is required"));
                           TRY_ASSIGN(Session s, open_session(g));
                           TRY_ASSIGN(vault::Record r, lifecycle::create(s.ctx(), o.name, o.rec.fields));
                           note(g, fmt::format("created draft '{}' for {}; next: certctl csr {}", r.name,
                                               fmt::join(r.all_names(), ", "), r.name));
                           return ok();
                         });
}

namespace {
struct EditOptions {
  std::string name;
  RecordOptionBinding rec;
  SettingsBinding settings;
};
}  // namespace

void setup_edit(CLI::App& app, Globals& g) {
  auto bind = [](CLI::App& sub, EditOptions& o) {
    sub.add_option("name", o.name, "Record name")->required();
    add_record_options(&sub, o.rec);
    add_settings_options(&sub, o.settings);
    sub.footer(
        "Nothing is issued. --san replaces the whole SAN list. New names, subject or key type of an issued record\n"
        "take effect with its next issue or renewal (a new key and CSR); before issuance they discard the CSR.\n"
        "--ca on an imported record puts it under management: it then renews here. An empty value clears a\n"
        "setting (--deploy-hook '', --fallback '').");
  };
  command<EditOptions>(
      app, g, "edit", "Change a record's names, CA and stored settings without issuing", bind,
      [&g](EditOptions& o, CLI::App& sub) -> Status {
        finish_record_options(&sub, o.rec);
        TRY_ASSIGN(const lifecycle::SettingsOverride settings, given_settings(&sub, o.settings));
        TRY_ASSIGN(Session s, open_session(g));
        TRY_ASSIGN(lifecycle::EditResult r, lifecycle::edit(s.ctx(), o.name, o.rec.fields, settings));
        if (r.csr_discarded)
          note(g, fmt::format("updated '{}'; its CSR no longer matched and was discarded: run certctl csr {}", o.name,
                              o.name));
        else if (r.taken_over)
          note(g, fmt::format("updated '{0}': it now renews here from CA '{1}' (a new key with its next certificate); "
                              "renew it now with `certctl renew {0} --force`",
                              o.name, r.record.ca));
        else if (r.identity_pending)
          note(g, fmt::format("updated '{0}'; its next certificate gets a new key and CSR for {1} (`certctl issue {0}` "
                              "or its renewal)",
                              o.name, fmt::join(r.record.all_names(), ", ")));
        else
          note(g, fmt::format("updated '{}'", o.name));
        return ok();
      });
}

}  // namespace certctl::cli
