// The in-memory backend for unit tests: the file backend's semantics (each op of a change is
// atomic on its own, the commit point last) with a switch that fails the Nth write, so a test
// can stop a command at every write it makes and look at what is left.
#include <certctl/storage.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

namespace certctl::storage {

struct MemoryStore::State {
  std::mutex mu;
  std::map<std::string, Value, std::less<>> kv;
  Revision next_revision = 1;
  std::size_t writes = 0;
  std::vector<std::string> written;  ///< the key of each write, in order
  std::size_t fail_at = 0;  ///< 0: never
  bool sticky = false;
  std::set<std::string, std::less<>> locks;
  struct LeaseRow {
    std::string holder;
    std::uint64_t generation = 0;
    std::chrono::steady_clock::time_point expires;
    bool held = false;
  };
  std::map<std::string, LeaseRow, std::less<>> leases;

  /// Count one write; false when it is the one to fail.
  bool write_allowed(std::string_view key) {
    ++writes;
    written.emplace_back(key);
    if (fail_at == 0) return true;
    if (writes == fail_at) return false;
    return !(sticky && writes > fail_at);
  }
  Error write_error(std::string_view key) const {
    return Error(Category::Vault, fmt::format("memory:{}", key), "cannot write", "injected failure");
  }
};

namespace {

class MemoryHeld final : public Held {
 public:
  MemoryHeld(std::shared_ptr<MemoryStore::State> s, std::string name) : s_(std::move(s)), name_(std::move(name)) {}
  ~MemoryHeld() override {
    std::lock_guard g(s_->mu);
    s_->locks.erase(name_);
  }

 private:
  std::shared_ptr<MemoryStore::State> s_;
  std::string name_;
};

class MemoryLease final : public Lease {
 public:
  MemoryLease(std::shared_ptr<MemoryStore::State> s, std::string name, std::uint64_t gen, std::chrono::seconds ttl)
      : s_(std::move(s)), name_(std::move(name)), gen_(gen), ttl_(ttl) {}
  ~MemoryLease() override {
    std::lock_guard g(s_->mu);
    if (auto it = s_->leases.find(name_); it != s_->leases.end() && it->second.generation == gen_) it->second.held = false;
  }
  const std::string& name() const override { return name_; }
  std::uint64_t generation() const override { return gen_; }
  Status renew() override {
    std::lock_guard g(s_->mu);
    return renew_locked();
  }
  Status renew_locked() {
    auto it = s_->leases.find(name_);
    const auto now = std::chrono::steady_clock::now();
    if (it == s_->leases.end() || it->second.generation != gen_ || !it->second.held || it->second.expires < now)
      return Error(Category::State, name_, "lost its lease (it expired and may have been taken by another holder)");
    it->second.expires = now + ttl_;
    return ok();
  }
  bool current_locked() const {
    auto it = s_->leases.find(name_);
    return it != s_->leases.end() && it->second.generation == gen_ && it->second.held &&
           it->second.expires >= std::chrono::steady_clock::now();
  }

 private:
  std::shared_ptr<MemoryStore::State> s_;
  std::string name_;
  std::uint64_t gen_;
  std::chrono::seconds ttl_;
};

class MemoryLogView final : public LogView {
 public:
  explicit MemoryLogView(const std::string* log) : log_(log) {}
  Result<std::string> last_line() override {
    if (!log_ || log_->empty()) return std::string();
    std::string_view s = *log_;
    if (s.back() == '\n') s.remove_suffix(1);
    const auto nl = s.rfind('\n');
    return std::string(nl == std::string_view::npos ? s : s.substr(nl + 1));
  }
  Result<std::string> whole(std::size_t limit) override {
    if (!log_) return std::string();
    if (log_->size() > limit) return Error(Category::Vault, "memory log", "larger than the limit");
    return *log_;
  }

 private:
  const std::string* log_;
};

Status check_key(std::string_view key) {
  if (!valid_key(key)) return Error(Category::Internal, std::string(key), "not a valid storage key");
  return ok();
}

}  // namespace

MemoryStore::MemoryStore() : state_(std::make_shared<State>()) {}
MemoryStore::~MemoryStore() = default;

void MemoryStore::fail_write(std::size_t nth, bool sticky) {
  std::lock_guard g(state_->mu);
  state_->fail_at = nth == 0 ? 0 : state_->writes + nth;
  state_->sticky = sticky;
}

std::size_t MemoryStore::writes() const {
  std::lock_guard g(state_->mu);
  return state_->writes;
}

std::vector<std::string> MemoryStore::written_keys() const {
  std::lock_guard g(state_->mu);
  return state_->written;
}

std::vector<std::pair<std::string, std::string>> MemoryStore::dump() const {
  std::lock_guard g(state_->mu);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [k, v] : state_->kv) out.emplace_back(k, v.data);
  return out;
}

MemoryStore::Snapshot MemoryStore::snapshot() const {
  std::lock_guard g(state_->mu);
  return Snapshot(state_->kv.begin(), state_->kv.end());
}

void MemoryStore::restore(const Snapshot& snapshot) {
  std::lock_guard g(state_->mu);
  state_->kv = std::map<std::string, Value, std::less<>>(snapshot.begin(), snapshot.end());
  // next_revision is left alone: it only grows, so no revision is handed out twice.
  for (const auto& [key, value] : snapshot) state_->next_revision = std::max(state_->next_revision, value.revision + 1);
}

