/// Certificates: parsing, facts, chain checks and issuing (the local CA's signing primitive).
#include "crypto/handles.hpp"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace certctl::crypto {
namespace {

/// Largest serial RFC 5280 allows: 20 octets.
constexpr std::size_t kMaxSerialBytes = 20;
/// Random serials: 16 bytes, high bit clear (positive), second-highest set (no leading zero).
constexpr std::size_t kRandomSerialBytes = 16;

UnixTime to_unix(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) {
    clear_openssl_errors();
    return 0;
  }
  return static_cast<UnixTime>(timegm(&tm));
}

std::string name_rfc2253(const X509_NAME* name) {
  return write_to_string([name](BIO* b) { return X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0; });
}

std::string fingerprint(const X509* x, const EVP_MD* md) {
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!md || X509_digest(x, md, buf, &len) != 1) {
    clear_openssl_errors();  // e.g. MD5 unavailable under FIPS
    return {};
  }
  return hex_encode(std::string_view(reinterpret_cast<const char*>(buf), len), true, true);
}

/// "CN=example.com", or the whole DN when there is no CN, for messages.
std::string describe(const X509* x) {
  const X509_NAME* name = X509_get_subject_name(x);
  std::string cn = name_entry(name, NID_commonName);
  if (!cn.empty()) return "CN=" + cn;
  std::string dn = name_rfc2253(name);
  return dn.empty() ? std::string("empty subject") : dn;
}

bool is_hex(std::string_view s) {
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

Result<Asn1IntegerPtr> make_serial(std::string_view hex) {
  BnPtr bn;
  if (hex.empty()) {
    std::string bytes = random_bytes(kRandomSerialBytes);
    bytes[0] = static_cast<char>((static_cast<unsigned char>(bytes[0]) & 0x7F) | 0x40);
    bn.reset(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                       static_cast<int>(bytes.size()), nullptr));
  } else {
    while (hex.size() > 1 && hex.front() == '0') hex.remove_prefix(1);
    if (!is_hex(hex) || hex.size() > 2 * kMaxSerialBytes) {
      return Error(Category::Input, "serial", "'" + std::string(hex) +
                   "' is not a hexadecimal serial number of at most 20 bytes");
    }
    BIGNUM* raw = nullptr;
    std::string text(hex);
    if (BN_hex2bn(&raw, text.c_str()) == 0) return openssl_failure("cannot parse the serial number");
    bn.reset(raw);
    if (BN_is_zero(bn.get())) return Error(Category::Input, "serial", "the serial number must be positive");
    // DER integers are signed: a set top bit costs a leading zero byte, which must still fit.
    if (BN_num_bytes(bn.get()) == kMaxSerialBytes && BN_is_bit_set(bn.get(), 8 * kMaxSerialBytes - 1)) {
      return Error(Category::Input, "serial", "the serial number does not fit in 20 bytes");
    }
  }
  if (!bn) return openssl_failure("cannot make a serial number");
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial) return openssl_failure("cannot encode the serial number");
  return serial;
}

Status add_ext(X509* x, X509ExtPtr ext) {
  if (X509_add_ext(x, ext.get(), -1) != 1) return openssl_failure("cannot add an extension");
  return {};
}

Status add_conf_ext(X509* x, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext) return openssl_failure(std::string("cannot build extension ") + OBJ_nid2sn(nid));
  return add_ext(x, std::move(ext));
}

/// A version 3 certificate with serial, validity, names and public key; no extensions yet.
Result<X509Ptr> new_cert(const IssueParams& params, const X509_NAME* subject,
                         const X509_NAME* issuer, EVP_PKEY* pubkey) {
  if (params.not_after <= params.not_before) {
    return Error(Category::Input, "validity", "not_after must be later than not_before");
  }
  if (!params.crl_url.empty() &&
      params.crl_url.find_first_of(", \t\r\n") != std::string::npos) {
    return Error(Category::Input, "crl url", "'" + params.crl_url + "' is not a valid URL");
  }
  X509Ptr x(X509_new());
  if (!x || X509_set_version(x.get(), X509_VERSION_3) != 1) return openssl_failure("cannot allocate a certificate");
  TRY_ASSIGN(Asn1IntegerPtr serial, make_serial(params.serial_hex));
  // ASN1_TIME_set picks UTCTime before 2050 and GeneralizedTime after, as RFC 5280 requires.
  if (X509_set_serialNumber(x.get(), serial.get()) != 1 ||
      !ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(params.not_before)) ||
      !ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(params.not_after)) ||
      X509_set_subject_name(x.get(), subject) != 1 || X509_set_issuer_name(x.get(), issuer) != 1 ||
      X509_set_pubkey(x.get(), pubkey) != 1) {
    return openssl_failure("cannot fill in the certificate");
  }
  return x;
}

