// The vault's other TOML files: config.toml (src/vault/vault_config.cpp), named configs
// (<vault>/<kind>/<name>.toml, src/vault/named_config.cpp), CA profiles and accounts
// (<vault>/ca/<name>/{profile,account}.toml, src/ca/profiles.cpp) and the issuance policy
// (policy.toml, src/vault/policy_toml.cpp: what parses renders and parses back to the same
// policy). The first byte picks the
// file, the rest is its content; every file is read through the function certctl reads it
// with, in a vault made once per process.
#include "fuzz.hpp"
#include "temp_dir.hpp"
#include "vault/vault_config.hpp"

#include <certctl/ca.hpp>
#include <certctl/policy.hpp>
#include <certctl/fs.hpp>
#include <certctl/vault.hpp>

using namespace certctl;

namespace {

void put(const std::string& path, std::string_view content) { fuzz::put_file(path, content); }

struct Fixture {
  int tmp = (fuzz::prefer_memory_tmp(), 0);
  test::TempDir dir;
  vault::Vault vault = test::make_vault(dir);
  std::string root = dir.file("vault");
  Fixture() {
    for (const char* d : {"/notify", "/dns", "/ca", "/ca/fz"})
      if (!fs::make_dirs(root + d, 0700)) std::abort();
    // load_account reads account.toml only when the sealed key is there too.
    put(root + "/ca/fz/account.key", "sealed");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture fx;
  if (size == 0) return 0;
  const std::string_view text = fuzz::as_text(data + 1, size - 1);
  switch (data[0] % 6) {
    case 0: {
      auto c = vault::parse_config(text, "config.toml");
      if (!c) fuzz::touch(c.error());
      else (void)vault::render_config(*c);
      break;
    }
    case 1:
    case 2: {
      const char* kind = data[0] % 6 == 1 ? "notify" : "dns";
      put(fx.root + "/" + kind + "/fz.toml", text);
      auto c = vault::load_config(fx.vault, kind, "fz");
      if (!c) fuzz::touch(c.error());
      break;
    }
    case 3: {
      put(fx.root + "/ca/fz/profile.toml", text);
      auto p = ca::find_profile(fx.vault, "fz");
      if (!p) fuzz::touch(p.error());
      break;
    }
    case 4: {
      put(fx.root + "/ca/fz/account.toml", text);
      auto a = ca::load_account(fx.vault, "fz");
      if (!a) fuzz::touch(a.error());
      break;
    }
    case 5: {
      auto p = vault::parse_policy_toml(text, "policy.toml");
      if (!p) {
        fuzz::touch(p.error());
        break;
      }
      auto again = vault::parse_policy_toml(vault::render_policy_toml(*p), "policy.toml");
      if (!again || !(*again == *p)) std::abort();  // a policy that does not survive its own file
      break;
    }
  }
  return 0;
}
