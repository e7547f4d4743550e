// Challenge solvers: http-01 (built-in server, webroot), tls-alpn-01, dns-01 (exec hook,
// manual). Servers run on 127.0.0.1 with ports the kernel just handed out.
#include <certctl/challenge.hpp>
#include <certctl/crypto.hpp>
#include <certctl/http.hpp>
#include <certctl/unique_fd.hpp>

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "net_util.hpp"
#include "temp_dir.hpp"

using namespace certctl;

namespace {

constexpr const char* kThumbprint = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";

challenge::Task make_task(std::string type, std::string identifier, std::string token) {
  challenge::Task t;
  t.type = std::move(type);
  t.identifier = std::move(identifier);
  t.token = std::move(token);
  t.key_authorization = t.token + "." + kThumbprint;
  t.dns_value = crypto::base64url_encode(crypto::sha256(t.key_authorization));
  t.fqdn = "_acme-challenge." + t.identifier + ".";
  return t;
}

using test::occupy_port;
using test::unused_port;

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

void write_script(const std::string& path, const std::string& body) {
  {
    std::ofstream f(path, std::ios::binary);
    f << "#!/bin/sh\n" << body;
  }
  REQUIRE(::chmod(path.c_str(), 0755) == 0);
}

// ---- a minimal OpenSSL client for tls-alpn-01 -------------------------------------------------

struct TlsOutcome {
  bool handshake_ok = false;
  std::string alpn;
  crypto::Certificate cert;
};

TlsOutcome tls_connect(int port, const std::string& sni, const std::vector<std::string>& protos) {
  TlsOutcome out;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free);
  REQUIRE(ctx);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);  // self-signed by design
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), &SSL_free);
  REQUIRE(ssl);
  if (!sni.empty()) REQUIRE(SSL_set_tlsext_host_name(ssl.get(), sni.c_str()) == 1);
  std::string wire;
  for (const auto& p : protos) wire += static_cast<char>(p.size()) + p;
  if (!wire.empty()) {
    REQUIRE(SSL_set_alpn_protos(ssl.get(), reinterpret_cast<const unsigned char*>(wire.data()),
                                static_cast<unsigned>(wire.size())) == 0);
  }
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd);
  timeval tv{5, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return out;
  SSL_set_fd(ssl.get(), fd.get());
  out.handshake_ok = SSL_connect(ssl.get()) == 1;
  if (out.handshake_ok) {
    const unsigned char* p = nullptr;
    unsigned len = 0;
    SSL_get0_alpn_selected(ssl.get(), &p, &len);
    out.alpn.assign(reinterpret_cast<const char*>(p), len);
    if (X509* peer = SSL_get1_peer_certificate(ssl.get())) out.cert = crypto::Certificate::adopt(peer);
    SSL_shutdown(ssl.get());
  }
  ERR_clear_error();
  return out;
}

/// The acmeIdentifier extension: {found, critical, DER value}.
struct AcmeExt {
  bool found = false;
  bool critical = false;
  std::string value;
};

AcmeExt acme_identifier(const crypto::Certificate& cert) {
  AcmeExt e;
  ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
  REQUIRE(oid);
  int idx = X509_get_ext_by_OBJ(cert.get(), oid, -1);
  ASN1_OBJECT_free(oid);
  if (idx < 0) return e;
  X509_EXTENSION* ext = X509_get_ext(cert.get(), idx);
  e.found = true;
  e.critical = X509_EXTENSION_get_critical(ext) == 1;
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
  e.value.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                 static_cast<std::size_t>(ASN1_STRING_length(data)));
  return e;
}

/// Restores an environment variable at scope exit.
class EnvGuard {
 public:
  explicit EnvGuard(const char* name) : name_(name) {
    if (const char* v = std::getenv(name)) old_ = v;
  }
  ~EnvGuard() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  std::string stat = read_all("/proc/" + std::to_string(pid) + "/stat");
  auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

}  // namespace

// ---- http-01: built-in server ----------------------------------------------------------------

