#pragma once
/// A certificate record: what the vault keeps about one certificate (one TOML file per record).
#include <certctl/clock.hpp>
#include <certctl/result.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certctl::vault {

enum class CertStatus { Draft, Pending, Active, Expired, Error, Revoked };
/// Where a record comes from: made and renewed here (managed), imported with its key, a CSR
/// made elsewhere (external-csr), or found by `certctl discover` at a TLS endpoint or in a file
/// (discovered: no key, never renewed here, one record per place).
enum class Source { Managed, Imported, ExternalCsr, Discovered };
/// Whether `renew` renews records of this source here (managed and external-csr).
inline bool renews_here(Source s) { return s == Source::Managed || s == Source::ExternalCsr; }

std::string_view status_name(CertStatus s);
Result<CertStatus> parse_status(std::string_view s);
std::string_view source_name(Source s);
Result<Source> parse_source(std::string_view s);

/// The ACME challenge a record is validated with (its RFC 8555 name on the wire and in files).
enum class ChallengeType { Http01, Dns01, TlsAlpn01 };
std::string_view challenge_name(ChallengeType c);
/// "http-01", "dns-01" or "tls-alpn-01"; anything else is an Input error listing them.
Result<ChallengeType> parse_challenge(std::string_view s);

/// Who can open a record's private key once its certificate is issued (`--key-policy`):
/// "master" the vault key only (the default), "hybrid" the vault key and every host a deploy
/// target names (device copies, sealed to each host's key), "device" those hosts only: after
/// issuance not even the vault's passphrase opens it.
enum class KeyPolicy { Master, Hybrid, Device };
std::string_view key_policy_name(KeyPolicy p);
/// "master", "hybrid" or "device"; anything else is an Input error listing them.
Result<KeyPolicy> parse_key_policy(std::string_view s);

/// Metadata of an issued certificate (filled from the certificate itself, never typed in).
struct CertMeta {
  std::string subject_dn;
  std::string issuer;      ///< issuer DN
  std::string issuer_cn;
  std::string serial_dec;
  std::string serial_hex;
  std::string fingerprint_md5;
  std::string fingerprint_sha1;
  std::string fingerprint_sha256;
  std::string key_description;  ///< "EC P-256"
  int key_size = 0;
  std::string signature_algorithm;
  UnixTime not_before = 0;
  UnixTime not_after = 0;
  bool operator==(const CertMeta&) const = default;
};

/// A retired version kept under v<N>/ (the seed's "SSL history": old key and cert stay
/// downloadable with --version N).
struct HistoryEntry {
  int version = 0;
  UnixTime retired = 0;
  std::string reason;  ///< "renewed", "reimported", "reissued"
  std::string ca;
  std::string serial_hex;
  std::string fingerprint_sha256;
  UnixTime not_before = 0;
  UnixTime not_after = 0;
  bool operator==(const HistoryEntry&) const = default;
};

struct Subject {
  std::string o, ou, c, st, l, email;
  bool operator==(const Subject&) const = default;
};

/// How a record is issued by an ACME CA (kept so renewals repeat it). Empty = defaults.
struct IssueSettings {
  ChallengeType challenge = ChallengeType::Http01;
  std::string dns;              ///< dns-01 provider: manual, exec:COMMAND
  std::string webroot;          ///< http-01 via files
  /// http-01 via files, a web root per name: "NAME=DIR" (certbot's webroot map); names it does
  /// not list use `webroot`.
  std::vector<std::string> webroot_map;
  std::string http_hook;        ///< http-01 through this command (present/cleanup DOMAIN TOKEN KEYAUTH)
  std::string http_address;     ///< standalone responder address
  int http_port = 0;            ///< standalone http-01 port (0 = 80)
  int tls_port = 0;             ///< standalone tls-alpn-01 port (0 = 443)
  std::string profile;          ///< ACME profile
  std::string preferred_chain;  ///< issuer CN of the preferred chain
  std::vector<std::string> fallback;  ///< CAs to try, in order, when the record's CA fails
  bool reuse_key = false;       ///< renew with the same key instead of a new one
  std::string deploy_dir;       ///< write cert/chain/fullchain/key .pem here after each issue
  std::string deploy_owner;     ///< chown the deployed files to USER[:GROUP]
  std::string deploy_hook;      ///< shell command run after each successful issue/renewal
  int propagation_wait = 0;     ///< dns-01: seconds to wait instead of checking (0 = the provider's)
  bool no_propagation_check = false;  ///< dns-01: neither check nor wait
  bool operator==(const IssueSettings&) const = default;
};

