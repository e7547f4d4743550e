#include <catch2/catch.hpp>

#include <set>
#include <tuple>

#include <certctl/crypto.hpp>
#include <certctl/fs.hpp>
#include <certctl/lifecycle.hpp>

#include "net_util.hpp"
#include "vault_context.hpp"

using namespace certctl;

namespace {

struct Fixture : test::VaultContext {
  Fixture() {
    auto ca = lifecycle::init_local_ca(ctx(), lifecycle::LocalCaRequest{"test CA", "ec256", 3650, 0, {}, {}});
    if (!ca) FAIL(ca.error().text());
  }

  vault::Record issued(const std::string& name, const std::string& domain) {
    lifecycle::RecordFields f;
    f.domain = domain;
    auto c = lifecycle::create(ctx(), name, f);
    REQUIRE(c);
    REQUIRE(lifecycle::make_csr(ctx(), name));
    auto r = lifecycle::issue(ctx(), name, {});
    REQUIRE(r);
    return *r;
  }
};

lifecycle::RecordFields fields(const std::string& domain, std::vector<std::string> sans = {}) {
  lifecycle::RecordFields f;
  f.domain = domain;
  if (!sans.empty()) f.sans = std::move(sans);
  return f;
}

}  // namespace

TEST_CASE("draft -> pending -> active with metadata filled from the certificate", "[lifecycle]") {
  Fixture fx;
  auto draft = lifecycle::create(fx.ctx(), "web", fields("Example.TEST", {"www.example.test", "example.test"}));
  REQUIRE(draft);
  CHECK(draft->status == vault::CertStatus::Draft);
  CHECK(draft->domain == "example.test");
  CHECK(draft->sans == std::vector<std::string>{"www.example.test"});  // duplicate of domain dropped
  CHECK_FALSE(draft->has_key);

  auto premature = lifecycle::issue(fx.ctx(), "web", {});
  REQUIRE_FALSE(premature);
  CHECK(premature.error().category() == Category::State);
  CHECK_THAT(premature.error().message(), Catch::Contains("certctl csr web"));

  auto pending = lifecycle::make_csr(fx.ctx(), "web");
  REQUIRE(pending);
  CHECK(pending->status == vault::CertStatus::Pending);
  CHECK(pending->version == 1);

  auto active = lifecycle::issue(fx.ctx(), "web", {});
  REQUIRE(active);
  CHECK(active->status == vault::CertStatus::Active);
  REQUIRE(active->cert);
  CHECK(active->cert->not_after == fx.clock.now() + 90 * 86400);
  CHECK(active->cert->issuer == "CN=test CA Intermediate 1");  // the intermediate signs leaves
  CHECK(active->issued_by == "local");
  CHECK_FALSE(active->cert->serial_hex.empty());

  // What is on disk verifies against the local root.
  auto cert = lifecycle::read_pem(fx.ctx(), *active, 1, lifecycle::PemKind::Cert);
  auto root = ca::local_ca_root_pem(fx.vault);
  REQUIRE(cert);
  REQUIRE(root);
  auto leaf = crypto::parse_certificates(cert->view(), "cert");
  auto roots = crypto::parse_certificates(*root, "root");
  auto chain = lifecycle::read_pem(fx.ctx(), *active, 1, lifecycle::PemKind::Chain);
  REQUIRE(chain);
  auto inter = crypto::parse_certificates(chain->view(), "chain");
  REQUIRE(inter);
  CHECK_FALSE(crypto::verify_against_roots(leaf->front(), {}, *roots, fx.clock.now(), "chain"));
  REQUIRE(crypto::verify_against_roots(leaf->front(), *inter, *roots, fx.clock.now(), "chain"));
}