Status add_crl_dp(X509* x, X509V3_CTX* ctx, const IssueParams& params) {
  if (params.crl_url.empty()) return {};
  return add_conf_ext(x, ctx, NID_crl_distribution_points, "URI:" + params.crl_url);
}

Result<Certificate> sign_cert(X509Ptr x, EVP_PKEY* key) {
  if (X509_sign(x.get(), key, signing_digest(key)) <= 0) return openssl_failure("cannot sign the certificate");
  return Certificate::adopt(x.release());
}

// ---- name constraints ------------------------------------------------------------------------

/// "10.0.0.0/8" or "fd00::/8" as the address followed by its mask (8 or 32 bytes), the form
/// an iPAddress in a name constraint takes (RFC 5280 4.2.1.10). nullopt when it is not one.
std::optional<std::string> cidr_bytes(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos || slash + 1 >= text.size() || text.size() - slash > 4) return std::nullopt;
  const std::string addr(text.substr(0, slash));
  int prefix = 0;
  for (char c : text.substr(slash + 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    prefix = prefix * 10 + (c - '0');
  }
  unsigned char buf[16] = {0};
  std::size_t len = 0;
  if (inet_pton(AF_INET, addr.c_str(), buf) == 1) len = 4;
  else if (inet_pton(AF_INET6, addr.c_str(), buf) == 1) len = 16;
  else return std::nullopt;
  if (prefix > static_cast<int>(len * 8)) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(buf), len);
  std::string mask(len, '\0');
  for (std::size_t i = 0; i < len; ++i) {
    const int bits = std::clamp(prefix - static_cast<int>(i * 8), 0, 8);
    mask[i] = static_cast<char>(0xff00 >> bits);
    out[i] = static_cast<char>(out[i] & mask[i]);  // host bits are not part of a range
  }
  return out + mask;
}

/// The CIDR text of an address+mask octet string, or "" when the mask is not a prefix.
std::string cidr_text(const ASN1_OCTET_STRING* o) {
  const int n = ASN1_STRING_length(o);
  if (n != 8 && n != 32) return {};
  const unsigned char* d = ASN1_STRING_get0_data(o);
  const int len = n / 2;
  char buf[INET6_ADDRSTRLEN] = {0};
  if (!inet_ntop(len == 4 ? AF_INET : AF_INET6, d, buf, sizeof buf)) return {};
  int prefix = 0;
  for (int i = 0; i < len; ++i)
    for (int b = 7; b >= 0; --b) prefix += (d[len + i] >> b) & 1;
  return fmt::format("{}/{}", buf, prefix);
}

Result<GeneralNamePtr> subtree_name(const std::string& value) {
  GeneralNamePtr gn(GENERAL_NAME_new());
  if (!gn) return openssl_failure("cannot allocate a name constraint");
  if (value.find('/') != std::string::npos) {
    const auto bytes = cidr_bytes(value);
    if (!bytes) return Error(Category::Input, "name constraint", "'" + value + "' is not an IP range like 10.0.0.0/8 or fd00::/8");
    Asn1OctetStringPtr ip(ASN1_OCTET_STRING_new());
    if (!ip || ASN1_OCTET_STRING_set(ip.get(), reinterpret_cast<const unsigned char*>(bytes->data()), static_cast<int>(bytes->size())) != 1)
      return openssl_failure("cannot encode a name constraint");
    GENERAL_NAME_set0_value(gn.get(), GEN_IPADD, ip.release());
    return gn;
  }
  if (value.empty() || value.size() > 253 || value.find_first_of(" \t\r\n,*") != std::string::npos)
    return Error(Category::Input, "name constraint", "'" + value + "' is not a DNS name");
  ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
  if (!dns || ASN1_STRING_set(dns, value.data(), static_cast<int>(value.size())) != 1) {
    ASN1_IA5STRING_free(dns);
    return openssl_failure("cannot encode a name constraint");
  }
  GENERAL_NAME_set0_value(gn.get(), GEN_DNS, dns);
  return gn;
}

