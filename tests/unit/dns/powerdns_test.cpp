// The powerdns provider against a scripted http::Client: exact URLs, headers and PATCH bodies
// (merge with values already at the name, remove only ours) and the error mapping.
#include <catch2/catch.hpp>

#include "dns/providers.hpp"
#include "dns_test_util.hpp"

using namespace certctl;
using nlohmann::json;

namespace {

const std::string kZoneUrl = "http://pdns.test:8081/api/v1/servers/localhost/zones/example.test.";
const std::string kName = "_acme-challenge.a.example.test.";

dns::ProviderConfig config() {
  dns::ProviderConfig c;
  c.name = "pdns";
  c.type = "powerdns";
  c.options["api-url"] = "http://pdns.test:8081/";
  c.secrets["api-key"] = SecretBytes::from("s3cret");
  return c;
}

struct Fixture : test::FakeProvider {
  explicit Fixture(const dns::ProviderConfig& c = config()) : FakeProvider(dns::make_powerdns, c) {}
  std::vector<http::Request> patches() const {
    std::vector<http::Request> out;
    for (const auto& r : http->requests)
      if (r.method == "PATCH") out.push_back(r);
    return out;
  }
};

/// A zone document with a SOA and, at kName, TXT contents (already quoted) with a TTL.
std::string zone_doc(const std::vector<std::string>& contents, int ttl = 3600) {
  json rrsets = json::array();
  rrsets.push_back({{"name", "example.test."}, {"type", "SOA"}, {"ttl", 3600},
                    {"records", {{{"content", "ns.example.test. h.example.test. 1 10800 3600 604800 3600"}, {"disabled", false}}}}});
  if (!contents.empty()) {
    json recs = json::array();
    for (const auto& c : contents) recs.push_back({{"content", c}, {"disabled", false}});
    rrsets.push_back({{"name", kName}, {"type", "TXT"}, {"ttl", ttl}, {"records", recs}, {"comments", json::array()}});
  }
  return json{{"id", "example.test."}, {"name", "example.test."}, {"kind", "Native"}, {"rrsets", rrsets}}.dump();
}

json txt_records(const std::vector<std::string>& contents) {
  json recs = json::array();
  for (const auto& c : contents) recs.push_back({{"content", c}, {"disabled", false}});
  return recs;
}

}  // namespace

TEST_CASE("dns powerdns: present merges our values with the TXT values already at the name", "[dns]") {
  Fixture f;
  f.http->on("GET", kZoneUrl, 200, zone_doc({"\"unrelated\""}));
  f.http->on("PATCH", kZoneUrl, 204, "");
  REQUIRE(f.provider->present({test::txt(kName, "example.test.", "v1"), test::txt(kName, "example.test.", "v2")}).ok());

  REQUIRE(f.http->requests.size() == 2);
  const auto& get = f.http->requests[0];
  CHECK(get.method == "GET");
  CHECK(test::header(get, "X-API-Key") == std::optional<std::string>("s3cret"));
  auto p = f.patches();
  REQUIRE(p.size() == 1);
  CHECK(test::header(p[0], "X-API-Key") == std::optional<std::string>("s3cret"));
  CHECK(test::header(p[0], "Content-Type") == std::optional<std::string>("application/json"));
  json want = {{"rrsets",
                {{{"name", kName}, {"type", "TXT"}, {"ttl", 60}, {"changetype", "REPLACE"},
                  {"records", txt_records({"\"unrelated\"", "\"v1\"", "\"v2\""})}}}}};
  CHECK(test::body_json(p[0]) == want);
}

TEST_CASE("dns powerdns: present of values already there writes nothing", "[dns]") {
  Fixture f;
  f.http->on("GET", kZoneUrl, 200, zone_doc({"\"v1\"", "\"other\""}));
  REQUIRE(f.provider->present({test::txt(kName, "example.test.", "v1")}).ok());
  CHECK(f.patches().empty());
}

TEST_CASE("dns powerdns: cleanup removes only our values and keeps the rrset's TTL", "[dns]") {
  Fixture f;
  f.http->on("GET", kZoneUrl, 200, zone_doc({"\"v1\"", "\"unrelated\"", "\"v2\""}, 120));
  f.http->on("PATCH", kZoneUrl, 204, "");
  REQUIRE(f.provider->cleanup({test::txt(kName, "example.test.", "v1"), test::txt(kName, "example.test.", "v2")}).ok());
  auto p = f.patches();
  REQUIRE(p.size() == 1);
  json want = {{"rrsets",
                {{{"name", kName}, {"type", "TXT"}, {"ttl", 120}, {"changetype", "REPLACE"},
                  {"records", txt_records({"\"unrelated\""})}}}}};
  CHECK(test::body_json(p[0]) == want);
}