TEST_CASE("new names for an issued record take effect with its next certificate, with a new key", "[lifecycle]") {
  Fixture fx;
  const vault::Record first = fx.issued("web", "example.test");
  auto e = lifecycle::edit(fx.ctx(), "web", fields("example.test", {"api.example.test"}), {});
  REQUIRE(e);
  CHECK(e->identity_pending);
  CHECK_FALSE(e->csr_discarded);
  // Nothing issued: the same version and certificate, still active.
  CHECK(e->record.version == 1);
  CHECK(e->record.status == vault::CertStatus::Active);
  CHECK(e->record.cert->serial_hex == first.cert->serial_hex);

  auto second = lifecycle::issue(fx.ctx(), "web", {});
  REQUIRE(second);
  CHECK(second->version == 2);
  auto pem = lifecycle::read_pem(fx.ctx(), *second, 2, lifecycle::PemKind::Cert);
  REQUIRE(pem);
  const auto info = crypto::parse_certificates(pem->view(), "cert")->front().info();
  CHECK(info.dns_names == std::vector<std::string>{"example.test", "api.example.test"});
  auto k1 = lifecycle::read_pem(fx.ctx(), *second, 1, lifecycle::PemKind::Key);
  auto k2 = lifecycle::read_pem(fx.ctx(), *second, 2, lifecycle::PemKind::Key);
  REQUIRE(k1);
  REQUIRE(k2);
  CHECK(k1->view() != k2->view());

  // With names unchanged, a re-issue keeps the key (the CSR still matches the record).
  auto third = lifecycle::issue(fx.ctx(), "web", {});
  REQUIRE(third);
  auto k3 = lifecycle::read_pem(fx.ctx(), *third, 3, lifecycle::PemKind::Key);
  REQUIRE(k3);
  CHECK(k3->view() == k2->view());
}

TEST_CASE("edit stores settings without issuing; a revoked record refuses changes", "[lifecycle]") {
  Fixture fx;
  const vault::Record first = fx.issued("web", "example.test");
  lifecycle::RecordFields f;
  f.renew_days = 10;
  lifecycle::SettingsOverride s;
  s.webroot = "/srv/www";
  s.deploy_hook = "systemctl reload nginx";
  s.fallback = std::vector<std::string>{"local"};
  auto e = lifecycle::edit(fx.ctx(), "web", f, s);
  REQUIRE(e);
  CHECK_FALSE(e->identity_pending);
  auto r = fx.vault.load("web");
  REQUIRE(r);
  CHECK(r->renew_days == 10);
  CHECK(r->settings.webroot == "/srv/www");
  CHECK(r->settings.deploy_hook == "systemctl reload nginx");
  CHECK(r->settings.fallback == std::vector<std::string>{"local"});
  CHECK(r->version == first.version);
  CHECK(r->cert->serial_hex == first.cert->serial_hex);

  const std::string before = test::tree_digest(fx.vault.describe());
  lifecycle::SettingsOverride bad;
  bad.fallback = std::vector<std::string>{"no-such-ca"};
  auto refused = lifecycle::edit(fx.ctx(), "web", {}, bad);
  REQUIRE_FALSE(refused);
  bad = {};
  bad.dns = "no-such-provider";
  refused = lifecycle::edit(fx.ctx(), "web", {}, bad);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().text(), Catch::Contains("no-such-provider"));
  CHECK(test::tree_digest(fx.vault.describe()) == before);

  REQUIRE(lifecycle::revoke(fx.ctx(), "web", 0));
  auto revoked = lifecycle::edit(fx.ctx(), "web", {}, s);
  REQUIRE_FALSE(revoked);
  CHECK(revoked.error().category() == Category::State);
}

TEST_CASE("an imported record is put under management with --ca and then issued here", "[lifecycle]") {
  Fixture fx;
  const vault::Record a = fx.issued("a", "a.example.test");
  REQUIRE(fs::write_file_atomic(fx.dir.file("a.pem"), lifecycle::read_pem(fx.ctx(), a, 1, lifecycle::PemKind::Cert)->view()));
  REQUIRE(fs::write_file_atomic(fx.dir.file("a.key"), lifecycle::read_pem(fx.ctx(), a, 1, lifecycle::PemKind::Key)->view()));
  lifecycle::ImportRequest req;
  req.cert_file = fx.dir.file("a.pem");
  req.key_file = fx.dir.file("a.key");
  REQUIRE(lifecycle::import_certificate(fx.ctx(), "imp", req));

  // Not issued here yet: issue, csr and settings say how to take it over.
  auto issued = lifecycle::issue(fx.ctx(), "imp", {});
  REQUIRE_FALSE(issued);
  CHECK_THAT(issued.error().message(), Catch::Contains("certctl edit imp --ca"));
  auto csr = lifecycle::make_csr(fx.ctx(), "imp");
  REQUIRE_FALSE(csr);
  CHECK_THAT(csr.error().message(), Catch::Contains("certctl edit imp --ca"));
  lifecycle::SettingsOverride s;
  s.webroot = "/srv/www";
  auto settings_only = lifecycle::edit(fx.ctx(), "imp", {}, s);
  REQUIRE_FALSE(settings_only);
  CHECK(settings_only.error().category() == Category::State);

  lifecycle::RecordFields f;
  f.ca = "local";
  auto e = lifecycle::edit(fx.ctx(), "imp", f, s);
  REQUIRE(e);
  CHECK(e->taken_over);
  CHECK(e->record.source == vault::Source::Managed);
  CHECK(e->record.ca == "local");
  CHECK(e->record.settings.webroot == "/srv/www");
  CHECK_FALSE(e->record.ari.cert_id.empty());

  auto renewed = lifecycle::issue(fx.ctx(), "imp", {});
  if (!renewed) FAIL(renewed.error().text());
  CHECK(renewed->version == 2);
  CHECK(renewed->issued_by == "local");
  auto k1 = lifecycle::read_pem(fx.ctx(), *renewed, 1, lifecycle::PemKind::Key);
  auto k2 = lifecycle::read_pem(fx.ctx(), *renewed, 2, lifecycle::PemKind::Key);
  REQUIRE(k1);
  REQUIRE(k2);
  CHECK(k1->view() != k2->view());
}

