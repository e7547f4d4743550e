// Notifier webhooks through lifecycle::Context's client factory: what is posted, where, how.
#include <catch2/catch.hpp>

#include <certctl/lifecycle.hpp>

#include "vault_context.hpp"

#include <unistd.h>

#include <nlohmann/json.hpp>

using namespace certctl;
using Json = nlohmann::json;

namespace {

const std::string kHook = "https://hooks.example.test/certctl";

struct Fixture : test::VaultContext {
  Fixture() {
    lifecycle::NotifierSpec s;
    s.name = "ops";
    s.type = "webhook";
    s.url = kHook;
    s.ca_bundle = "/etc/hooks/roots.pem";
    REQUIRE(lifecycle::notify_add(ctx(), s));
  }
};

}  // namespace

TEST_CASE("notify test: one JSON POST to the webhook with the notifier's CA bundle", "[lifecycle][notify]") {
  Fixture fx;
  fx.vault.set_host("web7");  // --host / CERTCTL_HOST: the name messages give
  fx.fake.on("POST", kHook, 204, "");
  REQUIRE(lifecycle::notify_test(fx.ctx(), "ops"));

  REQUIRE(fx.fake.options.size() == 1);
  CHECK(fx.fake.options[0].ca_bundle == "/etc/hooks/roots.pem");
  CHECK(fx.fake.options[0].timeout_s == 15);
  REQUIRE(fx.fake.requests.size() == 1);
  const http::Request& r = fx.fake.requests[0];
  CHECK(r.method == "POST");
  CHECK(r.url == kHook);
  REQUIRE(r.headers.size() == 1);
  CHECK(r.headers[0].name == "Content-Type");
  CHECK(r.headers[0].value == "application/json");
  Json expected = {
      {"event", "test"},
      {"host", "web7"},
      {"time", format_rfc3339(fx.clock.now())},
      {"summary", "certctl on web7: test notification"},
      {"certificates",
       {{{"name", "test"},
         {"domain", "example.invalid"},
         {"ca", ""},
         {"status", "test"},
         {"days_remaining", nullptr},
         {"not_after", nullptr},
         {"reason", "a test notification from `certctl notify test`"},
         {"error", nullptr}}}}};
  CHECK(Json::parse(r.body) == expected);
  // Keys in the order they are written, event first.
  CHECK(r.body.rfind(R"({"event":"test","host":)", 0) == 0);
}

TEST_CASE("notify test: a webhook answering an error status is a Network error naming the notifier",
          "[lifecycle][notify]") {
  Fixture fx;
  fx.fake.on("POST", kHook, 500, "boom");
  auto st = lifecycle::notify_test(fx.ctx(), "ops");
  REQUIRE_FALSE(st);
  CHECK(st.error().category() == Category::Network);
  CHECK(st.error().subject() == "notifier 'ops'");
  CHECK_THAT(st.error().message(), Catch::Contains("answered HTTP 500"));
}
