#include <certctl/secret.hpp>

#include <openssl/crypto.h>

#include <cstring>

namespace certctl {

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
  std::vector<std::uint8_t> grown(bytes_.size() + s.size());
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
  std::vector<std::uint8_t> grown(n);
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
