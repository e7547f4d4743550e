// http::Client over libcurl against a loopback cpp-httplib server, plus Link / Retry-After
// parsing.
#include <certctl/crypto.hpp>
#include <certctl/http.hpp>

#include <catch2/catch.hpp>

#include <httplib.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <fstream>
#include <mutex>
#include <thread>

#include "temp_dir.hpp"

using namespace certctl;

namespace {

/// A cpp-httplib server on 127.0.0.1 with an ephemeral port, run in a thread.
class TestServer {
 public:
  explicit TestServer(std::unique_ptr<httplib::Server> svr = std::make_unique<httplib::Server>())
      : svr_(std::move(svr)) {}
  ~TestServer() { stop(); }

  httplib::Server& svr() { return *svr_; }

  /// Bind and serve; returns the port.
  int start() {
    port_ = svr_->bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { svr_->listen_after_bind(); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!svr_->is_running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    REQUIRE(svr_->is_running());
    return port_;
  }
  void stop() {
    if (thread_.joinable()) {
      svr_->stop();
      thread_.join();
    }
  }
  std::string url(const std::string& path, const char* scheme = "http") const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  std::unique_ptr<httplib::Server> svr_;
  std::thread thread_;
  int port_ = 0;
};

/// A port nothing listens on (bound once by the kernel's choice, then released).
int unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

http::Response send_ok(http::Client& c, http::Request req) {
  auto r = c.send(req);
  if (!r) FAIL(r.error().text());
  return std::move(r).value();
}

http::Response with_headers(std::vector<http::Header> h) {
  http::Response r;
  r.status = 200;
  r.headers = std::move(h);
  return r;
}

void write_file(const std::string& path, std::string_view data) {
  std::ofstream f(path, std::ios::binary);
  f << data;
  REQUIRE(f.good());
}

}  // namespace

TEST_CASE("curl client: GET returns status, body and headers and sends ours", "[http]") {
  TestServer ts;
  std::mutex mu;
  std::string seen_ua, seen_custom, seen_method;
  ts.svr().Get("/directory", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    seen_ua = req.get_header_value("User-Agent");
    seen_custom = req.get_header_value("X-Certctl-Test");
    seen_method = req.method;
    res.set_header("Replay-Nonce", "nonce-1");
    res.set_content(R"({"newNonce":"x"})", "application/json");
  });
  ts.start();

  http::ClientOptions opts;
  opts.user_agent = "certctl-test/1.0";
  auto client = http::make_curl_client(opts);
  http::Request req;
  req.url = ts.url("/directory");
  req.headers.push_back({"X-Certctl-Test", "yes"});
  auto r = send_ok(*client, req);

  CHECK(r.status == 200);
  CHECK(r.body == R"({"newNonce":"x"})");
  CHECK(r.header("replay-nonce") == std::optional<std::string>("nonce-1"));
  CHECK(r.header("CONTENT-TYPE") == std::optional<std::string>("application/json"));
  CHECK_FALSE(r.header("X-Absent").has_value());
  std::lock_guard lock(mu);
  CHECK(seen_method == "GET");
  CHECK(seen_ua == "certctl-test/1.0");
  CHECK(seen_custom == "yes");
}

TEST_CASE("curl client: HEAD sends no body and keeps the headers", "[http]") {
  TestServer ts;
  std::atomic<int> heads{0};
  ts.svr().Get("/new-nonce", [&](const httplib::Request& req, httplib::Response& res) {
    if (req.method == "HEAD") ++heads;
    res.set_header("Replay-Nonce", "abc123");
    res.set_header("Cache-Control", "no-store");
    res.set_content("should not arrive", "text/plain");
  });
  ts.start();
  auto client = http::make_curl_client({});
  http::Request req;
  req.method = "HEAD";
  req.url = ts.url("/new-nonce");
  auto r = send_ok(*client, req);
  CHECK(r.status == 200);
  CHECK(r.body.empty());
  CHECK(r.header("Replay-Nonce") == std::optional<std::string>("abc123"));
  CHECK(heads.load() == 1);
}

