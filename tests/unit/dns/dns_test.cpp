// The DNS layer's pure parts: server parsing, names, the registry's option checks, TXT and
// UPDATE message building. No network.
#include <certctl/dns.hpp>

#include <catch2/catch.hpp>

#include "dns/ldns_handles.hpp"
#include "dns/wire.hpp"

using namespace certctl;
using namespace certctl::dns;

TEST_CASE("dns: parse_server accepts IP, IP:PORT and [IPv6]:PORT", "[dns]") {
  auto a = parse_server("127.0.0.1");
  REQUIRE(a);
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 53);
  CHECK(a->display() == "127.0.0.1:53");

  auto b = parse_server("127.0.0.1:5353");
  REQUIRE(b);
  CHECK(b->port == 5353);
  CHECK(b->display() == "127.0.0.1:5353");

  auto c = parse_server("[::1]:5300");
  REQUIRE(c);
  CHECK(c->host == "::1");
  CHECK(c->port == 5300);
  CHECK(c->display() == "[::1]:5300");

  auto d = parse_server("::1");
  REQUIRE(d);
  CHECK(d->display() == "[::1]:53");

  auto e = parse_server("[2001:db8::53]");
  REQUIRE(e);
  CHECK(e->port == 53);
}

TEST_CASE("dns: parse_server rejects names, bad ports and junk with a Usage error naming the flag", "[dns]") {
  for (const char* bad : {"", "ns1.example.com", "ns1.example.com:53", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
                          "127.0.0.1:53x", "[::1", "[::1]x", "[127.0.0.1]:53", "1.2.3:53", "::1:53:"}) {
    INFO(bad);
    auto r = parse_server(bad, "--dns-resolver");
    REQUIRE_FALSE(r);
    CHECK(r.error().category() == Category::Usage);
    CHECK(r.error().subject() == "--dns-resolver");
  }
}

TEST_CASE("dns: names are compared lower-case and absolute", "[dns]") {
  CHECK(wire::absolute("Example.TEST") == "example.test.");
  CHECK(wire::absolute("example.test.") == "example.test.");
  CHECK(wire::same_name("_ACME-challenge.Example.test", "_acme-challenge.example.test."));
  CHECK_FALSE(wire::same_name("a.example.test", "b.example.test"));
  CHECK(wire::parent("a.b.example.test.") == "b.example.test.");
  CHECK(wire::parent("test.") == ".");
  CHECK(wire::parent(".") == "");
  CHECK(wire::parent("a\\.b.test.") == "test.");
}

TEST_CASE("dns: rcode and TSIG error names", "[dns]") {
  CHECK(wire::rcode_name(5) == "REFUSED");
  CHECK(wire::rcode_name(9) == "NOTAUTH");
  CHECK(wire::rcode_name(42) == "RCODE 42");
  CHECK(wire::tsig_error_name(16) == "BADSIG");
  CHECK(wire::tsig_error_name(17) == "BADKEY");
  CHECK(wire::tsig_algorithm("HMAC-SHA256") == "hmac-sha256.");
  CHECK(wire::tsig_algorithm("hmac-sha512.") == "hmac-sha512.");
  CHECK(wire::tsig_algorithm("hmac-md5") == "");
}

TEST_CASE("dns: TXT records split long values into 255-byte strings and read back whole", "[dns]") {
  auto rr = wire::make_txt("_acme-challenge.example.test", "abc", 60);
  REQUIRE(rr);
  CHECK(wire::owner_of(rr->get()) == "_acme-challenge.example.test.");
  CHECK(ldns_rr_get_type(rr->get()) == LDNS_RR_TYPE_TXT);
  CHECK(ldns_rr_ttl(rr->get()) == 60);
  CHECK(ldns_rr_rd_count(rr->get()) == 1);
  CHECK(wire::txt_value(rr->get()) == "abc");

  std::string long_value(600, 'x');
  long_value[300] = 'y';
  auto big = wire::make_txt("t.example.test.", long_value, 60);
  REQUIRE(big);
  CHECK(ldns_rr_rd_count(big->get()) == 3);
  CHECK(wire::txt_value(big->get()) == long_value);
}

