#include <certctl/crypto.hpp>
#include <certctl/fs.hpp>
#include <certctl/vault.hpp>

#include "vault/record_cache.hpp"
#include "vault/record_toml.hpp"
#include "vault/vault_config.hpp"

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace certctl::vault {

Status wrap_vault_key(Vault::Config& c, const UnlockSecret& secret, const SecretBytes& vault_key,
                      std::uint64_t scrypt_n);

Vault::Vault(Layout layout) : layout_(std::move(layout)), config_(std::make_unique<Config>()) {}
Vault::Vault(Vault&&) noexcept = default;
Vault& Vault::operator=(Vault&&) noexcept = default;
Vault::~Vault() = default;

namespace {

/// The vault directory must be ours and closed to group/others for writing.
Status check_dir_safety(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return Error(Category::Vault, dir, "no vault here; create one with `certctl init`");
    return Error(Category::Vault, dir, "cannot access", std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) return Error(Category::Vault, dir, "is not a directory");
  return fs::check_private(st, dir);
}

}  // namespace

Result<Vault> Vault::open(const std::string& dir) {
  TRY(check_dir_safety(dir));
  for (const char* sub : {"certs", "ca", "ca/local", "cache"})
    if (const std::string p = fs::join(dir, sub); fs::exists(p)) TRY(check_dir_safety(p));
  Vault v{Layout(dir)};
  auto text = fs::read_private_file(v.layout_.config());
  if (!text) {
    if (text.error().category() == Category::NotFound)
      return Error(Category::Vault, dir, "no vault here (config.toml missing); create one with `certctl init`");
    return std::move(text).error();
  }
  TRY_ASSIGN(*v.config_, parse_config(*text, v.layout_.config()));
  return v;
}

Result<Vault> Vault::create(const std::string& dir, const UnlockSecret& secret,
                            std::uint64_t scrypt_n, UnixTime now) {
  if (std::string why = crypto::scrypt_problem(scrypt_n, crypto::ScryptParams{}.r, 1); !why.empty())
    return Error(Category::Usage, "--scrypt-n", why);
  if (fs::exists(fs::join(dir, "config.toml")))
    return Error(Category::State, dir, "a vault already exists here");
  if (fs::exists(dir)) {
    TRY(check_dir_safety(dir));
    ::chmod(dir.c_str(), 0700);
  } else {
    TRY(fs::make_dirs(dir, 0700));
  }
  Vault v{Layout(dir)};
  Config& c = *v.config_;
  c.format = 1;
  c.created = format_rfc3339(now);
  SecretBytes vault_key = crypto::random_secret(32);
  TRY(wrap_vault_key(c, secret, vault_key, scrypt_n));
  TRY(fs::make_dirs(v.layout_.certs(), 0700));
  TRY(fs::write_file_atomic(v.layout_.lock(), ""));
  TRY(fs::write_file_atomic(v.layout_.config(), render_config(c)));
  v.vault_key_ = std::move(vault_key);
  return v;
}

VaultInfo Vault::info() const {
  VaultInfo i;
  i.format = config_->format;
  i.method = config_->method;
  i.kdf = config_->kdf;
  i.scrypt_n = config_->n;
  i.scrypt_r = config_->r;
  i.scrypt_p = config_->p;
  i.created = config_->created;
  return i;
}

bool Vault::exists(std::string_view name) const { return fs::exists(layout_.record_file(name)); }

namespace {

/// A record's file, read only from a private record directory (fs::check_private: no symlink,
/// ours, not group/world-writable) and as a private file.
Result<std::string> read_record_text(const Layout& layout, std::string_view name) {
  const std::string dir = layout.record_dir(name);
  if (!fs::exists(dir)) return Error(Category::NotFound, layout.record_file(name), "no such file");
  TRY(fs::check_private_dir(dir));
  return fs::read_private_file(layout.record_file(name));
}

}  // namespace

Result<Record> Vault::load(std::string_view name) const {
  TRY(validate_name(name));
  const std::string path = layout_.record_file(name);
  auto text = read_record_text(layout_, name);
  if (!text) {
    if (text.error().category() == Category::NotFound)
      return Error(Category::NotFound, std::string(name), "no such certificate in the vault (see `certctl list`)");
    return std::move(text).error();
  }
  return parse_record(*text, path);
}

namespace {

struct Candidate {
  std::string name;
  bool symlink = false;  ///< from the directory entry (d_type): no extra system call
};

/// Directory entries of certs/ that can be record names (skips ".", temp and deleted entries).
std::vector<Candidate> candidate_names(const std::string& certs) {
  std::vector<Candidate> out;
  DIR* d = ::opendir(certs.c_str());
  if (!d) return out;
  while (const dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (!n.empty() && n[0] != '.' && validate_name(n)) out.push_back(Candidate{std::string(n), e->d_type == DT_LNK});
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) { return a.name < b.name; });
  return out;
}

}  // namespace

