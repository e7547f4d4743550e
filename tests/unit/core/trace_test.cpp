// The trace sink and its redactor (include/certctl/trace.hpp).
#include <certctl/trace.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

using namespace certctl;

namespace {

/// base64url without padding, for building JWS bodies by hand.
std::string b64url(std::string_view in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += k[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += k[(acc << (6 - bits)) & 63];
  return out;
}

/// Collects what reaches the sink; uninstalls on destruction.
struct Captured {
  std::vector<std::pair<trace::Level, std::string>> lines;
  explicit Captured(trace::Level level) {
    trace::install(level, [this](trace::Level l, std::string_view s) { lines.emplace_back(l, std::string(s)); });
  }
  ~Captured() { trace::install(trace::Level::Off, {}); }
};

}  // namespace

TEST_CASE("trace: headers that carry credentials are redacted, others kept", "[core][trace]") {
  for (const char* name : {"Authorization", "authorization", "X-API-Key", "X-Auth-Key", "X-Auth-Token", "X-Api-User",
                           "Proxy-Authorization", "Cookie"}) {
    INFO(name);
    CHECK(trace::secret_header(name));
    CHECK(trace::header_line(name, "Bearer s3cr3t-token") == std::string(name) + ": <redacted>");
  }
  CHECK_FALSE(trace::secret_header("Content-Type"));
  CHECK(trace::header_line("Replay-Nonce", "abc") == "Replay-Nonce: abc");
  // Inside free text too ("> Authorization: ..." lines of a dump).
  CHECK(trace::redact("GET /x\n  Authorization: Bearer tok123456\n  Accept: */*") ==
        "GET /x\n  Authorization: <redacted>\n  Accept: */*");
}

TEST_CASE("trace: JSON members of the table lose their values", "[core][trace]") {
  CHECK(trace::redact(R"({"username":"u1","password":"hunter2hunter2","subdomain":"s"})") ==
        R"({"username":"u1","password":"<redacted>","subdomain":"s"})");
  CHECK(trace::redact(R"({ "Secret" : "abc\"def", "x": 1 })") == R"({ "Secret" : "<redacted>", "x": 1 })");
  // ACME challenge tokens are public and stay.
  CHECK(trace::redact(R"({"type":"http-01","token":"tok-abc"})") == R"({"type":"http-01","token":"tok-abc"})");
  // Not JSON at all, or cut short: unchanged, no crash.
  CHECK(trace::redact("plain text") == "plain text");
  CHECK(trace::redact(R"({"password":"unterminated)") == R"({"password":"unterminated)");
  CHECK(trace::redact(R"({"password":)") == R"({"password":)");
}

TEST_CASE("trace: form fields and query parameters of the table lose their values", "[core][trace]") {
  CHECK(trace::redact("grant_type=client_credentials&client_id=app-1&client_secret=s3cr3t%2Bx&scope=a") ==
        "grant_type=client_credentials&client_id=app-1&client_secret=<redacted>&scope=a");
  CHECK(trace::redact("grant_type=urn%3Aietf&assertion=eyJhbGciOi.eyJpc3Mi.c2ln") ==
        "grant_type=urn%3Aietf&assertion=<redacted>");
  CHECK(trace::redact("GET https://dns.test/?Action=AddDomainRecord&Signature=abc%2Bdef%3D HTTP/1.1") ==
        "GET https://dns.test/?Action=AddDomainRecord&Signature=<redacted> HTTP/1.1");
  CHECK(trace::redact("{\"access_token\":\"ya29.tok\",\"expires_in\":3599}") ==
        "{\"access_token\":\"<redacted>\",\"expires_in\":3599}");
  // Other names, and a table name inside another word, stay.
  CHECK(trace::redact("page=2&per_page=100&nosecret=x") == "page=2&per_page=100&nosecret=x");
  CHECK(trace::redact("a == b") == "a == b");
  for (const char* name : {"X-Ovh-Signature", "X-Ovh-Consumer", "X-Amz-Security-Token"}) CHECK(trace::secret_header(name));
}

TEST_CASE("trace: a JWS body is shown decoded, its signatures (an EAB's included) redacted", "[core][trace]") {
  const std::string eab = R"({"protected":")" + b64url(R"({"alg":"HS256","kid":"kid-1","url":"https://ca/new-acct"})") +
                          R"(","payload":")" + b64url(R"({"kty":"EC","crv":"P-256","x":"xx","y":"yy"})") +
                          R"(","signature":"EABHMACSIGNATUREVALUE"})";
  const std::string payload = R"({"termsOfServiceAgreed":true,"externalAccountBinding":)" + eab + "}";
  const std::string body = R"({"protected":")" +
                           b64url(R"({"alg":"ES256","jwk":{"kty":"EC"},"nonce":"n1","url":"https://ca/new-acct"})") +
                           R"(","payload":")" + b64url(payload) + R"(","signature":"OUTERJWSSIGNATURE"})";
  const std::string out = trace::redact(body);
  INFO(out);
  CHECK(out.find("OUTERJWSSIGNATURE") == std::string::npos);
  CHECK(out.find("EABHMACSIGNATURE") == std::string::npos);
  CHECK(out.find(b64url(payload)) == std::string::npos);  // the encoded EAB does not slip through
  CHECK(out.find(R"("nonce":"n1")") != std::string::npos);  // decoded protected header
  CHECK(out.find(R"("termsOfServiceAgreed":true)") != std::string::npos);
  CHECK(out.find(R"("kid":"kid-1")") != std::string::npos);  // the EAB's own protected header
  CHECK(out.find(R"("signature":"<redacted>")") != std::string::npos);
  // A POST-as-GET has an empty payload: kept as "".
  CHECK(trace::redact(R"({"payload":"","signature":"S"})") == R"({"payload":"","signature":"<redacted>"})");
  // A "payload" that is not base64url JSON stays as it is.
  CHECK(trace::redact(R"({"payload":"not base64!"})") == R"({"payload":"not base64!"})");
}

