#pragma once
/// Certificate authorities certctl can issue from. An Issuer turns a CSR into a certificate and
/// its chain. Issue 2 ships the embedded default, `local`: a root CA and its intermediates kept
/// inside the vault (<vault>/ca/local/). ACME issuers plug in beside it (see ARCHITECTURE.md).
#include <certctl/acme_status.hpp>
#include <certctl/challenge.hpp>
#include <certctl/crypto.hpp>
#include <certctl/http.hpp>
#include <certctl/result.hpp>
#include <certctl/vault.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace certctl::ca {

/// A CA's suggested renewal window for one certificate (ACME Renewal Information, RFC 9773).
struct AriWindow {
  std::string cert_id;          ///< the certificate's ARI identifier
  UnixTime start = 0, end = 0;  ///< 0 when the fetch failed
  std::string explanation_url;
  long retry_after_s = 0;       ///< as the CA sent it; 0 = none
  std::string error;            ///< why the fetch failed ("" on success)
};

struct Issued {
  crypto::Certificate leaf;
  std::vector<crypto::Certificate> chain;  ///< issuer first, root last
  /// The renewal window fetched right after issuance, when the CA offers ARI.
  std::optional<AriWindow> ari;
  /// The ARI identifier the new order said it replaces ("" when none was sent or the CA
  /// answered alreadyReplaced and the order went ahead without it).
  std::string replaced;
};

/// How the ACME challenges of an order are answered (ignored by the local CA).
struct ChallengeSettings {
  vault::ChallengeType type = vault::ChallengeType::Http01;
  std::string http_address;       ///< "" or "::" = every interface, IPv6 and IPv4
  int http_port = 80;             ///< standalone http-01 responder
  std::string webroot;            ///< http-01 via files instead of the responder
  std::vector<std::string> webroot_map;  ///< "NAME=DIR": a web root of its own for NAME
  std::string http_hook;          ///< http-01 through this command instead of the responder
  int tls_port = 443;             ///< standalone tls-alpn-01 responder
  std::optional<challenge::DnsSetting> dns;  ///< dns-01: manual, exec:COMMAND or a stored provider
  int dns_timeout_s = 60;         ///< each run of an exec: hook
  /// dns-01 through a stored provider (ProviderRef): its config (secrets opened) and how to
  /// look things up.
  std::shared_ptr<const dns::ProviderConfig> dns_provider;
  challenge::DnsProviderOptions dns_options;
  /// The run's responder child (started before unlocking), when it serves this set-up's
  /// http-01 or tls-alpn-01 endpoint; null = a responder thread of the solver's own.
  std::shared_ptr<challenge::Responders> responders;
};

struct IssueOptions {
  int days = 90;                  ///< local CA only
  ChallengeSettings challenge;
  /// A solver shared by several orders (one responder for a batch): orders present their
  /// tasks into it and leave cleanup to its owner. Null = each order makes and cleans its own.
  challenge::Solver* shared_solver = nullptr;
  std::string profile;            ///< ACME profile (newOrder "profile"); "" = CA default
  std::string preferred_chain;    ///< issuer CN of the preferred (alternate) chain
  /// Validate without finalizing: ACME orders stop once every authorization is valid; the
  /// local CA only checks that it can sign. The returned Issued is then empty.
  bool dry_run = false;
  /// ARI identifier of the certificate this order replaces (RFC 9773 "replaces"); sent only
  /// when the CA offers renewalInfo.
  std::string replaces;
  /// A shared vault: alreadyReplaced means another host renewed the certificate, so the order
  /// stops with that answer (the renewal reloads the record) instead of going ahead without
  /// "replaces" and getting a second certificate.
  bool replaced_is_final = false;
};

/// What a CA said when it refused (the ACME problem type and its Retry-After).
struct ProblemInfo {
  std::string type;        ///< e.g. "rateLimited"; "" when the failure was not a problem document
  long retry_after_s = 0;  ///< 0 = not given
};

class Issuer {
 public:
  virtual ~Issuer() = default;
  virtual const std::string& name() const = 0;
  virtual Result<Issued> issue(const crypto::CsrInfo& csr, const IssueOptions& opts) = 0;
  /// The problem behind the last failed issue(), if the CA sent one.
  virtual ProblemInfo last_problem() const { return {}; }
  /// Does it validate the names through a challenge solver? False for the local CA, so a batch
  /// makes no solver (and binds no port) for it.
  virtual bool uses_solver() const { return true; }
  /// Revoke a certificate this CA issued (RFC 5280 reason code). `cert_key` signs instead of
  /// the account when given (ACME) — the local CA ignores it.
  virtual Status revoke(const crypto::Certificate& cert, int reason, const crypto::Signer* cert_key) = 0;
};