TEST_CASE("curl client: POST sends the body and content type", "[http]") {
  TestServer ts;
  std::mutex mu;
  std::string body, type, expect;
  ts.svr().Post("/new-order", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    body = req.body;
    type = req.get_header_value("Content-Type");
    expect = req.get_header_value("Expect");
    res.status = 201;
    res.set_header("Location", "https://ca.example/order/1");
    res.set_content("{\"status\":\"pending\"}", "application/json");
  });
  ts.start();
  auto client = http::make_curl_client({});
  http::Request req;
  req.method = "POST";
  req.url = ts.url("/new-order");
  req.headers.push_back({"Content-Type", "application/jose+json"});
  req.body = std::string("{\"protected\":\"e30\",\"payload\":\"\",\"signature\":\"x\"}") + std::string(3000, 'a');
  auto r = send_ok(*client, req);
  CHECK(r.status == 201);
  CHECK(r.header("location") == std::optional<std::string>("https://ca.example/order/1"));
  std::lock_guard lock(mu);
  CHECK(body == req.body);
  CHECK(type == "application/jose+json");
  CHECK(expect.empty());
}

TEST_CASE("curl client: several Link headers arrive in order", "[http]") {
  TestServer ts;
  ts.svr().Get("/cert", [&](const httplib::Request&, httplib::Response& res) {
    res.headers.emplace("Link", "<https://ca.example/cert/1/1>;rel=\"alternate\"");
    res.headers.emplace("Link", "<https://ca.example/directory>;rel=\"index\"");
    res.headers.emplace("Link", "<https://ca.example/cert/1/2>; rel=alternate, <https://ca.example/issuer>; rel=\"up\"");
    res.set_content("-----BEGIN CERTIFICATE-----\n", "application/pem-certificate-chain");
  });
  ts.start();
  auto client = http::make_curl_client({});
  http::Request req;
  req.url = ts.url("/cert");
  auto r = send_ok(*client, req);
  REQUIRE(r.headers_named("link").size() == 3);
  CHECK(http::link_targets(r, "alternate") ==
        std::vector<std::string>{"https://ca.example/cert/1/1", "https://ca.example/cert/1/2"});
  CHECK(http::link_targets(r, "up") == std::vector<std::string>{"https://ca.example/issuer"});
  CHECK(http::link_targets(r, "index") == std::vector<std::string>{"https://ca.example/directory"});
}

TEST_CASE("curl client: 4xx/5xx are responses, redirects are not followed", "[http]") {
  TestServer ts;
  std::atomic<int> target_hits{0};
  ts.svr().Get("/missing", [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content("{\"type\":\"urn:ietf:params:acme:error:malformed\"}", "application/problem+json");
  });
  ts.svr().Get("/moved", [](const httplib::Request&, httplib::Response& res) {
    res.status = 302;
    res.set_header("Location", "/target");
  });
  ts.svr().Get("/target", [&](const httplib::Request&, httplib::Response& res) {
    ++target_hits;
    res.set_content("target", "text/plain");
  });
  ts.svr().Get("/boom", [](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_header("Retry-After", "120");
  });
  ts.start();
  auto client = http::make_curl_client({});

  http::Request req;
  req.url = ts.url("/missing");
  auto r = send_ok(*client, req);
  CHECK(r.status == 404);
  CHECK(r.body.find("malformed") != std::string::npos);
  CHECK(r.header("content-type") == std::optional<std::string>("application/problem+json"));

  req.url = ts.url("/moved");
  r = send_ok(*client, req);
  CHECK(r.status == 302);
  CHECK(r.header("Location") == std::optional<std::string>("/target"));
  CHECK(target_hits.load() == 0);

  req.url = ts.url("/boom");
  r = send_ok(*client, req);
  CHECK(r.status == 503);
  CHECK(http::retry_after_seconds(r, 0) == std::optional<long>(120));
}

TEST_CASE("curl client: one connection is reused between requests", "[http]") {
  TestServer ts;
  std::mutex mu;
  std::vector<int> ports;
  ts.svr().Get("/n", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    ports.push_back(req.remote_port);
    res.set_content("ok", "text/plain");
  });
  ts.start();
  auto client = http::make_curl_client({});
  http::Request req;
  req.url = ts.url("/n");
  for (int i = 0; i < 3; ++i) CHECK(send_ok(*client, req).body == "ok");
  std::lock_guard lock(mu);
  REQUIRE(ports.size() == 3);
  CHECK(ports[0] == ports[1]);
  CHECK(ports[1] == ports[2]);
}

TEST_CASE("curl client: connection refused is a Network error naming the URL", "[http]") {
  auto client = http::make_curl_client({});
  http::Request req;
  req.url = "http://127.0.0.1:" + std::to_string(unused_port()) + "/directory";
  auto r = client->send(req);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == Category::Network);
  CHECK(r.error().subject() == req.url);
  CHECK(r.error().message() == "cannot connect");
  CHECK_FALSE(r.error().cause().empty());
}

