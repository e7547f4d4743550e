// The issuance policy's pure parts: every rule of evaluate(), name patterns (IDN, wildcard, IP,
// CIDR), policy.toml round trip and damaged files; and the audit listing's filter.
#include <catch2/catch.hpp>

#include <certctl/policy.hpp>
#include <certctl/vault.hpp>

#include "temp_dir.hpp"

using namespace certctl;
using vault::PolicyRule;
using vault::Severity;

namespace {

vault::Policy with(PolicyRule r, std::vector<std::string> values, Severity s = Severity::Hard) {
  vault::Policy p;
  auto st = vault::set_rule(p, r, values, "test");
  if (!st) FAIL(st.error().text());
  p[r].severity = s;
  return p;
}
vault::Policy with_number(PolicyRule r, long n, Severity s = Severity::Hard) {
  vault::Policy p;
  auto st = vault::set_rule_number(p, r, n, "test");
  if (!st) FAIL(st.error().text());
  p[r].severity = s;
  return p;
}

vault::PolicySubject subject(std::vector<std::string> names, std::string key_type = "ec256",
                             std::vector<std::string> cas = {"local"}, std::optional<int> days = 90) {
  vault::PolicySubject s;
  s.names = std::move(names);
  s.key_type = std::move(key_type);
  s.cas = std::move(cas);
  s.local_days = days;
  return s;
}

std::string normalized(PolicyRule r, std::string_view v) {
  auto n = vault::normalize_rule_value(r, v, "test");
  if (!n) FAIL(n.error().text());
  return *n;
}

}  // namespace

TEST_CASE("policy: the rule table names every rule once, in enum order", "[vault][policy]") {
  const auto& specs = vault::rule_specs();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    CHECK(static_cast<std::size_t>(specs[i].rule) == i);
    auto back = vault::parse_rule_name(specs[i].name, "x");
    REQUIRE(back);
    CHECK(*back == specs[i].rule);
  }
  auto bad = vault::parse_rule_name("name-denny", "--clear");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().category() == Category::Usage);
  CHECK_THAT(bad.error().text(), Catch::Contains("--clear") && Catch::Contains("name-deny"));
}

TEST_CASE("policy: name patterns: exact, suffix, IDN, case, wildcard, IP and CIDR", "[vault][policy]") {
  CHECK(normalized(PolicyRule::NameAllow, "Example.COM") == "example.com");
  CHECK(normalized(PolicyRule::NameAllow, ".example.com") == ".example.com");
  CHECK(normalized(PolicyRule::NameAllow, "*.Example.com") == ".example.com");
  CHECK(normalized(PolicyRule::NameAllow, ".bücher.example") == ".xn--bcher-kva.example");
  CHECK(normalized(PolicyRule::NameAllow, "10.0.0.0/8") == "10.0.0.0/8");
  CHECK(normalized(PolicyRule::NameAllow, "2001:DB8::1") == "2001:db8::1");
  for (const char* bad : {"", "exa mple.com", "*.*.example.com", "foo.*.example", "10.0.0.0/33"}) {
    INFO(bad);
    auto n = vault::normalize_rule_value(PolicyRule::NameDeny, bad, "--deny-name");
    REQUIRE_FALSE(n);
    CHECK(n.error().category() == Category::Usage);
    CHECK_THAT(n.error().text(), Catch::Contains("--deny-name"));
  }

  CHECK(vault::name_matches("example.com", "example.com"));
  CHECK(vault::name_matches("EXAMPLE.com", "example.com"));
  CHECK_FALSE(vault::name_matches("www.example.com", "example.com"));
  CHECK(vault::name_matches("www.example.com", ".example.com"));
  CHECK(vault::name_matches("a.b.example.com", ".example.com"));
  CHECK(vault::name_matches("*.example.com", ".example.com"));
  CHECK_FALSE(vault::name_matches("example.com", ".example.com"));
  CHECK_FALSE(vault::name_matches("badexample.com", ".example.com"));
  CHECK(vault::name_matches("xn--bcher-kva.example", normalized(PolicyRule::NameAllow, "bücher.example")));
  CHECK(vault::name_matches("10.1.2.3", "10.0.0.0/8"));
  CHECK_FALSE(vault::name_matches("11.1.2.3", "10.0.0.0/8"));
  CHECK(vault::name_matches("2001:db8::5", "2001:db8::/32"));
  CHECK_FALSE(vault::name_matches("2001:db9::5", "2001:db8::/32"));
  CHECK(vault::name_matches("192.0.2.1", "192.0.2.1"));
  CHECK_FALSE(vault::name_matches("192.0.2.1", ".0.2.1"));  // a DNS pattern never matches an address
  CHECK_FALSE(vault::name_matches("ten.example", "10.0.0.0/8"));
}