Result<STACK_OF(GENERAL_SUBTREE)*> subtrees(const std::vector<std::string>& values) {
  if (values.empty()) return static_cast<STACK_OF(GENERAL_SUBTREE)*>(nullptr);
  STACK_OF(GENERAL_SUBTREE)* st = sk_GENERAL_SUBTREE_new_null();
  if (!st) return openssl_failure("cannot allocate name constraints");
  for (const auto& v : values) {
    auto gn = subtree_name(v);
    GeneralSubtreePtr sub(GENERAL_SUBTREE_new());
    if (!gn || !sub || !sk_GENERAL_SUBTREE_push(st, sub.get())) {
      sk_GENERAL_SUBTREE_pop_free(st, GENERAL_SUBTREE_free);
      if (!gn) return std::move(gn).error();
      return openssl_failure("cannot allocate name constraints");
    }
    GENERAL_NAME_free(sub->base);
    sub->base = gn->release();
    sub.release();  // owned by the stack
  }
  return st;
}

/// basicConstraints (with pathlen), keyUsage for a CA, and the name constraints of `params`.
Status add_ca_extensions(X509* x, X509V3_CTX* ctx, const IssueParams& params) {
  const std::string bc = params.path_len >= 0 ? fmt::format("critical,CA:TRUE,pathlen:{}", params.path_len)
                                              : std::string("critical,CA:TRUE");
  TRY(add_conf_ext(x, ctx, NID_basic_constraints, bc));
  TRY(add_conf_ext(x, ctx, NID_key_usage, "critical,keyCertSign,cRLSign"));
  if (params.permitted.empty() && params.excluded.empty()) return {};
  NameConstraintsPtr nc(NAME_CONSTRAINTS_new());
  if (!nc) return openssl_failure("cannot allocate name constraints");
  TRY_ASSIGN(nc->permittedSubtrees, subtrees(params.permitted));
  TRY_ASSIGN(nc->excludedSubtrees, subtrees(params.excluded));
  // RFC 5280 4.2.1.10: conforming CAs MUST mark this extension critical.
  if (X509_add1_ext_i2d(x, NID_name_constraints, nc.get(), 1, X509V3_ADD_REPLACE) != 1)
    return openssl_failure("cannot add the name constraints");
  return {};
}

std::vector<std::string> subtree_texts(const STACK_OF(GENERAL_SUBTREE)* st) {
  std::vector<std::string> out;
  for (int i = 0; i < sk_GENERAL_SUBTREE_num(st); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_SUBTREE_value(st, i)->base;
    if (gn->type == GEN_DNS)
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(gn->d.dNSName)),
                       static_cast<std::size_t>(ASN1_STRING_length(gn->d.dNSName)));
    else if (gn->type == GEN_IPADD)
      out.push_back(cidr_text(gn->d.iPAddress));
    else
      out.push_back("(other name form)");
  }
  return out;
}

}  // namespace