TEST_CASE("editing names of a pending record discards its CSR", "[lifecycle]") {
  Fixture fx;
  REQUIRE(lifecycle::create(fx.ctx(), "web", fields("example.test")));
  REQUIRE(lifecycle::make_csr(fx.ctx(), "web"));
  auto e = lifecycle::edit(fx.ctx(), "web", fields("example.test", {"api.example.test"}), {});
  REQUIRE(e);
  CHECK(e->csr_discarded);
  CHECK(e->record.status == vault::CertStatus::Draft);
  CHECK_FALSE(e->record.has_csr);
  CHECK_FALSE(fs::exists(fx.vault.where(vault::Layout::version_dir("web", 1))));
}

TEST_CASE("issuing again keeps the key and moves the old version to history", "[lifecycle]") {
  Fixture fx;
  auto first = fx.issued("web", "example.test");
  fx.clock.set(fx.clock.now() + 86400);
  auto second = lifecycle::issue(fx.ctx(), "web", {});
  REQUIRE(second);
  CHECK(second->version == 2);
  REQUIRE(second->history.size() == 1);
  CHECK(second->history[0].version == 1);
  CHECK(second->history[0].serial_hex == first.cert->serial_hex);
  CHECK(second->cert->serial_hex != first.cert->serial_hex);
  auto k1 = lifecycle::read_pem(fx.ctx(), *second, 1, lifecycle::PemKind::Key);
  auto k2 = lifecycle::read_pem(fx.ctx(), *second, 2, lifecycle::PemKind::Key);
  REQUIRE(k1);
  REQUIRE(k2);
  CHECK(k1->view() == k2->view());
  auto old = lifecycle::read_pem(fx.ctx(), *second, 1, lifecycle::PemKind::Cert);
  REQUIRE(old);
  CHECK(crypto::parse_certificates(old->view(), "old")->front().info().serial_hex == first.cert->serial_hex);
  auto none = lifecycle::resolve_version(*second, 7);
  REQUIRE_FALSE(none);
  CHECK(none.error().category() == Category::NotFound);
}

TEST_CASE("a mismatched import fails and leaves the vault byte-for-byte unchanged", "[lifecycle]") {
  Fixture fx;
  fx.issued("a", "a.example.test");
  fx.issued("b", "b.example.test");
  // a's certificate with b's key, written out as files.
  auto a = *fx.vault.load("a");
  auto b = *fx.vault.load("b");
  REQUIRE(fs::write_file_atomic(fx.dir.file("a.pem"), lifecycle::read_pem(fx.ctx(), a, 1, lifecycle::PemKind::Cert)->view()));
  REQUIRE(fs::write_file_atomic(fx.dir.file("b.key"), lifecycle::read_pem(fx.ctx(), b, 1, lifecycle::PemKind::Key)->view()));
  const std::string before = test::tree_digest(fx.vault.describe());
  lifecycle::ImportRequest req;
  req.cert_file = fx.dir.file("a.pem");
  req.key_file = fx.dir.file("b.key");
  auto r = lifecycle::import_certificate(fx.ctx(), "imported", req);
  REQUIRE_FALSE(r);
  CHECK(r.error().category() == Category::Input);
  CHECK(r.error().subject() == req.key_file);
  CHECK(test::tree_digest(fx.vault.describe()) == before);

  REQUIRE(fs::write_file_atomic(fx.dir.file("a.key"), lifecycle::read_pem(fx.ctx(), a, 1, lifecycle::PemKind::Key)->view()));
  req.key_file = fx.dir.file("a.key");
  auto good = lifecycle::import_certificate(fx.ctx(), "imported", req);
  REQUIRE(good);
  CHECK(good->source == vault::Source::Imported);
  CHECK(good->cert->serial_hex == a.cert->serial_hex);
  CHECK(good->domain == "a.example.test");
  auto dup = lifecycle::import_certificate(fx.ctx(), "imported", req);
  REQUIRE_FALSE(dup);
  CHECK(dup.error().category() == Category::State);
}