TEST_CASE("http-01 standalone serves exactly the presented tokens", "[challenge]") {
  const int port = unused_port();
  auto solver = challenge::make_http_standalone("127.0.0.1", port);
  REQUIRE(solver.ok());
  CHECK((*solver)->type() == "http-01");
  auto a = make_task("http-01", "a.example", "tokenA_-1");
  auto b = make_task("http-01", "b.example", "tokenB");
  REQUIRE((*solver)->present({a, b}).ok());

  auto client = http::make_curl_client({});
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  auto get = [&](const std::string& path) {
    http::Request req;
    req.url = base + path;
    return client->send(req);
  };

  auto r = get("/.well-known/acme-challenge/tokenA_-1");
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->body == a.key_authorization);
  CHECK_THAT(r->header("Content-Type").value_or(""), Catch::Matchers::StartsWith("text/plain"));
  r = get("/.well-known/acme-challenge/tokenB");
  REQUIRE(r.ok());
  CHECK(r->body == b.key_authorization);

  for (const char* path : {"/.well-known/acme-challenge/unknown", "/.well-known/acme-challenge/",
                           "/.well-known/acme-challenge/tokenA_-1/x", "/", "/tokenA_-1",
                           "/x/.well-known/acme-challenge/tokenB",
                           "/.well-known/ACME-challenge/tokenB"}) {
    INFO(path);
    r = get(path);
    REQUIRE(r.ok());
    CHECK(r->status == 404);
    CHECK(r->body.find(kThumbprint) == std::string::npos);
  }

  REQUIRE((*solver)->cleanup().ok());
  r = get("/.well-known/acme-challenge/tokenA_-1");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == Category::Network);
  CHECK(r.error().message() == "cannot connect");
  CHECK((*solver)->cleanup().ok());  // twice is fine

  SECTION("present after cleanup serves again, without the old tokens") {
    auto c = make_task("http-01", "c.example", "tokenC");
    REQUIRE((*solver)->present({c}).ok());
    r = get("/.well-known/acme-challenge/tokenC");
    REQUIRE(r.ok());
    CHECK(r->body == c.key_authorization);
    r = get("/.well-known/acme-challenge/tokenA_-1");
    REQUIRE(r.ok());
    CHECK(r->status == 404);
    REQUIRE((*solver)->cleanup().ok());
  }
}

TEST_CASE("http-01 standalone rejects a busy port and bad tokens", "[challenge]") {
  int port = 0;
  UniqueFd busy = occupy_port(&port);
  auto solver = challenge::make_http_standalone("127.0.0.1", port);
  REQUIRE_FALSE(solver.ok());
  CHECK(solver.error().category() == Category::Config);
  CHECK(solver.error().subject() == "127.0.0.1:" + std::to_string(port));
  CHECK_THAT(solver.error().cause(), Catch::Matchers::Contains("in use"));

  auto bad_port = challenge::make_http_standalone("127.0.0.1", 70000);
  REQUIRE_FALSE(bad_port.ok());
  CHECK(bad_port.error().category() == Category::Config);

  auto ok = challenge::make_http_standalone("127.0.0.1", unused_port());
  REQUIRE(ok.ok());
  auto t = make_task("http-01", "a.example", "../../etc/passwd");
  auto s = (*ok)->present({t});
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().category() == Category::Input);
  CHECK(s.error().subject() == "a.example");
}

// ---- http-01: webroot ------------------------------------------------------------------------

TEST_CASE("webroot writes world-readable challenge files and removes what it created", "[challenge]") {
  test::TempDir dir;
  const std::string root = dir.file("www");
  REQUIRE(::mkdir(root.c_str(), 0755) == 0);
  mode_t old_umask = ::umask(077);  // the files must be 0644 regardless
  auto solver = challenge::make_webroot(root);
  REQUIRE(solver.ok());
  auto a = make_task("http-01", "a.example", "tokA");
  auto b = make_task("http-01", "b.example", "tokB");
  Status s = (*solver)->present({a, b});
  ::umask(old_umask);
  REQUIRE(s.ok());

  const std::string dir1 = root + "/.well-known", dir2 = dir1 + "/acme-challenge";
  CHECK(read_all(dir2 + "/tokA") == a.key_authorization);
  CHECK(read_all(dir2 + "/tokB") == b.key_authorization);
  CHECK(mode_of(dir2 + "/tokA") == 0644);
  CHECK(mode_of(dir1) == 0755);
  CHECK(mode_of(dir2) == 0755);

  REQUIRE((*solver)->cleanup().ok());
  CHECK_FALSE(exists(dir2 + "/tokA"));
  CHECK_FALSE(exists(dir2));
  CHECK_FALSE(exists(dir1));
  CHECK(exists(root));
  CHECK((*solver)->cleanup().ok());
}

