// The azure provider against a scripted http::Client: the client-credentials token request
// (form fields, scope from api-url, cached with its lifetime), the zone in a resource group or
// found in the subscription's paged list, one read and one conditional write per name (PUT with
// If-None-Match: * or If-Match, DELETE with If-Match), 412 answered by reading again, long values
// split into 255-character strings, and the errors of Microsoft Entra ID and Azure Resource
// Manager.
#include <catch2/catch.hpp>

#include "dns/providers.hpp"
#include "dns_test_util.hpp"

using namespace certctl;
using nlohmann::json;

namespace {

const std::string kApi = "https://arm.test";
const std::string kLogin = "https://login.test";
const std::string kToken = kLogin + "/tenant-1/oauth2/v2.0/token";
const std::string kQ = "?api-version=2018-05-01";
const std::string kZone = kApi + "/subscriptions/sub-1/resourceGroups/rg1/providers/Microsoft.Network/dnsZones/example.com";
const std::string kSet = kZone + "/TXT/_acme-challenge.a" + kQ;
const std::string kName = "_acme-challenge.a.example.com.";
const std::string kTokenAnswer = R"({"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"tok-1"})";

dns::ProviderConfig config(bool with_rg = true) {
  dns::ProviderConfig c;
  c.name = "az";
  c.type = "azure";
  c.options["api-url"] = kApi;
  c.options["login-url"] = kLogin;
  c.options["tenant-id"] = "tenant-1";
  c.options["client-id"] = "client-1";
  c.options["subscription-id"] = "sub-1";
  if (with_rg) c.options["resource-group"] = "rg1";
  c.secrets["client-secret"] = SecretBytes::from("s3cr&t=+/ x");
  return c;
}

std::string record_set(const json& records, const std::string& etag, int ttl = 3600, const json& extra = json::object()) {
  json props = {{"TTL", ttl}, {"fqdn", kName}, {"provisioningState", "Succeeded"}, {"TXTRecords", records}};
  props.update(extra);
  return json{{"id", "/subscriptions/sub-1/resourceGroups/rg1/providers/Microsoft.Network/dnszones/example.com/TXT/_acme-challenge.a"},
              {"name", "_acme-challenge.a"}, {"type", "Microsoft.Network/dnszones/TXT"}, {"etag", etag},
              {"properties", props}}
      .dump();
}

json txt(std::initializer_list<std::string> values) {
  json out = json::array();
  for (const auto& v : values) out.push_back({{"value", {v}}});
  return out;
}

const std::string kNotFound = R"({"error":{"code":"NotFound","message":"The resource record '_acme-challenge.a' does not exist."}})";

struct Fixture : test::FakeProvider {
  explicit Fixture(const dns::ProviderConfig& c = config()) : FakeProvider(dns::make_azure, c) {
    http->on("POST", kToken, 200, kTokenAnswer);
    http->on("GET", kZone + kQ, 200, R"({"id":"x","name":"example.com","type":"Microsoft.Network/dnszones","properties":{}})");
  }
};

}  // namespace