/// ACME Renewal Information (RFC 9773) about the current certificate, kept so cron runs know
/// when the CA wants it renewed and when to ask again. cert_id "" = the CA offers no ARI.
struct AriState {
  std::string cert_id;          ///< the current certificate's ARI identifier
  UnixTime window_start = 0;    ///< the suggested window (0 = not known yet)
  UnixTime window_end = 0;
  UnixTime renew_at = 0;        ///< a uniform random time inside the window
  UnixTime checked = 0;         ///< last fetch
  UnixTime next_check = 0;      ///< fetch again from then (Retry-After, 1 minute..1 day)
  std::string explanation_url;  ///< why the CA changed the window, if it said
  std::string last_error;       ///< why the last fetch failed ("" after a good one)
  bool operator==(const AriState&) const = default;
};

/// Every stored member is one row of record_fields() (include/certctl/record_fields.hpp).
struct Record {
  std::string name;
  std::string domain;              ///< CN and first SAN (A-label)
  std::vector<std::string> sans;   ///< further names (A-labels or IP addresses), no duplicates
  Subject subject;
  std::string key_type = "ec256";
  std::string ca = "local";
  int renew_days = 0;              ///< 0 = automatic (see auto_renew_days)
  CertStatus status = CertStatus::Draft;
  Source source = Source::Managed;
  int version = 0;                 ///< current v<N> directory; 0 before any key/CSR exists
  bool has_key = false;
  bool has_csr = false;
  bool has_cert = false;
  bool has_chain = false;
  KeyPolicy key_policy = KeyPolicy::Master;
  /// The hosts the current version's key is sealed to (one device copy each, in the version).
  std::vector<std::string> sealed_to;
  std::string issued_by;           ///< CA that issued the current certificate
  std::string last_error;
  UnixTime created = 0, updated = 0, csr_created = 0, issued = 0, renewed = 0, revoked = 0;
  std::string revoke_reason;
  IssueSettings settings;
  std::string last_problem;   ///< ACME problem type of the last failure ("rateLimited", ...)
  UnixTime retry_after = 0;   ///< when a rate-limited CA said to retry
  int attempts = 0;           ///< failed issuance attempts in a row (reset on success)
  UnixTime next_attempt = 0;  ///< renew backs off until then after a failure
  bool deploy_failed = false; ///< issued, but its deploy failed: renew deploys it again
  AriState ari;
  /// Discovered records (source discovered): the place, one per record: "tls://HOST:PORT"
  /// (with "?sni=NAME" when another name was sent) or "file:/PATH" (with "#N" for the Nth
  /// certificate of a file); when the current certificate was first and last seen there; the
  /// managed or imported record whose certificate it is (by SHA-256 fingerprint) and which
  /// version of it; and, for TLS, whether the served chain verifies against the system's
  /// roots for the name ("ok" or OpenSSL's reason).
  std::string seen_at;
  UnixTime first_seen = 0, last_seen = 0;
  std::string linked_to;
  int linked_version = 0;
  std::string verify_result;
  std::optional<CertMeta> cert;
  std::vector<HistoryEntry> history;

  /// domain followed by sans.
  std::vector<std::string> all_names() const;
  bool wildcard() const;
  bool operator==(const Record&) const = default;
};

/// Active records whose not_after is past are reported expired.
CertStatus effective_status(const Record& r, UnixTime now);
/// The renew threshold in days: renew_days when set, else the last third of the lifetime
/// (the last half for lifetimes of 10 days or less); 30 before a certificate exists.
int auto_renew_days(const Record& r);
/// Why `renew` would renew the record now, or "" when it is not due. `force` renews any
/// managed, issued or failed record regardless of its threshold and backoff.
std::string renew_reason(const Record& r, UnixTime now, bool force);
/// The backoff after the n-th failure in a row: 30 minutes doubling, at most a day.
UnixTime backoff_after(int attempts);
/// Days until not_after, or nullopt without a certificate.
std::optional<long> days_remaining(const Record& r, UnixTime now);

/// Record names: letters, digits, '.', '_' and '-', 1-64 characters, starting with a letter
/// or digit. They become directory names, so nothing else is allowed.
Status validate_name(std::string_view name);

}  // namespace certctl::vault
