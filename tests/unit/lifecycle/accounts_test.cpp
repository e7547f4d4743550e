// Account registration through lifecycle::Context's client factory against a scripted CA:
// what the newAccount JWS carries (contact, ToS, EAB, onlyReturnExisting) and what is stored.
#include <catch2/catch.hpp>

#include <certctl/acme.hpp>
#include <certctl/fs.hpp>
#include <certctl/lifecycle.hpp>

#include "fake_acme.hpp"

using namespace certctl;
using acme::Json;

namespace {

const std::string kNewAccount = "https://ca.test/acct";

struct Fixture : test::AcmeVault {
  using AcmeVault::AcmeVault;

  static lifecycle::RegisterRequest request() {
    lifecycle::RegisterRequest r;
    r.ca = "fakeca";
    r.email = "admin@example.com";
    r.agree_tos = true;
    return r;
  }

  std::vector<const http::Request*> account_posts() const {
    std::vector<const http::Request*> out;
    for (const auto& r : ca.http.requests)
      if (r.method == "POST" && r.url == kNewAccount) out.push_back(&r);
    return out;
  }
};

}  // namespace

TEST_CASE("register: a new account sends contact and ToS agreement with the new key's jwk", "[lifecycle][acme]") {
  Fixture fx;
  fx.ca.http.on("POST", kNewAccount, 201, R"({"status":"valid","contact":["mailto:admin@example.com"]})",
                {{"Location", "https://ca.test/acct/42"}});
  auto a = lifecycle::register_account(fx.ctx(), Fixture::request());
  REQUIRE(a);
  CHECK(a->url == "https://ca.test/acct/42");

  REQUIRE(fx.ca.http.options.size() == 1);
  CHECK(fx.ca.http.options[0].ca_bundle == test::FakeAcme::kBundle);
  CHECK(fx.ca.calls() ==
        std::vector<std::string>{"GET https://ca.test/dir", "HEAD https://ca.test/nonce", "POST " + kNewAccount});
  auto [prot, payload] = test::FakeAcme::jws(fx.ca.http.requests.back());
  CHECK(prot["url"] == kNewAccount);
  CHECK_FALSE(prot.contains("kid"));
  REQUIRE(prot.contains("jwk"));
  CHECK(Json::parse(payload) ==
        Json::parse(R"({"contact":["mailto:admin@example.com"],"termsOfServiceAgreed":true})"));

  // Stored: the account and the key whose jwk was sent.
  auto stored = ca::load_account(fx.vault, "fakeca");
  REQUIRE(stored);
  REQUIRE(*stored);
  CHECK((*stored)->url == "https://ca.test/acct/42");
  CHECK((*stored)->status == acme::AccountStatus::Valid);
  CHECK((*stored)->created == fx.clock.now());
  auto key = ca::load_account_key(fx.vault, "fakeca");
  REQUIRE(key);
  CHECK(acme::jwk_thumbprint(prot["jwk"]) == acme::thumbprint(*key).value());
}

TEST_CASE("register: External Account Binding MACs the account jwk with the CA's key", "[lifecycle][acme]") {
  Fixture fx(R"(,"externalAccountRequired":true)");
  fx.ca.http.on("POST", kNewAccount, 201, R"({"status":"valid"})", {{"Location", "https://ca.test/acct/43"}});
  auto req = Fixture::request();

  SECTION("refused before any request for the account when the CA requires it and none is given") {
    auto a = lifecycle::register_account(fx.ctx(), req);
    REQUIRE_FALSE(a);
    CHECK(a.error().category() == Category::Usage);
    CHECK_THAT(a.error().message(), Catch::Contains("External Account Binding"));
    CHECK(fx.account_posts().empty());
  }

  SECTION("sent with --eab-kid and --eab-hmac-file") {
    const std::string hmac_file = fx.dir.file("hmac");
    REQUIRE(fs::write_file_atomic(hmac_file, crypto::base64url_encode("secret-hmac-key") + "\n"));
    req.eab_kid = "kid-1";
    req.eab_hmac_file = hmac_file;
    auto a = lifecycle::register_account(fx.ctx(), req);
    REQUIRE(a);
    CHECK(a->url == "https://ca.test/acct/43");
    REQUIRE(fx.account_posts().size() == 1);
    auto [prot, payload] = test::FakeAcme::jws(*fx.account_posts()[0]);
    Json p = Json::parse(payload);
    CHECK(p["contact"] == Json::parse(R"(["mailto:admin@example.com"])"));
    CHECK(p["termsOfServiceAgreed"] == true);
    const Json& b = p["externalAccountBinding"];
    Json eprot = Json::parse(crypto::base64url_decode(b["protected"].get<std::string>(), "e").value());
    CHECK(eprot == Json::parse(R"({"alg":"HS256","kid":"kid-1","url":"https://ca.test/acct"})"));
    CHECK(Json::parse(crypto::base64url_decode(b["payload"].get<std::string>(), "e").value()) == prot["jwk"]);
    auto mac = crypto::hmac_sha256("secret-hmac-key",
                                   b["protected"].get<std::string>() + "." + b["payload"].get<std::string>());
    CHECK(crypto::base64url_encode(mac.value()) == b["signature"].get<std::string>());
  }
}

TEST_CASE("register: a stored key is looked up with onlyReturnExisting first", "[lifecycle][acme]") {
  Fixture fx;
  crypto::PrivateKey key = fx.add_account("https://ca.test/acct/7", 1'700'000'000);

  SECTION("found: no new account is created") {
    fx.ca.http.on("POST", kNewAccount, 200, R"({"status":"valid","contact":["mailto:old@example.com"]})",
                  {{"Location", "https://ca.test/acct/7"}});
    auto a = lifecycle::register_account(fx.ctx(), Fixture::request());
    REQUIRE(a);
    CHECK(a->url == "https://ca.test/acct/7");
    CHECK(a->contact == std::vector<std::string>{"mailto:old@example.com"});
    CHECK(a->created == 1'700'000'000);  // kept from the stored account
    REQUIRE(fx.account_posts().size() == 1);
    auto [prot, payload] = test::FakeAcme::jws(*fx.account_posts()[0]);
    CHECK(Json::parse(payload) == Json::parse(R"({"onlyReturnExisting":true})"));
    CHECK(acme::jwk_thumbprint(prot["jwk"]) == acme::thumbprint(key).value());
  }

  SECTION("accountDoesNotExist: registered anew with the same key") {
    fx.ca.http.on("POST", kNewAccount, 400,
                  R"({"type":"urn:ietf:params:acme:error:accountDoesNotExist","detail":"no such account"})",
                  {{"Content-Type", "application/problem+json"}});
    fx.ca.http.on("POST", kNewAccount, 201, R"({"status":"valid"})", {{"Location", "https://ca.test/acct/8"}});
    auto a = lifecycle::register_account(fx.ctx(), Fixture::request());
    REQUIRE(a);
    CHECK(a->url == "https://ca.test/acct/8");
    CHECK(a->contact == std::vector<std::string>{"mailto:admin@example.com"});
    auto posts = fx.account_posts();
    REQUIRE(posts.size() == 2);
    CHECK(test::FakeAcme::payload(*posts[0]) == Json::parse(R"({"onlyReturnExisting":true})"));
    Json second = test::FakeAcme::payload(*posts[1]);
    CHECK_FALSE(second.contains("onlyReturnExisting"));
    CHECK(second["termsOfServiceAgreed"] == true);
    CHECK(acme::jwk_thumbprint(test::FakeAcme::jws(*posts[1]).first["jwk"]) == acme::thumbprint(key).value());
  }
}