TEST_CASE("dns azure: the token request is the documented client-credentials form; the token is reused", "[dns]") {
  Fixture f;
  f.http->on("GET", kSet, 404, kNotFound);
  f.http->on("GET", kSet, 200, record_set(txt({"v1"}), "etag-1", 60));
  f.http->on("PUT", kSet, 201, record_set(txt({"v1"}), "etag-1", 60));
  f.http->on("PUT", kSet, 200, record_set(txt({"v1", "v2"}), "etag-2", 60));
  REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
  REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v2")}).ok());

  CHECK(f.http->count("POST", kToken) == 1);
  const auto& tok = f.http->requests.at(0);
  CHECK(tok.method == "POST");
  CHECK(tok.url == kToken);
  CHECK(test::header(tok, "Content-Type") == std::optional<std::string>("application/x-www-form-urlencoded"));
  CHECK(test::header(tok, "Authorization") == std::nullopt);
  CHECK(tok.body ==
        "client_id=client-1&client_secret=s3cr%26t%3D%2B%2F%20x&scope=https%3A%2F%2Farm.test%2F.default"
        "&grant_type=client_credentials");
  for (std::size_t i = 1; i < f.http->requests.size(); ++i) {
    const auto& r = f.http->requests[i];
    CHECK(test::header(r, "Authorization") == std::optional<std::string>("Bearer tok-1"));
    CHECK(r.url.find(kApi + "/subscriptions/sub-1/") == 0);
    CHECK(r.url.size() > kQ.size());
    CHECK(r.url.substr(r.url.size() - kQ.size()) == kQ);
  }
  CHECK(f.http->count("GET", kZone + kQ) == 1);  // the zone is confirmed once per run
  const auto& create = f.http->requests.at(3);
  CHECK(create.method == "PUT");
  CHECK(test::header(create, "If-None-Match") == std::optional<std::string>("*"));
  CHECK(test::header(create, "If-Match") == std::nullopt);
  CHECK(test::header(create, "Content-Type") == std::optional<std::string>("application/json"));
  CHECK(test::body_json(create) == json({{"properties", {{"TTL", 60}, {"TXTRecords", {{{"value", {"v1"}}}}}}}}));
  const auto& update = f.http->requests.back();
  CHECK(test::header(update, "If-Match") == std::optional<std::string>("etag-1"));
  CHECK(test::header(update, "If-None-Match") == std::nullopt);
  CHECK(test::body_json(update)["properties"]["TXTRecords"] == json({{{"value", {"v1"}}}, {{"value", {"v2"}}}}));
}

TEST_CASE("dns azure: others' values, the set's TTL and metadata stay; present again writes nothing", "[dns]") {
  Fixture f;
  f.http->on("GET", kSet, 200, record_set(txt({"other"}), "e1", 300, {{"metadata", {{"owner", "ops"}}}}));
  f.http->on("GET", kSet, 200, record_set(txt({"other", "v1", "v2"}), "e2", 300));
  f.http->on("PUT", kSet, 200, record_set(txt({"other", "v1", "v2"}), "e2", 300));
  std::vector<dns::TxtRecord> recs = {test::txt(kName, "example.com.", "v1"), test::txt(kName, "example.com.", "v2")};
  REQUIRE(f.provider->present(recs).ok());
  CHECK(test::body_json(f.http->requests.at(3)) ==
        json({{"properties",
               {{"TTL", 300},
                {"TXTRecords", {{{"value", {"other"}}}, {{"value", {"v1"}}}, {{"value", {"v2"}}}}},
                {"metadata", {{"owner", "ops"}}}}}}));
  REQUIRE(f.provider->present(recs).ok());
  CHECK(f.http->count("PUT", kSet) == 1);
}

TEST_CASE("dns azure: a 412 reads the record set again and writes against the new etag, a bounded number of times", "[dns]") {
  const std::string k412 = R"({"error":{"code":"PreconditionFailed","message":"The Record set _acme-challenge.a has been modified (etag mismatch)."}})";
  SECTION("one conflict") {
    Fixture f;
    f.http->on("GET", kSet, 200, record_set(txt({"other"}), "e1"));
    f.http->on("GET", kSet, 200, record_set(txt({"other", "late"}), "e2"));
    f.http->on("PUT", kSet, 412, k412);
    f.http->on("PUT", kSet, 200, "{}");
    REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
    CHECK(test::header(f.http->requests.back(), "If-Match") == std::optional<std::string>("e2"));
    CHECK(test::body_json(f.http->requests.back())["properties"]["TXTRecords"] ==
          json({{{"value", {"other"}}}, {{"value", {"late"}}}, {{"value", {"v1"}}}}));
  }
  SECTION("a creation raced by another") {
    Fixture f;
    f.http->on("GET", kSet, 404, kNotFound);
    f.http->on("GET", kSet, 200, record_set(txt({"theirs"}), "e9"));
    f.http->on("PUT", kSet, 412, k412);
    f.http->on("PUT", kSet, 200, "{}");
    REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
    CHECK(test::header(f.http->requests.back(), "If-Match") == std::optional<std::string>("e9"));
  }
  SECTION("always a conflict") {
    Fixture f;
    f.http->on("GET", kSet, 200, record_set(txt({"other"}), "e1"));
    f.http->on("PUT", kSet, 412, k412);
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == kName);
    CHECK(st.error().message().find("412 Precondition Failed") != std::string::npos);
    CHECK(f.http->count("PUT", kSet) == 5);
  }
}

