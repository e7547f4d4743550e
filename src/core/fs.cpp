#include <certctl/fs.hpp>
#include <certctl/unique_fd.hpp>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <ctime>
#include <fcntl.h>
#include <poll.h>
#include <csignal>
#include <filesystem>
#include <string>
#include <type_traits>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace certctl::fs {
namespace {

std::int64_t now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

Error sys_error(Category cat, const std::string& path, std::string_view what, int err) {
  return Error(cat, path, std::string(what), std::strerror(err));
}

Status write_all(int fd, const char* p, std::size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return sys_error(Category::Vault, path, "cannot write", errno);
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return ok();
}

template <class Out>
Out make_buffer(std::size_t n) {
  if constexpr (std::is_same_v<Out, std::string>) return std::string(n, '\0');
  else return Out(n);
}

Error too_large(const std::string& path, std::size_t limit) {
  return Error(Category::Input, path, fmt::format("larger than the {} KiB limit for this file", limit / 1024));
}

/// Waits until a pipe or device has data, up to the deadline. False on timeout.
bool wait_readable(int fd, std::int64_t deadline_ms) {
  for (;;) {
    const std::int64_t left = deadline_ms - now_ms();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left, 1000)));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // let read(2) report it
  }
}

/// Read a whole file of at most `limit` bytes. Sized by fstat, so a small file costs one
/// allocation and one read(2); secrets are read into SecretBytes directly and never pass
/// through a std::string. Pipes and devices are read without blocking past
/// kPipeTimeoutSeconds (a FIFO nobody writes to reads as empty instead of hanging).
/// `private_file`: a file inside the vault (check_private, no symlink followed).
template <class Out>
Result<Out> read_into(const std::string& path, std::size_t limit, bool private_file = false,
                      struct stat* st_out = nullptr) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | (private_file ? O_NOFOLLOW : 0)));
  if (!fd) {
    int e = errno;
    if (e == ELOOP && private_file) return Error(Category::Vault, path, "is a symbolic link; refusing to follow it");
    return Error(e == ENOENT ? Category::NotFound : Category::Input, path,
                 e == ENOENT ? "no such file" : "cannot open", e == ENOENT ? "" : std::strerror(e));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return sys_error(Category::Input, path, "cannot stat", errno);
  if (private_file) TRY(check_private(st, path));
  if (st_out) *st_out = st;
  if (S_ISDIR(st.st_mode)) return Error(Category::Input, path, "is a directory, expected a file");
  const bool regular = S_ISREG(st.st_mode);
  if (regular && static_cast<std::uint64_t>(st.st_size) > limit) return too_large(path, limit);
  // Regular files: read exactly their size (plus one byte to notice growth); others: chunks.
  Out out = make_buffer<Out>(regular ? static_cast<std::size_t>(st.st_size) + 1 : 65536);
  std::size_t used = 0;
  const std::int64_t deadline = now_ms() + kPipeTimeoutSeconds * 1000LL;
  for (;;) {
    if (used > limit) return too_large(path, limit);
    if (used == out.size()) {
      Out bigger = make_buffer<Out>(std::min(out.size() * 2, limit + 1));
      std::memcpy(bigger.data(), out.data(), used);
      out = std::move(bigger);
    }
    ssize_t r = ::read(fd.get(), out.data() + used, out.size() - used);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN && !regular) {
        if (wait_readable(fd.get(), deadline)) continue;
        return Error(Category::Input, path, fmt::format("nothing to read after {} s", kPipeTimeoutSeconds));
      }
      return sys_error(Category::Input, path, "cannot read", errno);
    }
    if (r == 0) break;
    used += static_cast<std::size_t>(r);
  }
  out.resize(used);
  return out;
}

}  // namespace

Status check_private(const struct stat& st, const std::string& path) {
  if (S_ISLNK(st.st_mode)) return Error(Category::Vault, path, "is a symbolic link; refusing to follow it");
  if (st.st_uid != ::geteuid())
    return Error(Category::Vault, path,
                 fmt::format("is owned by uid {}, not by the vault's owner (uid {}); refusing to use it", st.st_uid,
                             ::geteuid()));
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return Error(Category::Vault, path,
                 fmt::format("is writable by group or others (mode {:04o}); refusing to use it: run chmod go-w {}",
                             st.st_mode & 07777, path));
  return ok();
}

