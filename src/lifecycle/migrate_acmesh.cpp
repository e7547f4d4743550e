// acme.sh's store (~/.acme.sh): one directory per certificate, <domain>/ or <domain>_ecc/, with
// <domain>.conf (shell assignments, Le_Domain='...'; hooks and the preferred chain as
// __ACME_BASE64__START_<base64>__ACME_BASE64__END_), <domain>.cer, <domain>.key and ca.cer; and
// per ACME server ca/<host>/<directory path>/{account.key, ca.conf (ACCOUNT_URL='...')}. acme.sh
// drops the port from <host>.
#include <certctl/crypto.hpp>
#include <certctl/fs.hpp>
#include <certctl/migrate.hpp>

#include "lifecycle/migrate_walk.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include <fmt/format.h>

namespace certctl::lifecycle {
namespace {

namespace stdfs = std::filesystem;

constexpr std::size_t kMaxEntries = 100'000;
constexpr std::size_t kMaxConf = 256u << 10;
constexpr std::string_view kB64Start = "__ACME_BASE64__START_";
constexpr std::string_view kB64End = "__ACME_BASE64__END_";

/// KEY='value' lines (acme.sh's _setopt); base64-wrapped values decoded.
std::map<std::string, std::string> parse_conf(std::string_view text) {
  std::map<std::string, std::string> out;
  for (std::size_t at = 0; at < text.size();) {
    auto nl = text.find('\n', at);
    std::string line(text.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at));
    at = nl == std::string_view::npos ? text.size() : nl + 1;
    auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    while (!key.empty() && key.back() == ' ') key.pop_back();
    while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
    if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"') && value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    if (value.rfind(kB64Start, 0) == 0 && value.size() >= kB64Start.size() + kB64End.size() &&
        value.compare(value.size() - kB64End.size(), kB64End.size(), kB64End) == 0) {
      const std::string b64 = value.substr(kB64Start.size(), value.size() - kB64Start.size() - kB64End.size());
      auto decoded = crypto::base64_decode(b64, key);
      value = decoded ? *decoded : std::string();
    }
    out[key] = value;
  }
  return out;
}

std::string get(const std::map<std::string, std::string>& c, const std::string& k) {
  auto it = c.find(k);
  return it == c.end() || it->second == "no" ? std::string() : it->second;
}

std::vector<std::string> split_commas(const std::string& v) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at <= v.size();) {
    auto comma = v.find(',', at);
    std::string item = v.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

/// acme.sh's CA directory for a directory URL: ca/<host without port>/<path>.
std::string ca_dir_of(const std::string& url) {
  std::string rest = url;
  if (auto p = rest.find("://"); p != std::string::npos) rest = rest.substr(p + 3);
  const auto slash = rest.find('/');
  std::string host = rest.substr(0, slash);
  host = host.substr(0, host.find(':'));
  std::string path = slash == std::string::npos ? std::string() : rest.substr(slash + 1);
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path.empty() ? host : host + "/" + path;
}

void translate(const std::map<std::string, std::string>& c, FoundCertificate& f) {
  SettingsOverride& s = f.settings;
  std::vector<std::string> roots = split_commas(c.count("Le_Webroot") ? c.at("Le_Webroot") : "");
  std::sort(roots.begin(), roots.end());
  roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
  const std::string mode = roots.size() == 1 ? roots.front() : std::string();
  auto port = [&](const char* key) -> std::optional<int> {
    const std::string v = get(c, key);
    char* end = nullptr;
    const long n = v.empty() ? 0 : std::strtol(v.c_str(), &end, 10);
    if (v.empty() || !end || *end || n < 1 || n > 65535) return std::nullopt;
    return static_cast<int>(n);
  };
  if (roots.size() > 1) {
    f.unsupported = fmt::format("acme.sh validates its names in {} different ways; certctl keeps one", roots.size());
  } else if (mode == "no") {
    s.challenge = vault::ChallengeType::Http01;  // standalone
    s.http_port = port("Le_HTTPPort");
  } else if (mode == "alpn") {
    s.challenge = vault::ChallengeType::TlsAlpn01;
    s.tls_port = port("Le_TLSPort");
  } else if (!mode.empty() && mode.front() == '/') {
    s.challenge = vault::ChallengeType::Http01;
    s.webroot = mode;
  } else if (mode.empty()) {
    f.unsupported = "its conf names no validation (Le_Webroot)";
  } else {
    f.unsupported = fmt::format("acme.sh's '{}' mode has no certctl equivalent here", mode);
  }
  if (auto addr = get(c, "Le_LocalAddress"); !addr.empty() && s.challenge) s.http_address = addr;
  if (auto chain = get(c, "Le_Preferred_Chain"); !chain.empty()) s.preferred_chain = chain;
  const std::string reload = get(c, "Le_ReloadCmd"), renew_hook = get(c, "Le_RenewHook");
  if (!reload.empty()) s.deploy_hook = reload;
  else if (!renew_hook.empty()) s.deploy_hook = renew_hook;
  if (!reload.empty() && !renew_hook.empty())
    f.notes.push_back(fmt::format("its renew hook '{}' is not carried over (its reloadcmd is the deploy hook)", renew_hook));
  for (const auto& [key, flag] : {std::pair<const char*, const char*>{"Le_PreHook", "--pre-hook"}, {"Le_PostHook", "--post-hook"}})
    if (auto hook = get(c, key); !hook.empty())
      f.notes.push_back(fmt::format("its {} '{}' runs once per renew run: give it to `certctl renew {}`", key, hook, flag));
}

}  // namespace

