// The frames between the key-holding process and the network process: JSON, each member
// checked on the way in (a network process that says something odd is an error, never a crash).
#include "lifecycle/network_wire.hpp"

#include <certctl/overloaded.hpp>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

namespace certctl::lifecycle::detail::wire {
namespace {

using Json = nlohmann::json;
constexpr std::string_view kSubject = "network process";

Error bad(std::string_view what) {
  return Error(Category::Internal, std::string(kSubject), fmt::format("sent a malformed message ({})", what));
}

/// Typed members of a JSON object; the first missing or wrong-typed one is kept as the error.
class Reader {
 public:
  explicit Reader(const Json& j) : j_(j) {}
  std::string str(const char* key) { return get<std::string>(key, &Json::is_string); }
  long long num(const char* key) { return get<long long>(key, &Json::is_number_integer); }
  bool flag(const char* key) { return get<bool>(key, &Json::is_boolean); }
  double real(const char* key) { return get<double>(key, &Json::is_number); }
  /// An array of strings.
  std::vector<std::string> strings(const char* key) {
    std::vector<std::string> out;
    for (const auto& v : sub(key, &Json::is_array))
      if (v.is_string()) out.push_back(v.get<std::string>());
      else fail(key);
    return out;
  }
  /// A member that is base64 text, decoded.
  std::string bytes(const char* key) {
    auto b = crypto::base64_decode(str(key), key);
    if (!b) fail(key);
    return b ? *b : std::string();
  }
  const Json& sub(const char* key, bool (Json::*is)() const noexcept) {
    static const Json kNull;
    auto it = j_.find(key);
    if (it == j_.end() || !((*it).*is)()) {
      fail(key);
      return kNull;
    }
    return *it;
  }
  /// The first member that was missing or wrong, by its path ("batch.results.outcome.kind").
  std::optional<Error> error() const {
    if (!failed_) return std::nullopt;
    return bad(*failed_);
  }
  void fail(std::string_view what) {
    if (!failed_) failed_ = std::string(what);
  }
  /// `what` is wrong because a member inside it, read by `inner`, is.
  void fail(std::string_view what, const Reader& inner) {
    if (!failed_) failed_ = inner.failed_ ? fmt::format("{}.{}", what, *inner.failed_) : std::string(what);
  }

 private:
  template <class T>
  T get(const char* key, bool (Json::*is)() const noexcept) {
    auto it = j_.find(key);
    if (!j_.is_object() || it == j_.end() || !((*it).*is)()) {
      fail(key);
      return T{};
    }
    return it->get<T>();
  }
  const Json& j_;
  std::optional<std::string> failed_;
};

Json error_json(const Error& e) {
  return {{"category", category_name(e.category())}, {"subject", e.subject()}, {"message", e.message()},
          {"cause", e.cause()}};
}

/// The category of a category_name (Internal for a name that is none).
Category category_from(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(Category::Internal); ++i)
    if (category_name(static_cast<Category>(i)) == name) return static_cast<Category>(i);
  return Category::Internal;
}

Error error_from(Reader& r) {
  const Category c = category_from(r.str("category"));
  return Error(c, r.str("subject"), r.str("message"), r.str("cause"));
}

std::optional<Error> maybe_error(const Json& j, Reader& outer) {
  auto it = j.find("error");
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) {
    outer.fail("error");
    return std::nullopt;
  }
  Reader r(*it);
  Error e = error_from(r);
  if (r.error()) outer.fail("error", r);
  return e;
}

// ---- certificates --------------------------------------------------------------------------

Json issued_json(const ca::Issued& i) {
  // A dry run's validation carries no certificate: "" for the leaf.
  Json j = {{"leaf", i.leaf.empty() ? std::string() : i.leaf.to_pem()},
            {"chain", crypto::to_pem_bundle(i.chain)},
            {"replaced", i.replaced}};
  if (i.ari)
    j["ari"] = {{"cert_id", i.ari->cert_id},         {"start", i.ari->start},
                {"end", i.ari->end},                 {"explanation_url", i.ari->explanation_url},
                {"retry_after_s", i.ari->retry_after_s}, {"error", i.ari->error}};
  return j;
}

