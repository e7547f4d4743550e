// Helpers shared by the HTTP-API DNS providers: TXT quoting, URL pieces, options.
#include <catch2/catch.hpp>

#include "dns/http_api.hpp"
#include "dns/wire.hpp"
#include "fake_http.hpp"

using namespace certctl;
namespace api = certctl::dns::api;

TEST_CASE("dns http_api: TXT quoting round-trips and joins character-strings", "[dns]") {
  CHECK(api::quote_txt("abc") == "\"abc\"");
  CHECK(api::quote_txt(R"(a"b\c)") == R"("a\"b\\c")");
  CHECK(api::unquote_txt(api::quote_txt(R"(a"b\c)")) == R"(a"b\c)");
  CHECK(api::unquote_txt("\"part one\" \"part two\"") == "part onepart two");
  CHECK(api::unquote_txt("bare") == "bare");
  CHECK(api::unquote_txt("") == "");
}

TEST_CASE("dns http_api: names, URL encoding, base URLs", "[dns]") {
  CHECK(api::with_dot("a.example") == "a.example.");
  CHECK(api::with_dot("a.example.") == "a.example.");
  CHECK(api::without_dot("a.example.") == "a.example");
  CHECK(dns::wire::same_name("A.Example.", "a.example"));
  CHECK_FALSE(dns::wire::same_name("a.example", "b.example"));
  CHECK(api::url_encode("\"a b\"/~-_.") == "%22a%20b%22%2F~-_.");

  dns::ProviderConfig c;
  c.name = "x";
  c.type = "powerdns";
  c.options["api-url"] = "https://h.test/v4//";
  CHECK(*api::base_url(c, "api-url") == "https://h.test/v4");
  c.options["api-url"] = "ftp://h.test";
  auto r = api::base_url(c, "api-url");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == Category::Usage);
  CHECK(r.error().subject() == "dns provider 'x' (powerdns)");
  c.options["api-url"] = "https://h.test/?x=1";
  CHECK_FALSE(api::base_url(c, "api-url").ok());
  c.options.clear();
  CHECK(*api::base_url(c, "api-url", "https://default.test") == "https://default.test");

  c.secrets["k"] = SecretBytes::from("a\nb");
  CHECK_FALSE(api::required_secret(c, "k").ok());
  CHECK_FALSE(api::required_secret(c, "missing").ok());
  c.secrets["k"] = SecretBytes::from("ok");
  CHECK(api::required_secret(c, "k")->view() == "ok");
}

TEST_CASE("dns http_api: a rate limit (429) is waited out as the API asks, a bounded number of times", "[dns]") {
  const std::string url = "https://api.test/records";
  std::vector<long> waits;
  const api::Sleep record = [&waits](std::chrono::milliseconds ms) {
    waits.push_back(static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(ms).count()));
  };
  auto request = [&url] {
    http::Request r;
    r.method = "POST";
    r.url = url;
    r.headers.push_back({"Authorization", "Bearer secret-token"});
    return r;
  };

  SECTION("Retry-After in seconds, then no header (a default wait), then success") {
    test::FakeHttp fake;
    fake.on("POST", url, 429, "slow down", {{"Retry-After", "2"}});
    fake.on("POST", url, 429, "slow down");
    fake.on("POST", url, 201, "{}");
    auto r = api::send(fake, request(), record);
    REQUIRE(r);
    CHECK(r->status == 201);
    CHECK(waits == std::vector<long>{2, api::kRateLimitDefaultWait});
    REQUIRE(fake.requests.size() == 3);
    for (const auto& sent : fake.requests) CHECK(sent.headers.at(0).value == "Bearer secret-token");
  }
  SECTION("a limit that outlasts the retries: the last 429 comes back") {
    test::FakeHttp fake;
    fake.on("POST", url, 429, "slow down", {{"Retry-After", "1"}});
    auto r = api::send(fake, request(), record);
    REQUIRE(r);
    CHECK(r->status == 429);
    CHECK(fake.requests.size() == 1 + api::kRateLimitRetries);
    CHECK(waits.size() == static_cast<std::size_t>(api::kRateLimitRetries));
  }
  SECTION("a Retry-After longer than the longest wait is not waited for") {
    test::FakeHttp fake;
    fake.on("POST", url, 429, "come back tomorrow", {{"Retry-After", "86400"}});
    auto r = api::send(fake, request(), record);
    REQUIRE(r);
    CHECK(r->status == 429);
    CHECK(waits.empty());
    CHECK(fake.requests.size() == 1);
  }
  SECTION("other errors are not retried") {
    test::FakeHttp fake;
    fake.on("POST", url, 503, "down");
    auto r = api::send(fake, request(), record);
    REQUIRE(r);
    CHECK(r->status == 503);
    CHECK(waits.empty());
    CHECK(fake.requests.size() == 1);
  }
}
