// Certificate and key import (src/crypto/x509.cpp, keys.cpp): PEM bundles, DER, PKCS#8 and
// traditional keys, as `import --cert/--chain/--key` and the ACME download read them, and any
// file as `discover files` reads it (PEM, DER or PKCS#12, src/crypto/cert_file.cpp). Every
// certificate parsed is inspected as `show` and `import` do; the first byte picks the parser.
#include "fuzz.hpp"

#include <certctl/cert_file.hpp>
#include <certctl/crypto.hpp>
#include <certctl/secret.hpp>

using namespace certctl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text = fuzz::as_text(data + 1, size - 1);
  if (data[0] & 2) {
    auto found = crypto::read_cert_file(text, "file");
    if (!found) {
      fuzz::touch(found.error());
      return 0;
    }
    if (!*found) return 0;
    const crypto::CertFile& f = **found;
    if (f.password_protected != f.certs.empty()) fuzz::fail("a certificate file is password-protected or has certificates");
    for (const auto& c : f.certs) {
      (void)c.info();
      auto der = crypto::parse_certificates(c.to_der(), "der");
      if (!der || der->size() != 1) fuzz::fail("a certificate of a file does not read back from its DER");
    }
    return 0;
  }
  if (data[0] & 1) {
    auto key = crypto::PrivateKey::parse(SecretBytes::from(text), "key.pem");
    if (!key) {
      fuzz::touch(key.error());
      return 0;
    }
    (void)key->description();
    (void)key->key_type();
    (void)key->public_key_der();
    auto again = crypto::PrivateKey::parse(key->to_pem(), "again");
    if (!again) fuzz::fail("a parsed key does not read back from its PEM");
    return 0;
  }
  auto certs = crypto::parse_certificates(text, "cert.pem");
  if (!certs) {
    fuzz::touch(certs.error());
    return 0;
  }
  if (certs->empty()) fuzz::fail("parse_certificates succeeded with no certificate");
  for (const auto& c : *certs) {
    const crypto::CertInfo info = c.info();
    (void)info;
    if (auto id = crypto::ari_cert_id(c, "cert.pem"); !id) fuzz::touch(id.error());
    auto der = crypto::parse_certificates(c.to_der(), "der");
    if (!der || der->size() != 1) fuzz::fail("a parsed certificate does not read back from its DER");
  }
  const crypto::Certificate& leaf = certs->front();
  std::vector<crypto::Certificate> chain;
  for (std::size_t i = 1; i < certs->size(); ++i) chain.push_back(certs->at(i).clone());
  if (auto st = crypto::verify_chain_links(leaf, chain, "chain.pem"); !st) fuzz::touch(st.error());
  (void)crypto::to_pem_bundle(*certs);
  return 0;
}
