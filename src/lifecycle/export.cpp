// Reading artefacts back out of the vault: PEM text, the files a web server needs, PKCS#12.
#include <certctl/crypto.hpp>
#include <certctl/fs.hpp>
#include <certctl/lifecycle.hpp>

#include "lifecycle/internal.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace certctl::lifecycle {

using namespace detail;

Result<PemKind> parse_pem_kind(std::string_view s) {
  if (s == "cert") return PemKind::Cert;
  if (s == "chain") return PemKind::Chain;
  if (s == "fullchain") return PemKind::Fullchain;
  if (s == "csr") return PemKind::Csr;
  if (s == "key") return PemKind::Key;
  return Error(Category::Usage, "--pem", fmt::format("'{}' is not one of cert, chain, fullchain, csr, key", s));
}

Result<int> resolve_version(const vault::Record& r, int requested) {
  if (requested == 0 || requested == r.version) {
    if (r.version == 0)
      return Error(Category::State, r.name, fmt::format("is a draft with no files yet: run `certctl csr {}`", r.name));
    return r.version;
  }
  for (const auto& h : r.history)
    if (h.version == requested) return requested;
  std::vector<int> known{r.version};
  for (const auto& h : r.history) known.push_back(h.version);
  std::sort(known.begin(), known.end());
  return Error(Category::NotFound, fmt::format("{} version {}", r.name, requested),
               fmt::format("no such version; this record has {}", fmt::join(known, ", ")));
}

namespace {

bool version_has_cert(const vault::Record& r, int version) { return version != r.version || r.has_cert; }

Result<std::string> cert_pem(Context ctx, const vault::Record& r, int version) {
  if (!version_has_cert(r, version))
    return Error(Category::State, r.name,
                 fmt::format("has no certificate yet (status {}): run `certctl issue {}`", vault::status_name(r.status), r.name));
  return ctx.vault.read_file(r.name, version, kCertFile);
}

/// The chain PEM, or "" when none was stored (an import without one).
Result<std::string> chain_pem(Context ctx, const vault::Record& r, int version) {
  TRY_ASSIGN(const bool has, ctx.vault.has_file(r.name, version, kChainFile));
  if (!has) return std::string();
  return ctx.vault.read_file(r.name, version, kChainFile);
}

}  // namespace

Result<SecretBytes> read_pem(Context ctx, const vault::Record& r, int version, PemKind kind) {
  switch (kind) {
    case PemKind::Cert: {
      TRY_ASSIGN(std::string pem, cert_pem(ctx, r, version));
      return SecretBytes::from(pem);
    }
    case PemKind::Chain: {
      TRY_ASSIGN(std::string pem, cert_pem(ctx, r, version));  // state check: issued?
      TRY_ASSIGN(std::string chain, chain_pem(ctx, r, version));
      if (chain.empty()) return Error(Category::NotFound, r.name, "no chain was stored with this certificate");
      return SecretBytes::from(chain);
    }
    case PemKind::Fullchain: {
      TRY_ASSIGN(std::string pem, cert_pem(ctx, r, version));
      TRY_ASSIGN(std::string chain, chain_pem(ctx, r, version));
      return SecretBytes::from(pem + chain);
    }
    case PemKind::Csr: {
      TRY_ASSIGN(const bool has_csr, ctx.vault.has_file(r.name, version, kCsrFile));
      if (!has_csr)
        return Error(Category::NotFound, r.name, r.source == vault::Source::Imported
                                                     ? "was imported; there is no CSR"
                                                     : "has no CSR yet: run `certctl csr " + r.name + "`");
      TRY_ASSIGN(std::string pem, ctx.vault.read_file(r.name, version, kCsrFile));
      return SecretBytes::from(pem);
    }
    case PemKind::Key: {
      TRY_ASSIGN(crypto::PrivateKey key, load_key(ctx, r, version));
      TRY(audit(ctx, vault::actions::kKeyViewed, r.name, {{"version", std::to_string(version)}}));
      return key.to_pem();
    }
  }
  return Error(Category::Internal, r.name, "unknown PEM kind");
}

