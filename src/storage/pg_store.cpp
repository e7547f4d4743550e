// The PostgreSQL backend of the storage seam (include/certctl/pg_store.hpp): one schema per
// vault, one transaction per Change, session advisory locks for Store::lock, a lease table
// for Store::lease, and NOTIFY on commit points under "certs/". ARCHITECTURE.md, "The
// PostgreSQL backend", has the design; man/certctl-vault.5 (POSTGRESQL SCHEMA) the tables.
#include <certctl/pg_store.hpp>

#include <fmt/format.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <set>
#include <thread>

#include "storage/pg_conn.hpp"

namespace certctl::storage {

// --- libpq helpers (pg_conn.hpp) --------------------------------------------------------------
namespace pg {

Param text(std::string_view s) { return Param{kText, std::string(s)}; }
Param bytea(std::string_view s) { return Param{kBytea, std::string(s)}; }
Param int8(std::int64_t v) {
  std::string b(8, '\0');
  auto u = static_cast<std::uint64_t>(v);
  for (int i = 7; i >= 0; --i, u >>= 8) b[static_cast<std::size_t>(i)] = static_cast<char>(u & 0xff);
  return Param{kInt8, std::move(b)};
}

std::string col_bytes(const PGresult* r, int row, int col) {
  return std::string(PQgetvalue(r, row, col), static_cast<std::size_t>(PQgetlength(r, row, col)));
}
bool col_null(const PGresult* r, int row, int col) { return PQgetisnull(r, row, col) != 0; }
std::int64_t col_int8(const PGresult* r, int row, int col) {
  if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 8) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(r, row, col));
  std::uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u = (u << 8) | p[i];
  return static_cast<std::int64_t>(u);
}
bool col_bool(const PGresult* r, int row, int col) {
  return !PQgetisnull(r, row, col) && PQgetlength(r, row, col) == 1 && PQgetvalue(r, row, col)[0] != 0;
}

std::string clean_message(std::string_view msg, std::string_view password) {
  auto nl = msg.find('\n');
  std::string s(msg.substr(0, nl));
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\t')) s.pop_back();
  for (auto at = s.find("  "); at != std::string::npos; at = s.find("  ", at)) s.erase(at, 1);  // "FATAL:  x"
  auto replace_all = [&s](std::string_view what) {
    for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + 10)) s.replace(at, what.size(), "<redacted>");
  };
  if (password.size() >= 3) replace_all(password);
  // password=WORD (keyword/value form, or a URI query parameter).
  for (auto at = s.find("password="); at != std::string::npos; at = s.find("password=", at + 1)) {
    auto from = at + 9;
    auto to = s.find_first_of(" &'\"", from);
    if (to == std::string::npos) to = s.size();
    if (s.compare(from, to - from, "<redacted>") != 0) s.replace(from, to - from, "<redacted>");
  }
  // scheme://user:secret@host
  for (auto at = s.find("://"); at != std::string::npos; at = s.find("://", at + 3)) {
    auto end = s.find_first_of("/ \"'", at + 3);
    auto atsign = s.rfind('@', end == std::string::npos ? s.size() : end);
    if (atsign == std::string::npos || atsign < at + 3) continue;
    auto colon = s.find(':', at + 3);
    if (colon != std::string::npos && colon < atsign) s.replace(colon + 1, atsign - colon - 1, "<redacted>");
  }
  return s;
}

}  // namespace pg

