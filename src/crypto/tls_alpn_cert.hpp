#pragma once
/// The self-signed certificate a tls-alpn-01 responder presents (RFC 8737 section 3,
/// RFC 8738 section 6 for IP addresses). Private: used by src/challenge/tls_alpn.cpp.
#include <certctl/crypto.hpp>

#include <string_view>

namespace certctl::crypto {

/// The acmeIdentifier extension's OID (id-pe-acmeIdentifier).
inline constexpr const char* kAcmeIdentifierOid = "1.3.6.1.5.5.7.1.31";

struct TlsAlpnCert {
  PrivateKey key;  ///< a fresh EC P-256 key
  Certificate cert;
};

/// A self-signed certificate for one identifier: subjectAltName with only that dNSName (or
/// iPAddress when `identifier` is an IP literal) and a critical acmeIdentifier extension whose
/// value is the DER OCTET STRING of SHA-256(key_authorization). Valid from now - 1 h to
/// now + 7 days.
Result<TlsAlpnCert> make_tls_alpn_cert(std::string_view identifier,
                                       std::string_view key_authorization, UnixTime now);

}  // namespace certctl::crypto
