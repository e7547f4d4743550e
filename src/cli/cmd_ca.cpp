// certctl ca add | list | show | remove, ca local init | rotate | show | export-root | crl
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

/// --out FILE and --all, the options of export-root and crl.
struct PemOptions {
  std::string out;
  bool all = false;
};

Status run_export_root(Globals& g, const PemOptions& o) {
  TRY_ASSIGN(Session s, open_session(g));
  TRY_ASSIGN(std::string pem, o.all ? ca::local_ca_roots_pem(s.vault, s.clock.now()) : ca::local_ca_root_pem(s.vault));
  return print_or_write(g, pem, o.out);
}

Status run_crl(Globals& g, const PemOptions& o) {
  TRY_ASSIGN(Session s, open_unlocked(g));
  TRY_ASSIGN(std::string pem, ca::local_ca_crl(s.vault, s.clock.now(), 7, o.all));
  return print_or_write(g, pem, o.out);
}

/// One line per root or intermediate: kind, id, state, expiry, subject, constraints.
std::string local_certs_text(const std::vector<ca::LocalCaCert>& certs) {
  std::string out = fmt::format("{:<14} {:<3} {:<9} {:<21} {:<21} {}\n", "KIND", "ID", "STATE", "NOT AFTER", "RETIRES", "SUBJECT");
  for (const auto& c : certs) {
    out += fmt::format("{:<14} {:<3} {:<9} {:<21} {:<21} {}\n", ca::to_string(c.kind), c.id, ca::to_string(c.state),
                       format_rfc3339(c.info.not_after), c.retire_at ? format_rfc3339(c.retire_at) : "-", c.info.subject_dn);
    std::string limits;
    if (c.constraints.path_len >= 0) limits += fmt::format("pathlen {}", c.constraints.path_len);
    if (!c.constraints.permitted.empty()) limits += fmt::format("; permitted {}", fmt::join(c.constraints.permitted, ", "));
    if (!c.constraints.excluded.empty()) limits += fmt::format("; excluded {}", fmt::join(c.constraints.excluded, ", "));
    if (!limits.empty()) out += fmt::format("{:<14} {}\n", "", limits.rfind("; ", 0) == 0 ? limits.substr(2) : limits);
  }
  return out;
}

struct ShowOptions {
  bool json = false;
};

Status run_local_show(Globals& g, const ShowOptions& o) {
  g.json_errors = o.json;
  TRY_ASSIGN(Session s, open_session(g));
  TRY_ASSIGN(auto certs, ca::local_ca_list(s.vault, s.clock.now()));
  print_out(o.json ? output::local_ca_certs_json(certs) : local_certs_text(certs));
  return ok();
}

struct RotateOptions {
  bool root = false, intermediate = false, json = false;
  ca::LocalCaRotate req;
};

Status run_local_rotate(Globals& g, const RotateOptions& o) {
  g.json_errors = o.json;
  if (o.root == o.intermediate) return Error(Category::Usage, "ca local rotate", "name one of --root or --intermediate");
  if (!o.root && o.req.intermediate_days)
    return Error(Category::Usage, "--intermediate-days", "goes with --root (use --days for the new intermediate)");
  TRY_ASSIGN(Session s, open_unlocked(g));
  ca::LocalCaRotate req = o.req;
  req.root = o.root;
  TRY_ASSIGN(auto made, lifecycle::rotate_local_ca(s.ctx(), req));
  if (o.json) {
    print_out(output::local_ca_certs_json(made));
    return ok();
  }
  print_out(local_certs_text(made));
  note(g, fmt::format("the replaced {} listed for {} days; `certctl renew` moves the certificates to the new chain{}",
                      o.root ? "root and intermediate stay" : "intermediate stays", req.overlap_days,
                      o.root ? "; publish `certctl ca local export-root --all` to clients first" : ""));
  return ok();
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
        init.add_option("--intermediate-days", o.req.intermediate_days,
                        "Validity of the intermediate that signs leaves (default: 1095, at most the root's)")
            ->check(CLI::Range(1, 36500));
        init.add_option("--permit", o.req.permit,
                        "Name constraint: sign only for this DNS name and the names below it, or this IP range "
                        "(10.0.0.0/8); repeat for more")
            ->allow_extra_args(false);
        init.add_option("--exclude", o.req.exclude, "Name constraint: never sign for this DNS name (and below) or IP range; repeat for more")
            ->allow_extra_args(false);
        init.add_flag("--json", o.json, "Print JSON");
      },
      [&g](InitOpts& o) { return run_local_init(g, o.req, o.json); });
  command<RotateOptions>(
      *local, g, "rotate", "Make a new intermediate (or root and intermediate); the old ones stay valid for --overlap days",
      [](CLI::App& rot, RotateOptions& o) {
        rot.add_flag("--intermediate", o.intermediate, "A new intermediate under the current root");
        rot.add_flag("--root", o.root, "A new root and a new intermediate under it (same key type and name constraints)");
        rot.add_option("--overlap", o.req.overlap_days, "Days the replaced ones stay listed (and exported by export-root --all)")
            ->capture_default_str()
            ->check(CLI::Range(0, 3650));
        rot.add_option("--days", o.req.days,
                       "Validity of the new root (default 3650) or, with --intermediate, the new intermediate (default 1095)")
            ->check(CLI::Range(1, 36500));
        rot.add_option("--intermediate-days", o.req.intermediate_days, "With --root: validity of the new intermediate (default 1095)")
            ->check(CLI::Range(1, 36500));
        rot.add_flag("--json", o.json, "Print JSON");
      },
      [&g](RotateOptions& o) { return run_local_rotate(g, o); });
  command<ShowOptions>(
      *local, g, "show", "List the local CA's roots and intermediates: current, retiring or retired, expiry, constraints",
      [](CLI::App& show, ShowOptions& o) { show.add_flag("--json", o.json, "Print JSON"); },
      [&g](ShowOptions& o) { return run_local_show(g, o); });
  auto out_option = [](CLI::App& sub, std::string& out) {
    sub.add_option("--out", out, "Write it to this file (0644) instead of stdout");
  };
  command<PemOptions>(
      *local, g, "export-root", "Print the local root certificate (PEM)",
      [&out_option](CLI::App& sub, PemOptions& o) {
        out_option(sub, o.out);
        sub.add_flag("--all", o.all, "Every root still valid: the current one and those retiring after a rotation (a PEM bundle)");
      },
      [&g](PemOptions& o) { return run_export_root(g, o); });
  command<PemOptions>(
      *local, g, "crl", "Print the local CA's CRL (certificates revoked with `certctl revoke`)",
      [&out_option](CLI::App& sub, PemOptions& o) {
        out_option(sub, o.out);
        sub.add_flag("--all", o.all,
                     "One CRL per root and intermediate not yet retired (for openssl -crl_check_all), instead of the "
                     "current intermediate's");
      },
      [&g](PemOptions& o) { return run_crl(g, o); });
}

}  // namespace certctl::cli