TEST_CASE("webroot keeps directories and files it did not create", "[challenge]") {
  test::TempDir dir;
  const std::string root = dir.file("www");
  const std::string dir1 = root + "/.well-known";
  REQUIRE(::mkdir(root.c_str(), 0755) == 0);
  REQUIRE(::mkdir(dir1.c_str(), 0755) == 0);
  { std::ofstream(dir1 + "/security.txt") << "contact"; }
  auto solver = challenge::make_webroot(root + "/");
  REQUIRE(solver.ok());
  REQUIRE((*solver)->present({make_task("http-01", "a.example", "tokA")}).ok());
  CHECK(exists(dir1 + "/acme-challenge/tokA"));
  REQUIRE((*solver)->cleanup().ok());
  CHECK_FALSE(exists(dir1 + "/acme-challenge"));
  CHECK(exists(dir1 + "/security.txt"));
}

TEST_CASE("webroot: a missing webroot and unsafe tokens are Input errors", "[challenge]") {
  test::TempDir dir;
  auto missing = challenge::make_webroot(dir.file("nope"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().category() == Category::Input);
  CHECK(missing.error().subject() == dir.file("nope"));

  auto solver = challenge::make_webroot(dir.path());
  REQUIRE(solver.ok());
  auto s = (*solver)->present({make_task("http-01", "a.example", "../escape")});
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().category() == Category::Input);
  CHECK_FALSE(exists(dir.path() + "/.well-known"));
}

// ---- tls-alpn-01 -----------------------------------------------------------------------------

TEST_CASE("tls-alpn-01 answers acme-tls/1 with the RFC 8737 certificate", "[challenge]") {
  const int port = unused_port();
  auto solver = challenge::make_tls_alpn("127.0.0.1", port);
  REQUIRE(solver.ok());
  CHECK((*solver)->type() == "tls-alpn-01");
  auto a = make_task("tls-alpn-01", "a.example.com", "tokA");
  auto b = make_task("tls-alpn-01", "b.example.com", "tokB");
  auto ip = make_task("tls-alpn-01", "127.0.0.1", "tokIp");
  REQUIRE((*solver)->present({a, b, ip}).ok());

  SECTION("acme-tls/1 with SNI gets that name's certificate") {
    for (const auto* t : {&a, &b}) {
      INFO(t->identifier);
      auto out = tls_connect(port, t->identifier, {"acme-tls/1"});
      REQUIRE(out.handshake_ok);
      CHECK(out.alpn == "acme-tls/1");
      REQUIRE_FALSE(out.cert.empty());
      auto info = out.cert.info();
      CHECK(info.dns_names == std::vector<std::string>{t->identifier});
      CHECK(info.ip_addresses.empty());
      auto ext = acme_identifier(out.cert);
      REQUIRE(ext.found);
      CHECK(ext.critical);
      CHECK(ext.value == std::string("\x04\x20", 2) + crypto::sha256(t->key_authorization));
    }
  }
  SECTION("SNI is case-insensitive; the client may offer other protocols too") {
    auto out = tls_connect(port, "A.Example.COM", {"http/1.1", "acme-tls/1"});
    REQUIRE(out.handshake_ok);
    CHECK(out.alpn == "acme-tls/1");
    CHECK(out.cert.info().dns_names == std::vector<std::string>{"a.example.com"});
  }
  SECTION("an IP identifier is found by its reverse name (RFC 8738)") {
    auto out = tls_connect(port, "1.0.0.127.in-addr.arpa", {"acme-tls/1"});
    REQUIRE(out.handshake_ok);
    auto info = out.cert.info();
    CHECK(info.ip_addresses == std::vector<std::string>{"127.0.0.1"});
    CHECK(info.dns_names.empty());
    CHECK(acme_identifier(out.cert).value ==
          std::string("\x04\x20", 2) + crypto::sha256(ip.key_authorization));
  }
  SECTION("other protocols, no ALPN, unknown or missing SNI fail the handshake") {
    CHECK_FALSE(tls_connect(port, "a.example.com", {"http/1.1"}).handshake_ok);
    CHECK_FALSE(tls_connect(port, "a.example.com", {}).handshake_ok);
    CHECK_FALSE(tls_connect(port, "other.example.com", {"acme-tls/1"}).handshake_ok);
    CHECK_FALSE(tls_connect(port, "", {"acme-tls/1"}).handshake_ok);
    // and the server still answers afterwards
    CHECK(tls_connect(port, "a.example.com", {"acme-tls/1"}).handshake_ok);
  }
  SECTION("cleanup closes the port; present opens it again") {
    REQUIRE((*solver)->cleanup().ok());
    CHECK_FALSE(tls_connect(port, "a.example.com", {"acme-tls/1"}).handshake_ok);
    REQUIRE((*solver)->present({b}).ok());
    CHECK(tls_connect(port, "b.example.com", {"acme-tls/1"}).handshake_ok);
    CHECK_FALSE(tls_connect(port, "a.example.com", {"acme-tls/1"}).handshake_ok);
  }
  REQUIRE((*solver)->cleanup().ok());
}

