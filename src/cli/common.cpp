#include "cli/common.hpp"

#include <certctl/terminal.hpp>
#include <fmt/format.h>
#include <certctl/fs.hpp>
#include <certctl/pg_store.hpp>
#include <certctl/trace.hpp>
#include <certctl/unique_fd.hpp>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <unistd.h>

namespace certctl::cli {

lifecycle::UnlockOptions unlock_options(const Globals& g) {
  return lifecycle::UnlockOptions{g.passphrase_file, g.key_file};
}

Result<SystemClock> make_clock() { return SystemClock::from_environment(); }

namespace {

/// --vault-schema, else $CERTCTL_VAULT_SCHEMA, else "certctl".
std::string vault_schema(const Globals& g) {
  if (!g.vault_schema.empty()) return g.vault_schema;
  const char* env = std::getenv("CERTCTL_VAULT_SCHEMA");
  return env && *env ? env : "certctl";
}

}  // namespace

Result<std::string> host_of(const Globals& g) {
  const std::string host = g.host.empty() ? vault::host_name() : g.host;
  const bool ok = !host.empty() && host.size() <= 253 && host.front() != '-' &&
                  host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
                      std::string::npos;
  if (!ok) return Error(Category::Usage, g.host.empty() ? "CERTCTL_HOST" : "--host", "not a host name (letters, digits, '_', '.', '-')");
  return host;
}

Result<std::shared_ptr<storage::Store>> open_store(const Globals& g, bool create) {
  TRY_ASSIGN(std::string where, vault::resolve_dir(g.vault_dir));
  if (storage::is_pg_url(where)) return open_store_at(where, vault_schema(g), create);
  return std::shared_ptr<storage::Store>();  // a directory: Vault::open/create check it first
}

Result<std::shared_ptr<storage::Store>> open_store_at(const std::string& where, const std::string& schema, bool create) {
  if (storage::is_pg_url(where)) {
    TRY_ASSIGN(std::unique_ptr<storage::Store> pg, storage::open_pg_store(where, storage::PgOptions{schema, create}));
    return std::shared_ptr<storage::Store>(std::move(pg));
  }
  if (!fs::exists(where)) {
    if (!create) return Error(Category::Vault, where, "no vault here; create one with `certctl init`");
    TRY(fs::make_dirs(where, 0700));
  }
  TRY(fs::check_private_dir(where));
  return std::shared_ptr<storage::Store>(storage::open_file_store(where));
}

Result<Session> open_session(const Globals& g) {
  TRY_ASSIGN(SystemClock clock, make_clock());
  TRY_ASSIGN(std::string host, host_of(g));
  TRY_ASSIGN(std::shared_ptr<storage::Store> store, open_store(g, false));
  Result<vault::Vault> v = Error(Category::Internal, "vault", "not opened");
  if (store) {
    v = vault::Vault::open(std::move(store));
  } else {
    TRY_ASSIGN(std::string dir, vault::resolve_dir(g.vault_dir));
    v = vault::Vault::open(dir);
  }
  if (!v) return std::move(v).error();
  v->set_host(std::move(host));
  return Session{std::move(*v), clock};
}

Result<Session> open_unlocked(const Globals& g) {
  TRY_ASSIGN(Session s, open_session(g));
  TRY(lifecycle::unlock(s.vault, unlock_options(g)));
  return s;
}

namespace {

/// --responder-user, else CERTCTL_RESPONDER_USER, else nobody; a user name's characters only.
Result<std::string> responder_user(const Globals& g) {
  std::string user = g.responder_user, what = "--responder-user";
  if (user.empty()) {
    const char* env = std::getenv(challenge::kResponderUserEnv);
    user = env && *env ? env : "nobody";
    what = challenge::kResponderUserEnv;
  }
  const bool ok = !user.empty() && user.size() <= 32 && user.front() != '-' &&
                  user.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
                      std::string::npos;
  if (!ok) return Error(Category::Usage, what, "not a user name (letters, digits, '_', '.', '-'; at most 32)");
  return user;
}

}  // namespace

Result<std::shared_ptr<challenge::Responders>> start_responders(const Globals& g,
                                                                const std::vector<challenge::Endpoint>& endpoints) {
  TRY_ASSIGN(std::string user, responder_user(g));
  if (endpoints.empty()) return std::shared_ptr<challenge::Responders>();
  return challenge::Responders::spawn(endpoints, user);
}

namespace {

/// A progress line is open on stderr (written without its newline).
std::atomic<bool> g_progress_open{false};

/// The log file's descriptor, kept for the process's life (the sink may run until exit).
UniqueFd g_log_fd;

void write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk does not stop the run
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

Status install_trace(const Globals& g) {
  trace::Level level = g.debug ? trace::Level::Debug : trace::Level::Steps;
  if (g.log_file.empty()) {
    if (!g.debug && !g.verbose) return ok();
    trace::install(level, [](trace::Level, std::string_view line) {
      clear_progress();
      // The line is redacted and printable already (trace::redact).
      std::fwrite(line.data(), 1, line.size(), stderr);
      std::fputc('\n', stderr);
      std::fflush(stderr);
    });
    return ok();
  }
  g_log_fd = UniqueFd(::open(g.log_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600));
  if (!g_log_fd) return Error(Category::Config, g.log_file, "cannot open the log file", std::strerror(errno));
  trace::install(level, [](trace::Level l, std::string_view line) {
    // One entry: the time (UTC), the process, the level, then the line(s).
    char when[32];
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    write_all(g_log_fd.get(), fmt::format("{} certctl[{}] {}: {}\n", when, ::getpid(),
                                          l == trace::Level::Debug ? "debug" : "step", line));
  });
  return ok();
}

void clear_progress() {
  if (g_progress_open.exchange(false)) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }
}

void show_progress(const Globals& g, std::string_view line) {
  if (g.quiet || !term::is_tty(STDERR_FILENO)) return;
  const std::string text = "\r\033[K" + printable(line);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
  g_progress_open = true;
}

void print_out(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!text.empty() && text.back() != '\n') std::fputc('\n', stdout);
}

