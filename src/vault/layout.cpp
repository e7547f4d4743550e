#include <certctl/fs.hpp>
#include <certctl/vault.hpp>

#include <cstdlib>
#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>

namespace certctl::vault {

std::string Layout::record_dir(std::string_view name) { return fmt::format("certs/{}", name); }
std::string Layout::record_file(std::string_view name) { return fmt::format("certs/{}/record.toml", name); }
std::string Layout::version_dir(std::string_view name, int version) { return fmt::format("certs/{}/v{}", name, version); }
std::string Layout::version_file(std::string_view name, int version, std::string_view file) {
  return fmt::format("certs/{}/v{}/{}", name, version, file);
}
std::string Layout::ca_file(std::string_view ca, std::string_view file) { return fmt::format("ca/{}/{}", ca, file); }
std::string Layout::config_file(std::string_view kind, std::string_view name) {
  return fmt::format("{}/{}.toml", kind, name);
}

Result<std::string> resolve_dir(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("CERTCTL_VAULT"); env && *env) return std::string(env);
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return fs::join(xdg, "certctl");
  const char* home = std::getenv("HOME");
  if (!home || !*home) {
    const passwd* pw = ::getpwuid(::getuid());
    if (!pw || !pw->pw_dir)
      return Error(Category::Config, "vault", "no --vault, CERTCTL_VAULT or HOME to find it");
    home = pw->pw_dir;
  }
  return fs::join(home, ".local/share/certctl");
}

std::string host_name() {
  if (const char* h = std::getenv("CERTCTL_HOST"); h && *h) return h;
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) == 0 && buf[0]) return buf;
  return "localhost";
}

std::string current_user() {
  if (const char* u = std::getenv("USER"); u && *u) return u;
  if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_name) return pw->pw_name;
  return std::to_string(::getuid());
}

}  // namespace certctl::vault
