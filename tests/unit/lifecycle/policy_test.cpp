// The issuance policy in the use cases (MemoryStore): each hook (create, edit, csr, issue and
// its one-step form, renew, import, migrate) refuses a hard violation with a Policy error and
// writes nothing but the audit line; a soft one warns once, is audited and goes on.
#include <catch2/catch.hpp>

#include <certctl/ca.hpp>
#include <certctl/crypto.hpp>
#include <certctl/fs.hpp>
#include <certctl/lifecycle.hpp>
#include <certctl/migrate.hpp>

#include "fake_http.hpp"
#include "temp_dir.hpp"

#include <fmt/format.h>

using namespace certctl;
using vault::PolicyRule;

namespace {

constexpr UnixTime kNow = 1'800'000'000;
constexpr UnixTime kDay = 86400;

struct World {
  std::shared_ptr<storage::MemoryStore> store = std::make_shared<storage::MemoryStore>();
  vault::Vault vault = test::make_memory_vault(store, kNow);
  FixedClock clock{kNow};
  test::FakeHttp fake_http;
  http::ClientFactory clients = fake_http.factory();
  test::TempDir dir;
  std::vector<std::string> warnings;

  World() {
    auto ca = lifecycle::init_local_ca(ctx(), {"test CA", "ec256", 3650});
    if (!ca) FAIL(ca.error().text());
  }
  lifecycle::Context ctx() {
    lifecycle::Context c{vault, clock, clients, false};
    c.warn = [this](const Error& e) { warnings.push_back(e.text()); };
    return c;
  }
  void policy(const lifecycle::PolicyChange& c) {
    auto p = lifecycle::policy_set(ctx(), c);
    if (!p) FAIL(p.error().text());
  }
  /// Every key but the audit log and its head: what "nothing written" compares.
  std::vector<std::pair<std::string, std::string>> state() const {
    auto d = store->dump();
    std::erase_if(d, [](const auto& kv) { return kv.first == "audit.log" || kv.first == "audit.head"; });
    return d;
  }
  std::vector<vault::AuditEntry> audited(std::string action) const {
    std::vector<vault::AuditEntry> out;
    vault::AuditFilter f;
    f.actions = {std::move(action)};
    auto st = vault.read_audit(f, [&](const vault::AuditEntry& e) -> Status {
      out.push_back(e);
      return ok();
    });
    if (!st) FAIL(st.error().text());
    return out;
  }
};

lifecycle::RecordFields fields(const std::string& domain, std::vector<std::string> sans = {}) {
  lifecycle::RecordFields f;
  f.domain = domain;
  if (!sans.empty()) f.sans = std::move(sans);
  return f;
}

lifecycle::PolicyChange deny(std::vector<std::string> patterns, bool soft = false) {
  lifecycle::PolicyChange c;
  c.lists.emplace_back(PolicyRule::NameDeny, std::move(patterns));
  if (soft) c.severities.emplace_back(PolicyRule::NameDeny, vault::Severity::Soft);
  return c;
}

void check_refused(const Error& e, std::string_view rule) {
  CHECK(e.category() == Category::Policy);
  CHECK(e.exit_code() == 12);
  CHECK(e.subject() == fmt::format("policy rule {}", rule));
}

template <class T>
T require(Result<T> r) {
  if (!r) FAIL(r.error().text());
  return std::move(r).value();
}

/// A key and a certificate for `name` from a throwaway root, on disk, for import.
lifecycle::ImportRequest import_files(World& w, const std::string& name) {
  auto root_key = require(crypto::PrivateKey::generate(crypto::KeyType::Ec256));
  crypto::Subject rs;
  rs.cn = "Import Root";
  auto root = require(crypto::make_self_signed_ca(root_key, rs, {"0a", kNow - kDay, kNow + 3650 * kDay, true, ""}));
  auto key = require(crypto::PrivateKey::generate(crypto::KeyType::Ec256));
  crypto::CsrRequest cr;
  cr.subject.cn = name;
  cr.dns_names = {name};
  auto csr = require(crypto::parse_csr(require(crypto::make_csr(key, cr)), "csr"));
  auto leaf = require(crypto::sign_csr(csr, root, root_key, {"0b", kNow - kDay, kNow + 90 * kDay, false, ""}));
  lifecycle::ImportRequest req;
  req.cert_file = w.dir.file(name + ".crt");
  req.key_file = w.dir.file(name + ".key");
  REQUIRE(fs::write_file_atomic(req.cert_file, leaf.to_pem()));
  REQUIRE(fs::write_file_atomic(req.key_file, key.to_pem().view()));
  return req;
}

}  // namespace

