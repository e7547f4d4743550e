// The local directory backend: key "a/b/c" is the file <root>/a/b/c. Every write is
// fs::write_file_atomic (0600 files, 0700 directories); every read refuses a symbolic link or
// a file or directory another user could have written (fs::check_private). A change applies
// its ops in order and its commit point last, each atomic, under the writer lock the caller
// holds (flock), so a change cut short leaves files no record refers to; Vault sweeps them.
// A revision is a hash of (inode, size, mtime): every atomic write makes a new inode.
#include <certctl/fs.hpp>
#include <certctl/storage.hpp>
#include <certctl/unique_fd.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>

namespace certctl::storage {
namespace {

/// How much of a log's end update_log reads to find its last line.
constexpr std::size_t kTailRead = 64 * 1024;

Error sys_error(const std::string& path, std::string_view what, int err) {
  return Error(Category::Vault, path, std::string(what), std::strerror(err));
}

Revision revision_of(const struct stat& st) {
  // splitmix64 over the three fields: a file replaced atomically gets a new inode, and the
  // same inode rewritten in place (never done here) a new mtime.
  auto mix = [](std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  };
  const std::int64_t mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  const Revision r = mix(mix(mix(static_cast<std::uint64_t>(st.st_ino)) ^ static_cast<std::uint64_t>(st.st_size)) ^
                         static_cast<std::uint64_t>(mtime_ns));
  return r == 0 ? 1 : r;
}

/// The revision of the file at `path` now (lstat); 0 when absent.
Revision current_revision(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return revision_of(st);
}

Status check_key(std::string_view key) {
  if (!valid_key(key)) return Error(Category::Internal, std::string(key), "not a valid storage key");
  return ok();
}

class FileHeld final : public Held {
 public:
  explicit FileHeld(UniqueFd fd) : fd_(std::move(fd)) {}

 private:
  UniqueFd fd_;  // closing it releases the flock
};

/// A lease on one machine: a flock on <root>/.leases/<name>.lease, which the kernel releases
/// when the process dies. The file keeps the last generation granted. The TTL does not apply:
/// on one host a live holder keeps it and a dead one loses it at once.
class FileLease final : public Lease {
 public:
  FileLease(UniqueFd fd, std::string name, std::uint64_t generation)
      : fd_(std::move(fd)), name_(std::move(name)), generation_(generation) {}
  const std::string& name() const override { return name_; }
  std::uint64_t generation() const override { return generation_; }
  Status renew() override { return ok(); }

