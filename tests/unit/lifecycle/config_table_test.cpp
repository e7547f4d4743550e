// The option tables of the named configs (notify, deploy, dns): struct -> options -> struct,
// checked numbers and required options, and the checked number parser they use.
#include <catch2/catch.hpp>

#include <certctl/lifecycle.hpp>
#include <certctl/number.hpp>

#include "lifecycle/config_table.hpp"

using namespace certctl;
using namespace certctl::lifecycle;

namespace {

NotifierSpec full_notifier() {
  NotifierSpec n;
  n.name = "ops";
  n.type = "email";
  n.url = "smtps://mail.example.com:465";
  n.from = "certctl@example.com";
  n.to = {"a@example.com", "b@example.com"};
  n.user = "certctl";
  n.password_env = "SMTP_PASSWORD";
  n.starttls = true;
  n.ca_bundle = "/etc/ssl/mail.pem";
  n.events = {"failure", "success"};
  n.expiring_days = 30;
  return n;
}

DeployTarget full_target() {
  DeployTarget t;
  t.name = "web";
  t.cas = {"letsencrypt", "local"};
  t.records = {"www", "api"};
  t.cert = "/etc/ssl/{name}.pem";
  t.chain = "/etc/ssl/{name}.chain.pem";
  t.fullchain = "/etc/ssl/{name}.full.pem";
  t.key = "/etc/ssl/private/{name}.key";
  t.mode = 0640;
  t.key_mode = 0400;
  t.owner = "www-data:ssl-cert";
  t.hook = "systemctl reload nginx";
  t.pre_hook = "true";
  t.post_hook = "false";
  t.hosts = {"web1", "web2"};
  t.labels = {"edge"};
  return t;
}

bool same(const NotifierSpec& a, const NotifierSpec& b) {
  return a.url == b.url && a.from == b.from && a.to == b.to && a.user == b.user && a.password_env == b.password_env &&
         a.starttls == b.starttls && a.ca_bundle == b.ca_bundle && a.events == b.events &&
         a.expiring_days == b.expiring_days;
}

bool same(const DeployTarget& a, const DeployTarget& b) {
  return a.cas == b.cas && a.records == b.records && a.cert == b.cert && a.chain == b.chain &&
         a.fullchain == b.fullchain && a.key == b.key && a.mode == b.mode && a.key_mode == b.key_mode &&
         a.owner == b.owner && a.hook == b.hook && a.pre_hook == b.pre_hook && a.post_hook == b.post_hook &&
         a.hosts == b.hosts && a.labels == b.labels;
}

}  // namespace

TEST_CASE("notifier options: struct -> stored options -> struct", "[lifecycle]") {
  const NotifierSpec n = full_notifier();
  std::map<std::string, std::string> options;
  detail::to_options(notifier_options(), n, options);
  CHECK(options.at("to") == "a@example.com,b@example.com");
  CHECK(options.at("password-env") == "SMTP_PASSWORD");
  CHECK(options.at("starttls") == "true");
  CHECK(options.at("expiring-days") == "30");
  NotifierSpec back;
  REQUIRE(detail::from_options(notifier_options(), options, back, "notifier 'ops'").ok());
  CHECK(same(back, n));
  // Every member the test sets is in the table: one key per option, none left over.
  CHECK(options.size() == notifier_options().size());
}

TEST_CASE("deploy target options: struct -> stored options -> struct, modes in octal", "[lifecycle]") {
  const DeployTarget t = full_target();
  std::map<std::string, std::string> options;
  detail::to_options(deploy_target_options(), t, options);
  CHECK(options.at("mode") == "0640");
  CHECK(options.at("key-mode") == "0400");
  CHECK(options.at("cas") == "letsencrypt,local");
  CHECK(options.size() == deploy_target_options().size());
  DeployTarget back;
  REQUIRE(detail::from_options(deploy_target_options(), options, back, "deploy target 'web'").ok());
  CHECK(same(back, t));
}

