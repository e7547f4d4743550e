/// tls-alpn-01 (RFC 8737, RFC 8738 for IP addresses) answered by a built-in TLS server.
///
/// One acceptor thread polls the listening socket and a stop pipe; each connection gets a short
/// worker thread that runs the handshake (non-blocking, bounded by a deadline and the stop
/// pipe). The ClientHello callback insists on ALPN "acme-tls/1" and picks the challenge
/// certificate by SNI; everything else gets a fatal alert. No application data is exchanged:
/// the validator only looks at the certificate.
#include <certctl/challenge.hpp>

#include "challenge/common.hpp"
#include "crypto/handles.hpp"
#include "crypto/tls_alpn_cert.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/tls1.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <ctime>
#include <list>
#include <map>
#include <mutex>
#include <thread>

namespace certctl::challenge {
namespace {

using crypto::FreeFn;
using SslCtxPtr = std::unique_ptr<SSL_CTX, FreeFn<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, FreeFn<SSL_free>>;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kAcmeTls1 = "acme-tls/1";
constexpr std::size_t kMaxConnections = 32;
constexpr auto kHandshakeDeadline = std::chrono::seconds(10);
constexpr auto kLingerDeadline = std::chrono::seconds(2);

/// The certificates being presented, keyed by the SNI name a validator sends.
using Certs = Presented<std::shared_ptr<const crypto::TlsAlpnCert>>;

std::string lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// The SNI name for an identifier: the DNS name itself, or for an IP address its reverse
/// mapping name (RFC 8738 section 6): "4.3.2.1.in-addr.arpa", "<32 nibbles>.ip6.arpa".
std::string sni_name(const std::string& identifier) {
  unsigned char a[16];
  if (inet_pton(AF_INET, identifier.c_str(), a) == 1) {
    return std::to_string(a[3]) + "." + std::to_string(a[2]) + "." + std::to_string(a[1]) + "." +
           std::to_string(a[0]) + ".in-addr.arpa";
  }
  if (inet_pton(AF_INET6, identifier.c_str(), a) == 1) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (int i = 15; i >= 0; --i) {
      out += kHex[a[i] & 0x0F];
      out += '.';
      out += kHex[a[i] >> 4];
      out += '.';
    }
    return out + "ip6.arpa";
  }
  std::string name = lowercase(identifier);
  if (!name.empty() && name.back() == '.') name.pop_back();
  return name;
}

/// True when an ALPN protocol list (RFC 7301 wire format, without the 2-byte length) contains
/// acme-tls/1; `at` then points at it.
bool find_acme_tls(const unsigned char* p, std::size_t len, const unsigned char** at) {
  std::size_t i = 0;
  while (i < len) {
    std::size_t n = p[i];
    if (n == 0 || i + 1 + n > len) return false;
    if (std::string_view(reinterpret_cast<const char*>(p + i + 1), n) == kAcmeTls1) {
      if (at) *at = p + i + 1;
      return true;
    }
    i += 1 + n;
  }
  return false;
}

/// The host_name from a server_name extension body, "" when absent or malformed.
std::string parse_sni(const unsigned char* p, std::size_t len) {
  if (len < 2) return {};
  std::size_t list_len = (std::size_t{p[0]} << 8) | p[1];
  if (list_len + 2 != len) return {};
  std::size_t i = 2;
  while (i + 3 <= len) {
    unsigned type = p[i];
    std::size_t n = (std::size_t{p[i + 1]} << 8) | p[i + 2];
    if (i + 3 + n > len) return {};
    if (type == TLSEXT_NAMETYPE_host_name) {
      return std::string(reinterpret_cast<const char*>(p + i + 3), n);
    }
    i += 3 + n;
  }
  return {};
}

int client_hello_cb(SSL* ssl, int* alert, void* arg) {
  auto* certs = static_cast<Certs*>(arg);
  const unsigned char* p = nullptr;
  std::size_t len = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &p, &len) != 1 ||
      len < 2 || !find_acme_tls(p + 2, len - 2, nullptr)) {
    *alert = SSL_AD_NO_APPLICATION_PROTOCOL;
    return SSL_CLIENT_HELLO_ERROR;
  }
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len) != 1) {
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_CLIENT_HELLO_ERROR;
  }
  std::string name = sni_name(parse_sni(p, len));
  auto cert = name.empty() ? nullptr : certs->find(name).value_or(nullptr);
  if (!cert || SSL_use_certificate(ssl, cert->cert.get()) != 1 ||
      SSL_use_PrivateKey(ssl, cert->key.get()) != 1) {
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_CLIENT_HELLO_ERROR;
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

int alpn_select_cb(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                   unsigned int inlen, void*) {
  const unsigned char* at = nullptr;
  if (!find_acme_tls(in, inlen, &at)) return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = at;
  *outlen = static_cast<unsigned char>(kAcmeTls1.size());
  return SSL_TLSEXT_ERR_OK;
}

/// Wait until `fd` is ready for `events`; false on timeout, error or a stop request.
bool wait_fd(int fd, short events, int stop_fd, Clock::time_point deadline) {
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd fds[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
    int r = ::poll(fds, 2, static_cast<int>(std::min<long long>(left, 1000)));
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (fds[1].revents != 0) return false;
    if (fds[0].revents != 0) return true;
  }
}

/// One connection: handshake, close_notify, then wait briefly for the peer to close first (so
/// our close does not turn into a reset that hides the handshake from it).
void serve_connection(UniqueFd fd, SSL_CTX* ctx, int stop_fd) {
  SslPtr ssl(SSL_new(ctx));
  if (!ssl || SSL_set_fd(ssl.get(), fd.get()) != 1) {
    ERR_clear_error();
    return;
  }
  auto deadline = Clock::now() + kHandshakeDeadline;
  while (true) {
    int r = SSL_accept(ssl.get());
    if (r == 1) break;
    int err = SSL_get_error(ssl.get(), r);
    short events = err == SSL_ERROR_WANT_READ ? POLLIN : err == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
    if (events == 0 || !wait_fd(fd.get(), events, stop_fd, deadline)) {
      ERR_clear_error();
      return;  // rejected (alert already queued and flushed) or gone
    }
  }
  SSL_shutdown(ssl.get());
  auto linger = Clock::now() + kLingerDeadline;
  char buf[256];
  while (wait_fd(fd.get(), POLLIN, stop_fd, linger)) {
    int r = SSL_read(ssl.get(), buf, sizeof buf);
    if (r <= 0) {
      int err = SSL_get_error(ssl.get(), r);
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) break;
    }
  }
  ERR_clear_error();
}

