#include <certctl/record_fields.hpp>

namespace certctl::vault {
namespace {

// A field's accessor: a captureless lambda turned into a plain function pointer.
#define CERTCTL_REF(T, member) +[](T& o) -> auto& { return o.member; }
#define R(member) CERTCTL_REF(Record, member)
#define C(member) CERTCTL_REF(CertMeta, member)
#define H(member) CERTCTL_REF(HistoryEntry, member)

// The order of labelled fields is the order of `show`; the order of all is the cache's.
const Field<Record> kRecordFields[] = {
    {"", "name", "name", "", R(name), kAlways},
    {"", "domain", "domain", "", R(domain), kAlways},
    {"", "sans", "sans", "", R(sans), kAlways},
    {"", "status", "stored_status", "", R(status), kAlways},
    {"", "source", "source", "", R(source), kAlways},
    {"", "ca", "ca", "", R(ca), kAlways},
    {"", "key_type", "key_type", "", R(key_type), kAlways},
    {"", "renew_days", "renew_days", "", R(renew_days), kAlways},
    {"subject", "o", "organization", "organization:", R(subject.o)},
    {"subject", "ou", "organizational_unit", "org unit:", R(subject.ou)},
    {"subject", "c", "country", "country:", R(subject.c)},
    {"subject", "st", "state", "state:", R(subject.st)},
    {"subject", "l", "locality", "locality:", R(subject.l)},
    {"subject", "email", "email", "email:", R(subject.email)},
    {"", "version", "version", "version:", R(version), kAlways},
    {"times", "created", "created", "created:", R(created)},
    {"times", "updated", "updated", "updated:", R(updated)},
    {"times", "csr_created", "csr_created", "csr created:", R(csr_created)},
    {"times", "issued", "issued", "issued:", R(issued)},
    {"times", "renewed", "renewed", "renewed:", R(renewed)},
    {"times", "revoked", "revoked", "revoked:", R(revoked)},
    {"", "revoke_reason", "revoke_reason", "revoke reason:", R(revoke_reason)},
    {"", "last_error", "last_error", "last error:", R(last_error), kAlert},
    {"", "retry_after", "retry_after", "retry after:", R(retry_after)},
    {"", "last_problem", "last_problem", "", R(last_problem)},
    {"", "attempts", "attempts", "", R(attempts)},
    {"", "next_attempt", "next_attempt", "", R(next_attempt)},
    {"", "deploy_failed", "deploy_failed", "", R(deploy_failed)},
    {"", "issued_by", "issued_by", "", R(issued_by)},
    {"files", "key", "has_key", "", R(has_key), kAlways},
    {"files", "csr", "has_csr", "", R(has_csr), kAlways},
    {"files", "cert", "has_cert", "", R(has_cert), kAlways},
    {"files", "chain", "has_chain", "", R(has_chain), kAlways},
    {"issue", "challenge", "challenge", "", R(settings.challenge), 0, "http-01"},
    {"issue", "dns", "dns", "", R(settings.dns)},
    {"issue", "webroot", "webroot", "", R(settings.webroot)},
    {"issue", "http_address", "http_address", "", R(settings.http_address)},
    {"issue", "http_port", "http_port", "", R(settings.http_port), kNullWhenZero},
    {"issue", "tls_port", "tls_port", "", R(settings.tls_port), kNullWhenZero},
    {"issue", "profile", "profile", "acme profile:", R(settings.profile)},
    {"issue", "preferred_chain", "preferred_chain", "preferred chain:", R(settings.preferred_chain)},
    {"issue", "fallback", "fallback", "fallback:", R(settings.fallback)},
    {"issue", "reuse_key", "reuse_key", "", R(settings.reuse_key)},
    {"issue", "deploy_dir", "deploy_dir", "", R(settings.deploy_dir)},
    {"issue", "deploy_owner", "deploy_owner", "", R(settings.deploy_owner)},
    {"issue", "deploy_hook", "deploy_hook", "", R(settings.deploy_hook)},
    {"ari", "cert_id", "cert_id", "", R(ari.cert_id)},
    {"ari", "window_start", "window_start", "", R(ari.window_start)},
    {"ari", "window_end", "window_end", "", R(ari.window_end)},
    {"ari", "renew_at", "renew_at", "", R(ari.renew_at)},
    {"ari", "checked", "checked", "", R(ari.checked)},
    {"ari", "next_check", "next_check", "", R(ari.next_check)},
    {"ari", "explanation_url", "explanation_url", "", R(ari.explanation_url)},
    {"ari", "last_error", "last_error", "", R(ari.last_error)},
};

const Field<CertMeta> kCertFields[] = {
    {"cert", "subject", "subject", "subject:", C(subject_dn)},
    {"cert", "issuer", "issuer", "issuer:", C(issuer)},
    {"cert", "issuer_cn", "issuer_cn", "", C(issuer_cn)},
    {"cert", "serial_hex", "serial_hex", "serial (hex):", C(serial_hex)},
    {"cert", "serial_dec", "serial_dec", "serial (dec):", C(serial_dec)},
    {"cert", "not_before", "not_before", "not before:", C(not_before)},
    {"cert", "not_after", "not_after", "not after:", C(not_after)},
    {"cert", "key", "key", "key:", C(key_description)},
    {"cert", "key_size", "key_size", "key size:", C(key_size), kAlways},
    {"cert", "signature_algorithm", "signature_algorithm", "signature:", C(signature_algorithm)},
    {"cert", "fingerprint_sha256", "fingerprint_sha256", "sha256:", C(fingerprint_sha256)},
    {"cert", "fingerprint_sha1", "fingerprint_sha1", "sha1:", C(fingerprint_sha1)},
    {"cert", "fingerprint_md5", "fingerprint_md5", "md5:", C(fingerprint_md5)},
};

const Field<HistoryEntry> kHistoryFields[] = {
    {"history", "version", "version", "", H(version), kAlways},
    {"history", "retired", "retired", "", H(retired)},
    {"history", "reason", "reason", "", H(reason)},
    {"history", "ca", "ca", "", H(ca)},
    {"history", "serial_hex", "serial_hex", "", H(serial_hex)},
    {"history", "fingerprint_sha256", "fingerprint_sha256", "", H(fingerprint_sha256)},
    {"history", "not_before", "not_before", "", H(not_before)},
    {"history", "not_after", "not_after", "", H(not_after)},
};

#undef H
#undef C
#undef R
#undef CERTCTL_REF

constexpr Section kSections[] = {
    {"", ""},          {"times", ""},  {"files", ""},           {"subject", "subject"},
    {"issue", "issue"}, {"ari", "ari"}, {"cert", "certificate"}, {"history", "history"},
};

}  // namespace

std::span<const Field<Record>> record_fields() { return kRecordFields; }
std::span<const Field<CertMeta>> cert_fields() { return kCertFields; }
std::span<const Field<HistoryEntry>> history_fields() { return kHistoryFields; }
std::span<const Section> record_sections() { return kSections; }

std::string_view json_section(std::string_view toml_section) {
  for (const Section& s : kSections)
    if (s.toml == toml_section) return s.json;
  return toml_section;
}

}  // namespace certctl::vault
