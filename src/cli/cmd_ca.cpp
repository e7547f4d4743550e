// certctl ca local init | export-root
#include "cli/common.hpp"

#include <certctl/ca.hpp>
#include <certctl/fs.hpp>
#include <certctl/output.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

namespace {

Status run_local_init(Globals& g, const lifecycle::LocalCaRequest& req, bool json) {
  g.json_errors = json;
  TRY_ASSIGN(Session s, open_unlocked(g));
  TRY_ASSIGN(ca::LocalCaInfo info, lifecycle::init_local_ca(s.ctx(), req));
  if (json) {
    print_out(output::local_ca_json(info));
  } else {
    print_out(fmt::format("created local CA {}\n  key:     {}\n  sha256:  {}\n  valid:   {} .. {}\n", info.subject_dn,
                          info.key_description, info.fingerprint_sha256, format_rfc3339(info.not_before),
                          format_rfc3339(info.not_after)));
  }
  return ok();
}

Status run_export_root(Globals& g, const std::string& out) {
  TRY_ASSIGN(Session s, open_session(g));
  TRY_ASSIGN(std::string pem, ca::local_ca_root_pem(s.vault));
  if (out.empty()) {
    print_out(pem);
    return ok();
  }
  auto st = fs::write_file_atomic(out, pem, 0644);
  if (!st) return st.error().with_category(Category::Input);
  note(g, fmt::format("wrote {}", out));
  return ok();
}

}  // namespace

void setup_ca(CLI::App& app, Globals& g) {
  CLI::App* ca = app.add_subcommand("ca", "Certificate authorities (the local CA inside the vault)");
  ca->require_subcommand(1);
  CLI::App* local = ca->add_subcommand("local", "The vault's own root CA, the embedded default issuer");
  local->require_subcommand(1);

  auto req = std::make_shared<lifecycle::LocalCaRequest>();
  auto json = std::make_shared<bool>(false);
  CLI::App* init = local->add_subcommand("init", "Create the local root CA (key encrypted in the vault)");
  init->add_option("--cn", req->cn, "Common name of the root")->capture_default_str();
  init->add_option("--key-type", req->key_type, "rsa2048, rsa3072, rsa4096, ec256 or ec384")->capture_default_str();
  init->add_option("--days", req->days, "Validity of the root in days")->capture_default_str()->check(CLI::Range(1, 36500));
  init->add_flag("--json", *json, "Print JSON");
  init->callback([&g, req, json] { g.action = [&g, req, json]() -> Status { return run_local_init(g, *req, *json); }; });

  auto out = std::make_shared<std::string>();
  CLI::App* exp = local->add_subcommand("export-root", "Print the local root certificate (PEM)");
  exp->add_option("--out", *out, "Write it to this file (0644) instead of stdout");
  exp->callback([&g, out] { g.action = [&g, out]() -> Status { return run_export_root(g, *out); }; });
}

}  // namespace certctl::cli