Result<std::string> read_file(const std::string& path, std::size_t limit) {
  return read_into<std::string>(path, limit);
}
Result<std::string> read_private_file(const std::string& path, std::size_t limit, struct stat* st) {
  return read_into<std::string>(path, limit, true, st);
}
Status check_private_dir(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return sys_error(Category::Vault, path, "cannot access", errno);
  return check_private(st, path);
}
Result<SecretBytes> read_secret_file(const std::string& path, std::size_t limit) {
  return read_into<SecretBytes>(path, limit);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string dirname(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

std::string join(std::string_view a, std::string_view b) {
  std::string out(a);
  if (!out.empty() && out.back() != '/') out += '/';
  out += b;
  return out;
}

Status sync_dir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return sys_error(Category::Vault, path, "cannot open directory", errno);
  if (::fsync(fd.get()) != 0 && errno != EINVAL)
    return sys_error(Category::Vault, path, "cannot sync directory", errno);
  return ok();
}

std::string temp_path_for(const std::string& path, int attempt) {
  return fmt::format("{}/.{}.{}.{}.tmp", dirname(path), path.substr(path.find_last_of('/') + 1), ::getpid(), attempt);
}

namespace {

/// Write, chmod and sync `data` to an open file; the error names `path`.
Status fill(int fd, std::string_view data, mode_t mode, const std::string& path) {
  TRY(write_all(fd, data.data(), data.size(), path));
  if (::fchmod(fd, mode) != 0) return sys_error(Category::Vault, path, "cannot chmod", errno);
  if (::fsync(fd) != 0) return sys_error(Category::Vault, path, "cannot sync", errno);
  return ok();
}

/// The atomic write through an unnamed file (O_TMPFILE): it gets a name only once it is
/// complete, so a kill leaves nothing behind (a replacement is linked under a temp name and
/// renamed over the target: a moment's window that sweep_leftovers covers). False when the
/// file system or kernel refuses O_TMPFILE (or /proc is missing): the caller falls back.
Result<bool> write_unnamed(const std::string& path, std::string_view data, mode_t mode) {
  UniqueFd fd(::open(dirname(path).c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
  if (!fd) return false;
  TRY(fill(fd.get(), data, mode, path));
  const std::string self = fmt::format("/proc/self/fd/{}", fd.get());
  if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) == 0) return true;
  if (errno != EEXIST) return false;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string tmp = temp_path_for(path, attempt);
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, tmp.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      if (errno == EEXIST) continue;
      return false;
    }
    if (::rename(tmp.c_str(), path.c_str()) == 0) return true;
    const int e = errno;
    ::unlink(tmp.c_str());
    return sys_error(Category::Vault, path, "cannot rename into place", e);
  }
  return false;
}

}  // namespace

Status write_file_atomic(const std::string& path, std::string_view data, mode_t mode) {
  TRY(write_file_atomic_unsynced(path, data, mode));
  return sync_dir(dirname(path));
}

Status write_file_atomic_unsynced(const std::string& path, std::string_view data, mode_t mode) {
  TRY_ASSIGN(bool written, write_unnamed(path, data, mode));
  if (written) return ok();
  std::string tmp;
  UniqueFd fd;
  for (int attempt = 0; attempt < 100 && !fd; ++attempt) {
    tmp = temp_path_for(path, attempt);
    fd = UniqueFd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd && errno != EEXIST) return sys_error(Category::Vault, path, "cannot create", errno);
  }
  if (!fd) return Error(Category::Vault, path, "cannot create a temporary file");
  auto fail = [&](Error e) {
    ::unlink(tmp.c_str());
    return e;
  };
  if (auto st = fill(fd.get(), data, mode, path); !st) return fail(std::move(st).error());
  if (auto st = fd.close(); !st) return fail(sys_error(Category::Vault, path, "cannot close", errno));
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return fail(sys_error(Category::Vault, path, "cannot rename into place", errno));
  return ok();
}

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 9 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// "123" -> 123; anything else (empty, a sign, too long) -> 0.
pid_t parse_pid(std::string_view s) { return all_digits(s) ? static_cast<pid_t>(std::stol(std::string(s))) : 0; }