namespace {

/// The schema, one row per version: each brings the tables from version - 1 to `version`,
/// run in one transaction with the version row (see migrate). "@S" stands for the quoted
/// schema name. Append a row for a change; never edit a shipped one.
struct Migration {
  int version;
  const char* sql;
};
constexpr std::array kMigrations{
    Migration{1, R"sql(
CREATE SEQUENCE @S.revisions;
CREATE SEQUENCE @S.lease_generations;
CREATE TABLE @S.kv (
  key text COLLATE "C" PRIMARY KEY,
  data bytea NOT NULL,
  revision bigint NOT NULL);
CREATE TABLE @S.logs (
  log text COLLATE "C" NOT NULL,
  seq bigint NOT NULL DEFAULT nextval('@S.revisions'),
  line bytea NOT NULL,
  PRIMARY KEY (log, seq));
CREATE TABLE @S.leases (
  name text COLLATE "C" PRIMARY KEY,
  holder text NOT NULL,
  generation bigint NOT NULL,
  expires timestamptz NOT NULL);
)sql"},
};
constexpr int kSchemaVersion = kMigrations.back().version;

/// NOTIFY payloads must stay under 8000 bytes; keys are bounded well below.
constexpr std::size_t kMaxKey = 1024;
constexpr std::size_t kMaxValue = std::size_t{1} << 30;  // bytea's own limit

bool segment_ok(std::string_view s) {
  if (s.empty() || s == "." || s == "..") return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

/// The key check every backend makes (storage.hpp); local so this library needs nothing of
/// the other backends.
bool key_ok(std::string_view key) {
  if (key.empty() || key.size() > kMaxKey) return false;
  for (std::size_t from = 0;;) {
    auto slash = key.find('/', from);
    if (!segment_ok(key.substr(from, slash == std::string_view::npos ? std::string_view::npos : slash - from)))
      return false;
    if (slash == std::string_view::npos) return true;
    from = slash + 1;
  }
}

Error bad_key(std::string_view key) {
  return Error(Category::Internal, fmt::format("storage key '{}'", key),
               "not a valid key ('/'-separated names of letters, digits, '.', '_' and '-')");
}

Status check_schema_name(std::string_view s) {
  bool ok = !s.empty() && s.size() <= 55 && s.substr(0, 3) != "pg_" && !(s[0] >= '0' && s[0] <= '9') &&
            std::all_of(s.begin(), s.end(),
                        [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
  if (ok) return certctl::ok();
  return Error(Category::Usage, fmt::format("schema '{}'", s),
               "must be 1 to 55 lowercase letters, digits and '_', not starting with a digit or 'pg_'");
}

/// `text` for a LIKE pattern with ESCAPE '\': matches itself only.
std::string like_literal(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

/// A 64-bit advisory lock key for (schema, kind, name): FNV-1a.
std::int64_t advisory_key(std::string_view schema, std::string_view kind, std::string_view name) {
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;  // a separator no key contains
  };
  mix("certctl");
  mix(schema);
  mix(kind);
  mix(name);
  return static_cast<std::int64_t>(h);
}

std::int64_t clamp64(std::size_t n) {
  return n > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()) ? std::numeric_limits<std::int64_t>::max()
                                                                                   : static_cast<std::int64_t>(n);
}

std::string seconds_text(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return fmt::format("{} s", d.count() / 1000);
  return fmt::format("{:.1f} s", static_cast<double>(d.count()) / 1000.0);
}

}  // namespace

// --- the connection and its statements ---------------------------------------------------------
struct PgStore::Impl {
  /// Recursive: a log update's callback may write through the same store while the update's
  /// transaction is open on this thread; other threads wait for the whole transaction.
  mutable std::recursive_mutex mu;
  pg::ConnPtr conn;
  std::string schema;
  std::string q;  ///< the schema quoted for SQL
  std::string desc;
  std::string channel;
  int depth = 0;  ///< open transaction levels: BEGIN, then savepoints
  bool listening = false;
  std::multiset<std::string> held;  ///< lock names held by this session

  // Every statement, with the schema filled in once.
  std::string get_sql, list_sql, list_leaf_sql, put_sql, create_sql, update_sql, remove_sql, fence_sql, log_lock_sql,
      log_absorb_sql, log_insert_sql, log_last_sql, log_whole_sql, lease_grant_sql, lease_renew_sql, lease_release_sql,
      version_sql;

  std::string sql(std::string_view tmpl) const {
    std::string out;
    for (std::size_t i = 0; i < tmpl.size(); ++i) {
      if (tmpl[i] == '@' && i + 1 < tmpl.size() && tmpl[i + 1] == 'S') {
        out += q;
        ++i;
      } else {
        out += tmpl[i];
      }
    }
    return out;
  }

  void prepare_statements() {
    constexpr const char* kLogAgg =
        "CASE WHEN sum(octet_length(line) + 1) > $2 THEN NULL"
        " ELSE string_agg(line || '\\x0a'::bytea, ''::bytea ORDER BY seq) END,"
        " max(seq)::bigint, sum(octet_length(line) + 1)::bigint FROM @S.logs WHERE log = $1 HAVING count(*) > 0";
    get_sql = sql(std::string(
                      "SELECT CASE WHEN octet_length(data) > $2 THEN NULL ELSE data END, revision,"
                      " octet_length(data)::bigint FROM @S.kv WHERE key = $1 UNION ALL SELECT ") +
                  kLogAgg);
    log_whole_sql = sql(std::string("SELECT ") + kLogAgg);
    list_sql = sql("SELECT key, revision FROM @S.kv WHERE key LIKE $1 ESCAPE '\\' ORDER BY key");
    // prefix + <one segment> + '/' + leaf: $2 = length of the prefix, $3 = length of '/' + leaf.
    list_leaf_sql = sql(
        "SELECT key, revision FROM @S.kv WHERE key LIKE $1 ESCAPE '\\' AND length(key) > $2 + $3"
        " AND strpos(substr(key, ($2 + 1)::int, (length(key) - $2 - $3)::int), '/') = 0 ORDER BY key");
    put_sql = sql(
        "WITH dropped AS (DELETE FROM @S.logs WHERE log = $1)"
        " INSERT INTO @S.kv (key, data, revision) VALUES ($1, $2, nextval('@S.revisions'))"
        " ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, revision = EXCLUDED.revision RETURNING revision");
    create_sql = sql(
        "INSERT INTO @S.kv (key, data, revision) VALUES ($1, $2, nextval('@S.revisions'))"
        " ON CONFLICT (key) DO NOTHING RETURNING revision");
    update_sql = sql(
        "UPDATE @S.kv SET data = $2, revision = nextval('@S.revisions') WHERE key = $1 AND revision = $3"
        " RETURNING revision");
    remove_sql = sql(
        "WITH dropped AS (DELETE FROM @S.logs WHERE log = $1 OR log LIKE $2 ESCAPE '\\')"
        " DELETE FROM @S.kv WHERE key = $1 OR key LIKE $2 ESCAPE '\\'");
    // FOR SHARE: the lease cannot be granted anew until this change has committed.
    fence_sql = sql(
        "SELECT 1 FROM @S.leases WHERE name = $1 AND generation = $2 AND expires > clock_timestamp() FOR SHARE");
    log_lock_sql = "SELECT pg_advisory_xact_lock($1)";
    log_absorb_sql = sql("DELETE FROM @S.kv WHERE key = $1 RETURNING data");
    log_insert_sql = sql("INSERT INTO @S.logs (log, line) VALUES ($1, $2)");
    log_last_sql = sql("SELECT line FROM @S.logs WHERE log = $1 ORDER BY seq DESC LIMIT 1");
    lease_grant_sql = sql(
        "INSERT INTO @S.leases AS l (name, holder, generation, expires)"
        " VALUES ($1, $2, nextval('@S.lease_generations'), clock_timestamp() + make_interval(secs => $3))"
        " ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, generation = EXCLUDED.generation,"
        " expires = EXCLUDED.expires WHERE l.expires <= clock_timestamp() RETURNING generation");
    lease_renew_sql = sql(
        "UPDATE @S.leases SET expires = clock_timestamp() + make_interval(secs => $3)"
        " WHERE name = $1 AND generation = $2 AND expires > clock_timestamp() RETURNING generation");
    lease_release_sql = sql("DELETE FROM @S.leases WHERE name = $1 AND generation = $2");
    version_sql = sql("SELECT max(version)::bigint FROM @S.schema_version");
  }

  std::string where(std::string_view key) const { return fmt::format("{}: {}", desc, key); }

  Error lost_connection(std::string_view subject) const {
    return Error(Category::Vault, std::string(subject), "lost the connection to the database",
                 pg::clean_message(PQerrorMessage(conn.get()), {}));
  }

  /// A result that is not a success becomes an Error naming `subject`: a serialisation
  /// failure or deadlock (SQLSTATE class 40) is a State error like a changed revision.
  Result<pg::ResultPtr> check(std::string_view subject, pg::ResultPtr r) const {
    auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
    if (PQstatus(conn.get()) == CONNECTION_BAD) return lost_connection(subject);
    std::string why = pg::clean_message(r ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn.get()), {});
    const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
    if (state && std::strncmp(state, "40", 2) == 0)
      return Error(Category::State, std::string(subject), "changed since it was read; run the command again", why);
    return Error(Category::Vault, std::string(subject), "the database refused a statement", why);
  }

  /// One parameterised statement, parameters and results in binary format.
  Result<pg::ResultPtr> exec(std::string_view subject, const std::string& statement,
                             const std::vector<pg::Param>& params) const {
    std::vector<Oid> types;
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats(params.size(), 1);
    for (const auto& p : params) {
      if (p.bytes.size() > kMaxValue)
        return Error(Category::Vault, std::string(subject),
                     fmt::format("a value of {} bytes is larger than a database field may be", p.bytes.size()));
      types.push_back(p.type);
      values.push_back(p.bytes.data());
      lengths.push_back(static_cast<int>(p.bytes.size()));
    }
    pg::ResultPtr r(PQexecParams(conn.get(), statement.c_str(), static_cast<int>(params.size()), types.data(),
                                 values.data(), lengths.data(), formats.data(), 1));
    return check(subject, std::move(r));
  }

  /// Statements without parameters (transaction control, the schema), several allowed.
  Status run(std::string_view subject, const std::string& statements) const {
    TRY(check(subject, pg::ResultPtr(PQexec(conn.get(), statements.c_str()))));
    return ok();
  }

  /// Before a top-level operation: reconnect a dropped connection unless that would silently
  /// lose a lock this session holds.
  Status ensure_connected(std::string_view subject) {
    if (PQstatus(conn.get()) == CONNECTION_OK) {
      if (depth == 0 && PQtransactionStatus(conn.get()) != PQTRANS_IDLE) (void)run(subject, "ROLLBACK");
      return ok();
    }
    if (depth > 0 || !held.empty()) return lost_connection(subject);
    PQreset(conn.get());
    listening = false;
    if (PQstatus(conn.get()) != CONNECTION_OK) return lost_connection(subject);
    return ok();
  }

  Status migrate(bool create);
};

namespace {

/// A transaction, or a savepoint inside an open one: rolled back unless committed.
class Tx {
 public:
  explicit Tx(PgStore::Impl& db) : db_(db) {}
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;
  ~Tx() {
    if (!open_) return;
    --db_.depth;
    (void)db_.run(db_.desc, level_ == 1 ? std::string("ROLLBACK")
                                        : fmt::format("ROLLBACK TO SAVEPOINT certctl_{0}; RELEASE SAVEPOINT certctl_{0}",
                                                      level_));
  }
  Status begin(std::string_view subject) {
    level_ = db_.depth + 1;
    TRY(db_.run(subject, level_ == 1 ? std::string("BEGIN") : fmt::format("SAVEPOINT certctl_{}", level_)));
    db_.depth = level_;
    open_ = true;
    return ok();
  }
  Status commit(std::string_view subject) {
    open_ = false;
    --db_.depth;
    return db_.run(subject, level_ == 1 ? std::string("COMMIT") : fmt::format("RELEASE SAVEPOINT certctl_{}", level_));
  }

