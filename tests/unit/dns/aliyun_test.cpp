// The aliyun provider against a scripted http::Client: the RPC signature against Alibaba Cloud's
// documented worked example, the documented requests (DescribeDomains by keyword page by page,
// AddDomainRecord with the RR relative to the zone, DeleteDomainRecord by RecordId,
// DescribeSubDomainRecords page by page), every one a signed GET with the common parameters,
// and the error answers ({"Code", "Message"}).
#include <catch2/catch.hpp>

#include "dns/providers.hpp"
#include "dns/http_api.hpp"
#include "dns_test_util.hpp"

#include <memory>

using namespace certctl;
using nlohmann::json;
using Params = std::map<std::string, std::string>;

namespace {

const std::string kApi = "https://alidns.test";
const std::string kName = "_acme-challenge.a.example.com.";
const std::int64_t kNow = 1764590400;  // 2025-12-01T12:00:00Z
const std::string kStamp = "2025-12-01T12:00:00Z";

dns::ProviderConfig config() {
  dns::ProviderConfig c;
  c.name = "ali";
  c.type = "aliyun";
  c.options["api-url"] = kApi;
  c.options["access-key-id"] = "testid";
  c.secrets["access-key-secret"] = SecretBytes::from("testsecret");
  return c;
}

/// The URL the provider sends for action with params as its n-th request (nonce "nonce-n").
std::string url(const std::string& action, Params p, int n) {
  p["AccessKeyId"] = "testid";
  p["Action"] = action;
  p["Format"] = "JSON";
  p["SignatureMethod"] = "HMAC-SHA1";
  p["SignatureNonce"] = "nonce-" + std::to_string(n);
  p["SignatureVersion"] = "1.0";
  p["Timestamp"] = kStamp;
  p["Version"] = "2015-01-09";
  auto sig = dns::aliyun_signature("testsecret", p);
  REQUIRE(sig.ok());
  std::string q;
  for (const auto& [k, v] : p) q += dns::api::url_encode(k) + "=" + dns::api::url_encode(v) + "&";
  return kApi + "/?" + q + "Signature=" + dns::api::url_encode(sig.value());
}

std::string domains(std::vector<std::string> names, long long total, int page = 1) {
  json list = json::array();
  for (const auto& n : names) list.push_back({{"DomainId", "id-" + n}, {"DomainName", n}, {"PunyCode", n}});
  return json{{"RequestId", "r"}, {"TotalCount", total}, {"PageNumber", page}, {"PageSize", 100},
              {"Domains", {{"Domain", list}}}}
      .dump();
}

Params domains_query(int page) {
  return {{"KeyWord", "example.com"}, {"PageNumber", std::to_string(page)}, {"PageSize", "100"}};
}

Params add_query(const std::string& rr, const std::string& value, const std::string& ttl = "600") {
  return {{"DomainName", "example.com"}, {"RR", rr}, {"Type", "TXT"}, {"Value", value}, {"TTL", ttl}};
}

std::string error(const std::string& code, const std::string& message) {
  return json{{"RequestId", "r"}, {"HostId", "alidns.aliyuncs.com"}, {"Code", code}, {"Message", message},
              {"Recommend", "https://api.aliyun.com/troubleshoot"}}
      .dump();
}

std::string added(const std::string& id) { return json{{"RequestId", "r"}, {"RecordId", id}}.dump(); }

/// A provider over a FakeHttp with the clock pinned and nonces "nonce-1", "nonce-2", ...
struct Fixture {
  test::FakeHttp* http = nullptr;
  std::unique_ptr<dns::Provider> provider;
  std::shared_ptr<int> nonces = std::make_shared<int>(0);
  std::shared_ptr<std::vector<long>> sleeps = std::make_shared<std::vector<long>>();
  explicit Fixture(const dns::ProviderConfig& c = config()) {
    auto fake = std::make_unique<test::FakeHttp>();
    http = fake.get();
    auto n = nonces;
    auto slept = sleeps;
    dns::Seams seams;
    seams.now = [] { return kNow; };
    seams.nonce = [n] { return "nonce-" + std::to_string(++*n); };
    seams.sleep = [slept](std::chrono::milliseconds ms) {
      slept->push_back(std::chrono::duration_cast<std::chrono::seconds>(ms).count());
    };
    auto p = dns::make_aliyun(c, std::move(fake), std::move(seams));
    REQUIRE(p.ok());
    provider = std::move(p).value();
  }
};

}  // namespace

