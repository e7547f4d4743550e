// The ACME issuer end to end against a scripted CA (tests/support/fake_acme.hpp): the issuer
// gets its HTTP client from the factory it is given, so whole orders run without a network.
#include <catch2/catch.hpp>

#include <certctl/acme.hpp>
#include <certctl/ca.hpp>

#include "fake_acme.hpp"

using namespace certctl;
using acme::Json;

namespace {

/// Records what it is asked to present and clean up; answers nothing itself.
class FakeSolver final : public challenge::Solver {
 public:
  std::string_view type() const override { return "http-01"; }
  Status present(const std::vector<challenge::Task>& tasks) override {
    presented.insert(presented.end(), tasks.begin(), tasks.end());
    return ok();
  }
  Status cleanup() override {
    ++cleanups;
    return ok();
  }
  std::vector<challenge::Task> presented;
  int cleanups = 0;
};

const std::string kAcct = "https://ca.test/acct/7";

struct Fixture : test::AcmeVault {
  crypto::PrivateKey account_key = add_account(kAcct);
  crypto::PrivateKey cert_key = std::move(crypto::PrivateKey::generate(crypto::KeyType::Ec256)).value();
  crypto::CsrInfo csr;

  Fixture() {
    crypto::CsrRequest req;
    req.subject.cn = "a.example";
    req.dns_names = {"a.example"};
    auto pem = crypto::make_csr(cert_key, req);
    REQUIRE(pem);
    csr = std::move(crypto::parse_csr(*pem, "csr")).value();
  }

