#pragma once
/// Use cases: the only layer that combines vault, CA and crypto. Each function takes the
/// vault's write lock when it changes anything, re-reads the record under the lock, enforces
/// the lifecycle state machine, and writes files first and record.toml last. Nothing here
/// prints; the CLI renders what is returned.
#include <certctl/ca.hpp>
#include <certctl/dns.hpp>
#include <certctl/http.hpp>
#include <certctl/clock.hpp>
#include <certctl/device_seal.hpp>
#include <certctl/policy.hpp>
#include <certctl/record.hpp>
#include <certctl/result.hpp>
#include <certctl/secret.hpp>
#include <certctl/tls_probe.hpp>
#include <certctl/vault.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace certctl::lifecycle {

/// What one command knows of the issuance policy: the policy, read from the store once, and
/// the soft violations it already reported (src/lifecycle/policy.cpp; opaque here).
struct PolicyRun;
std::shared_ptr<PolicyRun> new_policy_run();

struct Context {
  vault::Vault& vault;
  const Clock& clock;
  /// Makes every HTTP client lifecycle needs (ACME, notifier webhooks): the CLI passes
  /// http::make_curl_client, unit tests a fake.
  const http::ClientFactory& http;
  /// Run the orders of issue and renew in the network process (certctl --network-process),
  /// which holds no key: the CLI's choice. Unit tests run them here, through `http`.
  bool network_process = false;
  /// Where a soft policy violation goes (the CLI: one "certctl: warning:" line on stderr); may
  /// be empty. Lifecycle never prints.
  std::function<void(const Error&)> warn;
  /// The command's policy run (null: each use case reads the policy itself and shares it with
  /// the steps it calls).
  std::shared_ptr<PolicyRun> policy_run;
};

/// The network process's main: `certctl --network-process`, started by issue and renew with
/// their end of a socket pair as descriptor `fd` (src/lifecycle/network_process.cpp).
int network_process_main(int fd);

/// Where the unlock secret comes from (resolved in this order: passphrase file, the
/// CERTCTL_PASSPHRASE environment variable, CERTCTL_PASSPHRASE_FILE, key file (flag or
/// CERTCTL_KEY_FILE), a no-echo prompt on the TTY).
struct UnlockOptions {
  std::string passphrase_file;
  std::string key_file;
};

/// Environment variable names consulted for a secret ("" = none).
struct SecretEnv {
  const char* passphrase = "CERTCTL_PASSPHRASE";
  const char* passphrase_file = "CERTCTL_PASSPHRASE_FILE";
  const char* key_file = "CERTCTL_KEY_FILE";
};
/// A new unlock secret (init, rekey): a key file when one is named, else a passphrase from
/// the file, the environment, or the TTY (asked twice).
Result<vault::UnlockSecret> read_new_secret(const UnlockOptions& opts, const SecretEnv& env);
/// Write 32 random bytes to a new file (mode 0600, never overwrites).
Status generate_key_file(const std::string& path);
/// systemd credentials (`LoadCredential=`, in $CREDENTIALS_DIRECTORY) that unlock a vault when
/// no option or variable names a secret.
inline constexpr const char* kKeyCredential = "certctl.key";
inline constexpr const char* kPassphraseCredential = "certctl.passphrase";
/// Unlock an opened vault with the secret its config asks for. A key-file vault: --key-file,
/// CERTCTL_KEY_FILE, then $CREDENTIALS_DIRECTORY/certctl.key. A passphrase vault:
/// --passphrase-file, CERTCTL_PASSPHRASE, CERTCTL_PASSPHRASE_FILE,
/// $CREDENTIALS_DIRECTORY/certctl.passphrase, then the terminal.
Status unlock(vault::Vault& vault, const UnlockOptions& opts);
/// What unlock() would read is there and readable (the secret is read and wiped; no KDF runs).
/// With no source but the terminal, stdin must be one (a Usage error otherwise), so a cron
/// job without a secret fails on its first run, due or not.
Status check_unlock_source(const vault::Vault& vault, const UnlockOptions& opts);

// ---- records ---------------------------------------------------------------------------------
struct RecordFields {
  std::optional<std::string> domain;
  std::optional<std::vector<std::string>> sans;
  std::optional<std::string> key_type;
  std::optional<std::string> ca;
  std::optional<int> renew_days;
  std::optional<std::string> o, ou, c, st, l, email;
  /// From the next certificate on (`--key-policy`).
  std::optional<vault::KeyPolicy> key_policy;
};

