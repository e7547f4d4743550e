// CSR parsing (src/crypto/csr.cpp): `import --csr`, `csr --from`, the local CA signing a CSR.
#include "fuzz.hpp"

#include <certctl/crypto.hpp>

using namespace certctl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto csr = crypto::parse_csr(fuzz::as_text(data, size), "request.csr");
  if (!csr) {
    fuzz::touch(csr.error());
    return 0;
  }
  auto again = crypto::parse_csr(csr->der, "der");
  if (!again || again->dns_names != csr->dns_names || again->public_key_der != csr->public_key_der)
    fuzz::fail("a parsed CSR does not read back the same from its DER");
  return 0;
}
