// The storage contract (include/certctl/storage.hpp) against a real PostgreSQL server: run by
// tests/integration/test_pg_store.sh, which starts one (tests/support/pg.sh) and passes
// CERTCTL_TEST_PG_URL (a superuser's URL), CERTCTL_TEST_PG_PORT, CERTCTL_TEST_PG_CA (the
// server certificate's root) and CERTCTL_TEST_PG_OTHER_CA (a root that did not sign it). Every test case works in
// schemas of its own, dropped first.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#include <certctl/pg_store.hpp>
#include <libpq-fe.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace certctl;
using namespace certctl::storage;
using namespace std::chrono_literals;

namespace {

std::string url() {
  const char* u = std::getenv("CERTCTL_TEST_PG_URL");
  if (!u || !*u) FAIL("CERTCTL_TEST_PG_URL is not set (run tests/integration/test_pg_store.sh)");
  return u;
}

std::string port() {
  const char* p = std::getenv("CERTCTL_TEST_PG_PORT");
  if (!p || !*p) FAIL("CERTCTL_TEST_PG_PORT is not set");
  return p;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) FAIL(name << " is not set (run tests/integration/test_pg_store.sh)");
  return v;
}

/// Run SQL as the superuser on a connection of its own; the first value of the result.
std::string sql(const std::string& statement) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> c(PQconnectdb(url().c_str()), PQfinish);
  REQUIRE(PQstatus(c.get()) == CONNECTION_OK);
  PQsetNoticeProcessor(c.get(), [](void*, const char*) {}, nullptr);
  std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(c.get(), statement.c_str()), PQclear);
  auto st = PQresultStatus(r.get());
  INFO(statement << ": " << PQresultErrorMessage(r.get()));
  REQUIRE((st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK));
  if (st == PGRES_TUPLES_OK && PQntuples(r.get()) > 0 && PQnfields(r.get()) > 0) return PQgetvalue(r.get(), 0, 0);
  return {};
}

/// A schema name for this test, dropped if an earlier run left it.
std::string fresh(const std::string& name) {
  sql("DROP SCHEMA IF EXISTS \"" + name + "\" CASCADE");
  return name;
}

std::unique_ptr<Store> open(const std::string& schema, bool create = true, const std::string& conninfo = {}) {
  auto r = open_pg_store(conninfo.empty() ? url() : conninfo, PgOptions{schema, create});
  if (!r) FAIL(r.error().text());
  return std::move(r).value();
}

// Short forms of Store's conveniences.
Result<Revision> put(Store& s, const std::string& key, const std::string& data) { return s.put(key, data); }
Result<Revision> put_if(Store& s, const std::string& key, const std::string& data, Revision expected) {
  return s.put_if(key, data, expected);
}
Status remove(Store& s, const std::string& key) { return s.remove(key); }
Status append(Store& s, const std::string& key, const std::string& line) { return s.append(key, line); }
std::string value(Store& s, std::string_view key) {
  auto r = s.get(key, 1 << 20);
  if (!r) FAIL(r.error().text());
  return r->has_value() ? (*r)->data : "<absent>";
}
std::vector<std::string> keys(const Result<std::vector<Listed>>& r) {
  if (!r) FAIL(r.error().text());
  std::vector<std::string> out;
  for (const auto& l : *r) out.push_back(l.key);
  return out;
}
#define REQUIRE_OK(expr)                                \
  do {                                                  \
    auto&& r_ = (expr);                                 \
    if (!r_) FAIL(#expr << ": " << r_.error().text());  \
  } while (0)

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

TEST_CASE("is_pg_url tells a database from a directory", "[pg]") {
  CHECK(is_pg_url("postgresql://u@h/db"));
  CHECK(is_pg_url("postgres://h"));
  CHECK(is_pg_url("host=db.example dbname=certs"));
  CHECK(is_pg_url("service=certctl"));
  CHECK(is_pg_url("dbname=x"));
  CHECK_FALSE(is_pg_url("/var/lib/certctl"));
  CHECK_FALSE(is_pg_url("./host=x"));
  CHECK_FALSE(is_pg_url("vault"));
  CHECK_FALSE(is_pg_url("my-host=dir"));
  CHECK_FALSE(is_pg_url(""));
}

TEST_CASE("get: absent, present, over the limit", "[pg]") {
  auto s = open(fresh("t_get"));
  CHECK(s->describe() == "postgresql database postgres on 127.0.0.1:" + port() + " (schema t_get)");
  CHECK(s->where("a/b") == s->describe() + ": a/b");
  auto absent = s->get("certs/x/record.toml", 100);
  REQUIRE(absent);
  CHECK_FALSE(absent->has_value());
  std::string binary("a\0b\xff\n", 5);
  auto rev = put(*s, "certs/x/record.toml", binary);
  REQUIRE(rev);
  CHECK(*rev > 0);
  auto got = s->get("certs/x/record.toml", 5);
  REQUIRE(got);
  REQUIRE(got->has_value());
  CHECK((*got)->data == binary);
  CHECK((*got)->revision == *rev);
  auto big = s->get("certs/x/record.toml", 4);
  REQUIRE_FALSE(big);
  CHECK(big.error().category() == Category::Vault);
  CHECK(big.error().subject() == s->where("certs/x/record.toml"));
  CHECK(big.error().message().find("5 bytes") != std::string::npos);
  auto empty = put(*s, "empty", "");
  REQUIRE(empty);
  CHECK(value(*s, "empty").empty());
  auto bad = s->get("../etc/passwd", 10);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().category() == Category::Internal);
}

