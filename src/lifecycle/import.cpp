// Import a certificate and key made elsewhere (PEM or DER). Everything is checked before the
// first write, so a rejected import leaves the vault byte-for-byte unchanged.
#include <certctl/crypto.hpp>
#include <certctl/domain.hpp>
#include <certctl/fs.hpp>
#include <certctl/lifecycle.hpp>

#include "lifecycle/internal.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

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

/// The private key block of PEM text that holds certificates too (leaf, chain and key in one
/// file, as HAProxy keeps them); the text as it is otherwise, for the key parser to judge.
SecretBytes key_part(SecretBytes data) {
  const std::string_view v = data.view();
  if (v.find("-----BEGIN CERTIFICATE-----") == std::string_view::npos) return data;
  for (std::size_t at = v.find("-----BEGIN "); at != std::string_view::npos; at = v.find("-----BEGIN ", at + 1)) {
    const std::size_t eol = v.find('\n', at);
    const std::string_view line = v.substr(at, eol == std::string_view::npos ? std::string_view::npos : eol - at);
    if (line.find("PRIVATE KEY-----") == std::string_view::npos) continue;
    const std::size_t end = v.find("-----END ", at);
    if (end == std::string_view::npos) return data;
    const std::size_t end_eol = v.find('\n', end);
    const std::size_t stop = end_eol == std::string_view::npos ? v.size() : end_eol + 1;
    return SecretBytes(v.data() + at, stop - at);
  }
  return data;
}

Result<Incoming> read_incoming(const ImportRequest& req) {
  Incoming in;
  // Read as a secret: the certificate file may hold the key too.
  TRY_ASSIGN(SecretBytes cert_data, fs::read_secret_file(req.cert_file, fs::kMaxFileSize));
  TRY_ASSIGN(std::vector<crypto::Certificate> certs, crypto::parse_certificates(cert_data.view(), req.cert_file));
  in.leaf = std::move(certs.front());
  for (std::size_t i = 1; i < certs.size(); ++i) in.chain.push_back(std::move(certs[i]));
  if (!req.chain_file.empty()) {
    TRY_ASSIGN(std::string chain_data, fs::read_file(req.chain_file));
    TRY_ASSIGN(auto more, crypto::parse_certificates(chain_data, req.chain_file));
    for (auto& c : more) in.chain.push_back(std::move(c));
  }
  TRY_ASSIGN(SecretBytes key_data, fs::read_secret_file(req.key_file, fs::kMaxFileSize));
  TRY_ASSIGN(in.key, crypto::PrivateKey::parse(key_part(std::move(key_data)), req.key_file));
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
  // An imported certificate was issued elsewhere: its names, key and subject are checked, and
  // its CA only when it renews here (migrate).
  TRY(check_policy(ctx, name, policy_subject(r, req.manage_ca ? std::vector<std::string>{*req.manage_ca} : std::vector<std::string>{})));
  TRY(ctx.vault.save(r, files));
  TRY(audit(ctx, "import", name, {{"serial_hex", r.cert->serial_hex}, {"version", std::to_string(version)}}));
  return r;
}

namespace {

constexpr std::size_t kMaxDirCertificates = 100000;

bool has_cert_extension(std::string_view file, std::string_view& stem) {
  for (std::string_view ext : {".crt", ".pem", ".cer", ".cert"}) {
    if (file.size() > ext.size() && file.substr(file.size() - ext.size()) == ext) {
      stem = file.substr(0, file.size() - ext.size());
      return true;
    }
  }
  return false;
}

/// Does the file hold a private key block (a combined PEM)? Read as a secret, then dropped.
bool holds_key(const std::string& path) {
  auto data = fs::read_secret_file(path, fs::kMaxFileSize);
  return data && data->view().find("PRIVATE KEY-----") != std::string_view::npos;
}

/// False for PEM text without a certificate block (a key or parameters named NAME.pem); DER and
/// unreadable files are left to the import to judge and name.
bool holds_certificate(const std::string& path) {
  auto data = fs::read_secret_file(path, fs::kMaxFileSize);
  if (!data) return true;
  const std::string_view v = data->view();
  return v.find("-----BEGIN") == std::string_view::npos || v.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos;
}

}  // namespace

Result<std::vector<ImportedFile>> import_directory(Context ctx, const std::string& dir, const ImportRequest& common) {
  if (!common.cert_file.empty() || !common.key_file.empty() || !common.chain_file.empty())
    return Error(Category::Usage, "--dir", "takes the certificates and keys from the directory; drop --cert, --key and --chain");
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return Error(ec == std::errc::no_such_file_or_directory ? Category::NotFound : Category::Input, dir,
                       "cannot read the directory", ec.message());
  std::vector<std::string> files;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return Error(Category::Input, dir, "cannot read the directory", ec.message());
    if (!it->is_regular_file(ec)) continue;
    files.push_back(it->path().filename().string());
    if (files.size() > 4 * kMaxDirCertificates)
      return Error(Category::Input, dir, fmt::format("holds over {} files; import it in parts", 4 * kMaxDirCertificates));
  }
  std::sort(files.begin(), files.end());
  std::map<std::string, std::vector<std::string>> by_stem;  // record name -> its certificate files
  for (const auto& f : files) {
    std::string_view stem;
    if (!has_cert_extension(f, stem) || stem.empty() || f.front() == '.') continue;
    const std::string path = fs::join(dir, f);
    // A NAME.pem that holds only a key (or a chain file named so) is not a certificate of its own.
    if (!holds_certificate(path)) continue;
    by_stem[std::string(stem)].push_back(path);
  }
  if (by_stem.empty())
    return Error(Category::NotFound, dir, "holds no certificate files (NAME.crt, NAME.pem, NAME.cer or NAME.cert)");
  if (by_stem.size() > kMaxDirCertificates)
    return Error(Category::Input, dir, fmt::format("holds over {} certificates; import it in parts", kMaxDirCertificates));
  std::vector<ImportedFile> out;
  ensure_policy_run(ctx);
  for (const auto& [name, paths] : by_stem) {
    if (paths.size() > 1) {
      out.push_back(ImportedFile{name, paths.front(),
                                 Error(Category::Input, paths.front(),
                                       fmt::format("{} certificate files are named '{}' ({}); keep one", paths.size(), name,
                                                   fmt::join(paths, ", ")))});
      continue;
    }
    if (Status valid = vault::validate_name(name); !valid) {
      out.push_back(ImportedFile{name, paths.front(),
                                 Error(Category::Input, paths.front(),
                                       fmt::format("its {}: {}; rename the file", valid.error().subject(), valid.error().message()))});
      continue;
    }
    ImportRequest req = common;
    req.cert_file = paths.front();
    req.key_file = holds_key(req.cert_file) ? req.cert_file : fs::join(dir, name + ".key");
    if (req.key_file != req.cert_file && !fs::exists(req.key_file)) {
      out.push_back(ImportedFile{name, req.cert_file,
                                 Error(Category::Input, req.cert_file,
                                       fmt::format("holds no private key and there is no {}.key beside it", name))});
      continue;
    }
    out.push_back(ImportedFile{name, req.cert_file, import_certificate(ctx, name, req)});
  }
  return out;
}

}  // namespace certctl::lifecycle
