#include "vault/vault_config.hpp"

#include "vault/toml_parse.hpp"

#include <certctl/crypto.hpp>

#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace certctl::vault {

Result<Vault::Config> parse_config(std::string_view text, const std::string& path) {
  TRY_ASSIGN(const toml::table t, parse_toml(text, path, Category::Config));
  Vault::Config c;
  c.format = static_cast<int>(t["format"].value_exact<std::int64_t>().value_or(0));
  if (c.format != 1) return Error(Category::Config, path, fmt::format("unsupported vault format {}", c.format));
  c.created = t["created"].value<std::string>().value_or("");
  const toml::table* u = t["unlock"].as_table();
  if (!u) return Error(Category::Config, path, "missing [unlock] table");
  c.method = (*u)["method"].value<std::string>().value_or("");
  c.kdf = (*u)["kdf"].value<std::string>().value_or("");
  c.n = static_cast<std::uint64_t>((*u)["n"].value_exact<std::int64_t>().value_or(0));
  c.r = static_cast<std::uint32_t>((*u)["r"].value_exact<std::int64_t>().value_or(0));
  c.p = static_cast<std::uint32_t>((*u)["p"].value_exact<std::int64_t>().value_or(0));
  if (c.method != "passphrase" && c.method != "key-file")
    return Error(Category::Config, path, fmt::format("unlock.method '{}' is not passphrase or key-file", c.method));
  if (c.kdf != "scrypt" && c.kdf != "hkdf-sha256")
    return Error(Category::Config, path, fmt::format("unlock.kdf '{}' is not scrypt or hkdf-sha256", c.kdf));
  if (c.kdf == "scrypt")
    if (std::string why = crypto::scrypt_problem(c.n, c.r, c.p); !why.empty())
      return Error(Category::Config, path, "unlock: " + why);
  TRY_ASSIGN(c.salt, crypto::base64_decode((*u)["salt"].value<std::string>().value_or(""), path + ": unlock.salt"));
  TRY_ASSIGN(c.wrapped_key,
             crypto::base64_decode((*u)["wrapped_key"].value<std::string>().value_or(""), path + ": unlock.wrapped_key"));
  if (c.salt.size() < 16 || c.wrapped_key.empty())
    return Error(Category::Config, path, "unlock: salt or wrapped_key missing");
  return c;
}

std::string render_config(const Vault::Config& c) {
  toml::table u;
  u.insert_or_assign("method", c.method);
  u.insert_or_assign("kdf", c.kdf);
  if (c.kdf == "scrypt") {
    u.insert_or_assign("n", static_cast<std::int64_t>(c.n));
    u.insert_or_assign("r", static_cast<std::int64_t>(c.r));
    u.insert_or_assign("p", static_cast<std::int64_t>(c.p));
  }
  u.insert_or_assign("salt", crypto::base64_encode(c.salt));
  u.insert_or_assign("wrapped_key", crypto::base64_encode(c.wrapped_key));
  toml::table t;
  t.insert_or_assign("format", c.format);
  if (!c.created.empty()) t.insert_or_assign("created", c.created);
  t.insert_or_assign("unlock", std::move(u));
  std::ostringstream out;
  out << "# certctl vault configuration. The vault key is wrapped below; see certctl-vault(5).\n"
      << t << '\n';
  return out.str();
}

}  // namespace certctl::vault
