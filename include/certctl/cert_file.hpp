#pragma once
/// What certificates a file holds, whatever its format (`certctl discover files`): PEM, DER or
/// PKCS#12 without a password. A small header of its own (module crypto).
#include <certctl/crypto.hpp>

#include <optional>
#include <string_view>
#include <vector>

namespace certctl::crypto {

enum class CertFileFormat { Pem, Der, Pkcs12 };
/// "pem", "der", "pkcs12".
std::string_view format_name(CertFileFormat f);

struct CertFile {
  CertFileFormat format = CertFileFormat::Pem;
  /// In file order; for PKCS#12 the certificate of the key first, then the others.
  std::vector<Certificate> certs;
  /// A PKCS#12 file that opens only with a password: certs is empty, nothing was decrypted.
  bool password_protected = false;
};

/// The certificates in `data` (a file's bytes; `subject` names it in errors). nullopt when the
/// bytes are none of the three formats (a key, text, anything else); an Input error when they
/// are one of them but damaged. A PKCS#12 file is opened with an empty or absent password
/// only; its private key is never kept.
Result<std::optional<CertFile>> read_cert_file(std::string_view data, std::string_view subject);

}  // namespace certctl::crypto
