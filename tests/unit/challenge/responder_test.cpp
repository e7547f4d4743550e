// The built-in responders' parts: the http-01 request handling, the link protocol (bounded,
// malformed messages refused) and the event loop under slow and idle connections.
#include <certctl/challenge.hpp>
#include <certctl/crypto.hpp>
#include <certctl/unique_fd.hpp>

#include "challenge/common.hpp"
#include "challenge/http_request.hpp"
#include "challenge/link_wire.hpp"
#include "challenge/responder_server.hpp"
#include "net_util.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

using namespace certctl;
using namespace certctl::challenge;
using SteadyClock = std::chrono::steady_clock;

namespace {

const std::string kToken = "tok_A-1";
const std::string kKeyAuth = kToken + ".LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";

std::optional<std::string> respond(std::string_view request) {
  return http_response(request, [](std::string_view token) -> const std::string* {
    return token == kToken ? &kKeyAuth : nullptr;
  });
}

std::string status_line(const std::optional<std::string>& r) {
  REQUIRE(r);
  return r->substr(0, r->find("\r\n"));
}

using test::connect_to;
using test::occupy_port;
const auto free_port = test::unused_port;

/// Everything the server sends until it closes (or `timeout` passes).
std::string read_until_closed(int fd, std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = SteadyClock::now() + timeout;
  while (SteadyClock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[1024];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::string fetch(int port, const std::string& request) {
  UniqueFd fd = connect_to(port);
  REQUIRE(::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
  return read_until_closed(fd.get(), std::chrono::seconds(5));
}

/// serve_responder in a thread on one end of a socket pair; the test holds the other end.
struct TestServer {
  UniqueFd link;
  std::thread thread;
  explicit TestServer(ServerLimits limits = {}) {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    link = UniqueFd(sv[0]);
    thread = std::thread([fd = UniqueFd(sv[1]), limits]() mutable { serve_responder(std::move(fd), nullptr, limits); });
  }
  ~TestServer() {
    link.close();
    thread.join();
  }
  wire::Message call(const wire::Message& m) {
    REQUIRE(wire::send(link.get(), m).ok());
    auto answer = wire::receive(link.get(), std::chrono::seconds(5));
    REQUIRE(answer.ok());
    return *answer;
  }
};

}  // namespace

TEST_CASE("http-01 request handling: answers, refusals and limits", "[challenge]") {
  const std::string get = "GET /.well-known/acme-challenge/" + kToken + " HTTP/1.1\r\nHost: a.example\r\n\r\n";
  auto r = respond(get);
  CHECK(status_line(r) == "HTTP/1.1 200 OK");
  CHECK(r->substr(r->size() - kKeyAuth.size()) == kKeyAuth);
  CHECK(r->find("Content-Length: " + std::to_string(kKeyAuth.size()) + "\r\n") != std::string::npos);
  CHECK(r->find("Connection: close\r\n") != std::string::npos);

  SECTION("incomplete heads wait, at any split") {
    for (std::size_t n = 0; n + 1 < get.size(); ++n) CHECK_FALSE(respond(get.substr(0, n)));
  }
  SECTION("HEAD has no body; a query string is ignored; bare newlines are accepted") {
    auto head = respond("HEAD /.well-known/acme-challenge/" + kToken + " HTTP/1.0\r\n\r\n");
    CHECK(status_line(head) == "HTTP/1.1 200 OK");
    CHECK(head->find(kKeyAuth) == std::string::npos);
    CHECK(status_line(respond("GET /.well-known/acme-challenge/" + kToken + "?x=1 HTTP/1.1\n\n")) == "HTTP/1.1 200 OK");
  }
  SECTION("other paths are 404 without the key authorization") {
    for (const std::string& path : std::vector<std::string>{"/.well-known/acme-challenge/other", "/.well-known/acme-challenge/", "/",
                             "/.well-known/acme-challenge/" + kToken + "/x", "/x/.well-known/acme-challenge/" + kToken,
                             "/.well-known/ACME-challenge/" + kToken, "/.well-known/acme-challenge/..%2F" + kToken}) {
      INFO(path);
      auto nf = respond("GET " + path + " HTTP/1.1\r\n\r\n");
      CHECK(status_line(nf) == "HTTP/1.1 404 Not Found");
      CHECK(nf->find(kKeyAuth) == std::string::npos);
    }
  }
  SECTION("other methods, malformed request lines") {
    CHECK(status_line(respond("POST /.well-known/acme-challenge/" + kToken + " HTTP/1.1\r\n\r\n")) ==
          "HTTP/1.1 405 Method Not Allowed");
    for (const char* bad : {"\r\n\r\n", "GET\r\n\r\n", "GET / HTTP/2\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n",
                            "GET / HTTP/1.1 x\r\n\r\n", "GET /\r\n\r\n"}) {
      INFO(bad);
      CHECK(status_line(respond(bad)) == "HTTP/1.1 400 Bad Request");
    }
  }
  SECTION("a head over 8 KiB is refused, complete or not") {
    std::string big = "GET / HTTP/1.1\r\n" + std::string(kMaxRequestHead, 'x');
    CHECK(status_line(respond(big)) == "HTTP/1.1 431 Request Header Fields Too Large");
    CHECK(status_line(respond(big + "\r\n\r\n")) == "HTTP/1.1 431 Request Header Fields Too Large");
    CHECK_FALSE(respond(std::string(kMaxRequestHead, 'x')));  // at the limit: still waiting
  }
}

TEST_CASE("responder link: messages round-trip and malformed ones are refused", "[challenge]") {
  wire::Message m{wire::kAdd, {"http-01", kToken, kKeyAuth, ""}};
  auto bytes = wire::encode(m);
  REQUIRE(bytes.ok());
  auto back = wire::decode(*bytes);
  REQUIRE(back.ok());
  CHECK(back->type == wire::kAdd);
  CHECK(back->fields == m.fields);

  CHECK_FALSE(wire::decode("").ok());
  CHECK_FALSE(wire::decode(bytes->substr(0, bytes->size() - 1)).ok());  // a field runs past the end
  CHECK_FALSE(wire::decode(std::string("A\x00\x00", 3)).ok());         // a truncated length
  CHECK(wire::decode(std::string("A\xff\xff\xff\xff", 5)).error().message() == "a field runs past the end of the message");
  CHECK_FALSE(wire::decode(std::string(wire::kMaxMessage + 1, 'A')).ok());
  std::string many(1, 'A');
  for (std::size_t i = 0; i <= wire::kMaxFields; ++i) many += std::string(4, '\0');
  CHECK(wire::decode(many).error().message() == "too many fields in a message");
  CHECK_FALSE(wire::encode(wire::Message{wire::kAdd, {std::string(wire::kMaxMessage, 'x')}}).ok());
  CHECK_FALSE(wire::encode(wire::Message{wire::kAdd, std::vector<std::string>(wire::kMaxFields + 1)}).ok());

  const Error e(Category::Config, "127.0.0.1:80", "cannot listen", "Address already in use");
  const Error round = wire::to_error(wire::error_message(e));
  CHECK(round.category() == Category::Config);
  CHECK(round.text() == e.text());
  CHECK(wire::to_error(wire::Message{wire::kError, {"99", "a", "b", "c"}}).category() == Category::Internal);
  CHECK(wire::to_error(wire::Message{wire::kError, {"3"}}).category() == Category::Internal);
  // An error without a message still renders as a line that says something (fuzz_responder_link).
  const Error silent = wire::to_error(wire::Message{wire::kError, {"5", "", "", ""}});
  CHECK(silent.category() == Category::Internal);
  CHECK(silent.text() == "responder link: the responder failed without saying why");
  CHECK(wire::to_error(wire::Message{wire::kOk, {}}).category() == Category::Internal);
}

TEST_CASE("responder: bad requests over the link are refused and it keeps serving", "[challenge]") {
  const int port = free_port();
  TestServer server;
  REQUIRE(server.call({wire::kBind, {"http-01", "127.0.0.1", std::to_string(port)}}).type == wire::kOk);
  auto refused = [&](wire::Message m) {
    auto answer = server.call(m);
    CHECK(answer.type == wire::kError);
    return wire::to_error(answer);
  };
  CHECK(refused({wire::kBind, {"http-01", "127.0.0.1", std::to_string(port)}}).category() == Category::Input);
  CHECK(refused({wire::kAdd, {"gopher-01", kToken, kKeyAuth}}).category() == Category::Input);
  CHECK(refused({wire::kAdd, {"http-01", "../etc", "../etc.x"}}).category() == Category::Input);
  CHECK(refused({wire::kAdd, {"http-01", kToken, "other.thumbprint"}}).category() == Category::Input);
  CHECK(refused({wire::kAdd, {"http-01", kToken, kToken + "." + std::string(2000, 'a')}}).category() == Category::Input);
  CHECK(refused({wire::kAdd, {"http-01", std::string(300, 'a'), std::string(300, 'a') + ".x"}}).category() == Category::Input);
  CHECK(refused({wire::kAdd, {"tls-alpn-01", "a.example", std::string(9000, 'x'), "k"}}).category() == Category::Input);
  CHECK(refused({wire::kAdd, {"tls-alpn-01", "a.example", "not a pem", "not a key"}}).category() == Category::Input);
  CHECK(refused({wire::kRemove, {"http-01"}}).category() == Category::Input);
  CHECK(refused({'Z', {}}).category() == Category::Input);
  // Garbage that is not a message at all.
  REQUIRE(::send(server.link.get(), "A\xff", 2, 0) == 2);
  auto garbage = wire::receive(server.link.get(), std::chrono::seconds(5));
  REQUIRE(garbage.ok());
  CHECK(garbage->type == wire::kError);

  CHECK(server.call({wire::kAdd, {"http-01", kToken, kKeyAuth}}).type == wire::kOk);
  const std::string get = "GET /.well-known/acme-challenge/" + kToken + " HTTP/1.1\r\n\r\n";
  std::string answer = fetch(port, get);
  CHECK(answer.substr(0, 15) == "HTTP/1.1 200 OK");
  CHECK(answer.substr(answer.size() - kKeyAuth.size()) == kKeyAuth);
  CHECK(server.call({wire::kRemove, {"http-01", kToken}}).type == wire::kOk);
  CHECK(fetch(port, get).substr(0, 12) == "HTTP/1.1 404");
}

TEST_CASE("responder: a busy port is refused naming it, and the server ends", "[challenge]") {
  int port = 0;
  UniqueFd busy = occupy_port(&port);
  auto r = Responders::start_thread({{ResponderKind::Http01, "127.0.0.1", free_port()},
                                     {ResponderKind::TlsAlpn01, "127.0.0.1", port}});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == Category::Config);
  CHECK(r.error().subject() == "127.0.0.1:" + std::to_string(port));
  CHECK(r.error().message() == "cannot listen");
}

TEST_CASE("responder: slow and idle clients never hold up a fast one, and stop is immediate", "[challenge]") {
  const int http_port = free_port(), tls_port = free_port();
  auto r = Responders::start_thread({{ResponderKind::Http01, "127.0.0.1", http_port},
                                     {ResponderKind::TlsAlpn01, "127.0.0.1", tls_port}});
  REQUIRE(r.ok());
  auto responders = std::move(r).value();
  REQUIRE(responders->link().add_http(kToken, kKeyAuth).ok());
  std::vector<UniqueFd> slow;
  for (int i = 0; i < 200; ++i) {
    slow.push_back(connect_to(i % 4 < 2 ? http_port : tls_port));
    if (i % 2) (void)::send(slow.back().get(), "G", 1, MSG_NOSIGNAL);  // one byte of a request that never ends
  }
  const std::string get = "GET /.well-known/acme-challenge/" + kToken + " HTTP/1.1\r\n\r\n";
  for (int round = 0; round < 5; ++round) {
    const auto started = SteadyClock::now();
    std::string answer = fetch(http_port, get);
    CHECK(answer.substr(answer.size() - kKeyAuth.size()) == kKeyAuth);
    CHECK(SteadyClock::now() - started < std::chrono::seconds(1));
    for (int i = 1; i < 200; i += 2) (void)::send(slow[i].get(), "E", 1, MSG_NOSIGNAL);
  }
  const auto stopping = SteadyClock::now();
  responders.reset();
  CHECK(SteadyClock::now() - stopping < std::chrono::milliseconds(500));
}

TEST_CASE("responder: connections are bounded; the longest idle one makes room", "[challenge]") {
  const int port = free_port();
  ServerLimits limits;
  limits.max_connections = 8;
  TestServer server(limits);
  REQUIRE(server.call({wire::kBind, {"http-01", "127.0.0.1", std::to_string(port)}}).type == wire::kOk);
  REQUIRE(server.call({wire::kAdd, {"http-01", kToken, kKeyAuth}}).type == wire::kOk);
  std::vector<UniqueFd> idle;
  for (int i = 0; i < 8; ++i) {
    idle.push_back(connect_to(port));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // accepted in this order
  }
  std::string answer = fetch(port, "GET /.well-known/acme-challenge/" + kToken + " HTTP/1.1\r\n\r\n");
  CHECK(answer.substr(answer.size() - kKeyAuth.size()) == kKeyAuth);
  // The first idle connection was closed for it; the last is still open.
  CHECK(read_until_closed(idle.front().get(), std::chrono::seconds(2)).empty());
  pollfd p{idle.back().get(), POLLIN, 0};
  CHECK(::poll(&p, 1, 100) == 0);
}

TEST_CASE("responder: a request that takes too long is closed at the deadline", "[challenge]") {
  const int port = free_port();
  ServerLimits limits;
  limits.deadline = std::chrono::milliseconds(300);
  TestServer server(limits);
  REQUIRE(server.call({wire::kBind, {"http-01", "127.0.0.1", std::to_string(port)}}).type == wire::kOk);
  UniqueFd slow = connect_to(port);
  REQUIRE(::send(slow.get(), "GET / HTTP/1.1\r\n", 16, MSG_NOSIGNAL) == 16);
  const auto started = SteadyClock::now();
  CHECK(read_until_closed(slow.get(), std::chrono::seconds(5)).empty());
  const auto took = SteadyClock::now() - started;
  CHECK(took >= std::chrono::milliseconds(250));
  CHECK(took < std::chrono::seconds(2));
}

TEST_CASE("responders listen on IPv6 and IPv4 by default; 0.0.0.0 means IPv4 only", "[challenge][responder]") {
  const int port = test::unused_port();
  {
    auto both = listen_tcp("", port);
    REQUIRE(both);
    CHECK(test::connects_ipv6(port));
    test::connect_to(port);  // 127.0.0.1 (REQUIREs the connect)
  }
  {
    auto v4 = listen_tcp("0.0.0.0", port);
    REQUIRE(v4);
    CHECK_FALSE(test::connects_ipv6(port));
    test::connect_to(port);
  }
  auto taken = listen_tcp("", port);
  REQUIRE(taken);
  auto again = listen_tcp("::", port);
  REQUIRE_FALSE(again);
  CHECK(again.error().category() == Category::Config);
  CHECK(again.error().text().find("[::]:" + std::to_string(port)) != std::string::npos);
}
