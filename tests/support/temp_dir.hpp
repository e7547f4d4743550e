#pragma once
// A temporary directory removed at scope exit (ninja's ScopedTempDir shape), plus helpers
// for vault tests: a fresh vault with a fast KDF and a digest of a whole tree.
#include <certctl/clock.hpp>
#include <certctl/crypto.hpp>
#include <certctl/fs.hpp>
#include <certctl/vault.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace certctl::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "certctl-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline vault::UnlockSecret passphrase(const char* p = "test passphrase") {
  return vault::UnlockSecret{vault::UnlockSecret::Kind::Passphrase, SecretBytes::from(p)};
}

/// A new, unlocked vault in dir/vault with scrypt N=1024 (fast).
inline vault::Vault make_vault(const TempDir& dir, UnixTime now = 1'800'000'000) {
  auto v = vault::Vault::create(dir.file("vault"), passphrase(), 1024, now);
  if (!v) throw std::runtime_error(v.error().text());
  return std::move(v).value();
}

/// A new, unlocked vault over an in-memory store (the write-failure tests' backend), scrypt
/// N=1024. The store stays the caller's, to fail writes in and to look at.
inline vault::Vault make_memory_vault(std::shared_ptr<storage::MemoryStore> store, UnixTime now = 1'800'000'000) {
  auto v = vault::Vault::create(std::move(store), passphrase(), 1024, now);
  if (!v) throw std::runtime_error(v.error().text());
  return std::move(v).value();
}

/// SHA-256 over every path, mode and content below root: equal digests = byte-identical trees.
inline std::string tree_digest(const std::string& root) {
  std::vector<std::string> entries;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    struct stat st {};
    ::lstat(e.path().c_str(), &st);
    std::string line = e.path().string() + "|" + std::to_string(st.st_mode) + "|";
    if (e.is_regular_file()) {
      auto content = fs::read_file(e.path().string());
      line += content ? crypto::hex_encode(crypto::sha256(*content)) : "?";
    }
    entries.push_back(std::move(line));
  }
  std::sort(entries.begin(), entries.end());
  std::string all;
  for (const auto& e : entries) all += e + "\n";
  return crypto::hex_encode(crypto::sha256(all));
}

}  // namespace certctl::test
