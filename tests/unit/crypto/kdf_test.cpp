#include <certctl/crypto.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace certctl;
using namespace certctl::crypto;

namespace {

std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

ScryptParams small(std::string salt) {
  ScryptParams p;
  p.n = 1024;
  p.r = 8;
  p.p = 1;
  p.salt = std::move(salt);
  return p;
}

}  // namespace

TEST_CASE("scrypt is deterministic per salt and passphrase", "[crypto]") {
  SecretBytes pass = SecretBytes::from("vault passphrase");
  auto a = scrypt(pass, small("salt-one-16bytes"));
  auto b = scrypt(pass, small("salt-one-16bytes"));
  auto c = scrypt(pass, small("salt-two-16bytes"));
  auto d = scrypt(SecretBytes::from("other passphrase"), small("salt-one-16bytes"));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(c.ok());
  REQUIRE(d.ok());
  CHECK(a->size() == 32);
  CHECK(constant_time_equal(*a, *b));
  CHECK_FALSE(constant_time_equal(*a, *c));
  CHECK_FALSE(constant_time_equal(*a, *d));

  auto longer = scrypt(pass, small("salt-one-16bytes"), 64);
  REQUIRE(longer.ok());
  CHECK(longer->size() == 64);
}

TEST_CASE("scrypt matches RFC 7914 test vector 2", "[crypto]") {
  ScryptParams p;
  p.n = 1024;
  p.r = 8;
  p.p = 16;
  p.salt = "NaCl";
  auto key = scrypt(SecretBytes::from("password"), p, 64);
  REQUIRE(key.ok());
  CHECK(hex_encode(key->view()) ==
        "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
        "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
}

TEST_CASE("scrypt rejects invalid parameters", "[crypto]") {
  SecretBytes pass = SecretBytes::from("x");
  for (std::uint64_t n : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1000}}) {
    ScryptParams p = small("salt");
    p.n = n;
    auto r = scrypt(pass, p);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().category() == Category::Input);
  }
  ScryptParams zero_r = small("salt");
  zero_r.r = 0;
  CHECK_FALSE(scrypt(pass, zero_r).ok());
}

TEST_CASE("hkdf_sha256 matches RFC 5869 test cases 1 and 3", "[crypto]") {
  SecretBytes ikm = SecretBytes::from(std::string(22, '\x0b'));
  auto okm = hkdf_sha256(ikm, unhex("000102030405060708090a0b0c"), unhex("f0f1f2f3f4f5f6f7f8f9"), 42);
  REQUIRE(okm.ok());
  CHECK(hex_encode(okm->view()) ==
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");

  // Test case 3: no salt, no info.
  auto okm3 = hkdf_sha256(ikm, "", "", 42);
  REQUIRE(okm3.ok());
  CHECK(hex_encode(okm3->view()) ==
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");

  // Different info, different key.
  auto other = hkdf_sha256(ikm, "", "other", 42);
  REQUIRE(other.ok());
  CHECK_FALSE(constant_time_equal(*okm3, *other));
}