/// A new draft record (no key yet).
Result<vault::Record> create(Context ctx, const std::string& name, const RecordFields& f);
struct SettingsOverride;
struct EditResult {
  vault::Record record;
  bool csr_discarded = false;
  /// New names, subject or key type for a record with a certificate: the next issue or renew
  /// makes a new key and CSR with them.
  bool identity_pending = false;
  /// An imported record put under management (`--ca`): it now renews here.
  bool taken_over = false;
};
/// Change what is stored, never issuing: names, subject and key type (before issuance they
/// replace the CSR's; after it they take effect with the next certificate), the CA, renewal
/// days, key policy and the issue settings. `--ca` on an imported record puts it under
/// management; other changes to an imported record are refused.
Result<EditResult> edit(Context ctx, const std::string& name, const RecordFields& f, const SettingsOverride& settings);
/// Generate key + CSR (vault must be unlocked).
Result<vault::Record> make_csr(Context ctx, const std::string& name);
/// Adopt a CSR made elsewhere; no key is stored.
Result<vault::Record> adopt_csr(Context ctx, const std::string& name, const std::string& csr_file);

/// Issue settings given on a command line: each one set replaces the record's stored value
/// (and is stored with the record for renewals); unset ones keep it.
struct SettingsOverride {
  std::optional<vault::ChallengeType> challenge;
  std::optional<std::string> dns, webroot, http_hook, http_address, profile, preferred_chain;
  std::optional<std::vector<std::string>> webroot_map;  ///< "NAME=DIR" entries
  std::optional<int> http_port, tls_port;
  std::optional<std::vector<std::string>> fallback;
  std::optional<bool> reuse_key;
  std::optional<std::string> deploy_dir, deploy_owner, deploy_hook;
  std::optional<int> propagation_wait;
  std::optional<bool> no_propagation_check;
  /// Lay these over `s`. A DNS provider without a challenge type means dns-01; a web root and
  /// an http hook replace each other.
  void apply_to(vault::IssueSettings& s) const;
  bool any() const {
    return challenge || dns || webroot || webroot_map || http_hook || http_address || profile || preferred_chain || http_port || tls_port ||
           fallback || reuse_key || deploy_dir || deploy_owner || deploy_hook || propagation_wait ||
           no_propagation_check;
  }
};

/// Progress of a batch: `name`'s orders ended, `done` of `total` have (renew's "N of M").
using OrderProgress = std::function<void(const std::string& name, std::size_t done, std::size_t total)>;

struct IssueRequest {
  std::optional<std::string> ca;  ///< override the record's CA for this issuance
  int days = 90;                  ///< local CA validity
  SettingsOverride settings;
  /// A renewal: a new key and CSR unless the record reuses its key; history says "renewed".
  bool renew = false;
  /// Run the orders up to validation and write nothing (renew --dry-run).
  bool dry_run = false;
  /// dns-01: where every lookup goes (--dns-resolver, $CERTCTL_DNS_RESOLVER); none = the
  /// system resolvers, then each zone's authoritative servers.
  std::optional<dns::Server> dns_resolver;
  /// dns-01: one-line progress while waiting for propagation (a TTY line), may be empty.
  dns::Progress dns_progress;
  /// Called as each record's orders end (in the order they end), may be empty.
  OrderProgress order_progress;
  /// The responder child started before unlocking (see responder_endpoints); the http-01 and
  /// tls-alpn-01 solvers of the endpoints it serves go through it. Null: their own threads.
  std::shared_ptr<challenge::Responders> responders;
};
/// The built-in responders (http-01 standalone, tls-alpn-01) the orders of these records would
/// use: read from the records and the request's overrides without unlocking, so the responder
/// child can bind them first. A name without a record (the one-step `issue --domain`) counts
/// with default settings and `new_record_ca`; records whose CAs are all the local CA need none.
std::vector<challenge::Endpoint> responder_endpoints(Context ctx, const std::vector<std::string>& names,
                                                     const IssueRequest& req, const std::string& new_record_ca = "local");
/// Issue (or re-issue) from the record's CA, then its fallbacks. The vault must be unlocked.
/// A CA failure (refusal, network, DNS) leaves the record in status error with the reason.
Result<vault::Record> issue(Context ctx, const std::string& name, const IssueRequest& req);
/// One name of a batch: its record (or why not), and what went wrong without stopping it.
struct IssueResult : Result<vault::Record> {
  IssueResult(std::string name, Result<vault::Record> record, std::vector<Error> warnings = {})
      : Result<vault::Record>(std::move(record)), name(std::move(name)), warnings(std::move(warnings)) {}
  std::string name;
  /// A challenge solver the batch shared failed to clean up after the orders (a TXT record
  /// or token file may be left behind): its error, for each record that used it. The
  /// certificate, if issued, stands (a single order's own solver fails the order instead,
  /// since its cleanup comes before finalizing).
  std::vector<Error> warnings;
};
/// Issue several records in one run: the vault lock is held only to read and to write, the
/// orders run `parallel` at a time, each worker keeps its CA sessions (account, connection)
/// for all its orders, and orders that answer the same challenge type share one responder.
/// One result per name, in order; a failure of one does not stop the others.
std::vector<IssueResult> issue_many(Context ctx, const std::vector<std::string>& names, const IssueRequest& req,
                                    int parallel);