TEST_CASE("curl client: PATCH, PUT and DELETE send their method and body", "[http]") {
  TestServer ts;
  std::mutex mu;
  std::vector<std::string> seen;  // "METHOD body content-type expect"
  auto record = [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    seen.push_back(req.method + " " + req.body + " " + req.get_header_value("Content-Type") + " " +
                   req.get_header_value("Expect"));
    res.status = req.method == "DELETE" ? 200 : 204;
    if (req.method == "DELETE") res.set_content("{\"success\":true}", "application/json");
  };
  ts.svr().Patch("/zones/a", record);
  ts.svr().Put("/zones/a", record);
  ts.svr().Delete("/zones/a", record);
  ts.start();
  auto client = http::make_curl_client({});
  http::Request req;
  req.url = ts.url("/zones/a");
  req.headers.push_back({"Content-Type", "application/json"});
  req.method = "PATCH";
  req.body = "{\"rrsets\":[]}";
  CHECK(send_ok(*client, req).status == 204);
  req.method = "PUT";
  CHECK(send_ok(*client, req).status == 204);
  req.method = "DELETE";
  req.body.clear();
  req.headers.clear();
  auto r = send_ok(*client, req);
  CHECK(r.status == 200);
  CHECK(r.body == "{\"success\":true}");
  std::lock_guard lock(mu);
  REQUIRE(seen.size() == 3);
  CHECK(seen[0] == "PATCH {\"rrsets\":[]} application/json ");
  CHECK(seen[1] == "PUT {\"rrsets\":[]} application/json ");
  CHECK(seen[2] == "DELETE   ");
}

TEST_CASE("curl client: unsupported methods and schemes are errors, not requests", "[http]") {
  auto client = http::make_curl_client({});
  http::Request req;
  req.url = "file:///etc/passwd";
  auto r = client->send(req);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == Category::Network);
  CHECK(r.error().subject() == "file:///etc/passwd");

  req.url = "http://127.0.0.1:1/";
  req.method = "TRACE";
  r = client->send(req);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == Category::Internal);
}

TEST_CASE("curl client: HTTPS verifies against ca_bundle", "[http]") {
  using namespace certctl::crypto;
  test::TempDir dir;
  const UnixTime now = static_cast<UnixTime>(std::time(nullptr));

  auto ca_key = PrivateKey::generate(KeyType::Ec256);
  REQUIRE(ca_key.ok());
  Subject ca_subject;
  ca_subject.cn = "certctl http test CA";
  IssueParams ca_params;
  ca_params.not_before = now - 3600;
  ca_params.not_after = now + 86400;
  ca_params.is_ca = true;
  auto ca = make_self_signed_ca(*ca_key, ca_subject, ca_params);
  REQUIRE(ca.ok());

  auto leaf_key = PrivateKey::generate(KeyType::Ec256);
  REQUIRE(leaf_key.ok());
  CsrRequest csr_req;
  csr_req.subject.cn = "127.0.0.1";
  csr_req.ip_addresses = {"127.0.0.1"};
  auto csr_pem = make_csr(*leaf_key, csr_req);
  REQUIRE(csr_pem.ok());
  auto csr = parse_csr(*csr_pem, "csr");
  REQUIRE(csr.ok());
  IssueParams leaf_params;
  leaf_params.not_before = now - 3600;
  leaf_params.not_after = now + 86400;
  auto leaf = sign_csr(*csr, *ca, *ca_key, leaf_params);
  REQUIRE(leaf.ok());

  const std::string bundle = dir.file("ca.pem");
  write_file(bundle, ca->to_pem());

  TestServer ts(std::make_unique<httplib::SSLServer>(leaf->get(), leaf_key->get()));
  REQUIRE(ts.svr().is_valid());
  ts.svr().Get("/directory", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"secure\":true}", "application/json");
  });
  ts.start();

  SECTION("trusted through ca_bundle") {
    http::ClientOptions opts;
    opts.ca_bundle = bundle;
    auto client = http::make_curl_client(opts);
    http::Request req;
    req.url = ts.url("/directory", "https");
    auto r = send_ok(*client, req);
    CHECK(r.status == 200);
    CHECK(r.body == "{\"secure\":true}");
  }
  SECTION("untrusted without it: a Network error with curl's reason") {
    auto client = http::make_curl_client({});
    http::Request req;
    req.url = ts.url("/directory", "https");
    auto r = client->send(req);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().category() == Category::Network);
    CHECK(r.error().subject() == req.url);
    CHECK(r.error().message() == "TLS certificate verification failed");
    CHECK_THAT(r.error().cause(), Catch::Matchers::Contains("certificate"));
  }
  SECTION("a missing bundle file is a Network error too") {
    http::ClientOptions opts;
    opts.ca_bundle = dir.file("absent.pem");
    auto client = http::make_curl_client(opts);
    http::Request req;
    req.url = ts.url("/directory", "https");
    auto r = client->send(req);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().category() == Category::Network);
  }
}