TEST_CASE("dns: an UPDATE adds TXT RRs in class IN and deletes exactly those RRs in class NONE", "[dns]") {
  std::vector<wire::TxtChange> changes = {{"_acme-challenge.example.test.", "v1"},
                                          {"_acme-challenge.example.test.", "v2"}};
  auto add = wire::make_update("example.test", wire::UpdateOp::Add, changes, 120);
  REQUIRE(add);
  ldns_pkt* p = add->get();
  CHECK(ldns_pkt_get_opcode(p) == LDNS_PACKET_UPDATE);
  CHECK_FALSE(ldns_pkt_rd(p));
  // Zone section (the question section of an UPDATE): example.test. SOA IN.
  REQUIRE(ldns_rr_list_rr_count(ldns_pkt_question(p)) == 1);
  const ldns_rr* zone = ldns_rr_list_rr(ldns_pkt_question(p), 0);
  CHECK(wire::owner_of(zone) == "example.test.");
  CHECK(ldns_rr_get_type(zone) == LDNS_RR_TYPE_SOA);
  // No prerequisites; the update section holds both records.
  CHECK(ldns_rr_list_rr_count(ldns_pkt_answer(p)) == 0);
  ldns_rr_list* up = ldns_pkt_authority(p);
  REQUIRE(ldns_rr_list_rr_count(up) == 2);
  for (size_t i = 0; i < 2; ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(up, i);
    CHECK(ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN);
    CHECK(ldns_rr_ttl(rr) == 120);
    CHECK(ldns_rr_get_type(rr) == LDNS_RR_TYPE_TXT);
    CHECK(wire::txt_value(rr) == changes[i].value);
  }

  auto del = wire::make_update("example.test.", wire::UpdateOp::Delete, changes, 120);
  REQUIRE(del);
  ldns_rr_list* dl = ldns_pkt_authority(del->get());
  REQUIRE(ldns_rr_list_rr_count(dl) == 2);
  for (size_t i = 0; i < 2; ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(dl, i);
    // RFC 2136 2.5.4: delete an RR from an RRset: class NONE, TTL 0, the RR's rdata.
    CHECK(ldns_rr_get_class(rr) == LDNS_RR_CLASS_NONE);
    CHECK(ldns_rr_ttl(rr) == 0);
    CHECK(ldns_rr_get_type(rr) == LDNS_RR_TYPE_TXT);
    CHECK(wire::txt_value(rr) == changes[i].value);
  }
}

TEST_CASE("dns: a TSIG-signed UPDATE verifies with the same key", "[dns]") {
  auto msg = wire::make_update("example.test.", wire::UpdateOp::Add, {{"_acme-challenge.example.test.", "v"}}, 60);
  REQUIRE(msg);
  const char* secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ=";
  REQUIRE(ldns_pkt_tsig_sign(msg->get(), "k.", secret, 300, "hmac-sha256.", nullptr) == LDNS_STATUS_OK);
  REQUIRE(ldns_pkt_tsig(msg->get()) != nullptr);
  uint8_t* wire_bytes = nullptr;
  size_t n = 0;
  REQUIRE(ldns_pkt2wire(&wire_bytes, msg->get(), &n) == LDNS_STATUS_OK);
  LdnsBytesPtr owner(wire_bytes);
  ldns_pkt* parsed = nullptr;
  REQUIRE(ldns_wire2pkt(&parsed, wire_bytes, n) == LDNS_STATUS_OK);
  LdnsPktPtr back(parsed);
  CHECK(ldns_pkt_tsig_verify(back.get(), wire_bytes, n, "k.", secret, nullptr));
  CHECK_FALSE(ldns_pkt_tsig_verify(back.get(), wire_bytes, n, "k.", "b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldC0xMjM0NTY=",
                                   nullptr));
}