TEST_CASE("tls-alpn-01 reports a busy port as a Config error", "[challenge]") {
  int port = 0;
  UniqueFd busy = occupy_port(&port);
  auto solver = challenge::make_tls_alpn("127.0.0.1", port);
  REQUIRE_FALSE(solver.ok());
  CHECK(solver.error().category() == Category::Config);
  CHECK(solver.error().subject() == "127.0.0.1:" + std::to_string(port));
  CHECK_THAT(solver.error().cause(), Catch::Matchers::Contains("in use"));
}

// ---- dns-01: exec hook -----------------------------------------------------------------------

TEST_CASE("dns exec hook gets exact argv and CERTCTL_* environment", "[challenge]") {
  test::TempDir dir;
  const std::string hook = dir.file("hook.sh");
  const std::string log = dir.file("calls.log");
  write_script(hook,
               "log=\"$(dirname \"$0\")/calls.log\"\n"
               "{ printf 'argc=%s\\n' \"$#\"\n"
               "  for a in \"$@\"; do printf 'arg=%s\\n' \"$a\"; done\n"
               "  printf 'ACTION=%s\\nFQDN=%s\\nVALUE=%s\\nDOMAIN=%s\\nTOKEN=%s\\nINHERITED=%s\\nSECRET=%s\\n' "
               "\"$CERTCTL_ACTION\" \"$CERTCTL_FQDN\" \"$CERTCTL_VALUE\" \"$CERTCTL_DOMAIN\" "
               "\"$CERTCTL_TOKEN\" \"$CERTCTL_TEST_INHERITED\" \"$CERTCTL_PASSPHRASE$CERTCTL_NEW_PASSPHRASE\"\n"
               "  printf 'end\\n'; } >> \"$log\"\n"
               "echo done\n");
  EnvGuard g1("CERTCTL_TEST_INHERITED"), g2("CERTCTL_VALUE"), g3("CERTCTL_PASSPHRASE"), g4("CERTCTL_NEW_PASSPHRASE");
  ::setenv("CERTCTL_TEST_INHERITED", "kept", 1);
  ::setenv("CERTCTL_VALUE", "stale-from-parent", 1);
  ::setenv("CERTCTL_PASSPHRASE", "vault secret", 1);  // never handed to a hook
  ::setenv("CERTCTL_NEW_PASSPHRASE", "new secret", 1);

  auto solver = challenge::make_dns_exec(hook, 10);
  REQUIRE(solver.ok());
  CHECK((*solver)->type() == "dns-01");
  auto t = make_task("dns-01", "www.example.com", "tok-123_x");
  REQUIRE((*solver)->present({t}).ok());
  auto expected = [&](const std::string& action) {
    return "argc=3\narg=" + action + "\narg=_acme-challenge.www.example.com.\narg=" + t.dns_value +
           "\nACTION=" + action + "\nFQDN=_acme-challenge.www.example.com.\nVALUE=" + t.dns_value +
           "\nDOMAIN=www.example.com\nTOKEN=tok-123_x\nINHERITED=kept\nSECRET=\nend\n";
  };
  CHECK(read_all(log) == expected("present"));
  REQUIRE((*solver)->cleanup().ok());
  CHECK(read_all(log) == expected("present") + expected("cleanup"));
  REQUIRE((*solver)->cleanup().ok());  // nothing left to clean up
  CHECK(read_all(log) == expected("present") + expected("cleanup"));
}

