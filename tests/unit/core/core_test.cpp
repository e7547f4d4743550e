#include <catch2/catch.hpp>

#include <certctl/clock.hpp>
#include <certctl/domain.hpp>
#include <certctl/error.hpp>
#include <certctl/fs.hpp>
#include <certctl/process.hpp>

#include "temp_dir.hpp"

#include <filesystem>
#include <limits>
#include <sys/stat.h>
#include <fcntl.h>
#include <sstream>
#include <algorithm>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

using namespace certctl;

TEST_CASE("exit codes follow the documented table", "[core]") {
  CHECK(exit_code(Category::Aborted) == 1);
  CHECK(exit_code(Category::Usage) == 2);
  CHECK(exit_code(Category::Input) == 4);
  CHECK(exit_code(Category::Vault) == 5);
  CHECK(exit_code(Category::State) == 9);
  CHECK(exit_code(Category::NotFound) == 10);
  CHECK(exit_code(Category::Deploy) == 11);
  CHECK(exit_code(Category::Internal) == 70);
  Error e(Category::Input, "cert.pem", "not a certificate", "bad base64");
  CHECK(e.text() == "cert.pem: not a certificate: bad base64");
  CHECK(e.with_category(Category::Vault).exit_code() == 5);
}

TEST_CASE("RFC 3339 times round-trip and reject garbage", "[core]") {
  auto t = parse_rfc3339("2030-01-31T12:00:00Z", "t");
  REQUIRE(t);
  CHECK(*t == 1896091200);
  CHECK(format_rfc3339(*t) == "2030-01-31T12:00:00Z");
  auto off = parse_rfc3339("2030-01-31T14:00:00+02:00", "t");
  REQUIRE(off);
  CHECK(*off == *t);
  auto frac = parse_rfc3339("2030-01-31T12:00:00.123456Z", "t");
  REQUIRE(frac);
  CHECK(*frac == *t);
  auto epoch = parse_rfc3339("1896091200", "t");
  REQUIRE(epoch);
  CHECK(*epoch == *t);
  for (const char* bad : {"", "2030-13-01T00:00:00Z", "2030-01-01 00:00", "yesterday", "2030-01-01T00:00:00"}) {
    auto r = parse_rfc3339(bad, "CERTCTL_NOW");
    REQUIRE_FALSE(r);
    CHECK(r.error().subject() == "CERTCTL_NOW");
  }
}

TEST_CASE("days_until floors toward the past", "[core]") {
  CHECK(days_until(0, 86400 * 3) == 3);
  CHECK(days_until(0, 86400 * 3 - 1) == 2);
  CHECK(days_until(3600, 0) == -1);
  CHECK(days_until(0, 0) == 0);
}

TEST_CASE("domain names are normalised to A-labels", "[core]") {
  auto a = domain::parse("Bücher.Example");
  REQUIRE(a);
  CHECK(a->value == "xn--bcher-kva.example");
  CHECK(a->kind == domain::Kind::Dns);
  CHECK(domain::to_unicode("xn--bcher-kva.example") == "bücher.example");
  auto w = domain::parse("*.Example.COM.");
  REQUIRE(w);
  CHECK(w->value == "*.example.com");
  CHECK(w->wildcard());
  auto ip = domain::parse("2001:DB8::1");
  REQUIRE(ip);
  CHECK(ip->kind == domain::Kind::Ip);
  CHECK(ip->value == "2001:db8::1");
  CHECK(domain::parse("127.0.0.1")->value == "127.0.0.1");
}

TEST_CASE("bad domain names are rejected with the reason", "[core]") {
  struct Case {
    const char* input;
    const char* reason;
  };
  for (auto c : {Case{"foo.*.example.com", "left-most"}, Case{"*.*.example.com", "left-most"},
                 Case{"exa mple.com", "character"}, Case{"-a.example.com", "starts or ends"},
                 Case{"a..example.com", "empty label"}, Case{"", "empty"},
                 Case{"example.123", "all digits"}, Case{"*", "left-most"}}) {
    auto r = domain::parse(c.input);
    INFO(c.input);
    REQUIRE_FALSE(r);
    CHECK(r.error().category() == Category::Input);
    CHECK(r.error().subject() == std::string("domain '") + c.input + "'");
    CHECK_THAT(r.error().message(), Catch::Contains(c.reason));
  }
  auto longlabel = domain::parse(std::string(64, 'a') + ".example");
  REQUIRE_FALSE(longlabel);
  CHECK_THAT(longlabel.error().message(), Catch::Contains("63"));
}

