// The TLS side of `certctl discover tls`: a non-blocking connect and handshake under one
// deadline, then the chain the server presented. Nothing is verified for the handshake to go
// on (an inventory takes whatever is served); the system roots only say whether it verifies.
#include <certctl/tls_probe.hpp>
#include <certctl/unique_fd.hpp>

#include "core/free_fn.hpp"
#include "core/sigpipe.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <memory>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace certctl::http {
namespace {

using SslCtxPtr = std::unique_ptr<SSL_CTX, FreeFn<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, FreeFn<SSL_free>>;
using AddrinfoPtr = std::unique_ptr<addrinfo, FreeFn<freeaddrinfo>>;
using Clock = std::chrono::steady_clock;

/// One context for every probe of the process (SSL_CTX is safe to share between threads once
/// set up): TLS 1.2 minimum, no verification that stops the handshake, the system's roots
/// loaded for the verify result.
SSL_CTX* shared_context() {
  static const SslCtxPtr ctx = [] {
    SslCtxPtr c(SSL_CTX_new(TLS_client_method()));
    if (!c) return c;
    SSL_CTX_set_min_proto_version(c.get(), TLS1_2_VERSION);
    SSL_CTX_set_verify(c.get(), SSL_VERIFY_NONE, nullptr);
    SSL_CTX_set_default_verify_paths(c.get());
    SSL_CTX_set_max_cert_list(c.get(), static_cast<long>(kMaxPeerChainBytes));
    SSL_CTX_set_session_cache_mode(c.get(), SSL_SESS_CACHE_OFF);
    ERR_clear_error();
    return c;
  }();
  return ctx.get();
}

std::string openssl_reason() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (!e) return "the server closed the connection";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  const char* reason = ERR_reason_error_string(e);
  return reason ? reason : buf;
}

int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(std::min<long long>(left, 60'000));
}

/// Wait until fd is ready for `events` or the deadline passes (false then).
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, ms_left(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

/// A connected non-blocking socket to one of the addresses, or why none would take it.
Result<UniqueFd> connect_any(const std::string& host, int port, const std::string& where, Clock::time_point deadline,
                             std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0)
    return Error(Category::Network, where, "cannot resolve the host", gai_strerror(rc));
  AddrinfoPtr list(found);
  std::string last = "no address";
  for (addrinfo* a = list.get(); a; a = a->ai_next) {
    if (Clock::now() >= deadline) break;
    UniqueFd fd(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
    if (!fd) {
      last = std::strerror(errno);
      continue;
    }
    if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) == 0) return fd;
    if (errno != EINPROGRESS) {
      last = std::strerror(errno);
      continue;
    }
    if (!wait_for(fd.get(), POLLOUT, deadline)) {
      last = fmt::format("timed out after {} ms", timeout.count());
      continue;
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err == 0) return fd;
    last = std::strerror(err);
  }
  return Error(Category::Network, where, "cannot connect", last);
}

bool is_ip_address(const std::string& s) {
  in6_addr buf{};
  return ::inet_pton(AF_INET, s.c_str(), &buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), &buf) == 1;
}

}  // namespace

Result<TlsPeer> probe_tls(const std::string& host, int port, const std::string& sni, std::chrono::milliseconds timeout) {
  const std::string where = host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                                                 : fmt::format("{}:{}", host, port);
  if (port < 1 || port > 65535) return Error(Category::Usage, where, "the port must be 1 to 65535");
  const Clock::time_point deadline = Clock::now() + timeout;
  const SigpipeBlocked no_sigpipe;  // a server that resets the connection fails this target only
  SSL_CTX* ctx = shared_context();
  if (!ctx) return Error(Category::Internal, where, "cannot set up TLS", openssl_reason());
  TRY_ASSIGN(UniqueFd fd, connect_any(host, port, where, deadline, timeout));

  ERR_clear_error();
  SslPtr ssl(SSL_new(ctx));
  if (!ssl || SSL_set_fd(ssl.get(), fd.get()) != 1)
    return Error(Category::Internal, where, "cannot set up TLS", openssl_reason());
  if (!sni.empty() && SSL_set_tlsext_host_name(ssl.get(), sni.c_str()) != 1)
    return Error(Category::Usage, where, fmt::format("cannot send '{}' as the server name", sni), openssl_reason());
  // The name the verify result is for: the SNI name, else the host (an address as an IP SAN).
  const std::string& name = sni.empty() ? host : sni;
  if (is_ip_address(name)) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), name.c_str());
  else SSL_set1_host(ssl.get(), name.c_str());
  ERR_clear_error();

  for (;;) {
    const int rc = SSL_connect(ssl.get());
    if (rc == 1) break;
    const int why = SSL_get_error(ssl.get(), rc);
    short events = why == SSL_ERROR_WANT_READ ? POLLIN : why == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
    if (!events) {
      std::string reason = why == SSL_ERROR_SYSCALL && errno ? std::strerror(errno) : openssl_reason();
      return Error(Category::Network, where, "TLS handshake failed", reason);
    }
    if (!wait_for(fd.get(), events, deadline))
      return Error(Category::Network, where, fmt::format("TLS handshake timed out after {} ms", timeout.count()));
  }

  TlsPeer peer;
  peer.protocol = SSL_get_version(ssl.get());
  const long vr = SSL_get_verify_result(ssl.get());
  peer.verify = vr == X509_V_OK ? "ok" : X509_verify_cert_error_string(vr);
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl.get());  // borrowed; the client's includes the leaf
  const int n = chain ? sk_X509_num(chain) : 0;
  if (n <= 0) return Error(Category::Network, where, "the server presented no certificate");
  if (static_cast<std::size_t>(n) > kMaxPeerChain)
    return Error(Category::Input, where, fmt::format("the server presented {} certificates; at most {} are taken", n, kMaxPeerChain));
  std::size_t total = 0;
  for (int i = 0; i < n; ++i) {
    unsigned char* der = nullptr;
    const int len = i2d_X509(sk_X509_value(chain, i), &der);
    if (len <= 0) return Error(Category::Input, where, fmt::format("certificate {} the server presented cannot be encoded", i + 1));
    peer.chain_der.emplace_back(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    total += static_cast<std::size_t>(len);
    if (total > kMaxPeerChainBytes)
      return Error(Category::Input, where, fmt::format("the server's chain is over {} bytes", kMaxPeerChainBytes));
  }
  // A polite close, without waiting for the server's.
  SSL_shutdown(ssl.get());
  ERR_clear_error();
  return peer;
}

}  // namespace certctl::http