bool constraint_matches(std::string_view constraint, std::string_view name) {
  if (constraint.find('/') != std::string_view::npos) {
    const auto range = cidr_bytes(constraint);
    unsigned char buf[16] = {0};
    const std::string ip(name);
    std::size_t len = 0;
    if (inet_pton(AF_INET, ip.c_str(), buf) == 1) len = 4;
    else if (inet_pton(AF_INET6, ip.c_str(), buf) == 1) len = 16;
    if (!range || len == 0 || range->size() != 2 * len) return false;
    for (std::size_t i = 0; i < len; ++i)
      if ((buf[i] & static_cast<unsigned char>((*range)[len + i])) != static_cast<unsigned char>((*range)[i])) return false;
    return true;
  }
  auto lower = [](std::string_view v) {
    std::string out(v);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  std::string n = lower(name), c = lower(constraint);
  if (n.rfind("*.", 0) == 0) n.erase(0, 1);  // a wildcard stands for the names below its parent
  if (!c.empty() && c.front() == '.') return n.size() > c.size() && n.compare(n.size() - c.size(), c.size(), c) == 0;
  if (n.front() == '.') n.erase(0, 1);  // "*.c" itself is below c only when c is its parent or above
  return n == c || (n.size() > c.size() && n.compare(n.size() - c.size() - 1, c.size() + 1, "." + c) == 0);
}

CaConstraints ca_constraints(const Certificate& cert) {
  CaConstraints c;
  if (cert.empty()) return c;
  c.is_ca = (X509_get_extension_flags(cert.get()) & EXFLAG_CA) != 0;
  const long pl = X509_get_pathlen(cert.get());
  c.path_len = pl < 0 ? -1 : static_cast<int>(pl);
  int crit = 0;
  NameConstraintsPtr nc(static_cast<NAME_CONSTRAINTS*>(X509_get_ext_d2i(cert.get(), NID_name_constraints, &crit, nullptr)));
  if (nc) {
    c.permitted = subtree_texts(nc->permittedSubtrees);
    c.excluded = subtree_texts(nc->excludedSubtrees);
    c.name_constraints_critical = crit == 1;
  }
  clear_openssl_errors();
  return c;
}

namespace {
}  // namespace

// ---- Certificate -----------------------------------------------------------------------------

void X509Free::operator()(X509* p) const noexcept { X509_free(p); }

/// Shares the (immutable) X509 by reference count rather than re-encoding it.
Certificate Certificate::clone() const {
  if (x509_) X509_up_ref(x509_.get());
  return Certificate(x509_.get());
}

Certificate Certificate::adopt(X509* owned) noexcept { return Certificate(owned); }

std::string Certificate::to_pem() const {
  if (!x509_) return {};
  return write_to_string([this](BIO* b) { return PEM_write_bio_X509(b, x509_.get()) == 1; });
}

std::string Certificate::to_der() const {
  if (!x509_) return {};
  return der_to_string([this](unsigned char** der) { return i2d_X509(x509_.get(), der); });
}

CertInfo Certificate::info() const {
  CertInfo info;
  if (!x509_) return info;
  const X509_NAME* subject = X509_get_subject_name(x509_.get());
  const X509_NAME* issuer = X509_get_issuer_name(x509_.get());
  info.subject = read_subject(subject);
  info.subject_dn = name_rfc2253(subject);
  info.issuer_dn = name_rfc2253(issuer);
  info.issuer_cn = name_entry(issuer, NID_commonName);

  BnPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(x509_.get()), nullptr));
  if (serial) {
    if (char* dec = BN_bn2dec(serial.get())) {
      info.serial_dec = dec;
      OPENSSL_free(dec);
    }
    if (char* hex = BN_bn2hex(serial.get())) {  // upper case, whole bytes
      std::string h = hex;
      OPENSSL_free(hex);
      bool negative = !h.empty() && h[0] == '-';
      std::size_t start = negative ? 1 : 0;
      std::size_t first = h.find_first_not_of('0', start);
      h = (negative ? "-" : "") + (first == std::string::npos ? std::string("0") : h.substr(first));
      info.serial_hex = h;
    }
  }
  info.fingerprint_md5 = fingerprint(x509_.get(), EVP_md5());
  info.fingerprint_sha1 = fingerprint(x509_.get(), EVP_sha1());
  info.fingerprint_sha256 = fingerprint(x509_.get(), EVP_sha256());
  info.not_before = to_unix(X509_get0_notBefore(x509_.get()));
  info.not_after = to_unix(X509_get0_notAfter(x509_.get()));
  const char* sig = OBJ_nid2ln(X509_get_signature_nid(x509_.get()));
  info.signature_algorithm = sig ? sig : "unknown";

  const EVP_PKEY* pub = X509_get0_pubkey(x509_.get());
  info.key_description = pkey_description(pub);
  info.key_bits = pkey_bits(pub);
  info.key_type = pkey_key_type(pub);
  info.public_key_der = pkey_spki_der(pub);

  GeneralNamesPtr sans(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(x509_.get(), NID_subject_alt_name, nullptr, nullptr)));
  read_sans(sans.get(), info.dns_names, info.ip_addresses);
  info.is_ca = (X509_get_extension_flags(x509_.get()) & EXFLAG_CA) != 0;
  info.self_signed = X509_self_signed(x509_.get(), 1) == 1;
  clear_openssl_errors();
  return info;
}

