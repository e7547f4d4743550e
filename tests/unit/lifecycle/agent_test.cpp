// Agents that deploy with only their own keys: device copies sealed at issuance (key-policy
// hybrid and device), what a host's agent deploys and records, and copies removed with their
// host or target. The agent's vault is opened without unlocking.
#include <catch2/catch.hpp>

#include <certctl/crypto.hpp>
#include <certctl/deploy_results.hpp>
#include <certctl/device_seal.hpp>
#include <certctl/fs.hpp>
#include <certctl/lifecycle.hpp>

#include "vault_context.hpp"

using namespace certctl;

namespace {

crypto::HostKeyPair new_host_key() {
  auto k = crypto::generate_host_key();
  REQUIRE(k);
  return std::move(*k);
}

struct Fixture : test::VaultContext {
  crypto::HostKeyPair web1 = new_host_key(), web2 = new_host_key();

  Fixture() {
    REQUIRE(lifecycle::init_local_ca(ctx(), lifecycle::LocalCaRequest{"test CA", "ec256", 3650, 0, {}, {}}));
    REQUIRE(lifecycle::host_add(ctx(), "web1", web1.public_key.text(), {"edge"}));
    REQUIRE(lifecycle::host_add(ctx(), "web2", web2.public_key.text(), {}));
    lifecycle::DeployTarget t;
    t.name = "edge";
    t.labels = {"edge"};
    t.fullchain = dir.file("out/{name}.crt");
    t.key = dir.file("out/{name}.key");
    REQUIRE(lifecycle::deploy_target_add(ctx(), t));
  }

  vault::Record issued(const std::string& name, vault::KeyPolicy policy) {
    lifecycle::RecordFields f;
    f.domain = name + ".example.test";
    f.key_policy = policy;
    REQUIRE(lifecycle::create(ctx(), name, f));
    REQUIRE(lifecycle::make_csr(ctx(), name));
    auto r = lifecycle::issue(ctx(), name, {});
    REQUIRE(r);
    return *r;
  }

  /// The vault as an agent has it: opened, never unlocked.
  vault::Vault locked() {
    auto v = vault::Vault::open(dir.file("vault"));
    REQUIRE(v);
    REQUIRE_FALSE(v->unlocked());
    return std::move(*v);
  }
};

/// Whether `key_pem` is the private key of the first certificate in `certs_pem`.
bool key_of(const std::string& key_pem, const std::string& certs_pem) {
  auto key = crypto::PrivateKey::parse(SecretBytes::from(key_pem), "key");
  auto certs = crypto::parse_certificates(certs_pem, "cert");
  REQUIRE(key);
  REQUIRE(certs);
  return crypto::key_matches(certs->front(), *key);
}

}  // namespace

TEST_CASE("agent: hybrid keys are sealed to the hosts a target names, and open only there", "[lifecycle][agent]") {
  Fixture f;
  vault::Record r = f.issued("shop", vault::KeyPolicy::Hybrid);
  CHECK(r.sealed_to == std::vector<std::string>{"web1"});  // web2 has no "edge" label
  CHECK(r.has_key);
  auto sealed = f.vault.read_file("shop", r.version, vault::Layout::host_key_file("web1"));
  REQUIRE(sealed);
  const std::string aad = lifecycle::device_key_aad("shop", r.version);
  auto opened = crypto::open_as_host(f.web1.private_key, *sealed, aad, "copy");
  REQUIRE(opened);
  auto cert = f.vault.read_file("shop", r.version, "cert.pem");
  REQUIRE(cert);
  CHECK(key_of(std::string(opened->view()), *cert));
  // Another host's key, or the AAD of another record or version, opens nothing.
  CHECK_FALSE(crypto::open_as_host(f.web2.private_key, *sealed, aad, "copy"));
  CHECK_FALSE(crypto::open_as_host(f.web1.private_key, *sealed, lifecycle::device_key_aad("other", r.version), "copy"));
  CHECK_FALSE(crypto::open_as_host(f.web1.private_key, *sealed, lifecycle::device_key_aad("shop", r.version + 1), "copy"));
  // A master-policy record gets no copies.
  vault::Record m = f.issued("plain", vault::KeyPolicy::Master);
  CHECK(m.sealed_to.empty());
  CHECK_FALSE(f.vault.has_file("plain", m.version, vault::Layout::host_key_file("web1")).value());
}