/// One-shot issuance for CI: create the record when it does not exist (with `fields`), make
/// the key and CSR when it has none, then issue.
Result<vault::Record> issue_new(Context ctx, const std::string& name, const RecordFields& fields,
                                const IssueRequest& req);
/// A record of a one-shot batch: its name and what `issue_new` would create it with.
struct NewRecord {
  std::string name;
  RecordFields fields;
};
/// issue_new for several records in one run (`issue A B --domain a --domain b`): each is
/// created or changed and given a key and CSR, then all that got that far are issued together
/// as issue_many issues them. A record this call created and could not issue is removed again;
/// one that fails does not stop the others. One result per record, in order.
std::vector<IssueResult> issue_many_new(Context ctx, const std::vector<NewRecord>& records, const IssueRequest& req,
                                        int parallel);

// ---- deployment ------------------------------------------------------------------------------
/// A deploy target for many records (global, or per CA or record list): where the files go
/// (paths may use {name} and {domain}), their modes and owner, and hooks. Stored as
/// <vault>/deploy/<name>.toml; applied by `deploy` after each record's own deployment.
struct DeployTarget {
  std::string name;
  std::vector<std::string> cas;      ///< only records issued by / set to these CAs
  std::vector<std::string> records;  ///< only these records; both empty = every record
  std::string cert, chain, fullchain, key;  ///< file paths ("" = not written)
  int mode = 0644;                   ///< cert, chain, fullchain
  int key_mode = 0600;
  std::string owner;                 ///< USER[:GROUP]
  std::string hook;                  ///< after each deployment of a record
  std::string pre_hook, post_hook;   ///< once per renew run in which a record it covers is due
  /// Only on these hosts / hosts with one of these labels (`--hosts`, `--labels`); both empty =
  /// wherever certctl deploys (renew's own host). A target that names hosts is what their
  /// agents deploy, and what keys are sealed to (key-policy hybrid or device).
  std::vector<std::string> hosts, labels;
  bool applies_to(const vault::Record& r) const;
  bool names_hosts() const { return !hosts.empty() || !labels.empty(); }
  /// Whether it names the host `host` with labels `host_labels`.
  bool names_host(std::string_view host, const std::vector<std::string>& host_labels) const;
  /// Whether it deploys on `host`: it names no hosts, or names this one.
  bool deploys_on(std::string_view host, const std::vector<std::string>& host_labels) const {
    return !names_hosts() || names_host(host, host_labels);
  }
};
Status deploy_target_add(Context ctx, const DeployTarget& t);
Result<std::vector<DeployTarget>> deploy_targets(Context ctx);
Status deploy_target_remove(Context ctx, const std::string& name);

/// Whether a record has anything to deploy (a directory or a hook of its own, or a deploy
/// target that covers it).
bool has_deploy(const vault::Record& r, const std::vector<DeployTarget>& targets = {});
/// Deploy the record's current certificate: write cert/chain/fullchain/key .pem to its deploy
/// directory (owner as configured), then run its deploy hook and `extra_hook` with
/// CERTCTL_NAME, CERTCTL_DOMAINS, CERTCTL_SERIAL, CERTCTL_NOT_AFTER and, with a directory,
/// CERTCTL_DEPLOY_DIR and CERTCTL_{CERT,CHAIN,FULLCHAIN,KEY}_PATH. A failure (Category Deploy)
/// marks the record deploy_failed, so renew deploys it again; success clears the mark.
Status deploy(Context ctx, const std::string& name, const std::string& extra_hook);
/// The same with the deploy targets already loaded (renew deploys many records).
Status deploy(Context ctx, const std::string& name, const std::string& extra_hook,
              const std::vector<DeployTarget>& targets);
/// Run a run-wide hook (renew --pre-hook/--post-hook) through /bin/sh.
Status run_hook(std::string_view which, const std::string& command);

// ---- renewal ---------------------------------------------------------------------------------
struct RenewRequest {
  std::vector<std::string> names;  ///< empty = every managed record
  bool force = false;              ///< renew even when not due (and ignore backoff)
  bool dry_run = false;            ///< validate without finalizing; write nothing
  int parallel = 4;
  /// A shared vault (PostgreSQL): how long a host's claim on a due record lasts without being
  /// extended (a renewer that dies loses its claims after this; another host renews them).
  std::chrono::seconds lease_ttl{600};
  std::optional<bool> reuse_key;   ///< stored with each renewed record when given
  /// Unlock the vault; called only when something is due, so a run with nothing to do
  /// costs no key derivation.
  std::function<Status()> unlock;
  std::string pre_hook;     ///< once before anything is renewed or deployed (only if something is due)
  std::string deploy_hook;  ///< after each successful renewal, besides the record's own
  std::string post_hook;    ///< once after the run (only if something was due)
  bool notify = true;       ///< send the vault's notifiers what happened (see notify_after_renew)
  std::optional<dns::Server> dns_resolver;  ///< as IssueRequest::dns_resolver
  dns::Progress dns_progress;
  OrderProgress order_progress;  ///< as IssueRequest::order_progress
  /// Starts the responder child for the due records' endpoints, before `unlock` (empty: the
  /// solvers run their own responder threads, as in the unit tests).
  std::function<Result<std::shared_ptr<challenge::Responders>>(const std::vector<challenge::Endpoint>&)>
      start_responders;
};
/// What a renew run did with one record; to_string() is the name printed and put in JSON.
enum class RenewOutcome {
  NotDue,        ///< "not due": named on the command line, not due (the reason says why)
  Skipped,       ///< "skipped": due, but the pre hook failed, so nothing was tried
  Renewed,       ///< "renewed" (and deployed, when it deploys anywhere)
  Validated,     ///< "validated": a dry run got that far
  Deployed,      ///< "deployed": issued earlier, its failed deploy done again
  Failed,        ///< "failed": no certificate
  DeployFailed,  ///< "deploy failed": renewed (or not due), but deploying it failed
};
std::string_view to_string(RenewOutcome o);
/// Failed or DeployFailed: the run exits non-zero.
bool is_failure(RenewOutcome o);

