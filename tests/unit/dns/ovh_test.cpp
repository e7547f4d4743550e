// The ovh provider against a scripted http::Client and a pinned clock: the API's time asked
// once, every request signed as OVH documents it (test vectors computed independently with
// Python's hashlib), the zone check, create with the name relative to the zone, refresh, delete
// by id, lookup of another run's records, and the error answers.
#include <catch2/catch.hpp>

#include <certctl/crypto.hpp>

#include "dns/providers.hpp"
#include "dns_test_util.hpp"

using namespace certctl;
using nlohmann::json;

namespace {

const std::string kApi = "https://ovh.test/1.0";
const std::string kName = "_acme-challenge.a.example.com.";
const std::string kTime = kApi + "/auth/time";
const std::string kZone = kApi + "/domain/zone/example.com";
const std::string kRecords = kZone + "/record";
const std::string kRefresh = kZone + "/refresh";
const std::string kLookup = kRecords + "?fieldType=TXT&subDomain=_acme-challenge.a";

dns::ProviderConfig config() {
  dns::ProviderConfig c;
  c.name = "ovh";
  c.type = "ovh";
  c.options["endpoint"] = kApi;
  c.options["application-key"] = "ak123";
  c.secrets["application-secret"] = SecretBytes::from("as-secret");
  c.secrets["consumer-key"] = SecretBytes::from("ck-secret");
  return c;
}

/// A provider whose local clock reads `clock` (the API's /auth/time answers 100 s later).
struct Fixture {
  long long clock = 1700000000;
  test::FakeHttp* http = nullptr;
  std::unique_ptr<dns::Provider> provider;
  explicit Fixture(const dns::ProviderConfig& c = config(), bool zone = true, std::string time = "1700000100") {
    auto fake = std::make_unique<test::FakeHttp>();
    http = fake.get();
    auto p = dns::make_ovh(c, std::move(fake), dns::Seams{[this] { return clock; }});
    REQUIRE(p.ok());
    provider = std::move(p).value();
    http->on("GET", kTime, 200, time);
    if (zone) http->on("GET", kZone, 200, json{{"name", "example.com"}, {"hasDnsAnycast", false}}.dump());
    http->on("POST", kRefresh, 200, "null");
  }
};

std::string record(long long id, const std::string& sub, const std::string& target, const std::string& type = "TXT") {
  return json{{"id", id}, {"zone", "example.com"}, {"subDomain", sub}, {"fieldType", type}, {"target", target}, {"ttl", 60}}
      .dump();
}

}  // namespace

TEST_CASE("dns ovh: requests are signed with the API's time, as OVH documents", "[dns]") {
  Fixture f;
  f.http->on("POST", kRecords, 200, record(5001, "_acme-challenge.a", "v1"));
  f.clock = 1700000000;
  REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
  REQUIRE(f.http->requests.size() == 4);  // time, zone, record, refresh

  const auto& time = f.http->requests[0];
  CHECK(time.method == "GET");
  CHECK(time.url == kTime);
  CHECK(test::header(time, "X-Ovh-Application") == std::optional<std::string>("ak123"));
  CHECK_FALSE(test::header(time, "X-Ovh-Signature"));  // /auth/time is not signed
  CHECK_FALSE(test::header(time, "X-Ovh-Consumer"));

  const auto& zone = f.http->requests[1];
  CHECK(zone.url == kZone);
  CHECK(test::header(zone, "X-Ovh-Application") == std::optional<std::string>("ak123"));
  CHECK(test::header(zone, "X-Ovh-Consumer") == std::optional<std::string>("ck-secret"));
  CHECK(test::header(zone, "X-Ovh-Timestamp") == std::optional<std::string>("1700000100"));
  // sha1("as-secret+ck-secret+GET+https://ovh.test/1.0/domain/zone/example.com++1700000100")
  CHECK(test::header(zone, "X-Ovh-Signature") ==
        std::optional<std::string>("$1$b7a07c65e3ef23d0cc9251114382eb26138e9375"));
  CHECK_FALSE(test::header(zone, "Content-Type"));

  const auto& create = f.http->requests[2];
  CHECK(create.method == "POST");
  CHECK(create.url == kRecords);
  CHECK(create.body == R"({"fieldType":"TXT","subDomain":"_acme-challenge.a","target":"v1","ttl":60})");
  CHECK(test::header(create, "Content-Type") == std::optional<std::string>("application/json"));

  const auto& refresh = f.http->requests[3];
  CHECK(refresh.method == "POST");
  CHECK(refresh.url == kRefresh);
  CHECK(refresh.body.empty());

  // Later the local clock moved 5 s on: the timestamp follows it, the API's time is not asked again.
  f.clock = 1700000005;
  f.http->on("DELETE", kRecords + "/5001", 200, "null");
  REQUIRE(f.provider->cleanup({test::txt(kName, "example.com.", "v1")}).ok());
  CHECK(f.http->count("GET", kTime) == 1);
  const auto& del = f.http->requests.at(4);
  CHECK(del.method == "DELETE");
  CHECK(test::header(del, "X-Ovh-Timestamp") == std::optional<std::string>("1700000105"));
}

