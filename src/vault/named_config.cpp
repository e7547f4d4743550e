// Named settings files: <vault>/<kind>/<name>.toml (notifiers, DNS providers). One file per
// name, replaced atomically; secrets inside are sealed with the vault key.
#include <certctl/crypto.hpp>
#include <certctl/fs.hpp>
#include <certctl/vault.hpp>


#include <algorithm>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace certctl::vault {
namespace {

std::string file_of(const Vault& v, std::string_view kind, std::string_view name) {
  return v.where(Layout::config_file(kind, name));
}
std::string owner_of(std::string_view kind, std::string_view name, std::string_view key) {
  return fmt::format("{}/{}/{}", kind, name, key);
}

Result<NamedConfig> parse(const std::string& text, const std::string& path) {
  toml::table t;
  try {
    t = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return Error(Category::Config, path, fmt::format("line {}: {}", e.source().begin.line, e.description()));
  }
  NamedConfig c;
  c.name = t["name"].value<std::string>().value_or("");
  c.type = t["type"].value<std::string>().value_or("");
  if (auto created = t["created"].value<std::string>()) {
    auto when = parse_rfc3339(*created, path);
    if (when) c.created = *when;
  }
  if (c.name.empty() || c.type.empty()) return Error(Category::Config, path, "name or type missing");
  auto strings = [&](const char* table, std::map<std::string, std::string>& out) -> Status {
    if (const toml::table* o = t[table].as_table())
      for (const auto& [k, v] : *o) {
        auto s = v.value<std::string>();
        if (!s) return Error(Category::Config, path, fmt::format("{}.{} is not a string", table, k.str()));
        out.emplace(std::string(k.str()), *s);
      }
    return ok();
  };
  TRY(strings("options", c.options));
  TRY(strings("sealed", c.sealed));
  return c;
}

}  // namespace

Result<std::vector<NamedConfig>> load_configs(const Vault& vault, std::string_view kind) {
  std::vector<NamedConfig> out;
  TRY_ASSIGN(const std::vector<storage::Listed> listed, vault.store().list(std::string(kind) + "/"));
  std::vector<std::string> names;
  for (const auto& l : listed) {
    std::string_view f = std::string_view(l.key).substr(kind.size() + 1);
    if (f.size() > 5 && f.find('/') == std::string_view::npos && f.substr(f.size() - 5) == ".toml")
      names.emplace_back(f.substr(0, f.size() - 5));
  }
  std::sort(names.begin(), names.end());  // by name: "a-b" after "a" (keys sort "a-b.toml" first)
  for (const auto& n : names) {
    TRY_ASSIGN(NamedConfig c, load_config(vault, kind, n));
    out.push_back(std::move(c));
  }
  return out;
}

Result<NamedConfig> load_config(const Vault& vault, std::string_view kind, std::string_view name) {
  if (!storage::valid_key(name)) return Error(Category::NotFound, fmt::format("{} '{}'", kind, name), "not configured");
  TRY_ASSIGN(std::optional<storage::Value> text, vault.store().get(Layout::config_file(kind, name), fs::kMaxFileSize));
  if (!text) return Error(Category::NotFound, fmt::format("{} '{}'", kind, name), "not configured");
  return parse(text->data, file_of(vault, kind, name));
}

Status save_config(const Vault& vault, std::string_view kind, const NamedConfig& c) {
  toml::table t;
  t.insert_or_assign("name", c.name);
  t.insert_or_assign("type", c.type);
  if (c.created) t.insert_or_assign("created", format_rfc3339(c.created));
  toml::table opts, sealed;
  for (const auto& [k, v] : c.options) opts.insert_or_assign(k, v);
  for (const auto& [k, v] : c.sealed) sealed.insert_or_assign(k, v);
  t.insert_or_assign("options", std::move(opts));
  if (!sealed.empty()) t.insert_or_assign("sealed", std::move(sealed));
  std::ostringstream out;
  out << "# certctl " << kind << " settings; change with `certctl " << kind << "`, not by hand.\n" << t << '\n';
  TRY(vault.store().put(Layout::config_file(kind, c.name), out.str()));
  return ok();
}

Status remove_config(const Vault& vault, std::string_view kind, std::string_view name) {
  const std::string key = Layout::config_file(kind, name);
  std::optional<storage::Value> there;
  if (storage::valid_key(name)) {
    TRY_ASSIGN(there, vault.store().get(key, fs::kMaxFileSize));
  }
  if (!there) return Error(Category::NotFound, fmt::format("{} '{}'", kind, name), "not configured");
  return vault.store().remove(key);
}

Result<std::string> seal_config_secret(const Vault& vault, std::string_view kind, std::string_view name,
                                       std::string_view key, const SecretBytes& value) {
  TRY_ASSIGN(std::string sealed, vault.seal(owner_of(kind, name, key), value));
  return crypto::base64_encode(sealed);
}

Result<SecretBytes> open_config_secret(const Vault& vault, std::string_view kind, const NamedConfig& c,
                                       std::string_view key) {
  auto it = c.sealed.find(std::string(key));
  const std::string path = file_of(vault, kind, c.name);
  if (it == c.sealed.end()) return Error(Category::Config, path, fmt::format("no sealed '{}'", key));
  TRY_ASSIGN(std::string raw, crypto::base64_decode(it->second, path));
  return vault.open_sealed(owner_of(kind, c.name, key), raw, path);
}

}  // namespace certctl::vault
