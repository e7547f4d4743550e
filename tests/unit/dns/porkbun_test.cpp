// The porkbun provider against a scripted http::Client: the documented requests (every call a
// POST whose JSON body carries apikey and secretapikey; retrieveByNameType, create with the name
// relative to the domain and the TTL as a string, delete by id), Porkbun's minimum TTL, and its
// {"status": "ERROR", "message"} answers.
#include <catch2/catch.hpp>

#include "dns/providers.hpp"
#include "dns_test_util.hpp"

using namespace certctl;
using nlohmann::json;

namespace {

const std::string kApi = "https://pb.test/api/json/v3";
const std::string kName = "_acme-challenge.a.example.com.";
const std::string kRead = kApi + "/dns/retrieveByNameType/example.com/TXT/_acme-challenge.a";
const std::string kCreate = kApi + "/dns/create/example.com";
const std::string kDelete = kApi + "/dns/delete/example.com/";

dns::ProviderConfig config() {
  dns::ProviderConfig c;
  c.name = "pb";
  c.type = "porkbun";
  c.options["api-url"] = kApi;
  c.secrets["api-key"] = SecretBytes::from("pk1_abcdef123");
  c.secrets["secret-api-key"] = SecretBytes::from("sk1_987654fed");
  return c;
}

json rec(const std::string& id, const std::string& content) {
  return json{{"id", id}, {"name", "_acme-challenge.a.example.com"}, {"type", "TXT"}, {"content", content},
              {"ttl", "600"}, {"prio", "0"}, {"notes", ""}};
}
std::string records(const json& list) { return json{{"status", "SUCCESS"}, {"records", list}}.dump(); }
const std::string kSuccess = json{{"status", "SUCCESS"}}.dump();

}  // namespace

TEST_CASE("dns porkbun: present creates each missing value, cleanup deletes exactly its values by id", "[dns]") {
  test::FakeProvider f(dns::make_porkbun, config());
  f.http->on("POST", kRead, 200, records(json::array({rec("11", "other")})));
  f.http->on("POST", kRead, 200, records(json::array({rec("11", "other"), rec("12", "v1"), rec("13", "\"v2\"")})));
  f.http->on("POST", kCreate, 200, json{{"status", "SUCCESS"}, {"id", 12}}.dump());
  f.http->on("POST", kCreate, 200, json{{"status", "SUCCESS"}, {"id", 13}}.dump());
  f.http->on("POST", kDelete + "12", 200, kSuccess);
  f.http->on("POST", kDelete + "13", 200, kSuccess);
  std::vector<dns::TxtRecord> recs = {test::txt(kName, "example.com.", "v1"), test::txt(kName, "example.com.", "v2")};
  REQUIRE(f.provider->present(recs).ok());
  REQUIRE(f.provider->present(recs).ok());  // again: both there, nothing created
  REQUIRE(f.provider->cleanup(recs).ok());

  REQUIRE(f.http->requests.size() == 7);
  for (const auto& r : f.http->requests) {
    CHECK(r.method == "POST");
    CHECK(test::header(r, "Content-Type") == std::optional<std::string>("application/json"));
    CHECK_FALSE(test::header(r, "Authorization"));
    const json body = test::body_json(r);
    CHECK(body["apikey"] == "pk1_abcdef123");
    CHECK(body["secretapikey"] == "sk1_987654fed");
  }
  CHECK(test::body_json(f.http->requests[0]) == json({{"apikey", "pk1_abcdef123"}, {"secretapikey", "sk1_987654fed"}}));
  CHECK(test::body_json(f.http->requests[1]) == json({{"apikey", "pk1_abcdef123"}, {"secretapikey", "sk1_987654fed"},
                                                      {"name", "_acme-challenge.a"}, {"type", "TXT"}, {"content", "v1"},
                                                      {"ttl", "600"}}));  // 60 asked for; Porkbun's minimum is 600
  CHECK(test::body_json(f.http->requests[2])["content"] == "v2");
  CHECK(f.http->count("POST", kCreate) == 2);
  CHECK(f.http->count("POST", kDelete + "11") == 0);  // another value stays
  CHECK(f.http->count("POST", kDelete + "12") == 1);
  CHECK(f.http->count("POST", kDelete + "13") == 1);
}

TEST_CASE("dns porkbun: the apex has no subdomain; a TTL above 600 is kept", "[dns]") {
  auto c = config();
  c.ttl = 3600;
  test::FakeProvider f(dns::make_porkbun, c);
  const std::string read = kApi + "/dns/retrieveByNameType/example.com/TXT";
  f.http->on("POST", read, 200, records(json::array()));
  f.http->on("POST", kCreate, 200, json{{"status", "SUCCESS"}, {"id", "77"}}.dump());
  REQUIRE(f.provider->present({test::txt("example.com.", "example.com.", "v")}).ok());
  const json body = test::body_json(f.http->requests.at(1));
  CHECK(body["name"] == "");
  CHECK(body["ttl"] == "3600");
}

