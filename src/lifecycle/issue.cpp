// Issue a certificate for a record that has a CSR: from its CA, then its fallback CAs; and
// the one-shot form (create + key + CSR + issue) for CI.
#include <certctl/ca.hpp>
#include <certctl/crypto.hpp>
#include <certctl/domain.hpp>
#include <certctl/lifecycle.hpp>

#include "lifecycle/internal.hpp"

#include <algorithm>
#include <chrono>

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

ca::IssueOptions options_for(const vault::Record& r, int days) {
  ca::IssueOptions o;
  o.days = days;
  const vault::IssueSettings& s = r.settings;
  if (!s.challenge.empty()) o.challenge.type = s.challenge;
  if (!s.http_address.empty()) o.challenge.http_address = s.http_address;
  if (s.http_port) o.challenge.http_port = s.http_port;
  if (s.tls_port) o.challenge.tls_port = s.tls_port;
  o.challenge.webroot = s.webroot;
  o.challenge.dns = s.dns;
  o.profile = s.profile;
  o.preferred_chain = s.preferred_chain;
  return o;
}

}  // namespace

Result<vault::Record> issue(Context ctx, const std::string& name, const IssueRequest& req) {
  TRY(vault::validate_name(name));
  if (req.days < 1 || req.days > 3650) return Error(Category::Usage, "--days", "must be between 1 and 3650");
  if (req.ca) TRY(ca::validate_ca_name(*req.ca, &ctx.vault));
  if (req.settings)
    for (const auto& f : req.settings->fallback) TRY(ca::validate_ca_name(f, &ctx.vault));
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  TRY_ASSIGN(vault::Record r, load_existing(ctx, name));
  if (r.status == vault::CertStatus::Draft || !r.has_csr)
    return Error(Category::State, name, fmt::format("has no CSR yet: run `certctl csr {}` first", name));
  if (r.status == vault::CertStatus::Revoked)
    return Error(Category::State, name, "is revoked; create a new record for a new certificate");
  if (r.source == vault::Source::Imported)
    return Error(Category::State, name, "was imported; import its next certificate with `certctl import --replace`");
  if (req.settings) r.settings = *req.settings;

  TRY_ASSIGN(std::string csr_pem, ctx.vault.read_file(name, r.version, kCsrFile));
  TRY_ASSIGN(crypto::CsrInfo csr, crypto::parse_csr(csr_pem, ctx.vault.layout().version_file(name, r.version, kCsrFile)));

  // The record's CA first (or --ca), then each fallback once; `local` may be among them.
  std::vector<std::string> cas{req.ca.value_or(r.ca)};
  for (const auto& f : r.settings.fallback)
    if (std::find(cas.begin(), cas.end(), f) == cas.end()) cas.push_back(f);
  const std::string order_type = r.has_cert ? "reissue" : "issue";
  std::optional<ca::Issued> issued;
  std::string issued_by;
  std::vector<std::string> failures;
  ca::ProblemInfo problem;
  for (const auto& ca_name : cas) {
    const auto started = std::chrono::steady_clock::now();
    auto attempt = [&]() -> Result<ca::Issued> {
      TRY_ASSIGN(auto issuer, ca::make_issuer(ca_name, ctx.vault, ctx.clock));
      auto out = issuer->issue(csr, options_for(r, req.days));
      if (!out) {
        problem = issuer->last_problem();
        return out;
      }
      TRY(check_issued(r, csr, *out, ca_name));
      return out;
    }();
    vault::Vault::OrderEntry e;
    e.name = name;
    e.ca = ca_name;
    e.type = order_type;
    e.status = attempt ? "valid" : "failed";
    e.error = attempt ? "" : attempt.error().text();
    e.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    (void)ctx.vault.log_order(e, ctx.clock.now());
    if (attempt) {
      issued = std::move(attempt).value();
      issued_by = ca_name;
      break;
    }
    if (!is_ca_failure(attempt.error())) return std::move(attempt).error();
    failures.push_back(attempt.error().text());
    // A rate limit is not retried into: fall through to the next CA only.
  }

  if (!issued) {
    // Keep why in the record (status error); the certificate it had, if any, stays.
    r.status = vault::CertStatus::Error;
    r.last_error = failures.back();
    r.last_problem = problem.type;
    r.retry_after = problem.retry_after_s ? ctx.clock.now() + problem.retry_after_s : 0;
    r.updated = ctx.clock.now();
    TRY(ctx.vault.save(r));
    TRY(audit(ctx, "issue-failed", name, {{"error", r.last_error}}));
    std::string msg = failures.size() == 1 ? failures.front()
                                           : fmt::format("every CA failed: {}", fmt::join(failures, " | "));
    return Error(Category::Ca, name, msg);
  }

  // Re-issue: a new version with the same key and CSR; the old one moves to history.
  int version = r.version;
  if (r.has_cert) {
    version = r.version + 1;
    TRY(start_version(ctx, name, version));
    if (r.has_key) {
      TRY_ASSIGN(std::string sealed, ctx.vault.read_file(name, r.version, kKeyFile));
      TRY(ctx.vault.write_file(name, version, kKeyFile, sealed));
    }
    TRY(ctx.vault.write_file(name, version, kCsrFile, csr_pem));
    retire_current(r, "reissued", ctx.clock.now());
    r.renewed = ctx.clock.now();
  }
  TRY(ctx.vault.write_file(name, version, kCertFile, issued->leaf.to_pem()));
  TRY(ctx.vault.write_file(name, version, kChainFile, crypto::to_pem_bundle(issued->chain)));

  r.version = version;
  r.has_cert = r.has_chain = true;
  r.cert = meta_from(issued->leaf.info());
  r.issued_by = issued_by;
  r.status = vault::CertStatus::Active;
  r.issued = r.updated = ctx.clock.now();
  r.last_error.clear();
  r.last_problem.clear();
  r.retry_after = 0;
  TRY(ctx.vault.save(r));
  TRY(audit(ctx, "issue", name, {{"ca", issued_by}, {"serial_hex", r.cert->serial_hex}, {"version", std::to_string(version)}}));
  return r;
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
