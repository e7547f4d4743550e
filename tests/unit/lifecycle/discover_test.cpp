#include <catch2/catch.hpp>

#include <certctl/cert_file.hpp>
#include <certctl/crypto.hpp>
#include <certctl/fs.hpp>
#include <certctl/lifecycle.hpp>

#include "vault_context.hpp"

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>

using namespace certctl;

namespace {

crypto::Subject cn(const std::string& name) {
  crypto::Subject s;
  s.cn = name;
  return s;
}

crypto::CsrRequest csr_for(const std::string& name) {
  crypto::CsrRequest r;
  r.subject = cn(name);
  r.dns_names = {name};
  return r;
}

crypto::IssueParams params(std::string serial, UnixTime not_after, bool is_ca) {
  crypto::IssueParams p;
  p.serial_hex = std::move(serial);
  p.not_before = 1'790'000'000;
  p.not_after = not_after;
  p.is_ca = is_ca;
  return p;
}

crypto::PrivateKey new_key() { return crypto::PrivateKey::generate(crypto::KeyType::Ec256).value(); }

/// A CA and leaves it signs (no vault): what servers and files hold.
struct TestPki {
  crypto::PrivateKey ca_key = new_key();
  crypto::Certificate ca = crypto::make_self_signed_ca(ca_key, cn("discover test CA"), params("0A01", 1'900'000'000, true)).value();
  int serial = 0x100;

  crypto::Certificate leaf_for(const crypto::PrivateKey& key, const std::string& name, UnixTime not_after = 1'810'000'000) {
    auto csr_pem = crypto::make_csr(key, csr_for(name));
    REQUIRE(csr_pem);
    auto csr = crypto::parse_csr(*csr_pem, "csr");
    REQUIRE(csr);
    auto c = crypto::sign_csr(*csr, ca, ca_key, params(fmt::format("{:X}", ++serial), not_after, false));
    REQUIRE(c);
    return std::move(c).value();
  }
  crypto::Certificate leaf(const std::string& name, UnixTime not_after = 1'810'000'000) {
    return leaf_for(new_key(), name, not_after);
  }
};

/// A fake network: what each place serves (DER chains), or an error.
struct FakeNet {
  std::mutex mu;
  std::map<std::string, Result<http::TlsPeer>> served;
  std::atomic<int> calls{0};

  void serve(const std::string& place, const std::vector<const crypto::Certificate*>& chain, std::string verify = "ok") {
    http::TlsPeer p;
    for (const auto* c : chain) p.chain_der.push_back(c->to_der());
    p.protocol = "TLSv1.3";
    p.verify = std::move(verify);
    std::lock_guard<std::mutex> l(mu);
    served.insert_or_assign(place, Result<http::TlsPeer>(std::move(p)));
  }
  lifecycle::TlsProbe probe() {
    return [this](const lifecycle::TlsTarget& t, std::chrono::milliseconds) -> Result<http::TlsPeer> {
      ++calls;
      std::lock_guard<std::mutex> l(mu);
      auto it = served.find(t.place());
      if (it == served.end()) return Error(Category::Network, t.place(), "cannot connect", "Connection refused");
      return it->second;
    };
  }
};

struct Fixture : test::VaultContext {
  TestPki pki;
  FakeNet net;

  Result<lifecycle::DiscoverReport> run(const std::vector<std::string>& specs, const std::string& sni = "") {
    auto targets = lifecycle::parse_tls_targets(specs, sni);
    REQUIRE(targets);
    lifecycle::DiscoverTlsRequest req;
    req.targets = *targets;
    req.parallel = 4;
    req.probe = net.probe();
    return lifecycle::discover_tls(ctx(), req);
  }
};

}  // namespace

TEST_CASE("discover tls: new, seen again, changed and failed places", "[discover]") {
  Fixture fx;
  crypto::Certificate a = fx.pki.leaf("a.example.test");
  fx.net.serve("tls://127.0.0.1:8443", {&a, &fx.pki.ca}, "self-signed certificate in certificate chain");

  auto first = fx.run({"127.0.0.1:8443", "127.0.0.1:9"});
  REQUIRE(first);
  REQUIRE(first->items.size() == 2);
  CHECK(first->items[0].outcome == lifecycle::DiscoverOutcome::New);
  CHECK(first->items[0].name == "tls-127.0.0.1-8443");
  CHECK(first->items[1].outcome == lifecycle::DiscoverOutcome::Failed);
  CHECK(first->items[1].error->category() == Category::Network);
  CHECK(first->exit_code() == 6);
  CHECK_FALSE(fx.vault.exists("tls-127.0.0.1-9"));  // a failed place makes no record

  auto r = fx.vault.load("tls-127.0.0.1-8443");
  REQUIRE(r);
  CHECK(r->source == vault::Source::Discovered);
  CHECK(r->seen_at == "tls://127.0.0.1:8443");
  CHECK(r->domain == "a.example.test");
  CHECK(r->first_seen == 1'800'000'000);
  CHECK(r->last_seen == 1'800'000'000);
  CHECK(r->version == 1);
  CHECK_FALSE(r->has_key);
  CHECK(r->has_chain);
  CHECK(r->verify_result == "self-signed certificate in certificate chain");
  CHECK(r->cert->fingerprint_sha256 == a.info().fingerprint_sha256);
  CHECK(r->linked_to.empty());
  auto pem = fx.vault.read_file(r->name, 1, "cert.pem");
  REQUIRE(pem);
  CHECK(*pem == a.to_pem());

  // The same certificate a day later: only last_seen moves.
  fx.clock.set(1'800'086'400);
  auto again = fx.run({"127.0.0.1:8443"});
  REQUIRE(again);
  CHECK(again->items[0].outcome == lifecycle::DiscoverOutcome::SeenAgain);
  CHECK(again->exit_code() == 0);
  r = fx.vault.load("tls-127.0.0.1-8443");
  CHECK(r->version == 1);
  CHECK(r->history.empty());
  CHECK(r->first_seen == 1'800'000'000);
  CHECK(r->last_seen == 1'800'086'400);

  // Another certificate at the same place: a new version, the old one to history.
  crypto::Certificate b = fx.pki.leaf("a.example.test");
  fx.net.serve("tls://127.0.0.1:8443", {&b});
  fx.clock.set(1'800'172'800);
  auto changed = fx.run({"127.0.0.1:8443"});
  REQUIRE(changed);
  CHECK(changed->items[0].outcome == lifecycle::DiscoverOutcome::Changed);
  r = fx.vault.load("tls-127.0.0.1-8443");
  CHECK(r->version == 2);
  REQUIRE(r->history.size() == 1);
  CHECK(r->history[0].fingerprint_sha256 == a.info().fingerprint_sha256);
  CHECK(r->history[0].reason == "changed");
  CHECK(r->cert->fingerprint_sha256 == b.info().fingerprint_sha256);
  CHECK_FALSE(r->has_chain);
  CHECK(r->first_seen == 1'800'172'800);
  CHECK(r->created == 1'800'000'000);
}

TEST_CASE("discover tls: a served certificate of a managed record is linked, and show finds old versions", "[discover]") {
  Fixture fx;
  REQUIRE(lifecycle::init_local_ca(fx.ctx(), lifecycle::LocalCaRequest{"test CA", "ec256", 3650}));
  lifecycle::RecordFields f;
  f.domain = "web.example.test";
  REQUIRE(lifecycle::create(fx.ctx(), "web", f));
  REQUIRE(lifecycle::make_csr(fx.ctx(), "web"));
  REQUIRE(lifecycle::issue(fx.ctx(), "web", {}));
  auto web = fx.vault.load("web");
  REQUIRE(web);
  const int v1 = web->version;
  auto v1_cert = crypto::parse_certificates(*fx.vault.read_file("web", v1, "cert.pem"), "v1");
  REQUIRE(v1_cert);
  fx.net.serve("tls://127.0.0.1:8443", {&v1_cert->front()});
  fx.net.serve("tls://127.0.0.1:8444", {&v1_cert->front()});

  auto first = fx.run({"127.0.0.1:8443"});
  REQUIRE(first);
  CHECK(first->items[0].linked_to == "web");
  CHECK(first->items[0].linked_version == v1);
  CHECK(first->items[0].linked_current);

  // Renewed: 8444 gets the new certificate, 8443 still serves the old one.
  lifecycle::IssueRequest again;
  again.renew = true;
  REQUIRE(lifecycle::issue(fx.ctx(), "web", again));
  web = fx.vault.load("web");
  const int v2 = web->version;
  REQUIRE(v2 > v1);
  auto v2_cert = crypto::parse_certificates(*fx.vault.read_file("web", v2, "cert.pem"), "v2");
  fx.net.serve("tls://127.0.0.1:8444", {&v2_cert->front()});
  auto second = fx.run({"127.0.0.1:8443", "127.0.0.1:8444"});
  REQUIRE(second);
  CHECK(second->items[0].linked_version == v1);
  CHECK_FALSE(second->items[0].linked_current);
  CHECK(second->items[1].linked_version == v2);
  CHECK(second->items[1].linked_current);

  auto served = lifecycle::served_places(fx.ctx(), *web);
  REQUIRE(served);
  REQUIRE(served->size() == 2);
  CHECK((*served)[0].place == "tls://127.0.0.1:8443");
  CHECK((*served)[0].version == v1);
  CHECK_FALSE((*served)[0].current);
  CHECK((*served)[1].current);
}

TEST_CASE("discovered records are never renewed, and issue, csr, edit, export and revoke refuse them", "[discover]") {
  Fixture fx;
  crypto::Certificate a = fx.pki.leaf("a.example.test", 1'800'100'000);  // expires in about a day
  fx.net.serve("tls://a.example.test:443", {&a});
  auto rep = fx.run({"a.example.test:443"});
  REQUIRE(rep);
  const std::string name = "tls-a.example.test-443";
  REQUIRE(rep->items[0].name == name);
  auto r = fx.vault.load(name);
  REQUIRE(r);
  CHECK(vault::renew_reason(*r, fx.clock.now(), false).empty());
  CHECK(vault::renew_reason(*r, fx.clock.now(), true).empty());

  lifecycle::RenewRequest req;
  req.notify = false;
  req.unlock = [] { return ok(); };
  auto report = lifecycle::renew(fx.ctx(), req);
  REQUIRE(report);
  CHECK(report->items.empty());
  req.names = {name};
  report = lifecycle::renew(fx.ctx(), req);
  REQUIRE(report);
  REQUIRE(report->items.size() == 1);
  CHECK(report->items[0].outcome == lifecycle::RenewOutcome::NotDue);
  CHECK_THAT(report->items[0].reason, Catch::Contains("discovered at tls://a.example.test:443"));
  CHECK(fx.vault.load(name)->version == 1);

  auto issued = lifecycle::issue(fx.ctx(), name, {});
  REQUIRE_FALSE(issued);
  CHECK(issued.error().category() == Category::State);
  CHECK(issued.error().subject() == name);
  CHECK(lifecycle::make_csr(fx.ctx(), name).error().category() == Category::State);
  CHECK(lifecycle::export_files(fx.ctx(), name, 0, fx.dir.file("out")).error().category() == Category::State);
  CHECK(lifecycle::revoke(fx.ctx(), name, 0).error().category() == Category::State);
  lifecycle::RecordFields f;
  f.renew_days = 5;
  CHECK(lifecycle::edit(fx.ctx(), name, f, {}).error().category() == Category::State);
  // No deploy target covers it, not even one for every record (an agent would fail on it).
  lifecycle::DeployTarget every;
  every.name = "all";
  every.hosts = {"web1"};
  CHECK_FALSE(every.applies_to(*r));
  CHECK_FALSE(lifecycle::has_deploy(*r, {every}));
  REQUIRE(lifecycle::remove(fx.ctx(), name));
  CHECK_FALSE(fx.vault.exists(name));
}

TEST_CASE("discover tls: a name taken by another record fails that place only", "[discover]") {
  Fixture fx;
  lifecycle::RecordFields f;
  f.domain = "x.example.test";
  REQUIRE(lifecycle::create(fx.ctx(), "tls-127.0.0.1-8443", f));
  crypto::Certificate a = fx.pki.leaf("a.example.test");
  fx.net.serve("tls://127.0.0.1:8443", {&a});
  fx.net.serve("tls://127.0.0.1:8444", {&a});
  auto rep = fx.run({"127.0.0.1:8443", "127.0.0.1:8444"});
  REQUIRE(rep);
  CHECK(rep->items[0].outcome == lifecycle::DiscoverOutcome::Failed);
  CHECK(rep->items[0].error->category() == Category::State);
  CHECK(rep->items[1].outcome == lifecycle::DiscoverOutcome::New);
  CHECK(rep->exit_code() == 9);
  CHECK(fx.vault.load("tls-127.0.0.1-8443")->source == vault::Source::Managed);
}

TEST_CASE("discover tls: SNI makes a place of its own", "[discover]") {
  Fixture fx;
  crypto::Certificate a = fx.pki.leaf("a.example.test"), b = fx.pki.leaf("b.example.test");
  fx.net.serve("tls://127.0.0.1:8443", {&a});
  fx.net.serve("tls://127.0.0.1:8443?sni=b.example.test", {&b});
  REQUIRE(fx.run({"127.0.0.1:8443"}));
  auto rep = fx.run({"127.0.0.1:8443"}, "b.example.test");
  REQUIRE(rep);
  CHECK(rep->items[0].name == "tls-127.0.0.1-8443-sni-b.example.test");
  CHECK(rep->items[0].outcome == lifecycle::DiscoverOutcome::New);
  CHECK(fx.vault.load("tls-127.0.0.1-8443-sni-b.example.test")->domain == "b.example.test");
  CHECK(fx.vault.load("tls-127.0.0.1-8443")->domain == "a.example.test");
}

TEST_CASE("discover tls targets: forms, ranges and caps", "[discover]") {
  auto t = lifecycle::parse_tls_targets({"Example.TEST:443", "[::1]:8443", "10.1.2.0/30:443", "example.test:443"}, "");
  REQUIRE(t);
  REQUIRE(t->size() == 6);  // the duplicate is dropped
  CHECK((*t)[0].place() == "tls://example.test:443");
  CHECK((*t)[0].sni == "example.test");
  CHECK((*t)[1].place() == "tls://[::1]:8443");
  CHECK((*t)[1].sni.empty());
  CHECK((*t)[2].place() == "tls://10.1.2.0:443");
  CHECK((*t)[5].place() == "tls://10.1.2.3:443");

  CHECK(lifecycle::parse_tls_targets({"10.0.0.0/20:443"}, "")->size() == 4096);
  auto big = lifecycle::parse_tls_targets({"10.0.0.0/19:443"}, "");
  REQUIRE_FALSE(big);
  CHECK(big.error().category() == Category::Usage);
  CHECK_THAT(big.error().text(), Catch::Contains("10.0.0.0/19:443"));
  auto over = lifecycle::parse_tls_targets({"10.0.0.0/20:443", "10.1.0.0/30:443"}, "");
  REQUIRE_FALSE(over);
  CHECK(over.error().category() == Category::Usage);
  for (const char* bad : {"example.test", "example.test:0", "example.test:70000", ":443", "[::1]443", "a b:443",
                          "10.0.0.0/33:443", "::1:443"}) {
    INFO(bad);
    auto r = lifecycle::parse_tls_targets({bad}, "");
    REQUIRE_FALSE(r);
    CHECK(r.error().category() == Category::Usage);
  }
  CHECK_FALSE(lifecycle::parse_tls_targets({}, ""));
  CHECK_FALSE(lifecycle::parse_tls_targets({"a.test:443"}, "bad name!"));
}

TEST_CASE("discover tls: bounds of --parallel and --timeout; every target probed once", "[discover]") {
  Fixture fx;
  lifecycle::DiscoverTlsRequest req;
  req.targets = *lifecycle::parse_tls_targets({"127.0.0.0/24:1"}, "");
  req.probe = fx.net.probe();
  req.parallel = 0;
  CHECK(lifecycle::discover_tls(fx.ctx(), req).error().category() == Category::Usage);
  req.parallel = 65;
  CHECK(lifecycle::discover_tls(fx.ctx(), req).error().category() == Category::Usage);
  req.parallel = 64;
  req.timeout = std::chrono::seconds(61);
  CHECK(lifecycle::discover_tls(fx.ctx(), req).error().category() == Category::Usage);
  req.timeout = std::chrono::seconds(1);
  auto rep = lifecycle::discover_tls(fx.ctx(), req);
  REQUIRE(rep);
  CHECK(fx.net.calls == 256);
  CHECK(rep->count(lifecycle::DiscoverOutcome::Failed) == 256);
  CHECK(rep->items[255].place == "tls://127.0.0.255:1");  // in target order
}

TEST_CASE("discover files: PEM, DER, PKCS#12 with and without a password, junk and links", "[discover]") {
  Fixture fx;
  test::TempDir tree;
  crypto::Certificate a = fx.pki.leaf("pem.example.test"), b = fx.pki.leaf("der.example.test"),
                      d = fx.pki.leaf("second.example.test");
  std::filesystem::create_directories(tree.file("sub/deeper"));
  REQUIRE(fs::write_user_file(tree.file("site.pem"), a.to_pem() + fx.pki.ca.to_pem() + d.to_pem(), 0644));
  REQUIRE(fs::write_user_file(tree.file("sub/site.der"), b.to_der(), 0644));
  REQUIRE(fs::write_user_file(tree.file("sub/deeper/trust.pem"), fx.pki.ca.to_pem() + fx.pki.ca.to_pem(), 0644));
  REQUIRE(fs::write_user_file(tree.file("junk.pem"), "not a certificate\n", 0644));
  REQUIRE(fs::write_user_file(tree.file("damaged.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", 0644));
  // A PKCS#12 holds a key and its certificate.
  crypto::PrivateKey k2 = new_key();
  crypto::Certificate p12_cert = fx.pki.leaf_for(k2, "p12.example.test");
  auto open_p12 = crypto::make_pkcs12(k2, p12_cert, {}, "x", SecretBytes::from(std::string()), false);
  REQUIRE(open_p12);
  auto locked_p12 = crypto::make_pkcs12(k2, p12_cert, {}, "x", SecretBytes::from(std::string("secret")), false);
  REQUIRE(locked_p12);
  REQUIRE(fs::write_user_file(tree.file("sub/open.p12"), *open_p12, 0644));
  REQUIRE(fs::write_user_file(tree.file("sub/locked.pfx"), *locked_p12, 0644));
  std::filesystem::create_symlink(tree.file("site.pem"), tree.file("sub/link.pem"));
  std::filesystem::create_directory_symlink(tree.path(), tree.file("sub/loop"));

  auto rep = lifecycle::discover_files(fx.ctx(), {tree.path()});
  REQUIRE(rep);
  std::map<std::string, const lifecycle::DiscoverItem*> by_place;
  for (const auto& i : rep->items) by_place[i.place] = &i;
  const std::string root = "file:" + std::filesystem::path(tree.path()).lexically_normal().string();
  REQUIRE(by_place.count(root + "/site.pem"));
  CHECK(by_place[root + "/site.pem"]->outcome == lifecycle::DiscoverOutcome::New);
  CHECK(by_place[root + "/site.pem"]->domain == "pem.example.test");
  REQUIRE(by_place.count(root + "/site.pem#2"));
  CHECK(by_place[root + "/site.pem#2"]->domain == "second.example.test");
  CHECK(by_place[root + "/sub/site.der"]->outcome == lifecycle::DiscoverOutcome::New);
  CHECK(by_place[root + "/sub/open.p12"]->domain == "p12.example.test");
  CHECK(by_place[root + "/sub/locked.pfx"]->outcome == lifecycle::DiscoverOutcome::Skipped);
  CHECK(by_place[root + "/sub/deeper/trust.pem"]->outcome == lifecycle::DiscoverOutcome::Skipped);
  CHECK(by_place[root + "/damaged.pem"]->outcome == lifecycle::DiscoverOutcome::Failed);
  CHECK(by_place[root + "/damaged.pem"]->error->category() == Category::Input);
  CHECK_FALSE(by_place.count(root + "/junk.pem"));
  CHECK_FALSE(by_place.count(root + "/sub/link.pem"));  // links are not followed
  CHECK(rep->items.size() == 7);
  CHECK(rep->exit_code() == 4);

  // The chain of the PEM's first leaf is the CA certificate after it.
  auto r = fx.vault.load(by_place[root + "/site.pem"]->name);
  REQUIRE(r);
  CHECK(r->has_chain);
  CHECK(r->name.rfind("file-", 0) == 0);
  CHECK(r->seen_at == root + "/site.pem");

  auto again = lifecycle::discover_files(fx.ctx(), {tree.path()});
  REQUIRE(again);
  CHECK(again->count(lifecycle::DiscoverOutcome::SeenAgain) == 4);
  CHECK(again->count(lifecycle::DiscoverOutcome::New) == 0);

  auto missing = lifecycle::discover_files(fx.ctx(), {tree.file("nowhere")});
  REQUIRE(missing);
  CHECK(missing->items[0].outcome == lifecycle::DiscoverOutcome::Failed);
  CHECK(missing->exit_code() == exit_code(Category::NotFound));
}

TEST_CASE("read_cert_file tells the formats apart", "[discover][crypto]") {
  TestPki pki;
  crypto::Certificate a = pki.leaf("a.example.test");
  auto pem = crypto::read_cert_file(a.to_pem(), "a.pem");
  REQUIRE(pem);
  REQUIRE(*pem);
  CHECK((*pem)->format == crypto::CertFileFormat::Pem);
  auto der = crypto::read_cert_file(a.to_der(), "a.der");
  REQUIRE(der);
  REQUIRE(*der);
  CHECK((*der)->format == crypto::CertFileFormat::Der);
  auto junk = crypto::read_cert_file(std::string("\x30\x03\x02\x01\x01", 5), "junk");
  REQUIRE(junk);
  CHECK_FALSE(*junk);
  auto key = crypto::read_cert_file(std::string(pki.ca_key.to_pem().view()), "key.pem");
  REQUIRE(key);
  CHECK_FALSE(*key);
  auto trailing = crypto::read_cert_file(a.to_der() + "x", "a.der");
  REQUIRE(trailing);
  CHECK_FALSE(*trailing);
}
