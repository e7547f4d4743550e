/// AES-256-GCM sealing for the vault: nonce || ciphertext || tag.
#include "crypto/handles.hpp"

#include <climits>

namespace certctl::crypto {
namespace {

constexpr std::size_t kKeyLen = 32;
constexpr std::size_t kNonceLen = 12;
constexpr std::size_t kTagLen = 16;

Status check_key(const SecretBytes& key) {
  if (key.size() != kKeyLen) {
    return Error(Category::Internal, "aead", "AES-256-GCM needs a 32-byte key, got " +
                                                 std::to_string(key.size()) + " bytes");
  }
  return {};
}

bool too_long(std::string_view s) { return s.size() > static_cast<std::size_t>(INT_MAX); }

}  // namespace

Result<std::string> aead_seal(const SecretBytes& key, std::string_view plaintext, std::string_view aad) {
  TRY(check_key(key));
  if (too_long(plaintext) || too_long(aad)) return Error(Category::Internal, "aead", "input too large");
  clear_openssl_errors();
  std::string nonce = random_bytes(kNonceLen);
  std::string out(kNonceLen + plaintext.size() + kTagLen, '\0');
  std::copy(nonce.begin(), nonce.end(), out.begin());
  auto* ct = reinterpret_cast<unsigned char*>(out.data()) + kNonceLen;

  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0, total = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceLen), nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(),
                         reinterpret_cast<const unsigned char*>(nonce.data())) != 1) {
    return openssl_failure("cannot initialise AES-256-GCM");
  }
  if (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                                        static_cast<int>(aad.size())) != 1) {
    return openssl_failure("cannot add associated data");
  }
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx.get(), ct, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                          static_cast<int>(plaintext.size())) != 1) {
      return openssl_failure("cannot encrypt");
    }
    total = len;
  }
  if (EVP_EncryptFinal_ex(ctx.get(), ct + total, &len) != 1) return openssl_failure("cannot encrypt");
  total += len;
  if (static_cast<std::size_t>(total) != plaintext.size() ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagLen), ct + total) != 1) {
    return openssl_failure("cannot get the GCM tag");
  }
  return out;
}

Result<SecretBytes> aead_open(const SecretBytes& key, std::string_view sealed, std::string_view aad,
                              std::string_view subject) {
  TRY(check_key(key));
  if (sealed.size() < kNonceLen + kTagLen) {
    return Error(Category::Vault, std::string(subject), "cannot decrypt: the data is truncated");
  }
  if (too_long(sealed) || too_long(aad)) return Error(Category::Internal, "aead", "input too large");
  clear_openssl_errors();
  const auto* bytes = reinterpret_cast<const unsigned char*>(sealed.data());
  std::size_t ct_len = sealed.size() - kNonceLen - kTagLen;
  const unsigned char* nonce = bytes;
  const unsigned char* ct = bytes + kNonceLen;
  // The tag is only read by OpenSSL; the ctrl API takes a non-const pointer.
  unsigned char tag[kTagLen];
  std::copy(ct + ct_len, ct + ct_len + kTagLen, tag);

  SecretBytes plain(ct_len);
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0, total = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceLen), nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce) != 1) {
    return openssl_failure("cannot initialise AES-256-GCM");
  }
  if (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                                        static_cast<int>(aad.size())) != 1) {
    return openssl_failure("cannot add associated data");
  }
  if (ct_len > 0) {
    if (EVP_DecryptUpdate(ctx.get(), plain.data(), &len, ct, static_cast<int>(ct_len)) != 1) {
      return openssl_failure("cannot decrypt");
    }
    total = len;
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagLen), tag) != 1) {
    return openssl_failure("cannot set the GCM tag");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), plain.data() + total, &len) != 1) {
    clear_openssl_errors();
    // `plain` holds unauthenticated bytes; its destructor wipes them.
    return Error(Category::Vault, std::string(subject),
                 "cannot decrypt: wrong passphrase or key, or the file was altered");
  }
  return plain;
}

}  // namespace certctl::crypto