TEST_CASE("put: a new revision every write, never reused", "[pg]") {
  auto s = open(fresh("t_put"));
  auto r1 = put(*s, "k", "one");
  auto r2 = put(*s, "k", "two");
  REQUIRE(r1);
  REQUIRE(r2);
  CHECK(*r2 > *r1);
  REQUIRE_OK(remove(*s, "k"));
  CHECK(value(*s, "k") == "<absent>");
  auto r3 = put(*s, "k", "one");
  REQUIRE(r3);
  CHECK(*r3 > *r2);
  // A change without a commit point returns 0.
  Change c;
  c.put("a", "1").put("b", "2");
  auto r = s->apply(c);
  REQUIRE(r);
  CHECK(*r == 0);
  CHECK(value(*s, "a") == "1");
  CHECK(value(*s, "b") == "2");
}

TEST_CASE("put_if: the commit point decides, and nothing applies on a mismatch", "[pg]") {
  auto s = open(fresh("t_putif"));
  auto created = put_if(*s, "certs/w/record.toml", "v1", 0);
  REQUIRE(created);
  auto again = put_if(*s, "certs/w/record.toml", "v1b", 0);
  REQUIRE_FALSE(again);
  CHECK(again.error().category() == Category::State);
  CHECK(again.error().message() == "changed since it was read; run the command again");
  CHECK(again.error().subject() == s->where("certs/w/record.toml"));
  auto updated = put_if(*s, "certs/w/record.toml", "v2", *created);
  REQUIRE(updated);
  CHECK(value(*s, "certs/w/record.toml") == "v2");

  // Stale expected revision: neither the ops before the commit point nor the point apply.
  REQUIRE_OK(put(*s, "certs/w/v1/cert.pem", "old"));
  Change c;
  c.put("certs/w/v2/cert.pem", "new").remove("certs/w/v1");
  c.commit_point = Change::CommitPoint{"certs/w/record.toml", "v3", *created};
  auto stale = s->apply(c);
  REQUIRE_FALSE(stale);
  CHECK(stale.error().category() == Category::State);
  CHECK(value(*s, "certs/w/v2/cert.pem") == "<absent>");
  CHECK(value(*s, "certs/w/v1/cert.pem") == "old");
  CHECK(value(*s, "certs/w/record.toml") == "v2");
  // With the right one, all of it.
  c.commit_point->expected = *updated;
  auto fresh_rev = s->apply(c);
  REQUIRE(fresh_rev);
  CHECK(*fresh_rev > *updated);
  CHECK(value(*s, "certs/w/v2/cert.pem") == "new");
  CHECK(value(*s, "certs/w/v1/cert.pem") == "<absent>");
  CHECK(value(*s, "certs/w/record.toml") == "v3");
  // Expected a revision of an absent key.
  auto ghost = put_if(*s, "certs/none/record.toml", "x", 12345);
  REQUIRE_FALSE(ghost);
  CHECK(ghost.error().category() == Category::State);
}

