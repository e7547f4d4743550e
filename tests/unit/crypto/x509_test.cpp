#include <certctl/crypto.hpp>

#include <catch2/catch.hpp>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>

using namespace certctl;
using namespace certctl::crypto;

namespace {

constexpr UnixTime kJan2026 = 1767225600;  // 2026-01-01T00:00:00Z
constexpr UnixTime kJan2027 = 1798761600;  // 2027-01-01T00:00:00Z
constexpr UnixTime kJul2026 = 1782864000;  // 2026-07-01T00:00:00Z

IssueParams validity(std::string serial = {}, bool is_ca = false) {
  IssueParams p;
  p.serial_hex = std::move(serial);
  p.not_before = kJan2026;
  p.not_after = kJan2027;
  p.is_ca = is_ca;
  return p;
}

PrivateKey make_key(KeyType t) {
  auto k = PrivateKey::generate(t);
  REQUIRE(k.ok());
  return std::move(*k);
}

CsrInfo make_csr_info(const PrivateKey& key, std::string cn, std::vector<std::string> dns,
                      std::vector<std::string> ips = {}) {
  CsrRequest req;
  req.subject.cn = std::move(cn);
  req.dns_names = std::move(dns);
  req.ip_addresses = std::move(ips);
  auto pem = make_csr(key, req);
  REQUIRE(pem.ok());
  auto info = parse_csr(*pem, "test.csr");
  REQUIRE(info.ok());
  return std::move(*info);
}

/// root (EC P-256, self-signed) -> intermediate (EC P-384, CA) -> leaf (RSA 2048), plus an
/// unrelated root with the same name as the real one.
struct Pki {
  PrivateKey root_key = make_key(KeyType::Ec256);
  PrivateKey inter_key = make_key(KeyType::Ec384);
  PrivateKey leaf_key = make_key(KeyType::Rsa2048);
  PrivateKey other_key = make_key(KeyType::Ec256);
  Certificate root, inter, leaf, other_root;

  Pki() {
    Subject rs;
    rs.cn = "certctl Test Root";
    rs.o = "certctl";
    auto r = make_self_signed_ca(root_key, rs, validity("00AB01"));
    REQUIRE(r.ok());
    root = std::move(*r);

    auto i = sign_csr(make_csr_info(inter_key, "certctl Test Intermediate", {}), root, root_key,
                      validity({}, true));
    REQUIRE(i.ok());
    inter = std::move(*i);

    auto l = sign_csr(make_csr_info(leaf_key, "www.example.com", {"www.example.com", "example.com"},
                                    {"192.0.2.7"}),
                      inter, inter_key, validity());
    REQUIRE(l.ok());
    leaf = std::move(*l);

    auto o = make_self_signed_ca(other_key, rs, validity());
    REQUIRE(o.ok());
    other_root = std::move(*o);
  }
};

const Pki& pki() {
  static Pki p;
  return p;
}

std::vector<Certificate> clones(std::initializer_list<const Certificate*> certs) {
  std::vector<Certificate> out;
  for (const auto* c : certs) out.push_back(c->clone());
  return out;
}

}  // namespace

TEST_CASE("make_self_signed_ca makes a root CA", "[crypto]") {
  const Certificate& root = pki().root;
  CertInfo info = root.info();
  CHECK(info.subject.cn == "certctl Test Root");
  CHECK(info.subject.o == "certctl");
  CHECK(info.subject_dn == "CN=certctl Test Root,O=certctl");
  CHECK(info.issuer_dn == info.subject_dn);
  CHECK(info.issuer_cn == "certctl Test Root");
  CHECK(info.serial_hex == "AB01");  // given as "00AB01": leading zeros dropped
  CHECK(info.serial_dec == "43777");
  CHECK(info.not_before == kJan2026);
  CHECK(info.not_after == kJan2027);
  CHECK(info.signature_algorithm == "ecdsa-with-SHA256");
  CHECK(info.key_description == "EC P-256");
  CHECK(info.key_type == KeyType::Ec256);
  CHECK(info.is_ca);
  CHECK(info.self_signed);
  CHECK(info.dns_names.empty());
  CHECK(info.public_key_der == pki().root_key.public_key_der());

  X509* x = root.get();
  CHECK(X509_get_version(x) == X509_VERSION_3);
  CHECK(X509_get_pathlen(x) == -1);  // no pathlen constraint
  CHECK(X509_get_key_usage(x) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  int crit = 0;
  auto* bc = static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(x, NID_basic_constraints, &crit, nullptr));
  REQUIRE(bc);
  CHECK(bc->ca != 0);
  CHECK(crit == 1);
  BASIC_CONSTRAINTS_free(bc);
  CHECK(X509_get0_subject_key_id(x) != nullptr);
}

