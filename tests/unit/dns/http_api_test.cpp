// Helpers shared by the HTTP-API DNS providers: TXT quoting, URL pieces, options.
#include <catch2/catch.hpp>

#include "dns/http_api.hpp"
#include "dns/wire.hpp"

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
