// The local CA over years: extensions of its roots and intermediates, rotation, the migration
// of a vault made before intermediates, the state file, and openssl's own enforcement of the
// name constraints certctl writes.
#include <catch2/catch.hpp>

#include <certctl/ca.hpp>
#include <certctl/crypto.hpp>
#include <certctl/fs.hpp>
#include <certctl/lifecycle.hpp>

#include "ca/local_ca_state.hpp"
#include "lifecycle/internal.hpp"
#include "vault_context.hpp"

#include <openssl/x509v3.h>

#include <cstdio>
#include <fstream>

using namespace certctl;

namespace {

constexpr long kDay = 86400;

template <class T>
T need(Result<T> r) {
  if (!r) FAIL(r.error().text());
  return std::move(r).value();
}

struct Fixture : test::VaultContext {
  vault::Record issued(const std::string& name, const std::string& domain) {
    lifecycle::RecordFields f;
    f.domain = domain;
    need(lifecycle::create(ctx(), name, f));
    need(lifecycle::make_csr(ctx(), name));
    return need(lifecycle::issue(ctx(), name, {}));
  }
  std::vector<crypto::Certificate> pem(const vault::Record& r, lifecycle::PemKind kind) {
    auto p = need(lifecycle::read_pem(ctx(), r, r.version, kind));
    return need(crypto::parse_certificates(p.view(), "pem"));
  }
  std::vector<crypto::Certificate> roots(bool all) {
    const std::string p = need(all ? ca::local_ca_roots_pem(vault, clock.now()) : ca::local_ca_root_pem(vault));
    return need(crypto::parse_certificates(p, "roots"));
  }
  /// The record's certificate verifies with its stored chain against `trusted`.
  bool verifies(const vault::Record& r, const std::vector<crypto::Certificate>& trusted) {
    return static_cast<bool>(crypto::verify_against_roots(pem(r, lifecycle::PemKind::Cert).front(),
                                                          pem(r, lifecycle::PemKind::Chain), trusted, clock.now(), "leaf"));
  }
  std::vector<std::tuple<ca::LocalCaKind, int, ca::LocalCaState>> listing() {
    std::vector<std::tuple<ca::LocalCaKind, int, ca::LocalCaState>> out;
    for (const auto& c : need(ca::local_ca_list(vault, clock.now()))) out.emplace_back(c.kind, c.id, c.state);
    return out;
  }
};

std::vector<crypto::Certificate> one(const crypto::Certificate& c) {
  std::vector<crypto::Certificate> v;
  v.push_back(c.clone());
  return v;
}

using K = ca::LocalCaKind;
using S = ca::LocalCaState;

}  // namespace