TEST_CASE("sign_csr issues a leaf with the CSR's names and the right extensions", "[crypto]") {
  const Pki& p = pki();
  CertInfo info = p.leaf.info();
  CHECK(info.subject.cn == "www.example.com");
  CHECK(info.subject_dn == "CN=www.example.com");
  CHECK(info.issuer_cn == "certctl Test Intermediate");
  CHECK(info.dns_names == std::vector<std::string>{"www.example.com", "example.com"});
  CHECK(info.ip_addresses == std::vector<std::string>{"192.0.2.7"});
  CHECK(info.key_description == "RSA 2048");
  CHECK(info.key_bits == 2048);
  CHECK(info.key_type == KeyType::Rsa2048);
  CHECK_FALSE(info.is_ca);
  CHECK_FALSE(info.self_signed);
  CHECK(info.signature_algorithm == "ecdsa-with-SHA384");  // P-384 issuer
  CHECK(info.not_before == kJan2026);
  CHECK(info.not_after == kJan2027);

  // Random serial: 16 bytes, positive, no leading zero byte.
  CHECK(info.serial_hex.size() == 32);
  CHECK(info.serial_hex.find_first_not_of("0123456789ABCDEF") == std::string::npos);
  CHECK(info.serial_hex.rfind("00", 0) != 0);
  CHECK(info.serial_hex != p.inter.info().serial_hex);

  CHECK(info.fingerprint_sha256.size() == 32 * 3 - 1);
  CHECK(info.fingerprint_sha1.size() == 20 * 3 - 1);
  CHECK(info.fingerprint_md5.size() == 16 * 3 - 1);
  CHECK(info.fingerprint_sha256.find_first_not_of("0123456789ABCDEF:") == std::string::npos);
  CHECK(info.fingerprint_sha256 ==
        hex_encode(sha256(p.leaf.to_der()), true, true));

  X509* x = p.leaf.get();
  CHECK(X509_get_version(x) == X509_VERSION_3);
  CHECK(X509_get_key_usage(x) == (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  CHECK(X509_get_extended_key_usage(x) == (XKU_SSL_SERVER | XKU_SSL_CLIENT));
  int crit = 0;
  auto* bc = static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(x, NID_basic_constraints, &crit, nullptr));
  REQUIRE(bc);
  CHECK(bc->ca == 0);
  CHECK(crit == 1);
  BASIC_CONSTRAINTS_free(bc);
  auto* ku = static_cast<ASN1_BIT_STRING*>(X509_get_ext_d2i(x, NID_key_usage, &crit, nullptr));
  REQUIRE(ku);
  CHECK(crit == 1);
  ASN1_BIT_STRING_free(ku);
  // AKI keyid = the intermediate's SKI.
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(x);
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(p.inter.get());
  REQUIRE(aki);
  REQUIRE(ski);
  CHECK(ASN1_OCTET_STRING_cmp(aki, ski) == 0);
  CHECK(X509_get0_subject_key_id(x) != nullptr);

  // The intermediate: CA with pathlen 0, signed by the P-256 root with SHA-256.
  CertInfo ii = p.inter.info();
  CHECK(ii.is_ca);
  CHECK(ii.signature_algorithm == "ecdsa-with-SHA256");
  CHECK(X509_get_pathlen(p.inter.get()) == 0);
  CHECK((X509_get_key_usage(p.inter.get()) & KU_KEY_CERT_SIGN) != 0);
}

TEST_CASE("an EC leaf has no keyEncipherment and an RSA CA signs with SHA-256", "[crypto]") {
  PrivateKey ca_key = make_key(KeyType::Rsa2048);
  Subject s;
  s.cn = "RSA Root";
  auto ca = make_self_signed_ca(ca_key, s, validity("1"));
  REQUIRE(ca.ok());
  CHECK(ca->info().signature_algorithm == "sha256WithRSAEncryption");
  CHECK(ca->info().serial_hex == "1");

  PrivateKey leaf_key = make_key(KeyType::Ec256);
  // No CN: subject empty, names only in the SAN.
  auto leaf = sign_csr(make_csr_info(leaf_key, "", {"a.example.net"}), *ca, ca_key, validity("0FFF"));
  REQUIRE(leaf.ok());
  CertInfo info = leaf->info();
  CHECK(info.signature_algorithm == "sha256WithRSAEncryption");
  CHECK(info.serial_hex == "FFF");
  CHECK(info.subject.cn.empty());
  CHECK(info.subject_dn.empty());
  CHECK(info.dns_names == std::vector<std::string>{"a.example.net"});
  CHECK(X509_get_key_usage(leaf->get()) == KU_DIGITAL_SIGNATURE);
  int crit = 0;
  GENERAL_NAMES* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf->get(), NID_subject_alt_name, &crit, nullptr));
  REQUIRE(sans);
  CHECK(crit == 1);  // empty subject: SAN must be critical
  GENERAL_NAMES_free(sans);
  CHECK(verify_chain_links(*leaf, clones({&*ca}), "x").ok());
}

