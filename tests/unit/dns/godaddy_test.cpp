// The godaddy provider against a scripted http::Client: the documented requests (domain check,
// the TXT records of one name read page by page and replaced with PUT, DELETE when none is
// left, "sso-key KEY:SECRET"), GoDaddy's minimum TTL and the error answers.
#include <catch2/catch.hpp>

#include "dns/providers.hpp"
#include "dns_test_util.hpp"

using namespace certctl;
using nlohmann::json;

namespace {

const std::string kApi = "https://gd.test";
const std::string kName = "_acme-challenge.a.example.com.";
const std::string kDomain = kApi + "/v1/domains/example.com";
const std::string kTxt = kDomain + "/records/TXT/_acme-challenge.a";
const std::string kRead = kTxt + "?offset=0&limit=500";
std::string read_at(std::size_t offset) { return kTxt + "?offset=" + std::to_string(offset) + "&limit=500"; }

dns::ProviderConfig config() {
  dns::ProviderConfig c;
  c.name = "gd";
  c.type = "godaddy";
  c.options["api-url"] = kApi;
  c.secrets["api-key"] = SecretBytes::from("gdkey_123456");
  c.secrets["api-secret"] = SecretBytes::from("gdsecret_abcdef");
  return c;
}

struct Fixture : test::FakeProvider {
  explicit Fixture(const dns::ProviderConfig& c = config()) : FakeProvider(dns::make_godaddy, c) {
    http->on("GET", kDomain, 200, json{{"domain", "example.com"}, {"domainId", 1234}, {"status", "ACTIVE"}}.dump());
    for (std::size_t n = 1; n <= 3; ++n) http->on("GET", read_at(n), 200, "[]");  // the end of a short list
  }
};

json rec(const std::string& data, int ttl = 600, const std::string& name = "_acme-challenge.a") {
  return json{{"data", data}, {"name", name}, {"ttl", ttl}, {"type", "TXT"}};
}

}  // namespace

TEST_CASE("dns godaddy: present adds its values to the name's TXT records with PUT, cleanup PUTs the rest", "[dns]") {
  Fixture f;
  f.http->on("GET", kRead, 200, json::array({rec("other", 3600)}).dump());
  f.http->on("GET", kRead, 200, json::array({rec("other", 3600), rec("v1"), rec("v2")}).dump());
  f.http->on("PUT", kTxt, 200, "");
  std::vector<dns::TxtRecord> recs = {test::txt(kName, "example.com.", "v1"), test::txt(kName, "example.com.", "v2")};
  REQUIRE(f.provider->present(recs).ok());
  REQUIRE(f.provider->present(recs).ok());  // again: both there, nothing written
  REQUIRE(f.provider->cleanup(recs).ok());

  CHECK(f.http->count("GET", kDomain) == 1);  // the domain is checked once
  CHECK(f.http->count("GET", read_at(1)) == 1);  // each read ends on an empty page
  CHECK(f.http->count("GET", read_at(3)) == 2);
  REQUIRE(f.http->requests.size() == 9);
  for (const auto& r : f.http->requests) {
    CHECK(test::header(r, "Authorization") == std::optional<std::string>("sso-key gdkey_123456:gdsecret_abcdef"));
    CHECK(test::header(r, "Accept") == std::optional<std::string>("application/json"));
    CHECK(test::header(r, "Content-Type") ==
          (r.method == "PUT" ? std::optional<std::string>("application/json") : std::nullopt));
    CHECK((r.method == "PUT" || r.body.empty()));
  }
  CHECK(f.http->requests[3].method == "PUT");
  // The TTL asked for (60) is below GoDaddy's minimum: 600; the other value keeps its own.
  CHECK(test::body_json(f.http->requests[3]) ==
        json::array({{{"data", "other"}, {"ttl", 3600}}, {{"data", "v1"}, {"ttl", 600}}, {{"data", "v2"}, {"ttl", 600}}}));
  CHECK(f.http->requests[8].method == "PUT");
  CHECK(test::body_json(f.http->requests[8]) == json::array({{{"data", "other"}, {"ttl", 3600}}}));
}

