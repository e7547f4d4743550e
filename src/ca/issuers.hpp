#pragma once
// The issuer implementations behind ca::make_issuer (private to src/ca).
#include <certctl/ca.hpp>

namespace certctl::ca {

std::unique_ptr<Issuer> make_local_issuer(const vault::Vault& vault, const Clock& clock);
/// Needs the profile's account (registered) and an unlocked vault.
Result<std::unique_ptr<Issuer>> make_acme_issuer(const CaProfile& profile, const vault::Vault& vault,
                                                 const Clock& clock, const http::ClientFactory& http);

}  // namespace certctl::ca