TEST_CASE("issuing rejects bad parameters and mismatched CA keys", "[crypto]") {
  const Pki& p = pki();
  CsrInfo csr = make_csr_info(p.leaf_key, "x.example.com", {"x.example.com"});
  for (const char* serial : {"xyz", "0", "0x10", "123456789012345678901234567890123456789012"}) {
    INFO(serial);
    auto r = sign_csr(csr, p.root, p.root_key, validity(serial));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().category() == Category::Input);
  }
  // 20 bytes with the top bit clear is the largest allowed.
  auto max = sign_csr(csr, p.root, p.root_key, validity("7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"));
  REQUIRE(max.ok());
  CHECK(max->info().serial_hex == "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF");
  auto over = sign_csr(csr, p.root, p.root_key, validity("8FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"));
  REQUIRE_FALSE(over.ok());

  IssueParams backwards = validity();
  std::swap(backwards.not_before, backwards.not_after);
  auto r = sign_csr(csr, p.root, p.root_key, backwards);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == Category::Input);

  auto wrong_key = sign_csr(csr, p.root, p.other_key, validity());
  REQUIRE_FALSE(wrong_key.ok());
  CHECK(wrong_key.error().message().find("does not match") != std::string::npos);

  auto not_ca = sign_csr(csr, p.leaf, p.leaf_key, validity());
  REQUIRE_FALSE(not_ca.ok());
  CHECK(not_ca.error().message().find("not a CA") != std::string::npos);
}

TEST_CASE("a CRL distribution point is added when configured", "[crypto]") {
  const Pki& p = pki();
  IssueParams params = validity();
  params.crl_url = "http://ca.example/crl.der";
  auto cert = sign_csr(make_csr_info(p.leaf_key, "c.example", {"c.example"}), p.root, p.root_key, params);
  REQUIRE(cert.ok());
  auto* dps = static_cast<CRL_DIST_POINTS*>(X509_get_ext_d2i(cert->get(), NID_crl_distribution_points, nullptr, nullptr));
  REQUIRE(dps);
  CHECK(sk_DIST_POINT_num(dps) == 1);
  CRL_DIST_POINTS_free(dps);
  CHECK(X509_get_ext_by_NID(p.leaf.get(), NID_crl_distribution_points, -1) < 0);

  params.crl_url = "http://a,URI:http://b";
  CHECK_FALSE(sign_csr(make_csr_info(p.leaf_key, "c.example", {"c.example"}), p.root, p.root_key, params).ok());
}

