#pragma once
/// Challenge solvers: they make an ACME challenge answerable (serve a token, write a file,
/// publish a TXT record) and take it down again. The ACME flow hands them complete tasks.
#include <certctl/dns.hpp>
#include <certctl/result.hpp>
#include <certctl/unique_fd.hpp>

#include <compare>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

namespace certctl::challenge {

/// A record's dns-01 setting (`--dns`), parsed once: `manual`, `exec:COMMAND` or the name of a
/// provider stored with `certctl dns add`. Records keep the text (to_string gives it back).
struct ManualDns {
  bool operator==(const ManualDns&) const = default;
};
struct ExecHook {
  std::string command;  ///< never empty
  bool operator==(const ExecHook&) const = default;
};
struct ProviderRef {
  std::string name;     ///< never empty, no ':'
  bool operator==(const ProviderRef&) const = default;
};
using DnsSetting = std::variant<ManualDns, ExecHook, ProviderRef>;
/// A Usage error naming --dns for "" ("dns-01 needs a provider"), "exec:" without a command
/// and any other "word:" (not a provider name).
Result<DnsSetting> parse_dns_setting(std::string_view text);
/// The text records keep: "manual", "exec:COMMAND" or the provider's name.
std::string to_string(const DnsSetting& setting);

struct Task {
  std::string type;               ///< "http-01", "dns-01" or "tls-alpn-01"
  std::string identifier;         ///< the name being validated (no "*." prefix)
  bool wildcard = false;
  std::string token;              ///< the challenge token (checked: base64url characters only)
  std::string key_authorization;  ///< token "." thumbprint
  std::string dns_value;          ///< dns-01: base64url(SHA-256(key_authorization))
  std::string fqdn;               ///< dns-01: "_acme-challenge.<identifier>."
};

class Solver {
 public:
  virtual ~Solver() = default;
  virtual std::string_view type() const = 0;  ///< the challenge type it answers
  /// Make every task answerable (all at once, so several names are validated together).
  virtual Status present(const std::vector<Task>& tasks) = 0;
  /// Undo present(); safe to call more than once and after a failed present().
  virtual Status cleanup() = 0;
};

// ---- the built-in responders (http-01 standalone, tls-alpn-01) ----------------------------
// One single-threaded poll() loop serves every listening socket of a run
// (src/challenge/responder_server.cpp). It runs in a child process started before the vault is
// unlocked (ResponderProcess: binds, drops to an unprivileged user, never holds a vault key) or,
// without one, in a thread of this process. Either way the solvers talk to it only through a
// ResponderLink: the tokens and tls-alpn-01 certificates go over a socket.

enum class ResponderKind { Http01, TlsAlpn01 };
/// A listening socket a run needs: kind, address ("" or "::" = every interface, IPv6 and IPv4;
/// "0.0.0.0" = every IPv4 interface) and port.
struct Endpoint {
  ResponderKind kind = ResponderKind::Http01;
  std::string address;
  int port = 0;
  auto operator<=>(const Endpoint&) const = default;
};
/// "http-01 on 127.0.0.1:80"
std::string to_string(const Endpoint& e);

/// The parent's side of a responder: one socket (SOCK_SEQPACKET, one message per request and
/// one answer), safe to use from several threads. Constructible from any descriptor whose other
/// end runs serve_responder, so the socket can be handed to another process.
class ResponderLink {
 public:
  explicit ResponderLink(UniqueFd fd) : fd_(std::move(fd)) {}
  /// Bind these endpoints (once, first); the error names the address:port that failed.
  Status bind(const std::vector<Endpoint>& endpoints);
  /// http-01: answer GET /.well-known/acme-challenge/<token> with the key authorization.
  Status add_http(const std::string& token, const std::string& key_authorization);
  /// tls-alpn-01: present this challenge certificate (PEM) and its throwaway key (PEM) to a
  /// ClientHello with this SNI name and ALPN acme-tls/1.
  Status add_tls(const std::string& sni, const std::string& cert_pem, const std::string& key_pem);
  Status remove(ResponderKind kind, const std::string& key);
  /// Close the socket: the responder stops at once.
  void close() noexcept;
  /// The socket's descriptor, to hand to another process (the network process).
  int native_handle() const noexcept { return fd_.get(); }

