#include <certctl/crypto.hpp>
#include <certctl/device_seal.hpp>
#include <certctl/fs.hpp>

#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include <cstdlib>
#include <string>

using namespace certctl;
using namespace certctl::crypto;

namespace {

constexpr const char* kAltered = "cannot decrypt: not sealed to this host, or altered";

std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

HostKeyPair make_key() {
  auto k = generate_host_key();
  REQUIRE(k);
  return std::move(*k);
}

}  // namespace

TEST_CASE("device seal: round trip, fresh every time, nothing in the clear", "[crypto][device-seal]") {
  HostKeyPair host = make_key();
  CHECK(host.private_key.size() == 32);
  CHECK(host.public_key.raw.size() == 32);
  const SecretBytes plain = SecretBytes::from("-----BEGIN PRIVATE KEY-----\nsecret material\n-----END PRIVATE KEY-----\n");
  auto sealed = seal_to_host(host.public_key, plain, "certctl-host-v1:web");
  REQUIRE(sealed);
  CHECK(sealed->size() == 4 + 32 + 12 + plain.size() + 16);
  CHECK(sealed->substr(0, 4) == "CCD1");
  CHECK(sealed->find("secret material") == std::string::npos);

  auto opened = open_as_host(host.private_key, *sealed, "certctl-host-v1:web", "web key");
  REQUIRE(opened);
  CHECK(opened->view() == plain.view());

  auto again = seal_to_host(host.public_key, plain, "certctl-host-v1:web");
  REQUIRE(again);
  CHECK(*again != *sealed);
  CHECK(again->substr(4, 32) != sealed->substr(4, 32));  // a new ephemeral key each time

  auto empty = seal_to_host(host.public_key, SecretBytes(), "");
  REQUIRE(empty);
  CHECK(empty->size() == 4 + 32 + 12 + 16);
  auto empty_open = open_as_host(host.private_key, *empty, "", "empty");
  REQUIRE(empty_open);
  CHECK(empty_open->empty());
}

TEST_CASE("device seal: another host, a changed byte or another aad fail as a Vault error", "[crypto][device-seal]") {
  HostKeyPair host = make_key();
  HostKeyPair other = make_key();
  const SecretBytes plain = SecretBytes::from("key bytes");
  auto sealed = seal_to_host(host.public_key, plain, "aad");
  REQUIRE(sealed);

  auto wrong = open_as_host(other.private_key, *sealed, "aad", "web key");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().category() == Category::Vault);
  CHECK(wrong.error().subject() == "web key");
  CHECK(wrong.error().message() == kAltered);
  CHECK(wrong.error().text() == std::string("web key: ") + kAltered);

  auto other_aad = open_as_host(host.private_key, *sealed, "aad2", "web key");
  REQUIRE_FALSE(other_aad);
  CHECK(other_aad.error().message() == kAltered);
  auto no_aad = open_as_host(host.private_key, *sealed, "", "web key");
  REQUIRE_FALSE(no_aad);
  CHECK(no_aad.error().message() == kAltered);

  for (std::size_t i = 0; i < sealed->size(); ++i) {
    for (unsigned char bit : {0x01, 0x80}) {
      std::string flipped = *sealed;
      flipped[i] = static_cast<char>(flipped[i] ^ bit);
      auto r = open_as_host(host.private_key, flipped, "aad", "web key");
      INFO("byte " << i << " bit " << int(bit));
      REQUIRE_FALSE(r);
      CHECK(r.error().category() == Category::Vault);
      CHECK(r.error().subject() == "web key");
      // Bytes 0-3 are the magic; a changed ephemeral key, nonce, ciphertext or tag reads as altered.
      if (i >= 4) CHECK(r.error().message() == kAltered);
    }
  }
  for (std::size_t n : {std::size_t{0}, std::size_t{4}, std::size_t{36}, std::size_t{63}, sealed->size() - 1}) {
    auto cut = open_as_host(host.private_key, sealed->substr(0, n), "aad", "web key");
    INFO("length " << n);
    REQUIRE_FALSE(cut);
    CHECK(cut.error().category() == Category::Vault);
  }
  auto appended = open_as_host(host.private_key, *sealed + "x", "aad", "web key");
  REQUIRE_FALSE(appended);
  CHECK(appended.error().message() == kAltered);
}

TEST_CASE("device seal: a key of small order is refused", "[crypto][device-seal]") {
  // u = 0 and u = 1 are points of small order: the agreed secret would be all zeros.
  for (std::string raw : {std::string(32, '\0'), std::string("\x01") + std::string(31, '\0')}) {
    auto sealed = seal_to_host(HostPublicKey{raw}, SecretBytes::from("x"), "");
    REQUIRE_FALSE(sealed);
    CHECK(sealed.error().category() == Category::Input);
  }
  CHECK_FALSE(seal_to_host(HostPublicKey{std::string(31, 'a')}, SecretBytes::from("x"), ""));
}

