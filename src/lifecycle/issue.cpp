// Issue certificates for records that have a CSR: from each record's CA, then its fallback
// CAs. Three phases so the vault lock is never held across the network:
//   prepare (locked): load and check the records, read their CSRs;
//   obtain (unlocked, `parallel` workers): run the orders;
//   commit (locked): re-read each record, check it did not change, write files, record last.
#include <certctl/ca.hpp>
#include <certctl/crypto.hpp>
#include <certctl/domain.hpp>
#include <certctl/overloaded.hpp>
#include <certctl/trace.hpp>
#include <certctl/lifecycle.hpp>

#include "lifecycle/internal.hpp"
#include "lifecycle/network_process.hpp"
#include "lifecycle/obtain.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <variant>

#include <fmt/format.h>

namespace certctl::lifecycle {

using namespace detail;

namespace {

Result<ca::IssueOptions> options_for(Context ctx, const vault::Record& r, const std::string& ca_name,
                                     const IssueRequest& req) {
  ca::IssueOptions o;
  o.days = req.days;
  o.dry_run = req.dry_run;
  const vault::IssueSettings& s = r.settings;
  o.challenge.type = s.challenge;
  if (!s.http_address.empty()) o.challenge.http_address = s.http_address;
  if (s.http_port) o.challenge.http_port = s.http_port;
  if (s.tls_port) o.challenge.tls_port = s.tls_port;
  o.challenge.webroot = s.webroot;
  o.challenge.webroot_map = s.webroot_map;
  o.challenge.http_hook = s.http_hook;
  o.challenge.responders = req.responders;
  o.profile = s.profile;
  o.preferred_chain = s.preferred_chain;
  if (o.challenge.type == vault::ChallengeType::Dns01 && !s.dns.empty()) {
    TRY_ASSIGN(o.challenge.dns, challenge::parse_dns_setting(s.dns));
  }
  challenge::DnsProviderOptions& d = o.challenge.dns_options;
  if (auto provider = stored_dns_provider(o.challenge)) {
    TRY_ASSIGN(dns::ProviderConfig config, dns_provider_config(ctx, *provider));
    d.resolver.override_server = req.dns_resolver;
    d.progress = req.dns_progress;
    // The provider's tech zone (else the CA profile's) and propagation settings.
    apply_provider_config(d, config);
    if (d.tech_zone.empty())
      if (auto profile = ca::find_profile(ctx.vault, ca_name)) d.tech_zone = profile->tech_zone;
    o.challenge.dns_provider = std::make_shared<const dns::ProviderConfig>(std::move(config));
  }
  // The record's own propagation settings win over the provider's (and serve exec: hooks).
  if (s.propagation_wait) d.propagation_wait = std::chrono::seconds(s.propagation_wait);
  if (s.no_propagation_check) {
    d.check_propagation = false;
    if (!s.propagation_wait) d.propagation_wait = std::chrono::seconds(0);
  }
  if (!d.progress) d.progress = req.dns_progress;
  return o;
}

/// The staging profile of a CA, when it names one and has an account there.
std::optional<std::string> staging_for(Context ctx, const std::string& ca_name) {
  auto profile = ca::find_profile(ctx.vault, ca_name);
  if (!profile || profile->staging.empty()) return std::nullopt;
  auto account = ca::load_account(ctx.vault, profile->staging);
  if (!account || !*account || (*account)->url.empty() || (*account)->status == acme::AccountStatus::Deactivated) return std::nullopt;
  return profile->staging;
}

struct Job {
  std::string name;
  vault::Record record;  ///< as read in prepare
  std::string csr_pem;
  std::optional<crypto::CsrInfo> csr;
  std::string new_key_sealed;  ///< a renewal's fresh key (sealed); "" = keep the current key
  std::vector<std::string> cas;
  bool renew = false;
  std::string replaces;  ///< ARI id of the certificate a renewal replaces (RFC 9773)
  Outcome outcome;
  std::vector<AttemptLog> log;  ///< what each CA said, for orders.log
};

/// What a dry run reports: the record as it is, with who validated it and the certificate the
/// run got: staging's, or none when it validated without finalizing (none of it is written).
vault::Record dry_run_view(const vault::Record& record, const Issued& issued) {
  vault::Record r = record;
  r.issued_by = issued.by;
  r.cert.reset();
  if (!issued.cert.leaf.empty()) r.cert = meta_from(issued.cert.leaf.info());
  return r;
}

Status choose_cas(Context ctx, Job& job, const IssueRequest& req);

Status prepare(Context ctx, Job& job, const IssueRequest& req) {
  TRY(vault::validate_name(job.name));
  TRY_ASSIGN(job.record, load_existing(ctx, job.name));
  vault::Record& r = job.record;
  TRY(refuse_discovered(r, "issue"));
  if (r.status == vault::CertStatus::Revoked)
    return Error(Category::State, job.name, "is revoked; create a new record for a new certificate");
  if (r.source == vault::Source::Imported)
    return Error(Category::State, job.name,
                 fmt::format("was imported; to issue and renew it here put it under management (`certctl edit {0} --ca "
                             "CA --challenge ...`), or import its next certificate (`certctl import {0} --replace ...`)",
                             job.name));
  if (r.status == vault::CertStatus::Draft || (!r.has_csr && !r.has_cert))
    return Error(Category::State, job.name, fmt::format("has no CSR yet: run `certctl csr {}` first", job.name));
  req.settings.apply_to(r.settings);
  if (req.renew && r.has_cert) job.replaces = r.ari.cert_id;
  // Under key-policy device the vault cannot open the key once issued: a host must be named to
  // hold it, and every later certificate gets a new key.
  const bool device = r.key_policy == vault::KeyPolicy::Device && r.source == vault::Source::Managed;
  if (device) {
    TRY_ASSIGN(std::vector<DeployTarget> targets, deploy_targets(ctx));
    TRY_ASSIGN(std::vector<HostInfo> hosts, host_list(ctx));
    if (hosts_named(r, targets, hosts).empty())
      return Error(Category::Config, job.name,
                   "has key-policy device, but no deploy target names a registered host for it, so its key would be "
                   "lost; add one (`certctl deploy add T --hosts HOST ...`) or set --key-policy hybrid");
  }
  // A renewal gets a new key and CSR (unless the key is reused); so does every certificate
  // without a key in the vault (key-policy device) or without a CSR (an imported record put
  // under management), and one whose record's names, subject or key type were edited since.
  // They are written with the certificate, in one version.
  const bool managed_cert = r.has_cert && r.source == vault::Source::Managed;
  bool new_key = managed_cert && ((req.renew && r.has_key && !r.settings.reuse_key) || !r.has_key || !r.has_csr);
  const std::string csr_path = ctx.vault.where(vault::Layout::version_file(job.name, r.version, kCsrFile));
  if (!new_key) {
    TRY_ASSIGN(job.csr_pem, ctx.vault.read_file(job.name, r.version, kCsrFile));
    TRY_ASSIGN(job.csr, crypto::parse_csr(job.csr_pem, csr_path));
    new_key = managed_cert && !csr_matches_record(*job.csr, r);
  }
  if (new_key) {
    TRY_ASSIGN(crypto::KeyType kt, crypto::parse_key_type(r.key_type));
    TRY_ASSIGN(crypto::PrivateKey key, crypto::PrivateKey::generate(kt));
    TRY_ASSIGN(job.csr_pem, crypto::make_csr(key, csr_request_for(r)));
    TRY_ASSIGN(job.new_key_sealed, ctx.vault.seal(job.name, key.to_pem()));
    TRY_ASSIGN(job.csr, crypto::parse_csr(job.csr_pem, csr_path));
  }
  TRY(choose_cas(ctx, job, req));
  return check_policy(ctx, job.name, policy_subject(r, job.cas, req.days), /*audited=*/!req.dry_run);
}

/// The record's CA first (or --ca), then each fallback once; `local` may be among them.
Status choose_cas(Context ctx, Job& job, const IssueRequest& req) {
  const vault::Record& r = job.record;
  job.cas = {req.ca.value_or(r.ca)};
  for (const auto& f : r.settings.fallback)
    if (std::find(job.cas.begin(), job.cas.end(), f) == job.cas.end()) job.cas.push_back(f);
  // Never retry into a rate limit: skip the CA that named a retry time until it has passed.
  if (r.last_problem == "rateLimited" && r.retry_after > ctx.clock.now()) {
    const std::string limited = job.cas.front();
    job.cas.erase(job.cas.begin());
    if (job.cas.empty())
      return Error(Category::Ca, job.name,
                   fmt::format("CA '{}' rate-limited it; not retrying before {} (or add --fallback CA)", limited,
                               format_rfc3339(r.retry_after)));
  }
  return ok();
}

/// The CAs to try for a job: the listed ones, a dry run's staging profile in place of its CA
/// when there is an account there, each with the options it orders with.
OrderJob order_job(Context ctx, const Job& job, const IssueRequest& req) {
  OrderJob order{job.name, job.record.all_names(), *job.csr, {}};
  for (const auto& listed : job.cas) {
    Attempt at;
    // A dry run goes all the way at the CA's staging environment when it has an account
    // there (nothing is written either way); else it validates without finalizing.
    at.ca = req.dry_run ? staging_for(ctx, listed).value_or(listed) : listed;
    auto made = options_for(ctx, job.record, at.ca, req);
    if (!made) {
      at.stop = made.error();
      order.attempts.push_back(std::move(at));
      break;
    }
    at.options = std::move(made).value();
    if (at.ca != listed) at.options.dry_run = false;  // a real issuance, at staging
    // "replaces" only names a certificate of the same CA (and account).
    if (at.ca == job.record.issued_by) {
      at.options.replaces = job.replaces;
      at.options.replaced_is_final = ctx.vault.store().shared();
    }
    order.attempts.push_back(std::move(at));
  }
  return order;
}

/// The issuers of this process: each CA's from the vault, its account key opened here.
IssuerSource in_process_issuers(Context ctx) {
  return [ctx](const std::string& ca) { return ca::make_issuer(ca, ctx.vault, ctx.clock, ctx.http); };
}

/// One line in orders.log per attempt (a dry run writes nothing).
void log_attempts(Context ctx, const Job& job, const IssueRequest& req) {
  if (req.dry_run) return;
  for (const AttemptLog& a : job.log) {
    vault::Vault::OrderEntry e;
    e.name = job.name;
    e.ca = a.ca;
    e.type = req.renew ? "renew" : job.record.has_cert ? "reissue" : "issue";
    e.status = a.error.empty() ? "valid" : "failed";
    e.error = a.error;
    e.duration_s = a.duration_s;
    e.replaces = a.replaces;
    (void)ctx.vault.log_order(e, ctx.clock.now());
  }
}

/// The record as re-read for commit, refused when it changed while the orders ran.
Result<vault::Record> reread(Context ctx, const Job& job) {
  TRY_ASSIGN(vault::Record r, load_existing(ctx, job.name));
  if (r.version != job.record.version || r.has_cert != job.record.has_cert || r.has_csr != job.record.has_csr ||
      r.status == vault::CertStatus::Revoked)
    return Error(Category::State, job.name, "changed while it was being issued; run the command again");
  r.settings = job.record.settings;
  return r;
}

/// Not the CA's failure: the DNS delegation is missing. Pending, with the record to add; issue
/// and renew try again after the backoff (or at once after `certctl dns check`).
Result<vault::Record> commit_waiting(Context ctx, const std::string& name, vault::Record r, const Waiting& w) {
  r.status = r.has_cert ? r.status : vault::CertStatus::Pending;
  r.last_error = w.instruction;
  r.attempts += 1;
  r.next_attempt = ctx.clock.now() + vault::backoff_after(r.attempts);
  r.updated = ctx.clock.now();
  TRY(ctx.vault.save(r));
  TRY(audit(ctx, "issue-pending", name, {{"reason", w.instruction}}));
  return Error(Category::Dns, name,
               fmt::format("{}; it stays pending until then (check with `certctl dns check {}`)", w.instruction, name));
}

/// Keep why in the record (status error); the certificate it had, if any, stays.
Result<vault::Record> commit_failed(Context ctx, const std::string& name, vault::Record r, const Failed& f) {
  r.status = vault::CertStatus::Error;
  r.last_error = f.failures.back();
  r.last_problem = f.problem.type;
  r.retry_after = f.problem.retry_after_s ? ctx.clock.now() + f.problem.retry_after_s : 0;
  r.attempts += 1;
  r.next_attempt = std::max(r.retry_after, ctx.clock.now() + vault::backoff_after(r.attempts));
  r.updated = ctx.clock.now();
  TRY(ctx.vault.save(r));
  TRY(audit(ctx, "issue-failed", name, {{"error", r.last_error}}));
  return Error(f.category, name,
               f.failures.size() == 1 ? f.failures.front() : fmt::format("every CA failed: {}", fmt::join(f.failures, " | ")));
}

/// A renewal a hard policy rule refused: status error with the rule as its last error, tried
/// again after the backoff (the refusal is audited already).
Result<vault::Record> commit_refused(Context ctx, const Job& job, const Error& e) {
  TRY_ASSIGN(vault::Record r, load_existing(ctx, job.name));
  r.status = vault::CertStatus::Error;
  r.last_error = e.text();
  r.attempts += 1;
  r.next_attempt = ctx.clock.now() + vault::backoff_after(r.attempts);
  r.updated = ctx.clock.now();
  TRY(ctx.vault.save(r));
  return e;
}

Result<vault::Record> commit_issued(Context ctx, const Job& job, vault::Record r, const Issued& issued) {
  // Re-issue: a new version with the same key and CSR; the old one moves to history.
  int version = r.version;
  vault::Vault::VersionFiles files;
  if (r.has_cert) {
    version = r.version + 1;
    if (!job.new_key_sealed.empty()) {
      files.files.emplace_back(kKeyFile, job.new_key_sealed);
    } else if (r.has_key) {
      TRY_ASSIGN(std::string sealed, ctx.vault.read_file(job.name, r.version, kKeyFile));
      files.files.emplace_back(kKeyFile, std::move(sealed));
    }
    files.files.emplace_back(kCsrFile, job.csr_pem);
    r.has_csr = true;  // (a record taken over from an import had none)
    if (!job.new_key_sealed.empty()) r.has_key = true;  // dropped again below under key-policy device
    retire_current(r, job.renew ? "renewed" : "reissued", ctx.clock.now());
    r.renewed = ctx.clock.now();
  } else {
    files.fresh = false;  // the first certificate joins the version that holds its key and CSR
  }
  files.version = version;
  // Device copies (key-policy hybrid or device) of the version's key for every host its deploy
  // targets name; under device policy the vault keeps no copy of its own.
  r.sealed_to.clear();
  if (r.key_policy != vault::KeyPolicy::Master && (r.has_key || !job.new_key_sealed.empty())) {
    TRY_ASSIGN(std::vector<DeployTarget> targets, deploy_targets(ctx));
    TRY_ASSIGN(std::vector<HostInfo> hosts, host_list(ctx));
    const std::vector<const HostInfo*> named = hosts_named(r, targets, hosts);
    if (!named.empty()) {
      SecretBytes pem;
      if (!job.new_key_sealed.empty()) {
        TRY_ASSIGN(pem, ctx.vault.open_sealed(job.name, job.new_key_sealed, job.name));
      } else {
        TRY_ASSIGN(crypto::PrivateKey key, load_key(ctx, r, r.version));
        pem = key.to_pem();
      }
      TRY_ASSIGN(auto copies, device_copies(job.name, version, pem, named));
      for (auto& c : copies) files.files.push_back(std::move(c));
      for (const HostInfo* h : named) r.sealed_to.push_back(h->name);
      if (r.key_policy == vault::KeyPolicy::Device) {
        std::erase_if(files.files, [](const auto& f) { return f.first == kKeyFile; });
        r.has_key = false;
      }
    }
  }
  files.files.emplace_back(kCertFile, issued.cert.leaf.to_pem());
  files.files.emplace_back(kChainFile, crypto::to_pem_bundle(issued.cert.chain));
  r.version = version;
  r.has_cert = r.has_chain = true;
  r.cert = meta_from(issued.cert.leaf.info());
  r.issued_by = issued.by;
  r.status = vault::CertStatus::Active;
  r.issued = r.updated = ctx.clock.now();
  r.last_error.clear();
  r.last_problem.clear();
  r.retry_after = 0;
  r.attempts = 0;
  r.next_attempt = 0;
  r.ari = {};
  if (issued.cert.ari && !issued.cert.ari->cert_id.empty()) apply_ari(r.ari, *issued.cert.ari, ctx.clock.now());
  TRY(ctx.vault.save(r, files));
  trace::step(fmt::format("'{}': version {} saved (serial {}, by {})", job.name, version, r.cert->serial_hex, issued.by));
  TRY(audit(ctx, "issue", job.name,
            {{"ca", issued.by}, {"serial_hex", r.cert->serial_hex}, {"version", std::to_string(version)}}));
  return r;
}

Error never_ordered(const Job& job) { return Error(Category::Internal, job.name, "was prepared but never ordered"); }

/// The job's result: written to the vault, or (dry run) reported with nothing written.
Result<vault::Record> finish(Context ctx, const Job& job, bool dry_run) {
  using R = Result<vault::Record>;
  if (const auto* stopped = std::get_if<Stopped>(&job.outcome)) {
    // A renewal the policy now refuses fails that record, which says why (status error).
    if (job.renew && !dry_run && stopped->error.category() == Category::Policy) return commit_refused(ctx, job, stopped->error);
    return stopped->error;
  }
  if (dry_run)
    return std::visit(Overloaded{
                          [&](const Ready&) -> R { return never_ordered(job); },
                          [&](const Stopped& s) -> R { return s.error; },
                          [&](const Waiting& w) -> R { return Error(Category::Dns, job.name, w.instruction); },
                          [&](const Failed& f) -> R { return Error(f.category, job.name, f.failures.back()); },
                          [&](const Issued& i) -> R { return dry_run_view(job.record, i); },
                      },
                      job.outcome);
  if (const auto* f = std::get_if<Failed>(&job.outcome); f && f->problem.type == "alreadyReplaced") {
    // RFC 9773: the certificate this order replaces was replaced already. In a shared vault
    // that is another host's renewal: when the record moved on meanwhile, take it as it is.
    if (auto now = load_existing(ctx, job.name); now && now->version != job.record.version && now->has_cert) return now;
  }
  TRY_ASSIGN(vault::Record r, reread(ctx, job));
  return std::visit(Overloaded{
                        [&](const Ready&) -> R { return never_ordered(job); },
                        [&](const Stopped& s) -> R { return s.error; },
                        [&](const Waiting& w) -> R { return commit_waiting(ctx, job.name, std::move(r), w); },
                        [&](const Failed& f) -> R { return commit_failed(ctx, job.name, std::move(r), f); },
                        [&](const Issued& i) -> R { return commit_issued(ctx, job, std::move(r), i); },
                    },
                    job.outcome);
}

/// Run the orders of every job still Ready (in the network process when the context asks
/// for it); a batch shares its solvers, whose cleanup failures come back as warnings per
/// record name.
std::map<std::string, std::vector<Error>> obtain_all(Context ctx, std::vector<Job>& jobs, const IssueRequest& req,
                                                     int parallel) {
  std::vector<Job*> ready;
  std::vector<OrderJob> orders;
  for (auto& j : jobs)
    if (std::holds_alternative<Ready>(j.outcome)) {
      ready.push_back(&j);
      orders.push_back(order_job(ctx, j, req));
    }
  if (orders.empty()) return {};
  JobDone job_done;
  if (req.order_progress)
    job_done = [&req, &orders, ended = std::size_t{0}](std::size_t i) mutable {
      if (i < orders.size()) req.order_progress(orders[i].name, ++ended, orders.size());
    };
  Result<Batch> batch = ctx.network_process
                            ? run_in_network_process(ctx, orders, parallel, req.dns_progress, job_done)
                            : Result<Batch>(run_orders(orders, in_process_issuers(ctx), parallel, job_done));
  for (std::size_t i = 0; i < ready.size(); ++i) {
    if (!batch) {
      ready[i]->outcome = Stopped{batch.error()};
      continue;
    }
    ready[i]->outcome = std::move(batch->results[i].outcome);
    ready[i]->log = std::move(batch->results[i].log);
    log_attempts(ctx, *ready[i], req);
  }
  return batch ? std::move(batch->warnings) : std::map<std::string, std::vector<Error>>{};
}

}  // namespace

void SettingsOverride::apply_to(vault::IssueSettings& s) const {
  if (challenge) s.challenge = *challenge;
  if (dns) {
    s.dns = *dns;
    if (!challenge) s.challenge = vault::ChallengeType::Dns01;
  }
  if (webroot) s.webroot = *webroot;
  if (webroot_map) s.webroot_map = *webroot_map;
  if ((webroot && !webroot->empty()) || (webroot_map && !webroot_map->empty())) s.http_hook.clear();
  if (http_hook) {
    s.http_hook = *http_hook;
    if (!http_hook->empty()) {
      s.webroot.clear();
      s.webroot_map.clear();
    }
  }
  if (http_address) s.http_address = *http_address;
  if (http_port) s.http_port = *http_port;
  if (tls_port) s.tls_port = *tls_port;
  if (profile) s.profile = *profile;
  if (preferred_chain) s.preferred_chain = *preferred_chain;
  if (fallback) s.fallback = *fallback;
  if (reuse_key) s.reuse_key = *reuse_key;
  if (deploy_dir) s.deploy_dir = *deploy_dir;
  if (deploy_owner) s.deploy_owner = *deploy_owner;
  if (deploy_hook) s.deploy_hook = *deploy_hook;
  if (propagation_wait) s.propagation_wait = *propagation_wait;
  if (no_propagation_check) s.no_propagation_check = *no_propagation_check;
}

std::vector<IssueResult> issue_many(Context ctx, const std::vector<std::string>& names, const IssueRequest& req,
                                    int parallel) {
  ensure_policy_run(ctx);
  std::vector<IssueResult> results;
  auto fail_all = [&](const Error& e) {
    for (const auto& n : names) results.emplace_back(n, e);
    return results;
  };
  if (req.days < 1 || req.days > 3650) return fail_all(Error(Category::Usage, "--days", "must be between 1 and 3650"));
  if (req.ca)
    if (auto st = ca::validate_ca_name(*req.ca, &ctx.vault); !st) return fail_all(st.error());
  if (auto st = check_settings(ctx, req.settings); !st) return fail_all(st.error());

  std::vector<Job> jobs(names.size());
  {
    auto lock = ctx.vault.lock();
    if (!lock) return fail_all(lock.error());
    for (std::size_t i = 0; i < names.size(); ++i) {
      jobs[i].name = names[i];
      jobs[i].renew = req.renew;
      if (auto st = prepare(ctx, jobs[i], req); !st) jobs[i].outcome = Stopped{st.error()};
    }
  }
  auto warnings = obtain_all(ctx, jobs, req, parallel);

  auto lock = ctx.vault.lock();
  if (!lock) return fail_all(lock.error());
  for (const auto& j : jobs) {
    auto w = warnings.find(j.name);
    results.emplace_back(j.name, finish(ctx, j, req.dry_run), w == warnings.end() ? std::vector<Error>() : w->second);
  }
  return results;
}

Result<vault::Record> issue(Context ctx, const std::string& name, const IssueRequest& req) {
  return std::move(issue_many(ctx, {name}, req, 1).front());
}

namespace {

/// A dry run of what issue_new would issue: the record as `fields` make it, in memory, with a
/// key and CSR made for this run and thrown away; nothing is written.
Result<vault::Record> dry_run_draft(Context ctx, const std::string& name, const RecordFields& fields,
                                    const IssueRequest& req) {
  std::vector<Job> jobs(1);
  Job& job = jobs.front();
  job.name = name;
  {
    TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
    TRY_ASSIGN(job.record, draft_record(ctx, name, fields));
  }
  vault::Record& r = job.record;
  req.settings.apply_to(r.settings);
  TRY_ASSIGN(crypto::KeyType kt, crypto::parse_key_type(r.key_type));
  TRY_ASSIGN(crypto::PrivateKey key, crypto::PrivateKey::generate(kt));
  TRY_ASSIGN(job.csr_pem, crypto::make_csr(key, csr_request_for(r)));
  TRY_ASSIGN(job.csr, crypto::parse_csr(job.csr_pem, name));
  TRY(choose_cas(ctx, job, req));
  TRY(check_policy(ctx, name, policy_subject(r, job.cas, req.days), /*audited=*/false));  // a dry run writes nothing
  obtain_all(ctx, jobs, req, 1);
  return finish(ctx, job, /*dry_run=*/true);
}

/// Does the record wait for its user to act (a DNS delegation to add), so that renew finishes
/// it once they have? Pending with the instruction kept as its last error.
bool waits_for_user(const vault::Record& r) { return r.status == vault::CertStatus::Pending && !r.last_error.empty(); }

/// Would `fields` change the names or key type `existing` has?
bool changes_identity(const vault::Record& existing, const RecordFields& fields) {
  return (fields.sans && *fields.sans != existing.sans) || (fields.key_type && *fields.key_type != existing.key_type);
}

/// What issue_new does before it issues: create the record (`existed` false) or store new
/// names or key type on it, then make its key and CSR when it has neither.
Status prepare_new(Context ctx, const std::string& name, const RecordFields& fields, const IssueRequest& req,
                   bool existed) {
  if (existed) {
    TRY_ASSIGN(vault::Record existing, ctx.vault.load(name));
    TRY(check_same_domain(existing, fields));
    // New SANs or key type for an existing record are stored first, as `edit` stores them (an
    // issued record then gets a new key and CSR); an imported or revoked one refuses them.
    if (changes_identity(existing, fields)) {
      RecordFields change;
      change.sans = fields.sans;
      change.key_type = fields.key_type;
      TRY(edit(ctx, name, change, {}));
    }
    TRY_ASSIGN(vault::Record r, ctx.vault.load(name));
    if (!r.has_csr && !r.has_cert) TRY(make_csr(ctx, name));
    return ok();
  }
  RecordFields f = fields;
  if (req.ca && !f.ca) f.ca = req.ca;
  // The new record as issue would order it (its CAs and the local CA's days), checked before
  // it is created, so a refused one-step issue writes nothing.
  TRY_ASSIGN(vault::Record draft, new_record(ctx, name, f));
  TRY(check_policy(ctx, name, policy_subject(draft, record_cas(draft, req.ca), req.days)));
  TRY(create_with_csr(ctx, name, f));
  return ok();
}

/// A record issue_new created and could not issue is removed again, so renew does not keep
/// retrying a name the user may have mistyped; one that waits for a DNS delegation stays.
void discard_unissued(Context ctx, const std::string& name) {
  if (auto r = ctx.vault.load(name); r && !r->has_cert && !waits_for_user(*r)) (void)remove(ctx, name);
}

}  // namespace

Result<vault::Record> issue_new(Context ctx, const std::string& name, const RecordFields& fields,
                                const IssueRequest& req) {
  TRY(vault::validate_name(name));
  ensure_policy_run(ctx);
  const bool existed = ctx.vault.exists(name);
  if (req.dry_run) {
    if (!existed) return dry_run_draft(ctx, name, fields, req);
    TRY_ASSIGN(vault::Record existing, ctx.vault.load(name));
    TRY(check_same_domain(existing, fields));
    return changes_identity(existing, fields) ? dry_run_draft(ctx, name, fields, req) : issue(ctx, name, req);
  }
  auto run = [&]() -> Result<vault::Record> {
    TRY(prepare_new(ctx, name, fields, req, existed));
    return issue(ctx, name, req);
  };
  Result<vault::Record> out = run();
  if (!out && !existed) discard_unissued(ctx, name);
  return out;
}

std::vector<IssueResult> issue_many_new(Context ctx, const std::vector<NewRecord>& records, const IssueRequest& req,
                                        int parallel) {
  ensure_policy_run(ctx);
  std::vector<IssueResult> results;
  if (req.dry_run) {  // nothing is written, so each record's draft runs on its own
    for (const auto& nr : records) results.emplace_back(nr.name, issue_new(ctx, nr.name, nr.fields, req));
    return results;
  }
  std::vector<std::optional<Error>> refused(records.size());
  std::vector<bool> existed(records.size());
  std::vector<std::string> ready;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const NewRecord& nr = records[i];
    Status st = vault::validate_name(nr.name);
    if (st) {
      existed[i] = ctx.vault.exists(nr.name);
      st = prepare_new(ctx, nr.name, nr.fields, req, existed[i]);
      if (!st && !existed[i]) discard_unissued(ctx, nr.name);
    }
    if (st)
      ready.push_back(nr.name);
    else
      refused[i] = st.error();
  }
  std::vector<IssueResult> issued = issue_many(ctx, ready, req, parallel);
  auto next = issued.begin();
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (refused[i]) {
      results.emplace_back(records[i].name, *refused[i]);
      continue;
    }
    if (!*next && !existed[i]) discard_unissued(ctx, records[i].name);
    results.push_back(std::move(*next++));
  }
  return results;
}

}  // namespace certctl::lifecycle
