// certbot's store (its config directory, /etc/letsencrypt by default): renewal/<lineage>.conf
// (ConfigObj: top-level file paths, [renewalparams] with the server, account, authenticator,
// hooks and key settings), live/<lineage>/*.pem (links into archive/), and
// accounts/<server host[:port]>/<directory path>/<id>/{private_key.json, regr.json}.
#include <certctl/fs.hpp>
#include <certctl/jwk_key.hpp>
#include <certctl/migrate.hpp>

#include "lifecycle/migrate_walk.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace certctl::lifecycle {
namespace {

namespace stdfs = std::filesystem;

/// More renewal files than any real store has; a directory with more is read this far.
constexpr std::size_t kMaxEntries = 100'000;
constexpr std::size_t kMaxConf = 256u << 10;

/// A renewal file: section ("" for the top, "renewalparams", "renewalparams/webroot_map") ->
/// key -> value, as ConfigObj writes them (`key = value`, `[section]`, `[[subsection]]`).
using Conf = std::map<std::string, std::map<std::string, std::string>>;

/// `s` without surrounding blanks and one pair of matching quotes (a view into `s`).
std::string_view trim_view(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  s = s.substr(b, e - b + 1);
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) s = s.substr(1, s.size() - 2);
  return s;
}
std::string trim(std::string_view s) { return std::string(trim_view(s)); }

/// Calls `on_line(section, line)` for each ConfigObj line of `text` that is not blank, a comment
/// or a section header; `section` is as in Conf.
template <class OnLine>
void for_each_conf_line(std::string_view text, OnLine&& on_line) {
  std::string top, section;
  for (std::size_t at = 0; at < text.size();) {
    auto nl = text.find('\n', at);
    std::string_view line = text.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
    at = nl == std::string_view::npos ? text.size() : nl + 1;
    const std::string_view t = trim_view(line);
    if (t.empty() || t.front() == '#') continue;
    if (t.rfind("[[", 0) == 0 && t.size() > 4 && t.substr(t.size() - 2) == "]]") {
      section = top + "/" + trim(t.substr(2, t.size() - 4));
    } else if (t.front() == '[' && t.back() == ']') {
      top = section = trim(t.substr(1, t.size() - 2));
    } else {
      on_line(section, t);
    }
  }
}

Conf parse_conf(std::string_view text) {
  Conf conf;
  for_each_conf_line(text, [&](const std::string& section, std::string_view t) {
    if (auto eq = t.find('='); eq != std::string_view::npos) conf[section][trim(t.substr(0, eq))] = trim(t.substr(eq + 1));
  });
  return conf;
}

std::string get(const Conf& c, const std::string& section, const std::string& key) {
  auto s = c.find(section);
  if (s == c.end()) return {};
  auto k = s->second.find(key);
  return k == s->second.end() ? std::string() : k->second;
}

