#pragma once
/// The tls-alpn-01 side of the responder (private to src/challenge): a TLS context whose
/// ClientHello callback insists on ALPN "acme-tls/1" and picks the challenge certificate by
/// SNI (everything else gets a fatal alert), and one non-blocking connection's progress
/// through the handshake. No application data is exchanged: the validator only looks at the
/// certificate.
#include <certctl/crypto.hpp>

#include "crypto/handles.hpp"

#include <openssl/ssl.h>

#include <map>
#include <string>

namespace certctl::challenge {

using SslCtxPtr = std::unique_ptr<SSL_CTX, crypto::FreeFn<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, crypto::FreeFn<SSL_free>>;

struct TlsEntry {
  crypto::Certificate cert;
  crypto::PrivateKey key;  ///< the challenge certificate's throwaway key (never a vault key)
};
/// By SNI name (lower case, see sni_name).
using TlsCerts = std::map<std::string, TlsEntry, std::less<>>;

/// The SNI name for an identifier: the DNS name itself (lower case, no trailing dot), or for
/// an IP address its reverse mapping name (RFC 8738 section 6).
std::string sni_name(const std::string& identifier);

/// A server context that answers from `certs` (which must outlive it).
Result<SslCtxPtr> make_tls_ctx(const TlsCerts* certs);

/// One accepted connection: handshake, close_notify, then a short wait for the peer to close
/// first (so our close does not become a reset that hides the handshake from it).
class TlsConnection {
 public:
  enum class Want { Read, Write, Close };
  /// nullptr when OpenSSL cannot make a session for the socket.
  static std::unique_ptr<TlsConnection> make(SSL_CTX* ctx, int fd);
  /// Go as far as possible without blocking; what to wait for next.
  Want step();
  bool handshaken() const { return done_; }

 private:
  explicit TlsConnection(SslPtr ssl) : ssl_(std::move(ssl)) {}
  SslPtr ssl_;
  bool done_ = false;
};

}  // namespace certctl::challenge
