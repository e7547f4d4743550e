#pragma once
/// The http-01 responder's request handling (private to src/challenge): the bytes a client has
/// sent so far in, the complete response out. One request per connection; no keep-alive.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace certctl::challenge {

/// The request head (request line and headers) may be at most this long (8 KiB).
inline constexpr std::size_t kMaxRequestHead = 8 * 1024;
inline constexpr std::string_view kChallengePrefix = "/.well-known/acme-challenge/";

/// The key authorization presented for a token, or nullptr.
using TokenLookup = std::function<const std::string*(std::string_view token)>;

/// nullopt while the head is incomplete and within kMaxRequestHead; otherwise the whole
/// response (status line, headers, body; "Connection: close"): 200 with the key authorization
/// for GET (HEAD: no body) of /.well-known/acme-challenge/<presented token> (a query string is
/// ignored), 404 for any other path, 405 for another method, 400 for a malformed request line,
/// 431 when the head exceeds the limit.
std::optional<std::string> http_response(std::string_view received, const TokenLookup& lookup);

}  // namespace certctl::challenge