TEST_CASE("write_file_atomic replaces content with the given mode and leaves no temp files", "[core]") {
  test::TempDir d;
  const std::string p = d.file("a.txt");
  REQUIRE(fs::write_file_atomic(p, "one", 0600));
  REQUIRE(fs::write_file_atomic(p, "two", 0644));
  CHECK(*fs::read_file(p) == "two");
  struct stat st {};
  ::stat(p.c_str(), &st);
  CHECK((st.st_mode & 0777) == 0644);
  int entries = 0;
  for (auto& e : std::filesystem::directory_iterator(d.path())) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 1);
}

TEST_CASE("temporary files are hidden and never end like their target", "[core]") {
  const std::string t = fs::temp_path_for("/srv/metrics/certctl.prom", 3);
  CHECK(t.rfind("/srv/metrics/.certctl.prom.", 0) == 0);
  CHECK(t.size() > 4);
  CHECK(t.substr(t.size() - 4) == ".tmp");
  CHECK(t.find(".prom", t.size() - 8) == std::string::npos);  // a *.prom collector skips it
}

TEST_CASE("a failed atomic write leaves the old file and no temp file", "[core]") {
  test::TempDir d;
  const std::string target = d.file("target");
  std::filesystem::create_directory(target);  // rename of a file over a directory fails
  std::filesystem::create_directory(target + "/keep");
  auto st = fs::write_file_atomic(target, "data");
  REQUIRE_FALSE(st);
  CHECK(st.error().subject() == target);
  int entries = 0;
  for (auto& e : std::filesystem::directory_iterator(d.path())) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 1);
  CHECK(fs::is_dir(target + "/keep"));
}

TEST_CASE("read_file reports missing files as NotFound with the path", "[core]") {
  test::TempDir d;
  auto r = fs::read_file(d.file("nope"));
  REQUIRE_FALSE(r);
  CHECK(r.error().category() == Category::NotFound);
  CHECK(r.error().subject() == d.file("nope"));
}

TEST_CASE("append_line appends whole lines", "[core]") {
  test::TempDir d;
  REQUIRE(fs::append_line(d.file("log"), "{\"a\":1}"));
  REQUIRE(fs::append_line(d.file("log"), "{\"b\":2}"));
  CHECK(*fs::read_file(d.file("log")) == "{\"a\":1}\n{\"b\":2}\n");
}

TEST_CASE("RFC 3339: format and parse are exact inverses over the kept range", "[core]") {
  for (UnixTime t : {UnixTime{1}, UnixTime{86399}, UnixTime{951782400} /* 2000-02-29 */, UnixTime{4107542399},
                     kMaxTime - 86400, kMaxTime}) {
    INFO(t);
    auto back = parse_rfc3339(format_rfc3339(t), "t");
    REQUIRE(back);
    CHECK(*back == t);
  }
  CHECK(format_rfc3339(kMaxTime) == "9999-12-31T23:59:59Z");
  // Arithmetic beyond the range is clamped, so what is written always reads back.
  CHECK(format_rfc3339(kMaxTime + 1000) == "9999-12-31T23:59:59Z");
  CHECK(parse_rfc3339(format_rfc3339(std::numeric_limits<UnixTime>::max()), "t"));
}

TEST_CASE("RFC 3339: times outside the kept range and impossible dates are refused", "[core]") {
  // A window end a CA once sent: stored as 10000-01-01 it made the whole vault unreadable.
  auto far = parse_rfc3339("9999-12-31T23:59:59-23:59", "ari window");
  REQUIRE_FALSE(far);
  CHECK(far.error().subject() == "ari window");
  CHECK_FALSE(parse_rfc3339("1969-12-31T23:59:59Z", "t"));
  CHECK_FALSE(parse_rfc3339("253402300800", "t"));
  CHECK_FALSE(parse_rfc3339("2025-02-29T00:00:00Z", "t"));
  CHECK_FALSE(parse_rfc3339("2025-04-31T00:00:00Z", "t"));
  CHECK(parse_rfc3339("2024-02-29T00:00:00Z", "t"));
  CHECK(parse_rfc3339("9999-12-31T23:59:59+01:00", "t"));
}

