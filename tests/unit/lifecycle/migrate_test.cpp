// Migration's readers: private JWKs (certbot's account keys) to keys, and certbot's store read
// from files laid out as certbot writes them (the end-to-end test, test_migrate.sh, uses the
// real certbot).
#include <catch2/catch.hpp>

#include <certctl/crypto.hpp>
#include <certctl/fs.hpp>
#include <certctl/jwk_key.hpp>
#include <certctl/migrate.hpp>

#include "temp_dir.hpp"

#include <filesystem>

#include <openssl/pem.h>

using namespace certctl;

namespace {

// RFC 7517, appendix A.2: the example EC P-256 private key.
const std::map<std::string, std::string> kEcJwk = {
    {"kty", "EC"},
    {"crv", "P-256"},
    {"x", "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4"},
    {"y", "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"},
    {"d", "870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE"}};

/// Write a file, making its directories.
std::string write_file(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  REQUIRE(fs::write_user_file(path, text, 0600));
  return path;
}

}  // namespace

TEST_CASE("private_jwk_to_pem: an EC JWK becomes its key; a wrong member is refused", "[migrate]") {
  auto pem = crypto::private_jwk_to_pem(kEcJwk, "jwk");
  REQUIRE(pem);
  auto key = crypto::PrivateKey::parse(*pem, "pem");
  REQUIRE(key);
  auto pub = crypto::jwk_params(*key);
  REQUIRE(pub);
  CHECK(crypto::base64url_encode(pub->x) == kEcJwk.at("x"));
  CHECK(crypto::base64url_encode(pub->y) == kEcJwk.at("y"));
  auto other = kEcJwk;
  other["d"] = "AAAAB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE";  // not the private half of (x, y)
  auto bad = crypto::private_jwk_to_pem(other, "jwk");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().category() == Category::Input);
  other = kEcJwk;
  other["crv"] = "P-521";
  CHECK_FALSE(crypto::private_jwk_to_pem(other, "jwk"));
  other = kEcJwk;
  other.erase("y");
  CHECK_FALSE(crypto::private_jwk_to_pem(other, "jwk"));
  CHECK_FALSE(crypto::private_jwk_to_pem({{"kty", "oct"}, {"k", "AAAA"}}, "jwk"));
}

TEST_CASE("private_jwk_to_pem: an RSA key round-trips through its JWK", "[migrate]") {
  // certbot's account keys are RSA: the JWK of a generated key's own numbers.
  auto key = crypto::PrivateKey::generate(crypto::KeyType::Rsa2048);
  REQUIRE(key);
  SecretBytes pem = key->to_pem();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  REQUIRE(pkey);
  std::map<std::string, std::string> jwk{{"kty", "RSA"}};
  for (const auto& [name, param] : crypto::rsa_jwk_members()) {
    BIGNUM* bn = nullptr;
    REQUIRE(EVP_PKEY_get_bn_param(pkey, param, &bn) == 1);
    std::string raw(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(raw.data()));
    BN_clear_free(bn);
    jwk[name] = crypto::base64url_encode(raw);
  }
  EVP_PKEY_free(pkey);
  auto back = crypto::private_jwk_to_pem(jwk, "private_key.json");
  REQUIRE(back);
  auto parsed = crypto::PrivateKey::parse(*back, "back");
  REQUIRE(parsed);
  CHECK(parsed->public_key_pem() == key->public_key_pem());
  // Numbers that do not belong together are refused; so is a JWK without a private number.
  auto other_e = jwk;
  other_e["e"] = "Aw";  // 3: d is no longer its inverse
  CHECK_FALSE(crypto::private_jwk_to_pem(other_e, "private_key.json"));
  jwk.erase("d");
  auto missing = crypto::private_jwk_to_pem(jwk, "private_key.json");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message().find("'d'") != std::string::npos);
}

