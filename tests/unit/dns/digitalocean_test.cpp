// The digitalocean provider against a scripted http::Client: the documented requests (domain
// check, create with the name relative to the zone, delete by id, lookup by name page by page)
// and the error answers.
#include <catch2/catch.hpp>

#include "dns/providers.hpp"
#include "dns_test_util.hpp"

using namespace certctl;
using nlohmann::json;

namespace {

const std::string kApi = "https://do.test";
const std::string kName = "_acme-challenge.a.example.com.";
const std::string kDomain = kApi + "/v2/domains/example.com";
const std::string kRecords = kDomain + "/records";

dns::ProviderConfig config() {
  dns::ProviderConfig c;
  c.name = "do";
  c.type = "digitalocean";
  c.options["api-url"] = kApi;
  c.secrets["api-token"] = SecretBytes::from("dop_v1_secret");
  return c;
}

struct Fixture : test::FakeProvider {
  explicit Fixture(const dns::ProviderConfig& c = config()) : FakeProvider(dns::make_digitalocean, c) {
    http->on("GET", kDomain, 200, json{{"domain", {{"name", "example.com"}, {"ttl", 1800}}}}.dump());
  }
};

std::string created(long long id, const std::string& data) {
  return json{{"domain_record", {{"id", id}, {"type", "TXT"}, {"name", "_acme-challenge.a"}, {"data", data}, {"ttl", 60}}}}
      .dump();
}

std::string page_url(int page) {
  return kRecords + "?type=TXT&name=_acme-challenge.a.example.com&page=" + std::to_string(page) + "&per_page=200";
}

}  // namespace

TEST_CASE("dns digitalocean: present creates one record per value, cleanup deletes those ids", "[dns]") {
  Fixture f;
  f.http->on("POST", kRecords, 201, created(101, "v1"));
  f.http->on("POST", kRecords, 201, created(102, "v2"));
  f.http->on("DELETE", kRecords + "/101", 204, "");
  f.http->on("DELETE", kRecords + "/102", 204, "");
  std::vector<dns::TxtRecord> recs = {test::txt(kName, "example.com.", "v1"), test::txt(kName, "example.com.", "v2")};
  REQUIRE(f.provider->present(recs).ok());
  REQUIRE(f.provider->present(recs).ok());  // again: nothing new
  REQUIRE(f.provider->cleanup(recs).ok());

  CHECK(f.http->count("GET", kDomain) == 1);  // the domain is checked once
  REQUIRE(f.http->requests.size() == 5);
  for (const auto& r : f.http->requests) {
    CHECK(test::header(r, "Authorization") == std::optional<std::string>("Bearer dop_v1_secret"));
    CHECK(test::header(r, "Content-Type") ==
          (r.method == "POST" ? std::optional<std::string>("application/json") : std::nullopt));
  }
  CHECK(test::body_json(f.http->requests[1]) ==
        json({{"type", "TXT"}, {"name", "_acme-challenge.a"}, {"data", "v1"}, {"ttl", 60}}));
  CHECK(test::body_json(f.http->requests[2])["data"] == "v2");
  CHECK(f.http->count("DELETE", kRecords + "/101") == 1);
  CHECK(f.http->count("DELETE", kRecords + "/102") == 1);
}

TEST_CASE("dns digitalocean: a record at the zone's apex is named @", "[dns]") {
  Fixture f;
  f.http->on("POST", kRecords, 201, created(7, "v"));
  REQUIRE(f.provider->present({test::txt("example.com.", "example.com.", "v")}).ok());
  CHECK(test::body_json(f.http->requests.at(1))["name"] == "@");
}

TEST_CASE("dns digitalocean: cleanup in another run finds the records by name, page by page", "[dns]") {
  Fixture f;
  auto rec = [](long long id, const std::string& data) {
    return json{{"id", id}, {"type", "TXT"}, {"name", "_acme-challenge.a"}, {"data", data}, {"ttl", 60}};
  };
  f.http->on("GET", page_url(1), 200,
             json{{"domain_records", {rec(1, "other"), rec(2, "v1")}},
                  {"links", {{"pages", {{"next", page_url(2)}, {"last", page_url(2)}}}}},
                  {"meta", {{"total", 3}}}}
                 .dump());
  f.http->on("GET", page_url(2), 200,
             json{{"domain_records", {rec(3, "\"v1\"")}}, {"links", json::object()}, {"meta", {{"total", 3}}}}.dump());
  f.http->on("DELETE", kRecords + "/2", 204, "");
  f.http->on("DELETE", kRecords + "/3", 404, json{{"id", "not_found"}, {"message", "gone"}}.dump());
  REQUIRE(f.provider->cleanup({test::txt(kName, "example.com.", "v1")}).ok());
  CHECK(f.http->count("GET", page_url(2)) == 1);
  CHECK(f.http->count("DELETE", kRecords + "/1") == 0);  // another value stays
  CHECK(f.http->count("DELETE", kRecords + "/2") == 1);
  CHECK(f.http->count("DELETE", kRecords + "/3") == 1);  // deleted meanwhile: not an error
}

TEST_CASE("dns digitalocean: errors name the API, the zone or the name, with DigitalOcean's message", "[dns]") {
  SECTION("a bad token") {
    auto f = test::FakeProvider(dns::make_digitalocean, config());
    f.http->on("GET", kDomain, 401, json{{"id", "unauthorized"}, {"message", "Unable to authenticate you"}}.dump());
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == kApi);
    CHECK(st.error().message() == "DigitalOcean rejected the API token (HTTP 401): Unable to authenticate you");
    CHECK(st.error().text().find("dop_v1_secret") == std::string::npos);
  }
  SECTION("no such domain") {
    auto f = test::FakeProvider(dns::make_digitalocean, config());
    f.http->on("GET", kDomain, 404, json{{"id", "not_found"}, {"message", "The resource you were accessing could not be found."}}.dump());
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == "example.com.");
    CHECK(st.error().message().find("zone not found in the DigitalOcean account") == 0);
  }
  SECTION("a refused record") {
    Fixture f;
    f.http->on("POST", kRecords, 422, json{{"id", "unprocessable_entity"}, {"message", "Data needs to be valid"}}.dump());
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == kName);
    CHECK(st.error().message().find("(HTTP 422): Data needs to be valid") != std::string::npos);
  }
  SECTION("a created record without an id") {
    Fixture f;
    f.http->on("POST", kRecords, 201, json{{"domain_record", {{"type", "TXT"}}}}.dump());
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message().find("no domain_record.id") != std::string::npos);
  }
  SECTION("an answer that is not JSON") {
    Fixture f;
    f.http->on("POST", kRecords, 200, "<html>proxy</html>");
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message().find("without a JSON object") != std::string::npos);
  }
}

TEST_CASE("dns digitalocean: options", "[dns]") {
  auto c = config();
  c.secrets.clear();
  REQUIRE_FALSE(dns::make_provider(c).ok());
  c = config();
  c.ttl = 20;
  auto r = dns::make_provider(c);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == Category::Usage);
  c = config();
  c.options.erase("api-url");  // defaults to api.digitalocean.com
  REQUIRE(dns::make_provider(c).ok());
}
