// SigpipeBlocked (src/core/sigpipe.hpp): a write to a peer that has gone fails with EPIPE instead
// of ending the process, and the thread's signal state is as before afterwards.
#include "core/sigpipe.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <csignal>

#include <sys/socket.h>
#include <unistd.h>

namespace {
bool blocked_now() {
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return sigismember(&mask, SIGPIPE) == 1;
}
bool pending_now() {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, SIGPIPE) == 1;
}
}  // namespace

TEST_CASE("SigpipeBlocked: a write to a closed peer is EPIPE, and nothing is left pending", "[core][sigpipe]") {
  REQUIRE_FALSE(blocked_now());
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  ::close(fds[1]);
  {
    const certctl::SigpipeBlocked guard;
    CHECK(blocked_now());
    errno = 0;
    CHECK(::write(fds[0], "x", 1) == -1);  // plain write(): no MSG_NOSIGNAL, as OpenSSL's BIO
    CHECK(errno == EPIPE);
    CHECK(pending_now());  // raised, held off
    ::raise(SIGPIPE);      // a second one while pending: still one
  }
  ::close(fds[0]);
  // Without the guard either of these would have ended the test binary.
  CHECK_FALSE(pending_now());
  CHECK_FALSE(blocked_now());
}

TEST_CASE("SigpipeBlocked: a thread that already blocked SIGPIPE keeps its mask and its pending signal",
          "[core][sigpipe]") {
  sigset_t pipe, old;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, &old);
  {
    const certctl::SigpipeBlocked guard;
    ::raise(SIGPIPE);
  }
  CHECK(blocked_now());
  CHECK(pending_now());  // not ours to take
  const timespec zero{0, 0};
  CHECK(sigtimedwait(&pipe, nullptr, &zero) == SIGPIPE);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  CHECK_FALSE(blocked_now());
}