 private:
  UniqueFd fd_;
  std::string name_;
  std::uint64_t generation_;
};

class FileLogView final : public LogView {
 public:
  FileLogView(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  Result<std::string> last_line() override {
    TRY_ASSIGN(const std::size_t size, size_now());
    if (size == 0) return std::string();
    const std::size_t n = std::min(size, kTailRead);
    TRY_ASSIGN(std::string tail, read_at(size - n, n));
    if (tail.back() == '\n') tail.pop_back();
    const auto nl = tail.rfind('\n');
    if (nl == std::string::npos) return n == size ? tail : std::string();  // longer than the tail
    return tail.substr(nl + 1);
  }

  Result<std::string> whole(std::size_t limit) override {
    TRY_ASSIGN(const std::size_t size, size_now());
    if (size > limit)
      return Error(Category::Vault, path_, fmt::format("larger than {} MiB; refusing to read it", limit >> 20));
    TRY_ASSIGN(std::string all, read_at(0, size));
    if (!all.empty() && all.back() != '\n') all += '\n';
    return all;
  }

  /// Whether the log ends in a torn line (no '\n'), so an append starts with one.
  Result<bool> torn() {
    TRY_ASSIGN(const std::size_t size, size_now());
    if (size == 0) return false;
    TRY_ASSIGN(std::string last, read_at(size - 1, 1));
    return !last.empty() && last.back() != '\n';
  }

 private:
  Result<std::size_t> size_now() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return sys_error(path_, "cannot stat", errno);
    if (!S_ISREG(st.st_mode)) return Error(Category::Vault, path_, "is not a regular file");
    return static_cast<std::size_t>(st.st_size);
  }
  Result<std::string> read_at(std::size_t off, std::size_t n) const {
    std::string out(n, '\0');
    for (std::size_t got = 0; got < n;) {
      const ssize_t r = ::pread(fd_, out.data() + got, n - got, static_cast<off_t>(off + got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return sys_error(path_, "cannot read", errno);
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    return out;
  }

  int fd_;
  std::string path_;
};

class FileStore final : public Store {
 public:
  explicit FileStore(std::string root) : root_(std::move(root)) {}

  std::string describe() const override { return root_; }
  std::string where(std::string_view key) const override { return fmt::format("{}/{}", root_, key); }

  Result<std::optional<Value>> get(std::string_view key, std::size_t limit) const override {
    TRY(check_key(key));
    // Every directory between the root and the file must be private too.
    for (std::size_t slash = key.find('/'); slash != std::string_view::npos; slash = key.find('/', slash + 1)) {
      const std::string dir = where(key.substr(0, slash));
      struct stat st {};
      if (::lstat(dir.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) return std::optional<Value>();
        return sys_error(dir, "cannot access", errno);
      }
      TRY(fs::check_private(st, dir));
    }
    struct stat st {};
    auto data = fs::read_private_file(where(key), limit, &st);
    if (!data) {
      if (data.error().category() == Category::NotFound) return std::optional<Value>();
      return std::move(data).error();
    }
    return std::optional<Value>(Value{std::move(*data), revision_of(st)});
  }

  Result<std::vector<Listed>> list(std::string_view prefix, std::string_view leaf) const override {
    std::vector<Listed> out;
    const std::string dir = prefix.empty() ? root_ : where(prefix.substr(0, prefix.size() - 1));
    if (leaf.empty()) {
      walk(dir, std::string(prefix), out);
    } else {
      DIR* d = ::opendir(dir.c_str());
      if (!d) return out;
      while (const dirent* e = ::readdir(d)) {
        const std::string_view n = e->d_name;
        if (n.empty() || n[0] == '.' || !valid_key(n)) continue;
        const std::string key = fmt::format("{}{}/{}", prefix, n, leaf);
        const std::string path = where(key);
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0) continue;  // a directory without it (e.g. half-deleted)
        // A linked directory or a file open to others: listed, but only get() may say why.
        const bool safe = e->d_type != DT_LNK && fs::check_private(st, path).ok();
        out.push_back(Listed{key, safe ? revision_of(st) : 0});
      }
      ::closedir(d);
    }
    std::sort(out.begin(), out.end(), [](const Listed& a, const Listed& b) { return a.key < b.key; });
    return out;
  }

  Result<Revision> apply(const Change& change) override {
    for (const auto& op : change.ops) TRY(check_key(op.key));
    for (const auto& op : change.after) TRY(check_key(op.key));
    if (change.commit_point) TRY(check_key(change.commit_point->key));
    if (change.fence && !dynamic_cast<const FileLease*>(change.fence))
      return Error(Category::Internal, change.fence->name(), "a lease of another store");
    if (const auto& cp = change.commit_point; cp && cp->expected && current_revision(where(cp->key)) != *cp->expected)
      return Error(Category::State, where(cp->key), "changed since it was read; run the command again");
    TRY(run(change.ops));
    Revision r = 0;
    if (change.commit_point) {
      const std::string path = where(change.commit_point->key);
      TRY(fs::make_dirs(fs::dirname(path), 0700));
      TRY(fs::write_file_atomic(path, change.commit_point->data));
      tidy(fs::dirname(path));
      r = current_revision(path);
    }
    TRY(run(change.after));
    return r;
  }

  /// The ops in order; the directories the puts wrote into are synced once each at the end
  /// (so before a commit point is written), not once per file.
  Status run(const std::vector<Change::Op>& ops) const {
    std::vector<std::string> written_dirs;
    for (const auto& op : ops) {
      const std::string path = where(op.key);
      if (op.kind == Change::Op::Kind::Put) {
        std::string dir = fs::dirname(path);
        TRY(fs::make_dirs(dir, 0700));
        TRY(fs::write_file_atomic_unsynced(path, op.data));
        if (std::find(written_dirs.begin(), written_dirs.end(), dir) == written_dirs.end())
          written_dirs.push_back(std::move(dir));
      } else {
        TRY(fs::remove_tree(path));
      }
    }
    for (const auto& dir : written_dirs) TRY(fs::sync_dir(dir));
    return ok();
  }

  Status update_log(std::string_view key, const LogUpdate& update) override {
    TRY(check_key(key));
    const std::string path = where(key);
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return sys_error(path, "cannot open for append", errno);
    while (::flock(fd.get(), LOCK_EX) != 0)
      if (errno != EINTR) return sys_error(path, "cannot lock", errno);
    FileLogView view(fd.get(), path);
    TRY_ASSIGN(std::optional<LogAppend> add, update(view));
    if (!add) return ok();
    TRY_ASSIGN(const bool torn, view.torn());
    std::string buf = torn ? "\n" : "";
    buf += add->line;
    buf += '\n';
    for (std::size_t done = 0; done < buf.size();) {
      const ssize_t w = ::write(fd.get(), buf.data() + done, buf.size() - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return sys_error(path, "cannot write", errno);
      done += static_cast<std::size_t>(w);
    }
    if (::fsync(fd.get()) != 0) return sys_error(path, "cannot sync", errno);
    if (add->then_put) TRY(put(add->then_put->first, add->then_put->second));
    return ok();
  }

  Result<std::unique_ptr<Held>> lock(std::string_view name, std::chrono::milliseconds wait) override {
    const std::string path = where(name);
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return sys_error(path, "cannot open the lock file", errno);
    if (wait == std::chrono::milliseconds::max()) {
      while (::flock(fd.get(), LOCK_EX) != 0)
        if (errno != EINTR) return sys_error(path, "cannot lock", errno);
      return std::unique_ptr<Held>(std::make_unique<FileHeld>(std::move(fd)));
    }
    // Poll rather than block forever, so a stuck process gives a clear error, not a hang.
    for (std::chrono::milliseconds waited{0};; waited += std::chrono::milliseconds(50)) {
      if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return std::unique_ptr<Held>(std::make_unique<FileHeld>(std::move(fd)));
      if (errno != EWOULDBLOCK && errno != EINTR) return sys_error(path, "cannot lock", errno);
      if (waited >= wait)
        return Error(Category::Vault, root_,
                     fmt::format("locked by another certctl for over {} s; try again later",
                                 std::chrono::duration_cast<std::chrono::seconds>(wait).count()));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  Result<std::optional<std::unique_ptr<Lease>>> lease(std::string_view name, std::chrono::seconds,
                                                      std::string_view) override {
    TRY(check_key(name));
    const std::string path = fmt::format("{}/.leases/{}.lease", root_, name);
    TRY(fs::make_dirs(fs::dirname(path), 0700));
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return sys_error(path, "cannot open the lease file", errno);
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) return std::optional<std::unique_ptr<Lease>>();
      return sys_error(path, "cannot lock", errno);
    }
    char buf[32] = {};
    const ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
    std::uint64_t generation = 0;
    if (n > 0) std::from_chars(buf, buf + n, generation);
    generation += 1;
    const std::string text = std::to_string(generation);
    if (::ftruncate(fd.get(), 0) != 0 || ::pwrite(fd.get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
      return sys_error(path, "cannot write the lease file", errno);
    return std::optional<std::unique_ptr<Lease>>(std::make_unique<FileLease>(std::move(fd), std::string(name), generation));
  }

  void sweep(std::string_view prefix) override {
    fs::sweep_leftovers(prefix.empty() ? root_ : where(prefix.substr(0, prefix.size() - 1)));
  }

 private:
  /// After a commit in `dir`: temp files of killed runs, and empty subdirectories (a directory
  /// holds no key, so an empty one is what a killed run left between mkdir and its first file).
  static void tidy(const std::string& dir) {
    fs::sweep_leftovers(dir);
    DIR* d = ::opendir(dir.c_str());
    if (!d) return;
    std::vector<std::string> subdirs;
    while (const dirent* e = ::readdir(d))
      if (e->d_name[0] != '.' && e->d_type == DT_DIR) subdirs.emplace_back(e->d_name);
    ::closedir(d);
    for (const auto& s : subdirs) (void)::rmdir((dir + "/" + s).c_str());  // fails unless empty
  }

  /// Every regular file below `dir` (hidden names skipped: temp files, deleted trees).
  void walk(const std::string& dir, const std::string& key_prefix, std::vector<Listed>& out) const {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return;
    std::vector<std::pair<std::string, unsigned char>> entries;
    while (const dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') entries.emplace_back(e->d_name, e->d_type);
    ::closedir(d);
    for (const auto& [n, type] : entries) {
      if (!valid_key(n)) continue;
      const std::string path = dir + "/" + n;
      struct stat st {};
      if (::lstat(path.c_str(), &st) != 0) continue;
      if (S_ISDIR(st.st_mode)) {
        walk(path, key_prefix + n + "/", out);
      } else {
        const bool safe = S_ISREG(st.st_mode) && fs::check_private(st, path).ok();
        out.push_back(Listed{key_prefix + n, safe ? revision_of(st) : 0});
      }
    }
  }

  std::string root_;
};

}  // namespace

std::unique_ptr<Store> open_file_store(std::string root) { return std::make_unique<FileStore>(std::move(root)); }

}  // namespace certctl::storage