TEST_CASE("remove takes the key and everything below it, nothing beside it", "[pg]") {
  auto s = open(fresh("t_remove"));
  for (auto k : {"a/b", "a/b/c", "a/b/d/e", "a/bc", "a/b.x", "a"}) REQUIRE_OK(put(*s, k, k));
  REQUIRE_OK(append(*s, "a/b/log", "line"));
  REQUIRE_OK(remove(*s, "a/b"));
  CHECK(keys(s->list("a/")) == std::vector<std::string>{"a/b.x", "a/bc"});
  CHECK(value(*s, "a/b/log") == "<absent>");
  CHECK(value(*s, "a") == "a");
  REQUIRE_OK(remove(*s, "nothing/here"));
}

TEST_CASE("list: sorted, with a leaf one segment down, LIKE characters literal", "[pg]") {
  auto s = open(fresh("t_list"));
  for (auto k : {"certs/web/record.toml", "certs/api/record.toml", "certs/api/v1/cert.pem", "certs/a_b/record.toml",
                 "certs/aXb/record.toml", "certs/deep/x/record.toml", "certs/z/record.tomlx", "certs/record.toml",
                 "ca/local/record.toml", "certsx/y/record.toml"})
    REQUIRE_OK(put(*s, k, "x"));
  CHECK(keys(s->list("certs/", "record.toml")) ==
        std::vector<std::string>{"certs/aXb/record.toml", "certs/a_b/record.toml", "certs/api/record.toml",
                                 "certs/web/record.toml"});
  CHECK(keys(s->list("certs/api/")) == std::vector<std::string>{"certs/api/record.toml", "certs/api/v1/cert.pem"});
  // '_' is a LIKE wildcard: "a_b/" must not match "aXb/".
  CHECK(keys(s->list("certs/a_b/")) == std::vector<std::string>{"certs/a_b/record.toml"});
  CHECK(keys(s->list("certs/", "record.toml")).size() == 4);
  auto all = s->list("");
  REQUIRE(all);
  CHECK(all->size() == 10);
  CHECK(std::is_sorted(all->begin(), all->end(), [](auto& a, auto& b) { return a.key < b.key; }));
  for (const auto& l : *all) CHECK(l.revision > 0);
  CHECK(keys(s->list("nothing/")).empty());
  CHECK_FALSE(s->list("certs"));  // a prefix ends in '/'
}

