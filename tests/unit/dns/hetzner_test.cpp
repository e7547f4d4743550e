// The hetzner provider against a scripted http::Client: the documented Cloud API requests (zone
// check, RRSet read, add_records / remove_records actions polled until done, "@" at the apex,
// quoted TXT values) and the error answers.
#include <catch2/catch.hpp>

#include "dns/providers.hpp"
#include "dns_test_util.hpp"

using namespace certctl;
using nlohmann::json;

namespace {

const std::string kApi = "https://hz.test/v1";
const std::string kName = "_acme-challenge.a.example.com.";
const std::string kZone = kApi + "/zones/example.com";
const std::string kRrset = kZone + "/rrsets/_acme-challenge.a/TXT";
const std::string kAdd = kRrset + "/actions/add_records";
const std::string kRemove = kRrset + "/actions/remove_records";

dns::ProviderConfig config() {
  dns::ProviderConfig c;
  c.name = "hz";
  c.type = "hetzner";
  c.options["api-url"] = kApi;
  c.secrets["api-token"] = SecretBytes::from("hz-secret-token");
  return c;
}

std::string action(long long id, const std::string& status, const std::string& command = "add_rrset_records") {
  json err = nullptr;
  if (status == "error") err = {{"code", "action_failed"}, {"message", "Action failed"}};
  return json{{"action", {{"id", id}, {"command", command}, {"status", status}, {"progress", status == "running" ? 0 : 100},
                          {"started", "2026-12-01T12:00:00Z"}, {"finished", nullptr},
                          {"resources", {{{"id", 42}, {"type", "zone"}}}}, {"error", err}}}}
      .dump();
}

std::string rrset(std::vector<std::string> values, int ttl = 60) {
  json recs = json::array();
  for (const auto& v : values) recs.push_back({{"value", v}, {"comment", ""}});
  return json{{"rrset", {{"id", "_acme-challenge.a/TXT"}, {"name", "_acme-challenge.a"}, {"type", "TXT"}, {"ttl", ttl},
                         {"labels", json::object()}, {"protection", {{"change", false}}}, {"records", recs}, {"zone", 42}}}}
      .dump();
}

const std::string kNoRrset = json{{"error", {{"code", "not_found"}, {"message", "rrset not found"}, {"details", nullptr}}}}.dump();

struct Fixture {
  test::FakeHttp* http = nullptr;
  std::unique_ptr<dns::Provider> provider;
  std::vector<std::chrono::seconds> slept;
  explicit Fixture(const dns::ProviderConfig& c = config(), bool zone = true) {
    auto fake = std::make_unique<test::FakeHttp>();
    http = fake.get();
    auto p = dns::make_hetzner(c, std::move(fake), dns::Seams{{}, [this](std::chrono::milliseconds ms) {
      slept.push_back(std::chrono::duration_cast<std::chrono::seconds>(ms));
    }});
    REQUIRE(p.ok());
    provider = std::move(p).value();
    if (zone)
      http->on("GET", kZone, 200, json{{"zone", {{"id", 42}, {"name", "example.com"}, {"mode", "primary"}, {"ttl", 3600}}}}.dump());
  }
};

}  // namespace

