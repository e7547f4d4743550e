// The record cache (<vault>/cache/records.bin, src/vault/record_cache.cpp): a damaged file
// reads as empty, never more than its bytes can hold; what it reads is written back and reads
// the same.
#include "fuzz.hpp"
#include "temp_dir.hpp"
#include "vault/record_cache.hpp"

using namespace certctl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const int tmp = (fuzz::prefer_memory_tmp(), 0);
  (void)tmp;
  static test::TempDir dir;
  static const std::string in = dir.file("records.bin"), out = dir.file("again.bin");
  fuzz::put_file(in, fuzz::as_text(data, size));
  auto read = vault::read_record_cache(in);
  if (!read) {  // a cache file the vault's owner cannot trust (permissions) is an error, not data
    fuzz::touch(read.error());
    return 0;
  }
  auto& entries = *read;
  if (entries.empty()) return 0;
  std::vector<vault::CacheEntry*> list;
  for (auto& [name, e] : entries) {
    if (name != e.record.name) fuzz::fail("a cache entry is filed under another name");
    list.push_back(&e);
  }
  vault::write_record_cache(out, list);
  auto reread = vault::read_record_cache(out);
  if (!reread) fuzz::fail("the cache just written cannot be read");
  const auto& again = *reread;
  if (again.size() != entries.size()) fuzz::fail("the cache does not read back after writing what it read");
  for (const auto& [name, e] : entries) {
    auto it = again.find(name);
    if (it == again.end() || !(it->second.record == e.record) || !(it->second.stamp == e.stamp))
      fuzz::fail("a cache entry reads back different");
  }
  return 0;
}