std::optional<ca::Issued> issued_from(const Json& j, Reader& outer) {
  Reader r(j);
  ca::Issued out;
  const std::string leaf = r.str("leaf"), chain = r.str("chain");
  out.replaced = r.str("replaced");
  if (auto a = j.find("ari"); a != j.end()) {
    Reader ar(*a);
    out.ari = ca::AriWindow{ar.str("cert_id"), ar.num("start"), ar.num("end"), ar.str("explanation_url"),
                            static_cast<long>(ar.num("retry_after_s")), ar.str("error")};
    if (ar.error()) r.fail("ari", ar);
  }
  if (!leaf.empty()) {
    auto leaves = crypto::parse_certificates(leaf, "network process: certificate");
    if (!leaves || leaves->size() != 1) r.fail("leaf");
    else out.leaf = std::move(leaves->front());
  }
  if (!chain.empty()) {
    auto certs = crypto::parse_certificates(chain, "network process: chain");
    if (!certs) r.fail("chain");
    else out.chain = std::move(certs).value();
  }
  if (r.error()) {
    outer.fail("issued", r);
    return std::nullopt;
  }
  return out;
}

// ---- options -------------------------------------------------------------------------------

Json provider_json(const dns::ProviderConfig& p) {
  Json secrets = Json::object();
  for (const auto& [k, v] : p.secrets) secrets[k] = crypto::base64_encode(v.view());
  return {{"name", p.name},       {"type", p.type}, {"options", p.options}, {"secrets", secrets},
          {"tech_zone", p.tech_zone}, {"ttl", p.ttl}, {"timeout_s", p.timeout_s},
          {"propagation_wait_s", p.propagation_wait_s}, {"no_propagation_check", p.no_propagation_check}};
}

std::shared_ptr<const dns::ProviderConfig> provider_from(const Json& j, Reader& outer) {
  Reader r(j);
  auto p = std::make_shared<dns::ProviderConfig>();
  p->name = r.str("name");
  p->type = r.str("type");
  p->tech_zone = r.str("tech_zone");
  p->ttl = static_cast<int>(r.num("ttl"));
  p->timeout_s = static_cast<int>(r.num("timeout_s"));
  p->propagation_wait_s = static_cast<int>(r.num("propagation_wait_s"));
  p->no_propagation_check = r.flag("no_propagation_check");
  for (const auto& [k, v] : r.sub("options", &Json::is_object).items())
    if (v.is_string()) p->options[k] = v.get<std::string>();
    else r.fail("options");
  for (const auto& [k, v] : r.sub("secrets", &Json::is_object).items()) {
    auto raw = v.is_string() ? crypto::base64_decode(v.get<std::string>(), k) : Result<std::string>(bad("secrets"));
    if (!raw) r.fail("secrets");
    else p->secrets.emplace(k, SecretBytes::from(*raw));
  }
  if (r.error()) outer.fail("dns_provider", r);
  return p;
}

Json challenge_json(const ca::ChallengeSettings& c) {
  const challenge::DnsProviderOptions& d = c.dns_options;
  Json j = {{"type", vault::challenge_name(c.type)},
            {"http_address", c.http_address},
            {"http_port", c.http_port},
            {"webroot", c.webroot},
            {"webroot_map", c.webroot_map},
            {"http_hook", c.http_hook},
            {"tls_port", c.tls_port},
            {"dns", c.dns ? challenge::to_string(*c.dns) : ""},
            {"has_dns", c.dns.has_value()},
            {"dns_timeout_s", c.dns_timeout_s},
            {"lookups", d.lookups},
            {"tech_zone", d.tech_zone},
            {"propagation_timeout_s", d.propagation_timeout.count()},
            {"propagation_interval_ms", d.propagation_interval.count()},
            {"propagation_wait_s", d.propagation_wait.count()},
            {"check_propagation", d.check_propagation},
            {"query_timeout_ms", d.resolver.query_timeout.count()},
            {"retries", d.resolver.retries}};
  if (d.resolver.override_server)
    j["resolver"] = {{"host", d.resolver.override_server->host}, {"port", d.resolver.override_server->port}};
  if (c.dns_provider) j["dns_provider"] = provider_json(*c.dns_provider);
  return j;
}