TEST_CASE("dns aliyun: the signature of Alibaba Cloud's documented example", "[dns]") {
  // The RPC signature documentation's example: DescribeRegions with AccessKey ID testid and
  // secret testsecret (HMAC key "testsecret&").
  Params p = {{"AccessKeyId", "testid"},
              {"Action", "DescribeRegions"},
              {"Format", "XML"},
              {"SignatureMethod", "HMAC-SHA1"},
              {"SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
              {"SignatureVersion", "1.0"},
              {"Timestamp", "2016-02-23T12:46:24Z"},
              {"Version", "2014-05-26"}};
  CHECK(dns::aliyun_string_to_sign(p) ==
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1"
        "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0"
        "%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26");
  CHECK(dns::aliyun_signature("testsecret", p).value() == "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
  // The older edition of the same example spells the parameter TimeStamp; it signs to the value
  // the documentation's sample URL carries (Signature=CT9X0VtwR86fNWSnsc6v8YGOjuE%3D).
  p.erase("Timestamp");
  p["TimeStamp"] = "2016-02-23T12:46:24Z";
  CHECK(dns::aliyun_signature("testsecret", p).value() == "CT9X0VtwR86fNWSnsc6v8YGOjuE=");
  // Alibaba's encoding: a space is %20 (not +), * is %2A, ~ stays; names sort case-sensitively.
  CHECK(dns::aliyun_string_to_sign({{"b", "a b*c~/"}, {"B", "+"}}) == "GET&%2F&B%3D%252B%26b%3Da%2520b%252Ac~%252F");
}

TEST_CASE("dns aliyun: present adds one record per value, cleanup deletes those RecordIds", "[dns]") {
  Fixture f;
  f.http->on("GET", url("DescribeDomains", domains_query(1), 1), 200, domains({"example.com"}, 1));
  f.http->on("GET", url("AddDomainRecord", add_query("_acme-challenge.a", "v1"), 2), 200, added("101"));
  f.http->on("GET", url("AddDomainRecord", add_query("_acme-challenge.a", "v 2"), 3), 200, added("102"));
  f.http->on("GET", url("DeleteDomainRecord", {{"RecordId", "101"}}, 4), 200, added("101"));
  f.http->on("GET", url("DeleteDomainRecord", {{"RecordId", "102"}}, 5), 200, added("102"));
  std::vector<dns::TxtRecord> recs = {test::txt(kName, "example.com.", "v1"), test::txt(kName, "example.com.", "v 2")};
  REQUIRE(f.provider->present(recs).ok());
  REQUIRE(f.provider->present(recs).ok());  // again: nothing new
  REQUIRE(f.provider->cleanup(recs).ok());
  REQUIRE(f.http->requests.size() == 5);  // the domain is looked up once
  for (const auto& r : f.http->requests) {
    CHECK(r.method == "GET");
    CHECK(r.body.empty());
    CHECK_FALSE(test::header(r, "Authorization"));
    CHECK(r.url.find("testsecret") == std::string::npos);
  }
  // The query as sent: sorted, Alibaba-encoded, the Signature last.
  CHECK(f.http->requests[2].url.rfind(kApi + "/?AccessKeyId=testid&Action=AddDomainRecord&DomainName=example.com"
                                             "&Format=JSON&RR=_acme-challenge.a&SignatureMethod=HMAC-SHA1"
                                             "&SignatureNonce=nonce-3&SignatureVersion=1.0&TTL=600"
                                             "&Timestamp=2025-12-01T12%3A00%3A00Z&Type=TXT&Value=v%202"
                                             "&Version=2015-01-09&Signature=",
                                      0) == 0);
}

TEST_CASE("dns aliyun: a record at the zone's apex is named @; the TTL is raised to min-ttl", "[dns]") {
  SECTION("apex, default min-ttl 600") {
    Fixture f;
    f.http->on("GET", url("DescribeDomains", domains_query(1), 1), 200, domains({"example.com"}, 1));
    f.http->on("GET", url("AddDomainRecord", add_query("@", "v"), 2), 200, added("7"));
    REQUIRE(f.provider->present({test::txt("example.com.", "example.com.", "v")}).ok());
  }
  SECTION("a paid edition's lower floor") {
    auto c = config();
    c.options["min-ttl"] = "1";
    c.ttl = 120;
    Fixture f(c);
    f.http->on("GET", url("DescribeDomains", domains_query(1), 1), 200, domains({"example.com"}, 1));
    f.http->on("GET", url("AddDomainRecord", add_query("_acme-challenge.a", "v", "120"), 2), 200, added("7"));
    REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v")}).ok());
  }
}

TEST_CASE("dns aliyun: the zone is found by exact name among the keyword's matches, page by page", "[dns]") {
  Fixture f;
  f.http->on("GET", url("DescribeDomains", domains_query(1), 1), 200,
             domains({"a.example.com", "example.com.cn"}, 3, 1));
  f.http->on("GET", url("DescribeDomains", domains_query(2), 2), 200, domains({"Example.COM"}, 3, 2));
  f.http->on("GET", url("AddDomainRecord", {{"DomainName", "Example.COM"}, {"RR", "_acme-challenge.a"}, {"Type", "TXT"},
                                            {"Value", "v"}, {"TTL", "600"}}, 3),
             200, added("9"));
  REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v")}).ok());
  CHECK(f.http->requests.size() == 3);
}

TEST_CASE("dns aliyun: cleanup in another run finds the records by name, page by page", "[dns]") {
  Fixture f;
  auto rec = [](const std::string& id, const std::string& rr, const std::string& value) {
    return json{{"DomainName", "example.com"}, {"RecordId", id}, {"RR", rr}, {"Type", "TXT"}, {"Value", value},
                {"TTL", 600}, {"Line", "default"}, {"Status", "ENABLE"}, {"Locked", false}};
  };
  auto sub = [](int page) {
    return Params{{"SubDomain", "_acme-challenge.a.example.com"}, {"DomainName", "example.com"}, {"Type", "TXT"},
                  {"PageNumber", std::to_string(page)}, {"PageSize", "100"}};
  };
  f.http->on("GET", url("DescribeDomains", domains_query(1), 1), 200, domains({"example.com"}, 1));
  f.http->on("GET", url("DescribeSubDomainRecords", sub(1), 2), 200,
             json{{"RequestId", "r"}, {"TotalCount", 3}, {"PageNumber", 1}, {"PageSize", 2},
                  {"DomainRecords", {{"Record", {rec("1", "_acme-challenge.a", "other"), rec("2", "_acme-challenge.a", "v1")}}}}}
                 .dump());
  f.http->on("GET", url("DescribeSubDomainRecords", sub(2), 3), 200,
             json{{"RequestId", "r"}, {"TotalCount", "3"}, {"PageNumber", 2}, {"PageSize", 2},
                  {"DomainRecords", {{"Record", {rec("3", "_acme-challenge.a", "\"v1\"")}}}}}
                 .dump());
  f.http->on("GET", url("DeleteDomainRecord", {{"RecordId", "2"}}, 4), 200, added("2"));
  f.http->on("GET", url("DeleteDomainRecord", {{"RecordId", "3"}}, 5), 400,
             error("DomainRecordNotBelongToUser", "The DNS record does not belong to the user."));
  REQUIRE(f.provider->cleanup({test::txt(kName, "example.com.", "v1")}).ok());
  REQUIRE(f.http->requests.size() == 5);  // record 1 (another value) is left alone
  CHECK(f.http->count("GET", url("DeleteDomainRecord", {{"RecordId", "3"}}, 5)) == 1);  // gone meanwhile: fine
}

TEST_CASE("dns aliyun: a throttled request is signed afresh and tried again", "[dns]") {
  SECTION("throttled once") {
    Fixture f;
    f.http->on("GET", url("DescribeDomains", domains_query(1), 1), 400,
               error("Throttling.User", "Request was denied due to user flow control."));
    f.http->on("GET", url("DescribeDomains", domains_query(1), 2), 200, domains({"example.com"}, 1));
    f.http->on("GET", url("AddDomainRecord", add_query("_acme-challenge.a", "v"), 3), 200, added("5"));
    REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v")}).ok());
    CHECK(*f.sleeps == std::vector<long>{1});
  }
  SECTION("throttled every time") {
    Fixture f;
    for (int n = 1; n <= 4; ++n)
      f.http->on("GET", url("DescribeDomains", domains_query(1), n), 400,
                 error("Throttling.User", "Request was denied due to user flow control."));
    auto st = f.provider->present({test::txt(kName, "example.com.", "v")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == kApi);
    CHECK(st.error().message() ==
          "Alibaba Cloud DNS's rate limit (Throttling.User, HTTP 400) outlasted certctl's retries: "
          "Request was denied due to user flow control.");
    CHECK(*f.sleeps == std::vector<long>{1, 2, 4});
    CHECK(f.http->requests.size() == 4);
  }
}

TEST_CASE("dns aliyun: errors name the API, the zone or the name, with Alibaba's Code and Message", "[dns]") {
  const auto present = [](Fixture& f) { return f.provider->present({test::txt(kName, "example.com.", "v1")}); };
  SECTION("an AccessKey ID that does not exist") {
    Fixture f;
    f.http->on("GET", url("DescribeDomains", domains_query(1), 1), 404,
               error("InvalidAccessKeyId.NotFound", "Specified access key is not found."));
    auto st = present(f);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == kApi);
    CHECK(st.error().message() ==
          "Alibaba Cloud DNS rejected the AccessKey testid (InvalidAccessKeyId.NotFound, HTTP 404): "
          "Specified access key is not found.");
  }
  SECTION("a wrong secret; Alibaba's message quoting the signature is redacted") {
    Fixture f;
    const std::string sent = url("DescribeDomains", domains_query(1), 1);
    const std::string sig = sent.substr(sent.find("&Signature=") + 11);
    f.http->on("GET", sent, 400, error("SignatureDoesNotMatch", "Specified signature " + sig + " is not matched."));
    auto st = present(f);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().message().find("rejected the AccessKey testid (SignatureDoesNotMatch, HTTP 400)") != std::string::npos);
    CHECK(st.error().text().find(sig) == std::string::npos);
    CHECK(st.error().text().find("testsecret") == std::string::npos);
  }
  SECTION("a RAM user without the permission") {
    Fixture f;
    f.http->on("GET", url("DescribeDomains", domains_query(1), 1), 403, error("Forbidden.RAM", "User not authorized."));
    auto st = present(f);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message().find("rejected the AccessKey testid (Forbidden.RAM, HTTP 403): User not authorized.") !=
          std::string::npos);
  }
  SECTION("a zone the account does not have") {
    Fixture f;
    f.http->on("GET", url("DescribeDomains", domains_query(1), 1), 200, domains({"example.com.cn"}, 1));
    auto st = present(f);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == "example.com.");
    CHECK(st.error().message().find("zone not found among the domains of the Alibaba Cloud DNS account") == 0);
  }
  SECTION("an identical record exists already: not an error") {
    Fixture f;
    f.http->on("GET", url("DescribeDomains", domains_query(1), 1), 200, domains({"example.com"}, 1));
    f.http->on("GET", url("AddDomainRecord", add_query("_acme-challenge.a", "v1"), 2), 400,
               error("DomainRecordDuplicate", "The DNS record already exists."));
    CHECK(present(f).ok());
  }
  SECTION("a TTL below the edition's floor") {
    Fixture f;
    f.http->on("GET", url("DescribeDomains", domains_query(1), 1), 200, domains({"example.com"}, 1));
    f.http->on("GET", url("AddDomainRecord", add_query("_acme-challenge.a", "v1"), 2), 400,
               error("QuotaExceeded.TTL", "The TTL has exceeded the limit of the domain edition."));
    auto st = present(f);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == kName);
    CHECK(st.error().message().find("refused TTL 600") != std::string::npos);
    CHECK(st.error().message().find("min-ttl") != std::string::npos);
  }
  SECTION("another refusal names the action, the Code and the Message") {
    Fixture f;
    f.http->on("GET", url("DescribeDomains", domains_query(1), 1), 200, domains({"example.com"}, 1));
    f.http->on("GET", url("AddDomainRecord", add_query("_acme-challenge.a", "v1"), 2), 400,
               error("SubDomainInvalid.Value", "The value is invalid."));
    auto st = present(f);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().subject() == kName);
    CHECK(st.error().message() ==
          "Alibaba Cloud DNS AddDomainRecord failed (SubDomainInvalid.Value, HTTP 400): The value is invalid.");
  }
  SECTION("an added record without a RecordId") {
    Fixture f;
    f.http->on("GET", url("DescribeDomains", domains_query(1), 1), 200, domains({"example.com"}, 1));
    f.http->on("GET", url("AddDomainRecord", add_query("_acme-challenge.a", "v1"), 2), 200, R"({"RequestId":"r"})");
    auto st = present(f);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message().find("returned no RecordId") != std::string::npos);
  }
  SECTION("answers that are not what the API documents") {
    Fixture f;
    f.http->on("GET", url("DescribeDomains", domains_query(1), 1), 200, "<html>proxy</html>");
    auto st = present(f);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().message().find("without a JSON object") != std::string::npos);
    Fixture g;
    g.http->on("GET", url("DescribeDomains", domains_query(1), 1), 200, R"({"TotalCount":"many","Domains":{}})");
    st = present(g);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message().find("without TotalCount and Domains.Domain[]") != std::string::npos);
  }
  SECTION("an API that cannot be reached: Network, naming the API URL, not the signed URL") {
    Fixture f;  // FakeHttp answers a Network error for a request it has no route for
    auto st = present(f);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Network);
    CHECK(st.error().subject() == kApi);
    CHECK(st.error().text().find("Signature") == std::string::npos);
  }
}

TEST_CASE("dns aliyun: options", "[dns]") {
  auto c = config();
  c.secrets.clear();
  REQUIRE_FALSE(dns::make_provider(c).ok());
  c = config();
  c.options.erase("access-key-id");
  REQUIRE_FALSE(dns::make_provider(c).ok());
  for (const char* bad : {"0", "86401", "six hundred", "600s", "-1"}) {
    c = config();
    c.options["min-ttl"] = bad;
    auto r = dns::make_provider(c);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().category() == Category::Usage);
  }
  c = config();
  c.options["access-key-id"] = "has blank";
  CHECK(dns::make_provider(c).error().category() == Category::Usage);
  c = config();
  c.ttl = 90000;
  CHECK(dns::make_provider(c).error().category() == Category::Usage);
  c = config();
  c.options.erase("api-url");  // defaults to alidns.aliyuncs.com
  REQUIRE(dns::make_provider(c).ok());
  const auto* type = dns::find_type("aliyun");
  REQUIRE(type);
  for (const auto& o : type->options) CHECK(o.secret == (o.name == "access-key-secret"));
}
