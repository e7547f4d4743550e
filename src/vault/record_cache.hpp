#pragma once
// <vault>/cache/records.bin (key "cache/records.bin"): a derived, disposable copy of every
// record in a compact binary form, so `list` over 10,000 records does not parse 10,000 TOML
// files. Each entry remembers the storage revision of the record.toml it came from; an entry
// whose record.toml has another revision now is ignored and the record is parsed again.
// Deleting the cache is always safe.
#include <certctl/record.hpp>
#include <certctl/storage.hpp>

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace certctl::vault {

struct CacheEntry {
  storage::Revision revision = 0;
  Record record;
};

/// Every entry of a cache's bytes by record name; empty when foreign or damaged (never more
/// entries than the bytes can hold).
std::unordered_map<std::string, CacheEntry> decode_record_cache(std::string_view data);
std::string encode_record_cache(const std::vector<CacheEntry*>& entries);

}  // namespace certctl::vault
