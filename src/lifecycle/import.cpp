// Import a certificate and key made elsewhere (PEM or DER). Everything is checked before the
// first write, so a rejected import leaves the vault byte-for-byte unchanged.
#include <certctl/crypto.hpp>
#include <certctl/domain.hpp>
#include <certctl/fs.hpp>
#include <certctl/lifecycle.hpp>

#include "lifecycle/internal.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace certctl::lifecycle {

using namespace detail;

namespace {

/// A name the certificate gives (`field`: its subject CN or a SAN), checked and normalised
/// exactly like a --domain on the command line; refused naming the file and the field.
Result<std::string> checked_name(const std::string& n, std::string_view field, const std::string& file) {
  auto id = domain::parse(n);
  if (!id) return Error(Category::Input, file, fmt::format("certificate {}: {}", field, id.error().text()));
  return id->value;
}

std::string key_type_string(const crypto::PrivateKey& key) {
  if (auto kt = key.key_type()) return std::string(crypto::key_type_name(*kt));
  std::string alg = key.algorithm();
  std::transform(alg.begin(), alg.end(), alg.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return fmt::format("{}{}", alg, key.bits());
}

/// What an import brings, read and checked before anything is written.
struct Incoming {
  crypto::Certificate leaf;
  std::vector<crypto::Certificate> chain;
  crypto::PrivateKey key;
  crypto::CertInfo info;
  std::vector<std::string> names;  ///< CN first, then the SANs; never empty
};

Result<Incoming> read_incoming(const ImportRequest& req) {
  Incoming in;
  TRY_ASSIGN(std::string cert_data, fs::read_file(req.cert_file));
  TRY_ASSIGN(std::vector<crypto::Certificate> certs, crypto::parse_certificates(cert_data, req.cert_file));
  in.leaf = std::move(certs.front());
  for (std::size_t i = 1; i < certs.size(); ++i) in.chain.push_back(std::move(certs[i]));
  if (!req.chain_file.empty()) {
    TRY_ASSIGN(std::string chain_data, fs::read_file(req.chain_file));
    TRY_ASSIGN(auto more, crypto::parse_certificates(chain_data, req.chain_file));
    for (auto& c : more) in.chain.push_back(std::move(c));
  }
  TRY_ASSIGN(SecretBytes key_data, fs::read_secret_file(req.key_file));
  TRY_ASSIGN(in.key, crypto::PrivateKey::parse(key_data, req.key_file));
  if (in.key.algorithm() == "RSA" && in.key.bits() < crypto::kMinRsaBits)
    return Error(Category::Input, req.key_file,
                 fmt::format("an RSA key of {} bits is too weak; at least {} bits are required", in.key.bits(),
                             crypto::kMinRsaBits));
  if (!crypto::key_matches(in.leaf, in.key))
    return Error(Category::Input, req.key_file,
                 fmt::format("this private key does not match the certificate in {}", req.cert_file));
  TRY(crypto::verify_chain_links(in.leaf, in.chain, req.chain_file.empty() ? req.cert_file : req.chain_file));

  in.info = in.leaf.info();
  // A CA certificate issued by another CA is an intermediate, never a server's leaf. A
  // self-signed one is its own anchor (`openssl req -x509` marks CA:TRUE by default) and passes.
  if (in.info.is_ca && !in.info.self_signed)
    return Error(Category::Input, req.cert_file,
                 "the first certificate is a CA certificate (basicConstraints CA:TRUE), not a server's leaf; "
                 "put the leaf first and the chain after it (or in --chain)");
  if (!in.info.subject.cn.empty()) {
    TRY_ASSIGN(std::string cn, checked_name(in.info.subject.cn, "subject CN", req.cert_file));
    in.names.push_back(std::move(cn));
  }
  for (const auto& n : in.info.dns_names) {
    TRY_ASSIGN(std::string dns, checked_name(n, "subjectAltName DNS", req.cert_file));
    in.names.push_back(std::move(dns));
  }
  for (const auto& n : in.info.ip_addresses) {
    TRY_ASSIGN(std::string ip, checked_name(n, "subjectAltName IP", req.cert_file));
    in.names.push_back(std::move(ip));
  }
  if (in.names.empty()) return Error(Category::Input, req.cert_file, "the certificate names no domain (no CN, no SAN)");
  return in;
}

/// The record to import into (caller holds the lock): a new one, or with --replace the
/// existing imported record with its current version retired.
Result<vault::Record> target_record(Context ctx, const std::string& name, bool replace, UnixTime now) {
  vault::Record r;
  if (ctx.vault.exists(name)) {
    if (!replace)
      return Error(Category::State, name, "exists already; pass --replace to import a new version into it");
    TRY_ASSIGN(r, load_existing(ctx, name));
    if (r.source != vault::Source::Imported)
      return Error(Category::State, name,
                   fmt::format("is {}, not imported; certctl issues its certificates (`certctl issue {}`)",
                               vault::source_name(r.source), name));
    retire_current(r, "reimported", now);
    r.renewed = now;
  } else if (replace) {
    return Error(Category::NotFound, name, "no such certificate to --replace; drop --replace to import it new");
  } else {
    r.name = name;
    r.created = now;
  }
  return r;
}

/// The record's fields for the imported certificate, now its version `version`.
void describe_import(vault::Record& r, const Incoming& in, const ImportRequest& req, int version, UnixTime now) {
  r.domain = in.names.front();
  r.sans.clear();
  for (std::size_t i = 1; i < in.names.size(); ++i)
    if (in.names[i] != r.domain && std::find(r.sans.begin(), r.sans.end(), in.names[i]) == r.sans.end())
      r.sans.push_back(in.names[i]);
  const crypto::Subject& s = in.info.subject;
  r.subject = vault::Subject{s.o, s.ou, s.c, s.st, s.l, s.email};
  r.key_type = key_type_string(in.key);
  r.ca = "";
  r.issued_by = in.info.issuer_cn.empty() ? in.info.issuer_dn : in.info.issuer_cn;
  if (req.renew_days) r.renew_days = *req.renew_days;
  r.status = vault::CertStatus::Active;
  r.source = vault::Source::Imported;
  r.version = version;
  r.has_key = r.has_cert = true;
  r.has_csr = false;
  r.has_chain = !in.chain.empty();
  r.cert = meta_from(in.info);
  r.issued = in.info.not_before;
  r.updated = now;
  r.last_error.clear();
}

}  // namespace

Result<vault::Record> import_certificate(Context ctx, const std::string& name, const ImportRequest& req) {
  TRY(vault::validate_name(name));
  if (req.cert_file.empty()) return Error(Category::Usage, "--cert", "is required");
  if (req.key_file.empty()) return Error(Category::Usage, "--key", "is required");
  if (req.renew_days && (*req.renew_days < 0 || *req.renew_days > 3650))
    return Error(Category::Usage, "--renew-days", "must be between 0 (automatic) and 3650");

  // ---- read and check everything first ----
  TRY_ASSIGN(Incoming in, read_incoming(req));
  TRY_ASSIGN(std::string sealed, ctx.vault.seal(name, in.key.to_pem()));

  // ---- then write, record last ----
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  const UnixTime now = ctx.clock.now();
  TRY_ASSIGN(vault::Record r, target_record(ctx, name, req.replace, now));
  const int version = r.version + 1;
  vault::Vault::VersionFiles files{version, {{std::string(kKeyFile), std::move(sealed)}, {std::string(kCertFile), in.leaf.to_pem()}}};
  if (!in.chain.empty()) files.files.emplace_back(std::string(kChainFile), crypto::to_pem_bundle(in.chain));
  describe_import(r, in, req, version, now);
  if (req.manage_ca) {
    // Renews here: the CA and settings it came with, a CSR of its key for the record, and its
    // ARI identifier so the first renewal says which certificate it replaces.
    r.source = vault::Source::Managed;
    r.ca = r.issued_by = *req.manage_ca;  // issued by that profile's server: renewals may name it in "replaces"
    req.manage_settings.apply_to(r.settings);
    TRY_ASSIGN(std::string csr, crypto::make_csr(in.key, csr_request_for(r)));
    files.files.emplace_back(std::string(kCsrFile), std::move(csr));
    r.has_csr = true;
    r.csr_created = now;
    if (auto id = crypto::ari_cert_id(in.leaf, req.cert_file)) r.ari.cert_id = *id;
  }
  TRY(ctx.vault.save(r, files));
  TRY(audit(ctx, "import", name, {{"serial_hex", r.cert->serial_hex}, {"version", std::to_string(version)}}));
  return r;
}

}  // namespace certctl::lifecycle
