// The host registry (lifecycle::host_*) and agent_enroll, with the seal that the next step
// (sealing at issuance) builds on: keys from the registry seal what only each host opens.
#include <catch2/catch.hpp>

#include <certctl/device_seal.hpp>
#include <certctl/lifecycle.hpp>

#include "vault_context.hpp"

#include <sys/stat.h>

using namespace certctl;

namespace {

using Fixture = test::VaultContext;

crypto::HostKeyPair key() {
  auto k = crypto::generate_host_key();
  REQUIRE(k);
  return std::move(*k);
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("hosts: add, list, keys in order, remove; duplicates and unknown names", "[lifecycle][device-seal]") {
  Fixture f;
  const auto web = key(), db = key();
  REQUIRE(lifecycle::host_add(f.ctx(), "web", web.public_key.text() + "\n", {"web", "eu"}));
  REQUIRE(lifecycle::host_add(f.ctx(), "db", db.public_key.text(), {}));

  auto all = lifecycle::host_list(f.ctx());
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].name == "db");
  CHECK((*all)[1].name == "web");
  CHECK((*all)[1].key == web.public_key);
  CHECK((*all)[1].public_key == web.public_key.text());
  CHECK((*all)[1].labels == std::vector<std::string>{"web", "eu"});
  CHECK((*all)[1].created == 1'800'000'000);

  auto keys = lifecycle::host_keys(f.ctx(), {"web", "db"});
  REQUIRE(keys);
  REQUIRE(keys->size() == 2);
  CHECK((*keys)[0] == web.public_key);
  CHECK((*keys)[1] == db.public_key);
  // What the next step does with them: each host opens what was sealed to it, and only that.
  auto sealed = crypto::seal_to_host((*keys)[0], SecretBytes::from("key"), "aad");
  REQUIRE(sealed);
  CHECK(crypto::open_as_host(web.private_key, *sealed, "aad", "k"));
  CHECK_FALSE(crypto::open_as_host(db.private_key, *sealed, "aad", "k"));

  auto dup = lifecycle::host_add(f.ctx(), "web", db.public_key.text(), {});
  REQUIRE_FALSE(dup);
  CHECK(dup.error().category() == Category::State);
  CHECK(dup.error().subject() == "host 'web'");
  auto still = lifecycle::host_get(f.ctx(), "web");
  REQUIRE(still);
  CHECK(still->key == web.public_key);

  auto bad = lifecycle::host_add(f.ctx(), "x", "certctl-host-x25519:nope", {}, "x.pub");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().category() == Category::Input);
  CHECK(bad.error().subject() == "x.pub");
  CHECK(lifecycle::host_add(f.ctx(), "../x", web.public_key.text(), {}).error().category() == Category::Usage);
  CHECK(lifecycle::host_add(f.ctx(), "x", web.public_key.text(), {"a b"}).error().category() == Category::Usage);

  auto missing = lifecycle::host_keys(f.ctx(), {"web", "nosuch"});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().category() == Category::NotFound);
  CHECK(missing.error().subject() == "host 'nosuch'");

  REQUIRE(lifecycle::host_remove(f.ctx(), "db"));
  auto gone = lifecycle::host_remove(f.ctx(), "db");
  REQUIRE_FALSE(gone);
  CHECK(gone.error().category() == Category::NotFound);
  auto left = lifecycle::host_list(f.ctx());
  REQUIRE(left);
  REQUIRE(left->size() == 1);
  CHECK(left->front().name == "web");
}

TEST_CASE("agent_enroll: a new 0600 key in a 0700 directory, never overwritten without force", "[lifecycle][device-seal]") {
  test::TempDir dir;
  const std::string file = dir.file("agent/sub/host.key");
  auto pub = lifecycle::agent_enroll(file, false);
  REQUIRE(pub);
  CHECK(mode_of(file) == 0600);
  CHECK(mode_of(dir.file("agent/sub")) == 0700);
  auto text = fs::read_secret_file(file);
  REQUIRE(text);
  auto pair = crypto::parse_host_private_key(*text, file);
  REQUIRE(pair);
  CHECK(pair->public_key == *pub);

  auto again = lifecycle::agent_enroll(file, false);
  REQUIRE_FALSE(again);
  CHECK(again.error().category() == Category::State);
  auto same = fs::read_secret_file(file);
  REQUIRE(same);
  CHECK(same->view() == text->view());

  auto forced = lifecycle::agent_enroll(file, true);
  REQUIRE(forced);
  CHECK(!(*forced == *pub));
  CHECK(mode_of(file) == 0600);

  REQUIRE(::mkdir(dir.file("open").c_str(), 0755) == 0);
  REQUIRE(::chmod(dir.file("open").c_str(), 0755) == 0);
  auto open = lifecycle::agent_enroll(dir.file("open/host.key"), false);
  REQUIRE_FALSE(open);
  CHECK(open.error().category() == Category::Input);
  CHECK(open.error().subject() == dir.file("open"));
}
