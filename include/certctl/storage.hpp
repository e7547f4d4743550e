#pragma once
/// The storage seam. Every byte of vault state (records, versions, sealed keys, PEMs, CA
/// profiles and accounts, the local CA, named configs, reminders, the logs, the record cache)
/// is read and written through a Store; nothing outside a backend touches the file system or a
/// database for it. Backends: the local directory (file_store.cpp, the default; today's
/// layout), PostgreSQL (pg_store.cpp) and memory (memory_store.cpp, for unit tests: it can fail
/// the Nth write).
///
/// Keys are relative, '/'-separated paths ("certs/web/record.toml", "ca/local/key.enc"), each
/// segment a safe name (vault::validate_name's alphabet plus '.'); the file backend maps a key
/// to <vault>/<key>, so the layout in certctl-vault(5) is the key space.
#include <certctl/result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace certctl::storage {

/// A key's revision: changed by every write of that key, never reused for another content of
/// it by the same backend. 0 means "absent" (put_if with 0: create only).
using Revision = std::uint64_t;

struct Value {
  std::string data;
  Revision revision = 0;
};

struct Listed {
  std::string key;
  /// 0 when the backend cannot vouch for the entry without reading it (the file backend: a
  /// symbolic link or a file open to others); get() then says what is wrong.
  Revision revision = 0;
};

class Lease;

/// One logical change, applied as a unit. The PostgreSQL backend runs it in one transaction;
/// the file backend applies `ops` in order (each atomic) and `commit_point` last, so a change
/// cut short leaves only files no record refers to (swept later) and the old record.
struct Change {
  struct Op {
    enum class Kind { Put, Remove } kind = Kind::Put;
    std::string key;
    std::string data;  ///< Put only
  };
  struct CommitPoint {
    std::string key;
    std::string data;
    /// Write only if the key's revision is still this (0: only if absent), else a State error
    /// "changed since it was read" (exit 9) and nothing of the change is applied.
    std::optional<Revision> expected;
  };
  std::vector<Op> ops;
  std::optional<CommitPoint> commit_point;
  /// Applied after the commit point (removals of what the committed state no longer refers to).
  std::vector<Op> after;
  /// When set, the change applies only while this lease is still held with the generation it
  /// was granted (fencing): a host whose lease expired and was taken cannot overwrite newer work.
  const Lease* fence = nullptr;

  Change& put(std::string key, std::string data) {
    ops.push_back(Op{Op::Kind::Put, std::move(key), std::move(data)});
    return *this;
  }
  Change& remove(std::string key) {
    ops.push_back(Op{Op::Kind::Remove, std::move(key), {}});
    return *this;
  }
};

/// A held exclusive lock (the vault's writer lock): released when destroyed, and by the
/// backend when the process dies (flock; a PostgreSQL session advisory lock).
class Held {
 public:
  virtual ~Held() = default;
};

/// A lease on a name (e.g. "renew/web"): exclusive while held, with a time to live, renewable,
/// released when destroyed or when the process dies, and lost when not renewed within its TTL.
/// Each grant of a name has a larger generation than the one before (the fencing token).
class Lease {
 public:
  virtual ~Lease() = default;
  virtual const std::string& name() const = 0;
  virtual std::uint64_t generation() const = 0;
  /// Extend the TTL from now; a State error when the lease was lost meanwhile.
  virtual Status renew() = 0;
};

/// What a log update sees while it holds the log against other appenders.
class LogView {
 public:
  virtual ~LogView() = default;
  /// The last line (without its newline; a torn last line counts); "" for an empty or missing
  /// log, or one whose last line is longer than 64 KiB.
  virtual Result<std::string> last_line() = 0;
  /// The whole log, its last line ended by '\n' even when torn (bounded by `limit`: a larger
  /// log is a Vault error naming it).
  virtual Result<std::string> whole(std::size_t limit) = 0;
};
/// What a log update appends.
struct LogAppend {
  std::string line;  ///< without its newline
  /// Put after the line is appended, while the log is still held (the audit chain's head).
  std::optional<std::pair<std::string, std::string>> then_put;
};
/// Returns what to append, or nullopt to append nothing.
using LogUpdate = std::function<Result<std::optional<LogAppend>>(LogView&)>;

class Store {
 public:
  virtual ~Store() = default;

  /// What names the whole store in messages: the vault directory, or "postgresql database D
  /// (schema S)" without any password.
  virtual std::string describe() const = 0;
  /// What names one key in messages: the file's path, or "<describe()>: <key>".
  virtual std::string where(std::string_view key) const = 0;