TEST_CASE("trace: the user and password of a URL are redacted", "[core][trace]") {
  CHECK(trace::redact("http> POST https://ops:hunter2@hooks.example/x?a=b@c") ==
        "http> POST https://<redacted>@hooks.example/x?a=b@c");
  CHECK(trace::redact("smtp://u@mail:25 and https://ca/dir") == "smtp://<redacted>@mail:25 and https://ca/dir");
  CHECK(trace::redact("mailto:a@b https://ca/acct/1") == "mailto:a@b https://ca/acct/1");
  CHECK(trace::redact("://@") == "://<redacted>@");
}

TEST_CASE("trace: private-key PEM blocks are replaced, certificates kept", "[core][trace]") {
  const std::string text =
      "before\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIKEYMATERIAL\n-----END EC PRIVATE KEY-----\n"
      "-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n"
      "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMORE\n-----END PRIVATE KEY-----\nafter";
  const std::string out = trace::redact(text);
  CHECK(out == "before\n-----BEGIN EC PRIVATE KEY-----<redacted>-----END EC PRIVATE KEY-----\n"
               "-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n"
               "-----BEGIN PRIVATE KEY-----<redacted>-----END PRIVATE KEY-----\nafter");
  // No END line: everything after BEGIN goes.
  CHECK(trace::redact("-----BEGIN RSA PRIVATE KEY-----\nMIIEcut") == "-----BEGIN RSA PRIVATE KEY-----<redacted>");
  // Inside a JSON string (escaped newlines) as well.
  CHECK(trace::redact(R"({"pem":"-----BEGIN PRIVATE KEY-----\nMIIabc\n-----END PRIVATE KEY-----\n"})") ==
        R"({"pem":"-----BEGIN PRIVATE KEY-----<redacted>-----END PRIVATE KEY-----\n"})");
}

TEST_CASE("trace: secret values registered with add_secret never pass", "[core][trace]") {
  Captured c(trace::Level::Debug);
  trace::add_secret("tsig-secret-value-1234");
  trace::add_secret("abc");  // too short to scrub by value
  trace::debug("dns> key tsig-secret-value-1234 twice tsig-secret-value-1234; abc");
  REQUIRE(c.lines.size() == 1);
  CHECK(c.lines[0].second == "dns> key <redacted> twice <redacted>; abc");
}

TEST_CASE("trace: the sink gets what its level lets through", "[core][trace]") {
  trace::step("nobody listens");  // no sink: nothing happens
  CHECK_FALSE(trace::enabled(trace::Level::Steps));
  {
    Captured c(trace::Level::Steps);
    CHECK(trace::enabled(trace::Level::Steps));
    CHECK_FALSE(trace::enabled(trace::Level::Debug));
    CHECK_FALSE(trace::enabled(trace::Level::Off));
    trace::step("order created");
    trace::debug("http> GET https://ca/dir");
    REQUIRE(c.lines.size() == 1);
    CHECK(c.lines[0] == std::make_pair(trace::Level::Steps, std::string("order created")));
  }
  {
    Captured c(trace::Level::Debug);
    trace::step("s");
    trace::debug(R"({"signature":"SIG"})");
    trace::emit(trace::Level::Debug, "Authorization: Bearer t0k3n-value");
    REQUIRE(c.lines.size() == 3);
    CHECK(c.lines[1] == std::make_pair(trace::Level::Debug, std::string(R"({"signature":"<redacted>"})")));
    CHECK(c.lines[2].second == "Authorization: <redacted>");
  }
  CHECK(trace::level() == trace::Level::Off);
  trace::install(trace::Level::Debug, {});  // an empty sink means off
  CHECK(trace::level() == trace::Level::Off);
}

TEST_CASE("trace: every line comes out printable, newlines kept", "[core][trace]") {
  CHECK(trace::redact("a\x1b[2Jb\nc\rd\te") == "a\\x1b[2Jb\nc\\rd\\te");
}
