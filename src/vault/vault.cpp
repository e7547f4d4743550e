#include <certctl/crypto.hpp>
#include <certctl/fs.hpp>
#include <certctl/vault.hpp>

#include "vault/audit_chain.hpp"
#include "vault/record_cache.hpp"
#include "vault/record_toml.hpp"
#include "vault/vault_config.hpp"

#include <algorithm>
#include <mutex>
#include <unordered_map>
#include <charconv>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace certctl::vault {

Status wrap_vault_key(Vault::Config& c, const UnlockSecret& secret, const SecretBytes& vault_key,
                      std::uint64_t scrypt_n);

struct Vault::Seen {
  std::mutex mu;
  std::unordered_map<std::string, storage::Revision> revisions;
  std::shared_ptr<const Fences> fences;
  bool swept = false;  ///< this object's first lock swept the leftovers of killed runs
};

Vault::Vault(std::shared_ptr<storage::Store> store)
    : store_(std::move(store)), seen_(std::make_unique<Seen>()), host_(host_name()), config_(std::make_unique<Config>()) {}

void Vault::remember(std::string_view name, storage::Revision r) const {
  std::lock_guard g(seen_->mu);
  if (r == 0)
    seen_->revisions.erase(std::string(name));
  else
    seen_->revisions[std::string(name)] = r;
}

std::optional<storage::Revision> Vault::last_seen(std::string_view name) const {
  std::lock_guard g(seen_->mu);
  auto it = seen_->revisions.find(std::string(name));
  if (it == seen_->revisions.end()) return std::nullopt;
  return it->second;
}

void Vault::set_fences(std::shared_ptr<const Fences> fences) const {
  std::lock_guard g(seen_->mu);
  seen_->fences = std::move(fences);
}
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

/// A key's value, or NotFound naming it.
Result<storage::Value> need(const storage::Store& store, const std::string& key, std::size_t limit = fs::kMaxFileSize) {
  TRY_ASSIGN(std::optional<storage::Value> v, store.get(key, limit));
  if (!v) return Error(Category::NotFound, store.where(key), "no such file");
  return std::move(*v);
}

}  // namespace

Result<Vault> Vault::open(const std::string& dir) {
  TRY(check_dir_safety(dir));
  for (const char* sub : {"certs", "ca", "ca/local", "cache"})
    if (const std::string p = fs::join(dir, sub); fs::exists(p)) TRY(check_dir_safety(p));
  return open(std::shared_ptr<storage::Store>(storage::open_file_store(dir)));
}

Result<Vault> Vault::open(std::shared_ptr<storage::Store> store) {
  Vault v{std::move(store)};
  auto text = need(*v.store_, Layout::config());
  if (!text) {
    if (text.error().category() == Category::NotFound)
      return Error(Category::Vault, v.describe(), "no vault here (config.toml missing); create one with `certctl init`");
    return std::move(text).error();
  }
  TRY_ASSIGN(*v.config_, parse_config(text->data, v.where(Layout::config())));
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
  TRY(fs::make_dirs(fs::join(dir, "certs"), 0700));
  return create(std::shared_ptr<storage::Store>(storage::open_file_store(dir)), secret, scrypt_n, now);
}