TEST_CASE("dns ovh: the signature covers method, whole URL and body", "[dns]") {
  Fixture f;
  f.http->on("POST", kRecords, 200, record(5001, "_acme-challenge.a", "v1"));
  f.clock = 1700000000;
  REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
  const auto& create = f.http->requests.at(2);
  CHECK(test::header(create, "X-Ovh-Timestamp") == std::optional<std::string>("1700000100"));
  // hashlib.sha1(b"as-secret+ck-secret+POST+https://ovh.test/1.0/domain/zone/example.com/record+"
  //              b'{"fieldType":"TXT","subDomain":"_acme-challenge.a","target":"v1","ttl":60}+1700000100')
  CHECK(test::header(create, "X-Ovh-Signature") ==
        std::optional<std::string>("$1$" + crypto::hex_encode(crypto::sha1(
                                               "as-secret+ck-secret+POST+" + kRecords + "+" + create.body + "+1700000100"))));
  CHECK(test::header(create, "X-Ovh-Signature") ==
        std::optional<std::string>("$1$0f593d7bc448caa0194ae3695dd090fc1e0b81d3"));
}

TEST_CASE("dns ovh: two values at one name, each created once, deleted by id, one refresh per call", "[dns]") {
  Fixture f;
  f.http->on("POST", kRecords, 200, record(11, "_acme-challenge.a", "v1"));
  f.http->on("POST", kRecords, 200, record(12, "_acme-challenge.a", "v2"));
  f.http->on("DELETE", kRecords + "/11", 200, "null");
  f.http->on("DELETE", kRecords + "/12", 200, "null");
  std::vector<dns::TxtRecord> recs = {test::txt(kName, "example.com.", "v1"), test::txt(kName, "example.com.", "v2")};
  REQUIRE(f.provider->present(recs).ok());
  REQUIRE(f.provider->present(recs).ok());  // again: nothing new
  CHECK(f.http->count("POST", kRecords) == 2);
  CHECK(f.http->count("POST", kRefresh) == 1);
  CHECK(f.http->count("GET", kZone) == 1);
  CHECK(test::body_json(f.http->requests[3])["target"] == "v2");
  REQUIRE(f.provider->cleanup(recs).ok());
  CHECK(f.http->count("DELETE", kRecords + "/11") == 1);
  CHECK(f.http->count("DELETE", kRecords + "/12") == 1);
  CHECK(f.http->count("POST", kRefresh) == 2);
  CHECK(f.http->count("GET", kLookup) == 0);
}

