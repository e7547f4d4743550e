// ACME statuses are parsed once, at the edge: every RFC 8555 value, and an unknown one is the
// CA's error naming the URL and the value.
#include <catch2/catch.hpp>

#include <certctl/acme.hpp>

#include "fake_http.hpp"

#include <utility>
#include <vector>

using namespace certctl;

namespace {

template <class E, class Parse>
void check_names(const std::vector<std::pair<E, std::string_view>>& table, Parse parse) {
  for (const auto& [value, name] : table) {
    INFO(name);
    CHECK(acme::to_string(value) == name);
    auto parsed = parse(name, "https://ca.test/x");
    REQUIRE(parsed);
    CHECK(*parsed == value);
  }
  for (std::string_view bad : {"", "VALID", "processing ", "unknown"}) {
    INFO(bad);
    auto parsed = parse(bad, "https://ca.test/x");
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().category() == Category::Ca);
    CHECK(parsed.error().subject() == "https://ca.test/x");
    if (!bad.empty()) CHECK_THAT(parsed.error().message(), Catch::Contains("'" + std::string(bad) + "'"));
  }
}

}  // namespace

TEST_CASE("order, authorization, challenge and account statuses: every RFC 8555 value", "[acme]") {
  using acme::OrderStatus, acme::AuthzStatus, acme::ChallengeStatus, acme::AccountStatus;
  check_names<OrderStatus>({{OrderStatus::Pending, "pending"},
                            {OrderStatus::Ready, "ready"},
                            {OrderStatus::Processing, "processing"},
                            {OrderStatus::Valid, "valid"},
                            {OrderStatus::Invalid, "invalid"}},
                           acme::parse_order_status);
  check_names<AuthzStatus>({{AuthzStatus::Pending, "pending"},
                            {AuthzStatus::Valid, "valid"},
                            {AuthzStatus::Invalid, "invalid"},
                            {AuthzStatus::Deactivated, "deactivated"},
                            {AuthzStatus::Expired, "expired"},
                            {AuthzStatus::Revoked, "revoked"}},
                           acme::parse_authz_status);
  check_names<ChallengeStatus>({{ChallengeStatus::Pending, "pending"},
                                {ChallengeStatus::Processing, "processing"},
                                {ChallengeStatus::Valid, "valid"},
                                {ChallengeStatus::Invalid, "invalid"}},
                               acme::parse_challenge_status);
  check_names<AccountStatus>({{AccountStatus::Valid, "valid"},
                              {AccountStatus::Deactivated, "deactivated"},
                              {AccountStatus::Revoked, "revoked"}},
                             acme::parse_account_status);
  // A value of one object is not one of another's.
  CHECK_FALSE(acme::parse_authz_status("ready", "u"));
  CHECK_FALSE(acme::parse_order_status("deactivated", "u"));
  CHECK_FALSE(acme::parse_account_status("pending", "u"));
}

namespace {

struct Ca {
  test::FakeHttp http;
  FixedClock clock{1'800'000'000};
  crypto::PrivateKey key = std::move(crypto::PrivateKey::generate(crypto::KeyType::Ec256)).value();
  std::unique_ptr<crypto::Signer> signer = std::move(crypto::make_key_signer(key.share())).value();
  acme::Client client{http, "https://ca.test/dir", clock, acme::Timing{0.0, 0.01, 2, 3}};
  Ca() {
    http.on("GET", "https://ca.test/dir", 200,
            R"({"newNonce":"https://ca.test/nonce","newAccount":"https://ca.test/acct","newOrder":"https://ca.test/order"})");
    http.on("HEAD", "https://ca.test/nonce", 200, "");
    client.set_account(signer.get(), "https://ca.test/acct/1");
  }
};

}  // namespace

TEST_CASE("a status the CA invents fails where the JSON is read, naming the URL and the value", "[acme]") {
  Ca ca;
  ca.http.on("POST", "https://ca.test/order/1", 200, R"({"status":"almost"})");
  auto order = ca.client.get_order("https://ca.test/order/1");
  REQUIRE_FALSE(order);
  CHECK(order.error().category() == Category::Ca);
  CHECK(order.error().text() == "https://ca.test/order/1: unknown order status 'almost' (not an RFC 8555 status)");

  // While polling too (no waiting out the deadline for a status that never settles).
  ca.http.on("POST", "https://ca.test/authz/1", 200,
             R"({"status":"processing","identifier":{"type":"dns","value":"a.example"},"challenges":[]})");
  auto authz = ca.client.wait_authorization("https://ca.test/authz/1");
  REQUIRE_FALSE(authz);
  CHECK(authz.error().subject() == "https://ca.test/authz/1");
  CHECK_THAT(authz.error().message(), Catch::Contains("unknown authorization status 'processing'"));
  CHECK(ca.http.count("POST", "https://ca.test/authz/1") == 1);

  // A challenge's status is checked with its authorization; the subject is the challenge URL.
  ca.http.on("POST", "https://ca.test/authz/2", 200,
             R"({"status":"pending","identifier":{"type":"dns","value":"a.example"},"challenges":[)"
             R"({"type":"http-01","url":"https://ca.test/chall/2","token":"t","status":"ready"}]})");
  auto bad_challenge = ca.client.get_authorization("https://ca.test/authz/2");
  REQUIRE_FALSE(bad_challenge);
  CHECK(bad_challenge.error().subject() == "https://ca.test/chall/2");

  // An order without a status is the CA's error as well.
  ca.http.on("POST", "https://ca.test/order/2", 200, R"({"finalize":"https://ca.test/fin"})");
  auto none = ca.client.get_order("https://ca.test/order/2");
  REQUIRE_FALSE(none);
  CHECK(none.error().message() == "the order has no status");
}

TEST_CASE("an account status is typed; a CA that sends none leaves it unset", "[acme]") {
  Ca ca;
  ca.http.on("POST", "https://ca.test/acct/1", 200, R"({"status":"deactivated"})");
  ca.http.on("POST", "https://ca.test/acct/1", 200, R"({"contact":["mailto:a@example.com"]})");
  ca.http.on("POST", "https://ca.test/acct/1", 200, R"({"status":"suspended"})");
  auto gone = ca.client.deactivate_account();
  REQUIRE(gone);
  CHECK(gone->status == acme::AccountStatus::Deactivated);
  auto silent = ca.client.update_account({"mailto:a@example.com"});
  REQUIRE(silent);
  CHECK_FALSE(silent->status.has_value());
  auto odd = ca.client.update_account({"mailto:a@example.com"});
  REQUIRE_FALSE(odd);
  CHECK(odd.error().category() == Category::Ca);
  CHECK_THAT(odd.error().message(), Catch::Contains("'suspended'"));
}