struct RenewItem {
  std::string name;
  std::string reason;     ///< why it was due ("expires in 20 days (threshold 30)", "expired", ...)
  RenewOutcome outcome = RenewOutcome::NotDue;
  std::string error;      ///< when failed
  int exit_code = 0;      ///< when failed
  std::string issued_by, serial_hex;
  UnixTime not_after = 0;
  std::vector<std::string> warnings;  ///< what went wrong without failing it (see IssueResult)
};
struct RenewReport {
  std::vector<RenewItem> items;  ///< due ones, and named ones that were not due
  std::size_t checked = 0;       ///< records looked at
  bool dry_run = false;
  std::optional<Error> hook_error;  ///< a failed pre/post hook
  std::vector<Error> notify_errors;  ///< notifiers that could not be reached (warnings)
  std::vector<vault::UnreadableRecord> unreadable;  ///< records that could not be read: skipped, a failure
  bool any_failed() const;
};
// ---- DNS providers (dns-01) ------------------------------------------------------------------
/// A DNS provider as `certctl dns add` stores it (<vault>/dns/<name>.toml): plain options, and
/// per secret either a sealed value or the name of an environment variable read at each use.
struct DnsProviderInput {
  std::string name;
  std::string type;                                   ///< a dns::registry() name
  std::map<std::string, std::string> options;         ///< non-secret options
  std::map<std::string, SecretBytes> secrets;         ///< sealed into the vault now
  std::map<std::string, std::string> secret_envs;     ///< secret -> environment variable name
  std::string tech_zone;
  int ttl = 60;
  int timeout_s = 120;
  int propagation_wait_s = 0;         ///< wait this long instead of checking (0 = check)
  bool no_propagation_check = false;  ///< neither check nor wait
};
struct DnsProviderInfo {
  std::string name, type, tech_zone;
  std::map<std::string, std::string> options;
  std::map<std::string, std::string> secrets;         ///< secret -> "sealed" or "env:VAR"
  int ttl = 60, timeout_s = 120;
  int propagation_wait_s = 0;
  bool no_propagation_check = false;
  UnixTime created = 0;
};
/// Check the type and options against the registry, seal the secrets, store it.
Status dns_add(Context ctx, DnsProviderInput input);
Result<std::vector<DnsProviderInfo>> dns_list(Context ctx);
Result<DnsProviderInfo> dns_show(Context ctx, const std::string& name);
Status dns_remove(Context ctx, const std::string& name);
/// The provider's config with its secrets opened (the vault unlocked) or read from the
/// environment.
Result<dns::ProviderConfig> dns_provider_config(Context ctx, const std::string& name);
/// `dns test`: publish a random TXT value at _acme-challenge.<domain> (after CNAMEs), wait
/// until every authoritative server serves it, remove it. Returns where it was written.
struct DnsTestResult {
  std::string fqdn, zone;
  double seconds = 0;
};
Result<DnsTestResult> dns_test(Context ctx, const std::string& name, const std::string& domain,
                               const std::optional<dns::Server>& resolver, const dns::Progress& progress);
/// `dns check`: for each name of a record issued by dns-01 through a provider with a tech
/// zone (its own, or its CA's), whether `_acme-challenge.<name>` is a CNAME into it. When all
/// are, a pending record's backoff is cleared so the next issue/renew goes ahead.
struct DnsCheckItem {
  std::string name;         ///< identifier
  std::string target;       ///< where its _acme-challenge CNAME chain ends
  std::string expected;     ///< the CNAME target wanted in the tech zone ("" without one)
  bool ok = false;
  std::string instruction;  ///< the record to add when not ok
};
Result<std::vector<DnsCheckItem>> dns_check(Context ctx, const std::string& record,
                                            const std::optional<dns::Server>& resolver);