TEST_CASE("dns ovh: a record at the zone's apex has an empty subDomain", "[dns]") {
  Fixture f;
  f.http->on("POST", kRecords, 200, record(7, "", "v"));
  REQUIRE(f.provider->present({test::txt("example.com.", "example.com.", "v")}).ok());
  CHECK(test::body_json(f.http->requests.at(2))["subDomain"] == "");
}

TEST_CASE("dns ovh: cleanup in another run reads the records at the name and deletes only its values", "[dns]") {
  Fixture f;
  f.http->on("GET", kLookup, 200, "[1,2,3,4]");
  f.http->on("GET", kRecords + "/1", 200, record(1, "_acme-challenge.a", "other"));
  f.http->on("GET", kRecords + "/2", 200, record(2, "_acme-challenge.a", "v1"));
  f.http->on("GET", kRecords + "/3", 200, record(3, "_acme-challenge.a", "\"v1\""));
  f.http->on("GET", kRecords + "/4", 404, json{{"class", "Client::NotFound"}, {"message", "This service does not exist"}}.dump());
  f.http->on("DELETE", kRecords + "/2", 200, "null");
  f.http->on("DELETE", kRecords + "/3", 404, json{{"class", "Client::NotFound"}, {"message", "gone"}}.dump());
  REQUIRE(f.provider->cleanup({test::txt(kName, "example.com.", "v1")}).ok());
  CHECK(f.http->count("DELETE", kRecords + "/1") == 0);  // another value stays
  CHECK(f.http->count("DELETE", kRecords + "/2") == 1);
  CHECK(f.http->count("DELETE", kRecords + "/3") == 1);  // deleted meanwhile: not an error
  CHECK(f.http->count("POST", kRefresh) == 1);

  SECTION("nothing there: no delete, no refresh") {
    Fixture g;
    g.http->on("GET", kLookup, 200, "[]");
    REQUIRE(g.provider->cleanup({test::txt(kName, "example.com.", "v1")}).ok());
    CHECK(g.http->count("POST", kRefresh) == 0);
  }
}

TEST_CASE("dns ovh: errors name the API, the zone or the name, with OVH's message", "[dns]") {
  const auto v1 = std::vector<dns::TxtRecord>{test::txt(kName, "example.com.", "v1")};
  SECTION("a consumer key OVH does not know (403)") {
    Fixture f(config(), false);
    f.http->on("GET", kZone, 403,
               json{{"errorCode", "INVALID_CREDENTIAL"}, {"httpCode", "403 Forbidden"}, {"message", "This credential does not exist"}}.dump());
    auto st = f.provider->present(v1);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == kApi);
    CHECK(st.error().message() ==
          "OVH rejected the application key, application secret or consumer key (HTTP 403): This credential does not exist");
    CHECK(st.error().text().find("ck-secret") == std::string::npos);
    CHECK(st.error().text().find("as-secret") == std::string::npos);
  }
  SECTION("a wrong application secret (400 Invalid signature)") {
    Fixture f(config(), false);
    f.http->on("GET", kZone, 400,
               json{{"errorCode", "INVALID_SIGNATURE"}, {"httpCode", "400 Bad Request"}, {"message", "Invalid signature"}}.dump());
    auto st = f.provider->present(v1);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == kApi);
    CHECK(st.error().message().find("OVH rejected the application key, application secret or consumer key (HTTP 400): Invalid signature") == 0);
  }
  SECTION("no such zone") {
    Fixture f(config(), false);
    f.http->on("GET", kZone, 404, json{{"class", "Client::NotFound"}, {"message", "This service does not exist"}}.dump());
    auto st = f.provider->present(v1);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == "example.com.");
    CHECK(st.error().message().find("zone not found in the OVH account") == 0);
  }
  SECTION("a refused record") {
    Fixture f;
    f.http->on("POST", kRecords, 400, json{{"class", "Client::BadRequest"}, {"message", "Invalid TTL"}}.dump());
    auto st = f.provider->present(v1);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == kName);
    CHECK(st.error().message() == "OVH API error on POST " + kRecords + " (HTTP 400): Invalid TTL");
    CHECK(f.http->count("POST", kRefresh) == 0);
  }
  SECTION("a created record without an id") {
    Fixture f;
    f.http->on("POST", kRecords, 200, json{{"fieldType", "TXT"}}.dump());
    auto st = f.provider->present(v1);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message().find("returned no id") != std::string::npos);
  }
  SECTION("an answer that is not JSON") {
    Fixture f;
    f.http->on("POST", kRecords, 200, "<html>proxy</html>");
    auto st = f.provider->present(v1);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message().find("without JSON") != std::string::npos);
  }
  SECTION("an /auth/time that is not a time") {
    Fixture f(config(), true, "\"soon\"");
    auto st = f.provider->present(v1);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().message().find("without a Unix time") != std::string::npos);
    CHECK(f.http->requests.size() == 1);
  }
  SECTION("a list of ids that is not a list") {
    Fixture f;
    f.http->on("GET", kLookup, 200, "{\"ids\":[1]}");
    auto st = f.provider->cleanup(v1);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message().find("without a list of record ids") != std::string::npos);
  }
  SECTION("too many records at the name") {
    Fixture f;
    json many = json::array();
    for (int i = 0; i < 501; ++i) many.push_back(i);
    f.http->on("GET", kLookup, 200, many.dump());
    auto st = f.provider->cleanup(v1);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message().find("more than the 500") != std::string::npos);
  }
}

