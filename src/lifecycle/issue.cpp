// Issue a certificate for a record that has a CSR, from its CA (issue 2: the local CA).
#include <certctl/ca.hpp>
#include <certctl/crypto.hpp>
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

}  // namespace

Result<vault::Record> issue(Context ctx, const std::string& name, const IssueRequest& req) {
  TRY(vault::validate_name(name));
  if (req.days < 1 || req.days > 3650) return Error(Category::Usage, "--days", "must be between 1 and 3650");
  const auto started = std::chrono::steady_clock::now();
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  TRY_ASSIGN(vault::Record r, load_existing(ctx, name));
  if (r.status == vault::CertStatus::Draft || !r.has_csr)
    return Error(Category::State, name, fmt::format("has no CSR yet: run `certctl csr {}` first", name));
  if (r.status == vault::CertStatus::Revoked)
    return Error(Category::State, name, "is revoked; create a new record for a new certificate");
  if (r.source == vault::Source::Imported)
    return Error(Category::State, name, "was imported; import its next certificate with `certctl import --replace`");
  const std::string ca_name = req.ca.value_or(r.ca);
  TRY_ASSIGN(auto issuer, ca::make_issuer(ca_name, ctx.vault, ctx.clock));

  TRY_ASSIGN(std::string csr_pem, ctx.vault.read_file(name, r.version, kCsrFile));
  TRY_ASSIGN(crypto::CsrInfo csr, crypto::parse_csr(csr_pem, ctx.vault.layout().version_file(name, r.version, kCsrFile)));

  const std::string order_type = r.has_cert ? "reissue" : "issue";
  auto log_attempt = [&](std::string_view status, const std::string& error) {
    vault::Vault::OrderEntry e;
    e.name = name;
    e.ca = ca_name;
    e.type = order_type;
    e.status = std::string(status);
    e.error = error;
    e.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    (void)ctx.vault.log_order(e, ctx.clock.now());
  };

  auto issued = issuer->issue(csr, ca::IssueOptions{req.days});
  if (issued) {
    if (auto st = check_issued(r, csr, *issued, ca_name); !st) issued = std::move(st).error();
  }
  if (!issued) {
    log_attempt("failed", issued.error().text());
    return std::move(issued).error();
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
  r.issued_by = ca_name;
  r.status = vault::CertStatus::Active;
  r.issued = r.updated = ctx.clock.now();
  r.last_error.clear();
  TRY(ctx.vault.save(r));
  log_attempt("valid", "");
  TRY(audit(ctx, "issue", name, {{"ca", ca_name}, {"serial_hex", r.cert->serial_hex}, {"version", std::to_string(version)}}));
  return r;
}

}  // namespace certctl::lifecycle
