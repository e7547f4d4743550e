#pragma once
/// <vault>/config.toml: format version and how the vault key is wrapped.
#include <certctl/vault.hpp>

#include <cstdint>
#include <string>

namespace certctl::vault {

struct Vault::Config {
  int format = 1;
  std::string created;
  std::string method;       ///< "passphrase" | "key-file"
  std::string kdf;          ///< "scrypt" | "hkdf-sha256"
  std::uint64_t n = 0;
  std::uint32_t r = 0, p = 0;
  std::string salt;         ///< raw bytes (base64 in the file)
  std::string wrapped_key;  ///< raw sealed bytes (base64 in the file)
};

Result<Vault::Config> parse_config(std::string_view text, const std::string& path);
std::string render_config(const Vault::Config& c);

}  // namespace certctl::vault
