// Issue certificates for records that have a CSR: from each record's CA, then its fallback
// CAs. Three phases so the vault lock is never held across the network:
//   prepare (locked): load and check the records, read their CSRs;
//   obtain (unlocked, `parallel` workers): run the orders;
//   commit (locked): re-read each record, check it did not change, write files, record last.
#include <certctl/ca.hpp>
#include <certctl/crypto.hpp>
#include <certctl/domain.hpp>
#include <certctl/lifecycle.hpp>

#include "lifecycle/internal.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

namespace certctl::lifecycle {

using namespace detail;

namespace {

/// The issued certificate must be for the CSR's key and carry every name of the record.
Status check_issued(const vault::Record& r, const crypto::CsrInfo& csr, const ca::Issued& issued,
                    std::string_view ca_name) {
  const std::string subject = fmt::format("CA '{}'", ca_name);
  if (!crypto::public_key_matches(issued.leaf, csr))
    return Error(Category::Ca, subject, "returned a certificate for a different key than the CSR");
  const crypto::CertInfo info = issued.leaf.info();
  for (const auto& n : r.all_names()) {
    auto has = [&n](const std::vector<std::string>& v) { return std::find(v.begin(), v.end(), n) != v.end(); };
    if (!has(info.dns_names) && !has(info.ip_addresses))
      return Error(Category::Ca, subject, fmt::format("returned a certificate without the name '{}'", n));
  }
  return crypto::verify_chain_links(issued.leaf, issued.chain, subject);
}

/// Failures that mean "this CA could not issue now" (try the next CA, mark the record error),
/// as opposed to mistakes in the command or the vault.
bool is_ca_failure(const Error& e) {
  return e.category() == Category::Ca || e.category() == Category::Network || e.category() == Category::Dns;
}

Result<ca::IssueOptions> options_for(Context ctx, const vault::Record& r, const std::string& ca_name,
                                     const IssueRequest& req) {
  ca::IssueOptions o;
  o.days = req.days;
  o.dry_run = req.dry_run;
  const vault::IssueSettings& s = r.settings;
  if (!s.challenge.empty()) o.challenge.type = s.challenge;
  if (!s.http_address.empty()) o.challenge.http_address = s.http_address;
  if (s.http_port) o.challenge.http_port = s.http_port;
  if (s.tls_port) o.challenge.tls_port = s.tls_port;
  o.challenge.webroot = s.webroot;
  o.challenge.dns = s.dns;
  o.profile = s.profile;
  o.preferred_chain = s.preferred_chain;
  if (o.challenge.type == "dns-01" && is_stored_dns_provider(s.dns)) {
    TRY_ASSIGN(dns::ProviderConfig config, dns_provider_config(ctx, s.dns));
    challenge::DnsProviderOptions& d = o.challenge.dns_options;
    d.resolver.override_server = req.dns_resolver;
    d.propagation_timeout = std::chrono::seconds(config.timeout_s);
    d.progress = req.dns_progress;
    // The provider's tech zone, else the CA profile's.
    d.tech_zone = config.tech_zone;
    if (d.tech_zone.empty())
      if (auto profile = ca::find_profile(ctx.vault, ca_name)) d.tech_zone = profile->tech_zone;
    o.challenge.dns_provider = std::make_shared<const dns::ProviderConfig>(std::move(config));
  }
  return o;
}

/// The staging profile of a CA, when it names one and has an account there.
std::optional<std::string> staging_for(Context ctx, const std::string& ca_name) {
  auto profile = ca::find_profile(ctx.vault, ca_name);
  if (!profile || profile->staging.empty()) return std::nullopt;
  auto account = ca::load_account(ctx.vault, profile->staging);
  if (!account || !*account || (*account)->url.empty() || (*account)->status == "deactivated") return std::nullopt;
  return profile->staging;
}

std::string solver_key(const ca::ChallengeSettings& c) {
  return fmt::format("{}|{}|{}|{}|{}|{}|{}", c.type, c.http_address, c.http_port, c.tls_port, c.webroot, c.dns,
                     c.dns_options.tech_zone);
}

struct Job {
  std::string name;
  vault::Record record;  ///< as read in prepare
  std::string csr_pem;
  std::optional<crypto::CsrInfo> csr;
  std::string new_key_sealed;  ///< a renewal's fresh key (sealed); "" = keep the current key
  std::vector<std::string> cas;
  std::optional<Error> error;  ///< a failure that is not the CA's (stops this job)
  std::optional<ca::Issued> issued;
  std::string issued_by;
  std::vector<std::string> failures;
  /// The category the failures share (exit 6 when every CA was unreachable), Ca when mixed.
  Category failure_category = Category::Ca;
  ca::ProblemInfo problem;
  bool renew = false;
  std::string replaces;  ///< ARI id of the certificate a renewal replaces (RFC 9773)
  std::string pending;   ///< a missing tech-zone CNAME: the record waits in status pending
};

/// What a dry run reports: the record as it is, with who validated it and, when staging
/// issued a certificate, that certificate's details (none of it is written).
vault::Record dry_run_view(const Job& j) {
  vault::Record r = j.record;
  r.issued_by = j.issued_by;
  if (j.issued && !j.issued->leaf.empty()) r.cert = meta_from(j.issued->leaf.info());
  return r;
}

Status prepare(Context ctx, Job& job, const IssueRequest& req) {
  TRY(vault::validate_name(job.name));
  TRY_ASSIGN(job.record, load_existing(ctx, job.name));
  vault::Record& r = job.record;
  if (r.status == vault::CertStatus::Draft || !r.has_csr)
    return Error(Category::State, job.name, fmt::format("has no CSR yet: run `certctl csr {}` first", job.name));
  if (r.status == vault::CertStatus::Revoked)
    return Error(Category::State, job.name, "is revoked; create a new record for a new certificate");
  if (r.source == vault::Source::Imported)
    return Error(Category::State, job.name, "was imported; import its next certificate with `certctl import --replace`");
  req.settings.apply_to(r.settings);
  if (req.renew && r.has_cert) job.replaces = r.ari.cert_id;
  if (req.renew && r.has_cert && r.has_key && r.source == vault::Source::Managed && !r.settings.reuse_key) {
    // A renewal gets a new key and CSR; they are written with the certificate, in one version.
    TRY_ASSIGN(crypto::KeyType kt, crypto::parse_key_type(r.key_type));
    TRY_ASSIGN(crypto::PrivateKey key, crypto::PrivateKey::generate(kt));
    TRY_ASSIGN(job.csr_pem, crypto::make_csr(key, csr_request_for(r)));
    TRY_ASSIGN(job.new_key_sealed, ctx.vault.seal(job.name, key.to_pem()));
  } else {
    TRY_ASSIGN(job.csr_pem, ctx.vault.read_file(job.name, r.version, kCsrFile));
  }
  TRY_ASSIGN(job.csr, crypto::parse_csr(job.csr_pem, ctx.vault.layout().version_file(job.name, r.version, kCsrFile)));
  // The record's CA first (or --ca), then each fallback once; `local` may be among them.
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

/// Solvers shared by the orders of a batch, one per distinct challenge set-up.
class SharedSolvers {
 public:
  Result<challenge::Solver*> get(const ca::ChallengeSettings& c) {
    std::lock_guard lock(mu_);
    auto& slot = solvers_[solver_key(c)];
    if (!slot) {
      TRY_ASSIGN(slot, ca::make_solver(c));
    }
    return slot.get();
  }
  void cleanup() {
    std::lock_guard lock(mu_);
    for (auto& [_, s] : solvers_) (void)s->cleanup();
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<challenge::Solver>> solvers_;
};

/// One worker: its own issuers (CA sessions), reused for every job it takes.
void obtain(Context ctx, Job& job, const IssueRequest& req, std::map<std::string, std::unique_ptr<ca::Issuer>>& issuers,
            SharedSolvers* shared) {
  const std::string order_type = job.record.has_cert ? "reissue" : "issue";
  for (const auto& listed_ca : job.cas) {
    const auto started = std::chrono::steady_clock::now();
    // A dry run goes all the way at the CA's staging environment when it has an account
    // there (nothing is written either way); else it validates without finalizing.
    const std::string ca_name = req.dry_run ? staging_for(ctx, listed_ca).value_or(listed_ca) : listed_ca;
    auto made = options_for(ctx, job.record, ca_name, req);
    if (!made) {
      job.error = made.error();
      return;
    }
    ca::IssueOptions opts = std::move(made).value();
    if (ca_name != listed_ca) opts.dry_run = false;  // a real issuance, at staging
    // A missing tech-zone CNAME is found before any order is placed: the record waits.
    if (opts.challenge.dns_provider && !opts.challenge.dns_options.tech_zone.empty()) {
      dns::Resolver lookups(opts.challenge.dns_options.resolver);
      Status delegated = challenge::check_delegations(lookups, job.csr->dns_names, opts.challenge.dns_options.tech_zone);
      // Other lookup failures surface from the order's own solver, as a failure of this CA.
      if (!delegated && challenge::is_missing_delegation(delegated.error())) {
        job.pending = delegated.error().message();
        return;
      }
    }
    // "replaces" only names a certificate of the same CA (and account).
    if (ca_name == job.record.issued_by) opts.replaces = job.replaces;
    auto attempt = [&]() -> Result<ca::Issued> {
      auto& issuer = issuers[ca_name];
      if (!issuer) {
        TRY_ASSIGN(issuer, ca::make_issuer(ca_name, ctx.vault, ctx.clock));
      }
      if (shared) {
        TRY_ASSIGN(opts.shared_solver, shared->get(opts.challenge));
      }
      auto out = issuer->issue(*job.csr, opts);
      if (!out) {
        job.problem = issuer->last_problem();
        return out;
      }
      if (!opts.dry_run) TRY(check_issued(job.record, *job.csr, *out, ca_name));
      return out;
    }();
    vault::Vault::OrderEntry e;
    e.name = job.name;
    e.ca = ca_name;
    e.type = req.renew ? "renew" : order_type;
    e.status = attempt ? "valid" : "failed";
    e.error = attempt ? "" : attempt.error().text();
    e.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (attempt) e.replaces = attempt->replaced;
    if (!req.dry_run) (void)ctx.vault.log_order(e, ctx.clock.now());  // a dry run writes nothing
    if (attempt) {
      job.issued = std::move(attempt).value();
      job.issued_by = ca_name;
      return;
    }
    if (challenge::is_missing_delegation(attempt.error())) {
      job.pending = attempt.error().message();  // the record waits for its CNAME
      return;
    }
    if (!is_ca_failure(attempt.error())) {
      job.error = std::move(attempt).error();
      return;
    }
    const Category c = attempt.error().category();
    job.failure_category = job.failures.empty() || job.failure_category == c ? c : Category::Ca;
    job.failures.push_back(attempt.error().text());
    // A rate limit is not retried into: only the next CA is tried.
  }
}

Result<vault::Record> commit(Context ctx, Job& job) {
  TRY_ASSIGN(vault::Record r, load_existing(ctx, job.name));
  if (r.version != job.record.version || r.has_cert != job.record.has_cert || !r.has_csr ||
      r.status == vault::CertStatus::Revoked)
    return Error(Category::State, job.name, "changed while it was being issued; run the command again");
  r.settings = job.record.settings;
  if (!job.issued && !job.pending.empty()) {
    // Not the CA's failure: the DNS delegation is missing. Pending, with the record to add;
    // issue and renew try again after the backoff (or at once after `certctl dns check`).
    r.status = r.has_cert ? r.status : vault::CertStatus::Pending;
    r.last_error = job.pending;
    r.attempts += 1;
    r.next_attempt = ctx.clock.now() + vault::backoff_after(r.attempts);
    r.updated = ctx.clock.now();
    TRY(ctx.vault.save(r));
    TRY(audit(ctx, "issue-pending", job.name, {{"reason", job.pending}}));
    return Error(Category::Dns, job.name,
                 fmt::format("{}; it stays pending until then (check with `certctl dns check {}`)", job.pending, job.name));
  }
  if (!job.issued) {
    // Keep why in the record (status error); the certificate it had, if any, stays.
    r.status = vault::CertStatus::Error;
    r.last_error = job.failures.back();
    r.last_problem = job.problem.type;
    r.retry_after = job.problem.retry_after_s ? ctx.clock.now() + job.problem.retry_after_s : 0;
    r.attempts += 1;
    r.next_attempt = std::max(r.retry_after, ctx.clock.now() + vault::backoff_after(r.attempts));
    r.updated = ctx.clock.now();
    TRY(ctx.vault.save(r));
    TRY(audit(ctx, "issue-failed", job.name, {{"error", r.last_error}}));
    return Error(job.failure_category, job.name,
                 job.failures.size() == 1 ? job.failures.front()
                                          : fmt::format("every CA failed: {}", fmt::join(job.failures, " | ")));
  }
  // Re-issue: a new version with the same key and CSR; the old one moves to history.
  int version = r.version;
  if (r.has_cert) {
    version = r.version + 1;
    TRY(start_version(ctx, job.name, version));
    if (!job.new_key_sealed.empty()) {
      TRY(ctx.vault.write_file(job.name, version, kKeyFile, job.new_key_sealed));
    } else if (r.has_key) {
      TRY_ASSIGN(std::string sealed, ctx.vault.read_file(job.name, r.version, kKeyFile));
      TRY(ctx.vault.write_file(job.name, version, kKeyFile, sealed));
    }
    TRY(ctx.vault.write_file(job.name, version, kCsrFile, job.csr_pem));
    retire_current(r, job.renew ? "renewed" : "reissued", ctx.clock.now());
    r.renewed = ctx.clock.now();
  }
  TRY(ctx.vault.write_file(job.name, version, kCertFile, job.issued->leaf.to_pem()));
  TRY(ctx.vault.write_file(job.name, version, kChainFile, crypto::to_pem_bundle(job.issued->chain)));
  r.version = version;
  r.has_cert = r.has_chain = true;
  r.cert = meta_from(job.issued->leaf.info());
  r.issued_by = job.issued_by;
  r.status = vault::CertStatus::Active;
  r.issued = r.updated = ctx.clock.now();
  r.last_error.clear();
  r.last_problem.clear();
  r.retry_after = 0;
  r.attempts = 0;
  r.next_attempt = 0;
  r.ari = {};
  if (job.issued->ari && !job.issued->ari->cert_id.empty()) apply_ari(r.ari, *job.issued->ari, ctx.clock.now());
  TRY(ctx.vault.save(r));
  TRY(audit(ctx, "issue", job.name,
            {{"ca", job.issued_by}, {"serial_hex", r.cert->serial_hex}, {"version", std::to_string(version)}}));
  return r;
}

}  // namespace

void SettingsOverride::apply_to(vault::IssueSettings& s) const {
  if (challenge) s.challenge = *challenge;
  if (dns) {
    s.dns = *dns;
    if (!challenge) s.challenge = "dns-01";
  }
  if (webroot) s.webroot = *webroot;
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
}

std::vector<Result<vault::Record>> issue_many(Context ctx, const std::vector<std::string>& names,
                                              const IssueRequest& req, int parallel) {
  std::vector<Result<vault::Record>> results;
  auto fail_all = [&](const Error& e) {
    results.assign(names.size(), Result<vault::Record>(e));
    return results;
  };
  if (req.days < 1 || req.days > 3650) return fail_all(Error(Category::Usage, "--days", "must be between 1 and 3650"));
  if (req.ca)
    if (auto st = ca::validate_ca_name(*req.ca, &ctx.vault); !st) return fail_all(st.error());
  if (req.settings.fallback)
    for (const auto& f : *req.settings.fallback)
      if (auto st = ca::validate_ca_name(f, &ctx.vault); !st) return fail_all(st.error());

  std::vector<Job> jobs(names.size());
  {
    auto lock = ctx.vault.lock();
    if (!lock) return fail_all(lock.error());
    for (std::size_t i = 0; i < names.size(); ++i) {
      jobs[i].name = names[i];
      jobs[i].renew = req.renew;
      if (auto st = prepare(ctx, jobs[i], req); !st) jobs[i].error = st.error();
    }
  }

  std::vector<Job*> pending_jobs;
  for (auto& j : jobs)
    if (!j.error) pending_jobs.push_back(&j);
  std::optional<SharedSolvers> shared;
  if (pending_jobs.size() > 1) shared.emplace();
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    std::map<std::string, std::unique_ptr<ca::Issuer>> issuers;
    for (std::size_t i = next++; i < pending_jobs.size(); i = next++) obtain(ctx, *pending_jobs[i], req, issuers, shared ? &*shared : nullptr);
  };
  const int threads = std::clamp(parallel, 1, static_cast<int>(std::max<std::size_t>(pending_jobs.size(), 1)));
  if (threads == 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
  }
  if (shared) shared->cleanup();

  auto lock = ctx.vault.lock();
  if (!lock) return fail_all(lock.error());
  for (auto& j : jobs) {
    if (j.error) results.emplace_back(*j.error);
    else if (req.dry_run)  // nothing is written: report the record as it is, or why it failed
      results.push_back(j.issued            ? Result<vault::Record>(dry_run_view(j))
                        : !j.pending.empty() ? Result<vault::Record>(Error(Category::Dns, j.name, j.pending))
                                             : Result<vault::Record>(Error(j.failure_category, j.name, j.failures.back())));
    else results.push_back(commit(ctx, j));
  }
  return results;
}

Result<vault::Record> issue(Context ctx, const std::string& name, const IssueRequest& req) {
  return std::move(issue_many(ctx, {name}, req, 1).front());
}

Result<vault::Record> issue_new(Context ctx, const std::string& name, const RecordFields& fields,
                                const IssueRequest& req) {
  TRY(vault::validate_name(name));
  if (!ctx.vault.exists(name)) {
    RecordFields f = fields;
    if (req.ca && !f.ca) f.ca = req.ca;
    TRY(create(ctx, name, f));
  } else if (fields.domain) {
    TRY_ASSIGN(vault::Record existing, ctx.vault.load(name));
    TRY_ASSIGN(domain::Identifier id, domain::parse(*fields.domain));
    if (existing.domain != id.value)
      return Error(Category::State, name,
                   fmt::format("exists for {}, not {}; pick another name or drop --domain", existing.domain, id.value));
  }
  TRY_ASSIGN(vault::Record r, ctx.vault.load(name));
  if (!r.has_csr && !r.has_cert) TRY(make_csr(ctx, name));
  return issue(ctx, name, req);
}

}  // namespace certctl::lifecycle
