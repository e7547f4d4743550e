#include <certctl/crypto.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace certctl;
using namespace certctl::crypto;

namespace {
constexpr const char* kAuthFailed = "cannot decrypt: wrong passphrase or key, or the file was altered";
}

TEST_CASE("aead_seal and aead_open round-trip", "[crypto]") {
  SecretBytes key = random_secret(32);
  std::string plain = "-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n";
  auto sealed = aead_seal(key, plain, "certctl vault v1");
  REQUIRE(sealed.ok());
  CHECK(sealed->size() == 12 + plain.size() + 16);
  CHECK(sealed->find("secret") == std::string::npos);

  auto opened = aead_open(key, *sealed, "certctl vault v1", "keys/a.key");
  REQUIRE(opened.ok());
  CHECK(opened->view() == plain);

  // Fresh nonce every time.
  auto again = aead_seal(key, plain, "certctl vault v1");
  REQUIRE(again.ok());
  CHECK(again->substr(0, 12) != sealed->substr(0, 12));
  CHECK(*again != *sealed);

  auto empty = aead_seal(key, "", "");
  REQUIRE(empty.ok());
  CHECK(empty->size() == 28);
  auto empty_open = aead_open(key, *empty, "", "e");
  REQUIRE(empty_open.ok());
  CHECK(empty_open->empty());
}

TEST_CASE("aead_open fails with a Vault error on any mismatch", "[crypto]") {
  SecretBytes key = random_secret(32);
  auto sealed = aead_seal(key, "attack at dawn", "aad-1");
  REQUIRE(sealed.ok());

  auto expect_auth_failure = [](const Result<SecretBytes>& r) {
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().category() == Category::Vault);
    CHECK(r.error().subject() == "vault.key");
    CHECK(r.error().message() == kAuthFailed);
  };

  expect_auth_failure(aead_open(random_secret(32), *sealed, "aad-1", "vault.key"));
  expect_auth_failure(aead_open(key, *sealed, "aad-2", "vault.key"));
  expect_auth_failure(aead_open(key, *sealed, "", "vault.key"));
  // Flip one bit in the nonce, the ciphertext and the tag in turn.
  for (std::size_t pos : {std::size_t{0}, std::size_t{12}, sealed->size() - 1}) {
    INFO(pos);
    std::string altered = *sealed;
    altered[pos] = static_cast<char>(altered[pos] ^ 0x01);
    expect_auth_failure(aead_open(key, altered, "aad-1", "vault.key"));
  }

  auto truncated = aead_open(key, sealed->substr(0, 20), "aad-1", "vault.key");
  REQUIRE_FALSE(truncated.ok());
  CHECK(truncated.error().category() == Category::Vault);
}

TEST_CASE("aead rejects keys that are not 32 bytes", "[crypto]") {
  auto seal = aead_seal(random_secret(31), "x", "");
  REQUIRE_FALSE(seal.ok());
  CHECK(seal.error().category() == Category::Internal);
  SecretBytes key = random_secret(32);
  auto sealed = aead_seal(key, "x", "");
  REQUIRE(sealed.ok());
  auto open = aead_open(random_secret(16), *sealed, "", "v");
  REQUIRE_FALSE(open.ok());
  CHECK(open.error().category() == Category::Internal);
}
