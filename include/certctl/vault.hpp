#pragma once
/// The vault: one directory holding every record, key, PEM file, the local CA and the logs.
/// Layout in man/certctl-vault.5. All writes are atomic; every change runs under VaultLock.
#include <certctl/record.hpp>
#include <certctl/result.hpp>
#include <certctl/secret.hpp>
#include <certctl/storage.hpp>

#include <functional>
#include <map>
#include <memory>
#include <sys/types.h>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace certctl::vault {

/// Every key inside a vault is built here and nowhere else (storage.hpp: the file backend
/// maps key K to <vault>/K, so these are also the paths of certctl-vault(5)).
struct Layout {
  static std::string config() { return "config.toml"; }
  static std::string certs() { return "certs/"; }
  static std::string record_dir(std::string_view name);
  static std::string record_file(std::string_view name);
  static std::string version_dir(std::string_view name, int version);
  static std::string version_file(std::string_view name, int version, std::string_view file);
  /// A device copy of a version's key, sealed to one host (key-policy hybrid or device).
  static std::string host_key_file(std::string_view host) { return "host-key." + std::string(host) + ".enc"; }
  /// What one host's agent deployed, per record (src/vault/deploy_results.cpp): one writer each.
  static std::string deploy_results_dir() { return "deployed/"; }
  static std::string deploy_results(std::string_view host) { return "deployed/" + std::string(host) + ".json"; }
  static std::string ca_dir(std::string_view ca) { return "ca/" + std::string(ca); }
  static std::string ca_file(std::string_view ca, std::string_view file);
  /// A named config of a kind ("dns", "notify", "deploy"): <kind>/<name>.toml.
  static std::string config_file(std::string_view kind, std::string_view name);
  static std::string reminders() { return "notify/reminders.json"; }
  static std::string audit_log() { return "audit.log"; }
  /// The seq and MAC of the last line written with the audit key (src/vault/audit_chain.hpp).
  static std::string audit_head() { return "audit.head"; }
  static std::string orders_log() { return "orders.log"; }
  /// The issuance policy (include/certctl/policy.hpp, src/vault/policy_toml.cpp).
  static std::string policy() { return "policy.toml"; }
  /// Derived, disposable: see src/vault/record_cache.hpp.
  static std::string record_cache() { return "cache/records.bin"; }
};

/// --vault, else $CERTCTL_VAULT, else ${XDG_DATA_HOME:-~/.local/share}/certctl.
Result<std::string> resolve_dir(const std::string& flag);

/// What unlocks the vault key.
struct UnlockSecret {
  enum class Kind { Passphrase, KeyFile } kind = Kind::Passphrase;
  SecretBytes bytes;
};

struct VaultInfo {
  int format = 1;
  std::string method;  ///< "passphrase" or "key-file"
  std::string kdf;     ///< "scrypt" or "hkdf-sha256"
  std::uint64_t scrypt_n = 0;
  std::uint32_t scrypt_r = 0, scrypt_p = 0;
  std::string created;
};

/// The vault's writer lock (file backend: a flock on <vault>/.lock), released on destruction
/// or when the process dies. Move-only.
class VaultLock {
 public:
  VaultLock() = default;
  explicit VaultLock(std::unique_ptr<storage::Held> held) noexcept : held_(std::move(held)) {}

 private:
  std::unique_ptr<storage::Held> held_;
};

/// One finding of `audit verify`: a line (1-based) and what is wrong with it.
struct AuditProblem {
  std::size_t line = 0;      ///< 0: the log as a whole (e.g. lines cut from its end)
  std::string time, action;  ///< as the line states them ("" when it cannot be read)
  std::string problem;
};

/// What `audit verify` found in audit.log.
struct AuditReport {
  std::size_t lines = 0;
  std::size_t unchained = 0;          ///< lines written before the chain began (before v1)
  std::size_t keyed = 0;              ///< lines written with the audit key, their MAC checked
  std::size_t sealed = 0;             ///< written without the key, vouched for by a later keyed line
  std::size_t unverifiable = 0;       ///< written without the key after the last keyed line
  std::size_t unverifiable_from = 0;  ///< the first of those (line number)
  std::vector<AuditProblem> problems;
  bool intact() const { return problems.empty(); }
};

/// Audit actions named for the inventory (audit.log's "action" member).
namespace actions {
inline constexpr std::string_view kKeyViewed = "certificate.key_viewed";      ///< `show --pem key`
inline constexpr std::string_view kPemExported = "certificate.pem_exported";  ///< `export`
inline constexpr std::string_view kPfxExported = "certificate.pfx_exported";  ///< `export-pfx`
inline constexpr std::string_view kPolicyHardFail = "certificate.policy_hard_fail";
inline constexpr std::string_view kPolicySoftFail = "certificate.policy_soft_fail";
inline constexpr std::string_view kPolicyUpdated = "policy.updated";
}  // namespace actions
/// The name an action has now: lines written before the rename say "show-key", "export" and
/// "export-pfx" (and keep saying it: the chain covers them); every other name is its own.
std::string_view canonical_action(std::string_view stored);