TEST_CASE("dns godaddy: cleanup deletes the name's TXT records when only its values were there", "[dns]") {
  Fixture f;
  f.http->on("GET", kRead, 200, json::array({rec("v1"), rec("\"v2\"")}).dump());
  f.http->on("DELETE", kTxt, 204, "");
  std::vector<dns::TxtRecord> recs = {test::txt(kName, "example.com.", "v1"), test::txt(kName, "example.com.", "v2")};
  REQUIRE(f.provider->cleanup(recs).ok());
  CHECK(f.http->count("DELETE", kTxt) == 1);
  CHECK(f.http->count("PUT", kTxt) == 0);
  CHECK(f.http->requests.back().body.empty());
}

TEST_CASE("dns godaddy: cleanup of values gone already is not an error", "[dns]") {
  Fixture f;
  f.http->on("GET", kRead, 200, json::array({rec("v1")}).dump());
  f.http->on("GET", kRead, 404, json{{"code", "NOT_FOUND"}, {"message", "no records"}}.dump());
  f.http->on("GET", kRead, 200, "[]");
  f.http->on("DELETE", kTxt, 404, json{{"code", "NOT_FOUND"}, {"message", "no records"}}.dump());
  const std::vector<dns::TxtRecord> recs = {test::txt(kName, "example.com.", "v1")};
  REQUIRE(f.provider->cleanup(recs).ok());  // deleted meanwhile: DELETE answers 404
  REQUIRE(f.provider->cleanup(recs).ok());  // the name has no records: 404 on GET
  REQUIRE(f.provider->cleanup(recs).ok());  // or an empty list
  CHECK(f.http->count("DELETE", kTxt) == 1);
}

TEST_CASE("dns godaddy: a record at the zone's apex is named @; a TTL above 600 is kept", "[dns]") {
  auto c = config();
  c.ttl = 900;
  Fixture f(c);
  const std::string apex = kDomain + "/records/TXT/@";
  f.http->on("GET", apex + "?offset=0&limit=500", 200, "[]");  // an empty first page: nothing there
  f.http->on("PUT", apex, 200, "");
  REQUIRE(f.provider->present({test::txt("example.com.", "example.com.", "v")}).ok());
  REQUIRE(f.http->count("PUT", apex) == 1);
  CHECK(test::body_json(f.http->requests.back()) == json::array({{{"data", "v"}, {"ttl", 900}}}));
}

TEST_CASE("dns godaddy: the records of a name are read page by page, until an empty page", "[dns]") {
  Fixture f;
  json page1 = json::array();
  for (int i = 0; i < 500; ++i) page1.push_back(rec("other" + std::to_string(i)));
  f.http->on("GET", kRead, 200, page1.dump());
  f.http->on("GET", read_at(500), 200, json::array({rec("v1"), rec("last", 700)}).dump());  // a short page, not the end
  f.http->on("GET", read_at(502), 200, json::array({rec("later")}).dump());
  f.http->on("GET", read_at(503), 200, "[]");
  f.http->on("PUT", kTxt, 200, "");
  REQUIRE(f.provider->cleanup({test::txt(kName, "example.com.", "v1")}).ok());
  REQUIRE(f.http->count("PUT", kTxt) == 1);
  const json body = test::body_json(f.http->requests.back());
  REQUIRE(body.size() == 502);
  CHECK(body[500] == json({{"data", "last"}, {"ttl", 700}}));
  CHECK(body.back() == json({{"data", "later"}, {"ttl", 600}}));
}

