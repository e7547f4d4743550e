// The gandi provider against a scripted http::Client: the documented LiveDNS v5 requests (domain
// check, RRset read, PUT of the union with rrset_ttl, PUT of what is left or DELETE when nothing
// is, "@" at the apex, quoted TXT values, Bearer personal access token) and the error answers.
#include <catch2/catch.hpp>

#include "dns/providers.hpp"
#include "dns_test_util.hpp"

using namespace certctl;
using nlohmann::json;

namespace {

const std::string kApi = "https://gandi.test/v5/livedns";
const std::string kName = "_acme-challenge.a.example.com.";
const std::string kDomain = kApi + "/domains/example.com";
const std::string kRrset = kDomain + "/records/_acme-challenge.a/TXT";

dns::ProviderConfig config() {
  dns::ProviderConfig c;
  c.name = "gd";
  c.type = "gandi";
  c.options["api-url"] = kApi;
  c.secrets["api-token"] = SecretBytes::from("pat_secret-123");
  return c;
}

struct Fixture : test::FakeProvider {
  explicit Fixture(const dns::ProviderConfig& c = config()) : FakeProvider(dns::make_gandi, c) {
    http->on("GET", kDomain, 200, json{{"fqdn", "example.com"}, {"automatic_snapshots", true}}.dump());
  }
};

std::string rrset(std::vector<std::string> values, int ttl = 10800) {
  return json{{"rrset_name", "_acme-challenge.a"}, {"rrset_type", "TXT"}, {"rrset_ttl", ttl}, {"rrset_values", values},
              {"rrset_href", kRrset}}
      .dump();
}

const std::string kNotFound =
    json{{"code", 404}, {"message", "The resource could not be found."}, {"object", "HTTPNotFound"}, {"cause", "Not Found"}}.dump();
const std::string kCreated = json{{"message", "DNS Record Created"}}.dump();

}  // namespace

TEST_CASE("dns gandi: present PUTs a new RRset with both quoted values and at least 300 s of TTL", "[dns]") {
  Fixture f;
  f.http->on("GET", kRrset, 404, kNotFound);
  f.http->on("PUT", kRrset, 201, kCreated);
  REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1"), test::txt(kName, "example.com.", "v2")}).ok());
  REQUIRE(f.http->requests.size() == 3);
  for (const auto& r : f.http->requests) {
    CHECK(test::header(r, "Authorization") == std::optional<std::string>("Bearer pat_secret-123"));
    CHECK(test::header(r, "Content-Type") ==
          (r.method == "PUT" ? std::optional<std::string>("application/json") : std::nullopt));
  }
  CHECK(f.http->requests[0].url == kDomain);
  CHECK(test::body_json(f.http->requests[2]) == json({{"rrset_values", {"\"v1\"", "\"v2\""}}, {"rrset_ttl", 300}}));
}

