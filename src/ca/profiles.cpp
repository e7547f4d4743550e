// CA profiles (built-in table + <vault>/ca/<name>/profile.toml) and their ACME accounts.
#include <certctl/ca.hpp>
#include <certctl/fs.hpp>

#include "ca/issuers.hpp"

#include <algorithm>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace certctl::ca {
namespace {

std::string profile_key(std::string_view name) { return vault::Layout::ca_file(name, "profile.toml"); }
std::string eab_key(std::string_view name) { return vault::Layout::ca_file(name, "eab.enc"); }
std::string account_key(std::string_view name) { return vault::Layout::ca_file(name, "account.toml"); }
std::string account_key_key(std::string_view name) { return vault::Layout::ca_file(name, "account.key.enc"); }
std::string profile_file(const vault::Vault& v, std::string_view name) { return v.where(profile_key(name)); }
std::string eab_file(const vault::Vault& v, std::string_view name) { return v.where(eab_key(name)); }
std::string account_file(const vault::Vault& v, std::string_view name) { return v.where(account_key(name)); }
std::string account_key_file(const vault::Vault& v, std::string_view name) { return v.where(account_key_key(name)); }

/// A file of a CA's directory; a missing one (or a name that cannot be a key) is NotFound.
Result<std::string> read(const vault::Vault& v, const std::string& key) {
  std::optional<storage::Value> got;
  if (storage::valid_key(key)) {
    TRY_ASSIGN(got, v.store().get(key, fs::kMaxFileSize));
  }
  if (!got) return Error(Category::NotFound, v.where(key), "no such file");
  return std::move(got->data);
}

bool present(const vault::Vault& v, const std::string& key) {
  if (!storage::valid_key(key)) return false;
  auto got = v.store().get(key, fs::kMaxFileSize);
  return !got || got->has_value();  // one that cannot be read is there; reading it says why
}
std::string owner(std::string_view name, std::string_view what) { return fmt::format("ca/{}/{}", name, what); }

CaProfile acme_builtin(const char* name, const char* dir, bool eab, const char* staging) {
  CaProfile p;
  p.name = name;
  p.directory = dir;
  p.eab_required = eab;
  p.staging = staging;
  p.builtin = true;
  return p;
}

Result<toml::table> parse_toml(const vault::Vault& v, const std::string& key) {
  TRY_ASSIGN(std::string text, read(v, key));
  const std::string path = v.where(key);
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return Error(Category::Config, path, fmt::format("line {}: {}", e.source().begin.line, e.description()));
  }
}

std::string render(const toml::table& t, std::string_view comment) {
  std::ostringstream out;
  out << "# " << comment << '\n' << t << '\n';
  return out.str();
}

}  // namespace

const std::vector<CaProfile>& builtin_profiles() {
  static const std::vector<CaProfile> kProfiles = [] {
    std::vector<CaProfile> v;
    CaProfile local;
    local.name = "local";
    local.builtin = true;
    v.push_back(local);
    v.push_back(acme_builtin("letsencrypt", "https://acme-v02.api.letsencrypt.org/directory", false, "letsencrypt-staging"));
    v.push_back(acme_builtin("letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory", false, ""));
    v.push_back(acme_builtin("zerossl", "https://acme.zerossl.com/v2/DV90", true, ""));
    v.push_back(acme_builtin("google", "https://dv.acme-v02.api.pki.goog/directory", true, "google-staging"));
    v.push_back(acme_builtin("google-staging", "https://dv.acme-v02.test-api.pki.goog/directory", true, ""));
    v.push_back(acme_builtin("buypass", "https://api.buypass.com/acme/directory", false, "buypass-staging"));
    v.push_back(acme_builtin("buypass-staging", "https://api.test4.buypass.no/acme/directory", false, ""));
    return v;
  }();
  return kProfiles;
}

Result<CaProfile> find_profile(const vault::Vault& v, std::string_view name) {
  if (present(v, profile_key(name))) {
    TRY_ASSIGN(toml::table t, parse_toml(v, profile_key(name)));
    CaProfile p;
    p.name = std::string(name);
    p.directory = t["directory"].value_or(std::string());
    p.ca_bundle = t["ca_bundle"].value_or(std::string());
    p.eab_kid = t["eab_kid"].value_or(std::string());
    p.eab_required = t["eab_required"].value_or(false);
    p.tech_zone = t["tech_zone"].value_or(std::string());
    p.allow_wildcard = t["allow_wildcard"].value_or(true);
    p.profile = t["profile"].value_or(std::string());
    p.staging = t["staging"].value_or(std::string());
    if (p.directory.empty()) return Error(Category::Config, profile_file(v, name), "directory is missing");
    return p;
  }
  for (const auto& b : builtin_profiles())
    if (b.name == name) return b;
  return Error(Category::NotFound, fmt::format("CA '{}'", name),
               fmt::format("unknown CA profile; known: {} (add one with `certctl ca add`)", fmt::join(known_cas(&v), ", ")));
}