// ---- notifications ---------------------------------------------------------------------------
/// A notifier: a webhook (JSON POST) or mail (SMTP), stored as <vault>/notify/<name>.toml.
/// Events: "failure" (a renewal or deploy failed), "success" (renewed), "expiring" (a
/// certificate renew does not renew, i.e. an imported one, is within expiring_days of expiry:
/// reminded when it enters that window and again at 7, 3 and 1 days left and once expired).
struct NotifierSpec {
  std::string name;
  std::string type;                ///< "webhook" or "email"
  std::string url;                 ///< webhook: http(s)://...; email: smtp://host:port or smtps://
  std::string from;                ///< email
  std::vector<std::string> to;     ///< email
  std::string user;                ///< email AUTH user
  std::string password_env;        ///< email: environment variable that holds the AUTH password
  bool starttls = false;           ///< email over smtp:// upgraded with STARTTLS
  std::string ca_bundle;           ///< PEM roots for the webhook's or mail server's TLS
  std::vector<std::string> events{"failure", "expiring"};
  int expiring_days = 14;  ///< 1..kMaxExpiringDays
};
/// The widest reminder window a notifier may have (`--expiring-days`).
inline constexpr int kMaxExpiringDays = 365;
Status notify_add(Context ctx, const NotifierSpec& spec);
Result<std::vector<NotifierSpec>> notify_list(Context ctx);
Status notify_remove(Context ctx, const std::string& name);
/// Send a test message through one notifier.
Status notify_test(Context ctx, const std::string& name);
/// After a renew run: failures, successes and expiry reminders to every notifier that wants
/// them. `records` (sorted by name) must hold every record of the report's items and every
/// imported certificate within kMaxExpiringDays of expiry; renew passes the records it kept.
/// Returns the notifiers that failed (the run's own result is unchanged).
std::vector<Error> notify_after_renew(Context ctx, const RenewReport& report, const std::vector<vault::Record>& records);

/// Renew what is due, under the renew lock (overlapping runs never renew one record twice).
Result<RenewReport> renew(Context ctx, const RenewRequest& req);

// ---- revocation ------------------------------------------------------------------------------
/// RFC 5280 reason names: unspecified, keyCompromise, cACompromise, affiliationChanged,
/// superseded, cessationOfOperation.
Result<int> parse_revoke_reason(std::string_view name);
/// Revoke the current certificate at its issuing CA; the record becomes revoked (permanent).
Result<vault::Record> revoke(Context ctx, const std::string& name, int reason);

// ---- CA profiles and ACME accounts -----------------------------------------------------------
Status add_ca(Context ctx, const ca::CaProfile& profile, const std::string& eab_hmac_file);
Status remove_ca(Context ctx, const std::string& name);

struct RegisterRequest {
  std::string ca;
  std::string email;
  bool agree_tos = false;
  std::string eab_kid;
  std::string eab_hmac_file;
  std::string key_type = "ec256";
};
/// Register (or find by key, onlyReturnExisting) the account of a CA profile.
Result<ca::Account> register_account(Context ctx, const RegisterRequest& req);
Result<ca::Account> update_account(Context ctx, const std::string& ca, const std::string& email);
Result<ca::Account> rollover_account_key(Context ctx, const std::string& ca);
Result<ca::Account> deactivate_account(Context ctx, const std::string& ca);

struct ImportRequest {
  std::string cert_file;
  std::string key_file;
  std::string chain_file;  ///< optional
  std::optional<int> renew_days;
  bool replace = false;
  /// Migration (`certctl migrate`): the record renews here, from this CA profile with these
  /// settings (a CSR is made from the key), instead of being an imported record.
  std::optional<std::string> manage_ca;
  SettingsOverride manage_settings;
};
Result<vault::Record> import_certificate(Context ctx, const std::string& name, const ImportRequest& req);

/// `import --dir DIR`: every NAME.crt, NAME.pem, NAME.cer or NAME.cert in DIR (not below it) that
/// holds a certificate becomes record NAME, its key from the same file (a combined PEM, as
/// HAProxy keeps) or NAME.key, its chain the certificates after the leaf. One vault unlock for
/// all; a file that cannot be imported fails alone.
struct ImportedFile {
  std::string name;  ///< the record name (the file name without its extension)
  std::string file;  ///< the certificate file
  Result<vault::Record> result;
};
Result<std::vector<ImportedFile>> import_directory(Context ctx, const std::string& dir, const ImportRequest& common);

Status remove(Context ctx, const std::string& name);

// ---- reading and exporting -------------------------------------------------------------------
enum class PemKind { Cert, Chain, Fullchain, Csr, Key };
Result<PemKind> parse_pem_kind(std::string_view s);

/// The record and the version to read (0 = current).
Result<int> resolve_version(const vault::Record& r, int requested);
/// PEM text of one artefact; Key needs an unlocked vault and is written to the audit log.
Result<SecretBytes> read_pem(Context ctx, const vault::Record& r, int version, PemKind kind);