TEST_CASE("update_log: ordered lines, the last line, a put from inside the update", "[pg]") {
  auto s = open(fresh("t_log"));
  CHECK(value(*s, "audit.log") == "<absent>");
  for (int i = 1; i <= 5; ++i) REQUIRE_OK(append(*s, "audit.log", "line " + std::to_string(i)));
  CHECK(value(*s, "audit.log") == "line 1\nline 2\nline 3\nline 4\nline 5\n");
  auto st = s->update_log("audit.log", [&](LogView& v) -> Result<std::optional<LogAppend>> {
    TRY_ASSIGN(auto last, v.last_line());
    TRY_ASSIGN(auto whole, v.whole(1000));
    CHECK(last == "line 5");
    CHECK(whole.size() == 35);
    auto small = v.whole(10);
    CHECK_FALSE(small);
    // The audit chain writes audit.head from inside its update, on the same connection.
    TRY(put(*s, "audit.head", "seq 6"));
    return std::optional<LogAppend>(LogAppend{"line 6 after " + last, std::nullopt});
  });
  REQUIRE_OK(st);
  CHECK(value(*s, "audit.head") == "seq 6");
  CHECK(value(*s, "audit.log").substr(35) == "line 6 after line 5\n");
  // An update that fails appends nothing and undoes its put.
  auto failed = s->update_log("audit.log", [&](LogView&) -> Result<std::optional<LogAppend>> {
    TRY(put(*s, "audit.head", "seq 7"));
    return Error(Category::Vault, "test", "refused");
  });
  REQUIRE_FALSE(failed);
  CHECK(value(*s, "audit.head") == "seq 6");
  CHECK(value(*s, "audit.log").size() == 55);
  // A nested put_if whose commit point fails rolls back only its own savepoint.
  REQUIRE_OK(s->update_log("audit.log", [&](LogView&) -> Result<std::optional<LogAppend>> {
    auto r = put_if(*s, "audit.head", "stale", 999999);
    CHECK_FALSE(r);
    return std::optional<LogAppend>(LogAppend{"line 7", std::nullopt});
  }));
  CHECK(value(*s, "audit.head") == "seq 6");
  CHECK(value(*s, "audit.log").substr(55) == "line 7\n");
  // then_put is written with the line, in the same transaction.
  REQUIRE_OK(s->update_log("audit.log", [&](LogView&) -> Result<std::optional<LogAppend>> {
    return std::optional<LogAppend>(LogAppend{"line 8", std::make_pair(std::string("audit.head"), std::string("seq 8"))});
  }));
  CHECK(value(*s, "audit.head") == "seq 8");
  CHECK(value(*s, "audit.log").substr(62) == "line 8\n");
  // nullopt appends nothing; a newline in a line is refused.
  REQUIRE_OK(s->update_log("audit.log", [](LogView&) -> Result<std::optional<LogAppend>> { return std::optional<LogAppend>(); }));
  CHECK_FALSE(append(*s, "audit.log", "two\nlines"));
  CHECK(value(*s, "audit.log").size() == 69);
  // A log written whole (a copied vault) takes appends after its lines.
  REQUIRE_OK(put(*s, "orders.log", "a\nb\n"));
  REQUIRE_OK(append(*s, "orders.log", "c"));
  CHECK(value(*s, "orders.log") == "a\nb\nc\n");
  auto limited = s->get("orders.log", 5);
  REQUIRE_FALSE(limited);
  CHECK(limited.error().category() == Category::Vault);
}

