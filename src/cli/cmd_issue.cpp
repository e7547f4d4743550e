// certctl issue NAME... [--ca CA] [--days N] [challenge options]
//               [--domain D (one per NAME) --san S ... (one-shot: create the records too)]
#include "cli/common.hpp"
#include "cli/record_options.hpp"
#include "cli/settings_options.hpp"

#include <certctl/ca.hpp>
#include <certctl/domain.hpp>
#include <certctl/output.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <string_view>

namespace certctl::cli {

namespace {

struct IssueOptions {
  std::vector<std::string> names;
  std::vector<std::string> domains;  // --domain: one per NAME, in order (the one-shot form)
  std::string ca, email;
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

/// The forms of the command line that cannot be run, refused before anything is opened.
Status check_forms(const IssueOptions& o) {
  std::set<std::string_view> seen;
  for (const auto& n : o.names)
    if (!seen.insert(n).second) return Error(Category::Usage, n, "is given twice; name each record once");
  if (o.names.size() == 1) {
    if (o.domains.size() > 1)
      return Error(Category::Usage, "--domain", "one NAME takes one --domain; give its other names with --san");
    return ok();
  }
  if (!o.domains.empty() && o.domains.size() != o.names.size())
    return Error(Category::Usage, "--domain",
                 fmt::format("give one per NAME, in the same order ({} names, {} --domain)", o.names.size(), o.domains.size()));
  if (o.rec.fields.sans)
    return Error(Category::Usage, "--san", "takes one NAME; store several records' names with `certctl create` or `edit`");
  if (o.domains.empty() && o.rec.fields.key_type)
    return Error(Category::Usage, "--key-type",
                 "with several names goes with the one-step form (one --domain per NAME); change stored records with "
                 "`certctl edit --key-type`");
  return ok();
}

/// The CA each record would be issued from: --ca, else the record's, else (a new record) the
/// one it is created with.
Result<std::vector<std::string>> issuing_cas(Session& s, const IssueOptions& o) {
  std::vector<std::string> cas;
  const std::string new_record_ca = o.rec.fields.ca.value_or("local");
  for (const auto& name : o.names) {
    std::string ca = o.ca;
    if (ca.empty() && s.vault.exists(name)) {
      TRY_ASSIGN(vault::Record r, s.vault.load(name));
      ca = r.ca;
    }
    if (ca.empty()) ca = new_record_ca;
    if (std::find(cas.begin(), cas.end(), ca) == cas.end()) cas.push_back(ca);
  }
  return cas;
}

/// --email/--agree-tos: register with each CA the records use that has no account yet (the CI
/// one-liner).
Status register_if_asked(Globals& g, Session& s, const IssueOptions& o) {
  if (o.email.empty() && !o.agree_tos) return ok();
  TRY_ASSIGN(std::vector<std::string> cas, issuing_cas(s, o));
  for (const auto& ca_name : cas) {
    TRY_ASSIGN(ca::CaProfile profile, ca::find_profile(s.vault, ca_name));
    TRY_ASSIGN(std::optional<ca::Account> account, ca::load_account(s.vault, ca_name));
    if (profile.is_local() || account) continue;
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
  return ok();
}

/// Several names: one batch (orders in parallel, shared sessions and responders); with one
/// --domain per name, the records are created (or changed) and keyed first.
Status run_batch(Globals& g, IssueOptions& o, Session& s, lifecycle::IssueRequest req) {
  std::vector<lifecycle::IssueResult> results;
  if (o.domains.empty()) {
    results = lifecycle::issue_many(s.ctx(), o.names, req, o.parallel);
  } else {
    std::vector<lifecycle::NewRecord> records;
    for (std::size_t i = 0; i < o.names.size(); ++i) {
      records.push_back({o.names[i], o.rec.fields});
      records.back().fields.domain = o.domains[i];
    }
    results = lifecycle::issue_many_new(s.ctx(), records, req, o.parallel);
  }
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
  TRY(check_forms(o));
  lifecycle::IssueRequest req;
  TRY_ASSIGN(Session s, open_for_issue(g, sub, o, req));
  const std::string& name = o.names.front();
  const bool existing = s.vault.exists(name);
  if (o.names.size() == 1 && !existing && !o.rec.fields.domain)
    return Error(Category::NotFound, name,
                 "no such certificate in the vault (see `certctl list`); add --domain to create and issue it in one step");
  TRY(register_if_asked(g, s, o));
  if (o.names.size() > 1) return run_batch(g, o, s, std::move(req));

  // --san or --key-type on an existing record are applied (as `edit` would) before it issues.
  const lifecycle::RecordFields& f = o.rec.fields;
  Result<vault::Record> r = (existing && !f.domain && !f.sans && !f.key_type)
                                ? lifecycle::issue(s.ctx(), name, req)
                                : lifecycle::issue_new(s.ctx(), name, f, req);
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
  sub->add_option("--domain,-d", o->domains,
                  "One-shot: create the record for this domain if it does not exist; with several NAMEs, one "
                  "--domain per NAME, in the same order")
      ->allow_extra_args(false);
  sub->add_option("--san", o->rec.sans, "Additional name (repeat); on an existing record it replaces the stored ones first, as edit --san")->allow_extra_args(false);
  sub->add_option("--key-type", o->rec.key_type, "Key type of a new record (default ec256); on an existing one stored first, as edit --key-type");
  add_settings_options(sub, o->settings);
  sub->add_option("--email", o->email, "Register an account with this contact when the CA has none");
  sub->add_flag("--agree-tos", o->agree_tos, "Agree to the CA's terms of service when registering");
  sub->footer("Challenge options are stored with the record and reused by later issues and renewals.");
  sub->callback([&g, o, sub] {
    finish_record_options(sub, o->rec);
    o->rec.fields.domain.reset();  // --domain is bound to o->domains: one per NAME
    if (o->names.size() == 1 && o->domains.size() == 1) o->rec.fields.domain = o->domains.front();
    o->rec.fields.ca.reset();  // --ca is bound to o->ca: the CA of this issuance and of new records
    if (!o->ca.empty()) o->rec.fields.ca = o->ca;
    g.action = [&g, o, sub]() -> Status { return run_issue(g, sub, *o); };
  });
}

}  // namespace certctl::cli
