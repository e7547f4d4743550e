// The record cache (key cache/records.bin, src/vault/record_cache.cpp): damaged bytes end the
// walk and never yield more than they hold; what decodes encodes and decodes the same.
#include "fuzz.hpp"
#include "vault/record_cache.hpp"

#include <vector>

using namespace certctl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = fuzz::as_text(data, size);
  std::vector<std::pair<storage::Revision, vault::Record>> entries;
  vault::CacheWriter w;
  for (vault::CacheReader rd(bytes); rd.next();) {
    if (rd.raw().size() > bytes.size()) fuzz::fail("an entry larger than the bytes it came from");
    vault::Record r;
    if (!rd.decode(r)) continue;
    if (r.name != rd.name()) fuzz::fail("a cache entry decodes as another record");
    w.add(rd.revision(), r);
    entries.emplace_back(rd.revision(), std::move(r));
  }
  const std::string again = std::move(w).take();
  std::size_t i = 0;
  for (vault::CacheReader rd(again); rd.next(); ++i) {
    vault::Record r;
    if (i >= entries.size() || !rd.decode(r) || rd.revision() != entries[i].first || !(r == entries[i].second))
      fuzz::fail("a cache entry reads back different");
  }
  if (i != entries.size()) fuzz::fail("the cache does not read back after writing what it read");
  return 0;
}
