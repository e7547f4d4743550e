// Issue 10: leftovers of killed runs, files inside the vault, control characters in errors,
// trailing data after PEM blocks.
#include <catch2/catch.hpp>

#include <certctl/error.hpp>
#include <certctl/fs.hpp>

#include "temp_dir.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace certctl;

namespace {

constexpr const char* kDeadPid = "999999999";  // above any pid_max: no such process

void touch(const std::string& path, const std::string& content = "x") { std::ofstream(path) << content; }

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  for (auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("printable escapes control characters and keeps UTF-8", "[core]") {
  CHECK(printable("a\nb\rc\td\x1b[31m\x7f") == "a\\nb\\rc\\td\\x1b[31m\\x7f");
  CHECK(printable("b\xc3\xbc" "cher.example") == "b\xc3\xbc" "cher.example");
  Error e(Category::Input, "domain 'x\ny'", "bad", "cause\x01");
  CHECK(e.text() == "domain 'x\\ny': bad: cause\\x01");
}

TEST_CASE("sweep_leftovers removes what dead runs left and keeps a live process's", "[core]") {
  test::TempDir d;
  const std::string live = std::to_string(::getpid());
  std::filesystem::create_directories(d.file(std::string(".deleted.") + kDeadPid + ".web/v1"));
  touch(d.file(std::string(".deleted.") + kDeadPid + ".web/v1/key.enc"));
  std::filesystem::create_directories(d.file(".deleted." + live + ".api"));
  touch(d.file(std::string(".key.pem.") + kDeadPid + ".0.tmp"));
  touch(d.file(std::string(".cert.pem.") + kDeadPid + ".3.tmp"));
  touch(d.file(".key.pem." + live + ".0.tmp"));
  touch(d.file("key.pem"));
  touch(d.file(".hidden"));
  touch(d.file(".x.notapid.0.tmp"));

  SECTION("only one target's temp files") {
    CHECK(fs::sweep_leftovers(d.path(), "key.pem") == 1);
    CHECK(fs::exists(d.file(std::string(".cert.pem.") + kDeadPid + ".3.tmp")));
    CHECK(fs::exists(d.file(std::string(".deleted.") + kDeadPid + ".web")));
  }
  SECTION("everything of dead runs") {
    CHECK(fs::sweep_leftovers(d.path()) == 3);
    CHECK(entries(d.path()) == std::vector<std::string>{".deleted." + live + ".api", ".hidden",
                                                        ".key.pem." + live + ".0.tmp", ".x.notapid.0.tmp", "key.pem"});
  }
}

TEST_CASE("write_file_atomic leaves no name behind, new or replacing", "[core]") {
  test::TempDir d;
  REQUIRE(fs::write_file_atomic(d.file("key.pem"), "one", 0600));
  REQUIRE(fs::write_file_atomic(d.file("key.pem"), "two", 0600));
  CHECK(*fs::read_file(d.file("key.pem")) == "two");
  CHECK(entries(d.path()) == std::vector<std::string>{"key.pem"});
}

TEST_CASE("read_private_file refuses what others could have written", "[core]") {
  test::TempDir d;
  const std::string f = d.file("record.toml");
  REQUIRE(fs::write_file_atomic(f, "name = 'x'", 0600));
  CHECK(fs::read_private_file(f));
  CHECK(fs::check_private_dir(d.path()));

  ::chmod(f.c_str(), 0666);
  auto r = fs::read_private_file(f);
  REQUIRE_FALSE(r);
  CHECK(r.error().category() == Category::Vault);
  CHECK(r.error().subject() == f);
  CHECK_THAT(r.error().message(), Catch::Contains("writable by group or others"));
  ::chmod(f.c_str(), 0620);
  CHECK_FALSE(fs::read_private_file(f));
  ::chmod(f.c_str(), 0600);

  std::filesystem::create_symlink(f, d.file("link.toml"));
  auto l = fs::read_private_file(d.file("link.toml"));
  REQUIRE_FALSE(l);
  CHECK(l.error().category() == Category::Vault);
  CHECK_THAT(l.error().message(), Catch::Contains("symbolic link"));
  CHECK_FALSE(fs::check_private_dir(d.file("link.toml")));

  if (::geteuid() == 0) {
    REQUIRE(::chown(f.c_str(), 65534, 65534) == 0);
    auto o = fs::read_private_file(f);
    REQUIRE_FALSE(o);
    CHECK_THAT(o.error().message(), Catch::Contains("owned by uid 65534"));
  }
  ::chmod(d.path().c_str(), 0777);
  CHECK_FALSE(fs::check_private_dir(d.path()));
  ::chmod(d.path().c_str(), 0700);
}
