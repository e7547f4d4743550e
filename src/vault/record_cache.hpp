#pragma once
// <vault>/cache/records.bin (key "cache/records.bin"): a derived, disposable copy of every
// record in a compact binary form, so `list` over 10,000 records does not parse 10,000 TOML
// files. Each entry remembers the storage revision of the record.toml it came from; an entry
// whose record.toml has another revision now is ignored and the record is parsed again.
// Deleting the cache is always safe.
//
// The bytes: "CCRC", the format version, then one entry after another in record name order:
// the name, the revision and the length of the record's encoding, then the encoding (numbers
// as LEB128 varints, so a record takes about what its text does). A reader goes entry by
// entry and can skip one without decoding it, so a walk over the vault holds one record at a
// time.
#include <certctl/record.hpp>
#include <certctl/storage.hpp>

#include <string>
#include <string_view>

namespace certctl::vault {

/// Reads a cache's bytes one entry at a time, in the order they were written. Foreign bytes
/// read as no entries; damage ends the walk there (a damaged entry is never returned).
class CacheReader {
 public:
  explicit CacheReader(std::string_view data);
  /// Move to the next entry; false at the end or at damage.
  bool next();
  std::string_view name() const { return name_; }
  storage::Revision revision() const { return revision_; }
  /// The whole entry, for CacheWriter::add_raw (carried into a new cache unchanged).
  std::string_view raw() const { return raw_; }
  /// Decode the entry's record: false when its bytes are damaged or name another record.
  bool decode(Record& out) const;

 private:
  std::string_view rest_, name_, body_, raw_;
  storage::Revision revision_ = 0;
};

/// Builds a cache's bytes, entry by entry, in record name order.
class CacheWriter {
 public:
  CacheWriter();
  void add(storage::Revision revision, const Record& r);
  /// An entry as CacheReader::raw() gave it.
  void add_raw(std::string_view raw) { buf_ += raw; }
  std::string take() && { return std::move(buf_); }

 private:
  std::string buf_;
};

}  // namespace certctl::vault
