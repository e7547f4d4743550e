// certctl init: create the vault.
#include "cli/common.hpp"

#include <certctl/fs.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

namespace {
struct InitOptions {
  std::string generate_key_file;
  std::uint64_t scrypt_n = 1u << 15;
};

Status run_init(Globals& g, const InitOptions& o) {
  TRY_ASSIGN(SystemClock clock, make_clock());
  TRY_ASSIGN(std::string dir, vault::resolve_dir(g.vault_dir));
  TRY_ASSIGN(std::shared_ptr<storage::Store> store, open_store(g, true));  // null: a directory
  lifecycle::UnlockOptions uo = unlock_options(g);
  if (!o.generate_key_file.empty()) {
    if (store) {
      TRY_ASSIGN(auto existing, store->get(vault::Layout::config(), fs::kMaxFileSize));
      if (existing) return Error(Category::State, store->describe(), "a vault already exists here");
    } else if (fs::exists(fs::join(dir, "config.toml"))) {
      return Error(Category::State, dir, "a vault already exists here");
    }
    TRY(lifecycle::generate_key_file(o.generate_key_file));
    uo.key_file = o.generate_key_file;
  }
  TRY_ASSIGN(vault::UnlockSecret secret, lifecycle::read_new_secret(uo, lifecycle::SecretEnv{}));
  TRY_ASSIGN(vault::Vault v, store ? vault::Vault::create(std::move(store), secret, o.scrypt_n, clock.now())
                                   : vault::Vault::create(dir, secret, o.scrypt_n, clock.now()));
  TRY_ASSIGN(std::string host, host_of(g));
  v.set_host(std::move(host));
  TRY(v.audit("init", "", {{"unlock", v.info().method}}, clock.now()));
  note(g, fmt::format("created vault {} (unlocked with a {})", v.describe(), v.info().method == "key-file" ? "key file" : "passphrase"));
  return ok();
}
}  // namespace

void setup_init(CLI::App& app, Globals& g) {
  auto o = std::make_shared<InitOptions>();
  CLI::App* sub = app.add_subcommand("init", "Create a vault (directory 0700, keys encrypted at rest)");
  sub->add_option("--generate-key-file", o->generate_key_file,
                  "Write a new random 32-byte key file (0600) and unlock the vault with it instead of a passphrase");
  sub->add_option("--scrypt-n", o->scrypt_n, "scrypt cost parameter N for the passphrase KDF (power of two)")
      ->capture_default_str();
  sub->footer(
      "The unlock secret comes from --key-file/CERTCTL_KEY_FILE (a key-file vault), or a passphrase from "
      "--passphrase-file, CERTCTL_PASSPHRASE, CERTCTL_PASSPHRASE_FILE or a no-echo prompt (asked twice).");
  sub->callback([&g, o] { g.action = [&g, o]() -> Status { return run_init(g, *o); }; });
}

}  // namespace certctl::cli
