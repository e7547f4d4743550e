/// http-01 answered by files under an existing web server's document root:
/// <webroot>/.well-known/acme-challenge/<token> (mode 0644; missing directories are created
/// 0755). cleanup() removes the files and then the directories this solver created.
#include <certctl/challenge.hpp>
#include <certctl/domain.hpp>

#include "challenge/common.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace certctl::challenge {
namespace {

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Error fs_error(const std::string& path, std::string message, int err) {
  return Error(Category::Input, path, std::move(message), errno_text(err));
}

/// Write `data` to `path` (created or truncated, never through a symlink) with mode 0644.
Status write_public_file(const std::string& path, std::string_view data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) return fs_error(path, "cannot write the challenge file", errno);
  // The umask may have narrowed the mode; the web server must be able to read the file.
  if (::fchmod(fd.get(), 0644) != 0) return fs_error(path, "cannot set the challenge file's mode", errno);
  while (!data.empty()) {
    ssize_t w = ::write(fd.get(), data.data(), data.size());
    if (w < 0) {
      if (errno == EINTR) continue;
      return fs_error(path, "cannot write the challenge file", errno);
    }
    data.remove_prefix(static_cast<std::size_t>(w));
  }
  if (!fd.close()) return fs_error(path, "cannot write the challenge file", errno);
  return {};
}

std::string without_trailing_slash(std::string root) {
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return root;
}

class Webroot final : public Solver {
 public:
  Webroot(std::string root, std::map<std::string, std::string> roots) : root_(std::move(root)), roots_(std::move(roots)) {}
  ~Webroot() override { (void)cleanup(); }

  std::string_view type() const override { return "http-01"; }

  Status present(const std::vector<Task>& tasks) override {
    for (const auto& t : tasks) {
      if (!is_base64url(t.token)) {
        return Error(Category::Input, t.identifier.empty() ? std::string("http-01") : t.identifier,
                     "the challenge token contains characters outside base64url");
      }
    }
    for (const auto& t : tasks) {
      auto mapped = roots_.find(t.identifier);
      const std::string& root = mapped != roots_.end() ? mapped->second : root_;
      if (root.empty())
        return Error(Category::Usage, t.identifier,
                     "has no web root: give one for it (--webroot NAME=DIR) or for every name (--webroot DIR)");
      if (!is_directory(root)) return Error(Category::Input, root, "the webroot does not exist or is not a directory");
      const std::string well_known = root + "/.well-known";
      const std::string challenge_dir = well_known + "/acme-challenge";
      TRY(ensure_dir(well_known));
      TRY(ensure_dir(challenge_dir));
      std::string path = challenge_dir + "/" + t.token;
      // Recorded before writing, so a half-written file is removed too.
      if (std::find(files_.begin(), files_.end(), path) == files_.end()) files_.push_back(path);
      TRY(write_public_file(path, t.key_authorization));
    }
    return {};
  }

  Status cleanup() override {
    std::optional<Error> first;
    for (const auto& f : files_) {
      if (::unlink(f.c_str()) != 0 && errno != ENOENT && !first) {
        first = fs_error(f, "cannot remove the challenge file", errno);
      }
    }
    files_.clear();
    // Deepest first; a directory someone else filled in the meantime stays.
    for (auto it = created_dirs_.rbegin(); it != created_dirs_.rend(); ++it) {
      if (::rmdir(it->c_str()) != 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST &&
          !first) {
        first = fs_error(*it, "cannot remove the challenge directory", errno);
      }
    }
    created_dirs_.clear();
    if (first) return *first;
    return {};
  }

 private:
  Status ensure_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) == 0) {
      ::chmod(path.c_str(), 0755);  // undo the umask: the web server must traverse it
      created_dirs_.push_back(path);
      return {};
    }
    if (errno == EEXIST && is_directory(path)) return {};
    return fs_error(path, "cannot create the challenge directory", errno);
  }

  std::string root_;                          ///< for names the map does not list ("" = none)
  std::map<std::string, std::string> roots_;  ///< name -> its own web root
  std::vector<std::string> files_;
  std::vector<std::string> created_dirs_;
};

}  // namespace

Result<std::map<std::string, std::string>> parse_webroot_map(const std::vector<std::string>& entries) {
  std::map<std::string, std::string> out;
  for (const auto& e : entries) {
    const auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0)
      return Error(Category::Usage, "--webroot", fmt::format("'{}' is neither a directory nor NAME=DIR", e));
    TRY_ASSIGN(domain::Identifier id, domain::parse(e.substr(0, eq)));
    if (id.wildcard()) return Error(Category::Usage, "--webroot", fmt::format("'{}': http-01 cannot validate a wildcard", e));
    std::string dir = e.substr(eq + 1);
    if (dir.empty() || dir.front() != '/')
      return Error(Category::Usage, "--webroot", fmt::format("'{}': the directory must be an absolute path", e));
    if (!out.emplace(id.value, without_trailing_slash(std::move(dir))).second)
      return Error(Category::Usage, "--webroot", fmt::format("'{}' is given two web roots", id.value));
  }
  return out;
}

Result<std::unique_ptr<Solver>> make_webroot(const std::string& webroot, const std::vector<std::string>& map) {
  TRY_ASSIGN(auto roots, parse_webroot_map(map));
  if (webroot.empty() && roots.empty()) return Error(Category::Input, "webroot", "no webroot directory given");
  if (!webroot.empty() && !is_directory(webroot)) {
    return Error(Category::Input, webroot, "the webroot does not exist or is not a directory");
  }
  for (const auto& [name, dir] : roots)
    if (!is_directory(dir)) return Error(Category::Input, dir, fmt::format("the webroot of {} does not exist or is not a directory", name));
  return std::unique_ptr<Solver>(
      std::make_unique<Webroot>(webroot.empty() ? std::string() : without_trailing_slash(webroot), std::move(roots)));
}

}  // namespace certctl::challenge
