// The record's field table drives record.toml, the record cache, `show --json` and `show`.
// These tests set every field through the table to a value that is not its default, and check
// every encoding gives it back. The structured bindings below name every member of each struct:
// a member added to a struct stops them compiling, and a member left out of the table stays at
// its default and fails the "every member was set" checks.
#include <catch2/catch.hpp>

#include <certctl/output.hpp>
#include <certctl/record_fields.hpp>

#include "temp_dir.hpp"
#include "vault/record_cache.hpp"
#include "vault/record_toml.hpp"

#include <nlohmann/json.hpp>

#include <set>

using namespace certctl;
using vault::Overloaded;

namespace {

/// Sets every field of obj to a distinct value that is not its default.
template <class T>
void fill(std::span<const vault::Field<T>> fields, T& obj, int seed) {
  int i = seed;
  for (const auto& f : fields) {
    ++i;
    const std::string text = fmt::format("{}-{}", f.key, i);
    vault::visit_field(f, obj, Overloaded{
        [&](std::string& v) { v = text; },
        [&](int& v) { v = 1000 + i; },
        [&](bool& v) { v = true; },
        [&](UnixTime& v) { v = 1'900'000'000 + i * 3601; },
        [&](std::vector<std::string>& v) { v = {text + "a", text + "b"}; },
        [&](vault::CertStatus& v) { v = vault::CertStatus::Revoked; },
        [&](vault::Source& v) { v = vault::Source::Discovered; },
        [&](vault::ChallengeType& v) { v = vault::ChallengeType::TlsAlpn01; },
        [&](vault::KeyPolicy& v) { v = vault::KeyPolicy::Device; },
    });
  }
}

vault::Record filled_record() {
  vault::Record r;
  fill(vault::record_fields(), r, 0);
  fill(vault::cert_fields(), r.cert.emplace(), 100);
  r.history.resize(2);
  fill(vault::history_fields(), r.history[0], 200);
  fill(vault::history_fields(), r.history[1], 300);
  return r;
}

// One line per member: a == b would mean the table never set it.
#define CHECK_SET(m) CHECK_FALSE(x.m == d.m)

void check_every_member_set(const vault::Record& r) {
  const vault::Record def;
  {
    const auto& [name, domain, sans, subject, key_type, ca, renew_days, status, source, version, has_key, has_csr,
                 has_cert, has_chain, key_policy, sealed_to, issued_by, last_error, created, updated, csr_created, issued, renewed, revoked,
                 revoke_reason, settings, last_problem, retry_after, attempts, next_attempt, deploy_failed, ari, seen_at,
                 first_seen, last_seen, linked_to, linked_version, verify_result, cert, history] = r;
    (void)cert, (void)history;  // checked member by member below
    const auto& x = r;
    const auto& d = def;
    CHECK_SET(name); CHECK_SET(domain); CHECK_SET(sans); CHECK_SET(key_type); CHECK_SET(ca);
    CHECK_SET(renew_days); CHECK_SET(status); CHECK_SET(source); CHECK_SET(version); CHECK_SET(has_key);
    CHECK_SET(has_csr); CHECK_SET(has_cert); CHECK_SET(has_chain); CHECK_SET(key_policy); CHECK_SET(sealed_to); CHECK_SET(issued_by); CHECK_SET(last_error);
    CHECK_SET(created); CHECK_SET(updated); CHECK_SET(csr_created); CHECK_SET(issued); CHECK_SET(renewed);
    CHECK_SET(revoked); CHECK_SET(revoke_reason); CHECK_SET(last_problem); CHECK_SET(retry_after);
    CHECK_SET(attempts); CHECK_SET(next_attempt); CHECK_SET(deploy_failed);
    CHECK_SET(seen_at); CHECK_SET(first_seen); CHECK_SET(last_seen); CHECK_SET(linked_to); CHECK_SET(linked_version);
    CHECK_SET(verify_result);
    (void)name, (void)domain, (void)sans, (void)subject, (void)key_type, (void)ca, (void)renew_days, (void)status,
        (void)source, (void)version, (void)has_key, (void)has_csr, (void)has_cert, (void)has_chain, (void)key_policy, (void)sealed_to, (void)issued_by,
        (void)last_error, (void)created, (void)updated, (void)csr_created, (void)issued, (void)renewed,
        (void)revoked, (void)revoke_reason, (void)settings, (void)last_problem, (void)retry_after, (void)attempts,
        (void)next_attempt, (void)deploy_failed, (void)ari, (void)seen_at, (void)first_seen, (void)last_seen,
        (void)linked_to, (void)linked_version, (void)verify_result;
  }
  {
    const auto& [o, ou, c, st, l, email] = r.subject;
    const auto& x = r.subject;
    const vault::Subject d;
    CHECK_SET(o); CHECK_SET(ou); CHECK_SET(c); CHECK_SET(st); CHECK_SET(l); CHECK_SET(email);
    (void)o, (void)ou, (void)c, (void)st, (void)l, (void)email;
  }
  {
    const auto& [challenge, dns, webroot, webroot_map, http_hook, http_address, http_port, tls_port, profile,
                 preferred_chain, fallback, reuse_key, deploy_dir, deploy_owner, deploy_hook, propagation_wait,
                 no_propagation_check] = r.settings;
    const auto& x = r.settings;
    const vault::IssueSettings d;
    CHECK_SET(challenge); CHECK_SET(dns); CHECK_SET(webroot); CHECK_SET(webroot_map); CHECK_SET(http_hook);
    CHECK_SET(http_address); CHECK_SET(http_port);
    CHECK_SET(tls_port); CHECK_SET(profile); CHECK_SET(preferred_chain); CHECK_SET(fallback); CHECK_SET(reuse_key);
    CHECK_SET(deploy_dir); CHECK_SET(deploy_owner); CHECK_SET(deploy_hook); CHECK_SET(propagation_wait);
    CHECK_SET(no_propagation_check);
    (void)challenge, (void)dns, (void)webroot, (void)webroot_map, (void)http_hook, (void)http_address, (void)http_port,
        (void)tls_port, (void)profile, (void)preferred_chain, (void)fallback, (void)reuse_key, (void)deploy_dir,
        (void)deploy_owner, (void)deploy_hook, (void)propagation_wait, (void)no_propagation_check;
  }
  {
    const auto& [cert_id, window_start, window_end, renew_at, checked, next_check, explanation_url, last_error] = r.ari;
    const auto& x = r.ari;
    const vault::AriState d;
    CHECK_SET(cert_id); CHECK_SET(window_start); CHECK_SET(window_end); CHECK_SET(renew_at); CHECK_SET(checked);
    CHECK_SET(next_check); CHECK_SET(explanation_url); CHECK_SET(last_error);
    (void)cert_id, (void)window_start, (void)window_end, (void)renew_at, (void)checked, (void)next_check,
        (void)explanation_url, (void)last_error;
  }
  REQUIRE(r.cert);
  {
    const auto& [subject_dn, issuer, issuer_cn, serial_dec, serial_hex, fingerprint_md5, fingerprint_sha1,
                 fingerprint_sha256, key_description, key_size, signature_algorithm, not_before, not_after] = *r.cert;
    const auto& x = *r.cert;
    const vault::CertMeta d;
    CHECK_SET(subject_dn); CHECK_SET(issuer); CHECK_SET(issuer_cn); CHECK_SET(serial_dec); CHECK_SET(serial_hex);
    CHECK_SET(fingerprint_md5); CHECK_SET(fingerprint_sha1); CHECK_SET(fingerprint_sha256);
    CHECK_SET(key_description); CHECK_SET(key_size); CHECK_SET(signature_algorithm); CHECK_SET(not_before);
    CHECK_SET(not_after);
    (void)subject_dn, (void)issuer, (void)issuer_cn, (void)serial_dec, (void)serial_hex, (void)fingerprint_md5,
        (void)fingerprint_sha1, (void)fingerprint_sha256, (void)key_description, (void)key_size,
        (void)signature_algorithm, (void)not_before, (void)not_after;
  }
  REQUIRE(r.history.size() == 2);
  {
    const auto& [version, retired, reason, ca, serial_hex, fingerprint_sha256, not_before, not_after] = r.history[0];
    const auto& x = r.history[0];
    const vault::HistoryEntry d;
    CHECK_SET(version); CHECK_SET(retired); CHECK_SET(reason); CHECK_SET(ca); CHECK_SET(serial_hex);
    CHECK_SET(fingerprint_sha256); CHECK_SET(not_before); CHECK_SET(not_after);
    (void)version, (void)retired, (void)reason, (void)ca, (void)serial_hex, (void)fingerprint_sha256,
        (void)not_before, (void)not_after;
  }
}

#undef CHECK_SET

/// The JSON value a field must have in `show --json`.
template <class T>
nlohmann::json expected_json(const vault::Field<T>& f, const T& obj) {
  nlohmann::json out;
  vault::visit_field(f, obj, Overloaded{
      [&](const std::string& v) { out = v; },
      [&](int v) { out = v; },
      [&](bool v) { out = v; },
      [&](UnixTime v) { out = format_rfc3339(v); },
      [&](const std::vector<std::string>& v) { out = v; },
      [&](vault::NamedEnum auto v) { out = vault::enum_name(v); },
  });
  return out;
}

}  // namespace

TEST_CASE("record fields: the table sets every member of every record struct", "[vault]") {
  check_every_member_set(filled_record());
}

TEST_CASE("record fields: keys are unique per section in record.toml and JSON", "[vault]") {
  std::set<std::string> toml_keys, json_keys;
  for (const auto& f : vault::record_fields()) {
    CHECK(toml_keys.insert(fmt::format("{}.{}", f.section, f.key)).second);
    CHECK(json_keys.insert(fmt::format("{}.{}", vault::json_section(f.section), f.json())).second);
  }
}

TEST_CASE("record fields: record.toml round-trips every field", "[vault]") {
  const vault::Record r = filled_record();
  auto parsed = vault::parse_record(vault::render_record(r), "record.toml");
  REQUIRE(parsed);
  CHECK(*parsed == r);
}

TEST_CASE("record fields: the record cache round-trips every field", "[vault]") {
  const vault::Record r = filled_record();
  vault::CacheWriter w;
  w.add(123456789, r);
  const std::string data = std::move(w).take();
  vault::CacheReader rd(data);
  REQUIRE(rd.next());
  CHECK(rd.name() == r.name);
  CHECK(rd.revision() == 123456789);
  vault::Record read;
  REQUIRE(rd.decode(read));
  CHECK(read == r);
  CHECK_FALSE(rd.next());
}

TEST_CASE("record fields: show --json has every field under its JSON key", "[vault][output]") {
  const vault::Record r = filled_record();
  const auto j = nlohmann::json::parse(output::record_json(r, 1'800'000'000));
  for (const auto& f : vault::record_fields()) {
    const std::string section(vault::json_section(f.section));
    const auto& obj = section.empty() ? j : j.at(section);
    INFO(f.key);
    CHECK(obj.at(std::string(f.json())) == expected_json(f, r));
  }
  for (const auto& f : vault::cert_fields()) {
    INFO(f.key);
    CHECK(j.at("certificate").at(std::string(f.json())) == expected_json(f, *r.cert));
  }
  REQUIRE(j.at("history").size() == 2);
  for (const auto& f : vault::history_fields()) {
    INFO(f.key);
    CHECK(j.at("history").at(1).at(std::string(f.json())) == expected_json(f, r.history[1]));
  }
}

TEST_CASE("record fields: show prints every labelled field", "[vault][output]") {
  vault::Record r = filled_record();
  r.source = vault::Source::Managed;  // the issue settings are shown for managed ACME records
  const std::string text = output::record_details(r, 1'800'000'000, false);
  for (const auto& f : vault::record_fields())
    if (!f.label.empty()) {
      INFO(f.key);
      CHECK(text.find(std::string(f.label)) != std::string::npos);
    }
  for (const auto& f : vault::cert_fields())
    if (!f.label.empty()) {
      INFO(f.key);
      CHECK(text.find(std::string(f.label)) != std::string::npos);
    }
}

TEST_CASE("record fields: a field of the wrong type or range in record.toml names it", "[vault]") {
  vault::Record r = filled_record();
  std::string text = vault::render_record(r);
  SECTION("a number where a string belongs") {
    const auto pos = text.find("issued_by = ");
    REQUIRE(pos != std::string::npos);
    text.replace(pos, text.find('\n', pos) - pos, "issued_by = 7");
    auto parsed = vault::parse_record(text, "record.toml");
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().message().find("'issued_by'") != std::string::npos);
  }
  SECTION("a number out of range") {
    const auto pos = text.find("renew_days = ");
    REQUIRE(pos != std::string::npos);
    text.replace(pos, text.find('\n', pos) - pos, "renew_days = 99999999999");
    auto parsed = vault::parse_record(text, "record.toml");
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().message().find("'renew_days'") != std::string::npos);
  }
}

TEST_CASE("record fields: damage ends a cache walk there; a damaged entry is never returned", "[vault]") {
  vault::Record a = filled_record(), b = filled_record();
  a.name = "a";
  b.name = "b";
  vault::CacheWriter w;
  w.add(7, a);
  w.add(8, b);
  const std::string data = std::move(w).take();
  auto walk = [](std::string_view bytes) {
    std::vector<std::string> names;
    vault::CacheReader rd(bytes);
    while (rd.next()) {
      vault::Record r;
      if (rd.decode(r)) names.push_back(r.name);
    }
    return names;
  };
  CHECK(walk(data) == std::vector<std::string>{"a", "b"});
  SECTION("cut short inside the second entry") {
    CHECK(walk(data.substr(0, data.size() - 3)) == std::vector<std::string>{"a"});
  }
  SECTION("a length that is a lie") {
    // After the 4-byte magic and the version (one varint byte): the first entry's name length.
    std::string bad = data.substr(0, 5);
    bad += std::string(9, '\xff') + '\x01';  // a ten-byte varint: 2^63 and more
    bad += "a";
    CHECK(walk(bad).empty());
  }
  SECTION("a varint longer than 64 bits") {
    std::string bad = data.substr(0, 5) + std::string(11, '\x80');
    CHECK(walk(bad).empty());
  }
  SECTION("another format version reads as no entries") {
    std::string other = data;
    other[4] = static_cast<char>(other[4] + 1);
    CHECK(walk(other).empty());
  }
  SECTION("an entry filed under another name does not decode") {
    vault::CacheWriter w2;
    w2.add(7, a);
    std::string renamed = std::move(w2).take();
    const auto at = renamed.find('a', 5);  // the entry's name, before the record's own
    REQUIRE(at != std::string::npos);
    renamed[at] = 'z';
    vault::CacheReader rd(renamed);
    REQUIRE(rd.next());
    CHECK(rd.name() == "z");
    vault::Record r;
    CHECK_FALSE(rd.decode(r));
  }
}