TEST_CASE("update_log serialises appenders from several connections", "[pg]") {
  auto schema = fresh("t_logs4");
  open(schema);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      auto r = open_pg_store(url(), PgOptions{schema, false});
      if (!r) return void(++failures);
      for (int i = 0; i < 25; ++i) {
        // Each line names its predecessor's number: a chain broken by a race shows.
        auto st = (*r)->update_log("chain.log", [&](LogView& v) -> Result<std::optional<LogAppend>> {
          TRY_ASSIGN(auto last, v.last_line());
          int n = last.empty() ? 0 : std::stoi(last.substr(0, last.find(' ')));
          return std::optional<LogAppend>(LogAppend{std::to_string(n + 1) + " from " + std::to_string(t), std::nullopt});
        });
        if (!st) ++failures;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  auto s = open(schema, false);
  auto log = value(*s, "chain.log");
  int expect = 1;
  for (std::size_t from = 0; from < log.size(); ++expect) {
    auto nl = log.find('\n', from);
    CHECK(std::stoi(log.substr(from, nl - from)) == expect);
    from = nl + 1;
  }
  CHECK(expect == 101);
}

TEST_CASE("lock: exclusive between stores, released on destruction and when the session ends", "[pg]") {
  auto schema = fresh("t_lock");
  auto a = open(schema);
  auto b = open(schema, false);
  auto held = a->lock(".lock", 1s);
  REQUIRE(held);
  auto t0 = std::chrono::steady_clock::now();
  auto second = b->lock(".lock", 300ms);
  double waited = seconds_since(t0);
  REQUIRE_FALSE(second);
  CHECK(second.error().category() == Category::Vault);
  CHECK(second.error().subject() == b->where(".lock"));
  CHECK(second.error().message() == "locked by another certctl for over 0.3 s; try again later");
  CHECK(waited >= 0.3);
  CHECK(waited < 1.0);
  WARN("second lock gave up after " << waited << " s");
  // Another name is another lock; the same store waits for itself like another certctl.
  CHECK(b->lock(".renew.lock", 0ms));
  CHECK_FALSE(a->lock(".lock", 0ms));
  held->reset();
  t0 = std::chrono::steady_clock::now();
  auto after = b->lock(".lock", 1s);
  REQUIRE(after);
  WARN("lock taken " << seconds_since(t0) << " s after release");
  after->reset();

  // A process that dies holding the lock: the server releases it with the session.
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto c = open_pg_store(url(), PgOptions{schema, false});
    if (!c) _exit(2);
    auto h = (*c)->lock(".lock", 1s);
    if (!h) _exit(3);
    char x = 'x';
    if (write(ready[1], &x, 1) != 1) _exit(4);
    usleep(300 * 1000);
    _exit(0);  // no destructor runs: the unlock comes from the server
  }
  char x;
  REQUIRE(read(ready[0], &x, 1) == 1);
  CHECK_FALSE(a->lock(".lock", 0ms));
  t0 = std::chrono::steady_clock::now();
  auto taken = a->lock(".lock", 5s);
  double after_death = seconds_since(t0);
  int status = 0;
  waitpid(child, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  REQUIRE(taken);
  CHECK(after_death < 2.0);
  WARN("lock of a dead process taken after " << after_death << " s (it held it for 0.3 s)");
  close(ready[0]);
  close(ready[1]);
}

TEST_CASE("lease: exclusive, growing generations, expiry, renew, fencing", "[pg]") {
  auto schema = fresh("t_lease");
  auto a = open(schema);
  auto b = open(schema, false);
  auto la = a->lease("renew/web", 1s, "host-a");
  REQUIRE(la);
  REQUIRE(la->has_value());
  auto gen1 = (**la)->generation();
  CHECK((**la)->name() == "renew/web");
  auto lb = b->lease("renew/web", 1s, "host-b");
  REQUIRE(lb);
  CHECK_FALSE(lb->has_value());
  REQUIRE_OK((**la)->renew());
  // A fenced change applies while the lease holds.
  Change fenced;
  fenced.put("certs/web/v2/cert.pem", "a");
  fenced.fence = (*la)->get();
  REQUIRE_OK(a->apply(fenced));

  std::this_thread::sleep_for(1200ms);
  auto lb2 = b->lease("renew/web", 10s, "host-b");
  REQUIRE(lb2);
  REQUIRE(lb2->has_value());
  auto gen2 = (**lb2)->generation();
  CHECK(gen2 > gen1);
  auto lost = (**la)->renew();
  REQUIRE_FALSE(lost);
  CHECK(lost.error().category() == Category::State);
  CHECK(lost.error().message().find("lost its lease on renew/web") == 0);
  // The old holder's fenced change is refused whole.
  Change late;
  late.put("certs/web/v3/cert.pem", "late");
  late.commit_point = Change::CommitPoint{"certs/web/record.toml", "late", std::nullopt};
  late.fence = (*la)->get();
  auto refused = a->apply(late);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().category() == Category::State);
  CHECK(refused.error().message().find("lost its lease on renew/web") == 0);
  CHECK(value(*a, "certs/web/v3/cert.pem") == "<absent>");
  CHECK(value(*a, "certs/web/record.toml") == "<absent>");
  // The old lease's destructor must not release the new holder's grant.
  la->reset();
  auto la2 = a->lease("renew/web", 10s, "host-a");
  REQUIRE(la2);
  CHECK_FALSE(la2->has_value());
  // Released on destruction: granted again at once, with a larger generation.
  lb2->reset();
  auto la3 = a->lease("renew/web", 10s, "host-a");
  REQUIRE(la3);
  REQUIRE(la3->has_value());
  CHECK((**la3)->generation() > gen2);
  // Other names are other leases.
  auto other = b->lease("renew/api", 10s, "host-b");
  REQUIRE(other);
  CHECK(other->has_value());
}

TEST_CASE("two schemas in one database are two vaults", "[pg]") {
  auto s1 = open(fresh("t_one"));
  auto s2 = open(fresh("t_two"));
  REQUIRE_OK(put(*s1, "k", "one"));
  CHECK(value(*s2, "k") == "<absent>");
  REQUIRE_OK(put(*s2, "k", "two"));
  CHECK(value(*s1, "k") == "one");
  auto l1 = s1->lock(".lock", 0ms);
  REQUIRE(l1);
  CHECK(s2->lock(".lock", 0ms));
  auto e1 = s1->lease("renew/x", 10s, "h");
  auto e2 = s2->lease("renew/x", 10s, "h");
  REQUIRE(e1);
  REQUIRE(e2);
  CHECK(e1->has_value());
  CHECK(e2->has_value());
}