// ---- parsing ---------------------------------------------------------------------------------

Result<std::vector<Certificate>> parse_certificates(std::string_view data, std::string_view subject) {
  clear_openssl_errors();
  std::vector<Certificate> certs;
  if (data.find("-----BEGIN") != std::string_view::npos) {
    TRY(check_pem_trailer(data, subject));
    // PEM_read_bio_X509 skips other block types and the text around blocks.
    BioPtr bio = bio_over(data);
    if (!bio) return openssl_failure("cannot allocate a BIO");
    for (;;) {
      X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
      if (!x) {
        unsigned long e = ERR_peek_last_error();
        if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
          clear_openssl_errors();
          break;
        }
        return input_error(subject, fmt::format("certificate {} is malformed", certs.size() + 1));
      }
      certs.push_back(Certificate::adopt(x));
    }
  } else if (!data.empty()) {
    const auto* begin = reinterpret_cast<const unsigned char*>(data.data());
    const auto* p = begin;
    X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(data.size())));
    if (!x || p != begin + data.size()) {
      return input_error(subject, "not a PEM or DER certificate");
    }
    certs.push_back(Certificate::adopt(x.release()));
  }
  if (certs.empty()) return input_error(subject, "no certificate found", false);
  return certs;
}

std::string to_pem_bundle(const std::vector<Certificate>& certs) {
  std::string out;
  for (const auto& c : certs) out += c.to_pem();
  return out;
}

// ---- key matching ----------------------------------------------------------------------------

bool key_matches(const Certificate& cert, const PrivateKey& key) {
  if (cert.empty() || key.empty()) return false;
  bool eq = EVP_PKEY_eq(X509_get0_pubkey(cert.get()), key.get()) == 1;
  clear_openssl_errors();
  return eq;
}

bool key_matches(const CsrInfo& csr, const PrivateKey& key) {
  if (key.empty()) return false;
  PkeyPtr pub = pkey_from_spki_der(csr.public_key_der);
  bool eq = pub && EVP_PKEY_eq(pub.get(), key.get()) == 1;
  clear_openssl_errors();
  return eq;
}

bool public_key_matches(const Certificate& cert, const CsrInfo& csr) {
  if (cert.empty()) return false;
  PkeyPtr pub = pkey_from_spki_der(csr.public_key_der);
  bool eq = pub && EVP_PKEY_eq(pub.get(), X509_get0_pubkey(cert.get())) == 1;
  clear_openssl_errors();
  return eq;
}

// ---- chains ----------------------------------------------------------------------------------

Status verify_chain_links(const Certificate& leaf, const std::vector<Certificate>& chain,
                          std::string_view subject) {
  if (leaf.empty()) return Error(Category::Internal, std::string(subject), "no leaf certificate");
  X509* child = leaf.get();
  std::string child_label = "the leaf certificate (" + describe(child) + ")";
  for (std::size_t i = 0; i < chain.size(); ++i) {
    X509* parent = chain[i].get();
    if (!parent) return Error(Category::Internal, std::string(subject), "empty chain certificate");
    std::string problem;
    int rc = X509_check_issued(parent, child);
    if (rc != X509_V_OK) {
      problem = X509_verify_cert_error_string(rc);
    } else if (X509_verify(child, X509_get0_pubkey(parent)) != 1) {
      problem = "signature does not verify";
    }
    clear_openssl_errors();
    if (!problem.empty()) {
      return Error(Category::Input, std::string(subject),
                   fmt::format("chain certificate {} ({}) did not issue {}: wrong order or missing "
                               "intermediate", i + 1, describe(parent), child_label),
                   problem);
    }
    child = parent;
    child_label = fmt::format("certificate {} ({})", i + 1, describe(child));
  }
  return {};
}