TEST_CASE("verify_chain_links accepts the right order and names the broken link", "[crypto]") {
  const Pki& p = pki();
  CHECK(verify_chain_links(p.leaf, clones({&p.inter, &p.root}), "bundle.pem").ok());
  CHECK(verify_chain_links(p.leaf, clones({&p.inter}), "bundle.pem").ok());
  CHECK(verify_chain_links(p.leaf, {}, "bundle.pem").ok());

  auto swapped = verify_chain_links(p.leaf, clones({&p.root, &p.inter}), "bundle.pem");
  REQUIRE_FALSE(swapped.ok());
  CHECK(swapped.error().category() == Category::Input);
  CHECK(swapped.error().subject() == "bundle.pem");
  CHECK(swapped.error().message() ==
        "chain certificate 1 (CN=certctl Test Root) did not issue the leaf certificate "
        "(CN=www.example.com): wrong order or missing intermediate");

  auto missing = verify_chain_links(p.leaf, clones({&p.root}), "bundle.pem");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message().find("chain certificate 1 (CN=certctl Test Root)") == 0);

  // Same issuer name, different key: caught by the signature (or key id) check.
  auto impostor = verify_chain_links(p.leaf, clones({&p.inter, &p.other_root}), "bundle.pem");
  REQUIRE_FALSE(impostor.ok());
  CHECK(impostor.error().message() ==
        "chain certificate 2 (CN=certctl Test Root) did not issue certificate 1 "
        "(CN=certctl Test Intermediate): wrong order or missing intermediate");
  CHECK_FALSE(impostor.error().cause().empty());
}

TEST_CASE("verify_against_roots validates the path at a given time", "[crypto]") {
  const Pki& p = pki();
  auto roots = clones({&p.root});
  CHECK(verify_against_roots(p.leaf, clones({&p.inter}), roots, kJul2026, "site").ok());
  // The chain may include the root itself.
  CHECK(verify_against_roots(p.leaf, clones({&p.inter, &p.root}), roots, kJul2026, "site").ok());

  auto expired = verify_against_roots(p.leaf, clones({&p.inter}), roots, kJan2027 + 86400, "site");
  REQUIRE_FALSE(expired.ok());
  CHECK(expired.error().category() == Category::Input);
  CHECK(expired.error().subject() == "site");
  CHECK(expired.error().message().find("certificate has expired") != std::string::npos);

  auto early = verify_against_roots(p.leaf, clones({&p.inter}), roots, kJan2026 - 86400, "site");
  REQUIRE_FALSE(early.ok());
  CHECK(early.error().message().find("not yet valid") != std::string::npos);

  auto no_inter = verify_against_roots(p.leaf, {}, roots, kJul2026, "site");
  REQUIRE_FALSE(no_inter.ok());
  CHECK(no_inter.error().message().find("unable to get local issuer certificate") != std::string::npos);

  auto wrong_root = verify_against_roots(p.leaf, clones({&p.inter}), clones({&p.other_root}), kJul2026, "site");
  REQUIRE_FALSE(wrong_root.ok());
  CHECK(wrong_root.error().category() == Category::Input);
}

TEST_CASE("key_matches and public_key_matches", "[crypto]") {
  const Pki& p = pki();
  CHECK(key_matches(p.leaf, p.leaf_key));
  CHECK_FALSE(key_matches(p.leaf, p.root_key));
  CHECK(key_matches(p.root, p.root_key));
  CHECK_FALSE(key_matches(p.root, p.other_key));
  CHECK_FALSE(key_matches(Certificate(), p.root_key));

  CsrInfo csr = make_csr_info(p.leaf_key, "m.example", {"m.example"});
  CHECK(public_key_matches(p.leaf, csr));
  CHECK_FALSE(public_key_matches(p.root, csr));
}