std::vector<std::string> Vault::names() const {
  std::vector<std::string> out;
  for (auto& c : candidate_names(layout_.certs()))
    if (fs::exists(layout_.record_file(c.name))) out.push_back(std::move(c.name));
  return out;
}

Result<std::vector<Record>> Vault::load_all(std::vector<UnreadableRecord>* unreadable) const {
  TRY_ASSIGN(auto cache, read_record_cache(layout_.record_cache()));
  std::vector<CacheEntry> fresh;  // parsed now because the cache lacked them or was stale
  std::vector<CacheEntry*> order;
  const auto candidates = candidate_names(layout_.certs());
  fresh.reserve(candidates.size());
  order.reserve(candidates.size());
  std::size_t reused = 0;
  for (const auto& [n, symlink] : candidates) {
    const std::string path = layout_.record_file(n);
    struct stat st {};
    auto stamp = stamp_of(path, &st);
    if (!stamp) continue;  // a directory without a record (e.g. half-deleted)
    // The stat the cache needs anyway tells whether record.toml is private; its directory is
    // checked whenever the record is parsed (a replaced record.toml changes the stamp).
    Result<Record> r = symlink ? Error(Category::Vault, layout_.record_dir(n), "is a symbolic link; refusing to follow it")
                               : Result<Record>(Record{});
    if (r) {
      if (auto safe = fs::check_private(st, path); !safe) r = std::move(safe).error();
    }
    if (r) {
      if (auto it = cache.find(n); it != cache.end() && it->second.stamp == *stamp) {
        order.push_back(&it->second);
        ++reused;
        continue;
      }
      auto text = read_record_text(layout_, n);
      r = text ? parse_record(*text, path) : Result<Record>(std::move(text).error());
    }
    if (!r) {
      if (!unreadable) return std::move(r).error();
      unreadable->push_back(UnreadableRecord{n, std::move(r).error()});
      continue;
    }
    fresh.push_back(CacheEntry{*stamp, std::move(*r)});
  }
  // `fresh` no longer grows, so pointers into it stay valid; merge them in name order.
  for (auto& e : fresh) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](const CacheEntry* a, const CacheEntry* b) { return a->record.name < b->record.name; });
  if (!fresh.empty() || reused != cache.size()) write_record_cache(layout_.record_cache(), order);
  std::vector<Record> out;
  out.reserve(order.size());
  for (CacheEntry* e : order) out.push_back(std::move(e->record));  // moved, not copied: one copy in memory
  return out;
}

Status Vault::save(const Record& r) const {
  TRY(validate_name(r.name));
  TRY(fs::make_dirs(layout_.record_dir(r.name), 0700));
  TRY(fs::write_file_atomic(layout_.record_file(r.name), render_record(r)));
  sweep_record(r);
  return ok();
}

void Vault::sweep_record(const Record& r) const {
  const std::string dir = layout_.record_dir(r.name);
  fs::sweep_leftovers(dir);
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  std::vector<int> orphans;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view n = e->d_name;
    int v = 0;
    const char* end = n.data() + n.size();
    if (n.size() > 1 && n[0] == 'v' && std::from_chars(n.data() + 1, end, v).ptr == end && v > r.version)
      orphans.push_back(v);
  }
  ::closedir(d);
  for (int v : orphans) (void)fs::remove_tree(layout_.version_dir(r.name, v));
}

Status Vault::write_file(std::string_view name, int version, std::string_view file,
                         std::string_view data, mode_t mode) const {
  TRY(fs::make_dirs(layout_.version_dir(name, version), 0700));
  return fs::write_file_atomic(layout_.version_file(name, version, file), data, mode);
}

Result<std::string> Vault::read_file(std::string_view name, int version, std::string_view file) const {
  TRY(fs::check_private_dir(layout_.record_dir(name)));
  if (const std::string dir = layout_.version_dir(name, version); fs::exists(dir)) TRY(fs::check_private_dir(dir));
  auto r = fs::read_private_file(layout_.version_file(name, version, file));
  if (!r && r.error().category() == Category::NotFound)
    return Error(Category::Vault, layout_.version_file(name, version, file),
                 "missing from the vault (record and files disagree)");
  return r;
}

Status Vault::remove(std::string_view name) const {
  TRY(validate_name(name));
  return fs::remove_tree(layout_.record_dir(name));
}

}  // namespace certctl::vault
