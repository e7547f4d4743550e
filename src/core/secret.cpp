#include <certctl/secret.hpp>

#include <openssl/crypto.h>

#include <cstring>
#include <new>
#include <sys/mman.h>
#include <unistd.h>

namespace certctl {

namespace {

std::size_t page_size() {
  static const std::size_t size = [] {
    const long n = ::sysconf(_SC_PAGESIZE);
    return n > 0 ? static_cast<std::size_t>(n) : std::size_t{4096};
  }();
  return size;
}

std::size_t whole_pages(std::size_t n) { return (n + page_size() - 1) / page_size() * page_size(); }

}  // namespace

void* LockedPages::allocate(std::size_t n) {
  const std::size_t len = whole_pages(n);
  void* p = ::operator new(len, std::align_val_t{page_size()});
  // Best effort: over RLIMIT_MEMLOCK (or without the right to lock) the pages stay unlocked.
  (void)::mlock(p, len);
  (void)::madvise(p, len, MADV_DONTDUMP);
  return p;
}

void LockedPages::deallocate(void* p, std::size_t n) noexcept {
  if (!p) return;
  const std::size_t len = whole_pages(n);
  OPENSSL_cleanse(p, len);
  (void)::munlock(p, len);
  ::operator delete(p, std::align_val_t{page_size()});
}

SecretBytes::SecretBytes(const void* data, std::size_t n) : bytes_(n) {
  if (n) std::memcpy(bytes_.data(), data, n);
}

SecretBytes::~SecretBytes() { wipe(); }

SecretBytes& SecretBytes::operator=(SecretBytes&& o) noexcept {
  if (this != &o) {
    wipe();
    bytes_ = std::move(o.bytes_);
    o.bytes_.clear();
  }
  return *this;
}

void SecretBytes::append(std::string_view s) {
  // Grow into a fresh buffer so the old allocation can be wiped rather than left behind.
  Buffer grown(bytes_.size() + s.size());
  if (!bytes_.empty()) std::memcpy(grown.data(), bytes_.data(), bytes_.size());
  if (!s.empty()) std::memcpy(grown.data() + bytes_.size(), s.data(), s.size());
  wipe();
  bytes_ = std::move(grown);
}

void SecretBytes::resize(std::size_t n) {
  if (n <= bytes_.size()) {
    if (n < bytes_.size()) OPENSSL_cleanse(bytes_.data() + n, bytes_.size() - n);
    bytes_.resize(n);
    return;
  }
  Buffer grown(n);
  if (!bytes_.empty()) std::memcpy(grown.data(), bytes_.data(), bytes_.size());
  wipe();
  bytes_ = std::move(grown);
}

void SecretBytes::trim_newline() {
  while (!bytes_.empty() && (bytes_.back() == '\n' || bytes_.back() == '\r')) {
    bytes_.back() = 0;
    bytes_.pop_back();
  }
}

void SecretBytes::wipe() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_.clear();
}

bool constant_time_equal(const SecretBytes& a, const SecretBytes& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace certctl