TEST_CASE("policy set: audited, severities need the rule, show and check read it", "[lifecycle][policy]") {
  World w;
  w.policy(deny({".evil.test"}));
  auto updated = w.audited("policy.updated");
  REQUIRE(updated.size() == 1);
  CHECK(updated[0].details == std::vector<std::pair<std::string, std::string>>{{"rules", "name-deny(hard)"}});

  const auto before = w.store->dump();
  lifecycle::PolicyChange soft_unset;
  soft_unset.severities.emplace_back(PolicyRule::Wildcard, vault::Severity::Soft);
  auto refused = lifecycle::policy_set(w.ctx(), soft_unset);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().category() == Category::Usage);
  CHECK_THAT(refused.error().text(), Catch::Contains("wildcard is not set"));
  CHECK(w.store->dump() == before);
  CHECK_FALSE(lifecycle::policy_set(w.ctx(), {}));

  auto shown = require(lifecycle::policy_show(w.ctx()));
  CHECK(shown[PolicyRule::NameDeny].values == std::vector<std::string>{".evil.test"});

  lifecycle::PolicyCheckRequest q;
  q.fields = fields("www.evil.test");
  auto found = require(lifecycle::policy_check(w.ctx(), q));
  REQUIRE(found.size() == 1);
  CHECK(lifecycle::policy_error(found[0]).text() == "policy rule name-deny: www.evil.test matches denied pattern .evil.test");
  CHECK(w.store->dump() == before);  // check writes nothing, not even an audit line

  lifecycle::PolicyChange reset;
  reset.reset = true;
  w.policy(reset);
  CHECK(require(lifecycle::policy_show(w.ctx())).empty());
  CHECK_FALSE(w.store->get("policy.toml", 1 << 20)->has_value());
}

TEST_CASE("policy: create refused by a hard rule writes nothing but the audit line", "[lifecycle][policy]") {
  World w;
  w.policy(deny({".evil.test"}));
  const auto before = w.state();
  auto r = lifecycle::create(w.ctx(), "bad", fields("ok.test", {"www.evil.test"}));
  REQUIRE_FALSE(r);
  check_refused(r.error(), "name-deny");
  CHECK(r.error().message() == "www.evil.test matches denied pattern .evil.test");
  CHECK(w.state() == before);
  auto hard = w.audited("certificate.policy_hard_fail");
  REQUIRE(hard.size() == 1);
  CHECK(hard[0].certificate == "bad");
  CHECK(hard[0].details[0] == std::pair<std::string, std::string>{"rule", "name-deny"});
  CHECK(w.warnings.empty());
}

TEST_CASE("policy: a soft rule warns once, is audited, and the command goes on", "[lifecycle][policy]") {
  World w;
  w.policy(deny({".evil.test"}, /*soft=*/true));
  REQUIRE(lifecycle::create(w.ctx(), "soft", fields("www.evil.test")));
  REQUIRE(w.warnings.size() == 1);
  CHECK(w.warnings[0] == "policy rule name-deny: www.evil.test matches denied pattern .evil.test");
  CHECK(w.audited("certificate.policy_soft_fail").size() == 1);
  CHECK(w.vault.exists("soft"));

  // The one-step issue checks at create and at issue, and still warns once.
  w.warnings.clear();
  lifecycle::IssueRequest req;
  REQUIRE(lifecycle::issue_new(w.ctx(), "one", fields("api.evil.test"), req));
  CHECK(w.warnings.size() == 1);
}

TEST_CASE("policy: edit and csr are checked before they write", "[lifecycle][policy]") {
  World w;
  REQUIRE(lifecycle::create(w.ctx(), "web", fields("web.test")));
  lifecycle::PolicyChange c = deny({".evil.test"});
  c.lists.emplace_back(PolicyRule::KeyTypes, std::vector<std::string>{"ec384"});
  w.policy(c);
  const auto before = w.state();

  lifecycle::RecordFields change;
  change.sans = std::vector<std::string>{"www.evil.test"};
  change.key_type = "ec384";
  auto edited = lifecycle::edit(w.ctx(), "web", change, {});
  REQUIRE_FALSE(edited);
  check_refused(edited.error(), "name-deny");
  CHECK(w.state() == before);

  auto csr = lifecycle::make_csr(w.ctx(), "web");  // ec256 is not allowed now
  REQUIRE_FALSE(csr);
  check_refused(csr.error(), "key-types");
  CHECK(w.state() == before);

  // A change the policy allows goes through; so does one that leaves the names alone.
  lifecycle::RecordFields ok_change;
  ok_change.key_type = "ec384";
  REQUIRE(lifecycle::edit(w.ctx(), "web", ok_change, {}));
  REQUIRE(lifecycle::make_csr(w.ctx(), "web"));
}

