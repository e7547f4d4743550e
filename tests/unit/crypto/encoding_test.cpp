#include <certctl/crypto.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace certctl;
using namespace certctl::crypto;

TEST_CASE("base64url matches the RFC 7515 examples", "[crypto]") {
  // RFC 7515 section 3.3: the JWS Protected Header and Payload, CRLFs included.
  std::string header = "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
  CHECK(base64url_encode(header) == "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9");
  std::string payload = "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
  CHECK(base64url_encode(payload) ==
        "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ");
  // RFC 7515 appendix C: octets 3, 236, 255, 224, 193 (exercises '-' and '_', no padding).
  std::string octets{'\x03', '\xEC', '\xFF', '\xE0', '\xC1'};
  CHECK(base64url_encode(octets) == "A-z_4ME");

  auto back = base64url_decode("A-z_4ME", "test");
  REQUIRE(back.ok());
  CHECK(*back == octets);
  auto header_back = base64url_decode("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9", "test");
  REQUIRE(header_back.ok());
  CHECK(*header_back == header);
}

TEST_CASE("base64url rejects the standard alphabet and junk", "[crypto]") {
  for (const char* bad : {"A+z/4ME", "A-z_4M E", "A", "ab$d"}) {
    auto r = base64url_decode(bad, "jws.payload");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().category() == Category::Input);
    CHECK(r.error().subject() == "jws.payload");
  }
}

TEST_CASE("base64 follows the RFC 4648 test vectors", "[crypto]") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    CHECK(base64_encode(plain) == encoded);
    auto back = base64_decode(encoded, "test");
    REQUIRE(back.ok());
    CHECK(*back == plain);
  }
  // Binary data with bytes that map to '+' and '/'.
  std::string bin{'\xFB', '\xFF', '\xBF'};
  CHECK(base64_encode(bin) == "+/+/");
  CHECK(base64url_encode(bin) == "-_-_");
}

TEST_CASE("base64 decoding skips line breaks but rejects bad padding", "[crypto]") {
  auto wrapped = base64_decode("Zm9v\nYmFy\r\n", "test");
  REQUIRE(wrapped.ok());
  CHECK(*wrapped == "foobar");
  auto unpadded = base64_decode("Zm8", "test");
  REQUIRE(unpadded.ok());
  CHECK(*unpadded == "fo");

  for (const char* bad : {"Zm9v=YmFy", "Zg===", "Z", "Zm9v!"}) {
    auto r = base64_decode(bad, "cert.b64");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().category() == Category::Input);
    CHECK(r.error().subject() == "cert.b64");
    CHECK(r.error().message() == "invalid base64");
  }
}

TEST_CASE("sha256 of the FIPS 180-2 examples", "[crypto]") {
  CHECK(sha256("abc").size() == 32);
  CHECK(hex_encode(sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex_encode(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hex_encode(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("sha1 of the FIPS 180-2 examples", "[crypto]") {
  CHECK(hex_encode(sha1("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(hex_encode(sha1("")) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

TEST_CASE("hmac_sha1 and hmac_sha256 of RFC 2202 / RFC 4231 test case 2", "[crypto]") {
  auto h1 = hmac_sha1("Jefe", "what do ya want for nothing?");
  REQUIRE(h1.ok());
  CHECK(hex_encode(*h1) == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  auto h256 = hmac_sha256("Jefe", "what do ya want for nothing?");
  REQUIRE(h256.ok());
  CHECK(hex_encode(*h256) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("hex_encode formats", "[crypto]") {
  std::string data{'\x00', '\x0f', '\xab', '\xff'};
  CHECK(hex_encode(data) == "000fabff");
  CHECK(hex_encode(data, false, true) == "000FABFF");
  CHECK(hex_encode(data, true, true) == "00:0F:AB:FF");
  CHECK(hex_encode(data, true, false) == "00:0f:ab:ff");
  CHECK(hex_encode("") == "");
  CHECK(hex_encode("\x7f", true, true) == "7F");
}