void resolver_from(const Json& j, challenge::DnsProviderOptions& d, Reader& r) {
  d.resolver.query_timeout = std::chrono::milliseconds(r.num("query_timeout_ms"));
  d.resolver.retries = static_cast<int>(r.num("retries"));
  if (auto s = j.find("resolver"); s != j.end()) {
    Reader sr(*s);
    d.resolver.override_server = dns::Server{sr.str("host"), static_cast<int>(sr.num("port"))};
    if (sr.error()) r.fail("resolver", sr);
  }
}

ca::ChallengeSettings challenge_from(const Json& j, Reader& outer) {
  Reader r(j);
  ca::ChallengeSettings c;
  if (auto t = vault::parse_challenge(r.str("type"))) c.type = *t;
  else r.fail("type");
  c.http_address = r.str("http_address");
  c.http_port = static_cast<int>(r.num("http_port"));
  c.webroot = r.str("webroot");
  c.webroot_map = r.strings("webroot_map");
  c.http_hook = r.str("http_hook");
  c.tls_port = static_cast<int>(r.num("tls_port"));
  const std::string dns = r.str("dns");
  if (r.flag("has_dns")) {
    if (auto s = challenge::parse_dns_setting(dns)) c.dns = *s;
    else r.fail("dns");
  }
  c.dns_timeout_s = static_cast<int>(r.num("dns_timeout_s"));
  challenge::DnsProviderOptions& d = c.dns_options;
  d.lookups = r.flag("lookups");
  d.tech_zone = r.str("tech_zone");
  d.propagation_timeout = std::chrono::seconds(r.num("propagation_timeout_s"));
  d.propagation_wait = std::chrono::seconds(r.num("propagation_wait_s"));
  d.check_propagation = r.flag("check_propagation");
  d.propagation_interval = std::chrono::milliseconds(r.num("propagation_interval_ms"));
  resolver_from(j, d, r);
  if (auto p = j.find("dns_provider"); p != j.end()) c.dns_provider = provider_from(*p, r);
  if (r.error()) outer.fail("challenge", r);
  return c;
}

Json options_json(const ca::IssueOptions& o) {
  return {{"days", o.days},       {"challenge", challenge_json(o.challenge)},
          {"profile", o.profile}, {"preferred_chain", o.preferred_chain},
          {"dry_run", o.dry_run}, {"replaces", o.replaces}, {"replaced_is_final", o.replaced_is_final}};
}

ca::IssueOptions options_from(const Json& j, Reader& outer) {
  Reader r(j);
  ca::IssueOptions o;
  o.days = static_cast<int>(r.num("days"));
  o.challenge = challenge_from(r.sub("challenge", &Json::is_object), r);
  o.profile = r.str("profile");
  o.preferred_chain = r.str("preferred_chain");
  o.dry_run = r.flag("dry_run");
  o.replaces = r.str("replaces");
  o.replaced_is_final = r.flag("replaced_is_final");
  if (r.error()) outer.fail("options", r);
  return o;
}

// ---- jobs and CAs --------------------------------------------------------------------------

Json job_json(const OrderJob& job) {
  Json attempts = Json::array();
  for (const Attempt& a : job.attempts) {
    Json at = {{"ca", a.ca}, {"options", options_json(a.options)}};
    if (a.stop) at["error"] = error_json(*a.stop);
    attempts.push_back(std::move(at));
  }
  return {{"name", job.name}, {"names", job.names}, {"csr", job.csr.pem}, {"attempts", std::move(attempts)}};
}

OrderJob job_from(const Json& j, Reader& outer) {
  Reader r(j);
  OrderJob job;
  job.name = r.str("name");
  job.names = r.strings("names");
  if (auto csr = crypto::parse_csr(r.str("csr"), job.name)) job.csr = std::move(csr).value();
  else r.fail("csr");
  for (const auto& a : r.sub("attempts", &Json::is_array)) {
    Reader ar(a);
    Attempt at;
    at.ca = ar.str("ca");
    at.options = options_from(ar.sub("options", &Json::is_object), ar);
    at.stop = maybe_error(a, ar);
    if (ar.error()) r.fail("attempts", ar);
    job.attempts.push_back(std::move(at));
  }
  if (r.error()) outer.fail("jobs", r);
  return job;
}

