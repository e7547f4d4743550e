#include "cli/common.hpp"

#include <certctl/terminal.hpp>
#include <fmt/format.h>
#include <certctl/fs.hpp>

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace certctl::cli {

lifecycle::UnlockOptions unlock_options(const Globals& g) {
  return lifecycle::UnlockOptions{g.passphrase_file, g.key_file};
}

Result<SystemClock> make_clock() { return SystemClock::from_environment(); }

Result<Session> open_session(const Globals& g) {
  TRY_ASSIGN(SystemClock clock, make_clock());
  TRY_ASSIGN(std::string dir, vault::resolve_dir(g.vault_dir));
  TRY_ASSIGN(vault::Vault v, vault::Vault::open(dir));
  return Session{std::move(v), clock};
}

Result<Session> open_unlocked(const Globals& g) {
  TRY_ASSIGN(Session s, open_session(g));
  TRY(lifecycle::unlock(s.vault, unlock_options(g)));
  return s;
}

void print_out(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!text.empty() && text.back() != '\n') std::fputc('\n', stdout);
}

void note(const Globals& g, std::string_view text) {
  if (g.quiet) return;
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fputc('\n', stderr);
}

Result<std::vector<vault::Record>> load_readable(const Session& s, Unreadable& unreadable) {
  TRY_ASSIGN(auto records, s.vault.load_all(&unreadable.errors));
  for (const Error& e : unreadable.errors) {
    const std::string dir = fs::dirname(e.subject());  // <vault>/certs/NAME/record.toml
    unreadable.names.push_back(dir.substr(dir.rfind('/') + 1));
  }
  return records;
}

void report_skipped(Globals& g, const Unreadable& unreadable) {
  if (unreadable.errors.empty()) return;
  std::vector<std::string> reasons;
  for (const Error& e : unreadable.errors) reasons.push_back(e.text());
  const Error e(Category::Vault, fmt::format("{}", fmt::join(unreadable.names, ", ")),
                fmt::format("{} unreadable record(s) skipped", unreadable.names.size()),
                fmt::format("{}", fmt::join(reasons, "; ")));
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
  return [](std::string_view line) {
    // One line, rewritten in place; the next note starts on a fresh line.
    std::fprintf(stderr, "\r\033[Kdns-01: %.*s", static_cast<int>(line.size()), line.data());
    if (line.find("propagated") != std::string_view::npos) std::fputc('\n', stderr);
    std::fflush(stderr);
  };
}

bool color_stdout(const Globals& g) { return !g.no_color && term::use_color(STDOUT_FILENO); }

}  // namespace certctl::cli