  /// newOrder for a.example with one authorization, then finalize and the download.
  void script_order(const std::string& authz_body) {
    ca.http.on("POST", "https://ca.test/order", 201,
               R"({"status":"pending","identifiers":[{"type":"dns","value":"a.example"}],)"
               R"("authorizations":["https://ca.test/authz/1"],"finalize":"https://ca.test/finalize/1"})",
               {{"Location", "https://ca.test/order/1"}});
    ca.http.on("POST", "https://ca.test/authz/1", 200, authz_body);
    ca.http.on("POST", "https://ca.test/order/1", 200,
               R"({"status":"ready","finalize":"https://ca.test/finalize/1"})");
    ca.http.on("POST", "https://ca.test/finalize/1", 200,
               R"({"status":"valid","finalize":"https://ca.test/finalize/1","certificate":"https://ca.test/cert/1"})");
    ca.http.on("POST", "https://ca.test/cert/1", 200, ca.chain_for(csr, "1a2b3c"),
               {{"Content-Type", "application/pem-certificate-chain"}});
  }
};

const std::string kAuthzValid =
    R"({"status":"valid","identifier":{"type":"dns","value":"a.example"},"challenges":[]})";

}  // namespace

TEST_CASE("ACME issuer: a whole order, answered through the solver it is given", "[ca][acme]") {
  Fixture fx;
  const std::string pending =
      R"({"status":"pending","identifier":{"type":"dns","value":"a.example"},"challenges":[)"
      R"({"type":"dns-01","url":"https://ca.test/chall/2","token":"tok-dns","status":"pending"},)"
      R"({"type":"http-01","url":"https://ca.test/chall/1","token":"tok-http_1","status":"pending"}]})";
  fx.script_order(pending);
  // The authorization is pending when read, then valid once the challenge is answered.
  fx.ca.http.on("POST", "https://ca.test/authz/1", 200, kAuthzValid);
  fx.ca.http.on("POST", "https://ca.test/chall/1", 200, R"({"status":"processing"})");

  auto issuer = ca::make_issuer("fakeca", fx.vault, fx.clock, fx.clients);
  REQUIRE(issuer);
  FakeSolver solver;
  ca::IssueOptions opts;
  opts.shared_solver = &solver;
  auto issued = (*issuer)->issue(fx.csr, opts);
  REQUIRE(issued);

  // One client, made with the profile's CA bundle.
  REQUIRE(fx.ca.http.options.size() == 1);
  CHECK(fx.ca.http.options[0].ca_bundle == test::FakeAcme::kBundle);
  CHECK(fx.ca.calls() == std::vector<std::string>{
                             "GET https://ca.test/dir", "HEAD https://ca.test/nonce",
                             "POST https://ca.test/order", "POST https://ca.test/authz/1",
                             "POST https://ca.test/chall/1", "POST https://ca.test/authz/1",
                             "POST https://ca.test/order/1", "POST https://ca.test/finalize/1",
                             "POST https://ca.test/cert/1"});
  // Every POST is signed by the stored account (kid), never with a jwk.
  for (std::size_t i = 2; i < fx.ca.http.requests.size(); ++i) {
    auto [prot, payload] = test::FakeAcme::jws(fx.ca.http.requests[i]);
    CHECK(prot["kid"] == kAcct);
    CHECK(prot["url"] == fx.ca.http.requests[i].url);
    CHECK_FALSE(prot.contains("jwk"));
  }
  Json order = test::FakeAcme::payload(fx.ca.http.requests[2]);
  CHECK(order["identifiers"] == Json::parse(R"([{"type":"dns","value":"a.example"}])"));
  CHECK(test::FakeAcme::jws(fx.ca.http.requests[4]).second == "{}");  // the challenge answer
  CHECK(test::FakeAcme::payload(fx.ca.http.requests[7])["csr"] == crypto::base64url_encode(fx.csr.der));

  // The solver got the http-01 task with the key authorization of the account key.
  REQUIRE(solver.presented.size() == 1);
  const challenge::Task& t = solver.presented[0];
  CHECK(t.type == "http-01");
  CHECK(t.identifier == "a.example");
  CHECK(t.token == "tok-http_1");
  CHECK(t.key_authorization == "tok-http_1." + acme::thumbprint(fx.account_key).value());
  CHECK(solver.cleanups == 0);  // a shared solver is cleaned up by its owner

  CHECK(issued->leaf.info().serial_hex == "1A2B3C");
  CHECK(issued->leaf.info().dns_names == std::vector<std::string>{"a.example"});
  REQUIRE(issued->chain.size() == 1);
  CHECK(issued->chain[0].info().subject.cn == "Fake ACME Root");
  CHECK_FALSE(issued->ari);  // the directory offers no renewalInfo
}

TEST_CASE("ACME issuer: an authorization already valid needs no solver", "[ca][acme]") {
  Fixture fx;
  fx.script_order(kAuthzValid);
  auto issuer = ca::make_issuer("fakeca", fx.vault, fx.clock, fx.clients);
  REQUIRE(issuer);
  ca::IssueOptions opts;
  opts.challenge.type = vault::ChallengeType::Dns01;  // without a --dns setting: making a solver would fail
  auto issued = (*issuer)->issue(fx.csr, opts);
  REQUIRE(issued);
  CHECK(fx.ca.http.count("POST", "https://ca.test/authz/1") == 1);
  CHECK(fx.ca.http.count("POST", "https://ca.test/finalize/1") == 1);
  CHECK(issued->leaf.info().serial_hex == "1A2B3C");
}

TEST_CASE("ACME issuer: a CA without the asked-for challenge gets the authorization deactivated", "[ca][acme]") {
  Fixture fx;
  fx.script_order(R"({"status":"pending","identifier":{"type":"dns","value":"a.example"},"challenges":[)"
                  R"({"type":"dns-01","url":"https://ca.test/chall/2","token":"tok-dns","status":"pending"}]})");
  auto issuer = ca::make_issuer("fakeca", fx.vault, fx.clock, fx.clients);
  REQUIRE(issuer);
  auto issued = (*issuer)->issue(fx.csr, {});
  REQUIRE_FALSE(issued);
  CHECK(issued.error().category() == Category::Ca);
  CHECK_THAT(issued.error().message(), Catch::Contains("offers no http-01 challenge"));
  // Read again, still pending: deactivated, and no order was finalized.
  const auto& last = fx.ca.http.requests.back();
  CHECK(last.url == "https://ca.test/authz/1");
  CHECK(test::FakeAcme::payload(last) == Json::parse(R"({"status":"deactivated"})"));
  CHECK(fx.ca.http.count("POST", "https://ca.test/finalize/1") == 0);
}

TEST_CASE("key-signed revocation goes through the client factory with the profile's bundle", "[ca][acme]") {
  Fixture fx;
  fx.ca.http.on("POST", "https://ca.test/revoke", 200, "");
  auto leaf = crypto::parse_certificates(fx.ca.chain_for(fx.csr, "1a2b3c"), "chain");
  REQUIRE(leaf);
  auto revoker = ca::make_key_signed_revoker(test::FakeAcme::profile(), fx.clock, fx.clients);
  REQUIRE(revoker);
  auto signer = crypto::make_key_signer(fx.cert_key.share());
  REQUIRE(signer);
  REQUIRE((*revoker)->revoke(leaf->front(), 4, signer->get()));
  REQUIRE(fx.ca.http.options.size() == 1);
  CHECK(fx.ca.http.options[0].ca_bundle == test::FakeAcme::kBundle);
  auto [prot, payload] = test::FakeAcme::jws(fx.ca.http.requests.back());
  CHECK(prot.contains("jwk"));  // signed by the certificate's key, not an account
  Json p = Json::parse(payload);
  CHECK(p["certificate"] == crypto::base64url_encode(leaf->front().to_der()));
  CHECK(p["reason"] == 4);
}
