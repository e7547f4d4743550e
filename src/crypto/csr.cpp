/// Certificate signing requests, and the name/SAN helpers that certificates share.
#include "crypto/handles.hpp"

#include <openssl/objects.h>
#include <openssl/pem.h>

#include <arpa/inet.h>

namespace certctl::crypto {
namespace {

struct NameField {
  int nid;
  std::string Subject::*field;
};

/// The order fields appear in a DN we build (most significant first, as is customary).
const NameField kNameFields[] = {
    {NID_countryName, &Subject::c},         {NID_stateOrProvinceName, &Subject::st},
    {NID_localityName, &Subject::l},        {NID_organizationName, &Subject::o},
    {NID_organizationalUnitName, &Subject::ou}, {NID_commonName, &Subject::cn},
    {NID_pkcs9_emailAddress, &Subject::email},
};

/// "192.0.2.1" or RFC 5952 text for IPv6; "" for a malformed length.
std::string format_ip(const ASN1_OCTET_STRING* ip) {
  const unsigned char* d = ASN1_STRING_get0_data(ip);
  int len = ASN1_STRING_length(ip);
  char buf[INET6_ADDRSTRLEN] = {};
  if (len == 4 && inet_ntop(AF_INET, d, buf, sizeof buf)) return buf;
  if (len == 16 && inet_ntop(AF_INET6, d, buf, sizeof buf)) return buf;
  return {};
}

Result<X509ExtPtr> conf_extension(int nid, const char* value) {
  X509ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, nullptr, nid, value));
  if (!ext) return openssl_failure(std::string("cannot build extension ") + OBJ_nid2sn(nid));
  return ext;
}

Result<X509ReqPtr> read_req(std::string_view data, std::string_view subject) {
  clear_openssl_errors();
  X509ReqPtr req;
  if (data.find("-----BEGIN") != std::string_view::npos) {
    BioPtr bio = bio_over(data);
    req.reset(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  } else {
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    req.reset(d2i_X509_REQ(nullptr, &p, static_cast<long>(data.size())));
    if (req && p != reinterpret_cast<const unsigned char*>(data.data()) + data.size()) req.reset();
  }
  if (!req) return input_error(subject, "not a PEM or DER certificate signing request");
  return req;
}

}  // namespace

// ---- names -----------------------------------------------------------------------------------

bool subject_empty(const Subject& s) {
  for (const auto& f : kNameFields) {
    if (!(s.*f.field).empty()) return false;
  }
  return true;
}

Result<X509NamePtr> make_name(const Subject& s) {
  X509NamePtr name(X509_NAME_new());
  if (!name) return openssl_failure("cannot allocate a name");
  for (const auto& f : kNameFields) {
    const std::string& v = s.*f.field;
    if (v.empty()) continue;
    if (X509_NAME_add_entry_by_NID(name.get(), f.nid, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(v.data()),
                                   static_cast<int>(v.size()), -1, 0) != 1) {
      // Length limits (CN <= 64, C == 2) and character sets are enforced here.
      return input_error(std::string("subject ") + OBJ_nid2sn(f.nid), "invalid subject field value '" + v + "'");
    }
  }
  return name;
}

std::string name_entry(const X509_NAME* name, int nid) {
  if (!name) return {};
  int idx = X509_NAME_get_index_by_NID(name, nid, -1);
  if (idx < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) {
    clear_openssl_errors();
    return {};
  }
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

Subject read_subject(const X509_NAME* name) {
  Subject s;
  for (const auto& f : kNameFields) s.*f.field = name_entry(name, f.nid);
  return s;
}

// ---- subjectAltName --------------------------------------------------------------------------

Result<X509ExtPtr> make_san_extension(const std::vector<std::string>& dns_names,
                                      const std::vector<std::string>& ip_addresses,
                                      bool critical, std::string_view subject) {
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) return openssl_failure("cannot allocate subjectAltName");
  // Built entry by entry rather than through a "DNS:a,IP:b" config string, so no value can
  // smuggle in extra entries.
  for (const auto& dns : dns_names) {
    GeneralNamePtr gen(GENERAL_NAME_new());
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    if (!gen || !ia5 || ASN1_STRING_set(ia5, dns.data(), static_cast<int>(dns.size())) != 1) {
      ASN1_IA5STRING_free(ia5);
      return openssl_failure("cannot build a DNS name");
    }
    GENERAL_NAME_set0_value(gen.get(), GEN_DNS, ia5);
    if (!sk_GENERAL_NAME_push(names.get(), gen.get())) return openssl_failure("cannot add a DNS name");
    gen.release();
  }
  for (const auto& ip : ip_addresses) {
    Asn1OctetStringPtr octets(a2i_IPADDRESS(ip.c_str()));
    if (!octets) return input_error(subject, "'" + ip + "' is not an IP address", false);
    GeneralNamePtr gen(GENERAL_NAME_new());
    if (!gen) return openssl_failure("cannot build an IP address name");
    GENERAL_NAME_set0_value(gen.get(), GEN_IPADD, octets.release());
    if (!sk_GENERAL_NAME_push(names.get(), gen.get())) return openssl_failure("cannot add an IP name");
    gen.release();
  }
  X509ExtPtr ext(X509V3_EXT_i2d(NID_subject_alt_name, critical ? 1 : 0, names.get()));
  if (!ext) return openssl_failure("cannot encode subjectAltName");
  return ext;
}

