#pragma once
// Helpers shared by the lifecycle use cases (private to src/lifecycle).
#include <certctl/ca.hpp>
#include <certctl/crypto.hpp>
#include <certctl/lifecycle.hpp>

#include <optional>
#include <string>
#include <vector>

namespace certctl::lifecycle::detail {

/// CertMeta from a parsed certificate.
vault::CertMeta meta_from(const crypto::CertInfo& info);

/// Move the current version into history (it stays on disk under v<N>/).
void retire_current(vault::Record& r, std::string_view reason, UnixTime now);

/// A State error for a discovered record (`command` is what was asked: "issue", "export", ...):
/// certctl keeps it as an inventory entry only; ok() for any other record.
Status refuse_discovered(const vault::Record& r, std::string_view command);

/// Load a record that must exist (NotFound otherwise), under a lock the caller holds.
Result<vault::Record> load_existing(Context ctx, const std::string& name);

/// A stored DNS provider's tech zone and propagation settings (timeout, fixed wait, no check).
void apply_provider_config(challenge::DnsProviderOptions& o, const dns::ProviderConfig& c);

/// Settings to be stored are checked as an issue would use them: the DNS setting parses and a
/// provider it names exists; fallback CAs exist; web roots are absolute; an http hook exists.
Status check_settings(Context ctx, const SettingsOverride& s);

/// Refuses `f.domain` when it is not the existing record's domain (State).
Status check_same_domain(const vault::Record& existing, const RecordFields& f);
/// The record an issue with `f` would issue for, in memory only: a new record from `f`, or the
/// existing one with `f`'s names, subject and key type laid over it (for a dry run).
Result<vault::Record> draft_record(Context ctx, const std::string& name, const RecordFields& f);
/// A new record from `f`, checked, in memory only (what create would save).
Result<vault::Record> new_record(Context ctx, const std::string& name, const RecordFields& f);
/// create and make_csr in one change: a new record from `f`, saved once with its key and CSR
/// (status pending), audited as both ("create", then "csr").
Result<vault::Record> create_with_csr(Context ctx, const std::string& name, const RecordFields& f);

/// Prepare `version` (newer than the record's current one) to be written from scratch: a
/// directory left there by a command killed before it saved the record belongs to no version,
/// and is removed so none of its files (a chain, a key) end up in the new version.

/// The key file name inside a version directory and its AAD owner.
inline constexpr std::string_view kKeyFile = "key.enc";
inline constexpr std::string_view kCsrFile = "csr.pem";
inline constexpr std::string_view kCertFile = "cert.pem";
inline constexpr std::string_view kChainFile = "chain.pem";

/// The DNS and IP names of a record, split for a CSR.
void split_names(const vault::Record& r, std::vector<std::string>& dns, std::vector<std::string>& ips);

/// The CSR a record asks for (CN = domain when it fits in 64 characters, subject, SANs).
crypto::CsrRequest csr_request_for(const vault::Record& r);
/// Does the CSR ask for what the record now asks for (names, subject, key type)? False after
/// `edit` changed them on an issued record.
bool csr_matches_record(const crypto::CsrInfo& csr, const vault::Record& r);

/// Load and decrypt the private key of a version.
Result<crypto::PrivateKey> load_key(Context ctx, const vault::Record& r, int version);

/// The registered hosts that the deploy targets covering `r` name, sorted by name.
std::vector<const HostInfo*> hosts_named(const vault::Record& r, const std::vector<DeployTarget>& targets,
                                         const std::vector<HostInfo>& hosts);
/// One device copy of `key_pem` per host, as (version file name, sealed data).
Result<std::vector<std::pair<std::string, std::string>>> device_copies(const std::string& record, int version,
                                                                      const SecretBytes& key_pem,
                                                                      const std::vector<const HostInfo*>& hosts);

/// The variables every deploy hook gets (CERTCTL_NAME, _DOMAINS, _SERIAL, _NOT_AFTER).
std::vector<std::pair<std::string, std::string>> deploy_env(const vault::Record& r);
/// Where a deployment's PEM texts come from (the vault's key, or a host's device copy).
using PemSource = std::function<Result<SecretBytes>(PemKind)>;
/// Write one deploy target's files for `r` (its current version) and run the target's hook with
/// `env` plus CERTCTL_*_PATH and CERTCTL_DEPLOY_TARGET.
Status deploy_to_target(const vault::Record& r, const DeployTarget& t, std::vector<std::pair<std::string, std::string>> env,
                        const PemSource& pem_of);

/// The policy's view of a record issued by `cas` (none: an import), the local CA asked for
/// `local_days` when `cas` names it.
vault::PolicySubject policy_subject(const vault::Record& r, std::vector<std::string> cas = {},
                                    std::optional<int> local_days = std::nullopt);
/// The CAs an issue of `r` would try: `ca` (else the record's), then its fallbacks.
std::vector<std::string> record_cas(const vault::Record& r, const std::optional<std::string>& ca = std::nullopt);
/// Give `ctx` a policy run of its own when it has none, for a use case whose steps check the
/// policy more than once (the policy is read once, a soft violation reported once).
void ensure_policy_run(Context& ctx);
/// Check what a command is about to do to record `record` against the policy, before it writes
/// anything: each soft violation is audited (certificate.policy_soft_fail) and handed to
/// ctx.warn once per run; each hard one is audited (certificate.policy_hard_fail, even though
/// nothing else is written) and the first is returned as a Policy error (exit 12). A dry run
/// (`audited` false) writes no audit line either.
Status check_policy(Context ctx, const std::string& record, const vault::PolicySubject& subject, bool audited = true);

/// Append to the audit log; a failure to log is reported (the change itself already landed).
Status audit(Context ctx, std::string_view action, const std::string& name,
             std::vector<std::pair<std::string, std::string>> details = {});

/// The provider stored with `dns add` that a dns-01 setting names (none for manual,
/// exec:COMMAND, another challenge or no setting).
std::optional<std::string> stored_dns_provider(const ca::ChallengeSettings& settings);
/// The same for a record's --dns text, whatever its challenge (text that does not parse names none).
std::optional<std::string> stored_dns_provider(const std::string& dns);

/// Write <vault>/<kind>/<name>.toml under the lock and audit it as `action`.
Status save_named_config(Context ctx, std::string_view kind, const vault::NamedConfig& config, std::string_view action,
                         std::vector<std::pair<std::string, std::string>> details = {});
/// <vault>/<kind>/<name>.toml, after checking the name.
Result<vault::NamedConfig> load_named_config(Context ctx, std::string_view kind, const std::string& name);
/// Remove <vault>/<kind>/<name>.toml under the lock and audit it as `action`.
Status remove_named_config(Context ctx, std::string_view kind, const std::string& name, std::string_view action);


/// Take a fetched ARI window into a record's state: a new window gets a new uniform random
/// renew time, the next fetch is set from Retry-After (clamped to 1 minute..1 day).
void apply_ari(vault::AriState& state, const ca::AriWindow& window, UnixTime now);
/// Ask the CAs again for the renewal windows whose next_check has passed and save them
/// (best effort: a failure is kept in the record and retried in an hour).
void refresh_renewal_info(Context ctx, std::vector<vault::Record>& records, UnixTime now);
/// Whether refresh_renewal_info would ask the CA again for this record's window now.
bool renewal_info_due(const vault::Record& r, UnixTime now);

/// What a renew run will do, decided before anything is unlocked.
struct RenewPlan {
  /// One item per record looked at that is due, to deploy again, or named but not due (in
  /// record order). Due and deploy-again items start Skipped, until the run gets to them.
  RenewReport report;
  std::vector<std::string> due;           ///< to issue
  std::vector<std::string> deploy_again;  ///< issued, but the last deploy failed
};
/// Sort the records `req` covers (its names, or every record) into due, deploy again, and
/// (when named) not due, with the reason for each.
/// `local_issuer`: the DN of what signs local-CA leaves now (ca::local_ca_current_issuer).
RenewPlan select_due(const std::vector<vault::Record>& all, const RenewRequest& req, UnixTime now,
                     std::string_view local_issuer = {});
/// Why renew would renew the record now: vault::renew_reason, or, for a record of the local CA
/// whose certificate a root or intermediate signed that signs no more ("the local CA rotated"),
/// that. "" = not due.
std::string due_reason(const vault::Record& r, UnixTime now, bool force, std::string_view local_issuer);
/// The report's item for a record, or null.
RenewItem* item_named(RenewReport& report, std::string_view name);
/// Put each issue result on the item of the same name: renewed (validated in a dry run) with
/// the new certificate's details, or failed with the error; warnings travel along. Returns
/// the renewed records, for deployment.
std::vector<vault::Record> take_results(RenewReport& report, std::vector<IssueResult> results);

}  // namespace certctl::lifecycle::detail
