#pragma once
/// AWS Signature Version 4 (the `AWS4-HMAC-SHA256` Authorization header) for the providers that
/// speak an AWS API (route53). Private to src/dns. The time is a parameter, so unit tests pin it
/// to AWS's published test suite (2015-08-30T12:36:00Z) and check the canonical request, the
/// string to sign and the signature of each vector.
#include <certctl/http.hpp>
#include <certctl/result.hpp>
#include <certctl/secret.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace certctl::dns::sigv4 {

/// An AWS access key: its id (not secret), the secret key and, for temporary credentials, the
/// session token (sent as X-Amz-Security-Token, and signed).
struct Credentials {
  std::string access_key_id;
  SecretBytes secret_access_key;
  SecretBytes session_token;  ///< empty for long-term keys
};

/// Where the signature is valid: Route 53 signs with region us-east-1 and service route53.
struct Scope {
  std::string_view region;
  std::string_view service;
};

/// The steps of one signature, for tests and for nothing else (none of them is secret: the
/// signature is what goes on the wire).
struct Signed {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      ///< lower-case hex
  std::string authorization;  ///< the Authorization header's value
};

/// "20150830T123600Z": the X-Amz-Date of a Unix time (UTC).
std::string amz_date(std::int64_t unix_time);

/// SigV4 URI encoding: every byte but A-Z a-z 0-9 - . _ ~ as %XY (upper-case hex); '/' kept
/// when `keep_slash`.
std::string uri_encode(std::string_view s, bool keep_slash);

/// Sign req in place for the time `unix_time`: adds X-Amz-Date, X-Amz-Security-Token (with a
/// session token) and, when `content_sha256`, X-Amz-Content-Sha256, then the Authorization
/// header. Signed are host (from a Host header, else the URL's authority without a default
/// port), every header of the request but Authorization, Content-Length and User-Agent (names
/// lower-cased, values trimmed with inner runs of blanks made one, repeated names joined by
/// commas), and the SHA-256 of the body. The query is signed decoded and re-encoded, sorted by
/// name, then value; the path is encoded once more (AWS encodes it twice for every service but
/// S3). Internal error only if OpenSSL fails.
Result<Signed> sign(http::Request& req, const Credentials& creds, const Scope& scope, std::int64_t unix_time,
                    bool content_sha256 = false);

}  // namespace certctl::dns::sigv4
