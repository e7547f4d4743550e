#include <catch2/catch.hpp>

#include <certctl/fs.hpp>
#include <certctl/vault.hpp>

#include "temp_dir.hpp"
#include "vault/record_toml.hpp"

#include <fcntl.h>
#include <limits>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace certctl;

namespace {

vault::Record full_record() {
  vault::Record r;
  r.name = "shop";
  r.domain = "shop.example.com";
  r.sans = {"www.shop.example.com", "192.0.2.7"};
  r.subject = {"Acme \"Quoted\"", "Ops", "DE", "Berlin", "Berlin", "ops@example.com"};
  r.key_type = "rsa3072";
  r.ca = "local";
  r.renew_days = 21;
  r.status = vault::CertStatus::Active;
  r.source = vault::Source::Managed;
  r.version = 2;
  r.has_key = r.has_csr = r.has_cert = r.has_chain = true;
  r.issued_by = "local";
  r.created = 1'800'000'000;
  r.updated = 1'800'000'100;
  r.csr_created = 1'800'000'010;
  r.issued = 1'800'000'020;
  r.renewed = 1'800'000'030;
  vault::CertMeta m;
  m.subject_dn = "CN=shop.example.com,O=Acme";
  m.issuer = "CN=certctl local CA";
  m.issuer_cn = "certctl local CA";
  m.serial_dec = "255";
  m.serial_hex = "FF";
  m.fingerprint_md5 = "AA:BB";
  m.fingerprint_sha1 = "CC:DD";
  m.fingerprint_sha256 = "EE:FF";
  m.key_description = "RSA 3072";
  m.key_size = 3072;
  m.signature_algorithm = "ecdsa-with-SHA384";
  m.not_before = 1'800'000'000;
  m.not_after = 1'800'000'000 + 90 * 86400;
  r.cert = m;
  r.history.push_back({1, 1'800'000'030, "reissued", "local", "0A", "11:22", 1'790'000'000, 1'797'776'000});
  r.settings.challenge = vault::ChallengeType::Dns01;
  r.settings.dns = "exec:/usr/local/bin/hook";
  r.settings.http_port = 8080;
  r.settings.profile = "shortlived";
  r.settings.fallback = {"zerossl", "local"};
  r.last_problem = "rateLimited";
  r.retry_after = 1'800'003'600;
  r.ari = {"aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", 1'805'000'000, 1'805'086'400, 1'805'040'000, 1'800'000'100,
           1'800'021'700, "https://ca.test/why", ""};
  return r;
}

}  // namespace

TEST_CASE("record.toml round-trips every field", "[vault]") {
  const vault::Record r = full_record();
  const std::string text = vault::render_record(r);
  auto back = vault::parse_record(text, "record.toml");
  REQUIRE(back);
  CHECK(back->name == r.name);
  CHECK(back->domain == r.domain);
  CHECK(back->sans == r.sans);
  CHECK(back->subject.o == r.subject.o);
  CHECK(back->subject.email == r.subject.email);
  CHECK(back->key_type == "rsa3072");
  CHECK(back->renew_days == 21);
  CHECK(back->status == vault::CertStatus::Active);
  CHECK(back->version == 2);
  CHECK(back->has_chain);
  CHECK(back->renewed == r.renewed);
  REQUIRE(back->cert);
  CHECK(back->cert->serial_hex == "FF");
  CHECK(back->cert->key_size == 3072);
  CHECK(back->cert->not_after == r.cert->not_after);
  REQUIRE(back->history.size() == 1);
  CHECK(back->history[0].serial_hex == "0A");
  CHECK(back->history[0].not_after == 1'797'776'000);
  CHECK(back->settings.dns == "exec:/usr/local/bin/hook");
  CHECK(back->settings.http_port == 8080);
  CHECK(back->settings.fallback == std::vector<std::string>{"zerossl", "local"});
  CHECK(back->retry_after == 1'800'003'600);
  CHECK(back->ari.cert_id == r.ari.cert_id);
  CHECK(back->ari.window_start == 1'805'000'000);
  CHECK(back->ari.window_end == 1'805'086'400);
  CHECK(back->ari.renew_at == 1'805'040'000);
  CHECK(back->ari.next_check == 1'800'021'700);
  CHECK(back->ari.explanation_url == "https://ca.test/why");
  CHECK(vault::render_record(*back) == text);  // stable output: diff-able
}

TEST_CASE("a corrupt record is a Vault error naming the file", "[vault]") {
  auto r = vault::parse_record("name = \"x\"\ndomain = [", "/v/certs/x/record.toml");
  REQUIRE_FALSE(r);
  CHECK(r.error().category() == Category::Vault);
  CHECK(r.error().subject() == "/v/certs/x/record.toml");
  auto truncated = vault::parse_record("format = 1\nname = \"x\"\n", "p");
  REQUIRE_FALSE(truncated);
}

TEST_CASE("renew threshold: explicit, last third, last half for short lifetimes", "[vault]") {
  vault::Record r = full_record();
  CHECK(vault::auto_renew_days(r) == 21);
  r.renew_days = 0;
  CHECK(vault::auto_renew_days(r) == 30);  // 90-day certificate
  r.cert->not_after = r.cert->not_before + 45 * 86400;
  CHECK(vault::auto_renew_days(r) == 15);
  r.cert->not_after = r.cert->not_before + 6 * 86400;
  CHECK(vault::auto_renew_days(r) == 3);
  r.cert.reset();
  CHECK(vault::auto_renew_days(r) == 30);
}

TEST_CASE("expired is computed from not_after", "[vault]") {
  vault::Record r = full_record();
  CHECK(vault::effective_status(r, r.cert->not_after - 1) == vault::CertStatus::Active);
  CHECK(vault::effective_status(r, r.cert->not_after + 1) == vault::CertStatus::Expired);
  CHECK(*vault::days_remaining(r, r.cert->not_after - 86400 * 5) == 5);
}

TEST_CASE("record names are restricted to safe directory names", "[vault]") {
  CHECK(vault::validate_name("web-1.example_com"));
  for (const char* bad : {"", "../x", ".hidden", "a/b", "x y", "-x"}) {
    INFO(bad);
    CHECK_FALSE(vault::validate_name(bad));
  }
  CHECK_FALSE(vault::validate_name(std::string(65, 'a')));
}

TEST_CASE("a vault opens only with the right passphrase", "[vault]") {
  test::TempDir d;
  { auto v = test::make_vault(d); }
  auto v = vault::Vault::open(d.file("vault"));
  REQUIRE(v);
  CHECK_FALSE(v->unlocked());
  auto wrong = v->unlock(test::passphrase("not it"));
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().category() == Category::Vault);
  CHECK_THAT(wrong.error().message(), Catch::Contains("wrong passphrase"));
  REQUIRE(v->unlock(test::passphrase()));
  CHECK(v->unlocked());
}

TEST_CASE("sealed keys are bound to their owner and contain no plaintext", "[vault]") {
  test::TempDir d;
  auto v = test::make_vault(d);
  const SecretBytes secret = SecretBytes::from("-----BEGIN PRIVATE KEY-----\nsecret material\n");
  auto sealed = v.seal("web", secret);
  REQUIRE(sealed);
  CHECK(sealed->find("secret material") == std::string::npos);
  CHECK(sealed->find("PRIVATE KEY") == std::string::npos);
  auto back = v.open_sealed("web", *sealed, "web/key.enc");
  REQUIRE(back);
  CHECK(back->view() == secret.view());
  auto swapped = v.open_sealed("mail", *sealed, "mail/key.enc");
  REQUIRE_FALSE(swapped);
  CHECK(swapped.error().category() == Category::Vault);
  CHECK(swapped.error().subject() == "mail/key.enc");
}

TEST_CASE("rekey: the old passphrase stops working, sealed keys still open", "[vault]") {
  test::TempDir d;
  std::string sealed;
  {
    auto v = test::make_vault(d);
    sealed = *v.seal("web", SecretBytes::from("key"));
    REQUIRE(v.rekey(test::passphrase("new passphrase"), 1024));
  }
  auto v = vault::Vault::open(d.file("vault"));
  REQUIRE(v);
  CHECK_FALSE(v->unlock(test::passphrase()));
  REQUIRE(v->unlock(test::passphrase("new passphrase")));
  CHECK(v->open_sealed("web", sealed, "k")->view() == "key");
}

TEST_CASE("key-file vaults need the key file", "[vault]") {
  test::TempDir d;
  vault::UnlockSecret kf{vault::UnlockSecret::Kind::KeyFile, SecretBytes::from(std::string(32, 'k'))};
  REQUIRE(vault::Vault::create(d.file("vault"), kf, 1024, 1));
  auto v = vault::Vault::open(d.file("vault"));
  REQUIRE(v);
  CHECK(v->unlock_kind() == vault::UnlockSecret::Kind::KeyFile);
  CHECK_FALSE(v->unlock(test::passphrase()));
  vault::UnlockSecret other{vault::UnlockSecret::Kind::KeyFile, SecretBytes::from(std::string(32, 'x'))};
  CHECK_FALSE(v->unlock(other));
  CHECK(v->unlock(kf));
}

TEST_CASE("vault directories writable by others are refused", "[vault]") {
  test::TempDir d;
  { auto v = test::make_vault(d); }
  ::chmod(d.file("vault").c_str(), 0777);
  auto v = vault::Vault::open(d.file("vault"));
  REQUIRE_FALSE(v);
  CHECK(v.error().category() == Category::Vault);
  CHECK_THAT(v.error().message(), Catch::Contains("writable by group or others"));
  auto missing = vault::Vault::open(d.file("nothing"));
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message(), Catch::Contains("certctl init"));
}

TEST_CASE("init refuses an existing vault", "[vault]") {
  test::TempDir d;
  { auto v = test::make_vault(d); }
  auto again = vault::Vault::create(d.file("vault"), test::passphrase(), 1024, 1);
  REQUIRE_FALSE(again);
  CHECK(again.error().category() == Category::State);
}

TEST_CASE("records save, list sorted, skip stray entries, and delete", "[vault]") {
  test::TempDir d;
  auto v = test::make_vault(d);
  vault::Record a = full_record();
  a.name = "b-site";
  vault::Record b = full_record();
  b.name = "a-site";
  REQUIRE(v.save(a));
  REQUIRE(v.save(b));
  REQUIRE(fs::make_dirs(v.where(vault::Layout::certs()) + "/.tmp-junk"));
  REQUIRE(fs::make_dirs(v.where(vault::Layout::certs()) + "/no-record-here"));
  auto all = v.load_all();
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].name == "a-site");
  CHECK((*all)[1].name == "b-site");
  REQUIRE(v.remove("a-site"));
  CHECK(v.names() == std::vector<std::string>{"b-site"});
  auto gone = v.load("a-site");
  REQUIRE_FALSE(gone);
  CHECK(gone.error().category() == Category::NotFound);
}

TEST_CASE("the vault lock is exclusive between descriptors", "[vault]") {
  test::TempDir d;
  auto v = test::make_vault(d);
  auto l1 = v.lock();
  REQUIRE(l1);
  // flock is per open file description: a second open() in this process must wait, so probe
  // with LOCK_NB on a fresh descriptor.
  int fd = ::open(v.where(".lock").c_str(), O_RDWR);
  REQUIRE(fd >= 0);
  CHECK(::flock(fd, LOCK_EX | LOCK_NB) != 0);
  { vault::VaultLock release = std::move(l1).value(); }
  CHECK(::flock(fd, LOCK_EX | LOCK_NB) == 0);
  ::close(fd);
}

TEST_CASE("the record cache serves list and never returns stale or deleted records", "[vault]") {
  test::TempDir d;
  auto v = test::make_vault(d);
  vault::Record a = full_record();
  a.name = "a";
  vault::Record b = full_record();
  b.name = "b";
  REQUIRE(v.save(a));
  REQUIRE(v.save(b));
  REQUIRE(v.load_all()->size() == 2);
  REQUIRE(fs::exists(v.where(vault::Layout::record_cache())));

  // A change behind the cache's back is seen (new inode/size/mtime of record.toml).
  b.domain = "changed.example.com";
  b.history.clear();
  REQUIRE(v.save(b));
  auto second = v.load_all();
  REQUIRE(second);
  CHECK((*second)[1].domain == "changed.example.com");
  CHECK((*second)[1].history.empty());
  CHECK((*second)[0].history.size() == 1);  // a came from the cache intact
  CHECK((*second)[0].cert->not_after == a.cert->not_after);
  CHECK((*second)[0].settings.fallback == a.settings.fallback);
  CHECK((*second)[0].retry_after == a.retry_after);

  REQUIRE(v.remove("a"));
  auto third = v.load_all();
  REQUIRE(third->size() == 1);
  CHECK((*third)[0].name == "b");

  // A damaged cache is ignored and rebuilt.
  REQUIRE(fs::write_file_atomic(v.where(vault::Layout::record_cache()), "CCRC garbage"));
  auto fourth = v.load_all();
  REQUIRE(fourth);
  REQUIRE(fourth->size() == 1);
  CHECK((*fourth)[0].domain == "changed.example.com");
  CHECK(fs::read_file(v.where(vault::Layout::record_cache()))->size() > 100);
}

TEST_CASE("for_each_record walks in name order, one at a time, and writes the cache only when it changed",
          "[vault]") {
  test::TempDir d;
  auto v = test::make_vault(d);
  // Key order ("certs/a-b/..." < "certs/a/...") is not name order ("a" < "a-b").
  for (const char* n : {"b", "a-b", "a", "a.c"}) {
    vault::Record r = full_record();
    r.name = n;
    REQUIRE(v.save(r));
  }
  auto walk = [&v](std::vector<vault::UnreadableRecord>* unreadable = nullptr, std::string_view stop_at = {}) {
    std::vector<std::string> names;
    Status st = v.for_each_record(
        [&](vault::Record&& r) -> Status {
          names.push_back(r.name);
          if (r.name == stop_at) return Error(Category::Usage, r.name, "stop here");
          return ok();
        },
        unreadable);
    return std::make_pair(std::move(st), names);
  };
  const std::vector<std::string> all{"a", "a-b", "a.c", "b"};
  auto first = walk();
  REQUIRE(first.first);
  CHECK(first.second == all);

  const std::string cache = v.where(vault::Layout::record_cache());
  auto inode = [&cache] {
    struct stat st {};
    return ::stat(cache.c_str(), &st) == 0 ? st.st_ino : ino_t{0};
  };
  const ino_t written = inode();
  REQUIRE(written != 0);
  auto again = walk();
  CHECK(again.second == all);
  CHECK(inode() == written);  // unchanged: not written again

  // An error from the visitor stops the walk and comes back.
  auto stopped = walk(nullptr, "a-b");
  REQUIRE_FALSE(stopped.first);
  CHECK(stopped.first.error().message() == "stop here");
  CHECK(stopped.second == std::vector<std::string>{"a", "a-b"});

  // A damaged record.toml is skipped and reported with a list to put it in, an error without;
  // the cache is written again without it.
  REQUIRE(fs::write_file_atomic(v.where(vault::Layout::record_file("a.c")), "not = [toml"));
  std::vector<vault::UnreadableRecord> unreadable;
  auto skipped = walk(&unreadable);
  REQUIRE(skipped.first);
  CHECK(skipped.second == std::vector<std::string>{"a", "a-b", "b"});
  REQUIRE(unreadable.size() == 1);
  CHECK(unreadable[0].name == "a.c");
  CHECK(inode() != written);
  CHECK_FALSE(walk().first);
}

TEST_CASE("renew_reason: threshold, expiry, retries with backoff, never imported or revoked", "[vault]") {
  vault::Record r = full_record();  // 90-day certificate, renew_days 21
  r.ari = {};
  const UnixTime na = r.cert->not_after;
  CHECK(vault::renew_reason(r, na - 30 * 86400, false).empty());
  CHECK_THAT(vault::renew_reason(r, na - 21 * 86400, false), Catch::Contains("threshold 21"));
  CHECK(vault::renew_reason(r, na + 60, false) == "expired");
  CHECK(vault::renew_reason(r, na - 30 * 86400, true) == "forced");
  r.status = vault::CertStatus::Error;
  r.next_attempt = na - 30 * 86400 + 10;
  CHECK(vault::renew_reason(r, na - 30 * 86400, false).empty());  // backing off
  CHECK(vault::renew_reason(r, na - 30 * 86400 + 11, false) == "retry after error");
  r.source = vault::Source::Imported;
  CHECK(vault::renew_reason(r, na + 60, true).empty());
  r.source = vault::Source::Managed;
  r.status = vault::CertStatus::Revoked;
  CHECK(vault::renew_reason(r, na + 60, true).empty());
  CHECK(vault::backoff_after(1) == 1800);
  CHECK(vault::backoff_after(2) == 3600);
  CHECK(vault::backoff_after(4) == 14400);
  CHECK(vault::backoff_after(20) == 86400);
}

TEST_CASE("renew_reason: a fresh ARI window wins over the threshold", "[vault]") {
  vault::Record r = full_record();  // renew_days 21; ARI renew_at 1'805'040'000, ~29 days before not_after
  const UnixTime na = r.cert->not_after;
  REQUIRE(r.ari.renew_at < na - 21 * 86400);
  CHECK(vault::renew_reason(r, r.ari.renew_at - 1, false).empty());
  CHECK_THAT(vault::renew_reason(r, r.ari.renew_at, false), Catch::Contains("renewal window"));
  CHECK_THAT(vault::renew_reason(r, r.ari.renew_at, false), Catch::Contains("see https://ca.test/why"));
  // A window later than the threshold: the CA's word holds while it is fresh...
  r.ari.renew_at = na - 5 * 86400;
  CHECK(vault::renew_reason(r, na - 10 * 86400, false).empty());
  // ...but after a failed fetch the threshold applies as well.
  r.ari.last_error = "renewalInfo answered HTTP 500";
  CHECK_THAT(vault::renew_reason(r, na - 10 * 86400, false), Catch::Contains("threshold 21"));
  CHECK(vault::renew_reason(r, na + 1, false) == "expired");
}

TEST_CASE("renew threshold: extreme validity periods stay in range", "[vault]") {
  vault::CertMeta m;
  m.not_before = std::numeric_limits<UnixTime>::min() / 2;
  m.not_after = std::numeric_limits<UnixTime>::max() / 2;
  vault::Record r;
  r.cert = m;
  CHECK(vault::auto_renew_days(r) == 36500);
  r.cert->not_before = 0;
  r.cert->not_after = kMaxTime;
  CHECK(vault::auto_renew_days(r) == 36500);
  r.cert->not_after = 90 * 86400;
  CHECK(vault::auto_renew_days(r) == 30);
}

TEST_CASE("scrypt costs over the memory limit are a usage or config error, never a crash", "[vault]") {
  test::TempDir d;
  auto big = vault::Vault::create(d.file("vault"), test::passphrase(), std::uint64_t{1} << 21, 1'800'000'000);
  REQUIRE_FALSE(big);
  CHECK(big.error().category() == Category::Usage);
  CHECK(big.error().subject() == "--scrypt-n");
  CHECK_THAT(big.error().message(), Catch::Contains("1024 MiB limit"));
  CHECK_FALSE(fs::exists(d.file("vault")));
  // A config.toml that asks for more than the limit is named as the fault.
  { auto v = test::make_vault(d); }
  const std::string config = d.file("vault") + "/config.toml";
  auto text = fs::read_file(config);
  REQUIRE(text);
  const auto pos = text->find("n = ");
  REQUIRE(pos != std::string::npos);
  text->replace(pos, text->find('\n', pos) - pos, "n = 1073741824");
  REQUIRE(fs::write_file_atomic(config, *text));
  auto opened = vault::Vault::open(d.file("vault"));
  REQUIRE_FALSE(opened);
  CHECK(opened.error().category() == Category::Config);
  CHECK(opened.error().subject() == config);
  // A float where an integer belongs is refused, not converted (1E49 overflowed a long inside
  // toml++: undefined behaviour, found by fuzz_vault_toml).
  for (const char* n : {"n = 1E49", "n = 32768.0", "n = '32768'"}) {
    INFO(n);
    const auto at = text->find("n = ");
    text->replace(at, text->find('\n', at) - at, n);
    REQUIRE(fs::write_file_atomic(config, *text));
    auto refused = vault::Vault::open(d.file("vault"));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().category() == Category::Config);
  }
}
