#pragma once
/// RAII handles for every OpenSSL type the crypto module touches (STYLE.md section 4), plus a
/// few helpers shared by the src/crypto/*.cpp files. Private to src/crypto.
///
/// Ownership rule: wrap what OpenSSL's `*_new`, `*_dup`, `get1_*` and `d2i_*` return; only
/// borrow `get0_*` results. Creators return the unique_ptr; readers take raw pointers.
#include <certctl/crypto.hpp>
#include <certctl/error.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/decoder.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "core/free_fn.hpp"
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certctl::crypto {

/// A stateless deleter calling the OpenSSL free function `Free` (src/core/free_fn.hpp).
using ::certctl::FreeFn;

/// PkeyFree and X509Free (crypto.hpp) are the deleters PrivateKey and Certificate hold.
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, FreeFn<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, FreeFn<EVP_MD_CTX_free>>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, FreeFn<EVP_CIPHER_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using X509ReqPtr = std::unique_ptr<X509_REQ, FreeFn<X509_REQ_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, FreeFn<X509_NAME_free>>;
using X509ExtPtr = std::unique_ptr<X509_EXTENSION, FreeFn<X509_EXTENSION_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, FreeFn<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, FreeFn<X509_STORE_CTX_free>>;
/// BIO_free_all, so a filter chain goes with its sink.
using BioPtr = std::unique_ptr<BIO, FreeFn<BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, FreeFn<BN_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, FreeFn<ASN1_INTEGER_free>>;
using Asn1OctetStringPtr = std::unique_ptr<ASN1_OCTET_STRING, FreeFn<ASN1_OCTET_STRING_free>>;
using Pkcs12Ptr = std::unique_ptr<PKCS12, FreeFn<PKCS12_free>>;
using KdfPtr = std::unique_ptr<EVP_KDF, FreeFn<EVP_KDF_free>>;
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, FreeFn<EVP_KDF_CTX_free>>;
using DecoderCtxPtr = std::unique_ptr<OSSL_DECODER_CTX, FreeFn<OSSL_DECODER_CTX_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, FreeFn<GENERAL_NAMES_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, FreeFn<GENERAL_NAME_free>>;
using GeneralSubtreePtr = std::unique_ptr<GENERAL_SUBTREE, FreeFn<GENERAL_SUBTREE_free>>;
using NameConstraintsPtr = std::unique_ptr<NAME_CONSTRAINTS, FreeFn<NAME_CONSTRAINTS_free>>;

/// STACK_OF(X509) that owns its certificates (sk_X509_pop_free).
struct X509StackFree {
  void operator()(STACK_OF(X509) * s) const noexcept { sk_X509_pop_free(s, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;

/// STACK_OF(X509_EXTENSION) that owns its extensions.
struct X509ExtStackFree {
  void operator()(STACK_OF(X509_EXTENSION) * s) const noexcept {
    sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free);
  }
};
using X509ExtStackPtr = std::unique_ptr<STACK_OF(X509_EXTENSION), X509ExtStackFree>;

// ---- errors ----------------------------------------------------------------------------------

/// Drain the OpenSSL error queue into one short line ("reason; reason"), "" when empty. Never
/// contains key material: only library reason strings and OpenSSL's own annotations.
std::string openssl_error();
/// Discard whatever is queued (before an operation whose failure we handle ourselves).
void clear_openssl_errors() noexcept;
/// Category::Internal for an OpenSSL call that should not fail; the cause is openssl_error().
Error openssl_failure(std::string_view what);
/// Category::Input naming `subject`; the cause is openssl_error() unless `with_cause` is false
/// (then the queue is just cleared).
Error input_error(std::string_view subject, std::string message, bool with_cause = true);
/// PEM text must end with its last block: more than kMaxPemTrailer bytes (white space aside)
/// after the last "-----END ...-----" line is an Input error naming `subject`. Not PEM: ok.
Status check_pem_trailer(std::string_view data, std::string_view subject);

// ---- BIO helpers -----------------------------------------------------------------------------

/// A read-only memory BIO over `data` (which must outlive the BIO).
BioPtr bio_over(std::string_view data);
BioPtr new_mem_bio();
/// Everything written to a memory BIO so far.
std::string bio_contents(BIO* bio);
/// What `write(bio)` puts into a fresh memory BIO; "" when the BIO cannot be made or `write`
/// returns false (the error queue is then cleared).
template <class Write>
std::string write_to_string(Write&& write) {
  BioPtr bio = new_mem_bio();
  if (!bio || !write(bio.get())) {
    clear_openssl_errors();
    return {};
  }
  return bio_contents(bio.get());
}
/// The DER an i2d_* call writes: `encode(&der)` returns its length and allocates `der`, which
/// is freed here; "" when it fails (the error queue is then cleared).
template <class Encode>
std::string der_to_string(Encode&& encode) {
  unsigned char* der = nullptr;
  const int len = encode(&der);
  if (len <= 0) {
    clear_openssl_errors();
    return {};
  }
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}
/// Like bio_contents, for private material: the copy is a SecretBytes.
SecretBytes bio_secret_contents(BIO* bio);

// ---- key facts (keys.cpp) ---------------------------------------------------------------------

std::string pkey_algorithm(const EVP_PKEY* pkey);  ///< "RSA", "EC" or OpenSSL's type name
int pkey_bits(const EVP_PKEY* pkey);
std::optional<KeyType> pkey_key_type(const EVP_PKEY* pkey);
std::string pkey_description(const EVP_PKEY* pkey);  ///< "RSA 2048", "EC P-256"
std::string pkey_spki_der(const EVP_PKEY* pkey);     ///< SubjectPublicKeyInfo DER, "" on failure
/// The public key from SubjectPublicKeyInfo DER, or null.
PkeyPtr pkey_from_spki_der(std::string_view der);
/// The digest to sign with using `pkey`: SHA-384 for EC keys of 384 bits or more, else SHA-256.
const EVP_MD* signing_digest(const EVP_PKEY* pkey);

// ---- names and SANs (csr.cpp) -----------------------------------------------------------------

/// An X509_NAME with the non-empty fields of `s` (order C, ST, L, O, OU, CN, emailAddress).
Result<X509NamePtr> make_name(const Subject& s);
bool subject_empty(const Subject& s);
Subject read_subject(const X509_NAME* name);
/// The value of the first `nid` entry as UTF-8, "" when absent.
std::string name_entry(const X509_NAME* name, int nid);
/// A subjectAltName extension; `subject` names the source in errors (bad IP addresses).
Result<X509ExtPtr> make_san_extension(const std::vector<std::string>& dns_names,
                                      const std::vector<std::string>& ip_addresses,
                                      bool critical, std::string_view subject);
/// Append the DNS and IP entries of `names` (other kinds are ignored).
void read_sans(const GENERAL_NAMES* names, std::vector<std::string>& dns,
               std::vector<std::string>& ips);

}  // namespace certctl::crypto
