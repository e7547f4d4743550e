// The record cache (key cache/records.bin, src/vault/record_cache.cpp): damaged bytes decode
// as empty, never more than they can hold; what decodes encodes and decodes the same.
#include "fuzz.hpp"
#include "vault/record_cache.hpp"

using namespace certctl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto entries = vault::decode_record_cache(fuzz::as_text(data, size));
  if (entries.empty()) return 0;
  std::vector<vault::CacheEntry*> list;
  for (auto& [name, e] : entries) {
    if (name != e.record.name) fuzz::fail("a cache entry is filed under another name");
    list.push_back(&e);
  }
  const auto again = vault::decode_record_cache(vault::encode_record_cache(list));
  if (again.size() != entries.size()) fuzz::fail("the cache does not read back after writing what it read");
  for (const auto& [name, e] : entries) {
    auto it = again.find(name);
    if (it == again.end() || !(it->second.record == e.record) || !(it->second.revision == e.revision))
      fuzz::fail("a cache entry reads back different");
  }
  return 0;
}