TEST_CASE("parse_certificates reads PEM bundles and DER", "[crypto]") {
  const Pki& p = pki();
  std::string bundle = "leaf follows\n" + p.leaf.to_pem() + "\nsome text\n" +
                       std::string(pki().leaf_key.to_pem().view()) + p.inter.to_pem() + "trailer\n";
  auto certs = parse_certificates(bundle, "bundle.pem");
  REQUIRE(certs.ok());
  REQUIRE(certs->size() == 2);
  CHECK((*certs)[0].to_der() == p.leaf.to_der());
  CHECK((*certs)[1].to_der() == p.inter.to_der());
  CHECK(to_pem_bundle(*certs) == p.leaf.to_pem() + p.inter.to_pem());

  auto der = parse_certificates(p.root.to_der(), "root.der");
  REQUIRE(der.ok());
  REQUIRE(der->size() == 1);
  CHECK((*der)[0].info().fingerprint_sha256 == p.root.info().fingerprint_sha256);

  auto none = parse_certificates(std::string(pki().leaf_key.to_pem().view()), "key.pem");
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().category() == Category::Input);
  CHECK(none.error().subject() == "key.pem");
  CHECK(none.error().message() == "no certificate found");

  auto empty = parse_certificates("", "empty.pem");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().message() == "no certificate found");

  auto junk = parse_certificates("definitely not a certificate", "junk");
  REQUIRE_FALSE(junk.ok());
  CHECK(junk.error().category() == Category::Input);

  std::string truncated_der = p.root.to_der();
  truncated_der.resize(truncated_der.size() - 10);
  CHECK_FALSE(parse_certificates(truncated_der, "t.der").ok());

  // A broken block after a good one is an error, not silently dropped.
  std::string broken = p.leaf.to_pem() + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  auto bad = parse_certificates(broken, "broken.pem");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message() == "certificate 2 is malformed");
}

TEST_CASE("Certificate clone and move", "[crypto]") {
  const Pki& p = pki();
  Certificate c = p.root.clone();
  CHECK(c.to_der() == p.root.to_der());
  Certificate moved = std::move(c);
  CHECK(c.empty());
  CHECK_FALSE(moved.empty());
  Certificate empty;
  CHECK(empty.to_pem().empty());
  CHECK(empty.info().subject_dn.empty());
  CHECK(Certificate().clone().empty());
}

TEST_CASE("ari_cert_id joins the issuer's key id and the serial's DER octets (RFC 9773 4.1)", "[crypto]") {
  // Serial 0x87654321 has its top bit set, so DER prefixes 0x00: content 00 87 65 43 21, as in
  // the RFC's own example ("AIdlQyE").
  auto leaf = sign_csr(make_csr_info(pki().leaf_key, "ari.example.com", {"ari.example.com"}), pki().inter,
                       pki().inter_key, validity("87654321"));
  REQUIRE(leaf.ok());
  auto id = ari_cert_id(*leaf, "leaf");
  REQUIRE(id.ok());
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(pki().inter.get());
  REQUIRE(ski != nullptr);
  const std::string key_id(reinterpret_cast<const char*>(ASN1_STRING_get0_data(ski)),
                           static_cast<std::size_t>(ASN1_STRING_length(ski)));
  CHECK(*id == base64url_encode(key_id) + ".AIdlQyE");

  // A small serial without the top bit set: no padding octet.
  auto small = sign_csr(make_csr_info(pki().leaf_key, "ari2.example.com", {"ari2.example.com"}), pki().inter,
                        pki().inter_key, validity("0102"));
  REQUIRE(small.ok());
  auto id2 = ari_cert_id(*small, "leaf");
  REQUIRE(id2.ok());
  CHECK(id2->substr(id2->find('.') + 1) == base64url_encode(std::string("\x01\x02", 2)));
}