TEST_CASE("external CSR: issue works, PKCS#12 is refused with the reason", "[lifecycle]") {
  Fixture fx;
  auto key = crypto::PrivateKey::generate(crypto::KeyType::Ec256);
  crypto::CsrRequest creq;
  creq.subject.cn = "ext.example.test";
  creq.dns_names = {"ext.example.test"};
  auto csr = crypto::make_csr(*key, creq);
  REQUIRE(fs::write_file_atomic(fx.dir.file("ext.csr"), *csr));
  REQUIRE(lifecycle::create(fx.ctx(), "ext", fields("ext.example.test", {"www.ext.example.test"})));
  auto mismatch = lifecycle::adopt_csr(fx.ctx(), "ext", fx.dir.file("ext.csr"));
  REQUIRE_FALSE(mismatch);
  CHECK_THAT(mismatch.error().message(), Catch::Contains("www.ext.example.test"));
  lifecycle::RecordFields only;
  only.sans = std::vector<std::string>{};
  REQUIRE(lifecycle::edit(fx.ctx(), "ext", only, {}));
  auto adopted = lifecycle::adopt_csr(fx.ctx(), "ext", fx.dir.file("ext.csr"));
  REQUIRE(adopted);
  CHECK(adopted->source == vault::Source::ExternalCsr);
  REQUIRE(lifecycle::issue(fx.ctx(), "ext", {}));
  lifecycle::PfxRequest p;
  p.out = fx.dir.file("ext.pfx");
  auto pfx = lifecycle::export_pfx(fx.ctx(), "ext", p);
  REQUIRE_FALSE(pfx);
  CHECK(pfx.error().category() == Category::State);
  CHECK_FALSE(fs::exists(p.out));
}

TEST_CASE("export-pfx generates a password once and writes a 0600 file", "[lifecycle]") {
  Fixture fx;
  fx.issued("web", "example.test");
  lifecycle::PfxRequest p;
  p.out = fx.dir.file("web.pfx");
  auto r = lifecycle::export_pfx(fx.ctx(), "web", p);
  REQUIRE(r);
  CHECK(r->generated_password.size() == 24);
  struct stat st {};
  ::stat(p.out.c_str(), &st);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("delete removes the record and its versions", "[lifecycle]") {
  Fixture fx;
  fx.issued("web", "example.test");
  REQUIRE(lifecycle::remove(fx.ctx(), "web"));
  CHECK_FALSE(fs::exists(fx.vault.where(vault::Layout::record_dir("web"))));
  auto again = lifecycle::remove(fx.ctx(), "web");
  REQUIRE_FALSE(again);
  CHECK(again.error().category() == Category::NotFound);
}

TEST_CASE("create validates before writing anything", "[lifecycle]") {
  Fixture fx;
  const std::string before = test::tree_digest(fx.vault.describe());
  auto bad_domain = lifecycle::create(fx.ctx(), "x", fields("foo.*.example"));
  CHECK(bad_domain.error().category() == Category::Input);
  lifecycle::RecordFields kt = fields("ok.example");
  kt.key_type = "dsa1024";
  auto bad_kt = lifecycle::create(fx.ctx(), "x", kt);
  CHECK(bad_kt.error().category() == Category::Input);
  lifecycle::RecordFields ca = fields("ok.example");
  ca.ca = "nowhere";
  CHECK(lifecycle::create(fx.ctx(), "x", ca).error().category() == Category::NotFound);
  lifecycle::RecordFields c = fields("ok.example");
  c.c = "Germany";
  CHECK(lifecycle::create(fx.ctx(), "x", c).error().category() == Category::Input);
  CHECK(lifecycle::create(fx.ctx(), "../x", fields("ok.example")).error().category() == Category::Usage);
  CHECK(test::tree_digest(fx.vault.describe()) == before);
}

TEST_CASE("a rate-limited record is not retried before the CA's time, but falls back", "[lifecycle]") {
  Fixture fx;
  fx.issued("web", "example.test");
  auto r = *fx.vault.load("web");
  r.status = vault::CertStatus::Error;
  r.last_problem = "rateLimited";
  r.retry_after = fx.clock.now() + 3600;
  REQUIRE(fx.vault.save(r));
  auto refused = lifecycle::issue(fx.ctx(), "web", {});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().category() == Category::Ca);
  CHECK_THAT(refused.error().message(), Catch::Contains(format_rfc3339(r.retry_after)));
  CHECK(fx.vault.load("web")->version == 1);  // nothing was issued

  fx.clock.set(fx.clock.now() + 3601);
  auto later = lifecycle::issue(fx.ctx(), "web", {});
  REQUIRE(later);
  CHECK(later->status == vault::CertStatus::Active);
  CHECK(later->last_problem.empty());
  CHECK(later->retry_after == 0);
}

