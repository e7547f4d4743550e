#include <catch2/catch.hpp>

#include <certctl/lifecycle.hpp>

#include "temp_dir.hpp"

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <unistd.h>

using namespace certctl;

namespace {

/// Sets (or unsets) an environment variable for one scope, then puts back what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) ::setenv(name, value->c_str(), 1);
    else ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

/// The vault test::make_vault made, opened again: locked.
vault::Vault locked(const test::TempDir& dir) {
  auto v = vault::Vault::open(dir.file("vault"));
  REQUIRE(v);
  REQUIRE_FALSE(v->unlocked());
  return std::move(v).value();
}

}  // namespace

TEST_CASE("a systemd credential unlocks below the options and variables", "[lifecycle][unlock]") {
  test::TempDir dir;
  test::make_vault(dir);
  const std::string creds = dir.file("credentials");
  REQUIRE(fs::make_dirs(creds, 0700).ok());
  ScopedEnv no_pass("CERTCTL_PASSPHRASE", std::nullopt), no_file("CERTCTL_PASSPHRASE_FILE", std::nullopt),
      no_key("CERTCTL_KEY_FILE", std::nullopt), dir_env("CREDENTIALS_DIRECTORY", creds);
  write(creds + "/" + lifecycle::kPassphraseCredential, "test passphrase\n");

  vault::Vault v = locked(dir);
  CHECK(lifecycle::check_unlock_source(v, {}).ok());
  CHECK_FALSE(v.unlocked());  // checked, not unlocked
  REQUIRE(lifecycle::unlock(v, {}).ok());
  CHECK(v.unlocked());

  // A wrong --passphrase-file wins over the right credential.
  write(dir.file("wrong.pass"), "not it\n");
  vault::Vault w = locked(dir);
  CHECK(lifecycle::check_unlock_source(w, {dir.file("wrong.pass"), ""}).ok());
  auto st = lifecycle::unlock(w, {dir.file("wrong.pass"), ""});
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().category() == Category::Vault);
}

TEST_CASE("check_unlock_source names a missing or empty file and needs some source", "[lifecycle][unlock]") {
  test::TempDir dir;
  test::make_vault(dir);
  ScopedEnv no_pass("CERTCTL_PASSPHRASE", std::nullopt), no_file("CERTCTL_PASSPHRASE_FILE", std::nullopt),
      no_key("CERTCTL_KEY_FILE", std::nullopt), no_creds("CREDENTIALS_DIRECTORY", std::nullopt);
  vault::Vault v = locked(dir);

  auto missing = lifecycle::check_unlock_source(v, {dir.file("nope.pass"), ""});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().category() == Category::NotFound);
  CHECK(missing.error().subject() == dir.file("nope.pass"));

  write(dir.file("empty.pass"), "");
  auto empty = lifecycle::check_unlock_source(v, {dir.file("empty.pass"), ""});
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().category() == Category::Input);

  // An empty credentials directory is no source: the terminal would be asked, and there is
  // none (stdin is not one under ctest; run by hand on a terminal, this part is skipped).
  ScopedEnv creds("CREDENTIALS_DIRECTORY", dir.path());
  if (!::isatty(STDIN_FILENO)) {
    auto none = lifecycle::check_unlock_source(v, {});
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().category() == Category::Usage);
    CHECK_THAT(none.error().text(), Catch::Matchers::Contains("no terminal"));
  }
  // A key file for a passphrase vault is refused before any file is read.
  auto key = lifecycle::check_unlock_source(v, {"", dir.file("nope.key")});
  REQUIRE_FALSE(key.ok());
  CHECK(key.error().category() == Category::Vault);
}
