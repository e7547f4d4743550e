// DNS messages and one request/response exchange (see wire.hpp).
#include "dns/wire.hpp"

#include <certctl/trace.hpp>
#include <certctl/unique_fd.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <variant>

#include <fmt/format.h>

namespace certctl::dns::wire {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string absolute(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  for (char c : name) out.push_back(lower(c));
  if (out.empty() || out.back() != '.') out.push_back('.');
  return out;
}

bool same_name(std::string_view a, std::string_view b) { return absolute(a) == absolute(b); }

std::string parent(std::string_view absolute_name) {
  if (absolute_name.empty() || absolute_name == ".") return "";
  // Skip the first label, honouring "\." escapes inside it.
  for (size_t i = 0; i < absolute_name.size(); ++i) {
    if (absolute_name[i] == '\\') {
      ++i;
      continue;
    }
    if (absolute_name[i] == '.') {
      std::string_view rest = absolute_name.substr(i + 1);
      return rest.empty() ? std::string(".") : std::string(rest);
    }
  }
  return ".";
}

std::string rcode_name(int rcode) {
  switch (rcode) {
    case 0: return "NOERROR";
    case 1: return "FORMERR";
    case 2: return "SERVFAIL";
    case 3: return "NXDOMAIN";
    case 4: return "NOTIMP";
    case 5: return "REFUSED";
    case 6: return "YXDOMAIN";
    case 7: return "YXRRSET";
    case 8: return "NXRRSET";
    case 9: return "NOTAUTH";
    case 10: return "NOTZONE";
  }
  return fmt::format("RCODE {}", rcode);
}

std::string tsig_error_name(int code) {
  switch (code) {
    case 0: return "NOERROR";
    case 16: return "BADSIG";
    case 17: return "BADKEY";
    case 18: return "BADTIME";
    case 22: return "BADTRUNC";
  }
  return fmt::format("TSIG error {}", code);
}

std::string tsig_algorithm(std::string_view name) {
  std::string n = absolute(name);
  for (const char* known : {"hmac-sha1.", "hmac-sha224.", "hmac-sha256.", "hmac-sha384.", "hmac-sha512."}) {
    if (n == known) return n;
  }
  return "";
}

Result<LdnsRdfPtr> dname(std::string_view name, std::string_view what) {
  std::string abs = absolute(name);
  LdnsRdfPtr rdf(ldns_dname_new_frm_str(abs.c_str()));
  if (!rdf) return Error(Category::Input, std::string(name), fmt::format("not a valid DNS {}", what));
  return rdf;
}

std::string dname_text(const ldns_rdf* rdf) {
  if (!rdf) return "";
  LdnsCharPtr s(ldns_rdf2str(rdf));
  return s ? absolute(s.get()) : std::string();
}

std::string owner_of(const ldns_rr* rr) { return dname_text(ldns_rr_owner(rr)); }

Result<LdnsPktPtr> make_query(std::string_view name, ldns_rr_type type, bool recursion_desired) {
  TRY_ASSIGN(LdnsRdfPtr qname, dname(name));
  // ldns_pkt_query_new takes ownership of the name.
  LdnsPktPtr pkt(ldns_pkt_query_new(qname.release(), type, LDNS_RR_CLASS_IN, 0));
  if (!pkt) return Error(Category::Internal, std::string(name), "could not build a DNS query");
  ldns_pkt_set_random_id(pkt.get());
  ldns_pkt_set_rd(pkt.get(), recursion_desired);
  ldns_pkt_set_edns_udp_size(pkt.get(), 1232);
  return pkt;
}

Result<LdnsRrPtr> make_txt(std::string_view fqdn, std::string_view value, uint32_t ttl,
                           ldns_rr_class rr_class) {
  TRY_ASSIGN(LdnsRdfPtr owner, dname(fqdn));
  LdnsRrPtr rr(ldns_rr_new());
  if (!rr) return Error(Category::Internal, std::string(fqdn), "out of memory building a TXT record");
  ldns_rr_set_owner(rr.get(), owner.release());
  ldns_rr_set_type(rr.get(), LDNS_RR_TYPE_TXT);
  ldns_rr_set_class(rr.get(), rr_class);
  ldns_rr_set_ttl(rr.get(), ttl);
  size_t pos = 0;
  do {
    size_t n = std::min<size_t>(255, value.size() - pos);
    uint8_t buf[256];
    buf[0] = static_cast<uint8_t>(n);
    std::memcpy(buf + 1, value.data() + pos, n);
    ldns_rdf* s = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, n + 1, buf);
    if (!s || !ldns_rr_push_rdf(rr.get(), s)) {
      if (s) ldns_rdf_deep_free(s);
      return Error(Category::Internal, std::string(fqdn), "out of memory building a TXT record");
    }
    pos += n;
  } while (pos < value.size());
  return rr;
}

