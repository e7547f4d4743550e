/// http::Client over one libcurl easy handle. The handle lives as long as the client, so curl
/// keeps the connection to the CA open between requests (keep-alive). Redirects are never
/// followed (ACME does not need them). Under --debug every exchange goes to the trace
/// (include/certctl/trace.hpp), credentials and signatures redacted there.
#include <certctl/http.hpp>
#include <certctl/trace.hpp>

#include "http/curl_handles.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <mutex>

namespace certctl::http {
namespace {

/// Bodies larger than this are refused (a CA sends a few KiB; a chain a few more).
constexpr std::size_t kMaxBodyBytes = 16 * 1024 * 1024;
/// Response headers kept per response: enough for any CA, bounded against a hostile peer.
constexpr std::size_t kMaxHeaders = 200;

std::once_flag g_curl_init_once;
CURLcode g_curl_init_result = CURLE_OK;

CURLcode global_init() {
  std::call_once(g_curl_init_once, [] { g_curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return g_curl_init_result;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

/// What one transfer collects; the callbacks write into it.
struct Transfer {
  Response response;
  bool body_too_large = false;
  bool header_limit = false;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t len = size * n;
  if (t->response.body.size() + len > kMaxBodyBytes) {
    t->body_too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  t->response.body.append(data, len);
  return len;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t len = size * n;
  std::string_view line(data, len);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new status line: an interim (1xx) or proxy response came first. Keep only the
    // headers of the final response.
    t->response.headers.clear();
    return len;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return len;  // the blank line, or junk
  if (line.front() == ' ' || line.front() == '\t') return len;   // obsolete line folding
  if (t->response.headers.size() >= kMaxHeaders) {
    t->header_limit = true;
    return len;
  }
  t->response.headers.push_back(
      Header{trim(line.substr(0, colon)), trim(line.substr(colon + 1))});
  return len;
}

std::string_view describe(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL: return "unsupported URL scheme";
    case CURLE_URL_MALFORMAT: return "malformed URL";
    case CURLE_COULDNT_RESOLVE_PROXY: return "cannot resolve the proxy";
    case CURLE_COULDNT_RESOLVE_HOST: return "cannot resolve the host name";
    case CURLE_COULDNT_CONNECT: return "cannot connect";
    case CURLE_OPERATION_TIMEDOUT: return "timed out";
    case CURLE_SSL_CONNECT_ERROR: return "TLS handshake failed";
    case CURLE_PEER_FAILED_VERIFICATION: return "TLS certificate verification failed";
    case CURLE_SSL_CACERT_BADFILE: return "cannot read the CA bundle";
    case CURLE_GOT_NOTHING: return "the server closed the connection without a response";
    case CURLE_SEND_ERROR: return "sending the request failed";
    case CURLE_RECV_ERROR: return "receiving the response failed";
    case CURLE_WEIRD_SERVER_REPLY: return "the server's reply is not HTTP";
    default: return "request failed";
  }
}

Error network_error(const Request& req, std::string_view message, std::string cause = {}) {
  return Error(Category::Network, req.url, std::string(message), std::move(cause));
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

bool sends_body(const std::string& method, const Request& req) {
  return method == "POST" || method == "PUT" || method == "PATCH" || (method == "DELETE" && !req.body.empty());
}

/// The request's headers as a curl list, plus an empty "Expect:" when a body is sent.
Result<CurlSlistPtr> header_list(const Request& req, bool has_body) {
  CurlSlistPtr headers;
  for (const auto& hd : req.headers) {
    if (hd.name.find_first_of(":\r\n") != std::string::npos || hd.value.find_first_of("\r\n") != std::string::npos) {
      return Error(Category::Internal, req.url, "invalid request header '" + hd.name + "'");
    }
    // "Name:" alone would delete curl's own header; "Name;" sends it empty.
    std::string line = hd.value.empty() ? hd.name + ";" : hd.name + ": " + hd.value;
    if (!slist_append(headers, line.c_str())) return network_error(req, "out of memory");
  }
  // No "Expect: 100-continue" round trip for JWS or JSON bodies.
  if (has_body && !slist_append(headers, "Expect:")) return network_error(req, "out of memory");
  return headers;
}

/// curl_easy_setopt calls for one transfer; the first failure is kept in `rc`.
struct Setup {
  CURL* h;
  CURLcode rc = CURLE_OK;
  template <class V>
  void set(CURLoption opt, V value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, value);
  }

  /// Everything but the method: URL, limits, TLS verification, callbacks into `t`.
  void common(const ClientOptions& opts, const Request& req, curl_slist* headers, Transfer& t, char* errbuf) {
    set(CURLOPT_ERRORBUFFER, errbuf);
    set(CURLOPT_URL, req.url.c_str());
    set(CURLOPT_PROTOCOLS_STR, "http,https");
    set(CURLOPT_NOSIGNAL, 1L);
    set(CURLOPT_FOLLOWLOCATION, 0L);
    set(CURLOPT_CONNECTTIMEOUT, opts.connect_timeout_s);
    set(CURLOPT_TIMEOUT, opts.timeout_s);
    set(CURLOPT_USERAGENT, opts.user_agent.c_str());
    set(CURLOPT_SSL_VERIFYPEER, 1L);
    set(CURLOPT_SSL_VERIFYHOST, 2L);
    if (!opts.ca_bundle.empty()) set(CURLOPT_CAINFO, opts.ca_bundle.c_str());
    set(CURLOPT_WRITEFUNCTION, &on_body);
    set(CURLOPT_WRITEDATA, static_cast<void*>(&t));
    set(CURLOPT_HEADERFUNCTION, &on_header);
    set(CURLOPT_HEADERDATA, static_cast<void*>(&t));
    if (headers) set(CURLOPT_HTTPHEADER, headers);
  }

  /// The method (and body); false for a method the client does not speak.
  bool method(const std::string& method, const Request& req, bool has_body) {
    if (method == "GET") {
      set(CURLOPT_HTTPGET, 1L);
    } else if (method == "HEAD") {
      set(CURLOPT_NOBODY, 1L);
    } else if (method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE") {
      // PUT/PATCH/DELETE (DNS provider APIs) go as a POST transfer with the method renamed, so
      // the body is sent from memory exactly as for POST; a DELETE without a body sends none.
      if (has_body) {
        set(CURLOPT_POST, 1L);
        set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
        set(CURLOPT_POSTFIELDS, req.body.data());
      }
      if (method != "POST") set(CURLOPT_CUSTOMREQUEST, method.c_str());
    } else {
      return false;
    }
    return true;
  }
};

/// A body as the trace shows it: at most kTraceBody bytes.
constexpr std::size_t kTraceBody = 16 * 1024;
void append_body(std::string& out, std::string_view body) {
  if (body.empty()) return;
  out += "\n\n";
  out.append(body.substr(0, kTraceBody));
  if (body.size() > kTraceBody) out += fmt::format("\n... ({} more bytes)", body.size() - kTraceBody);
}

/// "http> METHOD URL", the headers and the body (redacted by trace::debug).
void trace_request(const std::string& method, const Request& req) {
  std::string out = fmt::format("http> {} {}", method, req.url);
  for (const auto& hd : req.headers) out += "\n  " + trace::header_line(hd.name, hd.value);
  append_body(out, req.body);
  trace::debug(out);
}

/// "http< STATUS URL (T s)", the headers and the body; or what went wrong.
void trace_response(const Request& req, const Result<Response>& r, std::chrono::steady_clock::time_point start) {
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!r) {
    trace::debug(fmt::format("http< {} failed after {:.3f} s: {}", req.url, secs, r.error().text()));
    return;
  }
  std::string out = fmt::format("http< {} {} ({:.3f} s)", r->status, req.url, secs);
  for (const auto& hd : r->headers) out += "\n  " + trace::header_line(hd.name, hd.value);
  append_body(out, r->body);
  trace::debug(out);
}

class CurlClient final : public Client {
 public:
  CurlClient(ClientOptions opts, CurlPtr handle) : opts_(std::move(opts)), curl_(std::move(handle)) {}

  Result<Response> send(const Request& req) override {
    if (!trace::enabled(trace::Level::Debug)) return transfer(req);
    const auto start = std::chrono::steady_clock::now();
    trace_request(upper(req.method), req);
    Result<Response> r = transfer(req);
    trace_response(req, r, start);
    return r;
  }

 private:
  Result<Response> transfer(const Request& req) {
    std::lock_guard lock(mu_);  // one easy handle: one transfer at a time
    CURL* h = curl_.get();
    // Reset options but keep the connection cache, so the next request reuses the connection.
    curl_easy_reset(h);

    const std::string method = upper(req.method);
    const bool has_body = sends_body(method, req);
    TRY_ASSIGN(CurlSlistPtr headers, header_list(req, has_body));
    char errbuf[CURL_ERROR_SIZE];
    errbuf[0] = '\0';
    Transfer t;
    Setup setup{h};
    setup.common(opts_, req, headers.get(), t, errbuf);
    if (!setup.method(method, req, has_body))
      return Error(Category::Internal, req.url, "unsupported HTTP method '" + req.method + "'");
    if (setup.rc != CURLE_OK) return network_error(req, "cannot set up the request", curl_easy_strerror(setup.rc));

    if (CURLcode rc = curl_easy_perform(h); rc != CURLE_OK) {
      if (t.body_too_large) return network_error(req, fmt::format("response body larger than {} bytes", kMaxBodyBytes));
      std::string cause = errbuf[0] ? trim(errbuf) : std::string(curl_easy_strerror(rc));
      return network_error(req, describe(rc), std::move(cause));
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    t.response.status = status;
    return std::move(t.response);
  }

  ClientOptions opts_;
  CurlPtr curl_;
  std::mutex mu_;
};

/// A client whose construction failed: every request reports why.
class BrokenClient final : public Client {
 public:
  explicit BrokenClient(std::string why) : why_(std::move(why)) {}
  Result<Response> send(const Request& req) override {
    return Error(Category::Internal, req.url, "the HTTP client could not be initialised", why_);
  }

 private:
  std::string why_;
};

}  // namespace

std::unique_ptr<Client> make_curl_client(const ClientOptions& opts) {
  if (CURLcode rc = global_init(); rc != CURLE_OK) {
    return std::make_unique<BrokenClient>(curl_easy_strerror(rc));
  }
  CurlPtr h(curl_easy_init());
  if (!h) return std::make_unique<BrokenClient>("curl_easy_init failed");
  return std::make_unique<CurlClient>(opts, std::move(h));
}

}  // namespace certctl::http
