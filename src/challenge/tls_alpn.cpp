/// tls-alpn-01 (RFC 8737, RFC 8738 for IP addresses) answered by the built-in responder
/// (src/challenge/responder_server.cpp, src/challenge/tls_server.cpp). The solver makes each
/// name's challenge certificate with a throwaway key and hands both to the responder.
#include <certctl/challenge.hpp>

#include "challenge/common.hpp"
#include "challenge/tls_server.hpp"
#include "crypto/tls_alpn_cert.hpp"

#include <ctime>

namespace certctl::challenge {
namespace {

class TlsAlpn final : public LinkedSolver {
 public:
  TlsAlpn(Endpoint e, std::shared_ptr<Responders> host) : LinkedSolver(std::move(e), std::move(host)) {}
  std::string_view type() const override { return "tls-alpn-01"; }

 private:
  Result<Answer> answer(const Task& t) const override {
    if (t.identifier.empty()) return Error(Category::Input, "tls-alpn-01", "a challenge without an identifier");
    if (!is_base64url(t.token) || t.key_authorization.rfind(t.token + ".", 0) != 0) {
      return Error(Category::Input, t.identifier, "the key authorization is not \"<token>.<thumbprint>\"");
    }
    TRY_ASSIGN(crypto::TlsAlpnCert cert, crypto::make_tls_alpn_cert(t.identifier, t.key_authorization,
                                                                   static_cast<UnixTime>(std::time(nullptr))));
    const SecretBytes key = cert.key.to_pem();
    return Answer{sni_name(t.identifier), {cert.cert.to_pem(), std::string(key.view())}};
  }
};

}  // namespace

Result<std::unique_ptr<Solver>> make_tls_alpn(const std::string& address, int port, std::shared_ptr<Responders> host) {
  TRY(check_port(address, port));
  const Endpoint endpoint{ResponderKind::TlsAlpn01, address, port};
  if (host && !host->serves(endpoint)) host.reset();
  auto solver = std::make_unique<TlsAlpn>(endpoint, host);
  TRY(solver->start());
  return std::unique_ptr<Solver>(std::move(solver));
}

}  // namespace certctl::challenge
