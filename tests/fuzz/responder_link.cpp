// The responder link's messages (src/challenge/link_wire.cpp), which the responder child decodes
// from certctl and certctl decodes from the child. Whatever the bytes: decode refuses or gives a
// message within the limits, and what it gives encodes back to exactly those bytes.
#include "challenge/link_wire.hpp"
#include "fuzz.hpp"

using namespace certctl;
namespace wire = certctl::challenge::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = fuzz::as_text(data, size);
  auto m = wire::decode(bytes);
  if (!m) {
    fuzz::touch(m.error());
    return 0;
  }
  if (bytes.size() > wire::kMaxMessage || m->fields.size() > wire::kMaxFields)
    fuzz::fail("decode accepted a message over the limits");
  auto again = wire::encode(*m);
  if (!again) fuzz::fail("a decoded message does not encode");
  if (*again != bytes) fuzz::fail("decode and encode are not inverses");
  if (m->type == wire::kError) fuzz::touch(wire::to_error(*m));
  return 0;
}
