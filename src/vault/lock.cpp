#include <certctl/fs.hpp>
#include <certctl/vault.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <thread>
#include <unistd.h>

namespace certctl::vault {

namespace {

/// Every change is audited after it lands, so an audit log that cannot take a line (a
/// directory in its place, a read-only file system) must stop the change before it starts.
Status check_appendable(const std::string& log) {
  UniqueFd fd(::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd)
    return Error(Category::Vault, log, "cannot append to the audit log, so nothing was changed", std::strerror(errno));
  return ok();
}

}  // namespace

Status Vault::after_lock() const {
  TRY(check_appendable(layout_.audit_log()));
  // Leftovers of killed runs (certctl(1), FILES): deleted records and temp files.
  fs::sweep_leftovers(layout_.root());
  fs::sweep_leftovers(layout_.certs());
  return ok();
}

Result<VaultLock> Vault::lock() const {
  const std::string path = layout_.lock();
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return Error(Category::Vault, path, "cannot open the lock file", std::strerror(errno));
  // Poll rather than block forever, so a stuck process gives a clear error, not a hang.
  for (int waited_ms = 0;; waited_ms += 50) {
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
      VaultLock lock(std::move(fd));
      TRY(after_lock());
      return lock;
    }
    if (errno != EWOULDBLOCK && errno != EINTR) return Error(Category::Vault, path, "cannot lock", std::strerror(errno));
    if (waited_ms >= 60000)
      return Error(Category::Vault, layout_.root(), "locked by another certctl for over 60 s; try again later");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Result<VaultLock> Vault::renew_lock() const {
  const std::string path = layout_.root() + "/.renew.lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return Error(Category::Vault, path, "cannot open the renew lock", std::strerror(errno));
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return Error(Category::Vault, path, "cannot lock", std::strerror(errno));
  }
  return VaultLock(std::move(fd));
}

}  // namespace certctl::vault