 private:
  PgStore::Impl& db_;
  int level_ = 0;
  bool open_ = false;
};

class PgHeld final : public Held {
 public:
  PgHeld(std::shared_ptr<PgStore::Impl> db, std::string name, std::int64_t key)
      : db_(std::move(db)), name_(std::move(name)), key_(key) {}
  ~PgHeld() override {
    std::lock_guard guard(db_->mu);
    if (auto it = db_->held.find(name_); it != db_->held.end()) db_->held.erase(it);
    if (PQstatus(db_->conn.get()) == CONNECTION_OK)
      (void)db_->exec(db_->desc, "SELECT pg_advisory_unlock($1)", {pg::int8(key_)});
  }

 private:
  std::shared_ptr<PgStore::Impl> db_;
  std::string name_;
  std::int64_t key_;
};

class PgLease final : public Lease {
 public:
  PgLease(std::shared_ptr<PgStore::Impl> db, std::string name, std::uint64_t generation, std::chrono::seconds ttl)
      : db_(std::move(db)), name_(std::move(name)), generation_(generation), ttl_(ttl) {}
  ~PgLease() override {
    std::lock_guard guard(db_->mu);
    if (PQstatus(db_->conn.get()) == CONNECTION_OK && db_->depth == 0)
      (void)db_->exec(db_->desc, db_->lease_release_sql, {pg::text(name_), pg::int8(static_cast<std::int64_t>(generation_))});
  }
  const std::string& name() const override { return name_; }
  std::uint64_t generation() const override { return generation_; }
  Status renew() override {
    std::lock_guard guard(db_->mu);
    TRY(db_->ensure_connected(db_->desc));
    TRY_ASSIGN(auto r, db_->exec(db_->desc, db_->lease_renew_sql,
                                 {pg::text(name_), pg::int8(static_cast<std::int64_t>(generation_)), pg::int8(ttl_.count())}));
    if (PQntuples(r.get()) == 0)
      return Error(Category::State, db_->desc,
                   fmt::format("lost its lease on {} (it ran out and may have been granted again)", name_));
    return ok();
  }

