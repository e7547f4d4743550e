/// serve_responder: the single-threaded event loop behind the http-01 and tls-alpn-01
/// responders. Every connection has one deadline for its whole request, the request head is
/// bounded (8 KiB), the number of connections is bounded (the longest idle one is evicted for a
/// new one), and one response closes the connection.
#include "challenge/responder_server.hpp"

#include "challenge/common.hpp"
#include "challenge/http_request.hpp"
#include "challenge/link_wire.hpp"
#include "challenge/tls_server.hpp"

#include <openssl/err.h>

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

namespace certctl::challenge {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxKey = 255;        ///< a token or an SNI name
constexpr std::size_t kMaxKeyAuth = 1024;   ///< token "." thumbprint
constexpr std::size_t kMaxPem = 8 * 1024;   ///< a challenge certificate or its key
constexpr int kAcceptsPerRound = 128;

struct Connection {
  UniqueFd fd;
  ResponderKind kind = ResponderKind::Http01;
  Clock::time_point deadline, last_active;
  std::string in, out;
  std::size_t sent = 0;
  std::unique_ptr<TlsConnection> tls;
  short events = POLLIN;
  bool closed = false;
};

struct Listener {
  ResponderKind kind;
  UniqueFd fd;
};

Result<ResponderKind> parse_kind(std::string_view s) {
  if (s == "http-01") return ResponderKind::Http01;
  if (s == "tls-alpn-01") return ResponderKind::TlsAlpn01;
  return Error(Category::Input, "responder link", "unknown responder kind");
}

/// The connection limit: the configured one, lowered to what RLIMIT_NOFILE leaves (raised to
/// its hard limit first).
std::size_t connection_limit(std::size_t wanted) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return std::min<std::size_t>(wanted, 256);
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &rl);
    (void)::getrlimit(RLIMIT_NOFILE, &rl);
  }
  const rlim_t spare = rl.rlim_cur > 96 ? rl.rlim_cur - 64 : 32;
  return std::min<std::size_t>(wanted, static_cast<std::size_t>(spare));
}

class Server {
 public:
  Server(UniqueFd link, const ServerLimits& limits)
      : link_(std::move(link)), limits_(limits), max_conns_(connection_limit(limits.max_connections)) {}

  /// Bind what the first message names, run `after_bind`, answer, then run.
  void serve(const std::function<Status()>& after_bind);


 private:
  Status bind(const wire::Message& m);
  /// Until the link closes.
  void run();
  bool handle_link();
  Status apply(const wire::Message& m);
  Status add(const std::vector<std::string>& f);
  void accept_from(const Listener& l);
  void evict_idlest();
  void step(Connection& c, short revents);
  void step_http(Connection& c, short revents);
  void step_tls(Connection& c);
  void close(Connection& c);
  int poll_timeout_ms() const;

  UniqueFd link_;
  ServerLimits limits_;
  std::size_t max_conns_;
  std::vector<Listener> listeners_;
  std::vector<Connection> conns_;
  std::size_t live_ = 0;
  std::map<std::string, std::string, std::less<>> http_;
  TlsCerts tls_;
  SslCtxPtr ctx_;
};

Status Server::bind(const wire::Message& m) {
  if (m.type != wire::kBind || m.fields.empty() || m.fields.size() % 3 != 0)
    return Error(Category::Internal, "responder link", "the first message must name the endpoints");
  for (std::size_t i = 0; i < m.fields.size(); i += 3) {
    TRY_ASSIGN(ResponderKind kind, parse_kind(m.fields[i]));
    const std::string& port = m.fields[i + 2];
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
      return Error(Category::Config, m.fields[i + 1], "not a port number");
    TRY_ASSIGN(UniqueFd fd, listen_tcp(m.fields[i + 1], std::stoi(port)));
    listeners_.push_back(Listener{kind, std::move(fd)});
    if (kind == ResponderKind::TlsAlpn01 && !ctx_) {
      TRY_ASSIGN(ctx_, make_tls_ctx(&tls_));
    }
  }
  return {};
}