std::string txt_value(const ldns_rr* rr) {
  std::string out;
  for (size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
    const ldns_rdf* f = ldns_rr_rdf(rr, i);
    if (!f || ldns_rdf_size(f) < 1) continue;
    const uint8_t* d = ldns_rdf_data(f);
    size_t n = std::min<size_t>(d[0], ldns_rdf_size(f) - 1);
    out.append(reinterpret_cast<const char*>(d + 1), n);
  }
  return out;
}

Result<LdnsPktPtr> make_update(std::string_view zone, UpdateOp op,
                               const std::vector<TxtChange>& changes, uint32_t ttl) {
  LdnsRrListPtr updates(ldns_rr_list_new());
  if (!updates) return Error(Category::Internal, std::string(zone), "out of memory building an UPDATE");
  for (const TxtChange& c : changes) {
    TRY_ASSIGN(LdnsRrPtr rr, op == UpdateOp::Add ? make_txt(c.fqdn, c.value, ttl, LDNS_RR_CLASS_IN)
                                                 : make_txt(c.fqdn, c.value, 0, LDNS_RR_CLASS_NONE));
    if (!ldns_rr_list_push_rr(updates.get(), rr.get()))
      return Error(Category::Internal, std::string(zone), "out of memory building an UPDATE");
    (void)rr.release();  // the list owns it now
  }
  TRY_ASSIGN(LdnsRdfPtr zone_rdf, dname(zone, "zone name"));
  // ldns_update_pkt_new takes the zone name and copies the lists.
  LdnsPktPtr pkt(ldns_update_pkt_new(zone_rdf.release(), LDNS_RR_CLASS_IN, nullptr, updates.get(), nullptr));
  if (!pkt) return Error(Category::Internal, std::string(zone), "could not build an UPDATE message");
  ldns_pkt_set_random_id(pkt.get());
  ldns_pkt_set_rd(pkt.get(), false);  // the header's Z bits must be zero in an UPDATE (2.3)
  return pkt;
}

// --- transport -------------------------------------------------------------------------------

namespace {

using Clock = std::chrono::steady_clock;

struct Addr {
  sockaddr_storage ss{};
  socklen_t len = 0;
};

Result<Addr> address_of(const Server& server) {
  Addr a;
  if (server.port < 1 || server.port > 65535)
    return Error(Category::Input, server.display(), "not a valid port");
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
  if (inet_pton(AF_INET, server.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(server.port));
    a.len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, server.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(server.port));
    a.len = sizeof(sockaddr_in6);
  } else {
    return Error(Category::Input, server.host, "not an IP address");
  }
  return a;
}

int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

/// A transport failure, as one line naming the server and the request.
struct NetFail {
  enum Kind { Refused, Timeout, Other } kind;
  std::string detail;
};

Error to_error(const Server& server, std::string_view what, const NetFail& f, const ExchangeOptions& opts,
               int attempts) {
  std::string subject = "DNS server " + server.display();
  switch (f.kind) {
    case NetFail::Refused:
      return Error(Category::Network, subject,
                   fmt::format("connection refused: nothing answers DNS there ({})", what));
    case NetFail::Timeout:
      return Error(Category::Network, subject,
                   fmt::format("no answer to {} within {:.1f} s ({} {})", what,
                               static_cast<double>(opts.timeout.count()) * attempts / 1000.0, attempts,
                               attempts == 1 ? "try" : "tries"));
    case NetFail::Other:
      break;
  }
  return Error(Category::Network, subject, fmt::format("{}: {}", what, f.detail));
}

/// Does `bytes` parse as the answer to a query with this ID?
bool answers(const std::vector<uint8_t>& bytes, uint16_t id) {
  return bytes.size() >= 12 && ((bytes[0] << 8) | bytes[1]) == id && (bytes[2] & 0x80);
}