TEST_CASE("policy: an empty policy allows everything", "[vault][policy]") {
  CHECK(vault::evaluate(vault::Policy{}, subject({"*.anything.test", "10.0.0.1"}, "rsa2048", {"x"}, 3650)).empty());
}

TEST_CASE("policy: name-allow and name-deny", "[vault][policy]") {
  auto allow = with(PolicyRule::NameAllow, {".example.com", "example.com", "10.0.0.0/8"});
  CHECK(vault::evaluate(allow, subject({"example.com", "www.example.com", "10.2.3.4"})).empty());
  auto v = vault::evaluate(allow, subject({"www.example.com", "www.evil.test"}));
  REQUIRE(v.size() == 1);
  CHECK(v[0].rule == PolicyRule::NameAllow);
  CHECK(v[0].severity == Severity::Hard);
  CHECK(v[0].value == "www.evil.test");
  CHECK_THAT(v[0].message, Catch::Contains("www.evil.test matches no allowed pattern"));

  auto deny = with(PolicyRule::NameDeny, {".evil.test"}, Severity::Soft);
  v = vault::evaluate(deny, subject({"ok.test", "www.evil.test"}));
  REQUIRE(v.size() == 1);
  CHECK(v[0].severity == Severity::Soft);
  CHECK(v[0].message == "www.evil.test matches denied pattern .evil.test");
  CHECK(vault::evaluate(deny, subject({"evil.test"})).empty());  // the suffix is below it only
}

TEST_CASE("policy: ca-allow checks every CA an issue would try", "[vault][policy]") {
  auto p = with(PolicyRule::CaAllow, {"letsencrypt", "local"});
  CHECK(vault::evaluate(p, subject({"a.test"}, "ec256", {"letsencrypt", "local"})).empty());
  auto v = vault::evaluate(p, subject({"a.test"}, "ec256", {"letsencrypt", "zerossl"}));
  REQUIRE(v.size() == 1);
  CHECK(v[0].value == "zerossl");
  CHECK(vault::evaluate(p, subject({"a.test"}, "ec256", {})).empty());  // an import names no CA
}

