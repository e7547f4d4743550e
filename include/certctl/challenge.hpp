#pragma once
/// Challenge solvers: they make an ACME challenge answerable (serve a token, write a file,
/// publish a TXT record) and take it down again. The ACME flow hands them complete tasks.
#include <certctl/result.hpp>

#include <memory>
#include <string>
#include <vector>

namespace certctl::challenge {

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

/// http-01 answered by a built-in HTTP server on address:port, serving only the expected
/// /.well-known/acme-challenge/<token> paths (404 for everything else).
Result<std::unique_ptr<Solver>> make_http_standalone(const std::string& address, int port);
/// http-01 answered by files in <webroot>/.well-known/acme-challenge/ (removed on cleanup).
Result<std::unique_ptr<Solver>> make_webroot(const std::string& webroot);
/// tls-alpn-01 (RFC 8737) answered by a built-in TLS server on address:port.
Result<std::unique_ptr<Solver>> make_tls_alpn(const std::string& address, int port);
/// dns-01 through a user command: `CMD present|cleanup FQDN VALUE`, run with execve (no
/// shell), CERTCTL_ACTION/FQDN/VALUE/DOMAIN/TOKEN in its environment, a timeout, and its
/// output kept for error messages. A non-zero exit is an error naming the hook.
Result<std::unique_ptr<Solver>> make_dns_exec(const std::string& command, int timeout_s);
/// dns-01 by hand: prints the records to create and waits for Enter; fails fast without a TTY.
Result<std::unique_ptr<Solver>> make_dns_manual();

}  // namespace certctl::challenge