TEST_CASE("opening: not a vault, a newer schema, an older one, bad schema names", "[pg]") {
  auto schema = fresh("t_open");
  auto missing = open_pg_store(url(), PgOptions{schema, false});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().category() == Category::Vault);
  CHECK(missing.error().text() == "postgresql database postgres on 127.0.0.1:" + port() +
                                      " (schema t_open): is not a certctl vault (no schema t_open); create one with "
                                      "`certctl init --vault ...`");
  CHECK(sql("SELECT count(*) FROM pg_namespace WHERE nspname = 't_open'") == "0");

  // Creating twice is harmless and keeps the data.
  {
    auto s = open(schema);
    REQUIRE_OK(put(*s, "k", "v"));
  }
  CHECK(value(*open(schema), "k") == "v");
  CHECK(sql("SELECT version FROM t_open.schema_version") == "1");

  sql("UPDATE t_open.schema_version SET version = 99");
  auto before = sql("SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE "
                    "table_schema = 't_open'");
  for (bool create : {false, true}) {
    auto newer = open_pg_store(url(), PgOptions{schema, create});
    REQUIRE_FALSE(newer);
    CHECK(newer.error().category() == Category::Vault);
    CHECK(newer.error().message() ==
          "was created by a newer certctl (schema version 99, this one knows up to 1); nothing was changed");
  }
  CHECK(sql("SELECT version FROM t_open.schema_version") == "99");
  CHECK(sql("SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE "
            "table_schema = 't_open'") == before);

  // An older schema (version 0: the version table only) is migrated forward on open.
  auto old = fresh("t_old");
  sql("CREATE SCHEMA t_old; CREATE TABLE t_old.schema_version (version integer NOT NULL); "
      "INSERT INTO t_old.schema_version VALUES (0)");
  auto migrated = open(old, false);
  CHECK(sql("SELECT version FROM t_old.schema_version") == "1");
  REQUIRE_OK(put(*migrated, "k", "v"));

  for (auto bad : {"", "Certctl", "1abc", "pg_x", "a-b", "a\"b", "x2345678901234567890123456789012345678901234567890123456"}) {
    auto r = open_pg_store(url(), PgOptions{bad, true});
    REQUIRE_FALSE(r);
    CHECK(r.error().category() == Category::Usage);
  }
}