TEST_CASE("dns: a query has the RD bit as asked and an EDNS size", "[dns]") {
  auto q = wire::make_query("Example.Test", LDNS_RR_TYPE_SOA, false);
  REQUIRE(q);
  CHECK_FALSE(ldns_pkt_rd(q->get()));
  CHECK(ldns_pkt_edns_udp_size(q->get()) == 1232);
  CHECK(wire::owner_of(ldns_rr_list_rr(ldns_pkt_question(q->get()), 0)) == "example.test.");
  auto r = wire::make_query("example.test", LDNS_RR_TYPE_CNAME, true);
  REQUIRE(r);
  CHECK(ldns_pkt_rd(r->get()));
}

namespace {

ProviderConfig rfc2136_config() {
  ProviderConfig c;
  c.name = "ns1";
  c.type = "rfc2136";
  c.options["server"] = "127.0.0.1:5353";
  c.options["key-name"] = "acme-key";
  c.secrets["tsig-secret"] = SecretBytes::from("c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ=");
  return c;
}

}  // namespace

TEST_CASE("dns: the registry lists rfc2136 with its options", "[dns]") {
  const ProviderType* t = find_type("rfc2136");
  REQUIRE(t != nullptr);
  CHECK(find_type("nope") == nullptr);
  bool server_required = false, secret_is_secret = false;
  for (const OptionSpec& o : t->options) {
    if (o.name == "server") server_required = o.required;
    if (o.name == "tsig-secret") secret_is_secret = o.secret;
  }
  CHECK(server_required);
  CHECK(secret_is_secret);
  CHECK(registry().front().name == "rfc2136");
}

TEST_CASE("dns: make_provider builds a valid rfc2136 provider", "[dns]") {
  auto p = make_provider(rfc2136_config());
  REQUIRE(p);
  CHECK((*p)->type() == "rfc2136");
  ProviderConfig unsigned_cfg;
  unsigned_cfg.type = "rfc2136";
  unsigned_cfg.options["server"] = "::1";
  CHECK(make_provider(unsigned_cfg));
}

TEST_CASE("dns: make_provider rejects bad configurations with a Usage error naming the fault", "[dns]") {
  auto expect_usage = [](const ProviderConfig& c, const std::string& needle) {
    auto r = make_provider(c);
    REQUIRE_FALSE(r);
    CHECK(r.error().category() == Category::Usage);
    INFO(r.error().text());
    CHECK(r.error().text().find(needle) != std::string::npos);
  };
  {
    auto c = rfc2136_config();
    c.type = "bind";
    expect_usage(c, "unknown provider type 'bind'");
  }
  {
    auto c = rfc2136_config();
    c.options["sever"] = "1.2.3.4";
    expect_usage(c, "unknown option 'sever' for provider type rfc2136");
  }
  {
    auto c = rfc2136_config();
    c.options.erase("server");
    expect_usage(c, "needs option 'server'");
  }
  {
    auto c = rfc2136_config();
    c.options["server"] = "ns1.example.test";
    expect_usage(c, "not a DNS server");
  }
  {
    auto c = rfc2136_config();
    c.options["tsig-secret"] = "abcd";
    expect_usage(c, "option 'tsig-secret' of provider type rfc2136 is a secret");
  }
  {
    auto c = rfc2136_config();
    c.secrets["api-key"] = SecretBytes::from("x");
    expect_usage(c, "unknown secret 'api-key'");
  }
  {
    auto c = rfc2136_config();
    c.options["algorithm"] = "hmac-md5";
    expect_usage(c, "unknown TSIG algorithm 'hmac-md5'");
  }
  {
    auto c = rfc2136_config();
    c.secrets["tsig-secret"] = SecretBytes::from("not base64!");
    expect_usage(c, "tsig-secret is not base64");
  }
  {
    auto c = rfc2136_config();
    c.options.erase("key-name");
    expect_usage(c, "a tsig-secret needs a key-name");
  }
  {
    auto c = rfc2136_config();
    c.ttl = 0;
    expect_usage(c, "TTL 0 is out of range");
  }
}

TEST_CASE("dns: the secret never appears in a configuration error", "[dns]") {
  auto c = rfc2136_config();
  c.secrets["tsig-secret"] = SecretBytes::from("sEcReT!!");
  auto r = make_provider(c);
  REQUIRE_FALSE(r);
  CHECK(r.error().text().find("sEcReT") == std::string::npos);
}
