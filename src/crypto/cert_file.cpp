// Telling PEM, DER and PKCS#12 certificate files apart (discover files).
#include <certctl/cert_file.hpp>

#include "crypto/handles.hpp"

#include <openssl/pkcs12.h>

#include <fmt/format.h>

namespace certctl::crypto {

std::string_view format_name(CertFileFormat f) {
  switch (f) {
    case CertFileFormat::Pem: return "pem";
    case CertFileFormat::Der: return "der";
    case CertFileFormat::Pkcs12: return "pkcs12";
  }
  return "?";
}

namespace {

/// One whole DER structure of type T, or null (trailing bytes refused).
template <class T, T* (*D2i)(T**, const unsigned char**, long), void (*Free)(T*)>
std::unique_ptr<T, FreeFn<Free>> whole_der(std::string_view data) {
  const auto* begin = reinterpret_cast<const unsigned char*>(data.data());
  const auto* p = begin;
  std::unique_ptr<T, FreeFn<Free>> out(D2i(nullptr, &p, static_cast<long>(data.size())));
  if (out && p != begin + data.size()) out.reset();
  return out;
}

Result<CertFile> open_pkcs12(PKCS12* p12, std::string_view subject) {
  CertFile out;
  out.format = CertFileFormat::Pkcs12;
  // The empty password as "" and as none: tools write either for "no password".
  const char* pass = nullptr;
  bool opens = false;
  if (!PKCS12_mac_present(p12)) {
    opens = true;
  } else if (PKCS12_verify_mac(p12, "", 0) == 1) {
    pass = "";
    opens = true;
  } else if (PKCS12_verify_mac(p12, nullptr, 0) == 1) {
    opens = true;
  }
  clear_openssl_errors();
  if (!opens) {
    out.password_protected = true;
    return out;
  }
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* ca = nullptr;
  const int ok = PKCS12_parse(p12, pass ? pass : "", &key, &cert, &ca);
  PkeyPtr key_owner(key);  // never kept: freed (and wiped by OpenSSL) here
  X509Ptr cert_owner(cert);
  X509StackPtr ca_owner(ca);
  if (ok != 1) {
    // A MAC that opens with no password but bags that need one, or an algorithm OpenSSL 3
    // reads only with its legacy provider (RC2).
    return input_error(subject, "cannot read the PKCS#12 file (a password, or a legacy algorithm such as RC2)");
  }
  if (cert_owner) out.certs.push_back(Certificate::adopt(cert_owner.release()));
  if (ca_owner) {
    while (sk_X509_num(ca_owner.get()) > 0) out.certs.push_back(Certificate::adopt(sk_X509_shift(ca_owner.get())));
  }
  if (out.certs.empty()) return input_error(subject, "the PKCS#12 file holds no certificate", false);
  return out;
}

}  // namespace

Result<std::optional<CertFile>> read_cert_file(std::string_view data, std::string_view subject) {
  clear_openssl_errors();
  if (data.find("-----BEGIN") != std::string_view::npos) {
    if (data.find("-----BEGIN CERTIFICATE-----") == std::string_view::npos) return std::optional<CertFile>{};
    TRY_ASSIGN(std::vector<Certificate> certs, parse_certificates(data, subject));
    return std::optional<CertFile>(CertFile{CertFileFormat::Pem, std::move(certs), false});
  }
  if (data.empty() || static_cast<unsigned char>(data.front()) != 0x30) return std::optional<CertFile>{};  // not DER
  if (auto x = whole_der<X509, d2i_X509, X509_free>(data)) {
    std::vector<Certificate> certs;
    certs.push_back(Certificate::adopt(x.release()));
    return std::optional<CertFile>(CertFile{CertFileFormat::Der, std::move(certs), false});
  }
  clear_openssl_errors();
  if (auto p12 = whole_der<PKCS12, d2i_PKCS12, PKCS12_free>(data)) {
    TRY_ASSIGN(CertFile f, open_pkcs12(p12.get(), subject));
    return std::optional<CertFile>(std::move(f));
  }
  clear_openssl_errors();
  return std::optional<CertFile>{};
}

}  // namespace certctl::crypto
