// The renew pipeline's steps that need no network: choosing what is due, putting issue results
// on their items by name, outcome names, and the batch's shared-solver cleanup warnings.
#include <catch2/catch.hpp>

#include <certctl/lifecycle.hpp>

#include "lifecycle/internal.hpp"
#include "lifecycle/shared_solvers.hpp"
#include "vault_context.hpp"

using namespace certctl;
using lifecycle::RenewOutcome;

namespace {

constexpr UnixTime kNow = 1'800'000'000;
constexpr UnixTime kDay = 86400;

/// A managed, issued record whose certificate has `days_left` of a 90-day lifetime.
vault::Record issued(const std::string& name, long days_left) {
  vault::Record r;
  r.name = name;
  r.domain = name + ".example";
  r.status = vault::CertStatus::Active;
  r.version = 1;
  r.has_key = r.has_csr = r.has_cert = true;
  r.issued_by = "local";
  vault::CertMeta m;
  m.serial_hex = "0" + name;
  m.not_before = kNow + days_left * kDay - 90 * kDay;
  m.not_after = kNow + days_left * kDay;
  r.cert = m;
  return r;
}

}  // namespace

TEST_CASE("renew outcomes keep their printed names", "[lifecycle]") {
  const std::vector<std::pair<RenewOutcome, std::string_view>> names = {
      {RenewOutcome::NotDue, "not due"},       {RenewOutcome::Skipped, "skipped"},
      {RenewOutcome::Renewed, "renewed"},      {RenewOutcome::Validated, "validated"},
      {RenewOutcome::Deployed, "deployed"},    {RenewOutcome::Failed, "failed"},
      {RenewOutcome::DeployFailed, "deploy failed"}};
  for (const auto& [o, name] : names) {
    CHECK(lifecycle::to_string(o) == name);
    CHECK(lifecycle::is_failure(o) == (name == "failed" || name == "deploy failed"));
  }
  lifecycle::RenewReport report;
  report.items.push_back({"a", "", RenewOutcome::Renewed, "", 0, "", "", 0, {}});
  CHECK_FALSE(report.any_failed());
  report.items.push_back({"b", "", RenewOutcome::DeployFailed, "", 0, "", "", 0, {}});
  CHECK(report.any_failed());
}

TEST_CASE("renew selects due records, deploys again the ones whose deploy failed, says why others wait",
          "[lifecycle]") {
  vault::Record fresh = issued("fresh", 80);
  vault::Record due = issued("due", 10);
  vault::Record redeploy = issued("redeploy", 80);
  redeploy.deploy_failed = true;
  vault::Record backing = issued("backing", 80);
  backing.status = vault::CertStatus::Error;
  backing.next_attempt = kNow + 3600;
  vault::Record imported = issued("imported", 5);
  imported.source = vault::Source::Imported;
  const std::vector<vault::Record> all = {backing, due, fresh, imported, redeploy};  // sorted by name

  SECTION("every record: only what needs work is listed") {
    auto plan = lifecycle::detail::select_due(all, {}, kNow);
    CHECK(plan.report.checked == 5);
    CHECK(plan.due == std::vector<std::string>{"due"});
    CHECK(plan.deploy_again == std::vector<std::string>{"redeploy"});
    REQUIRE(plan.report.items.size() == 2);
    CHECK(plan.report.items[0].name == "due");
    CHECK(plan.report.items[0].reason == "expires in 10 days (threshold 30)");
    CHECK(plan.report.items[0].outcome == RenewOutcome::Skipped);  // until the run gets to it
    CHECK(plan.report.items[0].issued_by.empty());
    CHECK(plan.report.items[1].name == "redeploy");
    CHECK(plan.report.items[1].reason == "deploy retry");
    CHECK(plan.report.items[1].serial_hex == "0redeploy");
  }
  SECTION("named records that are not due say why") {
    lifecycle::RenewRequest req;
    req.names = {"fresh", "imported", "backing"};
    auto plan = lifecycle::detail::select_due(all, req, kNow);
    CHECK(plan.report.checked == 3);
    CHECK(plan.due.empty());
    REQUIRE(plan.report.items.size() == 3);
    CHECK(plan.report.items[0].reason == "backing off until " + format_rfc3339(kNow + 3600));
    CHECK(plan.report.items[1].reason == "not due");
    CHECK(plan.report.items[2].reason == "imported (renew it where it was issued, or here after `certctl edit imported --ca CA --challenge ...`)");
    for (const auto& i : plan.report.items) CHECK(i.outcome == RenewOutcome::NotDue);
  }
  SECTION("a dry run deploys nothing again; --force renews what is not due") {
    lifecycle::RenewRequest req;
    req.dry_run = true;
    req.force = true;
    auto plan = lifecycle::detail::select_due(all, req, kNow);
    CHECK(plan.deploy_again.empty());
    CHECK(plan.due == std::vector<std::string>{"backing", "due", "fresh", "redeploy"});
    CHECK(plan.report.dry_run);
  }
}