TEST_CASE("dns godaddy: errors name the API, the zone or the name, with GoDaddy's code and message", "[dns]") {
  SECTION("rejected credentials") {
    auto f = test::FakeProvider(dns::make_godaddy, config());
    f.http->on("GET", kDomain, 401, json{{"code", "UNABLE_TO_AUTHENTICATE"}, {"message", "Unauthorized : Could not authenticate API key/secret"}}.dump());
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == kApi);
    CHECK(st.error().message() ==
          "GoDaddy rejected the API key and secret (HTTP 401): UNABLE_TO_AUTHENTICATE: Unauthorized : Could not "
          "authenticate API key/secret");
    CHECK(st.error().text().find("gdkey_123456") == std::string::npos);
    CHECK(st.error().text().find("gdsecret_abcdef") == std::string::npos);
  }
  SECTION("an account without access to the API") {
    auto f = test::FakeProvider(dns::make_godaddy, config());
    f.http->on("GET", kDomain, 403, json{{"code", "ACCESS_DENIED"}, {"message", "Authenticated user is not allowed access"}}.dump());
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().message().find("GoDaddy rejected the API key and secret (HTTP 403): ACCESS_DENIED: Authenticated "
                                    "user is not allowed access (GoDaddy gives access to its Domains API only to some "
                                    "accounts") == 0);
  }
  SECTION("no such domain") {
    auto f = test::FakeProvider(dns::make_godaddy, config());
    f.http->on("GET", kDomain, 404, json{{"code", "NOT_FOUND"}, {"message", "Domain not found"}}.dump());
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == "example.com.");
    CHECK(st.error().message().find("zone not found in the GoDaddy account") == 0);
  }
  SECTION("a refused write, with the fields GoDaddy names") {
    Fixture f;
    f.http->on("GET", kRead, 200, "[]");
    f.http->on("PUT", kTxt, 422,
               json{{"code", "INVALID_BODY"}, {"message", "Request body doesn't fulfill schema"},
                    {"fields", {{{"path", "records[0].ttl"}, {"code", "UNEXPECTED_TYPE"}, {"message", "must be >= 600"}}}}}
                   .dump());
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == kName);
    CHECK(st.error().message() == "GoDaddy API error on PUT " + kTxt +
                                      " (HTTP 422): INVALID_BODY: Request body doesn't fulfill schema; records[0].ttl: "
                                      "must be >= 600");
  }
  SECTION("malformed answers") {
    Fixture f;
    SECTION("not JSON") { f.http->on("GET", kRead, 200, "<html>proxy</html>"); }
    SECTION("not an array") { f.http->on("GET", kRead, 200, json{{"records", json::array()}}.dump()); }
    SECTION("a record without data") { f.http->on("GET", kRead, 200, json::array({{{"type", "TXT"}, {"data", 5}}}).dump()); }
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().text().find("GoDaddy answered") != std::string::npos);
    CHECK(f.http->count("PUT", kTxt) == 0);
  }
  SECTION("a 429 is retried") {
    Fixture f;
    f.http->on("GET", kRead, 429, json{{"code", "TOO_MANY_REQUESTS"}, {"message", "slow down"}}.dump(), {{"Retry-After", "0"}});
    f.http->on("GET", kRead, 200, "[]");
    f.http->on("PUT", kTxt, 200, "");
    REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
    CHECK(f.http->count("GET", kRead) == 2);
  }
}

TEST_CASE("dns godaddy: options", "[dns]") {
  auto c = config();
  c.secrets.erase("api-secret");
  auto r = dns::make_provider(c);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == Category::Usage);
  CHECK(r.error().message().find("api-secret") != std::string::npos);
  c = config();
  c.options["api-key"] = "plain";  // a secret given as a plain option
  REQUIRE_FALSE(dns::make_provider(c).ok());
  c = config();
  c.secrets["api-key"] = SecretBytes::from("key:secret");
  r = dns::make_provider(c);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == Category::Usage);
  CHECK(r.error().text().find("key:secret") == std::string::npos);
  c = config();
  c.options["api-url"] = "ftp://x";
  REQUIRE_FALSE(dns::make_provider(c).ok());
  c = config();
  c.options.erase("api-url");  // defaults to api.godaddy.com
  REQUIRE(dns::make_provider(c).ok());
}