bool pid_alive(pid_t pid) { return pid == ::getpid() || ::kill(pid, 0) == 0 || errno == EPERM; }

/// The process that left `name` behind: ".deleted.<pid>.<name>" (remove_tree) or, when
/// `target` is empty or matches, ".<target>.<pid>.<n>.tmp" (write_file_atomic); else 0.
pid_t leftover_pid(std::string_view name, std::string_view target) {
  constexpr std::string_view kDeleted = ".deleted.", kTmp = ".tmp";
  if (name.rfind(kDeleted, 0) == 0 && target.empty()) {
    name.remove_prefix(kDeleted.size());
    return parse_pid(name.substr(0, name.find('.')));
  }
  if (name.size() < 2 || name[0] != '.' || name.size() <= kTmp.size() || name.substr(name.size() - kTmp.size()) != kTmp)
    return 0;
  name.remove_suffix(kTmp.size());  // ".<target>.<pid>.<n>"
  const std::size_t n_dot = name.rfind('.');
  if (n_dot == 0 || n_dot == std::string_view::npos || !all_digits(name.substr(n_dot + 1))) return 0;
  const std::size_t pid_dot = name.rfind('.', n_dot - 1);
  if (pid_dot == 0 || pid_dot == std::string_view::npos) return 0;
  if (!target.empty() && name.substr(1, pid_dot - 1) != target) return 0;
  return parse_pid(name.substr(pid_dot + 1, n_dot - pid_dot - 1));
}

}  // namespace

std::size_t sweep_leftovers(const std::string& dir, std::string_view target) {
  std::size_t removed = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const pid_t pid = leftover_pid(name, target);
    if (pid <= 0 || pid_alive(pid)) continue;
    std::error_code rm;
    if (std::filesystem::remove_all(it->path(), rm) > 0 && !rm) ++removed;
  }
  return removed;
}

Status write_user_file(const std::string& path, std::string_view data, mode_t mode) {
  // Renaming over a device, FIFO, socket or symlink would replace it with a regular file (as
  // root, --out /dev/full once replaced the device): only a new path or a regular file is written.
  struct stat st_before {};
  if (::lstat(path.c_str(), &st_before) == 0 && !S_ISREG(st_before.st_mode))
    return Error(Category::Input, path,
                 S_ISLNK(st_before.st_mode) ? "is a symbolic link; refusing to replace it (name its target instead)"
                 : S_ISDIR(st_before.st_mode) ? "is a directory, expected a file"
                                              : "is not a regular file; refusing to replace it");
  // Temp files of this name left by a killed certctl (a plaintext key.pem, say) go first.
  sweep_leftovers(dirname(path), path.substr(path.find_last_of('/') + 1));
  auto st = write_file_atomic(path, data, mode);
  if (!st) return st.error().with_category(Category::Input);
  return ok();
}

Status make_dirs(const std::string& path, mode_t mode) {
  if (is_dir(path)) return ok();
  const std::string parent = dirname(path);
  if (parent != path && !is_dir(parent)) TRY(make_dirs(parent, mode));
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
    return sys_error(Category::Vault, path, "cannot create directory", errno);
  return ok();
}

Status append_line(const std::string& path, std::string_view line, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, mode));
  if (!fd) return sys_error(Category::Vault, path, "cannot open for append", errno);
  std::string buf(line);
  buf += '\n';
  // One write(2) of the whole line: O_APPEND makes it land after every earlier line intact.
  TRY(write_all(fd.get(), buf.data(), buf.size(), path));
  if (::fsync(fd.get()) != 0) return sys_error(Category::Vault, path, "cannot sync", errno);
  return ok();
}

Status rename_durable(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    return sys_error(Category::Vault, to, "cannot rename", errno);
  return sync_dir(dirname(to));
}

Status remove_tree(const std::string& path) {
  if (!exists(path)) return ok();
  const std::string aside =
      fmt::format("{}/.deleted.{}.{}", dirname(path), ::getpid(), path.substr(path.find_last_of('/') + 1));
  TRY(rename_durable(path, aside));
  std::error_code ec;
  std::filesystem::remove_all(aside, ec);
  if (ec) return Error(Category::Vault, aside, "cannot remove", ec.message());
  return ok();
}

}  // namespace certctl::fs