/// One line of audit.log, as `certctl audit` lists it.
struct AuditEntry {
  std::uint64_t seq = 0;  ///< 0: a line from before the chain
  std::string time, user, host, action, certificate;
  std::vector<std::pair<std::string, std::string>> details;  ///< in the line's order; non-strings as JSON text
};
/// Which lines `certctl audit` lists: all conditions must hold.
struct AuditFilter {
  std::optional<UnixTime> since;     ///< at or after this time (lines without a readable time: no)
  /// Each an exact action name, or a prefix ending in '.' or '*' ("certificate.", "certificate.*",
  /// "cert*"); any one matching is enough; the stored name and its canonical_action both count.
  std::vector<std::string> actions;
  std::string record;                ///< "": any
  bool matches(const AuditEntry& e) const;
};

/// A record whose record.toml exists but cannot be read or parsed.
struct UnreadableRecord {
  std::string name;
  Error error;
};

class Vault {
 public:
  /// Open an existing vault in a directory: it must exist, be a directory owned by us and not
  /// writable by group or others, and have a readable config.toml.
  static Result<Vault> open(const std::string& dir);
  /// Open an existing vault in any store (config.toml must be there).
  static Result<Vault> open(std::shared_ptr<storage::Store> store);
  /// Create a new vault with a fresh random vault key wrapped under `secret`.
  static Result<Vault> create(const std::string& dir, const UnlockSecret& secret,
                              std::uint64_t scrypt_n, UnixTime now);
  static Result<Vault> create(std::shared_ptr<storage::Store> store, const UnlockSecret& secret,
                              std::uint64_t scrypt_n, UnixTime now);

  /// Parsed config.toml; opaque here, defined in src/vault/vault_config.hpp.
  struct Config;

  Vault(Vault&&) noexcept;
  Vault& operator=(Vault&&) noexcept;
  ~Vault();

  const Layout& layout() const { return layout_; }
  /// The store, for what src/vault has no typed call for (CA profiles, the local CA, reminders).
  storage::Store& store() const { return *store_; }
  /// What names the vault in messages (its directory, or the database).
  std::string describe() const { return store_->describe(); }
  /// What names one of its keys in messages (a path for the file backend).
  std::string where(std::string_view key) const { return store_->where(key); }
  VaultInfo info() const;

  /// The host this certctl runs on, written with every audit and orders.log line
  /// (--host, CERTCTL_HOST, else the host name).
  void set_host(std::string host) { host_ = std::move(host); }
  const std::string& host() const { return host_; }

  /// While set, save() of a record named here carries that lease as a fence: the change
  /// applies only while the lease is still held (a renewer that lost its claim to another
  /// host cannot overwrite newer work). The leases must outlive the setting.
  using Fences = std::map<std::string, const storage::Lease*, std::less<>>;
  void set_fences(std::shared_ptr<const Fences> fences) const;

  /// The unlock method the vault was created with.
  UnlockSecret::Kind unlock_kind() const;
  /// Derive the KEK from the secret and unwrap the vault key. Wrong secret: Vault error.
  Status unlock(const UnlockSecret& secret);
  bool unlocked() const { return !vault_key_.empty(); }
  /// Rewrap the vault key under a new secret (config.toml replaced atomically).
  Status rekey(const UnlockSecret& new_secret, std::uint64_t scrypt_n);

  /// Encrypt key material for storage; `owner` ("web" or "ca/local") is bound as AAD.
  Result<std::string> seal(std::string_view owner, const SecretBytes& plaintext) const;
  Result<SecretBytes> open_sealed(std::string_view owner, std::string_view sealed,
                                  std::string_view path) const;

  /// Take the vault's write lock (waits up to 60 s for another certctl). Then, before the
  /// caller changes anything: the audit log must take a line (else a Vault error naming it),
  /// and, on this object's first lock, leftovers of killed runs in the vault and certs/ are
  /// swept (fs::sweep_leftovers).
  Result<VaultLock> lock() const;
  /// The renew lock (<vault>/.renew.lock): one `renew` run at a time; a second one waits for
  /// the first to finish and then finds nothing left to do.
  Result<VaultLock> renew_lock() const;