struct ExportResult {
  std::vector<std::string> files;
  std::string no_key;  ///< why no key.pem was written when the record has none in the vault ("" otherwise)
};
Result<ExportResult> export_files(Context ctx, const std::string& name, int version, const std::string& dir);

struct PfxRequest {
  std::string out;
  std::string password_file;  ///< empty: generate one
  /// The password from password_file, read by read_pfx_password before the vault is unlocked
  /// (export_pfx reads it itself, before decrypting the key, when the caller did not).
  SecretBytes password;
  bool legacy = false;
  std::string friendly_name;  ///< empty: the record name
  int version = 0;
};
struct PfxResult {
  std::string path;
  SecretBytes generated_password;  ///< empty when the password came from a file
};
/// The PKCS#12 password in `file` (trailing newline dropped; empty is an Input error naming it).
Result<SecretBytes> read_pfx_password(const std::string& file);
Result<PfxResult> export_pfx(Context ctx, const std::string& name, const PfxRequest& req);

/// Local CA set-up (vault unlocked): a root and an intermediate under it.
struct LocalCaRequest {
  std::string cn = "certctl local CA";
  std::string key_type = "ec384";
  int days = 3650;
  int intermediate_days = 0;  ///< 0 = min(1095, days)
  std::vector<std::string> permit, exclude;  ///< name constraints (DNS names, CIDR ranges)
};
Result<ca::LocalCaInfo> init_local_ca(Context ctx, const LocalCaRequest& req);
/// `ca local rotate`: a new intermediate, or a new root and intermediate (vault unlocked).
/// Returns what was made; records issued by the replaced ones become due (see renew).
Result<std::vector<ca::LocalCaCert>> rotate_local_ca(Context ctx, const ca::LocalCaRotate& req);

// ---- discovery: certificates found at TLS endpoints and in files ------------------------------
/// One TLS endpoint to look at: a host (name or address), a port, and the server name sent
/// ("" = none; by default the host when it is a name, none for an address).
struct TlsTarget {
  std::string host;
  int port = 443;
  std::string sni;
  /// "tls://HOST:PORT" ("[V6]" for an IPv6 address), with "?sni=NAME" when a name other than
  /// the host is sent: a discovered record's seen_at.
  std::string place() const;
};
/// The most targets one `discover tls` run takes (after ranges are expanded), and its bounds.
inline constexpr std::size_t kMaxDiscoverTargets = 4096;
inline constexpr int kMaxDiscoverParallel = 64;
inline constexpr int kMaxDiscoverTimeout = 60;  ///< seconds
/// Targets from the command line or a --file: HOST:PORT, [IPV6]:PORT, or A.B.C.D/N:PORT (every
/// address of the range, N at least 20). `sni` ("" = the default) applies to each; `source`
/// names where a bad one came from. A bad target, a range over the cap or more than
/// kMaxDiscoverTargets in all is a Usage error naming it; duplicates are dropped.
Result<std::vector<TlsTarget>> parse_tls_targets(const std::vector<std::string>& specs, const std::string& sni,
                                                 std::string_view source = "target");
/// The lines of a --file of targets: one per line; blank lines and '#' comments skipped.
Result<std::vector<std::string>> read_target_file(const std::string& path);

/// Reads what one TLS server presents (the real one is http::probe_tls; tests pass a fake).
/// Called from several threads at once; must not throw.
using TlsProbe = std::function<Result<http::TlsPeer>(const TlsTarget&, std::chrono::milliseconds timeout)>;

/// What discovery did with one place.
enum class DiscoverOutcome {
  New,        ///< "new": a record made for a place seen for the first time
  SeenAgain,  ///< "seen again": the same certificate there; only last_seen changed
  Changed,    ///< "changed": another certificate there; a new version, the old one to history
  Skipped,    ///< "skipped": nothing to record (a PKCS#12 with a password, a bundle of CA certificates)
  Failed,     ///< "failed": the place could not be read, or its record not written
};
std::string_view to_string(DiscoverOutcome o);

struct DiscoverItem {
  std::string place;  ///< seen_at of the record, or what was looked at (a target, a file)
  std::string name;   ///< the record ("" when none)
  DiscoverOutcome outcome = DiscoverOutcome::Failed;
  std::optional<Error> error;  ///< failed: why; skipped: what was found instead
  int version = 0;             ///< the record's version after the run
  std::string domain, fingerprint_sha256, verify;
  UnixTime not_after = 0;
  std::string linked_to;  ///< the managed or imported record whose certificate it is
  int linked_version = 0;
  bool linked_current = false;  ///< linked_version is that record's current version
};
struct DiscoverReport {
  std::vector<DiscoverItem> items;  ///< in the order of the targets or files
  std::size_t files_read = 0;       ///< discover files: files looked into
  std::size_t count(DiscoverOutcome o) const;
  /// 0, or the exit code of the first failed item (6 for a server that cannot be reached).
  int exit_code() const;
};