TEST_CASE("dns azure: cleanup writes what is left, deletes an emptied set, and is a no-op when nothing is there", "[dns]") {
  Fixture f;
  f.http->on("GET", kSet, 200, record_set(txt({"v1", "other"}), "e1"));
  f.http->on("GET", kSet, 200, record_set(txt({"v2"}), "e2"));
  f.http->on("GET", kSet, 404, kNotFound);
  f.http->on("PUT", kSet, 200, "{}");
  f.http->on("DELETE", kSet, 200, "");
  REQUIRE(f.provider->cleanup({test::txt(kName, "example.com.", "v1")}).ok());
  CHECK(test::body_json(f.http->requests.back()) == json({{"properties", {{"TTL", 3600}, {"TXTRecords", txt({"other"})}}}}));
  CHECK(test::header(f.http->requests.back(), "If-Match") == std::optional<std::string>("e1"));

  REQUIRE(f.provider->cleanup({test::txt(kName, "example.com.", "v2")}).ok());
  CHECK(f.http->requests.back().method == "DELETE");
  CHECK(f.http->requests.back().body.empty());
  CHECK(test::header(f.http->requests.back(), "If-Match") == std::optional<std::string>("e2"));

  const auto before = f.http->requests.size();
  REQUIRE(f.provider->cleanup({test::txt(kName, "example.com.", "v2")}).ok());
  CHECK(f.http->requests.size() == before + 1);  // one read, no write
}

TEST_CASE("dns azure: the apex is @; a long value is several strings of one record", "[dns]") {
  Fixture f;
  const std::string at = kZone + "/TXT/@" + kQ;
  const std::string longv(300, 'x');
  f.http->on("GET", at, 404, kNotFound);  // responses are queued per URL, in the order they are asked for
  f.http->on("GET", at, 200, record_set(json({{{"value", {std::string(255, 'x'), std::string(45, 'x')}}}}), "e1"));
  f.http->on("PUT", at, 201, "{}");
  REQUIRE(f.provider->present({test::txt("example.com.", "example.com.", longv)}).ok());
  CHECK(test::body_json(f.http->requests.back())["properties"]["TXTRecords"] ==
        json({{{"value", {std::string(255, 'x'), std::string(45, 'x')}}}}));

  f.http->on("DELETE", at, 204, "");
  REQUIRE(f.provider->cleanup({test::txt("example.com.", "example.com.", longv)}).ok());
  CHECK(f.http->requests.back().method == "DELETE");
}

