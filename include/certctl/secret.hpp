#pragma once
/// SecretBytes: key material, passphrases and passwords. Wiped with OPENSSL_cleanse when
/// destroyed, never printed (the fmt formatter writes "<redacted>"), copied only on purpose.
/// Its bytes live in pages of their own, locked in memory (mlock) where RLIMIT_MEMLOCK allows,
/// so they are never swapped out; over the limit they are simply not locked.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace certctl {

/// The allocator behind SecretBytes: whole pages, mlock-ed when the limit allows (a failure is
/// ignored), wiped and munlock-ed when freed. Pages are never shared with another allocation,
/// so unlocking one secret never unlocks another.
struct LockedPages {
  static void* allocate(std::size_t n);
  static void deallocate(void* p, std::size_t n) noexcept;
};

template <class T>
struct LockedAllocator {
  using value_type = T;
  LockedAllocator() noexcept = default;
  template <class U>
  LockedAllocator(const LockedAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(LockedPages::allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { LockedPages::deallocate(p, n * sizeof(T)); }
  friend bool operator==(const LockedAllocator&, const LockedAllocator&) noexcept { return true; }
};

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t n) : bytes_(n) {}
  SecretBytes(const void* data, std::size_t n);
  static SecretBytes from(std::string_view s) { return SecretBytes(s.data(), s.size()); }
  ~SecretBytes();

  SecretBytes(SecretBytes&& o) noexcept : bytes_(std::move(o.bytes_)) { o.bytes_.clear(); }
  SecretBytes& operator=(SecretBytes&& o) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes clone() const { return SecretBytes(data(), size()); }

  std::uint8_t* data() noexcept { return bytes_.data(); }
  const std::uint8_t* data() const noexcept { return bytes_.data(); }
  std::size_t size() const noexcept { return bytes_.size(); }
  bool empty() const noexcept { return bytes_.empty(); }
  /// A view of the bytes; do not copy it into a std::string that outlives this object.
  std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }
  void append(std::string_view s);
  /// Resize; bytes dropped or left behind by a reallocation are wiped first.
  void resize(std::size_t n);
  /// Drop trailing CR/LF (passphrase files usually end in a newline).
  void trim_newline();
  void wipe();

 private:
  using Buffer = std::vector<std::uint8_t, LockedAllocator<std::uint8_t>>;
  Buffer bytes_;
};

bool constant_time_equal(const SecretBytes& a, const SecretBytes& b);

}  // namespace certctl

template <>
struct fmt::formatter<certctl::SecretBytes> : fmt::formatter<std::string_view> {
  template <class Ctx>
  auto format(const certctl::SecretBytes&, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format("<redacted>", ctx);
  }
};
