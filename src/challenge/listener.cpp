/// listen_tcp: the socket setup shared by the built-in challenge servers.
#include "challenge/common.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace certctl::challenge {

Status check_port(const std::string& address, int port) {
  if (port < 1 || port > 65535) {
    return Error(Category::Config, host_port(address, port), "the port must be between 1 and 65535");
  }
  return {};
}

Result<UniqueFd> listen_tcp(const std::string& address, int port) {
  const std::string where = host_port(address, port);
  TRY(check_port(address, port));
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
  int last_errno = EADDRNOTAVAIL;
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
  std::string reason = errno_text(last_errno);
  if (last_errno == EACCES && port < 1024) {
    reason += " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
  }
  return Error(Category::Config, where, "cannot listen", reason);
}

}  // namespace certctl::challenge
