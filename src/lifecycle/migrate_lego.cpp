// lego's store (--path, ./.lego by default): certificates/<domain>.{crt,key,issuer.crt,json}
// (the .json names the certificate's URL at the CA, so its host), and accounts/<host[_port]>/
// <email>/{account.json, keys/<email>.key}. lego keeps no directory URL beyond the host and no
// challenge settings (they are its command-line flags): `migrate lego --server` and the
// challenge options give them.
#include <certctl/fs.hpp>
#include <certctl/migrate.hpp>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace certctl::lifecycle {
namespace {

namespace stdfs = std::filesystem;

constexpr std::size_t kMaxEntries = 100'000;
constexpr std::size_t kMaxJson = 256u << 10;

/// "https://host:port/path" -> "host:port".
std::string host_of(const std::string& url) {
  std::string h = url;
  if (auto p = h.find("://"); p != std::string::npos) h = h.substr(p + 3);
  return h.substr(0, h.find('/'));
}

/// lego's account directory name for a host: ':' becomes '_'.
std::string lego_dir_of(std::string host) {
  std::replace(host.begin(), host.end(), ':', '_');
  return host;
}

/// A record name for lego's file stem: a wildcard's "_." prefix becomes "wildcard.".
std::string record_name(std::string stem) {
  if (stem.rfind("_.", 0) == 0) stem = "wildcard." + stem.substr(2);
  return stem;
}

}  // namespace

Result<FoundStore> read_lego_store(const std::string& dir, const std::string& server) {
  if (!fs::is_dir(dir)) return Error(Category::NotFound, dir, "no lego directory here");
  const std::string certs = dir + "/certificates";
  if (!fs::is_dir(certs)) return Error(Category::Input, dir, "not a lego directory (no certificates/ in it)");
  FoundStore store;
  std::error_code ec;
  // Accounts first: the certificates name only their CA's host.
  const std::string accounts = dir + "/accounts";
  if (fs::is_dir(accounts)) {
    std::size_t seen = 0;
    for (const auto& host_dir : stdfs::directory_iterator(accounts, ec)) {
      if (!host_dir.is_directory(ec)) continue;
      for (const auto& acct_dir : stdfs::directory_iterator(host_dir.path(), ec)) {
        if (++seen > kMaxEntries) break;
        const stdfs::path json = acct_dir.path() / "account.json";
        if (!stdfs::exists(json, ec)) continue;
        FoundAccount a;
        a.id = host_dir.path().filename().string() + "/" + acct_dir.path().filename().string();
        a.from = acct_dir.path().string();
        auto text = fs::read_file(json.string(), kMaxJson);
        if (!text) {
          store.unreadable.push_back(text.error().text());
          continue;
        }
        auto j = nlohmann::json::parse(*text, nullptr, false);
        const nlohmann::json* reg = nullptr;
        if (!j.is_discarded() && j.is_object())
          for (const char* k : {"registration", "Registration"})
            if (auto it = j.find(k); it != j.end() && it->is_object()) reg = &*it;
        if (!reg || !reg->contains("uri") || !(*reg)["uri"].is_string()) {
          store.unreadable.push_back(fmt::format("{}: has no account URL (registration.uri)", json.string()));
          continue;
        }
        a.url = (*reg)["uri"].get<std::string>();
        if (auto body = reg->find("body"); body != reg->end() && body->is_object())
          if (auto c = body->find("contact"); c != body->end() && c->is_array())
            for (const auto& x : *c)
              if (x.is_string()) a.contact.push_back(x.get<std::string>());
        const std::string email = acct_dir.path().filename().string();
        auto key = fs::read_secret_file((acct_dir.path() / "keys" / (email + ".key")).string());
        if (!key) {
          store.unreadable.push_back(key.error().text());
          continue;
        }
        a.key_pem = std::move(*key);
        a.directory_url = server;  // lego keeps only the host; --server names the directory
        store.accounts.push_back(std::move(a));
      }
    }
  }
  std::vector<stdfs::path> metas;
  for (const auto& e : stdfs::directory_iterator(certs, ec)) {
    if (metas.size() >= kMaxEntries) break;
    if (e.path().extension() == ".json" && e.is_regular_file(ec)) metas.push_back(e.path());
  }
  if (ec) return Error(Category::Input, certs, "cannot be read", ec.message());
  std::sort(metas.begin(), metas.end());
  for (const auto& meta : metas) {
    const std::string stem = meta.stem().string();
    FoundCertificate f;
    f.name = record_name(stem);
    f.from = meta.string();
    f.cert_file = certs + "/" + stem + ".crt";
    f.key_file = certs + "/" + stem + ".key";
    if (!fs::exists(f.cert_file) || !fs::exists(f.key_file)) {
      store.unreadable.push_back(fmt::format("{}: no {}.crt and {}.key beside it", f.from, stem, stem));
      continue;
    }
    // lego bundles the issuer into .crt unless --no-bundle; then .issuer.crt is the chain.
    if (auto crt = fs::read_file(f.cert_file); crt) {
      std::size_t blocks = 0;
      for (std::size_t at = crt->find("-----BEGIN CERTIFICATE-----"); at != std::string::npos;
           at = crt->find("-----BEGIN CERTIFICATE-----", at + 1))
        ++blocks;
      if (blocks == 1 && fs::exists(certs + "/" + stem + ".issuer.crt")) f.chain_file = certs + "/" + stem + ".issuer.crt";
    }
    std::string cert_url;
    if (auto text = fs::read_file(meta.string(), kMaxJson)) {
      auto j = nlohmann::json::parse(*text, nullptr, false);
      if (!j.is_discarded() && j.is_object())
        for (const char* k : {"certUrl", "certStableUrl"})
          if (auto it = j.find(k); it != j.end() && it->is_string() && cert_url.empty()) cert_url = it->get<std::string>();
    }
    const std::string host = host_of(cert_url);
    f.ca_host = host;
    if (!server.empty() && (host.empty() || host_of(server) == host)) f.directory_url = server;
    // The account: lego's for the certificate's CA host, when there is exactly one.
    std::vector<const FoundAccount*> at_host;
    for (const auto& a : store.accounts)
      if (a.id.rfind(lego_dir_of(host) + "/", 0) == 0) at_host.push_back(&a);
    if (at_host.size() == 1) f.account_id = at_host.front()->id;
    f.unsupported = "lego keeps no challenge settings (they are its flags): give them to `certctl migrate lego` "
                    "(--challenge, --webroot, --http-port, --dns ...)";
    if (f.directory_url.empty() && !host.empty())
      f.notes.push_back(fmt::format("issued by {}; give --server with that CA's directory URL", host));
    store.certificates.push_back(std::move(f));
  }
  return store;
}

}  // namespace certctl::lifecycle
