// The route53 provider: SigV4 against AWS's published Signature Version 4 test suite
// (aws-sig-v4-test-suite: credentials AKIDEXAMPLE, 20150830T123600Z, us-east-1, service
// "service"), then the provider against a scripted http::Client: the documented requests
// (ListHostedZonesByName page by page, ListResourceRecordSets, ChangeResourceRecordSets with its
// XML body, GetChange until INSYNC), the credential sources and the error answers.
#include <catch2/catch.hpp>

#include "dns/providers.hpp"
#include "dns/sigv4.hpp"
#include "dns_test_util.hpp"
#include "temp_dir.hpp"

#include <fstream>

using namespace certctl;

namespace {

// ---- SigV4 test suite ----------------------------------------------------------------------------

constexpr std::int64_t kSuiteTime = 1440938160;  // 2015-08-30T12:36:00Z
const std::string kSuiteScope = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n";
const std::string kEmptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

dns::sigv4::Credentials suite_credentials() {
  return {"AKIDEXAMPLE", SecretBytes::from("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), {}};
}

struct Vector {
  std::string method, url;
  std::vector<http::Header> headers;
  std::string body;
  std::string creq, sts_hash, signed_headers, signature;
};

void check_vector(const Vector& v, const dns::sigv4::Credentials& creds) {
  http::Request req{v.method, v.url, v.headers, v.body};
  req.headers.insert(req.headers.begin(), {"Host", "example.amazonaws.com"});
  auto s = dns::sigv4::sign(req, creds, {"us-east-1", "service"}, kSuiteTime);
  REQUIRE(s.ok());
  CHECK(s->canonical_request == v.creq);
  CHECK(s->string_to_sign == kSuiteScope + v.sts_hash);
  CHECK(s->signature == v.signature);
  const std::string authz = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=" +
                            v.signed_headers + ", Signature=" + v.signature;
  CHECK(s->authorization == authz);
  CHECK(test::header(req, "Authorization") == std::optional<std::string>(authz));
  CHECK(test::header(req, "X-Amz-Date") == std::optional<std::string>("20150830T123600Z"));
}

}  // namespace

TEST_CASE("dns route53: SigV4 reproduces AWS's published test suite", "[dns]") {
  const auto creds = suite_credentials();
  SECTION("get-vanilla") {
    check_vector({"GET", "https://example.amazonaws.com/", {}, "",
                  "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + kEmptyHash,
                  "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63", "host;x-amz-date",
                  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
                 creds);
  }
  SECTION("get-vanilla-query-order-key-case") {
    check_vector({"GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1", {}, "",
                  "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                  "host;x-amz-date\n" + kEmptyHash,
                  "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0", "host;x-amz-date",
                  "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
                 creds);
  }
  SECTION("get-vanilla-query-order-value") {
    check_vector({"GET", "https://example.amazonaws.com/?Param1=value2&Param1=value1", {}, "",
                  "GET\n/\nParam1=value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                  "host;x-amz-date\n" + kEmptyHash,
                  "c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606", "host;x-amz-date",
                  "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
                 creds);
  }
  SECTION("get-vanilla-utf8-query and get-utf8") {
    check_vector({"GET", "https://example.amazonaws.com/?\xe1\x88\xb4=bar", {}, "",
                  "GET\n/\n%E1%88%B4=bar\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
                      kEmptyHash,
                  "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073", "host;x-amz-date",
                  "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
                 creds);
    check_vector({"GET", "https://example.amazonaws.com/\xe1\x88\xb4", {}, "",
                  "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
                      kEmptyHash,
                  "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102", "host;x-amz-date",
                  "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
                 creds);
  }
  SECTION("get-header-key-duplicate and get-header-value-trim") {
    check_vector({"GET", "https://example.amazonaws.com/",
                  {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}}, "",
                  "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\n"
                  "host;my-header1;x-amz-date\n" + kEmptyHash,
                  "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c", "host;my-header1;x-amz-date",
                  "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
                 creds);
    check_vector({"GET", "https://example.amazonaws.com/", {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}}, "",
                  "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
                  "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n" + kEmptyHash,
                  "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
                  "host;my-header1;my-header2;x-amz-date",
                  "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
                 creds);
  }
  SECTION("post-vanilla") {
    check_vector({"POST", "https://example.amazonaws.com/", {}, "",
                  "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + kEmptyHash,
                  "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87", "host;x-amz-date",
                  "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
                 creds);
  }
  SECTION("post-x-www-form-urlencoded") {
    // AWS's .creq signs content-type, host and x-amz-date (Content-Length is not signed).
    check_vector({"POST", "https://example.amazonaws.com/", {{"Content-Type", "application/x-www-form-urlencoded"}},
                  "Param1=value1",
                  "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
                  "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
                  "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
                  "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281", "content-type;host;x-amz-date",
                  "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
                 creds);
  }
  SECTION("post-sts-header-before: a session token is sent and signed") {
    const std::string token =
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/"
        "qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+"
        "xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
    auto with_token = suite_credentials();
    with_token.session_token = SecretBytes::from(token);
    check_vector({"POST", "https://example.amazonaws.com/", {}, "",
                  "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:" + token +
                      "\n\nhost;x-amz-date;x-amz-security-token\n" + kEmptyHash,
                  "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
                  "host;x-amz-date;x-amz-security-token",
                  "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
                 with_token);
  }
}

TEST_CASE("dns route53: SigV4 host from the URL, X-Amz-Content-Sha256 on request", "[dns]") {
  http::Request req{"GET", "http://127.0.0.1:8053/2013-04-01/change/C1", {}, ""};
  auto s = dns::sigv4::sign(req, suite_credentials(), {"us-east-1", "route53"}, kSuiteTime, true);
  REQUIRE(s.ok());
  CHECK(s->canonical_request == "GET\n/2013-04-01/change/C1\n\nhost:127.0.0.1:8053\nx-amz-content-sha256:" + kEmptyHash +
                                    "\nx-amz-date:20150830T123600Z\n\nhost;x-amz-content-sha256;x-amz-date\n" + kEmptyHash);
  CHECK(test::header(req, "X-Amz-Content-Sha256") == std::optional<std::string>(kEmptyHash));
  http::Request std_port{"GET", "https://route53.amazonaws.com:443/", {}, ""};
  REQUIRE(dns::sigv4::sign(std_port, suite_credentials(), {"us-east-1", "route53"}, kSuiteTime).ok());
  CHECK(dns::sigv4::amz_date(0) == "19700101T000000Z");
}

// ---- the provider ------------------------------------------------------------------------------

namespace {

const std::string kApi = "https://r53.test";
const std::string kName = "_acme-challenge.a.example.com.";
const std::string kZones = kApi + "/2013-04-01/hostedzonesbyname?dnsname=example.com&maxitems=100";
const std::string kRead = kApi + "/2013-04-01/hostedzone/Z1/rrset?name=" + kName + "&type=TXT&maxitems=1";
const std::string kChange = kApi + "/2013-04-01/hostedzone/Z1/rrset";
const std::string kGetChange = kApi + "/2013-04-01/change/C1";
const std::string kXml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
const std::string kNs = " xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"";

std::string zone_xml(const std::string& id, const std::string& name, bool priv = false) {
  return "<HostedZone><Id>/hostedzone/" + id + "</Id><Name>" + name + "</Name><CallerReference>r</CallerReference>"
         "<Config><PrivateZone>" + (priv ? "true" : "false") + "</PrivateZone></Config>"
         "<ResourceRecordSetCount>3</ResourceRecordSetCount></HostedZone>";
}

std::string zones_xml(const std::string& zones, const std::string& next = "") {
  return kXml + "<ListHostedZonesByNameResponse" + kNs + "><HostedZones>" + zones + "</HostedZones><DNSName>example.com.</DNSName>" +
         (next.empty() ? "<IsTruncated>false</IsTruncated>"
                       : "<IsTruncated>true</IsTruncated><NextDNSName>example.com.</NextDNSName><NextHostedZoneId>" +
                             next + "</NextHostedZoneId>") +
         "<MaxItems>100</MaxItems></ListHostedZonesByNameResponse>";
}

std::string rrset_xml(const std::string& name, const std::vector<std::string>& values, long ttl = 300,
                      const std::string& type = "TXT") {
  std::string rrs;
  for (const auto& v : values) rrs += "<ResourceRecord><Value>" + v + "</Value></ResourceRecord>";
  return kXml + "<ListResourceRecordSetsResponse" + kNs + "><ResourceRecordSets>" +
         (name.empty() ? "" : "<ResourceRecordSet><Name>" + name + "</Name><Type>" + type + "</Type><TTL>" +
                                  std::to_string(ttl) + "</TTL><ResourceRecords>" + rrs +
                                  "</ResourceRecords></ResourceRecordSet>") +
         "</ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>1</MaxItems></ListResourceRecordSetsResponse>";
}

std::string change_xml(const std::string& status, const char* root = "ChangeResourceRecordSetsResponse") {
  return kXml + "<" + root + kNs + "><ChangeInfo><Id>/change/C1</Id><Status>" + status +
         "</Status><SubmittedAt>2015-08-30T12:36:00.000Z</SubmittedAt></ChangeInfo></" + root + ">";
}

std::string error_xml(const std::string& code, const std::string& message) {
  return kXml + "<ErrorResponse" + kNs + "><Error><Type>Sender</Type><Code>" + code + "</Code><Message>" + message +
         "</Message></Error><RequestId>r-1</RequestId></ErrorResponse>";
}

std::string change_set(const char* action, long ttl, const std::vector<std::string>& values) {
  std::string rrs;
  for (const auto& v : values) rrs += "<ResourceRecord><Value>" + v + "</Value></ResourceRecord>";
  return std::string("<Change><Action>") + action + "</Action><ResourceRecordSet><Name>" + kName +
         "</Name><Type>TXT</Type><TTL>" + std::to_string(ttl) + "</TTL><ResourceRecords>" + rrs +
         "</ResourceRecords></ResourceRecordSet></Change>";
}

std::string batch(const std::string& comment, const std::string& changes) {
  return kXml + "<ChangeResourceRecordSetsRequest" + kNs + "><ChangeBatch><Comment>" + comment + "</Comment><Changes>" +
         changes + "</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>";
}

dns::ProviderConfig config() {
  dns::ProviderConfig c;
  c.name = "r53";
  c.type = "route53";
  c.options["api-url"] = kApi;
  c.options["access-key-id"] = "AKIDEXAMPLE";
  c.secrets["secret-access-key"] = SecretBytes::from("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  return c;
}

struct Fixture {
  test::FakeHttp* http = nullptr;
  std::unique_ptr<dns::Provider> provider;
  std::vector<long> sleeps;
  std::map<std::string, std::string> env;

  explicit Fixture(const dns::ProviderConfig& c = config(), bool zones = true) {
    auto fake = std::make_unique<test::FakeHttp>();
    http = fake.get();
    dns::Seams seams;
    seams.now = [] { return kSuiteTime; };
    seams.sleep = [this](std::chrono::milliseconds ms) {
      sleeps.push_back(static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(ms).count()));
    };
    seams.getenv = [this](const std::string& n) -> std::optional<std::string> {
      auto it = env.find(n);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    auto p = dns::make_route53(c, std::move(fake), std::move(seams));
    REQUIRE(p.ok());
    provider = std::move(p).value();
    if (zones) http->on("GET", kZones, 200, zones_xml(zone_xml("Z1", "example.com.") + zone_xml("Z9", "example.net.")));
  }
};

}  // namespace

TEST_CASE("dns route53: present adds to the record set, cleanup removes exactly its values", "[dns]") {
  Fixture f;
  f.http->on("GET", kRead, 200, rrset_xml(kName, {"\"other\""}));
  f.http->on("GET", kRead, 200, rrset_xml(kName, {"\"other\"", "\"v1\"", "\"v2\""}));
  f.http->on("POST", kChange, 200, change_xml("PENDING"));
  f.http->on("POST", kChange, 200, change_xml("INSYNC"));
  f.http->on("GET", kGetChange, 200, change_xml("PENDING", "GetChangeResponse"));
  f.http->on("GET", kGetChange, 200, change_xml("INSYNC", "GetChangeResponse"));
  const std::vector<dns::TxtRecord> recs = {test::txt(kName, "example.com.", "v1"), test::txt(kName, "example.com.", "v2")};
  REQUIRE(f.provider->present(recs).ok());

  REQUIRE(f.http->requests.size() == 5);
  CHECK(f.http->requests[0].url == kZones);
  CHECK(f.http->requests[1].url == kRead);
  const auto& post = f.http->requests[2];
  CHECK(post.method == "POST");
  CHECK(post.body == batch("certctl: dns-01 challenge", change_set("DELETE", 300, {"\"other\""}) +
                                                            change_set("CREATE", 300, {"\"other\"", "\"v1\"", "\"v2\""})));
  CHECK(test::header(post, "Content-Type") == std::optional<std::string>("application/xml"));
  CHECK(f.http->count("GET", kGetChange) == 2);  // PENDING, then INSYNC
  CHECK(f.sleeps == std::vector<long>{2, 2});
  for (const auto& r : f.http->requests) {
    CHECK(test::header(r, "X-Amz-Date") == std::optional<std::string>("20150830T123600Z"));
    CHECK_FALSE(test::header(r, "X-Amz-Security-Token"));
    // The recorded Authorization is the signature of exactly what was sent.
    http::Request again{r.method, r.url, {}, r.body};
    for (const auto& h : r.headers)
      if (h.name != "Authorization" && h.name != "X-Amz-Date") again.headers.push_back(h);
    auto s = dns::sigv4::sign(again, suite_credentials(), {"us-east-1", "route53"}, kSuiteTime);
    REQUIRE(s.ok());
    CHECK(test::header(r, "Authorization") == std::optional<std::string>(s->authorization));
    CHECK(s->authorization.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/route53/aws4_request, "
                                 "SignedHeaders=",
                                 0) == 0);
  }

  // cleanup (in another run: nothing remembered) leaves "other"
  f.http->requests.clear();
  REQUIRE(f.provider->cleanup(recs).ok());
  REQUIRE(f.http->requests.size() == 2);
  CHECK(f.http->requests[1].body ==
        batch("certctl: dns-01 cleanup",
              change_set("DELETE", 300, {"\"other\"", "\"v1\"", "\"v2\""}) + change_set("CREATE", 300, {"\"other\""})));
}

TEST_CASE("dns route53: a new set gets the provider's TTL; the last value removed deletes the set", "[dns]") {
  Fixture f;
  f.http->on("GET", kRead, 200, rrset_xml("_acme-challenge.b.example.com.", {"\"x\""}));  // the next set: none here
  f.http->on("POST", kChange, 200, change_xml("INSYNC"));
  REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
  CHECK(f.http->requests.at(2).body == batch("certctl: dns-01 challenge", change_set("CREATE", 60, {"\"v1\""})));
  CHECK(f.http->count("GET", kGetChange) == 0);  // INSYNC at once

  Fixture g;
  g.http->on("GET", kRead, 200, rrset_xml(kName, {"\"v1\""}, 60));
  g.http->on("POST", kChange, 200, change_xml("INSYNC"));
  REQUIRE(g.provider->cleanup({test::txt(kName, "example.com.", "v1")}).ok());
  CHECK(g.http->requests.at(2).body == batch("certctl: dns-01 cleanup", change_set("DELETE", 60, {"\"v1\""})));

  Fixture h;  // already gone, or a value already there: no change at all
  h.http->on("GET", kRead, 200, rrset_xml("", {}));
  h.http->on("GET", kRead, 200, rrset_xml(kName, {"\"v1\""}));
  REQUIRE(h.provider->cleanup({test::txt(kName, "example.com.", "v1")}).ok());
  REQUIRE(h.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
  CHECK(h.http->count("POST", kChange) == 0);
  CHECK(h.http->count("GET", kZones) == 1);  // the zone is found once per run
}

TEST_CASE("dns route53: hosted zones page by page, private ones skipped unless asked for", "[dns]") {
  const std::string page2 = kApi + "/2013-04-01/hostedzonesbyname?dnsname=example.com.&hostedzoneid=Z2&maxitems=100";
  auto script = [&](Fixture& f) {
    f.http->on("GET", kZones, 200, zones_xml(zone_xml("Z7", "example.com.", true), "/hostedzone/Z2"));
    f.http->on("GET", page2, 200, zones_xml(zone_xml("Z2", "example.com.") + zone_xml("Z3", "a.example.com.")));
  };
  Fixture f(config(), false);
  script(f);
  f.http->on("GET", kApi + "/2013-04-01/hostedzone/Z2/rrset?name=" + kName + "&type=TXT&maxitems=1", 200, rrset_xml("", {}));
  f.http->on("POST", kApi + "/2013-04-01/hostedzone/Z2/rrset", 200, change_xml("INSYNC"));
  REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
  CHECK(f.http->count("GET", page2) == 1);

  auto c = config();
  c.options["private-zone"] = "true";
  Fixture p(c, false);
  script(p);
  p.http->on("GET", kApi + "/2013-04-01/hostedzone/Z7/rrset?name=" + kName + "&type=TXT&maxitems=1", 200, rrset_xml("", {}));
  p.http->on("POST", kApi + "/2013-04-01/hostedzone/Z7/rrset", 200, change_xml("INSYNC"));
  REQUIRE(p.provider->present({test::txt(kName, "example.com.", "v1")}).ok());

  c = config();
  c.options["hosted-zone-id"] = "/hostedzone/Z1";
  Fixture z(c, false);
  z.http->on("GET", kRead, 200, rrset_xml("", {}));
  z.http->on("POST", kChange, 200, change_xml("INSYNC"));
  REQUIRE(z.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
  CHECK(z.http->requests.size() == 2);  // no lookup
}

TEST_CASE("dns route53: a change refused because the set changed is read again and retried", "[dns]") {
  Fixture f;
  f.http->on("GET", kRead, 200, rrset_xml("", {}));
  f.http->on("GET", kRead, 200, rrset_xml(kName, {"\"theirs\""}));
  f.http->on("POST", kChange, 400,
             kXml + "<InvalidChangeBatch" + kNs + "><Messages><Message>Tried to create resource record set [name='" + kName +
                 "', type='TXT'] but it already exists</Message></Messages><RequestId>r</RequestId></InvalidChangeBatch>");
  f.http->on("POST", kChange, 200, change_xml("INSYNC"));
  REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
  CHECK(f.http->count("GET", kRead) == 2);
  CHECK(f.http->requests.back().body == batch("certctl: dns-01 challenge", change_set("DELETE", 300, {"\"theirs\""}) +
                                                                                change_set("CREATE", 300, {"\"theirs\"", "\"v1\""})));
  CHECK(f.sleeps == std::vector<long>{2});

  Fixture busy;
  busy.http->on("GET", kRead, 200, rrset_xml("", {}));
  busy.http->on("POST", kChange, 400, error_xml("PriorRequestNotComplete", "The request was rejected because Route 53 was still processing a prior request."));
  auto st = busy.provider->present({test::txt(kName, "example.com.", "v1")});
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().category() == Category::Dns);
  CHECK(st.error().subject() == kName);
  CHECK(st.error().message().find("refused the change of the TXT set in zone example.com. 5 times") != std::string::npos);
  CHECK(st.error().message().find("PriorRequestNotComplete: The request was rejected") != std::string::npos);
  CHECK(busy.http->count("POST", kChange) == 5);
}

TEST_CASE("dns route53: errors name the API, the zone or the name, with Route 53's code and message", "[dns]") {
  SECTION("a wrong secret key") {
    Fixture f(config(), false);
    f.http->on("GET", kZones, 403,
               error_xml("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."));
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == kApi);
    CHECK(st.error().message() ==
          "Route 53 rejected the AWS credentials (access key AKIDEXAMPLE from the options) (HTTP 403): "
          "SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided.");
    CHECK(st.error().text().find("wJalrXUtnFEMI") == std::string::npos);
  }
  SECTION("no hosted zone of that name") {
    Fixture f(config(), false);
    f.http->on("GET", kZones, 200, zones_xml(zone_xml("Z9", "example.net.")));
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().subject() == "example.com.");
    CHECK(st.error().message().find("no public hosted zone of this name in the Route 53 account") == 0);
  }
  SECTION("a hosted-zone-id Route 53 does not know") {
    auto c = config();
    c.options["hosted-zone-id"] = "ZNOPE";
    Fixture f(c, false);
    f.http->on("GET", kApi + "/2013-04-01/hostedzone/ZNOPE/rrset?name=" + kName + "&type=TXT&maxitems=1", 404,
               error_xml("NoSuchHostedZone", "No hosted zone found with ID: ZNOPE"));
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().message().find("NoSuchHostedZone: No hosted zone found with ID: ZNOPE") != std::string::npos);
  }
  SECTION("an answer that is not XML") {
    Fixture f(config(), false);
    f.http->on("GET", kZones, 200, "<html><body>proxy</body>");
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Dns);
    CHECK(st.error().message().find("without a <ListHostedZonesByNameResponse> document") != std::string::npos);
  }
  SECTION("a change that stays PENDING") {
    Fixture f;
    f.http->on("GET", kRead, 200, rrset_xml("", {}));
    f.http->on("POST", kChange, 200, change_xml("PENDING"));
    f.http->on("GET", kGetChange, 200, change_xml("PENDING", "GetChangeResponse"));
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message().find("Route 53's change C1 was still PENDING after 300 s (certctl waits at most 300 s") == 0);
    CHECK(f.http->count("GET", kGetChange) == 150);
  }
  SECTION("a malformed change id") {
    Fixture f;
    f.http->on("GET", kRead, 200, rrset_xml("", {}));
    f.http->on("POST", kChange, 200,
               kXml + "<ChangeResourceRecordSetsResponse><ChangeInfo><Id>/change/../x</Id><Status>PENDING</Status>"
                      "</ChangeInfo></ChangeResourceRecordSetsResponse>");
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message().find("malformed ChangeInfo Id") != std::string::npos);
  }
}

TEST_CASE("dns route53: credentials from the environment, else the shared credentials file", "[dns]") {
  auto c = config();
  c.options.erase("access-key-id");
  c.secrets.clear();
  SECTION("the environment, with a session token") {
    Fixture f(c);
    f.env = {{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "envsecret"}, {"AWS_SESSION_TOKEN", "tok"}};
    f.http->on("GET", kRead, 200, rrset_xml(kName, {"\"v1\""}));
    REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
    CHECK(test::header(f.http->requests.at(0), "X-Amz-Security-Token") == std::optional<std::string>("tok"));
    CHECK(test::header(f.http->requests.at(0), "Authorization")->find("Credential=AKIDENV/20150830/us-east-1/route53/") !=
          std::string::npos);
  }
  SECTION("half of it in the environment") {
    Fixture f(c);
    f.env = {{"AWS_ACCESS_KEY_ID", "AKIDENV"}};
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Usage);
    CHECK(st.error().message() == "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  }
  SECTION("a profile of the shared credentials file") {
    test::TempDir dir;
    const std::string file = dir.file("credentials");
    std::ofstream(file) << "# comment\n[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = d\n\n"
                           "[work]\r\naws_access_key_id=AKIDWORK\r\naws_secret_access_key = w/secret+key\r\n"
                           "aws_session_token = wtok\r\n";
    Fixture f(c);
    f.env = {{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "work"}};
    f.http->on("GET", kRead, 200, rrset_xml(kName, {"\"v1\""}));
    REQUIRE(f.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
    CHECK(test::header(f.http->requests.at(0), "Authorization")->find("Credential=AKIDWORK/") != std::string::npos);
    CHECK(test::header(f.http->requests.at(0), "X-Amz-Security-Token") == std::optional<std::string>("wtok"));

    auto named = config();  // the option wins over AWS_PROFILE and the environment's keys
    named.options.erase("access-key-id");
    named.secrets.clear();
    named.options["profile"] = "default";
    Fixture g(named);
    g.env = {{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "work"}, {"AWS_ACCESS_KEY_ID", "AKIDENV"},
             {"AWS_SECRET_ACCESS_KEY", "e"}};
    g.http->on("GET", kRead, 200, rrset_xml(kName, {"\"v1\""}));
    REQUIRE(g.provider->present({test::txt(kName, "example.com.", "v1")}).ok());
    CHECK(test::header(g.http->requests.at(0), "Authorization")->find("Credential=AKIDDEFAULT/") != std::string::npos);

    Fixture h(c);
    h.env = {{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "nosuch"}};
    auto st = h.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Usage);
    CHECK(st.error().subject() == file);
    CHECK(st.error().message().find("no profile 'nosuch' in the shared credentials file") == 0);
    CHECK(h.http->requests.empty());
  }
  SECTION("none anywhere: an error at first use, naming where it looked") {
    Fixture f(c);  // building it needs none (dns add)
    f.env = {{"HOME", "/nonexistent-home"}};
    auto st = f.provider->present({test::txt(kName, "example.com.", "v1")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().category() == Category::Usage);
    CHECK(st.error().message().find("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set, and the shared credentials "
                                    "file /nonexistent-home/.aws/credentials cannot be read") != std::string::npos);
  }
}

TEST_CASE("dns route53: options", "[dns]") {
  auto c = config();
  REQUIRE(dns::make_provider(c).ok());
  c.options.erase("api-url");  // defaults to route53.amazonaws.com
  c.options.erase("access-key-id");
  c.secrets.clear();
  REQUIRE(dns::make_provider(c).ok());  // credentials at first use
  auto bad = [](const dns::ProviderConfig& cfg, const std::string& what) {
    auto r = dns::make_provider(cfg);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().category() == Category::Usage);
    CHECK(r.error().message().find(what) != std::string::npos);
  };
  c = config();
  c.secrets.clear();
  bad(c, "give access-key-id and secret-access-key together");
  c = config();
  c.options.erase("access-key-id");
  bad(c, "give access-key-id and secret-access-key together");
  c = config();
  c.options["profile"] = "work";
  bad(c, "either access-key-id/secret-access-key or profile");
  c = config();
  c.options["hosted-zone-id"] = "Z1/../x";
  bad(c, "hosted-zone-id must be a Route 53 zone id");
  c = config();
  c.options["private-zone"] = "yes";
  bad(c, "private-zone must be true or false");
  c = config();
  c.options["secret-access-key"] = "plain";
  bad(c, "is a secret");
}