Json profile_json(const ca::CaProfile& p) {
  return {{"name", p.name},           {"directory", p.directory},   {"ca_bundle", p.ca_bundle},
          {"eab_kid", p.eab_kid},     {"eab_required", p.eab_required}, {"tech_zone", p.tech_zone},
          {"allow_wildcard", p.allow_wildcard}, {"profile", p.profile}, {"staging", p.staging},
          {"builtin", p.builtin}};
}

ca::CaProfile profile_from(const Json& j, Reader& outer) {
  Reader r(j);
  ca::CaProfile p;
  p.name = r.str("name");
  p.directory = r.str("directory");
  p.ca_bundle = r.str("ca_bundle");
  p.eab_kid = r.str("eab_kid");
  p.eab_required = r.flag("eab_required");
  p.tech_zone = r.str("tech_zone");
  p.allow_wildcard = r.flag("allow_wildcard");
  p.profile = r.str("profile");
  p.staging = r.str("staging");
  p.builtin = r.flag("builtin");
  if (r.error()) outer.fail("profile", r);
  return p;
}

Json ca_json(const CaSpec& c) {
  const crypto::JwkParams& k = c.jwk;
  Json j = {{"profile", profile_json(c.profile)},
            {"kid", c.kid},
            {"jwk",
             {{"kty", k.kty},
              {"crv", k.crv},
              {"x", crypto::base64_encode(k.x)},
              {"y", crypto::base64_encode(k.y)},
              {"n", crypto::base64_encode(k.n)},
              {"e", crypto::base64_encode(k.e)}}}};
  if (c.unavailable) j["error"] = error_json(*c.unavailable);
  return j;
}

CaSpec ca_from(const Json& j, Reader& outer) {
  Reader r(j);
  CaSpec c;
  c.profile = profile_from(r.sub("profile", &Json::is_object), r);
  c.kid = r.str("kid");
  Reader k(r.sub("jwk", &Json::is_object));
  c.jwk = crypto::JwkParams{k.str("kty"), k.str("crv"), k.bytes("x"), k.bytes("y"), k.bytes("n"), k.bytes("e")};
  if (k.error()) r.fail("jwk", k);
  c.unavailable = maybe_error(j, r);
  if (r.error()) outer.fail("cas", r);
  return c;
}

// ---- results -------------------------------------------------------------------------------

Json outcome_json(const Outcome& o) {
  return std::visit(
      Overloaded{
          [](const Ready&) -> Json { return {{"kind", "ready"}}; },
          [](const Stopped& s) -> Json { return {{"kind", "stopped"}, {"error", error_json(s.error)}}; },
          [](const Waiting& w) -> Json { return {{"kind", "waiting"}, {"instruction", w.instruction}}; },
          [](const Failed& f) -> Json {
            return {{"kind", "failed"},           {"failures", f.failures},
                    {"category", category_name(f.category)}, {"problem_type", f.problem.type},
                    {"retry_after_s", f.problem.retry_after_s}};
          },
          [](const Issued& i) -> Json { return {{"kind", "issued"}, {"by", i.by}, {"cert", issued_json(i.cert)}}; },
      },
      o);
}

Failed failed_from(Reader& r) {
  Failed f;
  for (const auto& s : r.sub("failures", &Json::is_array))
    if (s.is_string()) f.failures.push_back(s.get<std::string>());
    else r.fail("failures");
  if (f.failures.empty()) r.fail("failures");
  f.category = category_from(r.str("category"));
  f.problem.type = r.str("problem_type");
  f.problem.retry_after_s = static_cast<long>(r.num("retry_after_s"));
  return f;
}

Outcome outcome_from(const Json& j, Reader& outer) {
  Reader r(j);
  const std::string kind = r.str("kind");
  Outcome o = Ready{};
  if (kind == "stopped") {
    if (auto e = maybe_error(j, r)) o = Stopped{*e};
    else r.fail("error");
  } else if (kind == "waiting") {
    o = Waiting{r.str("instruction")};
  } else if (kind == "failed") {
    o = failed_from(r);
  } else if (kind == "issued") {
    if (auto cert = issued_from(r.sub("cert", &Json::is_object), r)) o = Issued{std::move(*cert), r.str("by")};
  } else if (kind != "ready") {
    r.fail("kind");
  }
  if (r.error()) outer.fail("outcome", r);
  return o;
}

