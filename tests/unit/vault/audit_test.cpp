// The audit log's chain: every edit, removal, insertion, reordering and cut is reported,
// naming the line; lines written without the vault key are reported, never silently trusted.
#include <catch2/catch.hpp>

#include <certctl/fs.hpp>
#include <certctl/vault.hpp>

#include "temp_dir.hpp"
#include "vault/audit_chain.hpp"

#include <future>
#include <string>
#include <unistd.h>
#include <vector>

using namespace certctl;

namespace {

constexpr UnixTime kNow = 1'800'000'000;

void append(const vault::Vault& v, int n, const std::string& prefix = "rec") {
  for (int i = 0; i < n; ++i)
    REQUIRE(v.audit("edit", prefix + std::to_string(i), {{"i", std::to_string(i)}}, kNow + i));
}

std::vector<std::string> lines_of(const std::string& path) {
  auto text = fs::read_file(path);
  REQUIRE(text);
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text->size()) {
    std::size_t end = text->find('\n', pos);
    out.push_back(text->substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

void write_lines(const std::string& path, const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  REQUIRE(fs::write_file_atomic(path, text));
}

vault::AuditReport verify(const vault::Vault& v) {
  auto r = v.verify_audit();
  REQUIRE(r);
  return *r;
}

/// The line numbers the report names, in order.
std::vector<std::size_t> named(const vault::AuditReport& r) {
  std::vector<std::size_t> out;
  for (const auto& p : r.problems) out.push_back(p.line);
  return out;
}

/// A vault with `n` keyed lines, its log changed by `change`, verified.
template <class F>
vault::AuditReport tampered(int n, F&& change) {
  test::TempDir d;
  auto v = test::make_vault(d);
  append(v, n);
  auto lines = lines_of(v.where(vault::Layout::audit_log()));
  change(lines);
  write_lines(v.where(vault::Layout::audit_log()), lines);
  return verify(v);
}

vault::Vault reopen_locked(const test::TempDir& d) {
  auto v = vault::Vault::open(d.file("vault"));
  REQUIRE(v);
  return std::move(v).value();
}

}  // namespace

TEST_CASE("audit: an untouched chain verifies, each line keyed", "[vault][audit]") {
  test::TempDir d;
  auto v = test::make_vault(d);
  append(v, 5);
  auto r = verify(v);
  CHECK(r.intact());
  CHECK(r.lines == 5);
  CHECK(r.keyed == 5);
  CHECK(r.unverifiable == 0);
  const auto lines = lines_of(v.where(vault::Layout::audit_log()));
  CHECK_THAT(lines[0], Catch::StartsWith("{\"time\":") && Catch::Contains("\"seq\":1,\"chain\":\"k1:"));
  CHECK(fs::exists(v.where(vault::Layout::audit_head())));
}

TEST_CASE("audit: an edited byte names its line", "[vault][audit]") {
  auto r = tampered(5, [](std::vector<std::string>& lines) { lines[2].replace(lines[2].find("rec2"), 4, "rec9"); });
  REQUIRE(named(r) == std::vector<std::size_t>{3});
  CHECK(r.problems[0].action == "edit");
  CHECK(r.problems[0].time == "2027-01-15T08:00:02Z");
  CHECK_THAT(r.problems[0].problem, Catch::Contains("edited"));
}

TEST_CASE("audit: a removed line names the line after the gap", "[vault][audit]") {
  auto r = tampered(5, [](std::vector<std::string>& lines) { lines.erase(lines.begin() + 1); });
  REQUIRE(named(r) == std::vector<std::size_t>{2});
  CHECK_THAT(r.problems[0].problem, Catch::Contains("1 line(s) missing before it"));
}

TEST_CASE("audit: two swapped lines are both named", "[vault][audit]") {
  auto r = tampered(5, [](std::vector<std::string>& lines) { std::swap(lines[1], lines[2]); });
  CHECK(named(r) == std::vector<std::size_t>{2, 3});
  CHECK_THAT(r.problems[1].problem, Catch::Contains("out of order"));
}

TEST_CASE("audit: a duplicated (replayed) line is named", "[vault][audit]") {
  auto r = tampered(3, [](std::vector<std::string>& lines) { lines.insert(lines.begin() + 3, lines[1]); });
  REQUIRE(named(r) == std::vector<std::size_t>{4});
  CHECK_THAT(r.problems[0].problem, Catch::Contains("a second line with seq 2"));
}

TEST_CASE("audit: an inserted unchained line is named", "[vault][audit]") {
  auto r = tampered(3, [](std::vector<std::string>& lines) {
    lines.insert(lines.begin() + 2,
                 R"({"time":"2027-01-15T08:00:01Z","user":"x","action":"delete","certificate":"a","details":{}})");
  });
  REQUIRE(named(r) == std::vector<std::size_t>{3});
  CHECK(r.problems[0].action == "delete");
  CHECK_THAT(r.problems[0].problem, Catch::Contains("not chained"));
}

TEST_CASE("audit: lines cut from the end are noticed through audit.head", "[vault][audit]") {
  test::TempDir d;
  auto v = test::make_vault(d);
  append(v, 5);
  auto lines = lines_of(v.where(vault::Layout::audit_log()));
  lines.resize(3);
  write_lines(v.where(vault::Layout::audit_log()), lines);
  auto r = verify(v);
  REQUIRE(named(r) == std::vector<std::size_t>{0});
  CHECK_THAT(r.problems[0].problem, Catch::Contains("cut from the end") && Catch::Contains("seq 5"));

  SECTION("and a head rewritten to match the shorter log is not accepted") {
    REQUIRE(fs::write_file_atomic(v.where(vault::Layout::audit_head()), "v1 3 " + std::string(64, 'a') + " " + std::string(64, 'b') + "\n"));
    CHECK_THAT(verify(v).problems.at(0).problem, Catch::Contains("altered"));
  }
  SECTION("and a removed head is reported") {
    REQUIRE(::unlink(v.where(vault::Layout::audit_head()).c_str()) == 0);
    CHECK_THAT(verify(v).problems.at(0).problem, Catch::Contains("audit.head is missing"));
  }
}

TEST_CASE("audit: a whole log replaced by one from another vault is not accepted", "[vault][audit]") {
  test::TempDir d1, d2;
  auto v1 = test::make_vault(d1);
  auto v2 = test::make_vault(d2);
  append(v1, 2);
  append(v2, 2);
  REQUIRE(fs::write_file_atomic(v1.where(vault::Layout::audit_log()), *fs::read_file(v2.where(vault::Layout::audit_log()))));
  REQUIRE(fs::write_file_atomic(v1.where(vault::Layout::audit_head()), *fs::read_file(v2.where(vault::Layout::audit_head()))));
  auto r = verify(v1);
  CHECK(named(r) == std::vector<std::size_t>{1, 2, 0});
}

TEST_CASE("audit: lines written without the key are unverifiable until a keyed line follows", "[vault][audit]") {
  test::TempDir d;
  auto v = test::make_vault(d);
  append(v, 2);
  {
    auto locked = reopen_locked(d);
    append(locked, 2, "draft");
    CHECK_THAT(lines_of(v.where(vault::Layout::audit_log()))[3], Catch::Contains("\"seq\":4,\"chain\":\"u1:"));
  }
  auto r = verify(v);
  CHECK(r.intact());
  CHECK(r.keyed == 2);
  CHECK(r.unverifiable == 2);
  CHECK(r.unverifiable_from == 3);

  SECTION("a keyed line seals them") {
    append(v, 1, "later");
    auto sealed = verify(v);
    CHECK(sealed.intact());
    CHECK(sealed.sealed == 2);
    CHECK(sealed.unverifiable == 0);
  }
  SECTION("a sealed unkeyed line edited with its hash recomputed is caught by the keyed line after it") {
    append(v, 1, "later");
    auto lines = lines_of(v.where(vault::Layout::audit_log()));
    auto c = vault::audit::split_line(lines[2]);
    REQUIRE(c);
    std::string content = c->content;
    content.replace(content.find("draft0"), 6, "draftX");
    auto prev = vault::audit::split_line(lines[1]);
    auto chain = vault::audit::chain_value(nullptr, prev->chain, content);
    REQUIRE(chain);
    lines[2] = vault::audit::join_line(content, false, *chain);
    // The following unkeyed line chains from the forged value too.
    auto next = vault::audit::split_line(lines[3]);
    auto chain4 = vault::audit::chain_value(nullptr, *chain, next->content);
    lines[3] = vault::audit::join_line(next->content, false, *chain4);
    write_lines(v.where(vault::Layout::audit_log()), lines);
    auto r2 = verify(v);
    REQUIRE(named(r2) == std::vector<std::size_t>{5});
    CHECK_THAT(r2.problems[0].problem, Catch::Contains("lines 3-4, written without the vault key"));
  }
  SECTION("an unkeyed line edited without recomputing is named itself") {
    auto lines = lines_of(v.where(vault::Layout::audit_log()));
    lines[3].replace(lines[3].find("draft1"), 6, "draftY");
    write_lines(v.where(vault::Layout::audit_log()), lines);
    CHECK(named(verify(v)) == std::vector<std::size_t>{4});
  }
}

TEST_CASE("audit: lines from before the chain are reported as unchained and bound by it", "[vault][audit]") {
  test::TempDir d;
  auto v = test::make_vault(d);
  const std::string old1 = R"({"time":"2026-01-01T00:00:00Z","user":"a","action":"init","certificate":"","details":{}})";
  const std::string old2 = R"({"time":"2026-01-02T00:00:00Z","user":"a","action":"create","certificate":"w","details":{}})";
  write_lines(v.where(vault::Layout::audit_log()), {old1, old2});
  append(v, 2);
  auto r = verify(v);
  CHECK(r.intact());
  CHECK(r.unchained == 2);
  CHECK(r.keyed == 2);
  CHECK(lines_of(v.where(vault::Layout::audit_log()))[2].find("\"seq\":1,") != std::string::npos);

  SECTION("editing an old line afterwards breaks the first chained line") {
    auto lines = lines_of(v.where(vault::Layout::audit_log()));
    lines[1].replace(lines[1].find("\"w\""), 3, "\"x\"");
    write_lines(v.where(vault::Layout::audit_log()), lines);
    CHECK(named(verify(v)) == std::vector<std::size_t>{3});
  }
}

TEST_CASE("audit: an append after a torn last line starts on a line of its own", "[vault][audit]") {
  test::TempDir d;
  auto v = test::make_vault(d);
  append(v, 2);
  auto text = fs::read_file(v.where(vault::Layout::audit_log()));
  REQUIRE(fs::write_file_atomic(v.where(vault::Layout::audit_log()), *text + "{\"time\":\"half"));
  append(v, 1, "after");
  const auto lines = lines_of(v.where(vault::Layout::audit_log()));
  REQUIRE(lines.size() == 4);
  CHECK(lines[2] == "{\"time\":\"half");
  CHECK_THAT(lines[3], Catch::Contains("\"seq\":3,"));
  auto r = verify(v);
  CHECK(named(r) == std::vector<std::size_t>{3});  // the torn line is reported, the chain goes on
  CHECK(r.keyed == 3);
}

TEST_CASE("audit: a long last line is found by reading the whole log", "[vault][audit]") {
  test::TempDir d;
  auto v = test::make_vault(d);
  append(v, 1);
  REQUIRE(v.audit("edit", "big", {{"error", std::string(64 * 1024 + 100, 'e')  /* longer than a LogView reads of the end */}}, kNow));
  append(v, 1, "after");
  auto r = verify(v);
  CHECK(r.intact());
  CHECK(r.keyed == 3);
}

TEST_CASE("audit: appenders in parallel keep one chain (the log's flock)", "[vault][audit]") {
  test::TempDir d;
  { auto v = test::make_vault(d); }
  auto writer = [&d](const char* prefix) {
    auto v = vault::Vault::open(d.file("vault"));
    if (!v || !v->unlock(test::passphrase())) return false;
    for (int i = 0; i < 40; ++i)
      if (!v->audit("edit", prefix + std::to_string(i), {}, kNow)) return false;
    return true;
  };
  auto left = std::async(std::launch::async, writer, "left");
  auto right = std::async(std::launch::async, writer, "right");
  REQUIRE(left.get());
  REQUIRE(right.get());
  auto v = reopen_locked(d);
  REQUIRE(v.unlock(test::passphrase()));
  auto r = verify(v);
  CHECK(r.intact());
  CHECK(r.keyed == 80);
}
