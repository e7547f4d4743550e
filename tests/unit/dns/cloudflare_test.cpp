// The cloudflare provider against a scripted http::Client: the documented requests (zone
// lookup, create with quoted TXT content, delete by id, lookup by name and content) and the
// error envelope.
#include <catch2/catch.hpp>

#include "dns/providers.hpp"
#include "dns_test_util.hpp"

using namespace certctl;
using nlohmann::json;

namespace {

const std::string kApi = "https://cf.test/client/v4";
const std::string kName = "_acme-challenge.a.example.com.";

dns::ProviderConfig config() {
  dns::ProviderConfig c;
  c.name = "cf";
  c.type = "cloudflare";
  c.options["api-url"] = kApi;
  c.secrets["api-token"] = SecretBytes::from("tok-123");
  return c;
}

struct Fixture : test::FakeProvider {
  explicit Fixture(const dns::ProviderConfig& c = config()) : FakeProvider(dns::make_cloudflare, c) {}
};

std::string envelope(const json& result) {
  return json{{"success", true}, {"errors", json::array()}, {"messages", json::array()}, {"result", result}}.dump();
}

std::string error_envelope(int code, const std::string& message) {
  return json{{"success", false}, {"errors", {{{"code", code}, {"message", message}}}}, {"messages", json::array()},
              {"result", nullptr}}
      .dump();
}

const std::string kZones = kApi + "/zones?name=example.com";
const std::string kRecords = kApi + "/zones/z1/dns_records";

}  // namespace

TEST_CASE("dns cloudflare: present creates one record per value, cleanup deletes those ids", "[dns]") {
  Fixture f;
  f.http->on("GET", kZones, 200, envelope({{{"id", "z1"}, {"name", "example.com"}, {"status", "active"}}}));
  f.http->on("POST", kRecords, 200, envelope({{"id", "r1"}, {"type", "TXT"}}));
  f.http->on("POST", kRecords, 200, envelope({{"id", "r2"}, {"type", "TXT"}}));
  f.http->on("DELETE", kRecords + "/r1", 200, envelope({{"id", "r1"}}));
  f.http->on("DELETE", kRecords + "/r2", 200, envelope({{"id", "r2"}}));
  std::vector<dns::TxtRecord> recs = {test::txt(kName, "example.com.", "v1"), test::txt(kName, "example.com.", "v2")};
  REQUIRE(f.provider->present(recs).ok());
  REQUIRE(f.provider->cleanup(recs).ok());

  CHECK(f.http->count("GET", kZones) == 1);  // the zone id is cached
  REQUIRE(f.http->requests.size() == 5);
  for (const auto& r : f.http->requests) {
    CHECK(test::header(r, "Authorization") == std::optional<std::string>("Bearer tok-123"));
    if (r.method == "POST") {
      CHECK(test::header(r, "Content-Type") == std::optional<std::string>("application/json"));
    } else {
      CHECK(r.body.empty());
    }
  }
  CHECK(test::body_json(f.http->requests[1]) ==
        json({{"type", "TXT"}, {"name", "_acme-challenge.a.example.com"}, {"content", "\"v1\""}, {"ttl", 60}}));
  CHECK(test::body_json(f.http->requests[2])["content"] == "\"v2\"");
  CHECK(f.http->count("DELETE", kRecords + "/r1") == 1);
  CHECK(f.http->count("DELETE", kRecords + "/r2") == 1);
}

TEST_CASE("dns cloudflare: cleanup without remembered ids looks the records up by name and content", "[dns]") {
  auto c = config();
  c.options["zone-id"] = "z1";
  Fixture f(c);
  const std::string lookup = kRecords + "?type=TXT&name.exact=_acme-challenge.a.example.com&content.exact=%22v1%22";
  f.http->on("GET", lookup, 200,
             envelope({{{"id", "r9"}, {"type", "TXT"}, {"name", "_acme-challenge.a.example.com"}, {"content", "\"v1\""}},
                       {{"id", "r8"}, {"type", "TXT"}, {"name", "_acme-challenge.a.example.com"}, {"content", "other"}}}));
  f.http->on("DELETE", kRecords + "/r9", 200, envelope({{"id", "r9"}}));
  REQUIRE(f.provider->cleanup({test::txt(kName, "example.com.", "v1")}).ok());
  CHECK(f.http->count("GET", kZones) == 0);  // zone-id given: no lookup
  CHECK(f.http->count("DELETE", kRecords + "/r9") == 1);
  CHECK(f.http->requests.size() == 2);  // r8 holds another value and stays
}

TEST_CASE("dns cloudflare: an identical record or an already deleted one is not an error", "[dns]") {
  auto c = config();
  c.options["zone-id"] = "z1";
  Fixture f(c);
  f.http->on("POST", kRecords, 400, error_envelope(81058, "An identical record already exists."));
  REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
  const std::string lookup = kRecords + "?type=TXT&name.exact=_acme-challenge.a.example.com&content.exact=%22v1%22";
  f.http->on("GET", lookup, 200, envelope({{{"id", "r1"}, {"type", "TXT"}, {"name", "_acme-challenge.a.example.com"}, {"content", "v1"}}}));
  f.http->on("DELETE", kRecords + "/r1", 404, error_envelope(81044, "Record does not exist."));
  REQUIRE(f.provider->cleanup({test::txt(kName, "example.com.", "v1")}).ok());
}

TEST_CASE("dns cloudflare: errors carry Cloudflare's errors[].message", "[dns]") {
  SECTION("a bad token") {
    Fixture f;
    f.http->on("GET", kZones, 403, error_envelope(9109, "Invalid access token"));
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == kApi);
    CHECK(st.error().message() == "Cloudflare rejected the API token (HTTP 403): Invalid access token (code 9109)");
    CHECK(st.error().text().find("tok-123") == std::string::npos);
  }
  SECTION("no such zone") {
    Fixture f;
    f.http->on("GET", kZones, 200, envelope(json::array()));
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == "example.com.");
    CHECK(st.error().message().find("zone not found in the Cloudflare account") == 0);
  }
  SECTION("a refused record") {
    Fixture f;
    f.http->on("GET", kZones, 200, envelope({{{"id", "z1"}, {"name", "example.com"}}}));
    f.http->on("POST", kRecords, 400, error_envelope(9005, "Content for TXT record is invalid."));
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == kName);
    CHECK(st.error().message().find("Content for TXT record is invalid. (code 9005)") != std::string::npos);
  }
  SECTION("success false in a 200") {
    Fixture f;
    f.http->on("GET", kZones, 200, error_envelope(1000, "odd"));
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message().find("odd (code 1000)") != std::string::npos);
  }
}

TEST_CASE("dns cloudflare: options", "[dns]") {
  auto c = config();
  c.secrets.clear();
  REQUIRE_FALSE(dns::make_provider(c).ok());
  c = config();
  c.ttl = 5;
  auto r = dns::make_provider(c);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == Category::Usage);
  c = config();
  c.options.erase("api-url");  // defaults to api.cloudflare.com
  REQUIRE(dns::make_provider(c).ok());
}
