/// Randomness from OpenSSL's DRBG (seeded from the OS).
#include "crypto/handles.hpp"

#include <openssl/rand.h>

#include <climits>
#include <cstdio>
#include <cstdlib>

namespace certctl::crypto {
namespace {

/// Fill `out` or abort: a failing CSPRNG leaves nothing safe to do (no key, nonce or password
/// may be made from predictable bytes), and these functions have no error channel.
void fill_random(unsigned char* out, std::size_t n) {
  while (n > 0) {
    int chunk = n > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(n);
    if (RAND_bytes(out, chunk) != 1) {
      std::fprintf(stderr, "certctl: fatal: the random number generator failed: %s\n",
                   openssl_error().c_str());
      std::abort();
    }
    out += chunk;
    n -= static_cast<std::size_t>(chunk);
  }
}

/// No 0/O/o, 1/l/I: 8 digits + 24 upper + 24 lower = 56 symbols, about 5.8 bits each.
constexpr std::string_view kPasswordAlphabet =
    "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz";
static_assert(kPasswordAlphabet.size() == 56);

}  // namespace

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (n) fill_random(reinterpret_cast<unsigned char*>(out.data()), n);
  return out;
}

SecretBytes random_secret(std::size_t n) {
  SecretBytes out(n);
  if (n) fill_random(out.data(), n);
  return out;
}

SecretBytes random_password(std::size_t n) {
  /// Rejection sampling: only bytes below the largest multiple of the alphabet size are used,
  /// so every symbol is equally likely (no modulo bias).
  constexpr unsigned kSize = kPasswordAlphabet.size();
  constexpr unsigned kLimit = 256 / kSize * kSize;
  SecretBytes out(n);
  SecretBytes pool(64);
  std::size_t used = pool.size();
  for (std::size_t i = 0; i < n;) {
    if (used == pool.size()) {
      fill_random(pool.data(), pool.size());
      used = 0;
    }
    unsigned b = pool.data()[used++];
    if (b >= kLimit) continue;
    out.data()[i++] = static_cast<std::uint8_t>(kPasswordAlphabet[b % kSize]);
  }
  return out;
}

}  // namespace certctl::crypto