std::string MemoryStore::describe() const { return "memory"; }
std::string MemoryStore::where(std::string_view key) const { return fmt::format("memory:{}", key); }

Result<std::optional<Value>> MemoryStore::get(std::string_view key, std::size_t limit) const {
  TRY(check_key(key));
  std::lock_guard g(state_->mu);
  auto it = state_->kv.find(key);
  if (it == state_->kv.end()) return std::optional<Value>();
  if (it->second.data.size() > limit)
    return Error(Category::Vault, where(key), fmt::format("larger than {} bytes", limit));
  return std::optional<Value>(it->second);
}

Result<std::vector<Listed>> MemoryStore::list(std::string_view prefix, std::string_view leaf) const {
  std::lock_guard g(state_->mu);
  std::vector<Listed> out;
  for (auto it = state_->kv.lower_bound(prefix); it != state_->kv.end(); ++it) {
    std::string_view k = it->first;
    if (k.substr(0, prefix.size()) != prefix) break;
    if (!leaf.empty()) {
      const std::string_view rest = k.substr(prefix.size());
      const auto slash = rest.find('/');
      if (slash == std::string_view::npos || slash == 0 || rest.substr(slash + 1) != leaf) continue;
    }
    out.push_back(Listed{it->first, it->second.revision});
  }
  return out;
}

Result<Revision> MemoryStore::apply(const Change& change) {
  for (const auto& op : change.ops) TRY(check_key(op.key));
  for (const auto& op : change.after) TRY(check_key(op.key));
  if (change.commit_point) TRY(check_key(change.commit_point->key));
  std::lock_guard g(state_->mu);
  State& s = *state_;
  auto fence_ok = [&] {
    auto* lease = dynamic_cast<const MemoryLease*>(change.fence);
    return !change.fence || (lease && lease->current_locked());
  };
  if (!fence_ok()) return Error(Category::State, change.fence->name(), "lost its lease; the change was not applied");
  if (const auto& cp = change.commit_point; cp && cp->expected) {
    auto it = s.kv.find(cp->key);
    const Revision now = it == s.kv.end() ? 0 : it->second.revision;
    if (now != *cp->expected)
      return Error(Category::State, where(cp->key), "changed since it was read; run the command again");
  }
  auto run = [&s](const std::vector<Change::Op>& ops) -> Status {
    for (const auto& op : ops) {
      if (!s.write_allowed(op.key)) return s.write_error(op.key);
      if (op.kind == Change::Op::Kind::Put) {
        s.kv[op.key] = Value{op.data, s.next_revision++};
      } else {
        const std::string below = op.key + "/";
        s.kv.erase(op.key);
        for (auto it = s.kv.lower_bound(below); it != s.kv.end() && it->first.compare(0, below.size(), below) == 0;)
          it = s.kv.erase(it);
      }
    }
    return ok();
  };
  TRY(run(change.ops));
  Revision r = 0;
  if (change.commit_point) {
    if (!s.write_allowed(change.commit_point->key)) return s.write_error(change.commit_point->key);
    r = s.next_revision++;
    s.kv[change.commit_point->key] = Value{change.commit_point->data, r};
  }
  TRY(run(change.after));
  return r;
}

Status MemoryStore::update_log(std::string_view key, const LogUpdate& update) {
  TRY(check_key(key));
  std::string current;
  {
    std::lock_guard g(state_->mu);
    if (auto it = state_->kv.find(key); it != state_->kv.end()) current = it->second.data;
  }
  // The update may write other keys (the audit head), so it runs without the mutex; unit
  // tests append from one thread.
  MemoryLogView view(&current);
  TRY_ASSIGN(std::optional<LogAppend> add, update(view));
  if (!add) return ok();
  {
    std::lock_guard g(state_->mu);
    if (!state_->write_allowed(key)) return state_->write_error(key);
    Value& v = state_->kv[std::string(key)];
    if (!v.data.empty() && v.data.back() != '\n') v.data += '\n';
    v.data += add->line;
    v.data += '\n';
    v.revision = state_->next_revision++;
  }
  if (add->then_put) TRY(put(add->then_put->first, add->then_put->second));
  return ok();
}

Result<std::unique_ptr<Held>> MemoryStore::lock(std::string_view name, std::chrono::milliseconds wait) {
  // milliseconds::max() is "forever" (the renew lock): no deadline to overflow.
  const auto deadline = wait == std::chrono::milliseconds::max()
                            ? std::chrono::steady_clock::time_point::max()
                            : std::chrono::steady_clock::now() + wait;
  for (;;) {
    {
      std::lock_guard g(state_->mu);
      if (state_->locks.insert(std::string(name)).second)
        return std::unique_ptr<Held>(std::make_unique<MemoryHeld>(state_, std::string(name)));
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return Error(Category::Vault, describe(), "locked by another certctl; try again later");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

Result<std::optional<std::unique_ptr<Lease>>> MemoryStore::lease(std::string_view name, std::chrono::seconds ttl,
                                                                 std::string_view holder) {
  std::lock_guard g(state_->mu);
  const auto now = std::chrono::steady_clock::now();
  State::LeaseRow& row = state_->leases[std::string(name)];
  if (row.held && row.expires >= now) return std::optional<std::unique_ptr<Lease>>();
  row.holder = std::string(holder);
  row.generation += 1;
  row.expires = now + ttl;
  row.held = true;
  return std::optional<std::unique_ptr<Lease>>(std::make_unique<MemoryLease>(state_, std::string(name), row.generation, ttl));
}

}  // namespace certctl::storage