TEST_CASE("local CA init: a constrained root (pathlen 1) and an intermediate (pathlen 0) that signs leaves", "[local-ca]") {
  Fixture fx;
  lifecycle::LocalCaRequest req{"test CA", "ec256", 3650, 0, {}, {}};
  req.permit = {"Example.Internal", "10.0.0.0/8", "fd00::/8", "192.0.2.7"};
  req.exclude = {"bad.example.internal"};
  need(lifecycle::init_local_ca(fx.ctx(), req));
  const auto certs = need(ca::local_ca_list(fx.vault, fx.clock.now()));
  REQUIRE(certs.size() == 2);
  const std::vector<std::string> permitted{"example.internal", "10.0.0.0/8", "fd00::/8", "192.0.2.7/32"};
  for (const auto& c : certs) {
    CHECK(c.constraints.is_ca);
    CHECK(c.constraints.name_constraints_critical);
    CHECK(c.constraints.permitted == permitted);
    CHECK(c.constraints.excluded == std::vector<std::string>{"bad.example.internal"});
    CHECK(c.state == S::Current);
  }
  CHECK(certs[0].kind == K::Root);
  CHECK(certs[0].constraints.path_len == 1);
  CHECK(certs[0].info.subject_dn == "CN=test CA");
  CHECK(certs[0].info.not_after == fx.clock.now() + 3650 * kDay);
  CHECK(certs[1].kind == K::Intermediate);
  CHECK(certs[1].constraints.path_len == 0);
  CHECK(certs[1].info.subject_dn == "CN=test CA Intermediate 1");
  CHECK(certs[1].info.not_after == fx.clock.now() + 1095 * kDay);
  // Key usages: certificate and CRL signing only, critical.
  auto root = fx.roots(false);
  CHECK((X509_get_key_usage(root.front().get()) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  CHECK((X509_get_key_usage(root.front().get()) & KU_DIGITAL_SIGNATURE) == 0);
  CHECK(X509_get_ext_by_critical(root.front().get(), 1, -1) >= 0);

  const vault::Record web = fx.issued("web", "www.example.internal");
  CHECK(web.cert->issuer == "CN=test CA Intermediate 1");
  const auto chain = fx.pem(web, lifecycle::PemKind::Chain);
  REQUIRE(chain.size() == 1);  // the intermediate, not the root
  CHECK(chain.front().info().subject_dn == "CN=test CA Intermediate 1");
  CHECK(fx.verifies(web, root));
  CHECK(need(ca::local_ca_current_issuer(fx.vault)) == "CN=test CA Intermediate 1");

  SECTION("a name outside the constraints is refused (exit 7) and nothing is issued") {
    for (const char* name : {"www.example.com", "bad.example.internal", "x.bad.example.internal"}) {
      lifecycle::RecordFields f;
      f.domain = name;
      need(lifecycle::create(fx.ctx(), "out", f));
      need(lifecycle::make_csr(fx.ctx(), "out"));
      auto r = lifecycle::issue(fx.ctx(), "out", {});
      REQUIRE_FALSE(r);
      CHECK(r.error().category() == Category::Ca);
      CHECK_THAT(r.error().message(), Catch::Contains(std::string("'") + name + "'"));
      CHECK_FALSE(need(fx.vault.load("out")).has_cert);
      REQUIRE(lifecycle::remove(fx.ctx(), "out"));
    }
  }
  SECTION("bad constraints are usage errors naming the option, and make nothing") {
    Fixture other;
    for (auto [permit, exclude] : {std::pair<std::string, std::string>{"not a name!", ""}, {"10.0.0.0/33", ""},
                                   {"*.example.internal", ""}, {"", "1.2.3.4/40"}}) {
      lifecycle::LocalCaRequest bad{"test CA", "ec256", 3650, 0, {}, {}};
      if (!permit.empty()) bad.permit = {permit};
      if (!exclude.empty()) bad.exclude = {exclude};
      auto r = lifecycle::init_local_ca(other.ctx(), bad);
      REQUIRE_FALSE(r);
      CHECK(r.error().category() == Category::Usage);
      CHECK(r.error().subject() == (permit.empty() ? "--exclude" : "--permit"));
      CHECK_FALSE(ca::local_ca_exists(other.vault));
    }
    lifecycle::LocalCaRequest longer{"test CA", "ec256", 30, 0, {}, {}};
    longer.intermediate_days = 31;
    auto r = lifecycle::init_local_ca(other.ctx(), longer);
    REQUIRE_FALSE(r);
    CHECK(r.error().subject() == "--intermediate-days");
  }
}

TEST_CASE("local CA rotate: intermediate, then root; overlap; renew moves records to the new chain", "[local-ca]") {
  Fixture fx;
  need(lifecycle::init_local_ca(fx.ctx(), {"test CA", "ec256", 3650, 0, {}, {}}));
  const vault::Record a = fx.issued("a", "a.example.test");
  const auto root1 = fx.roots(false);

  ca::LocalCaRotate inter;
  inter.overlap_days = 10;
  const auto made = need(lifecycle::rotate_local_ca(fx.ctx(), inter));
  REQUIRE(made.size() == 1);
  CHECK(made[0].info.subject_dn == "CN=test CA Intermediate 2");
  CHECK(made[0].constraints.path_len == 0);
  CHECK(fx.listing() == decltype(fx.listing()){{K::Root, 1, S::Current}, {K::Intermediate, 1, S::Retiring}, {K::Intermediate, 2, S::Current}});
  CHECK(need(ca::local_ca_current_issuer(fx.vault)) == "CN=test CA Intermediate 2");
  const vault::Record b = fx.issued("b", "b.example.test");
  CHECK(b.cert->issuer == "CN=test CA Intermediate 2");
  CHECK(fx.verifies(a, root1));  // the old chain keeps verifying
  CHECK(fx.verifies(b, root1));

  // Renew: a (old intermediate) is due with the rotation as its reason; b is not.
  const std::string current = need(ca::local_ca_current_issuer(fx.vault));
  CHECK_THAT(lifecycle::detail::due_reason(need(fx.vault.load("a")), fx.clock.now(), false, current),
             Catch::Contains("the local CA rotated"));
  CHECK(lifecycle::detail::due_reason(need(fx.vault.load("b")), fx.clock.now(), false, current).empty());
  CHECK(lifecycle::detail::due_reason(need(fx.vault.load("a")), fx.clock.now(), false, "").empty());
  lifecycle::RenewRequest rr;
  auto report = need(lifecycle::renew(fx.ctx(), rr));
  REQUIRE(report.items.size() == 1);
  CHECK(report.items[0].name == "a");
  CHECK(report.items[0].outcome == lifecycle::RenewOutcome::Renewed);
  const vault::Record a2 = need(fx.vault.load("a"));
  CHECK(a2.cert->issuer == "CN=test CA Intermediate 2");
  CHECK(fx.verifies(a2, root1));

  // After the overlap the old intermediate reads as retired.
  fx.clock.set(fx.clock.now() + 11 * kDay);
  CHECK(std::get<2>(fx.listing()[1]) == S::Retired);

  ca::LocalCaRotate root;
  root.root = true;
  root.overlap_days = 30;
  const auto made2 = need(lifecycle::rotate_local_ca(fx.ctx(), root));
  REQUIRE(made2.size() == 2);
  CHECK(made2[0].info.subject_dn == "CN=test CA Root 2");
  CHECK(made2[0].constraints.path_len == 1);
  CHECK(made2[1].info.subject_dn == "CN=test CA Intermediate 3");
  CHECK(fx.listing() == decltype(fx.listing()){{K::Root, 1, S::Retiring},
                                               {K::Intermediate, 1, S::Retired},
                                               {K::Intermediate, 2, S::Retiring},
                                               {K::Root, 2, S::Current},
                                               {K::Intermediate, 3, S::Current}});
  const auto both = fx.roots(true);
  REQUIRE(both.size() == 2);
  CHECK(both[0].info().subject_dn == "CN=test CA Root 2");  // the current root first
  const vault::Record c = fx.issued("c", "c.example.test");
  CHECK(fx.verifies(c, both));
  CHECK(fx.verifies(a2, both));
  CHECK_FALSE(fx.verifies(c, root1));
  report = need(lifecycle::renew(fx.ctx(), rr));
  CHECK(report.items.size() == 2);  // a and b, not c
  for (const char* n : {"a", "b"}) CHECK(need(fx.vault.load(n)).cert->issuer == "CN=test CA Intermediate 3");
  fx.clock.set(fx.clock.now() + 31 * kDay);
  CHECK(fx.roots(true).size() == 1);

  SECTION("the CRL is signed by the current intermediate; --all gives one per CA not retired") {
    const std::string crl = need(ca::local_ca_crl(fx.vault, fx.clock.now()));
    CHECK_THAT(crl, Catch::Contains("BEGIN X509 CRL"));
    const std::string all = need(ca::local_ca_crl(fx.vault, fx.clock.now(), 7, true));
    std::size_t n = 0;
    for (auto p = all.find("BEGIN X509 CRL"); p != std::string::npos; p = all.find("BEGIN X509 CRL", p + 1)) ++n;
    CHECK(n == 2);  // root 2 and intermediate 3
  }
  SECTION("an intermediate may not outlive its root") {
    ca::LocalCaRotate longer;
    longer.days = 4000;
    auto r = lifecycle::rotate_local_ca(fx.ctx(), longer);
    REQUIRE_FALSE(r);
    CHECK(r.error().category() == Category::Usage);
    CHECK(r.error().subject() == "--days");
  }
}

TEST_CASE("a vault made before intermediates keeps working and rotate --intermediate migrates it", "[local-ca]") {
  Fixture fx;
  // The old layout: ca/local/root.pem (no pathlen) and key.enc, no state file.
  auto key = need(crypto::PrivateKey::generate(crypto::KeyType::Ec256));
  crypto::Subject subject;
  subject.cn = "old CA";
  crypto::IssueParams p;
  p.not_before = fx.clock.now() - 300;
  p.not_after = fx.clock.now() + 3650 * kDay;
  p.is_ca = true;
  const auto old_root = need(crypto::make_self_signed_ca(key, subject, p));
  CHECK(crypto::ca_constraints(old_root).path_len == -1);
  const std::string root_key = vault::Layout::ca_file("local", "root.pem");
  REQUIRE(fx.vault.store().put(vault::Layout::ca_file("local", "key.enc"), need(fx.vault.seal("ca/local", key.to_pem()))));
  REQUIRE(fx.vault.store().put(root_key, old_root.to_pem()));
  REQUIRE(ca::local_ca_exists(fx.vault));

  const vault::Record a = fx.issued("a", "a.example.test");
  CHECK(a.cert->issuer == "CN=old CA");
  CHECK(fx.pem(a, lifecycle::PemKind::Chain).front().info().subject_dn == "CN=old CA");  // chain: the root, as before
  CHECK(fx.listing() == decltype(fx.listing()){{K::Root, 1, S::Current}});
  CHECK(need(ca::local_ca_current_issuer(fx.vault)) == "CN=old CA");
  CHECK(lifecycle::renew(fx.ctx(), {})->items.empty());  // nothing rotated: nothing due
  CHECK(need(ca::local_ca_crl(fx.vault, fx.clock.now())).find("BEGIN X509 CRL") != std::string::npos);
  need(lifecycle::revoke(fx.ctx(), "a", 1));
  const vault::Record a_revoked = need(fx.vault.load("a"));
  CHECK(a_revoked.status == vault::CertStatus::Revoked);
  const vault::Record b = fx.issued("b", "b.example.test");

  const auto made = need(lifecycle::rotate_local_ca(fx.ctx(), {}));
  REQUIRE(made.size() == 1);
  CHECK(made[0].info.subject_dn == "CN=old CA Intermediate 1");
  CHECK(made[0].parent == 1);
  // The root's files are untouched; the state file names them.
  CHECK(need(fx.vault.store().get(root_key, fs::kMaxFileSize))->data == old_root.to_pem());
  const auto state = need(fx.vault.store().get(vault::Layout::ca_file("local", "state.txt"), fs::kMaxFileSize));
  CHECK(state->data == "certctl-local-ca 1\ncn old CA\nroot 1 0 legacy\nintermediate 1 0 1\n");
  CHECK(fx.listing() == decltype(fx.listing()){{K::Root, 1, S::Current}, {K::Intermediate, 1, S::Current}});
  const vault::Record c = fx.issued("c", "c.example.test");
  CHECK(c.cert->issuer == "CN=old CA Intermediate 1");
  CHECK(fx.verifies(b, one(old_root)));
  CHECK(fx.verifies(c, one(old_root)));
  // renew moves b (signed by the root itself); the revoked a stays revoked.
  auto report = need(lifecycle::renew(fx.ctx(), {}));
  REQUIRE(report.items.size() == 1);
  CHECK(report.items[0].name == "b");
  CHECK(need(fx.vault.load("b")).cert->issuer == "CN=old CA Intermediate 1");
  CHECK(need(fx.vault.load("a")).status == vault::CertStatus::Revoked);
}

TEST_CASE("local CA state file: round trip and corrupt files", "[local-ca]") {
  using namespace ca::local;
  State s;
  s.cn = "my CA";
  s.entries = {Entry{K::Root, 1, 1'900'000'000, 0, true}, Entry{K::Intermediate, 1, 1'900'000'000, 1, false},
               Entry{K::Root, 2, 0, 0, false}, Entry{K::Intermediate, 2, 0, 2, false}};
  CHECK(need(parse_state(format_state(s), "state")) == s);
  CHECK(cert_key(s.entries[0]) == "ca/local/root.pem");
  CHECK(key_key(s.entries[0]) == "ca/local/key.enc");
  CHECK(cert_key(s.entries[3]) == "ca/local/intermediates/2.pem");
  CHECK(key_key(s.entries[2]) == "ca/local/roots/2.key.enc");
  for (const char* bad : {"", "something else\n", "certctl-local-ca 1\nroot 1 5\n",  // no current root
                          "certctl-local-ca 1\nroot 1 0\nroot 1 0\n", "certctl-local-ca 1\nroot 1 0\nintermediate 1 0 2\n",
                          "certctl-local-ca 1\nroot x 0\n", "certctl-local-ca 1\nroot 1 -5\n",
                          "certctl-local-ca 1\nroot 1 0\nintermediate 1 0 1\nintermediate 2 0 1\n"}) {
    auto r = parse_state(bad, "state.txt");
    REQUIRE_FALSE(r);
    CHECK(r.error().category() == Category::Vault);
    CHECK(r.error().subject() == "state.txt");
  }
  Fixture fx;
  need(lifecycle::init_local_ca(fx.ctx(), {"test CA", "ec256", 3650, 0, {}, {}}));
  REQUIRE(fx.vault.store().put(vault::Layout::ca_file("local", "state.txt"), "certctl-local-ca 1\n"));
  auto r = ca::local_ca_list(fx.vault, fx.clock.now());
  REQUIRE_FALSE(r);
  CHECK(r.error().category() == Category::Vault);
  // A broken local CA does not stop renew from looking at the other records.
  CHECK(lifecycle::renew(fx.ctx(), {}));
}

TEST_CASE("name constraints: matching, and openssl refuses a leaf outside them", "[local-ca]") {
  CHECK(crypto::constraint_matches("example.internal", "example.internal"));
  CHECK(crypto::constraint_matches("example.internal", "a.b.Example.Internal"));
  CHECK(crypto::constraint_matches("example.internal", "*.example.internal"));
  CHECK_FALSE(crypto::constraint_matches("example.internal", "badexample.internal"));
  CHECK_FALSE(crypto::constraint_matches("example.internal", "example.internal.com"));
  CHECK_FALSE(crypto::constraint_matches("a.example.internal", "*.example.internal"));
  CHECK(crypto::constraint_matches("10.0.0.0/8", "10.200.3.4"));
  CHECK_FALSE(crypto::constraint_matches("10.0.0.0/8", "11.0.0.1"));
  CHECK_FALSE(crypto::constraint_matches("10.0.0.0/8", "fd00::1"));
  CHECK(crypto::constraint_matches("fd00::/8", "fd12::1"));
  CHECK_FALSE(crypto::constraint_matches("10.0.0.0/8", "example.internal"));

  // A constrained CA signs a leaf for a name outside its subtree with its key in memory (what
  // certctl refuses to do); openssl verify must reject it.
  test::TempDir dir;
  auto key = need(crypto::PrivateKey::generate(crypto::KeyType::Ec256));
  crypto::Subject subject;
  subject.cn = "constrained";
  crypto::IssueParams p;
  p.not_before = std::time(nullptr) - 300;
  p.not_after = std::time(nullptr) + 30 * kDay;
  p.is_ca = true;
  p.path_len = 1;
  p.permitted = {"example.internal", "10.0.0.0/8"};
  const auto root = need(crypto::make_self_signed_ca(key, subject, p));
  auto leaf_for = [&](const std::string& name) {
    auto leaf_key = need(crypto::PrivateKey::generate(crypto::KeyType::Ec256));
    crypto::CsrRequest req;
    req.dns_names = {name};
    const auto csr = need(crypto::parse_csr(need(crypto::make_csr(leaf_key, req)), "csr"));
    crypto::IssueParams lp;
    lp.not_before = p.not_before;
    lp.not_after = p.not_after - kDay;
    return need(crypto::sign_csr(csr, root, key, lp));
  };
  auto write = [&](const std::string& file, const std::string& text) { std::ofstream(dir.file(file)) << text; };
  write("root.pem", root.to_pem());
  write("in.pem", leaf_for("www.example.internal").to_pem());
  write("out.pem", leaf_for("www.example.com").to_pem());
  auto verify = [&](const std::string& leaf) {
    const std::string cmd = "openssl verify -CAfile " + dir.file("root.pem") + " " + dir.file(leaf) + " 2>&1";
    std::string out;
    FILE* f = ::popen(cmd.c_str(), "r");
    REQUIRE(f);
    char buf[512];
    while (std::fgets(buf, sizeof buf, f)) out += buf;
    const int rc = ::pclose(f);
    return std::make_pair(rc, out);
  };
  const auto [in_rc, in_out] = verify("in.pem");
  CHECK(in_rc == 0);
  const auto [out_rc, out_out] = verify("out.pem");
  CHECK(out_rc != 0);
  CHECK_THAT(out_out, Catch::Contains("permitted subtree violation"));
}
