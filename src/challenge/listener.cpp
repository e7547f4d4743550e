/// listen_tcp: the socket setup shared by the built-in challenge servers.
#include "challenge/common.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace certctl::challenge {

namespace {

std::string listen_reason(int err, int port) {
  std::string reason = errno_text(err);
  if (err == EACCES && port < 1024) reason += " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
  return reason;
}

}  // namespace

Status check_port(const std::string& address, int port) {
  if (port < 1 || port > 65535) {
    return Error(Category::Config, host_port(address, port), "the port must be between 1 and 65535");
  }
  return {};
}

namespace {

/// Every interface, IPv6 and IPv4 on one socket (IPV6_V6ONLY off, whatever the system's
/// default); an invalid fd when the host has no IPv6.
Result<UniqueFd> listen_dual_stack(int port, int& last_errno) {
  UniqueFd s(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!s) {
    last_errno = errno;
    return UniqueFd();
  }
  int yes = 1, no = 0;
  ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  if (::setsockopt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof no) != 0) {
    last_errno = errno;
    return UniqueFd();
  }
  sockaddr_in6 any{};
  any.sin6_family = AF_INET6;
  any.sin6_addr = in6addr_any;
  any.sin6_port = htons(static_cast<uint16_t>(port));
  if (::bind(s.get(), reinterpret_cast<const sockaddr*>(&any), sizeof any) != 0 || ::listen(s.get(), SOMAXCONN) != 0) {
    last_errno = errno;
    return UniqueFd();
  }
  return s;
}

}  // namespace

Result<UniqueFd> listen_tcp(const std::string& address, int port) {
  const std::string where = host_port(address.empty() ? "::" : address, port);
  TRY(check_port(address, port));
  int last_errno = EADDRNOTAVAIL;
  if (address.empty() || address == "::") {
    // A host without IPv6 (EAFNOSUPPORT) still listens on every IPv4 interface.
    TRY_ASSIGN(UniqueFd dual, listen_dual_stack(port, last_errno));
    if (dual) return dual;
    if (last_errno != EAFNOSUPPORT && last_errno != EPROTONOSUPPORT && last_errno != EADDRNOTAVAIL) {
      return Error(Category::Config, where, "cannot listen", listen_reason(last_errno, port));
    }
    return listen_tcp("0.0.0.0", port);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  int gai = ::getaddrinfo(address.empty() ? nullptr : address.c_str(), service.c_str(), &hints, &res);
  if (gai != 0) {
    return Error(Category::Config, where, "not a valid listen address",
                 gai_strerror(gai));
  }
  UniqueFd fd;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    UniqueFd s(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol));
    if (!s) {
      last_errno = errno;
      continue;
    }
    int yes = 1;
    ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(s.get(), ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(s.get(), SOMAXCONN) != 0) {
      last_errno = errno;
      continue;
    }
    fd = std::move(s);
    break;
  }
  ::freeaddrinfo(res);
  if (fd) return fd;
  return Error(Category::Config, where, "cannot listen", listen_reason(last_errno, port));
}

}  // namespace certctl::challenge