Status verify_against_roots(const Certificate& leaf, const std::vector<Certificate>& chain,
                            const std::vector<Certificate>& roots, UnixTime at,
                            std::string_view subject) {
  if (leaf.empty()) return Error(Category::Internal, std::string(subject), "no leaf certificate");
  clear_openssl_errors();
  X509StorePtr store(X509_STORE_new());
  X509StackPtr untrusted(sk_X509_new_null());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx) return openssl_failure("cannot allocate a verification context");
  for (const auto& root : roots) {
    if (!root.empty() && X509_STORE_add_cert(store.get(), root.get()) != 1) {
      clear_openssl_errors();  // a duplicate root is harmless
    }
  }
  for (const auto& c : chain) {
    if (c.empty()) continue;
    if (!X509_up_ref(c.get()) || !sk_X509_push(untrusted.get(), c.get())) {
      return openssl_failure("cannot build the untrusted chain");
    }
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), untrusted.get()) != 1) {
    return openssl_failure("cannot initialise verification");
  }
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), static_cast<time_t>(at));
  if (X509_verify_cert(ctx.get()) == 1) {
    clear_openssl_errors();
    return {};
  }
  int err = X509_STORE_CTX_get_error(ctx.get());
  int depth = X509_STORE_CTX_get_error_depth(ctx.get());
  X509* where = X509_STORE_CTX_get_current_cert(ctx.get());
  std::string at_cert = where ? describe(where) : std::string("unknown certificate");
  clear_openssl_errors();
  return Error(Category::Input, std::string(subject),
               fmt::format("does not verify against the trusted roots: {}",
                           X509_verify_cert_error_string(err)),
               fmt::format("at depth {} ({})", depth, at_cert));
}

// ---- issuing ---------------------------------------------------------------------------------

Result<Certificate> make_self_signed_ca(const PrivateKey& key, const Subject& subject,
                                        const IssueParams& params) {
  if (key.empty()) return Error(Category::Internal, "ca", "make_self_signed_ca called without a key");
  if (subject_empty(subject)) return Error(Category::Input, "ca", "a CA certificate needs a subject");
  clear_openssl_errors();
  TRY_ASSIGN(X509NamePtr name, make_name(subject));
  TRY_ASSIGN(X509Ptr x, new_cert(params, name.get(), name.get(), key.get()));

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
  // path_len -1 (a root that signs leaves directly, as local CAs made before intermediates):
  // no pathlen constraint.
  TRY(add_ca_extensions(x.get(), &ctx, params));
  TRY(add_conf_ext(x.get(), &ctx, NID_subject_key_identifier, "hash"));
  TRY(add_crl_dp(x.get(), &ctx, params));
  return sign_cert(std::move(x), key.get());
}

Result<Certificate> sign_ca(const PrivateKey& subject_key, const Subject& subject, const Certificate& issuer,
                            const PrivateKey& issuer_key, const IssueParams& params) {
  if (subject_key.empty() || issuer.empty() || issuer_key.empty())
    return Error(Category::Internal, "ca", "sign_ca called without a key or issuer");
  if (subject_empty(subject)) return Error(Category::Input, "ca", "a CA certificate needs a subject");
  if (X509_check_private_key(issuer.get(), issuer_key.get()) != 1)
    return input_error("ca", "the CA key does not match the CA certificate", false);
  clear_openssl_errors();
  TRY_ASSIGN(X509NamePtr name, make_name(subject));
  TRY_ASSIGN(X509Ptr x, new_cert(params, name.get(), X509_get_subject_name(issuer.get()), subject_key.get()));
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer.get(), x.get(), nullptr, nullptr, 0);
  X509V3_set_issuer_pkey(&ctx, issuer_key.get());
  TRY(add_ca_extensions(x.get(), &ctx, params));
  TRY(add_conf_ext(x.get(), &ctx, NID_subject_key_identifier, "hash"));
  TRY(add_conf_ext(x.get(), &ctx, NID_authority_key_identifier, "keyid,issuer"));
  TRY(add_crl_dp(x.get(), &ctx, params));
  return sign_cert(std::move(x), issuer_key.get());
}