Result<FoundStore> read_acmesh_store(const std::string& dir) {
  if (!fs::is_dir(dir)) return Error(Category::NotFound, dir, "no acme.sh directory here");
  FoundStore store;
  std::error_code ec;
  std::vector<stdfs::path> confs;
  for (const auto& e : stdfs::directory_iterator(dir, ec)) {
    if (confs.size() >= kMaxEntries) break;
    if (!e.is_directory(ec) || e.path().filename() == "ca") continue;
    std::string d = e.path().filename().string();
    if (d.size() > 4 && d.substr(d.size() - 4) == "_ecc") d = d.substr(0, d.size() - 4);
    const stdfs::path conf = e.path() / (d + ".conf");
    if (stdfs::is_regular_file(conf, ec)) confs.push_back(conf);
  }
  if (ec) return Error(Category::Input, dir, "cannot be read", ec.message());
  if (confs.empty() && !fs::is_dir(dir + "/ca"))
    return Error(Category::Input, dir, "not an acme.sh directory (no <domain>/<domain>.conf and no ca/ in it)");
  std::sort(confs.begin(), confs.end());
  std::vector<std::string> names;
  for (const auto& conf : confs) {
    auto text = fs::read_file(conf.string(), kMaxConf);
    if (!text) {
      store.unreadable.push_back(text.error().text());
      continue;
    }
    const auto c = parse_conf(*text);
    const stdfs::path home = conf.parent_path();
    const std::string d = conf.stem().string();
    FoundCertificate f;
    f.from = conf.string();
    std::string name = get(c, "Le_Domain").empty() ? d : get(c, "Le_Domain");
    if (name.rfind("*.", 0) == 0) name = "wildcard." + name.substr(2);
    if (std::find(names.begin(), names.end(), name) != names.end()) name += "-ecc";  // both an RSA and an ECC one
    names.push_back(name);
    f.name = name;
    f.cert_file = (home / (d + ".cer")).string();
    f.key_file = (home / (d + ".key")).string();
    if (stdfs::exists(home / "ca.cer", ec)) f.chain_file = (home / "ca.cer").string();
    if (!fs::exists(f.cert_file) || !fs::exists(f.key_file)) {
      store.unreadable.push_back(fmt::format("{}: no {}.cer and {}.key beside it", f.from, d, d));
      continue;
    }
    f.directory_url = get(c, "Le_API");
    if (!f.directory_url.empty()) f.account_id = ca_dir_of(f.directory_url);
    translate(c, f);
    store.certificates.push_back(std::move(f));
  }
  // Accounts: ca/<host>/<path>/ with account.key and ca.conf.
  const std::string ca = dir + "/ca";
  for (const auto& path : detail::dirs_holding(ca, "account.key")) {
    FoundAccount a;
    a.id = stdfs::relative(path, ca).generic_string();
    a.from = path.string();
    auto conf = fs::read_file((path / "ca.conf").string(), kMaxConf);
    if (!conf) {
      store.unreadable.push_back(conf.error().text());
      continue;
    }
    a.url = get(parse_conf(*conf), "ACCOUNT_URL");
    if (a.url.empty()) {
      store.unreadable.push_back(fmt::format("{}/ca.conf: has no ACCOUNT_URL", a.from));
      continue;
    }
    auto key = fs::read_secret_file((path / "account.key").string());
    if (!key) {
      store.unreadable.push_back(key.error().text());
      continue;
    }
    a.key_pem = std::move(*key);
    store.accounts.push_back(std::move(a));
  }
  return store;
}

}  // namespace certctl::lifecycle