TEST_CASE("policy: issue is checked with its CA and days, and the one-step form creates nothing", "[lifecycle][policy]") {
  World w;
  REQUIRE(lifecycle::create(w.ctx(), "web", fields("web.test")));
  REQUIRE(lifecycle::make_csr(w.ctx(), "web"));
  lifecycle::PolicyChange c;
  c.numbers.emplace_back(PolicyRule::LocalMaxDays, 30);
  w.policy(c);
  const auto before = w.state();
  lifecycle::IssueRequest req;  // 90 days
  auto r = lifecycle::issue(w.ctx(), "web", req);
  REQUIRE_FALSE(r);
  check_refused(r.error(), "local-max-days");
  CHECK(w.state() == before);
  // A dry run is refused too, and writes nothing at all (not even the audit line).
  const auto whole = w.store->dump();
  lifecycle::IssueRequest dry;
  dry.dry_run = true;
  auto checked = lifecycle::issue(w.ctx(), "web", dry);
  REQUIRE_FALSE(checked);
  check_refused(checked.error(), "local-max-days");
  CHECK(w.store->dump() == whole);
  req.days = 30;
  REQUIRE(lifecycle::issue(w.ctx(), "web", req));

  lifecycle::PolicyChange ca;
  ca.lists.emplace_back(PolicyRule::CaAllow, std::vector<std::string>{"letsencrypt"});
  w.policy(ca);
  const auto before_new = w.state();
  auto one = lifecycle::issue_new(w.ctx(), "new", fields("new.test"), req);
  REQUIRE_FALSE(one);
  check_refused(one.error(), "ca-allow");
  CHECK(w.state() == before_new);
  CHECK_FALSE(w.vault.exists("new"));
}

TEST_CASE("policy: a renewal that now violates a hard rule fails that record only", "[lifecycle][policy]") {
  World w;
  for (const char* n : {"a", "b", "c"}) {
    REQUIRE(lifecycle::create(w.ctx(), n, fields(fmt::format("{}.test", n))));
    REQUIRE(lifecycle::make_csr(w.ctx(), n));
    REQUIRE(lifecycle::issue(w.ctx(), n, {}));
  }
  w.policy(deny({"b.test"}));
  w.clock.set(kNow + 70 * kDay);
  lifecycle::RenewRequest req;
  auto report = require(lifecycle::renew(w.ctx(), req));
  REQUIRE(report.items.size() == 3);
  for (const auto& i : report.items) {
    INFO(i.name);
    if (i.name == "b") {
      CHECK(i.outcome == lifecycle::RenewOutcome::Failed);
      CHECK(i.exit_code == 12);
      CHECK_THAT(i.error, Catch::Contains("policy rule name-deny"));
    } else {
      CHECK(i.outcome == lifecycle::RenewOutcome::Renewed);
    }
  }
  auto b = require(w.vault.load("b"));
  CHECK(b.status == vault::CertStatus::Error);
  CHECK_THAT(b.last_error, Catch::Contains("b.test matches denied pattern b.test"));
  CHECK(b.version == 1);  // no new version
  CHECK(require(w.vault.load("a")).version == 2);
}

TEST_CASE("policy: import and migrate are checked, and a refused one writes nothing", "[lifecycle][policy]") {
  World w;
  w.policy(deny({".evil.test"}));
  const auto before = w.state();
  auto bad = import_files(w, "www.evil.test");
  auto r = lifecycle::import_certificate(w.ctx(), "bad", bad);
  REQUIRE_FALSE(r);
  check_refused(r.error(), "name-deny");
  CHECK(w.state() == before);
  REQUIRE(lifecycle::import_certificate(w.ctx(), "good", import_files(w, "good.test")));

  // migrate imports with the CA it will renew from, which ca-allow checks.
  lifecycle::PolicyChange ca;
  ca.lists.emplace_back(PolicyRule::CaAllow, std::vector<std::string>{"letsencrypt"});
  w.policy(ca);
  const auto before_migrate = w.state();
  lifecycle::MigratePlan plan;
  lifecycle::MigratePlanItem item;
  const auto files = import_files(w, "moved.test");
  item.found.name = "moved";
  item.found.cert_file = files.cert_file;
  item.found.key_file = files.key_file;
  item.action = lifecycle::MigratePlanItem::Action::Manage;
  item.ca = "local";
  plan.items.push_back(item);
  auto report = require(lifecycle::migrate_apply(w.ctx(), plan));
  CHECK(report.failed == 1);
  REQUIRE_FALSE(report.lines.empty());
  CHECK_THAT(report.lines[0], Catch::Contains("policy rule ca-allow: CA 'local' is not allowed"));
  CHECK(w.state() == before_migrate);
}
