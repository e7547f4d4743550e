#pragma once
/// DNS messages and their transport, private to src/dns: names, queries, UPDATE messages,
/// TXT records, and one request/response exchange with one server over UDP (TCP when the
/// answer is truncated). Pure helpers are unit-tested in tests/unit/dns/.
///
/// Error categories: a server that cannot be reached (connection refused, no answer in time)
/// is a Network error naming the server; what a server answers (REFUSED, NOTAUTH, SERVFAIL,
/// TSIG errors) is a Dns error.
#include <certctl/dns.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dns/ldns_handles.hpp"

namespace certctl::dns::wire {

/// Lower-case, absolute (trailing dot) form of a name: "Example.TEST" -> "example.test.".
std::string absolute(std::string_view name);
/// Do two names denote the same owner (case-insensitive, trailing dot optional)?
bool same_name(std::string_view a, std::string_view b);
/// The parent of an absolute name: "a.b.test." -> "b.test.", "test." -> ".", "." -> "".
std::string parent(std::string_view absolute_name);

/// "NOERROR", "REFUSED", "NOTAUTH", ... or "RCODE 23".
std::string rcode_name(int rcode);
/// TSIG error names (RFC 8945): 16 BADSIG, 17 BADKEY, 18 BADTIME, 22 BADTRUNC.
std::string tsig_error_name(int code);

/// The ldns/wire name of a TSIG algorithm ("hmac-sha256" -> "hmac-sha256."), empty when
/// certctl does not support it. Accepted: hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384,
/// hmac-sha512 (with or without the trailing dot, any case).
std::string tsig_algorithm(std::string_view name);

/// A name as an ldns dname; Input error naming `what` when it is not a valid name.
Result<LdnsRdfPtr> dname(std::string_view name, std::string_view what = "name");
/// The owner of rr as an absolute lower-case string.
std::string owner_of(const ldns_rr* rr);
/// An rdf holding a domain name, as an absolute lower-case string.
std::string dname_text(const ldns_rdf* rdf);

/// A query for (name, type) with a random ID, EDNS(0) with a 1232-byte UDP size, and the RD
/// bit as given.
Result<LdnsPktPtr> make_query(std::string_view name, ldns_rr_type type, bool recursion_desired);

/// A TXT record: value split into 255-byte character-strings.
Result<LdnsRrPtr> make_txt(std::string_view fqdn, std::string_view value, uint32_t ttl,
                           ldns_rr_class rr_class = LDNS_RR_CLASS_IN);
/// The value of a TXT record: its character-strings concatenated.
std::string txt_value(const ldns_rr* rr);

enum class UpdateOp { Add, Delete };
/// An RFC 2136 UPDATE for zone: Add puts each (fqdn, value) in class IN with ttl; Delete
/// removes exactly those RRs (class NONE, TTL 0: "delete an RR from an RRset", 2.5.4), never
/// the whole RRset. The message has a random ID and no TSIG yet.
struct TxtChange {
  std::string fqdn;
  std::string value;
};
Result<LdnsPktPtr> make_update(std::string_view zone, UpdateOp op,
                               const std::vector<TxtChange>& changes, uint32_t ttl);

/// One answer from one server, with the bytes it came in (TSIG verification needs them).
struct Reply {
  LdnsPktPtr pkt;
  std::vector<uint8_t> wire;
  bool over_tcp = false;
};

struct ExchangeOptions {
  std::chrono::milliseconds timeout{2000};  ///< per attempt
  int retries = 2;                          ///< extra UDP attempts after a timeout
  bool tcp = false;                         ///< TCP from the start
};

/// Send msg to server and return the answer to it (same ID, QR set). UDP first; when the
/// answer is truncated, the same message again over TCP. `what` names the request in errors
/// ("the SOA query for example.test.").
/// Under --debug, the message and its answer go to the trace (describe()).
Result<Reply> exchange(const Server& server, const ldns_pkt* msg, std::string_view what,
                       const ExchangeOptions& opts);
/// A message on a few lines for the trace: id, opcode, rcode, then one line per RR by section
/// (a TSIG RR by key name and algorithm; its MAC is not shown, its secret is never in it).
std::string describe(const ldns_pkt* pkt);

}  // namespace certctl::dns::wire