TEST_CASE("read_certbot_store: renewal files, their settings, and what does not translate", "[migrate]") {
  test::TempDir dir;
  const std::string c = dir.file("le");
  write_file(c + "/renewal/a.example.conf",
             "# renew_before_expiry = 30 days\n"
             "version = 2.1.0\n"
             "cert = " + c + "/live/a.example/cert.pem\n"
             "privkey = " + c + "/live/a.example/privkey.pem\n"
             "chain = " + c + "/live/a.example/chain.pem\n"
             "fullchain = " + c + "/live/a.example/fullchain.pem\n\n"
             "[renewalparams]\n"
             "account = 0123abcd\n"
             "authenticator = standalone\n"
             "server = https://acme.example/dir\n"
             "http01_port = 8080\n"
             "http01_address = 127.0.0.1\n"
             "renew_hook = systemctl reload nginx\n"
             "pre_hook = echo pre\n"
             "reuse_key = True\n"
             "preferred_chain = Root X2\n");
  write_file(c + "/renewal/b.example.conf",
             "cert = " + c + "/live/b/cert.pem\nprivkey = " + c + "/live/b/privkey.pem\n"
             "[renewalparams]\nauthenticator = webroot\nserver = https://acme.example/dir\n"
             "webroot_path = /srv/a,\n[[webroot_map]]\nb.example = /srv/a\nwww.b.example = /srv/b\n");
  write_file(c + "/renewal/c.example.conf",
             "cert = " + c + "/live/c/cert.pem\nprivkey = " + c + "/live/c/privkey.pem\n"
             "[renewalparams]\nauthenticator = webroot\nwebroot_path = /var/www/html,\n");
  // DNS plugins: rfc2136 with its credentials file; cloudflare with a global key (certctl takes
  // an API token); a plugin certctl has no provider for.
  write_file(dir.file("rfc2136.ini"),
             "dns_rfc2136_server = 127.0.0.1\ndns_rfc2136_port = 5353\ndns_rfc2136_name = certbot-key.\n"
             "dns_rfc2136_secret = c2VjcmV0c2VjcmV0\ndns_rfc2136_algorithm = HMAC-SHA512\n");
  write_file(dir.file("cf.ini"), "dns_cloudflare_email = a@example.test\ndns_cloudflare_api_key = 0123\n");
  const std::string files = "cert = " + c + "/live/x/cert.pem\nprivkey = " + c + "/live/x/privkey.pem\n";
  write_file(c + "/renewal/d.example.conf",
             files + "[renewalparams]\nauthenticator = dns-rfc2136\nserver = https://acme.example/dir\n"
                     "dns_rfc2136_credentials = " + dir.file("rfc2136.ini") + "\ndns_rfc2136_propagation_seconds = 30\n");
  write_file(c + "/renewal/e.example.conf",
             files + "[renewalparams]\nauthenticator = dns-cloudflare\ndns_cloudflare_credentials = " + dir.file("cf.ini") + "\n");
  write_file(c + "/renewal/f.example.conf", files + "[renewalparams]\nauthenticator = dns-route53\n");
  write_file(c + "/renewal/broken.conf", "[renewalparams]\nauthenticator = standalone\n");
  write_file(c + "/renewal/ignored.txt", "not a renewal file");
  auto pem = crypto::private_jwk_to_pem(kEcJwk, "jwk");
  REQUIRE(pem);
  std::string jwk = "{";
  for (const auto& [k, v] : kEcJwk) jwk += "\"" + k + "\": \"" + v + "\", ";
  jwk.resize(jwk.size() - 2);
  jwk += "}";
  write_file(c + "/accounts/acme.example/dir/0123abcd/private_key.json", jwk);
  write_file(c + "/accounts/acme.example/dir/0123abcd/regr.json",
             R"({"body": {"contact": ["mailto:ops@example.test"]}, "uri": "https://acme.example/acct/7"})");
  write_file(c + "/accounts/acme.example/dir/bad/private_key.json", "{\"kty\": \"RSA\"}");

  auto store = lifecycle::read_certbot_store(c);
  REQUIRE(store);
  REQUIRE(store->certificates.size() == 6);
  const auto& a = store->certificates[0];
  CHECK(a.name == "a.example");
  CHECK(a.directory_url == "https://acme.example/dir");
  CHECK(a.account_id == "0123abcd");
  CHECK(a.unsupported.empty());
  CHECK(a.settings.challenge == vault::ChallengeType::Http01);
  CHECK(a.settings.http_port == 8080);
  CHECK(a.settings.http_address == "127.0.0.1");
  CHECK(a.settings.deploy_hook == "systemctl reload nginx");
  CHECK(a.settings.reuse_key == true);
  CHECK(a.settings.preferred_chain == "Root X2");
  REQUIRE(a.notes.size() == 1);
  CHECK(a.notes[0].find("--pre-hook") != std::string::npos);
  const auto& b = store->certificates[1];
  CHECK(b.unsupported.empty());
  CHECK(b.settings.webroot == "/srv/a");
  CHECK(b.settings.webroot_map == std::vector<std::string>{"b.example=/srv/a", "www.b.example=/srv/b"});
  const auto& d = store->certificates[3];
  CHECK(d.unsupported.empty());
  CHECK(d.settings.challenge == vault::ChallengeType::Dns01);
  CHECK(d.settings.dns == "certbot-rfc2136");
  REQUIRE(d.dns_provider);
  CHECK(d.dns_provider->type == "rfc2136");
  CHECK(d.dns_provider->options == std::map<std::string, std::string>{
                                       {"server", "127.0.0.1:5353"}, {"key-name", "certbot-key."}, {"algorithm", "hmac-sha512"}});
  CHECK(d.dns_provider->secrets == std::map<std::string, std::string>{{"tsig-secret", "dns_rfc2136_secret"}});
  REQUIRE(d.notes.size() == 1);
  CHECK(d.notes[0].find("--propagation-wait 30") != std::string::npos);
  CHECK(store->certificates[4].unsupported.find("dns_cloudflare_api_token") != std::string::npos);
  CHECK_FALSE(store->certificates[4].dns_provider);
  CHECK(store->certificates[5].unsupported.find("dns-route53") != std::string::npos);
  const auto& cc = store->certificates[2];
  CHECK(cc.settings.webroot == "/var/www/html");
  CHECK(cc.directory_url.empty());
  // broken.conf names no files: reported, the others read.
  REQUIRE(store->unreadable.size() == 2);  // broken.conf, and the account whose key is no JWK
  REQUIRE(store->accounts.size() == 1);
  CHECK(store->accounts[0].url == "https://acme.example/acct/7");
  CHECK(store->accounts[0].directory_url == "https://acme.example/dir");
  CHECK(store->accounts[0].contact == std::vector<std::string>{"mailto:ops@example.test"});
  CHECK(store->accounts[0].key_pem.view() == pem->view());

  auto none = lifecycle::read_certbot_store(dir.file("nowhere"));
  REQUIRE_FALSE(none);
  CHECK(none.error().category() == Category::NotFound);
}

TEST_CASE("read_lego_store: certificates by their CA's host, the account there, no challenge settings", "[migrate]") {
  test::TempDir dir;
  const std::string l = dir.file("lego");
  auto key = crypto::PrivateKey::generate(crypto::KeyType::Ec256);
  REQUIRE(key);
  const std::string key_pem(key->to_pem().view());
  const std::string one_cert = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n";
  write_file(l + "/certificates/a.example.json", R"({"domain": "a.example", "certUrl": "https://acme.example:8443/cert/1"})");
  write_file(l + "/certificates/a.example.crt", one_cert);
  write_file(l + "/certificates/a.example.issuer.crt", one_cert);
  write_file(l + "/certificates/a.example.key", key_pem);
  write_file(l + "/certificates/_.w.example.json", R"({"domain": "*.w.example", "certUrl": "https://other.example/cert/2"})");
  write_file(l + "/certificates/_.w.example.crt", one_cert + one_cert);
  write_file(l + "/certificates/_.w.example.key", key_pem);
  write_file(l + "/certificates/lonely.json", "{}");
  write_file(l + "/accounts/acme.example_8443/ops@example.test/account.json",
             R"({"email": "ops@example.test", "registration": {"body": {"status": "valid", "contact": ["mailto:ops@example.test"]}, "uri": "https://acme.example:8443/acct/3"}})");
  write_file(l + "/accounts/acme.example_8443/ops@example.test/keys/ops@example.test.key", key_pem);

  auto store = lifecycle::read_lego_store(l, "https://acme.example:8443/directory");
  REQUIRE(store);
  REQUIRE(store->certificates.size() == 2);
  const auto& w = store->certificates[0];  // "_.w.example" sorts first
  CHECK(w.name == "wildcard.w.example");
  CHECK(w.chain_file.empty());  // the issuer is bundled in .crt
  CHECK(w.ca_host == "other.example");
  CHECK(w.directory_url.empty());  // --server names another host
  CHECK(w.account_id.empty());
  const auto& a = store->certificates[1];
  CHECK(a.name == "a.example");
  CHECK(a.chain_file == l + "/certificates/a.example.issuer.crt");
  CHECK(a.directory_url == "https://acme.example:8443/directory");
  CHECK(a.account_id == "acme.example_8443/ops@example.test");
  CHECK_FALSE(a.unsupported.empty());  // lego keeps no challenge settings
  REQUIRE(store->unreadable.size() == 1);  // lonely.json has no .crt/.key
  REQUIRE(store->accounts.size() == 1);
  CHECK(store->accounts[0].url == "https://acme.example:8443/acct/3");
  CHECK(store->accounts[0].key_pem.view() == key_pem);

  auto none = lifecycle::read_lego_store(dir.file("nowhere"), "");
  REQUIRE_FALSE(none);
  CHECK(none.error().category() == Category::NotFound);
}

TEST_CASE("read_acmesh_store: confs with base64 values, modes, ECC directories and accounts per CA", "[migrate]") {
  test::TempDir dir;
  const std::string a = dir.file("acme.sh");
  auto key = crypto::PrivateKey::generate(crypto::KeyType::Ec256);
  REQUIRE(key);
  const std::string key_pem(key->to_pem().view());
  const std::string b64_reload = "__ACME_BASE64__START_" + crypto::base64_encode("systemctl reload nginx") + "__ACME_BASE64__END_";
  write_file(a + "/a.example_ecc/a.example.conf",
             "Le_Domain='a.example'\nLe_Alt='www.a.example'\nLe_Webroot='no,no'\nLe_HTTPPort='8080'\n"
             "Le_API='https://acme.example:8443/dir'\nLe_ReloadCmd='" + b64_reload + "'\n"
             "Le_PreHook='__ACME_BASE64__START_" + crypto::base64_encode("echo pre") + "__ACME_BASE64__END_'\n");
  write_file(a + "/a.example_ecc/a.example.cer", "x");
  write_file(a + "/a.example_ecc/a.example.key", key_pem);
  write_file(a + "/a.example_ecc/ca.cer", "x");
  write_file(a + "/a.example/a.example.conf", "Le_Domain='a.example'\nLe_Webroot='/var/www/a'\n");  // the RSA one
  write_file(a + "/a.example/a.example.cer", "x");
  write_file(a + "/a.example/a.example.key", key_pem);
  write_file(a + "/w.example/w.example.conf", "Le_Domain='*.w.example'\nLe_Webroot='dns_cf'\nLe_API='https://acme.example:8443/dir'\n");
  write_file(a + "/w.example/w.example.cer", "x");
  write_file(a + "/w.example/w.example.key", key_pem);
  write_file(a + "/ca/acme.example/dir/account.key", key_pem);
  write_file(a + "/ca/acme.example/dir/ca.conf", "ACCOUNT_URL='https://acme.example:8443/acct/9'\n");

  auto store = lifecycle::read_acmesh_store(a);
  REQUIRE(store);
  REQUIRE(store->certificates.size() == 3);
  const auto& rsa = store->certificates[0];  // a.example/ sorts before a.example_ecc/
  CHECK(rsa.name == "a.example");
  CHECK(rsa.settings.webroot == "/var/www/a");
  CHECK(rsa.directory_url.empty());
  const auto& ecc = store->certificates[1];
  CHECK(ecc.name == "a.example-ecc");
  CHECK(ecc.settings.challenge == vault::ChallengeType::Http01);
  CHECK(ecc.settings.http_port == 8080);
  CHECK(ecc.settings.deploy_hook == "systemctl reload nginx");
  CHECK(ecc.account_id == "acme.example/dir");  // acme.sh drops the port
  CHECK(ecc.chain_file == a + "/a.example_ecc/ca.cer");
  REQUIRE(ecc.notes.size() == 1);
  CHECK(ecc.notes[0].find("echo pre") != std::string::npos);
  const auto& w = store->certificates[2];
  CHECK(w.name == "wildcard.w.example");
  CHECK(w.unsupported.find("dns_cf") != std::string::npos);
  REQUIRE(store->accounts.size() == 1);
  CHECK(store->accounts[0].id == "acme.example/dir");
  CHECK(store->accounts[0].url == "https://acme.example:8443/acct/9");
  CHECK(lifecycle::read_acmesh_store(dir.file("nowhere")).error().category() == Category::NotFound);
}