TEST_CASE("dns azure: without resource-group the zone is found in the subscription's list, page by page", "[dns]") {
  auto f = test::FakeProvider(dns::make_azure, config(false));
  f.http->on("POST", kToken, 200, kTokenAnswer);
  const std::string list = kApi + "/subscriptions/sub-1/providers/Microsoft.Network/dnszones" + kQ;
  const std::string page2 = kApi + "/subscriptions/sub-1/providers/Microsoft.Network/dnsZones?api-version=2018-05-01&$skipToken=abc";
  auto zone = [](const std::string& rg, const std::string& name) {
    return json{{"id", "/subscriptions/sub-1/resourceGroups/" + rg + "/providers/Microsoft.Network/dnszones/" + name},
                {"name", name}, {"type", "Microsoft.Network/dnszones"}, {"properties", json::object()}};
  };
  f.http->on("GET", list, 200, json{{"value", {zone("rgA", "other.com")}}, {"nextLink", page2}}.dump());
  f.http->on("GET", page2, 200, json{{"value", {zone("rgB", "sub.example.com"), zone("RG-Two", "example.com")}}}.dump());
  const std::string set = kApi + "/subscriptions/sub-1/resourceGroups/RG-Two/providers/Microsoft.Network/dnsZones/example.com/TXT/_acme-challenge.a" + kQ;
  f.http->on("GET", set, 404, kNotFound);
  f.http->on("PUT", set, 201, "{}");
  REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
  REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
  CHECK(f.http->count("GET", page2) == 1);

  SECTION("a zone the subscription does not have") {
    auto st = f.provider->present({test::txt("_acme-challenge.nosuch.test.", "nosuch.test.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == "nosuch.test.");
    CHECK(st.error().message().find("zone not found in subscription sub-1 (3 DNS zones listed") == 0);
  }
  SECTION("a nextLink to another host is not followed with the token") {
    auto g = test::FakeProvider(dns::make_azure, config(false));
    g.http->on("POST", kToken, 200, kTokenAnswer);
    g.http->on("GET", list, 200, json{{"value", json::array()}, {"nextLink", "https://evil.test/next"}}.dump());
    auto st = g.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message().find("nextLink points outside https://arm.test") != std::string::npos);
    CHECK(g.http->requests.size() == 2);
  }
}

TEST_CASE("dns azure: Entra ID's answers: rejected credentials quoted without the secret, a short-lived token renewed", "[dns]") {
  SECTION("invalid_client") {
    auto f = test::FakeProvider(dns::make_azure, config());
    f.http->on("POST", kToken, 401,
               R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.\r\nTrace ID: 1\r\nCorrelation ID: 2","error_codes":[7000215]})");
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == kLogin);
    CHECK(st.error().message() ==
          "Microsoft Entra ID rejected the client credentials of client-id client-1 (HTTP 401 invalid_client): "
          "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client "
          "secret value.");
    CHECK(st.error().text().find("s3cr") == std::string::npos);
  }
  SECTION("an unknown tenant") {
    auto f = test::FakeProvider(dns::make_azure, config());
    f.http->on("POST", kToken, 400, R"({"error":"invalid_request","error_description":"AADSTS90002: Tenant 'tenant-1' not found."})");
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message() ==
          "Microsoft Entra ID refused the token request for tenant tenant-1 (HTTP 400 invalid_request): AADSTS90002: "
          "Tenant 'tenant-1' not found.");
  }
  SECTION("no access_token") {
    auto f = test::FakeProvider(dns::make_azure, config());
    f.http->on("POST", kToken, 200, R"({"token_type":"Bearer","expires_in":3599})");
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message() == "Microsoft Entra ID answered without a Bearer access_token");
  }
  SECTION("a token about to expire is fetched again") {
    auto f = test::FakeProvider(dns::make_azure, config());
    f.http->on("POST", kToken, 200, R"({"token_type":"Bearer","expires_in":"30","access_token":"short"})");
    f.http->on("GET", kZone + kQ, 200, R"({"name":"example.com"})");
    f.http->on("GET", kSet, 404, kNotFound);
    f.http->on("PUT", kSet, 201, "{}");
    REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
    CHECK(f.http->count("POST", kToken) == 3);
  }
  SECTION("an expired token (401 ExpiredAuthenticationToken) is renewed once") {
    auto f = test::FakeProvider(dns::make_azure, config());
    f.http->on("POST", kToken, 200, kTokenAnswer);
    f.http->on("GET", kZone + kQ, 401, R"({"error":{"code":"ExpiredAuthenticationToken","message":"The access token expiry UTC time is earlier than current UTC time."}})");
    f.http->on("GET", kZone + kQ, 200, R"({"name":"example.com"})");
    f.http->on("GET", kSet, 404, kNotFound);
    f.http->on("PUT", kSet, 201, "{}");
    REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
    CHECK(f.http->count("POST", kToken) == 2);
  }
}