Result<Certificate> sign_csr(const CsrInfo& csr, const Certificate& issuer,
                             const PrivateKey& issuer_key, const IssueParams& params) {
  if (issuer.empty() || issuer_key.empty()) {
    return Error(Category::Internal, "ca", "sign_csr called without an issuer");
  }
  if (X509_check_private_key(issuer.get(), issuer_key.get()) != 1) {
    return input_error("ca", "the CA key does not match the CA certificate", false);
  }
  if ((X509_get_extension_flags(issuer.get()) & EXFLAG_CA) == 0) {
    return Error(Category::Input, "ca", "the issuer certificate is not a CA certificate");
  }
  if (subject_empty(csr.subject) && csr.dns_names.empty() && csr.ip_addresses.empty()) {
    return Error(Category::Input, "csr", "the CSR has neither a subject nor any names");
  }
  PkeyPtr pub = pkey_from_spki_der(csr.public_key_der);
  if (!pub) return Error(Category::Input, "csr", "the CSR's public key cannot be read");

  clear_openssl_errors();
  TRY_ASSIGN(X509NamePtr name, make_name(csr.subject));
  TRY_ASSIGN(X509Ptr x, new_cert(params, name.get(), X509_get_subject_name(issuer.get()), pub.get()));

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer.get(), x.get(), nullptr, nullptr, 0);
  X509V3_set_issuer_pkey(&ctx, issuer_key.get());
  bool rsa = pkey_algorithm(pub.get()) == "RSA";
  if (params.is_ca) {
    TRY(add_conf_ext(x.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
    TRY(add_conf_ext(x.get(), &ctx, NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign"));
  } else {
    TRY(add_conf_ext(x.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
    TRY(add_conf_ext(x.get(), &ctx, NID_key_usage,
                     rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature"));
    TRY(add_conf_ext(x.get(), &ctx, NID_ext_key_usage, "serverAuth,clientAuth"));
  }
  TRY(add_conf_ext(x.get(), &ctx, NID_subject_key_identifier, "hash"));
  // keyid from the issuer's SKI; issuer name + serial only when the issuer has no SKI.
  TRY(add_conf_ext(x.get(), &ctx, NID_authority_key_identifier, "keyid,issuer"));
  if (!csr.dns_names.empty() || !csr.ip_addresses.empty()) {
    TRY_ASSIGN(X509ExtPtr san, make_san_extension(csr.dns_names, csr.ip_addresses,
                                                  subject_empty(csr.subject), "csr"));
    TRY(add_ext(x.get(), std::move(san)));
  }
  TRY(add_crl_dp(x.get(), &ctx, params));
  return sign_cert(std::move(x), issuer_key.get());
}

Result<std::string> ari_cert_id(const Certificate& cert, std::string_view subject) {
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(cert.get());
  if (!aki || ASN1_STRING_length(aki) <= 0)
    return Error(Category::Input, std::string(subject), "the certificate has no authority key identifier (needed for ARI)");
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
  // The DER content octets of the INTEGER: i2d gives tag, length, content; keep the content.
  unsigned char* der = nullptr;
  const int len = i2d_ASN1_INTEGER(serial, &der);
  if (len <= 2 || !der) {
    OPENSSL_free(der);
    return Error(Category::Input, std::string(subject), "cannot encode the certificate's serial number");
  }
  std::size_t header = 2;
  if (der[1] & 0x80) header += der[1] & 0x7f;  // long-form length
  std::string content(reinterpret_cast<const char*>(der) + header, static_cast<std::size_t>(len) - header);
  OPENSSL_free(der);
  const std::string key_id(reinterpret_cast<const char*>(ASN1_STRING_get0_data(aki)),
                           static_cast<std::size_t>(ASN1_STRING_length(aki)));
  return base64url_encode(key_id) + "." + base64url_encode(content);
}

}  // namespace certctl::crypto
