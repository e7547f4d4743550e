// Revocation (RFC 8555 7.6 for ACME CAs; the local CA's CRL otherwise). Permanent and audited.
#include <certctl/ca.hpp>
#include <certctl/crypto.hpp>
#include <certctl/lifecycle.hpp>

#include "lifecycle/internal.hpp"

#include <fmt/format.h>

namespace certctl::lifecycle {

using namespace detail;

namespace {
struct Reason {
  std::string_view name;
  int code;
};
// RFC 5280 5.3.1 CRLReason codes that a subscriber may ask for.
constexpr Reason kReasons[] = {{"unspecified", 0},         {"keyCompromise", 1},       {"cACompromise", 2},
                               {"affiliationChanged", 3},  {"superseded", 4},          {"cessationOfOperation", 5}};
}  // namespace

Result<int> parse_revoke_reason(std::string_view name) {
  for (const auto& r : kReasons)
    if (r.name == name) return r.code;
  return Error(Category::Usage, fmt::format("--reason '{}'", name),
               "use unspecified, keyCompromise, cACompromise, affiliationChanged, superseded or cessationOfOperation");
}

Result<vault::Record> revoke(Context ctx, const std::string& name, int reason) {
  TRY(vault::validate_name(name));
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  TRY_ASSIGN(vault::Record r, load_existing(ctx, name));
  TRY(refuse_discovered(r, "revoke"));
  if (r.status == vault::CertStatus::Revoked) return Error(Category::State, name, "is revoked already");
  if (!r.has_cert) return Error(Category::State, name, "has no certificate to revoke");
  if (r.source == vault::Source::Imported || r.issued_by.empty())
    return Error(Category::State, name, "was imported; revoke it with the CA that issued it");
  TRY_ASSIGN(std::string pem, ctx.vault.read_file(name, r.version, kCertFile));
  TRY_ASSIGN(auto certs, crypto::parse_certificates(pem, ctx.vault.where(vault::Layout::version_file(name, r.version, kCertFile))));
  // With an ACME account the account key signs; without one the certificate's own key does.
  std::unique_ptr<crypto::Signer> cert_key;
  TRY_ASSIGN(ca::CaProfile profile, ca::find_profile(ctx.vault, r.issued_by));
  if (!profile.is_local()) {
    TRY_ASSIGN(std::optional<ca::Account> account, ca::load_account(ctx.vault, r.issued_by));
    if (!account || account->status == acme::AccountStatus::Deactivated) {
      if (!r.has_key)
        return Error(Category::State, name, "no ACME account and no private key in the vault to sign the revocation");
      TRY_ASSIGN(crypto::PrivateKey key, load_key(ctx, r, r.version));
      TRY_ASSIGN(cert_key, crypto::make_key_signer(std::move(key)));
    }
  }
  std::unique_ptr<ca::Issuer> issuer;
  if (profile.is_local() || !cert_key) {
    TRY_ASSIGN(issuer, ca::make_issuer(r.issued_by, ctx.vault, ctx.clock, ctx.http));
    TRY(issuer->revoke(certs.front(), reason, nullptr));
  } else {
    TRY_ASSIGN(issuer, ca::make_key_signed_revoker(profile, ctx.clock, ctx.http));
    TRY(issuer->revoke(certs.front(), reason, cert_key.get()));
  }
  r.status = vault::CertStatus::Revoked;
  r.revoked = r.updated = ctx.clock.now();
  r.revoke_reason = std::string(kReasons[reason <= 5 ? reason : 0].name);
  TRY(ctx.vault.save(r));
  TRY(audit(ctx, "revoke", name, {{"ca", r.issued_by}, {"serial_hex", r.cert->serial_hex}, {"reason", r.revoke_reason}}));
  return r;
}

}  // namespace certctl::lifecycle