void Server::serve(const std::function<Status()>& after_bind) {
  auto first = wire::receive(link_.get(), limits_.first_message);
  if (!first) return;
  Status st = bind(*first);
  if (st && after_bind) st = after_bind();
  if (!wire::send(link_.get(), st ? wire::Message{wire::kOk, {}} : wire::error_message(st.error())) || !st) return;
  run();
}

Status Server::add(const std::vector<std::string>& f) {
  TRY_ASSIGN(ResponderKind kind, parse_kind(f[0]));
  const std::string& key = f[1];
  auto bad = [&](const char* what) { return Error(Category::Input, key.substr(0, kMaxKey), what); };
  if (key.empty() || key.size() > kMaxKey) return bad("a key of 1 to 255 characters is required");
  if (kind == ResponderKind::Http01) {
    if (f.size() != 3 || !is_base64url(key)) return bad("an http-01 answer is a base64url token and its key authorization");
    if (f[2].size() > kMaxKeyAuth || f[2].compare(0, key.size() + 1, key + ".") != 0) return bad("not a key authorization for the token");
    if (http_.size() >= limits_.max_entries && !http_.count(key)) return bad("too many presented tokens");
    http_[key] = f[2];
    return {};
  }
  if (f.size() != 4 || !is_dns_name(key)) return bad("a tls-alpn-01 answer is an SNI name, a certificate and a key");
  if (f[2].size() > kMaxPem || f[3].size() > kMaxPem) return bad("the challenge certificate or key is too large");
  if (tls_.size() >= limits_.max_entries && !tls_.count(key)) return bad("too many presented certificates");
  TRY_ASSIGN(std::vector<crypto::Certificate> certs, crypto::parse_certificates(f[2], key));
  TRY_ASSIGN(crypto::PrivateKey pkey, crypto::PrivateKey::parse(SecretBytes::from(f[3]), key));
  tls_[key] = TlsEntry{std::move(certs.front()), std::move(pkey)};
  return {};
}

Status Server::apply(const wire::Message& m) {
  if (m.type == wire::kAdd && m.fields.size() >= 3) return add(m.fields);
  if (m.type == wire::kRemove && m.fields.size() == 2) {
    TRY_ASSIGN(ResponderKind kind, parse_kind(m.fields[0]));
    if (kind == ResponderKind::Http01) http_.erase(m.fields[1]);
    else tls_.erase(m.fields[1]);
    return {};
  }
  return Error(Category::Input, "responder link", "unexpected message");
}

/// One request from the link, answered; false when the link is closed (or broken).
bool Server::handle_link() {
  auto m = wire::receive(link_.get(), std::chrono::milliseconds(0));
  if (!m) {
    if (m.error().category() == Category::Network) return false;
    return wire::send(link_.get(), wire::error_message(m.error())).ok();
  }
  Status st = apply(*m);
  return wire::send(link_.get(), st ? wire::Message{wire::kOk, {}} : wire::error_message(st.error())).ok();
}

void Server::close(Connection& c) {
  if (c.closed) return;
  c.tls.reset();
  c.fd.close();
  c.closed = true;
  --live_;
}

void Server::evict_idlest() {
  Connection* idlest = nullptr;
  for (auto& c : conns_)
    if (!c.closed && (!idlest || c.last_active < idlest->last_active)) idlest = &c;
  if (idlest) close(*idlest);
}

