// The desec provider against a scripted http::Client: the owning domain by owns_qname, one read
// and one write per name (POST a new RRset, PATCH an existing one with the merged or remaining
// quoted records, an empty list at the end), the apex as "@", and deSEC's error answers.
#include <catch2/catch.hpp>

#include "dns/providers.hpp"
#include "dns_test_util.hpp"

using namespace certctl;
using nlohmann::json;

namespace {

const std::string kApi = "https://desec.test/api/v1";
const std::string kName = "_acme-challenge.a.example.com.";
const std::string kOwns = kApi + "/domains/?owns_qname=_acme-challenge.a.example.com";
const std::string kRrsets = kApi + "/domains/example.com/rrsets/";
const std::string kRrset = kRrsets + "_acme-challenge.a/TXT/";

dns::ProviderConfig config() {
  dns::ProviderConfig c;
  c.name = "ds";
  c.type = "desec";
  c.options["api-url"] = kApi;
  c.secrets["api-token"] = SecretBytes::from("ds-secret");
  return c;
}

std::string rrset(const json& records) {
  return json{{"subname", "_acme-challenge.a"}, {"type", "TXT"}, {"ttl", 3600}, {"records", records}}.dump();
}

struct Fixture : test::FakeProvider {
  explicit Fixture(const dns::ProviderConfig& c = config()) : FakeProvider(dns::make_desec, c) {
    http->on("GET", kOwns, 200, json::array({{{"name", "example.com"}, {"minimum_ttl", 3600}}}).dump());
  }
};

}  // namespace

TEST_CASE("dns desec: a new RRset is created with the domain's minimum TTL; a second value is merged in", "[dns]") {
  Fixture f;  // responses are queued per URL, in the order they are asked for
  f.http->on("GET", kRrset, 404, R"({"detail":"Not found."})");
  f.http->on("GET", kRrset, 200, rrset({"\"v1\"", "\"other\""}));
  f.http->on("POST", kRrsets, 201, rrset({"\"v1\""}));
  f.http->on("PATCH", kRrset, 200, rrset({"\"v1\"", "\"other\"", "\"v2\""}));
  REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
  REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v2")}).ok());

  CHECK(f.http->count("GET", kOwns) == 1);
  for (const auto& r : f.http->requests) {
    CHECK(test::header(r, "Authorization") == std::optional<std::string>("Token ds-secret"));
    CHECK(test::header(r, "Content-Type") ==
          (r.body.empty() ? std::nullopt : std::optional<std::string>("application/json")));
  }
  CHECK(test::body_json(f.http->requests.at(2)) ==
        json({{"subname", "_acme-challenge.a"}, {"type", "TXT"}, {"ttl", 3600}, {"records", {"\"v1\""}}}));
  CHECK(test::body_json(f.http->requests.at(4)) == json({{"records", {"\"v1\"", "\"other\"", "\"v2\""}}}));
}

TEST_CASE("dns desec: two values at one name are one read and one write; present again writes nothing", "[dns]") {
  Fixture f;
  f.http->on("GET", kRrset, 404, R"({"detail":"Not found."})");
  f.http->on("GET", kRrset, 200, rrset({"\"v1\"", "\"v2\""}));
  f.http->on("POST", kRrsets, 201, rrset({"\"v1\"", "\"v2\""}));
  std::vector<dns::TxtRecord> recs = {test::txt(kName, "example.com.", "v1"), test::txt(kName, "example.com.", "v2")};
  REQUIRE(f.provider->present(recs).ok());
  CHECK(test::body_json(f.http->requests.at(2))["records"] == json({"\"v1\"", "\"v2\""}));
  REQUIRE(f.provider->present(recs).ok());
  CHECK(f.http->count("POST", kRrsets) == 1);
  CHECK(f.http->count("PATCH", kRrset) == 0);
}

TEST_CASE("dns desec: cleanup leaves others' values, and an empty list removes the RRset", "[dns]") {
  Fixture f;
  f.http->on("GET", kRrset, 200, rrset({"\"v1\"", "\"other\""}));
  f.http->on("GET", kRrset, 200, rrset({"\"v2\""}));
  f.http->on("GET", kRrset, 404, R"({"detail":"Not found."})");
  f.http->on("PATCH", kRrset, 200, rrset({"\"other\""}));
  f.http->on("PATCH", kRrset, 204, "");
  REQUIRE(f.provider->cleanup({test::txt(kName, "example.com.", "v1")}).ok());
  CHECK(test::body_json(f.http->requests.at(2)) == json({{"records", {"\"other\""}}}));

  REQUIRE(f.provider->cleanup({test::txt(kName, "example.com.", "v2")}).ok());
  CHECK(test::body_json(f.http->requests.back()) == json({{"records", json::array()}}));

  const auto before = f.http->requests.size();
  REQUIRE(f.provider->cleanup({test::txt(kName, "example.com.", "v2")}).ok());  // nothing there: no write
  CHECK(f.http->requests.size() == before + 1);
}

TEST_CASE("dns desec: the apex is @ in the URL and an empty subname in the body", "[dns]") {
  auto f = test::FakeProvider(dns::make_desec, config());
  f.http->on("GET", kApi + "/domains/?owns_qname=example.com", 200, R"([{"name":"example.com","minimum_ttl":60}])");
  f.http->on("GET", kRrsets + "@/TXT/", 404, R"({"detail":"Not found."})");
  f.http->on("POST", kRrsets, 201, "{}");
  REQUIRE(f.provider->present({test::txt("example.com.", "example.com.", "v")}).ok());
  CHECK(test::body_json(f.http->requests.at(2))["subname"] == "");
  CHECK(test::body_json(f.http->requests.at(2))["ttl"] == 60);  // the configured TTL, above the minimum
}

TEST_CASE("dns desec: errors name the API or the name, with deSEC's detail or field messages", "[dns]") {
  SECTION("a bad token") {
    auto f = test::FakeProvider(dns::make_desec, config());
    f.http->on("GET", kOwns, 401, R"({"detail":"Invalid token."})");
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == kApi);
    CHECK(st.error().message() == "deSEC rejected the API token (HTTP 401): Invalid token.");
    CHECK(st.error().text().find("ds-secret") == std::string::npos);
  }
  SECTION("no domain holds the name") {
    auto f = test::FakeProvider(dns::make_desec, config());
    f.http->on("GET", kOwns, 200, "[]");
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == kName);
    CHECK(st.error().message().find("no domain of the deSEC account holds this name") == 0);
  }
  SECTION("a refused write quotes the field") {
    Fixture f;
    f.http->on("GET", kRrset, 404, R"({"detail":"Not found."})");
    f.http->on("POST", kRrsets, 400, R"({"ttl":["Ensure this value is greater than or equal to 3600."]})");
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == kName);
    CHECK(st.error().message().find("(HTTP 400): ttl: Ensure this value is greater than or equal to 3600.") !=
          std::string::npos);
  }
  SECTION("an RRset without records[]") {
    Fixture f;
    f.http->on("GET", kRrset, 200, R"({"subname":"x"})");
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message() == "deSEC answered without records[]");
  }
}
