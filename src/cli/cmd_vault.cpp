// certctl vault rekey | info | copy
#include "cli/common.hpp"

#include <certctl/output.hpp>
#include <certctl/vault_copy.hpp>

#include <map>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

namespace {
struct RekeyOptions {
  std::string new_passphrase_file;
  std::string new_key_file;
  std::uint64_t scrypt_n = 1u << 15;
};

Status run_rekey(Globals& g, const RekeyOptions& o) {
  TRY_ASSIGN(Session s, open_unlocked(g));
  lifecycle::SecretEnv env{"CERTCTL_NEW_PASSPHRASE", "", ""};
  TRY_ASSIGN(vault::UnlockSecret secret,
             lifecycle::read_new_secret(lifecycle::UnlockOptions{o.new_passphrase_file, o.new_key_file}, env));
  TRY_ASSIGN(vault::VaultLock lock, s.vault.lock());
  TRY(s.vault.rekey(secret, o.scrypt_n));
  TRY(s.vault.audit("rekey", "", {{"unlock", s.vault.info().method}}, s.clock.now()));
  note(g, fmt::format("vault {} now unlocks with the new {}", s.vault.describe(),
                      secret.kind == vault::UnlockSecret::Kind::KeyFile ? "key file" : "passphrase"));
  return ok();
}

Status run_info(Globals& g, bool json) {
  g.json_errors = json;
  TRY_ASSIGN(Session s, open_session(g));
  std::vector<vault::UnreadableRecord> unreadable;
  TRY_ASSIGN(auto records, s.vault.load_all(&unreadable));
  std::map<std::string, int> by_status;
  for (const auto& r : records) by_status[std::string(vault::status_name(vault::effective_status(r, s.clock.now())))]++;
  std::vector<std::pair<std::string, int>> counts(by_status.begin(), by_status.end());
  const vault::VaultInfo i = s.vault.info();
  if (json) {
    print_out(output::vault_info_json(s.vault.describe(), i, counts));
    report_skipped(g, unreadable);
    return ok();
  }
  std::string out = fmt::format("path:      {}\nformat:    {}\ncreated:   {}\nunlock:    {} ({}", s.vault.describe(),
                                i.format, i.created, i.method, i.kdf);
  if (i.kdf == "scrypt") out += fmt::format(", N={} r={} p={}", i.scrypt_n, i.scrypt_r, i.scrypt_p);
  out += fmt::format(")\nrecords:   {}\n", records.size());
  for (const auto& [k, v] : counts) out += fmt::format("  {:<9} {}\n", k + ":", v);
  if (!unreadable.empty())
    out += fmt::format("unreadable: {} ({})\n", unreadable.size(), unreadable_names(unreadable));
  print_out(out);
  report_skipped(g, unreadable);
  return ok();
}
struct CopyOptions {
  std::string to;
  std::string to_schema = "certctl";
};

/// Every key of this vault into another store, still sealed (the copy opens with the same
/// passphrase or key file). Needs no unlock; holds the writer lock so nothing changes meanwhile.
Status run_copy(Globals& g, const CopyOptions& o) {
  if (o.to.empty()) return Error(Category::Usage, "--to", "is required (a directory or a postgresql:// URL)");
  TRY_ASSIGN(Session s, open_session(g));
  TRY_ASSIGN(std::shared_ptr<storage::Store> to, open_store_at(o.to, o.to_schema, true));
  if (to->describe() == s.vault.describe()) return Error(Category::Usage, "--to", "is this vault itself");
  TRY_ASSIGN(vault::VaultLock lock, s.vault.lock());
  TRY_ASSIGN(vault::CopyReport report, vault::copy_store(s.vault.store(), *to));
  TRY(s.vault.audit("vault-copy", "", {{"to", to->describe()}, {"keys", std::to_string(report.keys)}}, s.clock.now()));
  note(g, fmt::format("copied {} keys and {} logs ({} bytes) to {}", report.keys, report.logs, report.bytes, to->describe()));
  return ok();
}

}  // namespace

void setup_vault(CLI::App& app, Globals& g) {
  CLI::App* vault = app.add_subcommand("vault", "Vault maintenance: rekey, info, copy");
  vault->require_subcommand(1);

  auto o = std::make_shared<RekeyOptions>();
  CLI::App* rekey = vault->add_subcommand("rekey", "Change the vault's passphrase or key file");
  rekey->add_option("--new-passphrase-file", o->new_passphrase_file, "Read the new passphrase from this file");
  rekey->add_option("--new-key-file", o->new_key_file, "Unlock with this key file (>= 32 bytes) from now on");
  rekey->add_option("--scrypt-n", o->scrypt_n, "scrypt cost parameter N for a new passphrase")->capture_default_str();
  rekey->footer("Without either option the new passphrase comes from CERTCTL_NEW_PASSPHRASE or a prompt (asked twice).");
  rekey->callback([&g, o] { g.action = [&g, o]() -> Status { return run_rekey(g, *o); }; });

  auto json = std::make_shared<bool>(false);
  CLI::App* info = vault->add_subcommand("info", "Show the vault's location, unlock method and record counts");
  info->add_flag("--json", *json, "Print JSON");
  info->callback([&g, json] { g.action = [&g, json]() -> Status { return run_info(g, *json); }; });

  auto c = std::make_shared<CopyOptions>();
  CLI::App* copy = vault->add_subcommand(
      "copy", "Copy every record, version, sealed key, config and log into another vault (a directory or PostgreSQL)");
  copy->add_option("--to", c->to, "The destination: an empty directory, or a postgresql:// URL (libpq keyword string too)")
      ->required();
  copy->add_option("--to-schema", c->to_schema, "PostgreSQL destination: the schema to create the vault in")
      ->capture_default_str();
  copy->footer("Keys stay sealed: the copy opens with this vault's passphrase or key file. The destination becomes a "
               "vault only when everything is copied (config.toml last); one that holds a vault already is refused.");
  copy->callback([&g, c] { g.action = [&g, c]() -> Status { return run_copy(g, *c); }; });
}

}  // namespace certctl::cli
