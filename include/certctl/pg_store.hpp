#pragma once
/// The PostgreSQL storage backend (src/storage/pg_store.cpp, over libpq): a vault kept in one
/// schema of a database. libpq's own header stays private to src/storage.
#include <certctl/result.hpp>
#include <certctl/storage.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace certctl::storage {

struct PgOptions {
  /// The schema that holds the vault: lowercase letters, digits and '_', starting with a
  /// letter or '_', at most 63 characters. Two schemas in one database are two vaults.
  std::string schema = "certctl";
  /// `certctl init`: create the schema, its tables and the version row when missing. Without
  /// it a database without the schema is "not a certctl vault".
  bool create = false;
};

/// Whether a --vault value names a PostgreSQL database rather than a directory: it starts
/// with postgresql:// or postgres://, or it is a libpq keyword/value string: it does not
/// start with '/' or '.', and one of its space-separated words starts with "dbname=",
/// "host=", "hostaddr=" or "service=". Anything else is a directory.
bool is_pg_url(std::string_view vault);

/// A Store over one libpq connection (guarded by a mutex: calls from several threads are
/// serialised). A Held lock or a Lease keeps the connection open until it is destroyed, even
/// after the PgStore. See ARCHITECTURE.md, "The PostgreSQL backend".
class PgStore final : public Store {
 public:
  struct Impl;
  explicit PgStore(std::shared_ptr<Impl> impl);
  ~PgStore() override;
  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

  bool shared() const override { return true; }
  std::string describe() const override;
  std::string where(std::string_view key) const override;
  Result<std::optional<Value>> get(std::string_view key, std::size_t limit) const override;
  Result<std::vector<Listed>> list(std::string_view prefix, std::string_view leaf = {}) const override;
  Result<Revision> apply(const Change& change) override;
  Status update_log(std::string_view key, const LogUpdate& update) override;
  Result<std::unique_ptr<Held>> lock(std::string_view name, std::chrono::milliseconds wait) override;
  Result<std::optional<std::unique_ptr<Lease>>> lease(std::string_view name, std::chrono::seconds ttl,
                                                      std::string_view holder) override;

  /// The keys of commit points under "certs/" committed (by any certctl on this schema) since
  /// the last call, waiting up to `wait` for the first one; empty when none came. The first
  /// call starts listening (LISTEN certctl_<schema>), so it sees only later commits. A wake-up
  /// only: notifications are lost while disconnected, so re-read after it. Holds the
  /// connection while waiting: listen on a PgStore of its own.
  Result<std::vector<std::string>> wait_notifications(std::chrono::milliseconds wait);

 private:
  std::shared_ptr<Impl> impl_;
};

/// Connect to `conninfo` (a libpq URI, postgresql://... or postgres://..., or a keyword/value
/// string, passed to libpq untouched: sslmode, sslrootcert, PGPASSFILE/~/.pgpass and
/// PGPASSWORD work as libpq documents them; application_name defaults to "certctl") and open
/// the vault in schema `opts.schema`, creating it with `opts.create` and migrating an older
/// schema version forward. Errors name the database as describe() does, never the password.
Result<std::unique_ptr<Store>> open_pg_store(const std::string& conninfo, const PgOptions& opts);

}  // namespace certctl::storage