TEST_CASE("dns provider options: tech zone, ttl, timeout and propagation; other keys are left alone", "[lifecycle]") {
  DnsProviderInfo i;
  i.tech_zone = "tech.example.net";
  i.ttl = 300;
  i.timeout_s = 90;
  i.propagation_wait_s = 30;
  i.no_propagation_check = true;
  std::map<std::string, std::string> options{{"server", "127.0.0.1:53"}};
  detail::to_options(dns_provider_options(), i, options);
  CHECK(options == std::map<std::string, std::string>{{"server", "127.0.0.1:53"},
                                                      {"tech-zone", "tech.example.net"},
                                                      {"ttl", "300"},
                                                      {"timeout", "90"},
                                                      {"propagation-wait", "30"},
                                                      {"no-propagation-check", "true"}});
  DnsProviderInfo back;
  REQUIRE(detail::from_options(dns_provider_options(), options, back, "DNS provider 'x'").ok());
  CHECK((back.tech_zone == i.tech_zone && back.ttl == 300 && back.timeout_s == 90 && back.propagation_wait_s == 30 &&
         back.no_propagation_check));
  // A provider stored before these options existed reads with their defaults.
  DnsProviderInfo old;
  REQUIRE(detail::from_options(dns_provider_options(), {{"ttl", "60"}}, old, "DNS provider 'x'").ok());
  CHECK((old.propagation_wait_s == 0 && !old.no_propagation_check));
  options["propagation-wait"] = "3601";
  CHECK_FALSE(detail::from_options(dns_provider_options(), options, back, "DNS provider 'x'").ok());
  CHECK(detail::find_option(dns_provider_options(), "server") == nullptr);
  CHECK(detail::find_option(dns_provider_options(), "tech-zone") != nullptr);
}

TEST_CASE("empty text and lists are not stored; missing options keep the defaults", "[lifecycle]") {
  NotifierSpec n;
  n.url = "https://hooks.example.com/x";
  std::map<std::string, std::string> options;
  detail::to_options(notifier_options(), n, options);
  CHECK(options == std::map<std::string, std::string>{
                       {"url", "https://hooks.example.com/x"}, {"events", "failure,expiring"}, {"expiring-days", "14"}});
  NotifierSpec back;
  REQUIRE(detail::from_options(notifier_options(), {{"url", "https://x.example"}}, back, "notifier 'n'").ok());
  CHECK(back.expiring_days == 14);
  CHECK(back.events == std::vector<std::string>{"failure", "expiring"});
  CHECK_FALSE(back.starttls);
}

TEST_CASE("a stored option that is not a number is a Config error naming the field", "[lifecycle]") {
  NotifierSpec n;
  auto st = detail::from_options(notifier_options(), {{"url", "https://x.example"}, {"expiring-days", "abc"}}, n,
                                 "notifier 'ops'");
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().category() == Category::Config);
  CHECK(st.error().text() == "notifier 'ops': expiring_days: not a number: 'abc'");
  auto range = detail::from_options(notifier_options(), {{"url", "u"}, {"expiring-days", "400"}}, n, "notifier 'ops'");
  REQUIRE_FALSE(range.ok());
  CHECK(range.error().text() == "notifier 'ops': expiring_days: 400 is out of range (1..365)");
  DeployTarget t;
  auto mode = detail::from_options(deploy_target_options(), {{"key-mode", "0698"}}, t, "deploy target 'web'");
  REQUIRE_FALSE(mode.ok());
  CHECK(mode.error().text() == "deploy target 'web': key_mode: not an octal number: '0698'");
  auto flag = detail::from_options(notifier_options(), {{"url", "u"}, {"starttls", "yes"}}, n, "notifier 'ops'");
  REQUIRE_FALSE(flag.ok());
  CHECK(flag.error().text() == "notifier 'ops': starttls: not true or false: 'yes'");
}

TEST_CASE("a missing required option is a Config error naming it", "[lifecycle]") {
  NotifierSpec n;
  auto st = detail::from_options(notifier_options(), {{"events", "failure"}}, n, "notifier 'ops'");
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().category() == Category::Config);
  CHECK(st.error().text() == "notifier 'ops': url: missing (url)");
}

TEST_CASE("parse_number: digits only, in range, the field named", "[core]") {
  const NumberField flag{Category::Usage, "", "--mode"};
  CHECK(*parse_number("0640", 0, 0777, flag, 8) == 0640);
  CHECK(*parse_number("640", 0, 0777, flag, 8) == 0640);
  CHECK(*parse_number("3600", 1, 3600, flag) == 3600);
  for (const char* bad : {"", "-1", "+5", "12x", " 12", "0x10", "99999999999999999999999"}) {
    INFO(bad);
    auto r = parse_number(bad, 0, 100000, flag);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().category() == Category::Usage);
    CHECK(r.error().subject() == "--mode");
  }
  auto out = parse_number("0", 1, 3600, NumberField{Category::Config, "exec provider 'x'", "hook-timeout"});
  REQUIRE_FALSE(out.ok());
  CHECK(out.error().category() == Category::Config);
  CHECK(out.error().text() == "exec provider 'x': hook-timeout: 0 is out of range (1..3600)");
  CHECK(parse_number("abc", 1, 9, flag).error().text() == "--mode: not a number: 'abc'");
}