  /// The value of a key; nullopt when absent. Larger than `limit`: a Vault error naming it.
  virtual Result<std::optional<Value>> get(std::string_view key, std::size_t limit) const = 0;
  /// Keys that start with `prefix` (which ends in '/'), sorted. With `leaf`, only keys
  /// prefix + <one segment> + "/" + leaf (e.g. every "certs/<name>/record.toml").
  virtual Result<std::vector<Listed>> list(std::string_view prefix, std::string_view leaf = {}) const = 0;
  /// Apply a change (see Change); returns the commit point's new revision (0 without one).
  virtual Result<Revision> apply(const Change& change) = 0;
  /// Append one line to the log `key` while holding it against other appenders; `update`
  /// decides the line from what the log holds (the audit chain needs its last line).
  virtual Status update_log(std::string_view key, const LogUpdate& update) = 0;
  /// Take the exclusive lock `name` (".lock": the writer lock; ".renew.lock": one renew run),
  /// waiting up to `wait`; longer is a Vault error saying another certctl holds it.
  virtual Result<std::unique_ptr<Held>> lock(std::string_view name, std::chrono::milliseconds wait) = 0;
  /// Lease `name` for `ttl` on behalf of `holder` (a host name, for messages); nullopt when
  /// another holder has it and its TTL has not run out.
  virtual Result<std::optional<std::unique_ptr<Lease>>> lease(std::string_view name, std::chrono::seconds ttl,
                                                              std::string_view holder) = 0;

  /// Whether certctl on other hosts may use this store at the same time (PostgreSQL): renew
  /// then splits the due records between hosts by leases instead of one run at a time.
  virtual bool shared() const { return false; }

  /// Remove what killed runs left under `prefix` ("" the whole store): the file backend's temp
  /// files and half-removed trees. Called under the writer lock; other backends have none.
  virtual void sweep(std::string_view /*prefix*/) {}

  // Conveniences over apply().
  Result<Revision> put(std::string_view key, std::string_view data);
  Result<Revision> put_if(std::string_view key, std::string_view data, Revision expected);
  Status remove(std::string_view key);
  /// Append `line` to the log `key` (no chaining).
  Status append(std::string_view key, std::string_view line);
};

/// The local directory backend. `root` must exist; Vault::open checks its ownership and mode.
std::unique_ptr<Store> open_file_store(std::string root);

/// The in-memory backend for unit tests. Every write (each op of a change, each log append)
/// counts; fail_write(n) makes the nth write from now fail with a Vault error (and every later
/// one while `sticky`), as a full disk or a dropped connection would.
class MemoryStore : public Store {
 public:
  MemoryStore();
  ~MemoryStore() override;
  void fail_write(std::size_t nth, bool sticky = false);
  /// Writes attempted since construction (failed ones included).
  std::size_t writes() const;
  /// The key of each of those writes, in order (a log's key for an append).
  std::vector<std::string> written_keys() const;
  /// Every key and value, for comparing whole states in tests.
  std::vector<std::pair<std::string, std::string>> dump() const;
  /// The whole key space, each value with its revision, for restore().
  using Snapshot = std::vector<std::pair<std::string, Value>>;
  Snapshot snapshot() const;
  /// Put a snapshot's key space back (a test's reset between runs); locks, leases, the write
  /// counter and fail_write() stay as they are. Each key gets back the revision it had for that
  /// content, and later writes still get revisions never handed out before.
  void restore(const Snapshot& snapshot);

  std::string describe() const override;
  std::string where(std::string_view key) const override;
  Result<std::optional<Value>> get(std::string_view key, std::size_t limit) const override;
  Result<std::vector<Listed>> list(std::string_view prefix, std::string_view leaf = {}) const override;
  Result<Revision> apply(const Change& change) override;
  Status update_log(std::string_view key, const LogUpdate& update) override;
  Result<std::unique_ptr<Held>> lock(std::string_view name, std::chrono::milliseconds wait) override;
  Result<std::optional<std::unique_ptr<Lease>>> lease(std::string_view name, std::chrono::seconds ttl,
                                                      std::string_view holder) override;

 struct State;  ///< opaque (memory_store.cpp); shared with the locks and leases it hands out

 private:
  std::shared_ptr<State> state_;
};

/// "a/b" -> true when every segment is a safe name; the check every backend makes on a key.
bool valid_key(std::string_view key);

}  // namespace certctl::storage
