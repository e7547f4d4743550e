// The gcloud provider against a scripted http::Client: the JWT grant (a test vector signed with
// Python's cryptography over a fixed key and clock), the access token as Bearer and its renewal,
// the documented Cloud DNS v1 requests (managed zone by dnsName page by page, the TXT set by
// name and type, a change deleting the set exactly as read and adding its new form, polled until
// done, read again after a 412), the error answers and the options.
#include <catch2/catch.hpp>

#include "dns/providers.hpp"
#include "dns_test_util.hpp"

using namespace certctl;
using nlohmann::json;

namespace {

const std::string kKeyPem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQC49u5VXHwSocyB\n"
    "7/yazf76V4zRsSDLlwL+kZbKs4/NFV0B8tkeSlNsiyYN1EXMykR1f0Xi8TvxYW9t\n"
    "PIeDronO02uQs8G7/lKi0YLxwns3dvLeqmRERV7wLDYXBBnU1rth7r8RMKzlWmvV\n"
    "801Bl1LLeh9npOG8Z7pZckuksAXajHUNOfD6hav1k3wBHPLyEDn601BIYaB0HmSk\n"
    "L4a4++tEiDQ83L2ZNajL/2ch6Qa6fYNj/WUcseYfBHRI7GYQC51PTPglfFCaTlrn\n"
    "CdXFbJHiWlTmkJW9dVzy7Fn/j7A5JkwARTi1CYcXv+xqOFqlsesk6N3zn3FCF49q\n"
    "3OhufGqBAgMBAAECggEAJ5Rvm8SWqEYHRSbdnyLFlTx23chRhD9kXKU651VVSEVy\n"
    "CaC15U1yXJ/KHNt3tEL0M1Bw3AdTFGwNNArn1L3cr21+bxCIPHpHpJ/ArYs4Yr4J\n"
    "aqx7mEBf+HT9fh9ah7kLkAFO0Zbg6JNY0AeoWIjRJsmTPtKBm5d2wP08QpmIJyPZ\n"
    "Ad3n6SIOL53qHxyFnQZQgfw6e4xr61KLJsQGUyHyMYhhS5BzPYUrrWNEjZUCLC9B\n"
    "uWbI5ekEJBV5BAjGC3FW1KHYFqW02ktVdLglDean2vomzWWEo4CWiT3rCf2Q1sj4\n"
    "BG/4NYZuJT1N6NQuImyU/83e+XN3fTZdy2P5EAjFoQKBgQD+hqYoXG/MJaaO4HDZ\n"
    "q/MBl02pu5Ao5FSM104lDnWZvYPio9dkUlDCkuWqgzJ/+5WCk7L9H3E7oU/5Lgm+\n"
    "bCIYqbqxD4bIlKZcRMJmVXwzRA0Bqd65d1EucoQOBMIWcV7/TnZrIKx3xiNUHU+o\n"
    "wixSzHnuUg3Wc+82knJzEPbduwKBgQC6CScZ1KqyXVvhpSauo8wR1HeMtLS1MXpI\n"
    "E95eLTitLJLxlJukFYbUpvA6MeNdGpcjRBZgKeeMBcfPfGeCUwUTzGeMlvLWvDJw\n"
    "1SSlgYqfuGffAE2knarJ/vBS2FPmzsFVgQhBk83g0APuNAt4YFUfM7nf3yawjVtn\n"
    "kBiY7L+28wKBgEMQT2+LC5oKwZwb3yA7gkgFCd2TIiTkJLMHd/ujl7DuknWBHhu8\n"
    "5LKf6gvHjeLS8034hMzVIAzKMDxDuSWHcGR3NE26/ZSUNlFRfLdiBturLpIlpB3S\n"
    "Jn3Khqj67/jh3ln+3ozTix30AxMCth6NKwiV//qffC3pVjpW0/klmyZJAoGAenhc\n"
    "DV07ooBjZIDcnkumpHZC3ZZ5AG+6GIk78rPCg/68Hd2/OJ4TTRs5OpZtH3XJ2aWR\n"
    "NW1gyYVkrOsxGVKeHRKLeLpG06bBbhZjMbG+GLfFacFBXAWP0brLaz6OvXuPO0Le\n"
    "tI0hE8bdT4tjobOJVikvTHoTdlcYvWzXRJVXAJECgYBJdd3lidt3i76B7AhoM4m/\n"
    "PVq3xbZ/PiAGVawyGHHCI+TxkxGTy+10GfrTNniG9JHjedo1ggz7GnesDf6NXr1Q\n"
    "6cBb19ImFO/dKgHEbUyQNIo/axgtHYXKd9mysno6HRzDK6Ks0CypQb060QymqFtN\n"
    "XFwdUOvoHvOHyDvJh3AS8Q==\n"
    "-----END PRIVATE KEY-----\n";
/// The assertion for kKeyPem, kid 3f1c0ffee, certctl@proj-1.iam.gserviceaccount.com,
/// aud https://oauth2.test/token, iat 1700000000 (exp + 3600), scope ndev.clouddns.readwrite.
const std::string kJwt =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6IjNmMWMwZmZlZSIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwczovL29hdXRoM"
    "i50ZXN0L3Rva2VuIiwiZXhwIjoxNzAwMDAzNjAwLCJpYXQiOjE3MDAwMDAwMDAsImlzcyI6ImNlcnRjdGxAcHJvai0"
    "xLmlhbS5nc2VydmljZWFjY291bnQuY29tIiwic2NvcGUiOiJodHRwczovL3d3dy5nb29nbGVhcGlzLmNvbS9hdXRoL"
    "25kZXYuY2xvdWRkbnMucmVhZHdyaXRlIn0.qpUqXURilyMZde5748hF_QDStnczBOJIzo2GSvWc3LACHUAllVBYggT"
    "yNFcICic4aIZ4oXC2Erzp57p6gBBh7tQPPo3fqN8uDxo2lWtIzIyaWm77kQjH7BuaW0Z2nI0KPplBSPjio8ygMXIvE"
    "WH2Fd05_BKFzDAFFO4AgetUpwXv2TCU0C287AP5Ec73cbNGseiDjsSXEeITHVo1qGCSiSLEOMX8UTRPiRE7d1nI1pn"
    "qLi2Ure5cwKr9qV6UWlNLLOhlg9XpM-AlvRB5vqgT_mOKDMXzta1XOSH9vgB1DOIZ2YnN5G_vvlEcTiu4Vn2mF8EBL"
    "isvSVxl9H5BsEUykA";

const std::string kTokenUri = "https://oauth2.test/token";
const std::string kApi = "https://dns.test";
const std::string kProject = kApi + "/dns/v1/projects/proj-1";
const std::string kZones = kProject + "/managedZones?dnsName=example.com.";
const std::string kZone = kProject + "/managedZones/example-com";
const std::string kChanges = kZone + "/changes";
const std::string kName = "_acme-challenge.a.example.com.";
const std::string kRrsets = kZone + "/rrsets?name=_acme-challenge.a.example.com.&type=TXT";

json key_json() {
  return {{"type", "service_account"},
          {"project_id", "proj-1"},
          {"private_key_id", "3f1c0ffee"},
          {"private_key", kKeyPem},
          {"client_email", "certctl@proj-1.iam.gserviceaccount.com"},
          {"client_id", "1234567890"},
          {"auth_uri", "https://accounts.google.com/o/oauth2/auth"},
          {"token_uri", kTokenUri}};
}

dns::ProviderConfig config(const json& key = key_json()) {
  dns::ProviderConfig c;
  c.name = "gc";
  c.type = "gcloud";
  c.options["api-url"] = kApi;
  c.secrets["service-account-key"] = SecretBytes::from(key.dump(2));
  return c;
}

std::string token_answer(const std::string& token = "ya29.token-one", long long expires = 3599) {
  return json{{"access_token", token}, {"expires_in", expires}, {"token_type", "Bearer"}}.dump();
}

json zone(const std::string& name, const std::string& dns_name, const std::string& visibility = "public") {
  return {{"kind", "dns#managedZone"}, {"name", name}, {"dnsName", dns_name}, {"id", "42"}, {"visibility", visibility}};
}

json rrset(std::vector<std::string> rrdatas, long long ttl = 300) {
  return {{"kind", "dns#resourceRecordSet"}, {"name", kName}, {"type", "TXT"}, {"ttl", ttl}, {"rrdatas", rrdatas}};
}

std::string rrsets(std::vector<json> sets) { return json{{"kind", "dns#resourceRecordSetsListResponse"}, {"rrsets", sets}}.dump(); }

std::string change(const std::string& id, const std::string& status) {
  return json{{"kind", "dns#change"}, {"id", id}, {"status", status}, {"startTime", "2023-11-14T22:13:20Z"}}.dump();
}

struct Fixture {
  test::FakeHttp* http = nullptr;
  std::unique_ptr<dns::Provider> provider;
  long long now = 1700000000;
  std::vector<std::chrono::milliseconds> waits;

