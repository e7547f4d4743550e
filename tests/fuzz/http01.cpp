// The http-01 responder's request handling (src/challenge/http_standalone.cpp): the solver
// is made and a token presented once, on a free loopback port; each input is sent as one
// connection's bytes (then the write side is shut), and the answer read to the end. Whatever
// the bytes, the responder answers with an HTTP status line or closes, keeps running, and
// gives the key authorization only to a request that names its token.
#include "fuzz.hpp"

#include <certctl/challenge.hpp>
#include <certctl/unique_fd.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

using namespace certctl;

namespace {

constexpr const char* kToken = "fuzzToken_0123456789-abcdefghijklmnopqrstu";
constexpr const char* kThumbprint = "Zm9vYmFyYmF6cXV4LXRodW1icHJpbnQtZm9yLWZ1enoi";

int free_port() {
  UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
    fuzz::fail("no free loopback port");
  return ntohs(a.sin_port);
}

struct Responder {
  int port = 0;
  std::unique_ptr<challenge::Solver> solver;
  Responder() {
    for (int attempt = 0; attempt < 20 && !solver; ++attempt) {
      port = free_port();
      if (auto s = challenge::make_http_standalone("127.0.0.1", port)) solver = std::move(s).value();
    }
    if (!solver) fuzz::fail("cannot start the http-01 responder");
    challenge::Task t;
    t.type = "http-01";
    t.identifier = "example.test";
    t.token = kToken;
    t.key_authorization = std::string(kToken) + "." + kThumbprint;
    if (auto st = solver->present({t}); !st) fuzz::fail(st.error().text());
  }
};

/// One connection: send `bytes`, shut the write side, read the answer until the server closes.
std::string send_request(int port, std::string_view bytes) {
  UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) fuzz::fail("the responder is gone");
  timeval tv{10, 0};
  ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  // The server may close before reading everything (a bad request line): keep what it said.
  for (std::size_t sent = 0; sent < bytes.size();) {
    ssize_t n = ::send(s.get(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(s.get(), SHUT_WR);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(s.get(), buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Responder responder;
  static const bool works = [] {
    const std::string good = send_request(responder.port, std::string("GET /.well-known/acme-challenge/") + kToken +
                                                          " HTTP/1.1\r\nHost: example.test\r\n\r\n");
    if (good.rfind("HTTP/1.1 200", 0) != 0 || good.find(kThumbprint) == std::string::npos)
      fuzz::fail("the responder does not answer its token: " + good);
    return true;
  }();
  (void)works;
  const std::string_view request = fuzz::as_text(data, size);
  const std::string answer = send_request(responder.port, request);
  if (!answer.empty() && answer.rfind("HTTP/1.", 0) != 0) fuzz::fail("an answer that is not HTTP: " + answer.substr(0, 200));
  if (answer.find(kThumbprint) != std::string::npos && request.find(kToken) == std::string_view::npos)
    fuzz::fail("the key authorization was given to a request without its token");
  return 0;
}
