#include <certctl/record_fields.hpp>

namespace certctl::vault {
namespace {

// A field's accessor: a captureless lambda turned into a plain function pointer.
#define CERTCTL_REF(T, member) +[](T& o) -> auto& { return o.member; }
#define R(member) CERTCTL_REF(Record, member)
#define C(member) CERTCTL_REF(CertMeta, member)
#define H(member) CERTCTL_REF(HistoryEntry, member)

// {section, key, show label, member, flags, JSON key if not the key, shown default}. The order of
// labelled fields is the order of `show`; the order of all is the cache's.
const Field<Record> kRecordFields[] = {
    {"", "name", "", R(name), kAlways},
    {"", "domain", "", R(domain), kAlways},
    {"", "sans", "", R(sans), kAlways},
    {"", "status", "", R(status), kAlways, "stored_status"},
    {"", "source", "", R(source), kAlways},
    {"", "ca", "", R(ca), kAlways},
    {"", "key_type", "", R(key_type), kAlways},
    {"", "renew_days", "", R(renew_days), kAlways},
    {"subject", "o", "organization:", R(subject.o), 0, "organization"},
    {"subject", "ou", "org unit:", R(subject.ou), 0, "organizational_unit"},
    {"subject", "c", "country:", R(subject.c), 0, "country"},
    {"subject", "st", "state:", R(subject.st), 0, "state"},
    {"subject", "l", "locality:", R(subject.l), 0, "locality"},
    {"subject", "email", "email:", R(subject.email)},
    {"", "version", "version:", R(version), kAlways},
    {"times", "created", "created:", R(created)},
    {"times", "updated", "updated:", R(updated)},
    {"times", "csr_created", "csr created:", R(csr_created)},
    {"times", "issued", "issued:", R(issued)},
    {"times", "renewed", "renewed:", R(renewed)},
    {"times", "revoked", "revoked:", R(revoked)},
    {"", "revoke_reason", "revoke reason:", R(revoke_reason)},
    {"", "last_error", "last error:", R(last_error), kAlert},
    {"", "retry_after", "retry after:", R(retry_after)},
    {"", "last_problem", "", R(last_problem)},
    {"", "attempts", "", R(attempts)},
    {"", "next_attempt", "", R(next_attempt)},
    {"", "deploy_failed", "", R(deploy_failed)},
    {"", "key_policy", "key policy:", R(key_policy)},
    {"", "sealed_to", "key sealed to:", R(sealed_to)},
    {"", "issued_by", "", R(issued_by)},
    {"discovered", "seen_at", "seen at:", R(seen_at)},
    {"discovered", "first_seen", "first seen:", R(first_seen)},
    {"discovered", "last_seen", "last seen:", R(last_seen)},
    {"discovered", "linked_to", "linked to:", R(linked_to)},
    {"discovered", "linked_version", "linked version:", R(linked_version), kNullWhenZero},
    {"discovered", "verify", "tls verify:", R(verify_result), 0, "tls_verify"},
    {"files", "key", "", R(has_key), kAlways, "has_key"},
    {"files", "csr", "", R(has_csr), kAlways, "has_csr"},
    {"files", "cert", "", R(has_cert), kAlways, "has_cert"},
    {"files", "chain", "", R(has_chain), kAlways, "has_chain"},
    {"issue", "challenge", "", R(settings.challenge)},
    {"issue", "dns", "", R(settings.dns)},
    {"issue", "webroot", "", R(settings.webroot)},
    {"issue", "webroot_map", "webroot map:", R(settings.webroot_map)},
    {"issue", "http_hook", "http hook:", R(settings.http_hook)},
    {"issue", "http_address", "http address:", R(settings.http_address)},
    {"issue", "http_port", "", R(settings.http_port), kNullWhenZero},
    {"issue", "tls_port", "", R(settings.tls_port), kNullWhenZero},
    {"issue", "profile", "acme profile:", R(settings.profile)},
    {"issue", "preferred_chain", "preferred chain:", R(settings.preferred_chain)},
    {"issue", "fallback", "fallback:", R(settings.fallback)},
    {"issue", "reuse_key", "", R(settings.reuse_key)},
    {"issue", "deploy_dir", "deploy dir:", R(settings.deploy_dir)},
    {"issue", "deploy_owner", "deploy owner:", R(settings.deploy_owner)},
    {"issue", "deploy_hook", "deploy hook:", R(settings.deploy_hook)},
    {"issue", "propagation_wait", "propagation wait:", R(settings.propagation_wait), kNullWhenZero},
    {"issue", "no_propagation_check", "", R(settings.no_propagation_check)},
    {"ari", "cert_id", "", R(ari.cert_id)},
    {"ari", "window_start", "", R(ari.window_start)},
    {"ari", "window_end", "", R(ari.window_end)},
    {"ari", "renew_at", "", R(ari.renew_at)},
    {"ari", "checked", "", R(ari.checked)},
    {"ari", "next_check", "", R(ari.next_check)},
    {"ari", "explanation_url", "", R(ari.explanation_url)},
    {"ari", "last_error", "", R(ari.last_error)},
};

const Field<CertMeta> kCertFields[] = {
    {"cert", "subject", "subject:", C(subject_dn)},
    {"cert", "issuer", "issuer:", C(issuer)},
    {"cert", "issuer_cn", "", C(issuer_cn)},
    {"cert", "serial_hex", "serial (hex):", C(serial_hex)},
    {"cert", "serial_dec", "serial (dec):", C(serial_dec)},
    {"cert", "not_before", "not before:", C(not_before)},
    {"cert", "not_after", "not after:", C(not_after)},
    {"cert", "key", "key:", C(key_description)},
    {"cert", "key_size", "key size:", C(key_size), kAlways},
    {"cert", "signature_algorithm", "signature:", C(signature_algorithm)},
    {"cert", "fingerprint_sha256", "sha256:", C(fingerprint_sha256)},
    {"cert", "fingerprint_sha1", "sha1:", C(fingerprint_sha1)},
    {"cert", "fingerprint_md5", "md5:", C(fingerprint_md5)},
};

const Field<HistoryEntry> kHistoryFields[] = {
    {"history", "version", "", H(version), kAlways},
    {"history", "retired", "", H(retired)},
    {"history", "reason", "", H(reason)},
    {"history", "ca", "", H(ca)},
    {"history", "serial_hex", "", H(serial_hex)},
    {"history", "fingerprint_sha256", "", H(fingerprint_sha256)},
    {"history", "not_before", "", H(not_before)},
    {"history", "not_after", "", H(not_after)},
};

#undef H
#undef C
#undef R
#undef CERTCTL_REF

/// Where a record.toml table goes in `show --json` ("" = the top-level object).
struct Section {
  std::string_view toml;
  std::string_view json;
};

constexpr Section kSections[] = {
    {"", ""},          {"times", ""},  {"files", ""},           {"subject", "subject"},
    {"issue", "issue"}, {"ari", "ari"}, {"discovered", ""}, {"cert", "certificate"}, {"history", "history"},
};

}  // namespace

std::span<const Field<Record>> record_fields() { return kRecordFields; }
std::span<const Field<CertMeta>> cert_fields() { return kCertFields; }
std::span<const Field<HistoryEntry>> history_fields() { return kHistoryFields; }

std::string_view json_section(std::string_view toml_section) {
  for (const Section& s : kSections)
    if (s.toml == toml_section) return s.json;
  return toml_section;
}

}  // namespace certctl::vault