 private:
  Status call(char type, std::vector<std::string> fields);
  std::mutex mu_;
  UniqueFd fd_;
};

/// A running responder with its link: a child process (spawn) or a thread (start_thread).
/// Destroying it closes the link, which stops the responder, and reaps it.
class Responders {
 public:
  /// The child: /proc/self/exe re-executed with kResponderArg and an empty environment, the
  /// link on descriptor 3. It binds `endpoints`, then, when running as root, drops to `user`
  /// ("" = nobody) and its primary group, and sets no_new_privs. Binding errors come back
  /// as Config errors naming the address:port.
  static Result<std::shared_ptr<Responders>> spawn(const std::vector<Endpoint>& endpoints, const std::string& user);
  /// The same server in a thread of this process (no privilege change).
  static Result<std::shared_ptr<Responders>> start_thread(const std::vector<Endpoint>& endpoints);
  /// A responder another process started (the network process gets the parent's child this
  /// way): `fd` is a copy of its link, already bound to `endpoints`. Destroying it closes only
  /// this copy.
  static std::shared_ptr<Responders> adopt(UniqueFd fd, std::vector<Endpoint> endpoints);
  ~Responders();
  Responders(const Responders&) = delete;
  Responders& operator=(const Responders&) = delete;

  ResponderLink& link() { return link_; }
  bool serves(const Endpoint& e) const;
  const std::vector<Endpoint>& endpoints() const { return endpoints_; }
  int pid() const { return pid_; }  ///< the child's process id; 0 for a thread

