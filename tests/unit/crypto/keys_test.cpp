#include <certctl/crypto.hpp>

#include <catch2/catch.hpp>

#include <openssl/encoder.h>
#include <openssl/evp.h>

#include <string>

using namespace certctl;
using namespace certctl::crypto;

namespace {

/// Encode `key` with OSSL_ENCODER: format "PEM"/"DER", structure "PrivateKeyInfo" (PKCS#8)
/// or "type-specific" (traditional RSAPrivateKey / ECPrivateKey).
SecretBytes encode_key(const PrivateKey& key, const char* format, const char* structure) {
  OSSL_ENCODER_CTX* ctx =
      OSSL_ENCODER_CTX_new_for_pkey(key.get(), EVP_PKEY_KEYPAIR, format, structure, nullptr);
  REQUIRE(ctx != nullptr);
  REQUIRE(OSSL_ENCODER_CTX_get_num_encoders(ctx) > 0);
  unsigned char* data = nullptr;
  size_t len = 0;
  int rc = OSSL_ENCODER_to_data(ctx, &data, &len);
  OSSL_ENCODER_CTX_free(ctx);
  REQUIRE(rc == 1);
  SecretBytes out(data, len);
  OPENSSL_clear_free(data, len);
  return out;
}

// Generated once with `openssl ecparam -genkey -noout` (traditional SEC 1 "EC PRIVATE KEY").
constexpr const char* kTraditionalEc = R"(-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIGxcnghn4lxeiTAzYn4Jnaopo2h6hcDy73nG+4/q4Po6oAoGCCqGSM49
AwEHoUQDQgAESjEYnbQUdc9+h/ej2jDz0gee5LokHeTYTxZc7F5AvS+KVpYUjVTH
YkdVysC86705zA7YUgkFl6+oxpk39bpJWA==
-----END EC PRIVATE KEY-----
)";
// Its public half (`openssl pkey -pubout`).
constexpr const char* kTraditionalEcPublic = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAESjEYnbQUdc9+h/ej2jDz0gee5Lok
HeTYTxZc7F5AvS+KVpYUjVTHYkdVysC86705zA7YUgkFl6+oxpk39bpJWA==
-----END PUBLIC KEY-----
)";
// `openssl genrsa -traditional 1024`: a valid key, but not one of certctl's five types.
constexpr const char* kTraditionalRsa1024 = R"(-----BEGIN RSA PRIVATE KEY-----
MIICXAIBAAKBgQDLRxigXb4NavfXgp6WK58ha6mAE9lzKrKnkc06KqJk2m0mJSu6
AW6hRGwuqJCKa21iHYxC0gOc2IkNpYHDA8vljunKDQ9UPOZddt3XNLZis67KHna7
lCVxL4OjC0aI4YK/qogfJ6VFVB0MDQ8P3SJPC6CzbQ17f5lGD5/5NP3BeQIDAQAB
AoGARmi90u4lYihm6DLKE2HQoJbWAxLdAtMLRpdt6nPSA/TUUZ4WYzsTwrAceJzS
U9+Z554scwijT7SA5EUriQzLln0tWkiGhuHbOLxW9+fTvQRBY3LgkAq2WCfOXPxd
Ta87oDhRPqPbYwG+UCOg+MA3ICF9VDpYDo+P4avDyJi3xfECQQD4QFtX9LFKMf1e
B9z1dTFJTqhauMKC8wWvNPlFusZXOoN0QuXSp3QRoHbLomvVkYwi9MVqnCrYtcmC
u3Od06nXAkEA0Z9hBJQ3ClGOEbY3nEaYw045/FrsWrMWOAMvW2vMgOJthJw1Qnk0
2aLFJAAC4f15DoCmVU6GYeM/P+salWalLwJAJvpj3TGMTKwArizp4phd/rac9HGi
CNGDiPj2Up562eNUFIMUdrjYHpRlUp/T8pqBuFNaU9zlVVVlqGMqShObzQJAU0/z
4D0EDx7QxytTuNG6H0108F42t+mbeBGT/dK/Sa40dtMau9uubJ0rmx5CBw2V0nTB
JwB5mmgWGFJZk21jUwJBALN7+zbGr8M5GgUpQVy0g2l89k5JwlR9tchtqZSRZV01
Mfcf+RVVuTNzExjxN96rMtWcr7mqNNNLFoWg8s73KkA=
-----END RSA PRIVATE KEY-----
)";
// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521` (PKCS#8).
constexpr const char* kPkcs8P521 = R"(-----BEGIN PRIVATE KEY-----
MIHuAgEAMBAGByqGSM49AgEGBSuBBAAjBIHWMIHTAgEBBEIA7OStjykr09W6ks02
rC8aMxGKlmd5C8U+sirgVzLLZDuTFS0DqJciR/BkXpX6T/kin0BeizVN7UAPRAiv
h516Qc+hgYkDgYYABAF9z31f0BtStXuo12s78GtZ3StWYUMVEHbJ8xMVyrOgtgTE
nge9y8VDQ9fCeaUkjb4b48R8TpvvXLnCviSn4WYQdQET8d0U3LCd3PfMnZzC2WcE
cye7EpH9CJEwM88o7XjfAYVKOgPw6uixdp60T7us2xtATT+QaP9FP1yKDTxzm7/1
KA==
-----END PRIVATE KEY-----
)";
// `openssl genpkey -algorithm ed25519`: parses, but certctl does not use Ed25519.
constexpr const char* kEd25519 = R"(-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIPOCHLFggLCUag7EZhOD3Bov3EQE8dqSl9DqKnxSy+4V
-----END PRIVATE KEY-----
)";
// kTraditionalEc encrypted with `openssl pkey -aes256 -passout pass:x`.
constexpr const char* kEncrypted = R"(-----BEGIN ENCRYPTED PRIVATE KEY-----
MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAgzHHJLHRoWPgICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEPRqUIBM06ChcxYfvEkyrs4EgZDZ
0/5NcjgtPTfweGxLOrgruqyDZsWKgMK4OeyWZbJxQnQFRiPwXfEIpYf/ssxtpRu7
EHGnbVW14iffM0W073Wmu+M7IZaR0i7Ym8wBNG2vkBQB+ZBiAyzBpGNvVGDK16oT
LHpX4FBNenx87zokoFqi7klqKfe6wZFjTkUk1WzmkgkQDm+gvMSLGI7dn7hu2b0=
-----END ENCRYPTED PRIVATE KEY-----
)";

