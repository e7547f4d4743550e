#pragma once
// What the ACME client takes from a CA's response headers, checked where it enters: a value
// that fails is the CA's error (or is not used), never text that later breaks JSON or a URL.
#include <algorithm>
#include <string_view>

namespace certctl::acme {

/// RFC 8555 section 6.5.1: a Replay-Nonce is base64url text (here at most 512 characters).
inline bool valid_nonce(std::string_view n) {
  return !n.empty() && n.size() <= 512 && std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

/// A URL from a Location or Link header: printable ASCII without spaces, at most 2048 bytes.
inline bool valid_header_url(std::string_view u) {
  return !u.empty() && u.size() <= 2048 && std::all_of(u.begin(), u.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace certctl::acme
