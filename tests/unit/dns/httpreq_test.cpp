// The httpreq provider against a scripted http::Client: the JSON POSTs lego's httpreq documents
// (/present and /cleanup under the endpoint's path, {"fqdn", "value"}), basic authentication,
// every 2xx taken as success, and the error answers.
#include <catch2/catch.hpp>

#include "dns/providers.hpp"
#include "dns_test_util.hpp"

using namespace certctl;
using nlohmann::json;

namespace {

const std::string kEndpoint = "https://hooks.test/acme/dns";
const std::string kName = "_acme-challenge.a.example.com.";

dns::ProviderConfig config(bool auth = true) {
  dns::ProviderConfig c;
  c.name = "hook";
  c.type = "httpreq";
  c.options["endpoint"] = kEndpoint + "/";  // a trailing slash is dropped
  if (auth) {
    c.options["username"] = "user";
    c.secrets["password"] = SecretBytes::from("pass");
  }
  return c;
}

}  // namespace

TEST_CASE("dns httpreq: present and cleanup POST fqdn and value under the endpoint's path", "[dns]") {
  test::FakeProvider f(dns::make_httpreq, config());
  CHECK_FALSE(f.provider->needs_zone());
  f.http->on("POST", kEndpoint + "/present", 200, "");
  f.http->on("POST", kEndpoint + "/cleanup", 204, "");
  std::vector<dns::TxtRecord> recs = {test::txt("_acme-challenge.a.example.com", "", "v1"),
                                      test::txt(kName, "example.com.", "v2")};
  REQUIRE(f.provider->present(recs).ok());
  REQUIRE(f.provider->present(recs).ok());  // again: nothing new
  REQUIRE(f.provider->cleanup(recs).ok());
  REQUIRE(f.http->requests.size() == 4);
  CHECK(f.http->count("POST", kEndpoint + "/present") == 2);
  CHECK(f.http->count("POST", kEndpoint + "/cleanup") == 2);
  for (const auto& r : f.http->requests) {
    CHECK(r.method == "POST");
    // base64("user:pass")
    CHECK(test::header(r, "Authorization") == std::optional<std::string>("Basic dXNlcjpwYXNz"));
    CHECK(test::header(r, "Content-Type") == std::optional<std::string>("application/json"));
  }
  CHECK(f.http->requests[0].body == R"({"fqdn":"_acme-challenge.a.example.com.","value":"v1"})");
  CHECK(test::body_json(f.http->requests[1]) == json({{"fqdn", kName}, {"value", "v2"}}));
  CHECK(test::body_json(f.http->requests[3]) == json({{"fqdn", kName}, {"value", "v2"}}));
}

TEST_CASE("dns httpreq: without a username and password no Authorization is sent; any 2xx is success", "[dns]") {
  test::FakeProvider f(dns::make_httpreq, config(false));
  f.http->on("POST", kEndpoint + "/present", 201, "created");
  f.http->on("POST", kEndpoint + "/cleanup", 202, "{\"whatever\":1}");
  REQUIRE(f.provider->present({test::txt(kName, "", "v1")}).ok());
  REQUIRE(f.provider->cleanup({test::txt(kName, "", "v1")}).ok());
  REQUIRE(f.provider->cleanup({test::txt(kName, "", "v1")}).ok());  // again: sent again
  CHECK(f.http->count("POST", kEndpoint + "/cleanup") == 2);
  for (const auto& r : f.http->requests) CHECK_FALSE(test::header(r, "Authorization"));
}

TEST_CASE("dns httpreq: errors name the endpoint or the name and quote the start of the body", "[dns]") {
  const auto v1 = std::vector<dns::TxtRecord>{test::txt(kName, "", "v1")};
  SECTION("a wrong password") {
    test::FakeProvider f(dns::make_httpreq, config());
    f.http->on("POST", kEndpoint + "/present", 401, "bad credentials\nsecond line");
    auto st = f.provider->present(v1);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == kEndpoint);
    CHECK(st.error().message() == "the httpreq endpoint rejected the username and password (HTTP 401): bad credentials");
    CHECK(st.error().text().find("pass\"") == std::string::npos);
    CHECK(st.error().text().find("dXNlcjpwYXNz") == std::string::npos);
  }
  SECTION("no credentials where the endpoint wants some") {
    test::FakeProvider f(dns::make_httpreq, config(false));
    f.http->on("POST", kEndpoint + "/present", 403, "");
    auto st = f.provider->present(v1);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message() == "the httpreq endpoint refused the request (HTTP 403); it may want a username and password");
  }
  SECTION("a server error, its long body cut") {
    test::FakeProvider f(dns::make_httpreq, config());
    f.http->on("POST", kEndpoint + "/cleanup", 500, "backend exploded: " + std::string(400, 'x'));
    auto st = f.provider->cleanup(v1);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == kName);
    CHECK(st.error().message().find("the httpreq endpoint answered POST " + kEndpoint + "/cleanup with HTTP 500: backend exploded: xxx") == 0);
    CHECK(st.error().message().size() < 300);
  }
  SECTION("a 404 is an error too (a wrong path)") {
    test::FakeProvider f(dns::make_httpreq, config());
    f.http->on("POST", kEndpoint + "/cleanup", 404, "not found");
    auto st = f.provider->cleanup(v1);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().message().find("HTTP 404: not found") != std::string::npos);
  }
  SECTION("a redirect is not success") {
    test::FakeProvider f(dns::make_httpreq, config());
    f.http->on("POST", kEndpoint + "/present", 302, "");
    REQUIRE_FALSE(f.provider->present(v1).ok());
  }
}

TEST_CASE("dns httpreq: options", "[dns]") {
  auto c = config();
  c.options.erase("endpoint");
  REQUIRE_FALSE(dns::make_provider(c).ok());
  auto bad = [](const dns::ProviderConfig& cfg) {
    auto r = dns::make_provider(cfg);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().category() == Category::Usage);
  };
  c = config();
  c.options["endpoint"] = "ftp://hooks.test";
  bad(c);
  c = config();
  c.options["endpoint"] = kEndpoint + "?x=1";
  bad(c);
  c = config();
  c.secrets.clear();  // a username without a password
  bad(c);
  c = config();
  c.options.erase("username");  // a password without a username
  bad(c);
  c = config();
  c.options["username"] = "us:er";
  bad(c);
  c = config();
  c.options["password"] = "plain";  // the secret as a plain option
  bad(c);
  REQUIRE(dns::make_provider(config()).ok());
  REQUIRE(dns::make_provider(config(false)).ok());
  const auto* t = dns::find_type("httpreq");
  REQUIRE(t);
  for (const auto& o : t->options) CHECK(o.secret == (o.name == "password"));
}
