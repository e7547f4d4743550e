#pragma once
/// The built-in responders' server (private to src/challenge): one thread, one poll() loop over
/// the link, every listening socket and every connection, so no number of slow clients holds
/// up a fast one and closing the link stops it at once.
#include <certctl/challenge.hpp>

#include <chrono>
#include <cstddef>
#include <functional>

namespace certctl::challenge {

struct ServerLimits {
  /// Open connections at most (lowered to fit RLIMIT_NOFILE); when full, the connection idle
  /// the longest is closed for a new one.
  std::size_t max_connections = 1024;
  /// The whole request of a connection (http-01: head in, answer out; tls-alpn-01: handshake).
  std::chrono::milliseconds deadline{10'000};
  /// tls-alpn-01: after the handshake, how long to wait for the peer to close first.
  std::chrono::milliseconds linger{2'000};
  /// How long to wait for the first message (the endpoints to bind).
  std::chrono::milliseconds first_message{30'000};
  /// Presented answers per kind at most.
  std::size_t max_entries = 1000;
};

/// Serve `link` until it closes: the first message names the endpoints to bind; once they are
/// bound, `after_bind` runs (the child drops its privileges there) and the answer goes back
/// (ok, or the error naming the address:port). Returns after the link closed; never throws.
void serve_responder(UniqueFd link, const std::function<Status()>& after_bind, const ServerLimits& limits = {});

}  // namespace certctl::challenge
