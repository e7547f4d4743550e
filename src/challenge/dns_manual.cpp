/// dns-01 by hand: print the TXT records to create (stderr) and wait for Enter on the terminal.
/// Without a terminal on stdin it fails at once rather than hanging a cron job.
#include <certctl/challenge.hpp>
#include <certctl/interrupt.hpp>
#include <certctl/crypto.hpp>
#include <certctl/terminal.hpp>

#include "challenge/common.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

namespace certctl::challenge {
namespace {

constexpr int kSuggestedTtl = 60;

Error no_terminal() {
  return Error(Category::Usage, "dns-manual",
               "the manual DNS provider needs a terminal to wait for you on; use a DNS provider or "
               "an exec hook for unattended runs");
}

void write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t w = ::write(fd, s.data(), s.size());
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    s.remove_prefix(static_cast<std::size_t>(w));
  }
}

struct Record {
  std::string fqdn;   ///< with the trailing dot
  std::string value;
};

std::string zone_line(const Record& r) {
  return r.fqdn + " " + std::to_string(kSuggestedTtl) + " IN TXT \"" + r.value + "\"";
}

class DnsManual final : public Solver {
 public:
  std::string_view type() const override { return "dns-01"; }

  Status present(const std::vector<Task>& tasks) override {
    if (!term::is_tty(STDIN_FILENO)) return no_terminal();
    std::vector<Record> records;
    for (const auto& t : tasks) {
      Record r;
      r.value = t.dns_value.empty() ? crypto::base64url_encode(crypto::sha256(t.key_authorization))
                                    : t.dns_value;
      r.fqdn = t.fqdn.empty() ? "_acme-challenge." + t.identifier + "." : t.fqdn;
      if (r.fqdn.back() != '.') r.fqdn += '.';
      if (!is_dns_name(r.fqdn) || !is_base64url(r.value)) {
        return Error(Category::Input, t.identifier, "unexpected characters in the dns-01 record");
      }
      records.push_back(std::move(r));
    }
    UniqueFd tty(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY));
    if (!tty) return no_terminal();

    std::string msg = records.size() == 1 ? "Create this DNS TXT record:\n\n"
                                          : "Create these DNS TXT records (all of them):\n\n";
    for (const auto& r : records) msg += "  " + zone_line(r) + "\n";
    msg += "\nWait until it is visible from outside, then press Enter to continue...";
    write_all(STDERR_FILENO, msg);
    // Shown before waiting, so cleanup() lists them even if the wait is interrupted.
    presented_.insert(presented_.end(), records.begin(), records.end());

    char c = 0;
    while (true) {
      ssize_t n = ::read(tty.get(), &c, 1);
      if (n == 1 && c == '\n') break;
      if (n == 1) continue;
      if (n < 0 && errno == EINTR) {
        if (interrupted()) {
          write_all(STDERR_FILENO, "\n");
          return check_interrupted("dns-manual");
        }
        continue;
      }
      write_all(STDERR_FILENO, "\n");
      return Error(Category::Aborted, "dns-manual", "the terminal closed before Enter was pressed");
    }
    return {};
  }

  Status cleanup() override {
    if (presented_.empty()) return {};
    std::string msg = presented_.size() == 1 ? "You can now remove this DNS TXT record:\n"
                                             : "You can now remove these DNS TXT records:\n";
    for (const auto& r : presented_) msg += "  " + zone_line(r) + "\n";
    write_all(STDERR_FILENO, msg);
    presented_.clear();
    return {};
  }

 private:
  std::vector<Record> presented_;
};

}  // namespace

Result<std::unique_ptr<Solver>> make_dns_manual() {
  if (!term::is_tty(STDIN_FILENO)) return no_terminal();
  return std::unique_ptr<Solver>(std::make_unique<DnsManual>());
}

}  // namespace certctl::challenge