Result<Vault> Vault::create(std::shared_ptr<storage::Store> store, const UnlockSecret& secret,
                            std::uint64_t scrypt_n, UnixTime now) {
  if (std::string why = crypto::scrypt_problem(scrypt_n, crypto::ScryptParams{}.r, 1); !why.empty())
    return Error(Category::Usage, "--scrypt-n", why);
  Vault v{std::move(store)};
  TRY_ASSIGN(std::optional<storage::Value> existing, v.store_->get(Layout::config(), fs::kMaxFileSize));
  if (existing) return Error(Category::State, v.describe(), "a vault already exists here");
  Config& c = *v.config_;
  c.format = 1;
  c.created = format_rfc3339(now);
  SecretBytes vault_key = crypto::random_secret(32);
  TRY(wrap_vault_key(c, secret, vault_key, scrypt_n));
  // A head before any line, so a log whose first keyed line's head could not be written
  // still verifies (audit_chain.hpp); then the config, which makes it a vault.
  TRY_ASSIGN(SecretBytes audit_key, audit::derive_key(vault_key));
  TRY_ASSIGN(std::string head, audit::render_head(audit::ChainState{0, audit::genesis("")}, audit_key));
  storage::Change ch;
  ch.put(Layout::audit_head(), std::move(head));
  ch.commit_point = storage::Change::CommitPoint{Layout::config(), render_config(c), storage::Revision{0}};
  TRY(v.store_->apply(ch));
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

bool Vault::exists(std::string_view name) const {
  auto v = store_->get(Layout::record_file(name), fs::kMaxFileSize);
  return !v || v->has_value();  // one that cannot be read exists; load says why
}

Result<Record> Vault::load(std::string_view name) const {
  TRY(validate_name(name));
  const std::string key = Layout::record_file(name);
  TRY_ASSIGN(std::optional<storage::Value> text, store_->get(key, fs::kMaxFileSize));
  if (!text) return Error(Category::NotFound, std::string(name), "no such certificate in the vault (see `certctl list`)");
  TRY_ASSIGN(Record r, parse_record(text->data, where(key)));
  remember(name, text->revision);
  return r;
}

namespace {

/// "certs/<name>/record.toml" -> name ("" when it is not a record name).
std::string_view record_name_of(std::string_view key) {
  key.remove_prefix(Layout::certs().size());
  const auto slash = key.find('/');
  const std::string_view n = key.substr(0, slash);
  return validate_name(n) ? n : std::string_view();
}

}  // namespace

std::vector<std::string> Vault::names() const {
  std::vector<std::string> out;
  auto listed = store_->list(Layout::certs(), "record.toml");
  if (!listed) return out;
  for (const auto& l : *listed)
    if (auto n = record_name_of(l.key); !n.empty()) out.emplace_back(n);
  return out;
}

Status Vault::after_lock() const {
  // Every change is audited after it lands, so an audit log that cannot take a line (a
  // directory in its place, a read-only file system) must stop the change before it starts.
  auto appendable = store_->update_log(Layout::audit_log(),
                                       [](storage::LogView&) -> Result<std::optional<storage::LogAppend>> {
                                         return std::optional<storage::LogAppend>();
                                       });
  if (!appendable)
    return Error(Category::Vault, where(Layout::audit_log()), "cannot append to the audit log, so nothing was changed",
                 appendable.error().cause().empty() ? appendable.error().message() : appendable.error().cause());
  // Leftovers of killed runs (certctl(1), FILES): deleted records and temp files, once per
  // process (a batch takes the lock many times; listing certs/ each time grows with the vault).
  {
    std::lock_guard g(seen_->mu);
    if (seen_->swept) return ok();
    seen_->swept = true;
  }
  store_->sweep("");
  store_->sweep(Layout::certs());
  return ok();
}

Status Vault::for_each_record(const RecordVisitor& visit, std::vector<UnreadableRecord>* unreadable) const {
  // A cache the store will not vouch for (file backend: another owner, open to others) is an
  // error; a missing or damaged one has no entries.
  TRY_ASSIGN(std::optional<storage::Value> cache_bytes, store_->get(Layout::record_cache(), fs::kMaxCacheSize));
  CacheReader cache(cache_bytes ? std::string_view(cache_bytes->data) : std::string_view());
  bool cache_left = cache.next();
  TRY_ASSIGN(const std::vector<storage::Listed> listed, store_->list(Layout::certs(), "record.toml"));
  // Name order, the cache's (the keys' order differs where a name continues another's with a
  // character below '/').
  std::vector<std::pair<std::string_view, const storage::Listed*>> order;
  order.reserve(listed.size());
  for (const auto& l : listed)
    if (const std::string_view n = record_name_of(l.key); !n.empty()) order.emplace_back(n, &l);
  std::sort(order.begin(), order.end());
  // The cache is written again only when it changed: until then the entries it keeps are
  // only noted (views into its bytes), so an unchanged walk copies nothing.
  std::optional<CacheWriter> rewrite;
  std::vector<std::string_view> kept;
  auto changed = [&] {
    if (rewrite) return;
    rewrite.emplace();
    for (auto raw : kept) rewrite->add_raw(raw);
    kept = {};
  };
  for (const auto& [n, l] : order) {
    while (cache_left && cache.name() < n) {  // entries of records that are gone
      changed();
      cache_left = cache.next();
    }
    Record r;
    storage::Revision revision = 0;
    if (cache_left && cache.name() == n) {
      if (l->revision != 0 && cache.revision() == l->revision && cache.decode(r)) revision = l->revision;
      if (revision != 0) rewrite ? rewrite->add_raw(cache.raw()) : kept.push_back(cache.raw());
      cache_left = cache.next();
    }
    if (revision == 0) {  // not in the cache, or stale: parse record.toml
      changed();
      Result<Record> parsed = Record{};
      auto text = store_->get(l->key, fs::kMaxFileSize);
      if (!text) {
        parsed = std::move(text).error();
      } else if (!*text) {
        continue;  // removed since it was listed
      } else {
        revision = (*text)->revision;
        parsed = parse_record((*text)->data, where(l->key));
      }
      if (!parsed) {
        if (!unreadable) return std::move(parsed).error();
        unreadable->push_back(UnreadableRecord{std::string(n), std::move(parsed).error()});
        continue;
      }
      r = std::move(*parsed);
      rewrite->add(revision, r);
    }
    remember(n, revision);
    TRY(visit(std::move(r)));
  }
  if (cache_left) changed();
  if (rewrite) (void)store_->put(Layout::record_cache(), std::move(*rewrite).take());
  return ok();
}

Result<std::vector<Record>> Vault::load_all(std::vector<UnreadableRecord>* unreadable) const {
  std::vector<Record> out;
  TRY(for_each_record(
      [&out](Record&& r) -> Status {
        out.push_back(std::move(r));
        return ok();
      },
      unreadable));
  return out;
}

Status Vault::save(const Record& r, const std::optional<VersionFiles>& write, const std::vector<int>& drop) const {
  TRY(validate_name(r.name));
  storage::Change c;
  if (write) {
    if (write->fresh) c.remove(Layout::version_dir(r.name, write->version));
    for (const auto& [file, data] : write->files) c.put(Layout::version_file(r.name, write->version, file), data);
  }
  // Refused (State, exit 9) when the record changed since this process read it.
  c.commit_point = storage::Change::CommitPoint{Layout::record_file(r.name), render_record(r), last_seen(r.name)};
  {
    std::lock_guard g(seen_->mu);
    if (seen_->fences)
      if (auto it = seen_->fences->find(r.name); it != seen_->fences->end()) c.fence = it->second;
  }
  // One listing of the record's directory serves every sweep below.
  std::vector<storage::Listed> listed;
  if (auto l = store_->list(Layout::record_dir(r.name) + "/")) listed = std::move(*l);
  std::vector<int> gone = orphan_versions(r, listed);
  for (int v : drop)
    if (std::find(gone.begin(), gone.end(), v) == gone.end()) gone.push_back(v);
  for (int v : gone)
    if (!write || v != write->version) c.after.push_back({storage::Change::Op::Kind::Remove, Layout::version_dir(r.name, v), {}});
  // Files of the current version the record does not claim (a first certificate whose commit
  // was cut short, a key the device policy keeps off the vault), and device copies of any
  // other version or of a host the record no longer names: what the record says is there is
  // all that is there.
  const std::pair<std::string_view, bool> claimed[] = {
      {"key.enc", r.has_key}, {"csr.pem", r.has_csr}, {"cert.pem", r.has_cert}, {"chain.pem", r.has_chain}};
  const bool in_history =
      std::any_of(r.history.begin(), r.history.end(), [&](const HistoryEntry& h) { return h.version == r.version; });
  const std::string current_dir = Layout::version_dir(r.name, r.version) + "/";
  const bool sweep_current = r.version > 0 && !in_history && std::find(gone.begin(), gone.end(), r.version) == gone.end();
  for (const auto& l : listed) {
    const std::string_view file = std::string_view(l.key).substr(l.key.rfind('/') + 1);
    const bool in_current = l.key.rfind(current_dir, 0) == 0;
    const bool written = write && write->version == r.version && in_current &&
                         std::any_of(write->files.begin(), write->files.end(), [&](const auto& f) { return f.first == file; });
    if (written) continue;
    if (file.rfind("host-key.", 0) == 0) {
      const bool wanted = in_current && std::any_of(r.sealed_to.begin(), r.sealed_to.end(),
                                                    [&](const std::string& h) { return Layout::host_key_file(h) == file; });
      if (!wanted) c.after.push_back({storage::Change::Op::Kind::Remove, l.key, {}});
      continue;
    }
    if (!sweep_current || !in_current) continue;
    const bool wanted =
        std::any_of(std::begin(claimed), std::end(claimed), [&](const auto& f) { return f.first == file && f.second; });
    if (!wanted) c.after.push_back({storage::Change::Op::Kind::Remove, l.key, {}});
  }
  auto applied = store_->apply(c);
  if (!applied) {
    if (applied.error().category() == Category::State)
      return Error(Category::State, r.name, "changed in the vault since it was read (another certctl wrote it); run the command again",
                   applied.error().message());
    return std::move(applied).error();
  }
  remember(r.name, *applied);
  return ok();
}

std::vector<int> Vault::orphan_versions(const Record& r, const std::vector<storage::Listed>& listed) const {
  // Every v<N> that is neither the current version (holding at least one file the record
  // claims) nor a history entry: above r.version, left by a killed issue or import; below it,
  // an abandoned unissued version whose removal was cut short after the record was committed.
  const bool current_used = r.has_key || r.has_csr || r.has_cert || r.has_chain;
  std::vector<int> out;
  const std::string prefix = Layout::record_dir(r.name) + "/";
  for (const auto& l : listed) {
    const std::string_view rest = std::string_view(l.key).substr(prefix.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || rest.size() < 2 || rest[0] != 'v') continue;
    int v = 0;
    const char* end = rest.data() + slash;
    if (std::from_chars(rest.data() + 1, end, v).ptr != end || std::find(out.begin(), out.end(), v) != out.end()) continue;
    const bool referenced = (v == r.version && current_used) ||
                            std::any_of(r.history.begin(), r.history.end(), [v](const HistoryEntry& h) { return h.version == v; });
    if (!referenced) out.push_back(v);
  }
  return out;
}

Result<std::string> Vault::read_file(std::string_view name, int version, std::string_view file) const {
  const std::string key = Layout::version_file(name, version, file);
  TRY_ASSIGN(std::optional<storage::Value> v, store_->get(key, fs::kMaxFileSize));
  if (!v) return Error(Category::Vault, where(key), "missing from the vault (record and files disagree)");
  return std::move(v->data);
}

Result<bool> Vault::has_file(std::string_view name, int version, std::string_view file) const {
  TRY_ASSIGN(std::optional<storage::Value> v, store_->get(Layout::version_file(name, version, file), fs::kMaxFileSize));
  return v.has_value();
}

Status Vault::remove(std::string_view name) const {
  TRY(validate_name(name));
  TRY(store_->remove(Layout::record_dir(name)));
  remember(name, 0);
  return ok();
}

}  // namespace certctl::vault
