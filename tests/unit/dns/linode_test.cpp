// The linode provider against a scripted http::Client: the documented requests (domain lookup
// with X-Filter, create with the name relative to the zone, delete by id, lookup by name and
// type page by page) and the error answers.
#include <catch2/catch.hpp>

#include "dns/providers.hpp"
#include "dns_test_util.hpp"

using namespace certctl;
using nlohmann::json;

namespace {

const std::string kApi = "https://linode.test";
const std::string kName = "_acme-challenge.a.example.com.";
const std::string kDomains = kApi + "/v4/domains?page=1&page_size=500";
const std::string kRecords = kApi + "/v4/domains/42/records";

dns::ProviderConfig config() {
  dns::ProviderConfig c;
  c.name = "li";
  c.type = "linode";
  c.options["api-url"] = kApi;
  c.secrets["api-token"] = SecretBytes::from("li-secret");
  return c;
}

std::string page(const json& data, int page = 1, int pages = 1) {
  return json{{"data", data}, {"page", page}, {"pages", pages}, {"results", data.size()}}.dump();
}

struct Fixture : test::FakeProvider {
  explicit Fixture(const dns::ProviderConfig& c = config()) : FakeProvider(dns::make_linode, c) {
    http->on("GET", kDomains, 200,
             page({{{"id", 41}, {"domain", "other.example"}, {"type", "master"}},
                   {{"id", 42}, {"domain", "example.com"}, {"type", "master"}}}));
  }
};

}  // namespace

TEST_CASE("dns linode: present creates one record per value, cleanup deletes those ids", "[dns]") {
  Fixture f;
  f.http->on("POST", kRecords, 200, json{{"id", 7001}, {"type", "TXT"}, {"name", "_acme-challenge.a"}, {"target", "v1"}}.dump());
  f.http->on("POST", kRecords, 200, json{{"id", 7002}, {"type", "TXT"}, {"name", "_acme-challenge.a"}, {"target", "v2"}}.dump());
  f.http->on("DELETE", kRecords + "/7001", 200, "{}");
  f.http->on("DELETE", kRecords + "/7002", 200, "{}");
  std::vector<dns::TxtRecord> recs = {test::txt(kName, "example.com.", "v1"), test::txt(kName, "example.com.", "v2")};
  REQUIRE(f.provider->present(recs).ok());
  REQUIRE(f.provider->cleanup(recs).ok());

  CHECK(f.http->count("GET", kDomains) == 1);  // the domain id is kept
  REQUIRE(f.http->requests.size() == 5);
  CHECK(test::header(f.http->requests[0], "X-Filter") == std::optional<std::string>(R"({"domain":"example.com"})"));
  for (const auto& r : f.http->requests) {
    CHECK(test::header(r, "Authorization") == std::optional<std::string>("Bearer li-secret"));
    CHECK(test::header(r, "Content-Type") ==
          (r.method == "POST" ? std::optional<std::string>("application/json") : std::nullopt));
  }
  CHECK(test::body_json(f.http->requests[1]) ==
        json({{"type", "TXT"}, {"name", "_acme-challenge.a"}, {"target", "v1"}, {"ttl_sec", 60}}));
  CHECK(f.http->count("DELETE", kRecords + "/7001") == 1);
  CHECK(f.http->count("DELETE", kRecords + "/7002") == 1);
}

TEST_CASE("dns linode: cleanup in another run finds the records by name and type, page by page", "[dns]") {
  Fixture f;
  auto rec = [](long long id, const std::string& target) {
    return json{{"id", id}, {"type", "TXT"}, {"name", "_acme-challenge.a"}, {"target", target}};
  };
  f.http->on("GET", kRecords + "?page=1&page_size=500", 200, page({rec(1, "other"), rec(2, "v1")}, 1, 2));
  f.http->on("GET", kRecords + "?page=2&page_size=500", 200, page(json::array({rec(3, "v1")}), 2, 2));
  f.http->on("DELETE", kRecords + "/2", 200, "{}");
  f.http->on("DELETE", kRecords + "/3", 404, json{{"errors", {{{"reason", "Not found"}}}}}.dump());
  auto st = f.provider->cleanup({test::txt(kName, "example.com.", "v1")});
  INFO((st ? std::string() : st.error().text()));
  REQUIRE(st.ok());
  const auto& listed = f.http->requests.at(1);
  CHECK(test::header(listed, "X-Filter") == std::optional<std::string>(R"({"name":"_acme-challenge.a","type":"TXT"})"));
  CHECK(f.http->count("DELETE", kRecords + "/1") == 0);
  CHECK(f.http->count("DELETE", kRecords + "/2") == 1);
  CHECK(f.http->count("DELETE", kRecords + "/3") == 1);  // gone meanwhile: not an error
}

TEST_CASE("dns linode: errors name the API, the zone or the name, with Linode's reasons", "[dns]") {
  SECTION("a bad token") {
    auto f = test::FakeProvider(dns::make_linode, config());
    f.http->on("GET", kDomains, 401, json{{"errors", {{{"reason", "Invalid Token"}}}}}.dump());
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == kApi);
    CHECK(st.error().message() == "Linode rejected the API token (HTTP 401): Invalid Token");
    CHECK(st.error().text().find("li-secret") == std::string::npos);
  }
  SECTION("no such domain") {
    auto f = test::FakeProvider(dns::make_linode, config());
    f.http->on("GET", kDomains, 200, page(json::array()));
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == "example.com.");
    CHECK(st.error().message().find("zone not found in the Linode account") == 0);
  }
  SECTION("a refused record names the field") {
    Fixture f;
    f.http->on("POST", kRecords, 400, json{{"errors", {{{"reason", "Target must be valid"}, {"field", "target"}}}}}.dump());
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == kName);
    CHECK(st.error().message().find("(HTTP 400): target: Target must be valid") != std::string::npos);
  }
  SECTION("a list without data[]") {
    auto f = test::FakeProvider(dns::make_linode, config());
    f.http->on("GET", kDomains, 200, R"({"page":1})");
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message() == "Linode answered without data[]");
  }
}

TEST_CASE("dns linode: options", "[dns]") {
  auto c = config();
  c.secrets.clear();
  REQUIRE_FALSE(dns::make_provider(c).ok());
  c = config();
  c.options.erase("api-url");  // defaults to api.linode.com
  REQUIRE(dns::make_provider(c).ok());
}
