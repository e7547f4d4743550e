// certctl issue NAME [--ca CA] [--days N] [challenge options] [--domain D --san S ... (one-shot)]
#include "cli/common.hpp"
#include "cli/record_options.hpp"
#include "cli/settings_options.hpp"

#include <certctl/ca.hpp>
#include <certctl/domain.hpp>
#include <certctl/output.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

namespace {

struct IssueOptions {
  std::vector<std::string> names;
  std::string name, ca, email;
  int days = 90;
  int parallel = 4;
  bool json = false, agree_tos = false, dry_run = false;
  RecordOptionBinding rec;  // --domain, --san, --key-type for the one-shot form
  SettingsBinding settings;  // --challenge ... --deploy-hook
};

/// The request the command line asks for (CA, validity, settings, DNS lookups).
Result<lifecycle::IssueRequest> make_request(const Globals& g, CLI::App* sub, IssueOptions& o) {
  lifecycle::IssueRequest req;
  TRY_ASSIGN(req.dns_resolver, dns_resolver(g));
  req.dns_progress = dns_progress(g);
  if (!o.ca.empty()) req.ca = o.ca;
  req.days = o.days;
  req.dry_run = o.dry_run;
  TRY_ASSIGN(req.settings, given_settings(sub, o.settings));
  return req;
}

/// What a dry run got to: validated (nothing finalized), or issued at the staging CA.
std::string dry_run_line(const vault::Record& r) {
  if (r.cert)
    return fmt::format("dry run: '{}' issued at staging CA '{}' (serial {}); nothing written", r.name, r.issued_by,
                       r.cert->serial_hex);
  return fmt::format("dry run: '{}' validated by CA '{}' without finalizing; nothing written", r.name, r.issued_by);
}

/// Several names: one batch (orders in parallel, shared sessions and responders).
Status run_batch(Globals& g, IssueOptions& o, Session& s, lifecycle::IssueRequest req) {
  if (o.rec.fields.domain || !o.email.empty() || o.agree_tos)
    return Error(Category::Usage, "--domain", "the one-step form (--domain, --email, --agree-tos) takes one NAME");
  auto results = lifecycle::issue_many(s.ctx(), o.names, req, o.parallel);
  req.responders.reset();  // the responder child exits now, before the deploys
  std::optional<Error> first;
  std::vector<vault::Record> issued;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (results[i] && req.dry_run) {
      note(g, dry_run_line(*results[i]));
      issued.push_back(std::move(results[i]).value());
    } else if (results[i]) {
      note(g, fmt::format("issued '{}' by {}: serial {}", results[i]->name, results[i]->issued_by, results[i]->cert->serial_hex));
      // Its own deploy settings and every deploy target that covers it (a no-op without).
      if (auto st = lifecycle::deploy(s.ctx(), results[i]->name, ""); !st) {
        fmt::print(stderr, "certctl: {}\n", st.error().text());
        if (!first) first = st.error();
      }
      issued.push_back(std::move(results[i]).value());
    } else {
      fmt::print(stderr, "certctl: {}\n", results[i].error().text());
      if (!first) first = results[i].error();
    }
    for (const auto& w : results[i].warnings) fmt::print(stderr, "certctl: warning: {}\n", w.text());
  }
  if (o.json) print_out(output::records_json(issued, s.clock.now()));
  if (first) return Error(first->category(), "issue", fmt::format("{} of {} failed", results.size() - issued.size(), results.size()));
  return ok();
}

/// The vault opened, the responder child started for the built-in responders the orders will
/// use (before anything is decrypted), then unlocked.
Result<Session> open_for_issue(Globals& g, CLI::App* sub, IssueOptions& o, lifecycle::IssueRequest& req) {
  TRY_ASSIGN(Session s, open_session(g));
  TRY_ASSIGN(req, make_request(g, sub, o));
  const std::string new_record_ca = !o.ca.empty() ? o.ca : o.rec.fields.ca.value_or("local");
  TRY_ASSIGN(req.responders, start_responders(g, lifecycle::responder_endpoints(s.ctx(), o.names, req, new_record_ca)));
  TRY(lifecycle::unlock(s.vault, unlock_options(g)));
  return s;
}