TEST_CASE("read_file: a file over its limit is refused naming it, a device never fills memory", "[core]") {
  test::TempDir dir;
  const std::string path = dir.path() + "/big.pem";
  REQUIRE(fs::write_file_atomic(path, std::string(2000, 'x')));
  CHECK(fs::read_file(path, 2000));
  auto big = fs::read_file(path, 1999);
  REQUIRE_FALSE(big);
  CHECK(big.error().category() == Category::Input);
  CHECK(big.error().subject() == path);
  CHECK(big.error().message().find("limit") != std::string::npos);
  auto zero = fs::read_file("/dev/zero");
  REQUIRE_FALSE(zero);
  CHECK(zero.error().subject() == "/dev/zero");
  auto secret = fs::read_secret_file("/dev/urandom");
  REQUIRE_FALSE(secret);
  CHECK(secret.error().message().find("limit") != std::string::npos);
}

TEST_CASE("read_file: a FIFO nobody writes to does not hang", "[core]") {
  test::TempDir dir;
  const std::string path = dir.path() + "/fifo";
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  auto r = fs::read_file(path);  // no writer: reads as empty at once
  REQUIRE(r);
  CHECK(r->empty());
}

TEST_CASE("a program run by certctl gets no descriptor but stdin, stdout and stderr", "[core]") {
  // An inheritable descriptor, as a library might leave one (a socket, a lock file).
  // A high number, so it cannot be confused with the one ls opens to read the directory.
  const int opened = ::open("/dev/null", O_RDONLY);
  REQUIRE(opened > 2);
  const int fd = ::dup2(opened, 57);
  ::close(opened);
  REQUIRE(fd == 57);
  proc::Command cmd;
  cmd.argv = {"/bin/sh", "-c", "ls /proc/self/fd"};
  auto out = proc::run(cmd);
  ::close(fd);
  REQUIRE(out);
  REQUIRE(out->ok());
  std::vector<std::string> fds;
  std::istringstream lines(out->output);
  for (std::string l; std::getline(lines, l);)
    if (!l.empty()) fds.push_back(l);
  // 0, 1, 2 and the one ls opened to read the directory.
  CHECK(fds.size() == 4);
  CHECK(std::find(fds.begin(), fds.end(), std::to_string(fd)) == fds.end());
}

TEST_CASE("harden_process: no core dumps and not dumpable", "[core]") {
  proc::harden_process();
  rlimit core{};
  REQUIRE(::getrlimit(RLIMIT_CORE, &core) == 0);
  CHECK(core.rlim_cur == 0);
  CHECK(core.rlim_max == 0);
  CHECK(::prctl(PR_GET_DUMPABLE) == 0);
}

TEST_CASE("write_user_file never replaces a device, FIFO, directory or symlink", "[core]") {
  test::TempDir dir;
  const std::string fifo = dir.path() + "/fifo", link = dir.path() + "/link", target = dir.path() + "/target";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  REQUIRE(fs::write_file_atomic(target, "keep"));
  REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
  for (const std::string& path : {fifo, link, dir.path(), std::string("/dev/null")}) {
    INFO(path);
    auto st = fs::write_user_file(path, "x", 0600);
    REQUIRE_FALSE(st);
    CHECK(st.error().category() == Category::Input);
    CHECK(st.error().subject() == path);
  }
  struct stat sb {};
  REQUIRE(::lstat(fifo.c_str(), &sb) == 0);
  CHECK(S_ISFIFO(sb.st_mode));
  REQUIRE(::lstat(link.c_str(), &sb) == 0);
  CHECK(S_ISLNK(sb.st_mode));
  CHECK(*fs::read_file(target) == "keep");
  // A new path and an existing regular file are written.
  CHECK(fs::write_user_file(target, "new", 0600));
  CHECK(*fs::read_file(target) == "new");
  CHECK(fs::write_user_file(dir.path() + "/fresh", "x", 0600));
}