  /// Answers the token endpoint with `tokens` in turn (the last one repeated).
  explicit Fixture(const dns::ProviderConfig& c = config(), bool zones = true,
                   const std::vector<std::pair<long, std::string>>& tokens = {{200, token_answer()}}) {
    auto fake = std::make_unique<test::FakeHttp>();
    http = fake.get();
    auto p = dns::make_gcloud(c, std::move(fake), dns::Seams{[this] { return now; },
                                                           [this](std::chrono::milliseconds ms) { waits.push_back(ms); }});
    REQUIRE(p.ok());
    provider = std::move(p).value();
    for (const auto& [status, body] : tokens) http->on("POST", kTokenUri, status, body);
    if (zones)
      http->on("GET", kZones, 200, json{{"managedZones", {zone("example-com", "example.com.")}}}.dump());
  }
  std::vector<http::Request> posts(const std::string& url) const {
    std::vector<http::Request> out;
    for (const auto& r : http->requests)
      if (r.method == "POST" && r.url == url) out.push_back(r);
    return out;
  }
};

}  // namespace

TEST_CASE("dns gcloud: the JWT grant is the signed test vector; its access token goes out as Bearer", "[dns]") {
  Fixture f(config(), true, {{200, token_answer()}, {200, token_answer("ya29.token-two")}});
  f.http->on("GET", kRrsets, 200, rrsets({}));
  f.http->on("POST", kChanges, 200, change("7", "done"));
  REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1")}).ok());

  REQUIRE(f.http->requests.size() == 4);
  const http::Request grant = f.http->requests[0];  // a copy: more requests follow
  CHECK(grant.method == "POST");
  CHECK(grant.url == kTokenUri);
  CHECK(test::header(grant, "Content-Type") == std::optional<std::string>("application/x-www-form-urlencoded"));
  CHECK_FALSE(test::header(grant, "Authorization"));
  CHECK(grant.body == "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" + kJwt);
  for (std::size_t i = 1; i < f.http->requests.size(); ++i)
    CHECK(test::header(f.http->requests[i], "Authorization") == std::optional<std::string>("Bearer ya29.token-one"));
  CHECK(f.http->count("POST", kTokenUri) == 1);

  SECTION("the token is kept for the run") {
    f.now += 3000;
    REQUIRE(f.provider->cleanup({test::txt(kName, "example.com.", "v1")}).ok());
    CHECK(f.http->count("POST", kTokenUri) == 1);
  }
  SECTION("and renewed a minute before it expires, with a new assertion") {
    f.now += 3599 - 59;
    REQUIRE(f.provider->cleanup({test::txt(kName, "example.com.", "v1")}).ok());
    CHECK(f.http->count("POST", kTokenUri) == 2);
    CHECK(f.posts(kTokenUri).back().body != grant.body);
    CHECK(test::header(f.http->requests.back(), "Authorization") == std::optional<std::string>("Bearer ya29.token-two"));
  }
}