TEST_CASE("dns ovh: options", "[dns]") {
  auto c = config();
  c.secrets.erase("consumer-key");
  REQUIRE_FALSE(dns::make_provider(c).ok());
  c = config();
  c.options.erase("application-key");
  REQUIRE_FALSE(dns::make_provider(c).ok());
  c = config();
  c.options["application-secret"] = "plain";  // a secret given as a plain option
  REQUIRE_FALSE(dns::make_provider(c).ok());
  c = config();
  c.options["endpoint"] = "ovh-mars";
  auto r = dns::make_provider(c);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == Category::Usage);
  CHECK(r.error().message().find("ovh-eu, ovh-ca, ovh-us") != std::string::npos);
  c = config();
  c.options["application-key"] = "ak 123";
  REQUIRE_FALSE(dns::make_provider(c).ok());
  for (const char* region : {"ovh-eu", "ovh-ca", "ovh-us", "kimsufi-eu", "soyoustart-ca"}) {
    c = config();
    c.options["endpoint"] = region;
    CHECK(dns::make_provider(c).ok());
  }
  c = config();
  c.options.erase("endpoint");  // defaults to ovh-eu
  REQUIRE(dns::make_provider(c).ok());
  const auto* t = dns::find_type("ovh");
  REQUIRE(t);
  for (const auto& o : t->options)
    CHECK(o.secret == (o.name == "application-secret" || o.name == "consumer-key"));
}

TEST_CASE("dns ovh: a named region uses its documented base URL", "[dns]") {
  auto c = config();
  c.options["endpoint"] = "ovh-ca";
  long long clock = 1700000000;
  auto fake = std::make_unique<test::FakeHttp>();
  auto* http = fake.get();
  auto p = dns::make_ovh(c, std::move(fake), dns::Seams{[&clock] { return clock; }});
  REQUIRE(p.ok());
  http->on("GET", "https://ca.api.ovh.com/1.0/auth/time", 200, "1700000000");
  http->on("GET", "https://ca.api.ovh.com/1.0/domain/zone/example.com", 200, "{}");
  http->on("POST", "https://ca.api.ovh.com/1.0/domain/zone/example.com/record", 200, record(1, "_acme-challenge.a", "v"));
  http->on("POST", "https://ca.api.ovh.com/1.0/domain/zone/example.com/refresh", 200, "null");
  REQUIRE((*p)->present({test::txt(kName, "example.com.", "v")}).ok());
}