void read_sans(const GENERAL_NAMES* names, std::vector<std::string>& dns, std::vector<std::string>& ips) {
  if (!names) return;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* gen = sk_GENERAL_NAME_value(names, i);
    int type = 0;
    void* value = GENERAL_NAME_get0_value(gen, &type);
    if (type == GEN_DNS) {
      const auto* s = static_cast<const ASN1_IA5STRING*>(value);
      dns.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<std::size_t>(ASN1_STRING_length(s)));
    } else if (type == GEN_IPADD) {
      std::string text = format_ip(static_cast<const ASN1_OCTET_STRING*>(value));
      if (!text.empty()) ips.push_back(std::move(text));
    }
  }
}

// ---- CSRs ------------------------------------------------------------------------------------

Result<std::string> make_csr(const PrivateKey& key, const CsrRequest& req) {
  if (key.empty()) return Error(Category::Internal, "csr", "make_csr called without a key");
  if (subject_empty(req.subject) && req.dns_names.empty() && req.ip_addresses.empty()) {
    return Error(Category::Input, "csr", "a CSR needs a subject or at least one name");
  }
  clear_openssl_errors();
  X509ReqPtr csr(X509_REQ_new());
  if (!csr || X509_REQ_set_version(csr.get(), X509_REQ_VERSION_1) != 1) {
    return openssl_failure("cannot allocate a CSR");
  }
  TRY_ASSIGN(X509NamePtr name, make_name(req.subject));
  if (X509_REQ_set_subject_name(csr.get(), name.get()) != 1 ||
      X509_REQ_set_pubkey(csr.get(), key.get()) != 1) {
    return openssl_failure("cannot fill in the CSR");
  }

  X509ExtStackPtr exts(sk_X509_EXTENSION_new_null());
  if (!exts) return openssl_failure("cannot allocate CSR extensions");
  auto push = [&](X509ExtPtr ext) -> Status {
    if (!sk_X509_EXTENSION_push(exts.get(), ext.get())) return openssl_failure("cannot add an extension");
    ext.release();
    return {};
  };
  if (!req.dns_names.empty() || !req.ip_addresses.empty()) {
    // RFC 5280 4.2.1.6: with an empty subject the SAN extension must be critical.
    TRY_ASSIGN(X509ExtPtr san, make_san_extension(req.dns_names, req.ip_addresses,
                                                  subject_empty(req.subject), "csr"));
    TRY(push(std::move(san)));
  }
  bool rsa = key.algorithm() == "RSA";
  TRY_ASSIGN(X509ExtPtr ku, conf_extension(NID_key_usage, rsa ? "critical,digitalSignature,keyEncipherment"
                                                              : "critical,digitalSignature"));
  TRY(push(std::move(ku)));
  TRY_ASSIGN(X509ExtPtr eku, conf_extension(NID_ext_key_usage, "serverAuth"));
  TRY(push(std::move(eku)));
  if (X509_REQ_add_extensions(csr.get(), exts.get()) != 1) return openssl_failure("cannot add CSR extensions");

  if (X509_REQ_sign(csr.get(), key.get(), EVP_sha256()) <= 0) return openssl_failure("cannot sign the CSR");
  BioPtr bio = new_mem_bio();
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), csr.get()) != 1) return openssl_failure("cannot encode the CSR");
  return bio_contents(bio.get());
}

Result<CsrInfo> parse_csr(std::string_view data, std::string_view subject) {
  TRY_ASSIGN(X509ReqPtr req, read_req(data, subject));
  EVP_PKEY* pub = X509_REQ_get0_pubkey(req.get());
  if (!pub) return input_error(subject, "the CSR's public key cannot be read");
  if (X509_REQ_verify(req.get(), pub) != 1) return input_error(subject, "CSR signature does not verify");

  CsrInfo info;
  BioPtr bio = new_mem_bio();
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1) return openssl_failure("cannot encode the CSR");
  info.pem = bio_contents(bio.get());
  unsigned char* der = nullptr;
  const int der_len = i2d_X509_REQ(req.get(), &der);
  if (der_len <= 0) return openssl_failure("cannot encode the CSR");
  info.der.assign(reinterpret_cast<const char*>(der), static_cast<std::size_t>(der_len));
  OPENSSL_free(der);
  info.subject = read_subject(X509_REQ_get_subject_name(req.get()));

  X509ExtStackPtr exts(X509_REQ_get_extensions(req.get()));
  clear_openssl_errors();  // no extensions is not an error
  if (exts) {
    int crit = 0;
    GeneralNamesPtr sans(static_cast<GENERAL_NAMES*>(
        X509V3_get_d2i(exts.get(), NID_subject_alt_name, &crit, nullptr)));
    if (!sans && crit == -2) return input_error(subject, "the CSR has more than one subjectAltName");
    if (!sans && crit >= 0) return input_error(subject, "the CSR's subjectAltName is malformed");
    read_sans(sans.get(), info.dns_names, info.ip_addresses);
    clear_openssl_errors();
  }
  info.public_key_der = pkey_spki_der(pub);
  info.key_description = pkey_description(pub);
  info.key_bits = pkey_bits(pub);
  info.key_type = pkey_key_type(pub);
  return info;
}

}  // namespace certctl::crypto
