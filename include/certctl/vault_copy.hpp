#pragma once
/// `certctl vault copy`: every key of one vault's store into another (a directory to
/// PostgreSQL or back). Keys stay sealed: the copy opens with the same passphrase or key file.
#include <certctl/result.hpp>
#include <certctl/storage.hpp>

#include <cstddef>

namespace certctl::vault {

struct CopyReport {
  std::size_t keys = 0;   ///< values copied (records, versions, sealed keys, configs, ...)
  std::size_t logs = 0;   ///< logs copied whole (audit.log, orders.log)
  std::size_t bytes = 0;
};

/// Copy every key of `from` (a vault: it has config.toml) into `to`, which must not hold a
/// vault yet: the values in batches, the logs whole, audit.head, and config.toml last, so the
/// destination is a vault only once everything is there. The record cache is derived and not
/// copied. `from` should be held under its writer lock by the caller.
Result<CopyReport> copy_store(const storage::Store& from, storage::Store& to);

}  // namespace certctl::vault