TEST_CASE("issue_many issues each record and reports each failure on its own", "[lifecycle]") {
  Fixture fx;
  for (const char* n : {"a", "b", "c"}) {
    REQUIRE(lifecycle::create(fx.ctx(), n, fields(std::string(n) + ".example.test")));
    REQUIRE(lifecycle::make_csr(fx.ctx(), n));
  }
  REQUIRE(lifecycle::create(fx.ctx(), "draft", fields("draft.example.test")));
  auto results = lifecycle::issue_many(fx.ctx(), {"a", "draft", "b", "missing", "c"}, {}, 3);
  REQUIRE(results.size() == 5);
  CHECK(results[0]);
  CHECK(results[2]);
  CHECK(results[4]);
  REQUIRE_FALSE(results[1]);
  CHECK(results[1].error().category() == Category::State);
  REQUIRE_FALSE(results[3]);
  CHECK(results[3].error().category() == Category::NotFound);
  for (const char* n : {"a", "b", "c"}) CHECK(fx.vault.load(n)->status == vault::CertStatus::Active);
  CHECK(results[0]->cert->serial_hex != results[2]->cert->serial_hex);
}

TEST_CASE("issue_many from the local CA makes no challenge solver: a busy http-01 port does not matter",
          "[lifecycle]") {
  Fixture fx;
  int busy = 0;
  UniqueFd taken = test::occupy_port(&busy);  // 127.0.0.1:busy, listening
  lifecycle::IssueRequest req;
  req.settings.http_address = "127.0.0.1";
  req.settings.http_port = busy;
  for (const char* n : {"a", "b"}) {
    REQUIRE(lifecycle::create(fx.ctx(), n, fields(std::string(n) + ".example.test")));
    REQUIRE(lifecycle::make_csr(fx.ctx(), n));
  }
  // Two records: a batch, whose solvers are shared; the local CA needs none.
  auto results = lifecycle::issue_many(fx.ctx(), {"a", "b"}, req, 2);
  REQUIRE(results.size() == 2);
  for (const auto& r : results) CHECK((r ? std::string() : r.error().text()) == "");
}

TEST_CASE("issue_many reports each record's orders ending as N of M", "[lifecycle]") {
  Fixture fx;
  for (const char* n : {"a", "b", "c"}) {
    REQUIRE(lifecycle::create(fx.ctx(), n, fields(std::string(n) + ".example.test")));
    REQUIRE(lifecycle::make_csr(fx.ctx(), n));
  }
  std::vector<std::tuple<std::string, std::size_t, std::size_t>> seen;
  lifecycle::IssueRequest req;
  req.order_progress = [&](const std::string& name, std::size_t done, std::size_t total) {
    seen.emplace_back(name, done, total);
  };
  auto results = lifecycle::issue_many(fx.ctx(), {"a", "b", "missing", "c"}, req, 2);
  REQUIRE(seen.size() == 3);  // the missing record is never ordered
  std::set<std::string> names;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    CHECK(std::get<1>(seen[i]) == i + 1);
    CHECK(std::get<2>(seen[i]) == 3);
    names.insert(std::get<0>(seen[i]));
  }
  CHECK(names == std::set<std::string>{"a", "b", "c"});
}