 private:
  std::shared_ptr<PgStore::Impl> db_;
  std::string name_;
  std::uint64_t generation_;
  std::chrono::seconds ttl_;
};

class PgLogView final : public LogView {
 public:
  PgLogView(PgStore::Impl& db, std::string key) : db_(db), key_(std::move(key)) {}
  Result<std::string> last_line() override {
    TRY_ASSIGN(auto r, db_.exec(db_.where(key_), db_.log_last_sql, {pg::text(key_)}));
    if (PQntuples(r.get()) == 0) return std::string();
    return pg::col_bytes(r.get(), 0, 0);
  }
  Result<std::string> whole(std::size_t limit) override {
    TRY_ASSIGN(auto r, db_.exec(db_.where(key_), db_.log_whole_sql, {pg::text(key_), pg::int8(clamp64(limit))}));
    if (PQntuples(r.get()) == 0) return std::string();
    if (pg::col_null(r.get(), 0, 0))
      return Error(Category::Vault, db_.where(key_),
                   fmt::format("is {} bytes, more than the {} bytes it may be", pg::col_int8(r.get(), 0, 2), limit));
    return pg::col_bytes(r.get(), 0, 0);
  }

 private:
  PgStore::Impl& db_;
  std::string key_;
};

}  // namespace

/// Bring the schema to kSchemaVersion: create it (create), refuse a newer one, run the missing
/// migrations and set the version row in one transaction, serialised against other certctls
/// doing the same by an advisory lock.
Status PgStore::Impl::migrate(bool create) {
  if (!create) {
    TRY_ASSIGN(auto r, exec(desc, "SELECT to_regclass($1) IS NOT NULL", {pg::text(q + ".schema_version")}));
    if (!pg::col_bool(r.get(), 0, 0))
      return Error(Category::Vault, desc,
                   fmt::format("is not a certctl vault (no schema {}); create one with `certctl init --vault ...`",
                               schema));
  }
  auto newer = [this](std::int64_t v) {
    return Error(Category::Vault, desc,
                 fmt::format("was created by a newer certctl (schema version {}, this one knows up to {}); nothing "
                             "was changed",
                             v, kSchemaVersion));
  };
  if (!create) {
    TRY_ASSIGN(auto r, exec(desc, version_sql, {}));
    auto v = pg::col_int8(r.get(), 0, 0);
    if (v == kSchemaVersion) return ok();
    if (v > kSchemaVersion) return newer(v);
  }
  Tx tx(*this);
  TRY(tx.begin(desc));
  TRY(exec(desc, "SELECT pg_advisory_xact_lock($1)", {pg::int8(advisory_key(schema, "schema", ""))}));
  if (create) {
    TRY(run(desc, sql("CREATE SCHEMA IF NOT EXISTS @S;"
                      " CREATE TABLE IF NOT EXISTS @S.schema_version (version integer NOT NULL);"
                      " INSERT INTO @S.schema_version SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM @S.schema_version);")));
  }
  TRY_ASSIGN(auto r, exec(desc, version_sql, {}));
  auto v = pg::col_int8(r.get(), 0, 0);
  if (v > kSchemaVersion) return newer(v);
  if (v == kSchemaVersion) return tx.commit(desc);
  for (const auto& m : kMigrations)
    if (m.version > v) TRY(run(desc, sql(m.sql)));
  TRY(exec(desc, sql("UPDATE @S.schema_version SET version = $1::integer"), {pg::int8(kSchemaVersion)}));
  return tx.commit(desc);
}

// --- the Store ----------------------------------------------------------------------------------
PgStore::PgStore(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
PgStore::~PgStore() = default;

std::string PgStore::describe() const { return impl_->desc; }
std::string PgStore::where(std::string_view key) const { return impl_->where(key); }

Result<std::optional<Value>> PgStore::get(std::string_view key, std::size_t limit) const {
  if (!key_ok(key)) return bad_key(key);
  auto& db = *impl_;
  std::lock_guard guard(db.mu);
  TRY(db.ensure_connected(db.where(key)));
  TRY_ASSIGN(auto r, db.exec(db.where(key), db.get_sql, {pg::text(key), pg::int8(clamp64(limit))}));
  if (PQntuples(r.get()) == 0) return std::optional<Value>();
  if (pg::col_null(r.get(), 0, 0))
    return Error(Category::Vault, db.where(key),
                 fmt::format("is {} bytes, more than the {} bytes it may be", pg::col_int8(r.get(), 0, 2), limit));
  return std::optional<Value>(
      Value{pg::col_bytes(r.get(), 0, 0), static_cast<Revision>(pg::col_int8(r.get(), 0, 1))});
}

Result<std::vector<Listed>> PgStore::list(std::string_view prefix, std::string_view leaf) const {
  if (!prefix.empty() && (prefix.back() != '/' || !key_ok(prefix.substr(0, prefix.size() - 1)))) return bad_key(prefix);
  if (!leaf.empty() && !key_ok(leaf)) return bad_key(leaf);
  auto& db = *impl_;
  std::lock_guard guard(db.mu);
  auto subject = prefix.empty() ? db.desc : db.where(prefix);
  TRY(db.ensure_connected(subject));
  pg::ResultPtr r;
  if (leaf.empty()) {
    TRY_ASSIGN(r, db.exec(subject, db.list_sql, {pg::text(like_literal(prefix) + "%")}));
  } else {
    auto pattern = like_literal(prefix) + "%/" + like_literal(leaf);
    TRY_ASSIGN(r, db.exec(subject, db.list_leaf_sql,
                          {pg::text(pattern), pg::int8(clamp64(prefix.size())), pg::int8(clamp64(leaf.size() + 1))}));
  }
  std::vector<Listed> out;
  out.reserve(static_cast<std::size_t>(PQntuples(r.get())));
  for (int i = 0; i < PQntuples(r.get()); ++i)
    out.push_back(Listed{pg::col_bytes(r.get(), i, 0), static_cast<Revision>(pg::col_int8(r.get(), i, 1))});
  return out;
}

Result<Revision> PgStore::apply(const Change& change) {
  for (const auto& op : change.ops)
    if (!key_ok(op.key)) return bad_key(op.key);
  for (const auto& op : change.after)
    if (!key_ok(op.key)) return bad_key(op.key);
  if (change.commit_point && !key_ok(change.commit_point->key)) return bad_key(change.commit_point->key);
  auto& db = *impl_;
  std::lock_guard guard(db.mu);
  TRY(db.ensure_connected(db.desc));
  Tx tx(db);
  TRY(tx.begin(db.desc));
  if (change.fence) {
    const auto& name = change.fence->name();
    TRY_ASSIGN(auto r, db.exec(db.desc, db.fence_sql,
                               {pg::text(name), pg::int8(static_cast<std::int64_t>(change.fence->generation()))}));
    if (PQntuples(r.get()) == 0)
      return Error(Category::State, db.desc,
                   fmt::format("lost its lease on {} (it ran out and may have been granted again); nothing was changed",
                               name));
  }
  auto run = [&db](const std::vector<Change::Op>& ops) -> Status {
    for (const auto& op : ops) {
      if (op.kind == Change::Op::Kind::Put) {
        TRY(db.exec(db.where(op.key), db.put_sql, {pg::text(op.key), pg::bytea(op.data)}));
      } else {
        TRY(db.exec(db.where(op.key), db.remove_sql, {pg::text(op.key), pg::text(like_literal(op.key) + "/%")}));
      }
    }
    return ok();
  };
  TRY(run(change.ops));
  Revision revision = 0;
  if (const auto& cp = change.commit_point) {
    auto subject = db.where(cp->key);
    pg::ResultPtr r;
    if (!cp->expected) {
      TRY_ASSIGN(r, db.exec(subject, db.put_sql, {pg::text(cp->key), pg::bytea(cp->data)}));
    } else if (*cp->expected == 0) {
      TRY_ASSIGN(r, db.exec(subject, db.create_sql, {pg::text(cp->key), pg::bytea(cp->data)}));
    } else {
      TRY_ASSIGN(r, db.exec(subject, db.update_sql,
                            {pg::text(cp->key), pg::bytea(cp->data), pg::int8(static_cast<std::int64_t>(*cp->expected))}));
    }
    if (PQntuples(r.get()) == 0)
      return Error(Category::State, subject, "changed since it was read; run the command again");
    revision = static_cast<Revision>(pg::col_int8(r.get(), 0, 0));
    // Wake agents listening on the schema's channel (delivered at commit, if it commits).
    if (cp->key.rfind("certs/", 0) == 0)
      TRY(db.exec(subject, "SELECT pg_notify($1, $2)", {pg::text(db.channel), pg::text(cp->key)}));
  }
  TRY(run(change.after));
  TRY(tx.commit(db.desc));
  return revision;
}

Status PgStore::update_log(std::string_view key, const LogUpdate& update) {
  if (!key_ok(key)) return bad_key(key);
  auto& db = *impl_;
  std::lock_guard guard(db.mu);
  auto subject = db.where(key);
  TRY(db.ensure_connected(subject));
  Tx tx(db);
  TRY(tx.begin(subject));
  TRY(db.exec(subject, db.log_lock_sql, {pg::int8(advisory_key(db.schema, "log", key))}));
  // A log written whole by put() (a copied vault) becomes lines first.
  TRY_ASSIGN(auto absorbed, db.exec(subject, db.log_absorb_sql, {pg::text(key)}));
  if (PQntuples(absorbed.get()) == 1) {
    auto data = pg::col_bytes(absorbed.get(), 0, 0);
    std::size_t from = 0;
    while (from < data.size()) {
      auto nl = data.find('\n', from);
      if (nl == std::string::npos) nl = data.size();
      TRY(db.exec(subject, db.log_insert_sql, {pg::text(key), pg::bytea(std::string_view(data).substr(from, nl - from))}));
      from = nl + 1;
    }
  }
  PgLogView view(db, std::string(key));
  TRY_ASSIGN(auto add, update(view));
  if (add) {
    if (add->line.find('\n') != std::string::npos)
      return Error(Category::Internal, subject, "a log line may not contain a newline");
    TRY(db.exec(subject, db.log_insert_sql, {pg::text(key), pg::bytea(add->line)}));
    if (add->then_put) TRY(put(add->then_put->first, add->then_put->second));  // same transaction
  }
  return tx.commit(subject);
}

Result<std::unique_ptr<Held>> PgStore::lock(std::string_view name, std::chrono::milliseconds wait) {
  // Lock names are not keys: the file backend's are hidden files (".lock").
  if (!key_ok(name.substr(name.starts_with('.') ? 1 : 0))) return bad_key(name);
  if (wait == std::chrono::milliseconds::max()) wait = std::chrono::hours(24 * 365);  // "forever", without overflow
  auto& db = *impl_;
  auto subject = db.where(name);
  auto key = advisory_key(db.schema, "lock", name);
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    {
      std::lock_guard guard(db.mu);
      TRY(db.ensure_connected(subject));
      // A session lock is re-entrant within its session; a second lock() through this store
      // waits like any other certctl would, as flock on a second descriptor does.
      if (db.held.count(std::string(name)) == 0) {
        TRY_ASSIGN(auto r, db.exec(subject, "SELECT pg_try_advisory_lock($1)", {pg::int8(key)}));
        if (pg::col_bool(r.get(), 0, 0)) {
          db.held.insert(std::string(name));
          return std::unique_ptr<Held>(std::make_unique<PgHeld>(impl_, std::string(name), key));
        }
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      if (wait.count() <= 0) return Error(Category::Vault, subject, "locked by another certctl; try again later");
      return Error(Category::Vault, subject,
                   fmt::format("locked by another certctl for over {}; try again later", seconds_text(wait)));
    }
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(50),
                                                                              deadline - now));
  }
}