Result<ExportResult> export_files(Context ctx, const std::string& name, int version, const std::string& dir) {
  TRY_ASSIGN(vault::Record r, ctx.vault.load(name));
  TRY(refuse_discovered(r, "export"));
  TRY_ASSIGN(int v, resolve_version(r, version));
  TRY_ASSIGN(std::string cert, cert_pem(ctx, r, v));
  TRY_ASSIGN(std::string chain, chain_pem(ctx, r, v));
  TRY_ASSIGN(const bool has_key, ctx.vault.has_file(name, v, kKeyFile));
  std::optional<crypto::PrivateKey> key;
  if (has_key) {
    TRY_ASSIGN(key, load_key(ctx, r, v));
  }
  if (!fs::is_dir(dir)) TRY(fs::make_dirs(dir, 0700));
  ExportResult out;
  auto put = [&](std::string_view file, std::string_view data, mode_t mode) -> Status {
    const std::string path = fs::join(dir, file);
    TRY(fs::write_user_file(path, data, mode));
    out.files.push_back(path);
    return ok();
  };
  TRY(put("cert.pem", cert, 0644));
  if (!chain.empty()) TRY(put("chain.pem", chain, 0644));
  TRY(put("fullchain.pem", cert + chain, 0644));
  if (key) {
    SecretBytes pem = key->to_pem();
    TRY(put("key.pem", pem.view(), 0600));
  }
  if (!key && r.key_policy == vault::KeyPolicy::Device && v == r.version)
    out.no_key = "its key is sealed only to the hosts it deploys to (key-policy device)";
  TRY(audit(ctx, vault::actions::kPemExported, name, {{"dir", dir}, {"version", std::to_string(v)}, {"key", key ? "yes" : "no"}}));
  return out;
}

Result<SecretBytes> read_pfx_password(const std::string& file) {
  TRY_ASSIGN(SecretBytes password, fs::read_secret_file(file));
  password.trim_newline();
  if (password.empty()) return Error(Category::Input, file, "password file is empty");
  return password;
}

Result<PfxResult> export_pfx(Context ctx, const std::string& name, const PfxRequest& req) {
  if (req.out.empty()) return Error(Category::Usage, "--out", "is required");
  // The password first: no key is decrypted while a password file (a pipe) is still awaited.
  PfxResult out;
  SecretBytes password = req.password.clone();
  if (password.empty() && !req.password_file.empty()) {
    TRY_ASSIGN(password, read_pfx_password(req.password_file));
  } else if (password.empty()) {
    password = crypto::random_password(24);
    out.generated_password = password.clone();
  }
  TRY_ASSIGN(vault::Record r, ctx.vault.load(name));
  TRY(refuse_discovered(r, "export"));
  TRY_ASSIGN(int v, resolve_version(r, req.version));
  TRY_ASSIGN(const bool has_key, ctx.vault.has_file(name, v, kKeyFile));
  if (r.source == vault::Source::ExternalCsr && !has_key)
    return Error(Category::State, name,
                 "its CSR was made elsewhere, so the vault has no private key to put in a PKCS#12 file; "
                 "use `certctl export` for the certificate files");
  TRY_ASSIGN(std::string cert, cert_pem(ctx, r, v));
  TRY_ASSIGN(std::string chain_text, chain_pem(ctx, r, v));
  TRY_ASSIGN(crypto::PrivateKey key, load_key(ctx, r, v));
  TRY_ASSIGN(auto leaf_list, crypto::parse_certificates(cert, ctx.vault.where(vault::Layout::version_file(name, v, kCertFile))));
  std::vector<crypto::Certificate> chain;
  if (!chain_text.empty()) {
    TRY_ASSIGN(chain, crypto::parse_certificates(chain_text, ctx.vault.where(vault::Layout::version_file(name, v, kChainFile))));
  }
  const std::string friendly = req.friendly_name.empty() ? name : req.friendly_name;
  TRY_ASSIGN(std::string der, crypto::make_pkcs12(key, leaf_list.front(), chain, friendly, password, req.legacy));
  TRY(fs::write_user_file(req.out, der, 0600));
  out.path = req.out;
  TRY(audit(ctx, vault::actions::kPfxExported, name,
            {{"file", req.out}, {"version", std::to_string(v)}, {"legacy", req.legacy ? "yes" : "no"}}));
  return out;
}

}  // namespace certctl::lifecycle
