// Where unlock secrets come from. Never from argv: a file, the environment, or the TTY.
#include <certctl/crypto.hpp>
#include <certctl/fs.hpp>
#include <certctl/lifecycle.hpp>
#include <certctl/terminal.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

namespace certctl::lifecycle {
namespace {

const char* env_or_null(const char* name) {
  if (!name || !*name) return nullptr;
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
}

Result<SecretBytes> read_passphrase_file(const std::string& path) {
  TRY_ASSIGN(SecretBytes s, fs::read_secret_file(path));
  s.trim_newline();
  if (s.empty()) return Error(Category::Input, path, "passphrase file is empty");
  return s;
}

Result<vault::UnlockSecret> key_file_secret(const std::string& path) {
  TRY_ASSIGN(SecretBytes s, fs::read_secret_file(path));
  if (s.size() < 32) return Error(Category::Input, path, "key file must hold at least 32 bytes");
  return vault::UnlockSecret{vault::UnlockSecret::Kind::KeyFile, std::move(s)};
}

/// Passphrase from (in order) the file option, the passphrase variable, the file variable.
/// nullopt when none is set.
Result<std::optional<SecretBytes>> passphrase_from_sources(const UnlockOptions& opts, const SecretEnv& env) {
  if (!opts.passphrase_file.empty()) {
    TRY_ASSIGN(SecretBytes s, read_passphrase_file(opts.passphrase_file));
    return std::optional<SecretBytes>(std::move(s));
  }
  if (const char* p = env_or_null(env.passphrase)) return std::optional<SecretBytes>(SecretBytes::from(p));
  if (const char* f = env_or_null(env.passphrase_file)) {
    TRY_ASSIGN(SecretBytes s, read_passphrase_file(f));
    return std::optional<SecretBytes>(std::move(s));
  }
  return std::optional<SecretBytes>();
}

}  // namespace

Result<vault::UnlockSecret> read_new_secret(const UnlockOptions& opts, const SecretEnv& env) {
  std::string key_file = opts.key_file;
  if (key_file.empty() && opts.passphrase_file.empty())
    if (const char* k = env_or_null(env.key_file)) key_file = k;
  if (!key_file.empty()) return key_file_secret(key_file);

  TRY_ASSIGN(auto from_sources, passphrase_from_sources(opts, env));
  if (from_sources) return vault::UnlockSecret{vault::UnlockSecret::Kind::Passphrase, std::move(*from_sources)};

  TRY_ASSIGN(SecretBytes first, term::prompt_secret("New vault passphrase: ", "passphrase"));
  if (first.size() < 8) return Error(Category::Usage, "passphrase", "must be at least 8 characters");
  TRY_ASSIGN(SecretBytes second, term::prompt_secret("Repeat the passphrase: ", "passphrase"));
  if (!constant_time_equal(first, second))
    return Error(Category::Usage, "passphrase", "the two entries differ; nothing changed");
  return vault::UnlockSecret{vault::UnlockSecret::Kind::Passphrase, std::move(first)};
}

namespace {

/// $CREDENTIALS_DIRECTORY/<name> (systemd's LoadCredential=) when the variable is set and the
/// file exists; else "".
std::string credential(const char* name) {
  const char* dir = env_or_null("CREDENTIALS_DIRECTORY");
  if (!dir) return {};
  std::string path = fmt::format("{}/{}", dir, name);
  return fs::exists(path) ? path : std::string();
}

/// The secret that unlocks `vault`, from (in order) the options, the environment, a systemd
/// credential, or (when `prompt`) the terminal; nullopt when none is set and !prompt.
Result<std::optional<vault::UnlockSecret>> unlock_secret(const vault::Vault& vault, const UnlockOptions& opts,
                                                         bool prompt) {
  using Kind = vault::UnlockSecret::Kind;
  if (vault.unlock_kind() == Kind::KeyFile) {
    std::string path = opts.key_file;
    if (path.empty())
      if (const char* k = env_or_null("CERTCTL_KEY_FILE")) path = k;
    if (path.empty()) path = credential(kKeyCredential);
    if (path.empty())
      return Error(Category::Vault, vault.describe(),
                   "this vault is unlocked with a key file: pass --key-file, set CERTCTL_KEY_FILE or give "
                   "a systemd credential certctl.key");
    TRY_ASSIGN(vault::UnlockSecret secret, key_file_secret(path));
    return std::optional<vault::UnlockSecret>(std::move(secret));
  }
  if (!opts.key_file.empty())
    return Error(Category::Vault, vault.describe(),
                 "this vault is unlocked with a passphrase, not a key file: drop --key-file");
  TRY_ASSIGN(auto from_sources, passphrase_from_sources(opts, SecretEnv{}));
  if (!from_sources) {
    if (std::string path = credential(kPassphraseCredential); !path.empty()) {
      TRY_ASSIGN(SecretBytes s, read_passphrase_file(path));
      from_sources = std::move(s);
    }
  }
  if (!from_sources) {
    if (!prompt) return std::optional<vault::UnlockSecret>();
    TRY_ASSIGN(SecretBytes typed, term::prompt_secret("Vault passphrase: ", "passphrase"));
    from_sources = std::move(typed);
  }
  return std::optional<vault::UnlockSecret>(vault::UnlockSecret{Kind::Passphrase, std::move(*from_sources)});
}

}  // namespace

Status unlock(vault::Vault& vault, const UnlockOptions& opts) {
  if (vault.unlocked()) return ok();
  TRY_ASSIGN(auto secret, unlock_secret(vault, opts, /*prompt=*/true));
  return vault.unlock(*secret);
}

Status check_unlock_source(const vault::Vault& vault, const UnlockOptions& opts) {
  if (vault.unlocked()) return ok();
  TRY_ASSIGN(auto secret, unlock_secret(vault, opts, /*prompt=*/false));
  // No file, variable or credential: the terminal is the source, so there must be one.
  if (!secret && !term::is_tty(STDIN_FILENO))
    return Error(Category::Usage, "passphrase",
                 "needed to unlock the vault, and there is no terminal to ask on: set CERTCTL_PASSPHRASE_FILE, use "
                 "--passphrase-file, or give a systemd credential certctl.passphrase");
  return ok();
}

Status generate_key_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return Error(errno == EEXIST ? Category::State : Category::Input, path,
                 errno == EEXIST ? "exists already; not overwriting a key file" : "cannot create",
                 errno == EEXIST ? "" : std::strerror(errno));
  SecretBytes key = crypto::random_secret(32);
  const bool good = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!good) {
    ::unlink(path.c_str());
    return Error(Category::Input, path, "cannot write the key file");
  }
  return ok();
}

}  // namespace certctl::lifecycle
