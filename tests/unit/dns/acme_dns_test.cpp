// The acme-dns provider and registration against a scripted http::Client.
#include <catch2/catch.hpp>

#include "dns/providers.hpp"
#include "dns_test_util.hpp"

#include <set>

using namespace certctl;
using nlohmann::json;

namespace {

const std::string kUpdate = "https://acme-dns.test/update";
const std::string kSub = "d420c923-bbd7-4056-ab64-c3ca54c9b3cf";
const std::string kName = kSub + ".auth.acme-dns.test.";

dns::ProviderConfig config() {
  dns::ProviderConfig c;
  c.name = "adns";
  c.type = "acme-dns";
  c.options["api-url"] = "https://acme-dns.test/";
  c.options["username"] = "eabcdb41-d89f-4580-826f-3e62e9755ef2";
  c.options["subdomain"] = kSub;
  c.secrets["password"] = SecretBytes::from("pbAXVjlIOE01xbut7YnAbkhMQIkcwoHO0ek2j4Q0");
  return c;
}

struct Fixture : test::FakeProvider {
  Fixture() : FakeProvider(dns::make_acme_dns, config()) {}
};

const std::string kV1 = std::string(43, 'a');
const std::string kV2 = std::string(43, 'b');

}  // namespace

TEST_CASE("dns acme-dns: present posts each value to /update with the account headers", "[dns]") {
  Fixture f;
  f.http->on("POST", kUpdate, 200, R"({"txt": "x"})");
  REQUIRE(f.provider->present({test::txt(kName, "auth.acme-dns.test.", kV1), test::txt(kName, "auth.acme-dns.test.", kV2)}).ok());
  REQUIRE(f.http->requests.size() == 2);
  std::set<std::string> seen;
  for (const auto& r : f.http->requests) {
    CHECK(r.url == kUpdate);
    CHECK(test::header(r, "X-Api-User") == std::optional<std::string>("eabcdb41-d89f-4580-826f-3e62e9755ef2"));
    CHECK(test::header(r, "X-Api-Key") == std::optional<std::string>("pbAXVjlIOE01xbut7YnAbkhMQIkcwoHO0ek2j4Q0"));
    CHECK(test::header(r, "Content-Type") == std::optional<std::string>("application/json"));
    json b = test::body_json(r);
    CHECK(b.size() == 2);
    CHECK(b["subdomain"] == kSub);
    seen.insert(b["txt"].get<std::string>());
  }
  CHECK(seen == std::set<std::string>{kV1, kV2});
  // No delete in acme-dns: cleanup sends nothing.
  REQUIRE(f.provider->cleanup({test::txt(kName, "auth.acme-dns.test.", kV1)}).ok());
  CHECK(f.http->requests.size() == 2);
}

TEST_CASE("dns acme-dns: a rejected key and a refused value are Dns errors with acme-dns's error", "[dns]") {
  Fixture f;
  f.http->on("POST", kUpdate, 401, R"({"error": "forbidden"})");
  auto st = f.provider->present({test::txt(kName, "", kV1)});
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().category() == Category::Dns);
  CHECK(st.error().subject() == kUpdate);
  CHECK(st.error().message().find("(HTTP 401: forbidden)") != std::string::npos);
  CHECK(st.error().text().find("pbAXVj") == std::string::npos);

  Fixture g;
  g.http->on("POST", kUpdate, 400, R"({"error": "bad_txt"})");
  st = g.provider->present({test::txt(kName, "", "short")});
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message().find("(HTTP 400: bad_txt)") != std::string::npos);
}

TEST_CASE("dns acme-dns: more than two values at once are refused before any request", "[dns]") {
  Fixture f;
  auto st = f.provider->present({test::txt(kName, "", kV1), test::txt(kName, "", kV2), test::txt(kName, "", std::string(43, 'c'))});
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().category() == Category::Dns);
  CHECK(f.http->requests.empty());
}

TEST_CASE("dns acme-dns: register returns the account", "[dns]") {
  test::FakeHttp http;
  http.on("POST", "https://acme-dns.test/register", 201,
          R"({"allowfrom":["192.168.100.1/24"],"fulldomain":"8e5700ea-a4bf-41c7-8a77-e990661dcc6a.auth.acme-dns.io",)"
          R"("password":"htB9mR9DYgcu9bX_afHF62erXaH2TS7bg9KW3F7Z","subdomain":"8e5700ea-a4bf-41c7-8a77-e990661dcc6a",)"
          R"("username":"c36f50e8-4632-44f0-83fe-e070fef28a10"})");
  auto a = dns::acme_dns_register(http, "https://acme-dns.test", {"192.168.100.1/24"});
  REQUIRE(a.ok());
  CHECK(a->username == "c36f50e8-4632-44f0-83fe-e070fef28a10");
  CHECK(a->password.view() == "htB9mR9DYgcu9bX_afHF62erXaH2TS7bg9KW3F7Z");
  CHECK(a->subdomain == "8e5700ea-a4bf-41c7-8a77-e990661dcc6a");
  CHECK(a->fulldomain == "8e5700ea-a4bf-41c7-8a77-e990661dcc6a.auth.acme-dns.io");
  CHECK(a->allowfrom == std::vector<std::string>{"192.168.100.1/24"});
  REQUIRE(http.requests.size() == 1);
  CHECK(test::body_json(http.requests[0]) == json({{"allowfrom", {"192.168.100.1/24"}}}));

  test::FakeHttp bad;
  bad.on("POST", "https://acme-dns.test/register", 400, R"({"error": "invalid_allowfrom_cidr"})");
  auto e = dns::acme_dns_register(bad, "https://acme-dns.test", {"nope"});
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().category() == Category::Dns);
  CHECK(e.error().message().find("invalid_allowfrom_cidr") != std::string::npos);
}

TEST_CASE("dns acme-dns: options", "[dns]") {
  auto c = config();
  c.options.erase("subdomain");
  auto r = dns::make_provider(c);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == Category::Usage);
  REQUIRE(dns::make_provider(config()).ok());
}