TEST_CASE("dns gcloud: present adds to the one TXT set, deleting it exactly as read; waits for done", "[dns]") {
  Fixture f;
  const json old = rrset({"\"other\""}, 300);
  f.http->on("GET", kRrsets, 200, rrsets({old}));
  f.http->on("POST", kChanges, 200, change("8", "pending"));
  f.http->on("GET", kChanges + "/8", 200, change("8", "pending"));
  f.http->on("GET", kChanges + "/8", 200, change("8", "done"));
  REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1"), test::txt(kName, "example.com.", "v2")}).ok());

  auto posts = f.posts(kChanges);
  REQUIRE(posts.size() == 1);  // both values in one change
  CHECK(test::header(posts[0], "Content-Type") == std::optional<std::string>("application/json"));
  CHECK(test::body_json(posts[0]) ==
        json({{"deletions", {old}},
              {"additions", {{{"name", kName}, {"type", "TXT"}, {"ttl", 300}, {"rrdatas", {"\"other\"", "\"v1\"", "\"v2\""}}}}}}));
  CHECK(f.http->count("GET", kChanges + "/8") == 2);
  CHECK(f.waits == std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(500), std::chrono::milliseconds(500)});

  SECTION("a new set is only added, with the configured TTL") {
    Fixture g;
    g.http->on("GET", kRrsets, 200, json{{"kind", "dns#resourceRecordSetsListResponse"}}.dump());  // no rrsets member
    g.http->on("POST", kChanges, 200, change("9", "done"));
    REQUIRE(g.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
    CHECK(test::body_json(g.posts(kChanges).at(0)) ==
          json({{"additions", {{{"name", kName}, {"type", "TXT"}, {"ttl", 60}, {"rrdatas", {"\"v1\""}}}}}}));
    CHECK(g.waits.empty());
  }
  SECTION("values there already: no change") {
    Fixture g;
    g.http->on("GET", kRrsets, 200, rrsets({rrset({"\"v1\""})}));
    REQUIRE(g.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
    CHECK(g.posts(kChanges).empty());
  }
}

TEST_CASE("dns gcloud: cleanup removes exactly its values, deletes an emptied set, and is repeatable", "[dns]") {
  Fixture f;
  const json three = rrset({"\"other\"", "\"v1\"", "\"v2\""});
  const json one = rrset({"\"v1\""});
  f.http->on("GET", kRrsets, 200, rrsets({three}));
  f.http->on("GET", kRrsets, 200, rrsets({one}));
  f.http->on("GET", kRrsets, 200, rrsets({}));
  f.http->on("POST", kChanges, 200, change("10", "done"));
  REQUIRE(f.provider->cleanup({test::txt(kName, "example.com.", "v1"), test::txt(kName, "example.com.", "v2")}).ok());
  REQUIRE(f.provider->cleanup({test::txt(kName, "example.com.", "v1")}).ok());
  REQUIRE(f.provider->cleanup({test::txt(kName, "example.com.", "v1")}).ok());  // gone: nothing to do
  auto posts = f.posts(kChanges);
  REQUIRE(posts.size() == 2);
  CHECK(test::body_json(posts[0]) ==
        json({{"deletions", {three}},
              {"additions", {{{"name", kName}, {"type", "TXT"}, {"ttl", 300}, {"rrdatas", {"\"other\""}}}}}}));
  CHECK(test::body_json(posts[1]) == json({{"deletions", {one}}}));
  CHECK(f.http->count("GET", kZones) == 1);  // the zone is looked up once
}

TEST_CASE("dns gcloud: a change refused as conflicting (412, 409) is made again from a new reading", "[dns]") {
  Fixture f;
  f.http->on("GET", kRrsets, 200, rrsets({}));
  f.http->on("GET", kRrsets, 200, rrsets({rrset({"\"theirs\""})}));
  f.http->on("POST", kChanges, 409,
             json{{"error", {{"code", 409}, {"message", "The resource 'entity.change.additions[0]' named '" + kName +
                                                              " (TXT)' already exists"}, {"status", "ALREADY_EXISTS"}}}}.dump());
  f.http->on("POST", kChanges, 200, change("11", "done"));
  REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
  auto posts = f.posts(kChanges);
  REQUIRE(posts.size() == 2);
  CHECK(test::body_json(posts[1])["additions"][0]["rrdatas"] == json({"\"theirs\"", "\"v1\""}));

  SECTION("but not forever") {
    Fixture g;
    g.http->on("GET", kRrsets, 200, rrsets({}));
    g.http->on("POST", kChanges, 412,
               json{{"error", {{"code", 412}, {"message", "Precondition not met for 'entity.change.deletions[0]'"},
                               {"status", "FAILED_PRECONDITION"}}}}.dump());
    auto st = g.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == kName);
    CHECK(st.error().message().find("kept refusing the change as conflicting") != std::string::npos);
    CHECK(g.posts(kChanges).size() == 6);
  }
}