TEST_CASE("issue results go to the item of the same name, whatever their order", "[lifecycle]") {
  lifecycle::RenewReport report;
  report.items.push_back({"a", "expired", RenewOutcome::Skipped, "", 0, "", "", 0, {}});
  report.items.push_back({"b", "not due", RenewOutcome::NotDue, "", 0, "local", "0b", kNow, {}});
  report.items.push_back({"c", "forced", RenewOutcome::Skipped, "", 0, "", "", 0, {}});
  vault::Record c = issued("c", 90);
  std::vector<lifecycle::IssueResult> results;
  results.emplace_back("c", c, std::vector<Error>{Error(Category::Dns, "c", "cleaning up its challenge failed", "x")});
  results.emplace_back("a", Error(Category::Ca, "a", "refused"));
  results.emplace_back("zz", Error(Category::Ca, "zz", "not in this report"));
  auto renewed = lifecycle::detail::take_results(report, std::move(results));
  REQUIRE(renewed.size() == 1);
  CHECK(renewed[0].name == "c");
  CHECK(report.items[0].outcome == RenewOutcome::Failed);
  CHECK(report.items[0].error == "a: refused");
  CHECK(report.items[0].exit_code == 7);
  CHECK(report.items[1].outcome == RenewOutcome::NotDue);  // untouched
  CHECK(report.items[1].serial_hex == "0b");
  CHECK(report.items[2].outcome == RenewOutcome::Renewed);
  CHECK(report.items[2].serial_hex == "0c");
  CHECK(report.items[2].not_after == c.cert->not_after);
  CHECK(report.items[2].warnings == std::vector<std::string>{"c: cleaning up its challenge failed: x"});

  lifecycle::RenewReport dry;
  dry.dry_run = true;
  dry.items.push_back({"c", "forced", RenewOutcome::Skipped, "", 0, "", "", 0, {}});
  std::vector<lifecycle::IssueResult> validated;
  validated.emplace_back("c", c);
  lifecycle::detail::take_results(dry, std::move(validated));
  CHECK(dry.items[0].outcome == RenewOutcome::Validated);
}

namespace {

struct FakeSolver final : challenge::Solver {
  explicit FakeSolver(bool fail) : fail(fail) {}
  std::string_view type() const override { return "http-01"; }
  Status present(const std::vector<challenge::Task>&) override { return ok(); }
  Status cleanup() override {
    ++cleanups;
    if (fail) return Error(Category::Dns, "provider 'p'", "could not remove the TXT record");
    return ok();
  }
  bool fail;
  int cleanups = 0;
};

}  // namespace

TEST_CASE("a batch's shared solver that fails to clean up warns every record that used it", "[lifecycle]") {
  std::vector<FakeSolver*> made;
  lifecycle::detail::SharedSolvers shared([&](const ca::ChallengeSettings& s) -> Result<std::unique_ptr<challenge::Solver>> {
    auto solver = std::make_unique<FakeSolver>(s.webroot == "/broken");
    made.push_back(solver.get());
    return std::unique_ptr<challenge::Solver>(std::move(solver));
  });
  ca::ChallengeSettings broken, fine;
  broken.webroot = "/broken";
  fine.webroot = "/fine";
  auto a = shared.get(broken, "a");
  auto b = shared.get(broken, "b");
  auto c = shared.get(fine, "c");
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(*a == *b);  // one solver per set-up
  CHECK(*a != *c);
  REQUIRE(made.size() == 2);
  auto warnings = shared.cleanup();
  CHECK(made[0]->cleanups == 1);
  CHECK(made[1]->cleanups == 1);
  REQUIRE(warnings.size() == 2);
  REQUIRE(warnings["a"].size() == 1);
  CHECK(warnings["a"][0].category() == Category::Dns);
  CHECK(warnings["a"][0].text() == "a: cleaning up its challenge failed: provider 'p': could not remove the TXT record");
  CHECK(warnings["b"].size() == 1);
  CHECK(warnings.count("c") == 0);
}

TEST_CASE("renew with nothing due looks at every record and keeps none; a named one says why", "[lifecycle]") {
  test::VaultContext fx;
  for (const char* n : {"one", "two", "three"}) REQUIRE(fx.vault.save(issued(n, 80)));
  vault::Record imported = issued("imported", 5);  // an expiry reminder may be due: kept, not renewed
  imported.source = vault::Source::Imported;
  REQUIRE(fx.vault.save(imported));
  bool unlocked = false;
  lifecycle::RenewRequest req;
  req.unlock = [&unlocked]() -> Status {
    unlocked = true;
    return ok();
  };

  auto all = lifecycle::renew(fx.ctx(), req);
  REQUIRE(all);
  CHECK(all->checked == 4);
  CHECK(all->items.empty());
  CHECK_FALSE(all->any_failed());
  CHECK_FALSE(unlocked);

  req.names = {"two"};
  auto named = lifecycle::renew(fx.ctx(), req);
  REQUIRE(named);
  CHECK(named->checked == 1);
  REQUIRE(named->items.size() == 1);
  CHECK(named->items[0].name == "two");
  CHECK(named->items[0].outcome == RenewOutcome::NotDue);

  req.names = {"missing"};
  auto missing = lifecycle::renew(fx.ctx(), req);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().category() == Category::NotFound);
}