TEST_CASE("connection failures: one clear Vault error, never the password", "[pg]") {
  const std::string secret = "S3cret-pw-xyz";
  sql("DROP ROLE IF EXISTS certctl_pw");
  sql("CREATE ROLE certctl_pw LOGIN PASSWORD '" + secret + "'");
  sql("GRANT CREATE ON DATABASE postgres TO certctl_pw");
  fresh("t_pw");
  auto expect_failure = [&](const std::string& conninfo, const std::string& says) {
    auto r = open_pg_store(conninfo, PgOptions{"t_pw", true});
    REQUIRE_FALSE(r);
    INFO(r.error().text());
    CHECK(r.error().category() == Category::Vault);
    CHECK(r.error().message() == "cannot connect");
    CHECK(r.error().text().find(says) != std::string::npos);
    CHECK(r.error().text().find(secret) == std::string::npos);
    CHECK(r.error().text().find("wrong-pass") == std::string::npos);
    CHECK(r.error().text().find('\n') == std::string::npos);
    WARN(r.error().text());
  };
  expect_failure("postgresql://certctl_pw:wrong-pass@127.0.0.1:" + port() + "/postgres",
                 "password authentication failed for user \"certctl_pw\"");
  expect_failure("host=127.0.0.1 port=" + port() + " user=certctl_pw password=wrong-pass dbname=postgres",
                 "password authentication failed");
  expect_failure("postgresql://certctl_pw@127.0.0.1:" + port() + "/postgres", "password");
  expect_failure("postgresql://postgres@127.0.0.1:" + port() + "/no_such_db", "database \"no_such_db\" does not exist");
  expect_failure("postgresql://certctl_pw:" + secret + "@127.0.0.1:1/postgres?connect_timeout=2",
                 "postgresql database postgres on 127.0.0.1:1 (schema t_pw)");
  expect_failure("postgresql://certctl_pw:" + secret + "@127.0.0.1:" + port() + "/postgres?bogus=1",
                 "invalid URI query parameter");
  expect_failure("postgresql://certctl_pw:" + secret + "@127.0.0.1:" + port() + "/postgres?sslmode=verify-full",
                 "postgresql database");

  // The right password works, in the URI or through PGPASSWORD; application_name defaults to certctl.
  auto s = open("t_pw", true, "postgresql://certctl_pw:" + secret + "@127.0.0.1:" + port() + "/postgres");
  CHECK(s->describe().find(secret) == std::string::npos);
  REQUIRE_OK(put(*s, "k", "v"));
  CHECK(sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'certctl' AND usename = 'certctl_pw'") ==
        "1");
  setenv("PGPASSWORD", secret.c_str(), 1);
  auto viaenv = open("t_pw", false, "postgresql://certctl_pw@127.0.0.1:" + port() + "/postgres?application_name=mine");
  unsetenv("PGPASSWORD");
  CHECK(value(*viaenv, "k") == "v");
  CHECK(sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'mine'") == "1");
  // ... and through a password file (libpq wants it 0600).
  char dir[] = "/tmp/certctl-pgpass.XXXXXX";
  REQUIRE(mkdtemp(dir));
  auto passfile = std::string(dir) + "/pgpass";
  {
    std::unique_ptr<FILE, decltype(&fclose)> f(fopen(passfile.c_str(), "w"), fclose);
    REQUIRE(f);
    fprintf(f.get(), "127.0.0.1:%s:postgres:certctl_pw:%s\n", port().c_str(), secret.c_str());
  }
  REQUIRE(chmod(passfile.c_str(), 0600) == 0);
  auto viafile = open_pg_store("postgresql://certctl_pw@127.0.0.1:" + port() + "/postgres?passfile=" + passfile,
                               PgOptions{"t_pw", false});
  unlink(passfile.c_str());
  rmdir(dir);
  REQUIRE(viafile);
  CHECK(value(**viafile, "k") == "v");
}

TEST_CASE("concurrent put_if increments: the counter equals the commits", "[pg]") {
  auto schema = fresh("t_counter");
  auto setup = open(schema);
  REQUIRE_OK(put(*setup, "counter", "0"));
  auto shared = open(schema, false);  // threads 2 and 3 share one connection
  std::atomic<int> commits{0}, conflicts{0}, errors{0};
  constexpr int kTries = 50;
  auto worker = [&](Store* s) {
    for (int i = 0; i < kTries; ++i) {
      auto cur = s->get("counter", 100);
      if (!cur || !cur->has_value()) {
        ++errors;
        continue;
      }
      auto next = std::to_string(std::stoi((*cur)->data) + 1);
      auto r = put_if(*s, "counter", next, (*cur)->revision);
      if (r)
        ++commits;
      else if (r.error().category() == Category::State)
        ++conflicts;
      else
        ++errors;
    }
  };
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<Store>> own;
  own.push_back(open(schema, false));
  own.push_back(open(schema, false));
  std::vector<std::thread> threads;
  threads.emplace_back(worker, own[0].get());
  threads.emplace_back(worker, own[1].get());
  threads.emplace_back(worker, shared.get());
  threads.emplace_back(worker, shared.get());
  for (auto& t : threads) t.join();
  double took = seconds_since(t0);
  CHECK(errors == 0);
  CHECK(commits + conflicts == 4 * kTries);
  CHECK(value(*setup, "counter") == std::to_string(commits.load()));
  WARN("4 threads x " << kTries << " put_if: " << commits << " commits, " << conflicts << " conflicts, " << took
                      << " s");
}

TEST_CASE("notifications: commit points under certs/ wake listeners", "[pg]") {
  auto schema = fresh("t_notify");
  auto writer = open(schema);
  auto listener_store = open(schema, false);
  auto* listener = dynamic_cast<PgStore*>(listener_store.get());
  REQUIRE(listener);
  auto none = listener->wait_notifications(0ms);  // starts listening
  REQUIRE(none);
  CHECK(none->empty());
  REQUIRE_OK(put(*writer, "notify/reminders.json", "{}"));
  REQUIRE_OK(put(*writer, "certs/web/record.toml", "a"));
  Change only_ops;
  only_ops.put("certs/web/v1/cert.pem", "x");
  REQUIRE_OK(writer->apply(only_ops));
  auto t0 = std::chrono::steady_clock::now();
  auto got = listener->wait_notifications(2s);
  REQUIRE(got);
  CHECK(*got == std::vector<std::string>{"certs/web/record.toml"});
  WARN("notification received after " << seconds_since(t0) << " s");
  // A refused change notifies nobody; nothing arrives within the wait.
  CHECK_FALSE(put_if(*writer, "certs/web/record.toml", "b", 1));
  t0 = std::chrono::steady_clock::now();
  auto quiet = listener->wait_notifications(200ms);
  REQUIRE(quiet);
  CHECK(quiet->empty());
  CHECK(seconds_since(t0) >= 0.2);
  // Other schemas have other channels.
  auto other = open(fresh("t_notify2"));
  REQUIRE_OK(put(*other, "certs/api/record.toml", "a"));
  auto still = listener->wait_notifications(200ms);
  REQUIRE(still);
  CHECK(still->empty());
}

TEST_CASE("timing: single writes, reads and a listing over loopback", "[pg]") {
  auto s = open(fresh("t_timing"));
  constexpr int kN = 500;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kN; ++i) REQUIRE_OK(put(*s, "certs/r" + std::to_string(i) + "/record.toml", std::string(600, 'x')));
  double puts = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kN; ++i) REQUIRE_OK(s->get("certs/r" + std::to_string(i) + "/record.toml", 1 << 20));
  double gets = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kN; ++i) REQUIRE_OK(append(*s, "audit.log", std::string(120, 'a')));
  double appends = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  auto listed = s->list("certs/", "record.toml");
  double listing = seconds_since(t0);
  REQUIRE(listed);
  CHECK(listed->size() == kN);
  WARN(kN << " puts " << puts * 1000 / kN << " ms each; " << kN << " gets " << gets * 1000 / kN << " ms each; " << kN
          << " log appends " << appends * 1000 / kN << " ms each; list of " << kN << " with a leaf " << listing * 1000
          << " ms");
}

