#pragma once
/// Helpers shared by the challenge solvers. Private to src/challenge.
#include <certctl/challenge.hpp>
#include <certctl/error.hpp>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace certctl::challenge {

/// Non-empty and only [A-Za-z0-9_-] (RFC 4648 section 5, no padding). Tokens and dns-01 values
/// are checked with this before they reach a path, a command line or the network.
inline bool is_base64url(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

/// Letters, digits, hyphens, dots and underscores only (an "_acme-challenge." name), at most
/// 255 characters, no empty label except the root's trailing dot.
inline bool is_dns_name(std::string_view s) {
  if (s.empty() || s.size() > 255 || s.front() == '.') return false;
  char prev = 0;
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok || (c == '.' && prev == '.')) return false;
    prev = c;
  }
  return true;
}

/// "host:port", with brackets around an IPv6 host.
inline std::string host_port(std::string_view address, int port) {
  std::string host(address);
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return host + ":" + std::to_string(port);
}

inline std::string errno_text(int err) { return std::strerror(err); }

/// A solver that answers from the built-in responder (http-01 standalone, tls-alpn-01): through
/// `host` (the responder child a run started before unlocking; cleanup() withdraws this
/// solver's answers) or, without one, through a responder thread of its own (started by
/// start(), again by a present() after cleanup(), which stops it). Safe to share between the
/// workers of a batch.
class LinkedSolver : public Solver {
 public:
  Status present(const std::vector<Task>& tasks) final;
  Status cleanup() final;
  /// Own responder only: bind and serve now (the factory calls it, so a busy port fails early).
  Status start();

 protected:
  LinkedSolver(Endpoint endpoint, std::shared_ptr<Responders> host)
      : endpoint_(std::move(endpoint)), host_(std::move(host)), owned_(!host_) {}
  /// What the responder is told for one task: the key it looks the answer up by (token, SNI
  /// name) and the answer (key authorization; certificate and key PEM). An error for a bad task.
  struct Answer {
    std::string key;
    std::vector<std::string> values;
  };
  virtual Result<Answer> answer(const Task& t) const = 0;

 private:
  Status send(const Answer& a);
  Endpoint endpoint_;
  std::mutex mu_;
  std::shared_ptr<Responders> host_;
  bool owned_;
  std::vector<std::string> keys_;  ///< presented through a shared host, withdrawn by cleanup()
};

/// A listening TCP socket (SO_REUSEADDR, close-on-exec, non-blocking, backlog SOMAXCONN) on
/// address:port; an empty address means every interface. A failure is a Config error naming
/// "address:port" with the reason (port in use, permission denied, bad address).
Result<UniqueFd> listen_tcp(const std::string& address, int port);

/// Config error unless 1 <= port <= 65535.
Status check_port(const std::string& address, int port);

}  // namespace certctl::challenge