TEST_CASE("dns hetzner: present adds the missing quoted values in one action, polled until it succeeds", "[dns]") {
  Fixture f;
  f.http->on("GET", kRrset, 404, kNoRrset);
  f.http->on("POST", kAdd, 201, action(7, "running"));
  f.http->on("GET", kApi + "/actions/7", 200, action(7, "running"));
  f.http->on("GET", kApi + "/actions/7", 200, action(7, "success"));
  REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1"), test::txt(kName, "example.com.", "v2")}).ok());

  REQUIRE(f.http->requests.size() == 5);
  for (const auto& r : f.http->requests) {
    CHECK(test::header(r, "Authorization") == std::optional<std::string>("Bearer hz-secret-token"));
    CHECK(test::header(r, "Content-Type") ==
          (r.method == "POST" ? std::optional<std::string>("application/json") : std::nullopt));
  }
  CHECK(f.http->requests[0].url == kZone);
  CHECK(f.http->requests[1].url == kRrset);
  CHECK(f.http->requests[2].url == kAdd);
  CHECK(test::body_json(f.http->requests[2]) ==
        json({{"ttl", 60}, {"records", {{{"value", "\"v1\""}}, {{"value", "\"v2\""}}}}}));
  CHECK(f.http->count("GET", kApi + "/actions/7") == 2);
  CHECK(f.slept == std::vector<std::chrono::seconds>{std::chrono::seconds(1), std::chrono::seconds(1)});
}

