// certctl ca local init | export-root
#include "cli/common.hpp"

#include <certctl/ca.hpp>
#include <certctl/fs.hpp>
#include <certctl/output.hpp>
#include <certctl/terminal.hpp>

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

/// A PEM to stdout, or to the file --out names (0644).
Status print_or_write(Globals& g, const std::string& pem, const std::string& out) {
  if (out.empty()) {
    print_out(pem);
    return ok();
  }
  TRY(fs::write_user_file(out, pem, 0644));
  note(g, fmt::format("wrote {}", out));
  return ok();
}

Status run_export_root(Globals& g, const std::string& out) {
  TRY_ASSIGN(Session s, open_session(g));
  TRY_ASSIGN(std::string pem, ca::local_ca_root_pem(s.vault));
  return print_or_write(g, pem, out);
}

Status run_crl(Globals& g, const std::string& out) {
  TRY_ASSIGN(Session s, open_unlocked(g));
  TRY_ASSIGN(std::string pem, ca::local_ca_crl(s.vault, s.clock.now()));
  return print_or_write(g, pem, out);
}

struct AddOptions {
  ca::CaProfile profile;
  std::string eab_hmac_file;
};

std::string profile_text(const ca::CaProfile& p) {
  auto line = [](std::string_view k, const std::string& v) { return v.empty() ? std::string() : fmt::format("{:<16}{}\n", k, v); };
  return line("name:", p.name) + line("type:", p.is_local() ? "local (in the vault)" : "acme") +
         line("directory:", p.directory) + line("ca bundle:", p.ca_bundle) + line("eab kid:", p.eab_kid) +
         line("eab required:", p.eab_required ? "yes" : "") + line("tech zone:", p.tech_zone) +
         line("wildcards:", p.allow_wildcard ? "allowed" : "not allowed") + line("profile:", p.profile) +
         line("staging:", p.staging) + line("source:", p.builtin ? "built in" : "added (certctl ca add)");
}

void setup_acme_profiles(CLI::App* ca, Globals& g) {
  auto o = std::make_shared<AddOptions>();
  o->profile.allow_wildcard = false;  // an added CA allows wildcards only when told so
  CLI::App* add = ca->add_subcommand("add", "Add (or replace) an ACME CA profile");
  add->add_option("name", o->profile.name, "Profile name")->required();
  add->add_option("--directory", o->profile.directory, "ACME directory URL (https://...)")->required();
  add->add_option("--ca-bundle", o->profile.ca_bundle, "PEM file of roots to trust for the directory's TLS");
  add->add_option("--eab-kid", o->profile.eab_kid, "External Account Binding key id");
  add->add_option("--eab-hmac-file", o->eab_hmac_file, "File holding the EAB HMAC key (base64url), sealed in the vault");
  add->add_option("--tech-zone", o->profile.tech_zone, "Zone that _acme-challenge CNAMEs point into");
  add->add_flag("--allow-wildcard", o->profile.allow_wildcard, "Allow wildcard names with this CA");
  add->add_option("--profile", o->profile.profile, "Default ACME profile for orders (e.g. shortlived)");
  add->add_option("--staging", o->profile.staging,
                  "CA profile of this CA's staging environment: `renew --dry-run` issues there when it has an account");
  add->callback([&g, o] {
    g.action = [&g, o]() -> Status {
      TRY_ASSIGN(Session s, o->eab_hmac_file.empty() ? open_session(g) : open_unlocked(g));
      TRY(lifecycle::add_ca(s.ctx(), o->profile, o->eab_hmac_file));
      note(g, fmt::format("added CA '{}'; next: certctl account register --ca {} --email ADDRESS --agree-tos",
                          o->profile.name, o->profile.name));
      return ok();
    };
  });

  auto json = std::make_shared<bool>(false);
  CLI::App* list = ca->add_subcommand("list", "List CA profiles (built in and added)");
  list->add_flag("--json", *json, "Print JSON");
  list->callback([&g, json] {
    g.action = [&g, json]() -> Status {
      g.json_errors = *json;
      TRY_ASSIGN(Session s, open_session(g));
      TRY_ASSIGN(auto profiles, ca::list_profiles(s.vault));
      if (*json) {
        print_out(output::ca_profiles_json(profiles));
        return ok();
      }
      std::string out = fmt::format("{:<22} {:<6} {}\n", "NAME", "TYPE", "DIRECTORY");
      for (const auto& p : profiles)
        out += fmt::format("{:<22} {:<6} {}\n", p.name, p.is_local() ? "local" : "acme", p.is_local() ? "(vault)" : p.directory);
      print_out(out);
      return ok();
    };
  });

  struct ShowOptions {
    std::string name;
    bool json = false;
  };
  auto so = std::make_shared<ShowOptions>();
  CLI::App* show = ca->add_subcommand("show", "Show one CA profile");
  show->add_option("name", so->name, "Profile name")->required();
  show->add_flag("--json", so->json, "Print JSON");
  show->callback([&g, so] {
    g.action = [&g, so]() -> Status {
      g.json_errors = so->json;
      TRY_ASSIGN(Session s, open_session(g));
      TRY_ASSIGN(ca::CaProfile p, ca::find_profile(s.vault, so->name));
      print_out(so->json ? output::ca_profile_json(p) : profile_text(p));
      return ok();
    };
  });

  struct RemoveOptions {
    std::string name;
    bool yes = false;
  };
  auto ro = std::make_shared<RemoveOptions>();
  CLI::App* remove = ca->add_subcommand("remove", "Remove an added CA profile and its account");
  remove->add_option("name", ro->name, "Profile name")->required();
  remove->add_flag("--yes,-y", ro->yes, "Do not ask for confirmation");
  remove->callback([&g, ro] {
    g.action = [&g, ro]() -> Status {
      TRY_ASSIGN(Session s, open_session(g));
      if (!ro->yes) TRY(term::confirm(fmt::format("Remove CA profile '{}' and its account key?", ro->name), ro->name));
      TRY(lifecycle::remove_ca(s.ctx(), ro->name));
      note(g, fmt::format("removed CA '{}'", ro->name));
      return ok();
    };
  });
}

}  // namespace

void setup_ca(CLI::App& app, Globals& g) {
  CLI::App* ca = app.add_subcommand("ca", "Certificate authorities: ACME profiles and the local CA");
  ca->require_subcommand(1);
  setup_acme_profiles(ca, g);
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

  auto crl_out = std::make_shared<std::string>();
  CLI::App* crl = local->add_subcommand("crl", "Print the local CA's CRL (certificates revoked with `certctl revoke`)");
  crl->add_option("--out", *crl_out, "Write it to this file (0644) instead of stdout");
  crl->callback([&g, crl_out] { g.action = [&g, crl_out]() -> Status { return run_crl(g, *crl_out); }; });
}

}  // namespace certctl::cli