std::variant<std::vector<uint8_t>, NetFail> udp_once(const Addr& addr, const std::vector<uint8_t>& query,
                                                     uint16_t id, std::chrono::milliseconds timeout) {
  UniqueFd fd(::socket(addr.ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return NetFail{NetFail::Other, std::strerror(errno)};
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr.ss), addr.len) != 0)
    return NetFail{errno == ECONNREFUSED ? NetFail::Refused : NetFail::Other, std::strerror(errno)};
  if (::send(fd.get(), query.data(), query.size(), 0) < 0)
    return NetFail{errno == ECONNREFUSED ? NetFail::Refused : NetFail::Other, std::strerror(errno)};
  auto deadline = Clock::now() + timeout;
  std::vector<uint8_t> buf(65535);
  for (;;) {
    pollfd p{fd.get(), POLLIN, 0};
    int r = ::poll(&p, 1, ms_left(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return NetFail{NetFail::Other, std::strerror(errno)};
    if (r == 0) return NetFail{NetFail::Timeout, ""};
    ssize_t n = ::recv(fd.get(), buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return NetFail{errno == ECONNREFUSED ? NetFail::Refused : NetFail::Other, std::strerror(errno)};
    }
    std::vector<uint8_t> got(buf.begin(), buf.begin() + n);
    if (answers(got, id)) return got;
    // Not ours (a late answer to an earlier try): keep waiting.
  }
}

/// Wait until fd is ready for `events` or the deadline passes.
std::optional<NetFail> wait_fd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, ms_left(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return NetFail{NetFail::Other, std::strerror(errno)};
    if (r == 0) return NetFail{NetFail::Timeout, ""};
    return std::nullopt;
  }
}

std::variant<std::vector<uint8_t>, NetFail> tcp_once(const Addr& addr, const std::vector<uint8_t>& query,
                                                     uint16_t id, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  UniqueFd fd(::socket(addr.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return NetFail{NetFail::Other, std::strerror(errno)};
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr.ss), addr.len) != 0) {
    if (errno != EINPROGRESS)
      return NetFail{errno == ECONNREFUSED ? NetFail::Refused : NetFail::Other, std::strerror(errno)};
    if (auto f = wait_fd(fd.get(), POLLOUT, deadline)) return *f;
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return NetFail{err == ECONNREFUSED ? NetFail::Refused : NetFail::Other, std::strerror(err)};
  }
  std::vector<uint8_t> out;
  out.reserve(query.size() + 2);
  out.push_back(static_cast<uint8_t>(query.size() >> 8));
  out.push_back(static_cast<uint8_t>(query.size() & 0xff));
  out.insert(out.end(), query.begin(), query.end());
  size_t sent = 0;
  while (sent < out.size()) {
    if (auto f = wait_fd(fd.get(), POLLOUT, deadline)) return *f;
    ssize_t n = ::send(fd.get(), out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return NetFail{NetFail::Other, std::strerror(errno)};
    }
    sent += static_cast<size_t>(n);
  }
  auto read_exact = [&](uint8_t* dst, size_t want) -> std::optional<NetFail> {
    size_t got = 0;
    while (got < want) {
      if (auto f = wait_fd(fd.get(), POLLIN, deadline)) return f;
      ssize_t n = ::recv(fd.get(), dst + got, want - got, 0);
      if (n == 0) return NetFail{NetFail::Other, "the server closed the TCP connection"};
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return NetFail{NetFail::Other, std::strerror(errno)};
      }
      got += static_cast<size_t>(n);
    }
    return std::nullopt;
  };
  uint8_t lenbuf[2];
  if (auto f = read_exact(lenbuf, 2)) return *f;
  size_t len = (static_cast<size_t>(lenbuf[0]) << 8) | lenbuf[1];
  std::vector<uint8_t> reply(len);
  if (auto f = read_exact(reply.data(), len)) return *f;
  if (!answers(reply, id)) return NetFail{NetFail::Other, "the TCP answer does not match the request"};
  return reply;
}

/// One RR as text on one line; a TSIG RR shows its key name and algorithm only.
std::string rr_text(const ldns_rr* rr) {
  if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_TSIG) {
    const ldns_rdf* alg = ldns_rr_rd_count(rr) > 0 ? ldns_rr_rdf(rr, 0) : nullptr;
    return fmt::format("{} TSIG {} <mac not shown>", owner_of(rr), alg ? dname_text(alg) : "?");
  }
  std::unique_ptr<char, void (*)(void*)> text(ldns_rr2str(rr), std::free);
  std::string out = text ? text.get() : "?";
  std::replace(out.begin(), out.end(), '\t', ' ');
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

