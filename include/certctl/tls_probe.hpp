#pragma once
/// Connect to a TLS server and read the certificate chain it presents (`certctl discover tls`).
/// A small header of its own (module http) so that lifecycle.hpp's many includers do not see
/// OpenSSL's SSL side.
#include <certctl/result.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace certctl::http {

/// What a TLS server presented.
struct TlsPeer {
  std::vector<std::string> chain_der;  ///< leaf first, as served (DER)
  std::string protocol;                ///< "TLSv1.3", "TLSv1.2"
  /// Whether the chain verifies against the system's roots for the name (the SNI name, else
  /// the host): "ok", or OpenSSL's reason ("self-signed certificate", "hostname mismatch").
  std::string verify;
};

/// The most certificates and DER bytes a probe takes from one server.
inline constexpr std::size_t kMaxPeerChain = 16;
inline constexpr std::size_t kMaxPeerChainBytes = 256u << 10;

/// Connect to host:port (a name is resolved; every address is tried in turn), speak TLS 1.2 or
/// 1.3 sending `sni` as the server name ("" = none), and return the chain without judging it.
/// The whole exchange (resolution excepted) ends within `timeout`. A Network error naming
/// "host:port" when it cannot connect, times out, or the handshake fails; Input when the
/// server sends a chain over the bounds.
Result<TlsPeer> probe_tls(const std::string& host, int port, const std::string& sni, std::chrono::milliseconds timeout);

}  // namespace certctl::http
