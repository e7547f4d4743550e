/// tls-alpn-01 (RFC 8737, RFC 8738 for IP addresses): the responder's TLS context and handshake.
#include "challenge/tls_server.hpp"

#include <openssl/err.h>
#include <openssl/tls1.h>

#include <arpa/inet.h>

#include <cctype>

namespace certctl::challenge {
namespace {

constexpr std::string_view kAcmeTls1 = "acme-tls/1";

std::string lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
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
  const auto* certs = static_cast<const TlsCerts*>(arg);
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
  const std::string name = sni_name(parse_sni(p, len));
  auto it = name.empty() ? certs->end() : certs->find(name);
  if (it == certs->end() || SSL_use_certificate(ssl, it->second.cert.get()) != 1 ||
      SSL_use_PrivateKey(ssl, it->second.key.get()) != 1) {
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

}  // namespace

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

Result<SslCtxPtr> make_tls_ctx(const TlsCerts* certs) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx || SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1) {
    std::string cause = crypto::openssl_error();
    return Error(Category::Internal, "tls-alpn-01", "cannot create the TLS context", cause);
  }
  SSL_CTX_set_num_tickets(ctx.get(), 0);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_client_hello_cb(ctx.get(), &client_hello_cb, const_cast<TlsCerts*>(certs));
  SSL_CTX_set_alpn_select_cb(ctx.get(), &alpn_select_cb, nullptr);
  return ctx;
}

std::unique_ptr<TlsConnection> TlsConnection::make(SSL_CTX* ctx, int fd) {
  SslPtr ssl(SSL_new(ctx));
  if (!ssl || SSL_set_fd(ssl.get(), fd) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  SSL_set_accept_state(ssl.get());
  return std::unique_ptr<TlsConnection>(new TlsConnection(std::move(ssl)));
}

TlsConnection::Want TlsConnection::step() {
  int r = 0;
  if (!done_) {
    r = SSL_do_handshake(ssl_.get());
    if (r == 1) {
      done_ = true;
      SSL_shutdown(ssl_.get());  // close_notify; then wait for the peer's close
    }
  }
  if (done_) {
    char buf[256];
    r = SSL_read(ssl_.get(), buf, sizeof buf);
    if (r > 0) {
      ERR_clear_error();
      return Want::Read;  // data after the handshake is read and dropped
    }
  }
  const int err = SSL_get_error(ssl_.get(), r);
  ERR_clear_error();
  if (err == SSL_ERROR_WANT_READ) return Want::Read;
  if (err == SSL_ERROR_WANT_WRITE) return Want::Write;
  return Want::Close;  // rejected (the alert is sent), finished or gone
}

}  // namespace certctl::challenge