/// A ConfigObj list ("a, b," or "a"): its items.
std::vector<std::string> list_of(const std::string& v) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at <= v.size();) {
    auto comma = v.find(',', at);
    std::string item = trim(v.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

/// A link in live/ to its file in archive/ (certbot's links are relative).
std::string resolved(const std::string& path) {
  std::error_code ec;
  auto real = stdfs::canonical(path, ec);
  return ec ? path : real.string();
}

Result<FoundAccount> read_account(const stdfs::path& dir, const std::string& accounts_root) {
  FoundAccount a;
  a.id = dir.filename().string();
  a.from = dir.string();
  // The directory URL is the path under accounts/: <host[:port]>/<path...>/<id>.
  const std::string rel = stdfs::relative(dir.parent_path(), accounts_root).generic_string();
  a.directory_url = "https://" + rel;
  TRY_ASSIGN(SecretBytes key_json, fs::read_secret_file((dir / "private_key.json").string(), kMaxConf));
  auto jk = nlohmann::json::parse(key_json.view(), nullptr, false);
  if (jk.is_discarded() || !jk.is_object())
    return Error(Category::Input, (dir / "private_key.json").string(), "not a JWK (JSON object)");
  std::map<std::string, std::string> members;
  for (const auto& [k, v] : jk.items())
    if (v.is_string()) members[k] = v.get<std::string>();
  TRY_ASSIGN(a.key_pem, crypto::private_jwk_to_pem(members, (dir / "private_key.json").string()));
  for (auto& [k, v] : members) std::fill(v.begin(), v.end(), '\0');
  TRY_ASSIGN(std::string regr_text, fs::read_file((dir / "regr.json").string(), kMaxConf));
  auto regr = nlohmann::json::parse(regr_text, nullptr, false);
  if (regr.is_discarded() || !regr.is_object() || !regr.contains("uri") || !regr["uri"].is_string())
    return Error(Category::Input, (dir / "regr.json").string(), "has no account URL (\"uri\")");
  a.url = regr["uri"].get<std::string>();
  if (auto body = regr.find("body"); body != regr.end() && body->is_object())
    if (auto c = body->find("contact"); c != body->end() && c->is_array())
      for (const auto& x : *c)
        if (x.is_string()) a.contact.push_back(x.get<std::string>());
  return a;
}

/// certbot's DNS plugins that certctl has a provider for: the plugin's credentials keys
/// (after "dns_<plugin>_") and the provider's options and secrets they become.
struct DnsPlugin {
  std::string_view plugin;  ///< "rfc2136": authenticator dns-rfc2136, keys dns_rfc2136_*
  std::string_view type;    ///< the certctl provider type
  std::vector<std::pair<std::string_view, std::string_view>> options, secrets;
};
const std::vector<DnsPlugin>& dns_plugins() {
  static const std::vector<DnsPlugin> kPlugins = {
      {"rfc2136", "rfc2136", {{"server", "server"}, {"name", "key-name"}, {"algorithm", "algorithm"}}, {{"secret", "tsig-secret"}}},
      {"cloudflare", "cloudflare", {}, {{"api_token", "api-token"}}},
      {"powerdns", "powerdns", {{"api_url", "api-url"}}, {{"api_key", "api-key"}}},
  };
  return kPlugins;
}

/// "certbot-<stem>" from a credentials file name, in record-name characters.
std::string provider_name(const std::string& credentials) {
  std::string stem = stdfs::path(credentials).stem().string(), out = "certbot-";
  for (char ch : stem) out += std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' ? ch : '-';
  return out.substr(0, 64);
}

/// A DNS plugin's settings as a certctl provider (or why not): its credentials file read for
/// the non-secret options and to see that every secret is there.
void translate_dns(const Conf& c, const DnsPlugin& plugin, FoundCertificate& f) {
  const std::string p = "renewalparams", prefix = fmt::format("dns_{}_", plugin.plugin);
  const std::string credentials = get(c, p, prefix + "credentials");
  if (credentials.empty()) {
    f.unsupported = fmt::format("certbot's dns-{} plugin has no credentials file in its renewal file", plugin.plugin);
    return;
  }
  auto values = detail::read_certbot_credentials(credentials);
  if (!values) {
    f.unsupported = fmt::format("certbot's DNS credentials cannot be read: {}", values.error().text());
    return;
  }
  auto value = [&](std::string_view key) {
    auto v = values->find(prefix + std::string(key));
    return v == values->end() ? std::string_view() : v->second.view();
  };
  FoundDnsProvider d;
  d.name = provider_name(credentials);
  d.type = std::string(plugin.type);
  d.credentials_file = credentials;
  for (const auto& [key, option] : plugin.options)
    if (auto v = value(key); !v.empty()) d.options[std::string(option)] = std::string(v);
  for (const auto& [key, secret] : plugin.secrets) {
    if (value(key).empty()) {
      f.unsupported = fmt::format("{} has no {}{} (certctl's {} provider needs it)", credentials, prefix, key, plugin.type);
      return;
    }
    d.secrets[std::string(secret)] = prefix + std::string(key);
  }
  const std::string port(value("port"));
  if (plugin.plugin == "rfc2136") {
    if (!port.empty() && d.options.count("server")) d.options["server"] += ":" + port;
    if (auto a = d.options.find("algorithm"); a != d.options.end())
      std::transform(a->second.begin(), a->second.end(), a->second.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  }
  if (auto wait = get(c, p, prefix + "propagation_seconds"); !wait.empty())
    f.notes.push_back(fmt::format("certbot waited {} s for DNS propagation; certctl checks the authoritative servers "
                                  "instead (--propagation-wait {} to wait as certbot did)",
                                  wait, wait));
  f.settings.challenge = vault::ChallengeType::Dns01;
  f.settings.dns = d.name;
  f.dns_provider = std::move(d);
}

/// The settings of [renewalparams] that certctl has, and notes on those it has not.
void translate(const Conf& c, FoundCertificate& f) {
  const std::string p = "renewalparams";
  const std::string auth = get(c, p, "authenticator");
  SettingsOverride& s = f.settings;
  if (auth == "standalone") {
    s.challenge = vault::ChallengeType::Http01;
    if (auto port = get(c, p, "http01_port"); !port.empty()) {
      char* end = nullptr;
      const long v = std::strtol(port.c_str(), &end, 10);
      if (end && !*end && v > 0 && v < 65536) s.http_port = static_cast<int>(v);
    }
    if (auto addr = get(c, p, "http01_address"); !addr.empty()) s.http_address = addr;
  } else if (auth == "webroot") {
    // One web root for every name, or certbot's map: a web root per name.
    const std::vector<std::string> roots = list_of(get(c, p, "webroot_path"));
    std::vector<std::string> map;
    if (auto m = c.find(p + "/webroot_map"); m != c.end())
      for (const auto& [name, dir] : m->second) map.push_back(name + "=" + dir);
    s.challenge = vault::ChallengeType::Http01;
    if (roots.size() == 1) s.webroot = roots.front();
    if (!map.empty()) s.webroot_map = map;
    if (roots.empty() && map.empty()) f.unsupported = "certbot's webroot has no path";
    else if (roots.size() > 1 && map.empty())
      f.unsupported = fmt::format("certbot uses {} webroots but no webroot map says which name uses which", roots.size());
  } else if (auth.rfind("dns-", 0) == 0) {
    const auto& plugins = dns_plugins();
    auto plugin = std::find_if(plugins.begin(), plugins.end(), [&](const DnsPlugin& d) { return auth == "dns-" + std::string(d.plugin); });
    if (plugin == plugins.end()) f.unsupported = fmt::format("certbot's '{}' plugin has no certctl DNS provider", auth);
    else translate_dns(c, *plugin, f);
  } else if (auth.empty()) {
    f.unsupported = "its renewal file names no authenticator";
  } else {
    f.unsupported = fmt::format("certbot's '{}' authenticator has no certctl equivalent here", auth);
  }
  if (auto chain = get(c, p, "preferred_chain"); !chain.empty()) s.preferred_chain = chain;
  if (auto reuse = get(c, p, "reuse_key"); reuse == "True" || reuse == "true") s.reuse_key = true;
  if (auto hook = get(c, p, "renew_hook"); !hook.empty()) s.deploy_hook = hook;
  for (const char* key : {"pre_hook", "post_hook"})
    if (auto hook = get(c, p, key); !hook.empty())
      f.notes.push_back(fmt::format("its {} '{}' runs once per renew run: give it to `certctl renew --{}`", key, hook,
                                    key == std::string_view("pre_hook") ? "pre-hook" : "post-hook"));
}

}  // namespace

Result<std::map<std::string, SecretBytes>> detail::read_certbot_credentials(const std::string& file) {
  TRY_ASSIGN(SecretBytes text, fs::read_secret_file(file, kMaxConf));
  std::map<std::string, SecretBytes> out;
  for_each_conf_line(text.view(), [&](const std::string&, std::string_view t) {
    if (auto eq = t.find('='); eq != std::string_view::npos)
      out.insert_or_assign(trim(t.substr(0, eq)), SecretBytes::from(trim_view(t.substr(eq + 1))));
  });
  return out;
}

Result<FoundStore> read_certbot_store(const std::string& dir) {
  if (!fs::is_dir(dir)) return Error(Category::NotFound, dir, "no certbot config directory here");
  const std::string renewal = dir + "/renewal";
  if (!fs::is_dir(renewal))
    return Error(Category::Input, dir, "not a certbot config directory (no renewal/ in it)");
  FoundStore store;
  std::error_code ec;
  std::vector<stdfs::path> confs;
  for (const auto& e : stdfs::directory_iterator(renewal, ec)) {
    if (confs.size() >= kMaxEntries) break;
    if (e.path().extension() == ".conf" && e.is_regular_file(ec)) confs.push_back(e.path());
  }
  if (ec) return Error(Category::Input, renewal, "cannot be read", ec.message());
  std::sort(confs.begin(), confs.end());
  for (const auto& path : confs) {
    auto text = fs::read_file(path.string(), kMaxConf);
    if (!text) {
      store.unreadable.push_back(text.error().text());
      continue;
    }
    const Conf c = parse_conf(*text);
    FoundCertificate f;
    f.name = path.stem().string();
    f.from = path.string();
    f.cert_file = resolved(get(c, "", "cert"));
    f.key_file = resolved(get(c, "", "privkey"));
    f.chain_file = resolved(get(c, "", "chain"));
    if (get(c, "", "cert").empty() || get(c, "", "privkey").empty()) {
      store.unreadable.push_back(fmt::format("{}: names no cert or privkey", f.from));
      continue;
    }
    f.directory_url = get(c, "renewalparams", "server");
    f.account_id = get(c, "renewalparams", "account");
    translate(c, f);
    store.certificates.push_back(std::move(f));
  }
  // Accounts: every directory under accounts/ that holds a private_key.json.
  const std::string accounts = dir + "/accounts";
  for (const auto& path : detail::dirs_holding(accounts, "private_key.json")) {
    auto a = read_account(path, accounts);
    if (a) store.accounts.push_back(std::move(*a));
    else store.unreadable.push_back(a.error().text());
  }
  return store;
}

}  // namespace certctl::lifecycle