TEST_CASE("host public key text: round trip; anything else is an Input error naming the input", "[crypto][device-seal]") {
  HostKeyPair host = make_key();
  const std::string text = host.public_key.text();
  CHECK(text.rfind("certctl-host-x25519:", 0) == 0);
  CHECK(text.size() == 20 + 43);
  CHECK(text.find_first_of("=+/\n ") == std::string::npos);
  auto back = parse_host_public_key(text, "web.pub");
  REQUIRE(back);
  CHECK(*back == host.public_key);
  auto spaced = parse_host_public_key("  " + text + "\n", "web.pub");  // a file's trailing newline
  REQUIRE(spaced);
  CHECK(*spaced == host.public_key);

  const std::string b64 = text.substr(20);
  const std::string bad[] = {
      "",
      "\n",
      b64,                                         // no prefix
      "certctl-host-ed25519:" + b64,               // another prefix
      "CERTCTL-HOST-X25519:" + b64,
      "certctl-host-x25519:",                      // nothing after it
      "certctl-host-x25519:" + b64.substr(1),      // 31.x bytes
      "certctl-host-x25519:" + b64 + "AA",         // 33 bytes
      "certctl-host-x25519:" + b64 + "=",          // padding
      "certctl-host-x25519: " + b64,
      "certctl-host-x25519:" + b64.substr(0, 20) + "+" + b64.substr(21),
      text + "\n" + text,                          // two lines
      text + " comment",
      "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VuAyEA\n-----END PUBLIC KEY-----\n",
  };
  for (const auto& b : bad) {
    auto r = parse_host_public_key(b, "web.pub");
    INFO("input: " << b);
    REQUIRE_FALSE(r);
    CHECK(r.error().category() == Category::Input);
    CHECK(r.error().subject() == "web.pub");
    CHECK(r.error().text().find('\n') == std::string::npos);
  }
  // Only the canonical encoding: the last character's 2 unused bits must be zero.
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string odd = b64;
  odd.back() = alphabet[alphabet.find(odd.back()) | 1];
  auto r = parse_host_public_key("certctl-host-x25519:" + odd, "web.pub");
  REQUIRE_FALSE(r);
  CHECK(r.error().category() == Category::Input);
}

TEST_CASE("host keys: RFC 7748 public key, PKCS#8 PEM round trip", "[crypto][device-seal]") {
  // RFC 7748 section 6.1: Alice's private and public key.
  const SecretBytes alice = SecretBytes::from(unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  const std::string alice_pub = unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  auto pem = host_private_key_pem(alice);
  REQUIRE(pem);
  CHECK(pem->view().rfind("-----BEGIN PRIVATE KEY-----\n", 0) == 0);
  auto parsed = parse_host_private_key(*pem, "host.key");
  REQUIRE(parsed);
  CHECK(parsed->private_key.view() == alice.view());
  CHECK(parsed->public_key.raw == alice_pub);

  auto pub_pem = host_public_key_pem(parsed->public_key);
  REQUIRE(pub_pem);
  CHECK(pub_pem->rfind("-----BEGIN PUBLIC KEY-----\n", 0) == 0);
  auto as_private = parse_host_private_key(SecretBytes::from(*pub_pem), "host.key");
  REQUIRE_FALSE(as_private);
  CHECK(as_private.error().category() == Category::Input);
  CHECK(as_private.error().subject() == "host.key");

  auto ec = PrivateKey::generate(KeyType::Ec256);
  REQUIRE(ec);
  auto not_x25519 = parse_host_private_key(ec->to_pem(), "ec.key");
  REQUIRE_FALSE(not_x25519);
  CHECK(not_x25519.error().subject() == "ec.key");
  CHECK_FALSE(parse_host_private_key(SecretBytes(), "empty.key"));
  CHECK_FALSE(parse_host_private_key(SecretBytes::from("garbage"), "g.key"));
}

TEST_CASE("device seal interop: openssl pkeyutl -derive agrees, and the format opens with it", "[crypto][device-seal]") {
  test::TempDir dir;
  HostKeyPair host = make_key();
  const SecretBytes plain = SecretBytes::from("the record's key");
  auto sealed = seal_to_host(host.public_key, plain, "aad");
  REQUIRE(sealed);
  const HostPublicKey ephemeral{sealed->substr(4, 32)};

  // openssl does the key agreement from PEM files: the host's private key, the ephemeral public.
  auto host_pem = host_private_key_pem(host.private_key);
  auto eph_pem = host_public_key_pem(ephemeral);
  REQUIRE(host_pem);
  REQUIRE(eph_pem);
  REQUIRE(fs::write_file_atomic(dir.file("host.key"), host_pem->view(), 0600));
  REQUIRE(fs::write_file_atomic(dir.file("eph.pub"), *eph_pem, 0644));
  const std::string cmd = "openssl pkeyutl -derive -inkey '" + dir.file("host.key") + "' -peerkey '" +
                          dir.file("eph.pub") + "' -out '" + dir.file("z.bin") + "' 2>/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  auto z = fs::read_file(dir.file("z.bin"));
  REQUIRE(z);
  REQUIRE(z->size() == 32);

  // The rest of the format, by hand: HKDF-SHA256(Z, salt = ephemeral || host, info), then
  // AES-256-GCM over nonce || ciphertext || tag with the aad.
  auto key = hkdf_sha256(SecretBytes::from(*z), ephemeral.raw + host.public_key.raw, "certctl-device-seal-v1", 32);
  REQUIRE(key);
  auto opened = aead_open(*key, sealed->substr(36), "aad", "by hand");
  REQUIRE(opened);
  CHECK(opened->view() == plain.view());

  // And openssl reads the public key PEM as the same key (the SPKI ends in the raw 32 bytes).
  const std::string pub_cmd = "openssl pkey -pubin -in '" + dir.file("eph.pub") + "' -outform DER -out '" +
                              dir.file("eph.der") + "' 2>/dev/null";
  REQUIRE(std::system(pub_cmd.c_str()) == 0);
  auto der = fs::read_file(dir.file("eph.der"));
  REQUIRE(der);
  CHECK(der->size() == 44);
  CHECK(der->substr(12) == ephemeral.raw);
}
