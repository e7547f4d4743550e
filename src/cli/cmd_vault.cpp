// certctl vault rekey | info
#include "cli/common.hpp"

#include <certctl/output.hpp>

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
}  // namespace

void setup_vault(CLI::App& app, Globals& g) {
  CLI::App* vault = app.add_subcommand("vault", "Vault maintenance: rekey, info");
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
}

}  // namespace certctl::cli