TEST_CASE("dns exec hook: a non-zero exit is a Dns error with the hook's last words", "[challenge]") {
  test::TempDir dir;
  const std::string hook = dir.file("hook.sh");
  write_script(hook,
               "echo \"$1 $2\" >> \"$(dirname \"$0\")/calls.log\"\n"
               "if [ \"$1\" = present ]; then case \"$2\" in *bad*)\n"
               "  echo 'talking to the DNS API'; echo \"zone not found for $2\" >&2; exit 3;; esac; fi\n");
  auto solver = challenge::make_dns_exec(hook, 10);
  REQUIRE(solver.ok());
  auto good1 = make_task("dns-01", "good1.example", "t1");
  auto bad = make_task("dns-01", "bad.example", "t2");
  auto good2 = make_task("dns-01", "good2.example", "t3");
  auto s = (*solver)->present({good1, bad, good2});
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().category() == Category::Dns);
  CHECK(s.error().message() == "hook " + hook + " exited 3");
  CHECK(s.error().cause() == "zone not found for _acme-challenge.bad.example.");
  CHECK(s.error().subject() == "_acme-challenge.bad.example.");

  // cleanup covers every task presented so far, including the failed one, never good2
  REQUIRE((*solver)->cleanup().ok());
  CHECK(read_all(dir.file("calls.log")) ==
        "present _acme-challenge.good1.example.\n"
        "present _acme-challenge.bad.example.\n"
        "cleanup _acme-challenge.good1.example.\n"
        "cleanup _acme-challenge.bad.example.\n");
}

TEST_CASE("dns exec hook: a hanging hook is killed after the timeout", "[challenge]") {
  test::TempDir dir;
  const std::string hook = dir.file("hook.sh");
  const std::string pidfile = dir.file("sleeper.pid");
  write_script(hook,
               "echo waiting for the API\n"
               "sleep 30 &\n"
               "echo $! > \"$(dirname \"$0\")/sleeper.pid\"\n"
               "wait\n");
  auto solver = challenge::make_dns_exec(hook, 1);
  REQUIRE(solver.ok());
  auto start = std::chrono::steady_clock::now();
  auto s = (*solver)->present({make_task("dns-01", "slow.example", "tok")});
  auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().category() == Category::Dns);
  CHECK_THAT(s.error().message(), Catch::Matchers::Contains("timed out"));
  CHECK_THAT(s.error().message(), Catch::Matchers::Contains(hook));
  CHECK(s.error().cause() == "waiting for the API");
  CHECK(elapsed >= std::chrono::milliseconds(900));
  CHECK(elapsed < std::chrono::seconds(5));

  // the whole process group went, including the hook's background child
  std::string pid_text = read_all(pidfile);
  REQUIRE_FALSE(pid_text.empty());
  pid_t sleeper = static_cast<pid_t>(std::stol(pid_text));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (!process_gone(sleeper) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(process_gone(sleeper));
  (void)(*solver)->cleanup();  // also times out; must not throw
}

TEST_CASE("dns exec hook: unsafe values are refused before anything runs", "[challenge]") {
  test::TempDir dir;
  const std::string hook = dir.file("hook.sh");
  const std::string log = dir.file("calls.log");
  write_script(hook, "echo \"$@\" >> \"$(dirname \"$0\")/calls.log\"\n");
  auto solver = challenge::make_dns_exec(hook, 10);
  REQUIRE(solver.ok());

  auto good = make_task("dns-01", "ok.example", "tok");
  auto evil = make_task("dns-01", "evil.example", "tok2");
  evil.dns_value = "abc;touch pwned $(id)";
  auto s = (*solver)->present({good, evil});
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().category() == Category::Input);
  CHECK(s.error().subject() == "evil.example");

  auto evil_name = make_task("dns-01", "evil.example", "tok3");
  evil_name.fqdn = "_acme-challenge.evil example.;rm";
  REQUIRE_FALSE((*solver)->present({evil_name}).ok());
  auto evil_token = make_task("dns-01", "evil.example", "tok`id`");
  REQUIRE_FALSE((*solver)->present({evil_token}).ok());

  REQUIRE((*solver)->cleanup().ok());
  CHECK_FALSE(exists(log));  // the hook never ran, not even for the good task or cleanup
}