TEST_CASE("dns gcloud: the managed zone is found by dnsName page by page, a public one first", "[dns]") {
  Fixture f(config(), false);
  f.http->on("GET", kZones, 200,
             json{{"managedZones", {zone("example-com-internal", "example.com.", "private"),
                                    zone("sub", "sub.example.com.")}},
                  {"nextPageToken", "page 2/x"}}.dump());
  f.http->on("GET", kZones + "&pageToken=page%202%2Fx", 200,
             json{{"managedZones", {zone("example-com", "EXAMPLE.com.")}}}.dump());
  f.http->on("GET", kRrsets, 200, rrsets({}));
  f.http->on("POST", kChanges, 200, change("12", "done"));
  REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
  CHECK(f.http->count("POST", kChanges) == 1);  // in example-com, not the private zone

  SECTION("the TXT set is read page by page too") {
    Fixture g;
    g.http->on("GET", kRrsets, 200, json{{"rrsets", json::array()}, {"nextPageToken", "p2"}}.dump());
    g.http->on("GET", kRrsets + "&pageToken=p2", 200, rrsets({rrset({"\"v1\""})}));
    REQUIRE(g.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
    CHECK(g.http->count("GET", kRrsets + "&pageToken=p2") == 1);
    CHECK(g.posts(kChanges).empty());
  }
  SECTION("only a private zone: it is used") {
    Fixture g(config(), false);
    g.http->on("GET", kZones, 200, json{{"managedZones", {zone("example-com", "example.com.", "private")}}}.dump());
    g.http->on("GET", kRrsets, 200, rrsets({}));
    g.http->on("POST", kChanges, 200, change("13", "done"));
    REQUIRE(g.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
  }
}

TEST_CASE("dns gcloud: errors name the token endpoint, the API, the zone or the name, with what Google said", "[dns]") {
  SECTION("the token endpoint refuses the grant") {
    Fixture f(config(), true,
              {{400, json{{"error", "invalid_grant"}, {"error_description", "Invalid JWT Signature."}}.dump()}});
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == kTokenUri);
    CHECK(st.error().message() ==
          "Google's token endpoint rejected the service account key (HTTP 400): invalid_grant: \"Invalid JWT Signature.\"");
    CHECK(st.error().text().find(kJwt.substr(0, 60)) == std::string::npos);
    CHECK(f.http->requests.size() == 1);
  }
  SECTION("the token endpoint answers without a token") {
    Fixture f(config(), true, {{200, json{{"token_type", "Bearer"}}.dump()}});
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message().find("without a usable access_token") != std::string::npos);
  }
  SECTION("the service account may not use the project") {
    Fixture f(config(), false);
    f.http->on("GET", kZones, 403,
               json{{"error", {{"code", 403}, {"message", "Forbidden"}, {"status", "PERMISSION_DENIED"},
                               {"errors", {{{"reason", "forbidden"}, {"domain", "global"}}}}}}}.dump());
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == kApi);
    CHECK(st.error().message() == "Google Cloud DNS rejected the service account key (HTTP 403): PERMISSION_DENIED: Forbidden");
    CHECK(st.error().text().find("ya29.token-one") == std::string::npos);
  }
  SECTION("no managed zone for the zone") {
    Fixture f(config(), false);
    f.http->on("GET", kZones, 200, json{{"managedZones", json::array()}}.dump());
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == "example.com.");
    CHECK(st.error().message().find("zone not found in Google Cloud project 'proj-1'") == 0);
  }
  SECTION("no such project") {
    Fixture f(config(), false);
    f.http->on("GET", kZones, 404, json{{"error", {{"code", 404}, {"message", "The requested project was not found."}}}}.dump());
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().message().find("knows no project 'proj-1'") != std::string::npos);
  }
  SECTION("a refused change") {
    Fixture f;
    f.http->on("GET", kRrsets, 200, rrsets({}));
    f.http->on("POST", kChanges, 400,
               json{{"error", {{"code", 400}, {"message", "Invalid value for 'entity.change.additions[0].rrdata[0]'"},
                               {"status", "INVALID_ARGUMENT"}}}}.dump());
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == kName);
    CHECK(st.error().message().find("(HTTP 400): INVALID_ARGUMENT: Invalid value") != std::string::npos);
  }
  SECTION("answers that are not what the API documents") {
    Fixture f;
    SECTION("not JSON") { f.http->on("GET", kRrsets, 200, "<html>proxy</html>"); }
    SECTION("rrsets not a list") { f.http->on("GET", kRrsets, 200, json{{"rrsets", "x"}}.dump()); }
    SECTION("a set without rrdatas") {
      f.http->on("GET", kRrsets, 200, json{{"rrsets", {{{"name", kName}, {"type", "TXT"}}}}}.dump());
    }
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(f.posts(kChanges).empty());
  }
  SECTION("a change that stays pending, or has no known status") {
    Fixture f;
    f.http->on("GET", kRrsets, 200, rrsets({}));
    SECTION("pending") {
      f.http->on("POST", kChanges, 200, change("14", "pending"));
      f.http->on("GET", kChanges + "/14", 200, change("14", "pending"));
      auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
      REQUIRE_FALSE(st.ok());
      CHECK(st.error().message().find("change 14 still pending after 120 s") != std::string::npos);
      CHECK(f.waits.size() == 240);
    }
    SECTION("unknown") {
      f.http->on("POST", kChanges, 200, json{{"id", "15"}}.dump());
      auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
      REQUIRE_FALSE(st.ok());
      CHECK(st.error().message().find("with status ''") != std::string::npos);
    }
  }
}