TEST_CASE("policy: key types and minimum sizes", "[vault][policy]") {
  auto types = with(PolicyRule::KeyTypes, {"ec256", "RSA-3072"});
  CHECK(types[PolicyRule::KeyTypes].values == std::vector<std::string>{"ec256", "rsa3072"});
  CHECK(with(PolicyRule::KeyTypes, {"ec256,rsa-3072,", "ec256"}) == types);  // comma-separated, duplicates dropped
  auto names = vault::parse_rule_names({"name-deny,wildcard", "ca-allow"}, "--soft");
  REQUIRE(names);
  CHECK(*names == std::vector<PolicyRule>{PolicyRule::NameDeny, PolicyRule::Wildcard, PolicyRule::CaAllow});
  CHECK(vault::evaluate(types, subject({"a.test"}, "rsa3072")).empty());
  auto v = vault::evaluate(types, subject({"a.test"}, "ec384"));
  REQUIRE(v.size() == 1);
  CHECK(v[0].value == "ec384");

  auto rsa = with_number(PolicyRule::RsaMinBits, 3072);
  CHECK(vault::evaluate(rsa, subject({"a.test"}, "rsa4096")).empty());
  CHECK(vault::evaluate(rsa, subject({"a.test"}, "ec256")).empty());  // not an RSA key
  v = vault::evaluate(rsa, subject({"a.test"}, "rsa2048"));
  REQUIRE(v.size() == 1);
  CHECK_THAT(v[0].message, Catch::Contains("2048 bits, fewer than 3072"));
  CHECK(vault::evaluate(rsa, subject({"a.test"}, "rsa3000")).size() == 1);  // an imported odd size

  auto ec = with_number(PolicyRule::EcMinBits, 384);
  CHECK(vault::evaluate(ec, subject({"a.test"}, "ec256")).size() == 1);
  CHECK(vault::evaluate(ec, subject({"a.test"}, "ec384")).empty());
  CHECK(vault::evaluate(ec, subject({"a.test"}, "rsa2048")).empty());

  vault::Policy p;
  CHECK_FALSE(vault::set_rule_number(p, PolicyRule::RsaMinBits, 1024, "--min-rsa-bits"));
  CHECK_FALSE(vault::set_rule_number(p, PolicyRule::LocalMaxDays, 0, "--max-local-days"));
  CHECK_FALSE(vault::set_rule_number(p, PolicyRule::NameDeny, 5, "x"));
  CHECK_FALSE(vault::set_rule(p, PolicyRule::KeyTypes, {"dsa1024"}, "--key-types"));
  CHECK(p.empty());
}

TEST_CASE("policy: local-max-days applies only when the local CA issues", "[vault][policy]") {
  auto p = with_number(PolicyRule::LocalMaxDays, 30);
  CHECK(vault::evaluate(p, subject({"a.test"}, "ec256", {"local"}, 30)).empty());
  auto v = vault::evaluate(p, subject({"a.test"}, "ec256", {"local"}, 90));
  REQUIRE(v.size() == 1);
  CHECK(v[0].value == "90");
  CHECK(vault::evaluate(p, subject({"a.test"}, "ec256", {"letsencrypt"}, std::nullopt)).empty());
}

TEST_CASE("policy: subject-required and wildcard", "[vault][policy]") {
  auto p = with(PolicyRule::SubjectRequired, {"O", "c"});
  auto s = subject({"a.test"});
  auto v = vault::evaluate(p, s);
  REQUIRE(v.size() == 1);
  CHECK(v[0].value == "o");
  s.subject.o = "Example";
  v = vault::evaluate(p, s);
  REQUIRE(v.size() == 1);
  CHECK(v[0].value == "c");
  s.subject.c = "DE";
  CHECK(vault::evaluate(p, s).empty());
  CHECK_FALSE(vault::set_rule(p, PolicyRule::SubjectRequired, {"cn"}, "--require-subject"));

  auto deny = with(PolicyRule::Wildcard, {"deny"});
  CHECK(vault::evaluate(deny, subject({"a.test", "b.test"})).empty());
  v = vault::evaluate(deny, subject({"a.test", "*.a.test"}));
  REQUIRE(v.size() == 1);
  CHECK(v[0].value == "*.a.test");
  CHECK(vault::evaluate(with(PolicyRule::Wildcard, {"allow"}), subject({"*.a.test"})).empty());
  vault::Policy bad;
  CHECK_FALSE(vault::set_rule(bad, PolicyRule::Wildcard, {"maybe"}, "--wildcard"));
}

TEST_CASE("policy: several rules, one violation each, in rule order, hard and soft", "[vault][policy]") {
  vault::Policy p = with(PolicyRule::NameDeny, {".evil.test"});
  REQUIRE(vault::set_rule(p, PolicyRule::Wildcard, {"deny"}, "x"));
  p[PolicyRule::Wildcard].severity = Severity::Soft;
  REQUIRE(vault::set_rule(p, PolicyRule::KeyTypes, {"ec384"}, "x"));
  auto v = vault::evaluate(p, subject({"*.evil.test", "a.evil.test"}, "ec256"));
  REQUIRE(v.size() == 3);
  CHECK(v[0].rule == PolicyRule::NameDeny);
  CHECK(v[0].value == "*.evil.test");
  CHECK(v[1].rule == PolicyRule::KeyTypes);
  CHECK(v[2].rule == PolicyRule::Wildcard);
  CHECK(v[2].severity == Severity::Soft);
}