class TlsAlpn final : public Responder<std::shared_ptr<const crypto::TlsAlpnCert>> {
 public:
  TlsAlpn(std::string address, int port, SslCtxPtr ctx, std::shared_ptr<Certs> certs)
      : Responder(std::move(certs)), address_(std::move(address)), port_(port), ctx_(std::move(ctx)) {}
  ~TlsAlpn() override { stop(); }

  std::string_view type() const override { return "tls-alpn-01"; }

  Status start() override {
    TRY_ASSIGN(UniqueFd listener, listen_tcp(address_, port_));
    int p[2];
    if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
      return Error(Category::Internal, host_port(address_, port_), "cannot create a pipe", errno_text(errno));
    }
    UniqueFd stop_r(p[0]);
    stop_w_ = UniqueFd(p[1]);
    acceptor_ = std::thread(&accept_loop, std::move(listener), std::move(stop_r), ctx_.get());
    return {};
  }

  void stop() noexcept override {
    if (!acceptor_.joinable()) return;
    char c = 'x';
    // The byte is never read, so every poll on the pipe sees it from now on.
    (void)!::write(stop_w_.get(), &c, 1);
    acceptor_.join();
    stop_w_.close();
  }

 private:
  static void accept_loop(UniqueFd listener, UniqueFd stop_r, SSL_CTX* ctx) {
    // A peer that resets the connection must not kill the process with SIGPIPE; the mask is
    // inherited by the worker threads.
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, nullptr);

    struct Worker {
      std::thread thread;
      std::shared_ptr<std::atomic<bool>> done;
    };
    std::list<Worker> workers;
    auto reap = [&workers](bool all) {
      for (auto it = workers.begin(); it != workers.end();) {
        if (all || it->done->load()) {
          it->thread.join();
          it = workers.erase(it);
        } else {
          ++it;
        }
      }
    };
    while (true) {
      pollfd fds[2] = {{listener.get(), POLLIN, 0}, {stop_r.get(), POLLIN, 0}};
      int r = ::poll(fds, 2, 1000);
      reap(false);
      if (r < 0 && errno != EINTR) break;
      if (fds[1].revents != 0) break;
      if (r <= 0 || (fds[0].revents & POLLIN) == 0) continue;
      UniqueFd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
      if (!conn || workers.size() >= kMaxConnections) continue;
      auto done = std::make_shared<std::atomic<bool>>(false);
      int stop_fd = stop_r.get();
      try {
        std::thread t([fd = std::move(conn), ctx, stop_fd, done]() mutable {
          serve_connection(std::move(fd), ctx, stop_fd);
          done->store(true);
        });
        workers.push_back(Worker{std::move(t), std::move(done)});
      } catch (const std::system_error&) {
        // no thread: the connection (moved into the failed lambda) is closed
      }
    }
    reap(true);
  }

  Result<std::pair<std::string, std::shared_ptr<const crypto::TlsAlpnCert>>> answer(const Task& t) const override {
    if (t.identifier.empty()) return Error(Category::Input, "tls-alpn-01", "a challenge without an identifier");
    if (!is_base64url(t.token) || t.key_authorization.rfind(t.token + ".", 0) != 0) {
      return Error(Category::Input, t.identifier, "the key authorization is not \"<token>.<thumbprint>\"");
    }
    auto cert = crypto::make_tls_alpn_cert(t.identifier, t.key_authorization, static_cast<UnixTime>(std::time(nullptr)));
    if (!cert) return std::move(cert).error();
    return std::pair(sni_name(t.identifier), std::make_shared<const crypto::TlsAlpnCert>(std::move(cert).value()));
  }
  bool running() const override { return acceptor_.joinable(); }

  std::string address_;
  int port_;
  SslCtxPtr ctx_;
  UniqueFd stop_w_;
  std::thread acceptor_;
};

Result<SslCtxPtr> make_ctx(Certs* certs) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx || SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1) {
    std::string cause = crypto::openssl_error();
    return Error(Category::Internal, "tls-alpn-01", "cannot create the TLS context", cause);
  }
  SSL_CTX_set_num_tickets(ctx.get(), 0);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_client_hello_cb(ctx.get(), &client_hello_cb, certs);
  SSL_CTX_set_alpn_select_cb(ctx.get(), &alpn_select_cb, nullptr);
  return ctx;
}

}  // namespace

Result<std::unique_ptr<Solver>> make_tls_alpn(const std::string& address, int port) {
  TRY(check_port(address, port));
  auto certs = std::make_shared<Certs>();
  TRY_ASSIGN(SslCtxPtr ctx, make_ctx(certs.get()));
  auto solver = std::make_unique<TlsAlpn>(address, port, std::move(ctx), std::move(certs));
  TRY(solver->start());
  return std::unique_ptr<Solver>(std::move(solver));
}

}  // namespace certctl::challenge