 private:
  struct Thread;
  Responders(UniqueFd fd, std::vector<Endpoint> endpoints);
  ResponderLink link_;
  std::vector<Endpoint> endpoints_;
  int pid_ = 0;
  std::unique_ptr<Thread> thread_;
};

/// argv[1] of the re-executed responder child; main() hands it to responder_main.
inline constexpr const char* kResponderArg = "--certctl-internal-responder";
/// The child's whole life: serve the link on descriptor 3 until it closes. The exit code.
int responder_main(int argc, char** argv);
/// The user the responder child runs as when started by root: --responder-user, else
/// CERTCTL_RESPONDER_USER, else "nobody".
inline constexpr const char* kResponderUserEnv = "CERTCTL_RESPONDER_USER";

/// http-01 answered by a built-in HTTP server on address:port, serving only the expected
/// /.well-known/acme-challenge/<token> paths (404 for everything else). Through `host` when it
/// serves that endpoint (the responder child; cleanup then only withdraws the tokens), else
/// in a thread of this process (bound at once; cleanup stops it).
Result<std::unique_ptr<Solver>> make_http_standalone(const std::string& address, int port,
                                                     std::shared_ptr<Responders> host = nullptr);
/// http-01 answered by files in <webroot>/.well-known/acme-challenge/ (removed on cleanup);
/// `map` gives some names a web root of their own ("NAME=DIR", see parse_webroot_map).
Result<std::unique_ptr<Solver>> make_webroot(const std::string& webroot, const std::vector<std::string>& map = {});
/// "NAME=DIR" entries -> name -> directory: names as domain::parse takes them (A-labels after),
/// directories absolute; a name twice is an error (Usage, naming --webroot).
Result<std::map<std::string, std::string>> parse_webroot_map(const std::vector<std::string>& entries);
/// http-01 through a command of the user's, run as `COMMAND present|cleanup DOMAIN TOKEN
/// KEY_AUTHORIZATION` without a shell (src/challenge/http_hook.cpp); its failure is a Config error.
Result<std::unique_ptr<Solver>> make_http_hook(const std::string& command, int timeout_s);
/// tls-alpn-01 (RFC 8737) answered by a built-in TLS server on address:port (through `host`
/// as make_http_standalone).
Result<std::unique_ptr<Solver>> make_tls_alpn(const std::string& address, int port,
                                              std::shared_ptr<Responders> host = nullptr);
/// `--dns exec:CMD`: the `exec` DNS provider (src/dns/exec.cpp) for CMD, run at
/// `_acme-challenge.<name>.` itself: no CNAME or SOA walk and no propagation check, because the
/// hook's contract is to return once the record is served; `wait` seconds after it returns
/// (--propagation-wait) for hooks that cannot keep it.
Result<std::unique_ptr<Solver>> make_dns_exec(const std::string& command, int timeout_s,
                                              std::chrono::seconds wait = std::chrono::seconds(0));
/// The `exec` provider's config that `exec:CMD` stands for (name "exec:CMD").
dns::ProviderConfig exec_hook_config(const std::string& command, int timeout_s);
/// dns-01 by hand: prints the records to create and waits for Enter; fails fast without a TTY.
Result<std::unique_ptr<Solver>> make_dns_manual();

/// dns-01 through a DNS provider (include/certctl/dns.hpp).
struct DnsProviderOptions {
  dns::ResolverOptions resolver;
  /// False for the exec: shorthand: records go to `_acme-challenge.<name>.` as they are (zone
  /// unknown), with no CNAME, SOA or propagation lookups.
  bool lookups = true;
  /// When set, every `_acme-challenge` name must be a CNAME into this zone; a missing one is a
  /// State error carrying the exact record to add (see delegation_instruction).
  std::string tech_zone;
  std::chrono::seconds propagation_timeout{120};
  std::chrono::milliseconds propagation_interval{1000};
  /// When not zero: wait this long after publishing instead of checking (lego
  /// --dns.propagation-wait, acme.sh --dnssleep); applies to the exec: shorthand too.
  std::chrono::seconds propagation_wait{0};
  /// False: return as soon as the provider has published (split-horizon DNS, servers that
  /// are not authoritative).
  bool check_propagation = true;
  dns::Progress progress;  ///< one-line progress while waiting (a TTY line), may be empty
};
/// Follows each `_acme-challenge` CNAME, finds the zone of the final name by SOA, publishes
/// every TXT record through the provider in one go, waits until every authoritative server
/// serves them (all together), and removes exactly those records on cleanup.
Result<std::unique_ptr<Solver>> make_dns_provider(std::unique_ptr<dns::Provider> provider,
                                                  DnsProviderOptions options);
/// Bounds of --propagation-wait, in seconds (0 = check instead of waiting).
inline constexpr int kMaxPropagationWaitS = 3600;

/// The CNAME that delegates a name's dns-01 into a tech zone:
/// `_acme-challenge.shop.example.com.` -> `shop-example-com.<tech zone>.`
std::string delegation_target(std::string_view identifier, std::string_view tech_zone);
/// "_acme-challenge.shop.example.com. CNAME shop-example-com.acme.tech.example.net."
std::string delegation_instruction(std::string_view identifier, std::string_view tech_zone);
/// The error make_dns_provider's present() returns when a tech-zone CNAME is missing: the
/// record goes to status pending with this text, not to error.
bool is_missing_delegation(const Error& e);
/// Where an identifier's `_acme-challenge` CNAME chain ends, and whether that is inside the
/// tech zone (always, without one).
struct Delegation {
  std::string identifier;   ///< without a wildcard's "*."
  std::string target;       ///< absolute, lower case
  bool ok = true;
  std::string instruction;  ///< the CNAME to add when not ok
};
/// One entry per distinct identifier (a wildcard and its base name share one).
Result<std::vector<Delegation>> delegations(dns::Resolver& resolver, const std::vector<std::string>& identifiers,
                                            std::string_view tech_zone);
/// Check before ordering: ok when every identifier's `_acme-challenge` CNAME chain ends in
/// the tech zone (always ok without one), else the missing-delegation error naming them all.
Status check_delegations(dns::Resolver& resolver, const std::vector<std::string>& identifiers,
                         std::string_view tech_zone);

}  // namespace certctl::challenge
