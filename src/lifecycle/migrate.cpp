// `certctl migrate`: plan (read the other client's store, map each certificate to a CA profile
// and settings, decide managed or imported) and apply (profiles, accounts, then each
// certificate through import_certificate). The source directory is only read.
#include <certctl/fs.hpp>
#include <certctl/migrate.hpp>

#include "lifecycle/internal.hpp"
#include "lifecycle/migrate_walk.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace certctl::lifecycle {
namespace {

/// The directory URL without a trailing slash, for comparing.
std::string canonical_url(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

/// A profile name for a directory no profile has: "<client>-<host>" in the name alphabet.
std::string profile_name_for(MigrateSource s, const std::string& url) {
  std::string host = url;
  if (auto p = host.find("://"); p != std::string::npos) host = host.substr(p + 3);
  host = host.substr(0, host.find('/'));
  std::string out = std::string(migrate_source_name(s)) + "-";
  for (char c : host) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ? c : '-';
  return out.substr(0, 64);
}

std::string takeover_command(const FoundCertificate& f, const std::string& ca) {
  return fmt::format("`certctl edit {0} --ca {1} --challenge ...` with the challenge it needs, then `certctl renew {0} "
                     "--force`",
                     f.name, ca.empty() ? "CA" : ca);
}

}  // namespace

std::vector<std::filesystem::path> detail::dirs_holding(const std::string& root, std::string_view marker) {
  namespace stdfs = std::filesystem;
  constexpr std::size_t kMaxEntries = 100'000;
  std::vector<stdfs::path> out;
  std::error_code ec;
  if (!stdfs::is_directory(root, ec)) return out;
  std::size_t seen = 0;
  for (auto it = stdfs::recursive_directory_iterator(root, ec); !ec && it != stdfs::recursive_directory_iterator();
       it.increment(ec)) {
    if (++seen > kMaxEntries || it.depth() > 6) break;
    if (it->is_directory(ec) && stdfs::exists(it->path() / marker, ec)) out.push_back(it->path());
  }
  return out;
}

FoundAccount FoundAccount::clone() const {
  return FoundAccount{id, directory_url, url, contact, key_pem.clone(), from};
}

std::string_view migrate_source_name(MigrateSource s) {
  switch (s) {
    case MigrateSource::Certbot: return "certbot";
    case MigrateSource::Lego: return "lego";
    case MigrateSource::AcmeSh: return "acme.sh";
  }
  return "?";
}

Result<MigratePlan> migrate_plan(Context ctx, const MigrateOptions& o) {
  MigratePlan plan;
  plan.options = o;
  if (!o.ca_bundle.empty()) {
    TRY_ASSIGN(std::string pem, fs::read_file(o.ca_bundle));
    TRY(crypto::parse_certificates(pem, o.ca_bundle));
  }
  FoundStore store;
  switch (o.source) {
    case MigrateSource::Certbot: {
      TRY_ASSIGN(store, read_certbot_store(o.dir));
      break;
    }
    case MigrateSource::Lego: {
      TRY_ASSIGN(store, read_lego_store(o.dir, o.server));
      break;
    }
    case MigrateSource::AcmeSh: {
      TRY_ASSIGN(store, read_acmesh_store(o.dir));
      break;
    }
  }
  const SettingsOverride& given = o.settings;
  const bool settings_given = given.challenge || given.dns || given.webroot || given.http_port || given.tls_port;
  for (const auto& u : store.unreadable) plan.notes.push_back(fmt::format("not read: {}", u));
  TRY_ASSIGN(std::vector<ca::CaProfile> profiles, ca::list_profiles(ctx.vault));
  // Directory URL -> profile: the vault's and the built-ins first, then the ones this plan adds.
  auto profile_for = [&](const std::string& url) -> std::string {
    const std::string want = canonical_url(url);
    for (const auto& p : profiles)
      if (!p.is_local() && canonical_url(p.directory) == want) return p.name;
    for (const auto& [name, dir] : plan.new_profiles)
      if (canonical_url(dir) == want) return name;
    std::string name = profile_name_for(o.source, url);
    plan.new_profiles.emplace_back(name, url);
    return name;
  };
  // A CA known only by its host (lego): the profile whose directory is on that host.
  auto url_for_host = [&](const std::string& host) -> std::string {
    for (const auto& p : profiles)
      if (!p.is_local() && p.directory.rfind("https://" + host + "/", 0) == 0) return p.directory;
    return {};
  };
  for (FoundCertificate& f : store.certificates) {
    if (f.directory_url.empty() && !f.ca_host.empty()) f.directory_url = url_for_host(f.ca_host);
    for (auto& a : store.accounts)
      if (a.id == f.account_id && a.directory_url.empty()) a.directory_url = f.directory_url;
    if (!f.unsupported.empty() && settings_given) {
      // The challenge options given to migrate stand in for the client's.
      f.unsupported.clear();
      const SettingsOverride own = f.settings;
      f.settings = given;
      if (own.deploy_hook && !given.deploy_hook) f.settings.deploy_hook = own.deploy_hook;
      if (own.preferred_chain && !given.preferred_chain) f.settings.preferred_chain = own.preferred_chain;
      if (own.reuse_key) f.settings.reuse_key = own.reuse_key;
    }
    MigratePlanItem item;
    if (Status st = vault::validate_name(f.name); !st) {
      item.why = st.error().message();
    } else if (ctx.vault.exists(f.name)) {
      item.why = "a record of that name is in the vault already";
    } else if (f.directory_url.rfind("https://", 0) != 0) {
      item.action = MigratePlanItem::Action::Import;
      item.why = o.source == MigrateSource::Lego ? "lego does not keep its ACME server's directory URL: give --server URL"
                                                 : "its ACME server is not known";
    } else {
      item.ca = profile_for(f.directory_url);
      if (f.unsupported.empty()) {
        item.action = MigratePlanItem::Action::Manage;
      } else {
        item.action = MigratePlanItem::Action::Import;
        item.why = f.unsupported;
      }
    }
    if (item.action == MigratePlanItem::Action::Import) item.takeover = takeover_command(f, item.ca);
    item.found = std::move(f);
    plan.items.push_back(std::move(item));
  }
  // DNS providers of the managed certificates' DNS plugins: one per credentials file (a name
  // taken by another configuration gets a number).
  for (auto& item : plan.items) {
    if (item.action != MigratePlanItem::Action::Manage || !item.found.dns_provider) continue;
    FoundDnsProvider& d = *item.found.dns_provider;
    const std::string base = d.name;
    for (int n = 2;; ++n) {
      auto same = std::find_if(plan.dns_providers.begin(), plan.dns_providers.end(),
                               [&](const FoundDnsProvider& x) { return x.name == d.name; });
      if (same == plan.dns_providers.end()) {
        plan.dns_providers.push_back(d);
        break;
      }
      if (*same == d) break;
      d.name = fmt::format("{}-{}", base, n);
    }
    item.found.settings.dns = d.name;
  }
  // Accounts: the one each managed certificate's profile will use, when the vault has none for
  // that profile yet (the vault's own account is kept otherwise).
  for (const auto& item : plan.items) {
    if (item.action != MigratePlanItem::Action::Manage) continue;
    if (std::any_of(plan.accounts.begin(), plan.accounts.end(), [&](const auto& a) { return a.second == item.ca; })) continue;
    auto account = std::find_if(store.accounts.begin(), store.accounts.end(),
                                [&](const FoundAccount& a) { return a.id == item.found.account_id; });
    if (account == store.accounts.end()) continue;
    TRY_ASSIGN(std::optional<ca::Account> existing, ca::load_account(ctx.vault, item.ca));
    if (existing) {
      plan.notes.push_back(fmt::format("the vault's account for CA '{}' is kept; {}'s account {} is not imported",
                                       item.ca, migrate_source_name(o.source), account->url));
      continue;
    }
    plan.accounts.emplace_back(account->clone(), item.ca);
  }
  return plan;
}

namespace {

/// `dns add` for a translated DNS plugin, its secrets read from the credentials file now.
Status add_dns_provider(Context ctx, const FoundDnsProvider& d) {
  DnsProviderInput in;
  in.name = d.name;
  in.type = d.type;
  in.options = d.options;
  TRY_ASSIGN(auto values, detail::read_certbot_credentials(d.credentials_file));
  for (const auto& [secret, file_key] : d.secrets) {
    auto v = values.find(file_key);
    if (v == values.end()) return Error(Category::Input, d.credentials_file, fmt::format("has no {}", file_key));
    in.secrets.insert_or_assign(secret, std::move(v->second));
  }
  return dns_add(ctx, std::move(in));
}

}  // namespace

Result<MigrateReport> migrate_apply(Context ctx, const MigratePlan& plan) {
  detail::ensure_policy_run(ctx);
  MigrateReport out;
  for (const auto& [name, url] : plan.new_profiles) {
    ca::CaProfile p;
    p.name = name;
    p.directory = url;
    p.ca_bundle = plan.options.ca_bundle;
    TRY(add_ca(ctx, p, ""));
    out.lines.push_back(fmt::format("CA profile '{}' added for {}", name, url));
  }
  for (const auto& [a, ca_name] : plan.accounts) {
    TRY_ASSIGN(crypto::PrivateKey key, crypto::PrivateKey::parse(a.key_pem, a.from));
    ca::Account acct;
    acct.ca = ca_name;
    acct.url = a.url;
    acct.contact = a.contact;
    acct.key_type = key.algorithm() == "RSA" ? fmt::format("rsa{}", key.bits()) : key.key_type() ? std::string(crypto::key_type_name(*key.key_type())) : "ec";
    acct.created = ctx.clock.now();
    {
      TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
      TRY(ca::save_account(ctx.vault, acct, &key));
    }
    TRY(detail::audit(ctx, "account-import", ca_name, {{"url", a.url}, {"from", a.from}}));
    out.lines.push_back(fmt::format("ACME account {} imported for CA '{}'", a.url, ca_name));
  }
  for (const auto& d : plan.dns_providers) {
    TRY(add_dns_provider(ctx, d));
    out.lines.push_back(fmt::format("DNS provider '{}' ({}) added from {}", d.name, d.type, d.credentials_file));
  }
  for (const auto& item : plan.items) {
    const FoundCertificate& f = item.found;
    if (item.action == MigratePlanItem::Action::Skip) {
      ++out.skipped;
      out.lines.push_back(fmt::format("{}: skipped: {}", f.name, item.why));
      continue;
    }
    ImportRequest req;
    req.cert_file = f.cert_file;
    req.key_file = f.key_file;
    req.chain_file = f.chain_file;
    if (item.action == MigratePlanItem::Action::Manage) {
      req.manage_ca = item.ca;
      req.manage_settings = f.settings;
    }
    auto r = import_certificate(ctx, f.name, req);
    if (!r) {
      ++out.failed;
      out.lines.push_back(fmt::format("{}: failed: {}", f.name, r.error().text()));
      continue;
    }
    if (item.action == MigratePlanItem::Action::Manage) {
      ++out.managed;
      out.lines.push_back(fmt::format("{}: managed, renews with CA '{}'", f.name, item.ca));
    } else {
      ++out.imported;
      out.lines.push_back(fmt::format("{}: imported ({}); to renew it here: {}", f.name, item.why, item.takeover));
    }
    for (const auto& n : f.notes) out.lines.push_back(fmt::format("{}: note: {}", f.name, n));
  }
  return out;
}

}  // namespace certctl::lifecycle