Result<PrivateKey> parse_text(std::string_view text, std::string_view subject = "key.pem") {
  return PrivateKey::parse(SecretBytes::from(text), subject);
}

}  // namespace

TEST_CASE("parse_key_type accepts the canonical and alternate spellings", "[crypto]") {
  const std::pair<const char*, KeyType> cases[] = {
      {"rsa2048", KeyType::Rsa2048}, {"rsa-3072", KeyType::Rsa3072}, {"RSA4096", KeyType::Rsa4096},
      {"ec256", KeyType::Ec256},     {"ec-384", KeyType::Ec384},     {"p256", KeyType::Ec256},
      {"p384", KeyType::Ec384},
  };
  for (const auto& [text, type] : cases) {
    auto r = parse_key_type(text);
    REQUIRE(r.ok());
    CHECK(*r == type);
  }
  CHECK(key_type_name(KeyType::Rsa2048) == "rsa2048");
  CHECK(key_type_name(KeyType::Rsa3072) == "rsa3072");
  CHECK(key_type_name(KeyType::Rsa4096) == "rsa4096");
  CHECK(key_type_name(KeyType::Ec256) == "ec256");
  CHECK(key_type_name(KeyType::Ec384) == "ec384");

  for (const char* bad : {"rsa1024", "ed25519", "", "ec521"}) {
    auto r = parse_key_type(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().category() == Category::Input);
    CHECK(r.error().text().find("rsa2048, rsa3072, rsa4096, ec256, ec384") != std::string::npos);
  }
}

TEST_CASE("generate makes each key type and its PKCS#8 PEM round-trips", "[crypto]") {
  struct Case {
    KeyType type;
    const char* algorithm;
    int bits;
    const char* description;
  };
  const Case cases[] = {
      {KeyType::Rsa2048, "RSA", 2048, "RSA 2048"}, {KeyType::Rsa3072, "RSA", 3072, "RSA 3072"},
      {KeyType::Rsa4096, "RSA", 4096, "RSA 4096"}, {KeyType::Ec256, "EC", 256, "EC P-256"},
      {KeyType::Ec384, "EC", 384, "EC P-384"},
  };
  for (const auto& c : cases) {
    INFO(c.description);
    auto key = PrivateKey::generate(c.type);
    REQUIRE(key.ok());
    CHECK_FALSE(key->empty());
    CHECK(key->algorithm() == c.algorithm);
    CHECK(key->bits() == c.bits);
    REQUIRE(key->key_type().has_value());
    CHECK(*key->key_type() == c.type);
    CHECK(key->description() == c.description);

    SecretBytes pem = key->to_pem();
    CHECK(pem.view().rfind("-----BEGIN PRIVATE KEY-----\n", 0) == 0);
    auto back = PrivateKey::parse(pem, "key.pem");
    REQUIRE(back.ok());
    CHECK(back->public_key_der() == key->public_key_der());
    CHECK(back->description() == c.description);

    CHECK(key->public_key_pem().rfind("-----BEGIN PUBLIC KEY-----\n", 0) == 0);
    CHECK_FALSE(key->public_key_der().empty());
  }
  auto a = PrivateKey::generate(KeyType::Ec256), b = PrivateKey::generate(KeyType::Ec256);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->public_key_der() != b->public_key_der());
}

