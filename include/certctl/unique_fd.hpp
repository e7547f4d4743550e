#pragma once
/// A move-only owner of a POSIX file descriptor (shape of fmt's `file`): valid empty state,
/// noexcept destructor that never throws, explicit close() that reports.
#include <unistd.h>

namespace certctl {

class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  ~UniqueFd() { if (fd_ >= 0) ::close(fd_); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = o.release();
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept { int f = fd_; fd_ = -1; return f; }
  /// Close now; false when close(2) failed (errno is set).
  bool close() noexcept {
    int f = release();
    return f < 0 || ::close(f) == 0;
  }

 private:
  int fd_ = -1;
};

}  // namespace certctl