struct DiscoverTlsRequest {
  std::vector<TlsTarget> targets;
  int parallel = 16;                  ///< 1..kMaxDiscoverParallel probes at once
  std::chrono::seconds timeout{5};    ///< per connection, 1..kMaxDiscoverTimeout
  TlsProbe probe;                     ///< empty: http::probe_tls
};
/// Probe every target (`parallel` at a time, without the vault lock), then record each chain
/// under one lock: a new place makes a discovered record (its certificate and chain as
/// version 1, no key), the same certificate again updates last_seen, another certificate
/// makes a new version. Each is linked to the managed or imported record holding the same
/// certificate (SHA-256 fingerprint, current or history). One target's failure is its item's.
Result<DiscoverReport> discover_tls(Context ctx, const DiscoverTlsRequest& req);

/// Bounds of `discover files`.
inline constexpr std::size_t kMaxDiscoverEntries = 200000;   ///< directory entries walked
inline constexpr std::size_t kMaxDiscoverFileSize = 1u << 20;  ///< larger files are not read
inline constexpr int kMaxDiscoverDepth = 32;
/// Walk the directories (symbolic links are not followed, neither to files nor to directories;
/// unreadable directories are skipped) and record every certificate found in a PEM, DER or
/// PKCS#12 file without a password as `discover_tls` records a chain: one place per
/// certificate that is not a CA (with the CA certificates after it as its chain), or the one
/// certificate of a file that holds a single one. A password-protected PKCS#12 or a file of
/// CA certificates only is skipped; a damaged certificate file fails alone.
Result<DiscoverReport> discover_files(Context ctx, const std::vector<std::string>& dirs);

/// A place where a record's certificate was seen (for `show` of a managed or imported record).
struct ServedPlace {
  std::string record;  ///< the discovered record
  std::string place;
  int version = 0;      ///< which version of the record it serves
  bool current = false; ///< that is the record's current version
  UnixTime last_seen = 0;
};
/// Every discovered record linked to `name`, sorted by place.
Result<std::vector<ServedPlace>> served_places(Context ctx, const vault::Record& r);

// ---- hosts: agents hold only their own keys ---------------------------------------------------
/// A host an agent runs on, registered with the X25519 public key its `agent enroll` made;
/// stored as <vault>/hosts/<name>.toml. What is sealed to it (crypto::seal_to_host) opens only
/// with that host's private key, which never leaves it.
struct HostInfo {
  std::string name;
  std::string public_key;            ///< the text form, "certctl-host-x25519:..."
  std::vector<std::string> labels;
  UnixTime created = 0;
  crypto::HostPublicKey key;         ///< public_key parsed
};
/// Register a host (no unlock needed: nothing secret is stored). `public_key_text` is the line
/// `agent enroll` printed; a bad one is an Input error naming `source` (the file, or "stdin").
/// Names and labels follow the record-name rule. A host of that name already: State error.
Status host_add(Context ctx, const std::string& name, std::string_view public_key_text,
                const std::vector<std::string>& labels, std::string_view source = "--public-key");
/// Every host, sorted by name.
Result<std::vector<HostInfo>> host_list(Context ctx);
/// One host; NotFound naming it.
Result<HostInfo> host_get(Context ctx, const std::string& name);
/// The keys of these hosts, in the same order (to seal a secret to each host a record deploys
/// to); the first unknown name is a NotFound error naming it.
Result<std::vector<crypto::HostPublicKey>> host_keys(Context ctx, const std::vector<std::string>& names);
/// Forget a host and remove every key copy sealed to it; NotFound when there is none.
Status host_remove(Context ctx, const std::string& name);

/// What `host sync` changed: one "RECORD -> HOST" per device copy.
struct DeviceKeySync {
  std::vector<std::string> sealed, removed;
  /// Copies wanted but not made, with why (vault locked, key-policy device, no key in the vault).
  std::vector<std::string> skipped;
};
/// Make each record's device copies match its policy and the hosts its deploy targets name:
/// copies for hosts no longer named (or removed, or under key-policy master) are removed;
/// missing ones are sealed from the vault's copy of the key when the vault is unlocked (a
/// locked vault only removes). Issue and renew seal new versions themselves; `host add` and
/// `deploy add --hosts` are followed by this (`certctl host sync`) for keys issued before.
Result<DeviceKeySync> sync_device_keys(Context ctx);

/// The associated data a version's device copy is sealed with: record name and version.
std::string device_key_aad(std::string_view record, int version);