Result<std::optional<std::unique_ptr<Lease>>> PgStore::lease(std::string_view name, std::chrono::seconds ttl,
                                                              std::string_view holder) {
  if (!key_ok(name)) return bad_key(name);
  auto& db = *impl_;
  auto subject = db.where(name);
  if (ttl.count() < 1)
    return Error(Category::Internal, subject, fmt::format("a lease needs a time to live of 1 s or more, not {} s", ttl.count()));
  std::lock_guard guard(db.mu);
  TRY(db.ensure_connected(subject));
  TRY_ASSIGN(auto r, db.exec(subject, db.lease_grant_sql, {pg::text(name), pg::text(holder), pg::int8(ttl.count())}));
  if (PQntuples(r.get()) == 0) return std::optional<std::unique_ptr<Lease>>();
  auto generation = static_cast<std::uint64_t>(pg::col_int8(r.get(), 0, 0));
  return std::optional<std::unique_ptr<Lease>>(std::make_unique<PgLease>(impl_, std::string(name), generation, ttl));
}

Result<std::vector<std::string>> PgStore::wait_notifications(std::chrono::milliseconds wait) {
  auto& db = *impl_;
  std::lock_guard guard(db.mu);
  TRY(db.ensure_connected(db.desc));
  if (!db.listening) {
    TRY(db.run(db.desc, fmt::format("LISTEN \"{}\"", db.channel)));
    db.listening = true;
  }
  std::vector<std::string> out;
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    if (!PQconsumeInput(db.conn.get())) return db.lost_connection(db.desc);
    while (pg::NotifyPtr n{PQnotifies(db.conn.get())}) out.emplace_back(n->extra);
    if (!out.empty()) return out;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return out;
    pollfd p{PQsocket(db.conn.get()), POLLIN, 0};
    if (p.fd < 0) return db.lost_connection(db.desc);
    (void)::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), INT_MAX)));
  }
}