TEST_CASE("Response::header and headers_named ignore case", "[http]") {
  auto r = with_headers({{"Content-Type", "a"}, {"link", "<x>;rel=up"}, {"LINK", "<y>;rel=up"}});
  CHECK(r.header("content-type") == std::optional<std::string>("a"));
  CHECK(r.headers_named("Link") == std::vector<std::string>{"<x>;rel=up", "<y>;rel=up"});
  CHECK(r.headers_named("Location").empty());
}

TEST_CASE("link_targets parses RFC 8288 Link values", "[http]") {
  SECTION("quoted and unquoted rel, several links per header") {
    auto r = with_headers({{"Link", "<https://a/1>;rel=\"alternate\", <https://a/up>;rel=up,"
                                    "<https://a/2> ; title=\"x, y; z\" ; rel=alternate"}});
    CHECK(http::link_targets(r, "alternate") == std::vector<std::string>{"https://a/1", "https://a/2"});
    CHECK(http::link_targets(r, "up") == std::vector<std::string>{"https://a/up"});
    CHECK(http::link_targets(r, "index").empty());
  }
  SECTION("rel is case-insensitive and may list several relations") {
    auto r = with_headers({{"Link", "<https://a/1>; REL=\"Alternate up\""}});
    CHECK(http::link_targets(r, "alternate") == std::vector<std::string>{"https://a/1"});
    CHECK(http::link_targets(r, "up") == std::vector<std::string>{"https://a/1"});
  }
  SECTION("a URL with a comma and malformed entries") {
    auto r = with_headers({{"Link", "garbage, <https://a/x,y>;rel=\"alternate\", <unterminated"}});
    CHECK(http::link_targets(r, "alternate") == std::vector<std::string>{"https://a/x,y"});
  }
  SECTION("no Link header") {
    CHECK(http::link_targets(with_headers({}), "alternate").empty());
  }
}

TEST_CASE("retry_after_seconds: delta seconds and IMF-fixdate", "[http]") {
  // Sun, 06 Nov 1994 08:49:37 GMT = 784111777
  constexpr long long kDate = 784111777;
  auto ra = [](std::string v) { return with_headers({{"Retry-After", std::move(v)}}); };
  CHECK(http::retry_after_seconds(ra("120"), kDate) == std::optional<long>(120));
  CHECK(http::retry_after_seconds(ra(" 0 "), kDate) == std::optional<long>(0));
  CHECK(http::retry_after_seconds(ra("Sun, 06 Nov 1994 08:49:37 GMT"), kDate - 90) ==
        std::optional<long>(90));
  CHECK(http::retry_after_seconds(ra("Sun, 06 Nov 1994 08:49:37 GMT"), kDate + 10) ==
        std::optional<long>(0));
  CHECK(http::retry_after_seconds(ra("Thu, 01 Jan 2037 00:00:00 GMT"), 2114380800 - 3600) ==
        std::optional<long>(3600));
  CHECK_FALSE(http::retry_after_seconds(ra("-5"), kDate).has_value());
  CHECK_FALSE(http::retry_after_seconds(ra("soon"), kDate).has_value());
  CHECK_FALSE(http::retry_after_seconds(ra("Sun, 06 Nov 1994 08:49:37 PST"), kDate).has_value());
  CHECK_FALSE(http::retry_after_seconds(ra("Sun, 06 Foo 1994 08:49:37 GMT"), kDate).has_value());
  CHECK_FALSE(http::retry_after_seconds(with_headers({}), kDate).has_value());
}

TEST_CASE("retry_after_seconds: a wait beyond 30 days is cut to 30 days, never overflows", "[http]") {
  auto ra = [](std::string v) { return with_headers({{"Retry-After", std::move(v)}}); };
  CHECK(http::retry_after_seconds(ra("400000000000"), 0) == std::optional<long>(http::kMaxRetryAfter));
  CHECK(http::retry_after_seconds(ra("9223372036854775807"), 0) == std::optional<long>(http::kMaxRetryAfter));
  CHECK(http::retry_after_seconds(ra("99999999999999999999999"), 0) == std::nullopt);
  CHECK(http::retry_after_seconds(ra("Fri, 31 Dec 9999 23:59:59 GMT"), 0) == std::optional<long>(http::kMaxRetryAfter));
}
