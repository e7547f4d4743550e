#include <catch2/catch.hpp>

#include <certctl/acme.hpp>

#include "acme/json.hpp"
#include "fake_http.hpp"

using namespace certctl;
using acme::Json;

namespace {

const std::string kDir = "https://ca.test/dir";

std::string directory_json(const std::string& extra_meta = "") {
  return R"({"newNonce":"https://ca.test/nonce","newAccount":"https://ca.test/acct","newOrder":"https://ca.test/order",)"
         R"("revokeCert":"https://ca.test/revoke","keyChange":"https://ca.test/key-change",)"
         R"("meta":{"termsOfService":"https://ca.test/tos")" + extra_meta + "}}";
}

struct Fixture {
  test::FakeHttp http;
  FixedClock clock{1'800'000'000};
  crypto::PrivateKey key = std::move(crypto::PrivateKey::generate(crypto::KeyType::Ec256)).value();
  std::unique_ptr<crypto::Signer> signer = std::move(crypto::make_key_signer(key.share())).value();
  acme::Client client{http, kDir, clock, acme::Timing{0.0, 0.01, 2, 3}};

  Fixture() {
    http.on("GET", kDir, 200, directory_json());
    http.on("HEAD", "https://ca.test/nonce", 200, "");
    client.set_account(signer.get(), "https://ca.test/acct/1");
  }

  /// The decoded protected header and payload of the n-th request.
  std::pair<Json, std::string> jws(std::size_t n) const {
    Json body = Json::parse(http.requests.at(n).body);
    auto prot = crypto::base64url_decode(body["protected"].get<std::string>(), "p");
    auto payload = crypto::base64url_decode(body["payload"].get<std::string>(), "p");
    return {Json::parse(*prot), *payload};
  }
};

}  // namespace

TEST_CASE("RFC 7638 thumbprint test vector", "[acme]") {
  // RFC 7638 section 3.1.
  Json jwk = {{"kty", "RSA"},
              {"n", "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
              {"e", "AQAB"},
              {"alg", "RS256"},
              {"kid", "2011-04-29"}};
  CHECK(acme::jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST_CASE("key authorization and dns-01 value", "[acme]") {
  // RFC 8555 8.1 shape; the dns-01 value is base64url(SHA-256(keyauth)) without padding.
  const std::string ka = acme::key_authorization("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA", "thumb");
  CHECK(ka == "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.thumb");
  CHECK(acme::dns01_value("abc") == "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
}

TEST_CASE("JWS requests carry alg, nonce, url and kid, and a raw ES256 signature", "[acme]") {
  Fixture fx;
  fx.http.on("POST", "https://ca.test/order/1", 200, R"({"status":"pending"})");
  auto r = fx.client.post("https://ca.test/order/1", std::nullopt);
  REQUIRE(r);
  REQUIRE(fx.http.requests.size() == 3);  // directory, HEAD nonce, POST
  const auto& req = fx.http.requests[2];
  CHECK(req.headers.at(0).value == "application/jose+json");
  auto [prot, payload] = fx.jws(2);
  CHECK(prot["alg"] == "ES256");
  CHECK(prot["url"] == "https://ca.test/order/1");
  CHECK(prot["kid"] == "https://ca.test/acct/1");
  CHECK_FALSE(prot.contains("jwk"));
  CHECK(payload.empty());  // POST-as-GET
  auto sig = crypto::base64url_decode(Json::parse(req.body)["signature"].get<std::string>(), "sig");
  CHECK(sig->size() == 64);
  // The next request reuses the Replay-Nonce from this response instead of a HEAD.
  REQUIRE(fx.client.post("https://ca.test/order/1", std::nullopt));
  CHECK(fx.http.count("HEAD", "https://ca.test/nonce") == 1);
}

TEST_CASE("badNonce is retried inside the sender and never surfaces", "[acme]") {
  Fixture fx;
  const std::string bad = R"({"type":"urn:ietf:params:acme:error:badNonce","detail":"stale","status":400})";
  fx.http.on("POST", "https://ca.test/x", 400, bad);
  fx.http.on("POST", "https://ca.test/x", 400, bad);
  fx.http.on("POST", "https://ca.test/x", 200, "{}");
  auto r = fx.client.post("https://ca.test/x", std::string("{}"));
  REQUIRE(r);
  CHECK(fx.http.count("POST", "https://ca.test/x") == 3);

  Fixture always;
  always.http.on("POST", "https://ca.test/y", 400, bad);
  auto fail = always.client.post("https://ca.test/y", std::string("{}"));
  REQUIRE_FALSE(fail);
  CHECK(always.http.count("POST", "https://ca.test/y") == 4);  // 1 + 3 retries, then give up
}

TEST_CASE("problem documents become CA errors with subproblems and Retry-After", "[acme]") {
  Fixture fx;
  fx.http.on("POST", "https://ca.test/order", 429,
             R"({"type":"urn:ietf:params:acme:error:rateLimited","detail":"too many certificates","status":429})",
             {{"Retry-After", "3600"}});
  auto r = fx.client.new_order({{"dns", "a.example"}}, "", "");
  REQUIRE_FALSE(r);
  CHECK(r.error().category() == Category::Ca);
  CHECK_THAT(r.error().message(), Catch::Contains("rateLimited: too many certificates"));
  CHECK_THAT(r.error().message(), Catch::Contains("retry after 3600 s"));
  REQUIRE(fx.client.last_problem());
  CHECK(*fx.client.last_problem()->retry_after_s == 3600);

  auto p = acme::parse_problem(
      R"({"type":"urn:ietf:params:acme:error:rejectedIdentifier","detail":"no","subproblems":[)"
      R"({"type":"urn:ietf:params:acme:error:malformed","detail":"bad label","identifier":{"type":"dns","value":"x..example"}}]})");
  REQUIRE(p);
  CHECK(p->short_type() == "rejectedIdentifier");
  REQUIRE(p->subproblems.size() == 1);
  CHECK(p->subproblems[0].identifier == "x..example");
  CHECK(p->summary() == "rejectedIdentifier: no; x..example: bad label");
}

TEST_CASE("an unknown profile lists the offered ones", "[acme]") {
  test::FakeHttp http;
  FixedClock clock{0};
  http.on("GET", kDir, 200, directory_json(R"(,"profiles":{"classic":"90 days","shortlived":"6 days"})"));
  acme::Client c{http, kDir, clock};
  REQUIRE(c.load_directory());
  CHECK(c.directory().profiles.size() == 2);
  auto r = c.new_order({{"dns", "a.example"}}, "tlsclient", "");
  REQUIRE_FALSE(r);
  CHECK(r.error().category() == Category::Config);
  CHECK_THAT(r.error().message(), Catch::Contains("classic, shortlived"));
}

TEST_CASE("a new account sends the jwk, ToS agreement and a valid EAB binding", "[acme]") {
  Fixture fx;
  fx.client.set_account(fx.signer.get(), "");
  fx.http.on("POST", "https://ca.test/acct", 201, R"({"status":"valid","contact":["mailto:a@example.com"]})",
             {{"Location", "https://ca.test/acct/42"}});
  acme::ExternalBinding eab{"kid-1", "secret-hmac-key"};
  auto a = fx.client.new_account({"mailto:a@example.com"}, true, false, eab);
  REQUIRE(a);
  CHECK(a->url == "https://ca.test/acct/42");
  CHECK(fx.client.kid() == "https://ca.test/acct/42");
  auto [prot, payload] = fx.jws(2);
  CHECK(prot.contains("jwk"));
  CHECK_FALSE(prot.contains("kid"));
  Json p = Json::parse(payload);
  CHECK(p["termsOfServiceAgreed"] == true);
  const Json& b = p["externalAccountBinding"];
  Json eprot = Json::parse(*crypto::base64url_decode(b["protected"].get<std::string>(), "e"));
  CHECK(eprot["alg"] == "HS256");
  CHECK(eprot["kid"] == "kid-1");
  CHECK(eprot["url"] == "https://ca.test/acct");
  CHECK(Json::parse(*crypto::base64url_decode(b["payload"].get<std::string>(), "e")) == prot["jwk"]);
  auto mac = crypto::hmac_sha256("secret-hmac-key", b["protected"].get<std::string>() + "." + b["payload"].get<std::string>());
  CHECK(crypto::base64url_encode(*mac) == b["signature"].get<std::string>());
}

TEST_CASE("the order state machine against recorded responses", "[acme]") {
  Fixture fx;
  fx.http.on("POST", "https://ca.test/order", 201,
             R"({"status":"pending","identifiers":[{"type":"dns","value":"a.example"}],)"
             R"("authorizations":["https://ca.test/authz/1"],"finalize":"https://ca.test/finalize/1"})",
             {{"Location", "https://ca.test/order/1"}});
  const std::string authz_pending =
      R"({"status":"pending","identifier":{"type":"dns","value":"a.example"},"challenges":[)"
      R"({"type":"http-01","url":"https://ca.test/chall/1","token":"tok1","status":"pending"},)"
      R"({"type":"dns-01","url":"https://ca.test/chall/2","token":"tok2","status":"pending"}]})";
  fx.http.on("POST", "https://ca.test/authz/1", 200, authz_pending);
  fx.http.on("POST", "https://ca.test/authz/1", 200, authz_pending);
  fx.http.on("POST", "https://ca.test/authz/1", 200,
             R"({"status":"valid","identifier":{"type":"dns","value":"a.example"},"challenges":[]})");
  fx.http.on("POST", "https://ca.test/chall/1", 200, R"({"status":"processing"})");
  fx.http.on("POST", "https://ca.test/finalize/1", 200, R"({"status":"processing","finalize":"https://ca.test/finalize/1"})");
  fx.http.on("POST", "https://ca.test/order/1", 200, R"({"status":"processing"})", {{"Retry-After", "0"}});
  fx.http.on("POST", "https://ca.test/order/1", 200, R"({"status":"valid","certificate":"https://ca.test/cert/1"})");
  fx.http.on("POST", "https://ca.test/cert/1", 200, "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n",
             {{"Link", "<https://ca.test/cert/1/alt>;rel=\"alternate\""}});
  fx.http.on("POST", "https://ca.test/cert/1/alt", 200, "-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----\n");

  auto order = fx.client.new_order({{"dns", "a.example"}}, "", "");
  REQUIRE(order);
  CHECK(order->url == "https://ca.test/order/1");
  auto authz = fx.client.get_authorization(order->authorizations[0]);
  REQUIRE(authz);
  REQUIRE(authz->challenges.size() == 2);
  CHECK(authz->challenges[1].token == "tok2");
  REQUIRE(fx.client.respond(authz->challenges[0]));
  CHECK(fx.jws(fx.http.requests.size() - 1).second == "{}");
  auto done = fx.client.wait_authorization(authz->url);
  REQUIRE(done);
  CHECK(done->status == acme::AuthzStatus::Valid);
  auto fin = fx.client.finalize(*order, "fake-der");
  REQUIRE(fin);
  CHECK(fin->status == acme::OrderStatus::Valid);
  CHECK(fin->certificate == "https://ca.test/cert/1");
  auto chains = fx.client.download(fin->certificate, true);
  REQUIRE(chains);
  REQUIRE(chains->size() == 2);
  CHECK(chains->at(1).find("\nB\n") != std::string::npos);
}

TEST_CASE("polling gives up at the deadline with a clear message", "[acme]") {
  Fixture fx;
  fx.http.on("POST", "https://ca.test/authz/9", 200,
             R"({"status":"pending","identifier":{"type":"dns","value":"slow.example"},"challenges":[]})");
  acme::Client quick{fx.http, kDir, fx.clock, acme::Timing{0.0, 0.01, 0.05, 3, 1'000'000}};
  quick.set_account(fx.signer.get(), "https://ca.test/acct/1");
  auto r = quick.wait_authorization("https://ca.test/authz/9");
  REQUIRE_FALSE(r);
  CHECK(r.error().subject() == "slow.example");
  CHECK_THAT(r.error().message(), Catch::Contains("did not validate"));
  CHECK_THAT(r.error().message(), Catch::EndsWith("still pending after 0.05 s"));
}

namespace {

/// A client whose waits between polls are recorded (in ms) instead of slept.
struct PollFixture : Fixture {
  std::vector<long> waits;
  acme::Timing timing;
  std::unique_ptr<acme::Client> polling;
  const std::string url = "https://ca.test/authz/7";
  const std::string pending =
      R"({"status":"pending","identifier":{"type":"dns","value":"a.example"},"challenges":[]})";

  explicit PollFixture(acme::Timing t = {}) : timing(std::move(t)) {
    timing.sleep = [this](std::chrono::milliseconds d) {
      waits.push_back(d.count());
      return ok();
    };
    polling = std::make_unique<acme::Client>(http, kDir, clock, timing);
    polling->set_account(signer.get(), "https://ca.test/acct/1");
  }
};

}  // namespace

TEST_CASE("polling: 20 ms, then doubling up to 10 s; a Retry-After is waited exactly", "[acme]") {
  PollFixture fx;
  for (int i = 0; i < 10; ++i) fx.http.on("POST", fx.url, 200, fx.pending);
  fx.http.on("POST", fx.url, 200, fx.pending, {{"Retry-After", "3"}});
  fx.http.on("POST", fx.url, 200, fx.pending, {{"Retry-After", "45"}});  // over the 10 s cap: still exactly
  fx.http.on("POST", fx.url, 200, fx.pending);
  fx.http.on("POST", fx.url, 200,
             R"({"status":"valid","identifier":{"type":"dns","value":"a.example"},"challenges":[]})");
  auto a = fx.polling->wait_authorization(fx.url);
  REQUIRE(a);
  CHECK(a->status == acme::AuthzStatus::Valid);
  CHECK(fx.http.count("POST", fx.url) == 14);
  CHECK(fx.waits == std::vector<long>{20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10000, 3000, 45000, 10000});
}

TEST_CASE("polling: at most max_polls requests for one URL, then a Ca error saying so", "[acme]") {
  acme::Timing t;
  t.max_polls = 5;
  PollFixture fx(t);
  fx.http.on("POST", fx.url, 200, fx.pending, {{"Retry-After", "0"}});  // never under 20 ms either
  auto a = fx.polling->wait_authorization(fx.url);
  REQUIRE_FALSE(a);
  CHECK(a.error().category() == Category::Ca);
  CHECK(a.error().subject() == "a.example");
  CHECK_THAT(a.error().message(), Catch::EndsWith("still pending after 5 polls"));
  CHECK(fx.http.count("POST", fx.url) == 5);
  CHECK(fx.waits == std::vector<long>{20, 20, 20, 20});
}

TEST_CASE("polling: a Retry-After beyond the deadline ends the wait at once", "[acme]") {
  PollFixture fx;
  fx.http.on("POST", "https://ca.test/order/3", 200,
             R"({"status":"processing","identifiers":[],"authorizations":[],"finalize":"https://ca.test/fin/3"})",
             {{"Retry-After", "300"}});
  auto o = fx.polling->wait_order("https://ca.test/order/3", acme::OrderStatus::Valid);
  REQUIRE_FALSE(o);
  CHECK(o.error().subject() == "https://ca.test/order/3");
  CHECK_THAT(o.error().message(),
             Catch::Contains("still processing and the CA asks to be polled again in 300 s, past the 120 s deadline"));
  CHECK(fx.http.count("POST", "https://ca.test/order/3") == 1);
  CHECK(fx.waits.empty());
}

TEST_CASE("renewalInfo: window, explanation and Retry-After, absent without the directory entry", "[acme]") {
  {
    Fixture fx;  // the directory has no renewalInfo
    auto none = fx.client.renewal_info("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
    REQUIRE(none);
    CHECK_FALSE(none->has_value());
    CHECK(fx.http.requests.size() == 1);  // only the directory
  }
  test::FakeHttp http;
  FixedClock clock{1'800'000'000};
  http.on("GET", kDir, 200,
          R"({"newNonce":"https://ca.test/nonce","newAccount":"https://ca.test/acct","newOrder":"https://ca.test/order",)"
          R"("renewalInfo":"https://ca.test/renewal-info"})");
  const std::string url = "https://ca.test/renewal-info/aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE";
  http.on("GET", url, 200,
          R"({"suggestedWindow":{"start":"2027-01-15T00:00:00Z","end":"2027-01-16T12:00:00.5Z"},)"
          R"("explanationURL":"https://ca.test/incident/42"})",
          {{"Retry-After", "21600"}});
  // The second answer: a window that ends before it starts is the CA's mistake, named by URL.
  http.on("GET", url, 200, R"({"suggestedWindow":{"start":"2027-01-16T00:00:00Z","end":"2027-01-15T00:00:00Z"}})");
  acme::Client client{http, kDir, clock};
  auto info = client.renewal_info("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
  REQUIRE(info);
  REQUIRE(info->has_value());
  CHECK(format_rfc3339((*info)->start) == "2027-01-15T00:00:00Z");
  CHECK(format_rfc3339((*info)->end) == "2027-01-16T12:00:00Z");
  CHECK((*info)->explanation_url == "https://ca.test/incident/42");
  CHECK((*info)->retry_after_s == 21600);
  CHECK(http.requests.back().method == "GET");  // unauthenticated: no JWS
  CHECK(http.requests.back().body.empty());

  auto bad = client.renewal_info("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().category() == Category::Ca);
  CHECK(bad.error().text().find("ends before it starts") != std::string::npos);
}

TEST_CASE("newOrder carries replaces when given", "[acme]") {
  Fixture fx;
  fx.http.on("POST", "https://ca.test/order", 201,
             R"({"status":"pending","identifiers":[{"type":"dns","value":"a.test"}],"authorizations":[],"finalize":"https://ca.test/fin"})",
             {{"Location", "https://ca.test/order/9"}});
  auto o = fx.client.new_order({{"dns", "a.test"}}, "", "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
  REQUIRE(o);
  auto [prot, payload] = fx.jws(fx.http.requests.size() - 1);
  CHECK(Json::parse(payload)["replaces"] == "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
}

TEST_CASE("headers that are not clean text from a CA are its error, never an exception", "[acme]") {
  Fixture fx;
  SECTION("a Replay-Nonce that is not base64url is not used again") {
    fx.http.on("POST", "https://ca.test/order/1", 200, R"({"status":"pending"})",
               {{"Replay-Nonce", std::string("\xff\xfe-bad nonce")}});
    REQUIRE(fx.client.post("https://ca.test/order/1", std::nullopt));
    REQUIRE(fx.client.post("https://ca.test/order/1", std::nullopt));
    CHECK(fx.http.count("HEAD", "https://ca.test/nonce") == 2);  // fetched afresh instead
  }
  SECTION("a newNonce answer that is not base64url fails naming the URL") {
    test::FakeHttp http;
    http.on("GET", kDir, 200, directory_json());
    http.on("HEAD", "https://ca.test/nonce", 200, "", {{"Replay-Nonce", std::string("\xc3\x28")}});
    acme::Client client{http, kDir, fx.clock, acme::Timing{0.0, 0.01, 2, 3}};
    client.set_account(fx.signer.get(), "https://ca.test/acct/1");
    auto r = client.post("https://ca.test/order/1", std::nullopt);
    REQUIRE_FALSE(r);
    CHECK(r.error().category() == Category::Ca);
    CHECK(r.error().subject() == "https://ca.test/nonce");
  }
  SECTION("a Location that is not a URL of printable ASCII fails the order, not the process") {
    fx.http.on("POST", "https://ca.test/order", 201,
               R"({"status":"pending","identifiers":[{"type":"dns","value":"a.test"}],"authorizations":[],)"
               R"("finalize":"https://ca.test/fin"})",
               {{"Location", std::string("https://ca.test/order/\xff")}});
    auto r = fx.client.new_order({acme::Identifier{"dns", "a.test"}}, "", "");
    REQUIRE_FALSE(r);
    CHECK(r.error().category() == Category::Ca);
    CHECK(r.error().message().find("Location") != std::string::npos);
  }
}
