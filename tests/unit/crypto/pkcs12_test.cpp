#include <certctl/crypto.hpp>

#include <catch2/catch.hpp>

#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

using namespace certctl;
using namespace certctl::crypto;

namespace {

struct P12Free {
  void operator()(PKCS12* p) const { PKCS12_free(p); }
};
using P12 = std::unique_ptr<PKCS12, P12Free>;

struct Fixture {
  PrivateKey ca_key = std::move(PrivateKey::generate(KeyType::Ec256).value());
  PrivateKey leaf_key = std::move(PrivateKey::generate(KeyType::Rsa2048).value());
  Certificate ca, leaf;

  Fixture() {
    IssueParams params;
    params.not_before = 1767225600;
    params.not_after = 1798761600;
    Subject s;
    s.cn = "PFX Test CA";
    ca = std::move(make_self_signed_ca(ca_key, s, params).value());
    CsrRequest req;
    req.subject.cn = "pfx.example.com";
    req.dns_names = {"pfx.example.com"};
    auto csr = parse_csr(make_csr(leaf_key, req).value(), "pfx.csr");
    REQUIRE(csr.ok());
    leaf = std::move(sign_csr(*csr, ca, ca_key, params).value());
  }
};

const Fixture& fx() {
  static Fixture f;
  return f;
}

std::vector<Certificate> ca_chain() {
  std::vector<Certificate> chain;
  chain.push_back(fx().ca.clone());
  return chain;
}

P12 load(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  P12 p12(d2i_PKCS12(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(p12);
  return p12;
}

/// The MAC digest NID and iteration count.
std::pair<int, long> mac_of(PKCS12* p12) {
  const ASN1_OCTET_STRING* mac = nullptr;
  const X509_ALGOR* alg = nullptr;
  const ASN1_OCTET_STRING* salt = nullptr;
  const ASN1_INTEGER* iter = nullptr;
  PKCS12_get0_mac(&mac, &alg, &salt, &iter, p12);
  REQUIRE(alg);
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
  return {OBJ_obj2nid(obj), iter ? ASN1_INTEGER_get(iter) : 1};
}

/// The PBE algorithm NIDs used for the shrouded key bag and the encrypted cert safe.
void pbe_nids(PKCS12* p12, const char* pass, int& key_nid, int& cert_nid) {
  key_nid = cert_nid = NID_undef;
  STACK_OF(PKCS7)* safes = PKCS12_unpack_authsafes(p12);
  REQUIRE(safes);
  for (int i = 0; i < sk_PKCS7_num(safes); ++i) {
    PKCS7* p7 = sk_PKCS7_value(safes, i);
    STACK_OF(PKCS12_SAFEBAG)* bags = nullptr;
    int nid = OBJ_obj2nid(p7->type);
    if (nid == NID_pkcs7_encrypted) {
      cert_nid = OBJ_obj2nid(p7->d.encrypted->enc_data->algorithm->algorithm);
      bags = PKCS12_unpack_p7encdata(p7, pass, -1);
    } else if (nid == NID_pkcs7_data) {
      bags = PKCS12_unpack_p7data(p7);
    }
    REQUIRE(bags);
    for (int j = 0; j < sk_PKCS12_SAFEBAG_num(bags); ++j) {
      const PKCS12_SAFEBAG* bag = sk_PKCS12_SAFEBAG_value(bags, j);
      if (PKCS12_SAFEBAG_get_nid(bag) == NID_pkcs8ShroudedKeyBag) {
        const X509_ALGOR* alg = nullptr;
        X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(bag), &alg, nullptr);
        const ASN1_OBJECT* obj = nullptr;
        X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
        key_nid = OBJ_obj2nid(obj);
        char* name = PKCS12_get_friendlyname(const_cast<PKCS12_SAFEBAG*>(bag));
        REQUIRE(name);
        CHECK(std::string(name) == "pfx.example.com 2026");
        OPENSSL_free(name);
      }
    }
    sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
  }
  sk_PKCS7_pop_free(safes, PKCS7_free);
}

void check_contents(const std::string& der, const char* pass) {
  P12 p12 = load(der);
  CHECK(PKCS12_verify_mac(p12.get(), pass, -1) == 1);
  EVP_PKEY* pkey = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* ca = nullptr;
  REQUIRE(PKCS12_parse(p12.get(), pass, &pkey, &cert, &ca) == 1);
  REQUIRE(pkey);
  REQUIRE(cert);
  CHECK(EVP_PKEY_eq(pkey, fx().leaf_key.get()) == 1);
  CHECK(X509_cmp(cert, fx().leaf.get()) == 0);
  int alias_len = 0;
  const unsigned char* alias = X509_alias_get0(cert, &alias_len);
  REQUIRE(alias);
  CHECK(std::string(reinterpret_cast<const char*>(alias), alias_len) == "pfx.example.com 2026");
  REQUIRE(ca);
  REQUIRE(sk_X509_num(ca) == 1);
  CHECK(X509_cmp(sk_X509_value(ca, 0), fx().ca.get()) == 0);
  EVP_PKEY_free(pkey);
  X509_free(cert);
  sk_X509_pop_free(ca, X509_free);

  // A wrong password fails both the MAC and the parse.
  CHECK(PKCS12_verify_mac(p12.get(), "wrong", -1) != 1);
  EVP_PKEY* k2 = nullptr;
  X509* c2 = nullptr;
  CHECK(PKCS12_parse(p12.get(), "wrong", &k2, &c2, nullptr) != 1);
  EVP_PKEY_free(k2);
  X509_free(c2);
  ERR_clear_error();
}

}  // namespace

TEST_CASE("make_pkcs12 modern: AES-256 PBES2 and a SHA-256 MAC", "[crypto]") {
  const char* pass = "correct horse";
  auto der = make_pkcs12(fx().leaf_key, fx().leaf, ca_chain(), "pfx.example.com 2026",
                         SecretBytes::from(pass), false);
  REQUIRE(der.ok());
  check_contents(*der, pass);
  P12 p12 = load(*der);
  auto [mac_nid, mac_iter] = mac_of(p12.get());
  CHECK(mac_nid == NID_sha256);
  CHECK(mac_iter >= 2048);
  int key_nid = 0, cert_nid = 0;
  pbe_nids(p12.get(), pass, key_nid, cert_nid);
  CHECK(key_nid == NID_pbes2);
  CHECK(cert_nid == NID_pbes2);
}

TEST_CASE("make_pkcs12 legacy: 3DES PBE and a SHA-1 MAC", "[crypto]") {
  SecretBytes pass = random_password();
  std::string pass_str(pass.view());
  auto der = make_pkcs12(fx().leaf_key, fx().leaf, ca_chain(), "pfx.example.com 2026", pass, true);
  REQUIRE(der.ok());
  check_contents(*der, pass_str.c_str());
  P12 p12 = load(*der);
  auto [mac_nid, mac_iter] = mac_of(p12.get());
  CHECK(mac_nid == NID_sha1);
  CHECK(mac_iter == 2048);
  int key_nid = 0, cert_nid = 0;
  pbe_nids(p12.get(), pass_str.c_str(), key_nid, cert_nid);
  CHECK(key_nid == NID_pbe_WithSHA1And3_Key_TripleDES_CBC);
  CHECK(cert_nid == NID_pbe_WithSHA1And3_Key_TripleDES_CBC);
}

TEST_CASE("make_pkcs12 refuses a key that does not match the certificate", "[crypto]") {
  auto r = make_pkcs12(fx().ca_key, fx().leaf, {}, "x", SecretBytes::from("pw"), false);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == Category::Input);
  CHECK(r.error().message().find("does not match") != std::string::npos);
}
