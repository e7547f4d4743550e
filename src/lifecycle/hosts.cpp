// Hosts and their keys (agents hold only their own keys): the registry of hosts, named configs
// of kind "hosts" holding each host's X25519 public key, and `agent enroll`, which makes the
// key pair on the host itself.
#include <certctl/device_seal.hpp>
#include <certctl/fs.hpp>
#include <certctl/lifecycle.hpp>
#include <certctl/unique_fd.hpp>

#include "lifecycle/config_table.hpp"
#include "lifecycle/internal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <pwd.h>

#include <fmt/format.h>

namespace certctl::lifecycle {
namespace {

constexpr std::string_view kKind = "hosts";
constexpr std::string_view kType = "x25519";

std::string who(std::string_view name) { return fmt::format("host '{}'", name); }

Result<HostInfo> host_of(const vault::NamedConfig& c) {
  HostInfo h;
  h.name = c.name;
  h.created = c.created;
  const std::string subject = who(c.name);
  if (c.type != kType) return Error(Category::Config, subject, fmt::format("unknown key type '{}'", c.type));
  TRY(detail::from_options(host_options(), c.options, h, subject));
  TRY_ASSIGN(h.key, crypto::parse_host_public_key(h.public_key, subject));
  return h;
}

Status validate_labels(const std::vector<std::string>& labels) {
  for (const auto& l : labels) {
    Status st = vault::validate_name(l);
    if (!st) return Error(Category::Usage, "--labels", fmt::format("'{}': {}", l, st.error().message()));
  }
  return ok();
}

/// The directory the key goes into: made with mode 0700 when missing; an existing one must be
/// a directory no other user can read or write.
Status prepare_key_dir(const std::string& dir) {
  if (!fs::is_dir(dir)) {
    Status made = fs::make_dirs(dir, 0700);
    if (!made) return made.error().with_category(Category::Input);
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Error(Category::Input, dir, "not a directory");
  if (st.st_uid != ::geteuid())
    return Error(Category::Input, dir, "owned by another user; the host key needs a directory of its own");
  if (st.st_mode & 077)
    return Error(Category::Input, dir,
                 fmt::format("open to other users (mode {:04o}); the host key needs a directory of mode 0700 "
                             "(chmod 700 it)",
                             st.st_mode & 07777));
  return ok();
}

/// Create `path` (never an existing one) with mode 0600 and write `data`; a failure leaves no file.
Status write_new_key(const std::string& path, const SecretBytes& data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) {
    if (errno == EEXIST)
      return Error(Category::State, path, "a host key exists already; not overwriting it (--force replaces it)");
    return Error(Category::Input, path, "cannot create", std::strerror(errno));
  }
  bool good = ::fchmod(fd.get(), 0600) == 0;
  for (std::size_t done = 0; good && done < data.size();) {
    const ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    good = n > 0;
    if (good) done += static_cast<std::size_t>(n);
  }
  good = good && ::fsync(fd.get()) == 0;
  const int err = errno;
  fd.close();
  if (!good) {
    ::unlink(path.c_str());
    return Error(Category::Input, path, "cannot write the host key", std::strerror(err));
  }
  return fs::sync_dir(fs::dirname(path));
}

}  // namespace

const ConfigTable<HostInfo>& host_options() {
  using T = HostInfo;
  static const ConfigTable<T> kOptions = {
      {"public_key", "public-key", "public_key", &T::public_key, true, false,
       "the host's X25519 public key (certctl-host-x25519:...)"},
      {"labels", "labels", "labels", &T::labels, false, false, "labels, comma-separated"},
  };
  return kOptions;
}

Status host_add(Context ctx, const std::string& name, std::string_view public_key_text,
                const std::vector<std::string>& labels, std::string_view source) {
  TRY(vault::validate_name(name));
  TRY(validate_labels(labels));
  TRY_ASSIGN(crypto::HostPublicKey key, crypto::parse_host_public_key(public_key_text, source));
  HostInfo h;
  h.name = name;
  h.public_key = key.text();
  h.labels = labels;
  vault::NamedConfig c;
  c.name = name;
  c.type = std::string(kType);
  c.created = ctx.clock.now();
  detail::to_options(host_options(), h, c.options);

  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  (void)lock;
  auto there = vault::load_config(ctx.vault, kKind, name);
  if (there)
    return Error(Category::State, who(name),
                 "exists already; `certctl host remove` it first to register a new key");
  if (there.error().category() != Category::NotFound) return there.error();
  TRY(vault::save_config(ctx.vault, kKind, c));
  return detail::audit(ctx, "host-add", name, {{"public_key", h.public_key}});
}

Result<std::vector<HostInfo>> host_list(Context ctx) { return detail::load_all(ctx.vault, kKind, &host_of); }

Result<HostInfo> host_get(Context ctx, const std::string& name) {
  auto c = detail::load_named_config(ctx, kKind, name);
  if (!c) {
    if (c.error().category() == Category::NotFound) return Error(Category::NotFound, who(name), "no such host");
    return c.error();
  }
  return host_of(*c);
}

Result<std::vector<crypto::HostPublicKey>> host_keys(Context ctx, const std::vector<std::string>& names) {
  std::vector<crypto::HostPublicKey> out;
  out.reserve(names.size());
  for (const auto& n : names) {
    TRY_ASSIGN(HostInfo h, host_get(ctx, n));
    out.push_back(std::move(h.key));
  }
  return out;
}

Status host_remove(Context ctx, const std::string& name) {
  Status st = detail::remove_named_config(ctx, kKind, name, "host-remove");
  if (!st && st.error().category() == Category::NotFound) return Error(Category::NotFound, who(name), "no such host");
  TRY(st);
  // Every copy sealed to it goes: an unregistered host is named by no one.
  TRY_ASSIGN(DeviceKeySync sync, sync_device_keys(ctx));
  (void)sync;
  return ok();
}

Result<std::string> default_agent_key_file() {
  if (::geteuid() == 0) return std::string("/var/lib/certctl/agent/host.key");
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg) return fs::join(xdg, "certctl/agent/host.key");
  const char* home = std::getenv("HOME");
  if (!home || !*home) {
    const passwd* pw = ::getpwuid(::getuid());
    if (!pw || !pw->pw_dir)
      return Error(Category::Config, "agent enroll", "no --key-file, XDG_STATE_HOME or HOME to put the host key in");
    home = pw->pw_dir;
  }
  return fs::join(home, ".local/state/certctl/agent/host.key");
}

Result<crypto::HostPublicKey> agent_enroll(const std::string& key_file, bool force) {
  if (key_file.empty() || key_file.back() == '/')
    return Error(Category::Usage, "--key-file", fmt::format("'{}' is not a file name", key_file));
  TRY(prepare_key_dir(fs::dirname(key_file)));
  struct stat st {};
  const bool exists = ::lstat(key_file.c_str(), &st) == 0;
  if (exists && !force)
    return Error(Category::State, key_file, "a host key exists already; not overwriting it (--force replaces it)");
  if (exists && !S_ISREG(st.st_mode))
    return Error(Category::Input, key_file, "not a regular file; not replacing it");
  TRY_ASSIGN(crypto::HostKeyPair pair, crypto::generate_host_key());
  TRY_ASSIGN(SecretBytes pem, crypto::host_private_key_pem(pair.private_key));
  if (exists) {
    TRY(fs::write_user_file(key_file, pem.view(), 0600));
  } else {
    TRY(write_new_key(key_file, pem));
  }
  return std::move(pair.public_key);
}

}  // namespace certctl::lifecycle