TEST_CASE("dns porkbun: cleanup of a record deleted meanwhile, or of nothing, is not an error", "[dns]") {
  test::FakeProvider f(dns::make_porkbun, config());
  f.http->on("POST", kRead, 200, records(json::array({rec("12", "v1")})));
  f.http->on("POST", kRead, 200, records(json::array()));
  f.http->on("POST", kDelete + "12", 400, json{{"status", "ERROR"}, {"message", "Invalid record ID."}}.dump());
  REQUIRE(f.provider->cleanup({test::txt(kName, "example.com.", "v1")}).ok());
  REQUIRE(f.provider->cleanup({test::txt(kName, "example.com.", "v1")}).ok());
  CHECK(f.http->count("POST", kDelete + "12") == 1);

  SECTION("a delete refused while the record stays is an error") {
    test::FakeProvider g(dns::make_porkbun, config());
    g.http->on("POST", kRead, 200, records(json::array({rec("12", "v1")})));
    g.http->on("POST", kDelete + "12", 400, json{{"status", "ERROR"}, {"message", "Something broke."}}.dump());
    auto st = g.provider->cleanup({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == kName);
    CHECK(st.error().message() == "Porkbun API error on POST " + kDelete + "12 (HTTP 400): Something broke.");
  }
}

TEST_CASE("dns porkbun: errors name the API or the domain with Porkbun's message, never the keys", "[dns]") {
  test::FakeProvider f(dns::make_porkbun, config());
  auto present = [&] { return f.provider->present({test::txt(kName, "example.com.", "v1")}); };
  SECTION("keys refused (HTTP 400)") {
    f.http->on("POST", kRead, 400, json{{"status", "ERROR"}, {"message", "Invalid API key. (001)"}}.dump());
    auto st = present();
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == kApi);
    CHECK(st.error().message() == "Porkbun rejected the API key and secret (HTTP 400): Invalid API key. (001)");
    CHECK(st.error().text().find("pk1_abcdef123") == std::string::npos);
    CHECK(st.error().text().find("sk1_987654fed") == std::string::npos);
  }
  SECTION("keys refused (HTTP 403)") {
    f.http->on("POST", kRead, 403, json{{"status", "ERROR"}, {"message", "Authentication failed"}}.dump());
    auto st = present();
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message() == "Porkbun rejected the API key and secret (HTTP 403): Authentication failed");
  }
  SECTION("a domain not in the account") {
    f.http->on("POST", kRead, 400, json{{"status", "ERROR"}, {"message", "Invalid domain."}}.dump());
    auto st = present();
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == "example.com.");
    CHECK(st.error().message() == "Porkbun API error on POST " + kRead +
                                      " (HTTP 400): Invalid domain. (the domain must be in the Porkbun account, with "
                                      "API ACCESS turned on for it)");
  }
  SECTION("a refused create") {
    f.http->on("POST", kRead, 200, records(json::array()));
    f.http->on("POST", kCreate, 400, json{{"status", "ERROR"}, {"message", "Invalid type."}}.dump());
    auto st = present();
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == kName);
    CHECK(st.error().message().find("(HTTP 400): Invalid type.") != std::string::npos);
  }
  SECTION("malformed answers") {
    SECTION("not JSON") { f.http->on("POST", kRead, 200, "<html>maintenance</html>"); }
    SECTION("no records") { f.http->on("POST", kRead, 200, kSuccess); }
    SECTION("a record without an id") {
      f.http->on("POST", kRead, 200, records(json::array({{{"type", "TXT"}, {"content", "x"}}})));
    }
    SECTION("a created record without an id") {
      f.http->on("POST", kRead, 200, records(json::array()));
      f.http->on("POST", kCreate, 200, kSuccess);
    }
    auto st = present();
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().text().find("Porkbun") != std::string::npos);
  }
}

TEST_CASE("dns porkbun: options", "[dns]") {
  auto c = config();
  c.secrets.erase("secret-api-key");
  auto r = dns::make_provider(c);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == Category::Usage);
  CHECK(r.error().message().find("secret-api-key") != std::string::npos);
  c = config();
  c.secrets["api-key"] = SecretBytes::from("pk1_\"quoted\"");
  r = dns::make_provider(c);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == Category::Usage);
  CHECK(r.error().text().find("\"quoted\"") == std::string::npos);
  c = config();
  c.options["secret-api-key"] = "plain";  // a secret given as a plain option
  REQUIRE_FALSE(dns::make_provider(c).ok());
  c = config();
  c.options.erase("api-url");  // defaults to api.porkbun.com
  REQUIRE(dns::make_provider(c).ok());
}
