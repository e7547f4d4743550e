// The frames between the key-holding process and the network process: every message
// round-trips member for member, and anything malformed is an error naming the network
// process (never an exception, never a crash).
#include <catch2/catch.hpp>

#include <certctl/crypto.hpp>

#include "lifecycle/network_wire.hpp"

#include <sys/socket.h>
#include <unistd.h>

using namespace certctl;
using namespace certctl::lifecycle::detail;

namespace {

crypto::CsrInfo test_csr() {
  auto key = crypto::PrivateKey::generate(crypto::KeyType::Ec256);
  crypto::CsrRequest req;
  req.subject.cn = "a.example";
  req.dns_names = {"a.example", "*.a.example"};
  auto pem = crypto::make_csr(*key, req);
  return std::move(crypto::parse_csr(*pem, "csr")).value();
}

/// A self-signed certificate, as a stand-in for an issued one.
crypto::Certificate test_cert() {
  auto key = crypto::PrivateKey::generate(crypto::KeyType::Ec256);
  crypto::Subject subject;
  subject.cn = "root.example";
  crypto::IssueParams params;
  params.serial_hex = "01";
  params.not_before = 1'800'000'000;
  params.not_after = 1'800'000'000 + 86400;
  return std::move(crypto::make_self_signed_ca(*key, subject, params)).value();
}

wire::Plan sample_plan() {
  wire::Plan plan;
  plan.parallel = 3;
  plan.progress = true;
  OrderJob job;
  job.name = "web";
  job.names = {"a.example", "*.a.example"};
  job.csr = test_csr();
  Attempt acme;
  acme.ca = "pebble";
  acme.options.days = 30;
  acme.options.profile = "shortlived";
  acme.options.preferred_chain = "Root X2";
  acme.options.replaces = "aki.serial";
  acme.options.challenge.type = vault::ChallengeType::Dns01;
  acme.options.challenge.dns = challenge::parse_dns_setting("bind").value();
  auto provider = std::make_shared<dns::ProviderConfig>();
  provider->name = "bind";
  provider->type = "rfc2136";
  provider->options = {{"server", "127.0.0.1:5353"}};
  provider->secrets.emplace("tsig-secret", SecretBytes::from(std::string("s3cr\0t", 6)));
  provider->ttl = 30;
  acme.options.challenge.dns_provider = provider;
  acme.options.challenge.dns_options.tech_zone = "tech.example.";
  acme.options.challenge.dns_options.resolver.override_server = dns::Server{"127.0.0.1", 5353};
  acme.options.challenge.dns_options.propagation_timeout = std::chrono::seconds(45);
  Attempt stopped;
  stopped.ca = "other";
  stopped.stop = Error(Category::NotFound, "dns provider 'gone'", "no such provider");
  job.attempts = {acme, stopped};
  plan.jobs.push_back(job);
  wire::CaSpec spec;
  spec.profile.name = "pebble";
  spec.profile.directory = "https://127.0.0.1:14000/dir";
  spec.profile.allow_wildcard = true;
  spec.kid = "https://127.0.0.1:14000/acct/1";
  spec.jwk = crypto::jwk_params(*crypto::PrivateKey::generate(crypto::KeyType::Ec256)).value();
  plan.cas.emplace("pebble", spec);
  wire::CaSpec missing;
  missing.profile.name = "other";
  missing.unavailable = Error(Category::State, "CA 'other'", "no ACME account yet");
  plan.cas.emplace("other", missing);
  plan.responders = std::vector<challenge::Endpoint>{{challenge::ResponderKind::Http01, "127.0.0.1", 5002},
                                                     {challenge::ResponderKind::TlsAlpn01, "", 5001}};
  return plan;
}

}  // namespace

