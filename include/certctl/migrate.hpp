#pragma once
/// `certctl migrate certbot|lego|acme.sh`: another client's store brought into the vault
/// (src/lifecycle/migrate.cpp plans and applies; one reader per client, src/lifecycle/
/// migrate_<client>.cpp). The source directory is only read.
#include <certctl/lifecycle.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace certctl::lifecycle {

enum class MigrateSource { Certbot, Lego, AcmeSh };
std::string_view migrate_source_name(MigrateSource s);

/// A DNS provider that a client's DNS plugin translates to. migrate_apply adds it (`dns add`)
/// before the certificates that use it, reading the secrets from the credentials file then:
/// the plan never holds them.
struct FoundDnsProvider {
  std::string name;                            ///< certctl's name for it: "certbot-<file stem>"
  std::string type;                            ///< a dns::registry() type
  std::map<std::string, std::string> options;  ///< non-secret options
  std::string credentials_file;
  std::map<std::string, std::string> secrets;  ///< certctl secret name -> key in the credentials file
  bool operator==(const FoundDnsProvider&) const = default;
};

/// One certificate of the source store, as its reader found it.
struct FoundCertificate {
  std::string name;                 ///< the client's name for it (certbot: the lineage)
  std::string from;                 ///< the file that describes it, for messages
  std::string cert_file, key_file, chain_file;
  std::string directory_url;        ///< the ACME server that issued it ("" = unknown)
  std::string ca_host;              ///< its host, when that is all the client kept (lego)
  std::string account_id;           ///< the client's id of the account (certbot: the directory name)
  /// How it validates, when the client's settings translate; `unsupported` says why not.
  SettingsOverride settings;
  std::optional<FoundDnsProvider> dns_provider;  ///< settings.dns names it
  std::string unsupported;
  std::vector<std::string> notes;   ///< settings that do not carry over, and what to do instead
};

/// One ACME account of the source store.
struct FoundAccount {
  std::string id;
  std::string directory_url;
  std::string url;                  ///< the account URL (kid)
  std::vector<std::string> contact;
  SecretBytes key_pem;
  std::string from;
  FoundAccount clone() const;
};

struct FoundStore {
  std::vector<FoundCertificate> certificates;
  std::vector<FoundAccount> accounts;
  /// What could not be read at all (one line each: the file and why); the rest goes on.
  std::vector<std::string> unreadable;
};

/// certbot's config directory (/etc/letsencrypt): renewal/*.conf, live/, accounts/.
Result<FoundStore> read_certbot_store(const std::string& dir);
/// lego's --path (./.lego): certificates/, accounts/. `server`: the directory URL lego was given
/// (lego keeps only its host); "" = unknown.
Result<FoundStore> read_lego_store(const std::string& dir, const std::string& server);
/// acme.sh's home (~/.acme.sh): <domain>[_ecc]/<domain>.conf with its files, ca/<host>/<path>/.
Result<FoundStore> read_acmesh_store(const std::string& dir);

struct MigrateOptions {
  MigrateSource source = MigrateSource::Certbot;
  std::string dir;
  std::string ca_bundle;  ///< trusted for the TLS of directory URLs that are not built in
  std::string server;     ///< lego: the directory URL it was run with (--server)
  /// Challenge options given to migrate: for the certificates whose own settings do not
  /// translate (all of lego's), which then renew here with these.
  SettingsOverride settings;
  bool dry_run = false;
};

/// What becomes of one certificate.
struct MigratePlanItem {
  FoundCertificate found;
  enum class Action { Manage, Import, Skip } action = Action::Skip;
  std::string ca;       ///< the CA profile it renews with (Manage)
  std::string why;      ///< Import: why it does not renew here; Skip: why it is left
  std::string takeover;  ///< Import: the command that makes it renew here
};
struct MigratePlan {
  MigrateOptions options;
  std::vector<MigratePlanItem> items;
  /// CA profiles to add: name and directory URL (directories that no profile has).
  std::vector<std::pair<std::string, std::string>> new_profiles;
  /// Accounts to store: the source account and the profile it becomes the account of.
  std::vector<std::pair<FoundAccount, std::string>> accounts;
  /// DNS providers to add for the managed certificates' DNS plugins.
  std::vector<FoundDnsProvider> dns_providers;
  std::vector<std::string> notes;  ///< whole-store notes (unreadable files, accounts kept)
};

/// Read the store and decide; writes nothing.
Result<MigratePlan> migrate_plan(Context ctx, const MigrateOptions& o);

struct MigrateReport {
  int managed = 0, imported = 0, skipped = 0, failed = 0;
  std::vector<std::string> lines;  ///< one per certificate, profile and account
};
/// Carry the plan out (the vault unlocked): profiles, then accounts, then each certificate;
/// one certificate's failure is that one's alone.
Result<MigrateReport> migrate_apply(Context ctx, const MigratePlan& plan);

}  // namespace certctl::lifecycle
