#pragma once
/// The vault: one directory holding every record, key, PEM file, the local CA and the logs.
/// Layout in man/certctl-vault.5. All writes are atomic; every change runs under VaultLock.
#include <certctl/record.hpp>
#include <certctl/result.hpp>
#include <certctl/secret.hpp>
#include <certctl/unique_fd.hpp>

#include <map>
#include <memory>
#include <sys/types.h>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace certctl::vault {

/// Every path inside a vault is built here and nowhere else.
class Layout {
 public:
  explicit Layout(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }
  std::string config() const { return root_ + "/config.toml"; }
  std::string lock() const { return root_ + "/.lock"; }
  std::string certs() const { return root_ + "/certs"; }
  std::string record_dir(std::string_view name) const;
  std::string record_file(std::string_view name) const;
  std::string version_dir(std::string_view name, int version) const;
  std::string version_file(std::string_view name, int version, std::string_view file) const;
  std::string ca_dir(std::string_view ca) const { return root_ + "/ca/" + std::string(ca); }
  std::string audit_log() const { return root_ + "/audit.log"; }
  /// The seq and MAC of the last line written with the audit key (src/vault/audit_chain.hpp).
  std::string audit_head() const { return root_ + "/audit.head"; }
  std::string orders_log() const { return root_ + "/orders.log"; }
  /// Derived, disposable: see src/vault/record_cache.hpp.
  std::string record_cache() const { return root_ + "/cache/records.bin"; }

 private:
  std::string root_;
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

/// An exclusive flock on <vault>/.lock, released on destruction (or when the process dies).
/// Move-only: closing the descriptor releases the flock.
class VaultLock {
 public:
  VaultLock() = default;
  explicit VaultLock(UniqueFd fd) noexcept : fd_(std::move(fd)) {}

 private:
  UniqueFd fd_;
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

/// A record whose record.toml exists but cannot be read or parsed.
struct UnreadableRecord {
  std::string name;
  Error error;
};

class Vault {
 public:
  /// Open an existing vault: it must exist, be a directory owned by us and not writable by
  /// group or others, and have a readable config.toml.
  static Result<Vault> open(const std::string& dir);
  /// Create a new vault with a fresh random vault key wrapped under `secret`.
  static Result<Vault> create(const std::string& dir, const UnlockSecret& secret,
                              std::uint64_t scrypt_n, UnixTime now);

  /// Parsed config.toml; opaque here, defined in src/vault/vault_config.hpp.
  struct Config;

  Vault(Vault&&) noexcept;
  Vault& operator=(Vault&&) noexcept;
  ~Vault();

  const Layout& layout() const { return layout_; }
  VaultInfo info() const;

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
  /// and leftovers of killed runs in the vault and certs/ are swept (fs::sweep_leftovers).
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
  std::vector<std::string> names() const;
  /// Write record.toml atomically (last step of any multi-file change).
  Status save(const Record& r) const;
  Status write_file(std::string_view name, int version, std::string_view file,
                    std::string_view data, mode_t mode = 0600) const;
  Result<std::string> read_file(std::string_view name, int version, std::string_view file) const;
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
  /// Append to orders.log (issuance attempts).
  struct OrderEntry {
    std::string name, ca, type, status, error;
    double duration_s = 0;
    std::string replaces;  ///< ARI id of the certificate the order replaced, if any
  };
  Status log_order(const OrderEntry& e, UnixTime now) const;
  struct LoggedOrder {
    std::string time, user;
    OrderEntry entry;
  };
  /// Every line of orders.log, oldest first (unreadable lines are skipped).
  Result<std::vector<LoggedOrder>> read_orders() const;

 private:
  Vault(Layout layout);
  Status after_lock() const;
  /// Under the lock, after record.toml of `r` was written: remove what no record refers to in
  /// its directory (vN above r.version, left by a killed issue or import; leftovers of dead runs).
  void sweep_record(const Record& r) const;
  Layout layout_;
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

}  // namespace certctl::vault