TEST_CASE("agent: a pass deploys its host's records without unlocking, records the result, then rests", "[lifecycle][agent]") {
  Fixture f;
  f.issued("shop", vault::KeyPolicy::Hybrid);
  f.issued("plain", vault::KeyPolicy::Master);
  vault::Vault locked = f.locked();
  lifecycle::Context actx{locked, f.clock, f.clients};
  lifecycle::AgentOptions o;
  o.host = "web1";
  o.host_key = std::move(f.web1);
  auto pass = lifecycle::agent_pass(actx, o);
  REQUIRE(pass);
  CHECK(pass->deployed == 1);
  CHECK(pass->failed == 1);  // plain: master policy, no copy for web1
  auto key = fs::read_file(f.dir.file("out/shop.key"));
  auto full = fs::read_file(f.dir.file("out/shop.crt"));
  REQUIRE(key);
  REQUIRE(full);
  CHECK(key_of(*key, *full));
  CHECK_FALSE(fs::exists(f.dir.file("out/plain.key")));
  CHECK_FALSE(fs::exists(f.dir.file("out/plain.crt")));  // nothing written when the key cannot be had
  auto results = vault::load_deploy_results(locked, "web1");
  REQUIRE(results);
  REQUIRE(results->count("shop") == 1);
  CHECK(results->at("shop").state == vault::DeployState::Deployed);
  CHECK(results->at("shop").targets == std::vector<std::string>{"edge"});
  CHECK(results->at("plain").state == vault::DeployState::DeployFailed);
  CHECK(results->at("plain").error.find("key-policy master") != std::string::npos);
  // Nothing new: the next service pass deploys nothing (the failure waits for the interval).
  auto again = lifecycle::agent_pass(actx, o);
  REQUIRE(again);
  CHECK(again->deployed == 0);
  CHECK(again->failed == 0);
  CHECK(again->current == 2);
  // --once stops with a Deploy error naming the count, after retrying the failure.
  o.once = true;
  lifecycle::ChangeWaiter never = [](std::chrono::milliseconds) -> Status { FAIL("--once waited"); return ok(); };
  Status st = lifecycle::run_agent(actx, o, never, [](const std::string&) {});
  REQUIRE_FALSE(st);
  CHECK(st.error().category() == Category::Deploy);
  // web2 is named by no target: nothing to do; a wrong key file is refused before anything.
  lifecycle::AgentOptions o2;
  o2.host = "web2";
  o2.host_key = std::move(f.web2);
  auto p2 = lifecycle::agent_pass(actx, o2);
  REQUIRE(p2);
  CHECK(p2->deployed + p2->failed + p2->current == 0);
  o2.host = "web1";
  auto wrong = lifecycle::agent_pass(actx, o2);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().category() == Category::Config);
}

TEST_CASE("agent: key-policy device keeps the key off the vault; copies go with their host", "[lifecycle][agent]") {
  Fixture f;
  vault::Record r = f.issued("vpn", vault::KeyPolicy::Device);
  CHECK_FALSE(r.has_key);
  CHECK_FALSE(f.vault.has_file("vpn", r.version, "key.enc").value());
  auto pem = lifecycle::read_pem(f.ctx(), r, r.version, lifecycle::PemKind::Key);
  REQUIRE_FALSE(pem);
  CHECK(pem.error().message().find("key-policy device") != std::string::npos);
  // A renewal gets a new key, sealed afresh; the old version keeps no copies.
  lifecycle::IssueRequest again;
  again.renew = true;
  auto renewed = lifecycle::issue(f.ctx(), "vpn", again);
  REQUIRE(renewed);
  CHECK(renewed->version == r.version + 1);
  CHECK(renewed->sealed_to == std::vector<std::string>{"web1"});
  CHECK_FALSE(f.vault.has_file("vpn", r.version, vault::Layout::host_key_file("web1")).value());
  CHECK(f.vault.has_file("vpn", renewed->version, vault::Layout::host_key_file("web1")).value());
  // Removing the host removes its copies.
  REQUIRE(lifecycle::host_remove(f.ctx(), "web1"));
  auto after = f.vault.load("vpn");
  REQUIRE(after);
  CHECK(after->sealed_to.empty());
  CHECK_FALSE(f.vault.has_file("vpn", renewed->version, vault::Layout::host_key_file("web1")).value());
  // Now no host is named: a device-policy record is not issued again (its key would be lost).
  auto refused = lifecycle::issue(f.ctx(), "vpn", again);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().category() == Category::Config);
}

TEST_CASE("agent: host sync seals keys issued before a host was named and removes unnamed ones", "[lifecycle][agent]") {
  Fixture f;
  vault::Record r = f.issued("shop", vault::KeyPolicy::Hybrid);
  REQUIRE(r.sealed_to == std::vector<std::string>{"web1"});
  lifecycle::DeployTarget t;
  t.name = "two";
  t.hosts = {"web2"};
  t.cert = f.dir.file("two/{name}.crt");
  REQUIRE(lifecycle::deploy_target_add(f.ctx(), t));
  auto sync = lifecycle::sync_device_keys(f.ctx());
  REQUIRE(sync);
  CHECK(sync->sealed == std::vector<std::string>{"shop -> web2"});
  CHECK(f.vault.load("shop")->sealed_to == std::vector<std::string>{"web1", "web2"});
  // A locked vault cannot seal, only say why.
  REQUIRE(lifecycle::deploy_target_remove(f.ctx(), "edge"));
  CHECK(f.vault.load("shop")->sealed_to == std::vector<std::string>{"web2"});
  CHECK_FALSE(f.vault.has_file("shop", r.version, vault::Layout::host_key_file("web1")).value());
  REQUIRE(lifecycle::deploy_target_add(f.ctx(), [&] {
    lifecycle::DeployTarget e;
    e.name = "edge";
    e.labels = {"edge"};
    e.cert = f.dir.file("out/{name}.crt");
    return e;
  }()));
  vault::Vault locked = f.locked();
  auto locked_sync = lifecycle::sync_device_keys(lifecycle::Context{locked, f.clock, f.clients});
  REQUIRE(locked_sync);
  CHECK(locked_sync->sealed.empty());
  REQUIRE(locked_sync->skipped.size() == 1);
  CHECK(locked_sync->skipped[0].find("locked") != std::string::npos);
}