// --- opening ------------------------------------------------------------------------------------
bool is_pg_url(std::string_view vault) {
  if (vault.rfind("postgresql://", 0) == 0 || vault.rfind("postgres://", 0) == 0) return true;
  if (vault.empty() || vault[0] == '/' || vault[0] == '.') return false;
  for (std::size_t from = 0; from < vault.size();) {
    auto end = vault.find_first_of(" \t\n", from);
    auto word = vault.substr(from, end == std::string_view::npos ? std::string_view::npos : end - from);
    for (std::string_view kw : {"dbname=", "host=", "hostaddr=", "service="})
      if (word.rfind(kw, 0) == 0) return true;
    if (end == std::string_view::npos) break;
    from = end + 1;
  }
  return false;
}

namespace {

std::string describe_conn(PGconn* c, std::string_view schema) {
  // A connection string libpq could not read leaves nothing to name.
  if (!PQdb(c) || !*PQdb(c)) return fmt::format("postgresql database (schema {})", schema);
  auto val = [](const char* s, const char* dflt) { return std::string(s && *s ? s : dflt); };
  return fmt::format("postgresql database {} on {}:{} (schema {})", val(PQdb(c), "?"), val(PQhost(c), "localhost"),
                     val(PQport(c), "5432"), schema);
}

/// The password in `conninfo`, if it holds one, so a message that echoes it can be cleaned.
std::string password_of(const std::string& conninfo) {
  pg::ConninfoPtr opts(PQconninfoParse(conninfo.c_str(), nullptr));
  if (!opts) return {};
  for (auto* o = opts.get(); o->keyword; ++o)
    if (std::strcmp(o->keyword, "password") == 0 && o->val) return o->val;
  return {};
}

void ignore_notice(void*, const char*) {}

}  // namespace