Json batch_json(const Batch& b) {
  Json results = Json::array();
  for (const OrderResult& res : b.results) {
    Json log = Json::array();
    for (const AttemptLog& a : res.log)
      log.push_back({{"ca", a.ca}, {"error", a.error}, {"duration_s", a.duration_s}, {"replaces", a.replaces}});
    results.push_back({{"outcome", outcome_json(res.outcome)}, {"log", std::move(log)}});
  }
  Json warnings = Json::object();
  for (const auto& [name, errors] : b.warnings)
    for (const Error& e : errors) warnings[name].push_back(error_json(e));
  return {{"results", std::move(results)}, {"warnings", std::move(warnings)}};
}

Batch batch_from(const Json& j, Reader& outer) {
  Reader r(j);
  Batch b;
  for (const auto& res : r.sub("results", &Json::is_array)) {
    Reader rr(res);
    OrderResult out;
    out.outcome = outcome_from(rr.sub("outcome", &Json::is_object), rr);
    for (const auto& a : rr.sub("log", &Json::is_array)) {
      Reader ar(a);
      out.log.push_back({ar.str("ca"), ar.str("error"), ar.real("duration_s"), ar.str("replaces")});
      if (ar.error()) rr.fail("log", ar);
    }
    if (rr.error()) r.fail("results", rr);
    b.results.push_back(std::move(out));
  }
  for (const auto& [name, errors] : r.sub("warnings", &Json::is_object).items())
    for (const auto& e : errors) {
      Reader er(e);
      b.warnings[name].push_back(error_from(er));
      if (er.error() || !errors.is_array()) r.fail("warnings", er);
    }
  if (r.error()) outer.fail("batch", r);
  return b;
}

/// Parse a frame's text into a JSON object, or the error naming the network process.
Result<Json> parse_object(std::string_view text) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  return j;
}

/// The JSON text of j (strings from the network are not always UTF-8: replaced, not thrown).
std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

Json endpoints_json(const std::vector<challenge::Endpoint>& endpoints) {
  Json out = Json::array();
  for (const auto& e : endpoints)
    out.push_back({{"tls_alpn", e.kind == challenge::ResponderKind::TlsAlpn01}, {"address", e.address}, {"port", e.port}});
  return out;
}

std::vector<challenge::Endpoint> endpoints_from(const Json& j, Reader& outer) {
  std::vector<challenge::Endpoint> out;
  for (const auto& e : j) {
    Reader r(e);
    out.push_back({r.flag("tls_alpn") ? challenge::ResponderKind::TlsAlpn01 : challenge::ResponderKind::Http01,
                   r.str("address"), static_cast<int>(r.num("port"))});
    if (r.error()) outer.fail("responders", r);
  }
  return out;
}

}  // namespace

std::string encode(const Plan& plan) {
  Json jobs = Json::array();
  for (const OrderJob& job : plan.jobs) jobs.push_back(job_json(job));
  Json cas = Json::object();
  for (const auto& [name, spec] : plan.cas) cas[name] = ca_json(spec);
  Json j = {{"jobs", std::move(jobs)}, {"cas", std::move(cas)}, {"parallel", plan.parallel}, {"progress", plan.progress},
            {"job_progress", plan.job_progress}, {"trace", plan.trace}};
  if (plan.responders) j["responders"] = endpoints_json(*plan.responders);
  return dump(j);
}

Result<Plan> decode_plan(std::string_view text) {
  TRY_ASSIGN(Json j, parse_object(text));
  Reader r(j);
  Plan plan;
  for (const auto& job : r.sub("jobs", &Json::is_array)) plan.jobs.push_back(job_from(job, r));
  for (const auto& [name, spec] : r.sub("cas", &Json::is_object).items()) plan.cas.emplace(name, ca_from(spec, r));
  plan.parallel = static_cast<int>(r.num("parallel"));
  plan.progress = r.flag("progress");
  plan.job_progress = r.flag("job_progress");
  plan.trace = static_cast<int>(r.num("trace"));
  if (plan.trace < 0 || plan.trace > 2) r.fail("trace");
  if (j.contains("responders")) plan.responders = endpoints_from(r.sub("responders", &Json::is_array), r);
  if (r.error()) return *r.error();
  return plan;
}