TEST_CASE("dns gandi: present merges into an RRset others share and keeps its TTL", "[dns]") {
  Fixture f;
  f.http->on("GET", kRrset, 200, rrset({"\"other\"", "\"v1\""}, 1800));
  f.http->on("PUT", kRrset, 201, kCreated);
  REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1"), test::txt(kName, "example.com.", "v2")}).ok());
  CHECK(test::body_json(f.http->requests.back()) ==
        json({{"rrset_values", {"\"other\"", "\"v1\"", "\"v2\""}}, {"rrset_ttl", 1800}}));

  Fixture g;  // every value there already (listed unquoted, too): nothing to write
  g.http->on("GET", kRrset, 200, rrset({"v1"}));
  REQUIRE(g.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
  CHECK(g.http->count("PUT", kRrset) == 0);
}

TEST_CASE("dns gandi: a record at the domain's apex is named @", "[dns]") {
  Fixture f;
  f.http->on("GET", kDomain + "/records/@/TXT", 404, kNotFound);
  f.http->on("PUT", kDomain + "/records/@/TXT", 201, kCreated);
  REQUIRE(f.provider->present({test::txt("example.com.", "example.com.", "v")}).ok());
  CHECK(f.http->count("PUT", kDomain + "/records/@/TXT") == 1);
}

TEST_CASE("dns gandi: cleanup PUTs the others' values, or DELETEs the RRset when only its own were there", "[dns]") {
  Fixture f;
  f.http->on("GET", kRrset, 200, rrset({"\"other\"", "\"v1\"", "\"v2\""}, 1800));
  f.http->on("PUT", kRrset, 201, kCreated);
  std::vector<dns::TxtRecord> recs = {test::txt(kName, "example.com.", "v1"), test::txt(kName, "example.com.", "v2")};
  REQUIRE(f.provider->cleanup(recs).ok());
  CHECK(test::body_json(f.http->requests.back()) == json({{"rrset_values", {"\"other\""}}, {"rrset_ttl", 1800}}));

  Fixture g;
  g.http->on("GET", kRrset, 200, rrset({"\"v1\"", "\"v2\""}));
  g.http->on("GET", kRrset, 404, kNotFound);
  g.http->on("DELETE", kRrset, 204, "");
  REQUIRE(g.provider->cleanup(recs).ok());
  CHECK(g.http->count("DELETE", kRrset) == 1);
  CHECK(g.http->count("PUT", kRrset) == 0);
  REQUIRE(g.provider->cleanup(recs).ok());  // gone now: nothing to do
  CHECK(g.http->count("DELETE", kRrset) == 1);
  CHECK(g.http->count("GET", kDomain) == 1);  // the domain is checked once

  Fixture h;  // deleted meanwhile by another run
  h.http->on("GET", kRrset, 200, rrset({"\"v1\""}));
  h.http->on("DELETE", kRrset, 404, kNotFound);
  REQUIRE(h.provider->cleanup({test::txt(kName, "example.com.", "v1")}).ok());

  Fixture i;  // others' values only: untouched
  i.http->on("GET", kRrset, 200, rrset({"\"other\""}));
  REQUIRE(i.provider->cleanup({test::txt(kName, "example.com.", "v1")}).ok());
  CHECK(i.http->requests.size() == 2);
}

TEST_CASE("dns gandi: errors name the API, the zone or the name, with Gandi's message", "[dns]") {
  SECTION("a bad token (401) or one without the right to the domain (403)") {
    for (long status : {401L, 403L}) {
      auto f = test::FakeProvider(dns::make_gandi, config());
      f.http->on("GET", kDomain, status,
                 json{{"code", status}, {"message", "Access was denied to this resource."}, {"object", "HTTPForbidden"},
                      {"cause", "Forbidden"}}
                     .dump());
      auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
      REQUIRE_FALSE(st.ok());
      CHECK(st.error().category() == Category::Dns);
      CHECK(st.error().subject() == kApi);
      CHECK(st.error().message() == "Gandi rejected the personal access token (HTTP " + std::to_string(status) +
                                        "): Access was denied to this resource. (Forbidden)");
      CHECK(st.error().text().find("pat_secret-123") == std::string::npos);
    }
  }
  SECTION("no such domain") {
    auto f = test::FakeProvider(dns::make_gandi, config());
    f.http->on("GET", kDomain, 404, kNotFound);
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == "example.com.");
    CHECK(st.error().message().find("domain not found in Gandi LiveDNS") == 0);
  }
  SECTION("a refused RRset") {
    Fixture f;
    f.http->on("GET", kRrset, 404, kNotFound);
    f.http->on("PUT", kRrset, 400,
               json{{"code", 400}, {"message", "rrset_ttl: must be at least 300"}, {"object", "HTTPBadRequest"},
                    {"cause", "Bad Request"}}
                   .dump());
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == kName);
    CHECK(st.error().message() ==
          "Gandi API error on PUT " + kRrset + " (HTTP 400): rrset_ttl: must be at least 300 (Bad Request)");
  }
  SECTION("an answer that is not JSON, or without rrset_values") {
    Fixture f;
    f.http->on("GET", kRrset, 200, "<html>proxy</html>");
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message().find("without a JSON object") != std::string::npos);
    Fixture g;
    g.http->on("GET", kRrset, 200, json{{"rrset_values", "x"}}.dump());
    st = g.provider->cleanup({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message() == "Gandi answered without rrset_values[]");
  }
}

TEST_CASE("dns gandi: options", "[dns]") {
  auto c = config();
  c.secrets.clear();
  REQUIRE_FALSE(dns::make_provider(c).ok());
  c = config();
  c.ttl = 3000000;
  auto r = dns::make_provider(c);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == Category::Usage);
  c = config();
  c.options.erase("api-url");  // defaults to api.gandi.net/v5/livedns
  REQUIRE(dns::make_provider(c).ok());
  const auto* t = dns::find_type("gandi");
  REQUIRE(t);
  REQUIRE(t->options.size() == 2);
  CHECK((t->options[0].name == "api-token" && t->options[0].secret && t->options[0].required));
  CHECK((t->options[1].name == "api-url" && !t->options[1].secret));
}