TEST_CASE("dns hetzner: present leaves others' values, skips its own, and keeps an RRSet's TTL", "[dns]") {
  Fixture f;
  f.http->on("GET", kRrset, 200, rrset({"\"other\"", "\"v1\""}, 300));
  f.http->on("POST", kAdd, 201, action(8, "success"));
  REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1"), test::txt(kName, "example.com.", "v2")}).ok());
  REQUIRE(f.http->count("POST", kAdd) == 1);
  CHECK(test::body_json(f.http->requests.back()) == json({{"records", {{{"value", "\"v2\""}}}}}));
  CHECK(f.slept.empty());

  Fixture g;  // every value there already: nothing to add
  g.http->on("GET", kRrset, 200, rrset({"\"v1\""}));
  REQUIRE(g.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
  CHECK(g.http->count("POST", kAdd) == 0);
}

TEST_CASE("dns hetzner: a record at the zone's apex is named @", "[dns]") {
  Fixture f;
  f.http->on("GET", kZone + "/rrsets/@/TXT", 404, kNoRrset);
  f.http->on("POST", kZone + "/rrsets/@/TXT/actions/add_records", 201, action(9, "success"));
  REQUIRE(f.provider->present({test::txt("example.com.", "example.com.", "v")}).ok());
  CHECK(f.http->count("POST", kZone + "/rrsets/@/TXT/actions/add_records") == 1);
}

TEST_CASE("dns hetzner: cleanup removes exactly its values as the RRSet holds them; again is fine", "[dns]") {
  Fixture f;
  f.http->on("GET", kRrset, 200, rrset({"\"other\"", "\"v1\"", "\"v2\""}));
  f.http->on("GET", kRrset, 404, kNoRrset);
  f.http->on("POST", kRemove, 201, action(11, "running", "remove_rrset_records"));
  f.http->on("GET", kApi + "/actions/11", 200, action(11, "success", "remove_rrset_records"));
  std::vector<dns::TxtRecord> recs = {test::txt(kName, "example.com.", "v1"), test::txt(kName, "example.com.", "v2")};
  REQUIRE(f.provider->cleanup(recs).ok());
  REQUIRE(f.http->count("POST", kRemove) == 1);
  for (const auto& r : f.http->requests)
    if (r.url == kRemove) CHECK(test::body_json(r) == json({{"records", {{{"value", "\"v1\""}}, {{"value", "\"v2\""}}}}}));
  REQUIRE(f.provider->cleanup(recs).ok());  // the RRSet is gone now: nothing to do
  CHECK(f.http->count("POST", kRemove) == 1);
  CHECK(f.http->count("GET", kZone) == 1);  // the zone is checked once

  Fixture g;  // removed meanwhile by another run
  g.http->on("GET", kRrset, 200, rrset({"\"v1\""}));
  g.http->on("POST", kRemove, 404, kNoRrset);
  REQUIRE(g.provider->cleanup({test::txt(kName, "example.com.", "v1")}).ok());
}

TEST_CASE("dns hetzner: errors name the API, the zone or the name, with Hetzner's message", "[dns]") {
  SECTION("a bad token") {
    Fixture f(config(), false);
    f.http->on("GET", kZone, 401, json{{"error", {{"code", "unauthorized"}, {"message", "unable to authenticate"}}}}.dump());
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == kApi);
    CHECK(st.error().message() == "Hetzner rejected the API token (HTTP 401): unable to authenticate (unauthorized)");
    CHECK(st.error().text().find("hz-secret-token") == std::string::npos);
  }
  SECTION("no such zone") {
    Fixture f(config(), false);
    f.http->on("GET", kZone, 404, json{{"error", {{"code", "not_found"}, {"message", "zone not found"}}}}.dump());
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == "example.com.");
    CHECK(st.error().message().find("zone not found in the Hetzner project") == 0);
  }
  SECTION("a refused action") {
    Fixture f;
    f.http->on("GET", kRrset, 404, kNoRrset);
    f.http->on("POST", kAdd, 422, json{{"error", {{"code", "incorrect_zone_mode"}, {"message", "not supported for this zone's mode"}}}}.dump());
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == kName);
    CHECK(st.error().message().find("(HTTP 422): not supported for this zone's mode (incorrect_zone_mode)") != std::string::npos);
  }
  SECTION("an action that fails") {
    Fixture f;
    f.http->on("GET", kRrset, 404, kNoRrset);
    f.http->on("POST", kAdd, 201, action(5, "running"));
    f.http->on("GET", kApi + "/actions/5", 200, action(5, "error"));
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == kName);
    CHECK(st.error().message() == "Hetzner action 5 (add_rrset_records) failed: Action failed (action_failed)");
  }
  SECTION("an action that never ends: bounded") {
    Fixture f;
    f.http->on("GET", kRrset, 404, kNoRrset);
    f.http->on("POST", kAdd, 201, action(6, "running"));
    f.http->on("GET", kApi + "/actions/6", 200, action(6, "running"));
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message().find("still running after 60 seconds") != std::string::npos);
    CHECK(f.slept.size() == 60);
  }
  SECTION("an answer that is not JSON, or without what it must hold") {
    Fixture f;
    f.http->on("GET", kRrset, 200, "<html>proxy</html>");
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message().find("without a JSON object") != std::string::npos);
    Fixture g;
    g.http->on("GET", kRrset, 200, json{{"rrset", {{"records", "x"}}}}.dump());
    st = g.provider->cleanup({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message() == "Hetzner answered without rrset.records[]");
    Fixture h;
    h.http->on("GET", kRrset, 404, kNoRrset);
    h.http->on("POST", kAdd, 201, json{{"action", {{"status", "success"}}}}.dump());
    st = h.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message() == "Hetzner answered without action.id");
  }
  SECTION("a rate limit is waited out") {
    Fixture f;
    f.http->on("GET", kRrset, 429, json{{"error", {{"code", "rate_limit_exceeded"}, {"message", "limit"}}}}.dump(),
               {{"Retry-After", "2"}});
    f.http->on("GET", kRrset, 200, rrset({"\"v1\""}));
    REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
    CHECK(f.slept == std::vector<std::chrono::seconds>{std::chrono::seconds(2)});
  }
}

TEST_CASE("dns hetzner: options", "[dns]") {
  auto c = config();
  c.secrets.clear();
  REQUIRE_FALSE(dns::make_provider(c).ok());
  c = config();
  c.options["api-url"] = "ftp://x";
  auto r = dns::make_provider(c);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == Category::Usage);
  c = config();
  c.options.erase("api-url");  // defaults to api.hetzner.cloud/v1
  REQUIRE(dns::make_provider(c).ok());
  const auto* t = dns::find_type("hetzner");
  REQUIRE(t);
  REQUIRE(t->options.size() == 2);
  CHECK((t->options[0].name == "api-token" && t->options[0].secret && t->options[0].required));
  CHECK((t->options[1].name == "api-url" && !t->options[1].secret));
}