TEST_CASE("TLS: verify-full with the server's root, refused with another", "[pg]") {
  auto base = "postgresql://postgres@127.0.0.1:" + port() + "/postgres?sslmode=verify-full&sslrootcert=";
  auto s = open(fresh("t_tls"), true, base + env("CERTCTL_TEST_PG_CA") + "&application_name=tls_ok");
  REQUIRE_OK(put(*s, "k", "v"));
  CHECK(sql("SELECT bool_and(s.ssl)::text FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE "
            "a.application_name = 'tls_ok'") == "true");
  auto wrong = open_pg_store(base + env("CERTCTL_TEST_PG_OTHER_CA"), PgOptions{"t_tls", false});
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().category() == Category::Vault);
  CHECK(wrong.error().message() == "cannot connect");
  CHECK(wrong.error().cause().find("certificate verify failed") != std::string::npos);
  WARN(wrong.error().text());
}

TEST_CASE("a dropped connection: reported, then re-opened, unless a lock went with it", "[pg]") {
  auto schema = fresh("t_drop");
  auto s = open(schema, true, url() + "?application_name=victim");
  REQUIRE_OK(put(*s, "k", "v"));
  auto kill_victim = [] {
    sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'victim'");
    std::this_thread::sleep_for(100ms);
  };
  kill_victim();
  auto lost = s->get("k", 100);
  REQUIRE_FALSE(lost);
  CHECK(lost.error().category() == Category::Vault);
  CHECK(lost.error().message() == "lost the connection to the database");
  WARN(lost.error().text());
  CHECK(value(*s, "k") == "v");  // re-opened

  auto held = s->lock(".lock", 0ms);
  REQUIRE(held);
  kill_victim();
  CHECK_FALSE(s->get("k", 100));
  auto refused = s->get("k", 100);  // reconnecting would hide that the lock is gone
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message() == "lost the connection to the database");
  held->reset();
  CHECK(value(*s, "k") == "v");
  CHECK(s->lock(".lock", 0ms));
}