TEST_CASE("dns exec hook: a missing command is a Usage error (as the exec provider's)", "[challenge]") {
  test::TempDir dir;
  auto solver = challenge::make_dns_exec(dir.file("absent.sh"), 10);
  REQUIRE_FALSE(solver.ok());
  CHECK(solver.error().category() == Category::Usage);
  CHECK(solver.error().subject() == dir.file("absent.sh"));
  CHECK_FALSE(challenge::make_dns_exec("", 10).ok());
  CHECK_FALSE(challenge::make_dns_exec("/bin/true", 0).ok());
}

TEST_CASE("dns exec hook: a relative command is refused (no $PATH lookup)", "[challenge]") {
  auto solver = challenge::make_dns_exec("true", 10);
  REQUIRE_FALSE(solver.ok());
  CHECK(solver.error().category() == Category::Usage);
  CHECK_THAT(solver.error().message(), Catch::Matchers::Contains("absolute path"));
  auto timeout = challenge::make_dns_exec("/bin/true", 3601);
  REQUIRE_FALSE(timeout.ok());
  CHECK_THAT(timeout.error().message(), Catch::Matchers::Contains("hook-timeout"));
}

TEST_CASE("dns exec hook: CERTCTL_ZONE is empty without lookups; a stale one is not inherited", "[challenge]") {
  test::TempDir dir;
  const std::string hook = dir.file("hook.sh");
  write_script(hook, "printf 'zone=[%s]\\n' \"$CERTCTL_ZONE\" >> \"$(dirname \"$0\")/calls.log\"\n");
  EnvGuard g1("CERTCTL_ZONE");
  ::setenv("CERTCTL_ZONE", "stale.example.", 1);
  auto solver = challenge::make_dns_exec(hook, 10);
  REQUIRE(solver.ok());
  REQUIRE((*solver)->present({make_task("dns-01", "z.example", "tok")}).ok());
  REQUIRE((*solver)->cleanup().ok());
  CHECK(read_all(dir.file("calls.log")) == "zone=[]\nzone=[]\n");
}

// ---- the --dns setting -----------------------------------------------------------------------

TEST_CASE("the --dns setting parses once into manual, an exec hook or a provider", "[challenge]") {
  using namespace certctl::challenge;
  auto manual = parse_dns_setting("manual");
  REQUIRE(manual.ok());
  CHECK(std::holds_alternative<ManualDns>(*manual));
  auto hook = parse_dns_setting("exec:/usr/local/bin/dns-hook");
  REQUIRE(hook.ok());
  REQUIRE(std::holds_alternative<ExecHook>(*hook));
  CHECK(std::get<ExecHook>(*hook).command == "/usr/local/bin/dns-hook");
  auto provider = parse_dns_setting("bind-primary");
  REQUIRE(provider.ok());
  REQUIRE(std::holds_alternative<ProviderRef>(*provider));
  CHECK(std::get<ProviderRef>(*provider).name == "bind-primary");
  for (const char* text : {"manual", "exec:/usr/local/bin/dns-hook", "exec:/a b", "bind-primary"}) {
    auto parsed = parse_dns_setting(text);
    REQUIRE(parsed.ok());
    CHECK(to_string(*parsed) == text);
  }
}

TEST_CASE("a bad --dns setting is a Usage error naming --dns", "[challenge]") {
  using namespace certctl::challenge;
  for (const char* text : {"", "exec:", "exe:/bin/true", "http://x"}) {
    INFO(text);
    auto parsed = parse_dns_setting(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().category() == Category::Usage);
    CHECK(parsed.error().subject() == "--dns");
  }
  CHECK_THAT(parse_dns_setting("").error().message(), Catch::Matchers::Contains("needs a provider"));
  CHECK_THAT(parse_dns_setting("exe:/bin/true").error().message(), Catch::Matchers::Contains("'exe:/bin/true'"));
}

// ---- dns-01: manual --------------------------------------------------------------------------

