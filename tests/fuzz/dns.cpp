// DNS answers through a loopback server (src/dns/wire.cpp, resolver.cpp, rfc2136.cpp): a
// server thread on 127.0.0.1 (UDP and TCP on one port) answers each query with the next
// message of the input, so the bytes go through the real exchange (UDP, TCP after TC=1),
// ldns_wire2pkt, and the resolver's SOA walk, CNAME chain, TXT reading and the RFC 2136
// provider's reply and TSIG checks. Input: messages, each a 2-byte big-endian length and
// that many bytes. The server writes the query's ID and QR=1 into each answer, so the client
// takes it as the answer (a too-short one is padded to a header); when the messages run out
// it answers REFUSED.
#include "fuzz.hpp"

#include <certctl/dns.hpp>
#include <certctl/secret.hpp>
#include <certctl/unique_fd.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <deque>
#include <mutex>
#include <thread>

using namespace certctl;

namespace {

class LoopbackDns {
 public:
  LoopbackDns() {
    for (int attempt = 0; attempt < 20 && port_ == 0; ++attempt) {
      UniqueFd udp(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::bind(udp.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) continue;
      socklen_t len = sizeof a;
      ::getsockname(udp.get(), reinterpret_cast<sockaddr*>(&a), &len);
      UniqueFd tcp(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      int yes = 1;
      ::setsockopt(tcp.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      if (::bind(tcp.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(tcp.get(), 8) != 0) continue;
      udp_ = std::move(udp);
      tcp_ = std::move(tcp);
      port_ = ntohs(a.sin_port);
    }
    if (port_ == 0) fuzz::fail("cannot bind a loopback DNS server");
    std::thread([this] { serve(); }).detach();
  }

  int port() const { return port_; }

  void script(std::string_view input) {
    std::lock_guard lock(mu_);
    answers_.clear();
    while (input.size() >= 2) {
      const std::size_t n = (static_cast<unsigned char>(input[0]) << 8) | static_cast<unsigned char>(input[1]);
      input.remove_prefix(2);
      answers_.emplace_back(input.substr(0, n));
      input.remove_prefix(std::min(n, input.size()));
    }
  }

 private:
  std::string answer_to(const std::string& query) {
    std::string a;
    {
      std::lock_guard lock(mu_);
      if (!answers_.empty()) {
        a = std::move(answers_.front());
        answers_.pop_front();
      } else {
        a = query.substr(0, 12);
        if (a.size() == 12) a[3] = static_cast<char>((a[3] & 0xf0) | 5);  // REFUSED
      }
    }
    if (a.size() < 12) a.resize(12, '\0');
    if (query.size() >= 2) {
      a[0] = query[0];
      a[1] = query[1];
    }
    a[2] = static_cast<char>(a[2] | 0x80);
    return a;
  }

  void serve() {
    std::string buf(65535, '\0');
    for (;;) {
      pollfd p[2] = {{udp_.get(), POLLIN, 0}, {tcp_.get(), POLLIN, 0}};
      if (::poll(p, 2, -1) <= 0) continue;
      if (p[0].revents & POLLIN) {
        sockaddr_storage from{};
        socklen_t len = sizeof from;
        ssize_t n = ::recvfrom(udp_.get(), buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n > 0) {
          std::string a = answer_to(buf.substr(0, static_cast<std::size_t>(n)));
          if (a.size() > 65000) a.resize(65000);  // what one UDP datagram carries
          ::sendto(udp_.get(), a.data(), a.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
        }
      }
      if (p[1].revents & POLLIN) {
        UniqueFd c(::accept4(tcp_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!c) continue;
        timeval tv{1, 0};
        ::setsockopt(c.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        unsigned char lb[2];
        if (::recv(c.get(), lb, 2, MSG_WAITALL) != 2) continue;
        std::string q((lb[0] << 8) | lb[1], '\0');
        if (!q.empty() && ::recv(c.get(), q.data(), q.size(), MSG_WAITALL) != static_cast<ssize_t>(q.size())) continue;
        std::string a = answer_to(q);
        if (a.size() > 65535) a.resize(65535);
        const unsigned char out_len[2] = {static_cast<unsigned char>(a.size() >> 8), static_cast<unsigned char>(a.size())};
        std::string out(reinterpret_cast<const char*>(out_len), 2);
        out += a;
        (void)::send(c.get(), out.data(), out.size(), MSG_NOSIGNAL);
      }
    }
  }

  UniqueFd udp_, tcp_;
  int port_ = 0;
  std::mutex mu_;
  std::deque<std::string> answers_;
};

template <class T>
void check(const Result<T>& r) {
  if (!r) fuzz::touch(r.error());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static LoopbackDns server;
  static const std::unique_ptr<dns::Provider> rfc2136 = [] {
    dns::ProviderConfig c;
    c.name = "fuzz";
    c.type = "rfc2136";
    c.options = {{"server", "127.0.0.1:" + std::to_string(server.port())}, {"key-name", "fuzz-key"}};
    c.secrets.emplace("tsig-secret", SecretBytes::from("c2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IQ=="));
    auto p = dns::make_provider(c);
    if (!p) fuzz::fail(p.error().text());
    return std::move(p).value();
  }();
  server.script(fuzz::as_text(data, size));

  dns::ResolverOptions opts;
  opts.override_server = dns::Server{"127.0.0.1", server.port()};
  opts.query_timeout = std::chrono::milliseconds(500);
  opts.retries = 0;
  dns::Resolver resolver(opts);
  check(resolver.zone_of("_acme-challenge.www.example.test"));
  check(resolver.follow_cnames("_acme-challenge.example.test"));
  check(resolver.txt_at(*opts.override_server, "_acme-challenge.example.test"));
  const dns::TxtRecord txt{"_acme-challenge.example.test.", "example.test.", "value", "example.test", "token"};
  if (auto st = rfc2136->present({txt}); !st) fuzz::touch(st.error());
  return 0;
}
