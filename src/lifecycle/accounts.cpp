// CA profiles and ACME accounts: add/remove profiles, register, update, key rollover,
// deactivate. The account key is sealed in the vault like certificate keys.
#include <certctl/acme.hpp>
#include <certctl/fs.hpp>
#include <certctl/http.hpp>
#include <certctl/lifecycle.hpp>

#include "lifecycle/internal.hpp"

#include <memory>

#include <fmt/format.h>

namespace certctl::lifecycle {

using namespace detail;

namespace {

/// An ACME session for a profile: the HTTP client lives as long as the ACME client.
struct Session {
  std::unique_ptr<http::Client> http;
  std::unique_ptr<acme::Client> client;
};

Result<Session> open_acme(Context ctx, const ca::CaProfile& p) {
  if (p.is_local()) return Error(Category::Usage, "CA 'local'", "is the vault's own CA and has no ACME account");
  Session s;
  s.http = ca::acme_http_client(p, ctx.http);
  s.client = std::make_unique<acme::Client>(*s.http, p.directory, ctx.clock);
  TRY(s.client->load_directory());
  return s;
}

std::vector<std::string> contact_of(const std::string& email) {
  if (email.empty()) return {};
  return {"mailto:" + email};
}

Status check_email(const std::string& email) {
  if (email.empty()) return ok();
  const auto at = email.find('@');
  if (at == std::string::npos || at == 0 || at + 1 >= email.size() || email.find_first_of(" ,<>") != std::string::npos)
    return Error(Category::Usage, fmt::format("email '{}'", email), "is not an e-mail address");
  return ok();
}

struct Loaded {
  ca::CaProfile profile;
  ca::Account account;
  /// On the heap: the ACME client keeps a pointer to it, and Loaded is moved when returned.
  std::unique_ptr<crypto::Signer> key;
  Session acme;
};

Result<Loaded> load_registered(Context ctx, const std::string& name) {
  Loaded l;
  TRY_ASSIGN(l.profile, ca::find_profile(ctx.vault, name));
  TRY_ASSIGN(std::optional<ca::Account> a, ca::load_account(ctx.vault, name));
  if (!a)
    return Error(Category::NotFound, fmt::format("CA '{}'", name),
                 fmt::format("no account: run `certctl account register --ca {} --email ADDRESS --agree-tos`", name));
  l.account = std::move(*a);
  TRY_ASSIGN(crypto::PrivateKey key, ca::load_account_key(ctx.vault, name));
  TRY_ASSIGN(l.key, crypto::make_key_signer(std::move(key)));
  TRY_ASSIGN(l.acme, open_acme(ctx, l.profile));
  l.acme.client->set_account(l.key.get(), l.account.url);
  return l;
}

}  // namespace

Status add_ca(Context ctx, const ca::CaProfile& profile, const std::string& eab_hmac_file) {
  TRY(vault::validate_name(profile.name));
  if (profile.directory.rfind("https://", 0) != 0)
    return Error(Category::Usage, "--directory", fmt::format("'{}' is not an https:// URL", profile.directory));
  if (!profile.ca_bundle.empty()) {
    TRY_ASSIGN(std::string pem, fs::read_file(profile.ca_bundle));
    TRY(crypto::parse_certificates(pem, profile.ca_bundle));
  }
  if (!profile.staging.empty()) {
    if (profile.staging == profile.name) return Error(Category::Usage, "--staging", "cannot name the profile itself");
    TRY(ca::validate_ca_name(profile.staging, &ctx.vault));
  }
  std::optional<SecretBytes> hmac;
  if (!eab_hmac_file.empty()) {
    if (profile.eab_kid.empty()) return Error(Category::Usage, "--eab-hmac-file", "needs --eab-kid too");
    TRY_ASSIGN(SecretBytes text, fs::read_secret_file(eab_hmac_file));
    text.trim_newline();
    // CAs hand out the HMAC key base64url-encoded; store the raw key.
    TRY_ASSIGN(std::string raw, crypto::base64url_decode(text.view(), eab_hmac_file));
    if (raw.empty()) return Error(Category::Input, eab_hmac_file, "is empty");
    hmac = SecretBytes::from(raw);
    std::fill(raw.begin(), raw.end(), '\0');
  } else if (!profile.eab_kid.empty()) {
    return Error(Category::Usage, "--eab-kid", "needs --eab-hmac-file too");
  }
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  TRY(ca::save_profile(ctx.vault, profile, hmac ? &*hmac : nullptr));
  return audit(ctx, "ca-add", "", {{"ca", profile.name}, {"directory", profile.directory}});
}

Status remove_ca(Context ctx, const std::string& name) {
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  TRY(ca::remove_profile(ctx.vault, name));
  return audit(ctx, "ca-remove", "", {{"ca", name}});
}

Result<ca::Account> register_account(Context ctx, const RegisterRequest& req) {
  TRY(check_email(req.email));
  TRY_ASSIGN(ca::CaProfile profile, ca::find_profile(ctx.vault, req.ca));
  TRY_ASSIGN(crypto::KeyType kt, crypto::parse_key_type(req.key_type));
  std::optional<acme::ExternalBinding> eab;
  if (!req.eab_hmac_file.empty() || !req.eab_kid.empty()) {
    if (req.eab_kid.empty() || req.eab_hmac_file.empty())
      return Error(Category::Usage, "--eab-kid", "--eab-kid and --eab-hmac-file go together");
    TRY_ASSIGN(SecretBytes text, fs::read_secret_file(req.eab_hmac_file));
    text.trim_newline();
    TRY_ASSIGN(std::string raw, crypto::base64url_decode(text.view(), req.eab_hmac_file));
    eab = acme::ExternalBinding{req.eab_kid, std::move(raw)};
  } else if (!profile.eab_kid.empty()) {
    TRY_ASSIGN(SecretBytes raw, ca::load_eab_hmac(ctx.vault, profile.name));
    eab = acme::ExternalBinding{profile.eab_kid, std::string(raw.view())};
  }
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  // Reuse the stored key if there is one, so registering again finds the same account.
  TRY_ASSIGN(std::optional<ca::Account> existing, ca::load_account(ctx.vault, req.ca));
  // A deactivated account is gone for good: start over with a new key.
  if (existing && existing->status == acme::AccountStatus::Deactivated) existing.reset();
  crypto::PrivateKey key;
  bool new_key = false;
  if (existing) {
    TRY_ASSIGN(key, ca::load_account_key(ctx.vault, req.ca));
  } else {
    TRY_ASSIGN(key, crypto::PrivateKey::generate(kt));
    new_key = true;
  }
  TRY_ASSIGN(std::unique_ptr<crypto::Signer> signer, crypto::make_key_signer(key.share()));
  TRY_ASSIGN(Session s, open_acme(ctx, profile));
  s.client->set_account(signer.get(), "");
  const acme::Directory& dir = s.client->directory();
  if (!dir.terms_of_service.empty() && !req.agree_tos)
    return Error(Category::Usage, fmt::format("CA '{}'", req.ca),
                 fmt::format("requires agreeing to its terms of service ({}): pass --agree-tos", dir.terms_of_service));
  if ((dir.external_account_required || profile.eab_required) && !eab)
    return Error(Category::Usage, fmt::format("CA '{}'", req.ca),
                 "requires External Account Binding: pass --eab-kid and --eab-hmac-file");
  // An account that already exists for this key is found, not duplicated.
  std::optional<acme::AccountInfo> info;
  if (!new_key) {
    auto found = s.client->new_account({}, false, true, std::nullopt);
    if (found) info = *found;
    else if (!s.client->last_problem() || s.client->last_problem()->short_type() != "accountDoesNotExist")
      return std::move(found).error();
  }
  if (!info) {
    TRY_ASSIGN(acme::AccountInfo created, s.client->new_account(contact_of(req.email), req.agree_tos, false, eab));
    info = std::move(created);
  }
  ca::Account a;
  a.ca = req.ca;
  a.url = info->url;
  a.contact = info->contact.empty() ? contact_of(req.email) : info->contact;
  a.status = info->status.value_or(acme::AccountStatus::Valid);
  a.key_type = std::string(key.key_type() ? crypto::key_type_name(*key.key_type()) : "other");
  a.created = existing ? existing->created : ctx.clock.now();
  TRY(ca::save_account(ctx.vault, a, new_key ? &key : nullptr));
  TRY(audit(ctx, "account-register", "", {{"ca", req.ca}, {"account", a.url}}));
  return a;
}

Result<ca::Account> update_account(Context ctx, const std::string& ca_name, const std::string& email) {
  TRY(check_email(email));
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  TRY_ASSIGN(Loaded l, load_registered(ctx, ca_name));
  TRY_ASSIGN(acme::AccountInfo info, l.acme.client->update_account(contact_of(email)));
  l.account.contact = info.contact.empty() ? contact_of(email) : info.contact;
  TRY(ca::save_account(ctx.vault, l.account, nullptr));
  TRY(audit(ctx, "account-update", "", {{"ca", ca_name}}));
  return l.account;
}

Result<ca::Account> rollover_account_key(Context ctx, const std::string& ca_name) {
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  TRY_ASSIGN(Loaded l, load_registered(ctx, ca_name));
  TRY_ASSIGN(crypto::KeyType kt, crypto::parse_key_type(l.account.key_type == "other" ? "ec256" : l.account.key_type));
  TRY_ASSIGN(crypto::PrivateKey fresh, crypto::PrivateKey::generate(kt));
  TRY_ASSIGN(std::unique_ptr<crypto::Signer> fresh_signer, crypto::make_key_signer(fresh.share()));
  TRY(l.acme.client->key_change(*fresh_signer));
  // The CA now knows only the new key: store it before anything else can fail.
  TRY(ca::save_account(ctx.vault, l.account, &fresh));
  TRY(audit(ctx, "account-key-rollover", "", {{"ca", ca_name}}));
  return l.account;
}

Result<ca::Account> deactivate_account(Context ctx, const std::string& ca_name) {
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  TRY_ASSIGN(Loaded l, load_registered(ctx, ca_name));
  TRY_ASSIGN(acme::AccountInfo info, l.acme.client->deactivate_account());
  l.account.status = info.status.value_or(acme::AccountStatus::Deactivated);
  TRY(ca::save_account(ctx.vault, l.account, nullptr));
  TRY(audit(ctx, "account-deactivate", "", {{"ca", ca_name}}));
  return l.account;
}

}  // namespace certctl::lifecycle