TEST_CASE("dns powerdns: cleanup deletes the rrset when no value is left, and repeats safely", "[dns]") {
  Fixture f;
  f.http->on("GET", kZoneUrl, 200, zone_doc({"\"v1\""}));
  f.http->on("GET", kZoneUrl, 200, zone_doc({}));
  f.http->on("PATCH", kZoneUrl, 204, "");
  REQUIRE(f.provider->cleanup({test::txt(kName, "example.test.", "v1")}).ok());
  auto p = f.patches();
  REQUIRE(p.size() == 1);
  json want = {{"rrsets", {{{"name", kName}, {"type", "TXT"}, {"changetype", "DELETE"}}}}};
  CHECK(test::body_json(p[0]) == want);
  // Again: the name has nothing of ours any more, so nothing is written.
  REQUIRE(f.provider->cleanup({test::txt(kName, "example.test.", "v1")}).ok());
  CHECK(f.patches().size() == 1);
}

TEST_CASE("dns powerdns: server-id and zone options shape the URL", "[dns]") {
  auto c = config();
  c.options["api-url"] = "http://pdns.test:8081/api/v1/";  // the API's path is dropped
  c.options["server-id"] = "ns1";
  c.options["zone"] = "test";
  Fixture f(c);
  const std::string url = "http://pdns.test:8081/api/v1/servers/ns1/zones/test.";
  f.http->on("GET", url, 200, R"({"name":"test.","rrsets":[]})");
  f.http->on("PATCH", url, 204, "");
  REQUIRE(f.provider->present({test::txt("_acme-challenge.a.example.test.", "example.test.", "v1")}).ok());
  CHECK(f.http->count("PATCH", url) == 1);
}

TEST_CASE("dns powerdns: API errors name the key, the zone and carry PowerDNS's message", "[dns]") {
  SECTION("401: the key") {
    Fixture f;
    f.http->on("GET", kZoneUrl, 401, "Unauthorized");
    auto st = f.provider->present({test::txt(kName, "example.test.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == "http://pdns.test:8081");
    CHECK(st.error().message() == "PowerDNS rejected the API key (HTTP 401): Unauthorized");
    CHECK(st.error().text().find("s3cret") == std::string::npos);
  }
  SECTION("404: the zone") {
    Fixture f;
    f.http->on("GET", kZoneUrl, 404, R"({"error": "Could not find domain 'example.test.'"})");
    auto st = f.provider->cleanup({test::txt(kName, "example.test.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == "example.test.");
    CHECK(st.error().message() ==
          "zone not found on PowerDNS server 'localhost' at http://pdns.test:8081 (HTTP 404): "
          "Could not find domain 'example.test.'");
  }
  SECTION("422: the API's error") {
    Fixture f;
    f.http->on("GET", kZoneUrl, 200, zone_doc({}));
    f.http->on("PATCH", kZoneUrl, 422, R"({"error": "RRset _acme-challenge.a.example.test. IN TXT: Name is out of zone"})");
    auto st = f.provider->present({test::txt(kName, "example.test.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().message().find("PowerDNS refused the change (HTTP 422): RRset") == 0);
  }
  SECTION("network: passed through as Network") {
    Fixture f;  // no route: the fake answers with a Network error, as curl would
    auto st = f.provider->present({test::txt(kName, "example.test.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Network);
  }
}

TEST_CASE("dns powerdns: make_provider validates options", "[dns]") {
  auto c = config();
  c.options.erase("api-url");
  auto r = dns::make_provider(c);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == Category::Usage);
  CHECK(r.error().message().find("api-url") != std::string::npos);

  c = config();
  c.secrets.erase("api-key");
  r = dns::make_provider(c);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message().find("api-key") != std::string::npos);

  c = config();
  c.options["api-key"] = "in-argv";
  r = dns::make_provider(c);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == Category::Usage);

  c = config();
  c.options["sever-id"] = "typo";
  r = dns::make_provider(c);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message().find("sever-id") != std::string::npos);

  c = config();
  c.options["api-url"] = "pdns.test:8081";
  r = dns::make_provider(c);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == Category::Usage);

  REQUIRE(dns::make_provider(config()).ok());
  REQUIRE(dns::find_type("powerdns") != nullptr);
}