std::string encode(const ChildMessage& message) {
  return dump(std::visit(
      Overloaded{
          [](const SignRequest& s) -> Json {
            return {{"type", "sign"}, {"ca", s.ca}, {"input", crypto::base64_encode(s.input)}};
          },
          [](const LocalIssueRequest& l) -> Json {
            return {{"type", "issue_local"}, {"ca", l.ca}, {"csr", l.csr_pem}, {"options", options_json(l.options)}};
          },
          [](const ProgressNote& p) -> Json { return {{"type", "progress"}, {"text", p.text}}; },
          [](const TraceNote& t) -> Json { return {{"type", "trace"}, {"level", t.level}, {"text", t.text}}; },
          [](const JobEnded& e) -> Json { return {{"type", "job_ended"}, {"index", e.index}}; },
          [](const Done& d) -> Json { return {{"type", "done"}, {"batch", batch_json(d.batch)}}; },
      },
      message));
}

Result<ChildMessage> decode_child_message(std::string_view text) {
  TRY_ASSIGN(Json j, parse_object(text));
  Reader r(j);
  const std::string type = r.str("type");
  ChildMessage m = ProgressNote{};
  if (type == "sign") m = SignRequest{r.str("ca"), r.bytes("input")};
  else if (type == "issue_local") m = LocalIssueRequest{r.str("ca"), r.str("csr"), options_from(r.sub("options", &Json::is_object), r)};
  else if (type == "progress") m = ProgressNote{r.str("text")};
  else if (type == "trace") {
    m = TraceNote{static_cast<int>(r.num("level")), r.str("text")};
    if (std::get<TraceNote>(m).level < 1 || std::get<TraceNote>(m).level > 2) r.fail("level");
  } else if (type == "job_ended") {
    const long long index = r.num("index");
    if (index < 0) r.fail("index");
    m = JobEnded{static_cast<std::size_t>(std::max(index, 0LL))};
  }
  else if (type == "done") m = Done{batch_from(r.sub("batch", &Json::is_object), r)};
  else r.fail("type");
  if (r.error()) return *r.error();
  return m;
}

std::string encode(const Reply& reply) {
  Json j = {{"signature", crypto::base64_encode(reply.signature)}};
  if (reply.error) j["error"] = error_json(*reply.error);
  if (reply.issued) j["issued"] = issued_json(*reply.issued);
  return dump(j);
}

Result<Reply> decode_reply(std::string_view text) {
  TRY_ASSIGN(Json j, parse_object(text));
  Reader r(j);
  Reply reply;
  reply.signature = r.bytes("signature");
  reply.error = maybe_error(j, r);
  if (auto i = j.find("issued"); i != j.end()) reply.issued = issued_from(*i, r);
  if (r.error()) return *r.error();
  return reply;
}

// ---- framing -------------------------------------------------------------------------------

Status send_frame(int fd, std::string_view text) {
  if (text.size() > kMaxFrame) return Error(Category::Internal, std::string(kSubject), "message too large to send");
  const auto n = static_cast<std::uint32_t>(text.size());
  const unsigned char head[4] = {static_cast<unsigned char>(n >> 24), static_cast<unsigned char>(n >> 16),
                                 static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
  std::string frame(reinterpret_cast<const char*>(head), 4);
  frame.append(text);
  std::size_t done = 0;
  while (done < frame.size()) {
    const ssize_t w = ::send(fd, frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return Error(Category::Internal, std::string(kSubject), "the connection broke", std::strerror(errno));
    done += static_cast<std::size_t>(w);
  }
  return ok();
}

namespace {

/// Read exactly n bytes; false at end of file or on an error.
bool read_exact(int fd, char* out, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::read(fd, out + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace

Result<std::string> read_frame(int fd, std::size_t limit) {
  unsigned char head[4];
  if (!read_exact(fd, reinterpret_cast<char*>(head), 4))
    return Error(Category::Internal, std::string(kSubject), "closed the connection");
  const std::size_t n = (std::size_t{head[0]} << 24) | (std::size_t{head[1]} << 16) | (std::size_t{head[2]} << 8) | head[3];
  if (n > limit)
    return Error(Category::Internal, std::string(kSubject), fmt::format("sent a message of {} bytes (limit {})", n, limit));
  std::string text(n, '\0');
  if (!read_exact(fd, text.data(), n)) return Error(Category::Internal, std::string(kSubject), "closed the connection");
  return text;
}

}  // namespace certctl::lifecycle::detail::wire