  bool exists(std::string_view name) const;
  Result<Record> load(std::string_view name) const;
  /// Every record, sorted by name. A record that cannot be read is an error naming it, or,
  /// when `unreadable` is given, is skipped and added there with its error (naming the file),
  /// so one damaged record never hides the others. Served from the record cache where
  /// record.toml is unchanged; refreshes the cache.
  Result<std::vector<Record>> load_all(std::vector<UnreadableRecord>* unreadable = nullptr) const;
  /// Every record in name order, read as load_all reads them, handed to `visit` one at a time
  /// and never all held at once (a walk over 10,000 records holds one, and the cache's bytes).
  /// An error from `visit` stops the walk and is returned.
  using RecordVisitor = std::function<Status(Record&&)>;
  Status for_each_record(const RecordVisitor& visit, std::vector<UnreadableRecord>* unreadable = nullptr) const;
  std::vector<std::string> names() const;
  /// The files of one version of a record, as a change writes them.
  struct VersionFiles {
    int version = 0;
    std::vector<std::pair<std::string, std::string>> files;  ///< file name -> content
    bool fresh = true;  ///< remove what the version held first (false: add to it)
  };
  /// One change to a record, as one transaction where the backend has them: `write`'s version
  /// written (afresh unless it says otherwise, so a version is never a mix), then
  /// record.toml (the commit point), then the versions in `drop` removed. On the file backend a
  /// change cut short leaves the old record and files no record refers to, which the next save
  /// of the record sweeps.
  Status save(const Record& r, const std::optional<VersionFiles>& write = std::nullopt,
              const std::vector<int>& drop = {}) const;
  Result<std::string> read_file(std::string_view name, int version, std::string_view file) const;
  /// Whether a version holds a file (export asks before reading what may be absent).
  Result<bool> has_file(std::string_view name, int version, std::string_view file) const;
  /// Remove a record and all its versions.
  Status remove(std::string_view name) const;

  /// Append to audit.log: {"time","user","action","certificate","details":{...},"seq","chain"},
  /// chained to the line before: with the audit key when the vault is unlocked, else marked as
  /// written without it (src/vault/audit_chain.hpp). Appends are serialised by a flock on the log.
  Status audit(std::string_view action, std::string_view certificate,
               const std::vector<std::pair<std::string, std::string>>& details, UnixTime now) const;
  /// Walk audit.log and audit.head and report every line edited, removed, inserted or moved
  /// (the vault must be unlocked).
  Result<AuditReport> verify_audit() const;
  /// Hand every line of audit.log that `filter` matches to `visit`, oldest first, one at a time
  /// (the log is read whole, up to fs::kMaxLogSize; lines that are not JSON objects are
  /// skipped). An error from `visit` stops the walk and is returned. Needs no unlock.
  Status read_audit(const AuditFilter& filter, const std::function<Status(const AuditEntry&)>& visit) const;
  /// Append to orders.log (issuance attempts).
  struct OrderEntry {
    std::string name, ca, type, status, error;
    double duration_s = 0;
    std::string replaces;  ///< ARI id of the certificate the order replaced, if any
  };
  Status log_order(const OrderEntry& e, UnixTime now) const;
  struct LoggedOrder {
    std::string time, user, host;
    OrderEntry entry;
  };
  /// Every line of orders.log, oldest first (unreadable lines are skipped).
  Result<std::vector<LoggedOrder>> read_orders() const;

 private:
  explicit Vault(std::shared_ptr<storage::Store> store);
  Status after_lock() const;
  /// The versions of a record's directory that `r` does not refer to (neither current with
  /// files nor in its history: left by a killed issue or import, or an abandoned CSR version).
  std::vector<int> orphan_versions(const Record& r, const std::vector<storage::Listed>& listed) const;
  /// The revision of each record.toml this object last read or wrote: save() refuses to
  /// replace a record that changed since (another process or host wrote it meanwhile).
  struct Seen;
  void remember(std::string_view name, storage::Revision r) const;
  std::optional<storage::Revision> last_seen(std::string_view name) const;
  Layout layout_;
  std::shared_ptr<storage::Store> store_;
  std::unique_ptr<Seen> seen_;
  std::string host_;
  std::unique_ptr<Config> config_;
  SecretBytes vault_key_;
};

/// A small named settings file, <vault>/<kind>/<name>.toml (kind "notify", "dns"): a type and
/// flat string options. Secrets are stored sealed (AAD "<kind>/<name>/<key>") and opened only
/// on use; `secret_names` lists them without their values.
struct NamedConfig {
  std::string name;
  std::string type;
  std::map<std::string, std::string> options;
  std::map<std::string, std::string> sealed;  ///< key -> sealed value (base64)
  UnixTime created = 0;
};
/// Every config of a kind, sorted by name (none: empty).
Result<std::vector<NamedConfig>> load_configs(const Vault& vault, std::string_view kind);
/// One config; NotFound naming "<kind> '<name>'" when absent.
Result<NamedConfig> load_config(const Vault& vault, std::string_view kind, std::string_view name);
/// Write atomically (the caller holds the lock).
Status save_config(const Vault& vault, std::string_view kind, const NamedConfig& c);
Status remove_config(const Vault& vault, std::string_view kind, std::string_view name);
/// Seal a secret option of a config (vault unlocked) / open it again.
Result<std::string> seal_config_secret(const Vault& vault, std::string_view kind, std::string_view name,
                                       std::string_view key, const SecretBytes& value);
Result<SecretBytes> open_config_secret(const Vault& vault, std::string_view kind, const NamedConfig& c,
                                       std::string_view key);

/// The user name for logs ($USER, else the passwd entry, else the uid).
std::string current_user();
/// The default host for logs and leases: $CERTCTL_HOST, else gethostname(2).
std::string host_name();

}  // namespace certctl::vault