TEST_CASE("dns gcloud: options", "[dns]") {
  auto fails = [](const dns::ProviderConfig& c, const std::string& what) {
    auto r = dns::make_provider(c);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().category() == Category::Usage);
    CHECK(r.error().message().find(what) != std::string::npos);
    CHECK(r.error().text().find("PRIVATE KEY") == std::string::npos);
  };
  REQUIRE(dns::make_provider(config()).ok());
  auto c = config();
  c.options.erase("api-url");  // dns.googleapis.com
  c.options["project"] = "other-project";
  REQUIRE(dns::make_provider(c).ok());

  c = config();
  c.secrets.clear();
  fails(c, "service-account-key");
  c = config();
  c.options["service-account-key"] = "x";
  fails(c, "is a secret");
  c.options.clear();
  c.secrets["service-account-key"] = SecretBytes::from("not json");
  fails(c, "is not a JSON object");
  json k = key_json();
  k["type"] = "authorized_user";
  fails(config(k), "not service_account");
  k = key_json();
  k.erase("client_email");
  fails(config(k), "has no client_email");
  k = key_json();
  k["private_key"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  fails(config(k), "private_key");
  k = key_json();
  k["token_uri"] = "http://oauth2.test/token";
  fails(config(k), "token_uri");
  k["token_uri"] = "http://127.0.0.1:8080/token";  // a loopback test endpoint
  REQUIRE(dns::make_provider(config(k)).ok());
  k["token_uri"] = "http://127.0.0.1@evil.test/token";
  fails(config(k), "token_uri");
  k = key_json();
  k.erase("project_id");
  fails(config(k), "option project is required");
  c = config(k);
  c.options["project"] = "proj/../x";
  fails(c, "not a Google Cloud project id");
  c.options["project"] = "example.com:proj-2";
  REQUIRE(dns::make_provider(c).ok());
}