std::string describe(const ldns_pkt* pkt) {
  const bool update = ldns_pkt_get_opcode(pkt) == LDNS_PACKET_UPDATE;
  std::string out = fmt::format("id {} {} {}{}", ldns_pkt_id(pkt), update ? "UPDATE" : "QUERY",
                                rcode_name(ldns_pkt_get_rcode(pkt)), ldns_pkt_tc(pkt) ? " truncated" : "");
  const std::pair<const char*, const ldns_rr_list*> sections[] = {
      {update ? "zone" : "question", ldns_pkt_question(pkt)},
      {update ? "prerequisite" : "answer", ldns_pkt_answer(pkt)},
      {update ? "update" : "authority", ldns_pkt_authority(pkt)},
      {"additional", ldns_pkt_additional(pkt)},
  };
  for (const auto& [label, list] : sections) {
    const std::size_t n = list ? ldns_rr_list_rr_count(list) : 0;
    for (std::size_t i = 0; i < n; ++i) out += fmt::format("\n  {}: {}", label, rr_text(ldns_rr_list_rr(list, i)));
  }
  if (const ldns_rr* tsig = ldns_pkt_tsig(pkt)) out += "\n  tsig: " + rr_text(tsig);
  return out;
}

namespace {

/// exchange without the trace.
Result<Reply> exchange_once(const Server& server, const ldns_pkt* msg, std::string_view what,
                            const ExchangeOptions& opts) {
  TRY_ASSIGN(Addr addr, address_of(server));
  uint8_t* raw = nullptr;
  size_t raw_size = 0;
  if (ldns_pkt2wire(&raw, msg, &raw_size) != LDNS_STATUS_OK || !raw)
    return Error(Category::Internal, std::string(what), "could not encode the DNS message");
  LdnsBytesPtr raw_owner(raw);
  std::vector<uint8_t> query(raw, raw + raw_size);
  uint16_t id = ldns_pkt_id(msg);

  Reply reply;
  std::variant<std::vector<uint8_t>, NetFail> got = NetFail{NetFail::Timeout, ""};
  int attempts = 0;
  if (!opts.tcp) {
    for (int i = 0; i <= opts.retries; ++i) {
      ++attempts;
      got = udp_once(addr, query, id, opts.timeout);
      if (auto* f = std::get_if<NetFail>(&got); !f || f->kind != NetFail::Timeout) break;
    }
  }
  bool truncated = false;
  if (auto* bytes = std::get_if<std::vector<uint8_t>>(&got)) truncated = (*bytes)[2] & 0x02;
  if (opts.tcp || truncated) {
    attempts = 1;
    got = tcp_once(addr, query, id, opts.timeout);
    reply.over_tcp = true;
  }
  if (auto* f = std::get_if<NetFail>(&got)) return to_error(server, what, *f, opts, attempts);

  reply.wire = std::move(std::get<std::vector<uint8_t>>(got));
  ldns_pkt* parsed = nullptr;
  ldns_status st = ldns_wire2pkt(&parsed, reply.wire.data(), reply.wire.size());
  if (st != LDNS_STATUS_OK || !parsed)
    return Error(Category::Dns, "DNS server " + server.display(),
                 fmt::format("sent a malformed answer to {}", what), ldns_get_errorstr_by_id(st));
  reply.pkt.reset(parsed);
  return reply;
}

}  // namespace

Result<Reply> exchange(const Server& server, const ldns_pkt* msg, std::string_view what,
                       const ExchangeOptions& opts) {
  if (!trace::enabled(trace::Level::Debug)) return exchange_once(server, msg, what, opts);
  trace::debug(fmt::format("dns> {} ({}): {}", server.display(), what, describe(msg)));
  auto reply = exchange_once(server, msg, what, opts);
  if (!reply) {
    trace::debug(fmt::format("dns< {}: {}", server.display(), reply.error().text()));
  } else {
    trace::debug(fmt::format("dns< {}{}: {}", server.display(), reply->over_tcp ? " over TCP" : "",
                             describe(reply->pkt.get())));
  }
  return reply;
}

}  // namespace certctl::dns::wire

namespace certctl::dns {

std::string absolute_name(std::string_view name) { return wire::absolute(name); }

bool in_zone(std::string_view name, std::string_view zone) {
  const std::string n = wire::absolute(name), z = wire::absolute(zone);
  if (z == ".") return true;
  return n == z || (n.size() > z.size() && n.compare(n.size() - z.size(), z.size(), z) == 0 &&
                    n[n.size() - z.size() - 1] == '.');
}

}  // namespace certctl::dns