TEST_CASE("network wire: a plan round-trips, secrets and errors included", "[lifecycle][wire]") {
  const wire::Plan plan = sample_plan();
  auto back = wire::decode_plan(wire::encode(plan));
  REQUIRE(back);
  CHECK(back->parallel == 3);
  CHECK(back->progress);
  REQUIRE(back->jobs.size() == 1);
  const OrderJob& job = back->jobs[0];
  CHECK(job.name == "web");
  CHECK(job.names == plan.jobs[0].names);
  CHECK(job.csr.der == plan.jobs[0].csr.der);
  REQUIRE(job.attempts.size() == 2);
  const ca::IssueOptions& o = job.attempts[0].options;
  CHECK(job.attempts[0].ca == "pebble");
  CHECK_FALSE(job.attempts[0].stop);
  CHECK(o.days == 30);
  CHECK(o.profile == "shortlived");
  CHECK(o.preferred_chain == "Root X2");
  CHECK(o.replaces == "aki.serial");
  CHECK(o.challenge.type == vault::ChallengeType::Dns01);
  REQUIRE(o.challenge.dns);
  CHECK(challenge::to_string(*o.challenge.dns) == "bind");
  REQUIRE(o.challenge.dns_provider);
  CHECK(o.challenge.dns_provider->options.at("server") == "127.0.0.1:5353");
  CHECK(o.challenge.dns_provider->secrets.at("tsig-secret").view() == std::string_view("s3cr\0t", 6));
  CHECK(o.challenge.dns_provider->ttl == 30);
  CHECK(o.challenge.dns_options.tech_zone == "tech.example.");
  CHECK(o.challenge.dns_options.resolver.override_server->port == 5353);
  CHECK(o.challenge.dns_options.propagation_timeout == std::chrono::seconds(45));
  REQUIRE(job.attempts[1].stop);
  CHECK(job.attempts[1].stop->category() == Category::NotFound);
  CHECK(job.attempts[1].stop->text() == "dns provider 'gone': no such provider");
  const wire::CaSpec& spec = back->cas.at("pebble");
  CHECK(spec.kid == "https://127.0.0.1:14000/acct/1");
  CHECK(spec.profile.directory == "https://127.0.0.1:14000/dir");
  CHECK(spec.jwk.x == plan.cas.at("pebble").jwk.x);
  CHECK(spec.jwk.y == plan.cas.at("pebble").jwk.y);
  CHECK(crypto::jws_algorithm(spec.jwk) == "ES256");
  REQUIRE(back->cas.at("other").unavailable);
  CHECK(back->cas.at("other").unavailable->category() == Category::State);
  REQUIRE(back->responders);
  CHECK(*back->responders == *plan.responders);
  wire::Plan without = sample_plan();
  without.responders.reset();
  CHECK_FALSE(wire::decode_plan(wire::encode(without))->responders);
}

TEST_CASE("network wire: the trace level and job progress go with the plan, and their messages round-trip",
          "[lifecycle][wire]") {
  wire::Plan plan = sample_plan();
  CHECK(wire::decode_plan(wire::encode(plan))->trace == 0);
  plan.trace = 2;
  plan.job_progress = true;
  auto back = wire::decode_plan(wire::encode(plan));
  REQUIRE(back);
  CHECK(back->trace == 2);
  CHECK(back->job_progress);
  plan.trace = 3;  // no such level
  CHECK_FALSE(wire::decode_plan(wire::encode(plan)));
  auto note = wire::decode_child_message(wire::encode(wire::ChildMessage{wire::TraceNote{2, "http> GET x\n  a: b"}}));
  REQUIRE(note);
  CHECK(std::get<wire::TraceNote>(*note).level == 2);
  CHECK(std::get<wire::TraceNote>(*note).text == "http> GET x\n  a: b");
  auto ended = wire::decode_child_message(wire::encode(wire::ChildMessage{wire::JobEnded{7}}));
  REQUIRE(ended);
  CHECK(std::get<wire::JobEnded>(*ended).index == 7);
  for (std::string_view bad : {R"({"type":"trace","level":0,"text":"x"})", R"({"type":"trace","level":3,"text":"x"})",
                               R"({"type":"trace","level":1})", R"({"type":"job_ended","index":-1})",
                               R"({"type":"job_ended","index":"1"})"}) {
    INFO(bad);
    CHECK_FALSE(wire::decode_child_message(bad));
  }
}

TEST_CASE("network wire: every outcome and the warnings round-trip", "[lifecycle][wire]") {
  Batch batch;
  Issued issued;
  issued.by = "pebble";
  issued.cert.leaf = test_cert();
  const std::string leaf_der = issued.cert.leaf.to_der();
  issued.cert.chain.push_back(test_cert());
  issued.cert.replaced = "aki.serial";
  issued.cert.ari = ca::AriWindow{"id", 100, 200, "https://x/why", 60, ""};
  Failed failed;
  failed.add(Error(Category::Network, "CA 'a'", "unreachable"));
  failed.add(Error(Category::Ca, "CA 'b'", "rate limited"));
  failed.problem = {"rateLimited", 3600};
  // Issued holds move-only certificates: no initializer list.
  batch.results.push_back({std::move(issued), {{"pebble", "", 0.25, "aki.serial"}}});
  batch.results.push_back({failed, {{"a", "CA 'a': unreachable", 1.5, ""}, {"b", "CA 'b': rate limited", 0.5, ""}}});
  batch.results.push_back({Waiting{"add the CNAME"}, {}});
  batch.results.push_back({Stopped{Error(Category::Aborted, "issue", "interrupted")}, {}});
  batch.results.push_back({Issued{{}, "local"}, {}});  // a dry run's validation: no certificate
  batch.warnings["web"].push_back(Error(Category::Dns, "hook", "cleanup failed"));
  auto back = wire::decode_child_message(wire::encode(wire::ChildMessage{wire::Done{std::move(batch)}}));
  REQUIRE(back);
  auto* done = std::get_if<wire::Done>(&*back);
  REQUIRE(done);
  const auto& r = done->batch.results;
  REQUIRE(r.size() == 5);
  const auto* i = std::get_if<Issued>(&r[0].outcome);
  REQUIRE(i);
  CHECK(i->by == "pebble");
  CHECK(i->cert.leaf.to_der() == leaf_der);
  REQUIRE(i->cert.chain.size() == 1);
  CHECK(i->cert.replaced == "aki.serial");
  REQUIRE(i->cert.ari);
  CHECK(i->cert.ari->end == 200);
  CHECK(i->cert.ari->retry_after_s == 60);
  REQUIRE(r[0].log.size() == 1);
  CHECK(r[0].log[0].duration_s == 0.25);
  const auto* f = std::get_if<Failed>(&r[1].outcome);
  REQUIRE(f);
  CHECK(f->failures == failed.failures);
  CHECK(f->category == Category::Ca);
  CHECK(f->problem.type == "rateLimited");
  CHECK(f->problem.retry_after_s == 3600);
  CHECK(r[1].log.size() == 2);
  CHECK(std::get<Waiting>(r[2].outcome).instruction == "add the CNAME");
  CHECK(std::get<Stopped>(r[3].outcome).error.category() == Category::Aborted);
  CHECK(done->batch.warnings.at("web").at(0).text() == "hook: cleanup failed");
  const auto* validated = std::get_if<Issued>(&r[4].outcome);
  REQUIRE(validated);
  CHECK(validated->by == "local");
  CHECK(validated->cert.leaf.empty());
}

