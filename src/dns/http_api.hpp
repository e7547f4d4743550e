#pragma once
/// What the HTTP-API providers (powerdns.cpp, cloudflare.cpp, acme_dns.cpp) share: option
/// access, URL pieces, JSON parsing that never throws, TXT quoting, and sending a request whose
/// headers carry a secret. nlohmann/json stays in src/dns.
#include <certctl/dns.hpp>
#include <certctl/http.hpp>

#include "dns/providers.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace certctl::dns::api {

using Json = nlohmann::json;

/// The subject of a provider's configuration errors: "dns provider 'NAME' (TYPE)".
std::string provider_subject(const ProviderConfig& config);
/// An option's value, or `fallback` when it is not set.
std::string option(const ProviderConfig& config, std::string_view key, std::string_view fallback = {});
/// An http:// or https:// URL without trailing slashes; a Usage error naming the option otherwise.
Result<std::string> base_url(const ProviderConfig& config, std::string_view key,
                             std::string_view fallback = {});
/// A copy of a required secret; a Usage error naming it (and its -env form) when missing, or
/// when it holds a line break (it goes into a header).
/// The HTTP client a provider's factory uses: libcurl, trusting the PEM file in the
/// `ca-bundle` option when given (a self-hosted API with its own CA), else the system's roots.
std::unique_ptr<http::Client> client_for(const ProviderConfig& config);
Result<SecretBytes> required_secret(const ProviderConfig& config, std::string_view key);

/// RFC 3986 percent-encoding of everything but the unreserved characters.
std::string url_encode(std::string_view s);
/// An application/x-www-form-urlencoded body (OAuth token requests): name=value pairs, each
/// side percent-encoded, joined by '&'.
std::string form_encode(const std::vector<std::pair<std::string_view, std::string_view>>& fields);
/// "a.example." -> "a.example"; "a.example" -> "a.example." (compare names with wire::same_name).
std::string without_dot(std::string_view name);
std::string with_dot(std::string_view name);

/// A name relative to its zone: "_acme-challenge.a" for "_acme-challenge.a.example.com." in
/// "example.com." (either may end in a dot); `apex` (an API's word for the zone's own name,
/// "@" or "") when the name is the zone.
std::string relative_name(std::string_view fqdn, std::string_view zone, std::string_view apex);

/// The values of one name in a present or cleanup call, and the zone found for it by SOA
/// (without its trailing dot; "" when none was found).
struct NameValues {
  std::string zone;
  std::vector<std::string> values;
};
/// The records of a call grouped by name (with its trailing dot), so a provider whose API holds
/// all values of a name in one record set reads and writes each set once per call.
std::map<std::string, NameValues> by_name(const std::vector<TxtRecord>& records);

/// A TXT value as one quoted character-string: "value" with \ and " escaped.
std::string quote_txt(std::string_view value);
/// A TXT content as a zone file writes it back to its text: "a" "b" -> ab, unescaped; a value
/// without quotes is returned as it is.
std::string unquote_txt(std::string_view content);

/// The JSON document in a body, or nullopt when it is not JSON.
std::optional<Json> parse(std::string_view body);
/// A string member, or "" when missing or not a string.
std::string str(const Json& j, const char* key);
/// The start of a body for an error message: one line, at most 200 characters.
std::string snippet(std::string_view body);

/// How send() waits out an API's rate limit (HTTP 429): at most kRateLimitRetries more tries,
/// each after the Retry-After the API gave (kRateLimitDefaultWait seconds when it gave none);
/// a Retry-After longer than kRateLimitMaxWait is not waited for.
inline constexpr int kRateLimitRetries = 3;
inline constexpr long kRateLimitDefaultWait = 1;
inline constexpr long kRateLimitMaxWait = 30;
/// The wait between tries; tests pass one that records instead of sleeping.
using Sleep = std::function<void(std::chrono::milliseconds)>;
void real_sleep(std::chrono::milliseconds ms);

/// A request carrying `auth` (the API's credential header) and, with a body, Content-Type:
/// application/json.
http::Request json_request(std::string method, std::string url, http::Header auth, std::string body);

/// Send the request, then wipe every header value and the body (they may hold API keys, tokens,
/// an OAuth client secret or a signed assertion). A 429
/// answer is tried again as above; the last answer (a 429 too, when the limit outlasts the
/// retries) is returned for the provider to report.
Result<http::Response> send(http::Client& client, http::Request req, const Sleep& sleep = real_sleep);

/// What a provider's API answered outside 2xx, worded alike for every provider (`api` names it:
/// "Linode"): 401/403 "<api> rejected the <credential> (HTTP n)" naming `api_url`; 404 a
/// NotFound error naming the request (the caller decides what a missing domain or record means);
/// 429 "<api>'s rate limit (HTTP 429) outlasted certctl's retries"; else "<api> API error on
/// METHOD URL (HTTP n)" naming `subject` (the zone or the name). `detail` is what the API said,
/// else the start of the body is quoted.
struct Failed {
  std::string_view api, api_url, method, url, subject;
  std::string_view credential = "API token";
};
Error answer_error(const Failed& f, const http::Response& resp, std::string detail);
/// A 2xx answer's JSON object; a Dns error naming the request when it is not one.
Result<Json> json_answer(std::string_view api, std::string_view method, std::string_view url,
                         const http::Response& resp);

/// A provider's factory over a given client (make_powerdns, make_cloudflare, make_acme_dns).
using HttpFactory = Result<std::unique_ptr<Provider>> (*)(const ProviderConfig&, std::unique_ptr<http::Client>);
/// A factory that also takes its Seams (make_route53, make_gcloud, ...): the row passes none, so
/// the provider uses the real ones.
using SeamedFactory = Result<std::unique_ptr<Provider>> (*)(const ProviderConfig&, std::unique_ptr<http::Client>, Seams);
/// The registry row of an HTTP-API provider: its factory gets client_for(config).
ProviderType http_provider(std::string_view name, std::string_view summary, std::vector<OptionSpec> options,
                           HttpFactory make);
ProviderType http_provider(std::string_view name, std::string_view summary, std::vector<OptionSpec> options,
                           SeamedFactory make);

}  // namespace certctl::dns::api