TEST_CASE("policy.toml: every rule round-trips, and damaged files are Config errors naming the file", "[vault][policy]") {
  vault::Policy p = with(PolicyRule::NameAllow, {".example.com", "10.0.0.0/8"});
  REQUIRE(vault::set_rule(p, PolicyRule::NameDeny, {".evil.test"}, "x"));
  REQUIRE(vault::set_rule(p, PolicyRule::CaAllow, {"local", "letsencrypt"}, "x"));
  REQUIRE(vault::set_rule(p, PolicyRule::KeyTypes, {"ec256", "rsa3072"}, "x"));
  REQUIRE(vault::set_rule_number(p, PolicyRule::RsaMinBits, 3072, "x"));
  REQUIRE(vault::set_rule_number(p, PolicyRule::EcMinBits, 384, "x"));
  REQUIRE(vault::set_rule_number(p, PolicyRule::LocalMaxDays, 30, "x"));
  REQUIRE(vault::set_rule(p, PolicyRule::SubjectRequired, {"o", "c"}, "x"));
  REQUIRE(vault::set_rule(p, PolicyRule::Wildcard, {"deny"}, "x"));
  p[PolicyRule::NameDeny].severity = Severity::Soft;
  p[PolicyRule::LocalMaxDays].severity = Severity::Soft;
  for (const auto& r : p.rules) CHECK(r.set);
  const std::string text = vault::render_policy_toml(p);
  auto back = vault::parse_policy_toml(text, "/v/policy.toml");
  REQUIRE(back);
  CHECK(*back == p);
  CHECK(vault::render_policy_toml(vault::Policy{}).find('[') == std::string::npos);

  for (const char* bad : {
           "[name-deny\n",                                         // not TOML
           "[name-denny]\nvalues = [\"a.test\"]\n",                // unknown rule
           "name-deny = 3\n",                                      // not a table
           "[name-deny]\nvalues = \"a.test\"\n",                   // not a list
           "[name-deny]\nvalues = [3]\n",                          // not strings
           "[name-deny]\nvalues = [\"a b\"]\n",                    // not a pattern
           "[rsa-min-bits]\nvalue = 512\n",                        // out of range
           "[rsa-min-bits]\nvalue = \"3072\"\n",                   // not a number
           "[wildcard]\nvalue = \"perhaps\"\n",                    // neither allow nor deny
           "[wildcard]\nvalue = \"deny\"\nseverity = \"medium\"\n",  // no such severity
           "[wildcard]\nvalue = \"deny\"\nextra = 1\n",            // unknown key
       }) {
    INFO(bad);
    auto r = vault::parse_policy_toml(bad, "/v/policy.toml");
    REQUIRE_FALSE(r);
    CHECK(r.error().category() == Category::Config);
    CHECK(r.error().exit_code() == 3);
    CHECK(r.error().subject() == "/v/policy.toml");
  }
}

TEST_CASE("policy.toml in a vault: absent is empty, saved and loaded, emptied removes it", "[vault][policy]") {
  auto store = std::make_shared<storage::MemoryStore>();
  vault::Vault v = test::make_memory_vault(store);
  auto none = vault::load_policy(v);
  REQUIRE(none);
  CHECK(none->empty());
  vault::Policy p = with(PolicyRule::Wildcard, {"deny"});
  REQUIRE(vault::save_policy(v, p));
  auto got = vault::load_policy(v);
  REQUIRE(got);
  CHECK(*got == p);
  REQUIRE(vault::save_policy(v, vault::Policy{}));
  REQUIRE_FALSE(store->get("policy.toml", 1 << 20)->has_value());
  REQUIRE(store->put("policy.toml", "[wildcard\n"));
  auto broken = vault::load_policy(v);
  REQUIRE_FALSE(broken);
  CHECK(broken.error().category() == Category::Config);
  CHECK_THAT(broken.error().subject(), Catch::Contains("policy.toml"));
}

