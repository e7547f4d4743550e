#include <certctl/crypto.hpp>

#include <catch2/catch.hpp>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

using namespace certctl;
using namespace certctl::crypto;

namespace {

const PrivateKey& ec_key() {
  static PrivateKey key = std::move(PrivateKey::generate(KeyType::Ec256).value());
  return key;
}
const PrivateKey& rsa_key() {
  static PrivateKey key = std::move(PrivateKey::generate(KeyType::Rsa2048).value());
  return key;
}

struct ReqFree {
  void operator()(X509_REQ* r) const { X509_REQ_free(r); }
};
using Req = std::unique_ptr<X509_REQ, ReqFree>;

Req read_pem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  Req req(PEM_read_bio_X509_REQ(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  REQUIRE(req);
  return req;
}

std::string to_der(X509_REQ* req) {
  unsigned char* der = nullptr;
  int len = i2d_X509_REQ(req, &der);
  REQUIRE(len > 0);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

/// Facts about one extension of a CSR: present, critical.
struct ExtFacts {
  bool present = false;
  bool critical = false;
};

ExtFacts ext_facts(X509_REQ* req, int nid) {
  STACK_OF(X509_EXTENSION)* exts = X509_REQ_get_extensions(req);
  ExtFacts f;
  if (exts) {
    int idx = X509v3_get_ext_by_NID(exts, nid, -1);
    if (idx >= 0) {
      f.present = true;
      f.critical = X509_EXTENSION_get_critical(sk_X509_EXTENSION_value(exts, idx)) == 1;
    }
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  }
  return f;
}

/// keyUsage bits (bit 0 digitalSignature, bit 2 keyEncipherment) and EKU NIDs of a CSR.
void usages(X509_REQ* req, bool& digital_signature, bool& key_encipherment, std::vector<int>& eku) {
  STACK_OF(X509_EXTENSION)* exts = X509_REQ_get_extensions(req);
  REQUIRE(exts);
  auto* ku = static_cast<ASN1_BIT_STRING*>(X509V3_get_d2i(exts, NID_key_usage, nullptr, nullptr));
  REQUIRE(ku);
  digital_signature = ASN1_BIT_STRING_get_bit(ku, 0) == 1;
  key_encipherment = ASN1_BIT_STRING_get_bit(ku, 2) == 1;
  ASN1_BIT_STRING_free(ku);
  auto* ext_ku = static_cast<EXTENDED_KEY_USAGE*>(X509V3_get_d2i(exts, NID_ext_key_usage, nullptr, nullptr));
  REQUIRE(ext_ku);
  for (int i = 0; i < sk_ASN1_OBJECT_num(ext_ku); ++i) eku.push_back(OBJ_obj2nid(sk_ASN1_OBJECT_value(ext_ku, i)));
  EXTENDED_KEY_USAGE_free(ext_ku);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}

}  // namespace

TEST_CASE("make_csr and parse_csr round-trip names, SANs and the key", "[crypto]") {
  CsrRequest req;
  req.subject.cn = "www.example.com";
  req.subject.o = "Example Ltd";
  req.subject.c = "DE";
  req.dns_names = {"www.example.com", "example.com", "xn--bcher-kva.example"};
  req.ip_addresses = {"192.0.2.10", "2001:db8::1"};
  auto pem = make_csr(ec_key(), req);
  REQUIRE(pem.ok());
  CHECK(pem->rfind("-----BEGIN CERTIFICATE REQUEST-----\n", 0) == 0);

  auto info = parse_csr(*pem, "site.csr");
  REQUIRE(info.ok());
  CHECK(info->pem == *pem);
  CHECK(info->subject.cn == "www.example.com");
  CHECK(info->subject.o == "Example Ltd");
  CHECK(info->subject.c == "DE");
  CHECK(info->subject.ou.empty());
  CHECK(info->subject.email.empty());
  CHECK(info->dns_names == req.dns_names);
  CHECK(info->ip_addresses == std::vector<std::string>{"192.0.2.10", "2001:db8::1"});
  CHECK(info->key_description == "EC P-256");
  CHECK(info->key_bits == 256);
  CHECK(info->key_type == KeyType::Ec256);
  CHECK(info->public_key_der == ec_key().public_key_der());
  CHECK(key_matches(*info, ec_key()));
  CHECK_FALSE(key_matches(*info, rsa_key()));

  Req x = read_pem(*pem);
  CHECK(X509_REQ_get_signature_nid(x.get()) == NID_ecdsa_with_SHA256);
  // Only the non-empty fields are in the subject: C, O, CN.
  CHECK(X509_NAME_entry_count(X509_REQ_get_subject_name(x.get())) == 3);
  ExtFacts san = ext_facts(x.get(), NID_subject_alt_name);
  CHECK(san.present);
  CHECK_FALSE(san.critical);  // the subject is not empty
}

TEST_CASE("CSR key usages depend on the key type", "[crypto]") {
  CsrRequest req;
  req.subject.cn = "example.org";
  req.dns_names = {"example.org"};
  for (const PrivateKey* key : {&ec_key(), &rsa_key()}) {
    INFO(key->description());
    auto pem = make_csr(*key, req);
    REQUIRE(pem.ok());
    Req x = read_pem(*pem);
    bool ds = false, ke = false;
    std::vector<int> eku;
    usages(x.get(), ds, ke, eku);
    CHECK(ds);
    CHECK(ke == (key->algorithm() == "RSA"));
    CHECK(eku == std::vector<int>{NID_server_auth});
    if (key->algorithm() == "RSA") CHECK(X509_REQ_get_signature_nid(x.get()) == NID_sha256WithRSAEncryption);
  }
}

TEST_CASE("a CSR without a CN has an empty subject and a critical SAN", "[crypto]") {
  CsrRequest req;
  // 85 characters: a valid DNS name, too long for a CN (ub-common-name is 64).
  std::string long_name = std::string(60, 'a') + "." + std::string(12, 'b') + ".example.com";
  req.dns_names = {long_name};
  req.ip_addresses = {"10.0.0.1"};
  auto pem = make_csr(rsa_key(), req);
  REQUIRE(pem.ok());
  Req x = read_pem(*pem);
  CHECK(X509_NAME_entry_count(X509_REQ_get_subject_name(x.get())) == 0);
  ExtFacts san = ext_facts(x.get(), NID_subject_alt_name);
  CHECK(san.present);
  CHECK(san.critical);

  auto info = parse_csr(*pem, "long.csr");
  REQUIRE(info.ok());
  CHECK(info->subject.cn.empty());
  CHECK(info->dns_names == std::vector<std::string>{long_name});
  CHECK(info->ip_addresses == std::vector<std::string>{"10.0.0.1"});
  CHECK(info->key_description == "RSA 2048");
  CHECK(info->key_type == KeyType::Rsa2048);
}

TEST_CASE("make_csr rejects bad input", "[crypto]") {
  CsrRequest req;
  req.subject.cn = "example.com";
  req.ip_addresses = {"300.1.2.3"};
  auto bad_ip = make_csr(ec_key(), req);
  REQUIRE_FALSE(bad_ip.ok());
  CHECK(bad_ip.error().category() == Category::Input);
  CHECK(bad_ip.error().message().find("300.1.2.3") != std::string::npos);

  CsrRequest long_cn;
  long_cn.subject.cn = std::string(65, 'x');  // X.520 ub-common-name is 64
  auto too_long = make_csr(ec_key(), long_cn);
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.error().category() == Category::Input);

  auto nothing = make_csr(ec_key(), CsrRequest{});
  REQUIRE_FALSE(nothing.ok());
  CHECK(nothing.error().category() == Category::Input);
}

TEST_CASE("parse_csr reads DER and rejects tampered or broken CSRs", "[crypto]") {
  CsrRequest req;
  req.subject.cn = "shop.example.com";
  req.dns_names = {"shop.example.com"};
  auto pem = make_csr(ec_key(), req);
  REQUIRE(pem.ok());
  Req x = read_pem(*pem);
  std::string der = to_der(x.get());

  auto from_der = parse_csr(der, "site.der");
  REQUIRE(from_der.ok());
  CHECK(from_der->subject.cn == "shop.example.com");
  CHECK(from_der->pem == *pem);

  // Change one letter of the signed subject: still well-formed, but the signature breaks.
  std::string tampered = der;
  auto pos = tampered.find("shop.example.com");
  REQUIRE(pos != std::string::npos);
  tampered[pos] = 'x';
  auto bad_sig = parse_csr(tampered, "tampered.csr");
  REQUIRE_FALSE(bad_sig.ok());
  CHECK(bad_sig.error().category() == Category::Input);
  CHECK(bad_sig.error().subject() == "tampered.csr");
  CHECK(bad_sig.error().message() == "CSR signature does not verify");

  // The same through PEM.
  BIO* bio = BIO_new(BIO_s_mem());
  const auto* p = reinterpret_cast<const unsigned char*>(tampered.data());
  Req t(d2i_X509_REQ(nullptr, &p, static_cast<long>(tampered.size())));
  REQUIRE(t);
  REQUIRE(PEM_write_bio_X509_REQ(bio, t.get()) == 1);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string tampered_pem(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  auto bad_pem = parse_csr(tampered_pem, "tampered.pem");
  REQUIRE_FALSE(bad_pem.ok());
  CHECK(bad_pem.error().message() == "CSR signature does not verify");

  for (std::string junk : {std::string("not a csr"), der.substr(0, der.size() - 5), der + "xx",
                           std::string("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n")}) {
    auto r = parse_csr(junk, "junk.csr");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().category() == Category::Input);
    CHECK(r.error().subject() == "junk.csr");
  }
}