TEST_CASE("parse reads PKCS#8 and traditional keys in PEM and DER", "[crypto]") {
  for (KeyType type : {KeyType::Rsa2048, KeyType::Ec384}) {
    auto key = PrivateKey::generate(type);
    REQUIRE(key.ok());
    const std::pair<const char*, const char*> forms[] = {
        {"PEM", "PrivateKeyInfo"}, {"DER", "PrivateKeyInfo"},
        {"PEM", "type-specific"},  {"DER", "type-specific"},
    };
    for (const auto& [format, structure] : forms) {
      INFO(key->description() << " " << format << " " << structure);
      SecretBytes encoded = encode_key(*key, format, structure);
      if (std::string_view(format) == "PEM" && std::string_view(structure) == "type-specific") {
        // Make sure this really is the traditional form.
        CHECK((encoded.view().find("BEGIN RSA PRIVATE KEY") != std::string_view::npos ||
               encoded.view().find("BEGIN EC PRIVATE KEY") != std::string_view::npos));
      }
      auto parsed = PrivateKey::parse(encoded, "key");
      REQUIRE(parsed.ok());
      CHECK(parsed->public_key_der() == key->public_key_der());
      CHECK(parsed->key_type() == key->key_type());
    }
  }
}

TEST_CASE("parse reads keys written by the openssl tool", "[crypto]") {
  auto ec = parse_text(kTraditionalEc);
  REQUIRE(ec.ok());
  CHECK(ec->description() == "EC P-256");
  CHECK(ec->key_type() == KeyType::Ec256);
  CHECK(ec->public_key_pem() == kTraditionalEcPublic);
  // to_pem re-encodes as PKCS#8.
  CHECK(ec->to_pem().view().find("-----BEGIN PRIVATE KEY-----") == 0);

  auto rsa = parse_text(kTraditionalRsa1024);
  REQUIRE(rsa.ok());
  CHECK(rsa->algorithm() == "RSA");
  CHECK(rsa->bits() == 1024);
  CHECK(rsa->description() == "RSA 1024");
  CHECK_FALSE(rsa->key_type().has_value());

  auto p521 = parse_text(kPkcs8P521);
  REQUIRE(p521.ok());
  CHECK(p521->description() == "EC P-521");
  CHECK(p521->bits() == 521);
  CHECK_FALSE(p521->key_type().has_value());

  // Leading text before the PEM block, as in a combined file.
  auto with_text = parse_text(std::string("my key:\n") + kTraditionalEc);
  REQUIRE(with_text.ok());
  CHECK(with_text->public_key_der() == ec->public_key_der());
}

TEST_CASE("parse rejects what is not a usable private key", "[crypto]") {
  auto expect_input = [](std::string_view text, std::string_view message_part) {
    auto r = parse_text(text, "site.key");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().category() == Category::Input);
    CHECK(r.error().subject() == "site.key");
    CHECK(r.error().message().find(message_part) != std::string::npos);
    return r.error().text();
  };
  expect_input("hello world", "not a PEM or DER private key");
  expect_input("", "empty");
  expect_input(kTraditionalEcPublic, "this is a public key");
  expect_input(std::string("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
               "this is a certificate");
  expect_input(kEd25519, "unsupported key algorithm");
  std::string enc_text = expect_input(kEncrypted, "encrypted");
  CHECK(enc_text.find("MIHsMFcG") == std::string::npos);

  // A damaged key: the error must not echo any of the key's bytes.
  std::string damaged = kTraditionalEc;
  damaged.replace(damaged.find("MHcCAQEE"), 8, "MHcCAQEF");
  std::string text = expect_input(damaged, "not a PEM or DER private key");
  CHECK(text.find("nghn4lxe") == std::string::npos);
}

TEST_CASE("PrivateKey moves leave the source empty", "[crypto]") {
  PrivateKey empty;
  CHECK(empty.empty());
  CHECK(empty.to_pem().empty());
  CHECK(empty.public_key_der().empty());
  auto key = parse_text(kTraditionalEc);
  REQUIRE(key.ok());
  PrivateKey moved = std::move(*key);
  CHECK(key->empty());
  CHECK_FALSE(moved.empty());
  PrivateKey assigned;
  assigned = std::move(moved);
  CHECK(moved.empty());
  CHECK(assigned.description() == "EC P-256");
}