Result<std::vector<CaProfile>> list_profiles(const vault::Vault& v) {
  std::vector<CaProfile> out;
  for (const auto& n : known_cas(&v)) {
    TRY_ASSIGN(CaProfile p, find_profile(v, n));
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<std::string> known_cas(const vault::Vault* v) {
  std::vector<std::string> names;
  for (const auto& b : builtin_profiles()) names.push_back(b.name);
  if (v) {
    if (auto listed = v->store().list("ca/", "profile.toml"))
      for (const auto& l : *listed) {
        const std::string_view rest = std::string_view(l.key).substr(3);
        names.emplace_back(rest.substr(0, rest.find('/')));
      }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

Status validate_ca_name(std::string_view ca, const vault::Vault* v) {
  for (const auto& k : known_cas(v))
    if (k == ca) return ok();
  return Error(Category::NotFound, fmt::format("CA '{}'", ca),
               fmt::format("unknown CA profile; known: {}", fmt::join(known_cas(v), ", ")));
}

Status save_profile(const vault::Vault& v, const CaProfile& p, const SecretBytes* eab_hmac) {
  if (p.name == "local") return Error(Category::Usage, "CA 'local'", "is the vault's own CA and cannot be redefined");
  TRY(vault::validate_name(p.name));
  toml::table t;
  t.insert_or_assign("directory", p.directory);
  if (!p.ca_bundle.empty()) t.insert_or_assign("ca_bundle", p.ca_bundle);
  if (!p.eab_kid.empty()) t.insert_or_assign("eab_kid", p.eab_kid);
  if (p.eab_required) t.insert_or_assign("eab_required", true);
  if (!p.tech_zone.empty()) t.insert_or_assign("tech_zone", p.tech_zone);
  t.insert_or_assign("allow_wildcard", p.allow_wildcard);
  if (!p.profile.empty()) t.insert_or_assign("profile", p.profile);
  if (!p.staging.empty()) t.insert_or_assign("staging", p.staging);
  storage::Change c;
  if (eab_hmac) {
    TRY_ASSIGN(std::string sealed, v.seal(owner(p.name, "eab"), *eab_hmac));
    c.put(eab_key(p.name), std::move(sealed));
  }
  c.commit_point = storage::Change::CommitPoint{profile_key(p.name), render(t, "certctl CA profile (certctl ca add)"), std::nullopt};
  TRY(v.store().apply(c));
  return ok();
}

Status remove_profile(const vault::Vault& v, std::string_view name) {
  if (!present(v, profile_key(name))) {
    for (const auto& b : builtin_profiles())
      if (b.name == name) return Error(Category::Usage, fmt::format("CA '{}'", name), "is built in and cannot be removed");
    return Error(Category::NotFound, fmt::format("CA '{}'", name), "no such CA profile");
  }
  return v.store().remove(vault::Layout::ca_dir(name));
}

Result<SecretBytes> load_eab_hmac(const vault::Vault& v, std::string_view name) {
  if (!present(v, eab_key(name)))
    return Error(Category::Config, fmt::format("CA '{}'", name), "needs External Account Binding: pass --eab-kid and --eab-hmac-file");
  TRY_ASSIGN(std::string sealed, read(v, eab_key(name)));
  return v.open_sealed(owner(name, "eab"), sealed, eab_file(v, name));
}

Result<std::optional<Account>> load_account(const vault::Vault& v, std::string_view ca) {
  if (!present(v, account_key(ca)) || !present(v, account_key_key(ca))) return std::optional<Account>();
  TRY_ASSIGN(toml::table t, parse_toml(v, account_key(ca)));
  Account a;
  a.ca = std::string(ca);
  a.url = t["url"].value_or(std::string());
  // No status (never written by certctl) reads as valid, as it always did.
  if (const std::string status = t["status"].value_or(std::string()); !status.empty()) {
    auto parsed = acme::parse_account_status(status, account_file(v, ca));
    if (!parsed) return parsed.error().with_category(Category::Vault);
    a.status = *parsed;
  }
  a.key_type = t["key_type"].value_or(std::string());
  if (auto created = t["created"].value<std::string>()) {
    auto tt = parse_rfc3339(*created, account_file(v, ca));
    if (tt) a.created = *tt;
  }
  if (const toml::array* c = t["contact"].as_array())
    for (const auto& e : *c)
      if (auto s = e.value<std::string>()) a.contact.push_back(*s);
  return std::optional<Account>(std::move(a));
}

Result<crypto::PrivateKey> load_account_key(const vault::Vault& v, std::string_view ca) {
  TRY_ASSIGN(std::string sealed, read(v, account_key_key(ca)));
  TRY_ASSIGN(SecretBytes pem, v.open_sealed(owner(ca, "account"), sealed, account_key_file(v, ca)));
  return crypto::PrivateKey::parse(pem, account_key_file(v, ca));
}

Status save_account(const vault::Vault& v, const Account& a, const crypto::PrivateKey* key) {
  storage::Change c;
  if (key) {
    TRY_ASSIGN(std::string sealed, v.seal(owner(a.ca, "account"), key->to_pem()));
    c.put(account_key_key(a.ca), std::move(sealed));
  }
  toml::table t;
  t.insert_or_assign("url", a.url);
  t.insert_or_assign("status", std::string(acme::to_string(a.status)));
  t.insert_or_assign("key_type", a.key_type);
  if (a.created) t.insert_or_assign("created", format_rfc3339(a.created));
  toml::array contact;
  for (const auto& c : a.contact) contact.push_back(c);
  t.insert_or_assign("contact", std::move(contact));
  c.commit_point = storage::Change::CommitPoint{account_key(a.ca), render(t, "certctl ACME account"), std::nullopt};
  TRY(v.store().apply(c));
  return ok();
}

Result<std::unique_ptr<Issuer>> make_issuer(std::string_view ca, const vault::Vault& vault, const Clock& clock,
                                            const http::ClientFactory& http) {
  TRY_ASSIGN(CaProfile p, find_profile(vault, ca));
  if (p.is_local()) return make_local_issuer(vault, clock);
  return make_acme_issuer(p, vault, clock, http);
}

}  // namespace certctl::ca