/// A CA profile: the local CA, a built-in ACME CA, or one added with `certctl ca add`.
struct CaProfile {
  std::string name;
  std::string directory;       ///< ACME directory URL; "" for the local CA
  std::string ca_bundle;       ///< PEM file trusted for the directory's TLS; "" = system roots
  std::string eab_kid;         ///< External Account Binding key id (HMAC key sealed in the vault)
  bool eab_required = false;   ///< built-ins that need EAB (zerossl, google)
  std::string tech_zone;       ///< zone _acme-challenge CNAMEs point into (DNS issue)
  bool allow_wildcard = true;
  std::string profile;         ///< default ACME profile for orders
  std::string staging;         ///< name of the matching staging profile, if any
  bool builtin = false;
  bool is_local() const { return directory.empty(); }
};

/// Built-in profiles: local, letsencrypt, letsencrypt-staging, zerossl, google,
/// google-staging, buypass, buypass-staging.
const std::vector<CaProfile>& builtin_profiles();
/// A profile by name: one added to the vault wins over a built-in of the same name.
Result<CaProfile> find_profile(const vault::Vault& vault, std::string_view name);
/// Built-ins and added profiles, sorted by name.
Result<std::vector<CaProfile>> list_profiles(const vault::Vault& vault);
/// Save a profile (and its EAB HMAC key, sealed) under <vault>/ca/<name>/. Caller holds the lock.
Status save_profile(const vault::Vault& vault, const CaProfile& p, const SecretBytes* eab_hmac);
/// Remove an added profile and its account. Caller holds the lock.
Status remove_profile(const vault::Vault& vault, std::string_view name);
Result<SecretBytes> load_eab_hmac(const vault::Vault& vault, std::string_view name);

/// The ACME account of a CA profile, kept in <vault>/ca/<name>/account.toml + account.key.enc.
struct Account {
  std::string ca;
  std::string url;  ///< kid
  std::vector<std::string> contact;
  acme::AccountStatus status = acme::AccountStatus::Valid;  ///< stored as its RFC 8555 name
  std::string key_type;
  UnixTime created = 0;
};
Result<std::optional<Account>> load_account(const vault::Vault& vault, std::string_view ca);
Result<crypto::PrivateKey> load_account_key(const vault::Vault& vault, std::string_view ca);
/// Store (key first, account.toml last). Caller holds the lock.
Status save_account(const vault::Vault& vault, const Account& a, const crypto::PrivateKey* key);

/// An HTTP client for the profile's ACME server, made by `http` with the TLS options the
/// profile asks for (its ca_bundle).
std::unique_ptr<http::Client> acme_http_client(const CaProfile& profile, const http::ClientFactory& http);

/// The issuer for a CA profile name; unknown names are a NotFound error that lists the
/// known ones. The vault must be unlocked. An ACME issuer talks through a client from `http`.
Result<std::unique_ptr<Issuer>> make_issuer(std::string_view ca, const vault::Vault& vault, const Clock& clock,
                                            const http::ClientFactory& http);