TEST_CASE("dns manual needs a terminal", "[challenge]") {
  // Whatever the test runner's stdin is, make it a non-terminal for this check.
  UniqueFd saved(::dup(STDIN_FILENO));
  REQUIRE(saved);
  UniqueFd null(::open("/dev/null", O_RDONLY));
  REQUIRE(null);
  REQUIRE(::dup2(null.get(), STDIN_FILENO) == STDIN_FILENO);
  auto solver = challenge::make_dns_manual();
  ::dup2(saved.get(), STDIN_FILENO);
  REQUIRE_FALSE(solver.ok());
  CHECK(solver.error().category() == Category::Usage);
  CHECK_THAT(solver.error().message(), Catch::Matchers::Contains("terminal"));
}

TEST_CASE("tech-zone delegation: the CNAME target and the instruction", "[challenge]") {
  using certctl::challenge::delegation_instruction;
  using certctl::challenge::delegation_target;
  CHECK(delegation_target("shop.example.com", "acme.tech.example.net") == "shop-example-com.acme.tech.example.net.");
  CHECK(delegation_target("*.Shop.Example.com", "acme.tech.example.net.") == "shop-example-com.acme.tech.example.net.");
  CHECK(delegation_instruction("shop.example.com", "acme.tech.example.net") ==
        "_acme-challenge.shop.example.com. CNAME shop-example-com.acme.tech.example.net.");
  CHECK(delegation_instruction("*.shop.example.com", "tech.test") ==
        "_acme-challenge.shop.example.com. CNAME shop-example-com.tech.test.");
  CHECK_FALSE(certctl::challenge::is_missing_delegation(certctl::Error(certctl::Category::State, "x", "other")));
}

namespace {
/// Counts calls that overlap: a provider keeps plain members, so two at once is a data race.
class OverlapProbe final : public dns::Provider {
 public:
  explicit OverlapProbe(std::atomic<int>& overlaps) : overlaps_(overlaps) {}
  std::string_view type() const override { return "probe"; }
  Status present(const std::vector<dns::TxtRecord>& records) override { return enter(records.size()); }
  Status cleanup(const std::vector<dns::TxtRecord>& records) override { return enter(records.size()); }

 private:
  Status enter(size_t n) {
    if (inside_.fetch_add(1) != 0) overlaps_.fetch_add(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    seen_ += n;  // a plain member, as real providers keep
    inside_.fetch_sub(1);
    return ok();
  }
  std::atomic<int> inside_{0};
  std::atomic<int>& overlaps_;
  size_t seen_ = 0;
};
}  // namespace

TEST_CASE("a dns-01 solver shared by a batch never calls its provider from two orders at once", "[challenge]") {
  std::atomic<int> overlaps{0};
  challenge::DnsProviderOptions o;
  o.lookups = false;
  auto solver = challenge::make_dns_provider(std::make_unique<OverlapProbe>(overlaps), o);
  REQUIRE(solver);
  std::vector<std::thread> workers;
  std::atomic<int> failed{0};
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; i < 5; ++i) {
        challenge::Task t;
        t.type = "dns-01";
        t.identifier = fmt::format("w{}-{}.example.com", w, i);
        t.dns_value = "dmFsdWU";
        if (!(*solver)->present({t})) failed.fetch_add(1);
      }
    });
  }
  for (auto& t : workers) t.join();
  CHECK(failed.load() == 0);
  CHECK((*solver)->cleanup());
  CHECK(overlaps.load() == 0);
}

TEST_CASE("dns exec hooks of a batch run side by side: one waiting hook holds up no other order", "[challenge]") {
  test::TempDir dir;
  const std::string hook = dir.file("hook.sh");
  // Each present waits (up to 10 s) until a second one has started: it succeeds only when two
  // hooks run at once. Cleanups return at once.
  write_script(hook,
               "d=\"$(dirname \"$0\")\"\n"
               "[ \"$1\" = present ] || exit 0\n"
               ": > \"$d/started.$3\"\n"
               "for i in $(seq 1 100); do\n"
               "  [ \"$(ls \"$d\" | grep -c '^started\\.')\" -ge 2 ] && exit 0\n"
               "  sleep 0.1\n"
               "done\n"
               "echo 'no other hook ran meanwhile'; exit 1\n");
  auto solver = challenge::make_dns_exec(hook, 30);
  REQUIRE(solver.ok());
  Status results[2];
  std::vector<std::thread> workers;
  for (int w = 0; w < 2; ++w)
    workers.emplace_back([&, w] { results[w] = (*solver)->present({make_task("dns-01", fmt::format("w{}.example.com", w), fmt::format("tok{}", w))}); });
  for (auto& t : workers) t.join();
  for (const Status& s : results) CHECK((s.ok() ? std::string() : s.error().text()).empty());
  CHECK((*solver)->cleanup().ok());
}

