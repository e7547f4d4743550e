// lifecycle::issue from an ACME CA: the issuer gets its client from the Context, so a record
// goes from pending to active against a scripted CA.
#include <catch2/catch.hpp>

#include <certctl/lifecycle.hpp>

#include "fake_acme.hpp"

using namespace certctl;

namespace {

/// A new order for a.example whose one authorization is valid already.
void queue_valid_order(test::FakeAcme& ca) {
  ca.http.on("POST", "https://ca.test/order", 201,
             R"({"status":"pending","identifiers":[{"type":"dns","value":"a.example"}],)"
             R"("authorizations":["https://ca.test/authz/1"],"finalize":"https://ca.test/finalize/1"})",
             {{"Location", "https://ca.test/order/1"}});
  ca.http.on("POST", "https://ca.test/authz/1", 200,
             R"({"status":"valid","identifier":{"type":"dns","value":"a.example"},"challenges":[]})");
}

/// The CA's next new order is refused (responses are queued per URL).
void queue_refusal(test::FakeAcme& ca) {
  ca.http.on("POST", "https://ca.test/order", 403,
             R"({"type":"urn:ietf:params:acme:error:rejectedIdentifier","detail":"a.example is not allowed"})");
}

/// Fields of a record for a.example at the fake CA.
lifecycle::RecordFields fake_ca_fields() {
  lifecycle::RecordFields f;
  f.domain = "a.example";
  f.ca = "fakeca";
  return f;
}

}  // namespace

TEST_CASE("issue: a record is issued by an ACME CA through the Context's client factory", "[lifecycle][acme]") {
  test::AcmeVault fx;
  fx.add_account("https://ca.test/acct/7");
  lifecycle::Context ctx = fx.ctx();
  test::FakeAcme& ca = fx.ca;

  const lifecycle::RecordFields f = fake_ca_fields();
  REQUIRE(lifecycle::create(ctx, "web", f));
  auto pending = lifecycle::make_csr(ctx, "web");
  REQUIRE(pending);
  auto csr_pem = lifecycle::read_pem(ctx, *pending, pending->version, lifecycle::PemKind::Csr);
  REQUIRE(csr_pem);
  auto csr = crypto::parse_csr(csr_pem->view(), "csr");
  REQUIRE(csr);

  queue_valid_order(ca);
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

TEST_CASE("issue_new: a record it created is removed when the CA refuses; a dry run writes nothing",
          "[lifecycle][acme]") {
  test::AcmeVault fx;
  fx.add_account("https://ca.test/acct/7");
  lifecycle::Context ctx = fx.ctx();
  test::FakeAcme& ca = fx.ca;
  const lifecycle::RecordFields f = fake_ca_fields();

  // Two refusals, then an order.
  for (int i = 0; i < 2; ++i) queue_refusal(ca);
  queue_valid_order(ca);
  auto refused = lifecycle::issue_new(ctx, "web", f, {});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().category() == Category::Ca);
  CHECK_FALSE(fx.vault.exists("web"));

  // An existing record that fails keeps its state (error, with the reason).
  REQUIRE(lifecycle::create(ctx, "kept", f));
  REQUIRE_FALSE(lifecycle::issue_new(ctx, "kept", f, {}));
  auto kept = fx.vault.load("kept");
  REQUIRE(kept);
  CHECK(kept->status == vault::CertStatus::Error);
  CHECK(kept->last_error.find("not allowed") != std::string::npos);

  // A dry run of a new record: the order is validated, never finalized, and nothing is stored.
  lifecycle::IssueRequest dry;
  dry.dry_run = true;
  auto view = lifecycle::issue_new(ctx, "trial", f, dry);
  INFO((view ? std::string() : view.error().text()));
  REQUIRE(view);
  CHECK(view->name == "trial");
  CHECK(view->issued_by == "fakeca");
  CHECK_FALSE(view->cert);
  CHECK_FALSE(fx.vault.exists("trial"));
  for (const auto& r : ca.http.requests) CHECK(r.url.find("finalize") == std::string::npos);
}

TEST_CASE("issue_many_new: each record is created, keyed and ordered; one that fails fails alone",
          "[lifecycle][acme]") {
  test::AcmeVault fx;
  fx.add_account("https://ca.test/acct/7");
  lifecycle::Context ctx = fx.ctx();
  test::FakeAcme& ca = fx.ca;
  REQUIRE(lifecycle::create(ctx, "kept", fake_ca_fields()));
  for (int i = 0; i < 2; ++i) queue_refusal(ca);

  std::vector<lifecycle::NewRecord> records(4);
  records[0] = {"first", fake_ca_fields()};
  records[1] = {"bad/name", fake_ca_fields()};
  records[2] = {"kept", fake_ca_fields()};
  records[2].fields.domain = "b.example";  // the stored record is for a.example
  records[3] = {"second", fake_ca_fields()};
  auto results = lifecycle::issue_many_new(ctx, records, {}, 1);

  REQUIRE(results.size() == 4);
  for (std::size_t i = 0; i < results.size(); ++i) CHECK(results[i].name == records[i].name);
  REQUIRE_FALSE(results[0]);
  CHECK(results[0].error().category() == Category::Ca);
  REQUIRE_FALSE(results[1]);
  CHECK(results[1].error().category() == Category::Usage);
  REQUIRE_FALSE(results[2]);
  CHECK(results[2].error().category() == Category::State);
  CHECK(results[2].error().text().find("b.example") != std::string::npos);
  REQUIRE_FALSE(results[3]);
  CHECK(results[3].error().category() == Category::Ca);

  // The two it created were keyed and ordered (one order each), then removed again; the
  // existing record was neither ordered nor changed.
  CHECK_FALSE(fx.vault.exists("first"));
  CHECK_FALSE(fx.vault.exists("second"));
  auto kept = fx.vault.load("kept");
  REQUIRE(kept);
  CHECK(kept->status == vault::CertStatus::Draft);
  CHECK(kept->domain == "a.example");
  CHECK_FALSE(kept->has_csr);
  int orders = 0;
  for (const auto& c : ca.calls()) orders += c == "POST https://ca.test/order";
  CHECK(orders == 2);
}
