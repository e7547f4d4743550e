#pragma once
// <vault>/cache/records.bin: a derived, disposable copy of every record in a compact binary
// form, so `list` over 10,000 records does not parse 10,000 TOML files. Each entry remembers
// the (inode, size, mtime) of the record.toml it came from; an entry whose file no longer
// matches is ignored and the record is parsed again. Deleting the cache is always safe.
#include <certctl/record.hpp>

#include <cstdint>
#include <string>
#include <sys/stat.h>
#include <unordered_map>
#include <vector>

namespace certctl::vault {

struct FileStamp {
  std::uint64_t ino = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

/// The stamp of a file, or nullopt when it does not exist; `st` (if given) gets its stat.
std::optional<FileStamp> stamp_of(const std::string& path, struct stat* st = nullptr);

struct CacheEntry {
  FileStamp stamp;
  Record record;
};

/// Every entry of a cache file by record name; empty when missing, foreign or damaged. A
/// cache file that fails fs::check_private (another owner, group/world-writable) is a Vault
/// error naming it: its records are never trusted.
Result<std::unordered_map<std::string, CacheEntry>> read_record_cache(const std::string& path);
/// Write the cache atomically; failures are ignored (it is only a cache).
void write_record_cache(const std::string& path, const std::vector<CacheEntry*>& entries);

}  // namespace certctl::vault
