#pragma once
/// Helpers shared by the challenge solvers. Private to src/challenge.
#include <certctl/error.hpp>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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

}  // namespace certctl::challenge

#include <certctl/challenge.hpp>
#include <certctl/result.hpp>
#include <certctl/unique_fd.hpp>

#include <memory>

namespace certctl::challenge {

/// What a responder presents, by key (http-01 token, tls-alpn-01 SNI name): filled by the
/// solver's present(), emptied by cleanup(), read by the server's threads.
template <class V>
class Presented {
 public:
  void add(std::vector<std::pair<std::string, V>> entries) {
    std::lock_guard lock(mu_);
    for (auto& [key, value] : entries) by_key_[key] = std::move(value);
  }
  std::optional<V> find(const std::string& key) const {
    std::lock_guard lock(mu_);
    auto it = by_key_.find(key);
    if (it == by_key_.end()) return std::nullopt;
    return it->second;
  }
  void clear() {
    std::lock_guard lock(mu_);
    by_key_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, V> by_key_;
};

/// A solver that answers from a server of its own (http-01 standalone, tls-alpn-01).
/// present() makes every task's answer (checking the task), starts the server when it is not
/// running (after a cleanup()) and publishes the answers; cleanup() stops it and forgets them.
template <class V>
class Responder : public Solver {
 public:
  Status present(const std::vector<Task>& tasks) final {
    std::vector<std::pair<std::string, V>> answers;
    for (const auto& t : tasks) {
      auto a = answer(t);
      if (!a) return std::move(a).error();
      answers.push_back(std::move(a).value());
    }
    if (!running()) TRY(start());
    presented_->add(std::move(answers));
    return {};
  }
  Status cleanup() final {
    stop();
    presented_->clear();
    return {};
  }
  /// Bind and serve (also called once by the factory, so a busy port fails early).
  virtual Status start() = 0;

 protected:
  explicit Responder(std::shared_ptr<Presented<V>> presented) : presented_(std::move(presented)) {}
  /// The key the server looks the answer up by, and the answer; an error for a bad task.
  virtual Result<std::pair<std::string, V>> answer(const Task& t) const = 0;
  virtual bool running() const = 0;
  virtual void stop() noexcept = 0;

  std::shared_ptr<Presented<V>> presented_;  ///< shared with the server's threads
};

/// A listening TCP socket (SO_REUSEADDR, close-on-exec, non-blocking) on address:port; an
/// empty address means every interface. A failure is a Config error naming "address:port"
/// with the reason (port in use, permission denied, bad address).
Result<UniqueFd> listen_tcp(const std::string& address, int port);

/// Config error unless 1 <= port <= 65535.
Status check_port(const std::string& address, int port);

}  // namespace certctl::challenge
