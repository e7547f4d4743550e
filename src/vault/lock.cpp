#include <certctl/vault.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <thread>
#include <unistd.h>

namespace certctl::vault {

VaultLock::~VaultLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

Result<VaultLock> Vault::lock() const {
  const std::string path = layout_.lock();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error(Category::Vault, path, "cannot open the lock file", std::strerror(errno));
  // Poll rather than block forever, so a stuck process gives a clear error, not a hang.
  for (int waited_ms = 0;; waited_ms += 50) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return VaultLock(fd);
    if (errno != EWOULDBLOCK && errno != EINTR) {
      int e = errno;
      ::close(fd);
      return Error(Category::Vault, path, "cannot lock", std::strerror(e));
    }
    if (waited_ms >= 60000) {
      ::close(fd);
      return Error(Category::Vault, layout_.root(), "locked by another certctl for over 60 s; try again later");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Result<VaultLock> Vault::renew_lock() const {
  const std::string path = layout_.root() + "/.renew.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error(Category::Vault, path, "cannot open the renew lock", std::strerror(errno));
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    int e = errno;
    ::close(fd);
    return Error(Category::Vault, path, "cannot lock", std::strerror(e));
  }
  return VaultLock(fd);
}

}  // namespace certctl::vault