void Session::warn_policy(const Error& e) {
  clear_progress();
  const std::string line = "certctl: warning: " + e.text() + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void note(const Globals& g, std::string_view text) {
  if (g.quiet) return;
  clear_progress();
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fputc('\n', stderr);
}

std::string unreadable_names(const std::vector<vault::UnreadableRecord>& unreadable) {
  std::string out;
  for (const auto& u : unreadable) out += (out.empty() ? "" : ", ") + u.name;
  return out;
}

void report_skipped(Globals& g, const std::vector<vault::UnreadableRecord>& unreadable) {
  if (unreadable.empty()) return;
  std::string reasons;
  for (const auto& u : unreadable) reasons += (reasons.empty() ? "" : "; ") + u.error.text();
  const Error e(Category::Vault, unreadable_names(unreadable),
                fmt::format("{} unreadable record(s) skipped", unreadable.size()), reasons);
  const std::string line = fmt::format("certctl: {}\n", e.text());
  std::fwrite(line.data(), 1, line.size(), stderr);
  g.exit_override = e.exit_code();
}

Result<std::optional<dns::Server>> dns_resolver(const Globals& g) {
  std::string text = g.dns_resolver;
  std::string what = "--dns-resolver";
  if (text.empty()) {
    const char* env = std::getenv("CERTCTL_DNS_RESOLVER");
    if (!env || !*env) return std::optional<dns::Server>();
    text = env;
    what = "CERTCTL_DNS_RESOLVER";
  }
  TRY_ASSIGN(dns::Server s, dns::parse_server(text, what));
  return std::optional<dns::Server>(std::move(s));
}

dns::Progress dns_progress(const Globals& g) {
  if (g.quiet || !term::is_tty(STDERR_FILENO)) return {};
  return [&g](std::string_view line) {
    // One line, rewritten in place; cleared (an empty line) before an error, kept when done.
    if (line.empty()) return clear_progress();
    show_progress(g, fmt::format("dns-01: {}", line));
    if (line.find("propagated") != std::string_view::npos) {
      std::fputc('\n', stderr);
      g_progress_open = false;
    }
  };
}

bool color_stdout(const Globals& g) { return !g.no_color && term::use_color(STDOUT_FILENO); }

}  // namespace certctl::cli
