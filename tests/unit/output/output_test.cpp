#include <catch2/catch.hpp>

#include <certctl/output.hpp>

#include <nlohmann/json.hpp>

using namespace certctl;

namespace {
vault::Record sample(const std::string& name, UnixTime not_after) {
  vault::Record r;
  r.name = name;
  r.domain = name + ".example";
  r.sans = {"www." + name + ".example"};
  r.status = vault::CertStatus::Active;
  r.has_cert = true;
  vault::CertMeta m;
  m.serial_hex = "0ABC";
  m.fingerprint_sha256 = "AA:BB";
  m.issuer = "CN=Test CA";
  m.not_before = not_after - 90 * 86400;
  m.not_after = not_after;
  r.cert = m;
  return r;
}
}  // namespace

TEST_CASE("list --json carries the promised fields", "[output]") {
  const UnixTime now = 1'800'000'000;
  auto j = nlohmann::json::parse(output::records_json({sample("a", now + 10 * 86400), sample("b", now - 86400)}, now));
  REQUIRE(j.is_array());
  REQUIRE(j.size() == 2);
  for (const char* k : {"name", "domain", "sans", "status", "ca", "not_before", "not_after", "days_remaining",
                        "auto_renew_days", "serial_hex", "fingerprint_sha256", "issuer", "key_type", "source"}) {
    INFO(k);
    CHECK(j[0].contains(k));
  }
  CHECK(j[0]["days_remaining"] == 10);
  CHECK(j[0]["status"] == "active");
  CHECK(j[1]["status"] == "expired");
  CHECK(j[1]["days_remaining"] == -1);
  CHECK(j[0]["not_after"] == format_rfc3339(now + 10 * 86400));
}

TEST_CASE("the table aligns columns and colours only when asked", "[output]") {
  const UnixTime now = 1'800'000'000;
  std::vector<vault::Record> rs = {sample("a", now + 100 * 86400), sample("longer-name", now + 5 * 86400)};
  const std::string plain = output::records_table(rs, now, false);
  CHECK(plain.find('\033') == std::string::npos);
  CHECK(plain.rfind("NAME         DOMAIN", 0) == 0);
  CHECK(plain.find("a            a.example (+1)") != std::string::npos);
  const std::string coloured = output::records_table(rs, now, true);
  CHECK(coloured.find("\033[32mactive") != std::string::npos);
}

TEST_CASE("error JSON names category, subject and exit code", "[output]") {
  auto j = nlohmann::json::parse(output::error_json(Error(Category::Input, "cert.pem", "not PEM")));
  CHECK(j["error"]["category"] == "input");
  CHECK(j["error"]["subject"] == "cert.pem");
  CHECK(j["error"]["exit_code"] == 4);
}

TEST_CASE("list --json streams the same text as one array dump", "[output]") {
  const UnixTime now = 1'800'000'000;
  std::vector<vault::Record> rs = {sample("a", now + 86400), sample("b", now + 2 * 86400), sample("c", now)};
  const std::string streamed = output::records_json(rs, now);
  auto parsed = nlohmann::ordered_json::parse(streamed);
  CHECK(parsed.dump(2) == streamed);
  CHECK(output::records_json({}, now) == "[]");
}
