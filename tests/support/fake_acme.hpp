#pragma once
// A scripted ACME CA over FakeHttp, for tests of code that makes its own clients (the ACME
// issuer, account registration, lifecycle::issue): the directory and nonce routes, a test
// root that signs CSRs for the certificate download, and the JWS requests read back.
#include <certctl/ca.hpp>
#include <certctl/crypto.hpp>
#include <certctl/lifecycle.hpp>

#include "acme/json.hpp"
#include "fake_http.hpp"
#include "temp_dir.hpp"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace certctl::test {

class FakeAcme {
 public:
  static constexpr const char* kDir = "https://ca.test/dir";
  static constexpr const char* kBundle = "/etc/fake-acme/roots.pem";  ///< the profile's ca_bundle

  FakeHttp http;

  explicit FakeAcme(const std::string& extra_meta = "") {
    http.on("GET", kDir, 200,
            R"({"newNonce":"https://ca.test/nonce","newAccount":"https://ca.test/acct",)"
            R"("newOrder":"https://ca.test/order","revokeCert":"https://ca.test/revoke",)"
            R"("keyChange":"https://ca.test/key-change","meta":{"termsOfService":"https://ca.test/tos")" +
                extra_meta + "}}");
    http.on("HEAD", "https://ca.test/nonce", 200, "");
    root_key_ = std::move(crypto::PrivateKey::generate(crypto::KeyType::Ec256)).value();
    crypto::Subject s;
    s.cn = "Fake ACME Root";
    root_ = std::move(crypto::make_self_signed_ca(root_key_, s, {"01", kNow - 86400, kNow + 3650 * 86400, true, "", -1, {}, {}}))
                .value();
  }

  /// This CA as `certctl ca add` stores it.
  static ca::CaProfile profile(const std::string& name = "fakeca") {
    ca::CaProfile p;
    p.name = name;
    p.directory = kDir;
    p.ca_bundle = kBundle;
    return p;
  }

  /// The certificate download for a CSR: leaf (serial `serial_hex`) then the root, PEM.
  std::string chain_for(const crypto::CsrInfo& csr, const std::string& serial_hex) const {
    auto leaf = crypto::sign_csr(csr, root_, root_key_, {serial_hex, kNow - 60, kNow + 90 * 86400, false, "", -1, {}, {}});
    return leaf.value().to_pem() + root_.to_pem();
  }

  /// "METHOD URL" of every request so far, in order.
  std::vector<std::string> calls() const {
    std::vector<std::string> out;
    for (const auto& r : http.requests) out.push_back(r.method + " " + r.url);
    return out;
  }

  /// The decoded protected header and payload of a JWS request.
  static std::pair<acme::Json, std::string> jws(const http::Request& r) {
    acme::Json body = acme::Json::parse(r.body);
    auto prot = crypto::base64url_decode(body["protected"].get<std::string>(), "protected");
    auto payload = crypto::base64url_decode(body["payload"].get<std::string>(), "payload");
    return {acme::Json::parse(prot.value()), payload.value()};
  }
  /// The JWS payload of a request parsed as JSON.
  static acme::Json payload(const http::Request& r) { return acme::Json::parse(jws(r).second); }

  static constexpr UnixTime kNow = 1'800'000'000;

 private:
  crypto::PrivateKey root_key_;
  crypto::Certificate root_;
};

/// A fresh vault with the FakeAcme CA added as profile "fakeca", and a Context whose clients
/// all go to it.
struct AcmeVault {
  TempDir dir;
  vault::Vault vault = make_vault(dir);
  FixedClock clock{FakeAcme::kNow};
  FakeAcme ca;
  http::ClientFactory clients = ca.http.factory();
  lifecycle::Context ctx() { return {vault, clock, clients}; }

  explicit AcmeVault(const std::string& extra_meta = "") : ca(extra_meta) {
    if (!ca::save_profile(vault, FakeAcme::profile(), nullptr)) throw std::runtime_error("save_profile");
  }

  /// Store a registered account for "fakeca" at `url`; returns its key.
  crypto::PrivateKey add_account(const std::string& url, UnixTime created = 0) {
    auto key = std::move(crypto::PrivateKey::generate(crypto::KeyType::Ec256)).value();
    ca::Account a;
    a.ca = "fakeca";
    a.url = url;
    a.status = acme::AccountStatus::Valid;
    a.key_type = "ec256";
    a.created = created;
    if (!ca::save_account(vault, a, &key)) throw std::runtime_error("save_account");
    return key;
  }
};

}  // namespace certctl::test