// ---- the agent --------------------------------------------------------------------------------
struct AgentOptions {
  std::string host;           ///< this host (--host / CERTCTL_HOST / host name)
  crypto::HostKeyPair host_key;  ///< from `agent enroll`'s file (must be the registered key)
  bool once = false;          ///< one pass, then return
  std::chrono::seconds interval{300};  ///< full re-read at least this often
};
/// One pass of the agent: every record a deploy target naming this host covers, whose current
/// version this host has not deployed (or failed, or with other targets), is deployed: the
/// targets' files written (the key from this host's device copy, never the vault's key), their
/// hooks run, and the result recorded in deployed/<host>.json. One record's failure is that
/// record's alone.
struct AgentPass {
  int deployed = 0, failed = 0, current = 0;
  std::vector<std::string> lines;  ///< one per record deployed or failed, for the log
};
Result<AgentPass> agent_pass(Context ctx, const AgentOptions& opts);
/// Waits up to the given time for a change (PostgreSQL: a notification on a connection of its
/// own) and returns; an error is a lost connection (run_agent backs off and re-reads).
using ChangeWaiter = std::function<Status(std::chrono::milliseconds)>;
/// The agent's loop: a pass, then wait for a change or the interval, again until SIGTERM or
/// SIGINT (then ok). A pass that fails as a whole (the database is down) is logged through
/// `say` and retried after 1, 2, 4 ... 60 s; each pass after it catches up on what was missed.
/// With `once`: one pass, its error or a Deploy error when a record failed.
Status run_agent(Context ctx, const AgentOptions& opts, const ChangeWaiter& wait,
                 const std::function<void(const std::string&)>& say);

/// Where `agent enroll` keeps the host key: /var/lib/certctl/agent/host.key as root, else
/// ${XDG_STATE_HOME:-~/.local/state}/certctl/agent/host.key.
Result<std::string> default_agent_key_file();
/// Make this host's key pair: the private key (PKCS#8 PEM) to a new file of mode 0600 in a
/// directory of mode 0700 (missing directories made so; an existing one open to others is
/// refused), never replacing a key unless `force` (then atomically). Returns the public key.
Result<crypto::HostPublicKey> agent_enroll(const std::string& key_file, bool force);

// ---- issuance policy (include/certctl/policy.hpp) ---------------------------------------------
/// The vault's policy (an empty one when none is set).
Result<vault::Policy> policy_show(Context ctx);
/// `policy set`: applied in this order: reset, clear, the rules' values, then severities.
struct PolicyChange {
  bool reset = false;
  std::vector<vault::PolicyRule> clear;
  std::vector<std::pair<vault::PolicyRule, std::vector<std::string>>> lists;  ///< list and allow/deny rules
  std::vector<std::pair<vault::PolicyRule, long>> numbers;
  std::vector<std::pair<vault::PolicyRule, vault::Severity>> severities;
  bool any() const { return reset || !clear.empty() || !lists.empty() || !numbers.empty() || !severities.empty(); }
};
/// Change the policy under the vault lock and audit it ("policy.updated"); returns the new one.
/// A severity for a rule that is not set is a Usage error; nothing is written then.
Result<vault::Policy> policy_set(Context ctx, const PolicyChange& change);
/// `policy check`: what the policy says of a record (`record`), of proposed values (`fields`),
/// or of a record with `fields` laid over it; `ca` and `days` as issue would use them. Writes
/// nothing, audits nothing.
struct PolicyCheckRequest {
  std::string record;
  RecordFields fields;
  std::optional<int> days;  ///< the local CA's validity (issue's --days; default 90)
};
Result<std::vector<vault::Violation>> policy_check(Context ctx, const PolicyCheckRequest& req);
/// The Error of a hard violation: "policy rule name-deny: www.evil.test matches denied pattern .evil.test".
Error policy_error(const vault::Violation& v);

// ---- named configs: one option table per kind ------------------------------------------------
/// One option of a named config (notify, deploy, dns). The table drives the stored file
/// (<vault>/<kind>/<name>.toml) and the `--json` objects. The member's type is the option's:
/// text (stored when not empty; JSON null when empty unless required), a comma-separated list,
/// a number (decimal, or octal for file modes: "0644"; within [min, max]) or a flag.
template <class T>
struct ConfigOption {
  using Member = std::variant<std::string T::*, std::vector<std::string> T::*, int T::*, bool T::*>;
  std::string_view field;  ///< the struct member, as errors name it: "expiring_days"
  std::string_view key;    ///< the key in the stored file: "expiring-days"
  std::string_view json;   ///< the key in `--json` output: "expiring_days"
  Member member;
  bool required = false;   ///< reading a stored config fails without it
  bool secret = false;     ///< never printed (a variable's name is not a secret)
  std::string_view help;
  long min = 0, max = 0;   ///< numbers only
  int base = 10;           ///< 8 for file modes
};
template <class T>
using ConfigTable = std::vector<ConfigOption<T>>;

const ConfigTable<NotifierSpec>& notifier_options();
const ConfigTable<DeployTarget>& deploy_target_options();
/// The fixed options of a DNS provider (tech zone, TTL, timeout); the rest are its type's
/// (dns::registry()).
const ConfigTable<DnsProviderInfo>& dns_provider_options();
/// A host's stored options (public key, labels), also its `host list --json` members.
const ConfigTable<HostInfo>& host_options();

}  // namespace certctl::lifecycle
