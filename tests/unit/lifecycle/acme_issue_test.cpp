// lifecycle::issue from an ACME CA: the issuer gets its client from the Context, so a record
// goes from pending to active against a scripted CA.
#include <catch2/catch.hpp>

#include <certctl/lifecycle.hpp>

#include "fake_acme.hpp"

using namespace certctl;

TEST_CASE("issue: a record is issued by an ACME CA through the Context's client factory", "[lifecycle][acme]") {
  test::AcmeVault fx;
  fx.add_account("https://ca.test/acct/7");
  lifecycle::Context ctx = fx.ctx();
  test::FakeAcme& ca = fx.ca;

  lifecycle::RecordFields f;
  f.domain = "a.example";
  f.ca = "fakeca";
  REQUIRE(lifecycle::create(ctx, "web", f));
  auto pending = lifecycle::make_csr(ctx, "web");
  REQUIRE(pending);
  auto csr_pem = lifecycle::read_pem(ctx, *pending, pending->version, lifecycle::PemKind::Csr);
  REQUIRE(csr_pem);
  auto csr = crypto::parse_csr(csr_pem->view(), "csr");
  REQUIRE(csr);

  ca.http.on("POST", "https://ca.test/order", 201,
             R"({"status":"pending","identifiers":[{"type":"dns","value":"a.example"}],)"
             R"("authorizations":["https://ca.test/authz/1"],"finalize":"https://ca.test/finalize/1"})",
             {{"Location", "https://ca.test/order/1"}});
  ca.http.on("POST", "https://ca.test/authz/1", 200,
             R"({"status":"valid","identifier":{"type":"dns","value":"a.example"},"challenges":[]})");
  ca.http.on("POST", "https://ca.test/order/1", 200, R"({"status":"ready","finalize":"https://ca.test/finalize/1"})");
  ca.http.on("POST", "https://ca.test/finalize/1", 200,
             R"({"status":"valid","finalize":"https://ca.test/finalize/1","certificate":"https://ca.test/cert/1"})");
  ca.http.on("POST", "https://ca.test/cert/1", 200, ca.chain_for(*csr, "4d5e6f"));

  auto issued = lifecycle::issue(ctx, "web", {});
  REQUIRE(issued);
  CHECK(issued->status == vault::CertStatus::Active);
  CHECK(issued->issued_by == "fakeca");
  REQUIRE(issued->cert);
  CHECK(issued->cert->serial_hex == "4D5E6F");
  CHECK(issued->has_chain);
  REQUIRE(ca.http.options.size() == 1);
  CHECK(ca.http.options[0].ca_bundle == test::FakeAcme::kBundle);
  CHECK(test::FakeAcme::payload(ca.http.requests.at(ca.http.requests.size() - 2))["csr"] ==
        crypto::base64url_encode(csr->der));
}
