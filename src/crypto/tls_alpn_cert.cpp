/// make_tls_alpn_cert: the RFC 8737 challenge certificate.
#include "crypto/tls_alpn_cert.hpp"

#include "crypto/handles.hpp"

#include <openssl/objects.h>

#include <arpa/inet.h>

#include <string>

namespace certctl::crypto {
namespace {

using Asn1ObjectPtr = std::unique_ptr<ASN1_OBJECT, FreeFn<ASN1_OBJECT_free>>;

bool is_ip_literal(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

/// critical acmeIdentifier: extnValue = DER(OCTET STRING(SHA-256(key_authorization))).
Result<X509ExtPtr> acme_identifier_extension(std::string_view key_authorization) {
  std::string digest = sha256(key_authorization);
  Asn1OctetStringPtr inner(ASN1_OCTET_STRING_new());
  if (!inner || ASN1_OCTET_STRING_set(inner.get(), reinterpret_cast<const unsigned char*>(digest.data()),
                                      static_cast<int>(digest.size())) != 1) {
    return openssl_failure("cannot build the acmeIdentifier value");
  }
  unsigned char* der = nullptr;
  int der_len = i2d_ASN1_OCTET_STRING(inner.get(), &der);
  if (der_len <= 0) return openssl_failure("cannot encode the acmeIdentifier value");
  Asn1OctetStringPtr outer(ASN1_OCTET_STRING_new());
  bool set = outer && ASN1_OCTET_STRING_set(outer.get(), der, der_len) == 1;
  OPENSSL_free(der);
  if (!set) return openssl_failure("cannot build the acmeIdentifier extension");
  Asn1ObjectPtr oid(OBJ_txt2obj(kAcmeIdentifierOid, 1));
  if (!oid) return openssl_failure("cannot build the acmeIdentifier OID");
  X509ExtPtr ext(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 1, outer.get()));
  if (!ext) return openssl_failure("cannot build the acmeIdentifier extension");
  return ext;
}

}  // namespace

Result<TlsAlpnCert> make_tls_alpn_cert(std::string_view identifier,
                                       std::string_view key_authorization, UnixTime now) {
  std::string id(identifier);
  if (id.empty()) return Error(Category::Input, "tls-alpn-01", "no identifier for the challenge certificate");
  clear_openssl_errors();
  TRY_ASSIGN(PrivateKey key, PrivateKey::generate(KeyType::Ec256));

  X509Ptr x(X509_new());
  if (!x || X509_set_version(x.get(), X509_VERSION_3) != 1) return openssl_failure("cannot allocate a certificate");
  std::string serial_bytes = random_bytes(16);
  serial_bytes[0] = static_cast<char>((static_cast<unsigned char>(serial_bytes[0]) & 0x7F) | 0x40);
  BnPtr serial_bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(serial_bytes.data()),
                            static_cast<int>(serial_bytes.size()), nullptr));
  Asn1IntegerPtr serial(serial_bn ? BN_to_ASN1_INTEGER(serial_bn.get(), nullptr) : nullptr);
  Subject subject;
  subject.cn = "certctl tls-alpn-01 challenge";
  TRY_ASSIGN(X509NamePtr name, make_name(subject));
  if (!serial || X509_set_serialNumber(x.get(), serial.get()) != 1 ||
      !ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(now - 3600)) ||
      !ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(now + 7 * 86400)) ||
      X509_set_subject_name(x.get(), name.get()) != 1 || X509_set_issuer_name(x.get(), name.get()) != 1 ||
      X509_set_pubkey(x.get(), key.get()) != 1) {
    return openssl_failure("cannot fill in the challenge certificate");
  }

  std::vector<std::string> dns, ips;
  (is_ip_literal(id) ? ips : dns).push_back(id);
  TRY_ASSIGN(X509ExtPtr san, make_san_extension(dns, ips, false, id));
  if (X509_add_ext(x.get(), san.get(), -1) != 1) return openssl_failure("cannot add subjectAltName");
  TRY_ASSIGN(X509ExtPtr acme, acme_identifier_extension(key_authorization));
  if (X509_add_ext(x.get(), acme.get(), -1) != 1) return openssl_failure("cannot add acmeIdentifier");

  if (X509_sign(x.get(), key.get(), EVP_sha256()) <= 0) return openssl_failure("cannot sign the challenge certificate");
  return TlsAlpnCert{std::move(key), Certificate::adopt(x.release())};
}

}  // namespace certctl::crypto
