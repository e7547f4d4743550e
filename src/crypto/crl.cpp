// Certificate revocation lists for the local CA (RFC 5280 5).
#include <certctl/crypto.hpp>

#include "crypto/handles.hpp"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace certctl::crypto {
namespace {

struct CrlFree {
  void operator()(X509_CRL* c) const noexcept { X509_CRL_free(c); }
};
struct RevokedFree {
  void operator()(X509_REVOKED* r) const noexcept { X509_REVOKED_free(r); }
};
struct TimeFree {
  void operator()(ASN1_TIME* t) const noexcept { ASN1_TIME_free(t); }
};
struct EnumFree {
  void operator()(ASN1_ENUMERATED* e) const noexcept { ASN1_ENUMERATED_free(e); }
};

}  // namespace

Result<std::string> make_crl(const Certificate& issuer, const PrivateKey& issuer_key,
                             const std::vector<RevokedEntry>& entries, UnixTime this_update,
                             UnixTime next_update, long crl_number) {
  std::unique_ptr<X509_CRL, CrlFree> crl(X509_CRL_new());
  if (!crl || X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer.get())) != 1)
    return openssl_failure("cannot start a CRL");
  std::unique_ptr<ASN1_TIME, TimeFree> last(ASN1_TIME_set(nullptr, static_cast<time_t>(this_update)));
  std::unique_ptr<ASN1_TIME, TimeFree> next(ASN1_TIME_set(nullptr, static_cast<time_t>(next_update)));
  if (!last || !next || X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1)
    return openssl_failure("cannot set CRL times");
  for (const auto& e : entries) {
    std::unique_ptr<X509_REVOKED, RevokedFree> rev(X509_REVOKED_new());
    BIGNUM* bn = nullptr;
    if (!rev || BN_hex2bn(&bn, e.serial_hex.c_str()) == 0) return Error(Category::Input, e.serial_hex, "not a hex serial");
    BnPtr bn_owner(bn);
    Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn, nullptr));
    std::unique_ptr<ASN1_TIME, TimeFree> when(ASN1_TIME_set(nullptr, static_cast<time_t>(e.revoked_at)));
    if (!serial || !when || X509_REVOKED_set_serialNumber(rev.get(), serial.get()) != 1 ||
        X509_REVOKED_set_revocationDate(rev.get(), when.get()) != 1)
      return openssl_failure("cannot add a CRL entry");
    if (e.reason != 0) {
      std::unique_ptr<ASN1_ENUMERATED, EnumFree> code(ASN1_ENUMERATED_new());
      if (!code || ASN1_ENUMERATED_set(code.get(), e.reason) != 1 ||
          X509_REVOKED_add1_ext_i2d(rev.get(), NID_crl_reason, code.get(), 0, 0) != 1)
        return openssl_failure("cannot set a CRL reason");
    }
    if (X509_CRL_add0_revoked(crl.get(), rev.get()) != 1) return openssl_failure("cannot add a CRL entry");
    rev.release();  // owned by the CRL now
  }
  Asn1IntegerPtr number(ASN1_INTEGER_new());
  if (!number || ASN1_INTEGER_set(number.get(), crl_number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) != 1)
    return openssl_failure("cannot set the CRL number");
  X509_CRL_sort(crl.get());
  if (X509_CRL_sign(crl.get(), issuer_key.get(), signing_digest(issuer_key.get())) <= 0)
    return openssl_failure("cannot sign the CRL");
  BioPtr out = new_mem_bio();
  if (!out || PEM_write_bio_X509_CRL(out.get(), crl.get()) != 1) return openssl_failure("cannot write the CRL");
  return bio_contents(out.get());
}

}  // namespace certctl::crypto
