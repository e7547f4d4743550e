#pragma once
/// DNS for dns-01: providers that publish and remove TXT records, and a resolver (ldns) that
/// finds a name's zone by SOA, follows `_acme-challenge` CNAMEs and asks a zone's
/// authoritative servers directly whether a record has propagated.
///
/// Adding a provider is one file in src/dns/, one row in src/dns/registry.cpp, one test and one
/// man-page section (see ARCHITECTURE.md).
///
/// Error categories: Usage (exit 2) for a bad provider configuration (unknown type or option,
/// missing option, a server that is not IP[:PORT]); Network (exit 6) when a DNS server cannot
/// be reached (connection refused, no answer in time), naming the server; Dns (exit 8) for
/// what a server answers (REFUSED, NOTAUTH, TSIG BADKEY/BADSIG, ...), for a name in no zone, a
/// CNAME loop and a propagation timeout. Names are compared lower-case; they arrive as A-labels.
#include <certctl/result.hpp>
#include <certctl/secret.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace certctl::dns {

/// A DNS server to ask: an IP literal (v4 or v6) and a port.
struct Server {
  std::string host;
  int port = 53;
  std::string display() const;  ///< "127.0.0.1:5353", "[::1]:53"
};
/// "IP", "IP:PORT", "[IPv6]:PORT"; a Usage error naming `what` otherwise.
Result<Server> parse_server(std::string_view text, std::string_view what = "--dns-resolver");

/// "Example.TEST" -> "example.test.": the lower-case absolute form names are compared in.
std::string absolute_name(std::string_view name);
/// True when name is zone itself or a name below it (case-insensitive).
bool in_zone(std::string_view name, std::string_view zone);

/// A provider as the user configured it (`certctl dns add NAME --provider TYPE ...`).
/// Option values are plain settings; secrets are kept sealed in the vault or named by an
/// environment variable (`<option>-env`), and arrive here already resolved.
struct ProviderConfig {
  std::string name;                                ///< the user's name for it
  std::string type;                                ///< a registry name: rfc2136, powerdns, ...
  std::map<std::string, std::string> options;      ///< e.g. server, key-name, algorithm, api-url
  std::map<std::string, SecretBytes> secrets;      ///< e.g. tsig-secret, api-key, api-token
  std::string tech_zone;                           ///< zone the CNAMEs point into, if any
  int ttl = 60;                                    ///< TTL of the TXT records it writes
  int timeout_s = 120;                             ///< propagation timeout
  int propagation_wait_s = 0;                      ///< wait instead of checking (0 = check)
  bool no_propagation_check = false;               ///< neither check nor wait
  /// Secrets named by a variable that is not set while `dns add` checks the config: their values
  /// are stand-ins, which a factory must not judge (their shape is checked at each use).
  std::set<std::string> unset_secrets;
};

/// One TXT record to publish: value at fqdn, inside zone (both absolute, trailing dot).
struct TxtRecord {
  std::string fqdn;    ///< where the TXT goes (after CNAMEs): "_acme-challenge.x.example.com."
  std::string zone;    ///< the zone apex that holds fqdn, found by SOA: "example.com."
  std::string value;   ///< the TXT value (base64url for ACME)
  std::string domain;  ///< the identifier being validated, for messages and hooks
  std::string token;   ///< the ACME token, for hooks (may be empty)
};

/// The dns-01 solver serialises calls into a provider (so it may keep plain members and one
/// HTTP client) unless the provider says it is reentrant.
class Provider {
 public:
  virtual ~Provider() = default;
  virtual std::string_view type() const = 0;
  /// True when present() and cleanup() may run from several threads at once (the exec hook:
  /// one slow run must not hold up the other orders of a batch).
  virtual bool reentrant() const { return false; }
  /// Does it need each record's zone (found by SOA)? A provider that does not can publish
  /// at the record's own name when the lookups fail and propagation is not checked.
  virtual bool needs_zone() const { return true; }
  /// Publish every record (several values at one name must coexist).
  virtual Status present(const std::vector<TxtRecord>& records) = 0;
  /// Remove exactly the values present() added; safe to repeat and after a failed present().
  virtual Status cleanup(const std::vector<TxtRecord>& records) = 0;
};

/// What a provider type accepts, for `dns add` validation, `--help`, completions and the docs.
struct OptionSpec {
  std::string_view name;     ///< "server", "tsig-secret", ...
  bool required = false;
  bool secret = false;       ///< sealed in the vault, never printed; may be given as <name>-env
  std::string_view help;
};

struct ProviderType {
  std::string_view name;     ///< "rfc2136"
  std::string_view summary;  ///< one line for `dns add --help`
  std::vector<OptionSpec> options;
  std::function<Result<std::unique_ptr<Provider>>(const ProviderConfig&)> make;
};

/// Every provider type, in documentation order.
const std::vector<ProviderType>& registry();
const ProviderType* find_type(std::string_view name);
/// Checks type, required and unknown options, then builds the provider.
Result<std::unique_ptr<Provider>> make_provider(const ProviderConfig& config);

/// Where lookups go. With no override, the system's resolvers (/etc/resolv.conf) are asked
/// for SOA/NS/CNAME and each authoritative server is asked directly (by its address) for TXT.
/// With an override (`--dns-resolver`, $CERTCTL_DNS_RESOLVER), every query, including the
/// propagation check, goes to that server: NS records carry no port, so a test zone on
/// 127.0.0.1:5353 can only be checked there.
struct ResolverOptions {
  std::optional<Server> override_server;
  std::chrono::milliseconds query_timeout{2000};
  int retries = 2;
};

class Resolver {
 public:
  explicit Resolver(ResolverOptions opts);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  /// The apex of the zone that holds name: walk up label by label asking for SOA.
  /// Dns error naming the name when no zone answers.
  Result<std::string> zone_of(std::string_view name);
  /// Follow CNAMEs from name (at most 8); returns the final name (name itself when none).
  Result<std::string> follow_cnames(std::string_view name);
  /// The CNAME target at name, if there is one (no chain following). NXDOMAIN and REFUSED (a
  /// server with no zone for the name) mean none.
  Result<std::optional<std::string>> cname_at(std::string_view name);
  /// The servers to ask about zone: the override if set, else the addresses of its NS hosts.
  Result<std::vector<Server>> authoritative(std::string_view zone);
  /// TXT values at name as served by one server (no recursion; empty when NXDOMAIN/NODATA;
  /// over TCP when the UDP answer is truncated). A TXT record's strings are concatenated.
  Result<std::vector<std::string>> txt_at(const Server& server, std::string_view name);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Progress while waiting: called with a one-line status ("2 of 3 server checks see every
/// record; waiting for the rest (12 s of 120 s)"); an empty line means "clear the display" and
/// comes before wait_propagation returns an error.
using Progress = std::function<void(std::string_view)>;

/// Wait until every authoritative server of each record's zone serves its value: all records
/// are checked together, every `interval`, up to `timeout`. The error names each lagging
/// server and record.
Status wait_propagation(Resolver& resolver, const std::vector<TxtRecord>& records,
                        std::chrono::seconds timeout, std::chrono::milliseconds interval,
                        const Progress& progress = {});

}  // namespace certctl::dns
