// Running the orders of prepared jobs: each job's CAs in turn until one issues, workers in
// parallel, solvers shared by a batch. No vault, no private key (see obtain.hpp).
#include "lifecycle/obtain.hpp"

#include <certctl/challenge.hpp>
#include <certctl/dns.hpp>

#include "lifecycle/shared_solvers.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <fmt/format.h>

namespace certctl::lifecycle::detail {
namespace {

using Issuers = std::map<std::string, std::unique_ptr<ca::Issuer>>;

/// The issued certificate must be for the CSR's key and carry every name of the record.
Status check_issued(const OrderJob& job, const ca::Issued& issued, std::string_view ca_name) {
  const std::string subject = fmt::format("CA '{}'", ca_name);
  if (!crypto::public_key_matches(issued.leaf, job.csr))
    return Error(Category::Ca, subject, "returned a certificate for a different key than the CSR");
  const crypto::CertInfo info = issued.leaf.info();
  for (const auto& n : job.names) {
    auto has = [&n](const std::vector<std::string>& v) { return std::find(v.begin(), v.end(), n) != v.end(); };
    if (!has(info.dns_names) && !has(info.ip_addresses))
      return Error(Category::Ca, subject, fmt::format("returned a certificate without the name '{}'", n));
  }
  return crypto::verify_chain_links(issued.leaf, issued.chain, subject);
}

/// A missing tech-zone CNAME, found before any order is placed; other lookup failures
/// surface from the order's own solver, as a failure of that CA.
std::optional<Waiting> missing_delegation(const OrderJob& job, const ca::IssueOptions& opts) {
  if (!opts.challenge.dns_provider || opts.challenge.dns_options.tech_zone.empty()) return std::nullopt;
  dns::Resolver lookups(opts.challenge.dns_options.resolver);
  Status delegated = challenge::check_delegations(lookups, job.csr.dns_names, opts.challenge.dns_options.tech_zone);
  if (!delegated && challenge::is_missing_delegation(delegated.error())) return Waiting{delegated.error().message()};
  return std::nullopt;
}

/// One order at one CA (its session kept in `issuers`); what the CA said when it refused goes
/// to `problem`.
Result<ca::Issued> order_at(const OrderJob& job, const Attempt& at, const IssuerSource& source, Issuers& issuers,
                            SharedSolvers* shared, ca::ProblemInfo& problem) {
  auto& issuer = issuers[at.ca];
  if (!issuer) {
    TRY_ASSIGN(issuer, source(at.ca));
  }
  ca::IssueOptions opts = at.options;
  if (shared && issuer->uses_solver()) {
    TRY_ASSIGN(opts.shared_solver, shared->get(opts.challenge, job.name));
  }
  auto out = issuer->issue(job.csr, opts);
  if (!out) {
    problem = issuer->last_problem();
    return out;
  }
  if (!opts.dry_run) TRY(check_issued(job, *out, at.ca));
  return out;
}

/// One worker's job: the CAs in turn until one issues (sessions kept in `issuers` for the
/// worker's next jobs).
OrderResult obtain(const OrderJob& job, const IssuerSource& source, Issuers& issuers, SharedSolvers* shared) {
  OrderResult result;
  Failed failed;
  for (const Attempt& at : job.attempts) {
    if (at.stop) return {Stopped{*at.stop}, std::move(result.log)};
    const auto started = std::chrono::steady_clock::now();
    if (auto waiting = missing_delegation(job, at.options)) return {*waiting, std::move(result.log)};
    auto attempt = order_at(job, at, source, issuers, shared, failed.problem);
    AttemptLog entry{at.ca, attempt ? "" : attempt.error().text(),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                     attempt ? attempt->replaced : ""};
    result.log.push_back(std::move(entry));
    if (attempt) {
      result.outcome = Issued{std::move(attempt).value(), at.ca};
      return result;
    }
    // The record waits for its CNAME.
    if (challenge::is_missing_delegation(attempt.error())) {
      result.outcome = Waiting{attempt.error().message()};
      return result;
    }
    if (!is_ca_failure(attempt.error())) {
      result.outcome = Stopped{std::move(attempt).error()};
      return result;
    }
    failed.add(attempt.error());  // a rate limit is not retried into: only the next CA is tried
  }
  result.outcome = std::move(failed);
  return result;
}

}  // namespace

void Failed::add(const Error& e) {
  category = failures.empty() || category == e.category() ? e.category() : Category::Ca;
  failures.push_back(e.text());
}

bool is_ca_failure(const Error& e) {
  return e.category() == Category::Ca || e.category() == Category::Network || e.category() == Category::Dns;
}

Batch run_orders(const std::vector<OrderJob>& jobs, const IssuerSource& source, int parallel, const JobDone& done) {
  Batch batch;
  batch.results.resize(jobs.size());
  std::optional<SharedSolvers> shared;
  if (jobs.size() > 1) shared.emplace();
  std::atomic<std::size_t> next{0};
  std::mutex done_mu;
  auto worker = [&] {
    Issuers issuers;
    for (std::size_t i = next++; i < jobs.size(); i = next++) {
      // Nothing may leave a worker thread: an exception fails this order only.
      try {
        batch.results[i] = obtain(jobs[i], source, issuers, shared ? &*shared : nullptr);
      } catch (const std::exception& e) {
        Failed f;
        f.add(Error(Category::Internal, jobs[i].name, "unexpected failure while ordering", e.what()));
        batch.results[i].outcome = std::move(f);
      }
      if (done) {
        std::lock_guard lock(done_mu);
        done(i);
      }
    }
  };
  const int threads = std::clamp(parallel, 1, static_cast<int>(std::max<std::size_t>(jobs.size(), 1)));
  if (threads == 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
  }
  if (shared) batch.warnings = shared->cleanup();
  return batch;
}

}  // namespace certctl::lifecycle::detail
