/// Base64 (RFC 4648 sections 4 and 5), hex and SHA-256.
#include "crypto/handles.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdint>

namespace certctl::crypto {
namespace {

constexpr std::string_view kStd = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(std::string_view data, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(data[k])); };
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += alphabet[v >> 6 & 63];
    out += alphabet[v & 63];
  }
  std::size_t rest = data.size() - i;
  if (rest == 1) {
    std::uint32_t v = byte(i) << 16;
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8;
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += alphabet[v >> 6 & 63];
    if (pad) out += '=';
  }
  return out;
}

/// Decode with `alphabet`. Whitespace is skipped when `allow_space` (PEM bodies, wrapped
/// text); '=' padding is accepted only at the end and is optional.
Result<std::string> decode(std::string_view text, std::string_view alphabet, bool allow_space,
                           std::string_view subject, std::string_view what) {
  std::array<int, 256> table;
  table.fill(-1);
  for (std::size_t k = 0; k < alphabet.size(); ++k) table[static_cast<unsigned char>(alphabet[k])] = static_cast<int>(k);

  auto bad = [&](std::string detail) {
    return Error(Category::Input, std::string(subject), "invalid " + std::string(what), std::move(detail));
  };

  std::string out;
  out.reserve(text.size() / 4 * 3 + 3);
  std::uint32_t acc = 0;
  int nbits = 0;
  std::size_t digits = 0, padding = 0;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (allow_space && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding) return bad("data after '=' padding");
    int v = table[c];
    if (v < 0) return bad("unexpected character");
    acc = acc << 6 | static_cast<std::uint32_t>(v);
    nbits += 6;
    ++digits;
    if (nbits >= 8) {
      nbits -= 8;
      out += static_cast<char>(acc >> nbits & 0xFF);
    }
  }
  if (digits % 4 == 1) return bad("truncated");
  if (padding && (padding > 2 || (digits + padding) % 4 != 0)) return bad("wrong padding");
  return out;
}

}  // namespace

std::string base64_encode(std::string_view data) { return encode(data, kStd, true); }

Result<std::string> base64_decode(std::string_view text, std::string_view subject) {
  return decode(text, kStd, true, subject, "base64");
}

std::string base64url_encode(std::string_view data) { return encode(data, kUrl, false); }

Result<std::string> base64url_decode(std::string_view text, std::string_view subject) {
  return decode(text, kUrl, false, subject, "base64url");
}

std::string hex_encode(std::string_view data, bool colons, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * (colons ? 3 : 2));
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (colons && i) out += ':';
    auto b = static_cast<unsigned char>(data[i]);
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

namespace {

std::string digest(std::string_view data, const EVP_MD* md_type) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // EVP_Digest with a built-in digest cannot fail short of memory exhaustion.
  if (EVP_Digest(data.data(), data.size(), md, &len, md_type, nullptr) != 1) {
    clear_openssl_errors();
    return {};
  }
  return std::string(reinterpret_cast<const char*>(md), len);
}

}  // namespace

std::string sha256(std::string_view data) { return digest(data, EVP_sha256()); }
std::string sha1(std::string_view data) { return digest(data, EVP_sha1()); }

}  // namespace certctl::crypto
