// certctl ca local init | export-root
#include "cli/common.hpp"
#include "cli/named.hpp"

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

void bind_add(CLI::App& add, AddOptions& o) {
  o.profile.allow_wildcard = false;  // an added CA allows wildcards only when told so
  add.add_option("name", o.profile.name, "Profile name")->required();
  add.add_option("--directory", o.profile.directory, "ACME directory URL (https://...)")->required();
  add.add_option("--ca-bundle", o.profile.ca_bundle, "PEM file of roots to trust for the directory's TLS");
  add.add_option("--eab-kid", o.profile.eab_kid, "External Account Binding key id");
  add.add_option("--eab-hmac-file", o.eab_hmac_file, "File holding the EAB HMAC key (base64url), sealed in the vault");
  add.add_option("--tech-zone", o.profile.tech_zone, "Zone that _acme-challenge CNAMEs point into");
  add.add_flag("--allow-wildcard", o.profile.allow_wildcard, "Allow wildcard names with this CA");
  add.add_option("--profile", o.profile.profile, "Default ACME profile for orders (e.g. shortlived)");
  add.add_option("--staging", o.profile.staging,
                 "CA profile of this CA's staging environment: `renew --dry-run` issues there when it has an account");
}

Status run_add(Globals& g, const AddOptions& o) {
  TRY_ASSIGN(Session s, o.eab_hmac_file.empty() ? open_session(g) : open_unlocked(g));
  TRY(lifecycle::add_ca(s.ctx(), o.profile, o.eab_hmac_file));
  note(g, fmt::format("added CA '{}'; next: certctl account register --ca {} --email ADDRESS --agree-tos",
                      o.profile.name, o.profile.name));
  return ok();
}

std::string profiles_table(const std::vector<ca::CaProfile>& profiles) {
  std::string out = fmt::format("{:<22} {:<6} {}\n", "NAME", "TYPE", "DIRECTORY");
  for (const auto& p : profiles)
    out += fmt::format("{:<22} {:<6} {}\n", p.name, p.is_local() ? "local" : "acme", p.is_local() ? "(vault)" : p.directory);
  return out;
}

void setup_acme_profiles(CLI::App* ca, Globals& g) {
  command<AddOptions>(*ca, g, "add", "Add (or replace) an ACME CA profile", bind_add,
                      [&g](AddOptions& o) { return run_add(g, o); });
  add_list(*ca, g,
           ListSpec{"List CA profiles (built in and added)", "Print JSON",
                    [](Session& s) { return ca::list_profiles(s.vault); }, &output::ca_profiles_json, &profiles_table,
                    ""});
  const NameOption name{"name", "Profile name"};
  add_show(
      *ca, g, "Show one CA profile", name, [](Session& s, const std::string& n) { return ca::find_profile(s.vault, n); },
      &output::ca_profile_json, &profile_text);
  add_remove(
      *ca, g, "Remove an added CA profile and its account", name,
      [](Session& s, const std::string& n) { return lifecycle::remove_ca(s.ctx(), n); },
      [](const std::string& n) { return fmt::format("removed CA '{}'", n); },
      [](const std::string& n) { return fmt::format("Remove CA profile '{}' and its account key?", n); });
}

}  // namespace

void setup_ca(CLI::App& app, Globals& g) {
  CLI::App* ca = app.add_subcommand("ca", "Certificate authorities: ACME profiles and the local CA");
  ca->require_subcommand(1);
  setup_acme_profiles(ca, g);
  CLI::App* local = ca->add_subcommand("local", "The vault's own root CA, the embedded default issuer");
  local->require_subcommand(1);

  struct InitOpts {
    lifecycle::LocalCaRequest req;
    bool json = false;
  };
  command<InitOpts>(
      *local, g, "init", "Create the local root CA (key encrypted in the vault)",
      [](CLI::App& init, InitOpts& o) {
        init.add_option("--cn", o.req.cn, "Common name of the root")->capture_default_str();
        init.add_option("--key-type", o.req.key_type, "rsa2048, rsa3072, rsa4096, ec256 or ec384")->capture_default_str();
        init.add_option("--days", o.req.days, "Validity of the root in days")->capture_default_str()->check(CLI::Range(1, 36500));
        init.add_flag("--json", o.json, "Print JSON");
      },
      [&g](InitOpts& o) { return run_local_init(g, o.req, o.json); });
  auto out_option = [](CLI::App& sub, std::string& out) {
    sub.add_option("--out", out, "Write it to this file (0644) instead of stdout");
  };
  command<std::string>(*local, g, "export-root", "Print the local root certificate (PEM)", out_option,
                       [&g](std::string& out) { return run_export_root(g, out); });
  command<std::string>(*local, g, "crl", "Print the local CA's CRL (certificates revoked with `certctl revoke`)",
                       out_option, [&g](std::string& out) { return run_crl(g, out); });
}

}  // namespace certctl::cli