void Server::accept_from(const Listener& l) {
  for (int i = 0; i < kAcceptsPerRound; ++i) {
    UniqueFd fd(::accept4(l.fd.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) return;  // nothing more waiting (or out of descriptors: the next round retries)
    if (live_ >= max_conns_) evict_idlest();
    Connection c;
    c.kind = l.kind;
    c.last_active = Clock::now();
    c.deadline = c.last_active + limits_.deadline;
    if (l.kind == ResponderKind::TlsAlpn01) {
      c.tls = TlsConnection::make(ctx_.get(), fd.get());
      if (!c.tls) continue;
    }
    c.fd = std::move(fd);
    conns_.push_back(std::move(c));
    ++live_;
  }
}

void Server::step_http(Connection& c, short revents) {
  if (c.out.empty() && (revents & (POLLIN | POLLHUP | POLLERR))) {
    char buf[4096];
    const std::size_t room = kMaxRequestHead + 1 - std::min(c.in.size(), kMaxRequestHead);
    const ssize_t n = ::recv(c.fd.get(), buf, std::min(sizeof buf, room), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return close(c);
    if (n < 0) return;
    c.in.append(buf, static_cast<std::size_t>(n));
    auto response = http_response(c.in, [this](std::string_view token) -> const std::string* {
      auto it = http_.find(token);
      return it == http_.end() ? nullptr : &it->second;
    });
    if (!response) return;
    c.out = std::move(*response);
    c.events = POLLOUT;
  }
  if (c.out.empty()) return;
  const ssize_t n = ::send(c.fd.get(), c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) return close(c);
  c.sent += static_cast<std::size_t>(n);
  if (c.sent == c.out.size()) close(c);  // one response per connection
}

void Server::step_tls(Connection& c) {
  const bool was_done = c.tls->handshaken();
  switch (c.tls->step()) {
    case TlsConnection::Want::Read: c.events = POLLIN; break;
    case TlsConnection::Want::Write: c.events = POLLOUT; break;
    case TlsConnection::Want::Close: return close(c);
  }
  if (!was_done && c.tls->handshaken()) c.deadline = std::min(c.deadline, Clock::now() + limits_.linger);
}

void Server::step(Connection& c, short revents) {
  c.last_active = Clock::now();
  if (c.kind == ResponderKind::Http01) step_http(c, revents);
  else step_tls(c);
}

int Server::poll_timeout_ms() const {
  auto next = Clock::now() + std::chrono::seconds(1);
  for (const auto& c : conns_)
    if (!c.closed) next = std::min(next, c.deadline);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(ms + 1, 0, 1000));
}

void Server::run() {
  std::vector<pollfd> fds;
  while (true) {
    fds.clear();
    fds.push_back({link_.get(), POLLIN, 0});
    for (const auto& l : listeners_) fds.push_back({l.fd.get(), POLLIN, 0});
    const std::size_t polled = conns_.size();
    for (const auto& c : conns_) fds.push_back({c.fd.get(), c.events, 0});
    if (::poll(fds.data(), fds.size(), poll_timeout_ms()) < 0 && errno != EINTR) return;
    if (fds[0].revents && !handle_link()) return;
    for (std::size_t i = 0; i < polled; ++i) {
      const short rev = fds[1 + listeners_.size() + i].revents;
      if (rev && !conns_[i].closed) step(conns_[i], rev);
    }
    for (std::size_t i = 0; i < listeners_.size(); ++i)
      if (fds[1 + i].revents & POLLIN) accept_from(listeners_[i]);
    const auto now = Clock::now();
    for (auto& c : conns_)
      if (!c.closed && now >= c.deadline) close(c);
    std::erase_if(conns_, [](const Connection& c) { return c.closed; });
  }
}

}  // namespace

void serve_responder(UniqueFd link, const std::function<Status()>& after_bind, const ServerLimits& limits) {
  // A peer that resets its connection must not kill the process with SIGPIPE (OpenSSL writes
  // without MSG_NOSIGNAL); SIGPIPE goes to the writing thread, so blocking it here is enough.
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &block, nullptr);
  try {
    Server server(std::move(link), limits);
    server.serve(after_bind);
  } catch (const std::exception&) {
    // Out of memory at worst: the link closes with the server, and the parent's next request
    // reports the responder as gone.
  }
}

}  // namespace certctl::challenge