TEST_CASE("dns azure: Resource Manager's errors name the zone, resource group or API with its code and message", "[dns]") {
  SECTION("a token without access") {
    auto f = test::FakeProvider(dns::make_azure, config());
    f.http->on("POST", kToken, 200, kTokenAnswer);
    f.http->on("GET", kZone + kQ, 403, R"({"error":{"code":"AuthorizationFailed","message":"The client 'client-1' does not have authorization to perform action 'Microsoft.Network/dnszones/read'."}})");
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == kApi);
    CHECK(st.error().message().find("Azure DNS rejected the access token (HTTP 403): AuthorizationFailed: The client") == 0);
  }
  SECTION("an unknown zone") {
    auto f = test::FakeProvider(dns::make_azure, config());
    f.http->on("POST", kToken, 200, kTokenAnswer);
    f.http->on("GET", kZone + kQ, 404, R"({"error":{"code":"ResourceNotFound","message":"The Resource 'Microsoft.Network/dnszones/example.com' under resource group 'rg1' was not found."}})");
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == "example.com.");
    CHECK(st.error().message().find("zone not found in resource group 'rg1' of subscription sub-1 (Azure: ResourceNotFound: ") == 0);
  }
  SECTION("an unknown resource group") {
    auto f = test::FakeProvider(dns::make_azure, config());
    f.http->on("POST", kToken, 200, kTokenAnswer);
    f.http->on("GET", kZone + kQ, 404, R"({"error":{"code":"ResourceGroupNotFound","message":"Resource group 'rg1' could not be found."}})");
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message().find("resource group 'rg1' not found in subscription sub-1") == 0);
  }
  SECTION("a refused write") {
    Fixture f;
    f.http->on("GET", kSet, 404, kNotFound);
    f.http->on("PUT", kSet, 400, R"({"error":{"code":"BadRequest","message":"The TTL is invalid."}})");
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == kName);
    CHECK(st.error().message() == "Azure DNS API error on PUT " + kSet + " (HTTP 400): BadRequest: The TTL is invalid.");
  }
  SECTION("malformed answers") {
    Fixture f;
    SECTION("no etag") { f.http->on("GET", kSet, 200, R"({"properties":{"TXTRecords":[]}})"); }
    SECTION("not JSON") { f.http->on("GET", kSet, 200, "<html>"); }
    SECTION("TXTRecords not a list") { f.http->on("GET", kSet, 200, R"({"etag":"e","properties":{"TXTRecords":{}}})"); }
    SECTION("a record without value[]") { f.http->on("GET", kSet, 200, R"({"etag":"e","properties":{"TXTRecords":[{"v":1}]}})"); }
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == "GET " + kSet);
    CHECK(f.http->count("PUT", kSet) == 0);
  }
}

TEST_CASE("dns azure: options are checked before anything is sent", "[dns]") {
  auto make = [](const dns::ProviderConfig& c) { return dns::make_provider(c); };
  SECTION("the secret is required, and only as a secret") {
    auto c = config();
    c.secrets.clear();
    auto p = make(c);
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().category() == Category::Usage);
    CHECK(p.error().message().find("needs option 'client-secret'") != std::string::npos);
    c.options["client-secret"] = "plain";
    c.secrets["client-secret"] = SecretBytes::from("x");
    p = make(c);
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().message().find("is a secret") != std::string::npos);
  }
  SECTION("tenant, subscription and resource group go into paths") {
    for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{
             {"tenant-id", "a/b"}, {"subscription-id", "sub 1"}, {"resource-group", "rg/../x"}, {"resource-group", "rg."},
             {"client-id", "c&d"}, {"api-url", "ftp://x"}, {"login-url", "https://l.test/?x"}}) {
      auto c = config();
      c.options[key] = value;
      auto p = make(c);
      INFO(key << "=" << value);
      REQUIRE_FALSE(p.ok());
      CHECK(p.error().category() == Category::Usage);
      CHECK(p.error().message().find(key) != std::string::npos);
    }
  }
  SECTION("resource-group is optional") {
    CHECK(make(config(false)).ok());
    auto c = config(false);
    c.options.erase("subscription-id");
    CHECK_FALSE(make(c).ok());
  }
}
