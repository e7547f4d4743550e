#pragma once
/// Certificate authorities certctl can issue from. An Issuer turns a CSR into a certificate and
/// its chain. Issue 2 ships the embedded default, `local`: a root CA kept inside the vault
/// (<vault>/ca/local/root.pem + key.enc). ACME issuers plug in beside it (see ARCHITECTURE.md).
#include <certctl/crypto.hpp>
#include <certctl/result.hpp>
#include <certctl/vault.hpp>

#include <memory>
#include <string>
#include <vector>

namespace certctl::ca {

struct Issued {
  crypto::Certificate leaf;
  std::vector<crypto::Certificate> chain;  ///< issuer first, root last
};

struct IssueOptions {
  int days = 90;
};

class Issuer {
 public:
  virtual ~Issuer() = default;
  virtual const std::string& name() const = 0;
  virtual Result<Issued> issue(const crypto::CsrInfo& csr, const IssueOptions& opts) = 0;
};

/// The issuer for a CA profile name ("local"); unknown names are a NotFound error that lists
/// the known ones. The vault must be unlocked for `local`.
Result<std::unique_ptr<Issuer>> make_issuer(std::string_view ca, const vault::Vault& vault, const Clock& clock);
/// Known CA profile names, for help text and validation.
std::vector<std::string> known_cas();
Status validate_ca_name(std::string_view ca);

// ---- the local CA ----------------------------------------------------------------------------
struct LocalCaInfo {
  std::string subject_dn;
  std::string key_description;
  std::string serial_hex;
  std::string fingerprint_sha256;
  UnixTime not_before = 0, not_after = 0;
};

bool local_ca_exists(const vault::Vault& vault);
/// Make the local root CA; the vault must be unlocked and locked for writing by the caller.
Result<LocalCaInfo> local_ca_init(const vault::Vault& vault, const std::string& cn,
                                  crypto::KeyType key_type, int days, UnixTime now);
Result<std::string> local_ca_root_pem(const vault::Vault& vault);
Result<LocalCaInfo> local_ca_info(const vault::Vault& vault);

}  // namespace certctl::ca
