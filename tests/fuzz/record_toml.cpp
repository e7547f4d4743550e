// record.toml (src/vault/record_toml.cpp): any bytes parse to a Record or an Error, and a
// Record that was read renders to a file that reads back equal.
#include "fuzz.hpp"
#include "vault/record_toml.hpp"

using namespace certctl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto r = vault::parse_record(fuzz::as_text(data, size), "record.toml");
  if (!r) {
    fuzz::touch(r.error());
    return 0;
  }
  const std::string again = vault::render_record(*r);
  auto back = vault::parse_record(again, "rendered record.toml");
  if (!back) fuzz::fail("a parsed record renders to a file that does not parse: " + back.error().text());
  if (!(*back == *r)) fuzz::fail("a parsed record does not read back equal after render");
  return 0;
}
