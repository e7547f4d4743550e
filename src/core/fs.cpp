#include <certctl/fs.hpp>
#include <certctl/unique_fd.hpp>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <ctime>
#include <fcntl.h>
#include <poll.h>
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
template <class Out>
Result<Out> read_into(const std::string& path, std::size_t limit) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd) {
    int e = errno;
    return Error(e == ENOENT ? Category::NotFound : Category::Input, path,
                 e == ENOENT ? "no such file" : "cannot open", e == ENOENT ? "" : std::strerror(e));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return sys_error(Category::Input, path, "cannot stat", errno);
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

Result<std::string> read_file(const std::string& path, std::size_t limit) {
  return read_into<std::string>(path, limit);
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

Status write_file_atomic(const std::string& path, std::string_view data, mode_t mode) {
  const std::string dir = dirname(path);
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
  if (auto st = write_all(fd.get(), data.data(), data.size(), path); !st)
    return fail(std::move(st).error());
  if (::fchmod(fd.get(), mode) != 0) return fail(sys_error(Category::Vault, path, "cannot chmod", errno));
  if (::fsync(fd.get()) != 0) return fail(sys_error(Category::Vault, path, "cannot sync", errno));
  if (auto st = fd.close(); !st) return fail(sys_error(Category::Vault, path, "cannot close", errno));
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return fail(sys_error(Category::Vault, path, "cannot rename into place", errno));
  return sync_dir(dir);
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
