/// The responder link's wire format and its blocking send/receive.
#include "challenge/link_wire.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace certctl::challenge::wire {
namespace {

constexpr const char* kSubject = "responder link";

Error malformed(std::string what) { return Error(Category::Input, kSubject, std::move(what)); }

constexpr Category kCategories[] = {Category::Aborted, Category::Usage,    Category::Config, Category::Input,
                                    Category::Vault,   Category::Network,  Category::Ca,     Category::Dns,
                                    Category::State,   Category::NotFound, Category::Deploy, Category::Policy,
                                    Category::Internal};

}  // namespace

Result<std::string> encode(const Message& m) {
  if (m.fields.size() > kMaxFields) return malformed("too many fields in a message");
  std::string out(1, m.type);
  for (const auto& f : m.fields) {
    if (f.size() > kMaxMessage) return malformed("a field is too large");
    const auto n = static_cast<std::uint32_t>(f.size());
    const char len[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                         static_cast<char>(n)};
    out.append(len, 4);
    out += f;
    if (out.size() > kMaxMessage) return malformed("message larger than 32 KiB");
  }
  return out;
}

Result<Message> decode(std::string_view bytes) {
  if (bytes.empty()) return malformed("empty message");
  if (bytes.size() > kMaxMessage) return malformed("message larger than 32 KiB");
  Message m;
  m.type = bytes[0];
  std::size_t i = 1;
  while (i < bytes.size()) {
    if (m.fields.size() == kMaxFields) return malformed("too many fields in a message");
    if (bytes.size() - i < 4) return malformed("truncated field length");
    std::size_t n = 0;
    for (int k = 0; k < 4; ++k) n = (n << 8) | static_cast<unsigned char>(bytes[i + k]);
    i += 4;
    if (n > bytes.size() - i) return malformed("a field runs past the end of the message");
    m.fields.emplace_back(bytes.substr(i, n));
    i += n;
  }
  return m;
}

Status send(int fd, const Message& m) {
  TRY_ASSIGN(std::string bytes, encode(m));
  while (true) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(bytes.size())) return {};
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      (void)::poll(&p, 1, 1000);
      continue;
    }
    return Error(Category::Network, kSubject, "the responder is gone", n < 0 ? std::strerror(errno) : "short write");
  }
}

Result<Message> receive(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  int r = 0;
  do r = ::poll(&p, 1, static_cast<int>(timeout.count()));
  while (r < 0 && errno == EINTR);
  if (r == 0) return Error(Category::Internal, kSubject, "the responder did not answer in time");
  std::string buf(kMaxMessage + 1, '\0');
  ssize_t n = 0;
  do n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n == 0) return Error(Category::Network, kSubject, "closed");
  if (n < 0) return Error(Category::Network, kSubject, "cannot read", std::strerror(errno));
  buf.resize(static_cast<std::size_t>(n));
  return decode(buf);
}

Message error_message(const Error& e) {
  const auto c = static_cast<std::size_t>(e.category());
  return Message{kError, {std::to_string(c), e.subject(), e.message(), e.cause()}};
}

Error to_error(const Message& m) {
  if (m.type != kError || m.fields.size() != 4 || m.fields[0].empty() || m.fields[0].size() > 2)
    return Error(Category::Internal, kSubject, "unexpected answer from the responder");
  std::size_t c = 0;
  for (char ch : m.fields[0]) {
    if (ch < '0' || ch > '9') return Error(Category::Internal, kSubject, "unexpected answer from the responder");
    c = c * 10 + static_cast<std::size_t>(ch - '0');
  }
  if (c >= std::size(kCategories)) return Error(Category::Internal, kSubject, "unexpected answer from the responder");
  // An error without a message would print as "certctl: " and nothing (found by fuzz_responder_link).
  if (m.fields[2].empty()) return Error(Category::Internal, kSubject, "the responder failed without saying why");
  return Error(kCategories[c], m.fields[1], m.fields[2], m.fields[3]);
}

}  // namespace certctl::challenge::wire
