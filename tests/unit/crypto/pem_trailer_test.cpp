#include <catch2/catch.hpp>

#include <certctl/crypto.hpp>

#include <string>

using namespace certctl;
using namespace certctl::crypto;

TEST_CASE("PEM files: a little text after the last block passes, more is refused naming the file", "[crypto]") {
  auto key = PrivateKey::generate(KeyType::Ec256);
  REQUIRE(key);
  const std::string pem(key->to_pem().view());
  const std::string small = pem + "\n# a comment\n" + std::string(kMaxPemTrailer - 20, 'j') + "\n\n";
  CHECK(PrivateKey::parse(SecretBytes::from(small), "small.key"));
  const std::string big = pem + std::string(kMaxPemTrailer + 1, 'j');
  auto k = PrivateKey::parse(SecretBytes::from(big), "big.key");
  REQUIRE_FALSE(k);
  CHECK(k.error().category() == Category::Input);
  CHECK(k.error().subject() == "big.key");
  CHECK_THAT(k.error().message(), Catch::Contains("after the last PEM block"));
}
