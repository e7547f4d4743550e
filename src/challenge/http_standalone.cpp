/// http-01 answered by the built-in responder (src/challenge/responder_server.cpp): it answers
/// only GET/HEAD /.well-known/acme-challenge/<token> for presented tokens, 404 for everything
/// else.
#include <certctl/challenge.hpp>

#include "challenge/common.hpp"

namespace certctl::challenge {
namespace {

Status check_task(const Task& t) {
  const std::string& subject = t.identifier.empty() ? std::string("http-01") : t.identifier;
  if (!is_base64url(t.token)) {
    return Error(Category::Input, subject, "the challenge token contains characters outside base64url");
  }
  const std::string& ka = t.key_authorization;
  if (ka.size() <= t.token.size() + 1 || ka.compare(0, t.token.size(), t.token) != 0 ||
      ka[t.token.size()] != '.' || !is_base64url(std::string_view(ka).substr(t.token.size() + 1))) {
    return Error(Category::Input, subject, "the key authorization is not \"<token>.<thumbprint>\"");
  }
  return {};
}

class HttpStandalone final : public LinkedSolver {
 public:
  HttpStandalone(Endpoint e, std::shared_ptr<Responders> host) : LinkedSolver(std::move(e), std::move(host)) {}
  std::string_view type() const override { return "http-01"; }

 private:
  Result<Answer> answer(const Task& t) const override {
    TRY(check_task(t));
    return Answer{t.token, {t.key_authorization}};
  }
};

}  // namespace

Result<std::unique_ptr<Solver>> make_http_standalone(const std::string& address, int port,
                                                     std::shared_ptr<Responders> host) {
  TRY(check_port(address, port));
  const Endpoint endpoint{ResponderKind::Http01, address, port};
  if (host && !host->serves(endpoint)) host.reset();
  auto solver = std::unique_ptr<HttpStandalone>(new HttpStandalone(endpoint, host));
  TRY(solver->start());
  return std::unique_ptr<Solver>(std::move(solver));
}

}  // namespace certctl::challenge