TEST_CASE("webroot map: each name in its own web root, the plain one for the rest", "[challenge]") {
  test::TempDir dir;
  const std::string a_root = dir.file("a"), rest = dir.file("rest");
  REQUIRE(::mkdir(a_root.c_str(), 0755) == 0);
  REQUIRE(::mkdir(rest.c_str(), 0755) == 0);
  auto solver = challenge::make_webroot(rest, {"a.example=" + a_root + "/"});
  REQUIRE(solver.ok());
  auto a = make_task("http-01", "a.example", "tokA");
  auto b = make_task("http-01", "b.example", "tokB");
  REQUIRE((*solver)->present({a, b}).ok());
  CHECK(read_all(a_root + "/.well-known/acme-challenge/tokA") == a.key_authorization);
  CHECK(read_all(rest + "/.well-known/acme-challenge/tokB") == b.key_authorization);
  CHECK_FALSE(exists(rest + "/.well-known/acme-challenge/tokA"));
  REQUIRE((*solver)->cleanup().ok());
  CHECK_FALSE(exists(a_root + "/.well-known"));
  CHECK_FALSE(exists(rest + "/.well-known"));

  // Only a map: a name it does not list is refused before anything is written.
  auto only_map = challenge::make_webroot("", {"a.example=" + a_root});
  REQUIRE(only_map.ok());
  auto refused = (*only_map)->present({a, b});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().category() == Category::Usage);
  CHECK(refused.error().subject() == "b.example");

  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"a.example"}, {"=/x"}, {"a.example=relative"}, {"*.a.example=/x"}, {"a.example=/x", "A.example=/y"}}) {
    auto parsed = challenge::parse_webroot_map(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().category() == Category::Usage);
  }
  CHECK_FALSE(challenge::make_webroot("", {"a.example=" + dir.file("missing")}).ok());
}

TEST_CASE("http hook: present and cleanup with domain, token and key authorization; failures name the hook",
          "[challenge]") {
  test::TempDir dir;
  const std::string hook = dir.file("hook.sh");
  write_script(hook, "echo \"$1 $2 $3 $4 $CERTCTL_KEY_AUTH\" >> \"$(dirname \"$0\")/calls.log\"\n");
  auto solver = challenge::make_http_hook(hook, 10);
  REQUIRE(solver.ok());
  auto a = make_task("http-01", "a.example", "tokA");
  REQUIRE((*solver)->present({a}).ok());
  REQUIRE((*solver)->cleanup().ok());
  CHECK(read_all(dir.file("calls.log")) ==
        "present a.example tokA " + a.key_authorization + " " + a.key_authorization + "\n" + "cleanup a.example tokA " +
            a.key_authorization + " " + a.key_authorization + "\n");
  CHECK((*solver)->cleanup().ok());  // nothing left to clean up: the hook does not run again

  const std::string bad = dir.file("bad.sh");
  write_script(bad, "echo 'no API token' >&2\nexit 5\n");
  auto failing = challenge::make_http_hook(bad, 10);
  REQUIRE(failing.ok());
  auto st = (*failing)->present({a});
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().category() == Category::Config);
  CHECK(st.error().text().find("no API token") != std::string::npos);

  auto evil = make_task("http-01", "-rf", "tokB");
  CHECK_FALSE((*solver)->present({evil}).ok());
  CHECK(challenge::make_http_hook("hook.sh", 10).error().category() == Category::Usage);
  CHECK(challenge::make_http_hook(dir.file("absent"), 10).error().category() == Category::Usage);
}

TEST_CASE("dns exec hook with a propagation wait: present returns after the wait, showing the time left",
          "[challenge]") {
  test::TempDir dir;
  const std::string hook = dir.file("hook.sh");
  write_script(hook, "exit 0\n");
  auto solver = challenge::make_dns_exec(hook, 10, std::chrono::seconds(1));
  REQUIRE(solver.ok());
  const auto started = std::chrono::steady_clock::now();
  REQUIRE((*solver)->present({make_task("dns-01", "a.example", "tok")}).ok());
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::seconds(1));
  REQUIRE((*solver)->cleanup().ok());
}
