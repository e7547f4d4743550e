// audit.log on disk: the locked appender that finds the previous line from the log's end,
// and Vault::verify_audit.
#include <certctl/fs.hpp>

#include "vault/audit_chain.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace certctl::vault {
namespace audit {
namespace {

Error sys_error(const std::string& path, std::string_view what) {
  return Error(Category::Vault, path, std::string(what), std::strerror(errno));
}

}  // namespace

Result<LogAppender> LogAppender::open(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return sys_error(path, "cannot open for append");
  while (::flock(fd.get(), LOCK_EX) != 0)
    if (errno != EINTR) return sys_error(path, "cannot lock");
  return LogAppender(std::move(fd), path);
}

Result<ChainState> LogAppender::last_state() {
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) return sys_error(path_, "cannot stat");
  if (!S_ISREG(st.st_mode)) return Error(Category::Vault, path_, "is not a regular file");
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size == 0) return ChainState{0, genesis("")};
  const std::size_t n = std::min(size, kTailRead);
  std::string tail(n, '\0');
  for (std::size_t got = 0; got < n;) {
    const ssize_t r = ::pread(fd_.get(), tail.data() + got, n - got, static_cast<off_t>(size - n + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return sys_error(path_, "cannot read");
    got += static_cast<std::size_t>(r);
  }
  needs_newline_ = tail.back() != '\n';
  if (needs_newline_) tail += '\n';
  const std::size_t end = tail.size() - 1;
  const std::size_t start = end == 0 ? std::string::npos : tail.rfind('\n', end - 1);
  if (start != std::string::npos || n == size) {
    const std::size_t from = start == std::string::npos ? 0 : start + 1;
    if (auto line = split_line(std::string_view(tail).substr(from, end - from)))
      if (auto seq = line_fields(line->content).seq) return ChainState{*seq, line->chain};
  }
  // The last line is not chained: the chain has not begun, or something else wrote it.
  TRY_ASSIGN(std::string all, fs::read_private_file(path_, fs::kMaxLogSize));
  if (needs_newline_) all += '\n';
  return claimed_state(all);
}

Status LogAppender::append(std::string_view line) {
  std::string buf = needs_newline_ ? "\n" : "";
  buf += line;
  buf += '\n';
  for (std::size_t done = 0; done < buf.size();) {
    const ssize_t w = ::write(fd_.get(), buf.data() + done, buf.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return sys_error(path_, "cannot write");
    done += static_cast<std::size_t>(w);
  }
  if (::fsync(fd_.get()) != 0) return sys_error(path_, "cannot sync");
  needs_newline_ = false;
  return ok();
}

}  // namespace audit

Result<AuditReport> Vault::verify_audit() const {
  if (!unlocked()) return Error(Category::Internal, layout_.audit_log(), "verify before unlock");
  TRY_ASSIGN(SecretBytes key, audit::derive_key(vault_key_));
  if (!fs::exists(layout_.audit_log()) && !fs::exists(layout_.audit_head())) return AuditReport{};
  // Under the appenders' flock, so no line is half written and audit.head matches the log.
  TRY_ASSIGN(audit::LogAppender locked, audit::LogAppender::open(layout_.audit_log()));
  (void)locked;
  TRY_ASSIGN(std::string log, fs::read_private_file(layout_.audit_log(), fs::kMaxLogSize));
  std::optional<std::string> head;
  if (fs::exists(layout_.audit_head())) {
    TRY_ASSIGN(std::string text, fs::read_private_file(layout_.audit_head()));
    head = std::move(text);
  }
  return audit::verify(log, key, head);
}

}  // namespace certctl::vault