Status run_issue(Globals& g, CLI::App* sub, IssueOptions& o) {
  g.json_errors = o.json;
  lifecycle::IssueRequest req;
  TRY_ASSIGN(Session s, open_for_issue(g, sub, o, req));
  if (o.names.size() > 1) return run_batch(g, o, s, std::move(req));
  o.name = o.names.front();
  std::optional<vault::Record> existing;
  if (s.vault.exists(o.name)) {
    TRY_ASSIGN(existing, s.vault.load(o.name));
  }
  if (!existing && !o.rec.fields.domain)
    return Error(Category::NotFound, o.name,
                 "no such certificate in the vault (see `certctl list`); add --domain to create and issue it in one step");
  // --email/--agree-tos: register with the CA first when it has no account yet (CI one-liner).
  const std::string ca_name = !o.ca.empty() ? o.ca : existing ? existing->ca : o.rec.fields.ca.value_or("local");
  if (!o.email.empty() || o.agree_tos) {
    TRY_ASSIGN(ca::CaProfile profile, ca::find_profile(s.vault, ca_name));
    TRY_ASSIGN(std::optional<ca::Account> account, ca::load_account(s.vault, ca_name));
    if (!profile.is_local() && !account) {
      if (o.dry_run)
        return Error(Category::Usage, "--dry-run",
                     fmt::format("registers no account; register with CA '{}' first (`certctl account register --ca {} "
                                 "--email ... --agree-tos`) or drop --dry-run",
                                 ca_name, ca_name));
      lifecycle::RegisterRequest rr;
      rr.ca = ca_name;
      rr.email = o.email;
      rr.agree_tos = o.agree_tos;
      TRY_ASSIGN(ca::Account a, lifecycle::register_account(s.ctx(), rr));
      note(g, fmt::format("registered account {} with CA '{}'", a.url, ca_name));
    }
  }

  // --san or --key-type on an existing record are applied (as `edit` would) before it issues.
  const lifecycle::RecordFields& f = o.rec.fields;
  Result<vault::Record> r = (existing && !f.domain && !f.sans && !f.key_type)
                                ? lifecycle::issue(s.ctx(), o.name, req)
                                : lifecycle::issue_new(s.ctx(), o.name, f, req);
  req.responders.reset();  // the responder child exits now, before the deploy
  if (!r) return std::move(r).error();
  if (o.json) print_out(output::record_json(*r, s.clock.now()));
  if (o.dry_run) {
    if (!o.json) note(g, dry_run_line(*r));
    return ok();
  }
  if (!o.json)
    note(g, fmt::format("issued '{}' by {}: serial {}, valid until {}", r->name, r->issued_by, r->cert->serial_hex,
                        format_rfc3339(r->cert->not_after)));
  TRY(lifecycle::deploy(s.ctx(), r->name, ""));
  return ok();
}

}  // namespace

void setup_issue(CLI::App& app, Globals& g) {
  auto o = std::make_shared<IssueOptions>();
  CLI::App* sub = app.add_subcommand("issue", "Issue a certificate (local CA or ACME); with --domain, all in one step");
  sub->add_option("name", o->names, "Record name(s); several are issued in one run, in parallel")->required();
  sub->add_option("--ca", o->ca, "Issue from this CA profile instead of the record's");
  sub->add_option("--parallel", o->parallel, "With several names: orders in flight at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  sub->add_option("--days", o->days, "Validity in days (local CA)")->capture_default_str();
  sub->add_flag("--json", o->json, "Print the issued record as JSON");
  sub->add_flag("--dry-run", o->dry_run,
                "Validate the names and write nothing: at the CA's staging profile when it has an account there "
                "(a certificate is issued there), else without finalizing; a new record is not created");
  sub->add_option("--domain,-d", o->rec.domain, "One-shot: create the record for this domain if it does not exist");
  sub->add_option("--san", o->rec.sans, "Additional name (repeat); on an existing record it replaces the stored ones first, as edit --san")->allow_extra_args(false);
  sub->add_option("--key-type", o->rec.key_type, "Key type of a new record (default ec256); on an existing one stored first, as edit --key-type");
  add_settings_options(sub, o->settings);
  sub->add_option("--email", o->email, "Register an account with this contact when the CA has none");
  sub->add_flag("--agree-tos", o->agree_tos, "Agree to the CA's terms of service when registering");
  sub->footer("Challenge options are stored with the record and reused by later issues and renewals.");
  sub->callback([&g, o, sub] {
    finish_record_options(sub, o->rec);
    if (!o->ca.empty() && o->rec.fields.domain) o->rec.fields.ca = o->ca;
    g.action = [&g, o, sub]() -> Status { return run_issue(g, sub, *o); };
  });
}

}  // namespace certctl::cli