TEST_CASE("audit listing: filters by action (exact, prefix, old names), time and record", "[vault][audit]") {
  auto entry = [](std::string action, std::string record, std::string time) {
    vault::AuditEntry e;
    e.action = std::move(action);
    e.certificate = std::move(record);
    e.time = std::move(time);
    return e;
  };
  const auto old_export = entry("export", "web", "2027-01-01T00:00:00Z");
  const auto hard = entry("certificate.policy_hard_fail", "web", "2027-01-02T00:00:00Z");
  const auto create = entry("create", "api", "2027-01-03T00:00:00Z");
  vault::AuditFilter all;
  CHECK(all.matches(old_export));
  CHECK(all.matches(create));

  vault::AuditFilter f;
  f.actions = {"certificate.*"};
  CHECK(f.matches(old_export));  // "export" is certificate.pem_exported now
  CHECK(f.matches(hard));
  CHECK_FALSE(f.matches(create));
  f.actions = {"certificate."};
  CHECK(f.matches(hard));
  f.actions = {"certificate.pem_exported"};
  CHECK(f.matches(old_export));
  CHECK_FALSE(f.matches(hard));
  f.actions = {"export"};
  CHECK(f.matches(old_export));
  f.actions = {"certificate"};  // exact: no action is called that
  CHECK_FALSE(f.matches(hard));
  f.actions = {"cre*", "certificate.policy_hard_fail"};
  CHECK(f.matches(create));
  CHECK(f.matches(hard));
  CHECK_FALSE(f.matches(old_export));

  vault::AuditFilter since;
  since.since = 1'798'848'000;  // 2027-01-02T00:00:00Z
  CHECK_FALSE(since.matches(old_export));
  CHECK(since.matches(hard));
  CHECK_FALSE(since.matches(entry("create", "x", "not a time")));

  vault::AuditFilter rec;
  rec.record = "api";
  CHECK(rec.matches(create));
  CHECK_FALSE(rec.matches(hard));

  CHECK(vault::canonical_action("show-key") == "certificate.key_viewed");
  CHECK(vault::canonical_action("export-pfx") == "certificate.pfx_exported");
  CHECK(vault::canonical_action("issue") == "issue");
}

TEST_CASE("audit listing: read_audit walks the log in order and hands only matches", "[vault][audit]") {
  auto store = std::make_shared<storage::MemoryStore>();
  vault::Vault v = test::make_memory_vault(store);
  REQUIRE(v.audit("create", "web", {{"domain", "web.test"}}, 1'800'000'000));
  REQUIRE(v.audit("certificate.policy_soft_fail", "web", {{"rule", "wildcard"}, {"detail", "x"}}, 1'800'000'100));
  REQUIRE(v.audit("export", "web", {{"dir", "/tmp/x"}}, 1'800'000'200));
  std::vector<vault::AuditEntry> seen;
  vault::AuditFilter f;
  f.actions = {"certificate.*"};
  REQUIRE(v.read_audit(f, [&](const vault::AuditEntry& e) -> Status {
    seen.push_back(e);
    return ok();
  }));
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].action == "certificate.policy_soft_fail");
  CHECK(seen[0].details == std::vector<std::pair<std::string, std::string>>{{"rule", "wildcard"}, {"detail", "x"}});
  CHECK(seen[0].seq > 0);
  CHECK(seen[1].action == "export");
  // A visitor's error stops the walk.
  int calls = 0;
  auto stopped = v.read_audit({}, [&](const vault::AuditEntry&) -> Status {
    ++calls;
    return Error(Category::Internal, "x", "stop");
  });
  CHECK_FALSE(stopped);
  CHECK(calls == 1);
}