/// The solver the challenge settings ask for (http-01 standalone or webroot, dns-01 exec or
/// manual, tls-alpn-01).
Result<std::unique_ptr<challenge::Solver>> make_solver(const ChallengeSettings& s);
/// Asks ACME CAs for renewal windows without an account (renewalInfo is unauthenticated),
/// keeping one connection per CA for a whole `renew` run.
class RenewalInfoClient {
 public:
  RenewalInfoClient(const vault::Vault& vault, const Clock& clock, http::ClientFactory http);
  ~RenewalInfoClient();
  /// nullopt when the CA is the local one or its directory has no renewalInfo.
  Result<std::optional<AriWindow>> fetch(std::string_view ca, const std::string& cert_id);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The registered account of an ACME profile, ready to sign: its URL (the JWS kid) and a
/// signer over its key. A State error naming the CA when there is no account yet or it is
/// deactivated. The vault must be unlocked.
struct AccountSigner {
  std::string kid;
  std::unique_ptr<crypto::Signer> signer;
};
Result<AccountSigner> account_signer(const vault::Vault& vault, const CaProfile& profile);
/// An ACME issuer for `profile` whose account `kid` signs through `signer`; it needs no vault
/// (the network process builds its issuers this way, with signers that ask over a socket).
std::unique_ptr<Issuer> make_acme_issuer(const CaProfile& profile, std::unique_ptr<crypto::Signer> signer,
                                         std::string kid, const Clock& clock, const http::ClientFactory& http);
/// An ACME issuer without an account, only able to revoke with a certificate's own key.
Result<std::unique_ptr<Issuer>> make_key_signed_revoker(const CaProfile& profile, const Clock& clock,
                                                        const http::ClientFactory& http);
/// Known CA profile names, for help text and validation.
std::vector<std::string> known_cas(const vault::Vault* vault = nullptr);
Status validate_ca_name(std::string_view ca, const vault::Vault* vault = nullptr);

// ---- the local CA ----------------------------------------------------------------------------
struct LocalCaInfo {
  std::string subject_dn;
  std::string key_description;
  std::string serial_hex;
  std::string fingerprint_sha256;
  UnixTime not_before = 0, not_after = 0;
};

/// The profile name of the vault's own CA.
inline constexpr std::string_view kLocalCaName = "local";

/// A root (self-signed, pathlen 1) or an intermediate (signed by a root, pathlen 0, the same
/// name constraints). A vault made before intermediates has one root (pathlen none) that signs
/// leaves itself until `rotate --intermediate`.
enum class LocalCaKind { Root, Intermediate };
/// current: signs now (or, a root, signs the current intermediate); retiring: replaced, still
/// listed (and its root exported by `export-root --all`) until its overlap ends; retired: after.
enum class LocalCaState { Current, Retiring, Retired };
std::string_view to_string(LocalCaKind k);
std::string_view to_string(LocalCaState s);

struct LocalCaCert {
  LocalCaKind kind = LocalCaKind::Root;
  int id = 0;
  int parent = 0;  ///< intermediates: the root's id
  LocalCaState state = LocalCaState::Current;
  UnixTime retire_at = 0;  ///< 0 = current
  LocalCaInfo info;
  crypto::CaConstraints constraints;
};

/// `ca local init`: a root and an intermediate under it.
struct LocalCaInit {
  std::string cn = "certctl local CA";
  crypto::KeyType key_type = crypto::KeyType::Ec384;
  int days = 3650;              ///< the root
  int intermediate_days = 0;    ///< 0 = min(1095, days)
  std::vector<std::string> permit, exclude;  ///< name constraints: DNS names, CIDR ranges
};
/// `ca local rotate`.
struct LocalCaRotate {
  bool root = false;           ///< a new root (and an intermediate under it); else an intermediate
  int days = 0;                ///< the new root (0 = 3650) or intermediate (0 = min(1095, root left))
  int intermediate_days = 0;   ///< with `root`: the new intermediate (0 = min(1095, days))
  int overlap_days = 30;       ///< how long the replaced ones stay listed
};

/// At most this many --permit and --exclude values each.
inline constexpr std::size_t kMaxNameConstraints = 32;

bool local_ca_exists(const vault::Vault& vault);
/// Make the local root CA and its first intermediate, every file in one change whose commit
/// point is the state file; the vault must be unlocked and locked for writing by the caller.
/// Returns the root.
Result<LocalCaInfo> local_ca_init(const vault::Vault& vault, const LocalCaInit& req, UnixTime now);
/// Make a new intermediate (or root and intermediate); the replaced ones retire after the
/// overlap. A vault with only a root gets its first intermediate. Returns what was made.
/// Caller holds the lock; the vault is unlocked.
Result<std::vector<LocalCaCert>> local_ca_rotate(const vault::Vault& vault, const LocalCaRotate& req, UnixTime now);
/// Every root and intermediate, oldest first.
Result<std::vector<LocalCaCert>> local_ca_list(const vault::Vault& vault, UnixTime now);
/// The current root (PEM).
Result<std::string> local_ca_root_pem(const vault::Vault& vault);
/// The current root and every retiring one that has not expired (PEM bundle, current first).
Result<std::string> local_ca_roots_pem(const vault::Vault& vault, UnixTime now);
/// The current root.
Result<LocalCaInfo> local_ca_info(const vault::Vault& vault);
/// The subject DN of the certificate that signs leaves now (the current intermediate, or the
/// root of a vault without one); "" when there is no local CA. Renew compares a record's issuer
/// with it to move certificates to a rotated CA.
Result<std::string> local_ca_current_issuer(const vault::Vault& vault);
/// The CRL (PEM) of the current issuer, listing every certificate revoked with `certctl revoke`;
/// `all`: one CRL per root and intermediate not yet retired (for openssl -crl_check_all).
Result<std::string> local_ca_crl(const vault::Vault& vault, UnixTime now, int valid_days = 7, bool all = false);

}  // namespace certctl::ca
