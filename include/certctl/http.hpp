#pragma once
/// HTTP client interface (libcurl behind it), so the ACME code can be tested with a fake.
/// One Client keeps its connection open between requests (keep-alive to the CA).
#include <certctl/result.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certctl::http {

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  std::string method = "GET";  ///< GET, HEAD, POST; PUT, PATCH, DELETE for DNS provider APIs
  std::string url;
  std::vector<Header> headers;
  std::string body;
};

struct Response {
  long status = 0;
  std::vector<Header> headers;  ///< in arrival order; names as sent
  std::string body;
  /// First header with this name (case-insensitive).
  std::optional<std::string> header(std::string_view name) const;
  /// Every value of a header (e.g. several Link headers).
  std::vector<std::string> headers_named(std::string_view name) const;
};

struct ClientOptions {
  std::string ca_bundle;        ///< PEM file of trusted roots; empty = the system's
  long connect_timeout_s = 10;
  long timeout_s = 30;
  std::string user_agent = "certctl";
};

class Client {
 public:
  virtual ~Client() = default;
  /// Network and TLS failures are Category::Network errors naming the URL; any HTTP status
  /// (including 4xx/5xx) is a successful Response.
  virtual Result<Response> send(const Request& req) = 0;
};

std::unique_ptr<Client> make_curl_client(const ClientOptions& opts);
/// Makes the clients of code that opens its own connections (the ACME issuer, accounts,
/// notifiers): the CLI passes make_curl_client, unit tests a fake (tests/support/fake_http.hpp).
using ClientFactory = std::function<std::unique_ptr<Client>(const ClientOptions&)>;

/// Values of Link headers with the given rel, e.g. rel="alternate" or rel="up" (RFC 8288).
std::vector<std::string> link_targets(const Response& r, std::string_view rel);
/// The longest wait a server's Retry-After can ask for: 30 days. A longer one is cut to this.
inline constexpr long kMaxRetryAfter = 30L * 86400;
/// Retry-After as seconds from now (delta-seconds or an HTTP date), 0..kMaxRetryAfter;
/// nullopt if absent/bad.
std::optional<long> retry_after_seconds(const Response& r, long long now_unix);

/// A plain-text mail to send over SMTP.
struct Mail {
  std::string server;       ///< smtp://host:port (STARTTLS with `starttls`) or smtps://host:port
  bool starttls = false;
  std::string ca_bundle;    ///< PEM roots for the server's TLS; "" = the system's
  std::string user;         ///< AUTH user; "" = no AUTH
  std::string password;     ///< wiped by the caller
  std::string from;
  std::vector<std::string> to;
  std::string subject;      ///< one line
  std::string body;
};
/// Send it with libcurl. A refusal by the server (5xx, failed AUTH) is a Config error naming
/// the server; an unreachable server is a Network error.
Status send_mail(const Mail& mail);

}  // namespace certctl::http
