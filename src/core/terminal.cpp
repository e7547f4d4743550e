#include <certctl/terminal.hpp>
#include <certctl/unique_fd.hpp>

#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <termios.h>
#include <unistd.h>

namespace certctl::term {

bool is_tty(int fd) { return ::isatty(fd) == 1; }

bool use_color(int fd) {
  if (const char* force = std::getenv("CLICOLOR_FORCE"); force && *force && std::strcmp(force, "0") != 0)
    return true;
  if (const char* no = std::getenv("NO_COLOR"); no && *no) return false;
  const char* t = std::getenv("TERM");
  if (t && std::strcmp(t, "dumb") == 0) return false;
  return is_tty(fd);
}

namespace {

UniqueFd open_tty() { return UniqueFd(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)); }

void write_str(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t w = ::write(fd, s.data(), s.size());
    if (w <= 0) return;
    s.remove_prefix(static_cast<std::size_t>(w));
  }
}

/// Read one line from the tty into a SecretBytes, byte by byte, so no std::string copy of it
/// is left behind.
SecretBytes read_line(int fd) {
  SecretBytes out;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n') out.append(std::string_view(&c, 1));
  c = 0;
  out.trim_newline();
  return out;
}

}  // namespace

Result<SecretBytes> prompt_secret(std::string_view prompt, std::string_view what) {
  if (!is_tty(STDIN_FILENO)) {
    return Error(Category::Usage, std::string(what),
                 "needed but there is no terminal to ask on: set CERTCTL_PASSPHRASE_FILE or use "
                 "--passphrase-file");
  }
  UniqueFd tty = open_tty();
  if (!tty) return Error(Category::Usage, std::string(what), "cannot open /dev/tty to ask for it");
  termios old{};
  bool restore = ::tcgetattr(tty.get(), &old) == 0;
  if (restore) {
    termios noecho = old;
    noecho.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    noecho.c_lflag |= ECHONL;
    ::tcsetattr(tty.get(), TCSAFLUSH, &noecho);
  }
  write_str(tty.get(), prompt);
  SecretBytes s = read_line(tty.get());
  if (restore) ::tcsetattr(tty.get(), TCSAFLUSH, &old);
  return s;
}

Status confirm(std::string_view prompt, std::string_view subject) {
  if (!is_tty(STDIN_FILENO))
    return Error(Category::Aborted, std::string(subject),
                 "confirmation needed but there is no terminal: pass --yes");
  UniqueFd tty = open_tty();
  if (!tty) return Error(Category::Aborted, std::string(subject), "cannot open /dev/tty: pass --yes");
  write_str(tty.get(), std::string(prompt) + " [y/N] ");
  std::string answer;
  char c;
  while (::read(tty.get(), &c, 1) == 1 && c != '\n') answer += c;
  if (answer == "y" || answer == "Y" || answer == "yes" || answer == "YES")
    return ok();
  return Error(Category::Aborted, std::string(subject), "not confirmed; nothing changed");
}

}  // namespace certctl::term