TEST_CASE("network wire: requests and replies round-trip", "[lifecycle][wire]") {
  auto sign = wire::decode_child_message(wire::encode(wire::ChildMessage{wire::SignRequest{"pebble", std::string("a.b\0c", 5)}}));
  REQUIRE(sign);
  CHECK(std::get<wire::SignRequest>(*sign).input == std::string("a.b\0c", 5));
  auto reply = wire::decode_reply(wire::encode(wire::Reply{std::nullopt, std::string("\x01\xff", 2), std::nullopt}));
  REQUIRE(reply);
  CHECK(reply->signature == std::string("\x01\xff", 2));
  CHECK_FALSE(reply->error);
  auto refused = wire::decode_reply(wire::encode(wire::Reply{Error(Category::Vault, "v", "locked"), "", std::nullopt}));
  REQUIRE(refused);
  REQUIRE(refused->error);
  CHECK(refused->error->category() == Category::Vault);
}

TEST_CASE("network wire: malformed messages are errors naming the network process", "[lifecycle][wire]") {
  for (std::string_view bad : {"", "[]", "{", "{\"type\":\"sign\"}", "{\"type\":\"sign\",\"ca\":1,\"input\":\"\"}",
                               "{\"type\":\"sign\",\"ca\":\"x\",\"input\":\"!!\"}", "{\"type\":\"launch\"}",
                               "{\"type\":\"done\",\"batch\":{\"results\":[{\"outcome\":{\"kind\":\"issued\"}}]}}",
                               "{\"type\":\"done\",\"batch\":{\"results\":[{\"outcome\":{\"kind\":\"failed\",\"failures\":[]}}]}}",
                               "{\"type\":\"done\",\"batch\":{\"results\":[{\"outcome\":{\"kind\":\"issued\",\"by\":\"x\","
                               "\"cert\":{\"leaf\":\"junk\",\"chain\":\"\",\"replaced\":\"\"}}}],\"warnings\":{}}}"}) {
    INFO(bad);
    auto m = wire::decode_child_message(bad);
    REQUIRE_FALSE(m);
    CHECK(m.error().subject() == "network process");
  }
  CHECK_FALSE(wire::decode_plan("{\"jobs\":[{\"name\":\"x\"}],\"cas\":{},\"parallel\":1,\"progress\":false}"));
  CHECK_FALSE(wire::decode_reply("{\"signature\":5}"));
}

TEST_CASE("network wire: frames carry any bytes and refuse oversized lengths", "[lifecycle][wire]") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  REQUIRE(wire::send_frame(sv[0], std::string("x\0y", 3)));
  auto got = wire::read_frame(sv[1]);
  REQUIRE(got);
  CHECK(*got == std::string("x\0y", 3));
  REQUIRE(wire::send_frame(sv[0], std::string(100, 'a')));
  auto big = wire::read_frame(sv[1], 10);
  REQUIRE_FALSE(big);
  CHECK(big.error().message().find("limit 10") != std::string::npos);
  ::close(sv[0]);
  ::close(sv[1]);  // the rest of the refused frame is still unread: the stream is over
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  REQUIRE(::write(sv[0], "\0\0\0\x09half", 8) == 8);  // 9 bytes announced, 4 sent
  ::close(sv[0]);
  auto closed = wire::read_frame(sv[1]);
  REQUIRE_FALSE(closed);
  CHECK(closed.error().message() == "closed the connection");
  ::close(sv[1]);
}