Result<std::unique_ptr<Store>> open_pg_store(const std::string& conninfo, const PgOptions& opts) {
  TRY(check_schema_name(opts.schema));
  // dbname is expanded as a whole connection string; fallback_application_name yields to an
  // application_name given there or in PGAPPNAME. The bounds before it (libpq keeps the last
  // value of a keyword) apply unless the connection string or the PG* variable sets its own:
  // a server that stops answering, or a network that drops packets, ends a command with a
  // lost connection instead of hanging it.
  std::vector<const char*> keywords, values;
  auto bound = [&](const char* keyword, const char* env, const char* value) {
    if (env && std::getenv(env)) return;
    keywords.push_back(keyword);
    values.push_back(value);
  };
  bound("connect_timeout", "PGCONNECT_TIMEOUT", "15");
  bound("keepalives", nullptr, "1");
  bound("keepalives_idle", nullptr, "30");
  bound("keepalives_interval", nullptr, "10");
  bound("keepalives_count", nullptr, "3");
  bound("tcp_user_timeout", nullptr, "60000");  // ms: unacknowledged data for a minute
  keywords.insert(keywords.end(), {"fallback_application_name", "dbname", nullptr});
  values.insert(values.end(), {"certctl", conninfo.c_str(), nullptr});
  pg::ConnPtr conn(PQconnectdbParams(keywords.data(), values.data(), 1));
  if (!conn) return Error(Category::Vault, "postgresql database", "cannot connect", "out of memory");
  auto desc = describe_conn(conn.get(), opts.schema);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    return Error(Category::Vault, desc, "cannot connect",
                 pg::clean_message(PQerrorMessage(conn.get()), password_of(conninfo)));
  PQsetNoticeProcessor(conn.get(), ignore_notice, nullptr);

  auto impl = std::make_shared<PgStore::Impl>();
  impl->conn = std::move(conn);
  impl->schema = opts.schema;
  impl->q = "\"" + opts.schema + "\"";
  impl->desc = std::move(desc);
  impl->channel = "certctl_" + opts.schema;
  impl->prepare_statements();
  {
    std::lock_guard guard(impl->mu);
    TRY(impl->migrate(opts.create));
  }
  return std::unique_ptr<Store>(std::make_unique<PgStore>(std::move(impl)));
}

}  // namespace certctl::storage
