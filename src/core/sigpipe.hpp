#pragma once
/// SIGPIPE held off for one thread while it writes to a peer that may have gone: OpenSSL's socket
/// BIO writes without MSG_NOSIGNAL, so a server that resets the connection mid-handshake would
/// otherwise end the whole process. A SIGPIPE raised meanwhile (directed at this thread) is taken
/// off the pending set before the old mask returns; the write itself reports EPIPE.
#include <csignal>
#include <ctime>

#include <pthread.h>

namespace certctl {

class SigpipeBlocked {
 public:
  SigpipeBlocked() noexcept {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlocked() {
    if (sigismember(&old_, SIGPIPE) != 1) {
      sigset_t pending;
      sigemptyset(&pending);
      if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
        const timespec zero{0, 0};
        sigtimedwait(&pipe_, nullptr, &zero);
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t old_{};
};

}  // namespace certctl
